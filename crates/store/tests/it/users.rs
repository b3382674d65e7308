//! Users: create, look up (email case-insensitive), list, update, conflicts.

use shipshape_store::testing::TestDb;
use shipshape_store::{Role, StoreError};

use crate::{new_user, t};

both_backends!(
    crud,
    duplicate_email_conflicts_case_insensitively,
    updates_of_missing_user_are_not_found
);

async fn crud(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.count_users().await.unwrap(), 0);

    let mut alice = new_user("Alice@Example.COM");
    alice.role = Role::Admin;
    alice.password_hash = Some("$argon2id$v=19$stub".into());
    let alice = store.create_user(alice).await.unwrap();
    assert_eq!(
        alice.email, "alice@example.com",
        "email is stored lowercased"
    );
    assert_eq!(alice.role, Role::Admin);
    assert_eq!(alice.password_hash.as_deref(), Some("$argon2id$v=19$stub"));
    assert_eq!(alice.created_at, t(1_000));
    assert!(!alice.disabled);

    let bob = store
        .create_user(new_user("bob@example.com"))
        .await
        .unwrap();
    assert!(bob.id > alice.id);
    assert_eq!(bob.password_hash, None);

    assert_eq!(
        store.user_by_email("ALICE@example.com").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_id(bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(
        store.user_by_email("carol@example.com").await.unwrap(),
        None
    );
    assert_eq!(store.user_by_id(bob.id + 100).await.unwrap(), None);
    assert_eq!(
        store.list_users().await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );
    assert_eq!(store.count_users().await.unwrap(), 2);

    store
        .set_password_hash(bob.id, "$argon2id$new")
        .await
        .unwrap();
    store.set_role(bob.id, Role::Responder).await.unwrap();
    store.set_disabled(bob.id, true).await.unwrap();
    let bob = store.user_by_id(bob.id).await.unwrap().unwrap();
    assert_eq!(bob.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(bob.role, Role::Responder);
    assert!(bob.disabled);
    store.set_disabled(bob.id, false).await.unwrap();
    assert!(!store.user_by_id(bob.id).await.unwrap().unwrap().disabled);
    store.close().await;
}

async fn duplicate_email_conflicts_case_insensitively(db: &TestDb) {
    let store = db.open().await;
    store
        .create_user(new_user("dup@example.com"))
        .await
        .unwrap();
    let err = store
        .create_user(new_user("DUP@Example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("`dup@example.com`"), "{err}");
    assert_eq!(store.count_users().await.unwrap(), 1);
    store.close().await;
}

async fn updates_of_missing_user_are_not_found(db: &TestDb) {
    let store = db.open().await;
    let err = store.set_role(42, Role::Admin).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(matches!(
        store.set_password_hash(42, "x").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_disabled(42, true).await,
        Err(StoreError::NotFound(_))
    ));
    store.close().await;
}
