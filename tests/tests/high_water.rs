//! Positions are never handed out twice: a server refuses to start on a
//! database whose log ends below the highest position its followers were
//! told, such as an old copy restored over the live file.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server};

#[tokio::test]
async fn a_restored_older_copy_is_refused_instead_of_reusing_positions() {
    let mut server = Server::start();
    let Some(file) = server.sqlite_file() else {
        return; // PostgreSQL's sequences never go back.
    };
    let staff = Client::new(&server, &server.token("staff", None));
    staff.sign_seed(Some("HW-1")).await;
    let copy = server.dir.path().join("older.db");
    let backup = server.cli(&["backup", copy.to_str().unwrap()]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    staff.sign_seed(Some("HW-2")).await;
    staff.sign_seed(Some("HW-3")).await;
    // A follower reads the feed to its end, and remembers where it was.
    let feed = staff.get("/api/v1/events?after=0&limit=100").await;
    let told = feed.json["items"].as_array().unwrap().last().unwrap()["position"]
        .as_i64()
        .unwrap();
    assert_eq!(told, 3, "{}", feed.text);

    server.kill();
    for suffix in ["-wal", "-shm"] {
        let mut name = file.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    std::fs::copy(&copy, &file).unwrap();

    let refused = server.cli(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("ends at position 1"), "{said}");
    assert!(said.contains("told of position 3"), "{said}");
}

#[tokio::test]
async fn a_restart_on_an_intact_database_starts() {
    let mut server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    staff.sign_seed(None).await;
    let feed = staff.get("/api/v1/events?after=0").await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    server.kill_and_restart();
    let staff = Client::new(&server, &server.token("staff", None));
    assert_eq!(staff.get("/readyz").await.status, 200);
}
