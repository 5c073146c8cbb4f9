//! What checking a stream's hash chain costs a read: every read that
//! folds a stream checks the events it read first (docs/hash-chain.md).
//! Streams of the seed project's size (8 events) and of a long history
//! (1 000 events), each event carrying the seed's signing body as data
//! (about 2 KB of JSON, the largest event of the seed); the member-by-
//! member hash reads use beside the whole-event canonical form it
//! replaced.

#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoredEvent, chain};
use serde_json::Value;
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

fn stream(events: u64) -> (Uuid, Vec<StoredEvent>) {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    let data = fixture["projects"][0]["commands"][0]["body"].clone();
    let stream_id = Uuid::now_v7();
    let mut stored: Vec<StoredEvent> = Vec::new();
    for version in 1..=events {
        let mut event = StoredEvent {
            position: version as i64,
            stream_id,
            version,
            event_id: Uuid::now_v7(),
            event_type: "ProjectSigned".into(),
            schema_version: 1,
            occurred_on: BusinessDate::parse("2022-05-11").unwrap(),
            recorded_at: Utc.with_ymd_and_hms(2023, 3, 1, 9, 0, 0).unwrap()
                + Duration::seconds(version as i64),
            actor: Actor {
                id: "0192f5a0-0000-7000-8000-00000000a11c".into(),
                name: "项目负责人".into(),
                role: "staff".into(),
                org_id: None,
            },
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            idempotency_key: Some("key".into()),
            data: data.clone(),
            prev_hash: stored.last().map(|e| e.hash.clone()).unwrap_or_default(),
            hash: String::new(),
        };
        event.hash = chain::stored_hash(&event);
        stored.push(event);
    }
    (stream_id, stored)
}

fn chain_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain_check");
    for events in [8u64, 1000] {
        let (id, stored) = stream(events);
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(
            BenchmarkId::new("verify_prefix", events),
            &stored,
            |b, s| {
                b.iter(|| chain::verify_prefix(id, s).unwrap());
            },
        );
        group.bench_with_input(
            BenchmarkId::new("whole_event_canonical_form", events),
            &stored,
            |b, s| b.iter(|| s.iter().map(chain::compute_hash).count()),
        );
    }
    group.finish();
}

criterion_group!(benches, chain_check);
criterion_main!(benches);
