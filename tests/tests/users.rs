//! Users: tokens belong to named users, every event's actor is the user,
//! and an admin adds, lists and disables them (CLI and API).

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server};
use serde_json::json;

/// A token for `user` through the CLI.
fn token_for(server: &Server, user: &str, role: &str) -> String {
    let out = server.cli(&[
        "token", "create", "--role", role, "--name", "laptop", "--user", user,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn an_events_actor_is_the_user_behind_the_token() {
    let server = Server::start();
    let added = server.cli(&["user", "add", "--id", "zhangsan", "--name", "张三"]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let zhang = Client::new(&server, &token_for(&server, "zhangsan", "staff"));
    let id = zhang.sign_seed(None).await;
    let events = zhang.get(&format!("/api/v1/projects/{id}/events")).await;
    assert_eq!(events.json[0]["actor"]["id"], "zhangsan");
    assert_eq!(events.json[0]["actor"]["name"], "张三");
    assert_eq!(events.json[0]["actor"]["role"], "staff");

    let listed = server.cli(&["user", "list"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.lines().any(|l| l.starts_with("zhangsan\t张三\t-\t")),
        "{listed}"
    );
}

#[tokio::test]
async fn a_token_made_without_a_user_gets_one_of_its_own() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    let events = staff.get(&format!("/api/v1/projects/{id}/events")).await;
    let actor = events.json[0]["actor"].clone();
    let admin = Client::new(&server, &server.admin);
    let users = admin.get("/api/v1/users").await;
    assert!(
        users
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == actor["id"] && u["name"] == "staff"),
        "{}",
        users.text
    );
}

#[tokio::test]
async fn admins_add_list_and_disable_users_over_http() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let added = admin
        .post(
            "/api/v1/users",
            &json!({"id": "lisi", "name": "李四", "org_id": "jt-xiaoshuidi"}),
            None,
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json["org_id"], "jt-xiaoshuidi");
    let again = admin
        .post(
            "/api/v1/users",
            &json!({"id": "lisi", "name": "另一个"}),
            None,
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json["code"], "user-exists");
    let bad = admin
        .post("/api/v1/users", &json!({"id": "../etc", "name": "x"}), None)
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    // A user's executor token takes the user's organisation.
    let token = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "phone", "role": "executor", "user": "lisi"}),
            None,
        )
        .await;
    assert_eq!(token.status, 201, "{}", token.text);
    assert_eq!(token.json["user_id"], "lisi");
    assert_eq!(token.json["org_id"], "jt-xiaoshuidi");
    let li = Client::new(&server, token.json["token"].as_str().unwrap());
    assert_eq!(li.get("/api/v1/projects").await.status, 200);

    let staff = Client::new(&server, &server.token("staff", None));
    assert_eq!(staff.get("/api/v1/users").await.status, 403, "admins only");

    let disabled = admin
        .post("/api/v1/users/lisi/disable", &json!({}), None)
        .await;
    assert_eq!(disabled.status, 204, "{}", disabled.text);
    let refused = li.get("/api/v1/projects").await;
    assert_eq!(refused.status, 401, "a disabled user's token works no more");
    let twice = admin
        .post("/api/v1/users/lisi/disable", &json!({}), None)
        .await;
    assert_eq!(twice.status, 404);
    let unknown = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "x", "role": "staff", "user": "nobody"}),
            None,
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
}
