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

mod indicators;
mod lines;
mod sections;

use indicators::{grouped, indicator_lines};
pub use lines::*;
use sections::{
    correction_subject, evidence_by_section, financial_lines, milestone_label, money_of, value_text,
};

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
