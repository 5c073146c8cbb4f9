//! Deleting the SQLite WAL under a running server: writes stop at once
//! (503), readiness fails, and every command acknowledged before the
//! deletion survives a restart, whether the server is killed or stopped.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server};

/// Signs `count` projects and returns their ids: each one acknowledged.
async fn acknowledged_projects(staff: &Client, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        ids.push(staff.sign_seed(Some(&format!("WAL-{n}"))).await);
    }
    ids
}

async fn deleting_the_wal_stops_writes_and_loses_nothing(stop: fn(&mut Server)) {
    let mut server = Server::start();
    let Some(file) = server.sqlite_file() else {
        return; // PostgreSQL keeps its own WAL out of our reach.
    };
    let staff = Client::new(&server, &server.token("staff", None));
    let ids = acknowledged_projects(&staff, 20).await;
    let mut wal = file.clone().into_os_string();
    wal.push("-wal");
    std::fs::remove_file(&wal).unwrap();

    let refused = staff
        .post(
            "/api/v1/projects",
            &granttrail_e2e::seed_commands()[0].1,
            None,
        )
        .await;
    assert_eq!(refused.status, 503, "{}", refused.text);
    let ready = staff.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(
        ready.json["detail"]
            .as_str()
            .unwrap()
            .contains("-wal was deleted"),
        "{}",
        ready.text
    );

    stop(&mut server);
    server.restart();
    let staff = Client::new(&server, &server.token("staff", None));
    for id in &ids {
        let project = staff.get(&format!("/api/v1/projects/{id}")).await;
        assert_eq!(
            project.status, 200,
            "acknowledged project {id} was lost: {}",
            project.text
        );
    }
    let list = staff.get("/api/v1/projects?limit=100").await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        ids.len(),
        "{}",
        list.text
    );
    assert!(server.cli(&["verify"]).status.success());
}

#[tokio::test]
async fn after_kill_9() {
    deleting_the_wal_stops_writes_and_loses_nothing(Server::kill).await;
}

#[tokio::test]
async fn after_sigterm() {
    deleting_the_wal_stops_writes_and_loses_nothing(|server| {
        assert!(server.terminate().success());
    })
    .await;
}
