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
    audit_rows(events, 1..=u64::MAX)
}

/// The trail's rows of the events whose versions are in `versions`; the
/// whole stream is folded, but only those rows are written (a page of a
/// long history costs what its rows cost, not what the history does).
pub fn audit_rows(
    events: &[StoredEvent],
    versions: std::ops::RangeInclusive<u64>,
) -> Result<Vec<AuditRow>, ProjectionError> {
    let mut state: Option<Project> = None;
    let mut rows = Vec::new();
    for stored in events {
        let event = decode(stored)?;
        if !versions.contains(&stored.version) {
            state = Some(evolve(state, &event)?);
            continue;
        }
        let next = evolve(state.clone(), &event)?;
        let mut changes = Vec::new();
        changed_fields(state.as_ref(), &next, &mut changes);
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

fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The changes from `before` to `after`, field by field of the state (all
/// but the version, which changes with every event and has its own
/// column), in the order of the state's JSON keys. Only fields that differ
/// are written as JSON, and of a list only the items that differ: a
/// project with a thousand extensions does not write them all out again
/// for each new one.
fn changed_fields(before: Option<&Project>, after: &Project, out: &mut Vec<FieldChange>) {
    macro_rules! field {
        ($name:ident) => {
            if before.is_none_or(|b| b.$name != after.$name) {
                diff(
                    stringify!($name),
                    &before.map_or(Value::Null, |b| json(&b.$name)),
                    &json(&after.$name),
                    out,
                );
            }
        };
    }
    macro_rules! list {
        ($name:ident) => {
            match before {
                None => diff(stringify!($name), &Value::Null, &json(&after.$name), out),
                Some(b) if b.$name != after.$name => {
                    list_diff(stringify!($name), &b.$name, &after.$name, out)
                }
                Some(_) => {}
            }
        };
    }
    // In the order serde_json writes an object's keys (sorted), as the
    // whole-state diff listed them; `the_compared_fields_are_the_whole_state`
    // keeps this list whole.
    field!(applied_on);
    field!(code);
    list!(communities);
    field!(draft);
    field!(executor);
    list!(extensions);
    field!(finalized);
    field!(funder);
    field!(funding);
    list!(indicators);
    field!(original_period);
    field!(period);
    field!(predecessor);
    field!(programme);
    field!(review);
    field!(self_report);
    field!(signed_on);
    field!(site_visit);
    field!(stage);
    field!(title);
}

/// The fields of the state `changed_fields` compares (all but `version`).
#[cfg(test)]
const COMPARED: [&str; 20] = [
    "applied_on",
    "code",
    "communities",
    "draft",
    "executor",
    "extensions",
    "finalized",
    "funder",
    "funding",
    "indicators",
    "original_period",
    "period",
    "predecessor",
    "programme",
    "review",
    "self_report",
    "signed_on",
    "site_visit",
    "stage",
    "title",
];

/// A list's changes, as [`diff`] judges two arrays (item by item when the
/// lengths match or one extends the other, else the whole list), writing
/// only the items that differ as JSON.
fn list_diff<T: PartialEq + Serialize>(
    name: &str,
    before: &[T],
    after: &[T],
    out: &mut Vec<FieldChange>,
) {
    let extends = before.iter().zip(after).all(|(b, a)| b == a);
    if before.len() != after.len() && !extends {
        diff(name, &json(&before), &json(&after), out);
        return;
    }
    for i in 0..before.len().max(after.len()) {
        let (b, a) = (before.get(i), after.get(i));
        if b != a {
            diff(
                &format!("{name}[{i}]"),
                &b.map_or(Value::Null, json),
                &a.map_or(Value::Null, json),
                out,
            );
        }
    }
}

/// Every leaf that differs between two states. Objects are compared field
/// by field; arrays element by element when their lengths match, or when
/// one only extends the other (an extension added: just the new item, field
/// by field); otherwise the whole value is one change.
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
        (Value::Array(b), Value::Array(a))
            if b.len() == a.len() || b.iter().zip(a).all(|(bv, av)| bv == av) =>
        {
            for i in 0..b.len().max(a.len()) {
                let bv = b.get(i).unwrap_or(&Value::Null);
                let av = a.get(i).unwrap_or(&Value::Null);
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
        ProjectEvent::CorrectionRecorded(e) => (
            format!(
                "Correction of version {} ({}) {}: {} → {}; reason: {}",
                e.target_version, e.target_type, e.field, e.previous, e.value, e.reason
            ),
            format!(
                "更正：第{}版（{}）{}由{}更正为{}，原因：{}",
                e.target_version, e.target_type, e.field, e.previous, e.value, e.reason
            ),
        ),
        ProjectEvent::AttachmentAdded(e) => (
            format!(
                "Attached {} ({}, {} bytes, SHA-256 {})",
                e.name, e.media_type, e.size, e.sha256
            ),
            format!(
                "附证明材料：{}（{}，{}字节，SHA-256 {}）",
                e.name, e.media_type, e.size, e.sha256
            ),
        ),
        ProjectEvent::AttachmentWithdrawn(e) => (
            format!("Attachment {} withdrawn: {}", e.sha256, e.reason),
            format!("撤回证明材料{}，原因：{}", e.sha256, e.reason),
        ),
        ProjectEvent::HistoryImported(e) => (
            format!(
                "History imported by {} from {} (SHA-256 {}): versions 1 to {}, {} data-quality flag(s)",
                e.imported_by,
                e.file_name,
                e.file_sha256,
                e.facts,
                e.flags.len()
            ),
            format!(
                "历史数据导入：{}导入{}（SHA-256 {}），第1至{}版，数据质量标记{}项",
                e.imported_by,
                e.file_name,
                e.file_sha256,
                e.facts,
                e.flags.len()
            ),
        ),
        ProjectEvent::TrancheReleased(e) => (
            match &e.override_reason {
                None => format!("Tranche {} released ({})", e.tranche, e.amount),
                Some(why) => format!(
                    "Tranche {} released ({}) by override: {why}",
                    e.tranche, e.amount
                ),
            },
            match &e.override_reason {
                None => format!("拨付第{}期资金（{}）", e.tranche, e.amount),
                Some(why) => format!("越权拨付第{}期资金（{}），理由：{why}", e.tranche, e.amount),
            },
        ),
        ProjectEvent::MidtermEvaluated(e) => (
            format!(
                "Mid-term evaluation of {}: {} finding(s), {} fix(es)",
                e.evaluated_on,
                e.findings.len(),
                e.fixes.len()
            ),
            format!(
                "中期评估（{}）：发现问题{}项，整改{}项",
                e.evaluated_on,
                e.findings.len(),
                e.fixes.len()
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

#[cfg(test)]
mod tests {
    use granttrail_domain::{CommandKind, decide, fold};

    use super::*;

    const SEED: &str = include_str!("../../../tests/fixtures/seed-project.json");

    /// The seed's states, then `extensions` more extensions by a day each.
    fn states(extensions: usize) -> Vec<Project> {
        let fixture: Value = serde_json::from_str(SEED).unwrap();
        let mut events = Vec::new();
        let mut bodies: Vec<(CommandKind, Value)> = fixture["projects"][0]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .map(|c| {
                (
                    serde_json::from_value(c["command"].clone()).unwrap(),
                    c["body"].clone(),
                )
            })
            .collect();
        let mut end = chrono::NaiveDate::from_ymd_opt(2023, 3, 1).unwrap();
        for _ in 0..extensions {
            end = end.succ_opt().unwrap();
            bodies.push((
                CommandKind::Extend,
                serde_json::json!({"decided_on": "2023-01-01", "new_end": end.to_string(), "reason": "延期"}),
            ));
        }
        for (n, c) in fixture["projects"][0]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .skip(2)
        {
            let _ = n;
            bodies.push((
                serde_json::from_value(c["command"].clone()).unwrap(),
                c["body"].clone(),
            ));
        }
        let mut states = Vec::new();
        for (kind, body) in bodies {
            let state = fold(&events).unwrap();
            let decided = decide(state.as_ref(), &kind.read_body(&body).unwrap());
            let Ok(decided) = decided else { continue };
            events.extend(decided);
            states.push(fold(&events).unwrap().unwrap());
        }
        states
    }

    /// The whole state as JSON, without the version: what the trail once
    /// compared for every event.
    fn whole(project: &Project) -> Value {
        let mut value = json(project);
        value.as_object_mut().unwrap().remove("version");
        value
    }

    #[test]
    fn field_by_field_finds_what_the_whole_state_diff_finds() {
        let states = states(12);
        let mut before: Option<&Project> = None;
        for after in &states {
            let mut quick = Vec::new();
            changed_fields(before, after, &mut quick);
            let mut slow = Vec::new();
            diff(
                "",
                &before.map_or(Value::Null, whole),
                &whole(after),
                &mut slow,
            );
            assert_eq!(quick, slow, "at version {}", after.version);
            before = Some(after);
        }
    }

    #[test]
    fn an_extension_adds_one_item_not_the_whole_list() {
        let states = states(3);
        let (a, b) = (&states[2], &states[3]);
        let mut changes = Vec::new();
        changed_fields(Some(a), b, &mut changes);
        assert!(changes.iter().all(|c| !c.field.starts_with("extensions") || c.field.starts_with("extensions[2]")), "{changes:#?}");
    }

    #[test]
    fn the_compared_fields_are_the_whole_state() {
        let state = states(0).pop().unwrap();
        let mut keys: Vec<String> = whole(&state).as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, COMPARED.map(str::to_owned).to_vec());
    }
}
