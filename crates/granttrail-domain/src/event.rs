//! Events: the facts a project's stream records, and their persisted form.
//!
//! The persisted form of an event is a stability boundary. Each event is
//! stored as its type name, a schema version, and its data as JSON; the
//! data of an older schema version is upcast to today's shape when read,
//! so a stream written years ago still folds into today's state.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::date::BusinessDate;
use crate::event_data::{
    AttachmentAdded, AttachmentWithdrawn, CorrectionRecorded, EvaluationDrafted,
    EvaluationFinalized, HistoryImported, MidtermEvaluated, PeriodExtended, ProjectSigned,
    SelfReportReviewed, SelfReportSubmitted, SiteVisited, TrancheReleased,
};
use crate::event_type::EventType;

/// Every fact a project's stream can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectEvent {
    /// See [`ProjectSigned`].
    ProjectSigned(Box<ProjectSigned>),
    /// See [`PeriodExtended`].
    PeriodExtended(PeriodExtended),
    /// See [`MidtermEvaluated`].
    MidtermEvaluated(MidtermEvaluated),
    /// See [`SelfReportSubmitted`].
    SelfReportSubmitted(SelfReportSubmitted),
    /// See [`SelfReportReviewed`].
    SelfReportReviewed(SelfReportReviewed),
    /// See [`SiteVisited`].
    SiteVisited(SiteVisited),
    /// See [`EvaluationDrafted`].
    EvaluationDrafted(EvaluationDrafted),
    /// See [`EvaluationFinalized`].
    EvaluationFinalized(EvaluationFinalized),
    /// See [`CorrectionRecorded`].
    CorrectionRecorded(CorrectionRecorded),
    /// See [`TrancheReleased`].
    TrancheReleased(TrancheReleased),
    /// See [`HistoryImported`].
    HistoryImported(HistoryImported),
    /// See [`AttachmentAdded`].
    AttachmentAdded(AttachmentAdded),
    /// See [`AttachmentWithdrawn`].
    AttachmentWithdrawn(AttachmentWithdrawn),
}

/// An event as it is persisted: type name, schema version and JSON data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedEvent {
    /// One of the event type names, e.g. `PeriodExtended`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The version of `data`'s shape.
    pub schema_version: u32,
    /// The event's fields.
    pub data: Value,
}

/// Why stored event data could not be turned back into an event.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The type name is no known event type.
    #[error("unknown event type '{0}'")]
    UnknownType(String),
    /// The schema version is newer than this build knows, or retired.
    #[error("{event_type} has no schema version {schema_version} (this build knows 1..={current})")]
    UnknownSchemaVersion {
        /// The event type.
        event_type: String,
        /// The stored version.
        schema_version: u32,
        /// The newest version this build reads.
        current: u32,
    },
    /// The data does not have the shape its type and version promise.
    #[error("{event_type} v{schema_version} data is malformed: {reason}")]
    Malformed {
        /// The event type.
        event_type: String,
        /// The stored version.
        schema_version: u32,
        /// serde's explanation.
        reason: String,
    },
}

impl ProjectEvent {
    /// The event's type.
    pub fn kind(&self) -> EventType {
        match self {
            ProjectEvent::ProjectSigned(_) => EventType::ProjectSigned,
            ProjectEvent::PeriodExtended(_) => EventType::PeriodExtended,
            ProjectEvent::MidtermEvaluated(_) => EventType::MidtermEvaluated,
            ProjectEvent::SelfReportSubmitted(_) => EventType::SelfReportSubmitted,
            ProjectEvent::SelfReportReviewed(_) => EventType::SelfReportReviewed,
            ProjectEvent::SiteVisited(_) => EventType::SiteVisited,
            ProjectEvent::EvaluationDrafted(_) => EventType::EvaluationDrafted,
            ProjectEvent::EvaluationFinalized(_) => EventType::EvaluationFinalized,
            ProjectEvent::CorrectionRecorded(_) => EventType::CorrectionRecorded,
            ProjectEvent::TrancheReleased(_) => EventType::TrancheReleased,
            ProjectEvent::HistoryImported(_) => EventType::HistoryImported,
            ProjectEvent::AttachmentAdded(_) => EventType::AttachmentAdded,
            ProjectEvent::AttachmentWithdrawn(_) => EventType::AttachmentWithdrawn,
        }
    }

