//! Corrections (更正) as given / when / then: a wrong fact is put right by
//! an event of its own, never by editing the one that recorded it.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{CommandKind as K, ProjectEvent, Stage, fold};
use serde_json::{Value, json};
use support::{command, given, seed_events, seed_until};

fn correct(version: u64, field: &str, value: Value) -> granttrail_domain::Command {
    command(
        K::Correct,
        json!({"corrected_on": "2023-03-01", "version": version, "field": field,
               "value": value, "reason": "以原始凭证为准"}),
    )
}

/// `history` plus the events of `command`, which must be accepted.
fn after(mut history: Vec<ProjectEvent>, command: granttrail_domain::Command) -> Vec<ProjectEvent> {
    let (events, _) = given(history.clone()).when(command).accepted();
    history.extend(events);
    history
}

#[test]
fn a_corrected_completion_date_is_shown_with_its_marker_and_the_original_kept() {
    let history = seed_events(3);
    let (events, project) = given(history.clone())
        .when(correct(3, "/completed_on", json!("2023-02-09")))
        .accepted();
    assert_eq!(
        project
            .self_report
            .as_ref()
            .unwrap()
            .completed_on
            .to_string(),
        "2023-02-09"
    );
    assert_eq!(project.stage, Stage::SelfReportSubmitted, "no stage change");
    let mark = &project.corrections[0];
    assert_eq!((mark.version, mark.target_version), (4, 3));
    assert_eq!(mark.field, "/completed_on");
    assert_eq!(mark.previous, json!("2023-02-10"));
    assert_eq!(mark.value, json!("2023-02-09"));
    // The stored self-report is untouched: the correction is its own event.
    let ProjectEvent::SelfReportSubmitted(original) = &history[2] else {
        panic!("version 3 is the self-report")
    };
    assert_eq!(original.completed_on.to_string(), "2023-02-10");
    assert!(matches!(events[0], ProjectEvent::CorrectionRecorded(_)));
}

#[test]
fn a_point_before_the_correction_shows_the_original() {
    let history = after(
        seed_events(3),
        correct(3, "/summary", json!("更正后的总结")),
    );
    let before = fold(&history[..3]).unwrap().unwrap();
    let after = fold(&history).unwrap().unwrap();
    assert_ne!(before.self_report.unwrap().summary, "更正后的总结");
    assert_eq!(after.self_report.unwrap().summary, "更正后的总结");
}

#[test]
fn correcting_an_actual_judges_its_indicator_again() {
    let project = given(seed_events(3))
        .when(correct(3, "/actuals/8/value", json!(90)))
        .then_stage(Stage::SelfReportSubmitted);
    let booklets = project
        .indicators
        .iter()
        .find(|i| i.key == "sharing_booklets")
        .unwrap();
    assert_eq!((booklets.actual, booklets.met), (Some(90), Some(false)));
}

#[test]
fn correcting_a_target_judges_the_indicator_again() {
    let project = given(seed_events(3))
        .when(correct(1, "/indicators/0/target", json!(60)))
        .then_stage(Stage::SelfReportSubmitted);
    assert_eq!(project.indicators[0].met, Some(false), "51 of 60");
}

#[test]
fn a_correction_can_itself_be_corrected_and_both_stay_on_the_record() {
    let history = after(seed_events(1), correct(1, "/title", json!("全龄友好项目")));
    let project = given(history)
        .when(correct(2, "/value", json!("全龄友好自组织培育项目")))
        .then_stage(Stage::Signed);
    assert_eq!(project.title, "全龄友好自组织培育项目");
    assert_eq!(project.corrections.len(), 2);
    let second = &project.corrections[1];
    assert_eq!(
        (second.target_version, second.field.as_str()),
        (1, "/title")
    );
    assert_eq!(second.previous, json!("全龄友好项目"));
}

#[test]
fn correcting_a_correction_names_its_value_not_another_field() {
    let history = after(seed_events(1), correct(1, "/title", json!("全龄友好项目")));
    given(history)
        .when(correct(2, "/reason", json!("x")))
        .then_invalid_at("/field", &["/value"]);
}

#[test]
fn correcting_a_finalized_project_makes_a_new_report_revision() {
    let history = after(seed_events(8), correct(3, "/actuals/0/value", json!(52)));
    let project = fold(&history).unwrap().unwrap();
    assert_eq!(project.stage, Stage::Finalized);
    assert_eq!(
        project.report_revision(),
        Some(3),
        "draft 2, then corrected"
    );
    assert_eq!(project.corrections[0].revision, Some(3));
    let project = given(history)
        .when(correct(1, "/funder", json!("金堂社区发展基金会")))
        .then_stage(Stage::Finalized);
    assert_eq!(project.report_revision(), Some(4));
}

#[test]
fn a_version_the_project_does_not_have_is_refused() {
    given(seed_events(3))
        .when(correct(9, "/summary", json!("x")))
        .then_invalid_at("/version", &["3 versions", "9"]);
}

#[test]
fn a_fact_that_orders_the_lifecycle_is_not_correctable() {
    given(seed_events(3))
        .when(correct(1, "/signed_on", json!("2022-05-12")))
        .then_invalid_at("/field", &["/signed_on", "cannot be corrected"]);
}

#[test]
fn a_superseded_self_report_is_not_corrected_but_its_resubmission_is() {
    let returned = seed_until(Stage::Returned);
    let mut resubmit = support::seed_body(2);
    resubmit["submitted_on"] = json!("2023-02-16");
    let history = after(returned, command(K::SubmitSelfReport, resubmit));
    given(history.clone())
        .when(correct(3, "/summary", json!("x")))
        .then_invalid_at("/version", &["superseded by version 5"]);
    given(history)
        .when(correct(5, "/summary", json!("更正")))
        .then_stage(Stage::SelfReportSubmitted);
}

#[test]
fn a_value_that_changes_nothing_or_has_the_wrong_type_is_refused() {
    given(seed_events(3))
        .when(correct(3, "/completed_on", json!("2023-02-10")))
        .then_invalid_at("/value", &["already reads"]);
    given(seed_events(3))
        .when(correct(3, "/actuals/0/value", json!("fifty")))
        .then_invalid_at("/value", &["a whole number"]);
    given(seed_events(3))
        .when(correct(1, "/funding/grant_amount", json!("5万")))
        .then_invalid_at("/value", &["5万"]);
}

#[test]
fn a_corrected_completion_date_still_follows_the_signing() {
    given(seed_events(3))
        .when(correct(3, "/completed_on", json!("2022-02-10")))
        .then_invalid_at("/value", &["2022-02-10", "2022-05-11"]);
}

#[test]
fn a_correction_needs_a_reason() {
    let mut body = json!({"corrected_on": "2023-03-01", "version": 1, "field": "/title",
                          "value": "新", "reason": " "});
    given(seed_events(1))
        .when(command(K::Correct, body.take()))
        .then_invalid_at("/reason", &[]);
}
