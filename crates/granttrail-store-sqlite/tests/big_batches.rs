//! Batches large enough to span several `INSERT` statements, on both of
//! the writer's paths: every event, code and idempotency record lands, in
//! order, chained.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use granttrail_store::{
    AppendOutcome, EventStore, ExpectedVersion, IdempotencyRecord, StreamBound, chain,
};
use granttrail_store_conformance::{append, event, new_stream, staff};
use granttrail_store_sqlite::SqliteStore;

async fn store() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("big.db").display());
    (Arc::new(SqliteStore::open(&url).await.unwrap()), dir)
}

#[tokio::test]
async fn appends_of_many_events_land_whole_and_chained() {
    let (store, _dir) = store().await;
    let id = new_stream();
    // 150 events: chunks of 64, 64, 16, 4, 2. The first append of a fresh
    // writer takes the checked path, the second the prepared one.
    for (expected, first_step) in [
        (ExpectedVersion::NoStream, 1),
        (ExpectedVersion::Exact(150), 151),
    ] {
        let mut request = append(id, expected);
        request.events = (first_step..first_step + 150).map(event).collect();
        match store.append(request).await.unwrap() {
            AppendOutcome::Appended(events) => assert_eq!(events.len(), 150),
            other => panic!("{other:?}"),
        }
    }
    let stream = store.read_stream(id, StreamBound::default()).await.unwrap();
    assert_eq!(stream.len(), 300);
    for (n, stored) in stream.iter().enumerate() {
        assert_eq!(stored.version, n as u64 + 1);
        assert_eq!(
            stored.data["step"],
            n as u64 + 1,
            "the data of version {}",
            n + 1
        );
    }
    let head = store.stream_head(id).await.unwrap();
    assert!(chain::verify(id, &stream, head.as_ref()).ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_keyed_appends_keep_every_record() {
    let (store, _dir) = store().await;
    let record = |n: usize, stream_id| IdempotencyRecord {
        key: format!("key-{n}"),
        actor_id: staff().id,
        fingerprint: format!("fp-{n}"),
        stream_id,
        status: 201,
        etag: Some("\"1\"".into()),
        body: format!("{{\"n\":{n}}}"),
    };
    let signings: Vec<_> = (0..300)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut request = append(new_stream(), ExpectedVersion::NoStream);
                request.idempotency = Some(record(n, request.stream_id));
                request.reserve_code = Some(format!("CODE-{n}"));
                store.append(request).await.unwrap()
            })
        })
        .collect();
    for signing in signings {
        assert!(matches!(signing.await.unwrap(), AppendOutcome::Appended(_)));
    }
    for n in 0..300 {
        let found = store
            .find_idempotency(&staff().id, &format!("key-{n}"))
            .await
            .unwrap();
        assert_eq!(
            found.map(|r| r.body),
            Some(format!("{{\"n\":{n}}}")),
            "key-{n}"
        );
    }
    let codes: i64 = sqlx::query_scalar("SELECT count(*) FROM project_codes")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(codes, 300);
}
