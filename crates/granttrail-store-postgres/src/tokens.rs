//! Bearer tokens beside the events, stored only as hashes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use granttrail_store::{StoreError, TokenRecord, TokenStore, format_instant};
use uuid::Uuid;

use crate::{PostgresStore, unavailable};

#[async_trait]
impl TokenStore for PostgresStore {
    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (id, name, role, org_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.id)
        .bind(&token.name)
        .bind(token.role.as_str())
        .bind(&token.org_id)
        .bind(&token.secret_hash)
        .bind(format_instant(&token.created_at))
        .bind(token.expires_at.as_ref().map(format_instant))
        .execute(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<granttrail_store::TokenColumns> = sqlx::query_as(
            "SELECT id, name, role, org_id, secret_hash, created_at, revoked_at, expires_at FROM tokens \
             WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        row.map(TokenRecord::from_row).transpose()
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows: Vec<granttrail_store::TokenColumns> = sqlx::query_as(
            "SELECT id, name, role, org_id, secret_hash, created_at, revoked_at, expires_at FROM tokens ORDER BY created_at DESC, id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(TokenRecord::from_row).collect()
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(format_instant(&at))
                .execute(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }
}
