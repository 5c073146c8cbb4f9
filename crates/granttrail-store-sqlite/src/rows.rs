//! Turning `events` rows back into stored events.

use chrono::{DateTime, Utc};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoredEvent};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

granttrail_store::sqlx_event_rows!(sqlx::sqlite::SqliteRow);

/// One event as the text of a JSON array, for [`events_from_json_page`].
///
/// Written by concatenation: text columns through `json_quote`, ids as hex,
/// and `data` verbatim — it is stored as the JSON text the writer produced,
/// so it needs no parsing here (`json_array` would parse and re-render it).
/// A row whose data is not valid JSON makes the whole page unreadable, and
/// the caller falls back to reading row by row, which names it.
macro_rules! event_json_row {
    () => {
        // `concat` builds the row once; a chain of `||` copies it per step.
        "concat('[', position, ',\"', lower(hex(stream_id)), '\",', version, ',\"', \
         lower(hex(event_id)), '\",', json_quote(event_type), ',', schema_version, ',', \
         json_quote(occurred_on), ',', json_quote(recorded_at), ',', json_quote(actor_id), ',', \
         json_quote(actor_name), ',', json_quote(actor_role), ',', json_quote(actor_org_id), \
         ',\"', lower(hex(correlation_id)), '\",\"', lower(hex(causation_id)), '\",', \
         json_quote(idempotency_key), ',', data, ',', json_quote(prev_hash), ',', \
         json_quote(hash), ']')"
    };
}
/// A page of [`event_json_row`]s, as one JSON array (`[]` when empty).
///
/// In no particular order: an `ORDER BY` inside the aggregate would sort
/// the rows' text, copying every row twice more. The caller sorts the
/// parsed events, which arrive in order in practice (a linear check).
macro_rules! event_json_page {
    () => {
        concat!(
            "'[' || COALESCE(group_concat(",
            $crate::rows::event_json_row!(),
            ", ','), '') || ']'"
        )
    };
}
pub(crate) use event_json_page;
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

    use super::*;
    use crate::SqliteStore;

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
            sqlx::query_scalar(concat!("SELECT ", event_json_page!(), " FROM events"))
                .fetch_one(store.pool())
                .await
                .unwrap();
        let fast =
            events_from_json_page(&page, PageOrder::Position).expect("the page parses whole");
        assert_eq!(fast, store.read_all(0, 10).await.unwrap());
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events ORDER BY position"
        ))
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

        let empty: String = sqlx::query_scalar(concat!(
            "SELECT ",
            event_json_page!(),
            " FROM events WHERE position > 100"
        ))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            events_from_json_page(&empty, PageOrder::Position),
            Some(vec![])
        );
    }
}
