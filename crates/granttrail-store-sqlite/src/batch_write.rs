//! Writing one batch: one transaction, one flush.
//!
//! The planner decides a batch from its [`Bearings`], which come from one
//! of two places:
//!
//! - **The writer's memory** of its last commit (positions, the instant,
//!   the heads it wrote, the list's checkpoint), while no other process has
//!   committed since (`known_heads.rs`) and the batch needs nothing the
//!   memory lacks (no idempotency keys or codes, every stream it extends
//!   remembered). Then the whole transaction — `BEGIN IMMEDIATE`, the
//!   writes, `COMMIT` — is one round trip to SQLite's worker thread.
//! - **The database**, read under the write lock: `BEGIN IMMEDIATE` and
//!   one query for the batch's bearings, then the writes and `COMMIT`.
//!
//! Memory can only be stale if another process committed after it was
//! checked; then the batch's positions or versions collide with that
//! commit's, the transaction rolls back whole, and the batch is decided
//! again from the database. A refusal is only ever answered from the
//! database's bearings, so stale memory never turns into a wrong
//! 409/412. Either way the plan is written by the same [`write`].

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use granttrail_store::{
    AppendOutcome, ExpectedVersion, IdempotencyRecord, PROJECT_LIST, PreparedAppend, StreamHead,
    format_instant,
};
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Either, Sqlite, SqliteConnection};
use uuid::Uuid;

use granttrail_store_sqlx::{PROJECT_LIST_COLUMN_COUNT, PROJECT_LIST_COLUMNS, PROJECT_LIST_UPSERT};

use crate::batch_plan::{Bearings, Plan, plan};
use crate::event_row::{BOUND_PER_ROW, insert_sql};

/// Takes the write lock and reads the bearings, in one statement list.
/// Anonymous parameters, each used once (sqlx numbers a list's anonymous
/// parameters across its statements): the batch's stream ids, its
/// (actor, key) pairs and its codes, each a JSON array.
const BEARINGS_SQL: &str = "BEGIN IMMEDIATE; \
    SELECT 'position', (SELECT seq FROM sqlite_sequence WHERE name = 'events'), NULL, NULL, \
           NULL, NULL, NULL, NULL \
    UNION ALL SELECT 'recorded', NULL, \
           (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1), NULL, NULL, NULL, \
           NULL, NULL \
    UNION ALL SELECT 'checkpoint', position, NULL, NULL, NULL, NULL, NULL, NULL \
           FROM projection_checkpoints WHERE name = 'project_list' \
    UNION ALL SELECT 'head', version, lower(hex(stream_id)), head_hash, NULL, NULL, NULL, NULL \
           FROM streams WHERE stream_id IN (SELECT unhex(value) FROM json_each(?)) \
    UNION ALL SELECT 'key', status, actor_id, key, fingerprint, lower(hex(stream_id)), etag, body \
           FROM idempotency \
           WHERE (actor_id, key) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?)) \
    UNION ALL SELECT 'code', NULL, code, lower(hex(stream_id)), NULL, NULL, NULL, NULL \
           FROM project_codes WHERE code IN (SELECT value FROM json_each(?))";

/// Reserves codes given as one JSON array of `[code, stream id as hex]`.
const INSERT_CODES_SQL: &str = "INSERT OR ROLLBACK INTO project_codes (code, stream_id) \
    SELECT value ->> 0, unhex(value ->> 1) FROM json_each(?)";

/// Keeps idempotency records given as one JSON array of rows.
const INSERT_KEYS_SQL: &str = "INSERT OR ROLLBACK INTO idempotency \
    (actor_id, key, fingerprint, stream_id, status, etag, body, created_at) \
    SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), value ->> 4, \
           value ->> 5, value ->> 6, value ->> 7 FROM json_each(?)";

/// Writes `rows` project-list rows, parameters bound in column order,
/// never moving a row back to an older version (a runner catching up may
/// write after).
fn upsert_project_rows_sql(rows: usize) -> String {
    let one = format!("({})", ["?"; PROJECT_LIST_COLUMN_COUNT].join(","));
    format!(
        "INSERT INTO project_list ({PROJECT_LIST_COLUMNS}) VALUES {}{PROJECT_LIST_UPSERT}",
        vec![one; rows].join(",")
    )
}

