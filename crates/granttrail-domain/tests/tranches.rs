//! Tranches as given / when / then: each is released when its condition
//! holds; a failed evaluation withholds the last, which an approver other
//! than the one who finalized may release with a written reason.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{
    BusinessDate, CommandKind as K, FourEyes, Person, ProjectEvent, Rejection, Stage, TrancheState,
    decide, decide_as, fold,
};
use serde_json::{Value, json};
use support::{command, given, seed_bodies};

/// The seed's signing with a grant of 50 000 in three tranches: at signing,
/// on the accepted self-report, on a passed evaluation.
fn sign_with_tranches() -> Value {
    let mut sign = seed_bodies()[0].1.clone();
    sign["funding"]["grant_amount"] = json!("50000.00");
    sign["funding"]["currency"] = json!("CNY");
    sign["funding"]["tranches"] = json!([
        {"amount": "20000.00", "condition": {"on": "signing"}},
        {"amount": "20000.00", "condition": {"on": "accepted_self_report"}},
        {"amount": "10000.00", "condition": {"on": "passed_evaluation"}}
    ]);
    sign
}

/// The seed's first `n` commands, signed with tranches.
fn history(n: usize) -> Vec<ProjectEvent> {
    let mut events = Vec::new();
    for (i, (kind, body)) in seed_bodies().into_iter().take(n).enumerate() {
        let body = if i == 0 { sign_with_tranches() } else { body };
        let state = fold(&events).unwrap();
        events.extend(decide(state.as_ref(), &command(kind, body)).unwrap());
    }
    events
}

fn release(tranche: u32) -> granttrail_domain::Command {
    command(
        K::ReleaseTranche,
        json!({"released_on": "2023-03-01", "tranche": tranche}),
    )
}

#[test]
fn signing_schedules_the_tranches_and_their_totals() {
    let project = given(vec![])
        .when(command(K::Sign, sign_with_tranches()))
        .then_stage(Stage::Signed);
    assert_eq!(project.tranches.len(), 3);
    assert!(
        project
            .tranches
            .iter()
            .all(|t| t.state == TrancheState::Scheduled)
    );
    let totals = project.tranche_totals.unwrap();
    assert_eq!(
        (totals.scheduled.as_str(), totals.released.as_str()),
        ("50000.00", "0")
    );
}

#[test]
fn tranches_that_do_not_add_up_to_the_grant_are_refused() {
    let mut sign = sign_with_tranches();
    sign["funding"]["tranches"][2]["amount"] = json!("5000.00");
    given(vec![])
        .when(command(K::Sign, sign))
        .then_invalid_at("/funding/tranches", &["45000.00", "50000.00"]);
}

#[test]
fn a_tranche_on_an_unknown_indicator_is_refused_at_signing() {
    let mut sign = sign_with_tranches();
    sign["funding"]["tranches"][2]["condition"] =
        json!({"on": "indicator_met", "indicator": "nope"});
    given(vec![])
        .when(command(K::Sign, sign))
        .then_invalid_at("/funding/tranches/2/condition/indicator", &["nope"]);
}

#[test]
fn the_signing_tranche_is_released_at_once_and_only_once() {
    let (events, project) = given(history(1)).when(release(1)).accepted();
    assert_eq!(project.tranches[0].state, TrancheState::Released);
    assert_eq!(
        project.tranche_totals.as_ref().unwrap().released,
        "20000.00"
    );
    let mut all = history(1);
    all.extend(events);
    given(all)
        .when(release(1))
        .then_invalid_at("/tranche", &["released on 2023-03-01"]);
}

#[test]
fn a_tranche_whose_condition_does_not_hold_is_refused_naming_it() {
    given(history(3)).when(release(2)).then_invalid_at(
        "/tranche",
        &["accepted self-report", "self_report_submitted"],
    );
    given(history(4))
        .when(release(2))
        .then_stage(Stage::Reviewed);
    given(history(7))
        .when(release(3))
        .then_invalid_at("/tranche", &["passed evaluation", "not final"]);
    given(history(8))
        .when(release(3))
        .then_stage(Stage::Finalized);
}

