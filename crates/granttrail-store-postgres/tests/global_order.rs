//! A reader of the global log never skips an event, however commits
//! interleave: writers that hold their transactions open are made to race
//! a follower, and the follower must end up with every committed position.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use granttrail_store::{AppendOutcome, EventStore, ExpectedVersion};
use granttrail_store_conformance::{append, new_stream};
use granttrail_store_postgres::testing::TestSchema;
use granttrail_store_postgres::{POSITION_LOCK, PostgresStore};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// A writer that follows the store's protocol by hand, so a test can hold
/// its transaction open at the two places that matter: after it has a
/// transaction id (before it queues for positions) and after it has drawn
/// its position (before it commits).
struct SlowWriter {
    connection: PgConnection,
}

impl SlowWriter {
    async fn begin(options: &PgConnectOptions) -> SlowWriter {
        let mut connection = PgConnection::connect_with(options).await.unwrap();
        sqlx::query("BEGIN").execute(&mut connection).await.unwrap();
        // An id now, as a stream lock would give it: a transaction id older
        // than those of appends that overtake it while it waits.
        sqlx::query("SELECT pg_current_xact_id()")
            .execute(&mut connection)
            .await
            .unwrap();
        SlowWriter { connection }
    }

    /// Queues for positions and inserts one event; returns its position.
    async fn insert(&mut self) -> i64 {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(POSITION_LOCK)
            .execute(&mut self.connection)
            .await
            .unwrap();
        sqlx::query_scalar(
            "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, occurred_on, \
             recorded_at, actor_id, actor_name, actor_role, correlation_id, data, prev_hash, hash) \
             VALUES (gen_random_uuid(), 1, gen_random_uuid(), 'ProjectSigned', 1, '2022-05-11', \
             '2026-01-01T00:00:00.000000Z', 'a', 'a', 'staff', gen_random_uuid(), '{}', '', 'h') \
             RETURNING position",
        )
        .fetch_one(&mut self.connection)
        .await
        .unwrap()
    }

    async fn commit(mut self) {
        sqlx::query("COMMIT")
            .execute(&mut self.connection)
            .await
            .unwrap();
    }
}

async fn append_new_stream(store: &PostgresStore) -> i64 {
    match store
        .append(append(new_stream(), ExpectedVersion::NoStream))
        .await
        .unwrap()
    {
        AppendOutcome::Appended(events) => events[0].position,
        other => panic!("{other:?}"),
    }
}

async fn all_positions(store: &PostgresStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT position FROM events ORDER BY position")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_transaction_holds_back_every_later_position() {
    let schema = TestSchema::create().await;
    let (options, store) = (schema.options(), Arc::new(schema.store().await));

    let mut slow = SlowWriter::begin(&options).await;
    let slow_position = slow.insert().await;

    // A second append queues behind the open transaction rather than
    // committing a larger position a follower could read first.
    let fast = tokio::spawn({
        let store = Arc::clone(&store);
        async move { append_new_stream(&store).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!fast.is_finished(), "the later append waits for positions");
    assert!(store.read_all(0, 100).await.unwrap().is_empty());

    slow.commit().await;
    let fast_position = fast.await.unwrap();
    let seen: Vec<i64> = store
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(seen, vec![slow_position, fast_position]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_racing_delayed_commits_reads_every_event() {
    let schema = TestSchema::create().await;
    let (options, store) = (schema.options(), Arc::new(schema.store().await));
    let writing = Arc::new(AtomicBool::new(true));

    // The follower reads pages after its cursor, as projections and SSE do,
    // and never goes back.
    let follower = tokio::spawn({
        let (store, writing) = (Arc::clone(&store), Arc::clone(&writing));
        async move {
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                let done = !writing.load(Ordering::SeqCst);
                let page = store.read_all(cursor, 50).await.unwrap();
                for event in &page {
                    assert!(event.position > cursor, "order: {page:?}");
                    cursor = event.position;
                    seen.push(event.position);
                }
                if done && page.is_empty() {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });

    // Slow writers take their ids early and sleep on both sides of drawing
    // a position; ordinary appends run between them.
    let mut writers = Vec::new();
    for writer in 0..6u64 {
        let (store, options) = (Arc::clone(&store), options.clone());
        writers.push(tokio::spawn(async move {
            for round in 0..15u64 {
                let pause = |salt: u64| Duration::from_millis((writer * 7 + round * 13 + salt) % 9);
                if (writer + round) % 2 == 0 {
                    let mut slow = SlowWriter::begin(&options).await;
                    tokio::time::sleep(pause(1)).await;
                    slow.insert().await;
                    tokio::time::sleep(pause(5)).await;
                    slow.commit().await;
                } else {
                    append_new_stream(&store).await;
                }
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    writing.store(false, Ordering::SeqCst);
    let seen = follower.await.unwrap();

    let committed = all_positions(&store).await;
    assert_eq!(committed.len(), 6 * 15);
    let missed: BTreeSet<i64> = committed
        .iter()
        .copied()
        .filter(|p| !seen.contains(p))
        .collect();
    assert!(missed.is_empty(), "the follower skipped {missed:?}");
    assert_eq!(seen, committed);
}
