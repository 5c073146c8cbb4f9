//! Who is calling, and the tokens that say so.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use granttrail_store::{Actor, Role, TokenRecord, UserRecord, now_micros};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::permissions::{Action, permits};
use crate::{App, AppError};

/// Who is asking, as established from their bearer token (or, for the
/// CLI, from the operator at the terminal). The role is kept once, here;
/// the actor recorded on events is derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    id: String,
    user_id: String,
    name: String,
    org_id: Option<String>,
    via: Via,
}

/// How the caller came to be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// A bearer token of this role.
    Token(Role),
    /// The operator at the server's terminal (the CLI): full rights,
    /// recorded as role `operator`.
    Terminal,
}

impl Caller {
    /// The caller behind a token: its user acts, with the token's role.
    pub fn from_token(token: &TokenRecord, user: &UserRecord) -> Caller {
        Caller {
            id: token.id.to_string(),
            user_id: user.id.clone(),
            name: user.name.clone(),
            org_id: token.org_id.clone(),
            via: Via::Token(token.role),
        }
    }

    /// The operator running the CLI on the server (imports, tokens,
    /// exports): whoever holds the database holds every right, so the
    /// operator acts as an admin, recorded as role `operator`.
    pub fn operator(name: &str) -> Caller {
        Caller {
            id: "operator".to_owned(),
            user_id: "operator".to_owned(),
            name: name.to_owned(),
            org_id: None,
            via: Via::Terminal,
        }
    }

    /// A token caller made up for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str, role: Role, org_id: Option<&str>) -> Caller {
        Caller {
            id: id.to_owned(),
            user_id: id.to_owned(),
            name: id.to_owned(),
            org_id: org_id.map(str::to_owned),
            via: Via::Token(role),
        }
    }

    /// What the caller may do (see [`crate::permissions`]).
    pub fn role(&self) -> Role {
        match self.via {
            Via::Token(role) => role,
            Via::Terminal => Role::Admin,
        }
    }

    /// The token id (`operator` at the terminal): the key of the caller's
    /// idempotency records and of audit log lines.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The user acting (`operator` at the terminal): the actor id of the
    /// events the caller causes, and whom the four-eyes rules compare.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The user's display name.
    pub fn user_name(&self) -> &str {
        &self.name
    }

    /// The executor's organisation, if any.
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// The person the four-eyes rules compare, recorded as the author of
    /// self-reports, drafts and finalizations.
    pub fn person(&self) -> granttrail_domain::Person {
        granttrail_domain::Person {
            id: self.user_id.clone(),
            name: self.name.clone(),
        }
    }

    /// Whether the caller is the operator at the terminal: an import
    /// replays history decided elsewhere, so the four-eyes rules, which
    /// judge people at the moment they act, do not apply to it.
    pub fn is_operator(&self) -> bool {
        self.via == Via::Terminal
    }

    /// Who is recorded on the events the caller causes.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.user_id.clone(),
            name: self.name.clone(),
            role: match self.via {
                Via::Token(role) => role.as_str(),
                Via::Terminal => "operator",
            }
            .to_owned(),
            org_id: self.org_id.clone(),
        }
    }

    /// Whether the caller may see projects of `org_id`.
    pub fn sees_org(&self, org_id: &str) -> bool {
        self.role() != Role::Executor || self.org_id() == Some(org_id)
    }
}

