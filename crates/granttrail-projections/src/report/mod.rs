//! The closing-evaluation report (结项评估报告), filled entirely from
//! events, in the five sections of the source report, in Chinese or
//! English, as Markdown, HTML or JSON.

mod prose;
mod words;

use granttrail_domain::{
    BusinessDate, Comparison, Conclusion, IndicatorStatus, Project, ProjectEvent, ReviewOutcome,
    evolve,
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

    /// The language tag, as HTML's `lang` attribute writes it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
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

pub use prose::Step;
pub use words::Words;

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
    /// Target, with its comparison in words (e.g. "不少于 50").
    pub target_text: String,
    /// The numeric target.
    pub target: i64,
    /// Actual value, if reported.
    pub actual: Option<i64>,
    /// Met, if reported.
    pub met: Option<bool>,
    /// The executor's note.
    pub note: Option<String>,
    /// The actual as a share of the target, in percent (rounded down);
    /// `None` until reported. Units differ between indicators (条, 类,
    /// 册), so the picture compares each actual with its own target only.
    pub percent: Option<u32>,
    /// Where the target sits in the picture (0–100 of the bar's length):
    /// 100 % of the target, on a scale that reaches the largest share
    /// shown (at most 150 %).
    pub target_bar: u32,
    /// The actual's length on the same scale (0–100).
    pub actual_bar: u32,
}

/// Indicators under one block of work, as the executor grouped them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutputGroup {
    /// The block's name; `None` for indicators given without one.
    pub name: Option<String>,
    /// Its indicators, in the order signed.
    pub indicators: Vec<IndicatorLine>,
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

/// A mid-term evaluation, as section 二 tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MidtermLine {
    /// Its date.
    pub evaluated_on: String,
    /// Problems found.
    pub findings: Vec<String>,
    /// What was fixed afterwards.
    pub fixes: Vec<String>,
}

/// The money of section 四, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// The grant signed, with its currency; `None` if none was recorded.
    pub grant: Option<String>,
    /// The matching funds promised, with their currency, if recorded.
    pub matching: Option<String>,
    /// Where the matching funds come from now.
    pub matching_source: String,
    /// Each recorded change of the matching funds' source, in words.
    pub changes: Vec<String>,
    /// The grant's tranches, when it is paid in parts.
    pub tranches: Vec<TrancheLine>,
    /// Released, still scheduled and withheld, in words, with tranches.
    pub totals: Option<[String; 3]>,
}

/// One tranche of the grant, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrancheLine {
    /// Its number.
    pub number: u32,
    /// The amount with its currency.
    pub amount: String,
    /// When it may be released.
    pub condition: String,
    /// Where it stands (and when it was released).
    pub state: String,
    /// The override's reason, if a withheld tranche was released anyway.
    pub override_reason: Option<String>,
}

/// A data-quality flag of an imported history, as the report notes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityLine {
    /// The flagged event's version and field(s), in words.
    pub what: String,
    /// What is wrong.
    pub message: String,
    /// The correction that resolved it, in words, once one did.
    pub resolved: Option<String>,
}

/// A file of evidence, as a section of the report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceLine {
    /// The file's name.
    pub name: String,
    /// What it evidences, in words.
    pub of: String,
    /// Its SHA-256 (hex), which ties the printed list to the bytes.
    pub sha256: String,
    /// Size and type, in words.
    pub size: String,
}

/// One correction, as the 更正说明 section lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionLine {
    /// Date the correction was decided.
    pub corrected_on: String,
    /// What was corrected, in words: the event and its field.
    pub what: String,
    /// The value before, as recorded.
    pub previous: String,
    /// The corrected value.
    pub value: String,
    /// Why.
    pub reason: String,
    /// The version of the correction in the history.
    pub version: u64,
}

/// Who signs the report, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    /// The evaluators: whoever recorded a draft, and the site visitors.
    pub evaluators: Vec<String>,
    /// The approver, once finalized.
    pub approver: Option<String>,
    /// The finalization date, once finalized.
    pub date: Option<String>,
}

