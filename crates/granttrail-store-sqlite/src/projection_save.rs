//! Projection rows and their checkpoint, as the runner saves them: written
//! by the writer task between event batches, without waiting for the disk
//! (projections are rebuilt from events; the next durable commit carries
//! them to disk). Rows only move forward: a row the events' own
//! transaction already moved past (see `batch_write`) stays.

use granttrail_store::{Saved, StoreError};
use sqlx::{Connection, Sqlite};

use granttrail_store_sqlx::project_list_upsert;

use crate::writer::SaveJob;
use crate::writer_connection::{Durability, WriterConnection};

/// Saves projection rows and moves their checkpoint, without waiting for
/// the disk.
///
/// Projections are rebuilt from events, so their commit need not be
/// flushed ([`Durability::Deferred`]): a crash before the next durable
/// commit loses the rows and their checkpoint together, never an event;
/// the runner applies those events again.
pub(crate) async fn save_projection(
    connection: &mut WriterConnection,
    save: &SaveJob,
) -> Result<Saved, StoreError> {
    let unavailable = |e: sqlx::Error| StoreError::unavailable(e.to_string());
    let connection = connection
        .at(Durability::Deferred)
        .await
        .map_err(unavailable)?;
    let mut tx = connection
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(unavailable)?;
    // BEGIN IMMEDIATE holds the write lock: no other process can move the
    // checkpoint between this read and the commit.
    let current: Option<i64> =
        sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = ?1")
            .bind(&save.projection)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
    if current.unwrap_or(0) != save.step.from {
        return Ok(Saved::Overtaken);
    }
    for chunk in save.rows.chunks(500) {
        // A row only moves forward (a second line of defence: the
        // checkpoint step already keeps runners apart).
        let mut query = project_list_upsert::<Sqlite>(chunk);
        query.build().execute(&mut *tx).await.map_err(unavailable)?;
    }
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, position) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )
    .bind(&save.projection)
    .bind(save.step.to)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(Saved::Written)
}
