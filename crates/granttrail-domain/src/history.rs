//! A project's past, imported as the paper recorded it (历史数据导入).
//!
//! Years of paper history hold mistakes, like the source report's
//! completion date of 2022-02-10, before its 2022-05-11 signing. A live
//! command would be refused for it; an imported fact is kept as the paper
//! says, and each rule it breaks becomes a data-quality flag (code,
//! message, the fields involved) on the imported record instead of a
//! refusal. A correction can later put the fact right, which marks its
//! flag resolved. Only what cannot be folded at all (a fact the stage does
//! not allow, a correction or a release, which need a valid target) is
//! refused.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::date::BusinessDate;
use crate::event::ProjectEvent;
use crate::event_data::{
    EvaluationDrafted, EvaluationFinalized, MidtermEvaluated, PeriodExtended, ProjectSigned,
    SelfReportReviewed, SelfReportSubmitted, SiteVisited,
};
use crate::happened::decide_on;
use crate::rejection::{FieldError, Rejection};
use crate::state::{Project, fold};
use crate::values::Person;

/// One fact of a project's past: what the paper records, by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedFact {
    /// The fact, in the shape of the command that would record it today.
    pub command: Command,
    /// Who recorded it then.
    pub by: Person,
}

/// A rule an imported fact breaks, kept as a note instead of a refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QualityFlag {
    /// The version of the flagged event.
    pub version: u64,
    /// The rule's code, as a live command's refusal would name it.
    pub code: String,
    /// What is wrong, naming the values (and the likely value, when one
    /// can be told).
    pub message: String,
    /// The fields involved (JSON Pointers into the event's data).
    pub fields: Vec<String>,
    /// The correction that put it right, once one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<u64>,
}

/// Why a past could not be imported at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fact {index} ({command}) cannot be imported: {rejection}")]
pub struct ImportRefusal {
    /// The fact's position in the file's list, from 0.
    pub index: usize,
    /// Its command name.
    pub command: &'static str,
    /// Why.
    pub rejection: Rejection,
}

/// The events a past folds into, and the flags it earns.
pub fn record_history(
    facts: &[RecordedFact],
    today: BusinessDate,
) -> Result<(Vec<ProjectEvent>, Vec<QualityFlag>), ImportRefusal> {
    let mut events: Vec<ProjectEvent> = Vec::new();
    let mut flags = Vec::new();
    for (index, fact) in facts.iter().enumerate() {
        let refuse = |rejection| ImportRefusal {
            index,
            command: fact.command.kind().as_str(),
            rejection,
        };
        let state = fold(&events).map_err(|e| {
            refuse(Rejection::Invalid(vec![FieldError {
                pointer: String::new(),
                code: "history",
                message: e.to_string(),
            }]))
        })?;
        let new = match decide_on(state.as_ref(), &fact.command, today) {
            Ok(new) => new,
            Err(Rejection::Invalid(errors)) => {
                let new = as_stated(state.as_ref(), &fact.command).map_err(refuse)?;
                let version = events.len() as u64 + 1;
                flags.extend(
                    errors
                        .iter()
                        .map(|error| flag(version, error, state.as_ref(), &fact.command)),
                );
                new
            }
            Err(other) => return Err(refuse(other)),
        };
        events.extend(new.into_iter().map(|event| stamped(event, &fact.by)));
    }
    Ok((events, flags))
}

/// The person recorded on the events whose author matters.
fn stamped(mut event: ProjectEvent, by: &Person) -> ProjectEvent {
    match &mut event {
        ProjectEvent::SelfReportSubmitted(e) => e.submitted_by = Some(by.clone()),
        ProjectEvent::EvaluationDrafted(e) => e.drafted_by = Some(by.clone()),
        ProjectEvent::EvaluationFinalized(e) => e.finalized_by = Some(by.clone()),
        _ => {}
    }
    event
}

/// A field error as a flag; a completion dated before the signing says
/// which date it likely meant (the same day a year later, when that fits).
fn flag(
    version: u64,
    error: &FieldError,
    state: Option<&Project>,
    command: &Command,
) -> QualityFlag {
    let mut message = error.message.clone();
    if let (Command::SubmitSelfReport(report), Some(project), "/completed_on") =
        (command, state, error.pointer.as_str())
        && report.completed_on < project.signed_on
    {
        let likely = report
            .completed_on
            .naive()
            .with_year(report.completed_on.naive().year() + 1)
            .map(BusinessDate::from)
            .filter(|d| *d >= project.signed_on && *d <= report.submitted_on);
        message = match likely {
            Some(likely) => format!(
                "completion precedes signing ({}); likely {likely}",
                project.signed_on
            ),
            None => format!("completion precedes signing ({})", project.signed_on),
        };
    }
    QualityFlag {
        version,
        code: error.code.to_owned(),
        message,
        fields: vec![error.pointer.clone()],
        resolved_by: None,
    }
}

