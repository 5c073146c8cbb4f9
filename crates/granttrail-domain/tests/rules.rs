//! One test per rule of docs/domain.md's "Rules" section, written as
//! given / when / then.

mod support;

use granttrail_domain::{CommandKind as K, Comparison, Conclusion, ProjectEvent, Rejection, Stage};
use serde_json::{Value, json};
use support::{command, given, seed_body, seed_events, seed_until};

/// `body` with the field at `pointer` set to `value` (added if missing).
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, field) = pointer.rsplit_once('/').expect("a JSON Pointer");
    let parent = body
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in body"));
    match parent {
        Value::Array(items) => items[field.parse::<usize>().expect("an index")] = value,
        Value::Object(fields) => {
            fields.insert(field.to_owned(), value);
        }
        other => panic!("cannot set {field} in {other}"),
    }
    body
}

fn sign_with(pointer: &str, value: Value) -> granttrail_domain::Command {
    command(K::Sign, with(seed_body(0), pointer, value))
}

// ---- signing ---------------------------------------------------------------

#[test]
fn signing_creates_a_signed_project_with_the_original_period() {
    let project = given(vec![])
        .when(command(K::Sign, seed_body(0)))
        .then_stage(Stage::Signed);
    assert_eq!(project.version, 1);
    assert_eq!(project.period, project.original_period);
    assert_eq!(project.indicators.len(), 9);
    assert!(
        project
            .indicators
            .iter()
            .all(|i| i.actual.is_none() && i.met.is_none())
    );
}

#[test]
fn signing_before_applying_is_refused() {
    given(vec![])
        .when(sign_with("/applied_on", json!("2022-05-12")))
        .then_invalid_at("/signed_on", &["2022-05-11", "2022-05-12"]);
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    given(vec![])
        .when(sign_with("/period/start", json!("2022-11-01")))
        .then_invalid_at("/period/end", &["2022-10-10", "2022-11-01"]);
}

#[test]
fn a_period_that_ends_before_signing_is_refused() {
    let body = with(
        seed_body(0),
        "/period",
        json!({"start": "2022-01-01", "end": "2022-05-01"}),
    );
    given(vec![])
        .when(command(K::Sign, body))
        .then_invalid_at("/period/end", &["2022-05-01", "2022-05-11"]);
}

#[test]
fn indicator_keys_must_be_unique() {
    given(vec![])
        .when(sign_with("/indicators/1/key", json!("needs_collected")))
        .then_invalid_at("/indicators/1/key", &["needs_collected"]);
}

#[test]
fn a_code_of_only_dots_is_refused() {
    for dots in [".", "..", "..."] {
        given(vec![])
            .when(sign_with("/code", json!(dots)))
            .then_invalid_at("/code", &["only dots"]);
    }
}

#[test]
fn indicator_targets_must_not_be_negative() {
    given(vec![])
        .when(sign_with("/indicators/0/target", json!(-1)))
        .then_invalid_at("/indicators/0/target", &["-1"]);
}

#[test]
fn required_text_must_not_be_blank_and_is_trimmed() {
    given(vec![])
        .when(sign_with("/title", json!("   ")))
        .then_invalid_at("/title", &["empty"]);
    let project = given(vec![])
        .when(sign_with("/title", json!("  全龄友好  ")))
        .then_stage(Stage::Signed);
    assert_eq!(project.title, "全龄友好");
}

#[test]
fn text_is_bounded_in_length() {
    given(vec![])
        .when(sign_with("/funder", json!("基".repeat(201))))
        .then_invalid_at("/funder", &["201", "200"]);
}

#[test]
fn amounts_are_non_negative_decimal_strings() {
    for bad in ["-1.00", "1.005", "1e5", "abc", ""] {
        given(vec![])
            .when(sign_with("/funding/grant_amount", json!(bad)))
            .then_invalid_at("/funding/grant_amount", &["amount"]);
    }
    let project = given(vec![])
        .when(sign_with("/funding/grant_amount", json!("50000.00")))
        .then_stage(Stage::Signed);
    assert_eq!(project.funding.grant_amount.as_deref(), Some("50000.00"));
}

#[test]
fn currency_is_an_iso_code() {
    given(vec![])
        .when(sign_with("/funding/currency", json!("yuan")))
        .then_invalid_at("/funding/currency", &["yuan"]);
}

