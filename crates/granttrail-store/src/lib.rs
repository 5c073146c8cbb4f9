//! # granttrail-store: the contract every event store keeps
//!
//! A project is one stream of events; every store backend (SQLite,
//! PostgreSQL) implements [`EventStore`] with the same guarantees, checked
//! by one conformance suite (`tests/store_conformance` in each backend).
//!
//! ## Main types
//! - [`EventStore`]: append with an expected version, read a stream (up to
//!   a version or a recorded-at instant), read the global log, the head of
//!   a stream, idempotency records, and chain verification.
//! - [`StoredEvent`]: an event with all its metadata, in the exact JSON
//!   shape of `GET /api/v1/projects/{id}/events`.
//! - [`chain`]: the hash chain of docs/hash-chain.md (RFC 8785 + SHA-256) and its
//!   verification, shared by every backend and by offline bundle checks.
//! - [`StoreError`]: version conflict, duplicate code, corrupt stream,
//!   backend unavailable.
//! - [`TokenStore`]: bearer tokens, stored only as hashes.
//! - [`ProjectionStore`]: projection rows and checkpoints, written together.
//! - [`LogStore`]: the transparency log's leaves, stored hashes and signed
//!   checkpoints.
//!
//! ## What this crate does not do
//! No SQL and no IO of its own: backends live in `granttrail-store-*`.
//! It does not decide or fold events; it stores what the domain decided.

mod blob;
pub mod chain;
mod error;
mod event;
mod idempotency;
mod log;
mod projection;
mod token;

use async_trait::async_trait;
use uuid::Uuid;

pub use blob::BlobStore;
pub use error::StoreError;
pub use event::{
    Actor, AppendOutcome, AppendRequest, EventHash, ExpectedVersion, NewEvent, PreparedAppend,
    StoredEvent, StreamBound, StreamHead, format_instant, now_micros,
};
pub use idempotency::{IdempotencyColumns, IdempotencyRecord};
pub use log::{
    Cosignature, LogHash, LogHead, LogStep, LogStore, StoredCheckpoint, checkpoint_from_columns,
    cosignature_from_columns, hashes_in_order,
};
pub use projection::{
    CheckpointStep, PROJECT_LIST, ProjectFilter, ProjectRow, ProjectionStore, Saved, StateJson,
};
pub use token::{
    Role, SessionColumns, SessionRecord, TOKEN_COLUMNS, TokenColumns, TokenRecord, TokenStore,
    USER_COLUMNS, UserColumns, UserRecord,
};

/// The event store. Every method is safe to call from many tasks at once.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends events to one stream if its version is `expected`.
    ///
    /// Atomically with the events it writes the idempotency record and the
    /// project-code reservation of the request, so a crash never leaves one
    /// without the other. Returns only after the commit is durable.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// A stream's events in version order, optionally bounded.
    async fn read_stream(
        &self,
        stream_id: Uuid,
        bound: StreamBound,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Up to `limit` events of all streams with a position after `after`,
    /// in commit order. Never skips an event that commits later with a
    /// smaller position.
    async fn read_all(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;

    /// [`EventStore::read_all`] reduced to each event's position, stream,
    /// version and hash: what the transparency log integrates. Backends
    /// that can read less than whole events should.
    async fn read_hashes(&self, after: i64, limit: u32) -> Result<Vec<EventHash>, StoreError> {
        Ok(self
            .read_all(after, limit)
            .await?
            .iter()
            .map(EventHash::from)
            .collect())
    }

    /// The current version and head hash of a stream, if it exists.
    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StreamHead>, StoreError>;

    /// Every stream id, oldest first (for verifying the whole store).
    async fn stream_ids(&self) -> Result<Vec<Uuid>, StoreError>;

    /// The idempotency record an actor left under `key`, if any.
    async fn find_idempotency(
        &self,
        actor_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// The highest committed position (0 for an empty store).
    async fn last_position(&self) -> Result<i64, StoreError>;

    /// Checks that the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Recomputes a stream's hash chain and names the first bad version.
    async fn verify_stream(&self, stream_id: Uuid) -> Result<chain::ChainReport, StoreError> {
        let head = self.stream_head(stream_id).await?;
        match self.read_stream(stream_id, StreamBound::default()).await {
            Ok(events) => Ok(chain::verify(stream_id, &events, head.as_ref())),
            Err(StoreError::CorruptStream {
                version, reason, ..
            }) => Ok(chain::ChainReport::unreadable(version, reason)),
            Err(other) => Err(other),
        }
    }

    /// Records, durably, that the global log up to `position` is about to
    /// be shown to a follower outside this process. A store that can lose
    /// its newest commits (SQLite, whose WAL can be deleted) keeps the
    /// highest such position and refuses to open below it, so positions
    /// are never handed out twice. Stores whose positions cannot go back
    /// need do nothing.
    async fn mark_told(&self, position: i64) -> Result<(), StoreError> {
        let _ = position;
        Ok(())
    }

    /// Proves that a commit would succeed now (the database writable, its
    /// disk not full), for readiness. Backends without a cheaper proof
    /// than a round trip answer as `ping` does.
    async fn check_writable(&self) -> Result<(), StoreError> {
        self.ping().await
    }

    /// Whether positions are assigned without gaps (one writer, as on
    /// SQLite), so that a gap in the log means events went missing. On
    /// PostgreSQL a rolled-back transaction leaves a gap in its sequence.
    fn positions_are_dense(&self) -> bool {
        false
    }

    /// Why this store refuses every write until an operator steps in (its
    /// files were deleted or replaced under it), if it does. Readiness
    /// reports it.
    fn writes_stopped(&self) -> Option<String> {
        None
    }

    /// The stream's head version, when this process knows it for certain
    /// without asking the database: no commit it does not know of has
    /// been acknowledged since. `None` means "ask [`EventStore::stream_head`]".
    /// Reads of current state are served from memory only when this
    /// matches the version they hold, so it must never name a version
    /// older than an acknowledged commit.
    fn known_head(&self, stream_id: Uuid) -> Option<u64> {
        let _ = stream_id;
        None
    }

    /// A notification channel carrying the last committed position, for
    /// followers of the global log that would rather wait than poll.
    fn subscribe(&self) -> tokio::sync::watch::Receiver<i64>;
}

/// Moves a store's "last committed position" signal forward to
/// `position` (never back), waking followers only when it moved. Every
/// backend reports its commits to followers through this.
pub fn advance_committed(committed: &tokio::sync::watch::Sender<i64>, position: i64) {
    committed.send_if_modified(|current| {
        let newer = position > *current;
        if newer {
            *current = position;
        }
        newer
    });
}