/// What ties a printed copy to the history: the stream's version and head
/// hash at the report, and the log checkpoint covering it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proof {
    /// The stream version the report was built at.
    pub version: u64,
    /// The hash of the event at that version (hex).
    pub head_hash: String,
    /// The checkpoint covering it, as a line a person can type back
    /// (origin, tree size, root, key ID), once the log has one.
    pub checkpoint: Option<String>,
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
    /// The opening paragraph, written from the facts.
    pub opening: String,
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
    /// Why the project exists.
    pub background: Option<String>,
    /// What it set out to achieve.
    pub goals: Option<String>,
    /// Application date.
    pub applied_on: String,
    /// Signing date.
    pub signed_on: String,
    /// Period as signed.
    pub original_period: [String; 2],
    /// The planned period after extensions.
    pub period: [String; 2],
    /// The date the work was completed, from the self-report.
    pub completed_on: Option<String>,
    /// Extensions, each with its reason.
    pub extensions: Vec<ExtensionLine>,
    /// Matching-fund source as signed.
    pub original_matching_source: String,
    /// Current matching-fund source.
    pub matching_source: String,
    /// The rules the evaluation followed.
    pub basis: String,
    /// The evaluation's four steps with their dates.
    pub steps: Vec<Step>,
    /// The review's comments, if any.
    pub review_comments: Option<String>,
    /// How the evaluation was done (from the draft).
    pub process: String,
    /// Milestones, in date order.
    pub milestones: Vec<Milestone>,
    /// Positions of the original period and its extension in the
    /// timeline picture (0–1000).
    pub period_x: [u32; 3],
    /// Mid-term evaluations, oldest first.
    pub midterm: Vec<MidtermLine>,
    /// Self-report summary.
    pub summary: String,
    /// Site visit findings.
    pub findings: String,
    /// Site visitors.
    pub visitors: Vec<String>,
    /// Indicators grouped as the executor grouped them.
    pub output_groups: Vec<OutputGroup>,
    /// Every indicator, in the order signed.
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
    /// The money: grant, matching funds, changes.
    pub money: Money,
    /// Financial check lines in words.
    pub financial: Vec<String>,
    /// The financial check's notes.
    pub financial_notes: Option<String>,
    /// Why spending counts as compliant though not fully checked, if so.
    pub financial_justification: Option<String>,
    /// The conclusion in words.
    pub conclusion: String,
    /// Why the project passes although its spending was not compliant.
    pub conclusion_justification: Option<String>,
    /// Whether the conclusion is "passed".
    pub passed: bool,
    /// Finalization date, once final.
    pub finalized_on: Option<String>,
    /// Approver, once final.
    pub approved_by: Option<String>,
    /// Every correction recorded (更正说明), oldest first.
    pub corrections: Vec<CorrectionLine>,
    /// Evidence attached (not withdrawn), by the section it supports:
    /// 一 (the evaluation's steps), 二 (the work and its outputs), 四
    /// (finances).
    pub evidence: [Vec<EvidenceLine>; 3],
    /// Where an imported history came from, in words.
    pub imported: Option<String>,
    /// The imported history's data-quality flags (数据质量说明).
    pub data_quality: Vec<QualityLine>,
    /// The signature block.
    pub signature: Signature,
    /// The version line.
    pub proof: Proof,
    /// Words used by the templates, in the report's language.
    pub words: Words,
}

fn comparison_text(lang: Lang, comparison: Comparison, target: i64) -> String {
    match (lang, comparison) {
        (Lang::ZhCn, Comparison::AtLeast) => format!("不少于{target}"),
        (Lang::ZhCn, Comparison::Exactly) => format!("{target}"),
        (Lang::ZhCn, Comparison::AtMost) => format!("不超过{target}"),
        (Lang::En, Comparison::AtLeast) => format!("≥ {target}"),
        (Lang::En, Comparison::Exactly) => format!("= {target}"),
        (Lang::En, Comparison::AtMost) => format!("≤ {target}"),
    }
}

/// The largest share of a target the picture shows; beyond it the bar
/// stops (the number still says how far beyond).
const MOST_PERCENT_SHOWN: u64 = 150;

/// The actual as a share of the target, in percent. A target of zero is
/// met in full by zero, and any actual above it is off the scale.
fn percent_of_target(target: i64, actual: i64) -> u32 {
    let (target, actual) = (target.max(0) as u64, actual.max(0) as u64);
    let percent = match (target, actual) {
        (0, 0) => 100,
        (0, _) => MOST_PERCENT_SHOWN,
        (t, a) => a.saturating_mul(100) / t,
    };
    u32::try_from(percent).unwrap_or(u32::MAX)
}

