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
    /// A record from an [`IdempotencyColumns`] row; a status that is no
    /// HTTP status means the row was damaged or edited (a replay must
    /// never answer with a status the first answer did not have).
    pub fn from_row(row: IdempotencyColumns) -> Result<IdempotencyRecord, crate::StoreError> {
        let (key, actor_id, fingerprint, stream_id, status, etag, body) = row;
        let status = u16::try_from(status)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| {
                crate::StoreError::corrupt_row(
                    "idempotency",
                    format!("{actor_id}/{key}"),
                    format!("{status} is not an HTTP status"),
                )
            })?;
        Ok(IdempotencyRecord {
            key,
            actor_id,
            fingerprint,
            stream_id,
            status,
            etag,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: i64) -> IdempotencyColumns {
        (
            "k1".into(),
            "tok-1".into(),
            "f".into(),
            Uuid::nil(),
            status,
            None,
            "{}".into(),
        )
    }

    #[test]
    fn a_record_whose_status_is_no_http_status_is_a_corrupt_row_not_a_200() {
        assert_eq!(IdempotencyRecord::from_row(row(201)).unwrap().status, 201);
        for bad in [70_000, -1, 0, 99, 600] {
            assert_eq!(
                IdempotencyRecord::from_row(row(bad)),
                Err(crate::StoreError::CorruptRow {
                    table: "idempotency",
                    key: "tok-1/k1".into(),
                    reason: format!("{bad} is not an HTTP status"),
                })
            );
        }
    }
}
