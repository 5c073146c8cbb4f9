//! `decide`: the rules of docs/domain.md, turning a command and the current
//! state into new events or a typed rejection.
//!
//! Decide is purposefully synchronous and total: it has no clock, no ids
//! and no IO, so the same state and command always give the same answer,
//! and every failure is a business rejection, never a technical error.

use std::collections::HashSet;

use crate::checks::{Checks, Item, Pointer};
use crate::command::{
    Command, DraftEvaluation, ExtendPeriod, FinalizeEvaluation, RecordSiteVisit, ReviewSelfReport,
    SignProject, SubmitSelfReport,
};
use crate::event::ProjectEvent;
use crate::event_data::{
    EvaluationDrafted, EvaluationFinalized, PeriodExtended, ProjectSigned, SelfReportReviewed,
    SelfReportSubmitted, SiteVisited,
};
use crate::rejection::Rejection;
use crate::state::{Project, Stage};
use crate::values::{
    Actual, Executor, ExtraOutput, FinancialCheck, Funding, Indicator, ReviewOutcome,
};
use crate::{finance, midterm};

/// Longest single-line text (titles, names, labels), in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Longest free text (summaries, findings, reasons), in characters.
pub const MAX_LONG_TEXT: usize = 10_000;
/// Longest code or key, in characters.
pub const MAX_KEY: usize = 64;
/// Most items in any list of a command.
pub const MAX_ITEMS: usize = 200;

/// Decides what a command means for a project.
///
/// `state` is `None` when the stream is empty; only signing may start one.
/// A command the stage does not allow is refused before its body is
/// judged, so the caller learns the more fundamental problem first.
pub fn decide(state: Option<&Project>, command: &Command) -> Result<Vec<ProjectEvent>, Rejection> {
    let project = match (state, command) {
        (None, Command::SignProject(sign)) => return sign_project(sign).map(|e| vec![e]),
        (Some(_), Command::SignProject(_)) => return Err(Rejection::ProjectAlreadyExists),
        (None, _) => return Err(Rejection::ProjectNotFound),
        (Some(project), _) => project,
    };
    let kind = command.kind();
    if !project.stage.allows(kind) {
        return Err(Rejection::InvalidTransition {
            command: kind,
            stage: project.stage,
            allowed: project.stage.allowed_commands().to_vec(),
        });
    }
    let event = match command {
        Command::SignProject(_) => return Err(Rejection::ProjectAlreadyExists),
        Command::ExtendPeriod(c) => extend_period(project, c)?,
        Command::RecordMidtermEvaluation(c) => midterm::record_midterm(project, c)?,
        Command::SubmitSelfReport(c) => submit_self_report(project, c)?,
        Command::ReviewSelfReport(c) => review_self_report(project, c)?,
        Command::RecordSiteVisit(c) => record_site_visit(project, c)?,
        Command::DraftEvaluation(c) => draft_evaluation(project, c)?,
        Command::FinalizeEvaluation(c) => finalize_evaluation(project, c)?,
        Command::RecordCorrection(c) => crate::correction::record_correction(project, c)?,
        Command::ReleaseTranche(c) => crate::tranches::release(project, c)?,
        Command::AddAttachment(c) => crate::attachments::attach(project, c)?,
        Command::WithdrawAttachment(c) => crate::attachments::withdraw(project, c)?,
    };
    Ok(vec![event])
}

