//! The store's typed errors. Backends map database errors to these by
//! their codes (SQLSTATE, SQLite extended codes), never by message text.

use uuid::Uuid;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another writer got there first: the stream is not at the version the
    /// caller decided against.
    #[error("stream {stream_id} is at version {actual}, not the expected {expected}")]
    VersionConflict {
        /// The stream.
        stream_id: Uuid,
        /// What the caller expected (0 for "no stream").
        expected: u64,
        /// What the store holds.
        actual: u64,
    },
    /// The project code is already taken by another project.
    #[error("project code '{code}' is already used by project {holder}")]
    DuplicateCode {
        /// The code.
        code: String,
        /// The project holding it.
        holder: Uuid,
    },
    /// Another request with the same idempotency key won a race; the caller
    /// should read the record and replay or refuse.
    #[error("idempotency key '{key}' was used concurrently")]
    IdempotencyRace {
        /// The key.
        key: String,
    },
    /// Stored data that cannot be read back: tampering or damage.
    #[error("stream {stream_id} is corrupt at version {version}: {reason}")]
    CorruptStream {
        /// The stream.
        stream_id: Uuid,
        /// The first version that could not be read.
        version: u64,
        /// What was wrong.
        reason: String,
    },
    /// A stored row other than an event cannot be read back (a token, an
    /// idempotency record, a project-list row): damage or an edit by
    /// hand. Named by its table and key so an operator can find it.
    #[error("the {table} row {key} cannot be read: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// The row's key, as an operator would look it up.
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// The backend could not be reached or failed; nothing was written.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
}

/// The constructors backends use: each logs the error once, here, where
/// it starts; the layers above map it and log nothing more.
impl StoreError {
    /// The backend could not be reached or failed.
    pub fn unavailable(reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        tracing::warn!(%reason, "the event store is unavailable");
        StoreError::Unavailable(reason)
    }

    /// A stored event that cannot be read back.
    pub fn corrupt_stream(stream_id: Uuid, version: u64, reason: impl Into<String>) -> StoreError {
        let reason = reason.into();
        tracing::error!(%stream_id, version, %reason, "a stored event cannot be read");
        StoreError::CorruptStream {
            stream_id,
            version,
            reason,
        }
    }

    /// A stored row other than an event that cannot be read back.
    pub fn corrupt_row(
        table: &'static str,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> StoreError {
        let (key, reason) = (key.into(), reason.into());
        tracing::error!(table, %key, %reason, "a stored row cannot be read");
        StoreError::CorruptRow { table, key, reason }
    }
}
