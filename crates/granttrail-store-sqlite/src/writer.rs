//! The single writer: group commit over one connection.
//!
//! One task owns the only writing connection. It takes every append that
//! queued while its previous commit was in flight, decides them all
//! against what the database holds ([`crate::batch_plan`]), writes the
//! batch in one transaction with one flush ([`crate::batch_write`]), and
//! answers each caller: an append that conflicts fails alone, never its
//! neighbours. Nothing waits on purpose: under load, the appends that
//! arrive during one flush are the next batch.
//!
//! Between batches the same task runs the other writes of this file
//! (projection saves, the transparency log, write probes), so they never
//! wait for SQLite's lock against this process's appends.

use std::sync::Arc;

use granttrail_store::{AppendOutcome, IdempotencyColumns, IdempotencyRecord, PreparedAppend};
use granttrail_store::{CheckpointStep, ProjectRow, Saved, StoreError};
use sqlx::SqliteConnection;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::batch_plan::Bearings;
use crate::batch_write::Committed;
use crate::file_guard::FileGuard;
use crate::known_heads::KnownHeads;
use crate::projection_save::save_projection;
use crate::recovery::{is_read_only, probe_write, rescue};
use crate::writer_connection::{Durability, WriterConnection};

/// Projection rows and their checkpoint, to be written by the writer.
pub(crate) struct SaveJob {
    pub(crate) projection: String,
    pub(crate) rows: Vec<ProjectRow>,
    pub(crate) step: CheckpointStep,
    pub(crate) reply: oneshot::Sender<Result<Saved, StoreError>>,
}

/// One append waiting for the writer, and where to send its answer.
pub(crate) struct Job {
    /// Prepared by the caller (see [`granttrail_store::AppendRequest::prepare`]).
    pub(crate) append: PreparedAppend,
    pub(crate) reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// A request to prove the database can be written now (readiness).
pub(crate) type ProbeJob = oneshot::Sender<Result<(), StoreError>>;

/// What the writer shares with the store around it.
pub(crate) struct Shared {
    /// The last committed position, for followers.
    pub(crate) committed: watch::Sender<i64>,
    /// The database and WAL files as opened.
    pub(crate) guard: Arc<FileGuard>,
    /// Heads this process can vouch for.
    pub(crate) known_heads: Arc<KnownHeads>,
}

/// Everything the writer takes work from.
pub(crate) struct Queues {
    pub(crate) appends: mpsc::Receiver<Job>,
    pub(crate) saves: mpsc::Receiver<SaveJob>,
    pub(crate) probes: mpsc::Receiver<ProbeJob>,
    pub(crate) log_writes: mpsc::Receiver<crate::log::LogJob>,
}

/// The writer's state between batches.
struct Writer {
    connection: WriterConnection,
    shared: Shared,
    /// Set when a write failed in a way that may leave the connection
    /// unusable (read-only, inside a failed transaction): the next write
    /// opens it again first.
    reopen: bool,
    /// Set once the deleted WAL's commits were copied into the database.
    rescued: bool,
    /// What the last commit left in the file, while no other process has
    /// committed since (see `batch_write`).
    memory: Option<Bearings>,
}

/// Runs until every sender of appends is dropped.
pub(crate) async fn run(
    connection: WriterConnection,
    mut queues: Queues,
    shared: Shared,
    max_batch: usize,
) {
    let mut writer = Writer {
        connection,
        shared,
        reopen: false,
        rescued: false,
        memory: None,
    };
    let mut batch = Vec::with_capacity(max_batch);
    // How many appends the last commit carried.
    let mut last_batch = 0;
    // The files are also looked at while no one writes, so a deleted WAL
    // is noticed (and its commits rescued) even on an idle server.
    let mut watch_files = tokio::time::interval(std::time::Duration::from_secs(1));
    watch_files.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Appends first: the other writes can always wait a moment.
        tokio::select! {
            biased;
            job = queues.appends.recv() => match job {
                Some(job) => batch.push(job),
                None => break,
            },
            _ = watch_files.tick(), if !writer.rescued => writer.rescue_if_gone().await,
            Some(job) = queues.log_writes.recv() => {
                let result = match writer.may_write().await {
                    Ok(()) => crate::log::write(&mut writer.connection, &job.write).await,
                    Err(refusal) => Err(refusal),
                };
                writer.wrote(&result);
                let _ = job.reply.send(result);
            }
            Some(reply) = queues.probes.recv() => {
                let result = match writer.may_write().await {
                    Ok(()) => probe(&mut writer.connection).await,
                    Err(refusal) => Err(refusal),
                };
                writer.wrote(&result);
                let _ = reply.send(result);
            }
            Some(save) = queues.saves.recv() => {
                let result = match writer.may_write().await {
                    Ok(()) => save_projection(&mut writer.connection, &save).await,
                    Err(refusal) => Err(refusal),
                };
                writer.wrote(&result);
                let _ = save.reply.send(result);
            }
        }
        if batch.is_empty() {
            continue;
        }
        // Everything that queued meanwhile joins the batch.
        drain(&mut queues.appends, &mut batch, max_batch);
        if batch.len() > 1 || last_batch > 1 {
            // A busy server (several appends in this batch or the last
            // one): every task that is ready to run — a caller just
            // answered, on its way back with its next append — runs once
            // before the batch closes, and joins this commit instead of
            // waiting a whole flush for the next. A lone appender's
            // append commits at once.
            tokio::task::yield_now().await;
            drain(&mut queues.appends, &mut batch, max_batch);
        }
        last_batch = batch.len();
        let answers = writer.commit(&batch).await;
        let mut last = None;
        for (job, mut answer) in batch.drain(..).zip(answers) {
            if let Ok(AppendOutcome::Appended(events)) = &mut answer {
                last = events.last().map(|e| e.position).max(last);
                // The plan left the data out; the append's own trees are
                // moved in, not copied.
                job.append.give_data(events);
            }
            // A caller that gave up waiting is no reason to stop.
            let _ = job.reply.send(answer);
        }
        if let Some(position) = last {
            granttrail_store::advance_committed(&writer.shared.committed, position);
        }
    }
}

