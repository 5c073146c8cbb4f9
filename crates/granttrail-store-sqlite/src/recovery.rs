//! Keeping the writer's connection honest about the disk: telling a
//! read-only refusal apart, proving a commit would succeed now, and
//! rescuing the commits of a WAL deleted under the server.

use granttrail_store::{format_instant, now_micros};
use sqlx::SqliteConnection;

/// Whether `error` says the connection may not write the file (SQLite's
/// SQLITE_READONLY and its extended codes).
pub(crate) fn is_read_only(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e)
        if e.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 8))
}

/// A real write, committed: the only proof that commits would succeed
/// now (the file writable, the disk not full, the lock obtainable).
pub(crate) async fn probe_write(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO write_probe (id, probed_at) VALUES (1, ?1) \
         ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
    )
    .bind(format_instant(&now_micros()))
    .execute(&mut *connection)
    .await
    .map(|_| ())
}

/// Copies what the writer committed into the database file itself, once
/// its WAL was deleted or replaced under it.
///
/// The writer still holds the deleted WAL open, and every commit that was
/// acknowledged before the deletion lives in it, not yet in the database
/// file. A checkpoint reads those frames through the open descriptor and
/// writes them into the database file (and syncs it), so a restart finds
/// them. Returns whether the writer is done trying (it tries once).
pub(crate) async fn rescue(connection: &mut SqliteConnection) -> bool {
    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(FULL)")
        .fetch_one(&mut *connection)
        .await
    {
        Ok((busy, frames, copied)) => tracing::warn!(
            busy,
            frames,
            copied,
            "copied the deleted WAL's committed pages into the database file"
        ),
        Err(error) => tracing::error!(
            %error,
            "could not copy the deleted WAL into the database file; \
             commits since the last checkpoint may be lost"
        ),
    }
    true
}
