//! An acknowledged event is never lost, even on `kill -9`.
//!
//! A real child process appends as fast as it can and prints every event
//! the store acknowledged; the test kills it with SIGKILL mid-stream,
//! reopens the file, and checks every acknowledged event is there, intact,
//! and that every chain verifies.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use granttrail_store::{EventStore, StreamBound};
use granttrail_store_sqlite::SqliteStore;
use uuid::Uuid;

fn run_and_kill(url: &str, acks_before_kill: usize) -> Vec<(Uuid, u64, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_granttrail-crash-appender"))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut acked = Vec::new();
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let parts: Vec<&str> = line.split(' ').collect();
        if let ["ack", stream, version, hash] = parts[..] {
            acked.push((
                stream.parse().expect("uuid"),
                version.parse().expect("version"),
                hash.to_owned(),
            ));
        }
        if acked.len() >= acks_before_kill || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    // SIGKILL: no destructor, no flush, no clean close of the database.
    child.kill().expect("kill -9");
    let _ = child.wait();
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let mut all_acked = Vec::new();
    // Several rounds on the same file: each restart must also recover
    // whatever the previous kill left in the WAL.
    for (round, acks) in [150usize, 400, 50, 800].into_iter().enumerate() {
        let acked = run_and_kill(&url, acks);
        assert!(
            !acked.is_empty(),
            "round {round}: the child acknowledged nothing"
        );
        all_acked.extend(acked);

        let store = SqliteStore::open(&url).await.expect("reopens after kill");
        for (stream, version, hash) in &all_acked {
            let events = store
                .read_stream(
                    *stream,
                    StreamBound {
                        up_to_version: Some(*version),
                        recorded_at_or_before: None,
                    },
                )
                .await
                .expect("readable");
            let event = events.iter().find(|e| e.version == *version);
            assert_eq!(
                event.map(|e| e.hash.as_str()),
                Some(hash.as_str()),
                "round {round}: acknowledged event {stream} v{version} is missing or changed"
            );
        }
        for stream in store.stream_ids().await.expect("streams") {
            let report = store.verify_stream(stream).await.expect("verifies");
            assert!(report.ok, "round {round}: stream {stream}: {report:?}");
        }
        store.close().await;
    }
}
