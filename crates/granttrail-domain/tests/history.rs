//! A paper past imported as recorded: rules that would refuse a live
//! command become data-quality flags, and the record keeps what the paper
//! said.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::{
    BusinessDate, CommandKind, Person, ProjectEvent, RecordedFact, Rejection, decide, fold,
    record_history,
};
use serde_json::{Value, json};

const SOURCE: &str = include_str!("../../../tests/fixtures/source-history.json");

fn source_facts() -> Vec<RecordedFact> {
    let file: Value = serde_json::from_str(SOURCE).unwrap();
    file["projects"][0]["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let kind: CommandKind = serde_json::from_value(f["command"].clone()).unwrap();
            RecordedFact {
                command: support::command(kind, f["body"].clone()),
                by: serde_json::from_value(f["by"].clone()).unwrap(),
            }
        })
        .collect()
}

fn today() -> BusinessDate {
    BusinessDate::parse("2026-11-30").unwrap()
}

#[test]
fn the_source_imports_with_its_own_completion_date_and_a_flag_saying_what_it_likely_meant() {
    let (events, flags) = record_history(&source_facts(), today()).unwrap();
    assert_eq!(events.len(), 8);
    let ProjectEvent::SelfReportSubmitted(report) = &events[2] else {
        panic!("version 3 is the self-report")
    };
    assert_eq!(
        report.completed_on.to_string(),
        "2022-02-10",
        "kept as the paper says"
    );
    assert_eq!(flags.len(), 1, "{flags:#?}");
    let flag = &flags[0];
    assert_eq!((flag.version, flag.code.as_str()), (3, "date-order"));
    assert_eq!(flag.fields, ["/completed_on"]);
    assert_eq!(
        flag.message,
        "completion precedes signing (2022-05-11); likely 2023-02-10"
    );
    let project = fold(&events).unwrap().unwrap();
    assert_eq!(
        project.finalized.unwrap().finalized_by.unwrap().name,
        "基金会理事长"
    );
}

#[test]
fn the_same_self_report_sent_as_a_live_command_is_refused_as_today() {
    let facts = source_facts();
    let state = fold(&support::seed_events(2)).unwrap();
    match decide(state.as_ref(), &facts[2].command) {
        Err(Rejection::Invalid(errors)) => {
            assert!(errors.iter().any(|e| e.pointer == "/completed_on"));
        }
        other => panic!("a live command must be refused, got {other:?}"),
    }
}

#[test]
fn a_fact_the_stage_does_not_allow_is_not_imported() {
    let mut facts = source_facts();
    facts.swap(3, 4); // the visit before the review
    let refused = record_history(&facts, today()).unwrap_err();
    assert_eq!(refused.index, 3);
    assert!(matches!(
        refused.rejection,
        Rejection::InvalidTransition { .. }
    ));
}

#[test]
fn a_correction_of_the_flagged_field_resolves_the_flag() {
    let (mut events, flags) = record_history(&source_facts(), today()).unwrap();
    events.push(ProjectEvent::HistoryImported(
        granttrail_domain::HistoryImported {
            imported_on: today(),
            imported_by: Person {
                id: "operator".into(),
                name: "导入".into(),
            },
            file_sha256: "00".repeat(32),
            file_name: "source-history.json".into(),
            facts: 8,
            recorded_by: Vec::new(),
            flags,
        },
    ));
    let project = fold(&events).unwrap().unwrap();
    assert_eq!(project.data_quality[0].resolved_by, None);
    let correction = support::command(
        CommandKind::Correct,
        json!({"corrected_on": "2026-11-30", "version": 3, "field": "/completed_on",
               "value": "2023-02-10", "reason": "原报告笔误，以验收记录为准"}),
    );
    let (new, project) = support::given(events).when(correction).accepted();
    assert_eq!(new.len(), 1);
    assert_eq!(project.data_quality[0].resolved_by, Some(10));
    assert_eq!(
        project.self_report.unwrap().completed_on.to_string(),
        "2023-02-10"
    );
}
