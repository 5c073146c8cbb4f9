//! # granttrail-store-sqlite: the embedded event store
//!
//! One SQLite file in WAL mode with `synchronous=FULL`: an append is
//! acknowledged only after its commit is on disk.
//!
//! ## How writes flow
//! Every append goes through one writer task ([`writer`]) that owns the
//! only writing connection. It takes every append queued while the
//! previous commit was in flight, checks each one's expected version
//! against the database and the batch so far, writes the whole batch in
//! one transaction (one fsync), and answers each caller separately: an
//! append that conflicts fails alone, never its neighbours. This is group
//! commit; it is what lets 64 concurrent appenders share one disk flush.
//!
//! Reads use their own pool of connections and never wait for the writer
//! (WAL readers see the last committed snapshot).
//!
//! ## What this crate does not do
//! It does not decide anything about projects; it stores what it is given
//! and computes the hash chain (`granttrail_store::chain`).

mod batch_plan;
mod batch_write;
mod blobs;
mod event_row;
mod file_guard;
mod high_water;
mod known_heads;
mod log;
mod projection_save;
mod projections;
mod recovery;
mod tokens;
mod writer;
mod writer_connection;

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use granttrail_store::{
    AppendOutcome, AppendRequest, EventHash, EventStore, IdempotencyRecord, StoreError,
    StoredEvent, StreamBound, StreamHead, format_instant,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

pub use blobs::BlobDir;

use crate::event_row::{PageOrder, event_from_row, events_from_json_page};

/// Embedded migrations, applied on open.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// When the writer last proved it could write, and what it found.
type Probed = (std::time::Instant, Result<(), StoreError>);

/// How often readiness may make the writer prove it can write.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// How many appends one commit may carry at most.
const MAX_BATCH: usize = 512;

/// The SQLite event store.
///
/// Cloning is cheap; clones share the writer and the read pool. The writer
/// task stops once every clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    readers: SqlitePool,
    writer: mpsc::Sender<writer::Job>,
    committed: watch::Receiver<i64>,
    /// Heads this process can vouch for without a read.
    known_heads: Arc<known_heads::KnownHeads>,
    /// Projection writes, committed by the writer between batches.
    saves: mpsc::Sender<writer::SaveJob>,
    /// The database and WAL files as opened; writes stop if either is
    /// deleted or replaced under the server.
    guard: Arc<file_guard::FileGuard>,
    /// The highest position followers were told, kept beside the file.
    high_water: Arc<high_water::HighWater>,
    /// The database file, beside which attachment bytes are kept.
    database_file: std::path::PathBuf,
    /// Transparency-log writes, committed by the writer between batches.
    log_writes: mpsc::Sender<log::LogJob>,
    /// Write probes, answered by the writer between batches.
    probes: mpsc::Sender<writer::ProbeJob>,
    /// The last probe's time and outcome: readiness may be asked often
    /// (and without a token), but the disk is probed at most once a second.
    last_probe: Arc<tokio::sync::Mutex<Option<Probed>>>,
}

pub(crate) use granttrail_store_sqlx::{corrupt, unavailable};

/// Creates an empty database file readable and writable by its owner
/// only (SQLite takes an empty file as a new database, and gives its WAL
/// and shared-memory files the same mode): events name people and
/// organisations, and the file is the whole history.
fn create_owner_only(file: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        // Created meanwhile by another process: theirs stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::unavailable(format!(
            "cannot create {}: {e}",
            file.display()
        ))),
    }
}

impl SqliteStore {
    /// Where this database keeps attachment bytes: a directory beside its
    /// file (`<database>.blobs`).
    pub fn blobs(&self) -> BlobDir {
        BlobDir::beside(&self.database_file)
    }

