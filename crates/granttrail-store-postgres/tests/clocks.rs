//! Servers whose clocks disagree still record instants that never go
//! back along the log: what `known_at` reads and `verify` rely on.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};
use granttrail_store::{EventStore, ExpectedVersion, now_micros};
use granttrail_store_conformance::{append, new_stream};
use granttrail_store_postgres::PostgresStore;
use granttrail_store_postgres::testing::TestSchema;

/// A server whose clock is an hour behind.
fn an_hour_behind() -> DateTime<Utc> {
    now_micros() - Duration::hours(1)
}

#[tokio::test]
async fn a_server_whose_clock_is_behind_never_records_before_the_newest_event() {
    let schema = TestSchema::create().await;
    let ahead = schema.store().await;
    let behind = PostgresStore::open_with_clock(schema.options(), an_hour_behind)
        .await
        .unwrap();
    let first = new_stream();
    ahead
        .append(append(first, ExpectedVersion::NoStream))
        .await
        .unwrap();
    // Alone and batched: both of the writer's paths.
    behind
        .append(append(new_stream(), ExpectedVersion::NoStream))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        behind.append(append(new_stream(), ExpectedVersion::NoStream)),
        behind.append(append(first, ExpectedVersion::Exact(1))),
    );
    a.unwrap();
    b.unwrap();

    let log = ahead.read_all(0, 10).await.unwrap();
    assert_eq!(log.len(), 4);
    assert!(
        log.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at),
        "recorded_at along the log: {:?}",
        log.iter().map(|e| e.recorded_at).collect::<Vec<_>>()
    );
}
