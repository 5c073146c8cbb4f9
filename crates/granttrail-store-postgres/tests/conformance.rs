//! The store conformance suite against a real PostgreSQL.
//!
//! The server's URL comes from `GRANTTRAIL_TEST_POSTGRES_URL` (`.ci/run`
//! sets it to the machine's PostgreSQL). Each test gets a schema of its
//! own, dropped when the test ends. Without the variable the tests fail
//! under CI (`CI=true`) and are reported as not run elsewhere.

use std::str::FromStr;
use std::sync::Arc;

use granttrail_store_postgres::PostgresStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Drops the test's schema when the test ends.
struct Schema {
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

async fn fresh() -> (Arc<PostgresStore>, Option<Schema>) {
    let url = match std::env::var("GRANTTRAIL_TEST_POSTGRES_URL") {
        Ok(url) => url,
        Err(_) if std::env::var("CI").is_ok() => panic!("CI needs GRANTTRAIL_TEST_POSTGRES_URL"),
        Err(_) => panic!(
            "set GRANTTRAIL_TEST_POSTGRES_URL to run the PostgreSQL suite (make test-postgres)"
        ),
    };
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
    let store = PostgresStore::open_with(options)
        .await
        .expect("store opens");
    (Arc::new(store), Some(Schema { url, name }))
}

granttrail_store_conformance::store_conformance_tests!(fresh());
