//! Appending: one writer per store commits the appends queued while its
//! previous transaction was in flight, together.
//!
//! Every append's commit — its WAL flush — happens under the position lock
//! that keeps the global order gap-free (see the crate docs), so appends
//! committed one by one are serialised at one flush each, across all
//! servers. A batch carries many appends through one lock and one flush.
//!
//! A batch first checks each append under a savepoint, in stream-id order
//! (every server locks stream rows in the same order, so two batches
//! cannot deadlock on them): idempotency record, stream claim and row
//! lock, expected version, code reservation. A refused append is rolled
//! back to its savepoint and answered alone. Then, under the position lock,
//! the accepted appends are written in queue order, and the batch commits
//! once. If the batch fails as a whole (say another server took a key or
//! a code meanwhile), each append is run again on its own.

use std::collections::HashSet;

use granttrail_store::{
    AppendOutcome, AppendRequest, ExpectedVersion, IdempotencyRecord, PreparedAppend, StoreError,
    StoredEvent, StreamHead, format_instant, now_micros,
};
use sqlx::PgConnection;
use sqlx::postgres::PgPool;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use granttrail_store_sqlx::{PROJECT_LIST_COLUMNS, PROJECT_LIST_UPSERT};

use crate::{POSITION_LOCK, find_idempotency, is_unique_violation, unavailable};

/// Appends one batch may carry at most.
const MAX_BATCH: usize = 256;

/// One append waiting for the writer, and where to send its answer.
pub(crate) struct Job {
    /// Prepared by the caller (see [`AppendRequest::prepare`]).
    pub(crate) append: PreparedAppend,
    pub(crate) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// Where a server reads the time.
pub type Clock = fn() -> chrono::DateTime<chrono::Utc>;

/// Runs until every sender is dropped.
pub(crate) async fn run(
    pool: PgPool,
    channel: String,
    committed: watch::Sender<i64>,
    mut queue: mpsc::Receiver<Job>,
    clock: Clock,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let appends: Vec<&PreparedAppend> = batch.iter().map(|job| &job.append).collect();
        let answers = append_batch(&pool, &channel, &appends, clock).await;
        for (job, answer) in batch.drain(..).zip(answers) {
            if let Ok(AppendOutcome::Appended(events)) = &answer
                && let Some(last) = events.last()
            {
                granttrail_store::advance_committed(&committed, last.position);
            }
            // A caller that gave up waiting is no reason to stop.
            let _ = job.reply.send(answer);
        }
    }
}

async fn append_batch(
    pool: &PgPool,
    channel: &str,
    appends: &[&PreparedAppend],
    clock: Clock,
) -> Vec<Result<AppendOutcome, StoreError>> {
    if let [one] = appends {
        return vec![append_one(pool, channel, one, clock).await];
    }
    match try_batch(pool, channel, appends, clock).await {
        Ok(answers) => answers,
        Err(error) => {
            tracing::debug!(%error, appends = appends.len(), "batch failed; appending one by one");
            let mut answers = Vec::with_capacity(appends.len());
            for append in appends {
                answers.push(append_one(pool, channel, append, clock).await);
            }
            answers
        }
    }
}

/// What the checks of one append found.
enum Checked {
    /// A retry: the first answer, and nothing to write.
    AlreadyDone(IdempotencyRecord),
    /// Accepted; the stream's head before it (row locked until commit).
    Accepted(Option<StreamHead>),
    /// Refused.
    Refused(StoreError),
    /// Its project code is taken (the caller names the holder once the
    /// failed insert is rolled back).
    CodeTaken(String),
}

/// The checks of one append, all before it draws a position.
async fn check(tx: &mut PgConnection, request: &AppendRequest) -> Result<Checked, sqlx::Error> {
    if let Some(record) = &request.idempotency
        && let Some(previous) = find_idempotency(tx, &record.actor_id, &record.key).await?
    {
        return Ok(Checked::AlreadyDone(previous));
    }
    if request.expected == ExpectedVersion::NoStream {
        // Claims the stream; a concurrent creator makes this wait, then
        // insert nothing.
        let claimed = sqlx::query(
            "INSERT INTO streams (stream_id, version, head_hash, created_at) VALUES ($1, 0, '', $2) \
             ON CONFLICT (stream_id) DO NOTHING",
        )
        .bind(request.stream_id)
        .bind(format_instant(&now_micros()))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            let actual: i64 =
                sqlx::query_scalar("SELECT version FROM streams WHERE stream_id = $1")
                    .bind(request.stream_id)
                    .fetch_one(&mut *tx)
                    .await?;
            return Ok(Checked::Refused(conflict(request, actual)));
        }
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT version, head_hash FROM streams WHERE stream_id = $1 FOR UPDATE")
            .bind(request.stream_id)
            .fetch_optional(&mut *tx)
            .await?;
    let actual = head.as_ref().map_or(0, |h| h.0);
    let matches = match request.expected {
        ExpectedVersion::NoStream => actual == 0,
        ExpectedVersion::Exact(v) => head.is_some() && actual as u64 == v && v > 0,
    };
    if !matches {
        return Ok(Checked::Refused(conflict(request, actual)));
    }
    if let Some(code) = &request.reserve_code {
        let reserved = sqlx::query("INSERT INTO project_codes (code, stream_id) VALUES ($1, $2)")
            .bind(code)
            .bind(request.stream_id)
            .execute(&mut *tx)
            .await;
        match reserved {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(Checked::CodeTaken(code.clone())),
            Err(e) => return Err(e),
        }
    }
    // A claimed stream's row says version 0: no head yet.
    Ok(Checked::Accepted(head.filter(|h| h.0 > 0).map(
        |(version, hash)| StreamHead {
            version: version as u64,
            hash,
        },
    )))
}

