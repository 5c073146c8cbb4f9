//! Turning `events` rows back into stored events.

use chrono::{DateTime, Utc};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoreError, StoredEvent};
use serde::Deserialize;
use serde_json::Value;
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

/// Reads one row (columns by index, in [`event_columns`] order); a value
/// that does not parse means the file was damaged or edited, and is
/// reported as a corrupt stream at that version.
pub(crate) fn event_from_row(row: &SqliteRow) -> Result<StoredEvent, StoreError> {
    let stream_id: Uuid = row.try_get(1).unwrap_or_default();
    let version: i64 = row.try_get(2).unwrap_or_default();
    let corrupt = |reason: String| StoreError::CorruptStream {
        stream_id,
        version: version.max(0) as u64,
        reason,
    };
    let get_err = |e: sqlx::Error| corrupt(e.to_string());
    let text = |index: usize| -> Result<&str, StoreError> {
        row.try_get::<&str, _>(index).map_err(get_err)
    };
    let data =
        serde_json::from_str(text(15)?).map_err(|e| corrupt(format!("data is not JSON: {e}")))?;
    let occurred_on = BusinessDate::parse(text(6)?).map_err(corrupt)?;
    let recorded_at = DateTime::parse_from_rfc3339(text(7)?)
        .map_err(|e| corrupt(format!("recorded_at: {e}")))?
        .with_timezone(&Utc);
    Ok(StoredEvent {
        position: row.try_get(0).map_err(get_err)?,
        stream_id,
        version: u64::try_from(version).map_err(|_| corrupt("negative version".to_owned()))?,
        event_id: row.try_get(3).map_err(get_err)?,
        event_type: text(4)?.to_owned(),
        schema_version: u32::try_from(row.try_get::<i64, _>(5).map_err(get_err)?)
            .map_err(|_| corrupt("schema_version out of range".to_owned()))?,
        occurred_on,
        recorded_at,
        actor: Actor {
            id: text(8)?.to_owned(),
            name: text(9)?.to_owned(),
            role: text(10)?.to_owned(),
            org_id: row.try_get(11).map_err(get_err)?,
        },
        correlation_id: row.try_get(12).map_err(get_err)?,
        causation_id: row.try_get(13).map_err(get_err)?,
        idempotency_key: row.try_get(14).map_err(get_err)?,
        data,
        prev_hash: text(16)?.to_owned(),
        hash: text(17)?.to_owned(),
    })
}

/// The columns of `events` as one JSON array per row, for
/// [`events_from_json_page`]. Ids travel as hex, `data` as JSON itself.
macro_rules! event_json_row {
    () => {
        "json_array(position, lower(hex(stream_id)), version, lower(hex(event_id)), event_type, \
         schema_version, occurred_on, recorded_at, actor_id, actor_name, actor_role, actor_org_id, \
         lower(hex(correlation_id)), lower(hex(causation_id)), idempotency_key, json(data), \
         prev_hash, hash)"
    };
}
pub(crate) use event_json_row;

/// One event as [`event_json_row`] writes it.
#[derive(Deserialize)]
struct JsonRow(
    i64,
    String,
    u64,
    String,
    String,
    u32,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Value,
    String,
    String,
);

/// Reads a page of events that SQLite aggregated into one JSON array.
///
/// sqlx hands SQLite rows over from its worker thread one at a time; for
/// pages of hundreds of events that hand-over, not SQLite, is the cost.
/// One aggregated row crosses once. `None` when the page cannot be read
/// this way (a damaged row): the caller then reads row by row to name the
/// damaged version.
pub(crate) fn events_from_json_page(page: &str) -> Option<Vec<StoredEvent>> {
    let rows: Vec<JsonRow> = serde_json::from_str(page).ok()?;
    rows.into_iter()
        .map(|r| {
            Some(StoredEvent {
                position: r.0,
                stream_id: Uuid::try_parse(&r.1).ok()?,
                version: r.2,
                event_id: Uuid::try_parse(&r.3).ok()?,
                event_type: r.4,
                schema_version: r.5,
                occurred_on: BusinessDate::parse(&r.6).ok()?,
                recorded_at: DateTime::parse_from_rfc3339(&r.7).ok()?.with_timezone(&Utc),
                actor: Actor {
                    id: r.8,
                    name: r.9,
                    role: r.10,
                    org_id: r.11,
                },
                correlation_id: Uuid::try_parse(&r.12).ok()?,
                // hex(NULL) is the empty string.
                causation_id: if r.13.is_empty() {
                    None
                } else {
                    Some(Uuid::try_parse(&r.13).ok()?)
                },
                idempotency_key: r.14,
                data: r.15,
                prev_hash: r.16,
                hash: r.17,
            })
        })
        .collect()
}
