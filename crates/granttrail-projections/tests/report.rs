//! The seed project's report, in both languages and all three formats,
//! as reviewed snapshots; the draft watermark; the audit trail.

#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use granttrail_domain::{CommandKind, decide, fold};
use granttrail_projections::{Lang, ReportError, audit_trail, build_report};
use granttrail_store::{Actor, StoredEvent, chain};
use serde_json::Value;
use uuid::Uuid;

const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

/// The seed's events as the store would hold them, with fixed ids and
/// instants so the snapshots are stable.
fn seed_stored(commands: usize) -> Vec<StoredEvent> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    let stream_id = Uuid::parse_str("0192f5a0-0000-7000-8000-000000005eed").unwrap();
    let mut domain = Vec::new();
    let mut stored: Vec<StoredEvent> = Vec::new();
    for (n, c) in fixture["projects"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .take(commands)
        .enumerate()
    {
        let kind: CommandKind = serde_json::from_value(c["command"].clone()).unwrap();
        let command = kind.read_body(&c["body"]).unwrap();
        let state = fold(&domain).unwrap();
        for event in decide(state.as_ref(), &command).unwrap() {
            let encoded = event.encode();
            let version = stored.len() as u64 + 1;
            let executor = kind == CommandKind::SubmitSelfReport;
            let mut e = StoredEvent {
                position: version as i64,
                stream_id,
                version,
                event_id: Uuid::from_u128(0x0192f5a0_0000_7000_8000_000000000000 + version as u128),
                event_type: encoded.event_type,
                schema_version: encoded.schema_version,
                occurred_on: event.occurred_on(),
                recorded_at: Utc.with_ymd_and_hms(2023, 3, 1, 9, 0, 0).unwrap()
                    + Duration::minutes(n as i64),
                actor: Actor {
                    id: if executor { "tok-exec" } else { "tok-staff" }.into(),
                    name: if executor {
                        "小水滴社工"
                    } else {
                        "项目负责人"
                    }
                    .into(),
                    role: if executor { "executor" } else { "staff" }.into(),
                    org_id: executor.then(|| "jt-xiaoshuidi".into()),
                },
                correlation_id: Uuid::from_u128(version as u128),
                causation_id: None,
                idempotency_key: None,
                data: encoded.data,
                prev_hash: stored.last().map(|p| p.hash.clone()).unwrap_or_default(),
                hash: String::new(),
            };
            e.hash = chain::compute_hash(&e);
            stored.push(e);
            domain.push(event);
        }
    }
    stored
}

#[test]
fn the_seed_report_in_chinese() {
    let report = build_report(&seed_stored(8), Lang::ZhCn).unwrap();
    insta::assert_snapshot!("seed_report_zh_markdown", report.to_markdown().unwrap());
    insta::assert_snapshot!("seed_report_zh_html", report.to_html().unwrap());
    insta::assert_snapshot!("seed_report_zh_json", report.to_json().unwrap());
}

#[test]
fn the_seed_report_in_english() {
    let report = build_report(&seed_stored(8), Lang::En).unwrap();
    insta::assert_snapshot!("seed_report_en_markdown", report.to_markdown().unwrap());
    insta::assert_snapshot!("seed_report_en_html", report.to_html().unwrap());
    insta::assert_snapshot!("seed_report_en_json", report.to_json().unwrap());
}

#[test]
fn the_report_has_the_five_sections_of_the_source() {
    let markdown = build_report(&seed_stored(8), Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    let mut at = 0;
    for heading in [
        "一、评估工作开展情况",
        "二、项目执行情况",
        "三、评估中发现的问题及建议",
        "四、项目财务管理情况",
        "五、项目评估结论",
    ] {
        let found = markdown[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading} missing or out of order"));
        at += found;
    }
    assert!(markdown.contains("达成既定目标"));
    assert!(
        markdown.contains("2022-10-10") && markdown.contains("2023-02-28"),
        "both periods"
    );
    assert!(
        markdown.contains("各社区微基金") && markdown.contains("社区保障资金"),
        "the matching-fund change"
    );
    assert!(markdown.contains("720"), "extra outputs");
}

#[test]
fn a_draft_report_carries_a_watermark_and_none_exists_before_a_draft() {
    let draft = build_report(&seed_stored(6), Lang::En).unwrap();
    assert!(!draft.is_final);
    assert!(draft.to_markdown().unwrap().contains("DRAFT"));
    assert!(draft.to_html().unwrap().contains("class=\"watermark\""));
    let final_report = build_report(&seed_stored(8), Lang::En).unwrap();
    assert!(
        !final_report
            .to_html()
            .unwrap()
            .contains("class=\"watermark\"")
    );
    assert_eq!(
        build_report(&seed_stored(5), Lang::ZhCn),
        Err(ReportError::NotReady)
    );
}

#[test]
fn an_unmet_indicator_is_named_in_the_judgement() {
    let mut events = seed_stored(8);
    events[2].data["actuals"][8]["value"] = Value::from(90);
    let report = build_report(&events, Lang::ZhCn).unwrap();
    assert_eq!(report.unmet, vec!["制作分享图集".to_owned()]);
    assert!(report.judgement.contains("未达成") && report.judgement.contains("制作分享图集"));
}

#[test]
fn the_audit_trail_has_one_row_per_event_with_every_change() {
    let events = seed_stored(8);
    let rows = audit_trail(&events).unwrap();
    assert_eq!(rows.len(), 8);
    let extension = &rows[1];
    assert_eq!(extension.actor.name, "项目负责人");
    assert!(extension.action_zh.contains("2023-02-28"));
    let end = extension
        .changes
        .iter()
        .find(|c| c.field == "period.end")
        .unwrap();
    assert_eq!(
        (end.before.as_str(), end.after.as_str()),
        (Some("2022-10-10"), Some("2023-02-28"))
    );
    let source = extension
        .changes
        .iter()
        .find(|c| c.field == "funding.matching_source")
        .unwrap();
    assert_eq!(source.after, "各社区微基金");
    let report = &rows[2];
    assert_eq!(report.actor.org_id.as_deref(), Some("jt-xiaoshuidi"));
    let actual = report
        .changes
        .iter()
        .find(|c| c.field == "indicators[0].actual")
        .unwrap();
    assert_eq!(
        (actual.before.clone(), actual.after.clone()),
        (Value::Null, Value::from(51))
    );
    assert!(rows.iter().all(|r| r.hash.len() == 64));
    insta::assert_json_snapshot!("seed_audit_trail", rows);
}

#[test]
fn csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() {
    let mut events = seed_stored(2);
    events[0].actor.name = "=HYPERLINK(\"http://evil\",\"点我\")".into();
    events[1].actor.name = "@SUM(1+1)".into();
    let csv = granttrail_projections::audit_csv(&audit_trail(&events).unwrap(), true).unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[4].to_owned()).collect();
    assert_eq!(
        names,
        ["'=HYPERLINK(\"http://evil\",\"点我\")", "'@SUM(1+1)"]
    );
    for cell in csv.lines().flat_map(|l| l.split(',')) {
        assert!(!cell.starts_with(['=', '+', '@']), "{cell}");
    }
}

#[test]
fn raw_html_in_free_text_is_escaped_in_the_markdown_report() {
    let mut events = seed_stored(6);
    events[0].data["title"] =
        Value::from("<script>alert(1)</script> & <img src=x onerror=alert(2)>");
    let markdown = build_report(&events, Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    assert!(!markdown.contains("<script>"), "{markdown}");
    assert!(!markdown.contains("<img"), "{markdown}");
    assert!(
        markdown.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;"
        ),
        "{markdown}"
    );
}
