//! The SQLite event store beside a raw rusqlite baseline, in one process
//! and one run: same file format, same schema, same pragmas (WAL,
//! `synchronous=FULL`), and the same libsqlite3 (rusqlite's `bundled` and
//! sqlx's `sqlite-bundled` resolve to one libsqlite3-sys).
//!
//! Both run under the system allocator, as the issue's reference figures
//! were taken; the `granttrail` binary ships with mimalloc, which speeds
//! the raw loop's decoding more than the store (docs/benchmarks.md).
//!
//! `make bench` runs it; docs/benchmarks.md records the figures.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use granttrail_domain::BusinessDate;
use granttrail_store::{
    Actor, AppendOutcome, EventStore, ExpectedVersion, StoredEvent, StreamBound, format_instant,
    now_micros,
};
use granttrail_store_conformance::{append, stream_of};
use granttrail_store_sqlite::SqliteStore;
use rusqlite::params;
use uuid::Uuid;

const SCHEMA: &str = include_str!("../migrations/0001_event_store.sql");

fn raw_connection(file: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(file).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .unwrap();
    db
}

fn raw_database(dir: &Path) -> rusqlite::Connection {
    let db = raw_connection(&dir.join("raw.db"));
    db.execute_batch(SCHEMA).unwrap();
    db
}

/// Inserts one event row (the schema's trigger moves its stream's head),
/// with no checks and no hashing: the floor under the store.
fn raw_insert(tx: &rusqlite::Connection, stream: Uuid, version: i64, recorded_at: &str) {
    tx.execute(
        "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, occurred_on, \
         recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, causation_id, \
         idempotency_key, data, prev_hash, hash) \
         VALUES (?1, ?2, ?3, 'PeriodExtended', 1, '2022-05-11', ?4, 'tok-staff', '项目负责人', 'staff', NULL, ?5, NULL, NULL, ?6, '', ?7)",
        params![
            stream.as_bytes().as_slice(),
            version,
            Uuid::now_v7().as_bytes().as_slice(),
            recorded_at,
            Uuid::now_v7().as_bytes().as_slice(),
            r#"{"step":1,"text":"全龄友好","amount":"50000.00"}"#,
            "0000000000000000000000000000000000000000000000000000000000000000"
        ],
    )
    .unwrap();
}

/// Decodes a row exactly as the store does: JSON data, dates, ids.
fn raw_decode(row: &rusqlite::Row<'_>) -> StoredEvent {
    let blob = |i: usize| Uuid::from_slice(&row.get::<_, Vec<u8>>(i).unwrap()).unwrap();
    let text = |i: usize| row.get::<_, String>(i).unwrap();
    StoredEvent {
        position: row.get(0).unwrap(),
        stream_id: blob(1),
        version: row.get::<_, i64>(2).unwrap() as u64,
        event_id: blob(3),
        event_type: text(4),
        schema_version: row.get::<_, i64>(5).unwrap() as u32,
        occurred_on: BusinessDate::parse(&text(6)).unwrap(),
        recorded_at: DateTime::parse_from_rfc3339(&text(7))
            .unwrap()
            .with_timezone(&Utc),
        actor: Actor {
            id: text(8),
            name: text(9),
            role: text(10),
            org_id: row.get(11).unwrap(),
        },
        correlation_id: blob(12),
        causation_id: row
            .get::<_, Option<Vec<u8>>>(13)
            .unwrap()
            .map(|b| Uuid::from_slice(&b).unwrap()),
        idempotency_key: row.get(14).unwrap(),
        data: serde_json::from_str(&text(15)).unwrap(),
        prev_hash: text(16),
        hash: text(17),
    }
}

const COLUMNS: &str = "position, stream_id, version, event_id, event_type, schema_version, occurred_on, \
    recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, causation_id, \
    idempotency_key, data, prev_hash, hash";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn open_store(dir: &Path) -> Arc<SqliteStore> {
    Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.join("store.db").display()))
            .await
            .unwrap(),
    )
}

