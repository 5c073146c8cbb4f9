//! The record that makes a retried command harmless.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a command answered the first time, kept under the client's
/// `Idempotency-Key` so a retry gets the same answer and appends nothing.
///
/// It is written in the same transaction as the command's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The client's key.
    pub key: String,
    /// The token that used it; keys are scoped per token.
    pub actor_id: String,
    /// A hash of method, path and body: the same key with another request
    /// is refused.
    pub fingerprint: String,
    /// The project the command acted on.
    pub stream_id: Uuid,
    /// HTTP status of the first response.
    pub status: u16,
    /// ETag of the first response, if any.
    pub etag: Option<String>,
    /// Body of the first response (JSON text).
    pub body: String,
}

/// An idempotency row as both sqlx backends read it: key, actor_id,
/// fingerprint, stream_id, status, etag, body.
pub type IdempotencyColumns = (String, String, String, Uuid, i64, Option<String>, String);

impl IdempotencyRecord {
    /// A record from an [`IdempotencyColumns`] row.
    pub fn from_row(row: IdempotencyColumns) -> IdempotencyRecord {
        let (key, actor_id, fingerprint, stream_id, status, etag, body) = row;
        IdempotencyRecord {
            key,
            actor_id,
            fingerprint,
            stream_id,
            status: u16::try_from(status).unwrap_or(200),
            etag,
            body,
        }
    }
}