fn sign_project(c: &SignProject) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    let code = c.code.as_deref().map(|code| checks.key("/code", code));
    let title = checks.text("/title", &c.title, MAX_SHORT_TEXT);
    let programme = checks.text("/programme", &c.programme, MAX_SHORT_TEXT);
    let funder = checks.text("/funder", &c.funder, MAX_SHORT_TEXT);
    let executor = Executor {
        org_id: checks.key("/executor/org_id", &c.executor.org_id),
        name: checks.text("/executor/name", &c.executor.name, MAX_SHORT_TEXT),
    };
    let communities = checks.texts("/communities", &c.communities, MAX_SHORT_TEXT);
    checks.not_before(
        "/signed_on",
        c.signed_on,
        c.applied_on,
        || format!(
            "the signing date {} is before the application date {}; a project is signed after it is applied for",
            c.signed_on, c.applied_on
        ),
    );
    checks.not_before("/period/end", c.period.end, c.period.start, || {
        format!(
            "the period ends on {} before it starts on {}",
            c.period.end, c.period.start
        )
    });
    checks.not_before("/period/end", c.period.end, c.signed_on, || {
        format!(
            "the period ends on {} before the agreement was signed on {}",
            c.period.end, c.signed_on
        )
    });
    let funding = Funding {
        matching_source: checks.text(
            "/funding/matching_source",
            &c.funding.matching_source,
            MAX_SHORT_TEXT,
        ),
        grant_amount: checks.amount("/funding/grant_amount", c.funding.grant_amount.as_deref()),
        matching_amount: checks.amount(
            "/funding/matching_amount",
            c.funding.matching_amount.as_deref(),
        ),
        currency: checks.currency("/funding/currency", c.funding.currency.as_deref()),
        tranches: c.funding.tranches.clone(),
    };
    checks.at_most_items("/indicators", c.indicators.len());
    let mut seen = HashSet::new();
    let indicators: Vec<Indicator> = c
        .indicators
        .iter()
        .enumerate()
        .map(|(i, indicator)| {
            let at = Item::new("/indicators", i);
            let key = checks.key(&at.member("key"), &indicator.key);
            if !seen.insert(key.clone()) {
                checks.fail(
                    at.member("key").spell(),
                    "duplicate",
                    format!("indicator key '{key}' is used more than once; keys must be unique"),
                );
            }
            checks.non_negative(&at.member("target"), "target", indicator.target);
            Indicator {
                key,
                label: checks.text(&at.member("label"), &indicator.label, MAX_SHORT_TEXT),
                unit: checks.text(&at.member("unit"), &indicator.unit, MAX_SHORT_TEXT),
                target: indicator.target,
                comparison: indicator.comparison,
                group: checks.optional_text(
                    &at.member("group"),
                    indicator.group.as_deref(),
                    MAX_SHORT_TEXT,
                ),
            }
        })
        .collect();
    crate::tranches::check_schedule(&mut checks, &funding, &indicators);
    let predecessor =
        checks.optional_text("/predecessor", c.predecessor.as_deref(), MAX_SHORT_TEXT);
    let background = checks.optional_text("/background", c.background.as_deref(), MAX_LONG_TEXT);
    let goals = checks.optional_text("/goals", c.goals.as_deref(), MAX_LONG_TEXT);
    checks.into_result(ProjectEvent::ProjectSigned(Box::new(ProjectSigned {
        code,
        title,
        programme,
        funder,
        executor,
        communities,
        applied_on: c.applied_on,
        signed_on: c.signed_on,
        period: c.period,
        funding,
        indicators,
        predecessor,
        background,
        goals,
    })))
}

fn extend_period(project: &Project, c: &ExtendPeriod) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    if c.new_end <= project.period.end {
        checks.fail(
            "/new_end",
            "date-order",
            format!(
                "the new end {} must be later than the current planned end {}",
                c.new_end, project.period.end
            ),
        );
    }
    checks.not_before("/decided_on", c.decided_on, project.signed_on, || {
        format!(
            "the extension was decided on {}, before the project was signed on {}",
            c.decided_on, project.signed_on
        )
    });
    let reason = checks.text("/reason", &c.reason, MAX_LONG_TEXT);
    let matching_source = checks.optional_text(
        "/matching_source",
        c.matching_source.as_deref(),
        MAX_SHORT_TEXT,
    );
    checks.into_result(ProjectEvent::PeriodExtended(PeriodExtended {
        decided_on: c.decided_on,
        from_end: project.period.end,
        new_end: c.new_end,
        reason,
        matching_source,
    }))
}

