//! The global feed: paged, as Server-Sent Events that resume from
//! Last-Event-ID without gaps or duplicates, and the bulk audit export.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, read_events};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_client_gets_every_event_once_in_order_and_resumes_without_gaps() {
    let server = Server::start();
    let token = server.token("auditor", None);
    let staff_token = server.token("staff", None);
    let staff = Client::new(&server, &staff_token);
    staff.sign_seed(None).await;

    let http = reqwest::Client::new();
    let live = http
        .get(server.url("/api/v1/events/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    let mut body = live.bytes_stream();
    let mut buffer = String::new();
    let first = read_events(&mut body, &mut buffer, 1).await;
    assert_eq!(first, vec![(1, "ProjectSigned".to_owned())]);

    // A burst of concurrent commands while the client listens.
    let burst: Vec<_> = (0..20)
        .map(|_| {
            let client = Client::new(&server, &staff_token);
            tokio::spawn(async move { client.sign_seed(None).await })
        })
        .collect();
    for task in burst {
        task.await.unwrap();
    }
    let seen = read_events(&mut body, &mut buffer, 20).await;
    let ids: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (2..=21).collect::<Vec<_>>(),
        "every event once, in commit order"
    );
    drop(body);

    // Missed while disconnected: exactly these come back.
    for _ in 0..5 {
        staff.sign_seed(None).await;
    }
    let resumed = http
        .get(server.url("/api/v1/events/stream"))
        .bearer_auth(&token)
        .header("Last-Event-ID", "21")
        .send()
        .await
        .unwrap();
    let mut body = resumed.bytes_stream();
    let mut buffer = String::new();
    let missed = read_events(&mut body, &mut buffer, 5).await;
    assert_eq!(
        missed.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![22, 23, 24, 25, 26]
    );
    staff.sign_seed(None).await;
    let next = read_events(&mut body, &mut buffer, 1).await;
    assert_eq!(next[0].0, 27, "no duplicate, no gap after the resume");
}

#[tokio::test]
async fn the_paged_feed_and_the_bulk_audit_export() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    for _ in 0..3 {
        staff.sign_seed(None).await;
    }
    let page = staff.get("/api/v1/events?after=1&limit=1").await;
    assert_eq!(page.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(page.json["items"][0]["position"], 2);
    assert_eq!(page.json["next_after"], 2);
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    assert_eq!(executor.get("/api/v1/events").await.status, 403);

    let csv = staff.get("/api/v1/exports/audit-trail.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.starts_with('\u{feff}'));
    assert_eq!(
        csv.text.matches('\u{feff}').count(),
        1,
        "one BOM for the whole file"
    );
    let records = csv
        .text
        .lines()
        .filter(|l| l.contains("ProjectSigned"))
        .count();
    assert_eq!(records, 3, "{}", csv.text);
    let none = staff
        .get("/api/v1/exports/audit-trail.csv?from=2000-01-01&to=2000-12-31")
        .await;
    assert_eq!(
        none.text.lines().count(),
        1,
        "only the header: {}",
        none.text
    );
    assert_eq!(
        staff
            .get("/api/v1/exports/audit-trail.csv?from=yesterday")
            .await
            .status,
        400
    );
    let _: Value = page.json;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_live_feed_sends_heartbeats() {
    let server = Server::start_with(&[("GRANTTRAIL_SSE_HEARTBEAT_SECONDS", "1")]);
    let token = server.token("auditor", None);
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/events/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    // Nothing happens in the store: only heartbeats (comment lines, which
    // SSE clients ignore) may arrive, about one a second.
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(3500);
    while let Ok(Some(chunk)) =
        tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut body)).await
    {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    let comments = text.lines().filter(|l| l.starts_with(':')).count();
    assert!(
        (2..=5).contains(&comments),
        "{comments} heartbeats in 3.5 s: {text:?}"
    );
    assert!(!text.contains("id:"), "no events, only heartbeats");
}

#[tokio::test]
async fn the_bulk_audit_export_names_a_project_it_cannot_read_instead_of_omitting_it() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let intact = staff.sign_seed(Some("INTACT-1")).await;
    let altered = staff.sign_seed(Some("ALTERED-1")).await;
    // A forger edits the signing of one project; the row still parses.
    server.tamper(
        "UPDATE events SET data = replace(data, 'ALTERED-1', 'ALTERED-2') \
         WHERE stream_id = {id} AND version = 1",
        &altered,
    );

    let csv = staff.get("/api/v1/exports/audit-trail.csv").await;

    assert_eq!(csv.status, 200);
    let line_of = |id: &str| {
        csv.text
            .lines()
            .filter(|l| l.starts_with(id))
            .collect::<Vec<_>>()
    };
    assert_eq!(line_of(&intact).len(), 1, "{}", csv.text);
    assert!(line_of(&intact)[0].contains("ProjectSigned"));
    let marked = line_of(&altered);
    assert_eq!(
        marked.len(),
        1,
        "the altered project is named once: {}",
        csv.text
    );
    assert!(marked[0].contains(",unreadable,"), "{}", marked[0]);
    assert!(marked[0].contains("integrity-failed"), "{}", marked[0]);
    assert!(!marked[0].contains("ProjectSigned"), "{}", marked[0]);
}
