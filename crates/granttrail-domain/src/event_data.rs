//! The data of each event, as it is stored.
//!
//! These structs are the persisted shape, kept apart from the commands
//! (the request bodies) on purpose: renaming a request field must not
//! change what is written to the database. A change here changes stored
//! history and needs an upcaster (see `event.rs`); the snapshot tests
//! (`tests/event_shapes.rs`) show any such change in review.

use serde::{Deserialize, Serialize};

use crate::date::BusinessDate;
use crate::values::{
    Actual, Conclusion, Executor, ExtraOutput, FinancialCheck, Funding, Indicator, Period, Person,
    ReviewOutcome,
};

/// 签约: the agreement was signed, as validated and trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectSigned {
    /// Human project code, unique across all projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Project title.
    pub title: String,
    /// Funding programme it belongs to.
    pub programme: String,
    /// The funding foundation.
    pub funder: String,
    /// The executing organisation.
    pub executor: Executor,
    /// Communities where the work happens.
    pub communities: Vec<String>,
    /// Date of application.
    pub applied_on: BusinessDate,
    /// Date the agreement was signed.
    pub signed_on: BusinessDate,
    /// The planned period.
    pub period: Period,
    /// Funding and matching source.
    pub funding: Funding,
    /// Output indicators with targets.
    pub indicators: Vec<Indicator>,
    /// The project this one continues, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predecessor: Option<String>,
    /// Why the project exists (项目背景).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// What it sets out to achieve (项目目标).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goals: Option<String>,
}

/// 中期评估: the mid-term evaluation's findings and the fixes that followed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MidtermEvaluated {
    /// Date of the mid-term evaluation.
    pub evaluated_on: BusinessDate,
    /// Problems it found (possibly none).
    pub findings: Vec<String>,
    /// What was fixed afterwards (possibly nothing yet).
    #[serde(default)]
    pub fixes: Vec<String>,
}

/// 延期变更: the planned end moved later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// 提交结项报告: the executor's self-report, as accepted (schema v2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SelfReportSubmitted {
    /// Date the report was handed in.
    pub submitted_on: BusinessDate,
    /// Date the work was completed.
    pub completed_on: BusinessDate,
    /// One actual value for every indicator.
    pub actuals: Vec<Actual>,
    /// Outputs without targets (empty when none).
    #[serde(default)]
    pub extra_outputs: Vec<ExtraOutput>,
    /// The executor's own summary.
    pub summary: String,
    /// Who submitted it (absent on events recorded before users existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<Person>,
}

/// 审查: the outcome of reviewing the self-report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SelfReportReviewed {
    /// Date of the review.
    pub reviewed_on: BusinessDate,
    /// Accepted, or returned to the executor.
    pub outcome: ReviewOutcome,
    /// What the executor must fix (always present when returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
}

/// 现场评估: the site visit as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteVisited {
    /// Date of the visit.
    pub visited_on: BusinessDate,
    /// Who visited.
    pub visitors: Vec<String>,
    /// What they found.
    pub findings: String,
    /// What was checked of the accounts.
    pub financial_check: FinancialCheck,
}

/// 评估报告初稿: one revision of the evaluation report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Why the project passes although its spending was found not
    /// compliant (present only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Who wrote this revision (absent on events recorded before users
    /// existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drafted_by: Option<Person>,
}

/// 正式评估报告: the latest draft became the final report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Who finalized it (absent on events recorded before users existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized_by: Option<Person>,
}

/// 更正: a recorded fact put right. The corrected event stays as it was
/// stored; this event says which of its fields now reads what, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectionRecorded {
    /// Date the correction was decided.
    pub corrected_on: BusinessDate,
    /// The version the correction names: the event, or an earlier
    /// correction that this one corrects in turn.
    pub corrects_version: u64,
    /// The version of the event whose fact changes.
    pub target_version: u64,
    /// That event's type.
    pub target_type: String,
    /// Which event of its type it is (0 for the first extension, …).
    pub nth: usize,
    /// The field of its data, as a JSON Pointer.
    pub field: String,
    /// The value before this correction.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub previous: serde_json::Value,
    /// The corrected value.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: serde_json::Value,
    /// Why.
    pub reason: String,
    /// The report revision this correction makes, when it corrects a
    /// finalized project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
}

/// 拨付: a tranche of the grant was released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrancheReleased {
    /// Date of the release.
    pub released_on: BusinessDate,
    /// The tranche's number, from 1.
    pub tranche: u32,
    /// Its amount, as scheduled.
    pub amount: String,
    /// Why a tranche withheld by a failed evaluation was released anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// Who released it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<Person>,
}

/// 历史数据导入: the events before this one came from a paper past,
/// imported as recorded, with the flags they earned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HistoryImported {
    /// The day of the import.
    pub imported_on: BusinessDate,
    /// Who imported it.
    pub imported_by: Person,
    /// The SHA-256 of the imported file (hex).
    pub file_sha256: String,
    /// The file's name, as given.
    pub file_name: String,
    /// Versions 1 to this one are the imported facts.
    pub facts: u64,
    /// Who recorded each fact then, by version (index = version − 1).
    pub recorded_by: Vec<Person>,
    /// The rules the facts break, kept as flags.
    pub flags: Vec<crate::history::QualityFlag>,
}

/// 证明材料: a file attached as evidence, by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachmentAdded {
    /// Date of attaching.
    pub added_on: BusinessDate,
    /// SHA-256 of the bytes (hex): every read checks the bytes against it.
    pub sha256: String,
    /// The file's name, no path.
    pub name: String,
    /// The media type sniffed from the content.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// What it evidences.
    pub evidences: crate::attachments::Evidence,
    /// Who attached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<Person>,
}

/// An attachment withdrawn, with the reason; its hash stays on record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachmentWithdrawn {
    /// Date of the withdrawal.
    pub withdrawn_on: BusinessDate,
    /// The attachment's SHA-256.
    pub sha256: String,
    /// Why.
    pub reason: String,
}

impl EvaluationDrafted {
    /// The draft a command describes, numbered as `revision`.
    pub fn from_command(revision: u32, draft: crate::command::DraftEvaluation) -> Self {
        let crate::command::DraftEvaluation {
            drafted_on,
            process,
            problems,
            suggestions,
            conclusion,
            notes,
            justification,
        } = draft;
        Self {
            revision,
            drafted_on,
            process,
            problems,
            suggestions,
            conclusion,
            notes,
            justification,
            drafted_by: None,
        }
    }
}