    /// Opens (creating and migrating if needed) the database at `url`,
    /// e.g. `sqlite://data/granttrail.db`.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_as(url, true).await
    }

    /// Opens (migrating if needed) the database at `url`, which must
    /// exist: commands that only read never leave a new, empty database
    /// behind a mistyped path.
    pub async fn open_existing(url: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_as(url, false).await
    }

    async fn open_as(url: &str, create: bool) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(unavailable)?
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Other processes (a CLI import, a backup) may hold the write lock
            // for a moment; waiting longer than this means something is wrong,
            // and the caller gets 503 rather than a hung request.
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // A batch's multi-row INSERT keeps a statement journal (so a
            // failing row can undo the statement); in memory rather than in
            // a temporary file, it costs no write calls. It never holds
            // committed data: durability is the WAL's.
            .pragma("temp_store", "MEMORY")
            // Batches insert through a statement per size class (see the
            // writer); keep them all prepared.
            .statement_cache_capacity(1024)
            // A query's rows come back from SQLite's worker thread through
            // a channel this long; when it is full the worker sleeps until
            // the reader takes a row, and on a busy core every such hand-
            // over is a context switch. The log reads its hashes in pages
            // of 1 000: one page fits, so it is handed over at once.
            .row_buffer_size(1024);
        let file = options.get_filename();
        let in_memory = file.as_os_str().is_empty() || file.as_os_str() == ":memory:";
        if !in_memory && !file.exists() {
            if !create {
                return Err(StoreError::unavailable(format!(
                    "there is no database at {} (from {url}); this command only reads, so it \
                     creates none: check --database or GRANTTRAIL_DATABASE",
                    file.display()
                )));
            }
            if let Some(parent) = file.parent()
                && !parent.as_os_str().is_empty()
                && !Path::exists(parent)
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::unavailable(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            create_owner_only(file)?;
        }
        let mut writer_connection = options.connect().await.map_err(unavailable)?;
        MIGRATOR
            .run(&mut writer_connection)
            .await
            .map_err(|e| StoreError::unavailable(format!("migrating the database: {e}")))?;
        let database_file = options.get_filename().to_path_buf();
        // Migrating opened the WAL, so both files exist now.
        let guard = Arc::new(
            file_guard::FileGuard::watch(options.get_filename()).map_err(|e| {
                StoreError::unavailable(format!("cannot examine the database files: {e}"))
            })?,
        );
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&readers)
            .await
            .map_err(unavailable)?;
        // AUTOINCREMENT's counter: the highest position ever assigned, even
        // if the newest events were removed by hand since.
        let assigned: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'events'",
        )
        .fetch_one(&readers)
        .await
        .map_err(unavailable)?;
        let mut high_water = high_water::HighWater::open(&database_file)?;
        high_water.check_not_behind(last.max(assigned))?;
        let (committed_tx, committed) = watch::channel(last);
        let (jobs, appends) = mpsc::channel(4 * MAX_BATCH);
        let (saves, save_queue) = mpsc::channel(16);
        let (probes, probe_queue) = mpsc::channel(4);
        let (log_writes, log_queue) = mpsc::channel(16);
        let known_heads = Arc::new(known_heads::KnownHeads::open(&database_file).map_err(|e| {
            StoreError::unavailable(format!(
                "cannot open {}: {e}",
                known_heads::path_for(&database_file).display()
            ))
        })?);
        let shared = writer::Shared {
            committed: committed_tx,
            guard: guard.clone(),
            known_heads: known_heads.clone(),
        };
        let queues = writer::Queues {
            appends,
            saves: save_queue,
            probes: probe_queue,
            log_writes: log_queue,
        };
        tokio::spawn(writer::run(
            writer_connection::WriterConnection::new(writer_connection, options),
            queues,
            shared,
            MAX_BATCH,
        ));
        Ok(SqliteStore {
            readers,
            writer: jobs,
            committed,
            known_heads,
            saves,
            guard,
            high_water: Arc::new(high_water),
            database_file: database_file.clone(),
            probes,
            log_writes,
            last_probe: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// Reads events two ways with the same parameters: first `page_sql`,
    /// one row holding the whole page as JSON (sqlx hands rows over from
    /// its worker thread one at a time, so one row is much cheaper than
    /// hundreds); if that page cannot be read whole (a damaged row),
    /// `rows_sql` row by row, which names the damaged version (or reports
    /// the store unreachable).
    async fn read_events(
        &self,
        page_sql: &'static str,
        rows_sql: &'static str,
        bind: impl Fn(
            sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
        )
            -> sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
        order: PageOrder,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        use sqlx::Row;
        let page: Option<String> = bind(sqlx::query(sqlx::AssertSqlSafe(page_sql)))
            .fetch_one(&self.readers)
            .await
            .ok()
            .and_then(|row| row.try_get(0).ok());
        if let Some(events) = page
            .as_deref()
            .and_then(|page| events_from_json_page(page, order))
        {
            return Ok(events);
        }
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(rows_sql)))
            .fetch_all(&self.readers)
            .await
            .map_err(unavailable)?;
        rows.iter().map(event_from_row).collect()
    }

    /// Writes a consistent copy of the database to `path` with SQLite's
    /// `VACUUM INTO`, while appends go on: the copy is the snapshot of one
    /// read transaction, so it never holds part of a commit. Refuses a
    /// `path` that already exists.
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::unavailable(format!(
                "{} already exists; a backup never overwrites",
                path.display()
            )));
        }
        sqlx::query("VACUUM INTO ?1")
            .bind(path.to_string_lossy().into_owned())
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The read pool, for the other tables this backend keeps.
    pub fn pool(&self) -> &SqlitePool {
        &self.readers
    }

    /// Closes the read pool; the writer stops when the last clone drops.
    pub async fn close(&self) {
        self.readers.close().await;
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let append = request.prepare();
        self.writer
            .send(writer::Job { append, reply })
            .await
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the writer stopped mid-commit"))?
    }

    async fn read_stream(
        &self,
        stream_id: Uuid,
        bound: StreamBound,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        const WHERE: &str = "FROM events WHERE stream_id = ?1 \
             AND (?2 IS NULL OR version <= ?2) AND (?3 IS NULL OR recorded_at <= ?3)";
        static PAGE: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {} {WHERE}", *event_row::JSON_PAGE));
        static ROWS: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} {WHERE} ORDER BY version",
                *event_row::COLUMN_LIST
            )
        });
        let version = bound
            .up_to_version
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let known_at = bound.recorded_at_or_before.as_ref().map(format_instant);
        self.read_events(
            PAGE.as_str(),
            ROWS.as_str(),
            |query| query.bind(stream_id).bind(version).bind(known_at.clone()),
            PageOrder::Version,
        )
        .await
    }

    async fn read_all(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        // One writer at a time assigns positions inside the write lock, so
        // commit order is position order and reading by position never
        // skips.
        static PAGE: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM (SELECT * FROM events WHERE position > ?1 \
                 ORDER BY position LIMIT ?2)",
                *event_row::JSON_PAGE
            )
        });
        static ROWS: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2",
                *event_row::COLUMN_LIST
            )
        });
        self.read_events(
            PAGE.as_str(),
            ROWS.as_str(),
            |query| query.bind(after).bind(i64::from(limit)),
            PageOrder::Position,
        )
        .await
    }

    async fn read_hashes(&self, after: i64, limit: u32) -> Result<Vec<EventHash>, StoreError> {
        let rows: Vec<(i64, Uuid, i64, String)> = sqlx::query_as(
            "SELECT position, stream_id, version, hash FROM events WHERE position > ?1 \
             ORDER BY position LIMIT ?2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(position, stream_id, version, hash)| EventHash {
                position,
                stream_id,
                version: version.max(0) as u64,
                hash,
            })
            .collect())
    }

    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StreamHead>, StoreError> {
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT version, head_hash FROM streams WHERE stream_id = ?1")
                .bind(stream_id)
                .fetch_optional(&self.readers)
                .await
                .map_err(unavailable)?;
        Ok(head.map(|(version, hash)| StreamHead {
            version: version as u64,
            hash,
        }))
    }

    async fn stream_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar("SELECT stream_id FROM streams ORDER BY created_at, stream_id")
            .fetch_all(&self.readers)
            .await
            .map_err(unavailable)
    }

    async fn find_idempotency(
        &self,
        actor_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut connection = self.readers.acquire().await.map_err(unavailable)?;
        writer::find_idempotency(&mut connection, actor_id, key)
            .await
            .map_err(unavailable)
    }

    async fn last_position(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&self.readers)
            .await
            .map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.readers.acquire().await.map_err(unavailable)?;
        connection.ping().await.map_err(unavailable)
    }

    fn subscribe(&self) -> watch::Receiver<i64> {
        self.committed.clone()
    }

    fn writes_stopped(&self) -> Option<String> {
        self.guard.check().err()
    }

    async fn mark_told(&self, position: i64) -> Result<(), StoreError> {
        self.high_water.raise(position).await
    }

    async fn check_writable(&self) -> Result<(), StoreError> {
        let mut last = self.last_probe.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_INTERVAL
        {
            return outcome.clone();
        }
        let (reply, answer) = oneshot::channel();
        let outcome = match self.probes.send(reply).await {
            Err(_) => Err(StoreError::unavailable("the writer has stopped")),
            Ok(()) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::unavailable(
                    "the writer stopped mid-probe".to_owned(),
                ))
            }),
        };
        *last = Some((std::time::Instant::now(), outcome.clone()));
        outcome
    }

    fn known_head(&self, stream_id: Uuid) -> Option<u64> {
        self.known_heads.get(stream_id)
    }

    fn positions_are_dense(&self) -> bool {
        // One writer assigns AUTOINCREMENT positions; a failed statement
        // or transaction rolls its counter back with it.
        true
    }
}
