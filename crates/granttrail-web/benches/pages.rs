//! Server time of the web view's two heaviest pages, in process (the
//! router called directly: no network, the whole render included):
//! - a project page whose history has 1 000 events;
//! - the list page of 50 000 projects, searched by code.
//!
//! Targets (docs/benchmarks.md): each under 50 ms. A one-shot measurement
//! of the median and the 95th percentile over `SAMPLES` requests; the
//! store is generated once into `target/bench-data/` and reused.
//!
//! `cargo bench -p granttrail-web --bench pages`; `make bench` runs it.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use granttrail_app::{App, Caller, CommandRequest};
use granttrail_domain::CommandKind;
use granttrail_store::{EventStore, Role};
use granttrail_store_sqlite::SqliteStore;
use granttrail_web::{WebState, router};
use http::Request;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");
const PROJECTS: usize = 50_000;
const HISTORY: u64 = 1_000;
const SAMPLES: usize = 60;

fn sign_body(code: &str) -> Value {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    let mut sign = fixture["projects"][0]["commands"][0]["body"].clone();
    sign["code"] = Value::from(code);
    sign
}

async fn run(app: &App, id: Uuid, kind: CommandKind, body: &Value, if_match: Option<u64>) {
    let request = CommandRequest {
        project_id: id,
        command: kind.read_body(body).unwrap(),
        if_match,
        idempotency: None,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    app.execute(&Caller::operator("bench"), request)
        .await
        .unwrap();
}

/// 50 000 signed projects, `BENCH-00000` …, and one of 1 000 events.
async fn generate(app: &App) -> Uuid {
    let started = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|task| {
            let app = app.clone();
            tokio::spawn(async move {
                for n in (task..PROJECTS).step_by(64) {
                    let body = sign_body(&format!("BENCH-{n:05}"));
                    run(&app, Uuid::now_v7(), CommandKind::Sign, &body, None).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let long = Uuid::now_v7();
    run(
        app,
        long,
        CommandKind::Sign,
        &sign_body("LONG-HISTORY"),
        None,
    )
    .await;
    let mut end = chrono::NaiveDate::from_ymd_opt(2022, 10, 10).unwrap();
    for version in 1..HISTORY {
        end = end.succ_opt().unwrap();
        let body = serde_json::json!({
            "decided_on": "2022-09-30", "new_end": end.to_string(), "reason": "疫情影响，延期"
        });
        run(app, long, CommandKind::Extend, &body, Some(version)).await;
    }
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    long
}

async fn timed(web: &axum::Router, uri: &str, cookie: &str) -> Duration {
    let request = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let started = Instant::now();
    let response = web.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200, "{uri}");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(!body.is_empty());
    elapsed
}

fn summary(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("web-{PROJECTS}-{HISTORY}.db"));
    let fresh = !file.exists();
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", file.display()))
            .await
            .unwrap(),
    );
    let app = App::new(store.clone(), store.clone(), store.clone())
        .with_signing_key(ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
    if fresh {
        generate(&app).await;
    }
    app.catch_up_projections().await.unwrap();
    let operator = Caller::operator("bench");
    let token = app
        .create_token(&operator, "bench", Role::Auditor, None, None)
        .await
        .unwrap();
    let session = app
        .start_session(&token.secret, chrono::Duration::hours(1))
        .await
        .unwrap();
    let cookie = format!("granttrail_session={}", session.secret);
    let long = app
        .list_projects(
            &operator,
            granttrail_app::ListParams {
                q: Some("LONG-HISTORY".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let web = router(WebState {
        app: app.clone(),
        session_lifetime: chrono::Duration::hours(1),
        secure_cookies: false,
        exports: Default::default(),
    });
    let events = store.last_position().await.unwrap();

    let mut project = Vec::new();
    let mut search = Vec::new();
    for n in 0..SAMPLES {
        project.push(timed(&web, &format!("/ui/projects/{long}"), &cookie).await);
        let code = format!("BENCH-{:05}", (n * 7919) % PROJECTS);
        search.push(timed(&web, &format!("/ui/projects?q={code}"), &cookie).await);
    }
    let (project_median, project_p95) = summary(project);
    let (search_median, search_p95) = summary(search);
    println!(
        "web pages benchmark: {PROJECTS} projects, {events} events ({})",
        file.display()
    );
    println!(
        "project page, {HISTORY}-event history: median {project_median:.1} ms, p95 {project_p95:.1} ms (target < 50 ms)"
    );
    println!(
        "list searched by code:              median {search_median:.1} ms, p95 {search_p95:.1} ms (target < 50 ms)"
    );
}
