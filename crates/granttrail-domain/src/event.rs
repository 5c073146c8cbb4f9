//! Events: the facts a project's stream records, and their persisted form.
//!
//! The persisted form of an event is a stability boundary. Each event is
//! stored as its type name, a schema version, and its data as JSON; the
//! data of an older schema version is upcast to today's shape when read,
//! so a stream written years ago still folds into today's state.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::command::{
    DraftEvaluation, RecordSiteVisit, ReviewSelfReport, SignProject, SubmitSelfReport,
};
use crate::date::BusinessDate;
use crate::values::Conclusion;

/// 签约: the agreement was signed. Same fields as the sign command, after
/// validation and trimming.
pub type ProjectSigned = SignProject;
/// 提交结项报告: the executor's self-report, as accepted.
pub type SelfReportSubmitted = SubmitSelfReport;
/// 审查: the outcome of reviewing the self-report.
pub type SelfReportReviewed = ReviewSelfReport;
/// 现场评估: the site visit as recorded.
pub type SiteVisited = RecordSiteVisit;

/// 延期变更: the planned end moved later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodExtended {
    /// Date of the decision.
    pub decided_on: BusinessDate,
    /// The planned end before this extension.
    pub from_end: BusinessDate,
    /// The planned end after it.
    pub new_end: BusinessDate,
    /// Why.
    pub reason: String,
    /// The new matching-fund source, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_source: Option<String>,
}

/// 评估报告初稿: one revision of the evaluation report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationDrafted {
    /// 1 for the first draft, then one more for each revision.
    pub revision: u32,
    /// Date of this draft.
    pub drafted_on: BusinessDate,
    /// How the evaluation was carried out.
    pub process: String,
    /// Problems found (possibly none).
    pub problems: Vec<String>,
    /// Suggestions to the executor.
    pub suggestions: Vec<String>,
    /// Proposed conclusion.
    pub conclusion: Conclusion,
    /// Free remarks about this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl EvaluationDrafted {
    /// The draft a command describes, numbered as `revision`.
    pub fn from_command(revision: u32, draft: DraftEvaluation) -> Self {
        let DraftEvaluation {
            drafted_on,
            process,
            problems,
            suggestions,
            conclusion,
            notes,
        } = draft;
        Self {
            revision,
            drafted_on,
            process,
            problems,
            suggestions,
            conclusion,
            notes,
        }
    }
}

/// 正式评估报告: the latest draft became the final report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationFinalized {
    /// Date of finalization.
    pub finalized_on: BusinessDate,
    /// Who approved it.
    pub approved_by: String,
    /// Which draft revision became final.
    pub revision: u32,
    /// The conclusion of that draft, now final.
    pub conclusion: Conclusion,
}

/// Every fact a project's stream can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectEvent {
    /// See [`ProjectSigned`].
    ProjectSigned(Box<ProjectSigned>),
    /// See [`PeriodExtended`].
    PeriodExtended(PeriodExtended),
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
}

