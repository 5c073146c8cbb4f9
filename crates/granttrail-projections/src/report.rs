//! The closing-evaluation report (结项评估报告), filled entirely from
//! events, in the five sections of the source report, in Chinese or
//! English, as Markdown, HTML or JSON.

use granttrail_domain::{
    BusinessDate, Comparison, Conclusion, Project, ProjectEvent, ReviewOutcome, evolve,
};
use granttrail_store::StoredEvent;
use serde::Serialize;

use crate::templates::environment;
use crate::{ProjectionError, decode};

/// The report's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lang {
    /// 简体中文 (`zh-CN`).
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English (`en`).
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Parses `zh-CN` or `en`.
    pub fn parse(tag: &str) -> Option<Lang> {
        match tag {
            "zh-CN" | "zh-cn" | "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn pick(self, zh: &str, en: &str) -> String {
        match self {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// Why a report cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// No evaluation draft exists yet.
    #[error("the evaluation report has not been drafted yet")]
    NotReady,
    /// The history cannot be folded.
    #[error(transparent)]
    History(#[from] ProjectionError),
    /// A template failed to render.
    #[error("rendering the report: {0}")]
    Render(String),
}

/// One milestone of the project's life, for the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    /// Its business date.
    pub date: String,
    /// What happened.
    pub label: String,
    /// Horizontal position in the timeline picture (0–1000).
    pub x: u32,
}

/// One indicator's line in the target/actual table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorLine {
    /// Label.
    pub label: String,
    /// Unit.
    pub unit: String,
    /// Target, with its comparison in words (e.g. "≥ 50").
    pub target_text: String,
    /// The numeric target.
    pub target: i64,
    /// Actual value, if reported.
    pub actual: Option<i64>,
    /// Met, if reported.
    pub met: Option<bool>,
    /// The executor's note.
    pub note: Option<String>,
    /// Bar lengths for the picture (0–100, relative to the largest value).
    pub target_bar: u32,
    /// See `target_bar`.
    pub actual_bar: u32,
}

/// An extension, as the report tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtensionLine {
    /// Decision date.
    pub decided_on: String,
    /// Old end.
    pub from_end: String,
    /// New end.
    pub new_end: String,
    /// Reason.
    pub reason: String,
    /// New matching-fund source, if changed.
    pub matching_source: Option<String>,
}

/// Every fact of the report, language-specific words included. The JSON
/// format is this structure.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Language.
    pub lang: Lang,
    /// False until the evaluation is finalized: the report is a draft.
    pub is_final: bool,
    /// The draft revision shown.
    pub revision: u32,
    /// Report title.
    pub heading: String,
    /// Section headings, in order (一 … 五).
    pub sections: [String; 5],
    /// Project title.
    pub title: String,
    /// Project code.
    pub code: Option<String>,
    /// Programme.
    pub programme: String,
    /// Funder.
    pub funder: String,
    /// Executor name.
    pub executor: String,
    /// Communities.
    pub communities: Vec<String>,
    /// The project this one continues.
    pub predecessor: Option<String>,
    /// Application date.
    pub applied_on: String,
    /// Signing date.
    pub signed_on: String,
    /// Period as signed.
    pub original_period: [String; 2],
    /// Current period.
    pub period: [String; 2],
    /// Extensions.
    pub extensions: Vec<ExtensionLine>,
    /// Matching-fund source as signed.
    pub original_matching_source: String,
    /// Current matching-fund source.
    pub matching_source: String,
    /// How the evaluation was done (from the draft).
    pub process: String,
    /// Milestones, in date order.
    pub milestones: Vec<Milestone>,
    /// Positions of the original period and its extension in the
    /// timeline picture (0–1000).
    pub period_x: [u32; 3],
    /// Self-report summary.
    pub summary: String,
    /// Site visit findings.
    pub findings: String,
    /// Site visitors.
    pub visitors: Vec<String>,
    /// Indicator table.
    pub indicators: Vec<IndicatorLine>,
    /// Labels of indicators not met.
    pub unmet: Vec<String>,
    /// The overall judgement in words (达成既定目标, or what was not met).
    pub judgement: String,
    /// Outputs without targets, as "label value unit".
    pub extra_outputs: Vec<String>,
    /// Problems found.
    pub problems: Vec<String>,
    /// Suggestions.
    pub suggestions: Vec<String>,
    /// Financial check lines in words.
    pub financial: Vec<String>,
    /// The financial check's notes.
    pub financial_notes: Option<String>,
    /// The conclusion in words.
    pub conclusion: String,
    /// Whether the conclusion is "passed".
    pub passed: bool,
    /// Finalization date, once final.
    pub finalized_on: Option<String>,
    /// Approver, once final.
    pub approved_by: Option<String>,
    /// The transparency-log checkpoint covering the final event, as a
    /// line a person can read and type back (origin, tree size, root, key
    /// ID); set by whoever knows the log ([`Report::with_checkpoint`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// Words used by the templates, in the report's language.
    pub words: Words,
}

