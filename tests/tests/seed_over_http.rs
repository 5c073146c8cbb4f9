//! The seed project driven through HTTP against the real binary: status,
//! ETag and stage after every step; the self-report submitted by the
//! executor's own token; the source's bad date refused with nothing
//! written.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, SEED_TYPO, Server, seed_commands, send_seed_step};
use serde_json::Value;

#[tokio::test]
async fn the_seed_project_moves_through_every_stage_over_http() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let expected_stages = [
        "signed",
        "signed",
        "self_report_submitted",
        "reviewed",
        "site_visited",
        "drafted",
        "drafted",
        "finalized",
    ];

    let commands = seed_commands();
    let (_, sign) = &commands[0];
    let created = staff.post("/api/v1/projects", sign, None).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.etag.as_deref(), Some("\"1\""));
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/projects/{id}").as_str())
    );
    assert_eq!(created.json["stage"], "signed");

    for (step, (route, body)) in commands.iter().enumerate().skip(1) {
        let version = step as u64;
        if *route == "/self-reports" {
            // The source's own typing error first: refused, nothing written.
            let typo: Value = serde_json::from_str(SEED_TYPO).unwrap();
            let refused = executor
                .post(
                    &format!("/api/v1/projects/{id}/self-reports"),
                    &typo["body"],
                    Some(version),
                )
                .await;
            assert_eq!(refused.status, 422, "{}", refused.text);
            assert_eq!(refused.json["code"], "validation-failed");
            assert!(refused.content_type.starts_with("application/problem+json"));
            let error = &refused.json["errors"][0];
            assert_eq!(error["pointer"], "/completed_on");
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains("2022-02-10") && message.contains("2022-05-11"),
                "{message}"
            );
            let unchanged = staff.get(&format!("/api/v1/projects/{id}")).await;
            assert_eq!(unchanged.etag, Some(format!("\"{version}\"")));
        }
        let done = send_seed_step(&staff, &executor, &id, route, body, version).await;
        assert_eq!(done.status, 200, "step {step} {route}: {}", done.text);
        assert_eq!(
            done.etag,
            Some(format!("\"{}\"", version + 1)),
            "step {step}"
        );
        assert_eq!(done.json["stage"], expected_stages[step], "step {step}");
        assert_eq!(done.json["version"], version + 1);
    }

    let project = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(project.status, 200);
    assert_eq!(project.etag.as_deref(), Some("\"8\""));
    let state = &project.json;
    assert_eq!(state["stage"], "finalized");
    assert_eq!(state["finalized"]["conclusion"], "passed");
    assert_eq!(state["period"]["end"], "2023-02-28");
    assert_eq!(state["original_period"]["end"], "2022-10-10");
    assert_eq!(state["extensions"][0]["from_end"], "2022-10-10");
    assert_eq!(state["draft"]["revision"], 2);
    assert!(
        state["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["met"] == true)
    );
    assert_eq!(state["overdue"], false);

    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    let events = events.json.as_array().unwrap().clone();
    assert_eq!(events.len(), 8);
    let self_report = &events[2];
    assert_eq!(self_report["type"], "SelfReportSubmitted");
    assert_eq!(self_report["actor"]["role"], "executor");
    assert_eq!(self_report["actor"]["org_id"], "jt-xiaoshuidi");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["version"], i as u64 + 1);
        for field in [
            "position",
            "event_id",
            "schema_version",
            "occurred_on",
            "recorded_at",
            "correlation_id",
            "causation_id",
            "idempotency_key",
            "data",
            "prev_hash",
            "hash",
        ] {
            assert!(event.get(field).is_some(), "event {i} lacks {field}");
        }
        if i > 0 {
            assert_eq!(event["prev_hash"], events[i - 1]["hash"]);
        }
    }

    let listed = staff.get("/api/v1/projects?stage=finalized").await;
    assert_eq!(listed.json["items"][0]["id"], Value::from(id.clone()));
}

#[tokio::test]
async fn time_travel_reads_show_earlier_states() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(Some("TT-1")).await;
    let commands = seed_commands();
    let extended = staff
        .post(
            &format!("/api/v1/projects/{id}/extensions"),
            &commands[1].1,
            Some(1),
        )
        .await;
    assert_eq!(extended.status, 200);

    let v1 = staff.get(&format!("/api/v1/projects/{id}?version=1")).await;
    assert_eq!(v1.json["stage"], "signed");
    assert_eq!(v1.json["period"]["end"], "2022-10-10");
    assert_eq!(v1.etag.as_deref(), Some("\"1\""));

    let before_extension = staff
        .get(&format!("/api/v1/projects/{id}?as_of=2022-09-01"))
        .await;
    assert_eq!(before_extension.json["period"]["end"], "2022-10-10");
    let after_extension = staff
        .get(&format!("/api/v1/projects/{id}?as_of=2022-09-30"))
        .await;
    assert_eq!(after_extension.json["period"]["end"], "2023-02-28");

    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    let first_recorded = events.json[0]["recorded_at"].as_str().unwrap().to_owned();
    let known = staff
        .get(&format!("/api/v1/projects/{id}?known_at={first_recorded}"))
        .await;
    assert_eq!(known.json["version"], 1);

    let bad = staff
        .get(&format!("/api/v1/projects/{id}?version=1&as_of=2022-09-01"))
        .await;
    assert_eq!(bad.status, 400);
    let beyond = staff.get(&format!("/api/v1/projects/{id}?version=9")).await;
    assert_eq!(beyond.status, 400);
}
