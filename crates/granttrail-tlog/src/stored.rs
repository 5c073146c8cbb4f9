//! The tree kept as the hashes of its complete subtrees.
//!
//! Every complete (perfect) subtree of the log has one stored hash, at a
//! dense index: leaf `n` at level 0, then the subtrees it completes. This
//! is the layout of Go's `tlog` package (used by the Go checksum
//! database): appending leaf `n` stores 1 + (trailing one bits of `n`)
//! hashes, about two per leaf, and touches only the subtrees on the
//! tree's right edge, so an append costs O(log n). Any root, inclusion
//! proof or consistency proof is a short list of stored hashes combined:
//! O(log n) reads, never a walk over every leaf.
//!
//! Each operation comes in two steps: `*_needs` lists the stored indexes
//! it reads, in an order the second step relies on, and `*_from` makes
//! the answer of the hashes read at those indexes (same order), so a
//! store fetches them all in one query.

use crate::hash::{Hash, empty_root, largest_power_of_two_below, node_hash};

/// Where the hash of the subtree at `level` (2^level leaves) number `n`
/// (counting from the left at that level) is stored.
///
/// Level `l`'s `n`th hash is stored right after level `l+1`'s
/// `(2n+1)`th: walk down to the level-0 leaf that completes it, whose
/// index is `n + n/2 + n/4 + …`, and add the levels back.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut index = 0;
    let mut rest = n;
    while rest > 0 {
        index += rest;
        rest >>= 1;
    }
    index + u64::from(level)
}

/// How many hashes a tree of `leaves` leaves stores.
pub fn stored_hash_count(leaves: u64) -> u64 {
    if leaves == 0 {
        return 0;
    }
    let last = leaves - 1;
    stored_hash_index(0, last) + 1 + u64::from(last.trailing_ones())
}

/// The stored indexes of the perfect subtrees that make up leaves
/// `lo..hi` (left to right, largest first), appended to `need`.
fn subtree_needs(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let size = largest_power_of_two_at_most(hi - lo);
        debug_assert_eq!(lo % size, 0, "a subtree starts on its own boundary");
        let level = size.trailing_zeros();
        need.push(stored_hash_index(level, lo >> level));
        lo += size;
    }
}

/// The hash of leaves `lo..hi` from the hashes [`subtree_needs`] listed
/// for it (taken from the front of `hashes`).
fn subtree_from(mut lo: u64, hi: u64, hashes: &mut &[Hash]) -> Hash {
    let mut parts = Vec::new();
    while lo < hi {
        let size = largest_power_of_two_at_most(hi - lo);
        parts.push(take(hashes));
        lo += size;
    }
    let mut hash = parts.pop().unwrap_or_else(empty_root);
    while let Some(left) = parts.pop() {
        hash = node_hash(&left, &hash);
    }
    hash
}

fn take(hashes: &mut &[Hash]) -> Hash {
    let (first, rest) = hashes
        .split_first()
        .expect("the caller read every hash the needs listed");
    *hashes = rest;
    *first
}

/// The largest power of two that is at most `n` (n ≥ 1).
fn largest_power_of_two_at_most(n: u64) -> u64 {
    1 << (63 - n.leading_zeros())
}

/// The indexes a root of a tree of `size` leaves reads.
pub fn root_needs(size: u64) -> Vec<u64> {
    let mut need = Vec::new();
    subtree_needs(0, size, &mut need);
    need
}

/// The root of a tree of `size` leaves, from the hashes at
/// [`root_needs`]`(size)`.
pub fn root_from(size: u64, hashes: &[Hash]) -> Hash {
    let mut hashes = hashes;
    subtree_from(0, size, &mut hashes)
}

/// Appending leaves: the new stored hashes, each with its index.
///
/// `existing` holds the hashes at [`root_needs`]`(start)` (the perfect
/// subtrees of the tree as it is, which are all new leaves can combine
/// with); `leaves` are the leaf hashes of leaves `start`, `start+1`, ….
pub fn append(start: u64, existing: &[Hash], leaves: &[Hash]) -> Vec<(u64, Hash)> {
    // The right edge of the tree: the perfect subtrees of the current
    // size, largest (leftmost) first. Appending a leaf pushes it and
    // merges equal-sized neighbours, storing each merged hash.
    let mut edge: Vec<(u64, Hash)> = Vec::new();
    let mut lo = 0;
    for hash in existing {
        let size = largest_power_of_two_at_most(start - lo);
        edge.push((size, *hash));
        lo += size;
    }
    let mut stored = Vec::with_capacity(leaves.len() * 2);
    for (offset, leaf) in leaves.iter().enumerate() {
        let n = start + offset as u64;
        let mut index = stored_hash_index(0, n);
        stored.push((index, *leaf));
        let mut merged = (1u64, *leaf);
        while let Some(&(size, left)) = edge.last() {
            if size != merged.0 {
                break;
            }
            edge.pop();
            merged = (size * 2, node_hash(&left, &merged.1));
            index += 1;
            stored.push((index, merged.1));
        }
        edge.push(merged);
    }
    stored
}