/// A freshly created token: the record, and the secret shown exactly once.
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct IssuedToken {
    /// What is stored.
    pub record: TokenRecord,
    /// The bearer secret; only its hash is kept.
    pub secret: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("record", &self.record)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The stored form of a bearer secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `org` is spelled as organisation ids (and codes) are.
fn is_org_id(org: &str) -> bool {
    org.len() <= 64
        && org
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        && org.chars().any(|ch| ch != '.')
}

impl App {
    /// Creates a token, and a user of its own named like it (one user per
    /// token, as tokens made before users existed were migrated).
    /// Executors must name their organisation; other roles must not.
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        role: Role,
        org_id: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, AppError> {
        self.create_token_for(caller, None, name, role, org_id, expires_at)
            .await
    }

    /// Creates a token for an existing user (`user`), or for a new user of
    /// its own when `user` is `None`. A user's token takes the user's
    /// organisation; an executor token needs one.
    pub async fn create_token_for(
        &self,
        caller: &Caller,
        user: Option<&str>,
        name: &str,
        role: Role,
        org_id: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, AppError> {
        permits(caller, Action::ManageTokens)?;
        let owner = match user {
            None => None,
            Some(id) => match self.tokens.find_user(id).await? {
                Some(found) if found.disabled_at.is_none() => Some(found),
                Some(_) => {
                    return Err(AppError::BadParameter {
                        parameter: "user".to_owned(),
                        message: format!("user '{id}' is disabled"),
                    });
                }
                None => {
                    return Err(AppError::BadParameter {
                        parameter: "user".to_owned(),
                        message: format!(
                            "there is no user '{id}'; add it first (granttrail user add)"
                        ),
                    });
                }
            },
        };
        let org_id = match (&owner, org_id.map(str::trim).filter(|o| !o.is_empty())) {
            (Some(owner), Some(given)) if owner.org_id.as_deref() != Some(given) => {
                return Err(AppError::BadParameter {
                    parameter: "org_id".to_owned(),
                    message: format!(
                        "user '{}' belongs to {}, not {given}",
                        owner.id,
                        owner.org_id.as_deref().unwrap_or("no organisation")
                    ),
                });
            }
            (Some(owner), _) if role == Role::Executor => owner.org_id.clone(),
            (_, given) => given.map(str::to_owned),
        };
        let org_id = org_id.as_deref();
        let name = name.trim();
        let bad = |message: &str| AppError::BadParameter {
            parameter: "token".to_owned(),
            message: message.to_owned(),
        };
        if name.is_empty() || name.chars().count() > 200 {
            return Err(bad("a token needs a name of 1 to 200 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(bad("a token's name may not contain control characters"));
        }
        let org_id = org_id.map(str::trim).filter(|o| !o.is_empty());
        // The same rule as a project's executor org_id (a code): ASCII
        // letters, digits, '_', '-' and '.', at most 64, not only dots. So
        // no NUL, no lookalike letters, and a token's organisation is one
        // a project can name.
        if let Some(org) = org_id
            && !is_org_id(org)
        {
            return Err(bad(
                "an organisation id is 1 to 64 ASCII letters, digits, '_', '-' or '.', not only dots",
            ));
        }
        match (role, org_id) {
            (Role::Executor, None) => {
                return Err(bad("an executor token needs an organisation (--org)"));
            }
            (Role::Executor, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(bad("only executor tokens belong to an organisation")),
        }
        if let Some(at) = expires_at
            && at <= now_micros()
        {
            return Err(AppError::BadParameter {
                parameter: "expires_at".to_owned(),
                message: format!(
                    "{} has passed; a token's expiry lies in the future",
                    granttrail_store::format_instant(&at)
                ),
            });
        }
        let secret = format!("gt_{}", hex::encode(rand::random::<[u8; 32]>()));
        let id = Uuid::now_v7();
        let user_id = match owner {
            Some(owner) => owner.id,
            None => {
                let user = UserRecord {
                    id: id.to_string(),
                    name: name.to_owned(),
                    org_id: org_id.map(str::to_owned),
                    created_at: now_micros(),
                    disabled_at: None,
                };
                self.tokens.create_user(&user).await?;
                user.id
            }
        };
        let record = TokenRecord {
            id,
            user_id,
            name: name.to_owned(),
            role,
            org_id: org_id.map(str::to_owned),
            secret_hash: hash_secret(&secret),
            created_at: now_micros(),
            revoked_at: None,
            expires_at,
        };
        self.tokens.create_token(&record).await?;
        tracing::info!(
            target: "granttrail::audit",
            token_id = %record.id,
            created_by = caller.id(),
            role = record.role.as_str(),
            org_id = record.org_id.as_deref().unwrap_or("-"),
            expires_at = record.expires_at.as_ref().map(granttrail_store::format_instant).unwrap_or_default(),
            "token created"
        );
        Ok(IssuedToken { record, secret })
    }

    /// Every token, newest first (never their secrets).
    pub async fn list_tokens(&self, caller: &Caller) -> Result<Vec<TokenRecord>, AppError> {
        permits(caller, Action::ManageTokens)?;
        Ok(self.tokens.list_tokens().await?)
    }

    /// Revokes a token; revoked tokens authenticate nobody.
    pub async fn revoke_token(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        permits(caller, Action::ManageTokens)?;
        self.token_cache.forget(id);
        if self.tokens.revoke_token(id, now_micros()).await? {
            tracing::info!(target: "granttrail::audit", token_id = %id, revoked_by = caller.id(), "token revoked");
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The caller a bearer secret belongs to.
    ///
    /// Live tokens are remembered for [`TOKEN_CACHE_TTL`], so most
    /// requests skip the token query. Revoking through this process
    /// forgets the token at once; a revocation made by another process
    /// (the CLI) takes effect within the TTL.
    pub async fn authenticate(&self, secret: &str) -> Result<Caller, AppError> {
        let hash = hash_secret(secret);
        if let Some(caller) = self.token_cache.get(&hash) {
            return Ok(caller);
        }
        let Some(token) = self.tokens.find_token(&hash).await? else {
            tracing::info!(target: "granttrail::audit", "token refused: unknown");
            return Err(AppError::Unauthenticated);
        };
        let refused = if token.revoked_at.is_some() {
            Some("revoked")
        } else if token.expires_at.is_some_and(|at| at <= now_micros()) {
            Some("expired")
        } else {
            None
        };
        if let Some(reason) = refused {
            tracing::info!(target: "granttrail::audit", token_id = %token.id, reason, "token refused");
            return Err(AppError::Unauthenticated);
        }
        let user = match self.tokens.find_user(&token.user_id).await? {
            Some(user) if user.disabled_at.is_none() => user,
            found => {
                let reason = if found.is_some() {
                    "user disabled"
                } else {
                    "no such user"
                };
                tracing::info!(target: "granttrail::audit", token_id = %token.id, user_id = token.user_id, reason, "token refused");
                return Err(AppError::Unauthenticated);
            }
        };
        let caller = Caller::from_token(&token, &user);
        self.token_cache
            .put(hash, token.id, caller.clone(), token.expires_at);
        Ok(caller)
    }

    /// Whether any live admin token exists (the server tells a first-time
    /// operator how to make one).
    pub async fn has_admin_token(&self) -> Result<bool, AppError> {
        Ok(self.tokens.list_tokens().await?.iter().any(|t| {
            t.role == Role::Admin
                && t.revoked_at.is_none()
                && t.expires_at.is_none_or(|at| at > now_micros())
        }))
    }
}

/// How long an authenticated token is trusted without asking the store.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// Recently authenticated tokens, by secret hash.
///
/// A std mutex, not tokio's: the critical sections are a map lookup or
/// insert and never await.
pub(crate) struct TokenCache {
    /// By secret hash: the token id, the caller, when the entry was made,
    /// and when the token expires (an entry never outlives its token).
    entries: Mutex<HashMap<String, CachedToken>>,
    /// How long an entry is trusted ([`TOKEN_CACHE_TTL`] unless set;
    /// zero: never, every request asks the store).
    ttl: Duration,
}

impl TokenCache {
    pub(crate) fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            entries: Mutex::default(),
            ttl,
        }
    }
}

/// One remembered token.
struct CachedToken {
    id: Uuid,
    caller: Caller,
    cached_at: Instant,
    expires_at: Option<DateTime<Utc>>,
}

/// Bounds the cache; past it, it starts over.
const MAX_CACHED_TOKENS: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Caller> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(hash)?;
        let fresh = entry.cached_at.elapsed() < self.ttl
            && entry.expires_at.is_none_or(|at| at > now_micros());
        fresh.then(|| entry.caller.clone())
    }

    fn put(&self, hash: String, id: Uuid, caller: Caller, expires_at: Option<DateTime<Utc>>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
            let entry = CachedToken {
                id,
                caller,
                cached_at: Instant::now(),
                expires_at,
            };
            entries.insert(hash, entry);
        }
    }

    fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| entry.id != id);
        }
    }

    pub(crate) fn forget_user(&self, user_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, entry| entry.caller.user_id != user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Caller {
        Caller::operator("test")
    }

    #[test]
    fn a_cached_token_is_trusted_for_the_ttl_only() {
        let kept = TokenCache::new(TOKEN_CACHE_TTL);
        kept.put("h".into(), Uuid::nil(), staff(), None);
        assert_eq!(kept.get("h"), Some(staff()));

        let never = TokenCache::new(Duration::ZERO);
        never.put("h".into(), Uuid::nil(), staff(), None);
        assert_eq!(never.get("h"), None, "a zero TTL asks the store every time");
    }

    #[test]
    fn debug_of_an_issued_token_never_shows_its_secret() {
        let issued = IssuedToken {
            record: TokenRecord {
                id: Uuid::nil(),
                user_id: "clerk".into(),
                name: "clerk".into(),
                role: Role::Staff,
                org_id: None,
                secret_hash: hash_secret("gt_visible-only-once"),
                created_at: now_micros(),
                revoked_at: None,
                expires_at: None,
            },
            secret: "gt_visible-only-once".into(),
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains("gt_visible-only-once"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
