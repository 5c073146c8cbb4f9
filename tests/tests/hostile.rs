//! Hostile input, table-driven: whatever arrives, the answer is never a 5xx
//! and always a problem+json body.

#![allow(clippy::unwrap_used)]

use granttrail_e2e::{Client, Server, answer};
use reqwest::Method;

#[tokio::test]
async fn hostile_inputs_never_get_a_5xx() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    let extensions = format!("/api/v1/projects/{id}/extensions");
    let long = "长".repeat(100_000);
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Method, String, String)> = vec![
        ("truncated JSON", Method::POST, extensions.clone(), "{\"decided_on\":".into()),
        ("not JSON", Method::POST, extensions.clone(), "decided_on=2022-09-30".into()),
        ("empty body", Method::POST, extensions.clone(), String::new()),
        ("JSON array", Method::POST, extensions.clone(), "[]".into()),
        ("JSON string", Method::POST, extensions.clone(), "\"hello\"".into()),
        ("null", Method::POST, extensions.clone(), "null".into()),
        ("deep nesting", Method::POST, extensions.clone(), deep),
        ("wrong types", Method::POST, extensions.clone(), r#"{"decided_on": 20220930, "new_end": true, "reason": ["x"]}"#.into()),
        ("impossible date", Method::POST, extensions.clone(), r#"{"decided_on": "2022-02-30", "new_end": "2023-02-28", "reason": "r"}"#.into()),
        ("date with time", Method::POST, extensions.clone(), r#"{"decided_on": "2022-09-30T00:00:00Z", "new_end": "2023-02-28", "reason": "r"}"#.into()),
        ("year zero", Method::POST, extensions.clone(), r#"{"decided_on": "0000-01-01", "new_end": "9999-12-31", "reason": "r"}"#.into()),
        ("absurd number", Method::POST, "/api/v1/projects".into(), r#"{"indicators": [{"target": 1e400}]}"#.into()),
        ("huge integer", Method::POST, "/api/v1/projects".into(), r#"{"title": 99999999999999999999999999999}"#.into()),
        ("negative target", Method::POST, "/api/v1/projects".into(), r#"{"title": "t", "indicators": [{"key": "k", "label": "l", "unit": "u", "target": -9223372036854775808, "comparison": "at_least"}]}"#.into()),
        ("very long string", Method::POST, extensions.clone(), format!(r#"{{"decided_on": "2022-09-30", "new_end": "2023-02-28", "reason": "{long}"}}"#)),
        ("control characters", Method::POST, extensions.clone(), r#"{"decided_on": "2022-09-30", "new_end": "2023-02-28", "reason": "a\u0000b"}"#.into()),
        ("unknown enum", Method::POST, format!("/api/v1/projects/{id}/reviews"), r#"{"reviewed_on": "2023-02-15", "outcome": "maybe"}"#.into()),
        ("id not a UUID", Method::POST, "/api/v1/projects/../../etc/passwd/extensions".into(), "{}".into()),
        ("id with SQL", Method::GET, "/api/v1/projects/1';DROP TABLE events;--".into(), String::new()),
        ("huge version", Method::GET, format!("/api/v1/projects/{id}?version=99999999999999999999999"), String::new()),
        ("negative version", Method::GET, format!("/api/v1/projects/{id}?version=-1"), String::new()),
        ("bad instant", Method::GET, format!("/api/v1/projects/{id}?known_at=yesterday"), String::new()),
        ("bad as_of", Method::GET, format!("/api/v1/projects/{id}?as_of=2023-13-01"), String::new()),
        ("unknown query", Method::GET, format!("/api/v1/projects/{id}?debug=1"), String::new()),
        ("bad list stage", Method::GET, "/api/v1/projects?stage=deleted".into(), String::new()),
        ("bad limit", Method::GET, "/api/v1/projects?limit=100000".into(), String::new()),
        ("bad cursor", Method::GET, "/api/v1/projects?cursor=%00%ff".into(), String::new()),
        ("bad overdue", Method::GET, "/api/v1/projects?overdue=perhaps".into(), String::new()),
    ];
    for (name, method, path, body) in cases {
        let mut request = staff
            .request(method.clone(), &path)
            .header("if-match", "\"1\"");
        if method == Method::POST {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let got = answer(request.send().await.unwrap()).await;
        assert!(got.status < 500, "{name}: {} {}", got.status, got.text);
        assert!(got.status >= 400, "{name}: accepted with {}", got.status);
        assert!(
            got.content_type.starts_with("application/problem+json"),
            "{name}: {}",
            got.content_type
        );
    }
    let odd_headers = [
        ("if-match", "*"),
        ("if-match", "W/\"1\""),
        ("if-match", "\"-1\""),
        ("idempotency-key", " "),
    ];
    for (header, value) in odd_headers {
        let got = answer(
            staff
                .request(Method::POST, &extensions)
                .header(header, value)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            (400..500).contains(&got.status),
            "{header}: {value}: {}",
            got.status
        );
    }
    let state = staff.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(
        state.etag.as_deref(),
        Some("\"1\""),
        "no hostile request wrote anything"
    );
}