fn indicator_lines(indicators: &[IndicatorStatus], lang: Lang) -> Vec<IndicatorLine> {
    let percents: Vec<Option<u32>> = indicators
        .iter()
        .map(|i| i.actual.map(|a| percent_of_target(i.target, a)))
        .collect();
    let scale = percents
        .iter()
        .flatten()
        .map(|p| u64::from(*p).min(MOST_PERCENT_SHOWN))
        .max()
        .unwrap_or(100)
        .max(100);
    let on_scale = |percent: u64| (percent.min(MOST_PERCENT_SHOWN) * 100 / scale) as u32;
    indicators
        .iter()
        .zip(percents)
        .map(|(i, percent)| IndicatorLine {
            label: i.label.clone(),
            unit: i.unit.clone(),
            target_text: comparison_text(lang, i.comparison, i.target),
            target: i.target,
            actual: i.actual,
            met: i.met,
            note: i.note.clone(),
            percent,
            target_bar: on_scale(100),
            actual_bar: percent.map_or(0, |p| on_scale(u64::from(p))),
        })
        .collect()
}

/// The indicators under their blocks of work, blocks in the order first
/// named; indicators without a block form a group of their own, last.
fn grouped(indicators: &[IndicatorStatus], lines: &[IndicatorLine]) -> Vec<OutputGroup> {
    let mut groups: Vec<OutputGroup> = Vec::new();
    let mut ungrouped = Vec::new();
    for (status, line) in indicators.iter().zip(lines) {
        match &status.group {
            None => ungrouped.push(line.clone()),
            Some(name) => match groups.iter_mut().find(|g| g.name.as_ref() == Some(name)) {
                Some(group) => group.indicators.push(line.clone()),
                None => groups.push(OutputGroup {
                    name: Some(name.clone()),
                    indicators: vec![line.clone()],
                }),
            },
        }
    }
    if !ungrouped.is_empty() {
        groups.push(OutputGroup {
            name: None,
            indicators: ungrouped,
        });
    }
    groups
}

