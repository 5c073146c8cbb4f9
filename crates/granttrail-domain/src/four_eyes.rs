//! Four eyes (双人复核): some acts must come from a different person than
//! the one whose work they judge.
//!
//! - A draft is finalized by someone other than its author.
//! - A self-report is returned by someone other than the person who
//!   submitted it.
//! - A finalized report is corrected by someone other than the person who
//!   finalized it.
//!
//! The refusal names both people and the rule. Events recorded before
//! users existed name no author, and their rules cannot be judged; they
//! are let through. A foundation may turn the rules off (the `four_eyes`
//! setting); they are on by default.

use crate::command::Command;
use crate::date::BusinessDate;
use crate::event::ProjectEvent;
use crate::happened::decide_on;
use crate::rejection::{FourEyesRefusal, Rejection};
use crate::state::{Project, Stage};
use crate::values::{Person, ReviewOutcome};

/// Whether the four-eyes rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FourEyes {
    /// The rules apply (the default).
    Required,
    /// One person may do it all (a foundation of one, or history replayed
    /// by the operator).
    Off,
}

/// `decide_on`, by `by`: the four-eyes rules are judged once the command
/// is otherwise valid, and the person is recorded on the events whose
/// author the rules compare (a self-report, a draft, a finalization).
pub fn decide_as(
    state: Option<&Project>,
    command: &Command,
    today: BusinessDate,
    by: &Person,
    four_eyes: FourEyes,
) -> Result<Vec<ProjectEvent>, Rejection> {
    let mut events = decide_on(state, command, today)?;
    if let (FourEyes::Required, Some(project)) = (four_eyes, state) {
        check(project, command, by)?;
    }
    for event in &mut events {
        match event {
            ProjectEvent::SelfReportSubmitted(e) => e.submitted_by = Some(by.clone()),
            ProjectEvent::EvaluationDrafted(e) => e.drafted_by = Some(by.clone()),
            ProjectEvent::EvaluationFinalized(e) => e.finalized_by = Some(by.clone()),
            ProjectEvent::TrancheReleased(e) => e.released_by = Some(by.clone()),
            ProjectEvent::AttachmentAdded(e) => e.added_by = Some(by.clone()),
            _ => {}
        }
    }
    Ok(events)
}

fn check(project: &Project, command: &Command, by: &Person) -> Result<(), Rejection> {
    let same = |author: &Option<Person>| author.as_ref().filter(|a| a.id == by.id).cloned();
    let refused = |rule: &'static str, author: Person, message: String| {
        Rejection::FourEyes(Box::new(FourEyesRefusal {
            rule,
            author,
            actor: by.clone(),
            message,
        }))
    };
    match command {
        Command::FinalizeEvaluation(_) => {
            if let Some(draft) = &project.draft
                && let Some(author) = same(&draft.drafted_by)
            {
                return Err(refused(
                    "finalizer-is-not-the-author",
                    author.clone(),
                    format!(
                        "{author} wrote revision {} of the report; its finalization must come from someone else",
                        draft.revision
                    ),
                ));
            }
        }
        Command::ReviewSelfReport(review) if review.outcome == ReviewOutcome::Returned => {
            if let Some(report) = &project.self_report
                && let Some(author) = same(&report.submitted_by)
            {
                return Err(refused(
                    "returner-is-not-the-submitter",
                    author.clone(),
                    format!(
                        "{author} submitted the self-report; returning it must come from someone else"
                    ),
                ));
            }
        }
        Command::RecordCorrection(_) if project.stage == Stage::Finalized => {
            if let Some(finalized) = &project.finalized
                && let Some(author) = same(&finalized.finalized_by)
            {
                return Err(refused(
                    "corrector-is-not-the-approver",
                    author.clone(),
                    format!(
                        "{author} finalized the report; correcting it must come from someone else"
                    ),
                ));
            }
        }
        Command::ReleaseTranche(release) if release.override_reason.is_some() => {
            if let Some(finalized) = &project.finalized
                && let Some(author) = same(&finalized.finalized_by)
            {
                return Err(refused(
                    "overrider-is-not-the-approver",
                    author.clone(),
                    format!(
                        "{author} finalized the failed evaluation; overriding the tranche it withheld must come from someone else"
                    ),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}
