//! The project list projection: rebuilt from position 0 it equals the
//! live one, row by row, after the seed and a generated workload with
//! conflicts and returned self-reports; runners of two processes sharing
//! one database apply each event exactly once.
//!
//! Runs on SQLite, or on PostgreSQL with `GRANTTRAIL_TEST_BACKEND=postgres`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use granttrail_app::{App, AppError, Caller, CommandRequest, ProjectListQuery};
use granttrail_domain::{BusinessDate, CommandKind};
use granttrail_projections::{PointInTime, ProjectView};
use granttrail_store::{
    AppendOutcome, AppendRequest, EventStore, IdempotencyRecord, ProjectionStore, StoreError,
    StoredEvent, StreamBound, StreamHead, TokenStore,
};
use granttrail_store_postgres::testing::TestSchema;
use granttrail_store_sqlite::SqliteStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

fn seed_bodies() -> Vec<(CommandKind, Value)> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    fixture["projects"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                serde_json::from_value(c["command"].clone()).unwrap(),
                c["body"].clone(),
            )
        })
        .collect()
}

/// Where a test's data lives: a SQLite file by default, a PostgreSQL schema
/// of its own when `GRANTTRAIL_TEST_BACKEND=postgres` (`make
/// test-postgres`). The same tests run on both.
enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(Box<TestSchema>),
}

impl Database {
    async fn fresh() -> Database {
        match std::env::var("GRANTTRAIL_TEST_BACKEND").as_deref() {
            Ok("postgres") => Database::Postgres(Box::new(TestSchema::create().await)),
            _ => Database::Sqlite(tempfile::tempdir().unwrap()),
        }
    }

    /// A new app on this database: call twice for two processes' worth of
    /// stores and runners sharing it.
    async fn app(&self) -> App {
        let (store, tokens, projections): (
            Arc<dyn EventStore>,
            Arc<dyn TokenStore>,
            Arc<dyn ProjectionStore>,
        ) = match self {
            Database::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("p.db").display());
                let store = SqliteStore::open(&url).await.unwrap();
                (
                    Arc::new(store.clone()),
                    Arc::new(store.clone()),
                    Arc::new(store),
                )
            }
            Database::Postgres(schema) => {
                let store = schema.store().await;
                (
                    Arc::new(store.clone()),
                    Arc::new(store.clone()),
                    Arc::new(store),
                )
            }
        };
        self.app_over(store, tokens, projections)
    }

    /// A new app on this database whose appends carry no project-list
    /// rows, as an import by an older binary writes them: only the runner
    /// keeps the list.
    async fn app_without_inline_rows(&self) -> App {
        let app = self.app().await;
        let store: Arc<dyn EventStore> = Arc::new(WithoutRows(app.store().clone()));
        let (tokens, projections) = match self {
            Database::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("p.db").display());
                let store = SqliteStore::open(&url).await.unwrap();
                let tokens: Arc<dyn TokenStore> = Arc::new(store.clone());
                let projections: Arc<dyn ProjectionStore> = Arc::new(store);
                (tokens, projections)
            }
            Database::Postgres(schema) => {
                let store = schema.store().await;
                let tokens: Arc<dyn TokenStore> = Arc::new(store.clone());
                let projections: Arc<dyn ProjectionStore> = Arc::new(store);
                (tokens, projections)
            }
        };
        self.app_over(store, tokens, projections)
    }

    fn app_over(
        &self,
        store: Arc<dyn EventStore>,
        tokens: Arc<dyn TokenStore>,
        projections: Arc<dyn ProjectionStore>,
    ) -> App {
        App::new(store, tokens, projections)
            // After the seed's last day (its facts cannot be dated after
            // today), before the extension the overdue test makes.
            .with_today(Arc::new(|| BusinessDate::from_ymd(2023, 3, 1).unwrap()))
    }
}

/// A store that drops the project-list row of every append.
struct WithoutRows(Arc<dyn EventStore>);

