//! The state of a project, folded from its events by [`evolve`], and the
//! transition table that says which command each stage allows.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::CommandKind;
use crate::date::BusinessDate;
use crate::event::ProjectEvent;
use crate::event_data::{
    EvaluationDrafted, MidtermEvaluated, PeriodExtended, SelfReportReviewed, SelfReportSubmitted,
    SiteVisited,
};
use crate::values::{Comparison, Conclusion, Executor, Funding, Period, ReviewOutcome};

/// Where a project is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Agreement signed; work under way.
    Signed,
    /// The executor handed in its closing self-report.
    SelfReportSubmitted,
    /// Staff accepted the self-report.
    Reviewed,
    /// Staff sent the self-report back; the executor must resubmit.
    Returned,
    /// Staff visited the site.
    SiteVisited,
    /// At least one evaluation draft exists.
    Drafted,
    /// The evaluation is final. Terminal: nothing more is accepted.
    Finalized,
}

impl Stage {
    /// Every stage, in lifecycle order (with `returned` after `reviewed`).
    pub const ALL: [Stage; 7] = [
        Stage::Signed,
        Stage::SelfReportSubmitted,
        Stage::Reviewed,
        Stage::Returned,
        Stage::SiteVisited,
        Stage::Drafted,
        Stage::Finalized,
    ];

