//! Requests the HTTP parser refuses before any route runs (a bad header
//! byte, a URI past 64 KiB, too many or too large headers) are answered
//! with RFC 9457 problem details like every other error.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use granttrail_e2e::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `request` raw and reads the answer until the server closes.
async fn raw(server: &Server, request: &[u8]) -> (u16, String, serde_json::Value) {
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (
        status,
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap_or_default(),
    )
}

fn check(status: u16, head: &str, problem: &serde_json::Value, expected: u16, code: &str) {
    assert_eq!(status, expected, "{head}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    assert_eq!(problem["status"], expected, "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
    assert!(problem["detail"].is_string());
}

#[tokio::test]
async fn the_parsers_refusals_are_problems() {
    let server = Server::start();
    let bad_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n".to_vec();
    let (status, head, problem) = raw(&server, &bad_header).await;
    check(status, &head, &problem, 400, "malformed-request");

    let long_uri = format!(
        "GET /api/v1/projects?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let (status, head, problem) = raw(&server, long_uri.as_bytes()).await;
    check(status, &head, &problem, 414, "uri-too-long");

    let many_headers: String = (0..200).map(|n| format!("X-H{n}: v\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n");
    let (status, head, problem) = raw(&server, many.as_bytes()).await;
    check(status, &head, &problem, 431, "headers-too-large");

    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(500_000)
    );
    let (status, head, problem) = raw(&server, huge.as_bytes()).await;
    check(status, &head, &problem, 431, "headers-too-large");
}
