//! The `events` row: its columns defined once, and every SQL text that
//! names them generated from that definition.
//!
//! Reads come two ways (see `SqliteStore::read_events`): a page of rows
//! aggregated by SQLite into one JSON array ([`JSON_PAGE`]), and, when a
//! damaged row makes that page unreadable, row by row ([`EventRow`], read
//! by column name). Writes bind rows in [`COLUMNS`] order ([`insert_sql`]).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoreError, StoredEvent};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// How a column is stored, which says how it is written into a JSON page.
#[derive(Clone, Copy)]
enum Stored {
    /// An integer, written as a JSON number.
    Integer,
    /// A 16-byte id, written as a JSON string of hex (`""` for NULL).
    Id,
    /// Text, written as a JSON string (or `null`).
    Text,
    /// JSON text, written verbatim: it is stored as the JSON the writer
    /// produced, so it needs no parsing (`json_array` would parse and
    /// render it again).
    Json,
}

/// The columns of `events`, in the order rows are bound and paged.
const COLUMNS: [(&str, Stored); 18] = [
    ("position", Stored::Integer),
    ("stream_id", Stored::Id),
    ("version", Stored::Integer),
    ("event_id", Stored::Id),
    ("event_type", Stored::Text),
    ("schema_version", Stored::Integer),
    ("occurred_on", Stored::Text),
    ("recorded_at", Stored::Text),
    ("actor_id", Stored::Text),
    ("actor_name", Stored::Text),
    ("actor_role", Stored::Text),
    ("actor_org_id", Stored::Text),
    ("correlation_id", Stored::Id),
    ("causation_id", Stored::Id),
    ("idempotency_key", Stored::Text),
    ("data", Stored::Json),
    ("prev_hash", Stored::Text),
    ("hash", Stored::Text),
];

/// Values bound per row by [`insert_sql`].
pub(crate) const BOUND_PER_ROW: usize = COLUMNS.len();

/// `position, stream_id, …`: the columns, for `SELECT` and `INSERT`.
pub(crate) static COLUMN_LIST: LazyLock<String> = LazyLock::new(|| {
    COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
});

/// An expression rendering one row as the text of a JSON array in
/// [`COLUMNS`] order. Built with `concat`, which copies the row once; a
/// chain of `||` would copy it at every step.
static JSON_ROW: LazyLock<String> = LazyLock::new(|| {
    let mut parts = vec!["'['".to_owned()];
    for (index, (name, stored)) in COLUMNS.iter().enumerate() {
        if index > 0 {
            parts.push("','".to_owned());
        }
        parts.push(match stored {
            Stored::Integer | Stored::Json => (*name).to_owned(),
            Stored::Id => format!("'\"', lower(hex({name})), '\"'"),
            Stored::Text => format!("json_quote({name})"),
        });
    }
    parts.push("']'".to_owned());
    format!("concat({})", parts.join(", "))
});

/// A page of [`JSON_ROW`]s as one JSON array (`[]` when empty), to
/// follow `SELECT`. In no particular order: an `ORDER BY` inside the
/// aggregate would sort the rows' text, copying every row twice more; the
/// reader sorts the parsed events, which arrive in order in practice.
pub(crate) static JSON_PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "'[' || COALESCE(group_concat({}, ','), '') || ']'",
        *JSON_ROW
    )
});

/// `INSERT` of `rows` events, parameters bound in [`COLUMNS`] order.
/// `OR ROLLBACK`: a failing row ends the whole transaction (the batch
/// fails as a whole), so SQLite keeps no statement journal to undo just
/// this statement.
pub(crate) fn insert_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; COLUMNS.len()].join(","));
    format!(
        "INSERT OR ROLLBACK INTO events ({}) VALUES {}",
        *COLUMN_LIST,
        vec![row.as_str(); rows].join(",")
    )
}

/// One row of `events`, read by column name.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    position: i64,
    stream_id: Uuid,
    version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i64,
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

/// Reads one row; a value that does not parse means the file was damaged
/// or edited, reported as a corrupt stream at that row's version.
pub(crate) fn event_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<StoredEvent, StoreError> {
    use sqlx::{FromRow, Row};
    match EventRow::from_row(row) {
        Ok(event) => event.into_event(),
        Err(error) => Err(StoreError::corrupt_stream(
            row.try_get("stream_id").unwrap_or_default(),
            row.try_get::<i64, _>("version").unwrap_or_default().max(0) as u64,
            error.to_string(),
        )),
    }
}

