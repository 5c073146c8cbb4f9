//! The mid-term evaluation (中期评估): an optional stage event while the
//! work is under way. It records what the evaluation found and what the
//! executor fixed afterwards; it does not move the project's stage, and a
//! project may have more than one.

use crate::checks::Checks;
use crate::command::RecordMidtermEvaluation;
use crate::decide::MAX_LONG_TEXT;
use crate::event::ProjectEvent;
use crate::event_data::MidtermEvaluated;
use crate::rejection::Rejection;
use crate::state::Project;

pub(crate) fn record_midterm(
    project: &Project,
    c: &RecordMidtermEvaluation,
) -> Result<ProjectEvent, Rejection> {
    let mut checks = Checks::default();
    checks.not_before("/evaluated_on", c.evaluated_on, project.signed_on, || {
        format!(
            "the mid-term evaluation is dated {}, before the project was signed on {}",
            c.evaluated_on, project.signed_on
        )
    });
    if let Some(previous) = project.midterm.last() {
        checks.not_before(
            "/evaluated_on",
            c.evaluated_on,
            previous.evaluated_on,
            || {
                format!(
                    "this mid-term evaluation is dated {}, before the previous one of {}",
                    c.evaluated_on, previous.evaluated_on
                )
            },
        );
    }
    let findings = checks.texts("/findings", &c.findings, MAX_LONG_TEXT);
    let fixes = checks.texts("/fixes", &c.fixes, MAX_LONG_TEXT);
    checks.into_result(ProjectEvent::MidtermEvaluated(MidtermEvaluated {
        evaluated_on: c.evaluated_on,
        findings,
        fixes,
    }))
}
