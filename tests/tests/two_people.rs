//! Two people take a project from signing to finalization, with a
//! correction along the way; four eyes keep either from judging their own
//! work.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands};
use serde_json::{Value, json};

/// A staff (or executor) token for a new user `id` named `name`.
fn person(server: &Server, id: &str, name: &str, role: &str, org: Option<&str>) -> Client {
    let mut add = vec!["user", "add", "--id", id, "--name", name];
    if let Some(org) = org {
        add.extend(["--org", org]);
    }
    let added = server.cli(&add);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let made = server.cli(&[
        "token", "create", "--role", role, "--name", "desk", "--user", id,
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    Client::new(server, String::from_utf8(made.stdout).unwrap().trim())
}

async fn step(client: &Client, id: &str, route: &str, body: &Value, version: u64) -> Value {
    let done = client
        .post(
            &format!("/api/v1/projects/{id}{route}"),
            body,
            Some(version),
        )
        .await;
    assert_eq!(done.status, 200, "{route}: {}", done.text);
    done.json
}

#[tokio::test]
async fn two_people_take_a_project_to_its_final_report_with_a_correction() {
    let server = Server::start();
    let zhang = person(&server, "zhangsan", "张三", "staff", None);
    let li = person(&server, "lisi", "李四", "staff", None);
    let wang = person(
        &server,
        "xsd-wang",
        "王社工",
        "executor",
        Some("jt-xiaoshuidi"),
    );
    let commands = seed_commands();
    let id = zhang.sign_seed(None).await;
    step(&zhang, &id, commands[1].0, &commands[1].1, 1).await;
    step(&wang, &id, commands[2].0, &commands[2].1, 2).await;
    step(&zhang, &id, commands[3].0, &commands[3].1, 3).await;
    step(&zhang, &id, commands[4].0, &commands[4].1, 4).await;
    // Li corrects an actual the executor mistyped, before the report.
    let corrected = step(
        &li,
        &id,
        "/corrections",
        &json!({"corrected_on": "2023-02-18", "version": 3, "field": "/actuals/0/value",
                "value": 52, "reason": "现场核对居民需求登记表为52条"}),
        5,
    )
    .await;
    assert_eq!(corrected["indicators"][0]["actual"], 52);
    step(&zhang, &id, commands[5].0, &commands[5].1, 6).await;
    step(&zhang, &id, commands[6].0, &commands[6].1, 7).await;

    // Zhang wrote the draft: Zhang may not finalize it.
    let own = zhang
        .post(
            &format!("/api/v1/projects/{id}/finalization"),
            &commands[7].1,
            Some(8),
        )
        .await;
    assert_eq!(own.status, 403, "{}", own.text);
    assert_eq!(own.json["code"], "four-eyes");
    assert_eq!(own.json["rule"], "finalizer-is-not-the-author");
    assert_eq!(own.json["author"]["id"], "zhangsan");
    assert_eq!(own.json["actor"]["id"], "zhangsan");
    assert!(
        own.json["detail"].as_str().unwrap().contains("张三"),
        "{}",
        own.text
    );

    let final_state = step(&li, &id, "/finalization", &commands[7].1, 8).await;
    assert_eq!(final_state["stage"], "finalized");
    assert_eq!(final_state["finalized"]["finalized_by"]["name"], "李四");

    // Li approved it: correcting it is for someone else.
    let summary = json!({"corrected_on": "2023-03-01", "version": 3, "field": "/summary",
                         "value": "更正后的自评总结", "reason": "执行单位来函更正"});
    let approver = li
        .post(
            &format!("/api/v1/projects/{id}/corrections"),
            &summary,
            Some(9),
        )
        .await;
    assert_eq!(approver.status, 403, "{}", approver.text);
    assert_eq!(approver.json["rule"], "corrector-is-not-the-approver");
    step(&zhang, &id, "/corrections", &summary, 9).await;

    // The record names each person on what they did.
    let events = zhang.get(&format!("/api/v1/projects/{id}/events")).await;
    let actors: Vec<&str> = events
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [
            "张三",
            "张三",
            "王社工",
            "张三",
            "张三",
            "李四",
            "张三",
            "张三",
            "李四",
            "张三"
        ]
    );
    let report = zhang
        .get(&format!("/api/v1/projects/{id}/report?format=json"))
        .await;
    assert_eq!(
        report.json["revision"], 3,
        "draft 2, corrected after finalization"
    );
    assert_eq!(report.json["corrections"].as_array().unwrap().len(), 2);
    assert_eq!(
        report.json["signature"]["approver"],
        "成都市金堂社区发展基金会"
    );
    let markdown = zhang.get(&format!("/api/v1/projects/{id}/report")).await;
    assert!(markdown.text.contains("## 更正说明"), "{}", markdown.text);

    // The audit trail shows each correction as its own row.
    let trail = zhang
        .get(&format!("/api/v1/projects/{id}/audit-trail"))
        .await;
    let rows: Vec<&Value> = trail
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["event_type"] == "CorrectionRecorded")
        .collect();
    assert_eq!(rows.len(), 2, "{}", trail.text);
    // Time travel before the correction shows what the executor reported.
    let before = zhang.get(&format!("/api/v1/projects/{id}?version=4")).await;
    assert_eq!(before.json["indicators"][0]["actual"], 51);
}

#[tokio::test]
async fn with_four_eyes_off_one_person_may_finalize_their_own_draft() {
    let server = Server::start_with(&[("GRANTTRAIL_FOUR_EYES", "false")]);
    let zhang = person(&server, "zhangsan", "张三", "staff", None);
    let wang = person(
        &server,
        "xsd-wang",
        "王社工",
        "executor",
        Some("jt-xiaoshuidi"),
    );
    let commands = seed_commands();
    let id = zhang.sign_seed(None).await;
    for (n, (route, body)) in commands.iter().enumerate().skip(1) {
        let client = if *route == "/self-reports" {
            &wang
        } else {
            &zhang
        };
        step(client, &id, route, body, n as u64).await;
    }
}
