//! Bearer tokens: who may call the API. Only a hash of each secret is kept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreError;

/// The four roles of the API contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including token management.
    Admin,
    /// All commands and reads.
    Staff,
    /// All reads, audit trails, reports, exports, verification.
    Auditor,
    /// Its own organisation's projects: read, submit self-reports.
    Executor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Staff, Role::Auditor, Role::Executor];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::Executor => "executor",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// A person (or system) who acts: tokens belong to users, and every
/// event's actor is the user behind the token that caused it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRecord {
    /// Stable id, recorded as the actor id of every event the user causes
    /// (letters, digits, `_-.`; a user migrated from a token keeps the
    /// token's id).
    pub id: String,
    /// Display name, as printed in audit trails and reports.
    pub name: String,
    /// The user's organisation, if any (an executing organisation's staff).
    pub org_id: Option<String>,
    /// When the user was added.
    pub created_at: DateTime<Utc>,
    /// When the user was disabled; a disabled user's tokens and sessions
    /// authenticate nobody.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A user row as both sqlx backends read it: id, name, org_id,
/// created_at, disabled_at (instants as RFC 3339 text).
pub type UserColumns = (String, String, Option<String>, String, Option<String>);

/// The columns of [`UserColumns`], in order.
pub const USER_COLUMNS: &str = "id, name, org_id, created_at, disabled_at";

impl UserRecord {
    /// A record from a [`UserColumns`] row.
    pub fn from_row(row: UserColumns) -> Result<UserRecord, StoreError> {
        let (id, name, org_id, created_at, disabled_at) = row;
        let instant = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    StoreError::corrupt_row("users", id.clone(), format!("a bad instant: {e}"))
                })
        };
        Ok(UserRecord {
            created_at: instant(&created_at)?,
            disabled_at: disabled_at.as_deref().map(instant).transpose()?,
            id,
            name,
            org_id,
        })
    }
}

/// A token as stored: never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRecord {
    /// Public id, shown in listings and keyed by idempotency records.
    pub id: Uuid,
    /// The user it belongs to.
    pub user_id: String,
    /// Who or what holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The organisation of an executor token.
    pub org_id: Option<String>,
    /// SHA-256 of the secret, lowercase hex.
    #[serde(skip_serializing)]
    pub secret_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; revoked tokens authenticate nobody.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops authenticating anyone by itself, if it was given an
    /// expiry when it was made.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A browser session: a bearer token exchanged once, at sign-in, for a
/// cookie. It acts as the token did, for as long as both live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id (revocation, logs).
    pub id: Uuid,
    /// SHA-256 of the cookie's secret, lowercase hex; the secret itself is
    /// never stored.
    pub secret_hash: String,
    /// The token it was exchanged for.
    pub token_id: Uuid,
    /// The token every form of the session carries (CSRF).
    pub form_token: String,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it stops authenticating by itself.
    pub expires_at: DateTime<Utc>,
    /// When it was ended (sign-out, revocation).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A session row as both sqlx backends read it, followed by its token's
/// [`TokenColumns`]: id, secret_hash, token_id, form_token, created_at,
/// expires_at, revoked_at (instants as RFC 3339 text).
pub type SessionColumns = (Uuid, String, Uuid, String, String, String, Option<String>);

impl SessionRecord {
    /// A record from a [`SessionColumns`] row.
    pub fn from_row(row: SessionColumns) -> Result<SessionRecord, StoreError> {
        let (id, secret_hash, token_id, form_token, created_at, expires_at, revoked_at) = row;
        let instant = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    StoreError::corrupt_row(
                        "sessions",
                        id.to_string(),
                        format!("a bad instant: {e}"),
                    )
                })
        };
        Ok(SessionRecord {
            id,
            secret_hash,
            token_id,
            form_token,
            created_at: instant(&created_at)?,
            expires_at: instant(&expires_at)?,
            revoked_at: revoked_at.as_deref().map(instant).transpose()?,
        })
    }
}

/// Where tokens live; implemented by each backend beside its events.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Stores a new token record.
    async fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError>;
    /// The token with this secret hash, live, revoked or expired: the app
    /// decides, and names the token when it refuses it.
    async fn find_token(&self, secret_hash: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Every token, newest first.
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes a token; `false` if there was no such live token.
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Stores a new session.
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    /// The session with this secret hash and the token it was exchanged
    /// for, live, ended or expired: the app decides.
    async fn find_session(
        &self,
        secret_hash: &str,
    ) -> Result<Option<(SessionRecord, TokenRecord)>, StoreError>;
    /// Ends a session; `false` if there was no such live session.
    async fn end_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Stores a new user; `false` if the id is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<bool, StoreError>;
    /// The user with this id, enabled or disabled.
    async fn find_user(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Every user, oldest first.
    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Disables a user; `false` if there was no such enabled user.
    async fn disable_user(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// A token row as both sqlx backends read it: id, name, role, org_id,
/// secret_hash, created_at, revoked_at, expires_at, user_id (instants as
/// RFC 3339 text).
pub type TokenColumns = (
    Uuid,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// The columns of [`TokenColumns`], in order.
pub const TOKEN_COLUMNS: &str =
    "id, name, role, org_id, secret_hash, created_at, revoked_at, expires_at, user_id";

impl TokenRecord {
    /// A record from a [`TokenColumns`] row.
    pub fn from_row(row: TokenColumns) -> Result<TokenRecord, StoreError> {
        let (id, name, role, org_id, secret_hash, created_at, revoked_at, expires_at, user_id) =
            row;
        let instant = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    StoreError::corrupt_row("tokens", id.to_string(), format!("a bad instant: {e}"))
                })
        };
        Ok(TokenRecord {
            id,
            user_id,
            name,
            role: Role::parse(&role).ok_or_else(|| {
                StoreError::corrupt_row("tokens", id.to_string(), format!("unknown role '{role}'"))
            })?,
            org_id,
            secret_hash,
            created_at: instant(&created_at)?,
            revoked_at: revoked_at.as_deref().map(instant).transpose()?,
            expires_at: expires_at.as_deref().map(instant).transpose()?,
        })
    }
}
