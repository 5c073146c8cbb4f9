//! The hash chain of docs/hash-chain.md, so anyone can verify it with their own tools.
//!
//! For the event at version `n` of a stream, take its `/events` item, drop
//! `position` and `hash`, and keep `stream_id`. `prev_hash` is the previous
//! event's `hash`, or `""` at version 1. Then
//! `hash = hex(SHA-256(RFC 8785 canonical JSON of that object))`.
//!
//! Canonicalisation is `serde_jcs`'s (a maintained RFC 8785 crate); a test
//! in this crate checks it against a separately written canonical form and
//! a known-answer vector documented in `docs/hash-chain.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::event::{AppendRequest, NewEvent, StoredEvent, StreamHead};

/// The algorithm's name, written into export manifests.
pub const ALGORITHM: &str = "sha256-jcs-rfc8785-v1";

/// The object whose canonical form is hashed.
pub fn hash_input(event: &StoredEvent) -> Value {
    // Serialising a StoredEvent to a Value cannot fail: all keys are
    // strings and every field serialises infallibly.
    let mut value = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Some(fields) = value.as_object_mut() {
        fields.remove("position");
        fields.remove("hash");
    }
    value
}

/// The hash of a JSON object under the chain's rules.
pub fn hash_value(value: &Value) -> String {
    // JCS of a Value only fails on non-finite floats, which a Value parsed
    // from or built as JSON cannot hold.
    let canonical = serde_jcs::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

/// The hash a stored event should carry.
pub fn compute_hash(event: &StoredEvent) -> String {
    hash_value(&hash_input(event))
}

/// One new event's hash input in canonical form, except for the three
/// members only the writer knows when it commits: `prev_hash`,
/// `recorded_at` and `version`.
///
/// Why: canonicalising the whole input (above all `data`) is most of the
/// CPU an append costs, and the writer commits batches one after another.
/// Built by the caller before it queues its append, the writer only
/// splices three scalars into bytes it already has. An RFC 8785 object is
/// its members sorted by name, each `"name":` followed by the member's own
/// canonical form; so canonicalising each member with `serde_jcs` and
/// joining them in order of name (UTF-16 code units; all ASCII here) is
/// the canonical form of the whole. A property test holds it to
/// [`compute_hash`] (`tests/prepared_hash.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalEvent {
    /// `{"actor":…,…,"occurred_on":…,"prev_hash":`
    before_prev_hash: Vec<u8>,
    /// `,"schema_version":…,"stream_id":…,"type":…,"version":`
    before_version: Vec<u8>,
}

impl CanonicalEvent {
    /// The canonical parts of one event of `request`.
    pub fn new(request: &AppendRequest, event: &NewEvent) -> CanonicalEvent {
        CanonicalEvent::from_members(&Members {
            actor: &request.actor,
            causation_id: &request.causation_id,
            correlation_id: &request.correlation_id,
            data: &event.event.data,
            event_id: &event.event_id,
            idempotency_key: request.idempotency.as_ref().map(|r| r.key.as_str()),
            occurred_on: &event.occurred_on,
            schema_version: event.event.schema_version,
            stream_id: &request.stream_id,
            event_type: &event.event.event_type,
        })
    }

    /// The canonical parts of an event already stored, to check its hash
    /// without canonicalising a `Value` copy of the whole event.
    pub fn of_stored(event: &StoredEvent) -> CanonicalEvent {
        CanonicalEvent::from_members(&Members {
            actor: &event.actor,
            causation_id: &event.causation_id,
            correlation_id: &event.correlation_id,
            data: &event.data,
            event_id: &event.event_id,
            idempotency_key: event.idempotency_key.as_deref(),
            occurred_on: &event.occurred_on,
            schema_version: event.schema_version,
            stream_id: &event.stream_id,
            event_type: &event.event_type,
        })
    }

