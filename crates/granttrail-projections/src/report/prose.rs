//! The sentences the report writes from the facts: the opening paragraph,
//! the basis of the evaluation, its four steps, and amounts of money, in
//! each language with that language's punctuation.

use granttrail_domain::{
    Funding, IndicatorStatus, Project, ReviewOutcome, TrancheCondition, TrancheState, TrancheStatus,
};
use serde::Serialize;

use super::Lang;

/// One of the evaluation's four steps, with its date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    /// What was done.
    pub what: String,
    /// When (a date, or a range of dates); empty if not yet.
    pub when: String,
}

/// The rules the evaluation followed: the funder's project management
/// rules (《…项目管理制度》) and the signed agreement.
pub(super) fn basis(p: &Project, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => format!(
            "依据《{}项目管理制度》及双方签订的项目协议，对照协议约定的产出指标开展评估。",
            p.funder
        ),
        Lang::En => format!(
            "The evaluation followed the funder's project management rules (《{}项目管理制度》) and the signed agreement, and judged the outputs against the indicators it agreed.",
            p.funder
        ),
    }
}

/// The opening paragraph: who applied, who executed, the dates, the
/// money, the rules followed.
pub(super) fn opening(p: &Project, lang: Lang) -> String {
    let extended = (p.period.end != p.original_period.end).then_some(p.period.end);
    let completed = p.self_report.as_ref().map(|r| r.completed_on);
    let submitted = p.self_report.as_ref().map(|r| r.submitted_on);
    let grant = grant_text(&p.funding, lang);
    match lang {
        Lang::ZhCn => {
            let mut s = format!(
                "{executor}于{applied}向{funder}申请“{programme}”资助，双方于{signed}签订项目协议，执行《{title}》",
                executor = p.executor.name,
                applied = p.applied_on,
                funder = p.funder,
                programme = p.programme,
                signed = p.signed_on,
                title = p.title,
            );
            if let Some(grant) = grant {
                s.push_str(&format!("，资助金额{grant}"));
            }
            s.push_str(&format!(
                "，原定周期为{}至{}",
                p.original_period.start, p.original_period.end
            ));
            if let Some(end) = extended {
                s.push_str(&format!("，经延期变更至{end}"));
            }
            s.push('。');
            if let (Some(completed), Some(submitted)) = (completed, submitted) {
                s.push_str(&format!(
                    "项目于{completed}完成，执行单位于{submitted}提交结项报告。"
                ));
            }
            s.push_str(&format!(
                "依据《{}项目管理制度》，基金会对该项目开展结项评估，现将评估情况报告如下。",
                p.funder
            ));
            s
        }
        Lang::En => {
            let mut s = format!(
                "{executor} applied to {funder} on {applied} for a grant under {programme}; the agreement for “{title}” was signed on {signed}",
                executor = p.executor.name,
                applied = p.applied_on,
                funder = p.funder,
                programme = p.programme,
                signed = p.signed_on,
                title = p.title,
            );
            if let Some(grant) = grant {
                s.push_str(&format!(", granting {grant}"));
            }
            s.push_str(&format!(
                ", for the period {} to {}",
                p.original_period.start, p.original_period.end
            ));
            if let Some(end) = extended {
                s.push_str(&format!(", later extended to {end}"));
            }
            s.push('.');
            if let (Some(completed), Some(submitted)) = (completed, submitted) {
                s.push_str(&format!(
                    " The work was completed on {completed} and the closing self-report submitted on {submitted}."
                ));
            }
            s.push_str(&format!(
                " Following the funder's project management rules (《{}项目管理制度》), the foundation carried out the closing evaluation reported below.",
                p.funder
            ));
            s
        }
    }
}

