//! The pieces of a report: its lines, groups and blocks, each as the
//! templates and the JSON format show them.

use serde::Serialize;

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