    fn from_members(m: &Members<'_>) -> CanonicalEvent {
        let mut head = Vec::with_capacity(512);
        head.push(b'{');
        member(&mut head, "actor", m.actor);
        member(&mut head, "causation_id", m.causation_id);
        member(&mut head, "correlation_id", m.correlation_id);
        member_with(&mut head, "data", |out| write_value(out, m.data));
        member(&mut head, "event_id", m.event_id);
        member(&mut head, "idempotency_key", &m.idempotency_key);
        member(&mut head, "occurred_on", m.occurred_on);
        head.extend_from_slice(b",\"prev_hash\":");
        let mut tail = Vec::with_capacity(128);
        member(&mut tail, "schema_version", &m.schema_version);
        member(&mut tail, "stream_id", m.stream_id);
        member(&mut tail, "type", m.event_type);
        tail.extend_from_slice(b",\"version\":");
        CanonicalEvent {
            before_prev_hash: head,
            before_version: tail,
        }
    }

    /// The event's hash, given what the writer decided; `recorded_at` in
    /// its stored text form ([`crate::format_instant`]).
    pub fn hash(&self, prev_hash: &str, recorded_at: &str, version: u64) -> String {
        let mut input =
            Vec::with_capacity(self.before_prev_hash.len() + self.before_version.len() + 160);
        input.extend_from_slice(&self.before_prev_hash);
        write_canonical(&mut input, prev_hash);
        input.extend_from_slice(b",\"recorded_at\":");
        write_canonical(&mut input, recorded_at);
        input.extend_from_slice(&self.before_version);
        write_canonical(&mut input, &version);
        input.push(b'}');
        hex::encode(Sha256::digest(&input))
    }
}

/// Every member of the hash input but the three the writer decides,
/// borrowed from a new or a stored event.
struct Members<'a> {
    actor: &'a crate::event::Actor,
    causation_id: &'a Option<Uuid>,
    correlation_id: &'a Uuid,
    data: &'a Value,
    event_id: &'a Uuid,
    idempotency_key: Option<&'a str>,
    occurred_on: &'a granttrail_domain::BusinessDate,
    schema_version: u32,
    stream_id: &'a Uuid,
    event_type: &'a str,
}

/// The hash `event` should carry, computed member by member (the same
/// bytes as [`compute_hash`], which canonicalises a `Value` copy of the
/// whole event; a property test holds the two together). Reads check
/// every event they fold with this, so it is the cheap one.
pub fn stored_hash(event: &StoredEvent) -> String {
    CanonicalEvent::of_stored(event).hash(
        &event.prev_hash,
        &crate::format_instant(&event.recorded_at),
        event.version,
    )
}

/// Appends `"name":value`, after a comma unless it opens the object.
/// Member names are plain ASCII, so they need no escaping.
fn member<T: Serialize + ?Sized>(out: &mut Vec<u8>, name: &str, value: &T) {
    member_with(out, name, |out| write_canonical(out, value));
}

/// `,"name":` and the member's canonical form as `write` writes it.
fn member_with(out: &mut Vec<u8>, name: &str, write: impl FnOnce(&mut Vec<u8>)) {
    if out != b"{" {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    write(out);
}

/// The RFC 8785 form of a JSON value, written straight from the tree.
///
/// `serde_jcs` is the reference (and writes what this does not: numbers
/// with fractions, in ECMAScript's form), but it buffers every object and
/// turns every key into a vector of UTF-16 units to sort; event data is
/// most of an event, and most of what an append costs. Here: integers as
/// their digits; strings as serde_json escapes them, which is RFC 8785's
/// set (`\"`, `\\`, `\b\t\n\f\r`, other controls as lower-case `\u00xx`,
/// nothing else); members sorted by UTF-16 code units, compared without
/// allocating; any other number as `serde_jcs` writes it. The property test in `tests/prepared_hash.rs` holds the
/// result equal to `serde_jcs` for any data.
fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // RFC 8785 writes every number as an IEEE double; integers up to
        // 2^53 are exact doubles, written as their digits.
        Value::Number(n) if n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53) => {
            out.extend_from_slice(n.to_string().as_bytes());
        }
        Value::Number(_) => write_canonical(out, value),
        Value::String(text) => {
            // Writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, text);
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (index, (name, item)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, name);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
    }
}

fn write_canonical<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing to a Vec cannot fail, and no member holds a non-finite
    // float (numbers in events are integers); see `hash_value`.
    let _ = serde_jcs::to_writer(out, value);
}

