//! Tokens made before users existed migrate to one user each, whose id is
//! the token's id: the actor ids already recorded on events (token ids)
//! then name that user. The migration runs on a tokens table holding a
//! token as the earlier schema stored it.

#![allow(clippy::unwrap_used)]

use sqlx::Connection;
use uuid::Uuid;

#[tokio::test]
async fn each_existing_token_becomes_a_user_with_the_tokens_id() {
    let mut db = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    // The tokens table as migrations 0001 and 0004 left it.
    sqlx::raw_sql(
        "CREATE TABLE tokens (id BLOB NOT NULL PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, \
         org_id TEXT, secret_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT, \
         expires_at TEXT)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let (staff, executor) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, name, role, org) in [
        (staff, "项目负责人", "staff", None),
        (executor, "小水滴社工", "executor", Some("jt-xiaoshuidi")),
    ] {
        sqlx::query(
            "INSERT INTO tokens (id, name, role, org_id, secret_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, '2026-11-01T00:00:00Z')",
        )
        .bind(id)
        .bind(name)
        .bind(role)
        .bind(org)
        .bind(id.to_string())
        .execute(&mut db)
        .await
        .unwrap();
    }

    sqlx::raw_sql(include_str!("../migrations/0012_users.sql"))
        .execute(&mut db)
        .await
        .unwrap();

    let users: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, org_id FROM users ORDER BY name")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(
        users,
        vec![
            (
                executor.to_string(),
                "小水滴社工".to_owned(),
                Some("jt-xiaoshuidi".to_owned())
            ),
            (staff.to_string(), "项目负责人".to_owned(), None),
        ]
    );
    let owners: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, user_id FROM tokens")
        .fetch_all(&mut db)
        .await
        .unwrap();
    for (token, user) in owners {
        assert_eq!(
            user,
            token.to_string(),
            "the token's user has the token's id"
        );
    }
}
