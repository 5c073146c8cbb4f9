//! The audit trail and the report over HTTP.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands, send_seed_step};

async fn seed_until(staff: &Client, executor: &Client, commands: usize) -> String {
    let id = staff.sign_seed(None).await;
    for (step, (route, body)) in seed_commands()
        .iter()
        .enumerate()
        .skip(1)
        .take(commands - 1)
    {
        let done = send_seed_step(staff, executor, &id, route, body, step as u64).await;
        assert_eq!(done.status, 200, "{}", done.text);
    }
    id
}

#[tokio::test]
async fn the_audit_trail_comes_as_json_and_as_csv_with_a_bom() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let id = seed_until(&staff, &executor, 3).await;

    let json = staff
        .get(&format!("/api/v1/projects/{id}/audit-trail"))
        .await;
    assert_eq!(json.status, 200);
    let rows = json.json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["actor"]["role"], "executor");
    assert!(
        rows[1]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "period.end" && c["after"] == "2023-02-28")
    );

    let csv = staff
        .get(&format!("/api/v1/projects/{id}/audit-trail?format=csv"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.text.starts_with('\u{feff}'),
        "UTF-8 BOM for spreadsheet programs"
    );
    assert!(csv.text.contains("延期变更"));
    assert!(csv.text.lines().next().unwrap().contains("recorded_at"));

    let other = Client::new(&server, &server.token("executor", Some("someone-else")));
    assert_eq!(
        other
            .get(&format!("/api/v1/projects/{id}/audit-trail"))
            .await
            .status,
        404
    );
    assert_eq!(
        staff
            .get(&format!("/api/v1/projects/{id}/audit-trail?format=xml"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_report_exists_from_the_first_draft_in_every_language_and_format() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let id = seed_until(&staff, &executor, 5).await;

    let early = staff.get(&format!("/api/v1/projects/{id}/report")).await;
    assert_eq!(early.status, 409);
    assert_eq!(early.json["code"], "report-not-ready");

    let draft = seed_commands()[5].1.clone();
    assert_eq!(
        staff
            .post(&format!("/api/v1/projects/{id}/drafts"), &draft, Some(5))
            .await
            .status,
        200
    );
    let drafted = staff
        .get(&format!("/api/v1/projects/{id}/report?lang=en&format=html"))
        .await;
    assert_eq!(drafted.status, 200);
    assert!(drafted.content_type.starts_with("text/html"));
    assert!(
        drafted.text.contains("DRAFT"),
        "a draft carries its watermark"
    );
    assert!(drafted.text.contains("<svg"), "pictures inline");

    let finalize = seed_commands()[7].1.clone();
    assert_eq!(
        staff
            .colleague()
            .post(
                &format!("/api/v1/projects/{id}/finalization"),
                &finalize,
                Some(6)
            )
            .await
            .status,
        200
    );
    let zh = staff
        .get(&format!(
            "/api/v1/projects/{id}/report?lang=zh-CN&format=markdown"
        ))
        .await;
    assert!(zh.text.contains("五、项目评估结论") && zh.text.contains("通过"));
    assert!(!zh.text.contains("草稿"), "no watermark once final");
    let json = executor
        .get(&format!("/api/v1/projects/{id}/report?format=json&lang=en"))
        .await;
    assert_eq!(json.json["is_final"], true);
    assert_eq!(json.json["passed"], true);
    assert_eq!(
        staff
            .get(&format!("/api/v1/projects/{id}/report?lang=fr"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_midterm_evaluation_sent_over_http_has_its_place_in_section_two() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let id = seed_until(&staff, &executor, 2).await;
    let (route, body) = granttrail_e2e::midterm_command();
    let recorded = staff
        .post(&format!("/api/v1/projects/{id}{route}"), &body, Some(2))
        .await;
    assert_eq!(recorded.status, 200, "{}", recorded.text);
    assert_eq!(recorded.json["stage"], "signed", "the stage does not move");
    assert_eq!(recorded.json["midterm"][0]["evaluated_on"], "2022-11-15");
    for (step, (route, body)) in seed_commands().iter().enumerate().skip(2) {
        let done = send_seed_step(&staff, &executor, &id, route, body, step as u64 + 1).await;
        assert_eq!(done.status, 200, "{}", done.text);
    }
    let report = staff.get(&format!("/api/v1/projects/{id}/report")).await;
    let two =
        &report.text[report.text.find("## 二、").unwrap()..report.text.find("## 三、").unwrap()];
    assert!(two.contains("### （四）中期评估"), "{two}");
    assert!(
        two.contains("发现的问题：自组织培育的深度和广度不够"),
        "{two}"
    );
    assert!(
        two.contains("整改情况：通过一对一指导和调动成员积极性加以改进"),
        "{two}"
    );
}
