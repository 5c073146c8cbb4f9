//! Verifying proofs, as RFC 9162 §2.1.3.2 and §2.1.4.2 write the
//! algorithms, step for step. This is what an auditor's trust rests on,
//! so it is our own code, short enough to read against the RFC, and held
//! to the published Certificate Transparency vectors (tests/vectors.rs).

use crate::hash::{Hash, node_hash};

/// Why a proof does not prove what it claims.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The newer tree is smaller than the older one.
    #[error("a tree of {new} leaves cannot extend one of {old}")]
    Shrinks {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
    },
    /// The proof has too many or too few hashes for these sizes.
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    /// The hashes do not lead to the root.
    #[error("the proof does not lead to the root")]
    RootMismatch,
}

/// The root an inclusion proof leads to from leaf `index` (hash `leaf`)
/// in a tree of `size` leaves (RFC 9162 §2.1.3.2, steps 1–4).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// Whether `proof` proves leaf `index` (hash `leaf`) is in the tree of
/// `size` leaves whose root is `root` (step 5).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Whether `proof` proves that the tree of `new` leaves (root
/// `new_root`) extends the tree of `old` leaves (root `old_root`) by
/// appending only (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if new < old {
        return Err(ProofError::Shrinks { old, new });
    }
    if old == new {
        // The same size: nothing to prove but that the roots agree.
        return match (proof.is_empty(), old_root == new_root) {
            (false, _) => Err(ProofError::WrongLength),
            (true, true) => Ok(()),
            (true, false) => Err(ProofError::RootMismatch),
        };
    }
    if old == 0 {
        // Every tree extends the empty one.
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::WrongLength)
        };
    }
    // Step 1.
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // Step 2: the old root stands at the front when the old tree is a
    // perfect subtree of the new one.
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof);
    // Steps 3 and 4.
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    let (mut f_r, mut s_r) = (*path[0], *path[0]);
    // Step 6.
    for c in &path[1..] {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 7.
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if f_r == *old_root && s_r == *new_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}
