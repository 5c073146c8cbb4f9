//! Known answers: the Certificate Transparency reference tree (RFC 6962's
//! test data: eight leaves, the root of every size, inclusion and
//! consistency proofs) and the signed-note vectors of Go's `sumdb/note`
//! and of the C2SP signed-note specification. A verifier that disagrees
//! with these proves nothing to anyone else.

#![allow(clippy::unwrap_used)]

use granttrail_tlog::hash::root_of;
use granttrail_tlog::note::{Note, NoteSigner, NoteVerifier};
use granttrail_tlog::stored;
use granttrail_tlog::verify::{verify_consistency, verify_inclusion};
use granttrail_tlog::{Checkpoint, Hash, empty_root, leaf_hash};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The root of the first n leaves, n = 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 3] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

fn h(hex_text: &str) -> Hash {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

fn leaves() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

/// The reference tree kept as stored hashes, and a reader over it.
fn stored_tree(leaves: &[Hash]) -> Vec<Hash> {
    let mut hashes: Vec<Hash> = Vec::new();
    for (n, leaf) in leaves.iter().enumerate() {
        let existing: Vec<Hash> = stored::root_needs(n as u64)
            .iter()
            .map(|&i| hashes[i as usize])
            .collect();
        for (index, hash) in stored::append(n as u64, &existing, std::slice::from_ref(leaf)) {
            assert_eq!(index as usize, hashes.len(), "stored hashes are dense");
            hashes.push(hash);
        }
    }
    assert_eq!(
        hashes.len() as u64,
        stored::stored_hash_count(leaves.len() as u64)
    );
    hashes
}

fn read(hashes: &[Hash], indexes: &[u64]) -> Vec<Hash> {
    indexes.iter().map(|&i| hashes[i as usize]).collect()
}

#[test]
fn the_root_of_every_size_is_the_reference_root() {
    assert_eq!(empty_root(), h(ROOTS[0]));
    let leaves = leaves();
    let stored = stored_tree(&leaves);
    for size in 0..=8u64 {
        assert_eq!(
            root_of(&leaves[..size as usize]),
            h(ROOTS[size as usize]),
            "MTH of {size}"
        );
        let from_store = stored::root_from(size, &read(&stored, &stored::root_needs(size)));
        assert_eq!(from_store, h(ROOTS[size as usize]), "stored root of {size}");
    }
}

#[test]
fn the_reference_inclusion_proofs_are_produced_and_verify() {
    let leaves = leaves();
    let stored = stored_tree(&leaves);
    for (index, size, expected) in INCLUSION {
        let expected: Vec<Hash> = expected.iter().map(|p| h(p)).collect();
        let proof = stored::inclusion_from(
            index,
            size,
            &read(&stored, &stored::inclusion_needs(index, size)),
        );
        assert_eq!(proof, expected, "proof of {index} in {size}");
        let root = h(ROOTS[size as usize]);
        verify_inclusion(index, size, &leaves[index as usize], &proof, &root).unwrap();
        // Another leaf, a tree twice or half as large, another leaf hash:
        // refused (as in Certificate Transparency's own corruption tests).
        let leaf = &leaves[index as usize];
        assert!(verify_inclusion(index + 1, size, leaf, &proof, &root).is_err());
        assert!(verify_inclusion(index, size * 2, leaf, &proof, &root).is_err());
        if index < size / 2 {
            assert!(verify_inclusion(index, size / 2, leaf, &proof, &root).is_err());
        }
        assert!(verify_inclusion(index, size, &leaves[0].map(|b| !b), &proof, &root).is_err());
    }
}

#[test]
fn the_reference_consistency_proofs_are_produced_and_verify() {
    let stored = stored_tree(&leaves());
    for (old, new, expected) in CONSISTENCY {
        let expected: Vec<Hash> = expected.iter().map(|p| h(p)).collect();
        let proof = stored::consistency_from(
            old,
            new,
            &read(&stored, &stored::consistency_needs(old, new)),
        );
        assert_eq!(proof, expected, "proof of {old} to {new}");
        let (old_root, new_root) = (h(ROOTS[old as usize]), h(ROOTS[new as usize]));
        verify_consistency(old, new, &proof, &old_root, &new_root).unwrap();
        assert!(verify_consistency(old, new, &proof, &new_root, &old_root).is_err());
        assert!(
            verify_consistency(old, new, &proof[..proof.len() - 1], &old_root, &new_root).is_err()
        );
        assert!(verify_consistency(old, new, &[], &old_root, &new_root).is_err());
    }
    // Trivial cases: the same size with equal roots, and from empty.
    let root = h(ROOTS[3]);
    verify_consistency(3, 3, &[], &root, &root).unwrap();
    assert!(verify_consistency(3, 3, &[], &root, &h(ROOTS[4])).is_err());
    verify_consistency(0, 3, &[], &h(ROOTS[0]), &root).unwrap();
    assert!(verify_consistency(4, 3, &[], &root, &root).is_err());
}

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn signing_reproduces_gos_published_note_and_it_verifies() {
    let signer = NoteSigner::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.verifier().encode(), PETER_VKEY);
    assert_eq!(signer.sign(PETER_TEXT).unwrap(), PETER_NOTE);
    let verifier = NoteVerifier::parse(PETER_VKEY).unwrap();
    let note = Note::parse(PETER_NOTE).unwrap();
    assert_eq!(note.text, PETER_TEXT);
    note.verify(&verifier).unwrap();
    let altered = Note::parse(&PETER_NOTE.replace("cryptography", "cryptographY")).unwrap();
    assert!(altered.verify(&verifier).is_err());
}

