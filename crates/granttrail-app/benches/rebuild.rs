//! Projection rebuild rate on a large store, beside the raw rate of reading
//! and decoding the same events, in one process and one run.
//!
//! A one-shot measurement (a rebuild of a million events takes tens of
//! seconds; criterion's repeated sampling would take an hour). The store is
//! generated once into `target/bench-data/` and reused by later runs.
//!
//! `cargo bench -p granttrail-app --bench rebuild -- [EVENTS] [PROJECTS]`
//! (defaults 1 000 000 and 50 000); `make bench` runs it.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use granttrail_app::App;
use granttrail_domain::{CommandKind, ProjectEvent, decide, fold};
use granttrail_store::{
    Actor, AppendOutcome, AppendRequest, EventStore, ExpectedVersion, NewEvent,
};
use granttrail_store_sqlite::SqliteStore;
use serde_json::Value;
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

/// A project history of `len` events: sign, extend, then extensions by a
/// day each (the cheapest event to generate in bulk that the lifecycle
/// allows any number of times).
fn history(len: usize) -> Vec<ProjectEvent> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    let commands = fixture["projects"][0]["commands"].as_array().unwrap();
    let mut sign = commands[0]["body"].clone();
    sign.as_object_mut().unwrap().remove("code");
    let mut events = decide(None, &CommandKind::Sign.read_body(&sign).unwrap()).unwrap();
    let mut end = chrono::NaiveDate::from_ymd_opt(2022, 10, 10).unwrap();
    while events.len() < len {
        end = end.succ_opt().unwrap();
        let body = serde_json::json!({"decided_on": "2022-09-30", "new_end": end.to_string(), "reason": "疫情影响，延期"});
        let state = fold(&events).unwrap();
        events.extend(
            decide(
                state.as_ref(),
                &CommandKind::Extend.read_body(&body).unwrap(),
            )
            .unwrap(),
        );
    }
    events
}

async fn generate(store: &Arc<SqliteStore>, events: usize, projects: usize) {
    let per_project = events / projects;
    let template = Arc::new(history(per_project));
    let started = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|task| {
            let store = store.clone();
            let template = template.clone();
            tokio::spawn(async move {
                for _ in (task..projects).step_by(64) {
                    let id = Uuid::now_v7();
                    // A whole project per append: generation speed is not
                    // what this benchmark measures.
                    let request = AppendRequest {
                        stream_id: id,
                        expected: ExpectedVersion::NoStream,
                        events: template
                            .iter()
                            .map(|e| NewEvent {
                                event_id: Uuid::now_v7(),
                                event: e.encode(),
                                occurred_on: e.occurred_on(),
                            })
                            .collect(),
                        actor: Actor {
                            id: "bench".into(),
                            name: "bench".into(),
                            role: "operator".into(),
                            org_id: None,
                        },
                        correlation_id: id,
                        causation_id: None,
                        idempotency: None,
                        reserve_code: None,
                        project_row: None,
                    };
                    assert!(matches!(
                        store.append(request).await.unwrap(),
                        AppendOutcome::Appended(_)
                    ));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    eprintln!(
        "generated {events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let events = args.first().copied().unwrap_or(1_000_000);
    let projects = args.get(1).copied().unwrap_or(50_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("rebuild-{events}-{projects}.db"));
    let url = format!("sqlite://{}", file.display());
    let store = Arc::new(SqliteStore::open(&url).await.unwrap());
    if store.last_position().await.unwrap() < events as i64 {
        generate(&store, events, projects).await;
    }
    let total = store.last_position().await.unwrap();

    // Raw: read and decode every event, page by page, into domain events.
    let started = Instant::now();
    let mut after = 0;
    let mut decoded = 0usize;
    loop {
        let page = store.read_all(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        for e in &page {
            ProjectEvent::decode_parts(&e.event_type, e.schema_version, &e.data).unwrap();
        }
        decoded += page.len();
    }
    let raw = decoded as f64 / started.elapsed().as_secs_f64();

    let app = App::new(store.clone(), store.clone(), store.clone());
    let started = Instant::now();
    app.rebuild_projections(|_, _| {}).await.unwrap();
    let rebuild = total as f64 / started.elapsed().as_secs_f64();

    println!(
        "rebuild benchmark: {total} events across {projects} projects ({})",
        file.display()
    );
    println!("read and decode (raw):  {raw:>10.0} events/s");
    println!("rebuild project list:   {rebuild:>10.0} events/s");
    println!("rebuild / raw:          {:>10.3}", rebuild / raw);
}