    /// The event's type name, as stored and as shown in `/events`.
    pub fn event_type(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The business date the event happened on (not when it was recorded).
    pub fn occurred_on(&self) -> BusinessDate {
        match self {
            ProjectEvent::ProjectSigned(e) => e.signed_on,
            ProjectEvent::PeriodExtended(e) => e.decided_on,
            ProjectEvent::MidtermEvaluated(e) => e.evaluated_on,
            ProjectEvent::SelfReportSubmitted(e) => e.submitted_on,
            ProjectEvent::SelfReportReviewed(e) => e.reviewed_on,
            ProjectEvent::SiteVisited(e) => e.visited_on,
            ProjectEvent::EvaluationDrafted(e) => e.drafted_on,
            ProjectEvent::EvaluationFinalized(e) => e.finalized_on,
            ProjectEvent::CorrectionRecorded(e) => e.corrected_on,
            ProjectEvent::TrancheReleased(e) => e.released_on,
            ProjectEvent::HistoryImported(e) => e.imported_on,
            ProjectEvent::AttachmentAdded(e) => e.added_on,
            ProjectEvent::AttachmentWithdrawn(e) => e.withdrawn_on,
        }
    }

    /// The schema version written today for a stored type name (`None`
    /// for a name that is no event type).
    pub fn current_schema_version(event_type: &str) -> Option<u32> {
        EventType::parse(event_type).map(EventType::current_schema_version)
    }

    /// The persisted form of this event, at the current schema version.
    pub fn encode(&self) -> EncodedEvent {
        let data = match self {
            ProjectEvent::ProjectSigned(e) => serde_json::to_value(e),
            ProjectEvent::PeriodExtended(e) => serde_json::to_value(e),
            ProjectEvent::MidtermEvaluated(e) => serde_json::to_value(e),
            ProjectEvent::SelfReportSubmitted(e) => serde_json::to_value(e),
            ProjectEvent::SelfReportReviewed(e) => serde_json::to_value(e),
            ProjectEvent::SiteVisited(e) => serde_json::to_value(e),
            ProjectEvent::EvaluationDrafted(e) => serde_json::to_value(e),
            ProjectEvent::EvaluationFinalized(e) => serde_json::to_value(e),
            ProjectEvent::CorrectionRecorded(e) => serde_json::to_value(e),
            ProjectEvent::TrancheReleased(e) => serde_json::to_value(e),
            ProjectEvent::HistoryImported(e) => serde_json::to_value(e),
            ProjectEvent::AttachmentAdded(e) => serde_json::to_value(e),
            ProjectEvent::AttachmentWithdrawn(e) => serde_json::to_value(e),
        }
        // Serialising these plain structs to a Value cannot fail: every
        // map key is a string and no field has a fallible Serialize.
        .unwrap_or(Value::Null);
        let kind = self.kind();
        EncodedEvent {
            event_type: kind.as_str().to_owned(),
            schema_version: kind.current_schema_version(),
            data,
        }
    }

    /// Reads a persisted event of any known schema version.
    pub fn decode(encoded: &EncodedEvent) -> Result<ProjectEvent, DecodeError> {
        Self::decode_parts(&encoded.event_type, encoded.schema_version, &encoded.data)
    }

    /// Like [`ProjectEvent::decode`], from borrowed parts.
    pub fn decode_parts(
        event_type: &str,
        schema_version: u32,
        data: &Value,
    ) -> Result<ProjectEvent, DecodeError> {
        let kind = EventType::parse(event_type)
            .ok_or_else(|| DecodeError::UnknownType(event_type.to_owned()))?;
        let current = kind.current_schema_version();
        if schema_version == 0 || schema_version > current {
            return Err(DecodeError::UnknownSchemaVersion {
                event_type: event_type.to_owned(),
                schema_version,
                current,
            });
        }
        let upcast;
        let data = if schema_version < current {
            upcast = upcast_data(kind, schema_version, data.clone());
            &upcast
        } else {
            data
        };
        let malformed = |e: serde_json::Error| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            schema_version,
            reason: e.to_string(),
        };
        use serde::Deserialize as D;
        Ok(match kind {
            EventType::ProjectSigned => {
                ProjectEvent::ProjectSigned(D::deserialize(data).map_err(malformed)?)
            }
            EventType::PeriodExtended => {
                ProjectEvent::PeriodExtended(D::deserialize(data).map_err(malformed)?)
            }
            EventType::MidtermEvaluated => {
                ProjectEvent::MidtermEvaluated(D::deserialize(data).map_err(malformed)?)
            }
            EventType::SelfReportSubmitted => {
                ProjectEvent::SelfReportSubmitted(D::deserialize(data).map_err(malformed)?)
            }
            EventType::SelfReportReviewed => {
                ProjectEvent::SelfReportReviewed(D::deserialize(data).map_err(malformed)?)
            }
            EventType::SiteVisited => {
                ProjectEvent::SiteVisited(D::deserialize(data).map_err(malformed)?)
            }
            EventType::EvaluationDrafted => {
                ProjectEvent::EvaluationDrafted(D::deserialize(data).map_err(malformed)?)
            }
            EventType::EvaluationFinalized => {
                ProjectEvent::EvaluationFinalized(D::deserialize(data).map_err(malformed)?)
            }
            EventType::CorrectionRecorded => {
                ProjectEvent::CorrectionRecorded(D::deserialize(data).map_err(malformed)?)
            }
            EventType::TrancheReleased => {
                ProjectEvent::TrancheReleased(D::deserialize(data).map_err(malformed)?)
            }
            EventType::HistoryImported => {
                ProjectEvent::HistoryImported(D::deserialize(data).map_err(malformed)?)
            }
            EventType::AttachmentAdded => {
                ProjectEvent::AttachmentAdded(D::deserialize(data).map_err(malformed)?)
            }
            EventType::AttachmentWithdrawn => {
                ProjectEvent::AttachmentWithdrawn(D::deserialize(data).map_err(malformed)?)
            }
        })
    }
}

/// Brings data of an older schema version up to the current one, one step
/// at a time, so each upcaster only knows its neighbour.
fn upcast_data(kind: EventType, mut schema_version: u32, mut data: Value) -> Value {
    while schema_version < kind.current_schema_version() {
        data = match (kind, schema_version) {
            // SelfReportSubmitted v1 had no `extra_outputs` and called the
            // summary `narrative`; v2 names it `summary` and lists extra
            // outputs explicitly (empty when none were reported).
            (EventType::SelfReportSubmitted, 1) => {
                let mut data = data;
                if let Some(object) = data.as_object_mut() {
                    if let Some(narrative) = object.remove("narrative") {
                        object.insert("summary".to_owned(), narrative);
                    }
                    object
                        .entry("extra_outputs")
                        .or_insert_with(|| Value::Array(Vec::new()));
                }
                data
            }
            _ => data,
        };
        schema_version += 1;
    }
    data
}
