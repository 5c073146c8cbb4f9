//! What sections 二 to 四 and the appendices say beyond the facts
//! themselves: the financial checks and money in words, evidence by
//! section, corrections and milestones in words.

use super::*;

pub(super) fn financial_lines(
    check: Option<&granttrail_domain::FinancialCheck>,
    lang: Lang,
) -> Vec<String> {
    let Some(c) = check else {
        return vec![lang.pick("尚未进行财务检查。", "No financial check was recorded.")];
    };
    vec![
        if c.vouchers_checked {
            lang.pick("已查阅原始凭证。", "Original vouchers were inspected.")
        } else {
            lang.pick("未查阅原始凭证。", "Original vouchers were not inspected.")
        },
        if c.budget_reconciled {
            lang.pick(
                "预算与决算已核对一致。",
                "Budget and final accounts were reconciled.",
            )
        } else {
            lang.pick(
                "预算与决算未核对一致。",
                "Budget and final accounts were not reconciled.",
            )
        },
        if c.compliant {
            lang.pick(
                "符合财务规范性要求。",
                "Spending complied with the financial rules.",
            )
        } else {
            lang.pick(
                "不符合财务规范性要求。",
                "Spending did not comply with the financial rules.",
            )
        },
    ]
}

pub(super) fn money_of(p: &Project, original_source: &str, lang: Lang) -> Money {
    let currency = p.funding.currency.as_deref();
    let mut source = original_source.to_owned();
    let mut changes = Vec::new();
    for extension in &p.extensions {
        if let Some(new) = &extension.matching_source {
            changes.push(lang.pick(
                &format!(
                    "{}延期变更时，配套资金来源由“{source}”变更为“{new}”。",
                    extension.decided_on
                ),
                &format!(
                    "With the extension of {}, the matching funds' source changed from “{source}” to “{new}”.",
                    extension.decided_on
                ),
            ));
            source = new.clone();
        }
    }
    let tranches = p
        .tranches
        .iter()
        .map(|t| TrancheLine {
            number: t.number,
            amount: prose::money(&t.amount, currency, lang),
            condition: prose::tranche_condition(&t.condition, &p.indicators, lang),
            state: prose::tranche_state(t, lang),
            override_reason: t.override_reason.clone(),
        })
        .collect();
    let totals = p.tranche_totals.as_ref().map(|t| {
        [
            prose::money(&t.released, currency, lang),
            prose::money(&t.scheduled, currency, lang),
            prose::money(&t.withheld, currency, lang),
        ]
    });
    Money {
        tranches,
        totals,
        grant: prose::grant_text(&p.funding, lang),
        matching: p
            .funding
            .matching_amount
            .as_deref()
            .map(|a| prose::money(a, currency, lang)),
        matching_source: p.funding.matching_source.clone(),
        changes,
    }
}

/// The attachments not withdrawn, each under the section it supports.
pub(super) fn evidence_by_section(p: &Project, lang: Lang) -> [Vec<EvidenceLine>; 3] {
    use granttrail_domain::{Evidence, FinanceCheckKind, Stage};
    let mut sections: [Vec<EvidenceLine>; 3] = Default::default();
    for a in p.attachments.iter().filter(|a| a.withdrawn.is_none()) {
        let (section, of) = match &a.evidences {
            Evidence::Project => (1, lang.pick("项目整体", "the project")),
            Evidence::Stage { stage } => match stage {
                Stage::Signed | Stage::Returned => (1, stage.as_str().to_owned()),
                other => (0, other.as_str().to_owned()),
            },
            Evidence::Indicator { indicator } => (
                1,
                p.indicators
                    .iter()
                    .find(|i| &i.key == indicator)
                    .map_or(indicator.clone(), |i| i.label.clone()),
            ),
            Evidence::FinanceCheck { check } => (
                2,
                match check {
                    FinanceCheckKind::Vouchers => lang.pick("原始凭证", "original vouchers"),
                    FinanceCheckKind::Budget => lang.pick("预决算表", "budget and final accounts"),
                    FinanceCheckKind::Compliance => lang.pick("财务规范性", "compliance"),
                },
            ),
        };
        sections[section].push(EvidenceLine {
            name: a.name.clone(),
            of,
            sha256: a.sha256.clone(),
            size: format!("{}, {} B", a.media_type, a.size),
        });
    }
    sections
}

