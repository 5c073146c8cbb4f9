//! A PostgreSQL schema of its own for each test (feature `testing`).
//!
//! Every suite that runs on PostgreSQL — this crate's, the projection
//! suite, anything else parameterised over the backend — makes its
//! database here, so tests run side by side on one server without seeing
//! each other, and leave nothing behind.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::PostgresStore;

/// The variable naming the PostgreSQL the suites run against; `.ci/run`
/// sets it. Suites fail without it: one that skipped would prove nothing.
pub const URL_VARIABLE: &str = "GRANTTRAIL_TEST_POSTGRES_URL";

/// A schema created for one test, dropped when this value is.
pub struct TestSchema {
    url: String,
    name: String,
    options: PgConnectOptions,
}

impl TestSchema {
    /// A new, empty schema in the PostgreSQL named by [`URL_VARIABLE`].
    ///
    /// # Panics
    /// When the variable is unset or the server unreachable: a test that
    /// asked for PostgreSQL must not pass without it.
    #[allow(clippy::expect_used)]
    pub async fn create() -> TestSchema {
        let url = std::env::var(URL_VARIABLE).unwrap_or_else(|_| {
            panic!("set {URL_VARIABLE} to run the PostgreSQL suites (make test-postgres)")
        });
        let name = format!("gt_{}", uuid::Uuid::now_v7().simple());
        let mut connection = PgConnection::connect(&url)
            .await
            .expect("PostgreSQL is reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut connection)
            .await
            .expect("create schema");
        let options = PgConnectOptions::from_str(&url)
            .expect("a PostgreSQL URL")
            .options([("search_path", name.as_str())]);
        TestSchema { url, name, options }
    }

    /// Connection options whose `search_path` is this schema.
    pub fn options(&self) -> PgConnectOptions {
        self.options.clone()
    }

    /// A migrated store in this schema.
    #[allow(clippy::expect_used)]
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::open_with(self.options())
            .await
            .expect("the store opens")
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop cannot await, and may run inside a runtime: a short-lived
        // runtime on a thread of its own runs the statement.
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
