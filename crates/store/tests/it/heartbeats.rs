//! Heartbeat ping tokens: create, use (recording the use), list, revoke.

use shipshape_store::MonitorName;
use shipshape_store::testing::TestDb;

use crate::t;

both_backends!(heartbeat_token_lifecycle);

fn name(service: &str, monitor: &str) -> MonitorName {
    MonitorName {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    }
}

async fn heartbeat_token_lifecycle(db: &TestDb) {
    let store = db.open().await;
    let backup = name("billing", "nightly-backup");
    let cron = name("billing", "invoice-cron");
    let first = store
        .create_heartbeat_token(&backup, "hash-1", "cli", t(1_000))
        .await
        .unwrap();
    store
        .create_heartbeat_token(&cron, "hash-2", "ada@example.org", t(2_000))
        .await
        .unwrap();
    assert_eq!(
        (first.monitor.clone(), first.last_used_at),
        (backup.clone(), None)
    );

    assert_eq!(
        store.use_heartbeat_token("hash-1", t(5_000)).await.unwrap(),
        Some(backup.clone())
    );
    assert_eq!(
        store.use_heartbeat_token("nope", t(5_000)).await.unwrap(),
        None
    );
    let listed = store.heartbeat_tokens(Some(&backup)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(t(5_000)));
    assert_eq!(store.heartbeat_tokens(None).await.unwrap().len(), 2);

    assert_eq!(
        store
            .revoke_heartbeat_tokens(&backup, t(6_000))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .revoke_heartbeat_tokens(&backup, t(7_000))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.use_heartbeat_token("hash-1", t(8_000)).await.unwrap(),
        None,
        "a revoked token is refused"
    );
    assert_eq!(
        store.use_heartbeat_token("hash-2", t(8_000)).await.unwrap(),
        Some(cron),
        "revoking one monitor's tokens leaves the others"
    );
    let revoked = store.heartbeat_tokens(Some(&backup)).await.unwrap();
    assert_eq!(revoked[0].revoked_at, Some(t(6_000)));
}
