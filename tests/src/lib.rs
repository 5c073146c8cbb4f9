//! # granttrail-e2e: drive the real binary
//!
//! Helpers for the end-to-end suites in `tests/tests/`: start
//! `granttrail serve` on port 0 with a fresh database in a temporary
//! directory, make tokens through the real CLI, and talk HTTP to it.
//!
//! The binary is the one `cargo build -p granttrail-cli` (or `make test`)
//! put beside the test executables.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

/// The seed fixture of the repository.
pub const SEED: &str = include_str!("../fixtures/seed-project.json");
/// The source's self-report with its mistyped completion date.
pub const SEED_TYPO: &str = include_str!("../fixtures/seed-typo-self-report.json");
/// The source's mid-term evaluation (not among the seed's commands; it
/// fits after the second, the extension).
pub const SEED_MIDTERM: &str = include_str!("../fixtures/seed-midterm.json");

/// Path of the `granttrail` binary built for this profile.
pub fn binary() -> PathBuf {
    let mut dir = std::env::current_exe().expect("test executable path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let binary = dir.join("granttrail");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p granttrail-cli` (make test does)",
        binary.display()
    );
    binary
}

/// A running `granttrail serve` with its own database; killed on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The database URL it serves.
    pub database: String,
    /// An admin token.
    pub admin: String,
    /// Holds the database file and logs.
    pub dir: tempfile::TempDir,
    log: PathBuf,
    /// Whether dropping this server drops its PostgreSQL schema (the first
    /// server on a database does; [`Server::another`] ones do not).
    owns_database: bool,
    /// Extra environment for `granttrail serve` (settings under test).
    env: Vec<(String, String)>,
}

