//! The template: the four `@` columns, then every body field of the
//! source report's project (its history file, with the source's own
//! completion date), which fill the example rows.

use serde_json::Value;

use crate::cell::text_of;
use crate::{
    BY_ID_COLUMN, BY_NAME_COLUMN, COMMAND_COLUMN, PROJECT_COLUMN, SheetError, Table, csv_file,
    xlsx_file,
};

/// The source report's project as a `granttrail-history/1` file.
const EXAMPLE: &str = include_str!("../../../tests/fixtures/source-history.json");

/// What the XLSX template's `guide` worksheet says.
const GUIDE: &[&str] = &[
    "granttrail bulk history sheet (granttrail-history/1 as rows)",
    "",
    "One row per recorded fact, in the order they happened; a project's rows are its history.",
    "每行一条历史记录，按发生先后排列；同一项目的各行即其历史。",
    "",
    "@project: your name for the project (rows with the same name are one project)",
    "@command: what would record the fact today: sign, extend, submit_self_report, review, visit, draft, finalize, …",
    "@by.id, @by.name: who recorded the fact then",
    "Every other column is a field of the command's body, named by its dotted path (period.start, indicators.0.target).",
    "",
    "A blank cell is an absent field. A cell that reads as JSON (50, true, [\"a\",\"b\"]) is that value;",
    "to keep text that looks like a number, quote it (\"2022\"). Anything else is text. Dates are YYYY-MM-DD.",
    "",
    "Check first: granttrail import --historical FILE --dry-run reports every data-quality flag and writes nothing.",
    "The example rows are the source report's project, with its own completion date (2022-02-10, before signing).",
];

/// Appends the leaves of `value` under `path` as (dotted path, cell text).
fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                path.push(key.clone());
                leaves(item, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                leaves(item, path, out);
                path.pop();
            }
        }
        leaf => out.push((path.join("."), text_of(leaf))),
    }
}

/// The example history as a table.
fn example_table() -> Result<Table, SheetError> {
    let example: Value = serde_json::from_str(EXAMPLE)
        .map_err(|e| SheetError::Write(format!("the example history: {e}")))?;
    let mut header: Vec<String> = [PROJECT_COLUMN, COMMAND_COLUMN, BY_ID_COLUMN, BY_NAME_COLUMN]
        .map(str::to_owned)
        .to_vec();
    let mut facts = Vec::new();
    for project in example["projects"].as_array().into_iter().flatten() {
        for fact in project["facts"].as_array().into_iter().flatten() {
            let mut fields = Vec::new();
            leaves(&fact["body"], &mut Vec::new(), &mut fields);
            for (path, _) in &fields {
                if !header.contains(path) {
                    header.push(path.clone());
                }
            }
            let meta = [
                &project["ref"],
                &fact["command"],
                &fact["by"]["id"],
                &fact["by"]["name"],
            ]
            .map(|v| v.as_str().unwrap_or_default().to_owned());
            facts.push((meta, fields));
        }
    }
    let rows = facts
        .into_iter()
        .enumerate()
        .map(|(i, (meta, fields))| {
            let mut cells = vec![String::new(); header.len()];
            cells[..4].clone_from_slice(&meta);
            for (path, text) in fields {
                if let Some(column) = header.iter().position(|h| *h == path) {
                    cells[column] = text;
                }
            }
            (i + 2, cells)
        })
        .collect();
    Ok(Table { header, rows })
}

/// The CSV template (UTF-8 with a byte-order mark).
pub fn template_csv() -> Result<Vec<u8>, SheetError> {
    csv_file::write(&example_table()?)
}

/// The XLSX template: the `history` worksheet and a `guide`.
pub fn template_xlsx() -> Result<Vec<u8>, SheetError> {
    xlsx_file::write(&example_table()?, GUIDE)
}
