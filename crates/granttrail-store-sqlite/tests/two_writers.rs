//! Two stores — two processes' worth of writers — on one SQLite file.
//!
//! Each writer answers most batches from what it remembers of the file
//! (stream heads, the last position). When the other one has written
//! since, that memory is stale: these tests make sure a stale memory never
//! writes a wrong version, a reused position, a taken code or key, or a
//! refusal the file does not justify.

#![allow(clippy::unwrap_used)]

use granttrail_store::{
    AppendOutcome, EventStore, ExpectedVersion, IdempotencyRecord, StoreError, StreamBound, chain,
};
use granttrail_store_conformance::{append, new_stream, staff};
use granttrail_store_sqlite::SqliteStore;

async fn two_stores() -> (SqliteStore, SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let first = SqliteStore::open(&url).await.unwrap();
    let second = SqliteStore::open(&url).await.unwrap();
    (first, second, dir)
}

async fn appended(store: &SqliteStore, request: granttrail_store::AppendRequest) -> i64 {
    match store.append(request).await.unwrap() {
        AppendOutcome::Appended(events) => events[0].position,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stale_writer_neither_reuses_versions_nor_positions() {
    let (first, second, _dir) = two_stores().await;
    let id = new_stream();
    appended(&first, append(id, ExpectedVersion::NoStream)).await;
    appended(&first, append(id, ExpectedVersion::Exact(1))).await;
    // The second writer moves the stream on behind the first one's back.
    appended(&second, append(id, ExpectedVersion::Exact(2))).await;

    // The first still remembers version 2: the file says 3.
    assert_eq!(
        first.append(append(id, ExpectedVersion::Exact(2))).await,
        Err(StoreError::VersionConflict {
            stream_id: id,
            expected: 2,
            actual: 3
        })
    );
    // And a client that saw version 3 (through the other server) succeeds.
    let position = appended(&first, append(id, ExpectedVersion::Exact(3))).await;

    // Another stream, written by the second writer after the first one's
    // last commit: positions must not collide.
    let other = new_stream();
    appended(&second, append(other, ExpectedVersion::NoStream)).await;
    let later = appended(&first, append(id, ExpectedVersion::Exact(4))).await;
    assert!(later > position + 1, "a fresh position after the other's");

    let log = first.read_all(0, 100).await.unwrap();
    let positions: Vec<i64> = log.iter().map(|e| e.position).collect();
    let mut sorted = positions.clone();
    sorted.dedup();
    assert_eq!(positions, sorted);
    let stream = first.read_stream(id, StreamBound::default()).await.unwrap();
    assert_eq!(
        stream.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    let head = first.stream_head(id).await.unwrap();
    let report = chain::verify(id, &stream, head.as_ref());
    assert!(report.ok, "one unbroken chain: {report:?}");
}

#[tokio::test]
async fn a_stale_writer_never_takes_a_code_or_key_the_other_took() {
    let (first, second, _dir) = two_stores().await;
    // Warm the first writer so it answers from memory.
    appended(&first, append(new_stream(), ExpectedVersion::NoStream)).await;

    let mut signing = append(new_stream(), ExpectedVersion::NoStream);
    signing.reserve_code = Some("CODE-1".into());
    let holder = signing.stream_id;
    appended(&second, signing).await;
    let mut again = append(new_stream(), ExpectedVersion::NoStream);
    again.reserve_code = Some("CODE-1".into());
    assert_eq!(
        first.append(again).await,
        Err(StoreError::DuplicateCode {
            code: "CODE-1".into(),
            holder
        })
    );

    let record = |stream_id| IdempotencyRecord {
        key: "key-1".into(),
        actor_id: staff().id,
        fingerprint: "fp".into(),
        stream_id,
        status: 201,
        etag: Some("\"1\"".into()),
        body: "{}".into(),
    };
    let mut keyed = append(new_stream(), ExpectedVersion::NoStream);
    keyed.idempotency = Some(record(keyed.stream_id));
    appended(&second, keyed.clone()).await;
    let mut retry = append(new_stream(), ExpectedVersion::NoStream);
    retry.idempotency = Some(record(keyed.stream_id));
    assert!(matches!(
        first.append(retry.clone()).await.unwrap(),
        AppendOutcome::AlreadyDone(_)
    ));
    assert_eq!(first.stream_head(retry.stream_id).await.unwrap(), None);
}

/// The file's commit count as it stands, and a way to put it back: the
/// window between another process's commit and its count, when this
/// writer still trusts its memory of the file.
fn count_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("shared.db-commits")
}

#[tokio::test]
async fn a_commit_not_counted_yet_never_misleads_the_writers_memory() {
    let (first, second, dir) = two_stores().await;
    let id = new_stream();
    appended(&first, append(id, ExpectedVersion::NoStream)).await;

    // The second writer moves the stream; its count has not landed yet.
    let count = std::fs::read(count_file(&dir)).unwrap();
    appended(&second, append(id, ExpectedVersion::Exact(1))).await;
    std::fs::write(count_file(&dir), &count).unwrap();

    // The first one's memory says version 1; the file says 2. A client
    // that saw version 2 is not refused on the memory's word.
    match first.append(append(id, ExpectedVersion::Exact(2))).await {
        Ok(AppendOutcome::Appended(events)) => assert_eq!(events[0].version, 3),
        other => panic!("{other:?}"),
    }

    // The second writer takes the next position; the first one's memory
    // of the last position is stale, and its new stream must not reuse it.
    let count = std::fs::read(count_file(&dir)).unwrap();
    let taken = appended(&second, append(new_stream(), ExpectedVersion::NoStream)).await;
    std::fs::write(count_file(&dir), &count).unwrap();
    let fresh = appended(&first, append(new_stream(), ExpectedVersion::NoStream)).await;
    assert_eq!(fresh, taken + 1);

    let positions: Vec<i64> = first
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, (1..=5).collect::<Vec<_>>());
}
