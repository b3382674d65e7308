//! Status-page subscribers: subscribing (new and reused), confirming,
//! unsubscribing, who follows what, counting, and the rules the store
//! enforces.

use shipshape_store::StoreError;
use shipshape_store::testing::TestDb;

use crate::{HOUR, T0, t};

both_backends!(
    subscribing_confirming_and_unsubscribing,
    subscribers_for_follows_components,
    invalid_subscribers_are_refused,
);

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn subscribing_confirming_and_unsubscribing(db: &TestDb) {
    let store = db.open().await;
    let (id, new) = store
        .add_subscriber(" Ada@Example.org ", &ids(&["api", "website", "api"]), t(T0))
        .await
        .unwrap();
    assert!(new);
    let record = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(record.address, "Ada@Example.org");
    assert_eq!(record.kind, "email");
    assert_eq!(record.components, ids(&["api", "website"]));
    assert_eq!(record.created_at, t(T0));
    assert_eq!((record.confirmed_at, record.unsubscribed_at), (None, None));
    assert!(!record.is_active());
    assert_eq!(store.count_subscribers().await.unwrap(), 0);

    // The same address (any case) reuses the record; unconfirmed, its
    // components follow the latest request.
    let (again, new) = store
        .add_subscriber("ada@example.ORG", &ids(&["website"]), t(T0 + 1))
        .await
        .unwrap();
    assert_eq!((again, new), (id, false));
    let record = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(record.components, ids(&["website"]));

    assert!(store.confirm_subscriber(id, t(T0 + HOUR)).await.unwrap());
    assert!(
        !store
            .confirm_subscriber(id, t(T0 + 2 * HOUR))
            .await
            .unwrap()
    );
    let record = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(record.confirmed_at, Some(t(T0 + HOUR)));
    assert!(record.is_active());
    assert_eq!(store.count_subscribers().await.unwrap(), 1);

    // Confirmed: subscribing again keeps the confirmed choice.
    let (again, new) = store
        .add_subscriber("ada@example.org", &[], t(T0 + 2 * HOUR))
        .await
        .unwrap();
    assert_eq!((again, new), (id, false));
    let record = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(record.components, ids(&["website"]));

    assert!(store.unsubscribe(id, t(T0 + 3 * HOUR)).await.unwrap());
    assert!(!store.unsubscribe(id, t(T0 + 4 * HOUR)).await.unwrap());
    assert!(
        !store
            .confirm_subscriber(id, t(T0 + 4 * HOUR))
            .await
            .unwrap()
    );
    let record = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(record.unsubscribed_at, Some(t(T0 + 3 * HOUR)));
    assert!(!record.is_active());
    assert_eq!(store.count_subscribers().await.unwrap(), 0);

    // After unsubscribing, subscribing again starts a new record.
    let (fresh, new) = store
        .add_subscriber("ada@example.org", &[], t(T0 + 5 * HOUR))
        .await
        .unwrap();
    assert!(new);
    assert!(fresh > id);
    assert!(store.subscriber(9_999).await.unwrap().is_none());
    assert!(!store.confirm_subscriber(9_999, t(T0)).await.unwrap());
    assert!(!store.unsubscribe(9_999, t(T0)).await.unwrap());
}

async fn subscribers_for_follows_components(db: &TestDb) {
    let store = db.open().await;
    let mut all = Vec::new();
    for (address, components) in [
        ("all@example.org", ids(&[])),
        ("api@example.org", ids(&["api"])),
        ("web@example.org", ids(&["website", "cdn"])),
        ("pending@example.org", ids(&[])),
        ("gone@example.org", ids(&[])),
    ] {
        let (id, _) = store
            .add_subscriber(address, &components, t(T0))
            .await
            .unwrap();
        all.push(id);
    }
    for &id in &all[..3] {
        assert!(store.confirm_subscriber(id, t(T0 + 1)).await.unwrap());
    }
    assert!(store.confirm_subscriber(all[4], t(T0 + 1)).await.unwrap());
    assert!(store.unsubscribe(all[4], t(T0 + 2)).await.unwrap());

    let addresses = |list: Vec<shipshape_store::SubscriberRecord>| {
        list.into_iter().map(|s| s.address).collect::<Vec<_>>()
    };
    assert_eq!(
        addresses(store.subscribers_for(&ids(&["api"])).await.unwrap()),
        ["all@example.org", "api@example.org"]
    );
    assert_eq!(
        addresses(store.subscribers_for(&ids(&["cdn", "api"])).await.unwrap()),
        ["all@example.org", "api@example.org", "web@example.org"]
    );
    assert_eq!(
        addresses(store.subscribers_for(&[]).await.unwrap()),
        ["all@example.org"]
    );
    assert_eq!(store.count_subscribers().await.unwrap(), 3);
}

async fn invalid_subscribers_are_refused(db: &TestDb) {
    let store = db.open().await;
    for (address, components) in [
        ("", ids(&[])),
        ("   ", ids(&[])),
        (&*format!("{}@example.org", "a".repeat(250)), ids(&[])),
        ("ada@example.org", ids(&["a,b"])),
        ("ada@example.org", ids(&[" "])),
    ] {
        let error = store
            .add_subscriber(address, &components, t(T0))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidInput(_)),
            "{address:?} {components:?}: {error}"
        );
    }
}
