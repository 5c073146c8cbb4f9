//! The project list's rows and the projections' checkpoints.

use async_trait::async_trait;
use granttrail_store::{
    CheckpointStep, ProjectFilter, ProjectRow, ProjectionStore, Saved, StoreError,
};
use sqlx::Postgres;
use uuid::Uuid;

use granttrail_store_sqlx::{
    PROJECT_LIST_COLUMNS, ProjectListRow, project_from_row, project_list_upsert,
};

use crate::{PostgresStore, unavailable};

#[async_trait]
impl ProjectionStore for PostgresStore {
    async fn checkpoint(&self, projection: &str) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
                .bind(projection)
                .fetch_optional(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(position.unwrap_or(0))
    }

    async fn load_projects(&self, ids: &[Uuid]) -> Result<Vec<ProjectRow>, StoreError> {
        let rows: Vec<ProjectListRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {PROJECT_LIST_COLUMNS} FROM project_list WHERE id = ANY($1)"
        )))
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(project_from_row).collect()
    }

    async fn save_projects(
        &self,
        projection: &str,
        rows: &[ProjectRow],
        step: CheckpointStep,
    ) -> Result<Saved, StoreError> {
        let mut tx = self.pool().begin().await.map_err(unavailable)?;
        // The checkpoint row, locked until commit: a runner in another
        // process waits here, then finds the checkpoint moved and writes
        // nothing.
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        )
        .bind(projection)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let current: i64 = sqlx::query_scalar(
            "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE",
        )
        .bind(projection)
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
        if current != step.from {
            return Ok(Saved::Overtaken);
        }
        for chunk in rows.chunks(500) {
            // A row only moves forward (a second line of defence: the
            // checkpoint step already keeps runners apart).
            let mut query = project_list_upsert::<Postgres>(chunk);
            query.build().execute(&mut *tx).await.map_err(unavailable)?;
        }
        sqlx::query("UPDATE projection_checkpoints SET position = $2 WHERE name = $1")
            .bind(projection)
            .bind(step.to)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Saved::Written)
    }

    async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<ProjectRow>, StoreError> {
        let mut query = granttrail_store_sqlx::project_list_query::<sqlx::Postgres>(filter);
        let rows: Vec<ProjectListRow> = query
            .build_query_as()
            .fetch_all(self.pool())
            .await
            .map_err(unavailable)?;
        rows.into_iter().map(project_from_row).collect()
    }

    async fn reset(&self, projection: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(unavailable)?;
        if projection == "project_list" {
            sqlx::query("DELETE FROM project_list")
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
            .bind(projection)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }
}
