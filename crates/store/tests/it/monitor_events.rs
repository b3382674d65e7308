//! Monitor state changes: appended in order, consumed after an id (as a
//! restarted consumer resumes), read per monitor, current states, and
//! pruning that keeps each monitor's latest event.

use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{MonitorEvent, MonitorId, MonitorName, MonitorState, Retention, StoreError};

use crate::t;

both_backends!(
    events_are_ordered_and_resumable,
    a_burst_of_events_is_one_all_or_nothing_append,
    current_states_survive_pruning
);

fn event(monitor: MonitorId, at_ms: i64, from: MonitorState, to: MonitorState) -> MonitorEvent {
    MonitorEvent {
        monitor,
        at: t(at_ms),
        from,
        to,
        reason: (to == MonitorState::Down).then(|| "status == 200: got 503".to_owned()),
        locations: vec!["ams".to_owned(), "fra".to_owned()],
    }
}

async fn two_monitors(db: &TestDb) -> (shipshape_store::Store, MonitorId, MonitorId) {
    let store = db.open().await;
    let names = [
        MonitorName {
            service: "api".into(),
            monitor: "health".into(),
        },
        MonitorName {
            service: "web".into(),
            monitor: "home".into(),
        },
    ];
    let ids = store.register_monitors(&names, t(0)).await.unwrap();
    (store, ids[&names[0]], ids[&names[1]])
}

async fn events_are_ordered_and_resumable(db: &TestDb) {
    use MonitorState::{Down, Unknown, Up};
    let (store, a, b) = two_monitors(db).await;
    let mut appended = Vec::new();
    for (i, (monitor, from, to)) in [
        (a, Unknown, Up),
        (b, Unknown, Up),
        (a, Up, Down),
        (a, Down, Up),
    ]
    .into_iter()
    .enumerate()
    {
        let record = store
            .append_monitor_event(&event(monitor, 1_000 * i as i64, from, to))
            .await
            .unwrap();
        appended.push(record);
    }
    assert!(
        appended.windows(2).all(|w| w[0].id < w[1].id),
        "ids increase"
    );

    // A consumer reads two, "restarts", and resumes after the last id it handled.
    let first = store.monitor_events_since(0, 2).await.unwrap();
    assert_eq!(first[..], appended[..2]);
    let rest = store.monitor_events_since(first[1].id, 100).await.unwrap();
    assert_eq!(rest[..], appended[2..]);
    assert!(
        store
            .monitor_events_since(appended[3].id, 100)
            .await
            .unwrap()
            .is_empty()
    );

    let history = store.monitor_events_for(a, 10, None).await.unwrap();
    let ids: Vec<i64> = history.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        vec![appended[3].id, appended[2].id, appended[0].id],
        "newest first"
    );
    let older = store
        .monitor_events_for(a, 10, Some(appended[2].id))
        .await
        .unwrap();
    assert_eq!(older[..], appended[..1]);

    let mut no_locations = event(b, 9_000, Up, Down);
    no_locations.locations.clear();
    no_locations.reason = None;
    let stored = store.append_monitor_event(&no_locations).await.unwrap();
    assert_eq!(
        store.monitor_events_since(appended[3].id, 1).await.unwrap(),
        vec![stored]
    );

    let mut bad = event(a, 10_000, Up, Down);
    bad.locations = vec!["a,b".to_owned()];
    assert!(matches!(
        store.append_monitor_event(&bad).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        store
            .append_monitor_event(&event(MonitorId(9_999), 0, Up, Down))
            .await,
        Err(StoreError::NotFound(_))
    ));
    store.close().await;
}

async fn a_burst_of_events_is_one_all_or_nothing_append(db: &TestDb) {
    use MonitorState::{Down, Unknown, Up};
    let (store, a, b) = two_monitors(db).await;
    let burst = [
        event(a, 1_000, Unknown, Up),
        event(b, 1_000, Unknown, Up),
        event(a, 2_000, Up, Down),
    ];
    let records = store.append_monitor_events(&burst).await.unwrap();
    assert_eq!(records.len(), 3);
    assert!(
        records.windows(2).all(|w| w[0].id < w[1].id),
        "ids follow slice order"
    );
    assert_eq!(store.monitor_events_since(0, 10).await.unwrap(), records);
    assert!(store.append_monitor_events(&[]).await.unwrap().is_empty());

    // One unknown monitor fails the whole burst: nothing is half-written.
    let mixed = [
        event(b, 3_000, Up, Down),
        event(MonitorId(9_999), 3_000, Up, Down),
    ];
    assert!(store.append_monitor_events(&mixed).await.is_err());
    assert_eq!(
        store.monitor_events_since(records[2].id, 10).await.unwrap(),
        vec![]
    );
    store.close().await;
}

async fn current_states_survive_pruning(db: &TestDb) {
    use MonitorState::{Down, Unknown, Up};
    let (store, a, b) = two_monitors(db).await;
    assert!(store.current_states().await.unwrap().is_empty());
    let day = 86_400_000;
    store
        .append_monitor_event(&event(a, 0, Unknown, Up))
        .await
        .unwrap();
    store
        .append_monitor_event(&event(b, 0, Unknown, Up))
        .await
        .unwrap();
    let b_down = store
        .append_monitor_event(&event(b, day, Up, Down))
        .await
        .unwrap();
    let a_down = store
        .append_monitor_event(&event(a, 5 * day, Up, Down))
        .await
        .unwrap();
    let a_up = store
        .append_monitor_event(&event(a, 6 * day, Down, Up))
        .await
        .unwrap();

    let current = store.current_states().await.unwrap();
    assert_eq!(current, vec![a_up.clone(), b_down.clone()]);

    // Keep four days: both first events go; b's latest is old too, but it
    // is b's current state, so it stays.
    let retention = Retention {
        raw: Duration::from_secs(86_400),
        rollups: Duration::from_secs(4 * 86_400),
    };
    let report = store.prune(t(7 * day), &retention).await.unwrap();
    assert_eq!(report.events, 2);
    assert_eq!(store.current_states().await.unwrap(), current);
    let left = store.monitor_events_since(0, 100).await.unwrap();
    assert_eq!(left, vec![b_down, a_down, a_up]);
    store.close().await;
}
