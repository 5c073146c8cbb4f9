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

/// Who asks: an admin, staff, an auditor, the project's own executor and
/// another organisation's executor, in this order in every row below.
const WHO: [&str; 5] = [
    "admin",
    "staff",
    "auditor",
    "own executor",
    "other executor",
];

/// (method, path, the status each of [`WHO`] gets). `{id}` is a project of
/// the executor's organisation at version 1; commands send `If-Match: "999"`,
/// so a caller the table permits hears 412 (stale) and nothing is written,
/// one it forbids hears 403, and one who may not see the project 404.
#[rustfmt::skip]
const ROUTES: &[(&str, &str, [u16; 5])] = &[
    ("POST", "/api/v1/projects", [201, 201, 403, 403, 403]),
    ("GET", "/api/v1/projects", [200, 200, 200, 200, 200]),
    ("GET", "/api/v1/projects/{id}", [200, 200, 200, 200, 404]),
    ("GET", "/api/v1/projects/{id}/events", [200, 200, 200, 200, 404]),
    ("GET", "/api/v1/projects/{id}/audit-trail", [200, 200, 200, 200, 404]),
    ("GET", "/api/v1/projects/{id}/report", [409, 409, 409, 409, 404]),
    ("GET", "/api/v1/projects/{id}/verify", [200, 200, 200, 200, 404]),
    ("GET", "/api/v1/projects/{id}/export", [200, 200, 200, 200, 404]),
    ("POST", "/api/v1/projects/{id}/extensions", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/midterm-evaluations", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/self-reports", [412, 412, 403, 412, 404]),
    ("POST", "/api/v1/projects/{id}/reviews", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/site-visits", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/drafts", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/finalization", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/corrections", [412, 412, 403, 403, 404]),
    ("POST", "/api/v1/projects/{id}/tranche-releases", [412, 412, 403, 403, 404]),
    // Who may not attach hears 403 before a byte is read, for any project.
    ("POST", "/api/v1/projects/{id}/attachments?name=table.txt", [412, 412, 403, 403, 403]),
    ("GET", "/api/v1/projects/{id}/attachments/{sha256}", [404, 404, 404, 404, 404]),
    ("POST", "/api/v1/projects/{id}/attachment-withdrawals", [412, 412, 403, 403, 404]),
    ("GET", "/api/v1/signing-key", [200, 200, 200, 200, 200]),
    ("GET", "/api/v1/events", [200, 200, 200, 403, 403]),
    ("GET", "/api/v1/events/stream", [200, 200, 200, 403, 403]),
    ("GET", "/api/v1/exports/audit-trail.csv", [200, 200, 200, 403, 403]),
    ("GET", "/api/v1/log/checkpoint", [200, 200, 200, 200, 200]),
    ("GET", "/api/v1/log/checkpoints", [200, 200, 200, 200, 200]),
    ("GET", "/api/v1/log/inclusion?position=1", [200, 200, 200, 200, 404]),
    ("GET", "/api/v1/log/consistency?from=1&to=1", [200, 200, 200, 200, 200]),
    ("POST", "/api/v1/tokens", [201, 403, 403, 403, 403]),
    ("GET", "/api/v1/tokens", [200, 403, 403, 403, 403]),
    ("DELETE", "/api/v1/tokens/{absent}", [404, 403, 403, 403, 403]),
    ("POST", "/api/v1/users", [201, 403, 403, 403, 403]),
    ("GET", "/api/v1/users", [200, 403, 403, 403, 403]),
    ("POST", "/api/v1/users/{absent}/disable", [404, 403, 403, 403, 403]),
    ("POST", "/api/v1/imports/historical?dry_run=true", [200, 403, 403, 403, 403]),
    ("GET", "/api/v1/imports/historical/template", [200, 403, 403, 403, 403]),
    ("GET", "/api/v1/openapi.json", [200, 200, 200, 200, 200]),
    ("GET", "/healthz", [200, 200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200, 200]),
    ("GET", "/metrics", [200, 200, 200, 200, 200]),
];