async fn code_holder(connection: &mut PgConnection, code: &str) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar("SELECT stream_id FROM project_codes WHERE lower(code) = lower($1)")
        .bind(code)
        .fetch_one(connection)
        .await
}

/// Writes one accepted append's events, moves its head and records its
/// idempotency answer. Must run under the position lock.
async fn write(
    tx: &mut PgConnection,
    append: &PreparedAppend,
    head: Option<StreamHead>,
    recorded_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let request = &append.request;
    let mut stored = append.stored_events(head, recorded_at, 0);
    let recorded_text = format_instant(&recorded_at);
    // The data's JSON text was serialised by the caller (`prepare`).
    for (event, data) in stored.iter_mut().zip(append.data_json()) {
        event.position = sqlx::query_scalar(
            "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, occurred_on, \
             recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, causation_id, \
             idempotency_key, data, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING position",
        )
        .bind(event.stream_id)
        .bind(event.version as i64)
        .bind(event.event_id)
        .bind(&event.event_type)
        .bind(event.schema_version as i32)
        .bind(event.occurred_on.to_string())
        .bind(&recorded_text)
        .bind(&event.actor.id)
        .bind(&event.actor.name)
        .bind(&event.actor.role)
        .bind(&event.actor.org_id)
        .bind(event.correlation_id)
        .bind(event.causation_id)
        .bind(&event.idempotency_key)
        .bind(data)
        .bind(&event.prev_hash)
        .bind(&event.hash)
        .fetch_one(&mut *tx)
        .await?;
    }
    if let Some(last) = stored.last() {
        sqlx::query("UPDATE streams SET version = $2, head_hash = $3 WHERE stream_id = $1")
            .bind(request.stream_id)
            .bind(last.version as i64)
            .bind(&last.hash)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(record) = &request.idempotency {
        sqlx::query(
            "INSERT INTO idempotency (actor_id, key, fingerprint, stream_id, status, etag, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.actor_id)
        .bind(&record.key)
        .bind(&record.fingerprint)
        .bind(record.stream_id)
        .bind(i32::from(record.status))
        .bind(&record.etag)
        .bind(&record.body)
        .bind(format_instant(&recorded_at))
        .execute(&mut *tx)
        .await?;
    }
    // The project list's row moves with its events (forward only). Its
    // checkpoint is left to the runner: positions from several servers
    // become visible in an order no single append can know.
    if let Some(row) = &request.project_row {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO project_list ({PROJECT_LIST_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10){PROJECT_LIST_UPSERT}"
        )))
        .bind(row.id)
        .bind(row.version as i64)
        .bind(&row.stage)
        .bind(&row.executor_org_id)
        .bind(row.planned_end.to_string())
        .bind(row.overdue_from.map(|d| d.to_string()))
        .bind(row.signed_on.to_string())
        .bind(&row.search_text)
        .bind(row.unresolved_flags as i64)
        .bind(row.state.as_str())
        .execute(&mut *tx)
        .await?;
    }
    Ok(stored)
}

/// The instant a commit is recorded at: the server's clock, but never
/// before the log's newest event. Read under the position lock, so the
/// newest event is the last one committed: instants never go back along
/// the log, even between servers whose clocks disagree.
async fn recorded_now(
    tx: &mut PgConnection,
    clock: Clock,
) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
    let newest: Option<String> =
        sqlx::query_scalar("SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let now = clock();
    Ok(newest
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(&text).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .filter(|newest| *newest > now)
        .unwrap_or(now))
}

