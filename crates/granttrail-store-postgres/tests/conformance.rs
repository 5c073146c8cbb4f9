//! The store conformance suite against a real PostgreSQL, each test in a
//! schema of its own.

use std::sync::Arc;

use granttrail_store_postgres::PostgresStore;
use granttrail_store_postgres::testing::TestSchema;

async fn fresh() -> (Arc<PostgresStore>, TestSchema) {
    let schema = TestSchema::create().await;
    (Arc::new(schema.store().await), schema)
}

granttrail_store_conformance::store_conformance_tests!(fresh());

/// Given a stored event, when anyone updates, deletes or truncates the
/// log through SQL, then the database refuses and the event is unchanged.
#[tokio::test]
async fn the_log_refuses_updates_deletes_and_truncation() {
    use granttrail_store::{EventStore, ExpectedVersion};
    use granttrail_store_conformance::{append, new_stream};

    let (store, _schema) = fresh().await;
    store
        .append(append(new_stream(), ExpectedVersion::NoStream))
        .await
        .expect("appended");
    for statement in [
        "UPDATE events SET data = '{}'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let refused = sqlx::query(statement).execute(store.pool()).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
    let events = store.read_all(0, 10).await.expect("read");
    assert_eq!(events.len(), 1);
    assert_ne!(events[0].data, serde_json::json!({}));
}

/// Given two servers' stores on one database, when one appends, then the
/// other's followers are woken with the new position (LISTEN/NOTIFY), not
/// left to their poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_hear_of_another_servers_commits() {
    use granttrail_store::{AppendOutcome, EventStore, ExpectedVersion};
    use granttrail_store_conformance::{append, new_stream};

    let (store, schema) = fresh().await;
    let other = schema.store().await;
    let mut woken = other.subscribe();
    // The listener connects in the background; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let AppendOutcome::Appended(events) = store
        .append(append(new_stream(), ExpectedVersion::NoStream))
        .await
        .expect("appended")
    else {
        panic!("a new stream");
    };
    let position = events[0].position;
    tokio::time::timeout(
        std::time::Duration::from_millis(800),
        woken.wait_for(|seen| *seen >= position),
    )
    .await
    .expect("told well within the followers' one-second poll")
    .expect("the store is alive");
}