/// The four steps of the source's evaluation, each with its date.
pub(super) fn steps(
    p: &Project,
    first_draft: Option<granttrail_domain::BusinessDate>,
    lang: Lang,
) -> Vec<Step> {
    let date = |d: Option<granttrail_domain::BusinessDate>| d.map(|d| d.to_string());
    let review = p
        .review
        .as_ref()
        .filter(|r| r.outcome == ReviewOutcome::Accepted);
    let drafted = first_draft.or(p.draft.as_ref().map(|d| d.drafted_on));
    let last = p.finalized.as_ref().map(|f| f.finalized_on);
    let report_when = match (drafted, last) {
        (Some(d), Some(f)) if d != f => Some(format!("{d}{}{f}", lang.pick("至", " to "))),
        (Some(d), _) => Some(d.to_string()),
        _ => None,
    };
    [
        (
            lang.pick(
                "执行单位自查并提交自评报告",
                "the executing organisation assessed its own work and submitted its self-report",
            ),
            date(p.self_report.as_ref().map(|r| r.submitted_on)),
        ),
        (
            lang.pick(
                "基金会对自评结果进行审查",
                "the foundation reviewed the self-assessment",
            ),
            date(review.map(|r| r.reviewed_on)),
        ),
        (
            lang.pick(
                "基金会对项目进行现场评估",
                "the foundation visited the project on site",
            ),
            date(p.site_visit.as_ref().map(|v| v.visited_on)),
        ),
        (
            lang.pick(
                "基金会形成结项评估报告",
                "the foundation wrote the closing-evaluation report",
            ),
            report_when,
        ),
    ]
    .into_iter()
    .map(|(what, when)| Step {
        what,
        when: when.unwrap_or_default(),
    })
    .collect()
}

/// A tranche's condition in words.
pub(super) fn tranche_condition(
    condition: &TrancheCondition,
    indicators: &[IndicatorStatus],
    lang: Lang,
) -> String {
    match condition {
        TrancheCondition::Signing => lang.pick("签约后拨付", "on signing"),
        TrancheCondition::AcceptedSelfReport => {
            lang.pick("结项报告审查通过后拨付", "once the self-report is accepted")
        }
        TrancheCondition::PassedEvaluation => {
            lang.pick("结项评估通过后拨付", "once the evaluation has passed")
        }
        TrancheCondition::IndicatorMet { indicator } => {
            let label = indicators
                .iter()
                .find(|i| &i.key == indicator)
                .map_or(indicator.as_str(), |i| i.label.as_str());
            lang.pick(
                &format!("指标“{label}”达成后拨付"),
                &format!("once indicator “{label}” is met"),
            )
        }
    }
}

/// Where a tranche stands, in words.
pub(super) fn tranche_state(tranche: &TrancheStatus, lang: Lang) -> String {
    match (tranche.state, tranche.released_on, &tranche.override_reason) {
        (TrancheState::Released, Some(on), None) => {
            lang.pick(&format!("已于{on}拨付"), &format!("released on {on}"))
        }
        (TrancheState::Released, Some(on), Some(_)) => lang.pick(
            &format!("已于{on}经批准越权拨付"),
            &format!("released on {on} by override"),
        ),
        (TrancheState::Released, None, _) => lang.pick("已拨付", "released"),
        (TrancheState::Scheduled, _, _) => lang.pick("待拨付", "scheduled"),
        (TrancheState::Withheld, _, _) => {
            lang.pick("因评估未通过暂扣", "withheld: the evaluation failed")
        }
    }
}

/// An amount with its currency, as the language writes it: 人民币
/// 50,000.00元, or CNY 50,000.00.
pub(super) fn money(amount: &str, currency: Option<&str>, lang: Lang) -> String {
    let grouped = group_thousands(amount);
    match (lang, currency) {
        (Lang::ZhCn, Some("CNY") | None) => format!("人民币{grouped}元"),
        (Lang::ZhCn, Some(code)) => format!("{grouped} {code}"),
        (Lang::En, Some(code)) => format!("{code} {grouped}"),
        (Lang::En, None) => grouped,
    }
}

/// The grant in words, if an amount was recorded at signing.
pub(super) fn grant_text(funding: &Funding, lang: Lang) -> Option<String> {
    funding
        .grant_amount
        .as_deref()
        .map(|a| money(a, funding.currency.as_deref(), lang))
}

/// `1234567.50` as `1,234,567.50`. Amounts are validated decimal strings
/// (digits, at most one point), so grouping the integer part is enough.
fn group_thousands(amount: &str) -> String {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_in_each_language() {
        assert_eq!(
            money("50000.00", Some("CNY"), Lang::ZhCn),
            "人民币50,000.00元"
        );
        assert_eq!(money("1234567.5", Some("CNY"), Lang::En), "CNY 1,234,567.5");
        assert_eq!(money("999", Some("USD"), Lang::ZhCn), "999 USD");
        assert_eq!(money("100000", None, Lang::En), "100,000");
    }
}
