//! The command forms: which fields each command's form asks for, how a
//! posted form becomes the command's JSON body (read as strictly as the
//! API reads one), and where each refusal is shown.

use std::collections::BTreeMap;

use granttrail_domain::{Command, CommandKind, FieldError, Project};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::i18n::Lang;
use granttrail_domain::body_path::put_at as put;

/// How one field is entered and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    /// A required line of text.
    Text,
    /// A line of text that may be left empty (then it is not sent).
    Optional,
    /// Several lines of text, required.
    Long,
    /// Several lines that may be left empty.
    OptionalLong,
    /// One item per line: a list.
    Lines,
    /// `YYYY-MM-DD`.
    Date,
    /// A whole number.
    Number,
    /// A checkbox.
    Check,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// Sent as it was rendered (an indicator's key beside its actual).
    Hidden,
    /// A corrected value: JSON when it reads as a number or a list
    /// (`51`, `["甲", "乙"]`), else the text itself.
    Value,
}

/// One field of a form: its name is the JSON path of what it fills, with
/// dots (`executor.org_id`, `indicators.0.key`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Field {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    /// `(value, label)` of a choice.
    pub options: Vec<(String, String)>,
    pub required: bool,
}

/// A form as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Form {
    pub kind: &'static str,
    pub title: String,
    pub action: String,
    /// The version the page showed, sent back as `If-Match`.
    pub version: Option<u64>,
    /// Made when the form is rendered: a double submit writes once.
    pub idempotency_key: String,
    pub fields: Vec<Field>,
}

const COMPARISONS: &[&str] = &["at_least", "exactly", "at_most"];
const OUTCOMES: &[&str] = &["accepted", "returned"];
const CONCLUSIONS: &[&str] = &["passed", "failed"];
/// Empty indicator rows a signing form offers; blank rows are not sent.
const INDICATOR_ROWS: usize = 4;
/// Empty rows for outputs without a target.
const EXTRA_OUTPUT_ROWS: usize = 2;

