//! # granttrail-store-conformance: what every event store must do
//!
//! Written once, generic over [`EventStore`], and run against every real
//! backend by [`store_conformance_tests!`]: each backend's test file names
//! how to make a fresh store, and gets every test below.
//!
//! Each check is a plain async function that panics on a broken promise,
//! so it reads as the rule it checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;

use granttrail_domain::{BusinessDate, EncodedEvent};
use granttrail_store::{
    Actor, AppendOutcome, AppendRequest, EventStore, ExpectedVersion, IdempotencyRecord, NewEvent,
    StoreError, StoredEvent, StreamBound, chain,
};
use serde_json::json;
use uuid::Uuid;

mod projections;
mod sessions;

pub use projections::{
    an_append_moves_its_project_row_forward_only, checkpoint_steps_have_one_winner,
    the_list_is_searched_by_text_and_signing_date,
};
pub use sessions::{
    a_session_reads_back_with_its_token_until_it_ends,
    a_user_is_added_once_found_listed_and_disabled_once,
};

/// Expands to one `#[tokio::test]` per conformance check, each on a fresh
/// store made by `$fresh`: an async expression yielding `(Arc<S>, guard)`,
/// where the guard (a temporary directory, a database to drop) lives as
/// long as the test.
#[macro_export]
macro_rules! store_conformance_tests {
    ($fresh:expr) => {
        $crate::store_conformance_tests!(@each $fresh;
            expected_version_semantics,
            one_writer_wins_each_version,
            a_conflict_in_a_batch_fails_alone,
            idempotent_retry_appends_nothing,
            project_codes_are_unique,
            project_codes_compare_without_case,
            concurrent_code_reservations_have_one_winner,
            reads_see_acknowledged_writes,
            global_log_is_in_commit_order,
            hash_chain_links_and_verifies,
            stream_reads_can_be_bounded,
            followers_are_told_of_commits,
            multi_event_appends_are_atomic_and_chained,
            checkpoint_steps_have_one_winner,
            hashes_read_as_the_log_does,
            an_append_moves_its_project_row_forward_only,
            recorded_at_never_goes_back_along_the_log,
            the_list_is_searched_by_text_and_signing_date,
            a_session_reads_back_with_its_token_until_it_ends,
            a_user_is_added_once_found_listed_and_disabled_once
        );
    };
    (@each $fresh:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $fresh.await;
                $crate::$name(store).await;
            }
        )*
    };
}

/// The actor used by the suite.
pub fn staff() -> Actor {
    Actor {
        id: "tok-staff".into(),
        name: "项目负责人".into(),
        role: "staff".into(),
        org_id: None,
    }
}

/// A new stream id, time-ordered as the app makes them.
pub fn new_stream() -> Uuid {
    Uuid::now_v7()
}

/// One event whose data says which step it is.
pub fn event(step: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event: EncodedEvent {
            event_type: if step == 1 {
                "ProjectSigned"
            } else {
                "PeriodExtended"
            }
            .into(),
            schema_version: 1,
            data: json!({"step": step, "text": "全龄友好", "amount": "50000.00"}),
        },
        occurred_on: BusinessDate::from_ymd(2022, 5, 11).unwrap(),
    }
}

