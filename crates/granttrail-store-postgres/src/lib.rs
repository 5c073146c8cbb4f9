//! # granttrail-store-postgres: the event store for several servers
//!
//! PostgreSQL through sqlx, for a foundation network that outgrows one
//! machine: every `granttrail serve` process appends directly. Each
//! process's writer commits the appends queued meanwhile in one
//! transaction (`append.rs`); each append locks its stream's row, so one
//! stream's versions stay gap-free.
//!
//! ## Global order
//! Positions come from a sequence, and left alone a transaction could
//! commit a smaller position after a larger one is already visible: a
//! follower that had read the larger one would never see the smaller. So
//! every append draws its positions and commits while holding one
//! transaction-level advisory lock ([`POSITION_LOCK`]). PostgreSQL makes a
//! commit visible before it releases the committing transaction's locks, so
//! the next append draws its positions only after the previous ones are
//! visible, and any snapshot that shows a position shows every smaller
//! one. Only that tail of an append (insert, head update, commit) is
//! serialised; stream locks, checks and code reservations run in parallel
//! (docs/adr/0004-global-order-on-postgresql.md).
//!
//! ## Other tables
//! Tokens and projections live beside the events (`tokens.rs`, `projections.rs`), so several
//! servers share them through the database alone.

mod append;
mod blobs;
pub use append::Clock;
mod event_row;
mod log;
mod projections;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;

use std::str::FromStr;

use async_trait::async_trait;
use granttrail_store::{
    AppendOutcome, AppendRequest, EventStore, IdempotencyColumns, IdempotencyRecord, StoreError,
    StoredEvent, StreamBound, StreamHead, format_instant,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Row};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::event_row::{event_columns, event_from_row};

/// Embedded migrations, applied on open.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub(crate) use granttrail_store_sqlx::{corrupt, unavailable};

/// The transaction-level advisory lock under which an append draws its
/// positions and commits. Anything that inserts into `events` outside this
/// crate (a migration tool, a test playing a slow writer) must take it too.
pub const POSITION_LOCK: i64 = 0x6772_616e_7474_7261; // "granttra"

/// The channel appends notify with their last position: one per schema
/// (by the schema's oid), since NOTIFY channels span the whole database and
/// another deployment's positions in another schema are not ours.
async fn commits_channel(pool: &PgPool) -> Result<String, sqlx::Error> {
    let oid: i64 =
        sqlx::query_scalar("SELECT oid::bigint FROM pg_namespace WHERE nspname = current_schema()")
            .fetch_one(pool)
            .await?;
    Ok(format!("granttrail_commits_{oid}"))
}

/// Tells this process's followers of every commit, whichever server made
/// it. A lost connection is re-established by the listener; commits made
/// meanwhile are found by the followers' periodic poll.
async fn listen_for_commits(pool: PgPool, channel: String, committed: watch::Sender<i64>) {
    let mut listener = loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(&channel).await {
                Ok(()) => break listener,
                Err(error) => tracing::warn!(%error, "cannot listen for commits; retrying"),
            },
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => tracing::warn!(%error, "cannot listen for commits; retrying"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    };
    loop {
        match listener.recv().await {
            Ok(notification) => {
                if let Ok(position) = notification.payload().parse::<i64>() {
                    granttrail_store::advance_committed(&committed, position);
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, "lost the commit notifications; reconnecting");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// The SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some(UNIQUE_VIOLATION))
}

/// The PostgreSQL event store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    committed: watch::Sender<i64>,
    writer: mpsc::Sender<append::Job>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and migrates.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(unavailable)?;
        PostgresStore::open_with(options).await
    }

    /// Connects with explicit options (tests set a `search_path`).
    pub async fn open_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_with_clock(options, granttrail_store::now_micros).await
    }

    /// [`PostgresStore::open_with`], reading the time from `clock`: a
    /// server whose clock is behind another's, for the test that its
    /// events are still never recorded before the log's newest.
    pub async fn open_with_clock(
        options: PgConnectOptions,
        clock: Clock,
    ) -> Result<PostgresStore, StoreError> {
        // A statement that waits this long for a lock (a table someone
        // locked by hand, a stuck transaction) gives up: the caller gets
        // 503, as on SQLite when its busy timeout runs out, instead of a
        // request that hangs.
        let options = options.options([("lock_timeout", "5s")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::unavailable(format!("migrating the database: {e}")))?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&pool)
            .await
            .map_err(unavailable)?;
        let committed = watch::channel(last).0;
        let channel = commits_channel(&pool).await.map_err(unavailable)?;
        tokio::spawn(listen_for_commits(
            pool.clone(),
            channel.clone(),
            committed.clone(),
        ));
        let (writer, queue) = mpsc::channel(1024);
        tokio::spawn(append::run(
            pool.clone(),
            channel,
            committed.clone(),
            queue,
            clock,
        ));
        Ok(PostgresStore {
            pool,
            committed,
            writer,
        })
    }

    /// The pool, for the other tables this backend keeps.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) async fn find_idempotency(
    connection: &mut PgConnection,
    actor_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
    // The status is read as a 64-bit integer on every backend.
    let row: Option<IdempotencyColumns> = sqlx::query_as(
        "SELECT key, actor_id, fingerprint, stream_id, status::bigint, etag, body FROM idempotency \
         WHERE actor_id = $1 AND key = $2",
    )
    .bind(actor_id)
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?;
    row.map(IdempotencyRecord::from_row)
        .transpose()
        .map_err(corrupt)
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(append::Job {
                append: request.prepare(),
                reply,
            })
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
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE stream_id = $1 AND ($2::BIGINT IS NULL OR version <= $2) \
             AND ($3::TEXT IS NULL OR recorded_at <= $3) ORDER BY version"
        ))
        .bind(stream_id)
        .bind(
            bound
                .up_to_version
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
        )
        .bind(bound.recorded_at_or_before.as_ref().map(format_instant))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn read_all(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE position > $1 ORDER BY position LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn stream_head(&self, stream_id: Uuid) -> Result<Option<StreamHead>, StoreError> {
        let head: Option<(i64, String)> = sqlx::query_as(
            "SELECT version, head_hash FROM streams WHERE stream_id = $1 AND version > 0",
        )
        .bind(stream_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(head.map(|(version, hash)| StreamHead {
            version: version as u64,
            hash,
        }))
    }

    async fn stream_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar(
            "SELECT stream_id FROM streams WHERE version > 0 ORDER BY created_at, stream_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)
    }

    async fn find_idempotency(
        &self,
        actor_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(unavailable)?;
        find_idempotency(&mut connection, actor_id, key)
            .await
            .map_err(unavailable)
    }

    async fn last_position(&self) -> Result<i64, StoreError> {
        // The highest committed position; every smaller one is committed
        // too (or was never used: a rolled-back append leaves a gap).
        let row = sqlx::query("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        row.try_get(0).map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    fn subscribe(&self) -> watch::Receiver<i64> {
        self.committed.subscribe()
    }
}
