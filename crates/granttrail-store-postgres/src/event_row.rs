//! The `events` row as this backend stores it, read by column name.

use chrono::{DateTime, Utc};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoreError, StoredEvent};
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// The columns [`EventRow`] reads, for `SELECT` lists (a macro so that
/// queries built with `concat!` stay static strings).
macro_rules! event_columns {
    () => {
        "position, stream_id, version, event_id, event_type, schema_version, occurred_on, \
         recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, \
         causation_id, idempotency_key, data, prev_hash, hash"
    };
}
pub(crate) use event_columns;

/// One row of `events`.
#[derive(sqlx::FromRow)]
struct EventRow {
    position: i64,
    stream_id: Uuid,
    version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    occurred_on: String,
    recorded_at: String,
    actor_id: String,
    actor_name: String,
    actor_role: String,
    actor_org_id: Option<String>,
    correlation_id: Uuid,
    causation_id: Option<Uuid>,
    idempotency_key: Option<String>,
    data: String,
    prev_hash: String,
    hash: String,
}

/// Reads one row; a value that does not parse means the database was
/// damaged or edited, reported as a corrupt stream at that row's version.
pub(crate) fn event_from_row(row: &PgRow) -> Result<StoredEvent, StoreError> {
    use sqlx::{FromRow, Row};
    let row = EventRow::from_row(row).map_err(|error| {
        StoreError::corrupt_stream(
            row.try_get("stream_id").unwrap_or_default(),
            row.try_get::<i64, _>("version").unwrap_or_default().max(0) as u64,
            error.to_string(),
        )
    })?;
    let (stream_id, version) = (row.stream_id, row.version);
    let corrupt =
        |reason: String| StoreError::corrupt_stream(stream_id, version.max(0) as u64, reason);
    Ok(StoredEvent {
        position: row.position,
        stream_id,
        version: u64::try_from(version).map_err(|_| corrupt("negative version".into()))?,
        event_id: row.event_id,
        event_type: row.event_type,
        schema_version: u32::try_from(row.schema_version)
            .map_err(|_| corrupt("schema_version out of range".into()))?,
        occurred_on: BusinessDate::parse(&row.occurred_on).map_err(corrupt)?,
        recorded_at: DateTime::parse_from_rfc3339(&row.recorded_at)
            .map_err(|e| corrupt(format!("recorded_at: {e}")))?
            .with_timezone(&Utc),
        actor: Actor {
            id: row.actor_id,
            name: row.actor_name,
            role: row.actor_role,
            org_id: row.actor_org_id,
        },
        correlation_id: row.correlation_id,
        causation_id: row.causation_id,
        idempotency_key: row.idempotency_key,
        data: serde_json::from_str(&row.data)
            .map_err(|e| corrupt(format!("data is not JSON: {e}")))?,
        prev_hash: row.prev_hash,
        hash: row.hash,
    })
}