/// An append of one event at `expected`.
pub fn append(stream_id: Uuid, expected: ExpectedVersion) -> AppendRequest {
    AppendRequest {
        stream_id,
        expected,
        events: vec![event(expected.as_u64() + 1)],
        actor: staff(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        idempotency: None,
        reserve_code: None,
        project_row: None,
    }
}

async fn appended<S: EventStore + ?Sized>(store: &S, request: AppendRequest) -> Vec<StoredEvent> {
    match store.append(request).await {
        Ok(AppendOutcome::Appended(events)) => events,
        other => panic!("expected the append to succeed, got {other:?}"),
    }
}

/// Appends `n` events to a new stream, one command each.
pub async fn stream_of<S: EventStore + ?Sized>(store: &S, n: u64) -> Uuid {
    let id = new_stream();
    appended(store, append(id, ExpectedVersion::NoStream)).await;
    for v in 1..n {
        appended(store, append(id, ExpectedVersion::Exact(v))).await;
    }
    id
}

/// No stream / exact N, and the conflicts that name expected and actual.
pub async fn expected_version_semantics<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = new_stream();
    let first = appended(&*store, append(id, ExpectedVersion::NoStream)).await;
    assert_eq!(first[0].version, 1);
    assert_eq!(
        store.append(append(id, ExpectedVersion::NoStream)).await,
        Err(StoreError::VersionConflict {
            stream_id: id,
            expected: 0,
            actual: 1
        })
    );
    appended(&*store, append(id, ExpectedVersion::Exact(1))).await;
    assert_eq!(
        store.append(append(id, ExpectedVersion::Exact(1))).await,
        Err(StoreError::VersionConflict {
            stream_id: id,
            expected: 1,
            actual: 2
        })
    );
    let missing = new_stream();
    assert_eq!(
        store
            .append(append(missing, ExpectedVersion::Exact(3)))
            .await,
        Err(StoreError::VersionConflict {
            stream_id: missing,
            expected: 3,
            actual: 0
        })
    );
    assert_eq!(store.stream_head(missing).await.unwrap(), None);
    assert_eq!(store.stream_head(id).await.unwrap().unwrap().version, 2);
}

/// Many tasks racing for the same version: exactly one wins each round.
pub async fn one_writer_wins_each_version<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = stream_of(&*store, 1).await;
    for version in 1..=5u64 {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .append(append(id, ExpectedVersion::Exact(version)))
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(AppendOutcome::Appended(_)) => wins += 1,
                Err(StoreError::VersionConflict { actual, .. }) => assert_eq!(actual, version + 1),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1, "exactly one append wins version {}", version + 1);
    }
    let events = store.read_stream(id, StreamBound::default()).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
}

/// Conflicting appends queued beside good ones fail alone.
pub async fn a_conflict_in_a_batch_fails_alone<S: EventStore + ?Sized>(store: Arc<S>) {
    let streams: Vec<Uuid> = (0..8).map(|_| new_stream()).collect();
    for id in &streams {
        appended(&*store, append(*id, ExpectedVersion::NoStream)).await;
    }
    // Even streams get a good append, odd ones a stale one; all at once.
    let tasks: Vec<_> = streams
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let store = store.clone();
            let expected = if i % 2 == 0 { 1 } else { 7 };
            let id = *id;
            tokio::spawn(async move {
                (
                    i,
                    store
                        .append(append(id, ExpectedVersion::Exact(expected)))
                        .await,
                )
            })
        })
        .collect();
    for task in tasks {
        let (i, result) = task.await.unwrap();
        if i % 2 == 0 {
            assert!(
                matches!(result, Ok(AppendOutcome::Appended(_))),
                "stream {i}: {result:?}"
            );
        } else {
            assert!(
                matches!(result, Err(StoreError::VersionConflict { .. })),
                "stream {i}: {result:?}"
            );
        }
    }
    for (i, id) in streams.iter().enumerate() {
        let head = store.stream_head(*id).await.unwrap().unwrap();
        assert_eq!(head.version, if i % 2 == 0 { 2 } else { 1 });
    }
}

fn record(key: &str, stream_id: Uuid, body: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        actor_id: staff().id,
        fingerprint: format!("fp-{body}"),
        stream_id,
        status: 201,
        etag: Some("\"1\"".into()),
        body: body.into(),
    }
}

/// A retried command with the same key returns the first answer and
/// writes nothing.
pub async fn idempotent_retry_appends_nothing<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = new_stream();
    let mut first = append(id, ExpectedVersion::NoStream);
    first.idempotency = Some(record("key-1", id, "{\"first\":true}"));
    let events = appended(&*store, first.clone()).await;
    assert_eq!(events[0].idempotency_key.as_deref(), Some("key-1"));

    let mut retry = append(id, ExpectedVersion::Exact(1));
    retry.idempotency = Some(record("key-1", id, "{\"second\":true}"));
    match store.append(retry).await.unwrap() {
        AppendOutcome::AlreadyDone(previous) => assert_eq!(previous.body, "{\"first\":true}"),
        other => panic!("expected a replay, got {other:?}"),
    }
    assert_eq!(store.stream_head(id).await.unwrap().unwrap().version, 1);
    let found = store
        .find_idempotency(&staff().id, "key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.fingerprint, "fp-{\"first\":true}");
    assert_eq!(found.status, 201);
    assert_eq!(
        store
            .find_idempotency("another-token", "key-1")
            .await
            .unwrap(),
        None
    );
}

