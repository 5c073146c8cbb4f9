//! Where the transparency log lives: its leaves (one per event, in
//! position order, leaf indexes dense), the stored hashes of its complete
//! subtrees (`granttrail_tlog::stored`), and every checkpoint signed.
//!
//! The leaves and hashes are derived from the events and can be
//! integrated again from them; the checkpoints are what left the system
//! (auditors keep them), so they are kept for good.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::projection::Saved;

/// A stored hash: SHA-256.
pub type LogHash = [u8; 32];

/// How far the log has integrated the global log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogHead {
    /// Leaves in the tree.
    pub size: u64,
    /// The position of the last leaf's event (0 for an empty log).
    pub position: i64,
}

/// One step of integration: the leaves of the events after `from`, as
/// the integrator computed them. It is written only if the log is still
/// at `from` (else another integrator got there first: nothing is
/// written and the answer is [`Saved::Overtaken`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogStep {
    /// The head the step was computed from.
    pub from: LogHead,
    /// `(position, leaf index)` of each new leaf, in order.
    pub leaves: Vec<(i64, u64)>,
    /// `(index, hash)` of each new stored hash.
    pub hashes: Vec<(u64, LogHash)>,
}

/// A signed checkpoint as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tree size it commits to.
    pub size: u64,
    /// The root at that size.
    pub root: LogHash,
    /// The signed note, as served (C2SP tlog-checkpoint).
    pub note: String,
    /// The key ID of the log key that signed it (8 hex digits).
    pub key_id: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
}

/// A second key's signature line on a checkpoint (a witness: the
/// foundation's supervisor or a donor), kept beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    /// The tree size of the checkpoint cosigned.
    pub size: u64,
    /// The cosigner's key name.
    pub name: String,
    /// The cosigner's key ID (8 hex digits).
    pub key_id: String,
    /// The signature line, as it is appended to the note.
    pub line: String,
    /// When it was added.
    pub signed_at: DateTime<Utc>,
}

/// The transparency log's storage; implemented by each backend.
#[async_trait]
pub trait LogStore: Send + Sync + 'static {
    /// The log's head.
    async fn log_head(&self) -> Result<LogHead, StoreError>;

    /// The stored hashes at `indexes`, in the same order; a missing index
    /// is an error (the tree is smaller, or damaged).
    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<LogHash>, StoreError>;

    /// Writes a step of integration, leaves and hashes together.
    async fn integrate(&self, step: &LogStep) -> Result<Saved, StoreError>;

    /// The leaf index of the event at `position`, once integrated.
    async fn leaf_index(&self, position: i64) -> Result<Option<u64>, StoreError>;

    /// Keeps a signed checkpoint (durably); one already kept for the same
    /// size stays as it is.
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError>;

    /// The newest checkpoint.
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Checkpoints for sizes above `after`, oldest first, at most `limit`.
    async fn checkpoints(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<StoredCheckpoint>, StoreError>;

    /// The smallest checkpoint whose tree holds at least `size` leaves.
    async fn checkpoint_covering(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// Keeps a cosignature (durably); the same key cosigning the same size
    /// again changes nothing.
    async fn save_cosignature(&self, cosignature: &Cosignature) -> Result<(), StoreError>;

    /// Every cosignature on the checkpoint of `size`, oldest first.
    async fn cosignatures(&self, size: u64) -> Result<Vec<Cosignature>, StoreError>;

    /// The largest checkpoint size the key `name`/`key_id` cosigned.
    async fn last_cosigned(&self, name: &str, key_id: &str) -> Result<Option<u64>, StoreError>;
}

/// A cosignature from its stored columns.
pub fn cosignature_from_columns(
    size: i64,
    name: String,
    key_id: String,
    line: String,
    signed_at: &str,
) -> Result<Cosignature, StoreError> {
    let bad = |what: &str| StoreError::unavailable(format!("cosignature {size}: bad {what}"));
    Ok(Cosignature {
        size: u64::try_from(size).map_err(|_| bad("size"))?,
        name,
        key_id,
        line,
        signed_at: DateTime::parse_from_rfc3339(signed_at)
            .map_err(|_| bad("instant"))?
            .with_timezone(&Utc),
    })
}

/// A checkpoint from its stored columns (root as hex, instant as RFC 3339).
pub fn checkpoint_from_columns(
    size: i64,
    root: &str,
    note: String,
    key_id: String,
    signed_at: &str,
) -> Result<StoredCheckpoint, StoreError> {
    let bad = |what: &str| StoreError::unavailable(format!("checkpoint {size}: bad {what}"));
    Ok(StoredCheckpoint {
        size: u64::try_from(size).map_err(|_| bad("size"))?,
        root: hex::decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("root"))?,
        note,
        key_id,
        signed_at: DateTime::parse_from_rfc3339(signed_at)
            .map_err(|_| bad("instant"))?
            .with_timezone(&Utc),
    })
}

/// The hashes at `indexes`, in that order, from the `(index, hash)` rows a
/// backend fetched; a missing or malformed one is an error naming it.
pub fn hashes_in_order(
    indexes: &[u64],
    rows: Vec<(i64, Vec<u8>)>,
) -> Result<Vec<LogHash>, StoreError> {
    let found: std::collections::HashMap<i64, Vec<u8>> = rows.into_iter().collect();
    indexes
        .iter()
        .map(|index| {
            found
                .get(&(*index as i64))
                .and_then(|hash| <LogHash>::try_from(hash.as_slice()).ok())
                .ok_or_else(|| {
                    StoreError::unavailable(format!(
                        "the log has no stored hash {index} (damaged or not integrated)"
                    ))
                })
        })
        .collect()
}
