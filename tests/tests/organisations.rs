//! An executing organisation never learns anything about another's
//! projects: every route and parameter answers for another organisation's
//! project exactly as for an id that does not exist.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server, seed_commands, seed_project_through};
use reqwest::Method;

/// Every way of asking about project `id`: (method, path, body).
fn every_question(id: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let project = format!("/api/v1/projects/{id}");
    let mut questions: Vec<(Method, String, Option<serde_json::Value>)> = [
        String::new(),
        "?version=1".into(),
        "?version=999".into(),
        "?version=0".into(),
        "?known_at=2020-01-01T00:00:00Z".into(),
        "?known_at=2999-01-01T00:00:00Z".into(),
        "?as_of=2022-10-01".into(),
        "?as_of=1999-01-01".into(),
        "/events".into(),
        "/audit-trail".into(),
        "/report".into(),
        "/report?lang=en".into(),
        "/report?format=html".into(),
        "/verify".into(),
        "/export".into(),
    ]
    .into_iter()
    .map(|suffix| (Method::GET, format!("{project}{suffix}"), None))
    .collect();
    for (route, body) in seed_commands().into_iter().skip(1) {
        questions.push((Method::POST, format!("{project}{route}"), Some(body)));
    }
    questions
}

async fn ask(
    client: &Client,
    method: &Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Answer {
    let mut request = client.request(method.clone(), path);
    if let Some(body) = body {
        request = request.header("if-match", "\"8\"").json(body);
    }
    granttrail_e2e::answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn another_organisations_project_answers_as_if_it_did_not_exist() {
    let server = Server::start();
    let (_, id) = seed_project_through(&server, 8).await;
    let stranger = Client::new(&server, &server.token("executor", Some("another-org")));
    let missing = uuid::Uuid::now_v7().to_string();
    for ((method, path, body), (_, missing_path, _)) in every_question(&id)
        .into_iter()
        .zip(every_question(&missing))
    {
        let theirs = ask(&stranger, &method, &path, body.as_ref()).await;
        let nobodys = ask(&stranger, &method, &missing_path, body.as_ref()).await;
        // A parameter that is wrong whatever the project (?version=0) may
        // say so; anything that depends on the project is a 404.
        if !path.ends_with("?version=0") {
            assert_eq!(theirs.status, 404, "{method} {path}: {}", theirs.text);
        }
        assert_eq!(
            (theirs.status, &theirs.json["code"], &theirs.json["detail"]),
            (
                nobodys.status,
                &nobodys.json["code"],
                &nobodys.json["detail"]
            ),
            "{method} {path} differs from a missing project"
        );
    }
}
