//! The soak run behind `make soak`: mixed load against the real binary
//! for a while (10 minutes by default), a `kill -9` of the server every 60
//! seconds and a restart, then the checks an operator would make:
//!
//! - every command the server acknowledged (2xx) is there, at least at
//!   the version it answered;
//! - `granttrail verify` is clean (chains and the whole log);
//! - the project list equals a rebuild from the events.
//!
//! Prints its figures (for docs/benchmarks.md) and exits non-zero on any
//! failed check. `GRANTTRAIL_SOAK_MINUTES` shortens or lengthens it; the
//! backend is chosen as for the end-to-end suite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use granttrail_e2e::{Client, Server, seed_commands, try_send_seed_step, whole_list};

/// Concurrent clients sending commands and reads.
const WORKERS: usize = 16;
/// How long the server lives between two kills.
const ROUND: Duration = Duration::from_secs(60);

/// What one worker saw acknowledged: project id → highest version.
type Acknowledged = Arc<Mutex<HashMap<String, u64>>>;

#[derive(Default)]
struct Tally {
    commands: u64,
    reads: u64,
    refused: u64,
    failed: u64,
    latencies: Vec<Duration>,
}

/// One worker: takes projects from signing to finalization, reading
/// between steps, until `until`; connection errors (the kill) end a
/// project's run and it starts another.
async fn worker(staff: Client, executor: Client, until: Instant, acked: Acknowledged) -> Tally {
    let mut tally = Tally::default();
    let steps = seed_commands();
    let mut sign = steps[0].1.clone();
    sign.as_object_mut().unwrap().remove("code");
    while Instant::now() < until {
        let started = Instant::now();
        let signed = staff.try_post("/api/v1/projects", &sign, None).await;
        let Some(signed) = signed else {
            tally.failed += 1;
            continue;
        };
        tally.latencies.push(started.elapsed());
        if signed.status != 201 {
            tally.refused += 1;
            continue;
        }
        tally.commands += 1;
        let id = signed.json["id"].as_str().unwrap().to_owned();
        acked.lock().unwrap().insert(id.clone(), 1);
        for (version, (route, body)) in steps.iter().enumerate().skip(1) {
            if Instant::now() >= until {
                break;
            }
            let started = Instant::now();
            let Some(done) =
                try_send_seed_step(&staff, &executor, &id, route, body, version as u64).await
            else {
                tally.failed += 1;
                break;
            };
            tally.latencies.push(started.elapsed());
            if !(200..300).contains(&done.status) {
                tally.refused += 1;
                break;
            }
            tally.commands += 1;
            acked.lock().unwrap().insert(id.clone(), version as u64 + 1);
            if staff
                .try_get(&format!("/api/v1/projects/{id}"))
                .await
                .is_some()
            {
                tally.reads += 1;
            }
        }
        if staff.try_get("/api/v1/projects?limit=20").await.is_some() {
            tally.reads += 1;
        }
    }
    tally
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let minutes: u64 = std::env::var("GRANTTRAIL_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(10);
    let total = Duration::from_secs(minutes * 60);
    let mut server = Server::start();
    let staff_token = server.token("staff", None);
    let executor_token = server.token("executor", Some("jt-xiaoshuidi"));
    let acked: Acknowledged = Arc::default();
    let mut tally = Tally::default();
    let mut kills = 0;
    let began = Instant::now();
    while began.elapsed() < total {
        let round_end = Instant::now() + ROUND.min(total - began.elapsed());
        // The workers run a little past the kill, so it lands mid-burst.
        let until = round_end + Duration::from_secs(2);
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let staff = Client::new(&server, &staff_token);
                let executor = Client::new(&server, &executor_token);
                tokio::spawn(worker(staff, executor, until, acked.clone()))
            })
            .collect();
        tokio::time::sleep_until(round_end.into()).await;
        server.kill();
        kills += 1;
        for finished in workers {
            let round = finished.await.unwrap();
            tally.commands += round.commands;
            tally.reads += round.reads;
            tally.refused += round.refused;
            tally.failed += round.failed;
            tally.latencies.extend(round.latencies);
        }
        server.restart();
        eprintln!(
            "soak: {:>4} s, {kills} kills, {} commands acknowledged",
            began.elapsed().as_secs(),
            tally.commands
        );
    }

    let mut failures = Vec::new();
    let staff = Client::new(&server, &staff_token);
    let acked = acked.lock().unwrap().clone();
    let mut lost = 0;
    for (id, version) in &acked {
        let project = staff.get(&format!("/api/v1/projects/{id}")).await;
        let stored = project.json["version"].as_u64().unwrap_or(0);
        if project.status != 200 || stored < *version {
            lost += 1;
            if lost <= 10 {
                failures.push(format!(
                    "project {id}: acknowledged at version {version}, found {} ({stored})",
                    project.status
                ));
            }
        }
    }
    if lost > 0 {
        failures.push(format!("{lost} acknowledged projects lost commands"));
    }
    let verify = server.cli(&["verify"]);
    if !verify.status.success() {
        failures.push(format!(
            "verify: {}",
            String::from_utf8_lossy(&verify.stdout)
        ));
    }
    let projected = whole_list(&staff).await;
    server.kill();
    let rebuilt = server.cli(&["rebuild"]);
    if !rebuilt.status.success() {
        failures.push(format!(
            "rebuild: {}",
            String::from_utf8_lossy(&rebuilt.stderr)
        ));
    }
    server.restart();
    let staff = Client::new(&server, &staff_token);
    let after_rebuild = whole_list(&staff).await;
    if projected != after_rebuild {
        failures.push(format!(
            "the project list ({} projects) differs from a rebuild ({})",
            projected.len(),
            after_rebuild.len()
        ));
    }

    tally.latencies.sort();
    let quantile = |q: f64| {
        tally
            .latencies
            .get(((tally.latencies.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("soak on {}", server.database);
    println!(
        "  {} min, {WORKERS} clients, {kills} kill -9 and restarts",
        minutes
    );
    println!(
        "  commands acknowledged {}, refused {}, cut off by kills {}, reads {}",
        tally.commands, tally.refused, tally.failed, tally.reads
    );
    println!(
        "  command latency p50 {:.1} ms, p99 {:.1} ms",
        quantile(0.5),
        quantile(0.99)
    );
    println!(
        "  projects checked {}, lost {lost}; verify {}; list == rebuild: {} ({} projects)",
        acked.len(),
        if verify.status.success() {
            "clean"
        } else {
            "FAILED"
        },
        projected == after_rebuild,
        projected.len()
    );
    if failures.is_empty() {
        println!("soak: ok");
        std::process::ExitCode::SUCCESS
    } else {
        for failure in &failures {
            println!("soak FAILED: {failure}");
        }
        std::process::ExitCode::FAILURE
    }
}
