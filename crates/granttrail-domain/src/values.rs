//! Value types shared by commands, events and state: the vocabulary of a
//! funded project (executor, period, funding, indicators, reports).

use serde::{Deserialize, Serialize};

use crate::date::BusinessDate;

/// The executing organisation (执行单位) that carries the project out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Executor {
    /// Stable organisation id; executor tokens are scoped to it.
    pub org_id: String,
    /// The organisation's name as printed in reports.
    pub name: String,
}

/// A person who acted: the user behind a command, as recorded on the
/// events whose author matters to the four-eyes rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The user id.
    pub id: String,
    /// The display name.
    pub name: String,
}

impl std::fmt::Display for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

/// A planned period of work, both ends inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day of the project.
    pub start: BusinessDate,
    /// Planned last day; extensions move it later.
    pub end: BusinessDate,
}

/// Where the money comes from. Amounts are decimal strings, never floats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Funding {
    /// Source of the matching funds (配套资金来源); an extension may change it.
    pub matching_source: String,
    /// Granted amount, e.g. `"50000.00"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_amount: Option<String>,
    /// Matching amount, e.g. `"10000.00"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching_amount: Option<String>,
    /// ISO 4217 code of both amounts, e.g. `"CNY"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The grant paid in parts, each on its condition; they add up to the
    /// grant. Empty: paid as one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tranches: Vec<crate::tranches::Tranche>,
}

/// How an indicator's actual value is judged against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Met when actual ≥ target.
    AtLeast,
    /// Met when actual = target.
    Exactly,
    /// Met when actual ≤ target.
    AtMost,
}

impl Comparison {
    /// Whether `actual` meets `target` under this comparison.
    pub fn is_met(self, target: i64, actual: i64) -> bool {
        match self {
            Comparison::AtLeast => actual >= target,
            Comparison::Exactly => actual == target,
            Comparison::AtMost => actual <= target,
        }
    }
}

/// An output indicator agreed at signing, with its target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Key the self-report's actuals refer to; unique within a project.
    pub key: String,
    /// Human label, e.g. 培育社区自组织.
    pub label: String,
    /// Unit of counting, e.g. 支, 次, 人次.
    pub unit: String,
    /// The agreed target; never negative.
    pub target: i64,
    /// How the actual is judged against the target.
    pub comparison: Comparison,
    /// The block of work the executor put this output under (e.g. 需求调研);
    /// the report groups its outputs by it, in the order first given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// One reported actual value in a self-report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Actual {
    /// The indicator this value is for.
    pub key: String,
    /// The value achieved; never negative.
    pub value: i64,
    /// Optional remark on how it was achieved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An output reported without a target (e.g. 720 person-times served).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtraOutput {
    /// What was produced.
    pub label: String,
    /// How many; never negative.
    pub value: i64,
    /// Unit of counting.
    pub unit: String,
}

/// The outcome of staff reviewing a self-report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The report is complete; a site visit follows.
    Accepted,
    /// Sent back to the executor, who must resubmit.
    Returned,
}

/// The evaluation's conclusion on the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// 通过: the project passed its closing evaluation.
    Passed,
    /// 不通过: it did not.
    Failed,
}

/// What was checked of the accounts during a site visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FinancialCheck {
    /// Original vouchers (原始凭证) were inspected.
    pub vouchers_checked: bool,
    /// Budget and final accounts (预决算表) were reconciled.
    pub budget_reconciled: bool,
    /// Spending complied with the financial rules.
    pub compliant: bool,
    /// Free remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Why spending counts as compliant although the vouchers were not
    /// inspected or the accounts not reconciled; required in exactly that
    /// case (see `finance.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}