/// Fixed words of the templates, in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Words {
    draft_watermark: String,
    basics: String,
    code: String,
    programme: String,
    funder: String,
    executor: String,
    communities: String,
    predecessor: String,
    applied_on: String,
    signed_on: String,
    original_period: String,
    period: String,
    extension: String,
    matching_source: String,
    timeline: String,
    indicator: String,
    target: String,
    actual: String,
    met: String,
    yes: String,
    no: String,
    not_reported: String,
    extra_outputs: String,
    summary: String,
    findings: String,
    visitors: String,
    problems: String,
    suggestions: String,
    none: String,
    finalized: String,
    checkpoint: String,
    revision: String,
    targets_vs_actuals: String,
    original: String,
    extended: String,
}

fn words(lang: Lang) -> Words {
    let w = |zh: &str, en: &str| lang.pick(zh, en);
    Words {
        draft_watermark: w("草稿 · 未定稿", "DRAFT · NOT FINAL"),
        basics: w("项目基本情况", "Project at a glance"),
        code: w("项目编号", "Code"),
        programme: w("所属计划", "Programme"),
        funder: w("资助方", "Funder"),
        executor: w("执行单位", "Executing organisation"),
        communities: w("落地社区", "Communities"),
        predecessor: w("前期项目", "Predecessor"),
        applied_on: w("申请日期", "Applied on"),
        signed_on: w("签约日期", "Signed on"),
        original_period: w("原定周期", "Original period"),
        period: w("实际周期", "Period after extensions"),
        extension: w("延期变更", "Extension"),
        matching_source: w("配套资金来源", "Matching funds"),
        timeline: w("项目时间线", "Timeline"),
        indicator: w("指标", "Indicator"),
        target: w("目标", "Target"),
        actual: w("完成", "Actual"),
        met: w("是否达成", "Met"),
        yes: w("达成", "yes"),
        no: w("未达成", "no"),
        not_reported: w("未报告", "not reported"),
        extra_outputs: w("其他产出", "Further outputs"),
        summary: w("执行单位自评", "Executor's self-assessment"),
        findings: w("现场评估发现", "Site-visit findings"),
        visitors: w("评估人员", "Visitors"),
        problems: w("存在的问题", "Problems found"),
        suggestions: w("建议", "Suggestions"),
        none: w("无", "none"),
        finalized: w("定稿", "Finalized"),
        checkpoint: w("透明日志检查点", "Transparency-log checkpoint"),
        revision: w("第{}稿", "revision {}"),
        targets_vs_actuals: w("指标目标与完成情况", "Targets and actuals"),
        original: w("原定周期", "original period"),
        extended: w("延期", "extension"),
    }
}

fn comparison_text(lang: Lang, comparison: Comparison, target: i64) -> String {
    match (lang, comparison) {
        (Lang::ZhCn, Comparison::AtLeast) => format!("不少于 {target}"),
        (Lang::ZhCn, Comparison::Exactly) => format!("{target}"),
        (Lang::ZhCn, Comparison::AtMost) => format!("不超过 {target}"),
        (Lang::En, Comparison::AtLeast) => format!("≥ {target}"),
        (Lang::En, Comparison::Exactly) => format!("= {target}"),
        (Lang::En, Comparison::AtMost) => format!("≤ {target}"),
    }
}