/// The event a fact states, taken as written: no rule but the stage's.
fn as_stated(state: Option<&Project>, command: &Command) -> Result<Vec<ProjectEvent>, Rejection> {
    let event = match (state, command) {
        (None, Command::SignProject(c)) => {
            let c = c.as_ref().clone();
            ProjectEvent::ProjectSigned(Box::new(ProjectSigned {
                code: c.code,
                title: c.title,
                programme: c.programme,
                funder: c.funder,
                executor: c.executor,
                communities: c.communities,
                applied_on: c.applied_on,
                signed_on: c.signed_on,
                period: c.period,
                funding: c.funding,
                indicators: c.indicators,
                predecessor: c.predecessor,
                background: c.background,
                goals: c.goals,
            }))
        }
        (Some(_), Command::SignProject(_)) => return Err(Rejection::ProjectAlreadyExists),
        (None, _) => return Err(Rejection::ProjectNotFound),
        (Some(project), command) => {
            let kind = command.kind();
            if !project.stage.allows(kind) {
                return Err(Rejection::InvalidTransition {
                    command: kind,
                    stage: project.stage,
                    allowed: project.stage.allowed_commands().to_vec(),
                });
            }
            match command.clone() {
                Command::SignProject(_) => return Err(Rejection::ProjectAlreadyExists),
                Command::ExtendPeriod(c) => ProjectEvent::PeriodExtended(PeriodExtended {
                    decided_on: c.decided_on,
                    from_end: project.period.end,
                    new_end: c.new_end,
                    reason: c.reason,
                    matching_source: c.matching_source,
                }),
                Command::RecordMidtermEvaluation(c) => {
                    ProjectEvent::MidtermEvaluated(MidtermEvaluated {
                        evaluated_on: c.evaluated_on,
                        findings: c.findings,
                        fixes: c.fixes,
                    })
                }
                Command::SubmitSelfReport(c) => {
                    ProjectEvent::SelfReportSubmitted(SelfReportSubmitted {
                        submitted_on: c.submitted_on,
                        completed_on: c.completed_on,
                        actuals: c.actuals,
                        extra_outputs: c.extra_outputs,
                        summary: c.summary,
                        submitted_by: None,
                    })
                }
                Command::ReviewSelfReport(c) => {
                    ProjectEvent::SelfReportReviewed(SelfReportReviewed {
                        reviewed_on: c.reviewed_on,
                        outcome: c.outcome,
                        comments: c.comments,
                    })
                }
                Command::RecordSiteVisit(c) => ProjectEvent::SiteVisited(SiteVisited {
                    visited_on: c.visited_on,
                    visitors: c.visitors,
                    findings: c.findings,
                    financial_check: c.financial_check,
                }),
                Command::DraftEvaluation(c) => {
                    let revision = project.draft.as_ref().map_or(1, |d| d.revision + 1);
                    ProjectEvent::EvaluationDrafted(EvaluationDrafted::from_command(revision, c))
                }
                Command::FinalizeEvaluation(c) => {
                    let Some(draft) = &project.draft else {
                        return Err(Rejection::InvalidTransition {
                            command: kind,
                            stage: project.stage,
                            allowed: project.stage.allowed_commands().to_vec(),
                        });
                    };
                    ProjectEvent::EvaluationFinalized(EvaluationFinalized {
                        finalized_on: c.finalized_on,
                        approved_by: c.approved_by,
                        revision: draft.revision,
                        conclusion: draft.conclusion,
                        finalized_by: None,
                    })
                }
                // A correction or a release needs a valid target: an
                // import records facts, not acts upon them.
                Command::RecordCorrection(_)
                | Command::ReleaseTranche(_)
                | Command::AddAttachment(_)
                | Command::WithdrawAttachment(_) => {
                    return Err(Rejection::InvalidTransition {
                        command: kind,
                        stage: project.stage,
                        allowed: Vec::new(),
                    });
                }
            }
        }
    };
    Ok(vec![event])
}
