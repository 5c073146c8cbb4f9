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