/// The body each POST route takes (one that parses, so the answer is about
/// who asks, not what they sent).
fn body_for(path: &str) -> serde_json::Value {
    let mut commands = seed_commands();
    commands.push(granttrail_e2e::midterm_command());
    commands.push(granttrail_e2e::correction_command());
    commands.push((
        "/attachment-withdrawals",
        json!({"withdrawn_on": "2022-05-12", "sha256": "ab".repeat(32), "reason": "表"}),
    ));
    commands.push((
        "/tranche-releases",
        json!({"released_on": "2022-05-12", "tranche": 1}),
    ));
    let suffix = path.trim_start_matches("/api/v1/projects/{id}");
    match path {
        "/api/v1/projects" => {
            let mut sign = commands[0].1.clone();
            sign.as_object_mut().unwrap().remove("code");
            sign
        }
        "/api/v1/tokens" => json!({"name": "made in the table", "role": "auditor"}),
        "/api/v1/users" => json!({"id": "made-in-the-table", "name": "表中用户"}),
        "/api/v1/projects/{id}/attachments?name=table.txt" => json!({"a": "text file"}),
        "/api/v1/users/{absent}/disable" => json!({}),
        "/api/v1/imports/historical?dry_run=true" => {
            serde_json::from_str(include_str!("../fixtures/source-history.json")).unwrap()
        }
        _ => commands
            .iter()
            .find(|(route, _)| *route == suffix)
            .map(|(_, body)| body.clone())
            .unwrap(),
    }
}

#[tokio::test]
async fn each_role_gets_exactly_its_status_on_every_route() {
    let server = Server::start();
    let clients = [
        Client::new(&server, &server.admin),
        Client::new(&server, &server.token("staff", None)),
        Client::new(&server, &server.token("auditor", None)),
        Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi"))),
        Client::new(&server, &server.token("executor", Some("another-org"))),
    ];
    let id = clients[1].sign_seed(None).await;
    // An export commits the log to the project's event at once, so its
    // inclusion proof exists when the table asks for it.
    assert_eq!(
        clients[1]
            .get(&format!("/api/v1/projects/{id}/export"))
            .await
            .status,
        200
    );
    let absent = uuid::Uuid::now_v7().to_string();

    for (method, template, statuses) in ROUTES {
        let path = template
            .replace("{id}", &id)
            .replace("{absent}", &absent)
            .replace("{sha256}", &"ab".repeat(32));
        for ((who, client), expected) in WHO.iter().zip(&clients).zip(statuses) {
            let mut request = client.request(method.parse().unwrap(), &path);
            if *method == "POST" {
                request = request.json(&body_for(template));
                if template.contains("{id}") {
                    request = request.header("If-Match", "\"999\"");
                }
            }
            // Only the status is read: the live feed's body never ends.
            let status = request.send().await.unwrap().status().as_u16();
            assert_eq!(status, *expected, "{who}: {method} {path}");
        }
    }
    assert_eq!(
        clients[1].get(&format!("/api/v1/projects/{id}")).await.json["version"],
        1,
        "no command of the table was written"
    );
}

#[tokio::test]
async fn the_table_covers_every_documented_route() {
    let server = Server::start();
    let auditor = Client::new(&server, &server.token("auditor", None));
    let doc = auditor.get("/api/v1/openapi.json").await;
    let mut documented: Vec<(String, String)> = doc.json["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|method| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    documented.sort();
    let mut tabled: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| {
            let path = path.split('?').next().unwrap().replace("{absent}", "{id}");
            (method.to_string(), path)
        })
        .collect();
    tabled.sort();
    assert_eq!(tabled, documented);
}

#[tokio::test]
async fn an_executor_lists_only_its_own_organisation() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let own = Client::new(&server, &server.token("executor", Some("jt-xiaoshuidi")));
    let other = Client::new(&server, &server.token("executor", Some("another-org")));
    staff.sign_seed(None).await;
    let count = |answer: granttrail_e2e::Answer| answer.json["items"].as_array().unwrap().len();
    assert_eq!(count(other.get("/api/v1/projects").await), 0);
    assert_eq!(
        count(other.get("/api/v1/projects?executor=jt-xiaoshuidi").await),
        0,
        "even when it asks for another organisation by name"
    );
    assert_eq!(count(own.get("/api/v1/projects").await), 1);
}

#[tokio::test]
async fn a_token_an_admin_makes_works_until_it_is_revoked() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    let project = format!("/api/v1/projects/{id}");
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
        ("post", "/api/v1/projects/{id}/midterm-evaluations"),
        ("post", "/api/v1/projects/{id}/self-reports"),
        ("post", "/api/v1/projects/{id}/reviews"),
        ("post", "/api/v1/projects/{id}/site-visits"),
        ("post", "/api/v1/projects/{id}/drafts"),
        ("post", "/api/v1/projects/{id}/finalization"),
        ("post", "/api/v1/projects/{id}/corrections"),
        ("post", "/api/v1/projects/{id}/tranche-releases"),
        ("post", "/api/v1/projects/{id}/attachments"),
        ("get", "/api/v1/projects/{id}/attachments/{sha256}"),
        ("post", "/api/v1/projects/{id}/attachment-withdrawals"),
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users/{id}/disable"),
        ("post", "/api/v1/imports/historical"),
        ("get", "/api/v1/imports/historical/template"),
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
