//! Rows of text cells into the `granttrail-history/1` document.

use granttrail_domain::CommandKind;
use granttrail_domain::body_path::put_at;
use serde_json::{Map, Value, json};

use crate::cell::value_of;
use crate::{BY_ID_COLUMN, BY_NAME_COLUMN, COMMAND_COLUMN, PROJECT_COLUMN, SheetError, Table};

/// What each column of the header fills.
enum Column {
    Project,
    Command,
    ById,
    ByName,
    /// A body field, by its dotted path.
    Field(Vec<String>),
}

fn columns(header: &[String]) -> Result<Vec<Column>, SheetError> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(SheetError::NoHeader);
    }
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        let bad = |why: &str| SheetError::BadColumn {
            column: i + 1,
            name: name.to_owned(),
            why: why.to_owned(),
        };
        if header[..i].iter().any(|h| h.trim() == name) {
            return Err(bad("appears twice"));
        }
        columns.push(match name {
            PROJECT_COLUMN => Column::Project,
            COMMAND_COLUMN => Column::Command,
            BY_ID_COLUMN => Column::ById,
            BY_NAME_COLUMN => Column::ByName,
            "" => return Err(bad("is blank: every column names a field")),
            other if other.starts_with('@') => {
                return Err(bad("is not one of @project, @command, @by.id and @by.name"));
            }
            other => {
                let path: Vec<String> = other.split('.').map(str::to_owned).collect();
                if path.iter().any(String::is_empty) {
                    return Err(bad("has an empty step in its dotted path"));
                }
                Column::Field(path)
            }
        });
    }
    for (name, found) in [
        (
            PROJECT_COLUMN,
            columns.iter().any(|c| matches!(c, Column::Project)),
        ),
        (
            COMMAND_COLUMN,
            columns.iter().any(|c| matches!(c, Column::Command)),
        ),
        (
            BY_ID_COLUMN,
            columns.iter().any(|c| matches!(c, Column::ById)),
        ),
        (
            BY_NAME_COLUMN,
            columns.iter().any(|c| matches!(c, Column::ByName)),
        ),
    ] {
        if !found {
            return Err(SheetError::MissingColumn(name));
        }
    }
    // `period` beside `period.start` would let one cell overwrite another.
    for (i, column) in columns.iter().enumerate() {
        let Column::Field(path) = column else {
            continue;
        };
        for other in &columns {
            if let Column::Field(longer) = other
                && longer.len() > path.len()
                && longer.starts_with(path)
            {
                return Err(SheetError::BadColumn {
                    column: i + 1,
                    name: path.join("."),
                    why: format!("is a field and also holds '{}'", longer.join(".")),
                });
            }
        }
    }
    Ok(columns)
}

/// One row as a fact, or `None` for a blank row.
fn fact_of(
    row: usize,
    cells: &[String],
    columns: &[Column],
) -> Result<Option<(String, Value)>, SheetError> {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Ok(None);
    }
    if cells.len() > columns.len() && cells[columns.len()..].iter().any(|c| !c.trim().is_empty()) {
        return Err(SheetError::BadRow {
            row,
            why: format!("has cells past the header's {} columns", columns.len()),
        });
    }
    let (mut project, mut command, mut by_id, mut by_name) = (None, None, None, None);
    let mut body = Value::Object(Map::new());
    for (column, text) in columns.iter().zip(cells) {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match column {
            Column::Project => project = Some(text.to_owned()),
            Column::Command => command = Some(text.to_owned()),
            Column::ById => by_id = Some(text.to_owned()),
            Column::ByName => by_name = Some(text.to_owned()),
            Column::Field(path) => {
                if let Some(value) = value_of(text) {
                    let path: Vec<&str> = path.iter().map(String::as_str).collect();
                    put_at(&mut body, &path, value);
                }
            }
        }
    }
    let needed = |value: Option<String>, column: &str| {
        value.ok_or_else(|| SheetError::BadRow {
            row,
            why: format!("its '{column}' is blank"),
        })
    };
    let project = needed(project, PROJECT_COLUMN)?;
    let command = needed(command, COMMAND_COLUMN)?;
    if let Err(e) = serde_json::from_value::<CommandKind>(Value::String(command.clone())) {
        return Err(SheetError::BadRow {
            row,
            why: format!("its {COMMAND_COLUMN} '{command}' is no command: {e}"),
        });
    }
    let fact = json!({
        "command": command,
        "by": {"id": needed(by_id, BY_ID_COLUMN)?, "name": needed(by_name, BY_NAME_COLUMN)?},
        "body": body,
        "source": format!("row {row}"),
    });
    Ok(Some((project, fact)))
}

/// The document a table holds: projects in the order they first appear,
/// each with its rows' facts in row order.
pub(crate) fn history_from_table(table: &Table) -> Result<Value, SheetError> {
    let columns = columns(&table.header)?;
    let mut projects: Vec<(String, Vec<Value>)> = Vec::new();
    for (row, cells) in &table.rows {
        let Some((project, fact)) = fact_of(*row, cells, &columns)? else {
            continue;
        };
        match projects.iter_mut().find(|(name, _)| *name == project) {
            Some((_, facts)) => facts.push(fact),
            None => projects.push((project, vec![fact])),
        }
    }
    Ok(json!({
        "format": "granttrail-history/1",
        "projects": projects
            .into_iter()
            .map(|(reference, facts)| json!({"ref": reference, "facts": facts}))
            .collect::<Vec<_>>(),
    }))
}
