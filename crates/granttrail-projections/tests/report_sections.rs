//! The report section by section: the source's facts each in its
//! section, Chinese punctuation, bars on each target's own scale, the
//! version line and signature block, money, tranches and evidence.

#![allow(clippy::unwrap_used)]

mod support;

use granttrail_domain::CommandKind;
use granttrail_projections::{Lang, build_report};
use serde_json::Value;
use support::{section, seed_commands, seed_stored, seed_with_midterm, stored_from};

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
