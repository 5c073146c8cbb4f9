//! The project list's page query, written once for every sqlx backend.

use granttrail_store::ProjectFilter;
use sqlx::{Database, Encode, QueryBuilder, Type};
use uuid::Uuid;

use crate::PROJECT_LIST_COLUMNS;

/// The query selecting one page of the project list for `filter`: the
/// columns [`PROJECT_LIST_COLUMNS`], ordered by id. The same SQL on every
/// backend.
pub fn project_list_query<DB>(filter: &ProjectFilter) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    Uuid: for<'t> Encode<'t, DB> + Type<DB>,
    i64: for<'t> Encode<'t, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(format!(
        "SELECT {PROJECT_LIST_COLUMNS} FROM project_list WHERE 1 = 1"
    ));
    if let Some(stage) = &filter.stage {
        query.push(" AND stage = ").push_bind(stage.clone());
    }
    if let Some(executor) = &filter.executor {
        query
            .push(" AND executor_org_id = ")
            .push_bind(executor.clone());
    }
    // Overdue on `today`: the domain stored the first overdue day
    // (`Project::overdue_from`); the rule itself is not restated here.
    match filter.overdue_on {
        Some((true, today)) => {
            query
                .push(" AND overdue_from <= ")
                .push_bind(today.to_string());
        }
        Some((false, today)) => {
            query
                .push(" AND (overdue_from IS NULL OR overdue_from > ")
                .push_bind(today.to_string())
                .push(")");
        }
        None => {}
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        // A substring of the lowercased search text; `%`, `_` and `\` in
        // what was typed match themselves.
        let escaped = search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        // Matched in the narrow index of search texts, then the matching
        // rows read by id: a scan of the wide rows would read every state.
        query
            .push(" AND id IN (SELECT id FROM project_list WHERE search_text LIKE ")
            .push_bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\')");
    }
    if let Some(from) = filter.signed_from {
        query.push(" AND signed_on >= ").push_bind(from.to_string());
    }
    if let Some(to) = filter.signed_to {
        query.push(" AND signed_on <= ").push_bind(to.to_string());
    }
    match filter.flagged {
        Some(true) => {
            query.push(" AND unresolved_flags > 0");
        }
        Some(false) => {
            query.push(" AND unresolved_flags = 0");
        }
        None => {}
    }
    if let Some(after) = filter.after {
        query.push(" AND id > ").push_bind(after);
    }
    query
        .push(" ORDER BY id LIMIT ")
        .push_bind(i64::from(filter.limit));
    query
}
