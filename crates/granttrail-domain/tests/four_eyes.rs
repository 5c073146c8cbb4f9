//! Four eyes as given / when / then: who wrote, submitted or finalized
//! something may not also finalize, return or correct it.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{
    BusinessDate, CommandKind as K, FourEyes, Person, ProjectEvent, Rejection, Stage, decide_as,
    fold,
};
use serde_json::json;
use support::{command, seed_bodies};

fn person(id: &str, name: &str) -> Person {
    Person {
        id: id.into(),
        name: name.into(),
    }
}

fn zhang() -> Person {
    person("zhangsan", "张三")
}

fn li() -> Person {
    person("lisi", "李四")
}

fn xiaoshuidi() -> Person {
    person("xsd-wang", "王社工")
}

fn today() -> BusinessDate {
    BusinessDate::parse("2023-03-01").unwrap()
}

/// The seed's first `n` commands, each by the person `by` names for it.
fn history_by(n: usize, by: impl Fn(K) -> Person) -> Vec<ProjectEvent> {
    let mut events = Vec::new();
    for (kind, body) in seed_bodies().into_iter().take(n) {
        let state = fold(&events).unwrap();
        let new = decide_as(
            state.as_ref(),
            &command(kind, body),
            today(),
            &by(kind),
            FourEyes::Required,
        )
        .unwrap_or_else(|r| panic!("{kind}: {r}"));
        events.extend(new);
    }
    events
}

/// Zhang does the foundation's work, the executor's Wang submits.
fn usual(kind: K) -> Person {
    if kind == K::SubmitSelfReport {
        xiaoshuidi()
    } else {
        zhang()
    }
}

fn when_by(
    history: &[ProjectEvent],
    kind: K,
    body: serde_json::Value,
    by: &Person,
    rule: FourEyes,
) -> Result<Vec<ProjectEvent>, Rejection> {
    let state = fold(history).unwrap();
    decide_as(state.as_ref(), &command(kind, body), today(), by, rule)
}

fn assert_four_eyes(result: Result<Vec<ProjectEvent>, Rejection>, rule: &str, author: &Person) {
    match result {
        Err(Rejection::FourEyes(refusal)) => {
            let granttrail_domain::FourEyesRefusal {
                rule: r,
                author: a,
                actor,
                message,
            } = *refusal;
            assert_eq!(r, rule);
            assert_eq!(&a, author);
            assert_eq!(&actor, author, "the same person tried");
            assert!(
                message.contains(&author.name) && message.contains(&author.id),
                "the refusal names the person: {message}"
            );
        }
        other => panic!("expected a four-eyes refusal ({rule}), got {other:?}"),
    }
}

#[test]
fn the_author_of_the_draft_may_not_finalize_it() {
    let history = history_by(7, usual);
    let finalize = seed_bodies()[7].1.clone();
    assert_four_eyes(
        when_by(
            &history,
            K::Finalize,
            finalize.clone(),
            &zhang(),
            FourEyes::Required,
        ),
        "finalizer-is-not-the-author",
        &zhang(),
    );
    let events = when_by(&history, K::Finalize, finalize, &li(), FourEyes::Required).unwrap();
    let ProjectEvent::EvaluationFinalized(final_event) = &events[0] else {
        panic!("a finalization")
    };
    assert_eq!(
        final_event.finalized_by,
        Some(li()),
        "the approver is recorded"
    );
}

#[test]
fn a_new_revision_by_someone_else_lets_the_first_author_finalize() {
    // Revision 2 by Li: Zhang, who wrote only revision 1, may finalize it.
    let history = history_by(7, |kind| match kind {
        K::Draft => li(),
        other => usual(other),
    });
    let finalize = seed_bodies()[7].1.clone();
    assert!(
        when_by(
            &history,
            K::Finalize,
            finalize,
            &zhang(),
            FourEyes::Required
        )
        .is_ok()
    );
}

#[test]
fn the_submitter_may_not_return_their_own_self_report() {
    // A staff member who submitted on the executor's behalf.
    let history = history_by(3, |_| zhang());
    let returned =
        json!({"reviewed_on": "2023-02-15", "outcome": "returned", "comments": "补充照片"});
    assert_four_eyes(
        when_by(
            &history,
            K::Review,
            returned.clone(),
            &zhang(),
            FourEyes::Required,
        ),
        "returner-is-not-the-submitter",
        &zhang(),
    );
    let project = {
        let mut all = history.clone();
        all.extend(when_by(&history, K::Review, returned, &li(), FourEyes::Required).unwrap());
        fold(&all).unwrap().unwrap()
    };
    assert_eq!(project.stage, Stage::Returned);
    // Accepting is not judging against the submitter: no rule applies.
    let accepted = seed_bodies()[3].1.clone();
    assert!(when_by(&history, K::Review, accepted, &zhang(), FourEyes::Required).is_ok());
}

#[test]
fn the_approver_may_not_correct_the_finalized_report_alone() {
    let history = history_by(8, |kind| match kind {
        K::Finalize => li(),
        other => usual(other),
    });
    let correction = json!({"corrected_on": "2023-03-01", "version": 3, "field": "/summary",
                            "value": "更正后的总结", "reason": "原文笔误"});
    assert_four_eyes(
        when_by(
            &history,
            K::Correct,
            correction.clone(),
            &li(),
            FourEyes::Required,
        ),
        "corrector-is-not-the-approver",
        &li(),
    );
    assert!(
        when_by(
            &history,
            K::Correct,
            correction,
            &zhang(),
            FourEyes::Required
        )
        .is_ok()
    );
}

#[test]
fn with_four_eyes_off_one_person_may_do_it_all() {
    let history = history_by(7, usual);
    let finalize = seed_bodies()[7].1.clone();
    assert!(when_by(&history, K::Finalize, finalize, &zhang(), FourEyes::Off).is_ok());
}

#[test]
fn history_without_authors_cannot_be_judged_and_is_let_through() {
    // Events recorded before users existed name nobody.
    let history = support::seed_events(7);
    let finalize = seed_bodies()[7].1.clone();
    assert!(
        when_by(
            &history,
            K::Finalize,
            finalize,
            &zhang(),
            FourEyes::Required
        )
        .is_ok()
    );
}

#[test]
fn an_invalid_command_is_refused_for_its_body_before_four_eyes() {
    let history = history_by(7, usual);
    let mut finalize = seed_bodies()[7].1.clone();
    finalize["finalized_on"] = json!("2023-01-01");
    assert!(matches!(
        when_by(
            &history,
            K::Finalize,
            finalize,
            &zhang(),
            FourEyes::Required
        ),
        Err(Rejection::Invalid(_))
    ));
}
