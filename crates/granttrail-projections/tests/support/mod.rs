//! The seed project's events as the store would hold them, for the report
//! tests.

#![allow(dead_code, clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use granttrail_domain::{CommandKind, decide, fold};
use granttrail_store::{Actor, StoredEvent, chain};
use serde_json::Value;
use uuid::Uuid;

const SEED: &str = include_str!("../../../../tests/fixtures/seed-project.json");
const SEED_MIDTERM: &str = include_str!("../../../../tests/fixtures/seed-midterm.json");

/// The seed's commands, in order.
pub fn seed_commands() -> Vec<(CommandKind, Value)> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    fixture["projects"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                serde_json::from_value(c["command"].clone()).unwrap(),
                c["body"].clone(),
            )
        })
        .collect()
}

/// The seed's events as the store would hold them, with fixed ids and
/// instants so the snapshots are stable.
pub fn seed_stored(commands: usize) -> Vec<StoredEvent> {
    stored_from(seed_commands().into_iter().take(commands).collect())
}

/// The whole seed with the source's mid-term evaluation after the
/// extension.
pub fn seed_with_midterm() -> Vec<StoredEvent> {
    let midterm: Value = serde_json::from_str(SEED_MIDTERM).unwrap();
    let mut commands = seed_commands();
    commands.insert(2, (CommandKind::Midterm, midterm["body"].clone()));
    stored_from(commands)
}

/// Events as the store would hold them for these commands.
pub fn stored_from(commands: Vec<(CommandKind, Value)>) -> Vec<StoredEvent> {
    let stream_id = Uuid::parse_str("0192f5a0-0000-7000-8000-000000005eed").unwrap();
    let mut domain = Vec::new();
    let mut stored: Vec<StoredEvent> = Vec::new();
    for (n, (kind, body)) in commands.into_iter().enumerate() {
        let command = kind.read_body(&body).unwrap();
        let state = fold(&domain).unwrap();
        for event in decide(state.as_ref(), &command).unwrap() {
            let encoded = event.encode();
            let version = stored.len() as u64 + 1;
            let executor = kind == CommandKind::SubmitSelfReport;
            let mut e = StoredEvent {
                position: version as i64,
                stream_id,
                version,
                event_id: Uuid::from_u128(0x0192f5a0_0000_7000_8000_000000000000 + version as u128),
                event_type: encoded.event_type,
                schema_version: encoded.schema_version,
                occurred_on: event.occurred_on(),
                recorded_at: Utc.with_ymd_and_hms(2023, 3, 1, 9, 0, 0).unwrap()
                    + Duration::minutes(n as i64),
                actor: Actor {
                    id: if executor { "tok-exec" } else { "tok-staff" }.into(),
                    name: if executor {
                        "小水滴社工"
                    } else {
                        "项目负责人"
                    }
                    .into(),
                    role: if executor { "executor" } else { "staff" }.into(),
                    org_id: executor.then(|| "jt-xiaoshuidi".into()),
                },
                correlation_id: Uuid::from_u128(version as u128),
                causation_id: None,
                idempotency_key: None,
                data: encoded.data,
                prev_hash: stored.last().map(|p| p.hash.clone()).unwrap_or_default(),
                hash: String::new(),
            };
            e.hash = chain::compute_hash(&e);
            stored.push(e);
            domain.push(event);
        }
    }
    stored
}

/// The text of the Markdown report between the heading that starts with
/// `from` and the next level-2 heading.
pub fn section<'a>(markdown: &'a str, from: &str) -> &'a str {
    let start = markdown
        .find(&format!("## {from}"))
        .unwrap_or_else(|| panic!("no section {from}"));
    let rest = &markdown[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i);
    &rest[..end]
}
