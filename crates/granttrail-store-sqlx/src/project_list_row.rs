//! The project list's row as both backends store it.

use granttrail_domain::BusinessDate;
use granttrail_store::{ProjectRow, StoreError};
use uuid::Uuid;

/// The stored columns, in the order of every statement that reads or
/// writes a row.
pub const PROJECT_LIST_COLUMNS: &str =
    "id, version, stage, executor_org_id, planned_end, overdue_from, signed_on, search_text, state";

/// How many columns [`PROJECT_LIST_COLUMNS`] names.
pub const PROJECT_LIST_COLUMN_COUNT: usize = 9;

/// What an upsert of rows does with a row that exists: it moves forward
/// only, never back to an older version (a runner catching up may write
/// after an append that carried a newer row).
pub const PROJECT_LIST_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET \
     version = excluded.version, stage = excluded.stage, \
     executor_org_id = excluded.executor_org_id, planned_end = excluded.planned_end, \
     overdue_from = excluded.overdue_from, signed_on = excluded.signed_on, \
     search_text = excluded.search_text, state = excluded.state \
     WHERE project_list.version < excluded.version";

/// A row read with [`PROJECT_LIST_COLUMNS`] (dates and state as text).
pub type ProjectListRow = (
    Uuid,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

/// The row a [`ProjectListRow`] holds; a damaged one names itself.
pub fn project_from_row(row: ProjectListRow) -> Result<ProjectRow, StoreError> {
    let (
        id,
        version,
        stage,
        executor_org_id,
        planned_end,
        overdue_from,
        signed_on,
        search_text,
        state,
    ) = row;
    let bad = |reason: String| StoreError::corrupt_row("project_list", id.to_string(), reason);
    Ok(ProjectRow {
        id,
        version: u64::try_from(version).map_err(|_| bad("negative version".into()))?,
        stage,
        executor_org_id,
        planned_end: BusinessDate::parse(&planned_end).map_err(bad)?,
        overdue_from: overdue_from
            .as_deref()
            .map(BusinessDate::parse)
            .transpose()
            .map_err(bad)?,
        signed_on: BusinessDate::parse(&signed_on).map_err(bad)?,
        search_text,
        state: serde_json::from_str(&state).map_err(|e| bad(e.to_string()))?,
    })
}
