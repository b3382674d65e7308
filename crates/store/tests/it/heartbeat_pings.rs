//! Heartbeat pings relayed through the store: recorded by any instance,
//! read in order after a given id, pruned by age.

use shipshape_store::testing::TestDb;
use shipshape_store::{HeartbeatPing, MonitorName};

use crate::{T0, t};

both_backends!(pings_are_read_in_order_after_an_id_and_pruned);

fn ping(monitor: &str, at: i64, ok: bool, origin: &str) -> HeartbeatPing {
    HeartbeatPing {
        id: 0,
        monitor: MonitorName {
            service: "jobs".into(),
            monitor: monitor.into(),
        },
        at: t(at),
        ok,
        message: (!ok).then(|| "disk full".to_owned()),
        runtime_ms: Some(850),
        origin: origin.into(),
    }
}

async fn pings_are_read_in_order_after_an_id_and_pruned(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.last_heartbeat_ping_id().await.unwrap(), 0);
    let first = store
        .record_heartbeat_ping(&ping("backup", T0, true, "a"))
        .await
        .unwrap();
    let second = store
        .record_heartbeat_ping(&ping("export", T0 + 1_000, false, "b"))
        .await
        .unwrap();
    assert!(second > first);
    assert_eq!(store.last_heartbeat_ping_id().await.unwrap(), second);

    let all = store.heartbeat_pings_after(0, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, first);
    assert_eq!(all[0].monitor.monitor, "backup");
    assert!(all[0].ok);
    assert_eq!(all[1].message.as_deref(), Some("disk full"));
    assert_eq!(all[1].runtime_ms, Some(850));
    assert_eq!(all[1].origin, "b");
    assert_eq!(all[1].at, t(T0 + 1_000));

    let after = store.heartbeat_pings_after(first, 10).await.unwrap();
    assert_eq!(after.iter().map(|p| p.id).collect::<Vec<_>>(), [second]);
    assert!(
        store
            .heartbeat_pings_after(second, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.heartbeat_pings_after(0, 1).await.unwrap().len(), 1);

    assert_eq!(store.prune_heartbeat_pings(t(T0 + 500)).await.unwrap(), 1);
    let left = store.heartbeat_pings_after(0, 10).await.unwrap();
    assert_eq!(left.iter().map(|p| p.id).collect::<Vec<_>>(), [second]);
}
