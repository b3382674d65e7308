//! API tokens (create, lookup, revoke, touch, list) and login-failure counting.

use shipshape_store::testing::TestDb;
use shipshape_store::{NewApiToken, Role, StoreError};

use crate::t;

both_backends!(
    api_token_lifecycle,
    duplicate_token_hash_conflicts,
    login_failures_count_in_window
);

fn new_token(name: &str, hash: &str, created_ms: i64) -> NewApiToken {
    NewApiToken {
        name: name.to_owned(),
        role: Role::Responder,
        token_hash: hash.to_owned(),
        created_by: "cli".to_owned(),
        created_at: t(created_ms),
    }
}

async fn api_token_lifecycle(db: &TestDb) {
    let store = db.open().await;
    let a = store
        .create_api_token(new_token("ci", "hash-a", 1_000))
        .await
        .unwrap();
    let b = store
        .create_api_token(new_token("deploy", "hash-b", 2_000))
        .await
        .unwrap();
    assert_eq!(
        (a.name.as_str(), a.role, a.created_at),
        ("ci", Role::Responder, t(1_000))
    );
    assert_eq!((a.last_used_at, a.revoked_at), (None, None));

    assert_eq!(
        store.api_token_by_hash("hash-a").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.api_token_by_hash("missing").await.unwrap(), None);

    store.touch_api_token(a.id, t(3_000)).await.unwrap();
    let a = store.api_token_by_hash("hash-a").await.unwrap().unwrap();
    assert_eq!(a.last_used_at, Some(t(3_000)));

    let ids: Vec<i64> = store
        .list_api_tokens()
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, vec![b.id, a.id], "newest first");

    assert!(store.revoke_api_token(a.id, t(4_000)).await.unwrap());
    assert!(
        !store.revoke_api_token(a.id, t(5_000)).await.unwrap(),
        "already revoked"
    );
    assert!(
        !store.revoke_api_token(a.id + 100, t(5_000)).await.unwrap(),
        "missing"
    );
    assert_eq!(
        store.api_token_by_hash("hash-a").await.unwrap(),
        None,
        "revoked never authenticates"
    );

    let listed = store.list_api_tokens().await.unwrap();
    assert_eq!(listed.len(), 2, "revoked tokens are still listed");
    assert_eq!(
        listed[1].revoked_at,
        Some(t(4_000)),
        "first revocation time is kept"
    );
    assert_eq!(
        store
            .api_token_by_id(a.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(t(4_000))
    );
    store.close().await;
}

async fn duplicate_token_hash_conflicts(db: &TestDb) {
    let store = db.open().await;
    store
        .create_api_token(new_token("one", "same", 1_000))
        .await
        .unwrap();
    let err = store
        .create_api_token(new_token("two", "same", 2_000))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    store.close().await;
}

async fn login_failures_count_in_window(db: &TestDb) {
    let store = db.open().await;
    for ms in [1_000, 2_000, 3_000] {
        store
            .record_login_failure("ip:192.0.2.1", t(ms))
            .await
            .unwrap();
    }
    store
        .record_login_failure("user:a@example.com", t(2_500))
        .await
        .unwrap();

    assert_eq!(
        store
            .login_failures_since("ip:192.0.2.1", t(0))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .login_failures_since("ip:192.0.2.1", t(2_000))
            .await
            .unwrap(),
        2,
        "window start is inclusive"
    );
    assert_eq!(
        store
            .login_failures_since("ip:192.0.2.1", t(3_001))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .login_failures_since("ip:203.0.113.9", t(0))
            .await
            .unwrap(),
        0
    );

    store.clear_login_failures("ip:192.0.2.1").await.unwrap();
    assert_eq!(
        store
            .login_failures_since("ip:192.0.2.1", t(0))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .login_failures_since("user:a@example.com", t(0))
            .await
            .unwrap(),
        1,
        "other keys kept"
    );

    assert_eq!(store.prune_login_failures(t(2_501)).await.unwrap(), 1);
    assert_eq!(
        store
            .login_failures_since("user:a@example.com", t(0))
            .await
            .unwrap(),
        0
    );
    store.close().await;
}
