//! Status webhooks: adding, reading, removing, who follows what, and the
//! rules the store enforces.

use shipshape_store::testing::TestDb;
use shipshape_store::{StatusWebhookRecord, StoreError};

use crate::{HOUR, T0, t};

both_backends!(
    adding_reading_and_removing,
    status_webhooks_for_follows_components,
    invalid_status_webhooks_are_refused,
);

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn urls(list: Vec<StatusWebhookRecord>) -> Vec<String> {
    list.into_iter().map(|w| w.url).collect()
}

async fn adding_reading_and_removing(db: &TestDb) {
    let store = db.open().await;
    assert!(store.status_webhooks().await.unwrap().is_empty());
    let id = store
        .add_status_webhook(
            " https://hooks.example.org/a ",
            &ids(&["website", "api", "api"]),
            "ada",
            t(T0),
        )
        .await
        .unwrap();
    let record = store.status_webhook(id).await.unwrap().unwrap();
    assert_eq!(
        record,
        StatusWebhookRecord {
            id,
            url: "https://hooks.example.org/a".into(),
            components: ids(&["api", "website"]),
            created_by: "ada".into(),
            created_at: t(T0),
            removed_at: None,
        }
    );
    assert!(record.is_active());
    let other = store
        .add_status_webhook("http://hooks.example.org/b", &[], "bob", t(T0 + 1))
        .await
        .unwrap();
    assert!(other > id);
    assert_eq!(
        urls(store.status_webhooks().await.unwrap()),
        ["https://hooks.example.org/a", "http://hooks.example.org/b"]
    );

    assert!(store.remove_status_webhook(id, t(T0 + HOUR)).await.unwrap());
    assert!(
        !store
            .remove_status_webhook(id, t(T0 + 2 * HOUR))
            .await
            .unwrap()
    );
    let record = store.status_webhook(id).await.unwrap().unwrap();
    assert_eq!(record.removed_at, Some(t(T0 + HOUR)));
    assert!(!record.is_active());
    assert_eq!(
        urls(store.status_webhooks().await.unwrap()),
        ["http://hooks.example.org/b"]
    );
    assert!(store.status_webhook(9_999).await.unwrap().is_none());
    assert!(!store.remove_status_webhook(9_999, t(T0)).await.unwrap());
}

async fn status_webhooks_for_follows_components(db: &TestDb) {
    let store = db.open().await;
    let mut all = Vec::new();
    for (url, components) in [
        ("https://all.example.org/", ids(&[])),
        ("https://api.example.org/", ids(&["api"])),
        ("https://web.example.org/", ids(&["website", "cdn"])),
        ("https://gone.example.org/", ids(&[])),
    ] {
        all.push(
            store
                .add_status_webhook(url, &components, "ada", t(T0))
                .await
                .unwrap(),
        );
    }
    assert!(
        store
            .remove_status_webhook(all[3], t(T0 + 1))
            .await
            .unwrap()
    );
    assert_eq!(
        urls(store.status_webhooks_for(&ids(&["api"])).await.unwrap()),
        ["https://all.example.org/", "https://api.example.org/"]
    );
    assert_eq!(
        urls(
            store
                .status_webhooks_for(&ids(&["cdn", "api"]))
                .await
                .unwrap()
        ),
        [
            "https://all.example.org/",
            "https://api.example.org/",
            "https://web.example.org/"
        ]
    );
    assert_eq!(
        urls(store.status_webhooks_for(&[]).await.unwrap()),
        ["https://all.example.org/"]
    );
}

async fn invalid_status_webhooks_are_refused(db: &TestDb) {
    let store = db.open().await;
    let too_long = format!("https://example.org/{}", "x".repeat(2000));
    for (url, components) in [
        ("", ids(&[])),
        ("   ", ids(&[])),
        (too_long.as_str(), ids(&[])),
        ("https://example.org/", ids(&["a,b"])),
        ("https://example.org/", ids(&[" "])),
    ] {
        let error = store
            .add_status_webhook(url, &components, "ada", t(T0))
            .await
            .expect_err("refused");
        assert!(
            matches!(error, StoreError::InvalidInput(_)),
            "{url:?} {components:?}: {error:?}"
        );
    }
    assert!(store.status_webhooks().await.unwrap().is_empty());
}
