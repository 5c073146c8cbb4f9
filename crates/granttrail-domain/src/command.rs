//! Commands: what staff and executors ask the system to do. Each is the
//! JSON body of one API route, read strictly (unknown fields are refused,
//! so no client can assign a field the route does not offer).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::BusinessDate;
use crate::values::{
    Actual, Conclusion, Executor, ExtraOutput, FinancialCheck, Funding, Indicator, Period,
    ReviewOutcome,
};

/// Sign a funding agreement (签约): creates the project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignProject {
    /// Optional human project code, unique across all projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Project title.
    pub title: String,
    /// Funding programme it belongs to (e.g. 公益创投 round).
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
    /// Why the project exists (项目背景): the need it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// What it sets out to achieve (项目目标).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goals: Option<String>,
}

/// Record the mid-term evaluation (中期评估): what it found while the work
/// was under way, and what the executor fixed afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordMidtermEvaluation {
    /// Date of the mid-term evaluation.
    pub evaluated_on: BusinessDate,
    /// Problems it found; an explicit empty list when there were none.
    pub findings: Vec<String>,
    /// What was fixed afterwards, in answer to the findings.
    #[serde(default)]
    pub fixes: Vec<String>,
}

/// Correct a recorded fact (更正): names the event by version and the
/// field of its data by JSON Pointer; the history keeps the original.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordCorrection {
    /// Date the correction was decided.
    pub corrected_on: BusinessDate,
    /// The version of the event to correct (or of an earlier correction,
    /// with the field `/value`).
    pub version: u64,
    /// The field of that event's data, e.g. `/completed_on` or
    /// `/actuals/2/value`.
    pub field: String,
    /// The corrected value, in the field's own JSON type.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: serde_json::Value,
    /// Why the recorded value was wrong, and where the right one comes from.
    pub reason: String,
}

/// Attach a file as evidence: the API makes this command from an upload,
/// once the bytes are kept and hashed (never from a client's JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddAttachment {
    /// Date of attaching.
    pub added_on: BusinessDate,
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// The file's name, no path.
    pub name: String,
    /// The media type sniffed from the content.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// What it evidences.
    pub evidences: crate::attachments::Evidence,
}

/// Withdraw an attachment: the event says why; the hash stays on record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawAttachment {
    /// Date of the withdrawal.
    pub withdrawn_on: BusinessDate,
    /// The attachment's SHA-256.
    pub sha256: String,
    /// Why it is withdrawn.
    pub reason: String,
}

/// Release a tranche of the grant (拨付).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseTranche {
    /// Date of the release.
    pub released_on: BusinessDate,
    /// The tranche's number, from 1.
    pub tranche: u32,
    /// Releases a tranche a failed evaluation withheld, saying why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}

/// Extend the planned period (延期变更).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtendPeriod {
    /// Date the extension was decided.
    pub decided_on: BusinessDate,
    /// The new planned end; must be later than the current one.
    pub new_end: BusinessDate,
    /// Why the project needs more time.
    pub reason: String,
    /// A new matching-fund source, when the extension changes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_source: Option<String>,
}

/// Submit the executor's closing self-report (提交结项报告).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitSelfReport {
    /// Date the report was handed in.
    pub submitted_on: BusinessDate,
    /// Date the work was completed.
    pub completed_on: BusinessDate,
    /// One actual value for every indicator.
    pub actuals: Vec<Actual>,
    /// Outputs without targets.
    #[serde(default)]
    pub extra_outputs: Vec<ExtraOutput>,
    /// The executor's own summary.
    pub summary: String,
}

/// Review a submitted self-report (审查).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewSelfReport {
    /// Date of the review.
    pub reviewed_on: BusinessDate,
    /// Accepted, or returned to the executor.
    pub outcome: ReviewOutcome,
    /// Required when returned: what the executor must fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
}

/// Record the site visit (现场评估).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordSiteVisit {
    /// Date of the visit.
    pub visited_on: BusinessDate,
    /// Who visited.
    pub visitors: Vec<String>,
    /// What they found.
    pub findings: String,
    /// What was checked of the accounts.
    pub financial_check: FinancialCheck,
}

/// Draft (or revise) the closing-evaluation report (评估报告初稿).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftEvaluation {
    /// Date of this draft.
    pub drafted_on: BusinessDate,
    /// How the evaluation was carried out.
    pub process: String,
    /// Problems found; an explicit empty list when there were none.
    pub problems: Vec<String>,
    /// Suggestions to the executor.
    pub suggestions: Vec<String>,
    /// Proposed conclusion.
    pub conclusion: Conclusion,
    /// Free remarks about this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Why the project passes although the site visit found its spending
    /// not compliant; required in exactly that case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// Finalize the evaluation (正式评估报告): the latest draft becomes final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FinalizeEvaluation {
    /// Date of finalization.
    pub finalized_on: BusinessDate,
    /// Who approved the final report.
    pub approved_by: String,
}