/// `(name, message key of its label, input)` of every field of `kind`'s
/// form, for `project` (the self-report asks for one actual per
/// indicator).
fn fields_of(kind: CommandKind, project: Option<&Project>) -> Vec<(String, &'static str, Input)> {
    let f = |name: &str, label: &'static str, input| (name.to_owned(), label, input);
    match kind {
        CommandKind::Sign => {
            let mut fields = vec![
                f("code", "f_code", Input::Optional),
                f("title", "f_title", Input::Text),
                f("programme", "f_programme", Input::Text),
                f("funder", "f_funder", Input::Text),
                f("executor.org_id", "f_executor_org_id", Input::Text),
                f("executor.name", "f_executor_name", Input::Text),
                f("communities", "f_communities", Input::Lines),
                f("applied_on", "f_applied_on", Input::Date),
                f("signed_on", "f_signed_on", Input::Date),
                f("period.start", "f_period_start", Input::Date),
                f("period.end", "f_period_end", Input::Date),
                f("funding.matching_source", "f_matching_source", Input::Text),
                f("funding.grant_amount", "f_grant_amount", Input::Optional),
                f(
                    "funding.matching_amount",
                    "f_matching_amount",
                    Input::Optional,
                ),
                f("funding.currency", "f_currency", Input::Optional),
            ];
            for row in 0..INDICATOR_ROWS {
                fields.extend([
                    f(&format!("indicators.{row}.key"), "f_key", Input::Optional),
                    f(
                        &format!("indicators.{row}.label"),
                        "f_label",
                        Input::Optional,
                    ),
                    f(&format!("indicators.{row}.unit"), "f_unit", Input::Optional),
                    f(
                        &format!("indicators.{row}.target"),
                        "f_target",
                        Input::Number,
                    ),
                    f(
                        &format!("indicators.{row}.comparison"),
                        "f_comparison",
                        Input::Choice(COMPARISONS),
                    ),
                    f(
                        &format!("indicators.{row}.group"),
                        "f_group",
                        Input::Optional,
                    ),
                ]);
            }
            fields.extend([
                f("predecessor", "f_predecessor", Input::Optional),
                f("background", "f_background", Input::OptionalLong),
                f("goals", "f_goals", Input::OptionalLong),
            ]);
            fields
        }
        CommandKind::Midterm => vec![
            f("evaluated_on", "f_evaluated_on", Input::Date),
            f("findings", "f_midterm_findings", Input::Lines),
            f("fixes", "f_fixes", Input::Lines),
        ],
        CommandKind::Extend => vec![
            f("decided_on", "f_decided_on", Input::Date),
            f("new_end", "f_new_end", Input::Date),
            f("reason", "f_reason", Input::Long),
            f("matching_source", "f_matching_source", Input::Optional),
        ],
        CommandKind::SubmitSelfReport => {
            let mut fields = vec![
                f("submitted_on", "f_submitted_on", Input::Date),
                f("completed_on", "f_completed_on", Input::Date),
            ];
            let indicators = project.map(|p| p.indicators.as_slice()).unwrap_or_default();
            for (row, _) in indicators.iter().enumerate() {
                fields.extend([
                    f(&format!("actuals.{row}.key"), "f_key", Input::Hidden),
                    f(&format!("actuals.{row}.value"), "f_actual", Input::Number),
                    f(&format!("actuals.{row}.note"), "f_note", Input::Optional),
                ]);
            }
            for row in 0..EXTRA_OUTPUT_ROWS {
                fields.extend([
                    f(
                        &format!("extra_outputs.{row}.label"),
                        "f_extra_output",
                        Input::Optional,
                    ),
                    f(
                        &format!("extra_outputs.{row}.value"),
                        "f_value",
                        Input::Number,
                    ),
                    f(
                        &format!("extra_outputs.{row}.unit"),
                        "f_unit",
                        Input::Optional,
                    ),
                ]);
            }
            fields.push(f("summary", "f_summary", Input::Long));
            fields
        }
        CommandKind::Review => vec![
            f("reviewed_on", "f_reviewed_on", Input::Date),
            f("outcome", "f_outcome", Input::Choice(OUTCOMES)),
            f("comments", "f_comments", Input::OptionalLong),
        ],
        CommandKind::Visit => vec![
            f("visited_on", "f_visited_on", Input::Date),
            f("visitors", "f_visitors", Input::Lines),
            f("findings", "f_findings", Input::Long),
            f(
                "financial_check.vouchers_checked",
                "f_vouchers_checked",
                Input::Check,
            ),
            f(
                "financial_check.budget_reconciled",
                "f_budget_reconciled",
                Input::Check,
            ),
            f("financial_check.compliant", "f_compliant", Input::Check),
            f(
                "financial_check.notes",
                "f_financial_notes",
                Input::OptionalLong,
            ),
            f(
                "financial_check.justification",
                "f_justification",
                Input::OptionalLong,
            ),
        ],
        CommandKind::Draft => vec![
            f("drafted_on", "f_drafted_on", Input::Date),
            f("process", "f_process", Input::Long),
            f("problems", "f_problems", Input::Lines),
            f("suggestions", "f_suggestions", Input::Lines),
            f("conclusion", "f_conclusion", Input::Choice(CONCLUSIONS)),
            f("notes", "f_notes", Input::OptionalLong),
            f("justification", "f_justification", Input::OptionalLong),
        ],
        CommandKind::Finalize => vec![
            f("finalized_on", "f_finalized_on", Input::Date),
            f("approved_by", "f_approved_by", Input::Text),
        ],
        // Offered as an upload by the API, never as a form (see
        // `pages/project.rs`).
        CommandKind::Attach => Vec::new(),
        CommandKind::WithdrawAttachment => vec![
            f("withdrawn_on", "f_withdrawn_on", Input::Date),
            f("sha256", "f_sha256", Input::Text),
            f("reason", "f_withdrawal_reason", Input::Long),
        ],
        CommandKind::ReleaseTranche => vec![
            f("released_on", "f_released_on", Input::Date),
            f("tranche", "f_tranche", Input::Number),
            f("override_reason", "f_override_reason", Input::OptionalLong),
        ],
        CommandKind::Correct => vec![
            f("corrected_on", "f_corrected_on", Input::Date),
            f("version", "f_corrected_version", Input::Number),
            f("field", "f_corrected_field", Input::Text),
            f("value", "f_corrected_value", Input::Value),
            f("reason", "f_correction_reason", Input::Long),
        ],
    }
}

/// The label of a choice's value.
fn option_label(lang: Lang, value: &str) -> String {
    let key = match value {
        "at_least" | "exactly" | "at_most" => format!("cmp_{value}"),
        "accepted" | "returned" => format!("outcome_{value}"),
        _ => format!("conclusion_{value}"),
    };
    lang.text(&key).to_owned()
}

