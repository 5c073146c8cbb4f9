//! Browser sessions: stored beside their tokens, found by the hash of
//! their secret with the token they were exchanged for, ended once.

use std::sync::Arc;

use chrono::Duration;
use granttrail_store::{Role, SessionRecord, TokenRecord, TokenStore, UserRecord, now_micros};
use uuid::Uuid;

/// Given a token and a session exchanged for it, when the session is
/// looked up by its secret's hash, then it reads back whole with its token;
/// an unknown hash finds nothing; ending it records when, once; and a
/// revoked token still comes back with its session (the app refuses both).
pub async fn a_session_reads_back_with_its_token_until_it_ends<S: TokenStore + ?Sized>(
    store: Arc<S>,
) {
    let now = now_micros();
    let user = UserRecord {
        id: format!("auditor-{}", Uuid::now_v7()),
        name: "审计员".into(),
        org_id: None,
        created_at: now,
        disabled_at: None,
    };
    assert!(store.create_user(&user).await.unwrap());
    let token = TokenRecord {
        id: Uuid::now_v7(),
        user_id: user.id.clone(),
        name: "审计员".into(),
        role: Role::Auditor,
        org_id: None,
        secret_hash: format!("{:064x}", 1),
        created_at: now,
        revoked_at: None,
        expires_at: None,
    };
    store.create_token(&token).await.unwrap();
    let session = SessionRecord {
        id: Uuid::now_v7(),
        secret_hash: format!("{:064x}", 2),
        token_id: token.id,
        form_token: "form-token".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
        revoked_at: None,
    };
    store.create_session(&session).await.unwrap();

    let found = store.find_session(&session.secret_hash).await.unwrap();
    assert_eq!(found, Some((session.clone(), token.clone())));
    assert_eq!(
        store.find_session(&format!("{:064x}", 3)).await.unwrap(),
        None
    );

    let ended_at = now + Duration::minutes(5);
    assert!(store.end_session(session.id, ended_at).await.unwrap());
    assert!(
        !store.end_session(session.id, ended_at).await.unwrap(),
        "a session ends once"
    );
    let (ended, _) = store
        .find_session(&session.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.revoked_at, Some(ended_at));

    assert!(store.revoke_token(token.id, ended_at).await.unwrap());
    let (_, revoked) = store
        .find_session(&session.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(ended_at));
}

/// Given a new user, when it is added, then it reads back whole and is
/// listed; adding the same id again is refused (`false`) and changes
/// nothing; disabling it records when, once; an unknown id is not found.
pub async fn a_user_is_added_once_found_listed_and_disabled_once<S: TokenStore + ?Sized>(
    store: Arc<S>,
) {
    let now = now_micros();
    let user = UserRecord {
        id: format!("zhang.san-{}", Uuid::now_v7()),
        name: "张三".into(),
        org_id: Some("jt-xiaoshuidi".into()),
        created_at: now,
        disabled_at: None,
    };
    assert!(store.create_user(&user).await.unwrap());
    let again = UserRecord {
        name: "李四".into(),
        ..user.clone()
    };
    assert!(!store.create_user(&again).await.unwrap(), "ids are unique");
    assert_eq!(store.find_user(&user.id).await.unwrap(), Some(user.clone()));
    assert!(store.list_users().await.unwrap().contains(&user));
    assert_eq!(store.find_user("nobody-at-all").await.unwrap(), None);

    let at = now + Duration::minutes(1);
    assert!(store.disable_user(&user.id, at).await.unwrap());
    assert!(
        !store.disable_user(&user.id, at).await.unwrap(),
        "a user is disabled once"
    );
    assert_eq!(
        store
            .find_user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_at,
        Some(at)
    );
    assert!(!store.disable_user("nobody-at-all", at).await.unwrap());
}
