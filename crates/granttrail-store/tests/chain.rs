//! The hash chain checked independently of `serde_jcs`: against a
//! known-answer vector computed outside Rust (Python's `json.dumps` with
//! sorted keys and no spaces, which equals RFC 8785 for this value space;
//! see docs/hash-chain.md), and against a second canonical encoder written
//! here from the RFC's rules.

#![allow(clippy::unwrap_used)]

use granttrail_domain::BusinessDate;
use granttrail_store::{Actor, StoredEvent, StreamHead, chain};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The vector of docs/hash-chain.md.
const KNOWN_HASH: &str = "16ac420dcfa79ae0426b921316d5c8fbf23187f7e6fecdf01f7ee8151f6192a2";

fn vector_event() -> StoredEvent {
    StoredEvent {
        position: 42,
        stream_id: "0192f5a0-0000-7000-8000-000000000001".parse().unwrap(),
        version: 1,
        event_id: "0192f5a0-0000-7000-8000-0000000000e1".parse().unwrap(),
        event_type: "PeriodExtended".into(),
        schema_version: 1,
        occurred_on: BusinessDate::parse("2022-09-30").unwrap(),
        recorded_at: "2026-11-28T04:00:00.123456Z".parse().unwrap(),
        actor: Actor {
            id: "tok-staff".into(),
            name: "项目负责人".into(),
            role: "staff".into(),
            org_id: None,
        },
        correlation_id: "0192f5a0-0000-7000-8000-0000000000c1".parse().unwrap(),
        causation_id: None,
        idempotency_key: None,
        data: json!({"decided_on": "2022-09-30", "from_end": "2022-10-10", "new_end": "2023-02-28",
                     "reason": "受疫情影响\n\"进度较慢\"", "matching_source": "各社区微基金"}),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// RFC 8785 for JSON without fractional numbers, written from the RFC:
/// object members sorted by their UTF-16 code units, no whitespace,
/// strings escaped as ECMAScript's JSON.stringify does.
fn canonical(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            assert!(
                n.is_i64() || n.is_u64(),
                "only integers in this value space"
            );
            n.to_string()
        }
        Value::String(s) => quote(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let members: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", quote(k), canonical(&fields[*k])))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn the_known_answer_vector_hashes_as_documented() {
    assert_eq!(chain::compute_hash(&vector_event()), KNOWN_HASH);
}

#[test]
fn a_separately_written_canonical_form_gives_the_same_hash() {
    let event = vector_event();
    let input = chain::hash_input(&event);
    assert!(input.get("position").is_none() && input.get("hash").is_none());
    assert!(input.get("stream_id").is_some());
    let ours = hex::encode(Sha256::digest(canonical(&input).as_bytes()));
    assert_eq!(ours, chain::compute_hash(&event));
    assert_eq!(ours, KNOWN_HASH);
}

#[test]
fn the_hash_ignores_position_and_covers_everything_else() {
    let event = vector_event();
    let moved = StoredEvent {
        position: 7,
        ..event.clone()
    };
    assert_eq!(chain::compute_hash(&moved), KNOWN_HASH);
    let mut altered = event.clone();
    altered.data["new_end"] = json!("2023-03-01");
    assert_ne!(chain::compute_hash(&altered), KNOWN_HASH);
    let mut other_actor = event;
    other_actor.actor.name = "someone else".into();
    assert_ne!(chain::compute_hash(&other_actor), KNOWN_HASH);
}

fn chained(n: u64) -> Vec<StoredEvent> {
    let mut events: Vec<StoredEvent> = Vec::new();
    for v in 1..=n {
        let mut e = vector_event();
        e.version = v;
        e.position = v as i64 * 10;
        e.prev_hash = events.last().map(|p| p.hash.clone()).unwrap_or_default();
        e.hash = chain::compute_hash(&e);
        events.push(e);
    }
    events
}

fn head(events: &[StoredEvent]) -> StreamHead {
    let last = events.last().unwrap();
    StreamHead {
        version: last.version,
        hash: last.hash.clone(),
    }
}

#[test]
fn verification_names_the_first_bad_version() {
    let id = vector_event().stream_id;
    let events = chained(5);
    let h = head(&events);
    assert!(chain::verify(id, &events, Some(&h)).ok);

    let check = |events: &[StoredEvent], h: &StreamHead| {
        chain::verify(id, events, Some(h)).first_bad_version
    };
    let mut edited = events.clone();
    edited[2].data["reason"] = json!("changed");
    assert_eq!(check(&edited, &h), Some(3), "edited data");

    let mut deleted = events.clone();
    deleted.remove(1);
    assert_eq!(check(&deleted, &h), Some(2), "deleted middle event");

    assert_eq!(check(&events[..4], &h), Some(5), "deleted newest event");

    let mut reordered = events.clone();
    reordered.swap(1, 3);
    assert_eq!(check(&reordered, &h), Some(2), "reordered events");

    let mut repositioned = events.clone();
    repositioned[3].position = 5;
    assert_eq!(check(&repositioned, &h), Some(4), "moved in the global log");
}