#[test]
fn every_problem_of_a_body_is_reported_at_once() {
    let body = with(
        with(seed_body(0), "/title", json!("")),
        "/indicators/0/target",
        json!(-5),
    );
    let errors = given(vec![])
        .when(command(K::Sign, body))
        .then_invalid_at("/title", &[]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn signing_an_existing_project_is_refused() {
    given(seed_events(1))
        .when(command(K::Sign, seed_body(0)))
        .then_rejected(Rejection::ProjectAlreadyExists);
}

#[test]
fn commands_for_a_project_that_does_not_exist_are_refused() {
    given(vec![])
        .when(command(K::Extend, seed_body(1)))
        .then_rejected(Rejection::ProjectNotFound);
}

// ---- extension -------------------------------------------------------------

#[test]
fn an_extension_moves_the_planned_end_and_may_change_matching_funds() {
    let (events, project) = given(seed_events(1))
        .when(command(K::Extend, seed_body(1)))
        .accepted();
    let ProjectEvent::PeriodExtended(extended) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(extended.from_end.to_string(), "2022-10-10");
    assert_eq!(project.period.end.to_string(), "2023-02-28");
    assert_eq!(project.original_period.end.to_string(), "2022-10-10");
    assert_eq!(project.funding.matching_source, "各社区微基金");
    assert_eq!(project.stage, Stage::Signed);
}

#[test]
fn an_extension_must_end_later_than_the_current_end() {
    given(seed_events(2))
        .when(command(
            K::Extend,
            with(seed_body(1), "/new_end", json!("2023-02-28")),
        ))
        .then_invalid_at("/new_end", &["2023-02-28"]);
}

#[test]
fn an_extension_cannot_be_decided_before_signing() {
    given(seed_events(1))
        .when(command(
            K::Extend,
            with(seed_body(1), "/decided_on", json!("2022-05-10")),
        ))
        .then_invalid_at("/decided_on", &["2022-05-10", "2022-05-11"]);
}

#[test]
fn a_returned_project_may_still_be_extended() {
    given(seed_until(Stage::Returned))
        .when(command(
            K::Extend,
            json!({"decided_on": "2023-02-16", "new_end": "2023-03-31", "reason": "补充材料"}),
        ))
        .then_stage(Stage::Returned);
}

// ---- self-report -----------------------------------------------------------

#[test]
fn the_source_reports_typo_completion_date_is_refused_naming_both_dates() {
    let typo: Value = serde_json::from_str(support::SEED_TYPO).unwrap();
    given(seed_events(2))
        .when(command(K::SubmitSelfReport, typo["body"].clone()))
        .then_invalid_at("/completed_on", &["2022-02-10", "2022-05-11"]);
}

#[test]
fn a_self_report_sets_every_actual_and_judges_it() {
    let project = given(seed_events(2))
        .when(command(K::SubmitSelfReport, seed_body(2)))
        .then_stage(Stage::SelfReportSubmitted);
    let needs = &project.indicators[0];
    assert_eq!(
        (needs.target, needs.actual, needs.met),
        (50, Some(51), Some(true))
    );
    assert!(project.all_indicators_met());
}

#[test]
fn completion_after_the_planned_end_needs_an_extension_first() {
    given(seed_events(1))
        .when(command(K::SubmitSelfReport, seed_body(2)))
        .then_invalid_at("/completed_on", &["2023-02-10", "2022-10-10", "extension"]);
}

#[test]
fn completion_before_the_period_starts_is_refused() {
    let body = with(seed_body(0), "/period/start", json!("2022-06-01"));
    let signed = given(vec![]).when(command(K::Sign, body)).accepted().0;
    let mut history = signed;
    history.extend(seed_events(2).into_iter().skip(1));
    given(history)
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/completed_on", json!("2022-05-20")),
        ))
        .then_invalid_at("/completed_on", &["2022-05-20", "2022-06-01"]);
}

#[test]
fn a_report_cannot_be_submitted_before_the_work_was_completed() {
    given(seed_events(2))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/submitted_on", json!("2023-02-09")),
        ))
        .then_invalid_at("/submitted_on", &["2023-02-09", "2023-02-10"]);
}

#[test]
fn every_indicator_needs_an_actual() {
    let mut body = seed_body(2);
    body["actuals"].as_array_mut().unwrap().pop();
    given(seed_events(2))
        .when(command(K::SubmitSelfReport, body))
        .then_invalid_at("/actuals", &["sharing_booklets"]);
}

