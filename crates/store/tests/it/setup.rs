//! One-time set-up tokens: user-bound and first-admin kinds, one use, expiry.

use shipshape_store::SetupGrant;
use shipshape_store::testing::TestDb;

use crate::{new_user, t};

both_backends!(
    user_bound_token_is_one_use,
    first_admin_token_expires,
    live_token_check_and_cleanup
);

async fn user_bound_token_is_one_use(db: &TestDb) {
    let store = db.open().await;
    let user = store
        .create_user(new_user("new@example.com"))
        .await
        .unwrap();
    store
        .create_setup_token(Some(user.id), "hash-1", t(10_000))
        .await
        .unwrap();
    let grant = Some(SetupGrant {
        user_id: Some(user.id),
    });

    // Peeking does not consume.
    assert_eq!(
        store.peek_setup_token("hash-1", t(5_000)).await.unwrap(),
        grant
    );
    assert_eq!(
        store.peek_setup_token("hash-1", t(5_000)).await.unwrap(),
        grant
    );
    assert_eq!(
        store.peek_setup_token("other", t(5_000)).await.unwrap(),
        None
    );

    assert_eq!(
        store.consume_setup_token("hash-1", t(5_000)).await.unwrap(),
        grant
    );
    assert_eq!(
        store.consume_setup_token("hash-1", t(5_000)).await.unwrap(),
        None,
        "second use"
    );
    assert_eq!(
        store.peek_setup_token("hash-1", t(5_000)).await.unwrap(),
        None
    );
    store.close().await;
}

async fn first_admin_token_expires(db: &TestDb) {
    let store = db.open().await;
    store
        .create_setup_token(None, "admin-hash", t(10_000))
        .await
        .unwrap();
    let grant = Some(SetupGrant { user_id: None });
    assert_eq!(
        store
            .peek_setup_token("admin-hash", t(9_999))
            .await
            .unwrap(),
        grant
    );
    assert_eq!(
        store
            .peek_setup_token("admin-hash", t(10_000))
            .await
            .unwrap(),
        None,
        "expired at its expiry"
    );

    // Consuming an expired token grants nothing and still deletes it.
    assert_eq!(
        store
            .consume_setup_token("admin-hash", t(10_001))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.peek_setup_token("admin-hash", t(0)).await.unwrap(),
        None
    );

    store
        .create_setup_token(None, "admin-hash-2", t(20_000))
        .await
        .unwrap();
    assert_eq!(
        store
            .consume_setup_token("admin-hash-2", t(19_999))
            .await
            .unwrap(),
        grant
    );
    store.close().await;
}

async fn live_token_check_and_cleanup(db: &TestDb) {
    let store = db.open().await;
    assert!(!store.has_live_setup_token(t(0)).await.unwrap());
    store
        .create_setup_token(None, "a", t(10_000))
        .await
        .unwrap();
    store
        .create_setup_token(None, "b", t(20_000))
        .await
        .unwrap();
    assert!(store.has_live_setup_token(t(15_000)).await.unwrap());
    assert!(!store.has_live_setup_token(t(20_000)).await.unwrap());
    assert_eq!(
        store.delete_expired_setup_tokens(t(15_000)).await.unwrap(),
        1
    );
    assert_eq!(
        store.peek_setup_token("b", t(15_000)).await.unwrap(),
        Some(SetupGrant { user_id: None })
    );
    store.close().await;
}