/// The indexes an inclusion proof of leaf `index` in a tree of `size`
/// leaves reads.
pub fn inclusion_needs(index: u64, size: u64) -> Vec<u64> {
    assert!(index < size, "leaf {index} is not in a tree of {size}");
    let mut need = Vec::new();
    inclusion_needs_in(0, size, index, &mut need);
    need
}

fn inclusion_needs_in(lo: u64, hi: u64, index: u64, need: &mut Vec<u64>) {
    if hi - lo == 1 {
        return;
    }
    let k = largest_power_of_two_below(hi - lo);
    if index < lo + k {
        inclusion_needs_in(lo, lo + k, index, need);
        subtree_needs(lo + k, hi, need);
    } else {
        subtree_needs(lo, lo + k, need);
        inclusion_needs_in(lo + k, hi, index, need);
    }
}

/// The inclusion proof (RFC 9162 §2.1.3.1, leaf level first) of leaf
/// `index` in a tree of `size`, from the hashes at [`inclusion_needs`].
pub fn inclusion_from(index: u64, size: u64, hashes: &[Hash]) -> Vec<Hash> {
    let mut hashes = hashes;
    inclusion_in(0, size, index, &mut hashes)
}

fn inclusion_in(lo: u64, hi: u64, index: u64, hashes: &mut &[Hash]) -> Vec<Hash> {
    if hi - lo == 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(hi - lo);
    let (mut proof, sibling) = if index < lo + k {
        let proof = inclusion_in(lo, lo + k, index, hashes);
        (proof, subtree_from(lo + k, hi, hashes))
    } else {
        let sibling = subtree_from(lo, lo + k, hashes);
        (inclusion_in(lo + k, hi, index, hashes), sibling)
    };
    proof.push(sibling);
    proof
}

/// The indexes a consistency proof from a tree of `old` leaves to one of
/// `new` leaves reads (0 < old ≤ new).
pub fn consistency_needs(old: u64, new: u64) -> Vec<u64> {
    assert!(
        0 < old && old <= new,
        "no consistency proof from {old} to {new}"
    );
    let mut need = Vec::new();
    consistency_needs_in(0, new, old, &mut need);
    need
}

fn consistency_needs_in(lo: u64, hi: u64, old: u64, need: &mut Vec<u64>) {
    if old == hi {
        if lo != 0 {
            subtree_needs(lo, hi, need);
        }
        return;
    }
    let k = largest_power_of_two_below(hi - lo);
    if old <= lo + k {
        consistency_needs_in(lo, lo + k, old, need);
        subtree_needs(lo + k, hi, need);
    } else {
        subtree_needs(lo, lo + k, need);
        consistency_needs_in(lo + k, hi, old, need);
    }
}

/// The consistency proof (RFC 9162 §2.1.4.1) from `old` to `new` leaves,
/// from the hashes at [`consistency_needs`].
pub fn consistency_from(old: u64, new: u64, hashes: &[Hash]) -> Vec<Hash> {
    let mut hashes = hashes;
    consistency_in(0, new, old, &mut hashes)
}

fn consistency_in(lo: u64, hi: u64, old: u64, hashes: &mut &[Hash]) -> Vec<Hash> {
    if old == hi {
        // The old tree is this whole subtree: the verifier knows its hash
        // when it is the old root (lo == 0); otherwise it is part of the
        // proof.
        return if lo == 0 {
            Vec::new()
        } else {
            vec![subtree_from(lo, hi, hashes)]
        };
    }
    let k = largest_power_of_two_below(hi - lo);
    let (mut proof, other) = if old <= lo + k {
        let proof = consistency_in(lo, lo + k, old, hashes);
        (proof, subtree_from(lo + k, hi, hashes))
    } else {
        let other = subtree_from(lo, lo + k, hashes);
        (consistency_in(lo + k, hi, old, hashes), other)
    };
    proof.push(other);
    proof
}
