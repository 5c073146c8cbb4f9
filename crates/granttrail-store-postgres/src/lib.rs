//! # granttrail-store-postgres: the event store for several servers
//!
//! PostgreSQL through sqlx, for a foundation network that outgrows one
//! machine: every `granttrail serve` process appends directly, each append
//! in its own transaction that locks its stream's row, so one stream's
//! versions stay gap-free while different streams commit in parallel.
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
//! Tokens and projections live beside the events (`others.rs`), so several
//! servers share them through the database alone.

mod others;
mod rows;
#[cfg(feature = "testing")]
pub mod testing;

use std::str::FromStr;

use async_trait::async_trait;
use granttrail_store::{
    AppendOutcome, AppendRequest, EventStore, ExpectedVersion, IdempotencyRecord, StoreError,
    StoredEvent, StreamBound, StreamHead, format_instant, now_micros,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Row};
use tokio::sync::watch;
use uuid::Uuid;

use crate::rows::{event_columns, event_from_row};

/// Embedded migrations, applied on open.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// The transaction-level advisory lock under which an append draws its
/// positions and commits. Anything that inserts into `events` outside this
/// crate (a migration tool, a test playing a slow writer) must take it too.
pub const POSITION_LOCK: i64 = 0x6772_616e_7474_7261; // "granttra"

/// The channel every append notifies with its last position.
const COMMITS_CHANNEL: &str = "granttrail_commits";

/// Tells this process's followers of every commit, whichever server made
/// it. A lost connection is re-established by the listener; commits made
/// meanwhile are found by the followers' periodic poll.
async fn listen_for_commits(pool: PgPool, committed: watch::Sender<i64>) {
    let mut listener = loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(COMMITS_CHANNEL).await {
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

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some(UNIQUE_VIOLATION))
}

/// The PostgreSQL event store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    committed: watch::Sender<i64>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and migrates.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(unavailable)?;
        PostgresStore::open_with(options).await
    }

    /// Connects with explicit options (tests set a `search_path`).
    pub async fn open_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
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
            .map_err(|e| StoreError::Unavailable(format!("migrating the database: {e}")))?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&pool)
            .await
            .map_err(unavailable)?;
        let committed = watch::channel(last).0;
        tokio::spawn(listen_for_commits(pool.clone(), committed.clone()));
        Ok(PostgresStore { pool, committed })
    }

    /// The pool, for the other tables this backend keeps.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn try_append(
        &self,
        request: &AppendRequest,
    ) -> Result<Result<AppendOutcome, StoreError>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        if let Some(record) = &request.idempotency
            && let Some(previous) = find_idempotency(&mut tx, &record.actor_id, &record.key).await?
        {
            return Ok(Ok(AppendOutcome::AlreadyDone(previous)));
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
                return Ok(Err(conflict(request, actual)));
            }
        }
        let head: Option<(i64, String)> = sqlx::query_as(
            "SELECT version, head_hash FROM streams WHERE stream_id = $1 FOR UPDATE",
        )
        .bind(request.stream_id)
        .fetch_optional(&mut *tx)
        .await?;
        let actual = head.as_ref().map_or(0, |h| h.0);
        let matches = match request.expected {
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exact(v) => head.is_some() && actual as u64 == v && v > 0,
        };
        if !matches {
            return Ok(Err(conflict(request, actual)));
        }
        if let Some(code) = &request.reserve_code {
            let reserved =
                sqlx::query("INSERT INTO project_codes (code, stream_id) VALUES ($1, $2)")
                    .bind(code)
                    .bind(request.stream_id)
                    .execute(&mut *tx)
                    .await;
            match reserved {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    drop(tx);
                    let holder: Uuid =
                        sqlx::query_scalar("SELECT stream_id FROM project_codes WHERE code = $1")
                            .bind(code)
                            .fetch_one(&self.pool)
                            .await?;
                    return Ok(Err(StoreError::DuplicateCode {
                        code: code.clone(),
                        holder,
                    }));
                }
                Err(e) => return Err(e),
            }
        }
        // From the first position drawn to the commit, under one lock:
        // positions become visible in order, so no follower can pass a
        // position that is still to come (see the crate docs).
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(POSITION_LOCK)
            .execute(&mut *tx)
            .await?;
        let recorded_at = now_micros();
        let head = head.map(|(version, hash)| StreamHead {
            version: version as u64,
            hash,
        });
        let mut stored = request.stored_events(head, recorded_at, 0);
        for event in &mut stored {
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
            let inserted = sqlx::query(
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
            .await;
            if let Err(e) = inserted {
                if is_unique_violation(&e) {
                    // Another request with this key committed first.
                    drop(tx);
                    let mut connection = self.pool.acquire().await?;
                    return Ok(
                        match find_idempotency(&mut connection, &record.actor_id, &record.key)
                            .await?
                        {
                            Some(previous) => Ok(AppendOutcome::AlreadyDone(previous)),
                            None => Err(StoreError::IdempotencyRace {
                                key: record.key.clone(),
                            }),
                        },
                    );
                }
                return Err(e);
            }
        }
        if let Some(last) = stored.last() {
            // Delivered at commit, in commit order, to every server
            // listening: their followers wake at once instead of polling.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(COMMITS_CHANNEL)
                .bind(last.position.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(AppendOutcome::Appended(stored)))
    }
}

fn conflict(request: &AppendRequest, actual: i64) -> StoreError {
    StoreError::VersionConflict {
        stream_id: request.stream_id,
        expected: request.expected.as_u64(),
        actual: actual.max(0) as u64,
    }
}

async fn find_idempotency(
    connection: &mut PgConnection,
    actor_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
    type Row = (String, String, String, Uuid, i32, Option<String>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT key, actor_id, fingerprint, stream_id, status, etag, body FROM idempotency \
         WHERE actor_id = $1 AND key = $2",
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

#[async_trait]
impl EventStore for PostgresStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let outcome = match self.try_append(&request).await {
            Ok(outcome) => outcome,
            // Two creators of one stream, or a racing version: the unique
            // index decided. Report the version the winner left.
            Err(e) if is_unique_violation(&e) => {
                let actual = self
                    .stream_head(request.stream_id)
                    .await?
                    .map_or(0, |h| h.version);
                Err(StoreError::VersionConflict {
                    stream_id: request.stream_id,
                    expected: request.expected.as_u64(),
                    actual,
                })
            }
            Err(e) => Err(unavailable(e)),
        };
        if let Ok(AppendOutcome::Appended(events)) = &outcome
            && let Some(last) = events.last()
        {
            let position = last.position;
            granttrail_store::advance_committed(&self.committed, position);
        }
        outcome
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
