//! The single writer: group commit over one connection.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use granttrail_store::{
    AppendOutcome, AppendRequest, ExpectedVersion, IdempotencyRecord, StoreError, StoredEvent,
    StreamHead, chain, format_instant, now_micros,
};
use sqlx::error::ErrorKind;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

/// One append waiting for the writer, and where to send its answer.
pub(crate) struct Job {
    pub(crate) request: AppendRequest,
    pub(crate) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// Runs until every sender is dropped.
pub(crate) async fn run(
    mut connection: SqliteConnection,
    mut queue: mpsc::Receiver<Job>,
    committed: watch::Sender<i64>,
    max_batch: usize,
) {
    let mut clock = RecordingClock::default();
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        // Everything that queued up while the previous commit was in
        // flight rides on this commit.
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let answers = commit_batch(&mut connection, &batch, &mut clock).await;
        let mut last = None;
        for (job, answer) in batch.drain(..).zip(answers) {
            if let Ok(AppendOutcome::Appended(events)) = &answer {
                last = events.last().map(|e| e.position).max(last);
            }
            // A caller that gave up waiting is no reason to stop.
            let _ = job.reply.send(answer);
        }
        if let Some(position) = last {
            committed.send_if_modified(|current| {
                let newer = position > *current;
                if newer {
                    *current = position;
                }
                newer
            });
        }
    }
}

/// Recorded-at instants never go backwards, even if the wall clock does,
/// so "known at" reads are consistent with commit order.
#[derive(Default)]
struct RecordingClock {
    last: Option<DateTime<Utc>>,
}

impl RecordingClock {
    fn tick(&mut self) -> DateTime<Utc> {
        let now = now_micros();
        let instant = match self.last {
            Some(last) if now < last => last,
            _ => now,
        };
        self.last = Some(instant);
        instant
    }

    fn at_least(&mut self, floor: DateTime<Utc>) {
        if self.last.is_none_or(|last| last < floor) {
            self.last = Some(floor);
        }
    }
}

/// Commits one batch and returns one answer per job, in order.
async fn commit_batch(
    connection: &mut SqliteConnection,
    batch: &[Job],
    clock: &mut RecordingClock,
) -> Vec<Result<AppendOutcome, StoreError>> {
    match try_commit_batch(connection, batch, clock).await {
        Ok(answers) => answers,
        Err(error) => {
            tracing::error!(%error, jobs = batch.len(), "event store commit failed; nothing was written");
            let failure = StoreError::Unavailable(error.to_string());
            batch.iter().map(|_| Err(failure.clone())).collect()
        }
    }
}

async fn try_commit_batch(
    connection: &mut SqliteConnection,
    batch: &[Job],
    clock: &mut RecordingClock,
) -> Result<Vec<Result<AppendOutcome, StoreError>>, sqlx::Error> {
    // BEGIN IMMEDIATE takes the write lock now, so the heads read below
    // cannot change before the commit, even if another process (a CLI
    // import) shares the file.
    let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
    if clock.last.is_none() {
        let last: Option<String> = sqlx::query_scalar("SELECT MAX(recorded_at) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        if let Some(last) = last.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()) {
            clock.at_least(last.with_timezone(&Utc));
        }
    }
    let recorded_at = clock.tick();
    let mut heads: HashMap<Uuid, Option<StreamHead>> = HashMap::new();
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        answers.push(append_one(&mut tx, &job.request, &mut heads, recorded_at).await?);
    }
    tx.commit().await?;
    Ok(answers)
}