fn submit_self_report(project: &Project, c: &SubmitSelfReport) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    // One message for the start of work: signing and the period start are
    // both lower bounds, and the later of the two is the one to name.
    if c.completed_on < project.signed_on {
        checks.fail(
            "/completed_on",
            "date-order",
            format!(
                "the completion date {} is before the signing date {}; a project cannot be completed before it is signed (is the year mistyped?)",
                c.completed_on, project.signed_on
            ),
        );
    } else if c.completed_on < project.period.start {
        checks.fail(
            "/completed_on",
            "date-order",
            format!(
                "the completion date {} is before the period starts on {}",
                c.completed_on, project.period.start
            ),
        );
    } else if c.completed_on > project.period.end {
        checks.fail(
            "/completed_on",
            "date-order",
            format!(
                "the completion date {} is after the planned end {}; record an extension first",
                c.completed_on, project.period.end
            ),
        );
    }
    checks.not_before("/submitted_on", c.submitted_on, c.completed_on, || {
        format!(
            "the report was submitted on {}, before the work was completed on {}",
            c.submitted_on, c.completed_on
        )
    });
    if let (Stage::Returned, Some(review)) = (project.stage, &project.review) {
        checks.not_before("/submitted_on", c.submitted_on, review.reviewed_on, || {
            format!(
                "the resubmission is dated {}, before the report was returned on {}",
                c.submitted_on, review.reviewed_on
            )
        });
    }
    checks.at_most_items("/actuals", c.actuals.len());
    let mut seen = HashSet::new();
    let actuals: Vec<Actual> = c
        .actuals
        .iter()
        .enumerate()
        .map(|(i, actual)| {
            let at = Item::new("/actuals", i);
            if !project.indicators.iter().any(|ind| ind.key == actual.key) {
                checks.fail(
                    at.member("key").spell(),
                    "unknown-indicator",
                    format!("the project has no indicator '{}'", actual.key),
                );
            } else if !seen.insert(actual.key.as_str()) {
                checks.fail(
                    at.member("key").spell(),
                    "duplicate",
                    format!("indicator '{}' is reported more than once", actual.key),
                );
            }
            checks.non_negative(&at.member("value"), "value", actual.value);
            Actual {
                key: actual.key.clone(),
                value: actual.value,
                note: checks.optional_text(
                    &at.member("note"),
                    actual.note.as_deref(),
                    MAX_LONG_TEXT,
                ),
            }
        })
        .collect();
    for indicator in &project.indicators {
        if !seen.contains(indicator.key.as_str()) {
            checks.fail(
                "/actuals",
                "missing-actual",
                format!(
                    "no actual value for indicator '{}' ({}); every indicator needs one",
                    indicator.key, indicator.label
                ),
            );
        }
    }
    checks.at_most_items("/extra_outputs", c.extra_outputs.len());
    let extra_outputs = c
        .extra_outputs
        .iter()
        .enumerate()
        .map(|(i, output)| {
            let at = Item::new("/extra_outputs", i);
            checks.non_negative(&at.member("value"), "value", output.value);
            ExtraOutput {
                label: checks.text(&at.member("label"), &output.label, MAX_SHORT_TEXT),
                value: output.value,
                unit: checks.text(&at.member("unit"), &output.unit, MAX_SHORT_TEXT),
            }
        })
        .collect();
    let summary = checks.text("/summary", &c.summary, MAX_LONG_TEXT);
    checks.into_result(ProjectEvent::SelfReportSubmitted(SelfReportSubmitted {
        submitted_on: c.submitted_on,
        completed_on: c.completed_on,
        actuals,
        extra_outputs,
        summary,
        submitted_by: None,
    }))
}

fn review_self_report(project: &Project, c: &ReviewSelfReport) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    if let Some(report) = &project.self_report {
        checks.not_before("/reviewed_on", c.reviewed_on, report.submitted_on, || {
            format!(
                "the review is dated {}, before the self-report was submitted on {}",
                c.reviewed_on, report.submitted_on
            )
        });
    }
    let comments = checks.optional_text("/comments", c.comments.as_deref(), MAX_LONG_TEXT);
    if c.outcome == ReviewOutcome::Returned && comments.is_none() {
        checks.fail(
            "/comments",
            "required",
            "a returned self-report needs comments telling the executor what to fix",
        );
    }
    checks.into_result(ProjectEvent::SelfReportReviewed(SelfReportReviewed {
        reviewed_on: c.reviewed_on,
        outcome: c.outcome,
        comments,
    }))
}

