//! Facts that already happened are not dated in the future: beyond one day
//! of tolerance (time zones), the date and today are named.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{BusinessDate, CommandKind as K, Rejection, Stage, decide_on, fold};
use serde_json::{Value, json};
use support::{command, seed_body, seed_events, seed_until};

fn day(text: &str) -> BusinessDate {
    BusinessDate::parse(text).unwrap()
}

fn with(mut body: Value, field: &str, value: &str) -> Value {
    body[field] = json!(value);
    body
}

/// The refusals of `kind` with `body` on the seed's state before it, on
/// `today`.
fn refused(
    history: Vec<granttrail_domain::ProjectEvent>,
    kind: K,
    body: Value,
    today: &str,
) -> Vec<(String, String)> {
    let state = fold(&history).unwrap();
    match decide_on(state.as_ref(), &command(kind, body), day(today)) {
        Ok(_) => Vec::new(),
        Err(Rejection::Invalid(errors)) => errors
            .into_iter()
            .filter(|e| e.code == "future-date")
            .map(|e| (e.pointer, e.message))
            .collect(),
        Err(other) => panic!("refused for another reason: {other}"),
    }
}

#[test]
fn a_review_dated_in_the_future_is_refused_naming_the_date_and_today() {
    let errors = refused(
        seed_until(Stage::SelfReportSubmitted),
        K::Review,
        with(seed_body(3), "reviewed_on", "2031-01-01"),
        "2026-11-30",
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "/reviewed_on");
    assert!(
        errors[0].1.contains("2031-01-01") && errors[0].1.contains("2026-11-30"),
        "{}",
        errors[0].1
    );
}

#[test]
fn tomorrow_is_tolerated_for_time_zones_the_day_after_is_not() {
    let visit = |on: &str| with(seed_body(4), "visited_on", on);
    let history = || seed_until(Stage::Reviewed);
    assert!(refused(history(), K::Visit, visit("2023-02-18"), "2023-02-17").is_empty());
    assert_eq!(
        refused(history(), K::Visit, visit("2023-02-19"), "2023-02-17").len(),
        1
    );
}

#[test]
fn every_past_tense_date_is_held_to_today() {
    let cases = [
        (0, K::Sign, "signed_on", seed_events(0)),
        (0, K::Sign, "applied_on", seed_events(0)),
        (1, K::Extend, "decided_on", seed_events(1)),
        (2, K::SubmitSelfReport, "completed_on", seed_events(2)),
        (2, K::SubmitSelfReport, "submitted_on", seed_events(2)),
        (5, K::Draft, "drafted_on", seed_events(5)),
        (7, K::Finalize, "finalized_on", seed_events(7)),
    ];
    for (n, kind, field, history) in cases {
        let errors = refused(
            history,
            kind,
            with(seed_body(n), field, "2099-12-31"),
            "2026-11-30",
        );
        assert!(
            errors
                .iter()
                .any(|(pointer, _)| pointer == &format!("/{field}")),
            "{kind} {field}: {errors:?}"
        );
    }
}

#[test]
fn the_seed_on_its_own_days_is_accepted() {
    let history = seed_events(7);
    assert!(refused(history, K::Finalize, seed_body(7), "2023-02-28").is_empty());
}
