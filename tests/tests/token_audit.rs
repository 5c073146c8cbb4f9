//! Tokens are watched: revoking one closes its live feed, expired tokens
//! authenticate nobody, and every creation, revocation and refusal is
//! logged with the route and the token's id, never its secret.

#![allow(clippy::unwrap_used)]

use futures::StreamExt;
use granttrail_e2e::{Client, Server, read_events};
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_closes_its_live_feed() {
    let server = Server::start_with(&[("GRANTTRAIL_SSE_TOKEN_RECHECK_SECONDS", "1")]);
    let admin = Client::new(&server, &server.admin);
    let created = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "watcher", "role": "auditor"}),
            None,
        )
        .await;
    let (id, secret) = (
        created.json["id"].as_str().unwrap().to_owned(),
        created.json["token"].as_str().unwrap().to_owned(),
    );
    Client::new(&server, &server.token("staff", None))
        .sign_seed(None)
        .await;
    let live = reqwest::Client::new()
        .get(server.url("/api/v1/events/stream"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    let mut body = live.bytes_stream();
    let mut buffer = String::new();
    assert_eq!(read_events(&mut body, &mut buffer, 1).await.len(), 1);

    let revoked = admin
        .request(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    // The stream ends (the signal); 20 s is only the failure bound.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the feed of a revoked token is still open");
    assert!(
        server.log().contains("live feed closed"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn an_expired_token_authenticates_nobody() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let past = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "late", "role": "staff", "expires_at": "2001-01-01T00:00:00Z"}),
            None,
        )
        .await;
    assert_eq!(past.status, 400, "an expiry in the past: {}", past.text);
    let future = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "soon", "role": "staff", "expires_at": "2999-01-01T00:00:00Z"}),
            None,
        )
        .await;
    assert_eq!(future.status, 201, "{}", future.text);
    assert_eq!(future.json["expires_at"], "2999-01-01T00:00:00.000000Z");
    let live = Client::new(&server, future.json["token"].as_str().unwrap());
    assert_eq!(live.get("/api/v1/projects").await.status, 200);

    // A token whose expiry has passed, as the store keeps it.
    let secret = "gt_expired_token_for_the_test";
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    let id = "0192f5a0-0000-7000-8000-00000000e0e0";
    let id_column = if server.is_sqlite() {
        format!("X'{}'", id.replace('-', ""))
    } else {
        format!("'{id}'::uuid")
    };
    server.sql(&format!(
        "INSERT INTO users (id, name, created_at) VALUES ('{id}', 'expired', '2020-01-01T00:00:00.000000Z'); \
         INSERT INTO tokens (id, name, role, org_id, secret_hash, created_at, expires_at, user_id) \
         VALUES ({id_column}, 'expired', 'staff', NULL, '{hash}', '2020-01-01T00:00:00.000000Z', \
         '2021-01-01T00:00:00.000000Z', '{id}')"
    ));
    let expired = Client::new(&server, secret).get("/api/v1/projects").await;
    assert_eq!(expired.status, 401, "{}", expired.text);
    let log = server.log();
    assert!(log.contains("token refused"), "{log}");
    assert!(
        log.contains(id),
        "the refused token is named by its id: {log}"
    );
    assert!(log.contains("expired"), "{log}");
}

#[tokio::test]
async fn token_administration_and_refusals_are_logged_without_secrets() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let created = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "auditor", "role": "auditor"}),
            None,
        )
        .await;
    let id = created.json["id"].as_str().unwrap().to_owned();
    let secret = created.json["token"].as_str().unwrap().to_owned();
    let auditor = Client::new(&server, &secret);
    // 403: an auditor may not sign.
    let refused = auditor
        .post(
            "/api/v1/projects",
            &granttrail_e2e::seed_commands()[0].1,
            None,
        )
        .await;
    assert_eq!(refused.status, 403);
    admin
        .request(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    // 401: the revoked token.
    assert_eq!(auditor.get("/api/v1/projects").await.status, 401);

    let log = server.log();
    let lines = |needle: &str| -> Vec<String> {
        log.lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    };
    assert!(
        lines("token created").iter().any(|l| l.contains(&id)),
        "{log}"
    );
    assert!(
        lines("token revoked").iter().any(|l| l.contains(&id)),
        "{log}"
    );
    let refusals = lines("request refused");
    assert!(
        refusals
            .iter()
            .any(|l| l.contains("403") && l.contains("/api/v1/projects") && l.contains(&id)),
        "{log}"
    );
    assert!(refusals.iter().any(|l| l.contains("401")), "{log}");
    assert!(
        lines("token refused")
            .iter()
            .any(|l| l.contains(&id) && l.contains("revoked")),
        "{log}"
    );
    assert!(!log.contains(&secret), "a secret reached the log");
}
