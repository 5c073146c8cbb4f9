//! Turning `events` rows back into stored events.

use chrono::{DateTime, Utc};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoreError, StoredEvent};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

/// The columns of `events` that [`event_from_row`] reads, as a literal so
/// queries built with `concat!` stay static (sqlx refuses dynamic SQL).
macro_rules! event_columns {
    () => {
        "position, stream_id, version, event_id, event_type, schema_version, occurred_on, \
         recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, \
         causation_id, idempotency_key, data, prev_hash, hash"
    };
}
pub(crate) use event_columns;

/// Reads one row; a value that does not parse means the file was damaged
/// or edited, and is reported as a corrupt stream at that version.
pub(crate) fn event_from_row(row: &SqliteRow) -> Result<StoredEvent, StoreError> {
    let stream_id: Uuid = row.try_get("stream_id").unwrap_or_default();
    let version: i64 = row.try_get("version").unwrap_or_default();
    let corrupt = |reason: String| StoreError::CorruptStream {
        stream_id,
        version: version.max(0) as u64,
        reason,
    };
    let text = |column: &str| -> Result<String, StoreError> {
        row.try_get::<String, _>(column)
            .map_err(|e| corrupt(format!("{column}: {e}")))
    };
    let data_text = text("data")?;
    let data =
        serde_json::from_str(&data_text).map_err(|e| corrupt(format!("data is not JSON: {e}")))?;
    let occurred_on = BusinessDate::parse(&text("occurred_on")?).map_err(corrupt)?;
    let recorded_at = DateTime::parse_from_rfc3339(&text("recorded_at")?)
        .map_err(|e| corrupt(format!("recorded_at: {e}")))?
        .with_timezone(&Utc);
    let get_err = |e: sqlx::Error| corrupt(e.to_string());
    Ok(StoredEvent {
        position: row.try_get("position").map_err(get_err)?,
        stream_id,
        version: u64::try_from(version).map_err(|_| corrupt("negative version".to_owned()))?,
        event_id: row.try_get("event_id").map_err(get_err)?,
        event_type: text("event_type")?,
        schema_version: row.try_get::<i64, _>("schema_version").map_err(get_err)? as u32,
        occurred_on,
        recorded_at,
        actor: Actor {
            id: text("actor_id")?,
            name: text("actor_name")?,
            role: text("actor_role")?,
            org_id: row.try_get("actor_org_id").map_err(get_err)?,
        },
        correlation_id: row.try_get("correlation_id").map_err(get_err)?,
        causation_id: row.try_get("causation_id").map_err(get_err)?,
        idempotency_key: row.try_get("idempotency_key").map_err(get_err)?,
        data,
        prev_hash: text("prev_hash")?,
        hash: text("hash")?,
    })
}