/// Moves the project list's checkpoint from where the planner saw it:
/// `?` the new position, `?` the one it must still stand at (a checkpoint
/// moved meanwhile, by another process's runner or a rebuild, stays).
static MOVE_PROJECT_LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO projection_checkpoints (name, position) VALUES ('{PROJECT_LIST}', ?) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position \
         WHERE projection_checkpoints.position = ?"
    )
});

/// Rows per event `INSERT`, largest first: a batch of n events goes in
/// chunks of these sizes, so there are few statement texts, each prepared
/// once and kept in the connection's statement cache.
const CHUNK_SIZES: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// `0..count` in consecutive chunks of [`CHUNK_SIZES`].
fn chunks(count: usize) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < count {
        let size = CHUNK_SIZES
            .into_iter()
            .find(|s| *s <= count - start)
            .unwrap_or(1);
        chunks.push(start..start + size);
        start += size;
    }
    chunks
}

/// A committed batch: its plan, and the bearings it was decided on.
pub(crate) struct Committed {
    pub(crate) plan: Plan,
    pub(crate) bearings: Bearings,
}

impl Committed {
    /// What the writer knows of the file after this commit.
    pub(crate) fn memory(self) -> (Plan, Bearings) {
        let Committed { plan, mut bearings } = self;
        bearings.keys.clear();
        bearings.codes.clear();
        if plan.writes() {
            bearings.last_position = plan.last_position;
            bearings.last_recorded = Some(plan.recorded_at);
        }
        if let Some(step) = plan.project_list_step {
            bearings.project_list_at = Some(step.to);
        }
        if bearings.heads.len() + plan.heads.len() > MEMORY_HEADS {
            // Past its bound the memory starts over; appends to streams it
            // forgot are decided from the database.
            bearings.heads.clear();
        }
        bearings
            .heads
            .extend(plan.heads.iter().map(|(id, head)| (*id, head.clone())));
        (plan, bearings)
    }
}

/// How many stream heads the writer remembers at most.
const MEMORY_HEADS: usize = 100_000;

/// Whether `memory` holds everything the planner needs for `appends`.
fn covers(memory: &Bearings, appends: &[&PreparedAppend]) -> bool {
    appends.iter().all(|append| {
        let request = &append.request;
        request.idempotency.is_none()
            && request.reserve_code.is_none()
            && match request.expected {
                // New streams have fresh time-ordered random ids; if one
                // exists after all, its version 1 collides.
                ExpectedVersion::NoStream => true,
                ExpectedVersion::Exact(_) => memory.heads.contains_key(&request.stream_id),
            }
    })
}

/// Decides and writes one batch (see the module docs); `memory` is the
/// writer's, when no other process has committed since it was learnt.
/// On an error nothing was written (the transaction is rolled back).
pub(crate) async fn commit(
    connection: &mut SqliteConnection,
    appends: &[&PreparedAppend],
    memory: Option<Bearings>,
) -> Result<Committed, sqlx::Error> {
    if let Some(memory) = memory.filter(|m| covers(m, appends)) {
        let plan = plan(appends, &memory, granttrail_store::now_micros());
        if !plan.refuses() {
            match write(&mut *connection, appends, &plan, Begun::No).await {
                Ok(()) => {
                    return Ok(Committed {
                        plan,
                        bearings: memory,
                    });
                }
                Err(error) if refused_by_a_constraint(&error) => {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                    tracing::debug!(%error, "the batch decided from memory collided; deciding it from the database");
                }
                // Anything else (the file locked or unwritable) fails the
                // batch, as it would have from the database.
                Err(error) => {
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
                    return Err(error);
                }
            }
        }
    }
    let result = async {
        let bearings = read_bearings(&mut *connection, appends).await?;
        let plan = plan(appends, &bearings, granttrail_store::now_micros());
        write(&mut *connection, appends, &plan, Begun::Yes).await?;
        Ok(Committed { plan, bearings })
    }
    .await;
    if result.is_err() {
        // An OR ROLLBACK statement may have ended the transaction already;
        // the error to report is the statement's, not the ROLLBACK's.
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
    }
    result
}

/// Whether SQLite refused a row (a unique key, a trigger's check): what a
/// stale memory runs into (SQLITE_CONSTRAINT and its extended codes).
fn refused_by_a_constraint(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e)
        if e.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 19))
}

/// Whether the transaction was begun before [`write`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Begun {
    Yes,
    No,
}

