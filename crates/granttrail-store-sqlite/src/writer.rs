//! The single writer: group commit over one connection.
//!
//! Every batch is one transaction and one fsync. Two ways to write it:
//!
//! - **The prepared path**, when the writer's cache already knows every
//!   stream of the batch (or the append creates a new stream) and the last
//!   position: it checks each append against the cache, builds the events,
//!   and sends one statement list — `BEGIN IMMEDIATE`, the events, the code
//!   reservations and the idempotency records (each one `INSERT … FROM
//!   json_each`), `COMMIT` — in a single round trip to SQLite's thread.
//!   The cache can only be wrong if another process wrote the file; then
//!   its versions, positions, codes or keys collide with what that process
//!   wrote, a unique constraint refuses the whole list, nothing is written,
//!   and the writer takes the checked path for the same batch.
//! - **The checked path** begins the transaction and reads its bearings
//!   (data version, last position), reads what the cache lacks, runs the
//!   per-append checks in the database (idempotency records, code
//!   reservations), inserts every accepted event with one statement and
//!   commits. A refused append is answered alone; its neighbours commit.
//!
//! Each round trip to SQLite's worker thread costs a pair of thread
//! wake-ups, which on a small machine cost more than SQLite's own work for
//! a small batch; hence one round trip in the common case. Stream heads
//! move by trigger.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use granttrail_store::{
    AppendOutcome, AppendRequest, ExpectedVersion, IdempotencyRecord, PreparedAppend, StoreError,
    StoredEvent, StreamHead, format_instant, now_micros,
};
use granttrail_store::{CheckpointStep, IdempotencyColumns, ProjectRow, Saved};
use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Either, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::file_guard::FileGuard;
use crate::projection_save::save_without_fsync;
use crate::recovery::{is_read_only, probe_write, rescue};

/// The statement that inserts idempotency records given as its one
/// parameter, a JSON array of rows (see [`idempotency_rows_json`]); keyed
/// commands are few, so one parameter for them all is simplest.
const INSERT_IDEMPOTENCY_SQL: &str = "INSERT OR ROLLBACK INTO idempotency \
    (actor_id, key, fingerprint, stream_id, status, etag, body, created_at) \
    SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), value ->> 4, \
           value ->> 5, value ->> 6, value ->> 7 FROM json_each(?)";

/// The statement that reserves project codes given as its one parameter,
/// a JSON array of `[code, stream id as hex]`.
const INSERT_CODES_SQL: &str = "INSERT OR ROLLBACK INTO project_codes (code, stream_id) \
    SELECT value ->> 0, unhex(value ->> 1) FROM json_each(?)";

/// Projection rows and their checkpoint, to be written by the writer.
///
/// Projection writes share the writer's connection, so they never wait
/// for SQLite's write lock (and its busy handler's millisecond sleeps)
/// against the appends of this process; they commit between batches.
pub(crate) struct SaveJob {
    pub(crate) projection: String,
    pub(crate) rows: Vec<ProjectRow>,
    pub(crate) step: CheckpointStep,
    pub(crate) reply: oneshot::Sender<Result<Saved, StoreError>>,
}

/// One append waiting for the writer, and where to send its answer.
pub(crate) struct Job {
    /// Prepared by the caller (see [`AppendRequest::prepare`]).
    pub(crate) append: PreparedAppend,
    pub(crate) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// Heads of streams this writer has seen, valid while no other connection
/// writes the file (checked per batch with `PRAGMA data_version`).
#[derive(Default)]
struct HeadCache {
    data_version: Option<i64>,
    heads: HashMap<Uuid, Option<StreamHead>>,
    /// Recorded-at of the last event; instants never go backwards, even if
    /// the wall clock does, so "known at" reads agree with commit order.
    last_recorded: Option<DateTime<Utc>>,
    /// The position the next event gets, as of this writer's last commit.
    next_position: Option<i64>,
}

/// Bounds the cache; past it the cache starts over (heads are re-read).
const MAX_CACHED_HEADS: usize = 100_000;

impl HeadCache {
    fn invalidate(&mut self) {
        self.data_version = None;
        self.heads.clear();
        self.next_position = None;
    }

