//! A session row joined with its token's, as both backends read it.

use granttrail_store::{SessionColumns, SessionRecord, StoreError, TokenColumns, TokenRecord};

/// The columns of a session and then of its token, as both backends
/// select them (`s` the sessions table, `t` the tokens table).
pub const SESSION_WITH_TOKEN_COLUMNS: &str = "s.id, s.secret_hash, s.token_id, s.form_token, \
     s.created_at, s.expires_at, s.revoked_at, \
     t.id, t.name, t.role, t.org_id, t.secret_hash, t.created_at, t.revoked_at, t.expires_at, \
     t.user_id";

/// A row read with [`SESSION_WITH_TOKEN_COLUMNS`].
pub type SessionWithTokenRow = (
    uuid::Uuid,
    String,
    uuid::Uuid,
    String,
    String,
    String,
    Option<String>,
    uuid::Uuid,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// The session and token a [`SessionWithTokenRow`] holds.
pub fn session_from_row(
    row: SessionWithTokenRow,
) -> Result<(SessionRecord, TokenRecord), StoreError> {
    let (s0, s1, s2, s3, s4, s5, s6, t0, t1, t2, t3, t4, t5, t6, t7, t8) = row;
    let session: SessionColumns = (s0, s1, s2, s3, s4, s5, s6);
    let token: TokenColumns = (t0, t1, t2, t3, t4, t5, t6, t7, t8);
    Ok((
        SessionRecord::from_row(session)?,
        TokenRecord::from_row(token)?,
    ))
}