/// The outcome of verifying one stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    /// Whether every event and the head are intact.
    pub ok: bool,
    /// How many events were read.
    pub events: u64,
    /// The last event's hash as stored.
    pub head_hash: Option<String>,
    /// The first version that is missing, moved or altered.
    pub first_bad_version: Option<u64>,
    /// What is wrong there, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl ChainReport {
    /// A stream whose row at `version` could not even be read.
    pub fn unreadable(version: u64, reason: String) -> ChainReport {
        ChainReport {
            ok: false,
            events: 0,
            head_hash: None,
            first_bad_version: Some(version),
            problem: Some(format!("version {version} cannot be read: {reason}")),
        }
    }
}

/// Where a stream's chain first breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first version that is missing, moved, misplaced or altered.
    pub version: u64,
    /// What is wrong there, in words.
    pub problem: String,
}

/// Checks that `events` are versions 1, 2, … of `stream_id`, in global
/// order, each linked to and hashed over its predecessor: a stream read
/// whole, or read up to a version or instant (a prefix). Every read that
/// folds a stream runs this before trusting it.
pub fn verify_prefix(stream_id: Uuid, events: &[StoredEvent]) -> Result<(), ChainBreak> {
    let bad = |version: u64, problem: String| Err(ChainBreak { version, problem });
    let mut prev_hash = "";
    let mut prev_position = i64::MIN;
    for (index, event) in events.iter().enumerate() {
        let expected = index as u64 + 1;
        if event.version != expected {
            return bad(
                expected,
                format!(
                    "version {expected} is missing (found {} in its place)",
                    event.version
                ),
            );
        }
        if event.stream_id != stream_id {
            return bad(
                expected,
                format!("version {expected} belongs to stream {}", event.stream_id),
            );
        }
        if event.position <= prev_position {
            return bad(
                expected,
                format!(
                    "version {expected} is at global position {}, not after version {}'s {}",
                    event.position,
                    expected - 1,
                    prev_position
                ),
            );
        }
        if event.prev_hash != prev_hash {
            return bad(
                expected,
                format!("version {expected}'s prev_hash does not match the previous event's hash"),
            );
        }
        let recomputed = stored_hash(event);
        if recomputed != event.hash {
            return bad(
                expected,
                format!(
                    "version {expected} was altered: its hash recomputes to {recomputed}, stored {}",
                    event.hash
                ),
            );
        }
        prev_hash = &event.hash;
        prev_position = event.position;
    }
    Ok(())
}

/// Verifies a stream's events (in version order) against each other and
/// against the stream's recorded head.
///
/// Checked for each version in turn ([`verify_prefix`]): it is the next
/// version (no gap), its global position is after the previous one's (no
/// reordering), it belongs to this stream, its `prev_hash` is the previous
/// hash, and its own hash recomputes. Last, the recorded head must be the
/// last event, so deleting the newest event is caught too.
pub fn verify(stream_id: Uuid, events: &[StoredEvent], head: Option<&StreamHead>) -> ChainReport {
    let bad = |version: u64, problem: String| ChainReport {
        ok: false,
        events: events.len() as u64,
        head_hash: events.last().map(|e| e.hash.clone()),
        first_bad_version: Some(version),
        problem: Some(problem),
    };
    if let Err(ChainBreak { version, problem }) = verify_prefix(stream_id, events) {
        return bad(version, problem);
    }
    let last = events.last();
    let stored = last.map_or(0, |e| e.version);
    match head {
        Some(head) if head.version == stored && last.is_some_and(|e| e.hash == head.hash) => {}
        None if last.is_none() => {}
        Some(head) if head.version > stored => {
            return bad(
                stored + 1,
                format!(
                    "the stream's head is version {} but version {} is missing",
                    head.version,
                    stored + 1
                ),
            );
        }
        Some(head) if head.version < stored => {
            return bad(
                head.version + 1,
                format!(
                    "version {} is stored beyond the stream's recorded head {}",
                    head.version + 1,
                    head.version
                ),
            );
        }
        Some(head) => {
            return bad(
                head.version,
                format!(
                    "version {}'s hash differs from the recorded head",
                    head.version
                ),
            );
        }
        None => return bad(1, "the stream has events but no recorded head".to_owned()),
    }
    ChainReport {
        ok: true,
        events: events.len() as u64,
        head_hash: last.map(|e| e.hash.clone()),
        first_bad_version: None,
        problem: None,
    }
}