    fn tick(&mut self) -> DateTime<Utc> {
        let now = now_micros();
        let instant = match self.last_recorded {
            Some(last) if now < last => last,
            _ => now,
        };
        self.last_recorded = Some(instant);
        instant
    }
}

/// A request to prove the database can be written now (readiness).
pub(crate) type ProbeJob = oneshot::Sender<Result<(), StoreError>>;

/// What the writer shares with the store around it.
pub(crate) struct Shared {
    /// The last committed position, for followers.
    pub(crate) committed: watch::Sender<i64>,
    /// Callers inside `append` (see [`gather`]).
    pub(crate) waiting: Arc<AtomicUsize>,
    /// The database and WAL files as opened.
    pub(crate) guard: Arc<FileGuard>,
    /// How to open the writing connection again: SQLite opens a file it
    /// may not write read-only, and that connection stays read-only after
    /// the file becomes writable.
    pub(crate) options: SqliteConnectOptions,
}

/// Runs until every sender is dropped.
pub(crate) async fn run(
    mut connection: SqliteConnection,
    mut queue: mpsc::Receiver<Job>,
    mut saves: mpsc::Receiver<SaveJob>,
    mut probes: mpsc::Receiver<ProbeJob>,
    mut log_writes: mpsc::Receiver<crate::log::LogJob>,
    shared: Shared,
    max_batch: usize,
) {
    let Shared {
        committed,
        waiting,
        guard,
        ..
    } = &shared;
    let mut cache = HeadCache::default();
    // Set when SQLite refused a write as read-only: the next write opens
    // the connection again first.
    let mut reopen = false;
    // Whether the connection may be below `synchronous=FULL`: a projection
    // save lowered it since the last event commit (or nobody knows yet).
    let mut lowered = true;
    let mut batch = Vec::with_capacity(max_batch);
    // The files are also looked at while no one writes, so a deleted WAL
    // is noticed (and its commits rescued) even on an idle server.
    let mut watch_files = tokio::time::interval(std::time::Duration::from_secs(1));
    watch_files.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rescued = false;
    loop {
        // Appends first: projections can always catch up a moment later.
        let first = tokio::select! {
            biased;
            job = queue.recv() => match job {
                Some(job) => job,
                None => break,
            },
            _ = watch_files.tick(), if !rescued => {
                if guard.check().is_err() {
                    rescued = rescue(&mut connection).await;
                }
                continue;
            }
            job = log_writes.recv() => {
                if let Some(job) = job {
                    // It sets `synchronous` itself; the next event commit
                    // restores FULL.
                    lowered = true;
                    if reopen {
                        reopen = !reconnect(&mut connection, &shared, &mut cache, &mut lowered).await;
                    }
                    let result = match guard.check() {
                        Ok(()) => crate::log::write(&mut connection, &job.write).await,
                        Err(why) => Err(StoreError::Unavailable(why)),
                    };
                    // A transaction that failed part-way (an I/O error at
                    // COMMIT) can leave the connection inside it: start
                    // over on a fresh one rather than trust it.
                    reopen |= result.is_err();
                    let _ = job.reply.send(result);
                }
                continue;
            }
            probe = probes.recv() => {
                if let Some(reply) = probe {
                    if reopen {
                        reopen = !reconnect(&mut connection, &shared, &mut cache, &mut lowered).await;
                    }
                    let result = match guard.check() {
                        Err(why) => Err(why),
                        Ok(()) => probe_write(&mut connection).await.map_err(|e| {
                            reopen |= is_read_only(&e);
                            e.to_string()
                        }),
                    };
                    let _ = reply.send(result.map_err(StoreError::Unavailable));
                }
                continue;
            }
            save = saves.recv() => {
                if let Some(save) = save {
                    lowered = true;
                    if reopen {
                        reopen = !reconnect(&mut connection, &shared, &mut cache, &mut lowered).await;
                    }
                    let result = match guard.check() {
                        Ok(()) => save_without_fsync(&mut connection, &save).await,
                        Err(why) => Err(StoreError::Unavailable(why)),
                    };
                    // See the log write above: a failed save may leave the
                    // connection inside its transaction.
                    reopen |= result.is_err();
                    let _ = save.reply.send(result);
                }
                continue;
            }
        };
        batch.push(first);
        gather(&mut queue, &mut batch, max_batch, waiting).await;
        if reopen {
            reopen = !reconnect(&mut connection, &shared, &mut cache, &mut lowered).await;
        }
        // The files are checked before the commit (nothing goes into a
        // deleted WAL) and after it, before anyone is told: a commit that
        // raced a deletion is not acknowledged (its outcome is unknown).
        let answers = match guard.check() {
            Err(why) => refuse_all(&batch, &why),
            Ok(()) => match commit_batch(&mut connection, &batch, &mut cache, &mut lowered).await {
                Ok(answers) => match guard.check() {
                    Ok(()) => answers,
                    Err(why) => refuse_all(
                        &batch,
                        &format!("the outcome of this commit is unknown: {why}"),
                    ),
                },
                Err(error) => {
                    cache.invalidate();
                    reopen |= is_read_only(&error);
                    tracing::error!(%error, jobs = batch.len(), "event store commit failed; nothing was written");
                    refuse_all(&batch, &error.to_string())
                }
            },
        };
        if !rescued && guard.check().is_err() {
            rescued = rescue(&mut connection).await;
        }
        let mut last = None;
        for (job, answer) in batch.drain(..).zip(answers) {
            if let Ok(AppendOutcome::Appended(events)) = &answer {
                last = events.last().map(|e| e.position).max(last);
            }
            // A caller that gave up waiting is no reason to stop.
            let _ = job.reply.send(answer);
        }
        if let Some(position) = last {
            granttrail_store::advance_committed(committed, position);
        }
    }
}

/// Opens the writing connection again; true once it did. Whatever the
/// writer remembered about the file is forgotten with the old one.
async fn reconnect(
    connection: &mut SqliteConnection,
    shared: &Shared,
    cache: &mut HeadCache,
    lowered: &mut bool,
) -> bool {
    match shared.options.connect().await {
        Ok(fresh) => {
            tracing::info!("opened the database for writing again");
            *connection = fresh;
            cache.invalidate();
            *lowered = true;
            true
        }
        Err(error) => {
            tracing::warn!(%error, "the database still cannot be opened for writing");
            false
        }
    }
}

/// The same refusal for every append of a batch.
fn refuse_all(batch: &[Job], why: &str) -> Vec<Result<AppendOutcome, StoreError>> {
    let failure = StoreError::Unavailable(why.to_owned());
    batch.iter().map(|_| Err(failure.clone())).collect()
}

/// How long the writer waits for callers it expects back before it
/// commits without them.
const LINGER: std::time::Duration = std::time::Duration::from_micros(300);

/// Takes everything that queued up while the previous commit was in
/// flight, and waits briefly for callers that are on their way.
///
/// `waiting` counts callers inside `append` (incremented before they queue
/// a job, decremented once answered). A caller that has entered `append`
/// but whose job is not queued yet is about to send it; committing without
/// it makes small batches, one fsync for a handful of appends. So the
/// writer waits until every waiting caller's job is in the batch, yielding
/// to let them run, for at most [`LINGER`]. A lone caller is already in
/// the batch and never waits. Tokio's timers are too coarse (1 ms) for
/// this, hence the yield loop with a deadline.
async fn gather(
    queue: &mut mpsc::Receiver<Job>,
    batch: &mut Vec<Job>,
    max_batch: usize,
    waiting: &AtomicUsize,
) {
    let started = std::time::Instant::now();
    loop {
        let target = waiting.load(Ordering::Acquire).clamp(1, max_batch);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if batch.len() >= target || started.elapsed() >= LINGER {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// What an accepted append will write once the batch's checks are done.
struct Accepted {
    events: Vec<StoredEvent>,
}

/// Commits one batch and returns one answer per job, in order.
async fn commit_batch(
    connection: &mut SqliteConnection,
    batch: &[Job],
    cache: &mut HeadCache,
    lowered: &mut bool,
) -> Result<Vec<Result<AppendOutcome, StoreError>>, sqlx::Error> {
    if let Some(prepared) = Prepared::from_cache(batch, cache) {
        match prepared.write(connection, batch, *lowered).await {
            Ok(()) => {
                *lowered = false;
                return Ok(prepared.commit_to(cache));
            }
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
                cache.invalidate();
                // A collision means another process wrote the file since
                // this writer's last commit (or took a code or key
                // meanwhile): nothing was written; check every append
                // against the database. Anything else (the file is locked
                // or unwritable) fails the batch, as the checked path would.
                if !is_collision(&error) {
                    return Err(error);
                }
                tracing::debug!(%error, "the prepared batch collided; checking each append");
            }
        }
    }
    checked_batch(connection, batch, cache).await
}

/// Whether `error` is a unique or primary-key constraint refusing a row.
fn is_collision(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.kind() == ErrorKind::UniqueViolation)
}

/// A batch written from the cache alone: its answers and its rows.
struct Prepared {
    answers: Vec<Result<AppendOutcome, StoreError>>,
    moved: HashMap<Uuid, Option<StreamHead>>,
    next_position: i64,
    /// The code reservations as a JSON array, if any.
    codes: Option<String>,
    /// The idempotency records as a JSON array, if any.
    records: Option<String>,
}

impl Prepared {
    /// The batch checked against the cache, or `None` when the cache
    /// cannot answer for it (a stream it has not seen that the append
    /// expects to exist, no known last position, a key or code used twice
    /// in the batch): the checked path decides those.
    fn from_cache(batch: &[Job], cache: &mut HeadCache) -> Option<Prepared> {
        let mut next_position = cache.next_position?;
        let mut moved: HashMap<Uuid, Option<StreamHead>> = HashMap::new();
        let mut keys = std::collections::HashSet::new();
        let mut codes = Vec::new();
        let mut records = Vec::new();
        let mut answers = Vec::with_capacity(batch.len());
        let recorded_at = cache.tick();
        for job in batch {
            let request = &job.append.request;
            let head = match moved
                .get(&request.stream_id)
                .or_else(|| cache.heads.get(&request.stream_id))
            {
                Some(head) => head.clone(),
                // New streams have new (time-ordered, random) ids; if this
                // one exists after all, version 1 collides.
                None if request.expected == ExpectedVersion::NoStream => None,
                None => return None,
            };
            let matches = match request.expected {
                ExpectedVersion::NoStream => head.is_none(),
                ExpectedVersion::Exact(v) => head.as_ref().is_some_and(|h| h.version == v),
            };
            if !matches {
                // The cache may be behind another process: only the
                // database can say a version is taken.
                return None;
            }
            if let Some(record) = &request.idempotency {
                if !keys.insert((record.actor_id.clone(), record.key.clone())) {
                    return None;
                }
                records.push(record.clone());
            }
            if let Some(code) = &request.reserve_code {
                if codes.iter().any(|(c, _)| c == code) {
                    return None;
                }
                codes.push((code.clone(), request.stream_id));
            }
            let events = build_events(&job.append, head, recorded_at, &mut next_position).events;
            if let Some(last) = events.last() {
                moved.insert(
                    request.stream_id,
                    Some(StreamHead {
                        version: last.version,
                        hash: last.hash.clone(),
                    }),
                );
            }
            answers.push(Ok(AppendOutcome::Appended(events)));
        }
        let codes: Vec<serde_json::Value> = codes
            .iter()
            .map(|(code, stream)| serde_json::json!([code, stream.simple().to_string()]))
            .collect();
        Some(Prepared {
            codes: (!codes.is_empty()).then(|| serde_json::Value::Array(codes).to_string()),
            records: (!records.is_empty()).then(|| idempotency_rows_json(&records, recorded_at)),
            answers,
            moved,
            next_position,
        })
    }

    /// One round trip: the whole transaction as one statement list. If any
    /// statement fails, the ones after it (the `COMMIT`) do not run.
    /// `lowered`: a projection save may have lowered `synchronous`.
    async fn write(
        &self,
        connection: &mut SqliteConnection,
        batch: &[Job],
        lowered: bool,
    ) -> Result<(), sqlx::Error> {
        let rows = event_rows(batch, &self.answers);
        let recorded_at = batch_instant(&rows);
        let shape = BatchShape {
            events: rows.len(),
            codes: self.codes.is_some(),
            keys: self.records.is_some(),
            restore_full_sync: lowered,
        };
        let statements = shape.statements();
        let mut query = bind_events(
            sqlx::query(sqlx::AssertSqlSafe(statements.join("; "))),
            &rows,
            &recorded_at,
        );
        for rows in [&self.codes, &self.records].into_iter().flatten() {
            query = query.bind(rows);
        }
        // Done once every statement has reported done (the last is the
        // COMMIT, or the lone INSERT that is its own transaction), without
        // waiting for SQLite's thread to also close the result channel:
        // that would be one more thread wake-up per commit.
        let mut results = sqlx::Executor::fetch_many(&mut *connection, query);
        let mut done = 0;
        while done < statements.len() {
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

    /// The answers, once committed; the cache learns the moved heads.
    fn commit_to(self, cache: &mut HeadCache) -> Vec<Result<AppendOutcome, StoreError>> {
        cache.heads.extend(self.moved);
        cache.next_position = Some(self.next_position);
        self.answers
    }
}

/// What a prepared batch writes, which decides its statement list.
#[derive(Clone, Copy, Debug)]
struct BatchShape {
    events: usize,
    codes: bool,
    keys: bool,
    /// A projection save lowered `synchronous` since the last event
    /// commit (see [`save_without_fsync`]); no event may commit below FULL.
    restore_full_sync: bool,
}

impl BatchShape {
    /// The statements, in order: anonymous parameters throughout, bound in
    /// statement order (see [`insert_events_statements`]): the events, then the
    /// codes, then the keys.
    ///
    /// A batch that is one `INSERT` (its events fill one chunk; no codes,
    /// no keys) is one statement and so its own transaction: no `BEGIN`
    /// and `COMMIT`. Every statement is a result that SQLite's worker
    /// thread hands back to the writer, and each hand-off can be a thread
    /// wake-up; most commands write one event and nothing else.
    fn statements(self) -> Vec<String> {
        let mut statements = Vec::with_capacity(6);
        if self.restore_full_sync {
            statements.push("PRAGMA synchronous = FULL".to_owned());
        }
        let alone = CHUNK_SIZES.contains(&self.events) && !self.codes && !self.keys;
        if !alone {
            statements.push("BEGIN IMMEDIATE".to_owned());
        }
        statements.extend(insert_events_statements(self.events));
        if self.codes {
            statements.push(INSERT_CODES_SQL.to_owned());
        }
        if self.keys {
            statements.push(INSERT_IDEMPOTENCY_SQL.to_owned());
        }
        if !alone {
            statements.push("COMMIT".to_owned());
        }
        statements
    }
}

/// One event to insert, with its data as the JSON text its caller
/// prepared (see [`PreparedAppend::data_json`]).
struct EventRow<'a> {
    event: &'a StoredEvent,
    data: &'a str,
}

/// The events of every accepted append, in batch order.
fn event_rows<'a>(
    batch: &'a [Job],
    answers: &'a [Result<AppendOutcome, StoreError>],
) -> Vec<EventRow<'a>> {
    batch
        .iter()
        .zip(answers)
        .filter_map(|(job, answer)| match answer {
            Ok(AppendOutcome::Appended(events)) => Some(events.iter().zip(job.append.data_json())),
            _ => None,
        })
        .flatten()
        .map(|(event, data)| EventRow { event, data })
        .collect()
}

/// The recorded-at text of a batch's events: one instant for them all
/// (see [`HeadCache::tick`]), formatted once.
fn batch_instant(rows: &[EventRow<'_>]) -> String {
    rows.first()
        .map(|row| format_instant(&row.event.recorded_at))
        .unwrap_or_default()
}

/// The checked path (see the module docs).
async fn checked_batch(
    connection: &mut SqliteConnection,
    batch: &[Job],
    cache: &mut HeadCache,
) -> Result<Vec<Result<AppendOutcome, StoreError>>, sqlx::Error> {
    // BEGIN IMMEDIATE takes the write lock now: nothing read below can
    // change before the commit, even if another process (a CLI import)
    // shares the file.
    //
    // The transaction is begun and its bearings read in one round trip to
    // SQLite's worker thread: every round trip is a pair of thread wake-ups,
    // and they, not SQLite, dominate the cost of a small batch.
    let bearings = sqlx::raw_sql(
        "PRAGMA synchronous = FULL; BEGIN IMMEDIATE; \
         SELECT (SELECT data_version FROM pragma_data_version), \
                (SELECT seq FROM sqlite_sequence WHERE name = 'events'), \
                (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1)",
    )
    .fetch_one(&mut *connection)
    .await?;
    let result = write_batch(connection, batch, cache, &bearings).await;
    if result.is_err() {
        // An OR ROLLBACK statement may have ended the transaction already;
        // the error to report is the statement's, not the ROLLBACK's.
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
        return result.map(|(answers, _)| answers);
    }
    match sqlx::raw_sql("COMMIT").execute(&mut *connection).await {
        Ok(_) => result.map(|(answers, next_position)| {
            cache.next_position = Some(next_position);
            answers
        }),
        // A failed COMMIT leaves nothing written; roll back to be sure the
        // connection is usable for the next batch.
        Err(error) => {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await;
            Err(error)
        }
    }
}

/// The body of one batch's transaction.
async fn write_batch(
    tx: &mut SqliteConnection,
    batch: &[Job],
    cache: &mut HeadCache,
    bearings: &sqlx::sqlite::SqliteRow,
) -> Result<(Vec<Result<AppendOutcome, StoreError>>, i64), sqlx::Error> {
    use sqlx::Row;
    let data_version: i64 = bearings.try_get(0)?;
    let sequence: Option<i64> = bearings.try_get(1)?;
    let last_recorded: Option<String> = bearings.try_get(2)?;
    if cache.data_version != Some(data_version) || cache.heads.len() > MAX_CACHED_HEADS {
        cache.invalidate();
        cache.data_version = Some(data_version);
    }
    if let Some(last) = last_recorded.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()) {
        let last = last.with_timezone(&Utc);
        if cache.last_recorded.is_none_or(|known| known < last) {
            cache.last_recorded = Some(last);
        }
    }
    let recorded_at = cache.tick();
    let mut next_position = sequence.unwrap_or(0) + 1;
    load_missing_heads(tx, batch, cache).await?;
    let mut keys_in_batch: HashMap<(String, String), IdempotencyRecord> = HashMap::new();
    let mut answers = Vec::with_capacity(batch.len());
    let mut records: Vec<IdempotencyRecord> = Vec::new();
    // Heads moved by this batch, applied to the cache only after commit.
    let mut moved: HashMap<Uuid, Option<StreamHead>> = HashMap::new();
    for job in batch {
        let request = &job.append.request;
        if let Some(record) = &request.idempotency {
            let key = (record.actor_id.clone(), record.key.clone());
            let previous = match keys_in_batch.get(&key) {
                Some(previous) => Some(previous.clone()),
                None => find_idempotency(tx, &record.actor_id, &record.key).await?,
            };
            if let Some(previous) = previous {
                answers.push(Ok(AppendOutcome::AlreadyDone(previous)));
                continue;
            }
        }
        let head = match moved
            .get(&request.stream_id)
            .or_else(|| cache.heads.get(&request.stream_id))
        {
            Some(head) => head.clone(),
            None => {
                let head = read_head(tx, request.stream_id).await?;
                cache.heads.insert(request.stream_id, head.clone());
                head
            }
        };
        match check_and_reserve(tx, request, head.as_ref()).await? {
            Err(refusal) => answers.push(Err(refusal)),
            Ok(()) => {
                let accepted = build_events(&job.append, head, recorded_at, &mut next_position);
                if let Some(last) = accepted.events.last() {
                    moved.insert(
                        request.stream_id,
                        Some(StreamHead {
                            version: last.version,
                            hash: last.hash.clone(),
                        }),
                    );
                }
                if let Some(record) = &request.idempotency {
                    keys_in_batch.insert(
                        (record.actor_id.clone(), record.key.clone()),
                        record.clone(),
                    );
                    records.push(record.clone());
                }
                answers.push(Ok(AppendOutcome::Appended(accepted.events)));
            }
        }
    }
    let rows = event_rows(batch, &answers);
    insert_events(tx, &rows).await?;
    insert_idempotency(tx, &records, recorded_at).await?;
    // Heads this batch moved are only cached once it commits; a failed
    // commit invalidates the whole cache (see `run`).
    cache.heads.extend(moved);
    Ok((answers, next_position))
}

/// Reads, in one query, the heads of every stream of the batch that the
/// cache does not know; streams with no row are cached as absent.
async fn load_missing_heads(
    tx: &mut SqliteConnection,
    batch: &[Job],
    cache: &mut HeadCache,
) -> Result<(), sqlx::Error> {
    let mut missing: Vec<Uuid> = batch
        .iter()
        .map(|j| j.append.request.stream_id)
        .filter(|id| !cache.heads.contains_key(id))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_unstable();
    missing.dedup();
    let ids: Vec<String> = missing.iter().map(|id| id.simple().to_string()).collect();
    let found: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT stream_id, version, head_hash FROM streams \
         WHERE stream_id IN (SELECT unhex(value) FROM json_each(?1))",
    )
    .bind(serde_json::to_string(&ids).unwrap_or_default())
    .fetch_all(&mut *tx)
    .await?;
    for id in missing {
        cache.heads.insert(id, None);
    }
    for (id, version, hash) in found {
        cache.heads.insert(
            id,
            Some(StreamHead {
                version: version as u64,
                hash,
            }),
        );
    }
    Ok(())
}