    /// The transition table: the commands a project in this stage accepts.
    pub fn allowed_commands(self) -> &'static [CommandKind] {
        use CommandKind as C;
        match self {
            Stage::Signed | Stage::Returned => &[
                C::Extend,
                C::Midterm,
                C::SubmitSelfReport,
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
            Stage::SelfReportSubmitted => &[
                C::Review,
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
            Stage::Reviewed => &[
                C::Visit,
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
            Stage::SiteVisited => &[
                C::Draft,
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
            Stage::Drafted => &[
                C::Draft,
                C::Finalize,
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
            // Final: nothing changes its course, but a wrong fact can still
            // be corrected (a new revision of the report), and tranches
            // released.
            Stage::Finalized => &[
                C::Correct,
                C::ReleaseTranche,
                C::Attach,
                C::WithdrawAttachment,
            ],
        }
    }

    /// Whether this stage accepts a command of `kind`.
    pub fn allows(self, kind: CommandKind) -> bool {
        self.allowed_commands().contains(&kind)
    }

    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Signed => "signed",
            Stage::SelfReportSubmitted => "self_report_submitted",
            Stage::Reviewed => "reviewed",
            Stage::Returned => "returned",
            Stage::SiteVisited => "site_visited",
            Stage::Drafted => "drafted",
            Stage::Finalized => "finalized",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An indicator with its target and, once reported, its actual value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorStatus {
    /// Key, unique within the project.
    pub key: String,
    /// Human label.
    pub label: String,
    /// Unit of counting.
    pub unit: String,
    /// The agreed target.
    pub target: i64,
    /// How actual is judged against target.
    pub comparison: Comparison,
    /// Reported value; `None` until a self-report.
    pub actual: Option<i64>,
    /// Whether the target was met; `None` until a self-report.
    pub met: Option<bool>,
    /// The executor's remark on the actual, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The block of work it belongs to, if the executor grouped outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The final state of the evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finalized {
    /// Date of finalization.
    pub finalized_on: BusinessDate,
    /// Who approved the report.
    pub approved_by: String,
    /// The final conclusion (that of the latest draft).
    pub conclusion: Conclusion,
    /// Which draft revision became final.
    pub revision: u32,
    /// The report's revision after corrections made since finalization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_revision: Option<u32>,
    /// Who finalized it, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized_by: Option<crate::values::Person>,
}

/// Where an imported history came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    /// The day of the import.
    pub imported_on: BusinessDate,
    /// Who imported it.
    pub imported_by: crate::values::Person,
    /// The SHA-256 of the imported file (hex).
    pub file_sha256: String,
    /// The file's name.
    pub file_name: String,
    /// Versions 1 to this one are the imported facts.
    pub facts: u64,
}

/// A correction as the state shows it: the marker on a corrected value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionMark {
    /// The version of the `CorrectionRecorded` event.
    pub version: u64,
    /// Date the correction was decided.
    pub corrected_on: BusinessDate,
    /// The version of the event whose fact it corrects.
    pub target_version: u64,
    /// That event's type.
    pub target_type: String,
    /// The field of that event's data.
    pub field: String,
    /// The value before.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub previous: serde_json::Value,
    /// The corrected value, which the state now shows.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: serde_json::Value,
    /// Why.
    pub reason: String,
    /// The report revision it made, if it corrected a finalized project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
}

/// A project's state after some prefix of its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    /// Number of events folded so far (the stream version).
    pub version: u64,
    /// Current stage.
    pub stage: Stage,
    /// Human project code, if one was given.
    pub code: Option<String>,
    /// Project title.
    pub title: String,
    /// Funding programme.
    pub programme: String,
    /// The funding foundation.
    pub funder: String,
    /// The executing organisation.
    pub executor: Executor,
    /// Communities served.
    pub communities: Vec<String>,
    /// Application date.
    pub applied_on: BusinessDate,
    /// Signing date.
    pub signed_on: BusinessDate,
    /// The current planned period (after extensions).
    pub period: Period,
    /// The period as signed.
    pub original_period: Period,
    /// Every extension, oldest first.
    pub extensions: Vec<PeriodExtended>,
    /// Funding, with the current matching source.
    pub funding: Funding,
    /// Indicators with targets and, once reported, actuals.
    pub indicators: Vec<IndicatorStatus>,
    /// The project this one continues.
    pub predecessor: Option<String>,
    /// Why the project exists (项目背景).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// What it sets out to achieve (项目目标).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goals: Option<String>,
    /// Every mid-term evaluation, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub midterm: Vec<MidtermEvaluated>,
    /// The latest self-report.
    pub self_report: Option<SelfReportSubmitted>,
    /// The latest review.
    pub review: Option<SelfReportReviewed>,
    /// The site visit.
    pub site_visit: Option<SiteVisited>,
    /// The latest evaluation draft.
    pub draft: Option<EvaluationDrafted>,
    /// The finalization, once it happened.
    pub finalized: Option<Finalized>,
    /// The grant's tranches and where each stands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tranches: Vec<crate::tranches::TrancheStatus>,
    /// The amounts scheduled, released and withheld, with a schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tranche_totals: Option<crate::tranches::TrancheTotals>,
    /// Files attached as evidence, oldest first (withdrawn ones stay).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachments::AttachmentStatus>,
    /// Where the history came from, when it was imported from paper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    /// The rules the imported facts break (data-quality flags), each
    /// resolved once a correction puts its field right.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_quality: Vec<crate::history::QualityFlag>,
    /// Every correction, oldest first; each marks a value the state shows
    /// corrected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<CorrectionMark>,
    /// The type of each event folded, by version (index = version − 1).
    /// Only `decide` reads it, on a state folded from the whole stream; it
    /// is not part of any view.
    #[serde(skip)]
    history: History,
}

/// The event types folded, by version: bookkeeping for `decide`, not part
/// of the state's value. A state read back from the project list (which
/// does not store it) equals the live one with the same facts, so two
/// histories always compare equal.
#[derive(Clone, Debug, Default)]
struct History(Vec<crate::event_type::EventType>);

impl PartialEq for History {
    fn eq(&self, _: &History) -> bool {
        true
    }
}

impl Eq for History {}

impl Project {
    /// Planned end passed on `today` and no self-report yet.
    pub fn is_overdue(&self, today: BusinessDate) -> bool {
        self.overdue_from().is_some_and(|from| from <= today)
    }

    /// The first day this project counts as overdue if nothing changes:
    /// the day after its planned end while it waits for the executor's
    /// self-report (signed, or returned for rework); `None` otherwise. The
    /// project list stores it, so a filter on "overdue today" compares
    /// dates and never restates the rule.
    pub fn overdue_from(&self) -> Option<BusinessDate> {
        match self.stage {
            Stage::Signed | Stage::Returned => self.period.end.next_day(),
            _ => None,
        }
    }

    /// The type of the event at `version`, on a state folded from the
    /// whole stream.
    pub fn event_type_at(&self, version: u64) -> Option<crate::event_type::EventType> {
        let index = usize::try_from(version.checked_sub(1)?).ok()?;
        self.history.0.get(index).copied()
    }

    /// The revision of the report: the draft's, or the one the latest
    /// correction of a finalized project made.
    pub fn report_revision(&self) -> Option<u32> {
        match &self.finalized {
            Some(f) => Some(f.corrected_revision.unwrap_or(f.revision)),
            None => self.draft.as_ref().map(|d| d.revision),
        }
    }

    /// Whether every indicator has an actual that meets its target.
    pub fn all_indicators_met(&self) -> bool {
        self.indicators.iter().all(|i| i.met == Some(true))
    }
}

/// A stored history that the lifecycle could never have produced: a sign
/// of corruption or tampering, never of user error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The first event of a stream was not `ProjectSigned`.
    #[error("the stream does not start with ProjectSigned (found {found})")]
    NotStartedBySigning {
        /// The type found instead.
        found: &'static str,
    },
    /// A `ProjectSigned` in the middle of a stream.
    #[error("ProjectSigned at version {version} of an existing project")]
    SignedTwice {
        /// Where it was found.
        version: u64,
    },
    /// A correction whose target does not exist in the state.
    #[error("the correction at version {version} cannot be applied: {reason}")]
    BadCorrection {
        /// Its version.
        version: u64,
        /// What is missing.
        reason: String,
    },
    /// An event the stage did not allow.
    #[error("{event} at version {version} is not allowed in stage {stage}")]
    ForbiddenTransition {
        /// The event type.
        event: &'static str,
        /// The stage it was applied to.
        stage: Stage,
        /// Its version.
        version: u64,
    },
}

/// The kind of command that produces each event type; the transition table
/// for commands is therefore also the table for events. `None` for the
/// record of an import, which no command produces and any stage takes.
fn producing_command(event: &ProjectEvent) -> Option<CommandKind> {
    Some(match event {
        ProjectEvent::ProjectSigned(_) => CommandKind::Sign,
        ProjectEvent::PeriodExtended(_) => CommandKind::Extend,
        ProjectEvent::MidtermEvaluated(_) => CommandKind::Midterm,
        ProjectEvent::SelfReportSubmitted(_) => CommandKind::SubmitSelfReport,
        ProjectEvent::SelfReportReviewed(_) => CommandKind::Review,
        ProjectEvent::SiteVisited(_) => CommandKind::Visit,
        ProjectEvent::EvaluationDrafted(_) => CommandKind::Draft,
        ProjectEvent::EvaluationFinalized(_) => CommandKind::Finalize,
        ProjectEvent::CorrectionRecorded(_) => CommandKind::Correct,
        ProjectEvent::TrancheReleased(_) => CommandKind::ReleaseTranche,
        ProjectEvent::HistoryImported(_) => return None,
        ProjectEvent::AttachmentAdded(_) => CommandKind::Attach,
        ProjectEvent::AttachmentWithdrawn(_) => CommandKind::WithdrawAttachment,
    })
}

/// Applies one event to a project's state.
///
/// `evolve` never judges business rules (that was `decide`'s job when the
/// event was accepted); it only refuses an order of events the transition
/// table forbids, which can only come from a damaged store.
pub fn evolve(state: Option<Project>, event: &ProjectEvent) -> Result<Project, HistoryError> {
    let Some(mut project) = state else {
        return match event {
            ProjectEvent::ProjectSigned(signed) => Ok(Project::signed(signed)),
            other => Err(HistoryError::NotStartedBySigning {
                found: other.event_type(),
            }),
        };
    };
    let version = project.version + 1;
    if let ProjectEvent::ProjectSigned(_) = event {
        return Err(HistoryError::SignedTwice { version });
    }
    if producing_command(event).is_some_and(|kind| !project.stage.allows(kind)) {
        return Err(HistoryError::ForbiddenTransition {
            event: event.event_type(),
            stage: project.stage,
            version,
        });
    }
    project.version = version;
    project.history.0.push(event.kind());
    match event {
        ProjectEvent::ProjectSigned(_) => {}
        ProjectEvent::PeriodExtended(extended) => project.apply_extension(extended),
        ProjectEvent::MidtermEvaluated(midterm) => project.midterm.push(midterm.clone()),
        ProjectEvent::SelfReportSubmitted(report) => project.apply_self_report(report),
        ProjectEvent::SelfReportReviewed(review) => {
            project.stage = match review.outcome {
                ReviewOutcome::Accepted => Stage::Reviewed,
                ReviewOutcome::Returned => Stage::Returned,
            };
            project.review = Some(review.clone());
        }
        ProjectEvent::SiteVisited(visit) => {
            project.stage = Stage::SiteVisited;
            project.site_visit = Some(visit.clone());
        }
        ProjectEvent::EvaluationDrafted(draft) => {
            project.stage = Stage::Drafted;
            project.draft = Some(draft.clone());
        }
        ProjectEvent::EvaluationFinalized(finalized) => {
            project.stage = Stage::Finalized;
            project.finalized = Some(Finalized {
                finalized_on: finalized.finalized_on,
                approved_by: finalized.approved_by.clone(),
                conclusion: finalized.conclusion,
                revision: finalized.revision,
                corrected_revision: None,
                finalized_by: finalized.finalized_by.clone(),
            });
            project.withhold_after_failure();
        }
        ProjectEvent::CorrectionRecorded(correction) => {
            project.apply_correction(version, correction)?;
        }
        ProjectEvent::TrancheReleased(released) => project.apply_release(released),
        ProjectEvent::AttachmentAdded(added) => project.apply_attachment(added),
        ProjectEvent::AttachmentWithdrawn(withdrawn) => project.apply_withdrawal(withdrawn),
        ProjectEvent::HistoryImported(imported) => {
            project.imported = Some(Imported {
                imported_on: imported.imported_on,
                imported_by: imported.imported_by.clone(),
                file_sha256: imported.file_sha256.clone(),
                file_name: imported.file_name.clone(),
                facts: imported.facts,
            });
            project.data_quality = imported.flags.clone();
        }
    }
    Ok(project)
}

/// Folds a whole history from nothing; `Ok(None)` for an empty one.
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a ProjectEvent>,
) -> Result<Option<Project>, HistoryError> {
    let mut state = None;
    for event in events {
        state = Some(evolve(state, event)?);
    }
    Ok(state)
}

