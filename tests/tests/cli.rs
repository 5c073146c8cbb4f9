//! The CLI contract, through the real binary.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use granttrail_e2e::{Client, Server, binary};

#[tokio::test]
async fn token_create_prints_only_the_token_and_revoking_it_locks_it_out() {
    let server = Server::start_with(&[("GRANTTRAIL_TOKEN_CACHE_SECONDS", "0")]);
    let out = server.cli(&["token", "create", "--role", "staff", "--name", "王五"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the token: {stdout:?}");
    let token = lines[0];
    assert!(token.starts_with("gt_") && token.len() > 40);
    let client = Client::new(&server, token);
    assert_eq!(client.get("/api/v1/projects").await.status, 200);

    let listed = String::from_utf8(server.cli(&["token", "list"]).stdout).unwrap();
    assert!(!listed.contains(token), "the list never shows secrets");
    let row = listed.lines().find(|l| l.contains("王五")).unwrap();
    let id = row.split('\t').next().unwrap();
    assert!(server.cli(&["token", "revoke", id]).status.success());
    // Revoked by another process: this server trusts a token it checked
    // for `token_cache_seconds` (0 here), then refuses it.
    assert_eq!(client.get("/api/v1/projects").await.status, 401);
    assert!(
        !server.cli(&["token", "revoke", id]).status.success(),
        "revoking twice says so"
    );
}

#[test]
fn an_executor_token_needs_an_organisation() {
    let server = Server::start();
    let out = server.cli(&["token", "create", "--role", "executor", "--name", "x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--org"));
    let out = server.cli(&["token", "create", "--role", "superuser", "--name", "x"]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn import_replays_the_seed_and_replay_reads_it_back_at_any_version() {
    let server = Server::start();
    let stdout = server.import_seed();
    let fields: Vec<&str> = stdout.trim().split('\t').collect();
    assert_eq!(fields[0], "seed");
    assert_eq!(fields[2], "finalized");
    let id = fields[1];

    let staff = Client::new(&server, &server.token("staff", None));
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(
        events.json[0]["actor"]["role"], "operator",
        "imports are recorded as the operator"
    );

    let replay = server.cli(&["replay", id, "--version", "1"]);
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let text = String::from_utf8(replay.stdout).unwrap();
    assert!(
        text.contains("ProjectSigned") && text.contains("EvaluationFinalized"),
        "the whole timeline"
    );
    assert!(
        text.contains("\"stage\": \"signed\""),
        "state at version 1:\n{text}"
    );
    assert!(text.contains("\"end\": \"2022-10-10\""));

    let as_of =
        String::from_utf8(server.cli(&["replay", id, "--as-of", "2023-02-16"]).stdout).unwrap();
    assert!(as_of.contains("\"stage\": \"reviewed\""), "{as_of}");
    // Words, not Rust's Debug (`AsOf(BusinessDate(…))`).
    assert!(as_of.contains("state at as of 2023-02-16 "), "{as_of}");
    assert!(text.contains("state at version 1 "), "{text}");

    let verify = server.cli(&["verify"]);
    assert!(verify.status.success());
    assert!(
        String::from_utf8(verify.stdout)
            .unwrap()
            .contains("every hash chain intact")
    );

    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-project.json");
    let imported_again = server.cli(&["import", fixture.to_str().unwrap()]);
    assert!(
        !imported_again.status.success(),
        "the code is unique, so a second import is refused"
    );
}

#[tokio::test]
async fn a_backup_taken_while_serving_verifies_and_holds_every_event() {
    let server = Server::start();
    let (staff, id) = granttrail_e2e::seed_project_through(&server, 5).await;
    let file = server.dir.path().join("backup.db");
    let backup = server.cli(&["backup", file.to_str().unwrap()]);
    if !server.is_sqlite() {
        assert!(!backup.status.success());
        assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"));
        return;
    }
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );

    // The copy is a database of its own: its chains verify and it holds
    // what the server acknowledged.
    let copy = format!("sqlite://{}", file.display());
    let verify = Command::new(binary())
        .args(["--database", &copy, "verify"])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let replay = Command::new(binary())
        .args(["--database", &copy, "replay", &id])
        .output()
        .unwrap();
    assert!(replay.status.success());
    let live = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(live.etag.as_deref(), Some("\"5\""));
    let timeline = String::from_utf8_lossy(&replay.stdout).into_owned();
    assert!(
        timeline.contains("(5 events)") && timeline.contains("* v5 "),
        "{timeline}"
    );

    let again = server.cli(&["backup", file.to_str().unwrap()]);
    assert!(!again.status.success(), "a backup never overwrites");
}

/// The binary run in `dir` with `args`, and nothing else configured.
fn granttrail_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .current_dir(dir)
        .args(args)
        .env("GRANTTRAIL_LOG", "warn")
        .env_remove("GRANTTRAIL_DATABASE")
        .output()
        .unwrap()
}

#[test]
fn commands_that_only_read_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    let id = "0192f5a0-0000-7000-8000-000000005eed";
    let out = dir.path().join("out.zip");
    let copy = dir.path().join("copy.db");
    for args in [
        vec!["verify"],
        vec!["replay", id],
        vec!["export", id, "--out", out.to_str().unwrap()],
        vec!["backup", copy.to_str().unwrap()],
        vec!["rebuild"],
        vec!["token", "list"],
    ] {
        let mut all = vec!["--database", url.as_str()];
        all.extend(&args);
        let ran = granttrail_in(dir.path(), &all);
        assert!(!ran.status.success(), "{args:?} succeeded");
        let said = String::from_utf8_lossy(&ran.stderr);
        assert!(said.contains("there is no database at"), "{args:?}: {said}");
        assert!(
            said.contains(&url),
            "{args:?} names the URL it tried: {said}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}

#[test]
fn the_database_file_is_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let Some(file) = server.sqlite_file() else {
        return;
    };
    for suffix in ["", "-wal"] {
        let mut name = file.clone().into_os_string();
        name.push(suffix);
        let mode = std::fs::metadata(&name).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name:?} has mode {mode:o}");
    }
}

#[test]
fn token_create_says_which_database_it_wrote_to() {
    let dir = tempfile::tempdir().unwrap();
    let made = granttrail_in(
        dir.path(),
        &["token", "create", "--role", "staff", "--name", "n"],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let said = String::from_utf8_lossy(&made.stderr);
    assert!(said.contains("in sqlite://data/granttrail.db"), "{said}");
    assert_eq!(String::from_utf8_lossy(&made.stdout).lines().count(), 1);
}

#[test]
fn the_first_start_names_the_database_in_the_command_it_suggests() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let mut serve = Command::new(binary())
        .current_dir(dir.path())
        .args(["--database", &database, "serve", "--listen", "127.0.0.1:0"])
        .env("GRANTTRAIL_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(serve.stderr.take().unwrap());
    let mut said = String::new();
    // The advice comes before the server listens; read up to that line.
    loop {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        said.push_str(&line);
        if read == 0 || line.contains("granttrail listening on") {
            break;
        }
    }
    let _ = serve.kill();
    let _ = serve.wait();
    let suggested = format!("granttrail --database '{database}' token create --role admin");
    assert!(said.contains(&suggested), "{said}");
}

#[test]
fn a_revocation_the_store_cannot_carry_out_says_why_not_that_there_is_no_token() {
    let server = Server::start();
    if !server.is_sqlite() {
        // PostgreSQL's lock holder locks the events table, not tokens.
        return;
    }
    server.cli(&["token", "create", "--role", "staff", "--name", "赵六"]);
    let listed = String::from_utf8(server.cli(&["token", "list"]).stdout).unwrap();
    let id = listed
        .lines()
        .find(|l| l.contains("赵六"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();
    let holder = server.hold_write_lock(8);
    let refused = server.cli(&["token", "revoke", &id]);
    holder.join().unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains(&format!("cannot revoke {id}")), "{said}");
    assert!(!said.contains("no live token"), "{said}");
    assert!(server.cli(&["token", "revoke", &id]).status.success());
}
