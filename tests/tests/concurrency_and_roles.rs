//! Racing clients and who may do what.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, seed_commands};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_commands_with_one_if_match_have_exactly_one_winner() {
    let server = Server::start();
    let token = server.token("staff", None);
    let staff = Client::new(&server, &token);
    let id = staff.sign_seed(None).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let client = Client::new(&server, &token);
            let id = id.clone();
            tokio::spawn(async move {
                let body = json!({"decided_on": "2022-09-30", "new_end": format!("2023-0{}-01", 1 + i % 9), "reason": format!("race {i}")});
                client.post(&format!("/api/v1/projects/{id}/extensions"), &body, Some(1)).await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.status == 412 {
            assert_eq!(answer.etag.as_deref(), Some("\"2\""));
        }
        statuses.push(answer.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        23,
        "{statuses:?}"
    );
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(
        events.json.as_array().unwrap().len(),
        2,
        "the stream grew by one event"
    );
}

#[tokio::test]
async fn each_role_reaches_only_its_routes() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let staff = Client::new(&server, &server.token("staff", None));
    let auditor = Client::new(&server, &server.token("auditor", None));
    let own = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let other = Client::new(&server, &server.token("executor", Some("another-org")));
    let id = staff.sign_seed(None).await;
    let project = format!("/api/v1/projects/{id}");
    let commands = seed_commands();

    // Reads: everyone but another organisation's executor.
    for (who, client, status) in [
        ("admin", &admin, 200),
        ("staff", &staff, 200),
        ("auditor", &auditor, 200),
        ("own executor", &own, 200),
        ("other executor", &other, 404),
    ] {
        assert_eq!(
            client.get(&project).await.status,
            status,
            "{who} reading the project"
        );
        assert_eq!(
            client.get(&format!("{project}/events")).await.status,
            status,
            "{who} reading events"
        );
    }
    // The list: another organisation's executor sees nothing, even when asking.
    assert_eq!(
        other.get("/api/v1/projects").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        other
            .get("/api/v1/projects?executor=jt-xiaoshuidi")
            .await
            .json["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        own.get("/api/v1/projects").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Signing: staff and admin only.
    assert_eq!(
        auditor
            .post("/api/v1/projects", &commands[0].1, None)
            .await
            .status,
        403
    );
    assert_eq!(
        own.post("/api/v1/projects", &commands[0].1, None)
            .await
            .status,
        403
    );

    // Commands other than the self-report: not for executors or auditors.
    assert_eq!(
        own.post(&format!("{project}/extensions"), &commands[1].1, Some(1))
            .await
            .status,
        403
    );
    assert_eq!(
        other
            .post(&format!("{project}/extensions"), &commands[1].1, Some(1))
            .await
            .status,
        404
    );
    assert_eq!(
        auditor
            .post(&format!("{project}/extensions"), &commands[1].1, Some(1))
            .await
            .status,
        403
    );
    assert_eq!(
        admin
            .post(&format!("{project}/extensions"), &commands[1].1, Some(1))
            .await
            .status,
        200
    );

    // The self-report: the project's own executor, not another's.
    assert_eq!(
        other
            .post(&format!("{project}/self-reports"), &commands[2].1, Some(2))
            .await
            .status,
        404
    );
    assert_eq!(
        own.post(&format!("{project}/self-reports"), &commands[2].1, Some(2))
            .await
            .status,
        200
    );

    // Token management: admins only.
    for (who, client) in [("staff", &staff), ("auditor", &auditor), ("executor", &own)] {
        assert_eq!(
            client.get("/api/v1/tokens").await.status,
            403,
            "{who} listing tokens"
        );
    }
    let made = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "temp", "role": "auditor"}),
            None,
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let temp = Client::new(&server, made.json["token"].as_str().unwrap());
    assert_eq!(temp.get(&project).await.status, 200);
    let listed = admin.get("/api/v1/tokens").await;
    assert!(
        !listed.text.contains(made.json["token"].as_str().unwrap()),
        "secrets are never listed"
    );
    let token_id = made.json["id"].as_str().unwrap();
    let revoked = admin
        .request(Method::DELETE, &format!("/api/v1/tokens/{token_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 204);
    assert_eq!(
        temp.get(&project).await.status,
        401,
        "a revoked token authenticates nobody"
    );
}

#[tokio::test]
async fn only_health_readiness_and_metrics_work_without_a_token() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    staff.sign_seed(None).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            response.headers().contains_key("x-request-id"),
            "{path} carries a request id"
        );
    }
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "granttrail_http_requests_total",
        "granttrail_http_request_duration_seconds",
        "granttrail_events_appended_total",
        "granttrail_store_commit_duration_seconds",
    ] {
        assert!(metrics.contains(name), "metrics lack {name}:\n{metrics}");
    }
    assert!(
        metrics.contains("route=\"/api/v1/projects\""),
        "routes are labelled by template"
    );
    for path in ["/api/v1/projects", "/api/v1/openapi.json", "/api/v1/tokens"] {
        assert_eq!(
            reqwest::get(server.url(path))
                .await
                .unwrap()
                .status()
                .as_u16(),
            401,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let server = Server::start();
    let auditor = Client::new(&server, &server.token("auditor", None));
    let doc = auditor.get("/api/v1/openapi.json").await;
    // Once (on PostgreSQL, in CI) this was a 403, which no route of the
    // server answers here; the body and the server's log say who did.
    assert_eq!(doc.status, 200, "{}\n{}", doc.text, server.log());
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3.1"));
    // The contract's routes, written out here independently of the code.
    let routes = [
        ("post", "/api/v1/projects"),
        ("get", "/api/v1/projects"),
        ("get", "/api/v1/projects/{id}"),
        ("get", "/api/v1/projects/{id}/events"),
        ("get", "/api/v1/projects/{id}/audit-trail"),
        ("get", "/api/v1/projects/{id}/report"),
        ("get", "/api/v1/projects/{id}/verify"),
        ("get", "/api/v1/projects/{id}/export"),
        ("get", "/api/v1/signing-key"),
        ("get", "/api/v1/events"),
        ("get", "/api/v1/events/stream"),
        ("get", "/api/v1/exports/audit-trail.csv"),
        ("get", "/api/v1/log/checkpoint"),
        ("get", "/api/v1/log/checkpoints"),
        ("get", "/api/v1/log/inclusion"),
        ("get", "/api/v1/log/consistency"),
        ("post", "/api/v1/projects/{id}/extensions"),
        ("post", "/api/v1/projects/{id}/self-reports"),
        ("post", "/api/v1/projects/{id}/reviews"),
        ("post", "/api/v1/projects/{id}/site-visits"),
        ("post", "/api/v1/projects/{id}/drafts"),
        ("post", "/api/v1/projects/{id}/finalization"),
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/{id}"),
        ("get", "/api/v1/openapi.json"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
    ];
    for (method, path) in routes {
        assert!(
            doc.json["paths"][path][method].is_object(),
            "the document lacks {method} {path}"
        );
    }
    let documented: usize = doc.json["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "no undocumented extras, no missing routes"
    );
}

#[tokio::test]
async fn sigterm_lets_the_server_exit_cleanly() {
    let mut server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    staff.sign_seed(None).await;
    let status = server.terminate();
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert!(server.log().contains("shutting down"));
}
