//! The store conformance suite against real SQLite files.

use std::sync::Arc;

use granttrail_store_sqlite::SqliteStore;

/// A fresh database file in its own temporary directory, removed when the
/// test ends.
async fn fresh() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    (
        Arc::new(SqliteStore::open(&url).await.expect("store opens")),
        dir,
    )
}

granttrail_store_conformance::store_conformance_tests!(fresh());