async fn read_head(
    tx: &mut SqliteConnection,
    stream_id: Uuid,
) -> Result<Option<StreamHead>, sqlx::Error> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT version, head_hash FROM streams WHERE stream_id = ?1")
            .bind(stream_id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(head.map(|(version, hash)| StreamHead {
        version: version as u64,
        hash,
    }))
}

/// The checks that can refuse one append, all before it writes anything,
/// so a refused append leaves nothing behind and needs no savepoint. The
/// outer error aborts the batch (storage failed); the inner one refuses
/// this append alone.
async fn check_and_reserve(
    tx: &mut SqliteConnection,
    request: &AppendRequest,
    head: Option<&StreamHead>,
) -> Result<Result<(), StoreError>, sqlx::Error> {
    let actual = head.map_or(0, |h| h.version);
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
    let Some(code) = &request.reserve_code else {
        return Ok(Ok(()));
    };
    let reserved = sqlx::query("INSERT INTO project_codes (code, stream_id) VALUES (?1, ?2)")
        .bind(code)
        .bind(request.stream_id)
        .execute(&mut *tx)
        .await;
    match reserved {
        Ok(_) => Ok(Ok(())),
        Err(sqlx::Error::Database(e)) if e.kind() == ErrorKind::UniqueViolation => {
            let holder: Uuid =
                sqlx::query_scalar("SELECT stream_id FROM project_codes WHERE code = ?1")
                    .bind(code)
                    .fetch_one(&mut *tx)
                    .await?;
            Ok(Err(StoreError::DuplicateCode {
                code: code.clone(),
                holder,
            }))
        }
        Err(other) => Err(other),
    }
}