fn signing_with_code(code: &str) -> AppendRequest {
    let mut request = append(new_stream(), ExpectedVersion::NoStream);
    request.reserve_code = Some(code.into());
    request
}

/// `JT-1` and `jt-1` are one code: the second reservation is refused and
/// names the project holding the first.
pub async fn project_codes_compare_without_case<S: EventStore + ?Sized>(store: Arc<S>) {
    let first = signing_with_code("JT-CASE-1");
    let holder = first.stream_id;
    appended(&*store, first).await;
    let second = signing_with_code("jt-case-1");
    let loser = second.stream_id;
    assert_eq!(
        store.append(second).await,
        Err(StoreError::DuplicateCode {
            code: "jt-case-1".into(),
            holder
        })
    );
    assert_eq!(store.stream_head(loser).await.unwrap(), None);
}

/// A project code belongs to one project; a refused signing leaves no trace.
pub async fn project_codes_are_unique<S: EventStore + ?Sized>(store: Arc<S>) {
    let first = signing_with_code("JTCF-2022-XGXD-01");
    let holder = first.stream_id;
    appended(&*store, first).await;
    let second = signing_with_code("JTCF-2022-XGXD-01");
    let loser = second.stream_id;
    assert_eq!(
        store.append(second).await,
        Err(StoreError::DuplicateCode {
            code: "JTCF-2022-XGXD-01".into(),
            holder
        })
    );
    assert_eq!(store.stream_head(loser).await.unwrap(), None);
    assert!(
        store
            .read_stream(loser, StreamBound::default())
            .await
            .unwrap()
            .is_empty()
    );
    appended(&*store, signing_with_code("JTCF-2022-XGXD-02")).await;
}

/// Racing signings with one code: one wins, the rest are duplicates.
pub async fn concurrent_code_reservations_have_one_winner<S: EventStore + ?Sized>(store: Arc<S>) {
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.append(signing_with_code("RACE-1")).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(AppendOutcome::Appended(_)) => wins += 1,
            Err(StoreError::DuplicateCode { .. }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

/// Once an append is acknowledged, every read sees it.
pub async fn reads_see_acknowledged_writes<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = new_stream();
    let written = appended(&*store, append(id, ExpectedVersion::NoStream)).await;
    let read = store.read_stream(id, StreamBound::default()).await.unwrap();
    assert_eq!(read, written);
    let head = store.stream_head(id).await.unwrap().unwrap();
    assert_eq!((head.version, head.hash), (1, written[0].hash.clone()));
    assert!(store.last_position().await.unwrap() >= written[0].position);
    assert!(store.stream_ids().await.unwrap().contains(&id));
    store.ping().await.unwrap();
}

/// The global log holds every event once, in increasing position order,
/// and pages by position without gaps or repeats.
pub async fn global_log_is_in_commit_order<S: EventStore + ?Sized>(store: Arc<S>) {
    let before = store.last_position().await.unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { stream_of(&*store, 5).await })
        })
        .collect();
    let mut streams = HashSet::new();
    for task in tasks {
        streams.insert(task.await.unwrap());
    }
    let mut seen = Vec::new();
    let mut after = before;
    loop {
        let page = store.read_all(after, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap().position;
        seen.extend(page);
    }
    let ours: Vec<&StoredEvent> = seen
        .iter()
        .filter(|e| streams.contains(&e.stream_id))
        .collect();
    assert_eq!(ours.len(), 30);
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    for id in &streams {
        let versions: Vec<u64> = ours
            .iter()
            .filter(|e| e.stream_id == *id)
            .map(|e| e.version)
            .collect();
        assert_eq!(
            versions,
            vec![1, 2, 3, 4, 5],
            "each stream's events in version order"
        );
    }
}

