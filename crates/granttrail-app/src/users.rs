//! Users: the people behind tokens. Every event's actor is a user; an
//! admin adds, lists and disables them (`granttrail user add|list|disable`,
//! `/api/v1/users`). A disabled user's tokens and sessions authenticate
//! nobody from then on, and what they did stays on the record under their
//! name.

use granttrail_store::{UserRecord, now_micros};

use crate::permissions::{Action, permits};
use crate::{App, AppError, Caller};

/// Whether `id` is spelled as user ids are: the rule of codes and
/// organisation ids (ASCII letters, digits, `_-.`, at most 64, not only
/// dots), so an id is safe in a path and a log line.
fn is_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        && id.chars().any(|ch| ch != '.')
}

fn bad(parameter: &str, message: impl Into<String>) -> AppError {
    AppError::BadParameter {
        parameter: parameter.to_owned(),
        message: message.into(),
    }
}

impl App {
    /// Adds a user.
    pub async fn add_user(
        &self,
        caller: &Caller,
        id: &str,
        name: &str,
        org_id: Option<&str>,
    ) -> Result<UserRecord, AppError> {
        permits(caller, Action::ManageUsers)?;
        let id = id.trim();
        if !is_user_id(id) || id == "operator" {
            return Err(bad(
                "id",
                "a user id is 1 to 64 ASCII letters, digits, '_', '-' or '.' (not only dots, not 'operator')",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(bad(
                "name",
                "a user needs a display name of 1 to 200 characters",
            ));
        }
        let org_id = org_id.map(str::trim).filter(|o| !o.is_empty());
        if let Some(org) = org_id
            && !is_user_id(org)
        {
            return Err(bad(
                "org_id",
                "an organisation id is 1 to 64 ASCII letters, digits, '_', '-' or '.'",
            ));
        }
        let user = UserRecord {
            id: id.to_owned(),
            name: name.to_owned(),
            org_id: org_id.map(str::to_owned),
            created_at: now_micros(),
            disabled_at: None,
        };
        if !self.tokens.create_user(&user).await? {
            return Err(AppError::UserExists { id: id.to_owned() });
        }
        tracing::info!(target: "granttrail::audit", user_id = id, added_by = caller.user_id(), "user added");
        Ok(user)
    }

    /// Every user, oldest first.
    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserRecord>, AppError> {
        permits(caller, Action::ManageUsers)?;
        Ok(self.tokens.list_users().await?)
    }

    /// Disables a user: their tokens and sessions stop authenticating at
    /// once in this process (the token cache forgets them), and within the
    /// cache's TTL in others.
    pub async fn disable_user(&self, caller: &Caller, id: &str) -> Result<(), AppError> {
        permits(caller, Action::ManageUsers)?;
        self.token_cache.forget_user(id);
        if self.tokens.disable_user(id, now_micros()).await? {
            tracing::info!(target: "granttrail::audit", user_id = id, disabled_by = caller.user_id(), "user disabled");
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}
