//! Bearer tokens in the same file as the events.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use granttrail_store::{
    SessionRecord, StoreError, TOKEN_COLUMNS, TokenRecord, TokenStore, USER_COLUMNS, UserColumns,
    UserRecord, format_instant,
};
use granttrail_store_sqlx::{SESSION_WITH_TOKEN_COLUMNS, SessionWithTokenRow, session_from_row};
use uuid::Uuid;

use crate::{SqliteStore, unavailable};

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (id, name, role, org_id, secret_hash, created_at, expires_at, user_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(token.id)
        .bind(&token.name)
        .bind(token.role.as_str())
        .bind(&token.org_id)
        .bind(&token.secret_hash)
        .bind(format_instant(&token.created_at))
        .bind(token.expires_at.as_ref().map(format_instant))
        .bind(&token.user_id)
        .execute(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<granttrail_store::TokenColumns> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ?1"),
        ))
        .bind(secret_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        row.map(TokenRecord::from_row).transpose()
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows: Vec<granttrail_store::TokenColumns> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at DESC, id"),
        ))
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(TokenRecord::from_row).collect()
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
                .bind(id)
                .bind(format_instant(&at))
                .execute(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id, secret_hash, token_id, form_token, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(session.id)
        .bind(&session.secret_hash)
        .bind(session.token_id)
        .bind(&session.form_token)
        .bind(format_instant(&session.created_at))
        .bind(format_instant(&session.expires_at))
        .execute(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn find_session(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(SessionRecord, TokenRecord)>, StoreError> {
        let row: Option<SessionWithTokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_WITH_TOKEN_COLUMNS} FROM sessions s \
             JOIN tokens t ON t.id = s.token_id WHERE s.secret_hash = ?1"
        )))
        .bind(secret_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        row.map(session_from_row).transpose()
    }

    async fn end_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
                .bind(id)
                .bind(format_instant(&at))
                .execute(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_user(&self, user: &UserRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (id, name, org_id, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.name)
        .bind(&user.org_id)
        .bind(format_instant(&user.created_at))
        .execute(self.pool())
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_user(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<UserColumns> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = ?1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        row.map(UserRecord::from_row).transpose()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows: Vec<UserColumns> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(UserRecord::from_row).collect()
    }

    async fn disable_user(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL")
                .bind(id)
                .bind(format_instant(&at))
                .execute(self.pool())
                .await
                .map_err(unavailable)?;
        Ok(done.rows_affected() == 1)
    }
}
