//! Stored events and what an append asks for.

use chrono::{DateTime, SubsecRound, Utc};
use granttrail_domain::{BusinessDate, EncodedEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::chain::CanonicalEvent;
use crate::idempotency::IdempotencyRecord;

/// Who caused an event: the token that sent the command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    /// Token id (or `operator` for CLI imports).
    pub id: String,
    /// The token's name.
    pub name: String,
    /// The token's role (`admin`, `staff`, `auditor`, `executor`,
    /// `operator`).
    pub role: String,
    /// The organisation of an executor; `null` otherwise.
    pub org_id: Option<String>,
}

/// An event with every piece of metadata, in the exact JSON shape of
/// `GET /api/v1/projects/{id}/events`. The hash chain is computed from this
/// shape, so its serialisation is part of the contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StoredEvent {
    /// Global position: commit order across all streams.
    pub position: i64,
    /// The project.
    pub stream_id: Uuid,
    /// Version within the stream, 1-based, no gaps.
    pub version: u64,
    /// Unique id of this event.
    pub event_id: Uuid,
    /// Event type name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of `data`'s shape.
    pub schema_version: u32,
    /// Business date the event happened on.
    pub occurred_on: BusinessDate,
    /// When the store committed it (UTC, microseconds).
    #[serde(with = "instant")]
    pub recorded_at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// Groups the events of one request.
    pub correlation_id: Uuid,
    /// The event or request that caused this one, if known.
    pub causation_id: Option<Uuid>,
    /// The client's idempotency key, if one was sent.
    pub idempotency_key: Option<String>,
    /// The event's fields.
    pub data: Value,
    /// The previous event's hash; `""` at version 1.
    pub prev_hash: String,
    /// This event's hash (lowercase hex SHA-256).
    pub hash: String,
}

impl StoredEvent {
    /// The persisted form of the domain event this row holds.
    pub fn encoded(&self) -> EncodedEvent {
        EncodedEvent {
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
            data: self.data.clone(),
        }
    }
}

/// One event to append, as decided by the domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Its id (UUIDv7, time-ordered).
    pub event_id: Uuid,
    /// Type, schema version and data.
    pub event: EncodedEvent,
    /// Business date.
    pub occurred_on: BusinessDate,
}

/// The version a writer decided against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// The stream must not exist yet (creating a project).
    NoStream,
    /// The stream must be at exactly this version.
    Exact(u64),
}

impl ExpectedVersion {
    /// The version number expected, 0 for no stream.
    pub fn as_u64(self) -> u64 {
        match self {
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Exact(v) => v,
        }
    }
}

/// Everything one command writes, atomically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendRequest {
    /// The project.
    pub stream_id: Uuid,
    /// The version decided against.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
    /// Who sent the command.
    pub actor: Actor,
    /// The request's correlation id.
    pub correlation_id: Uuid,
    /// What caused the command, if known.
    pub causation_id: Option<Uuid>,
    /// The response to keep under the client's idempotency key.
    pub idempotency: Option<IdempotencyRecord>,
    /// A project code to reserve for this stream.
    pub reserve_code: Option<String>,
    /// The stream's row in the project list once these events apply,
    /// written in the same transaction (an inline projection): the list
    /// is current when the command is answered, and no second commit is
    /// needed to keep it so. Its `version` is the last event's. `None`
    /// leaves the row to the projection runner.
    pub project_row: Option<crate::ProjectRow>,
}

impl AppendRequest {
    /// This append with its events' hash inputs canonicalised, ready for
    /// a writer. Callers prepare their own appends before queueing them,
    /// so that work runs on their tasks, side by side, and not in the
    /// writer, which commits one batch after another.
    pub fn prepare(self) -> PreparedAppend {
        let prepared = self
            .events
            .iter()
            .map(|event| PreparedEvent {
                canonical: CanonicalEvent::new(&self, event),
                data_json: event.event.data.to_string(),
            })
            .collect();
        PreparedAppend {
            request: self,
            prepared,
        }
    }
}

/// An append and the canonical form of its events' hash inputs
/// ([`AppendRequest::prepare`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedAppend {
    /// What the caller asked for.
    pub request: AppendRequest,
    /// One per event of the request, in order.
    prepared: Vec<PreparedEvent>,
}

/// What the caller works out ahead for one event of its append.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PreparedEvent {
    /// Its hash input, but for the writer's three members.
    canonical: CanonicalEvent,
    /// Its data as JSON text.
    data_json: String,
}

