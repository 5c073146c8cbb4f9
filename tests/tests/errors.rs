//! Every error status of the contract's table, provoked for real, each as
//! RFC 9457 problem+json with the contract's code.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server, seed_commands, seed_project_through};
use reqwest::Method;
use serde_json::{Value, json};

fn assert_problem(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert!(
        answer.content_type.starts_with("application/problem+json"),
        "{}",
        answer.content_type
    );
    assert_eq!(answer.json["code"], code, "{}", answer.text);
    assert_eq!(answer.json["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(
            answer.json[member].is_string(),
            "problem lacks {member}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn every_error_of_the_contract_is_a_problem_with_its_code() {
    let server = Server::start();
    let staff_token = server.token("staff", None);
    let staff = Client::new(&server, &staff_token);
    let id = staff.sign_seed(Some("ERR-1")).await;
    let project = format!("/api/v1/projects/{id}");
    let extend = seed_commands()[1].1.clone();

    // 400 malformed-json
    let malformed = granttrail_e2e::answer(
        staff
            .request(Method::POST, "/api/v1/projects")
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&malformed, 400, "malformed-json");

    // 400 unknown-field, with its pointer
    let mut body = extend.clone();
    body["stage"] = json!("finalized");
    let unknown = staff
        .post(&format!("{project}/extensions"), &body, Some(1))
        .await;
    assert_problem(&unknown, 400, "unknown-field");
    assert_eq!(unknown.json["errors"][0]["pointer"], "/stage");

    // 401 unauthenticated: no token, a made-up token
    let anonymous = granttrail_e2e::answer(reqwest::get(server.url(&project)).await.unwrap()).await;
    assert_problem(&anonymous, 401, "unauthenticated");
    let made_up = Client::new(&server, "gt_not-a-real-token")
        .get(&project)
        .await;
    assert_problem(&made_up, 401, "unauthenticated");

    // 403 forbidden: an auditor may not command
    let auditor = Client::new(&server, &server.token("auditor", None));
    assert_problem(
        &auditor
            .post(&format!("{project}/extensions"), &extend, Some(1))
            .await,
        403,
        "forbidden",
    );

    // 404 not-found: unknown id, not-a-UUID, unknown route
    assert_problem(
        &staff
            .get("/api/v1/projects/01900000-0000-7000-8000-000000000000")
            .await,
        404,
        "not-found",
    );
    assert_problem(
        &staff.get("/api/v1/projects/not-a-uuid").await,
        404,
        "not-found",
    );
    assert_problem(&staff.get("/api/v1/nothing-here").await, 404, "not-found");

    // 409 invalid-transition, with stage and allowed
    let review = seed_commands()[3].1.clone();
    let wrong_stage = staff
        .post(&format!("{project}/reviews"), &review, Some(1))
        .await;
    assert_problem(&wrong_stage, 409, "invalid-transition");
    assert_eq!(wrong_stage.json["stage"], "signed");
    assert_eq!(
        wrong_stage.json["allowed"],
        json!([
            "extend",
            "record_midterm",
            "submit_self_report",
            "correct",
            "release_tranche",
            "attach",
            "withdraw_attachment"
        ])
    );

    // 409 duplicate-code
    let mut again = seed_commands()[0].1.clone();
    again["code"] = json!("ERR-1");
    assert_problem(
        &staff.post("/api/v1/projects", &again, None).await,
        409,
        "duplicate-code",
    );

    // 412 version-conflict, carrying the current ETag
    let stale = staff
        .post(&format!("{project}/extensions"), &extend, Some(7))
        .await;
    assert_problem(&stale, 412, "version-conflict");
    assert_eq!(stale.etag.as_deref(), Some("\"1\""));

    // 428 precondition-required
    assert_problem(
        &staff
            .post(&format!("{project}/extensions"), &extend, None)
            .await,
        428,
        "precondition-required",
    );

    // 413 payload-too-large
    let huge = json!({"reason": "x".repeat(1024 * 1024 + 10)});
    let too_large = staff
        .post(&format!("{project}/extensions"), &huge, Some(1))
        .await;
    assert_problem(&too_large, 413, "payload-too-large");

    // 415 unsupported-media-type
    let text = granttrail_e2e::answer(
        staff
            .request(Method::POST, &format!("{project}/extensions"))
            .header("content-type", "text/plain")
            .header("if-match", "\"1\"")
            .body(extend.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&text, 415, "unsupported-media-type");

    // 422 validation-failed
    let mut early = extend.clone();
    early["new_end"] = json!("2022-10-01");
    let invalid = staff
        .post(&format!("{project}/extensions"), &early, Some(1))
        .await;
    assert_problem(&invalid, 422, "validation-failed");
    assert_eq!(invalid.json["errors"][0]["pointer"], "/new_end");

    // 422 idempotency-key-reused
    let keyed = |body: &Value| {
        staff
            .request(Method::POST, &format!("{project}/extensions"))
            .header("if-match", "\"1\"")
            .header("idempotency-key", "extend-once")
            .json(body)
    };
    let first = granttrail_e2e::answer(keyed(&extend).send().await.unwrap()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let mut other = extend.clone();
    other["reason"] = json!("another reason");
    let reused = granttrail_e2e::answer(keyed(&other).send().await.unwrap()).await;
    assert_problem(&reused, 422, "idempotency-key-reused");

    // 405 for a method the path does not take
    let wrong_method = granttrail_e2e::answer(
        staff
            .request(Method::DELETE, &project)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&wrong_method, 405, "method-not-allowed");

    // Nothing above wrote anything but the one keyed extension.
    let state = staff.get(&project).await;
    assert_eq!(state.etag.as_deref(), Some("\"2\""));
}

/// Signs the seed project under an idempotency key.
async fn sign_seed_keyed(staff: &Client, key: &str) -> granttrail_e2e::Answer {
    let sent = staff
        .request(Method::POST, "/api/v1/projects")
        .header("idempotency-key", key)
        .json(&seed_commands()[0].1)
        .send()
        .await
        .unwrap();
    granttrail_e2e::answer(sent).await
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_answer_and_appends_nothing() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let first = sign_seed_keyed(&staff, "sign-seed-1").await;
    let retry = sign_seed_keyed(&staff, "sign-seed-1").await;
    assert_eq!(first.status, 201);
    assert_eq!(retry.status, 201);
    assert_eq!(retry.text, first.text, "the same body, byte for byte");
    assert_eq!(retry.location, first.location);
    let id = first.json["id"].as_str().unwrap();
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(events.json.as_array().unwrap().len(), 1);
    let list = staff.get("/api/v1/projects").await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        1,
        "one project, not two"
    );
}

#[tokio::test]
async fn a_damaged_idempotency_record_is_never_replayed_as_a_200() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let first = sign_seed_keyed(&staff, "sign-seed-damaged").await;
    assert_eq!(first.status, 201);
    // The stored answer's status is edited into no HTTP status at all.
    server.sql("UPDATE idempotency SET status = 70000 WHERE key = 'sign-seed-damaged'");
    let retry = sign_seed_keyed(&staff, "sign-seed-damaged").await;
    assert_problem(&retry, 503, "stored-row-unreadable");
    assert_eq!(retry.json["table"], "idempotency");
    assert!(
        server.log().contains("sign-seed-damaged"),
        "the log names the key"
    );
    let list = staff.get("/api/v1/projects").await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        1,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_damaged_list_row_is_named_by_its_table_and_id_never_served() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    // The list row's state, edited into text that is not JSON.
    server.sql("UPDATE project_list SET state = '{\"version\": 1,'");
    let list = staff.get("/api/v1/projects").await;
    assert_problem(&list, 503, "stored-row-unreadable");
    assert_eq!(list.json["table"], "project_list");
    assert!(server.log().contains(&id), "the log names the project");
}

#[tokio::test]
async fn the_store_being_unreachable_is_a_503_and_nothing_is_written() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    // Another process holds the write lock longer than the server waits
    // for it: the command cannot be carried out.
    let holder = server.hold_write_lock(12);
    let extend = seed_commands()[1].1.clone();
    let blocked = staff
        .post(
            &format!("/api/v1/projects/{id}/extensions"),
            &extend,
            Some(1),
        )
        .await;
    assert_problem(&blocked, 503, "unavailable");
    holder.join().unwrap();
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(state.etag.as_deref(), Some("\"1\""), "nothing was written");
    let retried = staff
        .post(
            &format!("/api/v1/projects/{id}/extensions"),
            &extend,
            Some(1),
        )
        .await;
    assert_eq!(
        retried.status, 200,
        "the server recovers once the lock is gone"
    );
}

#[tokio::test]
async fn a_review_dated_in_the_future_is_refused_and_nothing_is_written() {
    let server = Server::start();
    let (staff, id) = seed_project_through(&server, 3).await;
    let (route, body) = &seed_commands()[3];
    let mut body = body.clone();
    body["reviewed_on"] = "2031-01-01".into();
    let refused = staff
        .post(&format!("/api/v1/projects/{id}{route}"), &body, Some(3))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let error = &refused.json["errors"][0];
    assert_eq!(error["code"], "future-date");
    assert_eq!(error["pointer"], "/reviewed_on");
    assert!(error["message"].as_str().unwrap().contains("2031-01-01"));
    assert_eq!(
        staff.get(&format!("/api/v1/projects/{id}")).await.json["version"],
        3
    );
}