/// The stored form of an accepted append's events: versions after the
/// head, positions from the batch's counter, the hash chain continued.
fn build_events(
    append: &PreparedAppend,
    head: Option<StreamHead>,
    recorded_at: DateTime<Utc>,
    next_position: &mut i64,
) -> Accepted {
    let events = append.stored_events(head, recorded_at, *next_position);
    *next_position += events.len() as i64;
    Accepted { events }
}

/// Rows per `INSERT` statement for a batch's events, largest first. A
/// batch of n events goes in chunks of these sizes (64-row chunks, then
/// n's binary digits), so there are few statement texts, each prepared once
/// and kept in the connection's statement cache; rows travel as bound
/// parameters, which SQLite reads without parsing anything.
const CHUNK_SIZES: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// Columns of one event row.
const EVENT_COLUMNS: usize = 18;

/// `INSERT` statements for `count` events, with anonymous `?`
/// parameters bound in order by [`bind_events`]. Anonymous, not numbered:
/// sqlx numbers a statement list's anonymous parameters on from the
/// previous statement's, but counts the unused slots below a statement's
/// first numbered parameter as anonymous ones too, so numbered parameters
/// that do not start at `?1` leave later ones unbound (NULL).
/// `OR ROLLBACK`: a failing row ends the whole transaction (the batch
/// fails or is re-checked as a whole), so SQLite keeps no statement
/// journal to undo just this statement.
fn insert_events_statements(count: usize) -> Vec<String> {
    let row = format!("({})", ["?"; EVENT_COLUMNS].join(","));
    let mut statements = Vec::new();
    let mut left = count;
    while left > 0 {
        let size = CHUNK_SIZES
            .iter()
            .copied()
            .find(|s| *s <= left)
            .unwrap_or(1);
        statements.push(format!(
            "INSERT OR ROLLBACK INTO events (position, stream_id, version, event_id, event_type, \
             schema_version, occurred_on, recorded_at, actor_id, actor_name, actor_role, \
             actor_org_id, correlation_id, causation_id, idempotency_key, data, prev_hash, hash) \
             VALUES {}",
            vec![row.as_str(); size].join(",")
        ));
        left -= size;
    }
    statements
}

