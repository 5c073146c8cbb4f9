//! The project list's row as both backends store it.

use granttrail_domain::BusinessDate;
use granttrail_store::{ProjectRow, StateJson, StoreError};
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

/// The stored columns, in the order of every statement that reads or
/// writes a row.
pub const PROJECT_LIST_COLUMNS: &str = "id, version, stage, executor_org_id, planned_end, overdue_from, signed_on, search_text, \
     unresolved_flags, state";

/// How many columns [`PROJECT_LIST_COLUMNS`] names.
pub const PROJECT_LIST_COLUMN_COUNT: usize = 10;

/// What an upsert of rows does with a row that exists: it moves forward
/// only, never back to an older version (a runner catching up may write
/// after an append that carried a newer row).
pub const PROJECT_LIST_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET \
     version = excluded.version, stage = excluded.stage, \
     executor_org_id = excluded.executor_org_id, planned_end = excluded.planned_end, \
     overdue_from = excluded.overdue_from, signed_on = excluded.signed_on, \
     search_text = excluded.search_text, unresolved_flags = excluded.unresolved_flags, \
     state = excluded.state \
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
    i64,
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
        unresolved_flags,
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
        unresolved_flags: u64::try_from(unresolved_flags)
            .map_err(|_| bad("a negative count of flags".into()))?,
        state: StateJson::from_stored(state),
    })
}

/// The statement writing `rows` (an upsert that only moves a row
/// forward), binding each in [`PROJECT_LIST_COLUMNS`] order: the one
/// place a row becomes columns for a runner's save, on every backend.
pub fn project_list_upsert<DB>(rows: &[ProjectRow]) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    Option<String>: for<'t> Encode<'t, DB> + Type<DB>,
    Uuid: for<'t> Encode<'t, DB> + Type<DB>,
    i64: for<'t> Encode<'t, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "INSERT INTO project_list ({PROJECT_LIST_COLUMNS}) "
    ));
    query.push_values(rows, |mut values, row| {
        values
            .push_bind(row.id)
            .push_bind(row.version as i64)
            .push_bind(row.stage.clone())
            .push_bind(row.executor_org_id.clone())
            .push_bind(row.planned_end.to_string())
            .push_bind(row.overdue_from.map(|d| d.to_string()))
            .push_bind(row.signed_on.to_string())
            .push_bind(row.search_text.clone())
            .push_bind(row.unresolved_flags as i64)
            .push_bind(row.state.as_str().to_owned());
    });
    query.push(PROJECT_LIST_UPSERT);
    query
}
