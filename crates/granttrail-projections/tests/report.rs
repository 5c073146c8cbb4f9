//! The seed project's report, in both languages and all three formats,
//! as reviewed snapshots (and a failed and a corrected project's); the
//! draft watermark; the audit trail.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::CommandKind;
use granttrail_projections::{Lang, ReportError, audit_trail, build_report};
use serde_json::Value;
use support::{section, seed_commands, seed_stored, stored_from};

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

#[test]
fn a_failed_project_reads_as_failed_in_both_languages() {
    let mut commands = seed_commands();
    for draft in [5, 6] {
        commands[draft].1["conclusion"] = Value::from("failed");
    }
    let events = stored_from(commands);
    insta::assert_snapshot!(
        "failed_report_zh_markdown",
        build_report(&events, Lang::ZhCn)
            .unwrap()
            .to_markdown()
            .unwrap()
    );
    insta::assert_snapshot!(
        "failed_report_en_markdown",
        build_report(&events, Lang::En)
            .unwrap()
            .to_markdown()
            .unwrap()
    );
}

#[test]
fn a_corrected_final_report_is_a_new_revision_listing_each_correction() {
    let mut commands = seed_commands();
    commands.push((
        CommandKind::Correct,
        serde_json::json!({"corrected_on": "2023-03-10", "version": 3,
                           "field": "/actuals/0/value", "value": 53,
                           "reason": "补录两条居民需求登记表"}),
    ));
    let events = stored_from(commands);
    let report = build_report(&events, Lang::ZhCn).unwrap();
    assert!(report.is_final);
    assert_eq!(
        report.revision, 3,
        "draft 2, corrected once after finalization"
    );
    let markdown = report.to_markdown().unwrap();
    let corrections = section(&markdown, "更正说明");
    assert!(
        corrections.contains("第3版（结项报告）的 /actuals/0/value、原记录为“51”、更正为“53”；更正原因：补录两条居民需求登记表"),
        "{corrections}"
    );
    assert!(
        markdown.contains("| 征集社区居民需求 | 不少于50条 | 53条 |"),
        "the table shows the corrected actual"
    );
    insta::assert_snapshot!("corrected_report_zh_markdown", markdown);
    insta::assert_snapshot!(
        "corrected_report_en_markdown",
        build_report(&events, Lang::En)
            .unwrap()
            .to_markdown()
            .unwrap()
    );
}
