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