/// Builds the report from a stream's events (in version order).
pub fn build_report(events: &[StoredEvent], lang: Lang) -> Result<Report, ReportError> {
    let mut state: Option<Project> = None;
    let mut milestones: Vec<(BusinessDate, String)> = Vec::new();
    for stored in events {
        let event = decode(stored)?;
        milestones.push((event.occurred_on(), milestone_label(&event, lang)));
        if let ProjectEvent::SelfReportSubmitted(report) = &event {
            milestones.push((report.completed_on, lang.pick("项目完成", "work completed")));
        }
        state = Some(evolve(state, &event).map_err(ProjectionError::from)?);
    }
    let Some(p) = state else {
        return Err(ReportError::NotReady);
    };
    let Some(draft) = p.draft.clone() else {
        return Err(ReportError::NotReady);
    };
    milestones.sort_by_key(|(date, _)| *date);

    let first = p.applied_on.min(p.signed_on).min(p.period.start);
    let last = milestones
        .iter()
        .map(|(d, _)| *d)
        .chain([p.period.end])
        .max()
        .unwrap_or(p.period.end);
    let span = (last.naive() - first.naive()).num_days().max(1);
    let x = |date: BusinessDate| -> u32 {
        let days = (date.naive() - first.naive()).num_days().clamp(0, span);
        (40 + days * 920 / span) as u32
    };
    let largest = p
        .indicators
        .iter()
        .flat_map(|i| [i.target, i.actual.unwrap_or(0)])
        .max()
        .unwrap_or(1)
        .max(1);
    let bar = |v: i64| (v.max(0) * 100 / largest) as u32;
    let indicators: Vec<IndicatorLine> = p
        .indicators
        .iter()
        .map(|i| IndicatorLine {
            label: i.label.clone(),
            unit: i.unit.clone(),
            target_text: comparison_text(lang, i.comparison, i.target),
            target: i.target,
            actual: i.actual,
            met: i.met,
            note: i.note.clone(),
            target_bar: bar(i.target),
            actual_bar: bar(i.actual.unwrap_or(0)),
        })
        .collect();
    let unmet: Vec<String> = indicators
        .iter()
        .filter(|i| i.met != Some(true))
        .map(|i| i.label.clone())
        .collect();
    let judgement = if unmet.is_empty() {
        lang.pick(
            &format!("{}项指标全部达成既定目标。", indicators.len()),
            &format!(
                "All {} indicators met their targets (达成既定目标).",
                indicators.len()
            ),
        )
    } else {
        lang.pick(
            &format!("以下指标未达成既定目标：{}。", unmet.join("、")),
            &format!("Not met: {}.", unmet.join(", ")),
        )
    };
    let finalized = p.finalized.clone();
    let passed = finalized
        .as_ref()
        .map_or(draft.conclusion, |f| f.conclusion)
        == Conclusion::Passed;
    let conclusion = match (passed, lang) {
        (true, Lang::ZhCn) => "经评估，该项目结项评估结论为：通过。".to_owned(),
        (false, Lang::ZhCn) => "经评估，该项目结项评估结论为：不通过。".to_owned(),
        (true, Lang::En) => "The project passed its closing evaluation.".to_owned(),
        (false, Lang::En) => "The project did not pass its closing evaluation.".to_owned(),
    };
    let check = p.site_visit.as_ref().map(|v| v.financial_check.clone());
    let financial = match &check {
        None => vec![lang.pick("尚未进行财务检查。", "No financial check was recorded.")],
        Some(c) => vec![
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
        ],
    };
    let original_matching_source = events
        .first()
        .and_then(|e| e.data.pointer("/funding/matching_source"))
        .and_then(|v| v.as_str())
        .unwrap_or(&p.funding.matching_source)
        .to_owned();
    Ok(Report {
        lang,
        is_final: finalized.is_some(),
        revision: draft.revision,
        heading: lang.pick(
            &format!("《{}》结项评估报告", p.title),
            &format!("Closing evaluation report: {}", p.title),
        ),
        sections: [
            lang.pick(
                "一、评估工作开展情况",
                "1. How the evaluation was carried out",
            ),
            lang.pick("二、项目执行情况", "2. How the project was carried out"),
            lang.pick(
                "三、评估中发现的问题及建议",
                "3. Problems found and suggestions",
            ),
            lang.pick("四、项目财务管理情况", "4. Financial management"),
            lang.pick("五、项目评估结论", "5. Conclusion"),
        ],
        title: p.title.clone(),
        code: p.code.clone(),
        programme: p.programme.clone(),
        funder: p.funder.clone(),
        executor: p.executor.name.clone(),
        communities: p.communities.clone(),
        predecessor: p.predecessor.clone(),
        applied_on: p.applied_on.to_string(),
        signed_on: p.signed_on.to_string(),
        original_period: [
            p.original_period.start.to_string(),
            p.original_period.end.to_string(),
        ],
        period: [p.period.start.to_string(), p.period.end.to_string()],
        extensions: p
            .extensions
            .iter()
            .map(|e| ExtensionLine {
                decided_on: e.decided_on.to_string(),
                from_end: e.from_end.to_string(),
                new_end: e.new_end.to_string(),
                reason: e.reason.clone(),
                matching_source: e.matching_source.clone(),
            })
            .collect(),
        original_matching_source,
        matching_source: p.funding.matching_source.clone(),
        process: draft.process.clone(),
        milestones: milestones
            .iter()
            .map(|(date, label)| Milestone {
                date: date.to_string(),
                label: label.clone(),
                x: x(*date),
            })
            .collect(),
        period_x: [
            x(p.original_period.start),
            x(p.original_period.end),
            x(p.period.end),
        ],
        summary: p
            .self_report
            .as_ref()
            .map(|r| r.summary.clone())
            .unwrap_or_default(),
        findings: p
            .site_visit
            .as_ref()
            .map(|v| v.findings.clone())
            .unwrap_or_default(),
        visitors: p
            .site_visit
            .as_ref()
            .map(|v| v.visitors.clone())
            .unwrap_or_default(),
        indicators,
        unmet,
        judgement,
        extra_outputs: p
            .self_report
            .as_ref()
            .map(|r| {
                r.extra_outputs
                    .iter()
                    .map(|o| format!("{} {} {}", o.label, o.value, o.unit))
                    .collect()
            })
            .unwrap_or_default(),
        problems: draft.problems.clone(),
        suggestions: draft.suggestions.clone(),
        financial,
        financial_notes: check.and_then(|c| c.notes),
        conclusion,
        passed,
        finalized_on: finalized.as_ref().map(|f| f.finalized_on.to_string()),
        approved_by: finalized.as_ref().map(|f| f.approved_by.clone()),
        checkpoint: None,
        words: words(lang),
    })
}

