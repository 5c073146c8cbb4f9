//! Response bodies of the HTTP edge that are not a type of an inner crate:
//! typed, so the OpenAPI document's schemas are derived from what is
//! actually sent.

use granttrail_store::{Role, StoredCheckpoint, StoredEvent, TokenRecord, format_instant};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A page of the global event feed.
#[derive(Serialize, ToSchema)]
pub(crate) struct EventPage {
    /// Events in commit order.
    pub items: Vec<StoredEvent>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// A signed checkpoint, described.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckpointSummary {
    /// The tree size it commits to.
    pub tree_size: u64,
    /// The Merkle root, hex.
    pub root_hash: String,
    /// The log key's id (8 hex digits).
    pub key_id: String,
    /// When it was signed (RFC 3339, UTC).
    pub signed_at: String,
    /// The C2SP signed note.
    pub checkpoint: String,
}

impl From<&StoredCheckpoint> for CheckpointSummary {
    fn from(checkpoint: &StoredCheckpoint) -> Self {
        CheckpointSummary {
            tree_size: checkpoint.size,
            root_hash: hex::encode(checkpoint.root),
            key_id: checkpoint.key_id.clone(),
            signed_at: format_instant(&checkpoint.signed_at),
            checkpoint: checkpoint.note.clone(),
        }
    }
}

/// A page of checkpoints, oldest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckpointPage {
    /// The checkpoints.
    pub items: Vec<CheckpointSummary>,
}

/// A consistency proof between two tree sizes.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConsistencyProof {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size.
    pub to: u64,
    /// The proof's hashes (base64).
    pub proof: Vec<String>,
}

/// A token just made: the only answer that ever carries its secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedTokenBody {
    /// The token's public id.
    pub id: Uuid,
    /// The user it belongs to.
    pub user_id: String,
    /// Who holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The executor's organisation.
    pub org_id: Option<String>,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When it stops authenticating (RFC 3339, UTC), if ever.
    pub expires_at: Option<String>,
    /// The bearer secret; shown once.
    pub token: String,
}

impl IssuedTokenBody {
    pub(crate) fn new(record: &TokenRecord, secret: String) -> Self {
        IssuedTokenBody {
            id: record.id,
            user_id: record.user_id.clone(),
            name: record.name.clone(),
            role: record.role,
            org_id: record.org_id.clone(),
            created_at: format_instant(&record.created_at),
            expires_at: record.expires_at.as_ref().map(format_instant),
            token: secret,
        }
    }
}

/// `{"status": "ok"}` from liveness, `{"status": "ready"}` from readiness.
#[derive(Serialize, ToSchema)]
pub(crate) struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}