/// An event as it is persisted: type name, schema version and JSON data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedEvent {
    /// One of the seven event names, e.g. `PeriodExtended`.
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
    /// The type name is none of the seven.
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
    /// The event's type name, as stored and as shown in `/events`.
    pub fn event_type(&self) -> &'static str {
        match self {
            ProjectEvent::ProjectSigned(_) => "ProjectSigned",
            ProjectEvent::PeriodExtended(_) => "PeriodExtended",
            ProjectEvent::SelfReportSubmitted(_) => "SelfReportSubmitted",
            ProjectEvent::SelfReportReviewed(_) => "SelfReportReviewed",
            ProjectEvent::SiteVisited(_) => "SiteVisited",
            ProjectEvent::EvaluationDrafted(_) => "EvaluationDrafted",
            ProjectEvent::EvaluationFinalized(_) => "EvaluationFinalized",
        }
    }

    /// The business date the event happened on (not when it was recorded).
    pub fn occurred_on(&self) -> BusinessDate {
        match self {
            ProjectEvent::ProjectSigned(e) => e.signed_on,
            ProjectEvent::PeriodExtended(e) => e.decided_on,
            ProjectEvent::SelfReportSubmitted(e) => e.submitted_on,
            ProjectEvent::SelfReportReviewed(e) => e.reviewed_on,
            ProjectEvent::SiteVisited(e) => e.visited_on,
            ProjectEvent::EvaluationDrafted(e) => e.drafted_on,
            ProjectEvent::EvaluationFinalized(e) => e.finalized_on,
        }
    }

    /// The schema version written today for this event's type.
    pub fn current_schema_version(event_type: &str) -> Option<u32> {
        match event_type {
            // v1 of SelfReportSubmitted predates extra outputs; see `upcast`.
            "SelfReportSubmitted" => Some(2),
            "ProjectSigned"
            | "PeriodExtended"
            | "SelfReportReviewed"
            | "SiteVisited"
            | "EvaluationDrafted"
            | "EvaluationFinalized" => Some(1),
            _ => None,
        }
    }

    /// The persisted form of this event, at the current schema version.
    pub fn encode(&self) -> EncodedEvent {
        let data = match self {
            ProjectEvent::ProjectSigned(e) => serde_json::to_value(e),
            ProjectEvent::PeriodExtended(e) => serde_json::to_value(e),
            ProjectEvent::SelfReportSubmitted(e) => serde_json::to_value(e),
            ProjectEvent::SelfReportReviewed(e) => serde_json::to_value(e),
            ProjectEvent::SiteVisited(e) => serde_json::to_value(e),
            ProjectEvent::EvaluationDrafted(e) => serde_json::to_value(e),
            ProjectEvent::EvaluationFinalized(e) => serde_json::to_value(e),
        }
        // Serialising these plain structs to a Value cannot fail: every
        // map key is a string and no field has a fallible Serialize.
        .unwrap_or(Value::Null);
        let event_type = self.event_type();
        EncodedEvent {
            event_type: event_type.to_owned(),
            schema_version: Self::current_schema_version(event_type).unwrap_or(1),
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
        let current = Self::current_schema_version(event_type)
            .ok_or_else(|| DecodeError::UnknownType(event_type.to_owned()))?;
        if schema_version == 0 || schema_version > current {
            return Err(DecodeError::UnknownSchemaVersion {
                event_type: event_type.to_owned(),
                schema_version,
                current,
            });
        }
        let upcast;
        let data = if schema_version < current {
            upcast = upcast_data(event_type, schema_version, data.clone());
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
        Ok(match event_type {
            "ProjectSigned" => {
                ProjectEvent::ProjectSigned(D::deserialize(data).map_err(malformed)?)
            }
            "PeriodExtended" => {
                ProjectEvent::PeriodExtended(D::deserialize(data).map_err(malformed)?)
            }
            "SelfReportSubmitted" => {
                ProjectEvent::SelfReportSubmitted(D::deserialize(data).map_err(malformed)?)
            }
            "SelfReportReviewed" => {
                ProjectEvent::SelfReportReviewed(D::deserialize(data).map_err(malformed)?)
            }
            "SiteVisited" => ProjectEvent::SiteVisited(D::deserialize(data).map_err(malformed)?),
            "EvaluationDrafted" => {
                ProjectEvent::EvaluationDrafted(D::deserialize(data).map_err(malformed)?)
            }
            "EvaluationFinalized" => {
                ProjectEvent::EvaluationFinalized(D::deserialize(data).map_err(malformed)?)
            }
            other => return Err(DecodeError::UnknownType(other.to_owned())),
        })
    }
}

/// Brings data of an older schema version up to the current one, one step
/// at a time, so each upcaster only knows its neighbour.
fn upcast_data(event_type: &str, mut schema_version: u32, mut data: Value) -> Value {
    let current = ProjectEvent::current_schema_version(event_type).unwrap_or(1);
    while schema_version < current {
        data = match (event_type, schema_version) {
            // SelfReportSubmitted v1 had no `extra_outputs` and called the
            // summary `narrative`; v2 names it `summary` and lists extra
            // outputs explicitly (empty when none were reported).
            ("SelfReportSubmitted", 1) => {
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