#[test]
fn the_specifications_example_note_verifies() {
    let verifier = NoteVerifier::parse(SPEC_VKEY).unwrap();
    assert_eq!(verifier.encode(), SPEC_VKEY);
    Note::parse(SPEC_NOTE).unwrap().verify(&verifier).unwrap();
    // Another key is not a signer of it.
    let other = NoteVerifier::parse(PETER_VKEY).unwrap();
    assert!(Note::parse(SPEC_NOTE).unwrap().verify(&other).is_err());
}

#[test]
fn a_key_id_that_does_not_match_its_key_is_refused() {
    let wrong = PETER_VKEY.replace("c74f20a3", "c74f20a4");
    assert!(NoteVerifier::parse(&wrong).is_err());
}

#[test]
fn a_cosignature_is_added_after_the_log_signature() {
    let log = NoteSigner::parse(PETER_SKEY).unwrap();
    let witness = NoteSigner::new(
        "witness.example",
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]),
    )
    .unwrap();
    let note = Note::parse(PETER_NOTE).unwrap();
    let cosigned = Note::parse(&note.cosigned(&witness).unwrap()).unwrap();
    assert_eq!(cosigned.signatures.len(), 2);
    cosigned.verify(log.verifier()).unwrap();
    cosigned.verify(witness.verifier()).unwrap();
}

#[test]
fn a_checkpoint_body_reads_back() {
    let checkpoint = Checkpoint {
        origin: "foundation.example/granttrail".into(),
        size: 8,
        root: h(ROOTS[8]),
        extensions: vec![],
    };
    let body = checkpoint.body();
    assert_eq!(
        body,
        "foundation.example/granttrail\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    );
    assert_eq!(Checkpoint::parse(&body).unwrap(), checkpoint);
    for bad in [
        "o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
        "o\n8\nshort\n",
        "o\n8\n",
    ] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad:?}");
    }
}

/// RFC 6962 §2.1.3's worked example (the seven-leaf tree of RFC 9162
/// §2.1.5 and C2SP merkle-tree): the audit paths and consistency proofs it
/// names, node by node, over the first seven reference leaves.
///
/// ```text
///             hash
///            /    \
///           k      l
///          / \    / \
///         g   h  i   j
///        / \ / \ / \ |
///        a b c d e f d6
/// ```
#[test]
fn the_seven_leaf_worked_example_of_rfc_6962() {
    let leaves = leaves();
    let stored = stored_tree(&leaves[..7]);
    let reference_roots: Vec<Hash> = ROOTS.iter().map(|r| h(r)).collect();
    let [a, b, c, d, e, f, j] = [0, 1, 2, 3, 4, 5, 6].map(|i| leaves[i]);
    let (g, h, i) = (
        granttrail_tlog::node_hash(&a, &b),
        granttrail_tlog::node_hash(&c, &d),
        granttrail_tlog::node_hash(&e, &f),
    );
    let (k, l) = (
        granttrail_tlog::node_hash(&g, &h),
        granttrail_tlog::node_hash(&i, &j),
    );
    let root = granttrail_tlog::node_hash(&k, &l);
    assert_eq!(root, reference_roots[7]);
    let inclusion = |index: u64| {
        stored::inclusion_from(index, 7, &read(&stored, &stored::inclusion_needs(index, 7)))
    };
    // "The audit path for d0 is [b, h, l]", d3 [c, g, l], d4 [f, j, k], d6 [i, k].
    assert_eq!(inclusion(0), vec![b, h, l]);
    assert_eq!(inclusion(3), vec![c, g, l]);
    assert_eq!(inclusion(4), vec![f, j, k]);
    assert_eq!(inclusion(6), vec![i, k]);
    for (index, leaf) in [(0, a), (3, d), (4, e), (6, j)] {
        verify_inclusion(index, 7, &leaf, &inclusion(index), &root).unwrap();
    }
    // PROOF(3, D[7]) = [c, d, g, l], PROOF(4, D[7]) = [l], PROOF(6, D[7]) = [i, j, k].
    let consistency = |old: u64| {
        stored::consistency_from(old, 7, &read(&stored, &stored::consistency_needs(old, 7)))
    };
    assert_eq!(consistency(3), vec![c, d, g, l]);
    assert_eq!(consistency(4), vec![l]);
    assert_eq!(consistency(6), vec![i, j, k]);
    for old in [3, 4, 6] {
        let old_root = reference_roots[old as usize];
        verify_consistency(old, 7, &consistency(old), &old_root, &root).unwrap();
    }
}
