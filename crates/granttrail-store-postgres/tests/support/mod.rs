//! A PostgreSQL schema of its own for each test.
//!
//! The server's URL comes from `GRANTTRAIL_TEST_POSTGRES_URL` (`.ci/run`
//! sets it to the machine's PostgreSQL); without it the test fails, since a
//! suite that skips silently would prove nothing.

#![allow(dead_code, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;

use granttrail_store_postgres::PostgresStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Drops the test's schema when the test ends.
pub struct Schema {
    url: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop is synchronous; a short-lived runtime on its own thread runs
        // the async statement.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut connection = PgConnection::connect(&url).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&mut connection)
                .await
                .ok()
            })
        })
        .join();
    }
}

/// A new schema, and connection options whose `search_path` points at it.
pub async fn fresh_schema() -> (PgConnectOptions, Schema) {
    let url = std::env::var("GRANTTRAIL_TEST_POSTGRES_URL").expect(
        "set GRANTTRAIL_TEST_POSTGRES_URL to run the PostgreSQL suite (make test-postgres)",
    );
    let name = format!("gt_{}", uuid::Uuid::now_v7().simple());
    let mut connection = PgConnection::connect(&url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
        .execute(&mut connection)
        .await
        .expect("create schema");
    let options = PgConnectOptions::from_str(&url)
        .expect("url")
        .options([("search_path", name.as_str())]);
    (options, Schema { url, name })
}

/// A migrated store in a new schema.
pub async fn fresh() -> (Arc<PostgresStore>, Schema) {
    let (options, schema) = fresh_schema().await;
    let store = PostgresStore::open_with(options)
        .await
        .expect("store opens");
    (Arc::new(store), schema)
}
