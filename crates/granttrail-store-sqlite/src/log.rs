//! The transparency log in the same SQLite file. Reads use the read
//! pool; writes go through the writer task, between event batches, like
//! projection saves.

use async_trait::async_trait;
use granttrail_store::{
    Cosignature, LogHash, LogHead, LogStep, LogStore, Saved, StoreError, StoredCheckpoint,
    checkpoint_from_columns, cosignature_from_columns, format_instant, hashes_in_order,
};
use sqlx::{QueryBuilder, Sqlite};

use crate::writer_connection::{Durability, WriterConnection};
use crate::{SqliteStore, unavailable};

/// A log write for the writer task.
pub(crate) enum LogWrite {
    Integrate(LogStep),
    Checkpoint(StoredCheckpoint),
    Cosignature(Cosignature),
}

/// A log write and where its answer goes.
pub(crate) struct LogJob {
    pub(crate) write: LogWrite,
    pub(crate) reply: tokio::sync::oneshot::Sender<Result<Saved, StoreError>>,
}

type CheckpointRow = (i64, String, String, String, String);

/// The newest checkpoint.
const LATEST_SQL: &str = "SELECT tree_size, root, note, key_id, signed_at FROM log_checkpoints \
     ORDER BY tree_size DESC LIMIT 1";
/// The smallest checkpoint covering a size.
const COVERING_SQL: &str = "SELECT tree_size, root, note, key_id, signed_at FROM log_checkpoints \
     WHERE tree_size >= ?1 ORDER BY tree_size LIMIT 1";
/// Checkpoints after a size, oldest first.
const AFTER_SQL: &str = "SELECT tree_size, root, note, key_id, signed_at FROM log_checkpoints \
     WHERE tree_size > ?1 ORDER BY tree_size LIMIT ?2";

fn checkpoint(row: CheckpointRow) -> Result<StoredCheckpoint, StoreError> {
    let (size, root, note, key_id, signed_at) = row;
    checkpoint_from_columns(size, &root, note, key_id, &signed_at)
}

impl SqliteStore {
    async fn send_log(&self, write: LogWrite) -> Result<Saved, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.log_writes
            .send(LogJob { write, reply })
            .await
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the writer stopped mid-commit"))?
    }

    async fn one_checkpoint(
        &self,
        sql: &'static str,
        bind: Option<i64>,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let mut query = sqlx::query_as::<_, CheckpointRow>(sql);
        if let Some(bind) = bind {
            query = query.bind(bind);
        }
        let row: Option<CheckpointRow> = query
            .fetch_optional(self.pool())
            .await
            .map_err(unavailable)?;
        row.map(checkpoint).transpose()
    }
}

#[async_trait]
impl LogStore for SqliteStore {
    async fn log_head(&self) -> Result<LogHead, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT leaf_index, position FROM log_leaves ORDER BY leaf_index DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(row.map_or(LogHead::default(), |(index, position)| LogHead {
            size: index as u64 + 1,
            position,
        }))
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<LogHash>, StoreError> {
        let mut rows = Vec::with_capacity(indexes.len());
        for chunk in indexes.chunks(500) {
            let mut query: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT hash_index, hash FROM log_hashes WHERE hash_index IN (");
            let mut list = query.separated(", ");
            for index in chunk {
                list.push_bind(*index as i64);
            }
            query.push(")");
            let found: Vec<(i64, Vec<u8>)> = query
                .build_query_as()
                .fetch_all(self.pool())
                .await
                .map_err(unavailable)?;
            rows.extend(found);
        }
        hashes_in_order(indexes, rows)
    }

    async fn integrate(&self, step: &LogStep) -> Result<Saved, StoreError> {
        self.send_log(LogWrite::Integrate(step.clone())).await
    }

    async fn leaf_index(&self, position: i64) -> Result<Option<u64>, StoreError> {
        let index: Option<i64> =
            sqlx::query_scalar("SELECT leaf_index FROM log_leaves WHERE position = ?1")
                .bind(position)
                .fetch_optional(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(index.map(|i| i as u64))
    }

    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<(), StoreError> {
        self.send_log(LogWrite::Checkpoint(checkpoint.clone()))
            .await
            .map(|_| ())
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.one_checkpoint(LATEST_SQL, None).await
    }

    async fn checkpoints(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows: Vec<CheckpointRow> = sqlx::query_as(AFTER_SQL)
            .bind(after as i64)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(unavailable)?;
        rows.into_iter().map(checkpoint).collect()
    }

    async fn checkpoint_covering(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.one_checkpoint(COVERING_SQL, Some(size as i64)).await
    }

    async fn save_cosignature(&self, cosignature: &Cosignature) -> Result<(), StoreError> {
        self.send_log(LogWrite::Cosignature(cosignature.clone()))
            .await
            .map(|_| ())
    }

    async fn cosignatures(&self, size: u64) -> Result<Vec<Cosignature>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT tree_size, name, key_id, line, signed_at FROM log_cosignatures \
             WHERE tree_size = ?1 ORDER BY signed_at, name",
        )
        .bind(size as i64)
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(size, name, key_id, line, at)| {
                cosignature_from_columns(size, name, key_id, line, &at)
            })
            .collect()
    }

    async fn last_cosigned(&self, name: &str, key_id: &str) -> Result<Option<u64>, StoreError> {
        let size: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(tree_size) FROM log_cosignatures WHERE name = ?1 AND key_id = ?2",
        )
        .bind(name)
        .bind(key_id)
        .fetch_one(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(size.map(|s| s as u64))
    }
}

