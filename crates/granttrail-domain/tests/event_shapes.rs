//! The stored JSON of every event type, pinned. A change to an event's
//! persisted shape shows here in review, and needs an upcaster for the
//! events already stored (see `event.rs`); a change to a command (a
//! request body) must leave these snapshots alone.

mod support;

use granttrail_domain::{CommandKind, EventType, decide, fold};

#[test]
fn every_event_types_stored_shape_is_pinned() {
    let events = support::seed_events(8);
    let mut seen = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let encoded = event.encode();
        seen.push(event.kind());
        insta::assert_json_snapshot!(format!("{:02}-{}", index + 1, event.event_type()), encoded);
    }
    // The seed has no mid-term evaluation among its commands; the
    // source's, recorded after the extension.
    let before = fold(&events[..2]).unwrap();
    let midterm = decide(
        before.as_ref(),
        &support::command(CommandKind::Midterm, support::midterm_body()),
    )
    .unwrap();
    for event in &midterm {
        seen.push(event.kind());
        insta::assert_json_snapshot!(format!("midterm-{}", event.event_type()), event.encode());
    }
    // Nor a correction: the completion date put right after finalization.
    let finalized = fold(&events).unwrap();
    let correction = decide(
        finalized.as_ref(),
        &support::command(
            CommandKind::Correct,
            serde_json::json!({"corrected_on": "2023-03-01", "version": 3,
                               "field": "/completed_on", "value": "2023-02-09",
                               "reason": "以验收单日期为准"}),
        ),
    )
    .unwrap();
    for event in &correction {
        seen.push(event.kind());
        insta::assert_json_snapshot!(format!("correction-{}", event.event_type()), event.encode());
    }
    // Nor tranches: a signing with a schedule, and a release by a person.
    let mut sign = support::seed_body(0);
    sign["funding"]["grant_amount"] = serde_json::json!("50000.00");
    sign["funding"]["currency"] = serde_json::json!("CNY");
    sign["funding"]["tranches"] = serde_json::json!([
        {"amount": "30000.00", "condition": {"on": "signing"}},
        {"amount": "20000.00", "condition": {"on": "indicator_met", "indicator": "sharing_booklets"}}
    ]);
    let signed = decide(None, &support::command(CommandKind::Sign, sign)).unwrap();
    insta::assert_json_snapshot!("tranches-ProjectSigned", signed[0].encode());
    let released = granttrail_domain::decide_as(
        fold(&signed).unwrap().as_ref(),
        &support::command(
            CommandKind::ReleaseTranche,
            serde_json::json!({"released_on": "2022-05-20", "tranche": 1}),
        ),
        granttrail_domain::BusinessDate::parse("2022-05-20").unwrap(),
        &granttrail_domain::Person {
            id: "zhangsan".into(),
            name: "张三".into(),
        },
        granttrail_domain::FourEyes::Required,
    )
    .unwrap();
    for event in &released {
        seen.push(event.kind());
        insta::assert_json_snapshot!(format!("tranches-{}", event.event_type()), event.encode());
    }
    // Nor an import: its record, as written after the source's facts.
    let imported =
        granttrail_domain::ProjectEvent::HistoryImported(granttrail_domain::HistoryImported {
            imported_on: granttrail_domain::BusinessDate::parse("2026-11-30").unwrap(),
            imported_by: granttrail_domain::Person {
                id: "operator".into(),
                name: "granttrail import --historical".into(),
            },
            file_sha256: "ab".repeat(32),
            file_name: "source-history.json".into(),
            facts: 8,
            recorded_by: vec![granttrail_domain::Person {
                id: "jtcf-xiangmu".into(),
                name: "基金会项目负责人".into(),
            }],
            flags: vec![granttrail_domain::QualityFlag {
                version: 3,
                code: "date-order".into(),
                message: "completion precedes signing (2022-05-11); likely 2023-02-10".into(),
                fields: vec!["/completed_on".into()],
                resolved_by: None,
            }],
        });
    seen.push(imported.kind());
    insta::assert_json_snapshot!("import-HistoryImported", imported.encode());
    // Nor evidence: a file attached by a person, then withdrawn.
    let attach = |body: serde_json::Value, kind, history: &[granttrail_domain::ProjectEvent]| {
        granttrail_domain::decide_as(
            fold(history).unwrap().as_ref(),
            &support::command(kind, body),
            granttrail_domain::BusinessDate::parse("2023-03-01").unwrap(),
            &granttrail_domain::Person {
                id: "zhangsan".into(),
                name: "张三".into(),
            },
            granttrail_domain::FourEyes::Required,
        )
        .unwrap()
    };
    let mut history = events.clone();
    let added = attach(
        serde_json::json!({"added_on": "2023-03-01", "sha256": "ab".repeat(32),
                           "name": "分享图集.pdf", "media_type": "application/pdf", "size": 2048,
                           "evidences": {"of": "indicator", "indicator": "sharing_booklets"}}),
        CommandKind::Attach,
        &history,
    );
    history.extend(added.clone());
    let withdrawn = attach(
        serde_json::json!({"withdrawn_on": "2023-03-01", "sha256": "ab".repeat(32),
                           "reason": "上传了旧版本"}),
        CommandKind::WithdrawAttachment,
        &history,
    );
    for event in added.iter().chain(&withdrawn) {
        seen.push(event.kind());
        insta::assert_json_snapshot!(format!("evidence-{}", event.event_type()), event.encode());
    }
    for event_type in EventType::ALL {
        assert!(seen.contains(&event_type), "the seed covers {event_type}");
    }
}