#[test]
fn actuals_for_unknown_indicators_are_refused() {
    given(seed_events(2))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/actuals/0/key", json!("volunteers")),
        ))
        .then_invalid_at("/actuals/0/key", &["volunteers"]);
}

#[test]
fn an_indicator_reported_twice_is_refused() {
    given(seed_events(2))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/actuals/1/key", json!("needs_collected")),
        ))
        .then_invalid_at("/actuals/1/key", &["needs_collected"]);
}

#[test]
fn negative_actuals_are_refused() {
    given(seed_events(2))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/actuals/3/value", json!(-12)),
        ))
        .then_invalid_at("/actuals/3/value", &["-12"]);
}

#[test]
fn an_unmet_target_is_recorded_as_not_met() {
    let project = given(seed_events(2))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/actuals/8/value", json!(90)),
        ))
        .then_stage(Stage::SelfReportSubmitted);
    let booklets = project
        .indicators
        .iter()
        .find(|i| i.key == "sharing_booklets")
        .unwrap();
    assert_eq!(booklets.comparison, Comparison::Exactly);
    assert_eq!(booklets.met, Some(false));
    assert!(!project.all_indicators_met());
}

#[test]
fn a_returned_report_may_be_resubmitted_but_not_dated_before_the_return() {
    given(seed_until(Stage::Returned))
        .when(command(K::SubmitSelfReport, seed_body(2)))
        .then_invalid_at("/submitted_on", &["2023-02-14", "2023-02-15"]);
    given(seed_until(Stage::Returned))
        .when(command(
            K::SubmitSelfReport,
            with(seed_body(2), "/submitted_on", json!("2023-02-16")),
        ))
        .then_stage(Stage::SelfReportSubmitted);
}

// ---- review ----------------------------------------------------------------

#[test]
fn an_accepted_review_moves_to_reviewed() {
    given(seed_events(3))
        .when(command(K::Review, seed_body(3)))
        .then_stage(Stage::Reviewed);
}

#[test]
fn a_review_cannot_predate_the_submission() {
    given(seed_events(3))
        .when(command(
            K::Review,
            with(seed_body(3), "/reviewed_on", json!("2023-02-13")),
        ))
        .then_invalid_at("/reviewed_on", &["2023-02-13", "2023-02-14"]);
}

#[test]
fn returning_a_report_requires_comments() {
    given(seed_events(3))
        .when(command(
            K::Review,
            json!({"reviewed_on": "2023-02-15", "outcome": "returned"}),
        ))
        .then_invalid_at("/comments", &["returned"]);
    given(seed_events(3))
        .when(command(
            K::Review,
            json!({"reviewed_on": "2023-02-15", "outcome": "returned", "comments": " "}),
        ))
        .then_invalid_at("/comments", &["empty"]);
}

#[test]
fn a_returned_review_moves_to_returned() {
    given(seed_events(3))
        .when(command(
            K::Review,
            json!({"reviewed_on": "2023-02-15", "outcome": "returned", "comments": "缺少照片"}),
        ))
        .then_stage(Stage::Returned);
}

// ---- site visit ------------------------------------------------------------

#[test]
fn a_site_visit_moves_to_site_visited() {
    let project = given(seed_events(4))
        .when(command(K::Visit, seed_body(4)))
        .then_stage(Stage::SiteVisited);
    assert!(project.site_visit.unwrap().financial_check.compliant);
}

#[test]
fn a_site_visit_cannot_predate_the_review() {
    given(seed_events(4))
        .when(command(
            K::Visit,
            with(seed_body(4), "/visited_on", json!("2023-02-14")),
        ))
        .then_invalid_at("/visited_on", &["2023-02-14", "2023-02-15"]);
}

#[test]
fn a_site_visit_names_its_visitors() {
    given(seed_events(4))
        .when(command(
            K::Visit,
            with(seed_body(4), "/visitors", json!([])),
        ))
        .then_invalid_at("/visitors", &["visitor"]);
}

// ---- drafts ----------------------------------------------------------------

#[test]
fn the_first_draft_is_revision_one_and_later_drafts_count_up() {
    let project = given(seed_events(5))
        .when(command(K::Draft, seed_body(5)))
        .then_stage(Stage::Drafted);
    assert_eq!(project.draft.unwrap().revision, 1);
    let project = given(seed_events(6))
        .when(command(K::Draft, seed_body(6)))
        .then_stage(Stage::Drafted);
    assert_eq!(project.draft.unwrap().revision, 2);
}

