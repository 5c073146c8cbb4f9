//! Folding and deciding throughput of the pure core.
//!
//! `make bench` runs this; figures are recorded in docs/benchmarks.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use granttrail_domain::{Command, CommandKind, ProjectEvent, decide, evolve, fold};
use serde_json::Value;
use std::hint::black_box;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

fn seed_commands() -> Vec<Command> {
    let fixture: Value = serde_json::from_str(SEED).expect("seed is JSON");
    fixture["projects"][0]["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|c| {
            let kind: CommandKind = serde_json::from_value(c["command"].clone()).expect("kind");
            kind.read_body(c["body"].clone()).expect("body")
        })
        .collect()
}

/// The seed's eight events.
fn seed_events() -> Vec<ProjectEvent> {
    let mut events: Vec<ProjectEvent> = Vec::new();
    for command in seed_commands() {
        let state = fold(&events).expect("folds");
        events.extend(decide(state.as_ref(), &command).expect("accepted"));
    }
    events
}

/// A project history of `len` events: the seed's first six, then drafts
/// revised again and again, then finalization.
fn long_history(len: usize) -> Vec<ProjectEvent> {
    let seed = seed_events();
    let mut events = seed[..6].to_vec();
    let ProjectEvent::EvaluationDrafted(draft) = &seed[5] else {
        unreachable!("the seed's sixth event is a draft")
    };
    while events.len() < len - 1 {
        let mut next = draft.clone();
        next.revision = (events.len() - 4) as u32;
        events.push(ProjectEvent::EvaluationDrafted(next));
    }
    events.push(seed[7].clone());
    events
}

fn fold_bench(c: &mut Criterion) {
    let seed = seed_events();
    let mut group = c.benchmark_group("evolve");
    group.throughput(Throughput::Elements(seed.len() as u64));
    group.bench_function("seed project (8 events)", |b| {
        b.iter(|| fold(black_box(&seed)).expect("folds"))
    });

    // One million events as 10,000 projects of 100 events each. The
    // stream is a list of references into one template history, so the
    // benchmark measures evolve rather than memory bandwidth of a 1 GB
    // event list.
    let template = long_history(100);
    let stream: Vec<&ProjectEvent> = (0..10_000).flat_map(|_| template.iter()).collect();
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.sample_size(10);
    group.bench_function("1M events, 10k projects", |b| {
        b.iter(|| {
            let mut finalized = 0usize;
            for project in stream.chunks(template.len()) {
                let mut state = None;
                for event in project {
                    state = Some(evolve(state, event).expect("folds"));
                }
                finalized += usize::from(state.is_some());
            }
            black_box(finalized)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("decide");
    let history = long_history(100);
    let before_final = &history[..99];
    let finalize = seed_commands().pop().expect("finalize command");
    let state = fold(before_final).expect("folds");
    group.bench_with_input(
        BenchmarkId::new("decide only", "100-event history"),
        &state,
        |b, state| {
            b.iter(|| decide(black_box(state.as_ref()), black_box(&finalize)).expect("accepted"))
        },
    );
    group.bench_function("fold 99 + decide", |b| {
        b.iter(|| {
            let state = fold(black_box(before_final)).expect("folds");
            decide(state.as_ref(), &finalize).expect("accepted")
        })
    });
    group.finish();
}

criterion_group!(benches, fold_bench);
criterion_main!(benches);