impl Writer {
    /// Opens the connection again if a failed write asked for it.
    async fn ready(&mut self) {
        if self.reopen {
            self.reopen = !self.connection.reopen().await;
        }
    }

    /// Copies a deleted WAL's commits into the database file, once.
    async fn rescue_if_gone(&mut self) {
        if !self.rescued && self.shared.guard.check().is_err() {
            self.rescued = rescue(self.connection.raw()).await;
        }
    }

    /// Whether a write other than appends may go ahead: not if the files
    /// were replaced.
    async fn may_write(&mut self) -> Result<(), StoreError> {
        self.ready().await;
        self.shared.guard.check().map_err(StoreError::unavailable)
    }

    /// After a write other than appends: a transaction that failed
    /// part-way (an I/O error at COMMIT) can leave the connection inside
    /// it, so the next write starts over on a fresh one.
    fn wrote<T>(&mut self, result: &Result<T, StoreError>) {
        self.reopen |= result.is_err();
    }

    /// Commits one batch; one answer per job, in order.
    ///
    /// The files are checked before the commit (nothing goes into a
    /// deleted WAL) and after it, before anyone is told: a commit that
    /// raced a deletion is not acknowledged (its outcome is unknown).
    async fn commit(&mut self, batch: &[Job]) -> Vec<Result<AppendOutcome, StoreError>> {
        self.ready().await;
        let appends: Vec<&PreparedAppend> = batch.iter().map(|job| &job.append).collect();
        let answers = match self.shared.guard.check() {
            Err(why) => refuse_all(batch, &why),
            Ok(()) => match self.commit_durably(&appends).await {
                Ok(committed) => {
                    let (plan, memory) = committed.memory();
                    let versions: Vec<(Uuid, u64)> =
                        plan.heads.iter().map(|(id, h)| (*id, h.version)).collect();
                    match (
                        self.shared.guard.check(),
                        self.shared.known_heads.committed(&versions),
                    ) {
                        (Ok(()), Ok(alone)) => {
                            self.memory = alone.then_some(memory);
                            plan.answers
                        }
                        (Err(why), _) => {
                            self.forget();
                            refuse_all(
                                batch,
                                &format!("the outcome of this commit is unknown: {why}"),
                            )
                        }
                        (_, Err(why)) => {
                            self.forget();
                            refuse_all(
                                batch,
                                &format!(
                                    "committed, but other processes on this database cannot be \
                                     told (its -commits file: {why}); the outcome is unknown"
                                ),
                            )
                        }
                    }
                }
                Err(error) => {
                    self.forget();
                    self.reopen |= is_read_only(&error);
                    tracing::error!(%error, jobs = batch.len(), "event store commit failed; nothing was written");
                    refuse_all(batch, &error.to_string())
                }
            },
        };
        self.rescue_if_gone().await;
        answers
    }

    async fn commit_durably(
        &mut self,
        appends: &[&PreparedAppend],
    ) -> Result<Committed, sqlx::Error> {
        // Memory is only as good as the file's commit count says.
        let memory = self
            .memory
            .take()
            .filter(|_| self.shared.known_heads.alone_since_last_commit());
        let connection = self.connection.at(Durability::Flushed).await?;
        crate::batch_write::commit(connection, appends, memory).await
    }

    /// Forgets what this process knew of the file.
    fn forget(&mut self) {
        self.memory = None;
        self.shared.known_heads.forget();
    }
}

/// Moves what is queued into the batch, up to `max_batch`.
fn drain(queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>, max_batch: usize) {
    while batch.len() < max_batch {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// A write probe at full durability: the proof readiness asks for.
async fn probe(connection: &mut WriterConnection) -> Result<(), StoreError> {
    let connection = connection
        .at(Durability::Flushed)
        .await
        .map_err(|e| StoreError::unavailable(e.to_string()))?;
    probe_write(connection)
        .await
        .map_err(|e| StoreError::unavailable(e.to_string()))
}

/// The same refusal for every append of a batch.
fn refuse_all(batch: &[Job], why: &str) -> Vec<Result<AppendOutcome, StoreError>> {
    let failure = StoreError::unavailable(why.to_owned());
    batch.iter().map(|_| Err(failure.clone())).collect()
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
    row.map(IdempotencyRecord::from_row)
        .transpose()
        .map_err(crate::corrupt)
}