/// One bearings row: kind, then an integer and six texts.
type BearingsRow = (
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn read_bearings(
    connection: &mut SqliteConnection,
    appends: &[&PreparedAppend],
) -> Result<Bearings, sqlx::Error> {
    let streams: Vec<String> = appends
        .iter()
        .map(|a| a.request.stream_id.simple().to_string())
        .collect();
    let keys: Vec<(&str, &str)> = appends
        .iter()
        .filter_map(|a| a.request.idempotency.as_ref())
        .map(|r| (r.actor_id.as_str(), r.key.as_str()))
        .collect();
    let codes: Vec<&str> = appends
        .iter()
        .filter_map(|a| a.request.reserve_code.as_deref())
        .collect();
    let rows: Vec<BearingsRow> = sqlx::query_as(BEARINGS_SQL)
        .bind(json(&streams))
        .bind(json(&keys))
        .bind(json(&codes))
        .fetch_all(&mut *connection)
        .await?;
    let bad = |what: &str| sqlx::Error::Protocol(format!("unreadable bearings row: {what}"));
    let id = |hex: Option<String>| {
        hex.as_deref()
            .and_then(|h| Uuid::try_parse(h).ok())
            .ok_or_else(|| bad("stream id"))
    };
    let mut bearings = Bearings::default();
    for (kind, number, a, b, c, d, e, f) in rows {
        match kind.as_str() {
            "position" => bearings.last_position = number.unwrap_or(0),
            "recorded" => {
                bearings.last_recorded = a
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc));
            }
            "checkpoint" => bearings.project_list_at = number,
            "head" => {
                bearings.heads.insert(
                    id(a)?,
                    StreamHead {
                        version: number.map_or(0, |v| v.max(0) as u64),
                        hash: b.unwrap_or_default(),
                    },
                );
            }
            "key" => {
                let record = IdempotencyRecord::from_row((
                    b.unwrap_or_default(),
                    a.unwrap_or_default(),
                    c.unwrap_or_default(),
                    id(d)?,
                    number.unwrap_or_default(),
                    e,
                    f.unwrap_or_default(),
                ))
                .map_err(crate::corrupt)?;
                bearings
                    .keys
                    .insert((record.actor_id.clone(), record.key.clone()), record);
            }
            "code" => {
                let code = a.unwrap_or_default().to_ascii_lowercase();
                bearings.codes.insert(code, id(b)?);
            }
            other => return Err(bad(other)),
        }
    }
    Ok(bearings)
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

/// The write: every statement of the plan and `COMMIT`, in one list. If
/// any statement fails, the ones after it (the `COMMIT`) do not run.
async fn write(
    connection: &mut SqliteConnection,
    appends: &[&PreparedAppend],
    plan: &Plan,
    begun: Begun,
) -> Result<(), sqlx::Error> {
    if !plan.writes() {
        if begun == Begun::Yes {
            sqlx::raw_sql("COMMIT").execute(&mut *connection).await?;
        }
        return Ok(());
    }
    let recorded_at = format_instant(&plan.recorded_at);
    let mut statements: Vec<String> = Vec::with_capacity(8);
    if begun == Begun::No {
        statements.push("BEGIN IMMEDIATE".to_owned());
    }
    let mut arguments = SqliteArguments::default();
    let mut rows = 0;
    for (append, answer) in appends.iter().zip(&plan.answers) {
        if let Ok(AppendOutcome::Appended(events)) = answer {
            for (event, data) in events.iter().zip(append.data_json()) {
                bind_event(&mut arguments, event, data, &recorded_at)?;
                rows += 1;
            }
        }
    }
    for chunk in chunks(rows) {
        statements.push(insert_sql(chunk.len()));
    }
    if !plan.codes.is_empty() {
        let codes: Vec<(&str, String)> = plan
            .codes
            .iter()
            .map(|(code, stream)| (code.as_str(), stream.simple().to_string()))
            .collect();
        statements.push(INSERT_CODES_SQL.to_owned());
        add(&mut arguments, json(&codes))?;
    }
    if !plan.records.is_empty() {
        statements.push(INSERT_KEYS_SQL.to_owned());
        add(&mut arguments, keys_json(&plan.records, &recorded_at))?;
    }
    let project_rows: Vec<_> = plan
        .project_rows
        .iter()
        .filter_map(|index| appends[*index].request.project_row.as_ref())
        .collect();
    for chunk in chunks(project_rows.len()) {
        statements.push(upsert_project_rows_sql(chunk.len()));
        for row in &project_rows[chunk] {
            add(&mut arguments, row.id)?;
            add(&mut arguments, row.version as i64)?;
            add(&mut arguments, row.stage.clone())?;
            add(&mut arguments, row.executor_org_id.clone())?;
            add(&mut arguments, row.planned_end.to_string())?;
            add(&mut arguments, row.overdue_from.map(|d| d.to_string()))?;
            add(&mut arguments, row.signed_on.to_string())?;
            add(&mut arguments, row.search_text.clone())?;
            add(&mut arguments, row.unresolved_flags as i64)?;
            add(&mut arguments, row.state.as_str().to_owned())?;
        }
    }
    if let Some(step) = plan.project_list_step {
        statements.push(MOVE_PROJECT_LIST_SQL.clone());
        add(&mut arguments, step.to)?;
        add(&mut arguments, step.from)?;
    }
    statements.push("COMMIT".to_owned());
    if begun == Begun::No && statements.len() == 3 {
        // `BEGIN`, one statement, `COMMIT`: the statement alone is its own
        // transaction. Every statement's result is handed back from
        // SQLite's worker thread, and each hand-off can be a thread
        // wake-up; a lone command writes exactly one statement.
        statements = vec![statements.swap_remove(1)];
    }
    let query = sqlx::query_with::<Sqlite, _>(AssertSqlSafe(statements.join("; ")), arguments);
    // Done once every statement has reported done, without waiting for
    // SQLite's thread to also close the result channel.
    let mut results = sqlx::Executor::fetch_many(&mut *connection, query);
    let mut done = 0;
    while done < statements.len() {
        use futures_util::TryStreamExt;
        match results.try_next().await? {
            Some(Either::Left(_)) => done += 1,
            Some(Either::Right(_)) => {}
            None => {
                return Err(sqlx::Error::Protocol(format!(
                    "SQLite reported {done} of {} statements done",
                    statements.len()
                )));
            }
        }
    }
    Ok(())
}

