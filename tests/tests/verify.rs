//! Verification online (`GET …/verify`) and for the whole store
//! (`granttrail verify`), against tampering done directly in the database
//! (the SQLite file, or PostgreSQL behind the server's back).

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Server, seed_project_through};

#[tokio::test]
async fn an_intact_project_verifies_online_and_offline() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let report = staff.get(&format!("/api/v1/projects/{id}/verify")).await;
    assert_eq!(report.status, 200);
    assert_eq!(report.json["ok"], true);
    assert_eq!(report.json["events"], 8);
    assert!(report.json["first_bad_version"].is_null());
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(report.json["head_hash"], events.json[7]["hash"]);
    let cli = server.cli(&["verify"]);
    assert!(cli.status.success());
}

#[tokio::test]
async fn tampering_is_named_by_version_online_and_by_the_cli() {
    let cases = [
        // One byte of one event's data.
        (
            "UPDATE events SET data = replace(data, '2023-02-28', '2023-03-28') WHERE stream_id = {id} AND version = 2",
            2,
        ),
        // One event gone.
        (
            "DELETE FROM events WHERE stream_id = {id} AND version = 5",
            5,
        ),
        // Two events swapped.
        (
            "UPDATE events SET version = -3 WHERE stream_id = {id} AND version = 3; \
          UPDATE events SET version = 3 WHERE stream_id = {id} AND version = 4; \
          UPDATE events SET version = 4 WHERE stream_id = {id} AND version = -3;",
            3,
        ),
    ];
    for (sql, bad) in cases {
        let server = Server::start();
        let (staff, id) = seed_project_through(&server, 8).await;
        server.tamper(sql, &id);
        let report = staff.get(&format!("/api/v1/projects/{id}/verify")).await;
        assert_eq!(report.status, 200, "{}", report.text);
        assert_eq!(report.json["ok"], false, "{sql}");
        assert_eq!(
            report.json["first_bad_version"], bad,
            "{sql}: {}",
            report.text
        );
        let cli = server.cli(&["verify"]);
        assert!(!cli.status.success(), "the CLI exits non-zero");
        let out = String::from_utf8(cli.stdout).unwrap();
        assert!(out.contains(&format!("first bad version {bad}")), "{out}");
    }
}

/// An event inserted behind the server's back, extending a stream's chain
/// (`prev_hash` is the head's hash), by an actor no token belongs to and
/// recorded in the future.
fn forged_insert(server: &Server, position: Option<i64>, recorded_at: &str) -> String {
    let event_id = if server.is_sqlite() {
        "randomblob(16)"
    } else {
        "gen_random_uuid()"
    };
    let (column, value) = match position {
        Some(p) => ("position, ", format!("{p}, ")),
        None => ("", String::new()),
    };
    format!(
        "INSERT INTO events ({column}stream_id, version, event_id, event_type, schema_version, \
         occurred_on, recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, \
         causation_id, idempotency_key, data, prev_hash, hash) \
         SELECT {value}stream_id, version + 1, {event_id}, event_type, schema_version, occurred_on, \
         '{recorded_at}', 'forger', 'forger', 'staff', NULL, correlation_id, NULL, \
         NULL, data, hash, hash FROM events WHERE stream_id = {{id}} AND version = 8"
    )
}

#[tokio::test]
async fn a_forged_insert_is_named_by_the_whole_log_check() {
    let server = Server::start();
    let (_, id) = seed_project_through(&server, 8).await;
    server.tamper(
        &forged_insert(&server, None, "2999-01-01T00:00:00.000000Z"),
        &id,
    );
    let cli = server.cli(&["verify"]);
    assert!(!cli.status.success());
    let out = String::from_utf8(cli.stdout).unwrap();
    assert!(
        out.contains("names actor 'forger', which is no user or token"),
        "{out}"
    );
    assert!(out.contains("BROKEN log:"), "{out}");
}

#[tokio::test]
async fn a_gap_in_the_positions_is_named() {
    let server = Server::start();
    if !server.is_sqlite() {
        return; // PostgreSQL's sequence leaves gaps by design.
    }
    let (_, id) = seed_project_through(&server, 8).await;
    server.tamper(
        &forged_insert(&server, Some(20), "2999-01-01T00:00:00.000000Z"),
        &id,
    );
    let out = String::from_utf8(server.cli(&["verify"]).stdout).unwrap();
    assert!(out.contains("positions 9 to 19 are missing"), "{out}");
}

#[tokio::test]
async fn an_instant_going_back_along_the_log_is_named() {
    let server = Server::start();
    let (_, id) = seed_project_through(&server, 8).await;
    server.tamper(
        &forged_insert(&server, None, "2001-01-01T00:00:00.000000Z"),
        &id,
    );
    let out = String::from_utf8(server.cli(&["verify"]).stdout).unwrap();
    assert!(
        out.contains("was recorded at 2001-01-01T00:00:00.000000Z, before position"),
        "{out}"
    );
}
