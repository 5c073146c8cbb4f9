//! The finance-consistency rules and the mid-term evaluation, as given /
//! when / then.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{CommandKind as K, ProjectEvent, Stage};
use serde_json::{Value, json};
use support::{command, given, midterm_body, seed_body, seed_events, seed_until};

fn visit_with(check: Value) -> granttrail_domain::Command {
    let mut body = seed_body(4);
    body["financial_check"] = check;
    command(K::Visit, body)
}

// ---- the financial check -----------------------------------------------------

#[test]
fn compliant_spending_with_unreconciled_accounts_is_refused_at_compliant() {
    given(seed_until(Stage::Reviewed))
        .when(visit_with(json!({
            "vouchers_checked": true, "budget_reconciled": false, "compliant": true
        })))
        .then_invalid_at(
            "/financial_check/compliant",
            &["budget_reconciled: false", "justification"],
        );
}

#[test]
fn compliant_spending_with_uninspected_vouchers_is_refused_naming_both_gaps() {
    given(seed_until(Stage::Reviewed))
        .when(visit_with(json!({
            "vouchers_checked": false, "budget_reconciled": false, "compliant": true
        })))
        .then_invalid_at(
            "/financial_check/compliant",
            &["vouchers_checked: false", "budget_reconciled: false"],
        );
}

#[test]
fn a_written_justification_lets_the_exception_through_and_is_kept() {
    let project = given(seed_until(Stage::Reviewed))
        .when(visit_with(json!({
            "vouchers_checked": true, "budget_reconciled": false, "compliant": true,
            "justification": "决算表尚在审计中，凭证已全部核查"
        })))
        .then_stage(Stage::SiteVisited);
    let check = &project.site_visit.unwrap().financial_check;
    assert_eq!(
        check.justification.as_deref(),
        Some("决算表尚在审计中，凭证已全部核查")
    );
}

#[test]
fn a_justification_where_nothing_contradicts_is_refused() {
    given(seed_until(Stage::Reviewed))
        .when(visit_with(json!({
            "vouchers_checked": true, "budget_reconciled": true, "compliant": true,
            "justification": "无"
        })))
        .then_invalid_at("/financial_check/justification", &["need none"]);
}

#[test]
fn non_compliant_spending_needs_no_justification() {
    given(seed_until(Stage::Reviewed))
        .when(visit_with(json!({
            "vouchers_checked": true, "budget_reconciled": false, "compliant": false
        })))
        .then_stage(Stage::SiteVisited);
}

// ---- the conclusion against the finances -------------------------------------

fn visited_not_compliant() -> Vec<ProjectEvent> {
    let mut history = seed_until(Stage::Reviewed);
    let (events, _) = given(history.clone())
        .when(visit_with(json!({
            "vouchers_checked": true, "budget_reconciled": false, "compliant": false
        })))
        .accepted();
    history.extend(events);
    history
}

#[test]
fn passing_a_project_whose_spending_was_not_compliant_is_refused_at_the_conclusion() {
    given(visited_not_compliant())
        .when(command(K::Draft, seed_body(5)))
        .then_invalid_at("/conclusion", &["compliant: false", "justification"]);
}

#[test]
fn passing_it_with_a_justification_is_accepted() {
    let mut body = seed_body(5);
    body["justification"] = json!("差额已由执行单位退回，理事会同意通过");
    let project = given(visited_not_compliant())
        .when(command(K::Draft, body))
        .then_stage(Stage::Drafted);
    assert!(project.draft.unwrap().justification.is_some());
}

#[test]
fn failing_it_needs_no_justification_and_may_not_carry_one() {
    let mut body = seed_body(5);
    body["conclusion"] = json!("failed");
    given(visited_not_compliant())
        .when(command(K::Draft, body.clone()))
        .then_stage(Stage::Drafted);
    body["justification"] = json!("无");
    given(visited_not_compliant())
        .when(command(K::Draft, body))
        .then_invalid_at("/justification", &["needs none"]);
}

// ---- the mid-term evaluation ---------------------------------------------------

#[test]
fn a_midterm_evaluation_is_recorded_without_moving_the_stage() {
    let project = given(seed_events(2))
        .when(command(K::Midterm, midterm_body()))
        .then_stage(Stage::Signed);
    assert_eq!(project.midterm.len(), 1);
    assert_eq!(project.midterm[0].findings, ["自组织培育的深度和广度不够"]);
    assert_eq!(
        project.midterm[0].fixes,
        ["通过一对一指导和调动成员积极性加以改进"]
    );
}

#[test]
fn a_midterm_evaluation_before_signing_is_refused() {
    let mut body = midterm_body();
    body["evaluated_on"] = json!("2022-05-01");
    given(seed_events(2))
        .when(command(K::Midterm, body))
        .then_invalid_at("/evaluated_on", &["2022-05-01", "2022-05-11"]);
}

#[test]
fn a_second_midterm_evaluation_is_not_dated_before_the_first() {
    let mut history = seed_events(2);
    let (events, _) = given(history.clone())
        .when(command(K::Midterm, midterm_body()))
        .accepted();
    history.extend(events);
    let mut body = midterm_body();
    body["evaluated_on"] = json!("2022-10-01");
    given(history)
        .when(command(K::Midterm, body))
        .then_invalid_at("/evaluated_on", &["2022-10-01", "2022-11-15"]);
}

#[test]
fn a_midterm_evaluation_after_the_self_report_is_refused_by_the_stage() {
    given(seed_until(Stage::SelfReportSubmitted))
        .when(command(K::Midterm, midterm_body()))
        .then_invalid_transition(
            Stage::SelfReportSubmitted,
            &[
                K::Review,
                K::Correct,
                K::ReleaseTranche,
                K::Attach,
                K::WithdrawAttachment,
            ],
        );
}

#[test]
fn blank_findings_are_refused_at_their_item() {
    let mut body = midterm_body();
    body["findings"] = json!(["  "]);
    given(seed_events(2))
        .when(command(K::Midterm, body))
        .then_invalid_at("/findings/0", &[]);
}