#[async_trait::async_trait]
impl EventStore for WithoutRows {
    async fn append(&self, mut request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        request.project_row = None;
        self.0.append(request).await
    }
    async fn read_stream(
        &self,
        id: Uuid,
        bound: StreamBound,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.0.read_stream(id, bound).await
    }
    async fn read_all(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.0.read_all(after, limit).await
    }
    async fn stream_head(&self, id: Uuid) -> Result<Option<StreamHead>, StoreError> {
        self.0.stream_head(id).await
    }
    async fn stream_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        self.0.stream_ids().await
    }
    async fn find_idempotency(
        &self,
        actor_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.0.find_idempotency(actor_id, key).await
    }
    async fn last_position(&self) -> Result<i64, StoreError> {
        self.0.last_position().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.0.ping().await
    }
    fn subscribe(&self) -> tokio::sync::watch::Receiver<i64> {
        self.0.subscribe()
    }
}

async fn run(
    app: &App,
    id: Uuid,
    kind: CommandKind,
    body: &Value,
    if_match: Option<u64>,
) -> Result<u64, AppError> {
    let request = CommandRequest {
        project_id: id,
        command: kind.read_body(body).unwrap(),
        if_match,
        idempotency: None,
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    };
    let response = app.execute(&Caller::operator("test"), request).await?;
    Ok(
        serde_json::from_str::<Value>(&response.body).unwrap()["version"]
            .as_u64()
            .unwrap(),
    )
}

async fn whole_list(app: &App) -> Vec<ProjectView> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let query = ProjectListQuery {
            limit: 37,
            cursor,
            ..Default::default()
        };
        let page = app
            .list_projects(&Caller::operator("test"), query)
            .await
            .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next.parse().unwrap()),
            None => return all,
        }
    }
}

