//! Facts that already happened cannot be dated in the future: a signing,
//! an application, a decision, a submission, a completion, a review, a
//! visit, a draft or a finalization dated after today is a typing error
//! (the source's own report carries one), so it is refused, naming the
//! date and today. One day of tolerance covers time zones: "today" is the
//! server's UTC date, and a staff member east of UTC may already be a day
//! ahead.

use crate::command::Command;
use crate::date::BusinessDate;
use crate::decide::decide;
use crate::event::ProjectEvent;
use crate::rejection::{FieldError, Rejection};
use crate::state::Project;

/// `decide`, with the dates of things that already happened held to
/// `today` (plus a day). Their refusals join the command's others, so one
/// answer lists every problem; a command the stage does not allow is still
/// refused for that first.
pub fn decide_on(
    state: Option<&Project>,
    command: &Command,
    today: BusinessDate,
) -> Result<Vec<ProjectEvent>, Rejection> {
    let future = in_the_future(command, today);
    match decide(state, command) {
        Ok(events) if future.is_empty() => Ok(events),
        Ok(_) => Err(Rejection::Invalid(future)),
        Err(Rejection::Invalid(mut errors)) => {
            errors.extend(future);
            Err(Rejection::Invalid(errors))
        }
        Err(other) => Err(other),
    }
}

/// The past-tense dates of `command` that lie after `today` plus a day.
fn in_the_future(command: &Command, today: BusinessDate) -> Vec<FieldError> {
    let dates: Vec<(&str, &str, BusinessDate)> = match command {
        Command::SignProject(c) => vec![
            ("/applied_on", "the application", c.applied_on),
            ("/signed_on", "the signing", c.signed_on),
        ],
        Command::ExtendPeriod(c) => vec![("/decided_on", "the decision", c.decided_on)],
        Command::RecordMidtermEvaluation(c) => {
            vec![("/evaluated_on", "the mid-term evaluation", c.evaluated_on)]
        }
        Command::SubmitSelfReport(c) => vec![
            ("/submitted_on", "the submission", c.submitted_on),
            ("/completed_on", "the completion", c.completed_on),
        ],
        Command::ReviewSelfReport(c) => vec![("/reviewed_on", "the review", c.reviewed_on)],
        Command::RecordSiteVisit(c) => vec![("/visited_on", "the visit", c.visited_on)],
        Command::DraftEvaluation(c) => vec![("/drafted_on", "the draft", c.drafted_on)],
        Command::FinalizeEvaluation(c) => {
            vec![("/finalized_on", "the finalization", c.finalized_on)]
        }
        Command::RecordCorrection(c) => vec![("/corrected_on", "the correction", c.corrected_on)],
        Command::ReleaseTranche(c) => vec![("/released_on", "the release", c.released_on)],
        Command::AddAttachment(c) => vec![("/added_on", "the attachment", c.added_on)],
        Command::WithdrawAttachment(c) => {
            vec![("/withdrawn_on", "the withdrawal", c.withdrawn_on)]
        }
    };
    let latest = today.next_day().unwrap_or(today);
    dates
        .into_iter()
        .filter(|(_, _, date)| *date > latest)
        .map(|(pointer, what, date)| FieldError {
            pointer: pointer.to_owned(),
            code: "future-date",
            message: format!(
                "{date} is after today ({today}); {what} cannot be recorded before it happened"
            ),
        })
        .collect()
}