/// `appenders` tasks, each on its own project, append `total` events in all.
async fn concurrent_appends(store: &Arc<SqliteStore>, appenders: u64, total: u64) -> Duration {
    let mut streams = Vec::new();
    for _ in 0..appenders {
        streams.push(stream_of(&**store, 1).await);
    }
    let per_task = total.div_ceil(appenders);
    let started = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|id| {
            let store = store.clone();
            tokio::spawn(async move {
                for v in 1..=per_task {
                    let outcome = store
                        .append(append(id, ExpectedVersion::Exact(v)))
                        .await
                        .unwrap();
                    assert!(matches!(outcome, AppendOutcome::Appended(_)));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// Events in the seed project's life, signing to finalization.
const LIFECYCLE: u64 = 8;

/// `appenders` tasks append `total` events in all, each as the product
/// writes them: a new project (a new, time-ordered stream id), its life of
/// [`LIFECYCLE`] events one command at a time, then the next project.
async fn concurrent_lifecycles(store: &Arc<SqliteStore>, appenders: u64, total: u64) -> Duration {
    let per_task = total.div_ceil(appenders);
    let started = Instant::now();
    let tasks: Vec<_> = (0..appenders)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut stream = Uuid::now_v7();
                for n in 0..per_task {
                    let version = n % LIFECYCLE;
                    let expected = if version == 0 {
                        stream = Uuid::now_v7();
                        ExpectedVersion::NoStream
                    } else {
                        ExpectedVersion::Exact(version)
                    };
                    let outcome = store.append(append(stream, expected)).await.unwrap();
                    assert!(matches!(outcome, AppendOutcome::Appended(_)));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// `n` events into a new stream, one transaction each.
fn raw_single_commits(raw: &rusqlite::Connection, n: u64) -> Duration {
    let stream = Uuid::now_v7();
    let started = Instant::now();
    for v in 1..=n {
        let tx = raw.unchecked_transaction().unwrap();
        raw_insert(&tx, stream, v as i64, &format_instant(&now_micros()));
        tx.commit().unwrap();
    }
    started.elapsed()
}

/// `n` events into a new stream, 100 per transaction.
fn raw_batches(raw: &rusqlite::Connection, n: u64) -> Duration {
    let stream = Uuid::now_v7();
    let started = Instant::now();
    let mut v = 0i64;
    while v < n as i64 {
        let tx = raw.unchecked_transaction().unwrap();
        let at = format_instant(&now_micros());
        for _ in 0..100.min(n as i64 - v) {
            v += 1;
            raw_insert(&tx, stream, v, &at);
        }
        tx.commit().unwrap();
    }
    started.elapsed()
}

/// 64 streams written in transactions of one event each.
struct Spread {
    streams: Vec<Uuid>,
    versions: Vec<i64>,
}

impl Spread {
    fn new() -> Spread {
        Spread {
            streams: (0..64).map(|_| Uuid::now_v7()).collect(),
            versions: vec![0; 64],
        }
    }

    fn write(&mut self, raw: &rusqlite::Connection, n: u64) -> Duration {
        let started = Instant::now();
        let mut done = 0u64;
        while done < n {
            let tx = raw.unchecked_transaction().unwrap();
            let at = format_instant(&now_micros());
            for (stream, version) in self.streams.iter().zip(self.versions.iter_mut()) {
                if done == n {
                    break;
                }
                *version += 1;
                done += 1;
                raw_insert(&tx, *stream, *version, &at);
            }
            tx.commit().unwrap();
        }
        started.elapsed()
    }
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    let raw = raw_database(dir.path());
    group.bench_function("rusqlite: one event per transaction", |b| {
        b.iter_custom(|iters| raw_single_commits(&raw, iters))
    });
    group.bench_function("rusqlite: batches of 100 events", |b| {
        b.iter_custom(|iters| raw_batches(&raw, iters))
    });
    // The same batches spread over 64 streams, one event each, as the
    // store's 64 appenders write them: every batch then touches 64 places
    // in the (stream_id, version) index instead of one. Not the issue's
    // baseline; reported beside it to show what locality alone costs.
    let mut spread = Spread::new();
    group.bench_function("rusqlite: batches of 64 events across 64 streams", |b| {
        b.iter_custom(|iters| spread.write(&raw, iters))
    });
    drop(raw);

    let store = rt.block_on(open_store(dir.path()));
    for appenders in [1u64, 8, 64] {
        group.bench_function(format!("store: {appenders} concurrent appenders"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(concurrent_appends(&store, appenders, iters.max(appenders)))
            })
        });
    }
    // The same 64 appenders writing projects' whole lives: the streams
    // being written are the newest, so their index entries sit together
    // at the right-hand edge (the rows above keep 64 streams growing for
    // the whole run, each in its own part of the index).
    group.bench_function("store: 64 concurrent appenders, 8-event projects", |b| {
        b.iter_custom(|iters| rt.block_on(concurrent_lifecycles(&store, 64, iters.max(64))))
    });
    group.finish();
}

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let store = rt.block_on(open_store(dir.path()));
    // A log of 20,000 events: 200 projects of 100 events each.
    let streams: Vec<Uuid> = rt.block_on(async {
        let mut ids = Vec::new();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for _ in 0..25 {
                        ids.push(stream_of(&*store, 100).await);
                    }
                    ids
                })
            })
            .collect();
        for task in tasks {
            ids.extend(task.await.unwrap());
        }
        ids
    });
    let one = streams[17];
    let raw = raw_connection(&dir.path().join("store.db"));
    let total: i64 = raw
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();

    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(100));
    group.bench_function("rusqlite: one stream of 100 events, decoded", |b| {
        let mut statement = raw
            .prepare(&format!(
                "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY version"
            ))
            .unwrap();
        b.iter(|| {
            let events: Vec<StoredEvent> = statement
                .query_map([one.as_bytes().as_slice()], |r| Ok(raw_decode(r)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(events.len(), 100);
        })
    });
    group.bench_function("store: one stream of 100 events", |b| {
        b.iter(|| {
            let events = rt
                .block_on(store.read_stream(one, StreamBound::default()))
                .unwrap();
            assert_eq!(events.len(), 100);
        })
    });

    group.throughput(Throughput::Elements(total as u64));
    group.sample_size(10);
    group.bench_function("rusqlite: whole global log, decoded", |b| {
        let mut statement = raw
            .prepare(&format!(
                "SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT 1000"
            ))
            .unwrap();
        b.iter(|| {
            let mut after = 0i64;
            let mut seen = 0;
            loop {
                let page: Vec<StoredEvent> = statement
                    .query_map([after], |r| Ok(raw_decode(r)))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let Some(last) = page.last() else { break };
                after = last.position;
                seen += page.len();
            }
            assert_eq!(seen as i64, total);
        })
    });
    group.bench_function("store: whole global log", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut after = 0i64;
                let mut seen = 0;
                loop {
                    let page = store.read_all(after, 1000).await.unwrap();
                    let Some(last) = page.last() else { break };
                    after = last.position;
                    seen += page.len();
                }
                assert_eq!(seen as i64, total);
            })
        })
    });
    group.finish();
}

