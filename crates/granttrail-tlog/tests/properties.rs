//! For random trees: every proof the stored hashes give verifies against
//! the root computed from all leaves, and flipping any bit of any hash of
//! a proof makes it fail.

#![allow(clippy::unwrap_used)]

use granttrail_tlog::hash::root_of;
use granttrail_tlog::stored;
use granttrail_tlog::verify::{verify_consistency, verify_inclusion};
use granttrail_tlog::{Hash, leaf_hash};
use proptest::prelude::*;

/// A tree of `size` leaves appended in batches of `batch`, as stored.
fn tree(size: u64, batch: usize) -> (Vec<Hash>, Vec<Hash>) {
    let leaves: Vec<Hash> = (0..size).map(|n| leaf_hash(&n.to_be_bytes())).collect();
    let mut hashes: Vec<Hash> = Vec::new();
    for chunk_start in (0..leaves.len()).step_by(batch.max(1)) {
        let chunk = &leaves[chunk_start..(chunk_start + batch.max(1)).min(leaves.len())];
        let existing: Vec<Hash> = stored::root_needs(chunk_start as u64)
            .iter()
            .map(|&i| hashes[i as usize])
            .collect();
        for (index, hash) in stored::append(chunk_start as u64, &existing, chunk) {
            assert_eq!(index as usize, hashes.len());
            hashes.push(hash);
        }
    }
    (leaves, hashes)
}

fn read(hashes: &[Hash], indexes: &[u64]) -> Vec<Hash> {
    indexes.iter().map(|&i| hashes[i as usize]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_inclusion_proof_verifies_and_any_flipped_bit_fails(
        size in 1u64..300, pick in any::<u64>(), batch in 1usize..40, flip in any::<(usize, usize, u8)>(),
    ) {
        let (leaves, hashes) = tree(size, batch);
        let index = pick % size;
        let root = root_of(&leaves);
        prop_assert_eq!(stored::root_from(size, &read(&hashes, &stored::root_needs(size))), root);
        let proof = stored::inclusion_from(index, size, &read(&hashes, &stored::inclusion_needs(index, size)));
        prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &proof, &root).is_ok());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let (which, byte, bit) = (flip.0 % bad.len(), flip.1 % 32, flip.2 % 8);
            bad[which][byte] ^= 1 << bit;
            prop_assert!(verify_inclusion(index, size, &leaves[index as usize], &bad, &root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_flipped_bit_fails(
        new in 1u64..300, pick in any::<u64>(), batch in 1usize..40, flip in any::<(usize, usize, u8)>(),
    ) {
        let (leaves, hashes) = tree(new, batch);
        let old = 1 + pick % new;
        let old_root = root_of(&leaves[..old as usize]);
        let new_root = root_of(&leaves);
        let proof = stored::consistency_from(old, new, &read(&hashes, &stored::consistency_needs(old, new)));
        prop_assert!(verify_consistency(old, new, &proof, &old_root, &new_root).is_ok());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let (which, byte, bit) = (flip.0 % bad.len(), flip.1 % 32, flip.2 % 8);
            bad[which][byte] ^= 1 << bit;
            prop_assert!(verify_consistency(old, new, &bad, &old_root, &new_root).is_err());
        }
        // A different old tree (one leaf changed) is not extended by it.
        let mut forged = leaves[..old as usize].to_vec();
        forged[(pick % old) as usize][0] ^= 1;
        prop_assert!(verify_consistency(old, new, &proof, &root_of(&forged), &new_root).is_err());
    }
}
