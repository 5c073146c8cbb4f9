//! Slowloris and connection exhaustion, against the real binary: clients
//! that trickle their headers are cut off, quiet keep-alive connections
//! are closed, the number of connections is capped (and the cap is
//! logged), and an authenticated client is served quickly throughout.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use granttrail_e2e::{Client, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn address(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// One attacker: connects, starts a request and sends one more header
/// byte a second, reconnecting whenever the server hangs up, until
/// `until`. Returns how many times the server cut it off.
async fn trickle(address: String, until: Instant) -> u32 {
    let mut cut_off = 0;
    while Instant::now() < until {
        let connect = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&address));
        let Ok(Ok(mut stream)) = connect.await else {
            continue; // the backlog is full: the cap at work
        };
        if stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
            .await
            .is_err()
        {
            cut_off += 1;
            continue;
        }
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stream.write_all(b"a").await.is_err() {
                cut_off += 1;
                break;
            }
        }
    }
    cut_off
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_clients_do_not_slow_an_authenticated_client() {
    let server = Server::start();
    let staff = Client::new(&server, &server.token("staff", None));
    let id = staff.sign_seed(None).await;
    let path = format!("/api/v1/projects/{id}");
    assert_eq!(staff.get(&path).await.status, 200, "connection warmed up");

    let until = Instant::now() + Duration::from_secs(30);
    let attackers: Vec<_> = (0..2000)
        .map(|_| tokio::spawn(trickle(address(&server), until)))
        .collect();
    let mut latencies = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let got = staff.get(&path).await;
        latencies.push(started.elapsed());
        assert_eq!(got.status, 200, "{}", got.text);
    }
    let mut cut_off = 0;
    for attacker in attackers {
        cut_off += attacker.await.unwrap();
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    assert!(
        p99 < Duration::from_millis(100),
        "p99 {p99:?} over {} requests",
        latencies.len()
    );
    assert!(
        cut_off >= 1000,
        "slow clients were cut off {cut_off} times; the header timeout is 10 s"
    );
    assert!(
        server.log().contains("connection cap reached"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn a_quiet_keep_alive_connection_is_closed() {
    let server = Server::start_with(&[("GRANTTRAIL_HEADER_READ_TIMEOUT_SECONDS", "1")]);
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: quiet\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    // The answer, then the server's hang-up (EOF) once the connection
    // stayed quiet; 20 s only bounds a failure.
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the quiet connection is still open");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let server = Server::start_with(&[("GRANTTRAIL_HEADER_READ_TIMEOUT_SECONDS", "1")]);
    let mut stream = TcpStream::connect(address(&server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let cut = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "the server waits forever for the headers");
}