/// The form of `kind`, filled with `values` (what was sent, when it is
/// shown again) and `errors` (by field name).
#[allow(clippy::too_many_arguments)]
pub(crate) fn form(
    kind: CommandKind,
    lang: Lang,
    project_id: Option<uuid::Uuid>,
    project: Option<&Project>,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    idempotency_key: String,
) -> Form {
    let indicators = project.map(|p| p.indicators.as_slice()).unwrap_or_default();
    let fields = fields_of(kind, project)
        .into_iter()
        .map(|(name, label_key, input)| {
            let mut label = lang.text(label_key).to_owned();
            let mut value = values.get(&name).cloned().unwrap_or_default();
            // An actual's row is labelled with its indicator, and carries
            // the indicator's key.
            if let Some(row) = name
                .strip_prefix("actuals.")
                .and_then(|r| r.split('.').next())
                && let Some(indicator) = row.parse::<usize>().ok().and_then(|i| indicators.get(i))
            {
                if name.ends_with(".key") {
                    value = indicator.key.clone();
                } else if name.ends_with(".value") {
                    label = format!(
                        "{label}: {} ({} {})",
                        indicator.label, indicator.target, indicator.unit
                    );
                }
            }
            if let Some(row) = name
                .strip_prefix("indicators.")
                .and_then(|r| r.split('.').next())
            {
                label = format!(
                    "{} {} · {label}",
                    lang.text("f_indicator"),
                    row.parse::<usize>().unwrap_or(0) + 1
                );
            }
            if let Some(row) = name
                .strip_prefix("extra_outputs.")
                .and_then(|r| r.split('.').next())
            {
                if !name.ends_with(".label") {
                    label = format!(
                        "{} {} · {label}",
                        lang.text("f_extra_output"),
                        row.parse::<usize>().unwrap_or(0) + 1
                    );
                } else {
                    label = format!("{label} {}", row.parse::<usize>().unwrap_or(0) + 1);
                }
            }
            let (kind, options, required) = match input {
                Input::Text => ("text", Vec::new(), true),
                Input::Optional => ("text", Vec::new(), false),
                Input::Long => ("textarea", Vec::new(), true),
                Input::OptionalLong | Input::Lines => ("textarea", Vec::new(), false),
                Input::Date => ("date", Vec::new(), true),
                Input::Number => ("number", Vec::new(), false),
                Input::Check => ("checkbox", Vec::new(), false),
                Input::Hidden => ("hidden", Vec::new(), false),
                Input::Value => ("text", Vec::new(), true),
                Input::Choice(choices) => (
                    "select",
                    choices
                        .iter()
                        .map(|c| ((*c).to_owned(), option_label(lang, c)))
                        .collect(),
                    true,
                ),
            };
            Field {
                error: errors.get(&name).cloned(),
                name,
                label,
                kind,
                value,
                options,
                required,
            }
        })
        .collect();
    Form {
        kind: kind.as_str(),
        title: lang.text(&format!("cmd_{}", kind.as_str())).to_owned(),
        action: match project_id {
            Some(id) => format!("/ui/projects/{id}/commands/{}", kind.as_str()),
            None => "/ui/projects".to_owned(),
        },
        version: project.map(|p| p.version),
        idempotency_key,
        fields,
    }
}

/// The JSON body a posted form describes; fields the form could not read
/// (a number that is not one) are refused by name.
pub(crate) fn body_of(
    kind: CommandKind,
    project: Option<&Project>,
    values: &BTreeMap<String, String>,
    lang: Lang,
) -> Result<Value, BTreeMap<String, String>> {
    let mut body = Value::Object(Map::new());
    let mut errors = BTreeMap::new();
    let fields = fields_of(kind, project);
    // Rows of optional groups (indicators, outputs without a target) that
    // were left entirely blank are not sent; the others are renumbered.
    let blank_row = |prefix: &str, row: &str| {
        fields
            .iter()
            .filter(|(name, _, input)| {
                name.starts_with(&format!("{prefix}.{row}."))
                    && *input != Input::Choice(COMPARISONS)
            })
            .all(|(name, _, _)| values.get(name).is_none_or(|v| v.trim().is_empty()))
    };
    let mut renumbered: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (name, _, input) in &fields {
        let mut segments: Vec<String> = name.split('.').map(str::to_owned).collect();
        if let [group, row, ..] = segments.as_slice()
            && (group == "indicators" || group == "extra_outputs")
        {
            if blank_row(group, row) {
                continue;
            }
            let next = renumbered.iter().filter(|((g, _), _)| g == group).count();
            let index = *renumbered
                .entry((group.clone(), row.clone()))
                .or_insert(next);
            segments[1] = index.to_string();
        }
        let path: Vec<&str> = segments.iter().map(String::as_str).collect();
        let raw = values.get(name).map(|v| v.trim()).unwrap_or_default();
        let value = match input {
            Input::Text | Input::Long | Input::Hidden => Some(Value::from(raw)),
            Input::Choice(_) => Some(Value::from(raw)),
            Input::Optional | Input::OptionalLong => {
                Some(raw).filter(|v| !v.is_empty()).map(Value::from)
            }
            Input::Date => Some(raw).filter(|v| !v.is_empty()).map(Value::from),
            Input::Lines => Some(Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(Value::from)
                    .collect(),
            )),
            Input::Check => Some(Value::Bool(raw == "true")),
            Input::Value => Some(match serde_json::from_str::<Value>(raw) {
                Ok(json @ (Value::Number(_) | Value::Array(_) | Value::String(_))) => json,
                _ => Value::from(raw),
            }),
            Input::Number if raw.is_empty() => None,
            Input::Number => match raw.parse::<i64>() {
                Ok(n) => Some(Value::from(n)),
                Err(_) => {
                    errors.insert(name.clone(), lang.text("must_be_number").to_owned());
                    None
                }
            },
        };
        if let Some(value) = value {
            put(&mut body, &path, value);
        }
    }
    // Every command body is an object, even with nothing in it.
    if errors.is_empty() {
        Ok(body)
    } else {
        Err(errors)
    }
}