impl Project {
    fn signed(signed: &crate::event_data::ProjectSigned) -> Project {
        Project {
            version: 1,
            stage: Stage::Signed,
            code: signed.code.clone(),
            title: signed.title.clone(),
            programme: signed.programme.clone(),
            funder: signed.funder.clone(),
            executor: signed.executor.clone(),
            communities: signed.communities.clone(),
            applied_on: signed.applied_on,
            signed_on: signed.signed_on,
            period: signed.period,
            original_period: signed.period,
            extensions: Vec::new(),
            funding: signed.funding.clone(),
            indicators: signed
                .indicators
                .iter()
                .map(|i| IndicatorStatus {
                    key: i.key.clone(),
                    label: i.label.clone(),
                    unit: i.unit.clone(),
                    target: i.target,
                    comparison: i.comparison,
                    actual: None,
                    met: None,
                    note: None,
                    group: i.group.clone(),
                })
                .collect(),
            predecessor: signed.predecessor.clone(),
            background: signed.background.clone(),
            goals: signed.goals.clone(),
            midterm: Vec::new(),
            self_report: None,
            review: None,
            site_visit: None,
            draft: None,
            finalized: None,
            attachments: Vec::new(),
            imported: None,
            data_quality: Vec::new(),
            tranches: crate::tranches::scheduled(&signed.funding),
            tranche_totals: crate::tranches::totals(&crate::tranches::scheduled(&signed.funding)),
            corrections: Vec::new(),
            history: History(vec![crate::event_type::EventType::ProjectSigned]),
        }
    }

    fn apply_extension(&mut self, extended: &PeriodExtended) {
        self.period.end = extended.new_end;
        if let Some(source) = &extended.matching_source {
            self.funding.matching_source = source.clone();
        }
        self.extensions.push(extended.clone());
    }

    fn apply_self_report(&mut self, report: &SelfReportSubmitted) {
        self.stage = Stage::SelfReportSubmitted;
        for indicator in &mut self.indicators {
            let actual = report.actuals.iter().find(|a| a.key == indicator.key);
            indicator.actual = actual.map(|a| a.value);
            indicator.note = actual.and_then(|a| a.note.clone());
            indicator.met = indicator
                .actual
                .map(|value| indicator.comparison.is_met(indicator.target, value));
        }
        self.self_report = Some(report.clone());
    }
}