impl PreparedAppend {
    /// Each event's data as JSON text, in order: what a store that keeps
    /// data as text writes, serialised by the caller. (Not the canonical
    /// form: RFC 8785 writes numbers as IEEE doubles, which would round
    /// integers past 2^53.)
    pub fn data_json(&self) -> impl Iterator<Item = &str> {
        self.prepared.iter().map(|p| p.data_json.as_str())
    }

    /// The stored form of this append's events: versions after `head`,
    /// the hash chain continued from it, all recorded at `recorded_at`,
    /// positions counting up from `first_position` (0 where the backend
    /// assigns positions on insert; the hash does not cover the position).
    /// Every backend writes exactly these, so they chain alike.
    pub fn stored_events(
        &self,
        head: Option<StreamHead>,
        recorded_at: DateTime<Utc>,
        first_position: i64,
    ) -> Vec<StoredEvent> {
        let mut events = self.chained(head, recorded_at, first_position);
        for (event, new) in events.iter_mut().zip(&self.request.events) {
            event.data = new.event.data.clone();
        }
        events
    }

    /// [`PreparedAppend::stored_events`] with every event's `data` left
    /// `null`: what a writer decides and binds (the data goes in as
    /// [`PreparedAppend::data_json`]), without a copy of each event's
    /// tree. The writer moves the trees into its answer afterwards
    /// ([`PreparedAppend::give_data`]).
    pub fn chained(
        &self,
        head: Option<StreamHead>,
        recorded_at: DateTime<Utc>,
        first_position: i64,
    ) -> Vec<StoredEvent> {
        let request = &self.request;
        let base = head.as_ref().map_or(0, |h| h.version);
        let mut prev_hash = head.map(|h| h.hash).unwrap_or_default();
        let recorded_text = format_instant(&recorded_at);
        let mut events = Vec::with_capacity(request.events.len());
        for (offset, (new, prepared)) in request.events.iter().zip(&self.prepared).enumerate() {
            let version = base + offset as u64 + 1;
            let hash = prepared.canonical.hash(&prev_hash, &recorded_text, version);
            events.push(StoredEvent {
                position: if first_position == 0 {
                    0
                } else {
                    first_position + offset as i64
                },
                stream_id: request.stream_id,
                version,
                event_id: new.event_id,
                event_type: new.event.event_type.clone(),
                schema_version: new.event.schema_version,
                occurred_on: new.occurred_on,
                recorded_at,
                actor: request.actor.clone(),
                correlation_id: request.correlation_id,
                causation_id: request.causation_id,
                idempotency_key: request.idempotency.as_ref().map(|r| r.key.clone()),
                data: serde_json::Value::Null,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            });
        }
        events
    }

    /// Moves each event's data into `events`, the append's events as
    /// [`PreparedAppend::chained`] made them, in order.
    pub fn give_data(self, events: &mut [StoredEvent]) {
        for (event, new) in events.iter_mut().zip(self.request.events) {
            event.data = new.event.data;
        }
    }
}

/// Where an event sits in the log and its chain hash: what the
/// transparency log makes a leaf of, without the rest of the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventHash {
    /// The event's global position.
    pub position: i64,
    /// Its stream.
    pub stream_id: Uuid,
    /// Its version in the stream.
    pub version: u64,
    /// Its chain hash, as stored (hex).
    pub hash: String,
}

impl From<&StoredEvent> for EventHash {
    fn from(event: &StoredEvent) -> EventHash {
        EventHash {
            position: event.position,
            stream_id: event.stream_id,
            version: event.version,
            hash: event.hash.clone(),
        }
    }
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The events were committed, with their positions and hashes.
    Appended(Vec<StoredEvent>),
    /// The actor had already used this idempotency key: nothing was
    /// written; the caller compares fingerprints and replays or refuses.
    AlreadyDone(IdempotencyRecord),
}

/// Limits on reading a stream; the default reads all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamBound {
    /// Only events with a version at or below this.
    pub up_to_version: Option<u64>,
    /// Only events recorded at or before this instant.
    pub recorded_at_or_before: Option<DateTime<Utc>>,
}

/// The latest event of a stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamHead {
    /// Current version.
    pub version: u64,
    /// Hash of the event at that version.
    pub hash: String,
}

/// The current instant at the precision every backend keeps
/// (microseconds), so an instant reads back exactly as it was hashed.
pub fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The one text form of an instant: RFC 3339, UTC, six fractional digits.
/// Fixed width, so text order is time order.
pub fn format_instant(instant: &DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(instant: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&super::format_instant(instant))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}
