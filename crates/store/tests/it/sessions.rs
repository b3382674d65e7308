//! Browser sessions: lookup, expiry, disabled users, logout and clean-up.

use shipshape_store::testing::TestDb;
use shipshape_store::{Session, StoreError};

use crate::{new_user, t};

both_backends!(
    sessions_expire,
    disabled_users_lose_their_sessions,
    session_needs_an_existing_user
);

fn session(id_hash: &str, user_id: i64, expires_ms: i64) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        user_id,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: t(1_000),
        expires_at: t(expires_ms),
        ip: Some("192.0.2.7".to_owned()),
    }
}

async fn sessions_expire(db: &TestDb) {
    let store = db.open().await;
    let user = store.create_user(new_user("s@example.com")).await.unwrap();
    let short = session("short", user.id, 5_000);
    let mut long = session("long", user.id, 50_000);
    long.ip = None;
    store.create_session(&short).await.unwrap();
    store.create_session(&long).await.unwrap();

    assert_eq!(
        store.session("short", t(4_999)).await.unwrap(),
        Some(short.clone())
    );
    assert_eq!(store.session("short", t(5_000)).await.unwrap(), None);
    assert_eq!(
        store.session("long", t(5_000)).await.unwrap(),
        Some(long.clone())
    );
    assert_eq!(store.session("nope", t(0)).await.unwrap(), None);

    assert_eq!(store.delete_expired_sessions(t(5_000)).await.unwrap(), 1);
    assert_eq!(
        store.session("short", t(0)).await.unwrap(),
        None,
        "deleted, not just expired"
    );
    store.delete_session("long").await.unwrap();
    assert_eq!(store.session("long", t(5_000)).await.unwrap(), None);
    store.delete_session("long").await.unwrap();
    store.close().await;
}

async fn disabled_users_lose_their_sessions(db: &TestDb) {
    let store = db.open().await;
    let user = store.create_user(new_user("d@example.com")).await.unwrap();
    let s = session("sess", user.id, 50_000);
    store.create_session(&s).await.unwrap();
    store
        .create_session(&session("sess-2", user.id, 50_000))
        .await
        .unwrap();

    store.set_disabled(user.id, true).await.unwrap();
    assert_eq!(store.session("sess", t(2_000)).await.unwrap(), None);
    store.set_disabled(user.id, false).await.unwrap();
    assert_eq!(store.session("sess", t(2_000)).await.unwrap(), Some(s));

    assert_eq!(store.delete_user_sessions(user.id).await.unwrap(), 2);
    assert_eq!(store.session("sess-2", t(2_000)).await.unwrap(), None);
    store.close().await;
}

async fn session_needs_an_existing_user(db: &TestDb) {
    // Guards that foreign keys are enforced on every pooled SQLite connection.
    let store = db.open().await;
    let err = store
        .create_session(&session("orphan", 999, 50_000))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.close().await;
}