/// Builds the report from a stream's events (in version order). To show
/// the report as it stood at version N, pass the events up to N.
pub fn build_report(events: &[StoredEvent], lang: Lang) -> Result<Report, ReportError> {
    let mut state: Option<Project> = None;
    let mut milestones: Vec<(BusinessDate, String)> = Vec::new();
    let mut evaluators: Vec<String> = Vec::new();
    let mut first_draft = None;
    for stored in events {
        let event = decode(stored)?;
        milestones.push((event.occurred_on(), milestone_label(&event, lang)));
        match &event {
            ProjectEvent::SelfReportSubmitted(report) => {
                milestones.push((report.completed_on, lang.pick("项目完成", "work completed")));
            }
            ProjectEvent::EvaluationDrafted(draft) => {
                first_draft.get_or_insert(draft.drafted_on);
                if !evaluators.contains(&stored.actor.name) {
                    evaluators.push(stored.actor.name.clone());
                }
            }
            _ => {}
        }
        state = Some(evolve(state, &event).map_err(ProjectionError::from)?);
    }
    let (Some(p), Some(last)) = (state, events.last()) else {
        return Err(ReportError::NotReady);
    };
    let Some(draft) = p.draft.clone() else {
        return Err(ReportError::NotReady);
    };
    milestones.sort_by_key(|(date, _)| *date);

    let first = p.applied_on.min(p.signed_on).min(p.period.start);
    let latest = milestones
        .iter()
        .map(|(d, _)| *d)
        .chain([p.period.end])
        .max()
        .unwrap_or(p.period.end);
    let span = (latest.naive() - first.naive()).num_days().max(1);
    let x = |date: BusinessDate| -> u32 {
        let days = (date.naive() - first.naive()).num_days().clamp(0, span);
        (40 + days * 920 / span) as u32
    };
    let indicators = indicator_lines(&p.indicators, lang);
    let output_groups = grouped(&p.indicators, &indicators);
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
    let financial = financial_lines(check.as_ref(), lang);
    let original_matching_source = events
        .first()
        .and_then(|e| e.data.pointer("/funding/matching_source"))
        .and_then(|v| v.as_str())
        .unwrap_or(&p.funding.matching_source)
        .to_owned();
    let money = money_of(&p, &original_matching_source, lang);
    for visitor in p.site_visit.iter().flat_map(|v| &v.visitors) {
        if !evaluators.contains(visitor) {
            evaluators.push(visitor.clone());
        }
    }
    Ok(Report {
        lang,
        is_final: finalized.is_some(),
        revision: p.report_revision().unwrap_or(draft.revision),
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
        opening: prose::opening(&p, lang),
        title: p.title.clone(),
        code: p.code.clone(),
        programme: p.programme.clone(),
        funder: p.funder.clone(),
        executor: p.executor.name.clone(),
        communities: p.communities.clone(),
        predecessor: p.predecessor.clone(),
        background: p.background.clone(),
        goals: p.goals.clone(),
        applied_on: p.applied_on.to_string(),
        signed_on: p.signed_on.to_string(),
        original_period: [
            p.original_period.start.to_string(),
            p.original_period.end.to_string(),
        ],
        period: [p.period.start.to_string(), p.period.end.to_string()],
        completed_on: p.self_report.as_ref().map(|r| r.completed_on.to_string()),
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
        basis: prose::basis(&p, lang),
        steps: prose::steps(&p, first_draft, lang),
        review_comments: p.review.as_ref().and_then(|r| r.comments.clone()),
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
        midterm: p
            .midterm
            .iter()
            .map(|m| MidtermLine {
                evaluated_on: m.evaluated_on.to_string(),
                findings: m.findings.clone(),
                fixes: m.fixes.clone(),
            })
            .collect(),
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
        output_groups,
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
        money,
        financial,
        financial_notes: check.as_ref().and_then(|c| c.notes.clone()),
        financial_justification: check.and_then(|c| c.justification),
        conclusion,
        conclusion_justification: draft.justification.clone(),
        passed,
        finalized_on: finalized.as_ref().map(|f| f.finalized_on.to_string()),
        approved_by: finalized.as_ref().map(|f| f.approved_by.clone()),
        imported: p.imported.as_ref().map(|i| {
            lang.pick(
                &format!(
                    "第1至{}版系据纸质记录导入：{}于{}导入文件{}（SHA-256 {}）。",
                    i.facts, i.imported_by, i.imported_on, i.file_name, i.file_sha256
                ),
                &format!(
                    "Versions 1 to {} were imported from the paper record: {} imported {} (SHA-256 {}) on {}.",
                    i.facts, i.imported_by, i.file_name, i.file_sha256, i.imported_on
                ),
            )
        }),
        data_quality: p
            .data_quality
            .iter()
            .map(|f| QualityLine {
                what: lang.pick(
                    &format!("第{}版 {}", f.version, f.fields.join("、")),
                    &format!("version {} {}", f.version, f.fields.join(", ")),
                ),
                message: f.message.clone(),
                resolved: f.resolved_by.map(|v| {
                    lang.pick(&format!("已由第{v}版更正"), &format!("corrected by version {v}"))
                }),
            })
            .collect(),
        evidence: evidence_by_section(&p, lang),
        corrections: p
            .corrections
            .iter()
            .map(|c| CorrectionLine {
                corrected_on: c.corrected_on.to_string(),
                what: correction_subject(&c.target_type, c.target_version, &c.field, lang),
                previous: value_text(&c.previous, lang),
                value: value_text(&c.value, lang),
                reason: c.reason.clone(),
                version: c.version,
            })
            .collect(),
        signature: Signature {
            evaluators,
            approver: finalized.as_ref().map(|f| f.approved_by.clone()),
            date: finalized.as_ref().map(|f| f.finalized_on.to_string()),
        },
        proof: Proof {
            version: last.version,
            head_hash: last.hash.clone(),
            checkpoint: None,
        },
        words: words::words(lang),
    })
}

fn financial_lines(check: Option<&granttrail_domain::FinancialCheck>, lang: Lang) -> Vec<String> {
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

fn money_of(p: &Project, original_source: &str, lang: Lang) -> Money {
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
fn evidence_by_section(p: &Project, lang: Lang) -> [Vec<EvidenceLine>; 3] {
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
fn value_text(value: &serde_json::Value, lang: Lang) -> String {
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
fn correction_subject(event_type: &str, version: u64, field: &str, lang: Lang) -> String {
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

fn milestone_label(event: &ProjectEvent, lang: Lang) -> String {
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
        self.proof.checkpoint = Some(format!(
            "{origin} · size {size} · root {} · key {key_id}",
            hex::encode(root)
        ));
        self
    }

    /// Markdown.
    pub fn to_markdown(&self) -> Result<String, ReportError> {
        self.render("report.md")
    }

    /// A self-contained HTML page: inline CSS and SVG, printable on A4
    /// with page numbers, readable on a phone.
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
