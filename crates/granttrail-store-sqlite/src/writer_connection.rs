//! The writer's one connection, and the durability level it commits at.
//!
//! Events commit with `synchronous=FULL`: "acknowledged" means on disk.
//! Writes that can be derived again from events (the transparency log's
//! leaves, projection rows the runner saves) commit at `NORMAL`: they land
//! in the WAL unsynced, and the next durable commit carries them to disk,
//! since the WAL is written in order. The level is a setting of the
//! connection, so this wrapper owns it: every write names the level it
//! needs, and the pragma is sent only when the level changes.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

/// How durable a commit must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durability {
    /// On disk before the commit returns (`synchronous=FULL`).
    Flushed,
    /// In the WAL; flushed with the next durable commit
    /// (`synchronous=NORMAL`). Only for what events can rebuild.
    Deferred,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Flushed => "PRAGMA synchronous = FULL",
            Durability::Deferred => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// The writing connection (see the module docs).
pub(crate) struct WriterConnection {
    connection: SqliteConnection,
    /// The level last set; `None` when unknown (a fresh connection is
    /// opened at FULL, but a failed pragma leaves it unknown).
    durability: Option<Durability>,
    /// How to open it again: SQLite opens a file it may not write
    /// read-only, and that connection stays read-only after the file
    /// becomes writable; a transaction that failed part-way may leave a
    /// connection inside it.
    options: SqliteConnectOptions,
}

impl WriterConnection {
    pub(crate) fn new(connection: SqliteConnection, options: SqliteConnectOptions) -> Self {
        WriterConnection {
            connection,
            durability: None,
            options,
        }
    }

    /// The connection, set to commit at `durability`.
    pub(crate) async fn at(
        &mut self,
        durability: Durability,
    ) -> Result<&mut SqliteConnection, sqlx::Error> {
        if self.durability != Some(durability) {
            self.durability = None;
            sqlx::query(durability.pragma())
                .execute(&mut self.connection)
                .await?;
            self.durability = Some(durability);
        }
        Ok(&mut self.connection)
    }

    /// The connection as it is, for what commits nothing (a rescue
    /// checkpoint, a rollback).
    pub(crate) fn raw(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }

    /// Opens the connection again; true once it did.
    pub(crate) async fn reopen(&mut self) -> bool {
        match self.options.connect().await {
            Ok(fresh) => {
                tracing::info!("opened the database for writing again");
                self.connection = fresh;
                self.durability = None;
                true
            }
            Err(error) => {
                tracing::warn!(%error, "the database still cannot be opened for writing");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use super::*;

    async fn level(connection: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(connection)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn every_write_commits_at_the_level_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let options = SqliteConnectOptions::from_str(&url).unwrap();
        let mut writer = WriterConnection::new(options.connect().await.unwrap(), options);
        assert_eq!(
            level(writer.at(Durability::Deferred).await.unwrap()).await,
            1
        );
        assert_eq!(
            level(writer.at(Durability::Flushed).await.unwrap()).await,
            2
        );
        assert!(writer.reopen().await);
        // A reopened connection's level is unknown, so it is set again.
        assert_eq!(
            level(writer.at(Durability::Flushed).await.unwrap()).await,
            2
        );
    }
}
