//! Which recorded facts a correction (更正) may change, what each holds,
//! and where it lives in the state.
//!
//! A correction names an event by version and a field of that event's data
//! by JSON Pointer. Only facts that do not steer the lifecycle are
//! correctable: texts, names, amounts, counts, the completion date. Dates
//! that order the stages (signing, the period, reviews, visits, drafts,
//! finalization), outcomes and conclusions are not: changing them would
//! rewrite which commands were allowed, so they are put right by the
//! lifecycle itself (a new draft, an extension) or not at all.

use serde_json::Value;

use crate::date::BusinessDate;
use crate::event_type::EventType;
use crate::state::Project;

/// What a correctable field holds, and so how a new value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A name or label (≤ 200 characters).
    ShortText,
    /// Free text (≤ 10 000 characters).
    LongText,
    /// A list of free texts.
    Texts,
    /// A list of names.
    Names,
    /// A money amount as a decimal string.
    Amount,
    /// An ISO 4217 code.
    Currency,
    /// A `YYYY-MM-DD` date.
    Date,
    /// A non-negative whole number.
    Count,
}

/// A field of one event, resolved: its type, the position of the event
/// among events of that type (the n-th extension, the n-th mid-term
/// evaluation), the field's path and, for a field of a list item, the
/// item's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub event: EventType,
    pub nth: usize,
    pub field: &'a str,
    pub item: Option<usize>,
}

/// The field's pattern (with `{i}` for a list index) and shape, for an
/// event type; `None` when the field cannot be corrected.
pub(crate) fn shape_of(event: EventType, field: &str) -> Option<(String, Shape)> {
    let (pattern, _) = pattern(field);
    let shape = match (event, pattern.as_str()) {
        (EventType::ProjectSigned, "/title" | "/programme" | "/funder" | "/executor/name") => {
            Shape::ShortText
        }
        (EventType::ProjectSigned, "/predecessor") => Shape::ShortText,
        (EventType::ProjectSigned, "/background" | "/goals") => Shape::LongText,
        (EventType::ProjectSigned, "/communities") => Shape::Names,
        (EventType::ProjectSigned, "/applied_on") => Shape::Date,
        (EventType::ProjectSigned, "/funding/grant_amount" | "/funding/matching_amount") => {
            Shape::Amount
        }
        (EventType::ProjectSigned, "/funding/currency") => Shape::Currency,
        (EventType::ProjectSigned, "/indicators/{i}/label" | "/indicators/{i}/unit") => {
            Shape::ShortText
        }
        (EventType::ProjectSigned, "/indicators/{i}/target") => Shape::Count,
        (EventType::PeriodExtended, "/reason") => Shape::LongText,
        (EventType::MidtermEvaluated, "/findings" | "/fixes") => Shape::Texts,
        (EventType::SelfReportSubmitted, "/completed_on") => Shape::Date,
        (EventType::SelfReportSubmitted, "/summary" | "/actuals/{i}/note") => Shape::LongText,
        (EventType::SelfReportSubmitted, "/actuals/{i}/value" | "/extra_outputs/{i}/value") => {
            Shape::Count
        }
        (
            EventType::SelfReportSubmitted,
            "/extra_outputs/{i}/label" | "/extra_outputs/{i}/unit",
        ) => Shape::ShortText,
        (EventType::SelfReportReviewed, "/comments") => Shape::LongText,
        (EventType::SiteVisited, "/findings" | "/financial_check/notes") => Shape::LongText,
        (EventType::SiteVisited, "/visitors") => Shape::Names,
        (EventType::EvaluationDrafted, "/process") => Shape::LongText,
        (EventType::EvaluationDrafted, "/problems" | "/suggestions") => Shape::Texts,
        _ => return None,
    };
    Some((pattern, shape))
}

/// The field's pattern and its list index: `/actuals/3/value` is
/// `/actuals/{i}/value` with item 3.
pub(crate) fn pattern(field: &str) -> (String, Option<usize>) {
    let mut item = None;
    let pattern = field
        .split('/')
        .map(|segment| match segment.parse::<usize>() {
            Ok(index) if item.is_none() && !segment.is_empty() && !segment.starts_with('+') => {
                item = Some(index);
                "{i}"
            }
            _ => segment,
        })
        .collect::<Vec<_>>()
        .join("/");
    (pattern, item)
}

