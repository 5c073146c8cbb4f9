//! The attachment benchmark behind `make bench-upload` (issue 18's two
//! figures), against the release server:
//!
//! 1. RSS growth while a 20 MiB attachment is uploaded: the server's peak
//!    resident set (`VmHWM`) after the upload minus its resident set
//!    before. The upload is streamed to disk, never held whole: the target
//!    is under 8 MiB.
//! 2. Command throughput while 64 clients each upload 1 MiB attachments,
//!    against the same load without them: the target is at least half.
//!
//! Prints the figures for docs/benchmarks.md; exits non-zero if a target
//! is missed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use granttrail_e2e::{Client, Server, seed_commands};

/// A PDF of `size` bytes (a header, then filler the sniffer ignores).
fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size, b'x');
    bytes
}

/// A `/proc/PID/status` figure in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

async fn upload(client: &Client, id: &str, bytes: Vec<u8>, version: u64, name: &str) -> u16 {
    client
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/projects/{id}/attachments?name={name}"),
        )
        .header("if-match", format!("\"{version}\""))
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Signings per second by 8 clients for `for_how_long`.
async fn signings(staff: &Client, for_how_long: Duration) -> f64 {
    let mut sign = seed_commands()[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    let until = Instant::now() + for_how_long;
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (staff, sign) = (staff.clone(), sign.clone());
        workers.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < until {
                if staff.post("/api/v1/projects", &sign, None).await.status == 201 {
                    done += 1;
                }
            }
            done
        }));
    }
    let mut total = 0;
    for worker in workers {
        total += worker.await.unwrap();
    }
    total as f64 / for_how_long.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let server = Server::start();
    let pid = server.pid().unwrap();
    let staff = Client::new(&server, &server.token("staff", None));

    // 1. One 20 MiB upload.
    let id = staff.sign_seed(None).await;
    let before = status_kib(pid, "VmRSS:");
    let status = upload(&staff, &id, pdf(20 * 1024 * 1024), 1, "big.pdf").await;
    assert_eq!(status, 200, "the 20 MiB upload is accepted");
    let peak = status_kib(pid, "VmHWM:");
    let growth_mib = peak.saturating_sub(before) as f64 / 1024.0;
    println!(
        "20 MiB upload: RSS before {before} KiB, peak after {peak} KiB, growth {growth_mib:.1} MiB (target < 8)"
    );

    // 2. Signings alone, then beside 64 clients uploading 1 MiB files.
    let alone = signings(&staff, Duration::from_secs(5)).await;
    let mut uploaders = Vec::new();
    let stop = Instant::now() + Duration::from_secs(5);
    for n in 0..64 {
        let client = staff.clone();
        let project = staff.sign_seed(None).await;
        uploaders.push(tokio::spawn(async move {
            let mut version = 1;
            let mut sent = 0u64;
            while Instant::now() < stop {
                let mut bytes = pdf(1024 * 1024);
                // A different file each time (content addressing would
                // refuse a repeat).
                bytes[20..28].copy_from_slice(&(n as u64 * 1_000_000 + sent).to_le_bytes());
                if upload(&client, &project, bytes, version, "one.pdf").await == 200 {
                    version += 1;
                    sent += 1;
                }
            }
            sent
        }));
    }
    let beside = signings(&staff, Duration::from_secs(5)).await;
    let mut uploaded = 0;
    for uploader in uploaders {
        uploaded += uploader.await.unwrap();
    }
    let ratio = beside / alone;
    println!(
        "signings alone {alone:.0}/s, beside 64 uploaders {beside:.0}/s ({uploaded} MiB uploaded): ratio {ratio:.2} (target >= 0.5)"
    );
    if growth_mib >= 8.0 || ratio < 0.5 {
        std::process::exit(1);
    }
}
