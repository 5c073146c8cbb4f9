//! Serving an inclusion proof from a log of 1 000 000 leaves: the leaf
//! index of a position, the O(log n) stored hashes the proof needs (one
//! query), and the proof made of them — what `GET /api/v1/log/inclusion`
//! asks of the store. The target is under 1 ms (issue: proof).
//!
//! The log is built once (1 000 steps of 1 000 leaves, as the runner
//! integrates) into `target/bench-log-1m.db` and kept for later runs.

#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use granttrail_store::{LogHead, LogStep, LogStore, Saved};
use granttrail_store_sqlite::SqliteStore;
use granttrail_tlog::{leaf_hash, stored};

const LEAVES: u64 = 1_000_000;
const STEP: u64 = 1_000;

async fn log_of_a_million(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mut head = store.log_head().await.unwrap();
    while head.size < LEAVES {
        let leaves: Vec<_> = (head.size..head.size + STEP)
            .map(|n| leaf_hash(&n.to_be_bytes()))
            .collect();
        let existing = store
            .log_hashes(&stored::root_needs(head.size))
            .await
            .unwrap();
        let step = LogStep {
            from: head,
            leaves: (0..STEP)
                .map(|i| ((head.size + i + 1) as i64, head.size + i))
                .collect(),
            hashes: stored::append(head.size, &existing, &leaves),
        };
        assert_eq!(store.integrate(&step).await.unwrap(), Saved::Written);
        head = LogHead {
            size: head.size + STEP,
            position: (head.size + STEP) as i64,
        };
    }
    store
}

fn inclusion(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-log-1m.db");
    let store = runtime.block_on(log_of_a_million(&path));
    let mut position = 1i64;
    c.bench_function("inclusion_proof_in_a_log_of_1m", |b| {
        b.iter(|| {
            // Positions spread over the whole log.
            position = (position * 7919 + 104_729) % LEAVES as i64 + 1;
            runtime.block_on(async {
                let index = store.leaf_index(position).await.unwrap().unwrap();
                let needs = stored::inclusion_needs(index, LEAVES);
                let hashes = store.log_hashes(&needs).await.unwrap();
                stored::inclusion_from(index, LEAVES, &hashes)
            })
        });
    });
}

criterion_group!(benches, inclusion);
criterion_main!(benches);