/// Whether events of this type are superseded by a later one of the same
/// type (a resubmitted self-report, a new review, a new draft), so only the
/// latest may be corrected; the others accumulate (extensions, mid-term
/// evaluations) and any may be.
pub(crate) fn latest_only(event: EventType) -> bool {
    matches!(
        event,
        EventType::SelfReportSubmitted
            | EventType::SelfReportReviewed
            | EventType::SiteVisited
            | EventType::EvaluationDrafted
    )
}

fn text(value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "not a string".to_owned())
}

fn texts(value: &Value) -> Result<Vec<String>, String> {
    serde_json::from_value(value.clone()).map_err(|e| e.to_string())
}

fn count(value: &Value) -> Result<i64, String> {
    value
        .as_i64()
        .ok_or_else(|| "not a whole number".to_owned())
}

fn date(value: &Value) -> Result<BusinessDate, String> {
    BusinessDate::parse(value.as_str().unwrap_or_default())
}

/// The current value of a target in the state, as JSON (`null` for an
/// optional field not given).
pub(crate) fn read(project: &Project, target: &Target) -> Option<Value> {
    let mut copy = project.clone();
    // Reading is writing the value back through the same table: one place
    // names where each field lives.
    let mut found = None;
    access(&mut copy, target, &mut |slot| {
        found = Some(slot.get());
        Ok(())
    })
    .ok()?;
    found
}

/// Sets a target in the state to `value` (already checked against its
/// shape). An error means the target does not exist in this state, which
/// for a stored correction is a sign of a damaged history.
pub(crate) fn write(project: &mut Project, target: &Target, value: &Value) -> Result<(), String> {
    access(project, target, &mut |mut slot| slot.set(value))?;
    if target.event == EventType::SelfReportSubmitted
        || (target.event == EventType::ProjectSigned && target.field.ends_with("/target"))
    {
        for indicator in &mut project.indicators {
            indicator.met = indicator
                .actual
                .map(|actual| indicator.comparison.is_met(indicator.target, actual));
        }
    }
    Ok(())
}

