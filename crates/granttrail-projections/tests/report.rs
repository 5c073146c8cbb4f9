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
const SEED_MIDTERM: &str = include_str!("../../../tests/fixtures/seed-midterm.json");

/// The seed's commands, in order.
fn seed_commands() -> Vec<(CommandKind, Value)> {
    let fixture: Value = serde_json::from_str(SEED).unwrap();
    fixture["projects"][0]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                serde_json::from_value(c["command"].clone()).unwrap(),
                c["body"].clone(),
            )
        })
        .collect()
}

/// The seed's events as the store would hold them, with fixed ids and
/// instants so the snapshots are stable.
fn seed_stored(commands: usize) -> Vec<StoredEvent> {
    stored_from(seed_commands().into_iter().take(commands).collect())
}

/// The whole seed with the source's mid-term evaluation after the
/// extension.
fn seed_with_midterm() -> Vec<StoredEvent> {
    let midterm: Value = serde_json::from_str(SEED_MIDTERM).unwrap();
    let mut commands = seed_commands();
    commands.insert(2, (CommandKind::Midterm, midterm["body"].clone()));
    stored_from(commands)
}

/// Events as the store would hold them for these commands.
fn stored_from(commands: Vec<(CommandKind, Value)>) -> Vec<StoredEvent> {
    let stream_id = Uuid::parse_str("0192f5a0-0000-7000-8000-000000005eed").unwrap();
    let mut domain = Vec::new();
    let mut stored: Vec<StoredEvent> = Vec::new();
    for (n, (kind, body)) in commands.into_iter().enumerate() {
        let command = kind.read_body(&body).unwrap();
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

/// The text of the Markdown report between the heading that starts with
/// `from` and the next level-2 heading.
fn section<'a>(markdown: &'a str, from: &str) -> &'a str {
    let start = markdown
        .find(&format!("## {from}"))
        .unwrap_or_else(|| panic!("no section {from}"));
    let rest = &markdown[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i);
    &rest[..end]
}

#[test]
fn every_fact_of_the_source_report_appears_in_its_section() {
    let markdown = build_report(&seed_with_midterm(), Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    let opening = &markdown[..markdown.find("## 一、").unwrap()];
    for fact in [
        "金堂县小水滴社会工作服务中心",
        "成都市金堂社区发展基金会",
        "2022年星光行动公益创投项目",
        "2022-04-20",
        "2022-05-11",
        "2023-02-10",
        "《成都市金堂社区发展基金会项目管理制度》",
        "红岩寺社区、一根松社区、金龙桥社区、粮丰社区",
    ] {
        assert!(opening.contains(fact), "the opening names {fact}");
    }
    let one = section(&markdown, "一、评估工作开展情况");
    for fact in [
        "执行单位自查并提交自评报告（2023-02-14）",
        "基金会对自评结果进行审查（2023-02-15）",
        "结项报告及自评报告材料齐全",
        "基金会对项目进行现场评估（2023-02-17）",
        "基金会形成结项评估报告（2023-02-20至2023-02-28）",
    ] {
        assert!(one.contains(fact), "section 一 has {fact}");
    }
    let two = section(&markdown, "二、项目执行情况");
    for fact in [
        "2021年星光行动——点点星光、全龄共享项目",
        "2022-10-10 → 2023-02-28",
        "受落地区域分管领导变动以及成都市8、9、12月暴发的疫情影响",
        "实际完成日期：2023-02-10",
        "自组织培育的深度和广度不够",
        "通过一对一指导和调动成员积极性加以改进",
        "累计服务 720 人次",
        "9项指标全部达成既定目标",
    ] {
        assert!(two.contains(fact), "section 二 has {fact}");
    }
    // The nine indicators, each with its target and actual, in one row.
    for (label, target, actual) in [
        ("征集社区居民需求", "不少于50条", "51条"),
        ("梳理个性服务需求", "不少于10条", "10条"),
        ("梳理同质化共性服务", "不少于4类", "4类"),
        ("主题服务活动建议", "不少于12个", "12个"),
        ("微项目建议表", "不少于4个", "4个"),
        ("培育社区自组织", "不少于4支", "4支"),
        ("开展公益微创投项目", "不少于4个", "4个"),
        ("开展服务活动", "不少于12次", "12次"),
        ("制作分享图集", "100册", "100册"),
    ] {
        let row = two
            .lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("a row for {label}"));
        assert!(
            row.contains(&format!("| {target} |")) && row.contains(&format!("| {actual}")),
            "{row}"
        );
    }
    let three = section(&markdown, "三、评估中发现的问题及建议");
    for fact in [
        "自组织的可持续性问题未提及",
        "对社区资源的挖掘和整合不足",
        "将组建的自组织队伍可持续性地运用起来",
        "利用社区闲置资源维护项目成效",
    ] {
        assert!(three.contains(fact), "section 三 has {fact}");
    }
    let four = section(&markdown, "四、项目财务管理情况");
    for fact in [
        "经查阅原始凭证和预决算表，符合财务规范性要求",
        "由“社区保障资金”变更为“各社区微基金”",
    ] {
        assert!(four.contains(fact), "section 四 has {fact}");
    }
    let five = section(&markdown, "五、项目评估结论");
    assert!(five.contains("结项评估结论为：通过"), "{five}");
    assert!(
        five.contains("| 批准人 | 成都市金堂社区发展基金会 |"),
        "{five}"
    );
}