/// Every command the lifecycle knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// See [`SignProject`].
    SignProject(Box<SignProject>),
    /// See [`ExtendPeriod`].
    ExtendPeriod(ExtendPeriod),
    /// See [`RecordMidtermEvaluation`].
    RecordMidtermEvaluation(RecordMidtermEvaluation),
    /// See [`SubmitSelfReport`].
    SubmitSelfReport(SubmitSelfReport),
    /// See [`ReviewSelfReport`].
    ReviewSelfReport(ReviewSelfReport),
    /// See [`RecordSiteVisit`].
    RecordSiteVisit(RecordSiteVisit),
    /// See [`DraftEvaluation`].
    DraftEvaluation(DraftEvaluation),
    /// See [`FinalizeEvaluation`].
    FinalizeEvaluation(FinalizeEvaluation),
    /// See [`RecordCorrection`].
    RecordCorrection(RecordCorrection),
    /// See [`ReleaseTranche`].
    ReleaseTranche(ReleaseTranche),
    /// See [`AddAttachment`].
    AddAttachment(AddAttachment),
    /// See [`WithdrawAttachment`].
    WithdrawAttachment(WithdrawAttachment),
}

/// The name of a command without its body: what a stage allows, and the
/// `command` names of the fixture format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// `POST /api/v1/projects`
    Sign,
    /// `POST /api/v1/projects/{id}/extensions`
    Extend,
    /// `POST /api/v1/projects/{id}/midterm-evaluations`
    Midterm,
    /// `POST /api/v1/projects/{id}/self-reports`
    SubmitSelfReport,
    /// `POST /api/v1/projects/{id}/reviews`
    Review,
    /// `POST /api/v1/projects/{id}/site-visits`
    Visit,
    /// `POST /api/v1/projects/{id}/drafts`
    Draft,
    /// `POST /api/v1/projects/{id}/finalization`
    Finalize,
    /// `POST /api/v1/projects/{id}/corrections`
    Correct,
    /// `POST /api/v1/projects/{id}/tranche-releases`
    ReleaseTranche,
    /// `POST /api/v1/projects/{id}/attachments` (an upload)
    Attach,
    /// `POST /api/v1/projects/{id}/attachment-withdrawals`
    WithdrawAttachment,
}

impl CommandKind {
    /// Every kind, in lifecycle order.
    pub const ALL: [CommandKind; 12] = [
        CommandKind::Sign,
        CommandKind::Extend,
        CommandKind::Midterm,
        CommandKind::SubmitSelfReport,
        CommandKind::Review,
        CommandKind::Visit,
        CommandKind::Draft,
        CommandKind::Finalize,
        CommandKind::Correct,
        CommandKind::ReleaseTranche,
        CommandKind::Attach,
        CommandKind::WithdrawAttachment,
    ];

    /// The snake_case name used in the fixture format and in 409 bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Sign => "sign",
            CommandKind::Extend => "extend",
            CommandKind::Midterm => "record_midterm",
            CommandKind::SubmitSelfReport => "submit_self_report",
            CommandKind::Review => "review",
            CommandKind::Visit => "visit",
            CommandKind::Draft => "draft",
            CommandKind::Finalize => "finalize",
            CommandKind::Correct => "correct",
            CommandKind::ReleaseTranche => "release_tranche",
            CommandKind::Attach => "attach",
            CommandKind::WithdrawAttachment => "withdraw_attachment",
        }
    }

    /// Reads a command body of this kind. Generic over the deserializer so
    /// that the HTTP edge can wrap it to learn the JSON Pointer of a bad
    /// field.
    pub fn read_body<'de, D: serde::Deserializer<'de>>(self, body: D) -> Result<Command, D::Error> {
        Ok(match self {
            CommandKind::Sign => Command::SignProject(Deserialize::deserialize(body)?),
            CommandKind::Extend => Command::ExtendPeriod(Deserialize::deserialize(body)?),
            CommandKind::Midterm => {
                Command::RecordMidtermEvaluation(Deserialize::deserialize(body)?)
            }
            CommandKind::SubmitSelfReport => {
                Command::SubmitSelfReport(Deserialize::deserialize(body)?)
            }
            CommandKind::Review => Command::ReviewSelfReport(Deserialize::deserialize(body)?),
            CommandKind::Visit => Command::RecordSiteVisit(Deserialize::deserialize(body)?),
            CommandKind::Draft => Command::DraftEvaluation(Deserialize::deserialize(body)?),
            CommandKind::Finalize => Command::FinalizeEvaluation(Deserialize::deserialize(body)?),
            CommandKind::Correct => Command::RecordCorrection(Deserialize::deserialize(body)?),
            CommandKind::ReleaseTranche => Command::ReleaseTranche(Deserialize::deserialize(body)?),
            CommandKind::Attach => Command::AddAttachment(Deserialize::deserialize(body)?),
            CommandKind::WithdrawAttachment => {
                Command::WithdrawAttachment(Deserialize::deserialize(body)?)
            }
        })
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Command {
    /// The kind of this command.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::SignProject(_) => CommandKind::Sign,
            Command::ExtendPeriod(_) => CommandKind::Extend,
            Command::RecordMidtermEvaluation(_) => CommandKind::Midterm,
            Command::SubmitSelfReport(_) => CommandKind::SubmitSelfReport,
            Command::ReviewSelfReport(_) => CommandKind::Review,
            Command::RecordSiteVisit(_) => CommandKind::Visit,
            Command::DraftEvaluation(_) => CommandKind::Draft,
            Command::FinalizeEvaluation(_) => CommandKind::Finalize,
            Command::RecordCorrection(_) => CommandKind::Correct,
            Command::ReleaseTranche(_) => CommandKind::ReleaseTranche,
            Command::AddAttachment(_) => CommandKind::Attach,
            Command::WithdrawAttachment(_) => CommandKind::WithdrawAttachment,
        }
    }
}