/// Binds the rows of [`insert_events_statements`], in its column order.
fn bind_events<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    rows: &[EventRow<'q>],
    recorded_at: &'q str,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    for row in rows {
        let e = row.event;
        query = query
            .bind(e.position)
            .bind(e.stream_id)
            .bind(e.version as i64)
            .bind(e.event_id)
            .bind(e.event_type.as_str())
            .bind(i64::from(e.schema_version))
            .bind(e.occurred_on.to_string())
            .bind(recorded_at)
            .bind(e.actor.id.as_str())
            .bind(e.actor.name.as_str())
            .bind(e.actor.role.as_str())
            .bind(e.actor.org_id.as_deref())
            .bind(e.correlation_id)
            .bind(e.causation_id)
            .bind(e.idempotency_key.as_deref())
            .bind(row.data)
            .bind(e.prev_hash.as_str())
            .bind(e.hash.as_str());
    }
    query
}

/// The rows of [`INSERT_IDEMPOTENCY_SQL`], as its JSON parameter.
fn idempotency_rows_json(records: &[IdempotencyRecord], recorded_at: DateTime<Utc>) -> String {
    let created_at = format_instant(&recorded_at);
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
    serde_json::Value::Array(rows).to_string()
}

async fn insert_events(
    tx: &mut SqliteConnection,
    rows: &[EventRow<'_>],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let recorded_at = batch_instant(rows);
    let sql = insert_events_statements(rows.len()).join("; ");
    bind_events(sqlx::query(sqlx::AssertSqlSafe(sql)), rows, &recorded_at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn insert_idempotency(
    tx: &mut SqliteConnection,
    records: &[IdempotencyRecord],
    recorded_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    sqlx::query(INSERT_IDEMPOTENCY_SQL)
        .bind(idempotency_rows_json(records, recorded_at))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Reads an idempotency record on any connection.
pub(crate) async fn find_idempotency(
    connection: &mut SqliteConnection,
    actor_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
    // The status is read as a 64-bit integer on every backend.
    let row: Option<IdempotencyColumns> = sqlx::query_as(
        "SELECT key, actor_id, fingerprint, stream_id, status, etag, body FROM idempotency \
         WHERE actor_id = ?1 AND key = ?2",
    )
    .bind(actor_id)
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(row.map(IdempotencyRecord::from_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> impl Iterator<Item = BatchShape> {
        [1, 3, 64, 100, 513].into_iter().flat_map(|events| {
            (0..8).map(move |bits| BatchShape {
                events,
                codes: bits & 1 != 0,
                keys: bits & 2 != 0,
                restore_full_sync: bits & 4 != 0,
            })
        })
    }

    #[test]
    fn after_a_projection_save_the_next_event_commit_restores_synchronous_full() {
        for shape in shapes() {
            let sql = shape.statements().join("; ");
            assert_eq!(
                sql.starts_with("PRAGMA synchronous = FULL; "),
                shape.restore_full_sync,
                "{shape:?}"
            );
            assert_eq!(
                sql.matches("PRAGMA").count(),
                usize::from(shape.restore_full_sync)
            );
        }
    }

    #[test]
    fn a_batch_is_one_insert_statement_or_one_explicit_transaction() {
        for shape in shapes() {
            let sql = shape.statements().join("; ");
            let statements: Vec<&str> = sql
                .split("; ")
                .filter(|s| !s.starts_with("PRAGMA"))
                .collect();
            if statements.len() > 1 {
                assert_eq!(statements.first(), Some(&"BEGIN IMMEDIATE"), "{shape:?}");
                assert_eq!(statements.last(), Some(&"COMMIT"), "{shape:?}");
            } else {
                assert!(statements[0].starts_with("INSERT OR ROLLBACK INTO events"));
                assert!(!shape.codes && !shape.keys);
            }
            let parameters =
                shape.events * EVENT_COLUMNS + usize::from(shape.codes) + usize::from(shape.keys);
            assert_eq!(sql.matches('?').count(), parameters, "{shape:?}");
        }
    }
}
