//! Tampering with the SQLite file directly is caught by verification,
//! which names the first altered version.

use std::path::{Path, PathBuf};

use granttrail_store::EventStore;
use granttrail_store_conformance::stream_of;
use granttrail_store_sqlite::SqliteStore;
use uuid::Uuid;

/// A file holding one five-event stream, written through the real store.
async fn five_event_stream(dir: &Path) -> (PathBuf, Uuid) {
    let file = dir.join("tamper.db");
    let store = SqliteStore::open(&url(&file)).await.expect("opens");
    let id = stream_of(&store, 5).await;
    assert!(store.verify_stream(id).await.expect("verifies").ok);
    store.close().await;
    (file, id)
}

fn url(file: &Path) -> String {
    format!("sqlite://{}", file.display())
}

/// Opens the file as an attacker would: with a plain SQLite client, after
/// dropping the append-only triggers.
fn attacker(file: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(file).expect("rusqlite opens");
    db.execute_batch(
        "DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete;",
    )
    .expect("drop triggers");
    db
}

async fn first_bad_version(file: &Path, id: Uuid) -> Option<u64> {
    let store = SqliteStore::open(&url(file)).await.expect("reopens");
    let report = store.verify_stream(id).await.expect("verification runs");
    assert_eq!(report.ok, report.first_bad_version.is_none());
    report.first_bad_version
}

/// Runs `tamper` on a fresh file and returns what verification names.
async fn after(tamper: impl FnOnce(&rusqlite::Connection, &[u8])) -> Option<u64> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, id) = five_event_stream(dir.path()).await;
    tamper(&attacker(&file), id.as_bytes());
    first_bad_version(&file, id).await
}

#[tokio::test]
async fn editing_one_byte_of_event_data_names_that_version() {
    let bad = after(|db, id| {
        let changed = db
            .execute(
                "UPDATE events SET data = replace(data, '\"step\":2', '\"step\":3') WHERE stream_id = ?1 AND version = 2",
                [id],
            )
            .expect("update");
        assert_eq!(changed, 1);
    })
    .await;
    assert_eq!(bad, Some(2));
}

#[tokio::test]
async fn editing_metadata_names_that_version() {
    let bad = after(|db, id| {
        db.execute(
            "UPDATE events SET actor_name = 'mallory' WHERE stream_id = ?1 AND version = 4",
            [id],
        )
        .expect("update");
    })
    .await;
    assert_eq!(bad, Some(4));
}

#[tokio::test]
async fn deleting_an_event_names_the_missing_version() {
    let bad = after(|db, id| {
        db.execute(
            "DELETE FROM events WHERE stream_id = ?1 AND version = 3",
            [id],
        )
        .expect("delete");
    })
    .await;
    assert_eq!(bad, Some(3));
}

#[tokio::test]
async fn deleting_the_newest_event_is_caught_by_the_head() {
    let bad = after(|db, id| {
        db.execute(
            "DELETE FROM events WHERE stream_id = ?1 AND version = 5",
            [id],
        )
        .expect("delete");
    })
    .await;
    assert_eq!(bad, Some(5));
}

#[tokio::test]
async fn swapping_two_events_names_the_earlier_version() {
    let bad = after(|db, id| {
        db.execute_batch("BEGIN").expect("begin");
        db.execute(
            "UPDATE events SET version = -2 WHERE stream_id = ?1 AND version = 2",
            [id],
        )
        .expect("swap");
        db.execute(
            "UPDATE events SET version = 2 WHERE stream_id = ?1 AND version = 4",
            [id],
        )
        .expect("swap");
        db.execute(
            "UPDATE events SET version = 4 WHERE stream_id = ?1 AND version = -2",
            [id],
        )
        .expect("swap");
        db.execute_batch("COMMIT").expect("commit");
    })
    .await;
    assert_eq!(bad, Some(2));
}

#[tokio::test]
async fn reordering_events_in_the_global_log_names_the_moved_version() {
    let bad = after(|db, id| {
        let position = |v: i64| -> i64 {
            db.query_row(
                "SELECT position FROM events WHERE stream_id = ?1 AND version = ?2",
                rusqlite::params![id, v],
                |r| r.get(0),
            )
            .expect("position")
        };
        let (p2, p3) = (position(2), position(3));
        db.execute("UPDATE events SET position = -1 WHERE position = ?1", [p2])
            .expect("move");
        db.execute(
            "UPDATE events SET position = ?1 WHERE position = ?2",
            [p2, p3],
        )
        .expect("move");
        db.execute("UPDATE events SET position = ?1 WHERE position = -1", [p3])
            .expect("move");
    })
    .await;
    assert_eq!(bad, Some(3));
}

#[tokio::test]
async fn unreadable_data_is_reported_not_panicked_on() {
    let bad = after(|db, id| {
        db.execute(
            "UPDATE events SET data = '{not json' WHERE stream_id = ?1 AND version = 1",
            [id],
        )
        .expect("update");
    })
    .await;
    assert_eq!(bad, Some(1));
}

#[tokio::test]
async fn the_append_only_triggers_refuse_edits_through_sql() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, _) = five_event_stream(dir.path()).await;
    let db = rusqlite::Connection::open(&file).expect("opens");
    let update = db.execute("UPDATE events SET data = '{}'", []);
    let delete = db.execute("DELETE FROM events", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
