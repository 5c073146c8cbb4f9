//! # granttrail-tlog: the transparency log, without IO
//!
//! One Merkle tree over the whole global log (every event a leaf, in
//! position order, leaf indexes dense), hashed as RFC 6962 / RFC 9162 say,
//! and the signed checkpoints that commit to it, in the C2SP formats
//! (`tlog-checkpoint`, `signed-note`). An auditor who kept a checkpoint
//! can later prove that the log still contains, unchanged, everything it
//! committed to: the chain of each stream only proves that the database
//! agrees with itself; a checkpoint held outside it convicts a rewrite.
//!
//! ## Main pieces
//! - [`hash`]: leaf and interior hashes with 0x00 / 0x01 domain
//!   separation.
//! - [`stored`]: the tree kept incrementally as the hashes of its complete
//!   subtrees (Go's `tlog` layout, about two per leaf), and how to read a
//!   root, an inclusion proof or a consistency proof out of it. Every
//!   operation is split in two: which stored hashes it needs, then what it
//!   makes of them, so a store can fetch them in one query.
//! - [`verify`]: RFC 9162 §2.1.3.2 and §2.1.4.2, our own code: the
//!   security boundary, tested against published vectors.
//! - [`note`] and [`checkpoint`]: Ed25519 signed notes and the checkpoint
//!   body.
//!
//! ## What this crate does not do
//! No IO, no clock, no database: the store crates keep the hashes and the
//! checkpoints, the app decides when to integrate and to sign.

pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod stored;
pub mod verify;

pub use checkpoint::Checkpoint;
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
