//! Time travel that reads well: a point before the project existed, the
//! report as it stood at a version, and `overdue` judged on the point's
//! own day.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands, send_seed_step};

#[tokio::test]
async fn a_point_before_the_project_existed_is_not_yet_existing_with_its_first_date() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;

    let early = staff
        .get(&format!("/api/v1/projects/{id}?as_of=2022-05-10"))
        .await;
    assert_eq!(early.status, 404, "{}", early.text);
    assert_eq!(early.json["code"], "not-yet-existing");
    assert_eq!(early.json["first_date"], "2022-05-11");
    assert!(
        early.json["detail"]
            .as_str()
            .unwrap()
            .contains("2022-05-11"),
        "{}",
        early.text
    );

    let before_recorded = staff
        .get(&format!(
            "/api/v1/projects/{id}?known_at=2020-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(before_recorded.status, 404);
    assert_eq!(before_recorded.json["code"], "not-yet-existing");
    assert!(before_recorded.json["first_recorded_at"].is_string());

    // Another organisation learns nothing: the plain 404 of any project
    // it may not see.
    let stranger = Client::new(&server, &server.token("executor", Some("someone-else")));
    for point in ["as_of=2022-05-10", "known_at=2020-01-01T00:00:00Z"] {
        let hidden = stranger
            .get(&format!("/api/v1/projects/{id}?{point}"))
            .await;
        assert_eq!(hidden.status, 404);
        assert_eq!(hidden.json["code"], "not-found", "{}", hidden.text);
    }
}

#[tokio::test]
async fn overdue_in_a_past_view_is_judged_on_that_day() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    // Signed for 2022-05-11 to 2022-10-10 and never reported on: overdue
    // today, but not in September 2022.
    let id = staff.sign_seed(None).await;
    let now = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(now.json["overdue"], true, "{}", now.text);
    let september = staff
        .get(&format!("/api/v1/projects/{id}?as_of=2022-09-01"))
        .await;
    assert_eq!(september.json["overdue"], false, "{}", september.text);
    let after_the_end = staff
        .get(&format!("/api/v1/projects/{id}?as_of=2022-10-11"))
        .await;
    assert_eq!(after_the_end.json["overdue"], true);
}

#[tokio::test]
async fn the_report_at_a_version_is_the_draft_that_was_read_then() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let executor = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let id = staff.sign_seed(None).await;
    for (step, (route, body)) in seed_commands().iter().enumerate().skip(1) {
        let done = send_seed_step(&staff, &executor, &id, route, body, step as u64).await;
        assert_eq!(done.status, 200, "{}", done.text);
    }
    let report = |query: &'static str| {
        let staff = &staff;
        let id = id.clone();
        async move {
            staff
                .get(&format!("/api/v1/projects/{id}/report?format=json&{query}"))
                .await
        }
    };
    let first_draft = report("version=6").await;
    assert_eq!(first_draft.status, 200, "{}", first_draft.text);
    assert_eq!(first_draft.json["revision"], 1);
    assert_eq!(first_draft.json["is_final"], false);
    assert_eq!(first_draft.json["proof"]["version"], 6);
    assert!(
        first_draft.json["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("项目结项后"),
        "the first draft's own words"
    );
    let latest = report("").await;
    assert_eq!(latest.json["revision"], 2);
    assert_eq!(latest.json["is_final"], true);
    assert_eq!(latest.json["proof"]["version"], 8);

    let before_any_draft = report("version=5").await;
    assert_eq!(before_any_draft.status, 409, "{}", before_any_draft.text);
    for beyond in ["version=9", "version=0"] {
        let refused = report(beyond).await;
        assert_eq!(refused.status, 400, "{}", refused.text);
        assert_eq!(refused.json["parameter"], "version");
    }
}