/// Writes one append inside the batch's transaction.
///
/// The outer error aborts the whole batch (storage failed); the inner one
/// refuses this append alone. Every check that can refuse an append runs
/// before its first write, so a refused append leaves nothing behind and
/// needs no savepoint.
async fn append_one(
    tx: &mut SqliteConnection,
    request: &AppendRequest,
    heads: &mut HashMap<Uuid, Option<StreamHead>>,
    recorded_at: DateTime<Utc>,
) -> Result<Result<AppendOutcome, StoreError>, sqlx::Error> {
    if let Some(record) = &request.idempotency
        && let Some(previous) = find_idempotency(tx, &record.actor_id, &record.key).await?
    {
        return Ok(Ok(AppendOutcome::AlreadyDone(previous)));
    }
    let head = match heads.get(&request.stream_id) {
        Some(head) => head.clone(),
        None => {
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT version, head_hash FROM streams WHERE stream_id = ?1")
                    .bind(request.stream_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            head.map(|(version, hash)| StreamHead {
                version: version as u64,
                hash,
            })
        }
    };
    let actual = head.as_ref().map_or(0, |h| h.version);
    let matches = match request.expected {
        ExpectedVersion::NoStream => head.is_none(),
        ExpectedVersion::Exact(v) => head.is_some() && actual == v,
    };
    if !matches {
        return Ok(Err(StoreError::VersionConflict {
            stream_id: request.stream_id,
            expected: request.expected.as_u64(),
            actual,
        }));
    }
    if let Some(code) = &request.reserve_code {
        let reserved = sqlx::query("INSERT INTO project_codes (code, stream_id) VALUES (?1, ?2)")
            .bind(code)
            .bind(request.stream_id)
            .execute(&mut *tx)
            .await;
        match reserved {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::UniqueViolation => {
                let holder: Uuid =
                    sqlx::query_scalar("SELECT stream_id FROM project_codes WHERE code = ?1")
                        .bind(code)
                        .fetch_one(&mut *tx)
                        .await?;
                return Ok(Err(StoreError::DuplicateCode {
                    code: code.clone(),
                    holder,
                }));
            }
            Err(other) => return Err(other),
        }
    }

    let mut prev_hash = head.map(|h| h.hash).unwrap_or_default();
    let mut stored = Vec::with_capacity(request.events.len());
    for (offset, new) in request.events.iter().enumerate() {
        let mut event = StoredEvent {
            position: 0,
            stream_id: request.stream_id,
            version: actual + offset as u64 + 1,
            event_id: new.event_id,
            event_type: new.event.event_type.clone(),
            schema_version: new.event.schema_version,
            occurred_on: new.occurred_on,
            recorded_at,
            actor: request.actor.clone(),
            correlation_id: request.correlation_id,
            causation_id: request.causation_id,
            idempotency_key: request.idempotency.as_ref().map(|r| r.key.clone()),
            data: new.event.data.clone(),
            prev_hash: std::mem::take(&mut prev_hash),
            hash: String::new(),
        };
        event.hash = chain::compute_hash(&event);
        event.position = insert_event(tx, &event).await?;
        prev_hash = event.hash.clone();
        stored.push(event);
    }
    let Some(last) = stored.last() else {
        return Ok(Ok(AppendOutcome::Appended(stored)));
    };
    sqlx::query(
        "INSERT INTO streams (stream_id, version, head_hash, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, head_hash = excluded.head_hash",
    )
    .bind(request.stream_id)
    .bind(last.version as i64)
    .bind(&last.hash)
    .bind(format_instant(&recorded_at))
    .execute(&mut *tx)
    .await?;
    heads.insert(
        request.stream_id,
        Some(StreamHead {
            version: last.version,
            hash: last.hash.clone(),
        }),
    );
    if let Some(record) = &request.idempotency {
        sqlx::query(
            "INSERT INTO idempotency (actor_id, key, fingerprint, stream_id, status, etag, body, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&record.actor_id)
        .bind(&record.key)
        .bind(&record.fingerprint)
        .bind(record.stream_id)
        .bind(i64::from(record.status))
        .bind(&record.etag)
        .bind(&record.body)
        .bind(format_instant(&recorded_at))
        .execute(&mut *tx)
        .await?;
    }
    Ok(Ok(AppendOutcome::Appended(stored)))
}

async fn insert_event(tx: &mut SqliteConnection, event: &StoredEvent) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO events (stream_id, version, event_id, event_type, schema_version, occurred_on, \
         recorded_at, actor_id, actor_name, actor_role, actor_org_id, correlation_id, causation_id, \
         idempotency_key, data, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
         RETURNING position",
    )
    .bind(event.stream_id)
    .bind(event.version as i64)
    .bind(event.event_id)
    .bind(&event.event_type)
    .bind(i64::from(event.schema_version))
    .bind(event.occurred_on.to_string())
    .bind(format_instant(&event.recorded_at))
    .bind(&event.actor.id)
    .bind(&event.actor.name)
    .bind(&event.actor.role)
    .bind(&event.actor.org_id)
    .bind(event.correlation_id)
    .bind(event.causation_id)
    .bind(&event.idempotency_key)
    .bind(event.data.to_string())
    .bind(&event.prev_hash)
    .bind(&event.hash)
    .fetch_one(&mut *tx)
    .await
}

/// Reads an idempotency record on any connection.
pub(crate) async fn find_idempotency(
    connection: &mut SqliteConnection,
    actor_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
    type Row = (String, String, String, Uuid, i64, Option<String>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT key, actor_id, fingerprint, stream_id, status, etag, body FROM idempotency \
         WHERE actor_id = ?1 AND key = ?2",
    )
    .bind(actor_id)
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.map(
        |(key, actor_id, fingerprint, stream_id, status, etag, body)| IdempotencyRecord {
            key,
            actor_id,
            fingerprint,
            stream_id,
            status: u16::try_from(status).unwrap_or(200),
            etag,
            body,
        },
    ))
}