impl Server {
    /// A server on a fresh database: a SQLite file, or, when
    /// `GRANTTRAIL_TEST_BACKEND=postgres` (`make test-postgres`), a schema
    /// of its own in the PostgreSQL at `GRANTTRAIL_TEST_POSTGRES_URL`,
    /// dropped when the server is.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// [`Server::start`], with `env` set for the server process (e.g.
    /// `GRANTTRAIL_SSE_HEARTBEAT_SECONDS`).
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = fresh_database(&dir);
        Server::start_on_with(dir, database, env)
    }

    /// Whether this server runs on SQLite (some tests edit the file).
    pub fn is_sqlite(&self) -> bool {
        self.database.starts_with("sqlite:")
    }

    /// The SQLite database file (its attachment bytes are in
    /// `<file>.blobs`).
    pub fn database_file(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.database.trim_start_matches("sqlite://"))
    }

    /// A server on `database`, keeping its files in `dir`.
    pub fn start_on(dir: tempfile::TempDir, database: String) -> Server {
        Server::start_on_with(dir, database, &[])
    }

    fn start_on_with(dir: tempfile::TempDir, database: String, env: &[(&str, &str)]) -> Server {
        let admin = cli_in(
            dir.path(),
            &database,
            &["token", "create", "--role", "admin", "--name", "e2e admin"],
        );
        assert!(
            admin.status.success(),
            "token create failed: {}",
            String::from_utf8_lossy(&admin.stderr)
        );
        let admin = String::from_utf8(admin.stdout).unwrap().trim().to_owned();
        let mut server = Server {
            child: None,
            base: String::new(),
            database,
            admin,
            dir,
            log: PathBuf::new(),
            owns_database: true,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        server.spawn();
        server
    }

    /// A second `granttrail serve` process on this server's database, as
    /// behind a load balancer: nothing shared but the database.
    pub fn another(&self) -> Server {
        let mut server = Server {
            child: None,
            base: String::new(),
            database: self.database.clone(),
            admin: self.admin.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            log: PathBuf::new(),
            owns_database: false,
            env: self.env.clone(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = self
            .dir
            .path()
            .join(format!("serve-{}.log", Instant::now().elapsed().as_nanos()));
        let child = Command::new(binary())
            .current_dir(self.dir.path())
            .args([
                "--database",
                &self.database,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("GRANTTRAIL_LOG", "info")
            .envs(key_environment(&self.database))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("granttrail serve starts");
        self.child = Some(child);
        self.log = log;
        self.base = wait_for_address(&self.log);
    }

    /// Starts the server again on the same database (a new port), after
    /// [`Server::kill`] or [`Server::terminate`].
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// [`Server::restart`] with `env` set for this and later starts
    /// (replacing what was set before).
    pub fn restart_with(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.spawn();
    }

    /// Waits until the server's log says `needle` (the server's own signal
    /// that it reached a point), at most 30 s.
    pub fn wait_for_log(&self, needle: &str) {
        let started = Instant::now();
        while !self.log().contains(needle) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server never logged {needle:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Where this server's signing key is kept: beside the SQLite file, or
    /// the file the PostgreSQL tests configure.
    pub fn signing_key_file(&self) -> PathBuf {
        match self.sqlite_file() {
            Some(file) => file.with_file_name("signing-key"),
            None => PathBuf::from(&key_environment(&self.database)[0].1),
        }
    }

    /// The SQLite database file this server serves, if it runs on SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.database.strip_prefix("sqlite://").map(PathBuf::from)
    }

    /// Kills the server with SIGKILL and starts it again on the same
    /// database (a new port).
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, no shutdown.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let mut child = child;
        child.wait().expect("exits")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs a CLI command against this server's database.
    pub fn cli(&self, args: &[&str]) -> Output {
        cli_in(self.dir.path(), &self.database, args)
    }

    /// `granttrail import` of the seed fixture (finalized, version 8),
    /// which must succeed; its output line, `seed\tID\tstage\tversion N`.
    pub fn import_seed(&self) -> String {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-project.json");
        let out = self.cli(&["import", fixture.to_str().expect("a UTF-8 path")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// A new token of `role` through the CLI.
    pub fn token(&self, role: &str, org: Option<&str>) -> String {
        let mut args = vec!["token", "create", "--role", role, "--name", role];
        if let Some(org) = org {
            args.extend(["--org", org]);
        }
        let out = self.cli(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Runs `sql` on the server's database behind its back, as an
    /// attacker with file or database access would: the append-only
    /// triggers are dropped first. `{id}` in `sql` stands for the project
    /// id `id` as the backend stores it.
    pub fn tamper(&self, sql: &str, id: &str) {
        if self.is_sqlite() {
            let blob = format!("X'{}'", id.replace('-', ""));
            self.sql(&format!(
                "DROP TRIGGER IF EXISTS events_are_append_only_update; \
                 DROP TRIGGER IF EXISTS events_are_append_only_delete; {}",
                sql.replace("{id}", &blob)
            ));
        } else {
            self.sql(&format!(
                "DROP TRIGGER IF EXISTS events_are_append_only ON events; {}",
                sql.replace("{id}", &format!("'{id}'::uuid"))
            ));
        }
    }

    /// Another process takes the database's write lock and holds it for
    /// `seconds`, longer than the server waits for a lock (SQLite's busy
    /// timeout, PostgreSQL's `lock_timeout`, 5 s each). Join the handle to
    /// wait for the release.
    pub fn hold_write_lock(&self, seconds: u64) -> std::thread::JoinHandle<()> {
        let database = self.database.clone();
        let sqlite = self.is_sqlite();
        // The holder says when it has the lock; the caller goes on then.
        let (locked, taken) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            if sqlite {
                let file = database.trim_start_matches("sqlite://");
                let db = rusqlite::Connection::open(file).expect("the database file opens");
                db.execute_batch("BEGIN EXCLUSIVE").expect("the lock");
                locked.send(()).expect("the caller waits");
                std::thread::sleep(Duration::from_secs(seconds));
                db.execute_batch("ROLLBACK").expect("the release");
            } else {
                // psql prints `locked` once the lock is taken (it flushes
                // each line), then holds it for `seconds`.
                let mut psql = Command::new("psql")
                    .arg(&database)
                    .args(["-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-f", "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("psql runs");
                let script = format!(
                    "BEGIN;\nLOCK TABLE events IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n\
                     SELECT pg_sleep({seconds});\nROLLBACK;\n"
                );
                std::io::Write::write_all(
                    &mut psql.stdin.take().expect("psql's input"),
                    script.as_bytes(),
                )
                .expect("the script");
                let output = std::io::BufReader::new(psql.stdout.take().expect("psql's output"));
                for line in std::io::BufRead::lines(output) {
                    if line.expect("psql's output").trim() == "locked" {
                        locked.send(()).expect("the caller waits");
                    }
                }
                assert!(psql.wait().expect("psql ends").success(), "psql failed");
            }
        });
        taken.recv().expect("the holder took the lock");
        holder
    }

    /// Runs `sql` on the server's database (SQLite through rusqlite,
    /// PostgreSQL through `psql` in the server's schema) and returns the
    /// first column of the last row it printed, if any.
    pub fn sql(&self, sql: &str) -> Option<String> {
        if self.is_sqlite() {
            let file = self.database.trim_start_matches("sqlite://");
            let db = rusqlite::Connection::open(file).expect("the database file opens");
            let mut last = None;
            for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
                let mut prepared = db.prepare(statement).expect("valid SQL");
                let mut rows = prepared.query([]).expect("SQL runs");
                while let Some(row) = rows.next().expect("SQL runs") {
                    last = row
                        .get::<_, rusqlite::types::Value>(0)
                        .ok()
                        .map(|v| match v {
                            rusqlite::types::Value::Integer(n) => n.to_string(),
                            rusqlite::types::Value::Text(t) => t,
                            other => format!("{other:?}"),
                        });
                }
            }
            last
        } else {
            let out = psql(&self.database, sql);
            out.lines()
                .last()
                .map(str::to_owned)
                .filter(|l| !l.is_empty())
        }
    }

    /// A client for `path` under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let Some((base, schema)) = schema_of(&self.database).filter(|_| self.owns_database) {
            psql(&base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// A new database for the backend under test: a SQLite file in `dir`, or
/// a schema of its own in PostgreSQL.
pub fn fresh_database(dir: &tempfile::TempDir) -> String {
    if std::env::var("GRANTTRAIL_TEST_BACKEND").as_deref() == Ok("postgres") {
        let url = std::env::var("GRANTTRAIL_TEST_POSTGRES_URL")
            .expect("GRANTTRAIL_TEST_BACKEND=postgres needs GRANTTRAIL_TEST_POSTGRES_URL");
        postgres_schema(&url)
    } else {
        format!("sqlite://{}", dir.path().join("granttrail.db").display())
    }
}

/// A fresh schema in the PostgreSQL at `url`, and the URL that selects it.
fn postgres_schema(url: &str) -> String {
    let schema = format!("gt_e2e_{}", std::process::id())
        + &format!(
            "_{}",
            SCHEMAS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
    psql(
        url,
        &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
    );
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

static SCHEMAS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The signing key every process on a PostgreSQL database shares (the
/// setting is required there): one file per test schema.
fn key_environment(database: &str) -> Vec<(String, String)> {
    match schema_of(database) {
        Some((_, schema)) => {
            let file = std::env::temp_dir()
                .join("granttrail-e2e-keys")
                .join(schema)
                .join("signing-key");
            vec![(
                "GRANTTRAIL_SIGNING_KEY_FILE".to_owned(),
                file.display().to_string(),
            )]
        }
        None => Vec::new(),
    }
}

fn schema_of(database: &str) -> Option<(String, String)> {
    let (base, options) = database.split_once("options=-c%20search_path%3D")?;
    Some((
        base.trim_end_matches(['?', '&']).to_owned(),
        options.to_owned(),
    ))
}

/// Runs `sql` through `psql` (tuples only, unaligned) and returns what it
/// printed.
fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .arg(url)
        .args(["-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cli_in(dir: &Path, database: &str, args: &[&str]) -> Output {
    Command::new(binary())
        .current_dir(dir)
        .arg("--database")
        .arg(database)
        .args(args)
        .env("GRANTTRAIL_LOG", "warn")
        .envs(key_environment(database))
        .output()
        .expect("granttrail runs")
}

fn wait_for_address(log: &Path) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        // Only a whole line: the server may be halfway through writing it
        // (a half-read "http://127.0.0." once sent a test to port 80).
        if let Some(line) = text
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .find(|l| l.contains("granttrail listening on "))
        {
            let at = line.find("http://").expect("an address");
            return line[at..].trim().to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The seed project's commands: (route suffix, body), in order; the first
/// is the signing (`""`, i.e. `POST /api/v1/projects`).
pub fn seed_commands() -> Vec<(&'static str, Value)> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    fixture["projects"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (route_of(c["command"].as_str().unwrap()), c["body"].clone()))
        .collect()
}

/// The source's mid-term evaluation as (route suffix, body).
pub fn midterm_command() -> (&'static str, Value) {
    let fixture: Value = serde_json::from_str(SEED_MIDTERM).unwrap();
    (
        route_of(fixture["command"].as_str().unwrap()),
        fixture["body"].clone(),
    )
}

/// A correction of the seed's title (version 1) as (route suffix, body).
pub fn correction_command() -> (&'static str, Value) {
    (
        "/corrections",
        serde_json::json!({
            "corrected_on": "2023-03-01", "version": 1, "field": "/title",
            "value": "全龄友好社区自组织培育扶持项目", "reason": "以协议文本为准"
        }),
    )
}

/// The route suffix of a fixture command name.
pub fn route_of(command: &str) -> &'static str {
    match command {
        "sign" => "",
        "extend" => "/extensions",
        "record_midterm" => "/midterm-evaluations",
        "submit_self_report" => "/self-reports",
        "review" => "/reviews",
        "visit" => "/site-visits",
        "draft" => "/drafts",
        "finalize" => "/finalization",
        "correct" => "/corrections",
        "release_tranche" => "/tranche-releases",
        other => panic!("unknown fixture command {other}"),
    }
}

/// `granttrail verify --bundle FILE --public-key KEY_FILE`, offline (the
/// database it is pointed at does not exist): whether it passed, and what
/// it printed.
pub fn verify_bundle_offline(
    bundle: &std::path::Path,
    key_file: &std::path::Path,
) -> (bool, String) {
    let out = Command::new(binary())
        .args([
            "verify",
            "--bundle",
            bundle.to_str().unwrap(),
            "--public-key",
            key_file.to_str().unwrap(),
        ])
        .env(
            "GRANTTRAIL_DATABASE",
            "sqlite:///nonexistent/never-opened.db",
        )
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `ETag`, if any.
    pub etag: Option<String>,
    /// `Content-Type`, if any.
    pub content_type: String,
    /// `Location`, if any.
    pub location: Option<String>,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// The raw body.
    pub text: String,
}

/// Reads a response whole.
pub async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let etag = header("etag");
    let location = header("location");
    let content_type = header("content-type").unwrap_or_default();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        etag,
        content_type,
        location,
        json,
        text,
    }
}

/// Reads Server-Sent Events `(id, type)` from a response body until
/// `count` arrived (20 s at most); partial blocks stay in `buffer`.
pub async fn read_events(
    response: &mut (impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    count: usize,
) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while events.len() < count {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|v| v.parse().unwrap());
            let kind = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .map(str::to_owned);
            if let (Some(id), Some(kind)) = (id, kind) {
                events.push((id, kind));
            }
        }
        if events.len() >= count {
            break;
        }
        let chunk = tokio::time::timeout_at(deadline, response.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    events
}

/// A small client bound to one token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Another person's token (the server's admin): the four-eyes rules
    /// want a finalization from someone other than the draft's author.
    colleague: String,
    /// The server's log, shown when a request gets no answer.
    log: PathBuf,
}

impl Client {
    /// A client for `server` acting with `token`.
    pub fn new(server: &Server, token: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.base.clone(),
            token: token.to_owned(),
            colleague: server.admin.clone(),
            log: server.log.clone(),
        }
    }

    /// The bearer token this client acts with.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A client acting as another person (the server's admin), for the
    /// acts four eyes reserve to someone else.
    pub fn colleague(&self) -> Client {
        Client {
            http: self.http.clone(),
            base: self.base.clone(),
            token: self.colleague.clone(),
            colleague: self.token.clone(),
            log: self.log.clone(),
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Answer {
        let sent = self.request(reqwest::Method::GET, path).send().await;
        self.answered(sent, path).await
    }

    /// GET `path`; `None` when the connection failed (a killed server).
    pub async fn try_get(&self, path: &str) -> Option<Answer> {
        let response = self.request(reqwest::Method::GET, path).send().await.ok()?;
        Some(answer(response).await)
    }

    /// POST JSON to `path` with optional If-Match version.
    pub async fn post(&self, path: &str, body: &Value, if_match: Option<u64>) -> Answer {
        let sent = self.post_request(path, body, if_match).send().await;
        self.answered(sent, path).await
    }

    /// [`Client::post`]; `None` when the connection failed.
    pub async fn try_post(
        &self,
        path: &str,
        body: &Value,
        if_match: Option<u64>,
    ) -> Option<Answer> {
        let response = self.post_request(path, body, if_match).send().await.ok()?;
        Some(answer(response).await)
    }

    fn post_request(
        &self,
        path: &str,
        body: &Value,
        if_match: Option<u64>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.request(reqwest::Method::POST, path).json(body);
        if let Some(v) = if_match {
            request = request.header("If-Match", format!("\"{v}\""));
        }
        request
    }

    /// The answer to a request the server must answer; if it did not,
    /// the failure names why and shows the server's log.
    async fn answered(&self, sent: reqwest::Result<reqwest::Response>, path: &str) -> Answer {
        match sent {
            Ok(response) => answer(response).await,
            Err(error) => panic!(
                "the server did not answer {path}: {error:?}\n--- server log ---\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }

    /// GET `path`, the response as it came (for bodies that are not JSON).
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
    }

    /// A raw request builder with the token set.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Signs the seed project; returns its id.
    pub async fn sign_seed(&self, code: Option<&str>) -> String {
        let mut body = seed_commands()[0].1.clone();
        match code {
            Some(code) => body["code"] = Value::from(code),
            None => {
                body.as_object_mut().unwrap().remove("code");
            }
        }
        let signed = self.post("/api/v1/projects", &body, None).await;
        assert_eq!(signed.status, 201, "{}", signed.text);
        signed.json["id"].as_str().unwrap().to_owned()
    }
}

/// Drives the seed project through its first `commands` commands (the
/// self-report by the executor's own token); returns the staff client and
/// the project id.
pub async fn seed_project_through(server: &Server, commands: usize) -> (Client, String) {
    let staff = Client::new(server, &server.token("staff", None));
    let executor = Client::new(server, &server.token("executor", Some("jt-xiaoshuidi")));
    let id = staff.sign_seed(None).await;
    for (step, (route, body)) in seed_commands()
        .iter()
        .enumerate()
        .skip(1)
        .take(commands.saturating_sub(1))
    {
        let done = send_seed_step(&staff, &executor, &id, route, body, step as u64).await;
        assert_eq!(done.status, 200, "seed step {step}: {}", done.text);
    }
    (staff, id)
}

/// Sends one seed command to project `id` with `If-Match: "if_match"`:
/// the self-report as the executor (the seed's organisation), the rest as
/// staff.
pub async fn send_seed_step(
    staff: &Client,
    executor: &Client,
    id: &str,
    route: &str,
    body: &Value,
    if_match: u64,
) -> Answer {
    try_send_seed_step(staff, executor, id, route, body, if_match)
        .await
        .expect("the server answers")
}

/// [`send_seed_step`]; `None` when the connection failed.
pub async fn try_send_seed_step(
    staff: &Client,
    executor: &Client,
    id: &str,
    route: &str,
    body: &Value,
    if_match: u64,
) -> Option<Answer> {
    // The draft's author may not finalize it: a colleague does.
    let colleague = staff.colleague();
    let client = match route {
        "/self-reports" => executor,
        "/finalization" => &colleague,
        _ => staff,
    };
    client
        .try_post(
            &format!("/api/v1/projects/{id}{route}"),
            body,
            Some(if_match),
        )
        .await
}

/// The rehash forgery an auditor's checkpoint must convict: event
/// `version` of project `id` gets another site-visit finding, and it and
/// every later event are rehashed along the chain, the stream's head too,
/// through SQL behind the server's back. `events` are the project's
/// events as `/events` served them; the chain verifies afterwards.
pub fn rehash_forgery(server: &Server, id: &str, events: &[Value], version: usize) {
    let mut forged: Vec<granttrail_store::StoredEvent> = events
        .iter()
        .map(|e| serde_json::from_value(e.clone()).unwrap())
        .collect();
    let at = version - 1;
    forged[at].data["findings"] = Value::from("一切正常 (rewritten)");
    for i in at..forged.len() {
        if i > at {
            forged[i].prev_hash = forged[i - 1].hash.clone();
        }
        forged[i].hash = granttrail_store::chain::compute_hash(&forged[i]);
    }
    let mut sql: Vec<String> = forged[at..]
        .iter()
        .map(|e| {
            format!(
                "UPDATE events SET data = '{}', prev_hash = '{}', hash = '{}' \
                 WHERE stream_id = {{id}} AND version = {}",
                e.data.to_string().replace('\'', "''"),
                e.prev_hash,
                e.hash,
                e.version
            )
        })
        .collect();
    sql.push(format!(
        "UPDATE streams SET head_hash = '{}' WHERE stream_id = {{id}}",
        forged.last().unwrap().hash
    ));
    server.tamper(&sql.join("; "), id);
}

/// Every project of the list, page by page, as `client` sees it.
pub async fn whole_list(client: &Client) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = "/api/v1/projects?limit=500".to_owned();
    loop {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        all.extend(page.json["items"].as_array().unwrap().iter().cloned());
        match page.json["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/projects?limit=500&cursor={cursor}"),
            None => return all,
        }
    }
}

/// The bundle's files with `name` replaced by `bytes` and its SHA-256 and
/// size refreshed in the manifest, as a forger without the key would do.
pub fn with_forged_file(files: &[(String, Vec<u8>)], name: &str, bytes: Vec<u8>) -> Vec<u8> {
    use sha2::Digest;
    let mut files = files.to_vec();
    let at = files.iter().position(|(n, _)| n == name).unwrap();
    files[at].1 = bytes;
    let manifest = files
        .iter()
        .position(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut json: Value = serde_json::from_slice(&files[manifest].1).unwrap();
    for entry in json["files"].as_array_mut().unwrap() {
        if entry["name"] == name {
            entry["sha256"] = Value::from(hex::encode(sha2::Sha256::digest(&files[at].1)));
            entry["size"] = Value::from(files[at].1.len());
        }
    }
    files[manifest].1 = serde_json::to_vec_pretty(&json).unwrap();
    zip_of(&files)
}

/// The files of a zip, in order.
pub fn zip_entries(bundle: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

/// A zip of these files, in order.
pub fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
