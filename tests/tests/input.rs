//! Input the reviewer's attack found accepted, each refused now with a
//! clear problem and nothing written: a chunked body past the limit,
//! duplicate keys, integers no verifier reads exactly, ids in other
//! spellings, year 0, an unbounded request id; and a bearer scheme in any
//! case accepted, as RFC 9110 says.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Answer, Client, Server, answer, seed_commands};
use reqwest::Method;
use serde_json::json;

async fn post_text(client: &Client, path: &str, body: String) -> Answer {
    answer(
        client
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn sign_body_with(member: &str, raw_value: &str) -> String {
    let mut body = seed_commands()[0].1.clone();
    body.as_object_mut().unwrap().remove(member);
    let text = body.to_string();
    format!("{{\"{member}\": {raw_value}, {}", &text[1..])
}

async fn projects_in_list(client: &Client) -> usize {
    client.get("/api/v1/projects?limit=500").await.json["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_chunked_body_past_the_limit_is_413_and_writes_nothing() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let mut body = seed_commands()[0].1.clone();
    body["title"] = json!("题".repeat(350_000));
    let bytes = body.to_string().into_bytes();
    assert!(bytes.len() > 1024 * 1024);
    // A stream body has no Content-Length: it is sent chunked.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let got = answer(
        staff
            .request(Method::POST, "/api/v1/projects")
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.status, 413, "{}", got.text);
    assert_eq!(got.json["code"], "payload-too-large");
    assert_eq!(projects_in_list(&staff).await, 0);
}

#[tokio::test]
async fn a_member_named_twice_is_400_with_its_pointer() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let body = sign_body_with("title", "\"one title\", \"title\": \"another\"");
    let got = post_text(&staff, "/api/v1/projects", body).await;
    assert_eq!(got.status, 400, "{}", got.text);
    assert_eq!(got.json["code"], "duplicate-key");
    assert_eq!(got.json["errors"][0]["pointer"], "/title");
    assert_eq!(projects_in_list(&staff).await, 0);
}

#[tokio::test]
async fn integers_beyond_two_to_the_53_are_refused_in_every_field() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let mut body = seed_commands()[0].1.clone();
    body["indicators"][0]["target"] = json!(9_223_372_036_854_775_807_i64);
    let got = post_text(&staff, "/api/v1/projects", body.to_string()).await;
    assert_eq!(got.status, 422, "{}", got.text);
    assert_eq!(got.json["errors"][0]["pointer"], "/indicators/0/target");
    assert_eq!(got.json["errors"][0]["code"], "integer-out-of-range");
    body["indicators"][0]["target"] = json!(9_007_199_254_740_991_i64);
    let accepted = staff.post("/api/v1/projects", &body, None).await;
    assert_eq!(accepted.status, 201, "2^53 − 1 is fine: {}", accepted.text);
    assert_eq!(projects_in_list(&staff).await, 1);
}

#[tokio::test]
async fn ids_are_read_in_their_canonical_form_only() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    let simple = id.replace('-', "");
    for spelling in [format!("urn:uuid:{id}"), format!("%7B{id}%7D"), simple] {
        let got = staff.get(&format!("/api/v1/projects/{spelling}")).await;
        assert_eq!(got.status, 404, "{spelling}: {}", got.text);
    }
    let upper = staff
        .get(&format!("/api/v1/projects/{}", id.to_uppercase()))
        .await;
    assert_eq!(
        upper.status, 200,
        "hex digits in either case: {}",
        upper.text
    );
}

#[tokio::test]
async fn dates_before_year_one_are_refused() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let mut body = seed_commands()[0].1.clone();
    body["applied_on"] = json!("0000-12-31");
    let got = staff.post("/api/v1/projects", &body, None).await;
    assert_eq!(got.status, 422, "{}", got.text);
    assert_eq!(got.json["errors"][0]["pointer"], "/applied_on");
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let server = Server::start();
    let token = server.token("staff", None);
    let http = reqwest::Client::new();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let got = http
            .get(server.url("/api/v1/projects"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{scheme}");
    }
    let basic = http
        .get(server.url("/api/v1/projects"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
}

#[tokio::test]
async fn an_unfit_request_id_is_replaced_not_echoed() {
    let server = Server::start();
    let http = reqwest::Client::new();
    let fit = "req-42.abc";
    // Within the 128 KiB the server reads a request's head in.
    let huge = "x".repeat(100_000);
    for (sent, kept) in [
        (fit.to_owned(), true),
        ("a".repeat(128), true),
        ("a".repeat(129), false),
        (huge, false),
        ("two words".to_owned(), false),
    ] {
        let got = http
            .get(server.url("/healthz"))
            .header("x-request-id", &sent)
            .send()
            .await
            .unwrap();
        let echoed = got.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(echoed.len() <= 128, "{} characters echoed", echoed.len());
        assert_eq!(echoed == sent, kept, "{}", &sent[..sent.len().min(40)]);
    }
    // Past it, the whole head is refused (431 problem+json), and the id
    // with it.
    let past = http
        .get(server.url("/healthz"))
        .header("x-request-id", "y".repeat(400_000))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 431);
    assert!(past.headers().get("x-request-id").is_none());
    assert!(
        !server.log().contains(&"x".repeat(1000)),
        "the long id reached the log"
    );
}

#[tokio::test]
async fn token_fields_are_validated_as_strictly_as_project_fields() {
    let server = Server::start();
    let admin = Client::new(&server, &server.admin);
    let before = admin
        .get("/api/v1/tokens")
        .await
        .json
        .as_array()
        .unwrap()
        .len();
    let long = "o".repeat(10_000);
    for (org, why) in [
        ("a\u{0}b", "NUL"),
        (long.as_str(), "10 000 characters"),
        ("jt-xiаoshuidi", "a Cyrillic а among Latin letters"),
        ("..", "only dots"),
        ("jt xiaoshuidi", "a space"),
    ] {
        let got = admin
            .post(
                "/api/v1/tokens",
                &json!({"name": "n", "role": "executor", "org_id": org}),
                None,
            )
            .await;
        assert!(
            (400..500).contains(&got.status),
            "{why}: {} {}",
            got.status,
            got.text
        );
    }
    let named_with_nul = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "a\u{0}b", "role": "staff"}),
            None,
        )
        .await;
    assert_eq!(named_with_nul.status, 400, "{}", named_with_nul.text);
    let unknown = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "n", "role": "staff", "expires": "never"}),
            None,
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert_eq!(unknown.json["code"], "unknown-field");
    assert_eq!(unknown.json["errors"][0]["pointer"], "/expires");
    let after = admin
        .get("/api/v1/tokens")
        .await
        .json
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "no refused token was written");
    let fine = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "小水滴社工", "role": "executor", "org_id": "jt-xiaoshuidi"}),
            None,
        )
        .await;
    assert_eq!(fine.status, 201, "{}", fine.text);
}
