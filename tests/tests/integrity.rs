//! History that fails its hash chain is never served as truth: every read
//! that folds a stream checks the chain it read, and a command never
//! builds on an altered stream.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server, seed_commands, seed_project_through};

fn assert_integrity_failed(answer: &Answer, version: u64, what: &str) {
    assert_eq!(answer.status, 503, "{what}: {}", answer.text);
    assert_eq!(
        answer.json["code"], "integrity-failed",
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.json["version"], version, "{what}: {}", answer.text);
    assert!(
        answer.content_type.starts_with("application/problem+json"),
        "{what}"
    );
}

#[tokio::test]
async fn an_altered_draft_is_not_served_and_nothing_builds_on_it() {
    let mut server = Server::start();
    // Signed through the second draft (version 7); not finalized yet.
    let (staff, id) = seed_project_through(&server, 7).await;
    // The attacker edits the draft's conclusion; the row still parses.
    server.tamper(
        "UPDATE events SET data = replace(data, '\"passed\"', '\"failed\"') \
         WHERE stream_id = {id} AND version = 7",
        &id,
    );
    let project = format!("/api/v1/projects/{id}");
    // The current state this server folded from the intact history (or
    // wrote itself) is served from its state cache while the head stays
    // where it was; every read of history checks the chain again.
    for path in [
        format!("{project}?version=7"),
        format!("{project}/events"),
        format!("{project}/audit-trail"),
        format!("{project}/report"),
        format!("{project}/export"),
    ] {
        assert_integrity_failed(&staff.get(&path).await, 7, &path);
    }
    // A point before the altered event is still an intact prefix.
    assert_eq!(staff.get(&format!("{project}?version=6")).await.status, 200);

    let (route, body) = &seed_commands()[7];
    let finalize = staff
        .post(&format!("{project}{route}"), body, Some(7))
        .await;
    assert_integrity_failed(&finalize, 7, "finalize");
    assert_eq!(
        server.sql(&format!(
            "SELECT COUNT(*) FROM events WHERE stream_id = {}",
            stream_literal(&server, &id)
        )),
        Some("7".to_owned()),
        "nothing was appended to the altered stream"
    );
    // A server that has not folded the stream yet checks it first.
    server.restart();
    let staff = Client::new(&server, &server.token("staff", None));
    assert_integrity_failed(&staff.get(&project).await, 7, "the current state");
}

fn stream_literal(server: &Server, id: &str) -> String {
    if server.is_sqlite() {
        format!("X'{}'", id.replace('-', ""))
    } else {
        format!("'{id}'::uuid")
    }
}

#[tokio::test]
async fn an_intact_project_reads_as_before() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 8).await;
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.status, 200, "{}", state.text);
    assert_eq!(state.etag.as_deref(), Some("\"8\""));
}