fn record_site_visit(project: &Project, c: &RecordSiteVisit) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    if let Some(review) = &project.review {
        checks.not_before("/visited_on", c.visited_on, review.reviewed_on, || {
            format!(
                "the site visit is dated {}, before the self-report was reviewed on {}",
                c.visited_on, review.reviewed_on
            )
        });
    }
    let visitors = checks.texts("/visitors", &c.visitors, MAX_SHORT_TEXT);
    if visitors.is_empty() {
        checks.fail("/visitors", "required", "name at least one visitor");
    }
    let findings = checks.text("/findings", &c.findings, MAX_LONG_TEXT);
    let financial_check = FinancialCheck {
        notes: checks.optional_text(
            "/financial_check/notes",
            c.financial_check.notes.as_deref(),
            MAX_LONG_TEXT,
        ),
        justification: finance::check_justification(&mut checks, &c.financial_check),
        ..c.financial_check.clone()
    };
    checks.into_result(ProjectEvent::SiteVisited(SiteVisited {
        visited_on: c.visited_on,
        visitors,
        findings,
        financial_check,
    }))
}

fn draft_evaluation(project: &Project, c: &DraftEvaluation) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    match (&project.draft, &project.site_visit) {
        (Some(previous), _) => {
            checks.not_before("/drafted_on", c.drafted_on, previous.drafted_on, || {
                format!(
                    "this draft is dated {}, before the previous draft (revision {}) of {}",
                    c.drafted_on, previous.revision, previous.drafted_on
                )
            })
        }
        (None, Some(visit)) => {
            checks.not_before("/drafted_on", c.drafted_on, visit.visited_on, || {
                format!(
                    "the draft is dated {}, before the site visit on {}",
                    c.drafted_on, visit.visited_on
                )
            })
        }
        (None, None) => {}
    }
    let draft = DraftEvaluation {
        drafted_on: c.drafted_on,
        process: checks.text("/process", &c.process, MAX_LONG_TEXT),
        problems: checks.texts("/problems", &c.problems, MAX_LONG_TEXT),
        suggestions: checks.texts("/suggestions", &c.suggestions, MAX_LONG_TEXT),
        conclusion: c.conclusion,
        notes: checks.optional_text("/notes", c.notes.as_deref(), MAX_LONG_TEXT),
        justification: finance::conclusion_justification(&mut checks, project, c),
    };
    let revision = project.draft.as_ref().map_or(1, |d| d.revision + 1);
    checks.into_result(ProjectEvent::EvaluationDrafted(
        EvaluationDrafted::from_command(revision, draft),
    ))
}

fn finalize_evaluation(
    project: &Project,
    c: &FinalizeEvaluation,
) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    let Some(draft) = &project.draft else {
        // The transition table only allows finalizing in `drafted`, which
        // always has a draft; this guards a hand-built state.
        return Err(Rejection::InvalidTransition {
            command: crate::command::CommandKind::Finalize,
            stage: project.stage,
            allowed: project.stage.allowed_commands().to_vec(),
        });
    };
    checks.not_before("/finalized_on", c.finalized_on, draft.drafted_on, || {
        format!(
            "finalization is dated {}, before the latest draft (revision {}) of {}",
            c.finalized_on, draft.revision, draft.drafted_on
        )
    });
    let approved_by = checks.text("/approved_by", &c.approved_by, MAX_SHORT_TEXT);
    checks.into_result(ProjectEvent::EvaluationFinalized(EvaluationFinalized {
        finalized_on: c.finalized_on,
        approved_by,
        revision: draft.revision,
        conclusion: draft.conclusion,
        finalized_by: None,
    }))
}