impl EventRow {
    fn into_event(self) -> Result<StoredEvent, StoreError> {
        let (stream_id, version) = (self.stream_id, self.version);
        let corrupt =
            |reason: String| StoreError::corrupt_stream(stream_id, version.max(0) as u64, reason);
        Ok(StoredEvent {
            position: self.position,
            stream_id,
            version: u64::try_from(version).map_err(|_| corrupt("negative version".into()))?,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| corrupt("schema_version out of range".into()))?,
            occurred_on: BusinessDate::parse(&self.occurred_on).map_err(corrupt)?,
            recorded_at: DateTime::parse_from_rfc3339(&self.recorded_at)
                .map_err(|e| corrupt(format!("recorded_at: {e}")))?
                .with_timezone(&Utc),
            actor: Actor {
                id: self.actor_id,
                name: self.actor_name,
                role: self.actor_role,
                org_id: self.actor_org_id,
            },
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            idempotency_key: self.idempotency_key,
            data: serde_json::from_str(&self.data)
                .map_err(|e| corrupt(format!("data is not JSON: {e}")))?,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// One event as [`JSON_ROW`] writes it, in [`COLUMNS`] order.
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

/// The order a page of events is read in.
#[derive(Clone, Copy)]
pub(crate) enum PageOrder {
    /// One stream, by version.
    Version,
    /// The global log, by position.
    Position,
}

/// Reads a page of events that SQLite aggregated into one JSON array.
///
/// sqlx hands SQLite rows over from its worker thread one at a time; for
/// pages of hundreds of events that hand-over, not SQLite, is the cost.
/// One aggregated row crosses once. `None` when the page cannot be read
/// this way (a damaged row): the caller then reads row by row to name the
/// damaged version.
pub(crate) fn events_from_json_page(page: &str, order: PageOrder) -> Option<Vec<StoredEvent>> {
    let rows: Vec<JsonRow> = serde_json::from_str(page).ok()?;
    let mut events: Vec<StoredEvent> = rows
        .into_iter()
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
        .collect::<Option<_>>()?;
    // The aggregate promises no order. A stream is read by version (not
    // position: a tampered file may disagree, and verification must see
    // the versions in order to name the moved one); the log by position.
    match order {
        PageOrder::Version => events.sort_by_key(|e| e.version),
        PageOrder::Position => events.sort_by_key(|e| e.position),
    }
    Some(events)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use granttrail_store::{EventStore, ExpectedVersion};
    use granttrail_store_conformance::{append, new_stream};
    use sqlx::AssertSqlSafe;

    use super::*;
    use crate::SqliteStore;

    #[test]
    fn every_statement_names_the_columns_of_the_one_definition() {
        assert!(COLUMN_LIST.starts_with("position, stream_id, version"));
        assert_eq!(COLUMN_LIST.matches(", ").count(), BOUND_PER_ROW - 1);
        let insert = insert_sql(3);
        assert!(insert.contains(COLUMN_LIST.as_str()));
        assert_eq!(insert.matches('?').count(), 3 * BOUND_PER_ROW);
        for (name, _) in COLUMNS {
            assert!(JSON_ROW.contains(name), "{name} is not paged");
        }
    }

    /// The aggregated page must be readable whole: if its JSON were wrong,
    /// every read would quietly take the slow row-by-row path.
    #[tokio::test]
    async fn a_page_aggregated_by_sqlite_reads_back_as_the_rows_do() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let id = new_stream();
        store
            .append(append(id, ExpectedVersion::NoStream))
            .await
            .unwrap();
        let mut second = append(id, ExpectedVersion::Exact(1));
        second.causation_id = Some(Uuid::now_v7());
        second.actor.org_id = Some("org \"甲\"\n".into());
        second.idempotency = None;
        store.append(second).await.unwrap();

        let page: String =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT {} FROM events", *JSON_PAGE)))
                .fetch_one(store.pool())
                .await
                .unwrap();
        let fast =
            events_from_json_page(&page, PageOrder::Position).expect("the page parses whole");
        assert_eq!(fast, store.read_all(0, 10).await.unwrap());
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM events ORDER BY position",
            *COLUMN_LIST
        )))
        .fetch_all(store.pool())
        .await
        .unwrap();
        let slow: Vec<StoredEvent> = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast[1].actor.org_id.as_deref(), Some("org \"甲\"\n"));
        assert!(fast[1].causation_id.is_some() && fast[0].causation_id.is_none());

        let empty: String = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {} FROM events WHERE position > 100",
            *JSON_PAGE
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            events_from_json_page(&empty, PageOrder::Position),
            Some(vec![])
        );
    }
}