/// Every event's hash recomputes and links to its predecessor.
pub async fn hash_chain_links_and_verifies<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = stream_of(&*store, 4).await;
    let events = store.read_stream(id, StreamBound::default()).await.unwrap();
    assert_eq!(events[0].prev_hash, "");
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for event in &events {
        assert_eq!(chain::compute_hash(event), event.hash);
        assert_eq!(event.hash.len(), 64);
        assert!(
            event
                .hash
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
    let report = store.verify_stream(id).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.events, 4);
    assert_eq!(report.head_hash.as_deref(), Some(events[3].hash.as_str()));
}

/// Reading up to a version or a recorded-at instant.
pub async fn stream_reads_can_be_bounded<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = stream_of(&*store, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let cut = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    appended(&*store, append(id, ExpectedVersion::Exact(2))).await;
    let upto = |up_to_version| StreamBound {
        up_to_version,
        recorded_at_or_before: None,
    };
    assert_eq!(store.read_stream(id, upto(Some(1))).await.unwrap().len(), 1);
    assert_eq!(
        store.read_stream(id, upto(Some(99))).await.unwrap().len(),
        3
    );
    let known = StreamBound {
        up_to_version: None,
        recorded_at_or_before: Some(cut),
    };
    assert_eq!(store.read_stream(id, known).await.unwrap().len(), 2);
    let events = store.read_stream(id, StreamBound::default()).await.unwrap();
    let exact = StreamBound {
        up_to_version: None,
        recorded_at_or_before: Some(events[2].recorded_at),
    };
    assert_eq!(
        store.read_stream(id, exact).await.unwrap().len(),
        3,
        "the bound is inclusive"
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0].recorded_at <= w[1].recorded_at)
    );
}

/// Followers waiting on the commit channel wake up for new events.
pub async fn followers_are_told_of_commits<S: EventStore + ?Sized>(store: Arc<S>) {
    let mut follower = store.subscribe();
    let written = appended(&*store, append(new_stream(), ExpectedVersion::NoStream)).await;
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while *follower.borrow_and_update() < written[0].position {
            follower.changed().await.unwrap();
        }
    })
    .await
    .expect("the follower was told of the commit");
}

/// Several events in one append share its fate and continue the chain.
pub async fn multi_event_appends_are_atomic_and_chained<S: EventStore + ?Sized>(store: Arc<S>) {
    let id = new_stream();
    let mut request = append(id, ExpectedVersion::NoStream);
    request.events = vec![event(1), event(2), event(3)];
    let events = appended(&*store, request).await;
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(events[1].prev_hash, events[0].hash);
    assert!(store.verify_stream(id).await.unwrap().ok);
    // The answer is the events as stored, data and all.
    assert_eq!(
        store.read_stream(id, StreamBound::default()).await.unwrap(),
        events
    );
    assert!(events.iter().all(|e| !e.data.is_null()));
    let mut stale = append(id, ExpectedVersion::Exact(1));
    stale.events = vec![event(2), event(3)];
    assert!(store.append(stale).await.is_err());
    assert_eq!(
        store
            .read_stream(id, StreamBound::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

/// The log's hashes are the events' own, in the same order.
pub async fn hashes_read_as_the_log_does<S: EventStore + ?Sized>(store: Arc<S>) {
    for _ in 0..3 {
        stream_of(&*store, 3).await;
    }
    let events = store.read_all(2, 5).await.unwrap();
    let hashes = store.read_hashes(2, 5).await.unwrap();
    let expected: Vec<granttrail_store::EventHash> = events.iter().map(Into::into).collect();
    assert_eq!(hashes, expected);
    assert_eq!(hashes.len(), 5);
}

/// Given appends from many tasks at once, the log read by position never
/// shows an instant before its predecessor's: "known at" reads agree with
/// commit order. (Each backend also tests it against a clock that goes
/// back: SQLite's planner, PostgreSQL's servers with skewed clocks.)
pub async fn recorded_at_never_goes_back_along_the_log<S: EventStore + ?Sized>(store: Arc<S>) {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { stream_of(&*store, 3).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let log = store.read_all(0, 100).await.unwrap();
    assert_eq!(log.len(), 24);
    assert!(
        log.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at),
        "recorded_at along the log"
    );
}
