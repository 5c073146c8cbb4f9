//! Finance answers that contradict each other are refused, unless someone
//! puts the reason in writing.
//!
//! Two contradictions are common in paper evaluations and both end up in
//! a board's hands unexplained: spending judged compliant although the
//! vouchers were never inspected or the budget never reconciled with the
//! final accounts; and a project passed although its spending was found
//! not compliant. Each is refused at the field that asserts too much,
//! naming what it contradicts, unless a `justification` says why. A
//! justification given where nothing contradicts is refused too: it would
//! explain an exception that did not happen.

use crate::checks::Checks;
use crate::command::DraftEvaluation;
use crate::decide::MAX_LONG_TEXT;
use crate::state::Project;
use crate::values::{Conclusion, FinancialCheck};

/// The financial check's justification, held to the rule: required when
/// `compliant` is claimed without vouchers inspected and accounts
/// reconciled, refused otherwise.
pub(crate) fn check_justification(checks: &mut Checks, check: &FinancialCheck) -> Option<String> {
    let pointer = "/financial_check/justification";
    let justification =
        checks.optional_text(pointer, check.justification.as_deref(), MAX_LONG_TEXT);
    let mut unchecked = Vec::new();
    if !check.vouchers_checked {
        unchecked.push("the original vouchers were not inspected (vouchers_checked: false)");
    }
    if !check.budget_reconciled {
        unchecked
            .push("the budget and final accounts were not reconciled (budget_reconciled: false)");
    }
    let contradicts = check.compliant && !unchecked.is_empty();
    match (contradicts, &justification) {
        (true, None) => checks.fail(
            "/financial_check/compliant",
            "finance-contradiction",
            format!(
                "spending is called compliant although {}; correct the answers or give a justification",
                unchecked.join(" and ")
            ),
        ),
        (false, Some(_)) => checks.fail(
            pointer,
            "unexpected-justification",
            "a justification explains compliant spending that was not fully checked; these answers need none",
        ),
        _ => {}
    }
    justification
}

/// The draft's justification, held to the rule: required when the draft
/// passes a project whose site visit found its spending not compliant,
/// refused otherwise.
pub(crate) fn conclusion_justification(
    checks: &mut Checks,
    project: &Project,
    draft: &DraftEvaluation,
) -> Option<String> {
    let justification = checks.optional_text(
        "/justification",
        draft.justification.as_deref(),
        MAX_LONG_TEXT,
    );
    let not_compliant = project
        .site_visit
        .as_ref()
        .is_some_and(|visit| !visit.financial_check.compliant);
    let contradicts = not_compliant && draft.conclusion == Conclusion::Passed;
    match (contradicts, &justification) {
        (true, None) => checks.fail(
            "/conclusion",
            "finance-contradiction",
            "the conclusion is passed although the site visit found the spending not compliant (financial_check.compliant: false); change the conclusion or give a justification",
        ),
        (false, Some(_)) => checks.fail(
            "/justification",
            "unexpected-justification",
            "a justification explains passing a project whose spending was not compliant; this draft needs none",
        ),
        _ => {}
    }
    justification
}