fn add<'q, T>(arguments: &mut SqliteArguments, value: T) -> Result<(), sqlx::Error>
where
    T: sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + 'q,
{
    sqlx::Arguments::add(arguments, value).map_err(sqlx::Error::Encode)
}

/// Binds one event's [`BOUND_PER_ROW`] values in column order.
fn bind_event(
    arguments: &mut SqliteArguments,
    e: &granttrail_store::StoredEvent,
    data: &str,
    recorded_at: &str,
) -> Result<(), sqlx::Error> {
    add(arguments, e.position)?;
    add(arguments, e.stream_id)?;
    add(arguments, e.version as i64)?;
    add(arguments, e.event_id)?;
    add(arguments, e.event_type.clone())?;
    add(arguments, i64::from(e.schema_version))?;
    add(arguments, e.occurred_on.to_string())?;
    add(arguments, recorded_at.to_owned())?;
    add(arguments, e.actor.id.clone())?;
    add(arguments, e.actor.name.clone())?;
    add(arguments, e.actor.role.clone())?;
    add(arguments, e.actor.org_id.clone())?;
    add(arguments, e.correlation_id)?;
    add(arguments, e.causation_id)?;
    add(arguments, e.idempotency_key.clone())?;
    add(arguments, data.to_owned())?;
    add(arguments, e.prev_hash.clone())?;
    add(arguments, e.hash.clone())?;
    debug_assert_eq!(BOUND_PER_ROW, 18);
    Ok(())
}

/// The rows of [`INSERT_KEYS_SQL`], as its JSON parameter.
fn keys_json(records: &[IdempotencyRecord], created_at: &str) -> String {
    let rows: Vec<serde_json::Value> = records
        .iter()
        .map(|record| {
            serde_json::json!([
                record.actor_id,
                record.key,
                record.fingerprint,
                record.stream_id.simple().to_string(),
                record.status,
                record.etag,
                record.body,
                created_at,
            ])
        })
        .collect();
    json(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_goes_in_few_statement_shapes_covering_every_row_once() {
        for count in [0, 1, 3, 64, 100, 513] {
            let chunks = chunks(count);
            assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), count);
            assert!(chunks.windows(2).all(|w| w[0].end == w[1].start));
            assert!(chunks.iter().all(|c| CHUNK_SIZES.contains(&c.len())));
        }
        assert_eq!(chunks(100).len(), 3, "64 + 32 + 4");
    }
}
