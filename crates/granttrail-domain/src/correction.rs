//! Corrections (更正说明), never edits: a wrongly entered fact is put right
//! by a `CorrectionRecorded` event that names the event (by version) and
//! the field it corrects, the corrected value, the value it replaces and
//! the reason. The stored history keeps the original; the state shows the
//! corrected value and lists the correction; a view of a point before the
//! correction shows the original.
//!
//! A correction may itself be corrected (name its version and the field
//! `/value`): the new value replaces the corrected one, and both
//! corrections stay on the record. Correcting a finalized project makes a
//! new revision of its report, whose 更正说明 section lists every
//! correction.

use serde_json::Value;

use crate::checks::Checks;
use crate::command::RecordCorrection;
use crate::correctable::{self, Shape, Target};
use crate::decide::{MAX_LONG_TEXT, MAX_SHORT_TEXT};
use crate::event::ProjectEvent;
use crate::event_data::CorrectionRecorded;
use crate::event_type::EventType;
use crate::rejection::{FieldError, Rejection};
use crate::state::{Project, Stage};

fn refuse(pointer: &str, code: &'static str, message: String) -> Rejection {
    Rejection::Invalid(vec![FieldError {
        pointer: pointer.to_owned(),
        code,
        message,
    }])
}

/// What a correction names, followed through corrections of corrections
/// to the event whose fact it changes.
struct Resolved {
    event: EventType,
    version: u64,
    field: String,
}

fn resolve(project: &Project, c: &RecordCorrection) -> Result<Resolved, Rejection> {
    let Some(named) = project.event_type_at(c.version) else {
        return Err(refuse(
            "/version",
            "unknown-version",
            format!(
                "the project has {} versions; there is no version {}",
                project.version, c.version
            ),
        ));
    };
    if named != EventType::CorrectionRecorded {
        return Ok(Resolved {
            event: named,
            version: c.version,
            field: c.field.clone(),
        });
    }
    if c.field != "/value" {
        return Err(refuse(
            "/field",
            "not-correctable",
            format!(
                "version {} is a correction; correct its /value, not {}",
                c.version, c.field
            ),
        ));
    }
    let earlier = project
        .corrections
        .iter()
        .find(|mark| mark.version == c.version)
        .ok_or_else(|| {
            refuse(
                "/version",
                "unknown-version",
                format!("version {} is not a correction of this project", c.version),
            )
        })?;
    let event = EventType::parse(&earlier.target_type).ok_or_else(|| {
        refuse(
            "/version",
            "unknown-version",
            format!("version {} corrects an unknown event type", c.version),
        )
    })?;
    Ok(Resolved {
        event,
        version: earlier.target_version,
        field: earlier.field.clone(),
    })
}

/// The n-th event of its type that `version` is, counting from 0.
fn nth_of_type(project: &Project, event: EventType, version: u64) -> usize {
    (1..version)
        .filter(|v| project.event_type_at(*v) == Some(event))
        .count()
}

/// The latest version holding an event of this type.
fn latest_of_type(project: &Project, event: EventType) -> Option<u64> {
    (1..=project.version)
        .rev()
        .find(|v| project.event_type_at(*v) == Some(event))
}

/// The new value, checked against its field's shape and trimmed.
fn checked_value(checks: &mut Checks, shape: Shape, value: &Value) -> Value {
    let pointer = "/value";
    let wrong = |checks: &mut Checks, expected: &str| {
        checks.fail(
            pointer,
            "invalid-value",
            format!("this field holds {expected}; {value} is not one"),
        );
        value.clone()
    };
    match (shape, value) {
        (Shape::ShortText, Value::String(s)) => {
            Value::from(checks.text(pointer, s, MAX_SHORT_TEXT))
        }
        (Shape::LongText, Value::String(s)) => Value::from(checks.text(pointer, s, MAX_LONG_TEXT)),
        (Shape::Texts | Shape::Names, Value::Array(items))
            if items.iter().all(Value::is_string) =>
        {
            let texts: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let max = if shape == Shape::Names {
                MAX_SHORT_TEXT
            } else {
                MAX_LONG_TEXT
            };
            let texts = checks.texts(pointer, &texts, max);
            if shape == Shape::Names && texts.is_empty() {
                checks.fail(pointer, "required", "name at least one");
            }
            Value::from(texts)
        }
        (Shape::Amount, Value::String(s)) => Value::from(checks.amount(pointer, Some(s))),
        (Shape::Currency, Value::String(s)) => Value::from(checks.currency(pointer, Some(s))),
        (Shape::Date, Value::String(s)) => match crate::date::BusinessDate::parse(s) {
            Ok(date) => Value::from(date.to_string()),
            Err(why) => {
                checks.fail(pointer, "invalid-value", why);
                value.clone()
            }
        },
        (Shape::Count, Value::Number(n)) if n.as_i64().is_some() => {
            let count = n.as_i64().unwrap_or_default();
            checks.non_negative(pointer, "value", count);
            Value::from(count)
        }
        (Shape::ShortText | Shape::LongText | Shape::Amount | Shape::Currency, _) => {
            wrong(checks, "text")
        }
        (Shape::Texts | Shape::Names, _) => wrong(checks, "a list of texts"),
        (Shape::Date, _) => wrong(checks, "a date (YYYY-MM-DD)"),
        (Shape::Count, _) => wrong(checks, "a whole number"),
    }
}