#[test]
fn the_chinese_report_uses_chinese_punctuation_around_chinese_text() {
    let report = build_report(&seed_with_midterm(), Lang::ZhCn).unwrap();
    for text in [report.to_markdown().unwrap(), report.to_html().unwrap()] {
        let chars: Vec<char> = text.chars().collect();
        let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
        for pair in chars.windows(2) {
            let [a, b] = [pair[0], pair[1]];
            let ascii = |c: char| matches!(c, ':' | ';' | ',' | '(' | ')' | '.' | '?' | '!');
            assert!(
                !((han(a) && ascii(b)) || (ascii(a) && han(b))),
                "ASCII punctuation beside Chinese: {a}{b}"
            );
        }
    }
}

#[test]
fn indicator_bars_show_each_actual_as_a_share_of_its_own_target() {
    let report = build_report(&seed_stored(8), Lang::ZhCn).unwrap();
    let bar = |label: &str| {
        let line = report.indicators.iter().find(|i| i.label == label).unwrap();
        (line.percent, line.actual_bar, line.target_bar)
    };
    // 4 of 4 支 and 100 of 100 册 are both a full target: equal bars.
    assert_eq!(bar("培育社区自组织"), bar("制作分享图集"));
    let (percent, actual, target) = bar("征集社区居民需求");
    assert_eq!(percent, Some(102));
    assert!(actual > target, "51 of 50 reaches past the target line");
    // A project that made 2 of 4 booklets shows a half bar.
    let mut events = seed_stored(8);
    events[2].data["actuals"][5]["value"] = Value::from(2);
    let report = build_report(&events, Lang::ZhCn).unwrap();
    let half = report
        .indicators
        .iter()
        .find(|i| i.label == "培育社区自组织")
        .unwrap();
    assert_eq!(half.percent, Some(50));
    assert_eq!(half.actual_bar * 2, half.target_bar);
}

#[test]
fn the_version_line_names_the_version_and_head_hash_and_the_checkpoint_once_known() {
    let events = seed_stored(8);
    let report = build_report(&events, Lang::En).unwrap();
    let markdown = report.to_markdown().unwrap();
    assert!(markdown.contains("history version 8"), "{markdown}");
    assert!(markdown.contains(&events[7].hash));
    assert!(markdown.contains("not yet covered"));
    let html = report
        .with_checkpoint("granttrail.example/log", 9, &[7; 32], "abcd1234")
        .to_html()
        .unwrap();
    // (minijinja writes `/` as `&#x2f;` in HTML.)
    assert!(
        html.contains("granttrail.example&#x2f;log · size 9 · root 0707"),
        "{html}"
    );
}

