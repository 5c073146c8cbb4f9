//! A paper past imported as recorded: the source's own completion date
//! (2022-02-10, before its 2022-05-11 signing) is kept with a flag saying
//! what it likely meant; the same self-report sent live is refused as
//! ever; a dry run writes nothing; a correction resolves the flag.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server};
use serde_json::{Value, json};

const SOURCE: &str = include_str!("../fixtures/source-history.json");

fn fixture_path() -> String {
    format!(
        "{}/fixtures/source-history.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn the_source_imports_with_its_flag_and_a_dry_run_writes_nothing() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));

    let dry = server.cli(&["import", "--historical", &fixture_path(), "--dry-run"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["projects"][0]["id"], Value::Null);
    assert_eq!(
        report["projects"][0]["flags"][0]["message"],
        "completion precedes signing (2022-05-11); likely 2023-02-10"
    );
    let listed = staff.get("/api/v1/projects").await;
    assert_eq!(listed.json["items"], json!([]), "a dry run writes nothing");

    let done = server.cli(&["import", "--historical", &fixture_path()]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    let id = report["projects"][0]["id"].as_str().unwrap().to_owned();

    let flagged = staff.get("/api/v1/projects?flagged=true").await;
    assert_eq!(
        flagged.json["items"][0]["id"],
        id.as_str(),
        "{}",
        flagged.text
    );
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.json["stage"], "finalized");
    assert_eq!(state.json["self_report"]["completed_on"], "2022-02-10");
    assert_eq!(
        state.json["data_quality"][0]["fields"],
        json!(["/completed_on"])
    );
    assert_eq!(state.json["imported"]["file_name"], "source-history.json");
    assert_eq!(state.json["imported"]["file_sha256"], report["file_sha256"]);
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(
        events.json[2]["occurred_on"], "2023-02-14",
        "the original business date"
    );
    assert_eq!(events.json[8]["type"], "HistoryImported");
    assert_eq!(
        events.json[8]["data"]["recorded_by"][2]["name"],
        "小水滴社工（结项报告）"
    );
    let trail = staff
        .get(&format!("/api/v1/projects/{id}/audit-trail"))
        .await;
    assert_eq!(trail.json[8]["event_type"], "HistoryImported");
    let report_md = staff.get(&format!("/api/v1/projects/{id}/report")).await;
    assert!(
        report_md.text.contains("## 数据质量说明"),
        "{}",
        report_md.text
    );
    assert!(
        report_md.text.contains("likely 2023-02-10（尚未更正）"),
        "{}",
        report_md.text
    );

    // A correction puts it right, and the flag says so.
    let corrected = staff
        .colleague()
        .post(
            &format!("/api/v1/projects/{id}/corrections"),
            &json!({"corrected_on": "2026-11-30", "version": 3, "field": "/completed_on",
                    "value": "2023-02-10", "reason": "原报告笔误，以验收记录为准"}),
            Some(9),
        )
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    assert_eq!(corrected.json["data_quality"][0]["resolved_by"], 10);
    assert_eq!(corrected.json["self_report"]["completed_on"], "2023-02-10");
    let flagged = staff.get("/api/v1/projects?flagged=true").await;
    assert_eq!(
        flagged.json["items"],
        json!([]),
        "resolved: no longer flagged"
    );
    let clean = staff.get("/api/v1/projects?flagged=false").await;
    assert_eq!(clean.json["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn the_same_facts_sent_as_live_commands_are_refused_as_today() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let file: Value = serde_json::from_str(SOURCE).unwrap();
    let facts = file["projects"][0]["facts"].as_array().unwrap();
    let signed = staff
        .post("/api/v1/projects", &facts[0]["body"], None)
        .await;
    let id = signed.json["id"].as_str().unwrap().to_owned();
    let extended = staff
        .post(
            &format!("/api/v1/projects/{id}/extensions"),
            &facts[1]["body"],
            Some(1),
        )
        .await;
    assert_eq!(extended.status, 200);
    let refused = executor
        .post(
            &format!("/api/v1/projects/{id}/self-reports"),
            &facts[2]["body"],
            Some(2),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.json["errors"][0]["pointer"], "/completed_on");
}

#[tokio::test]
async fn admins_import_over_http_and_a_past_that_cannot_fold_writes_nothing() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let staff = Client::new(&server, &server.token("staff", None));
    let post = |client: &Client, query: &'static str, body: String| {
        let request = client
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/imports/historical{query}"),
            )
            .header("content-type", "application/json")
            .body(body);
        async move { granttrail_e2e::answer(request.send().await.unwrap()).await }
    };
    let forbidden = post(&staff, "?dry_run=true", SOURCE.to_owned()).await;
    assert_eq!(forbidden.status, 403);
    let dry = post(&admin, "?dry_run=true", SOURCE.to_owned()).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(
        dry.json["projects"][0]["flags"].as_array().unwrap().len(),
        1
    );

    let mut unfoldable: Value = serde_json::from_str(SOURCE).unwrap();
    let facts = unfoldable["projects"][0]["facts"].as_array_mut().unwrap();
    facts.swap(3, 4); // the visit recorded before the review
    let refused = post(&admin, "", unfoldable.to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.json["code"], "import-refused");
    assert!(
        refused.json["detail"].as_str().unwrap().contains("fact 3"),
        "{}",
        refused.text
    );
    assert_eq!(staff.get("/api/v1/projects").await.json["items"], json!([]));

    let imported = post(&admin, "?file_name=source.json", SOURCE.to_owned()).await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    assert_eq!(
        staff.get("/api/v1/projects").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