/// Writes a log job on the writer's connection. Integration commits
/// without waiting for the disk (it is derived from the events, and a
/// later durable commit carries it to disk with it); a checkpoint is
/// committed durably, since it may already be in an auditor's hands.
pub(crate) async fn write(
    connection: &mut WriterConnection,
    write: &LogWrite,
) -> Result<Saved, StoreError> {
    let unavailable = |e: sqlx::Error| StoreError::unavailable(e.to_string());
    let durability = match write {
        LogWrite::Integrate(_) => Durability::Deferred,
        LogWrite::Checkpoint(_) | LogWrite::Cosignature(_) => Durability::Flushed,
    };
    let connection = connection.at(durability).await.map_err(unavailable)?;
    let mut tx = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE")
        .await
        .map_err(unavailable)?;
    match write {
        LogWrite::Integrate(step) => {
            // BEGIN IMMEDIATE holds the write lock: the head read here is
            // the head the step is written on.
            let size: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM log_leaves")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            if size as u64 != step.from.size {
                return Ok(Saved::Overtaken);
            }
            for chunk in step.leaves.chunks(400) {
                let mut query: QueryBuilder<Sqlite> =
                    QueryBuilder::new("INSERT INTO log_leaves (position, leaf_index) ");
                query.push_values(chunk, |mut row, (position, index)| {
                    row.push_bind(*position).push_bind(*index as i64);
                });
                query.build().execute(&mut *tx).await.map_err(unavailable)?;
            }
            for chunk in step.hashes.chunks(400) {
                let mut query: QueryBuilder<Sqlite> =
                    QueryBuilder::new("INSERT INTO log_hashes (hash_index, hash) ");
                query.push_values(chunk, |mut row, (index, hash)| {
                    row.push_bind(*index as i64).push_bind(hash.to_vec());
                });
                query.build().execute(&mut *tx).await.map_err(unavailable)?;
            }
        }
        LogWrite::Checkpoint(checkpoint) => {
            sqlx::query(
                "INSERT INTO log_checkpoints (tree_size, root, note, key_id, signed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tree_size) DO NOTHING",
            )
            .bind(checkpoint.size as i64)
            .bind(hex::encode(checkpoint.root))
            .bind(&checkpoint.note)
            .bind(&checkpoint.key_id)
            .bind(format_instant(&checkpoint.signed_at))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        LogWrite::Cosignature(cosignature) => {
            sqlx::query(
                "INSERT INTO log_cosignatures (tree_size, name, key_id, line, signed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )
            .bind(cosignature.size as i64)
            .bind(&cosignature.name)
            .bind(&cosignature.key_id)
            .bind(&cosignature.line)
            .bind(format_instant(&cosignature.signed_at))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(Saved::Written)
}