/// Takes the position lock: from the first position drawn to the commit,
/// positions become visible in order, so no follower can pass a position
/// that is still to come (see the crate docs).
async fn lock_positions(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(POSITION_LOCK)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Wakes every server's followers at commit (delivered in commit order).
async fn notify(tx: &mut PgConnection, channel: &str, position: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(position.to_string())
        .execute(tx)
        .await
        .map(|_| ())
}

async fn try_batch(
    pool: &PgPool,
    channel: &str,
    appends: &[&PreparedAppend],
    clock: Clock,
) -> Result<Vec<Result<AppendOutcome, StoreError>>, sqlx::Error> {
    let requests: Vec<&AppendRequest> = appends.iter().map(|a| &a.request).collect();
    let mut answers: Vec<Option<Result<AppendOutcome, StoreError>>> =
        requests.iter().map(|_| None).collect();
    // A second append to a stream, or a key used twice, waits for this
    // batch and goes alone.
    let mut streams = HashSet::new();
    let mut keys = HashSet::new();
    let mut together = Vec::new();
    let mut later = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let key_free = request
            .idempotency
            .as_ref()
            .is_none_or(|k| keys.insert((k.actor_id.as_str(), k.key.as_str())));
        if streams.insert(request.stream_id) && key_free {
            together.push(i);
        } else {
            later.push(i);
        }
    }
    together.sort_by_key(|&i| requests[i].stream_id);

    let mut tx = pool.begin().await?;
    let mut accepted = Vec::new();
    for &i in &together {
        sqlx::query("SAVEPOINT append").execute(&mut *tx).await?;
        let checked = check(&mut tx, requests[i]).await?;
        let keep = matches!(checked, Checked::AlreadyDone(_) | Checked::Accepted(_));
        let end = if keep {
            "RELEASE SAVEPOINT append"
        } else {
            "ROLLBACK TO SAVEPOINT append"
        };
        sqlx::query(sqlx::AssertSqlSafe(end))
            .execute(&mut *tx)
            .await?;
        match checked {
            Checked::AlreadyDone(previous) => {
                answers[i] = Some(Ok(AppendOutcome::AlreadyDone(previous)));
            }
            Checked::Accepted(head) => accepted.push((i, head)),
            Checked::Refused(refusal) => answers[i] = Some(Err(refusal)),
            Checked::CodeTaken(code) => {
                let holder = code_holder(&mut tx, &code).await?;
                answers[i] = Some(Err(StoreError::DuplicateCode { code, holder }));
            }
        }
    }
    if !accepted.is_empty() {
        accepted.sort_by_key(|(i, _)| *i);
        lock_positions(&mut tx).await?;
        let recorded_at = recorded_now(&mut tx, clock).await?;
        let mut last_position = 0;
        for (i, head) in accepted {
            let stored = write(&mut tx, appends[i], head, recorded_at).await?;
            last_position = stored.last().map_or(last_position, |e| e.position);
            answers[i] = Some(Ok(AppendOutcome::Appended(stored)));
        }
        notify(&mut tx, channel, last_position).await?;
    }
    tx.commit().await?;
    for i in later {
        answers[i] = Some(append_one(pool, channel, appends[i], clock).await);
    }
    Ok(answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Err(StoreError::unavailable("append left unanswered")))
        })
        .collect())
}

/// One append in a transaction of its own.
async fn append_one(
    pool: &PgPool,
    channel: &str,
    append: &PreparedAppend,
    clock: Clock,
) -> Result<AppendOutcome, StoreError> {
    let request = &append.request;
    match try_one(pool, channel, append, clock).await {
        Ok(outcome) => outcome,
        // Two creators of one stream, or a racing version: the unique
        // index decided. Report the version the winner left.
        Err(e) if is_unique_violation(&e) => {
            let actual: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM streams WHERE stream_id = $1 AND version > 0",
            )
            .bind(request.stream_id)
            .fetch_optional(pool)
            .await
            .map_err(unavailable)?;
            Err(conflict(request, actual.unwrap_or(0)))
        }
        Err(e) => Err(unavailable(e)),
    }
}

async fn try_one(
    pool: &PgPool,
    channel: &str,
    append: &PreparedAppend,
    clock: Clock,
) -> Result<Result<AppendOutcome, StoreError>, sqlx::Error> {
    let request = &append.request;
    let mut tx = pool.begin().await?;
    let head = match check(&mut tx, request).await? {
        Checked::AlreadyDone(previous) => return Ok(Ok(AppendOutcome::AlreadyDone(previous))),
        Checked::Refused(refusal) => return Ok(Err(refusal)),
        Checked::CodeTaken(code) => {
            drop(tx);
            let mut connection = pool.acquire().await?;
            let holder = code_holder(&mut connection, &code).await?;
            return Ok(Err(StoreError::DuplicateCode { code, holder }));
        }
        Checked::Accepted(head) => head,
    };
    lock_positions(&mut tx).await?;
    let recorded_at = recorded_now(&mut tx, clock).await?;
    let stored = match write(&mut tx, append, head, recorded_at).await {
        Ok(stored) => stored,
        Err(e) if is_unique_violation(&e) && request.idempotency.is_some() => {
            // Another request with this key committed first.
            drop(tx);
            let Some(record) = &request.idempotency else {
                return Err(e);
            };
            let mut connection = pool.acquire().await?;
            return Ok(
                match find_idempotency(&mut connection, &record.actor_id, &record.key).await? {
                    Some(previous) => Ok(AppendOutcome::AlreadyDone(previous)),
                    None => Err(StoreError::IdempotencyRace {
                        key: record.key.clone(),
                    }),
                },
            );
        }
        Err(e) => return Err(e),
    };
    if let Some(last) = stored.last() {
        notify(&mut tx, channel, last.position).await?;
    }
    tx.commit().await?;
    Ok(Ok(AppendOutcome::Appended(stored)))
}

fn conflict(request: &AppendRequest, actual: i64) -> StoreError {
    StoreError::VersionConflict {
        stream_id: request.stream_id,
        expected: request.expected.as_u64(),
        actual: actual.max(0) as u64,
    }
}
