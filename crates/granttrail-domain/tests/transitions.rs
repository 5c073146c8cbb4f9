//! The transition table, checked exhaustively: every command in every
//! stage is either allowed (and then accepted with a valid body) or
//! refused naming the stage and what it allows.

mod support;

use granttrail_domain::{CommandKind as K, Rejection, Stage, decide, fold};
use serde_json::json;
use support::{command, seed_body, seed_until};

/// The lifecycle table of docs/domain.md, written out independently of the code.
fn expected_allowed(stage: Stage) -> Vec<K> {
    match stage {
        Stage::Signed | Stage::Returned => vec![
            K::Extend,
            K::Midterm,
            K::SubmitSelfReport,
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
        Stage::SelfReportSubmitted => vec![
            K::Review,
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
        Stage::Reviewed => vec![
            K::Visit,
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
        Stage::SiteVisited => vec![
            K::Draft,
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
        Stage::Drafted => vec![
            K::Draft,
            K::Finalize,
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
        Stage::Finalized => vec![
            K::Correct,
            K::ReleaseTranche,
            K::Attach,
            K::WithdrawAttachment,
        ],
    }
}

/// A body for `kind` that is valid in every stage that allows it.
fn valid_body(kind: K) -> serde_json::Value {
    match kind {
        K::Sign => seed_body(0),
        K::Extend => json!({"decided_on": "2023-02-27", "new_end": "2023-06-30", "reason": "疫情"}),
        K::Midterm => {
            json!({"evaluated_on": "2022-08-15", "findings": ["自组织培育的深度和广度不够"], "fixes": ["一对一指导"]})
        }
        K::SubmitSelfReport => {
            let mut body = seed_body(2);
            body["submitted_on"] = json!("2023-02-16");
            body
        }
        K::Review => seed_body(3),
        K::Visit => seed_body(4),
        K::Draft => seed_body(6),
        K::Finalize => seed_body(7),
        // The seed schedules no tranches: the body is judged (and refused
        // for naming none), which is what the table promises.
        K::ReleaseTranche => json!({"released_on": "2023-03-01", "tranche": 1}),
        K::Attach => json!({"added_on": "2023-03-01", "sha256": "ab".repeat(32),
                            "name": "签到表.pdf", "media_type": "application/pdf", "size": 1024,
                            "evidences": {"of": "project"}}),
        // Nothing is attached in the seed: judged, and refused for that.
        K::WithdrawAttachment => json!({"withdrawn_on": "2023-03-01", "sha256": "ab".repeat(32),
                                        "reason": "重复上传"}),
        K::Correct => json!({"corrected_on": "2023-03-01", "version": 1, "field": "/title",
                             "value": "全龄友好社区自组织培育扶持项目", "reason": "协议文本为准"}),
    }
}

#[test]
fn every_command_in_every_stage_follows_the_table() {
    for stage in Stage::ALL {
        let history = seed_until(stage);
        let state = fold(&history).unwrap().unwrap();
        assert_eq!(state.stage, stage, "fixture history for {stage}");
        for kind in K::ALL {
            let result = decide(Some(&state), &command(kind, valid_body(kind)));
            match (kind, expected_allowed(stage).contains(&kind)) {
                (K::Sign, _) => assert_eq!(result, Err(Rejection::ProjectAlreadyExists)),
                (K::ReleaseTranche | K::WithdrawAttachment, true) => assert!(
                    matches!(result, Err(Rejection::Invalid(_))),
                    "{kind} in {stage}: {result:?}"
                ),
                (_, true) => assert!(result.is_ok(), "{kind} in {stage}: {result:?}"),
                (_, false) => assert_eq!(
                    result,
                    Err(Rejection::InvalidTransition {
                        command: kind,
                        stage,
                        allowed: expected_allowed(stage)
                    }),
                    "{kind} in {stage}"
                ),
            }
        }
    }
}

#[test]
fn a_transition_rejection_says_the_stage_and_what_it_allows() {
    let state = fold(&seed_until(Stage::Reviewed)).unwrap();
    let rejection = decide(state.as_ref(), &command(K::Finalize, seed_body(7))).unwrap_err();
    let message = rejection.to_string();
    assert!(
        message.contains("reviewed") && message.contains("visit"),
        "{message}"
    );
}

#[test]
fn the_whole_seed_project_ends_finalized_and_passed_with_every_indicator_met() {
    let events = support::seed_events(8);
    let project = fold(&events).unwrap().unwrap();
    assert_eq!(project.stage, Stage::Finalized);
    assert_eq!(project.version, 8);
    assert_eq!(
        project.finalized.as_ref().map(|f| f.conclusion),
        Some(granttrail_domain::Conclusion::Passed)
    );
    assert!(project.all_indicators_met());
    assert_eq!(project.extensions.len(), 1);
    assert_eq!(project.period.end.to_string(), "2023-02-28");
}

#[test]
fn evolve_refuses_a_history_the_table_forbids() {
    let mut events = seed_until(Stage::Reviewed);
    let finalized = support::seed_events(8).pop().unwrap();
    events.push(finalized);
    assert!(fold(&events).is_err());
    assert!(
        fold(&events[3..]).is_err(),
        "a stream must start with signing"
    );
}
