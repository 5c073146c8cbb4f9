//! A reader of the global log never skips an event that commits after a
//! later-numbered one: a transaction holds its insert open while another
//! append commits a larger position.

use std::str::FromStr;

use granttrail_store::{EventStore, ExpectedVersion};
use granttrail_store_conformance::{append, new_stream};
use granttrail_store_postgres::PostgresStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_commit_is_never_skipped_by_a_reader() {
    let url = std::env::var("GRANTTRAIL_TEST_POSTGRES_URL").expect(
        "set GRANTTRAIL_TEST_POSTGRES_URL to run the PostgreSQL suite (make test-postgres)",
    );
    let schema = format!("gt_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::connect(&url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let store = PostgresStore::open_with(options.clone()).await.unwrap();

    // The slow writer: an append whose transaction stays open.
    let mut slow = PgConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN").execute(&mut slow).await.unwrap();
    let slow_position: i64 = sqlx::query_scalar(
        "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, occurred_on, recorded_at, \
         actor_id, actor_name, actor_role, correlation_id, data, prev_hash, hash) \
         VALUES (gen_random_uuid(), 1, gen_random_uuid(), 'ProjectSigned', 1, '2022-05-11', '2026-01-01T00:00:00.000000Z', \
         'a', 'a', 'staff', gen_random_uuid(), '{}', '', 'h') RETURNING position",
    )
    .fetch_one(&mut slow)
    .await
    .unwrap();

    // A fast append commits a larger position meanwhile.
    let fast = match store
        .append(append(new_stream(), ExpectedVersion::NoStream))
        .await
        .unwrap()
    {
        granttrail_store::AppendOutcome::Appended(events) => events[0].position,
        other => panic!("{other:?}"),
    };
    assert!(fast > slow_position);

    // While the slow transaction is open, the reader sees neither: reading
    // the fast one now would let a follower pass the slow one for good.
    let visible = store.read_all(0, 100).await.unwrap();
    assert!(visible.iter().all(|e| e.position != fast), "{visible:?}");

    sqlx::query("COMMIT").execute(&mut slow).await.unwrap();
    let after: Vec<i64> = store
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(
        after,
        vec![slow_position, fast],
        "both, in position order, once the slow one committed"
    );

    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}