#[test]
fn a_draft_leaves_the_signature_block_to_be_signed() {
    let markdown = build_report(&seed_stored(6), Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    assert!(markdown.contains("| 批准人 | （待签署） |"), "{markdown}");
    assert!(markdown.contains("| 评估人 | 项目负责人、基金会项目负责人 |"));
}

#[test]
fn money_background_goals_and_groups_are_printed_where_the_source_puts_them() {
    let mut commands = seed_commands();
    let sign = &mut commands[0].1;
    sign["funding"]["grant_amount"] = Value::from("50000.00");
    sign["funding"]["matching_amount"] = Value::from("12000");
    sign["funding"]["currency"] = Value::from("CNY");
    sign["background"] = Value::from("社区老人与儿童缺少互助组织");
    sign["goals"] = Value::from("培育四支社区自组织");
    for (i, group) in ["需求调研", "需求调研", "需求调研"].iter().enumerate() {
        sign["indicators"][i]["group"] = Value::from(*group);
    }
    sign["indicators"][5]["group"] = Value::from("自组织培育");
    let report = build_report(&stored_from(commands), Lang::ZhCn).unwrap();
    let markdown = report.to_markdown().unwrap();
    assert!(
        report.opening.contains("资助金额人民币50,000.00元"),
        "{}",
        report.opening
    );
    let four = section(&markdown, "四、项目财务管理情况");
    assert!(four.contains("资助金额：人民币50,000.00元"), "{four}");
    assert!(four.contains("配套资金：人民币12,000元"), "{four}");
    let two = section(&markdown, "二、项目执行情况");
    assert!(two.contains("**项目背景**：社区老人与儿童缺少互助组织"));
    assert!(two.contains("**项目目标**：培育四支社区自组织"));
    let names: Vec<Option<&str>> = report
        .output_groups
        .iter()
        .map(|g| g.name.as_deref())
        .collect();
    assert_eq!(names, [Some("需求调研"), Some("自组织培育"), None]);
    assert_eq!(report.output_groups[0].indicators.len(), 3);
    assert!(two.find("**需求调研**").unwrap() < two.find("**自组织培育**").unwrap());
}

#[test]
fn the_english_report_marks_chinese_free_text_with_its_language() {
    let html = build_report(&seed_stored(8), Lang::En)
        .unwrap()
        .to_html()
        .unwrap();
    assert!(html.contains("<span lang=\"zh-CN\">对社区资源的挖掘和整合不足</span>"));
    assert!(html.contains("<h2>3. Problems found and suggestions</h2>"));
    assert!(
        html.contains("@page { size: A4"),
        "a print stylesheet for A4"
    );
    assert!(html.contains("counter(page)"), "page numbers in print");
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

#[test]
fn section_four_shows_each_tranche_and_what_was_released() {
    let mut commands = seed_commands();
    let sign = &mut commands[0].1;
    sign["funding"]["grant_amount"] = Value::from("50000.00");
    sign["funding"]["currency"] = Value::from("CNY");
    sign["funding"]["tranches"] = serde_json::json!([
        {"amount": "20000.00", "condition": {"on": "signing"}},
        {"amount": "20000.00", "condition": {"on": "indicator_met", "indicator": "sharing_booklets"}},
        {"amount": "10000.00", "condition": {"on": "passed_evaluation"}}
    ]);
    commands.insert(
        1,
        (
            CommandKind::ReleaseTranche,
            serde_json::json!({"released_on": "2022-05-20", "tranche": 1}),
        ),
    );
    let events = stored_from(commands);
    let markdown = build_report(&events, Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    let four = section(&markdown, "四、项目财务管理情况");
    assert!(
        four.contains("| 1 | 人民币20,000.00元 | 签约后拨付 | 已于2022-05-20拨付 |"),
        "{four}"
    );
    assert!(
        four.contains("| 2 | 人民币20,000.00元 | 指标“制作分享图集”达成后拨付 | 待拨付 |"),
        "{four}"
    );
    assert!(
        four.contains("已拨付：人民币20,000.00元、待拨付：人民币30,000.00元、暂扣：人民币0元"),
        "{four}"
    );
    let english = build_report(&events, Lang::En)
        .unwrap()
        .to_markdown()
        .unwrap();
    assert!(
        english.contains("| 3 | CNY 10,000.00 | once the evaluation has passed | scheduled |"),
        "{english}"
    );
}

#[test]
fn evidence_is_listed_under_the_section_it_supports_with_its_hash() {
    let mut commands = seed_commands();
    for (evidences, name, sha) in [
        (
            serde_json::json!({"of": "finance_check", "check": "vouchers"}),
            "原始凭证.pdf",
            "a1".repeat(32),
        ),
        (
            serde_json::json!({"of": "indicator", "indicator": "sharing_booklets"}),
            "分享图集.pdf",
            "b2".repeat(32),
        ),
    ] {
        commands.push((
            CommandKind::Attach,
            serde_json::json!({"added_on": "2023-02-28", "sha256": sha, "name": name,
                               "media_type": "application/pdf", "size": 1024,
                               "evidences": evidences}),
        ));
    }
    let markdown = build_report(&stored_from(commands), Lang::ZhCn)
        .unwrap()
        .to_markdown()
        .unwrap();
    let two = section(&markdown, "二、项目执行情况");
    assert!(
        two.contains(&format!(
            "- 分享图集.pdf（制作分享图集；application/pdf, 1024 B；SHA-256 `{}`）",
            "b2".repeat(32)
        )),
        "{two}"
    );
    let four = section(&markdown, "四、项目财务管理情况");
    assert!(four.contains("- 原始凭证.pdf（原始凭证；"), "{four}");
    assert!(
        !two.contains("原始凭证.pdf"),
        "each file under its own section"
    );
}
