//! One event the project list cannot apply stops its runner at that
//! event, not the service: the list serves what it has, readiness and the
//! metrics name the event, and `granttrail verify` names it too.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server};

/// An event of a type no version of granttrail knows, appended after
/// version 1 of project `{id}` as if by a newer release.
const UNDECODABLE: &str = "INSERT INTO events (stream_id, version, event_id, event_type, \
     schema_version, occurred_on, recorded_at, actor_id, actor_name, actor_role, actor_org_id, \
     correlation_id, causation_id, idempotency_key, data, prev_hash, hash) \
     SELECT stream_id, 2, EVENT_ID, 'ProjectTeleported', 1, occurred_on, recorded_at, actor_id, \
     actor_name, actor_role, actor_org_id, correlation_id, NULL, NULL, '{\"to\":\"mars\"}', hash, hash \
     FROM events WHERE stream_id = {id} AND version = 1";

#[tokio::test]
async fn an_event_the_list_cannot_apply_stops_the_runner_there_and_is_named() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let first = staff.sign_seed(Some("STUCK-1")).await;
    let event_id = if server.is_sqlite() {
        "randomblob(16)"
    } else {
        "gen_random_uuid()"
    };
    server.tamper(&UNDECODABLE.replace("EVENT_ID", event_id), &first);
    // Written after the bad event (position 2): its row moves with its
    // own commit, but the runner's checkpoint stays before the bad event.
    let second = staff.sign_seed(Some("STUCK-2")).await;

    let list = staff.get("/api/v1/projects").await;
    assert_eq!(list.status, 200, "the list still answers: {}", list.text);
    let ids: Vec<&str> = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [first.as_str(), second.as_str()],
        "each project as its own commit left it"
    );

    let ready = staff.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    let detail = ready.json["detail"].as_str().unwrap();
    assert!(detail.contains("stopped at position 2"), "{detail}");
    assert!(detail.contains(&first), "{detail}");
    let metrics = staff.get("/metrics").await.text;
    assert!(
        metrics.contains("granttrail_projection_stuck_at_position 2"),
        "{metrics}"
    );

    let verify = String::from_utf8(server.cli(&["verify"]).stdout).unwrap();
    assert!(
        verify.contains("position 2") && verify.contains("cannot be decoded"),
        "{verify}"
    );
}
