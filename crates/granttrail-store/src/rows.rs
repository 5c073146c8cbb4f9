//! Reading `events` rows, written once for every sqlx backend.

/// Defines, in a backend crate that reads events through sqlx, the
/// `event_columns!()` literal (the columns of `events`, in order, so
/// queries built with `concat!` stay static) and
/// `event_from_row(&$row) -> Result<StoredEvent, StoreError>`, which reads
/// those columns by index. A value that does not parse means the database
/// was damaged or edited, and is reported as a corrupt stream at that
/// version.
///
/// A macro rather than a generic function: this crate stays free of sqlx,
/// and the two backends' rows differ only in their type. The expanding
/// crate needs sqlx, chrono, uuid, serde_json and granttrail-domain.
#[macro_export]
macro_rules! sqlx_event_rows {
    ($row:ty) => {
        /// The columns of `events` that [`event_from_row`] reads.
        macro_rules! event_columns {
            () => {
                "position, stream_id, version, event_id, event_type, schema_version, occurred_on, \
                 recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, \
                 causation_id, idempotency_key, data, prev_hash, hash"
            };
        }
        pub(crate) use event_columns;

        /// Reads one row, columns by index in [`event_columns`] order.
        pub(crate) fn event_from_row(
            row: &$row,
        ) -> Result<$crate::StoredEvent, $crate::StoreError> {
            use sqlx::Row;
            let stream_id: uuid::Uuid = row.try_get(1).unwrap_or_default();
            let version: i64 = row.try_get(2).unwrap_or_default();
            let corrupt = |reason: String| $crate::StoreError::CorruptStream {
                stream_id,
                version: version.max(0) as u64,
                reason,
            };
            let get_err = |e: sqlx::Error| corrupt(e.to_string());
            let text = |index: usize| -> Result<&str, $crate::StoreError> {
                row.try_get::<&str, _>(index).map_err(get_err)
            };
            let data = serde_json::from_str(text(15)?)
                .map_err(|e| corrupt(format!("data is not JSON: {e}")))?;
            let occurred_on = granttrail_domain::BusinessDate::parse(text(6)?).map_err(corrupt)?;
            let recorded_at = chrono::DateTime::parse_from_rfc3339(text(7)?)
                .map_err(|e| corrupt(format!("recorded_at: {e}")))?
                .with_timezone(&chrono::Utc);
            Ok($crate::StoredEvent {
                position: row.try_get(0).map_err(get_err)?,
                stream_id,
                version: u64::try_from(version)
                    .map_err(|_| corrupt("negative version".to_owned()))?,
                event_id: row.try_get(3).map_err(get_err)?,
                event_type: text(4)?.to_owned(),
                schema_version: u32::try_from(row.try_get::<i32, _>(5).map_err(get_err)?)
                    .map_err(|_| corrupt("schema_version out of range".to_owned()))?,
                occurred_on,
                recorded_at,
                actor: $crate::Actor {
                    id: text(8)?.to_owned(),
                    name: text(9)?.to_owned(),
                    role: text(10)?.to_owned(),
                    org_id: row.try_get(11).map_err(get_err)?,
                },
                correlation_id: row.try_get(12).map_err(get_err)?,
                causation_id: row.try_get(13).map_err(get_err)?,
                idempotency_key: row.try_get(14).map_err(get_err)?,
                data,
                prev_hash: text(16)?.to_owned(),
                hash: text(17)?.to_owned(),
            })
        }
    };
}

/// A `sqlx::QueryBuilder<$db>` selecting one page of the project
/// list for `$filter` (a [`crate::ProjectFilter`]): the columns
/// `id, version, stage, executor_org_id, planned_end, state`, ordered by
/// id. The same SQL on every backend; a macro for the reason given at
/// [`sqlx_event_rows`].
#[macro_export]
macro_rules! sqlx_project_list_query {
    ($db:ty, $filter:expr) => {{
        let filter: &$crate::ProjectFilter = $filter;
        let mut query: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
            "SELECT id, version, stage, executor_org_id, planned_end, state FROM project_list WHERE 1 = 1",
        );
        if let Some(stage) = &filter.stage {
            query.push(" AND stage = ").push_bind(stage.clone());
        }
        if let Some(executor) = &filter.executor {
            query
                .push(" AND executor_org_id = ")
                .push_bind(executor.clone());
        }
        // Overdue: still waiting for the executor's self-report after the
        // planned end (see the domain docs).
        match filter.overdue_on {
            Some((true, today)) => {
                query
                    .push(" AND stage IN ('signed', 'returned') AND planned_end < ")
                    .push_bind(today.to_string());
            }
            Some((false, today)) => {
                query
                    .push(" AND NOT (stage IN ('signed', 'returned') AND planned_end < ")
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
