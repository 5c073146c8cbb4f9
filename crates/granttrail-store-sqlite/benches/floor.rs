//! What SQLite itself spends on one signing's rows: the floor under the
//! durable command, with nothing of ours on top.
//!
//! The same migrated schema the server uses, the same pragmas (WAL,
//! `synchronous=FULL`), group commit in batches of 27 (what the server's
//! writer gathers under the pinned harness's 64 connections), one thread
//! pinned by the caller (`taskset -c 0`). Rows as a signing of the seed
//! project writes them: its `ProjectSigned` event row (the data as the
//! store keeps it, a real 64-hex hash chain) and its project-list row (the
//! state as JSON text), each project a new stream.
//!
//! Printed per signing: CPU time (user + system, from /proc/self/stat) and
//! wall time, for
//! - `event row`: the event alone (its indexes and the streams trigger);
//! - `event + list row`: what a signing writes;
//! - `event + bare list row`: the same with the list row's state left
//!   empty (`{}`): the floor of any list that keeps its columns and
//!   indexes but not the state, a lower bound for a leaner schema;
//! - `peer row`: the pinned harness's group-commit peer's 350-byte row in
//!   its own one-index table, for calibration against that harness.
//!
//! `taskset -c 0 cargo bench -p granttrail-store-sqlite --bench floor`;
//! docs/benchmarks.md records the figures beside the HTTP budget.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use granttrail_domain::{CommandKind, decide, evolve};
use granttrail_store_sqlite::SqliteStore;
use rusqlite::params;
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");
const BATCH: usize = 27;
const SIGNINGS: usize = 27 * 400;

/// The seed's signing: its event data and the folded state, as JSON text.
fn signing_rows() -> (String, String) {
    let fixture: serde_json::Value = serde_json::from_str(SEED).unwrap();
    let body = &fixture["projects"][0]["commands"][0]["body"];
    let command = CommandKind::Sign.read_body(body).unwrap();
    let events = decide(None, &command).unwrap();
    let project = evolve(None, &events[0]).unwrap();
    (
        events[0].encode().data.to_string(),
        serde_json::to_string(&project).unwrap(),
    )
}

/// A fresh database with the server's schema (migrated by the store).
fn database(dir: &Path) -> rusqlite::Connection {
    let file = dir.join("floor.db");
    let url = format!("sqlite://{}", file.display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { drop(SqliteStore::open(&url).await.unwrap()) });
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; \
         CREATE TABLE peer_events (position INTEGER PRIMARY KEY AUTOINCREMENT, \
         stream_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL);",
    )
    .unwrap();
    db
}

/// This process's CPU time so far, in seconds (user + system).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // Fields 14 and 15 of the file (utime, stime), counted after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[derive(Clone, Copy, PartialEq)]
enum Rows {
    Event,
    EventAndList,
    EventAndBareList,
    Peer,
}

fn write(db: &rusqlite::Connection, rows: Rows, data: &str, state: &str) -> (f64, f64) {
    let hash = "ab".repeat(32);
    let payload = "x".repeat(350);
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    for _ in 0..SIGNINGS / BATCH {
        db.execute_batch("BEGIN IMMEDIATE").unwrap();
        for _ in 0..BATCH {
            let id = Uuid::now_v7();
            if rows == Rows::Peer {
                db.execute(
                    "INSERT INTO peer_events (stream_id, type, payload, at) VALUES (?1, 'T', ?2, 1)",
                    params![id.to_string(), payload],
                )
                .unwrap();
                continue;
            }
            db.execute(
                "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, \
                 occurred_on, recorded_at, actor_id, actor_name, actor_role, actor_org_id, \
                 correlation_id, causation_id, idempotency_key, data, prev_hash, hash) \
                 VALUES (?1, 1, ?2, 'ProjectSigned', 1, '2022-05-11', '2026-12-07T22:00:00.000000Z', \
                 'tok-staff', 'bench', 'staff', NULL, ?3, NULL, NULL, ?4, '', ?5)",
                params![
                    id.as_bytes().as_slice(),
                    Uuid::now_v7().as_bytes().as_slice(),
                    Uuid::now_v7().as_bytes().as_slice(),
                    data,
                    hash
                ],
            )
            .unwrap();
            if rows != Rows::Event {
                db.execute(
                    "INSERT INTO project_list (id, version, stage, executor_org_id, planned_end, \
                     overdue_from, signed_on, search_text, unresolved_flags, state) \
                     VALUES (?1, 1, 'signed', 'jt-xiaoshuidi', '2022-10-10', '2022-11-10', \
                     '2022-05-11', ?2, 0, ?3)",
                    params![
                        id.as_bytes().as_slice(),
                        "全龄友好自组织培育扶持项目\n金堂县小水滴社会工作服务中心\njt-xiaoshuidi",
                        if rows == Rows::EventAndList {
                            state
                        } else {
                            "{}"
                        }
                    ],
                )
                .unwrap();
            }
        }
        db.execute_batch("COMMIT").unwrap();
    }
    let per = |seconds: f64| seconds * 1e6 / SIGNINGS as f64;
    (per(cpu_seconds() - cpu), per(wall.elapsed().as_secs_f64()))
}

fn main() {
    let (data, state) = signing_rows();
    println!(
        "one signing: event data {} bytes, list state {} bytes; batches of {BATCH}, {SIGNINGS} per run",
        data.len(),
        state.len()
    );
    println!("{:<22} {:>8} {:>8}", "rows", "CPU µs", "wall µs");
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        for (name, rows) in [
            ("peer row", Rows::Peer),
            ("event row", Rows::Event),
            ("event + list row", Rows::EventAndList),
            ("event + bare list row", Rows::EventAndBareList),
        ] {
            let (cpu, wall) = write(&db, rows, &data, &state);
            println!("{name:<22} {cpu:>8.1} {wall:>8.1}   (round {})", round + 1);
        }
    }
}
