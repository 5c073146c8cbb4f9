//! The project list's page query, written once for every sqlx backend.

/// A `sqlx::QueryBuilder<$db>` selecting one page of the project
/// list for `$filter` (a [`crate::ProjectFilter`]): the columns
/// `id, version, stage, executor_org_id, planned_end, overdue_from,
/// state`, ordered by
/// id. The same SQL on every backend; a macro rather than a generic
/// function so that this crate stays free of sqlx.
#[macro_export]
macro_rules! sqlx_project_list_query {
    ($db:ty, $filter:expr) => {{
        let filter: &$crate::ProjectFilter = $filter;
        let mut query: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
            "SELECT id, version, stage, executor_org_id, planned_end, overdue_from, state FROM project_list WHERE 1 = 1",
        );
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
        if let Some(after) = filter.after {
            query.push(" AND id > ").push_bind(after);
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(filter.limit));
        query
    }};
}
