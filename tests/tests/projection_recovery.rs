//! A server killed with SIGKILL while its projection catches up recovers:
//! after a restart the project list equals a full rebuild.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands, whole_list};
use serde_json::{Value, json};

fn generated_fixture(projects: usize) -> Value {
    let commands = seed_commands();
    let mut sign = commands[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    let extend = commands[1].1.clone();
    let projects: Vec<Value> = (0..projects)
        .map(|n| {
            let mut sign = sign.clone();
            sign["executor"]["org_id"] = json!(format!("org-{}", n % 13));
            json!({"ref": format!("p{n}"), "commands": [
                {"command": "sign", "body": sign},
                {"command": "extend", "body": extend},
            ]})
        })
        .collect();
    json!({"format": "granttrail-fixture/1", "projects": projects})
}

#[tokio::test]
async fn a_kill_during_projection_catch_up_leaves_a_list_equal_to_a_rebuild() {
    let mut server = Server::start();
    if !server.is_sqlite() {
        eprintln!(
            "this test edits the SQLite file directly; not on {}",
            server.database
        );
        return;
    }
    server.kill();
    let fixture = server.dir.path().join("many.json");
    std::fs::write(&fixture, generated_fixture(1500).to_string()).unwrap();
    let imported = server.cli(&["import", fixture.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    // Forget the projection, so the next start must catch up 3000 events.
    let file = server.database.trim_start_matches("sqlite://").to_owned();
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch("DELETE FROM project_list; DELETE FROM projection_checkpoints;")
        .unwrap();
    drop(db);

    // Restart with the runner told to stop after its first saved page, and
    // SIGKILL once it says it has: the projection is part-way through the
    // log.
    server.kill();
    server.restart_with(&[("GRANTTRAIL_TEST_PAUSE_PROJECTION_AFTER_STEPS", "1")]);
    server.wait_for_log("the project-list runner pauses here");
    server.kill();
    let db = rusqlite::Connection::open(&file).unwrap();
    let checkpoint = || -> i64 {
        db.query_row(
            "SELECT COALESCE(MAX(position), 0) FROM projection_checkpoints",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0)
    };
    let at_kill = checkpoint();
    let head: i64 = db
        .query_row("SELECT MAX(position) FROM events", [], |r| r.get(0))
        .unwrap();
    assert!(
        0 < at_kill && at_kill < head,
        "killed mid catch-up: at {at_kill} of {head}"
    );
    drop(db);

    server.restart_with(&[]);
    let staff = Client::new(&server, &server.token("staff", None));
    let recovered = whole_list(&staff).await;
    assert_eq!(recovered.len(), 1500, "every project exactly once");

    let rebuilt = server.cli(&["rebuild"]);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert!(
        String::from_utf8_lossy(&rebuilt.stderr).contains("rebuild:"),
        "plain progress lines off a terminal"
    );
    let after_rebuild = whole_list(&staff).await;
    assert_eq!(after_rebuild, recovered);
    assert!(
        recovered
            .iter()
            .all(|p| p["version"] == 2 && p["period"]["end"] == "2023-02-28")
    );
}
