//! The CLI contract, through the real binary.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use granttrail_e2e::{Client, Server, binary};

#[tokio::test]
async fn token_create_prints_only_the_token_and_revoking_it_locks_it_out() {
    let server = Server::start();
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
    // Revoked by another process: the server trusts a token it checked for
    // at most two seconds (docs/api.md), then refuses it.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
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
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-project.json");
    let out = server.cli(&["import", fixture.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
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

    let verify = server.cli(&["verify"]);
    assert!(verify.status.success());
    assert!(
        String::from_utf8(verify.stdout)
            .unwrap()
            .contains("every hash chain intact")
    );

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