#[test]
fn a_tranche_on_an_indicator_waits_until_it_is_met() {
    let mut sign = sign_with_tranches();
    sign["funding"]["tranches"][1]["condition"] =
        json!({"on": "indicator_met", "indicator": "sharing_booklets"});
    let mut events = Vec::new();
    for (i, (kind, body)) in seed_bodies().into_iter().take(3).enumerate() {
        let body = if i == 0 { sign.clone() } else { body };
        let state = fold(&events).unwrap();
        if i == 2 {
            given(events.clone())
                .when(release(2))
                .then_invalid_at("/tranche", &["sharing_booklets", "no actual yet"]);
        }
        events.extend(decide(state.as_ref(), &command(kind, body)).unwrap());
    }
    given(events)
        .when(release(2))
        .then_stage(Stage::SelfReportSubmitted);
}

#[test]
fn an_unknown_tranche_is_refused() {
    given(history(1))
        .when(release(4))
        .then_invalid_at("/tranche", &["3 tranche(s)", "no tranche 4"]);
}

/// The seed through its drafts, concluded failed, finalized by `approver`.
fn failed_by(approver: &Person) -> Vec<ProjectEvent> {
    let today = BusinessDate::parse("2023-03-01").unwrap();
    let mut events = Vec::new();
    for (i, (kind, mut body)) in seed_bodies().into_iter().take(8).enumerate() {
        if i == 0 {
            body = sign_with_tranches();
        }
        if kind == K::Draft {
            body["conclusion"] = json!("failed");
        }
        let state = fold(&events).unwrap();
        let by = if kind == K::Finalize {
            approver.clone()
        } else {
            Person {
                id: "zhangsan".into(),
                name: "张三".into(),
            }
        };
        events.extend(
            decide_as(
                state.as_ref(),
                &command(kind, body),
                today,
                &by,
                FourEyes::Required,
            )
            .unwrap(),
        );
    }
    events
}

#[test]
fn a_failed_evaluation_withholds_the_last_tranche() {
    let li = Person {
        id: "lisi".into(),
        name: "李四".into(),
    };
    let project = fold(&failed_by(&li)).unwrap().unwrap();
    assert_eq!(project.tranches[2].state, TrancheState::Withheld);
    assert_eq!(
        project.tranche_totals.as_ref().unwrap().withheld,
        "10000.00"
    );
    given(failed_by(&li))
        .when(release(3))
        .then_invalid_at("/override_reason", &["withheld", "evaluation failed"]);
}

#[test]
fn an_approver_other_than_the_finalizer_overrides_with_a_reason() {
    let li = Person {
        id: "lisi".into(),
        name: "李四".into(),
    };
    let wang = Person {
        id: "wangwu".into(),
        name: "王五".into(),
    };
    let history = failed_by(&li);
    let state = fold(&history).unwrap();
    let today = BusinessDate::parse("2023-03-02").unwrap();
    let overriding = command(
        K::ReleaseTranche,
        json!({"released_on": "2023-03-01", "tranche": 3,
               "override_reason": "理事会决议：已完成部分按比例拨付"}),
    );
    match decide_as(state.as_ref(), &overriding, today, &li, FourEyes::Required) {
        Err(Rejection::FourEyes(refusal)) => {
            assert_eq!(refusal.rule, "overrider-is-not-the-approver");
            assert_eq!(refusal.author, li);
        }
        other => panic!("expected a four-eyes refusal, got {other:?}"),
    }
    let events = decide_as(
        state.as_ref(),
        &overriding,
        today,
        &wang,
        FourEyes::Required,
    )
    .unwrap();
    let mut all = history;
    all.extend(events);
    let project = fold(&all).unwrap().unwrap();
    assert_eq!(project.tranches[2].state, TrancheState::Released);
    assert_eq!(
        project.tranches[2].override_reason.as_deref(),
        Some("理事会决议：已完成部分按比例拨付")
    );
}

#[test]
fn an_override_where_nothing_is_withheld_is_refused() {
    given(history(1))
        .when(command(
            K::ReleaseTranche,
            json!({"released_on": "2023-03-01", "tranche": 1, "override_reason": "x"}),
        ))
        .then_invalid_at("/override_reason", &["not withheld"]);
}