#[test]
fn a_draft_cannot_predate_the_site_visit() {
    given(seed_events(5))
        .when(command(
            K::Draft,
            with(seed_body(5), "/drafted_on", json!("2023-02-16")),
        ))
        .then_invalid_at("/drafted_on", &["2023-02-16", "2023-02-17"]);
}

#[test]
fn a_revision_cannot_predate_the_previous_draft() {
    given(seed_events(6))
        .when(command(
            K::Draft,
            with(seed_body(6), "/drafted_on", json!("2023-02-19")),
        ))
        .then_invalid_at("/drafted_on", &["2023-02-19", "2023-02-20"]);
}

#[test]
fn a_draft_may_list_no_problems_but_must_say_so() {
    given(seed_events(5))
        .when(command(
            K::Draft,
            with(seed_body(5), "/problems", json!([])),
        ))
        .then_stage(Stage::Drafted);
    let mut body = seed_body(5);
    body.as_object_mut().unwrap().remove("problems");
    assert!(
        K::Draft.read_body(body).is_err(),
        "a missing problems list is refused"
    );
}

// ---- finalization ----------------------------------------------------------

#[test]
fn finalizing_makes_the_latest_draft_final() {
    let project = given(seed_events(7))
        .when(command(K::Finalize, seed_body(7)))
        .then_stage(Stage::Finalized);
    let finalized = project.finalized.unwrap();
    assert_eq!(finalized.revision, 2);
    assert_eq!(finalized.conclusion, Conclusion::Passed);
}

#[test]
fn finalization_cannot_predate_the_latest_draft() {
    given(seed_events(7))
        .when(command(
            K::Finalize,
            with(seed_body(7), "/finalized_on", json!("2023-02-23")),
        ))
        .then_invalid_at("/finalized_on", &["2023-02-23", "2023-02-24"]);
}

#[test]
fn a_finalized_project_accepts_nothing_but_corrections() {
    for (kind, body) in support::seed_bodies().into_iter().skip(1) {
        given(seed_until(Stage::Finalized))
            .when(command(kind, body))
            .then_invalid_transition(
                Stage::Finalized,
                &[
                    K::Correct,
                    K::ReleaseTranche,
                    K::Attach,
                    K::WithdrawAttachment,
                ],
            );
    }
}

// ---- strict bodies ---------------------------------------------------------

#[test]
fn unknown_fields_are_refused_for_every_command() {
    for (kind, mut body) in support::seed_bodies() {
        body.as_object_mut()
            .unwrap()
            .insert("stage".into(), json!("finalized"));
        let error = kind.read_body(body).expect_err("unknown field accepted");
        assert!(
            error.to_string().contains("unknown field"),
            "{kind}: {error}"
        );
    }
}

#[test]
fn impossible_dates_are_refused_when_reading_a_body() {
    let error = K::Extend
        .read_body(with(seed_body(1), "/new_end", json!("2023-02-30")))
        .expect_err("2023-02-30 accepted");
    assert!(error.to_string().contains("2023-02-30"), "{error}");
}

#[test]
fn a_project_waiting_for_its_self_report_is_overdue_from_the_day_after_its_planned_end() {
    let date = |text| granttrail_domain::BusinessDate::parse(text).unwrap();
    // The seed was extended to end on 2023-02-28.
    let signed = granttrail_domain::fold(&seed_until(Stage::Signed))
        .unwrap()
        .unwrap();
    assert_eq!(signed.overdue_from(), Some(date("2023-03-01")));
    assert!(!signed.is_overdue(date("2023-02-28")));
    assert!(signed.is_overdue(date("2023-03-01")));

    let returned = granttrail_domain::fold(&seed_until(Stage::Returned))
        .unwrap()
        .unwrap();
    assert_eq!(returned.overdue_from(), Some(date("2023-03-01")));

    // Once the self-report is in, nothing is overdue any more.
    let submitted = granttrail_domain::fold(&seed_until(Stage::SelfReportSubmitted))
        .unwrap()
        .unwrap();
    assert_eq!(submitted.overdue_from(), None);
    assert!(!submitted.is_overdue(date("2030-01-01")));
}
