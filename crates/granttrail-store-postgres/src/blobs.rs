//! Attachment bytes on PostgreSQL: a `blobs` table of `bytea`, keyed by
//! SHA-256, beside the events (one backup holds both). An upload is
//! staged in the server's temporary directory and inserted whole; the
//! size limit bounds what one insert holds.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use granttrail_store::{BlobStore, StoreError};

use crate::{PostgresStore, unavailable};

#[async_trait]
impl BlobStore for PostgresStore {
    fn staging(&self) -> PathBuf {
        std::env::temp_dir().join("granttrail-staging")
    }

    async fn keep(&self, sha256: &str, staged: &Path) -> Result<(), StoreError> {
        let bytes = tokio::fs::read(staged)
            .await
            .map_err(|e| StoreError::unavailable(format!("reading the upload: {e}")))?;
        sqlx::query(
            "INSERT INTO blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(bytes)
        .execute(self.pool())
        .await
        .map_err(unavailable)?;
        let _ = tokio::fs::remove_file(staged).await;
        Ok(())
    }

    async fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT bytes FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await
            .map_err(unavailable)
    }
}
