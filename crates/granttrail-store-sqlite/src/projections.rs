//! Projection rows and checkpoints in the same SQLite file.

use async_trait::async_trait;
use granttrail_store::{
    CheckpointStep, ProjectFilter, ProjectRow, ProjectionStore, Saved, StoreError,
};
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use granttrail_store_sqlx::{PROJECT_LIST_COLUMNS, ProjectListRow, project_from_row};

use crate::{SqliteStore, unavailable};

#[async_trait]
impl ProjectionStore for SqliteStore {
    async fn checkpoint(&self, projection: &str) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = ?1")
                .bind(projection)
                .fetch_optional(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(position.unwrap_or(0))
    }

    async fn load_projects(&self, ids: &[Uuid]) -> Result<Vec<ProjectRow>, StoreError> {
        let mut rows = Vec::with_capacity(ids.len());
        // Chunks stay well under SQLite's bound-parameter limit.
        for chunk in ids.chunks(500) {
            let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "SELECT {PROJECT_LIST_COLUMNS} FROM project_list WHERE id IN ("
            ));
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(*id);
            }
            query.push(")");
            let found: Vec<ProjectListRow> = query
                .build_query_as()
                .fetch_all(self.pool())
                .await
                .map_err(unavailable)?;
            for row in found {
                rows.push(project_from_row(row)?);
            }
        }
        Ok(rows)
    }

    async fn save_projects(
        &self,
        projection: &str,
        rows: &[ProjectRow],
        step: CheckpointStep,
    ) -> Result<Saved, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = crate::writer::SaveJob {
            projection: projection.to_owned(),
            rows: rows.to_vec(),
            step,
            reply,
        };
        self.saves
            .send(job)
            .await
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the writer stopped mid-commit"))?
    }

    async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<ProjectRow>, StoreError> {
        let mut query = granttrail_store_sqlx::project_list_query::<sqlx::Sqlite>(filter);
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
        sqlx::query("DELETE FROM projection_checkpoints WHERE name = ?1")
            .bind(projection)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }
}