/// A place in the state that holds one field.
pub(crate) enum Slot<'a> {
    Text(&'a mut String),
    OptionalText(&'a mut Option<String>),
    Texts(&'a mut Vec<String>),
    Date(&'a mut BusinessDate),
    Count(&'a mut i64),
}

impl Slot<'_> {
    fn get(&self) -> Value {
        match self {
            Slot::Text(s) => Value::from(s.as_str()),
            Slot::OptionalText(s) => s.as_deref().map_or(Value::Null, Value::from),
            Slot::Texts(s) => Value::from(s.to_vec()),
            Slot::Date(d) => Value::from(d.to_string()),
            Slot::Count(n) => Value::from(**n),
        }
    }

    fn set(&mut self, value: &Value) -> Result<(), String> {
        match self {
            Slot::Text(s) => **s = text(value)?,
            Slot::OptionalText(s) => **s = Some(text(value)?),
            Slot::Texts(s) => **s = texts(value)?,
            Slot::Date(d) => **d = date(value)?,
            Slot::Count(n) => **n = count(value)?,
        }
        Ok(())
    }
}

fn access(
    p: &mut Project,
    target: &Target,
    f: &mut dyn FnMut(Slot) -> Result<(), String>,
) -> Result<(), String> {
    let (pattern, _) = pattern(target.field);
    let missing = || format!("{} has no {}", target.event, target.field);
    let item = target.item.unwrap_or(0);
    match (target.event, pattern.as_str()) {
        (EventType::ProjectSigned, "/title") => f(Slot::Text(&mut p.title)),
        (EventType::ProjectSigned, "/programme") => f(Slot::Text(&mut p.programme)),
        (EventType::ProjectSigned, "/funder") => f(Slot::Text(&mut p.funder)),
        (EventType::ProjectSigned, "/executor/name") => f(Slot::Text(&mut p.executor.name)),
        (EventType::ProjectSigned, "/predecessor") => f(Slot::OptionalText(&mut p.predecessor)),
        (EventType::ProjectSigned, "/background") => f(Slot::OptionalText(&mut p.background)),
        (EventType::ProjectSigned, "/goals") => f(Slot::OptionalText(&mut p.goals)),
        (EventType::ProjectSigned, "/communities") => f(Slot::Texts(&mut p.communities)),
        (EventType::ProjectSigned, "/applied_on") => f(Slot::Date(&mut p.applied_on)),
        (EventType::ProjectSigned, "/funding/grant_amount") => {
            f(Slot::OptionalText(&mut p.funding.grant_amount))
        }
        (EventType::ProjectSigned, "/funding/matching_amount") => {
            f(Slot::OptionalText(&mut p.funding.matching_amount))
        }
        (EventType::ProjectSigned, "/funding/currency") => {
            f(Slot::OptionalText(&mut p.funding.currency))
        }
        (EventType::ProjectSigned, "/indicators/{i}/label") => {
            let i = p.indicators.get_mut(item).ok_or_else(missing)?;
            f(Slot::Text(&mut i.label))
        }
        (EventType::ProjectSigned, "/indicators/{i}/unit") => {
            let i = p.indicators.get_mut(item).ok_or_else(missing)?;
            f(Slot::Text(&mut i.unit))
        }
        (EventType::ProjectSigned, "/indicators/{i}/target") => {
            let i = p.indicators.get_mut(item).ok_or_else(missing)?;
            f(Slot::Count(&mut i.target))
        }
        (EventType::PeriodExtended, "/reason") => {
            let e = p.extensions.get_mut(target.nth).ok_or_else(missing)?;
            f(Slot::Text(&mut e.reason))
        }
        (EventType::MidtermEvaluated, "/findings") => {
            let m = p.midterm.get_mut(target.nth).ok_or_else(missing)?;
            f(Slot::Texts(&mut m.findings))
        }
        (EventType::MidtermEvaluated, "/fixes") => {
            let m = p.midterm.get_mut(target.nth).ok_or_else(missing)?;
            f(Slot::Texts(&mut m.fixes))
        }
        (EventType::SelfReportSubmitted, _) => {
            let report = p.self_report.as_mut().ok_or_else(missing)?;
            match pattern.as_str() {
                "/completed_on" => f(Slot::Date(&mut report.completed_on)),
                "/summary" => f(Slot::Text(&mut report.summary)),
                "/actuals/{i}/value" | "/actuals/{i}/note" => {
                    let actual = report.actuals.get_mut(item).ok_or_else(missing)?;
                    let key = actual.key.clone();
                    let note = pattern.ends_with("/note");
                    if note {
                        f(Slot::OptionalText(&mut actual.note))?;
                    } else {
                        f(Slot::Count(&mut actual.value))?;
                    }
                    // The indicator shows what its actual says.
                    let (value, remark) = (actual.value, actual.note.clone());
                    if let Some(indicator) = p.indicators.iter_mut().find(|i| i.key == key) {
                        indicator.actual = Some(value);
                        indicator.note = remark;
                    }
                    Ok(())
                }
                "/extra_outputs/{i}/value" => {
                    let o = report.extra_outputs.get_mut(item).ok_or_else(missing)?;
                    f(Slot::Count(&mut o.value))
                }
                "/extra_outputs/{i}/label" => {
                    let o = report.extra_outputs.get_mut(item).ok_or_else(missing)?;
                    f(Slot::Text(&mut o.label))
                }
                "/extra_outputs/{i}/unit" => {
                    let o = report.extra_outputs.get_mut(item).ok_or_else(missing)?;
                    f(Slot::Text(&mut o.unit))
                }
                _ => Err(missing()),
            }
        }
        (EventType::SelfReportReviewed, "/comments") => {
            let review = p.review.as_mut().ok_or_else(missing)?;
            f(Slot::OptionalText(&mut review.comments))
        }
        (EventType::SiteVisited, _) => {
            let visit = p.site_visit.as_mut().ok_or_else(missing)?;
            match pattern.as_str() {
                "/findings" => f(Slot::Text(&mut visit.findings)),
                "/visitors" => f(Slot::Texts(&mut visit.visitors)),
                "/financial_check/notes" => f(Slot::OptionalText(&mut visit.financial_check.notes)),
                _ => Err(missing()),
            }
        }
        (EventType::EvaluationDrafted, _) => {
            let draft = p.draft.as_mut().ok_or_else(missing)?;
            match pattern.as_str() {
                "/process" => f(Slot::Text(&mut draft.process)),
                "/problems" => f(Slot::Texts(&mut draft.problems)),
                "/suggestions" => f(Slot::Texts(&mut draft.suggestions)),
                _ => Err(missing()),
            }
        }
        _ => Err(missing()),
    }
}
