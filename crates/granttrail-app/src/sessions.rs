//! Browser sessions: a bearer token exchanged once, at sign-in, for a
//! cookie that acts as the token did while both live. The API itself
//! takes bearer tokens only; sessions are for the web view.

use chrono::Utc;
use granttrail_store::{SessionRecord, now_micros};
use uuid::Uuid;

use crate::auth::hash_secret;
use crate::{App, AppError, Caller};

/// A session just begun: its record, and the cookie's secret, which is
/// shown this once (only its hash is kept). `Debug` never shows it.
#[derive(Clone)]
pub struct StartedSession {
    /// What is stored.
    pub record: SessionRecord,
    /// The cookie's value.
    pub secret: String,
}

impl std::fmt::Debug for StartedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartedSession")
            .field("record", &self.record)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl App {
    /// Exchanges a live bearer token for a session lasting `lifetime`
    /// (never beyond the token's own expiry).
    pub async fn start_session(
        &self,
        token_secret: &str,
        lifetime: chrono::Duration,
    ) -> Result<StartedSession, AppError> {
        let hash = hash_secret(token_secret);
        let token = self
            .tokens
            .find_token(&hash)
            .await?
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now_micros()))
            .ok_or(AppError::Unauthenticated)?;
        let now = now_micros();
        let mut expires_at = now + lifetime;
        if let Some(token_expiry) = token.expires_at {
            expires_at = expires_at.min(token_expiry);
        }
        let secret = format!("gs_{}", hex::encode(rand::random::<[u8; 32]>()));
        let record = SessionRecord {
            id: Uuid::now_v7(),
            secret_hash: hash_secret(&secret),
            token_id: token.id,
            form_token: hex::encode(rand::random::<[u8; 24]>()),
            created_at: now,
            expires_at,
            revoked_at: None,
        };
        self.tokens.create_session(&record).await?;
        tracing::info!(
            target: "granttrail::audit",
            session_id = %record.id,
            token_id = %token.id,
            expires_at = %granttrail_store::format_instant(&record.expires_at),
            "session started"
        );
        Ok(StartedSession { record, secret })
    }

    /// The caller behind a session's cookie, and the session: refused
    /// (`Unauthenticated`) once the session ended or expired, or its token
    /// was revoked or expired.
    pub async fn session(&self, secret: &str) -> Result<(Caller, SessionRecord), AppError> {
        let Some((session, token)) = self.tokens.find_session(&hash_secret(secret)).await? else {
            return Err(AppError::Unauthenticated);
        };
        let now = Utc::now();
        let refused = if session.revoked_at.is_some() {
            Some("session ended")
        } else if session.expires_at <= now {
            Some("session expired")
        } else if token.revoked_at.is_some() {
            Some("token revoked")
        } else if token.expires_at.is_some_and(|at| at <= now) {
            Some("token expired")
        } else {
            None
        };
        let user = self.tokens.find_user(&token.user_id).await?;
        let refused = refused.or(match &user {
            Some(user) if user.disabled_at.is_none() => None,
            Some(_) => Some("user disabled"),
            None => Some("no such user"),
        });
        if let Some(reason) = refused {
            tracing::info!(target: "granttrail::audit", session_id = %session.id, reason, "session refused");
            return Err(AppError::Unauthenticated);
        }
        let Some(user) = user else {
            return Err(AppError::Unauthenticated);
        };
        Ok((Caller::from_token(&token, &user), session))
    }

    /// Ends a session (sign-out); ending one that already ended is fine.
    pub async fn end_session(&self, session: &SessionRecord) -> Result<(), AppError> {
        if self.tokens.end_session(session.id, now_micros()).await? {
            tracing::info!(target: "granttrail::audit", session_id = %session.id, "session ended");
        }
        Ok(())
    }
}