/// Dates a corrected date must still respect: the lifecycle's own order.
fn date_rules(checks: &mut Checks, project: &Project, target: &Resolved, value: &Value) {
    let Some(date) = value
        .as_str()
        .and_then(|s| crate::date::BusinessDate::parse(s).ok())
    else {
        return;
    };
    match (target.event, target.field.as_str()) {
        (EventType::SelfReportSubmitted, "/completed_on") => {
            if date < project.signed_on {
                checks.fail(
                    "/value",
                    "date-order",
                    format!(
                        "the completion date {date} is before the signing date {}",
                        project.signed_on
                    ),
                );
            }
            if let Some(report) = &project.self_report
                && date > report.submitted_on
            {
                checks.fail(
                    "/value",
                    "date-order",
                    format!(
                        "the completion date {date} is after the report was submitted on {}",
                        report.submitted_on
                    ),
                );
            }
        }
        (EventType::ProjectSigned, "/applied_on") if date > project.signed_on => checks.fail(
            "/value",
            "date-order",
            format!(
                "the application date {date} is after the signing date {}",
                project.signed_on
            ),
        ),
        _ => {}
    }
}

pub(crate) fn record_correction(
    project: &Project,
    c: &RecordCorrection,
) -> Result<ProjectEvent, Rejection> {
    let target = resolve(project, c)?;
    let field_pointer = if target.version == c.version {
        "/field"
    } else {
        "/version"
    };
    let Some((_, shape)) = correctable::shape_of(target.event, &target.field) else {
        return Err(refuse(
            field_pointer,
            "not-correctable",
            format!(
                "{} of {} cannot be corrected: only facts that do not order the lifecycle can (texts, names, amounts, counts, the completion date)",
                target.field, target.event
            ),
        ));
    };
    if correctable::latest_only(target.event)
        && let Some(latest) = latest_of_type(project, target.event)
        && latest != target.version
    {
        return Err(refuse(
            "/version",
            "superseded",
            format!(
                "version {} ({}) was superseded by version {latest}; correct that one",
                target.version, target.event
            ),
        ));
    }
    let (_, item) = correctable::pattern(&target.field);
    let place = Target {
        event: target.event,
        nth: nth_of_type(project, target.event, target.version),
        field: &target.field,
        item,
    };
    let Some(previous) = correctable::read(project, &place) else {
        return Err(refuse(
            field_pointer,
            "not-correctable",
            format!("{} has no {} to correct", target.event, target.field),
        ));
    };
    let mut checks = Checks::default();
    let value = checked_value(&mut checks, shape, &c.value);
    date_rules(&mut checks, project, &target, &value);
    if value == previous {
        checks.fail(
            "/value",
            "unchanged",
            format!("{} already reads {value}; nothing to correct", target.field),
        );
    }
    let occurred = project.signed_on;
    checks.not_before("/corrected_on", c.corrected_on, occurred, || {
        format!(
            "the correction is dated {}, before the project was signed on {occurred}",
            c.corrected_on
        )
    });
    let reason = checks.text("/reason", &c.reason, MAX_LONG_TEXT);
    let revision = (project.stage == Stage::Finalized)
        .then(|| project.report_revision().map(|r| r + 1))
        .flatten();
    checks.into_result(ProjectEvent::CorrectionRecorded(CorrectionRecorded {
        corrected_on: c.corrected_on,
        corrects_version: c.version,
        target_version: target.version,
        target_type: target.event.as_str().to_owned(),
        nth: place.nth,
        field: target.field.clone(),
        previous,
        value,
        reason,
        revision,
    }))
}

impl Project {
    /// Applies a stored correction: its target reads the corrected value,
    /// a flag on that field is resolved, and the correction is listed.
    pub(crate) fn apply_correction(
        &mut self,
        version: u64,
        c: &crate::event_data::CorrectionRecorded,
    ) -> Result<(), crate::state::HistoryError> {
        let bad = |reason: String| crate::state::HistoryError::BadCorrection { version, reason };
        let event = crate::event_type::EventType::parse(&c.target_type)
            .ok_or_else(|| bad(format!("unknown event type {}", c.target_type)))?;
        let (_, item) = crate::correctable::pattern(&c.field);
        let target = crate::correctable::Target {
            event,
            nth: c.nth,
            field: &c.field,
            item,
        };
        crate::correctable::write(self, &target, &c.value).map_err(bad)?;
        // A correction of a flagged field resolves its flag.
        for flag in &mut self.data_quality {
            if flag.version == c.target_version
                && flag.resolved_by.is_none()
                && flag.fields.iter().any(|f| f == &c.field)
            {
                flag.resolved_by = Some(version);
            }
        }
        if let (Some(revision), Some(finalized)) = (c.revision, self.finalized.as_mut()) {
            finalized.corrected_revision = Some(revision);
        }
        self.corrections.push(crate::state::CorrectionMark {
            version,
            corrected_on: c.corrected_on,
            target_version: c.target_version,
            target_type: c.target_type.clone(),
            field: c.field.clone(),
            previous: c.previous.clone(),
            value: c.value.clone(),
            reason: c.reason.clone(),
            revision: c.revision,
        });
        Ok(())
    }
}