fn milestone_label(event: &ProjectEvent, lang: Lang) -> String {
    match event {
        ProjectEvent::ProjectSigned(_) => lang.pick("签约", "signed"),
        ProjectEvent::PeriodExtended(e) => lang.pick(
            &format!("延期至{}", e.new_end),
            &format!("extended to {}", e.new_end),
        ),
        ProjectEvent::MidtermEvaluated(_) => lang.pick("中期评估", "mid-term evaluation"),
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

impl Report {
    /// The report with the checkpoint line that ties a printed copy to the
    /// log: `origin · size N · root HEX · key KEYID`.
    pub fn with_checkpoint(
        mut self,
        origin: &str,
        size: u64,
        root: &[u8; 32],
        key_id: &str,
    ) -> Report {
        self.checkpoint = Some(format!(
            "{origin} · size {size} · root {} · key {key_id}",
            hex::encode(root)
        ));
        self
    }

    /// Markdown.
    pub fn to_markdown(&self) -> Result<String, ReportError> {
        self.render("report.md")
    }

    /// A self-contained HTML page: inline CSS and SVG, printable, readable
    /// on a phone.
    pub fn to_html(&self) -> Result<String, ReportError> {
        self.render("report.html")
    }

    /// JSON.
    pub fn to_json(&self) -> Result<String, ReportError> {
        serde_json::to_string_pretty(self).map_err(|e| ReportError::Render(e.to_string()))
    }

    fn render(&self, name: &str) -> Result<String, ReportError> {
        environment()?
            .get_template(name)
            .and_then(|t| t.render(self))
            .map_err(|e| ReportError::Render(e.to_string()))
    }
}