/// A corrected value as text: strings as they are, lists joined, nothing
/// as "—".
pub(super) fn value_text(value: &serde_json::Value, lang: Lang) -> String {
    match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| value_text(item, lang))
            .collect::<Vec<_>>()
            .join(&lang.pick("；", "; ")),
        other => other.to_string(),
    }
}

/// "第3版（提交结项报告）的 /completed_on", in words.
pub(super) fn correction_subject(
    event_type: &str,
    version: u64,
    field: &str,
    lang: Lang,
) -> String {
    let event = granttrail_domain::EventType::parse(event_type);
    let name = |zh: &str, en: &str| lang.pick(zh, en);
    let event_name = match event {
        Some(granttrail_domain::EventType::ProjectSigned) => name("签约", "signing"),
        Some(granttrail_domain::EventType::PeriodExtended) => name("延期变更", "extension"),
        Some(granttrail_domain::EventType::MidtermEvaluated) => {
            name("中期评估", "mid-term evaluation")
        }
        Some(granttrail_domain::EventType::SelfReportSubmitted) => name("结项报告", "self-report"),
        Some(granttrail_domain::EventType::SelfReportReviewed) => name("审查", "review"),
        Some(granttrail_domain::EventType::SiteVisited) => name("现场评估", "site visit"),
        Some(granttrail_domain::EventType::EvaluationDrafted) => name("评估报告初稿", "draft"),
        Some(granttrail_domain::EventType::EvaluationFinalized) => {
            name("正式评估报告", "final report")
        }
        Some(granttrail_domain::EventType::CorrectionRecorded) => name("更正", "correction"),
        Some(granttrail_domain::EventType::TrancheReleased) => name("拨付", "tranche release"),
        Some(granttrail_domain::EventType::HistoryImported) => {
            name("历史数据导入", "history import")
        }
        Some(granttrail_domain::EventType::AttachmentAdded) => name("证明材料", "attachment"),
        Some(granttrail_domain::EventType::AttachmentWithdrawn) => {
            name("撤回证明材料", "attachment withdrawal")
        }
        None => event_type.to_owned(),
    };
    lang.pick(
        &format!("第{version}版（{event_name}）的 {field}"),
        &format!("{field} of version {version} ({event_name})"),
    )
}

pub(super) fn milestone_label(event: &ProjectEvent, lang: Lang) -> String {
    match event {
        ProjectEvent::ProjectSigned(_) => lang.pick("签约", "signed"),
        ProjectEvent::PeriodExtended(e) => lang.pick(
            &format!("延期至{}", e.new_end),
            &format!("extended to {}", e.new_end),
        ),
        ProjectEvent::MidtermEvaluated(_) => lang.pick("中期评估", "mid-term evaluation"),
        ProjectEvent::CorrectionRecorded(_) => lang.pick("更正", "correction"),
        ProjectEvent::HistoryImported(_) => lang.pick("历史数据导入", "history imported"),
        ProjectEvent::AttachmentAdded(e) => {
            lang.pick(&format!("附{}", e.name), &format!("attached {}", e.name))
        }
        ProjectEvent::AttachmentWithdrawn(_) => lang.pick("撤回证明材料", "attachment withdrawn"),
        ProjectEvent::TrancheReleased(e) => lang.pick(
            &format!("拨付第{}期", e.tranche),
            &format!("tranche {} released", e.tranche),
        ),
        ProjectEvent::SelfReportSubmitted(_) => lang.pick("提交结项报告", "self-report submitted"),
        ProjectEvent::SelfReportReviewed(r) => match r.outcome {
            ReviewOutcome::Accepted => lang.pick("审查通过", "self-report accepted"),
            ReviewOutcome::Returned => lang.pick("审查退回", "self-report returned"),
        },
        ProjectEvent::SiteVisited(_) => lang.pick("现场评估", "site visit"),
        ProjectEvent::EvaluationDrafted(d) => lang.pick(
            &format!("评估报告第{}稿", d.revision),
            &format!("draft {}", d.revision),
        ),
        ProjectEvent::EvaluationFinalized(_) => lang.pick("正式评估报告", "report finalized"),
    }
}