/// The targets' ratios measured side by side many times: each round runs
/// the store and its raw baseline back to back (in alternating order), so
/// both see the same moment of a shared machine, and the median of the
/// rounds' ratios is printed. Criterion's groups run one after another
/// for seconds each, and on these machines the disk's speed moves in that
/// time. Runs when no filter is given, or with the filter `ratios`.
fn ratios(_: &mut Criterion) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| "ratios".contains(f.as_str())) {
        return;
    }
    let rounds: usize = std::env::var("GRANTTRAIL_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(11);
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let raw = raw_database(dir.path());
    let store = rt.block_on(open_store(dir.path()));
    let mut spread = Spread::new();
    let rate = |events: u64, took: Duration| events as f64 / took.as_secs_f64();
    let (mut single, mut batched, mut across) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let store_first = round % 2 == 1;
        let mut one = [0.0; 2];
        let mut many = [0.0; 3];
        for step in 0..2 {
            if (step == 0) == store_first {
                one[1] = rate(600, rt.block_on(concurrent_appends(&store, 1, 600)));
                many[2] = rate(12_800, rt.block_on(concurrent_appends(&store, 64, 12_800)));
            } else {
                one[0] = rate(600, raw_single_commits(&raw, 600));
                many[0] = rate(20_000, raw_batches(&raw, 20_000));
                many[1] = rate(12_800, spread.write(&raw, 12_800));
            }
        }
        single.push(one[1] / one[0]);
        batched.push(many[2] / many[0]);
        across.push(many[2] / many[1]);
    }
    let summary = |ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        format!(
            "median {median:.2} × (rounds: {:.2} … {:.2})",
            ratios[0],
            ratios[ratios.len() - 1]
        )
    };
    println!("ratios, {rounds} rounds, store and baseline back to back in each:");
    println!(
        "  store, 1 appender / rusqlite single commits:        {}",
        summary(&mut single)
    );
    println!(
        "  store, 64 appenders / rusqlite batches of 100:      {}",
        summary(&mut batched)
    );
    println!(
        "  store, 64 appenders / rusqlite across 64 streams:   {}",
        summary(&mut across)
    );
}

criterion_group!(benches, appends, reads, ratios);
criterion_main!(benches);
