//! Evidence as given / when / then: a file is referenced by its hash,
//! named without a path, tied to what it evidences, and withdrawn by an
//! event of its own.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{CommandKind as K, Evidence, ProjectEvent, Stage};
use serde_json::{Value, json};
use support::{command, given, seed_events};

fn attach(body: Value) -> granttrail_domain::Command {
    command(K::Attach, body)
}

fn booklet() -> Value {
    json!({"added_on": "2023-02-17", "sha256": "AB".repeat(32), "name": "分享图集.pdf",
           "media_type": "application/pdf", "size": 2048,
           "evidences": {"of": "indicator", "indicator": "sharing_booklets"}})
}

#[test]
fn an_attachment_is_recorded_by_its_hash_with_what_it_evidences() {
    let project = given(seed_events(3))
        .when(attach(booklet()))
        .then_stage(Stage::SelfReportSubmitted);
    let a = &project.attachments[0];
    assert_eq!(a.sha256, "ab".repeat(32), "the hash is kept in lower case");
    assert_eq!(a.name, "分享图集.pdf");
    assert_eq!(
        a.evidences,
        Evidence::Indicator {
            indicator: "sharing_booklets".into()
        }
    );
}

#[test]
fn a_name_that_is_a_path_is_refused() {
    for name in ["../etc/passwd", "a/b.pdf", "..\\\\x.pdf", ".."] {
        let mut body = booklet();
        body["name"] = json!(name);
        given(seed_events(3))
            .when(attach(body))
            .then_invalid_at("/name", &["path"]);
    }
}

#[test]
fn evidence_of_an_unknown_indicator_or_a_bad_hash_is_refused() {
    let mut body = booklet();
    body["evidences"] = json!({"of": "indicator", "indicator": "nope"});
    body["sha256"] = json!("not-a-hash");
    let errors = given(seed_events(3))
        .when(attach(body))
        .then_invalid_at("/evidences/indicator", &["nope"]);
    assert!(errors.iter().any(|e| e.pointer == "/sha256"));
}

#[test]
fn the_same_file_is_attached_once_until_it_is_withdrawn() {
    let mut history = seed_events(3);
    let (events, _) = given(history.clone()).when(attach(booklet())).accepted();
    history.extend(events);
    given(history.clone())
        .when(attach(booklet()))
        .then_invalid_at("/sha256", &["attached already"]);
    let withdraw = command(
        K::WithdrawAttachment,
        json!({"withdrawn_on": "2023-02-18", "sha256": "ab".repeat(32), "reason": "上传了旧版本"}),
    );
    let (events, project) = given(history.clone()).when(withdraw.clone()).accepted();
    assert!(matches!(events[0], ProjectEvent::AttachmentWithdrawn(_)));
    let withdrawn = project.attachments[0].withdrawn.as_ref().unwrap();
    assert_eq!(withdrawn.reason, "上传了旧版本");
    assert_eq!(
        project.attachments[0].sha256,
        "ab".repeat(32),
        "the hash stays"
    );
    history.extend(events);
    given(history.clone())
        .when(withdraw)
        .then_invalid_at("/sha256", &["withdrawn already"]);
    given(history)
        .when(attach(booklet()))
        .then_stage(Stage::SelfReportSubmitted);
}

#[test]
fn withdrawing_what_was_never_attached_is_refused() {
    given(seed_events(3))
        .when(command(
            K::WithdrawAttachment,
            json!({"withdrawn_on": "2023-02-18", "sha256": "cd".repeat(32), "reason": "x"}),
        ))
        .then_invalid_at("/sha256", &["no attachment"]);
}
