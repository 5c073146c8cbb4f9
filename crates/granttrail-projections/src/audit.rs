//! The audit trail: one row per event — who, when, what, and every field
//! it changed, from and to.

use granttrail_domain::{Project, ProjectEvent, ReviewOutcome, evolve};
use granttrail_store::{StoredEvent, format_instant};
use serde::Serialize;
use serde_json::Value;

use crate::{ProjectionError, decode};

/// One changed field of the project state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// Path of the field in the project state, e.g. `period.end` or
    /// `indicators[0].actual`.
    pub field: String,
    /// Its value before the event (`null` if it did not exist).
    pub before: Value,
    /// Its value after.
    pub after: Value,
}

/// Who caused an event, as shown in the trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditActor {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// The executor's organisation, if any.
    pub org_id: Option<String>,
}

/// One event of the trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRow {
    /// The project.
    pub project_id: String,
    /// Stream version.
    pub version: u64,
    /// When the system recorded it.
    pub recorded_at: String,
    /// The business date.
    pub occurred_on: String,
    /// Who.
    pub actor: AuditActor,
    /// The event type.
    pub event_type: String,
    /// What happened, in English.
    pub action: String,
    /// What happened, in Chinese.
    pub action_zh: String,
    /// Every field of the state it changed.
    pub changes: Vec<FieldChange>,
    /// The event's hash.
    pub hash: String,
}

/// The trail of one stream (events in version order).
pub fn audit_trail(events: &[StoredEvent]) -> Result<Vec<AuditRow>, ProjectionError> {
    let mut state: Option<Project> = None;
    let mut rows = Vec::with_capacity(events.len());
    for stored in events {
        let event = decode(stored)?;
        let before = state.as_ref().map(state_json).unwrap_or(Value::Null);
        let next = evolve(state, &event)?;
        let after = state_json(&next);
        let mut changes = Vec::new();
        diff("", &before, &after, &mut changes);
        let (action, action_zh) = describe(&event);
        rows.push(AuditRow {
            project_id: stored.stream_id.to_string(),
            version: stored.version,
            recorded_at: format_instant(&stored.recorded_at),
            occurred_on: stored.occurred_on.to_string(),
            actor: AuditActor {
                name: stored.actor.name.clone(),
                role: stored.actor.role.clone(),
                org_id: stored.actor.org_id.clone(),
            },
            event_type: stored.event_type.clone(),
            action,
            action_zh,
            changes,
            hash: stored.hash.clone(),
        });
        state = Some(next);
    }
    Ok(rows)
}

/// The state as JSON, without the version (it changes with every event
/// and has its own column).
fn state_json(project: &Project) -> Value {
    let mut value = serde_json::to_value(project).unwrap_or(Value::Null);
    if let Some(fields) = value.as_object_mut() {
        fields.remove("version");
    }
    value
}

/// Every leaf that differs between two states. Objects are compared field
/// by field and arrays element by element when their lengths match;
/// otherwise the whole value is one change.
fn diff(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(
                    &child,
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                diff(&format!("{path}[{i}]"), bv, av, out);
            }
        }
        (Value::Null, Value::Object(a)) if !path.is_empty() || !a.is_empty() => {
            // A section appearing (the first self-report, say): list its
            // fields one by one, each from null.
            for (key, value) in a {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(&child, &Value::Null, value, out);
            }
        }
        _ => out.push(FieldChange {
            field: path.to_owned(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

/// The action in words, English and Chinese.
fn describe(event: &ProjectEvent) -> (String, String) {
    match event {
        ProjectEvent::ProjectSigned(e) => (
            format!(
                "Project signed: \"{}\" with {}, {} to {}",
                e.title, e.executor.name, e.period.start, e.period.end
            ),
            format!(
                "签约：《{}》，执行单位{}，项目周期{}至{}",
                e.title, e.executor.name, e.period.start, e.period.end
            ),
        ),
        ProjectEvent::PeriodExtended(e) => (
            format!(
                "Period extended from {} to {}: {}",
                e.from_end, e.new_end, e.reason
            ),
            format!(
                "延期变更：结束日期由{}延至{}，原因：{}",
                e.from_end, e.new_end, e.reason
            ),
        ),
        ProjectEvent::SelfReportSubmitted(e) => (
            format!(
                "Closing self-report submitted (work completed {})",
                e.completed_on
            ),
            format!("提交结项报告（完成日期{}）", e.completed_on),
        ),
        ProjectEvent::SelfReportReviewed(e) => match e.outcome {
            ReviewOutcome::Accepted => (
                "Self-report reviewed and accepted".into(),
                "结项报告审查通过".into(),
            ),
            ReviewOutcome::Returned => (
                "Self-report returned to the executor".into(),
                "结项报告退回执行单位".into(),
            ),
        },
        ProjectEvent::SiteVisited(e) => (
            format!("Site visited by {}", e.visitors.join(", ")),
            format!("现场评估：{}", e.visitors.join("、")),
        ),
        ProjectEvent::EvaluationDrafted(e) => (
            format!("Evaluation report drafted (revision {})", e.revision),
            format!("形成评估报告初稿（第{}稿）", e.revision),
        ),
        ProjectEvent::EvaluationFinalized(e) => (
            format!(
                "Evaluation report finalized (revision {}), approved by {}",
                e.revision, e.approved_by
            ),
            format!(
                "形成正式评估报告（第{}稿），批准：{}",
                e.revision, e.approved_by
            ),
        ),
    }
}

/// The header of the CSV form.
pub const CSV_HEADER: [&str; 12] = [
    "project_id",
    "version",
    "recorded_at",
    "occurred_on",
    "actor_name",
    "actor_role",
    "actor_org_id",
    "event_type",
    "action",
    "action_zh",
    "changes",
    "hash",
];

impl AuditRow {
    /// The CSV record of this row; changes are one cell,
    /// `field: before → after` separated by newlines.
    pub fn csv_record(&self) -> [String; 12] {
        let changes = self
            .changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, plain(&c.before), plain(&c.after)))
            .collect::<Vec<_>>()
            .join("\n");
        [
            self.project_id.clone(),
            self.version.to_string(),
            self.recorded_at.clone(),
            self.occurred_on.clone(),
            self.actor.name.clone(),
            self.actor.role.clone(),
            self.actor.org_id.clone().unwrap_or_default(),
            self.event_type.clone(),
            self.action.clone(),
            self.action_zh.clone(),
            changes,
            self.hash.clone(),
        ]
    }
}

/// The event type of the row that stands in, in a bulk export, for a
/// project whose history cannot be read.
pub const UNREADABLE: &str = "unreadable";

/// The CSV record standing in for a project whose history cannot be read:
/// a bulk export names that project (event type [`UNREADABLE`] and why)
/// instead of leaving it out, so the one project an auditor most needs to
/// see is not silently missing.
pub fn unreadable_csv_record(project_id: &str, why: &str) -> [String; 12] {
    let mut record: [String; 12] = Default::default();
    record[0] = project_id.to_owned();
    record[7] = UNREADABLE.to_owned();
    record[8] = format!("this project's history cannot be read ({why}); see granttrail verify");
    record[9] = format!("该项目的历史记录无法读取（{why}），请运行 granttrail verify 核查");
    record
}

/// A value as a person reads it: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "∅".to_owned(),
        other => other.to_string(),
    }
}