/// Reads `body` as the command `kind`, as strictly as the API does; a
/// field serde refuses is named by its path.
pub(crate) fn command_of(
    kind: CommandKind,
    body: &Value,
    lang: Lang,
) -> Result<Command, BTreeMap<String, String>> {
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(body, &mut track);
    kind.read_body(deserializer).map_err(|error| {
        let path = track.path().to_string();
        let message = error.to_string();
        let (name, text) = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) if path == "." || path.is_empty() => {
                (field.to_owned(), lang.text("err_required").to_owned())
            }
            Some(field) => (
                format!("{path}.{field}"),
                lang.text("err_required").to_owned(),
            ),
            None => (
                path,
                if lang == Lang::En {
                    message
                } else {
                    lang.text("err_value").to_owned()
                },
            ),
        };
        BTreeMap::from([(name, text)])
    })
}

/// The domain's refusals by field name (its JSON Pointer with dots), in
/// the page's language: the domain's own words in English, the rule's
/// name in Chinese.
pub(crate) fn field_errors(errors: &[FieldError], lang: Lang) -> BTreeMap<String, String> {
    let mut by_field = BTreeMap::new();
    for error in errors {
        let name = error.pointer.trim_start_matches('/').replace('/', ".");
        let text = match lang {
            Lang::En => error.message.clone(),
            Lang::ZhCn => {
                let key = format!("err_{}", error.code.replace('-', "_"));
                match lang.text(&key) {
                    "" => lang.text("err_value").to_owned(),
                    text => text.to_owned(),
                }
            }
        };
        by_field.entry(name).or_insert(text);
    }
    by_field
}

/// Which field of a form shows the error at `name`: itself, or the field
/// holding the list it is an item of (`communities.2` → `communities`).
pub(crate) fn attach(
    errors: BTreeMap<String, String>,
    kind: CommandKind,
    project: Option<&Project>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let names: Vec<String> = fields_of(kind, project)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    let mut attached = BTreeMap::new();
    let mut loose = Vec::new();
    for (name, text) in errors {
        let mut candidate = name.clone();
        loop {
            if names.contains(&candidate) {
                attached.entry(candidate).or_insert(text);
                break;
            }
            match candidate.rsplit_once('.') {
                Some((parent, _)) => candidate = parent.to_owned(),
                None => {
                    loose.push(format!("{name}: {text}"));
                    break;
                }
            }
        }
    }
    (attached, loose)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_filled_review_form_is_the_review_command() {
        let form = values(&[
            ("reviewed_on", "2023-02-15"),
            ("outcome", "accepted"),
            ("comments", ""),
        ]);
        let body = body_of(CommandKind::Review, None, &form, Lang::En).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"reviewed_on": "2023-02-15", "outcome": "accepted"})
        );
        assert!(command_of(CommandKind::Review, &body, Lang::En).is_ok());
    }

    #[test]
    fn blank_indicator_rows_are_left_out_and_the_rest_renumbered() {
        let form = values(&[
            ("indicators.1.key", "k"),
            ("indicators.1.label", "活动"),
            ("indicators.1.unit", "场"),
            ("indicators.1.target", "4"),
            ("indicators.1.comparison", "at_least"),
            ("indicators.0.comparison", "at_least"),
            ("communities", "红岩寺社区\n\n一根松社区\n"),
        ]);
        let body = body_of(CommandKind::Sign, None, &form, Lang::En).unwrap();
        assert_eq!(body["indicators"].as_array().unwrap().len(), 1);
        assert_eq!(body["indicators"][0]["target"], 4);
        assert_eq!(
            body["communities"],
            serde_json::json!(["红岩寺社区", "一根松社区"])
        );
    }

    #[test]
    fn a_number_that_is_not_one_is_named() {
        let form = values(&[("indicators.0.key", "k"), ("indicators.0.target", "four")]);
        let errors = body_of(CommandKind::Sign, None, &form, Lang::ZhCn).unwrap_err();
        assert_eq!(errors["indicators.0.target"], "须为整数");
    }

    #[test]
    fn an_item_of_a_list_is_shown_at_the_list() {
        let errors = BTreeMap::from([("visitors.1".to_owned(), "too long".to_owned())]);
        let (attached, loose) = attach(errors, CommandKind::Visit, None);
        assert_eq!(attached["visitors"], "too long");
        assert!(loose.is_empty());
    }
}