/// Drives one project along a random path through the lifecycle: extra
/// extensions, returned self-reports, stale versions (refused), extra
/// drafts; stops anywhere.
async fn random_project(app: &App, rng: &mut StdRng, org: &str) -> usize {
    let bodies = seed_bodies();
    let id = Uuid::now_v7();
    let mut sign = bodies[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    sign["executor"]["org_id"] = json!(org);
    let mut version = run(app, id, CommandKind::Sign, &sign, None).await.unwrap();
    let mut refused = 0;
    let steps = rng.random_range(0..12);
    let mut stage_step = 1; // index into the seed's commands
    for _ in 0..steps {
        if rng.random_bool(0.15) {
            // A stale If-Match: refused, nothing written.
            let stale = run(
                app,
                id,
                bodies[1].0,
                &bodies[1].1,
                Some(version.saturating_sub(1)),
            )
            .await;
            assert!(
                matches!(stale, Err(AppError::VersionMismatch { .. })),
                "{stale:?}"
            );
            refused += 1;
            continue;
        }
        if stage_step == 3 && rng.random_bool(0.3) {
            // Return the self-report, then resubmit it.
            let returned =
                json!({"reviewed_on": "2023-02-15", "outcome": "returned", "comments": "补充材料"});
            version = run(app, id, CommandKind::Review, &returned, Some(version))
                .await
                .unwrap();
            let mut again = bodies[2].1.clone();
            again["submitted_on"] = json!("2023-02-16");
            version = run(
                app,
                id,
                CommandKind::SubmitSelfReport,
                &again,
                Some(version),
            )
            .await
            .unwrap();
            let mut accept = bodies[3].1.clone();
            accept["reviewed_on"] = json!("2023-02-16");
            version = run(app, id, CommandKind::Review, &accept, Some(version))
                .await
                .unwrap();
            stage_step = 4;
            continue;
        }
        if stage_step >= bodies.len() {
            break;
        }
        let (kind, body) = &bodies[stage_step];
        match run(app, id, *kind, body, Some(version)).await {
            Ok(v) => {
                version = v;
                stage_step += 1;
            }
            Err(AppError::Rejected(_)) => {
                refused += 1;
                stage_step += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuilt_project_list_equals_the_live_one_row_by_row() {
    let database = Database::fresh().await;
    let app = database.app().await;
    let mut rng = StdRng::seed_from_u64(20230228);
    let mut refused = 0;
    for n in 0..300 {
        refused += random_project(&app, &mut rng, &format!("org-{}", n % 7)).await;
        if n % 50 == 0 {
            // Catch up part-way, as the runner would while commands flow.
            app.catch_up_projections().await.unwrap();
        }
    }
    let events = app.store().last_position().await.unwrap();
    assert!(
        events > 1500,
        "a workload of thousands of events ({events})"
    );
    assert!(refused > 20, "the workload includes refusals ({refused})");

    let live = whole_list(&app).await;
    assert_eq!(live.len(), 300);
    let mut progress = Vec::new();
    app.rebuild_projections(|done, total| progress.push((done, total)))
        .await
        .unwrap();
    assert!(
        progress
            .last()
            .is_some_and(|(done, total)| *done == events && *total == events),
        "{progress:?}"
    );
    let rebuilt = whole_list(&app).await;
    assert_eq!(rebuilt, live);

    // And each row is what folding the stream itself gives.
    for view in &live {
        let folded = app
            .project(&Caller::operator("test"), view.id, PointInTime::Latest)
            .await
            .unwrap();
        assert_eq!(&folded, view);
    }
    let stages: std::collections::HashSet<_> = live.iter().map(|v| v.project.stage).collect();
    assert!(
        stages.len() >= 5,
        "the workload reaches most stages: {stages:?}"
    );
}

#[tokio::test]
async fn the_list_filters_by_stage_executor_and_overdue() {
    let database = Database::fresh().await;
    let app = database.app().await;
    let bodies = seed_bodies();
    let mut sign = bodies[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    let overdue = Uuid::now_v7();
    run(&app, overdue, CommandKind::Sign, &sign, None)
        .await
        .unwrap();
    let extended = Uuid::now_v7();
    let v = run(&app, extended, CommandKind::Sign, &sign, None)
        .await
        .unwrap();
    let mut extension = bodies[1].1.clone();
    extension["new_end"] = json!("2023-06-30");
    run(&app, extended, CommandKind::Extend, &extension, Some(v))
        .await
        .unwrap();
    let mut other = sign.clone();
    other["executor"]["org_id"] = json!("another-org");
    run(&app, Uuid::now_v7(), CommandKind::Sign, &other, None)
        .await
        .unwrap();

    let list = |query: ProjectListQuery| {
        let app = app.clone();
        async move {
            app.list_projects(&Caller::operator("t"), query)
                .await
                .unwrap()
                .items
        }
    };
    // Today is 2023-03-01: the unextended projects ended on 2022-10-10,
    // the extended one runs to 2023-06-30.
    let late = list(ProjectListQuery {
        overdue: Some(true),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(late.len(), 2);
    assert!(late.iter().all(|v| v.overdue && v.id != extended));
    let on_time = list(ProjectListQuery {
        overdue: Some(false),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(
        on_time.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![extended]
    );
    let theirs = list(ProjectListQuery {
        executor: Some("another-org".into()),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(theirs.len(), 1);
    let signed = list(ProjectListQuery {
        stage: Some(granttrail_domain::Stage::Signed),
        limit: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(signed.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_neither_repeats_nor_skips_while_projects_are_added() {
    let database = Database::fresh().await;
    let app = database.app().await;
    let mut sign = seed_bodies()[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    let mut before = Vec::new();
    for _ in 0..60 {
        let id = Uuid::now_v7();
        run(&app, id, CommandKind::Sign, &sign, None).await.unwrap();
        before.push(id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        // Another project signs between every two pages.
        run(&app, Uuid::now_v7(), CommandKind::Sign, &sign, None)
            .await
            .unwrap();
        let query = ProjectListQuery {
            limit: 7,
            cursor,
            ..Default::default()
        };
        let page = app
            .list_projects(&Caller::operator("t"), query)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|v| v.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next.parse().unwrap()),
            None => break,
        }
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no project twice");
    assert!(
        before.iter().all(|id| unique.contains(id)),
        "every project that existed at the start"
    );
}

#[tokio::test]
async fn a_command_keeps_the_project_list_current_in_its_own_commit() {
    let database = Database::fresh().await;
    let app = database.app().await;
    let mut sign = seed_bodies()[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    let id = Uuid::now_v7();
    run(&app, id, CommandKind::Sign, &sign, None).await.unwrap();
    // No runner has run: on SQLite the row and the checkpoint moved with
    // the event (on PostgreSQL the row moves; the checkpoint is the
    // runner's, which then applies nothing new).
    if matches!(database, Database::Sqlite(_)) {
        assert_eq!(app.projection_lag().await.unwrap(), 0);
        assert_eq!(app.events_projected(), 0, "the runner applied nothing");
    }
    let rows = whole_list(&app).await;
    assert_eq!(rows.iter().map(|v| v.id).collect::<Vec<_>>(), vec![id]);
    // A runner that catches up later applies nothing twice.
    app.catch_up_projections().await.unwrap();
    assert_eq!(whole_list(&app).await, rows);
}

#[tokio::test]
async fn readiness_sees_how_far_the_projection_trails_the_log() {
    let database = Database::fresh().await;
    let app = database.app_without_inline_rows().await;
    let mut sign = seed_bodies()[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    for _ in 0..5 {
        run(&app, Uuid::now_v7(), CommandKind::Sign, &sign, None)
            .await
            .unwrap();
    }
    assert_eq!(app.projection_behind(), 5, "nothing projected yet");
    assert_eq!(app.projection_lag().await.unwrap(), 5);
    app.catch_up_projections().await.unwrap();
    assert_eq!(app.projection_behind(), 0);
    assert_eq!(app.projection_lag().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_of_two_processes_on_one_database_apply_each_event_once() {
    let database = Database::fresh().await;
    let (first, second) = (
        database.app_without_inline_rows().await,
        database.app_without_inline_rows().await,
    );
    let mut rng = StdRng::seed_from_u64(7);
    // Commands go through both; both runners catch up as they go, racing
    // for the same checkpoint.
    for n in 0..60 {
        let app = if n % 2 == 0 { &first } else { &second };
        random_project(app, &mut rng, &format!("org-{}", n % 3)).await;
        if n % 10 == 0 {
            let (a, b) = tokio::join!(first.catch_up_projections(), second.catch_up_projections());
            a.unwrap();
            b.unwrap();
        }
        // Between the races, each takes a turn alone, so both surely do
        // part of the work whichever wins the races.
        match n % 20 {
            5 => _ = first.catch_up_projections().await.unwrap(),
            15 => _ = second.catch_up_projections().await.unwrap(),
            _ => {}
        }
    }
    let (a, b) = tokio::join!(first.catch_up_projections(), second.catch_up_projections());
    let head = first.store().last_position().await.unwrap();
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (head, head),
        "both reach the head"
    );
    let shared = whole_list(&first).await;
    assert_eq!(shared, whole_list(&second).await, "one list, seen by both");
    assert_eq!(shared.len(), 60);
    let events: u64 = shared.iter().map(|v| v.project.version).sum();
    assert_eq!(
        first.events_projected() + second.events_projected(),
        events,
        "each event applied by exactly one of the two runners"
    );
    assert!(
        first.events_projected() > 0 && second.events_projected() > 0,
        "both runners did part of the work"
    );

    // Each row is what folding its stream gives: nothing applied twice,
    // nothing missed.
    for view in &shared {
        let folded = first
            .project(&Caller::operator("test"), view.id, PointInTime::Latest)
            .await
            .unwrap();
        assert_eq!(&folded, view);
    }
    second.rebuild_projections(|_, _| {}).await.unwrap();
    assert_eq!(whole_list(&first).await, shared, "equal to a rebuild");
}

/// Not a projection, but it needs an app on a real store: a process that
/// was given no signing key signs nothing (it once signed with a key of its
/// own that no auditor knew).
#[tokio::test]
async fn an_app_given_no_signing_key_signs_nothing() {
    let database = Database::fresh().await;
    let app = database.app().await;
    assert!(matches!(app.signing_key_info(), Err(AppError::Internal(_))));
    assert!(matches!(app.log_signer(), Err(AppError::Internal(_))));
    let keyed = app.with_signing_key(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
    assert!(keyed.signing_key_info().is_ok());
}
