//! Cluster tables: instances' heartbeats, stops, expiry and pruning; named
//! leases acquired, renewed, refused, taken over and released; and
//! concurrent callers racing for one lease.

use std::sync::Arc;
use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{InstanceBeat, InstanceRecord, LeaseGrant, StoreError};

use crate::{T0, t};

both_backends!(
    instances_heartbeat_stop_expire_and_prune,
    invalid_instances_are_refused,
    leases_acquire_renew_refuse_take_over_and_release,
    invalid_leases_are_refused,
    concurrent_callers_get_one_lease_per_round,
    a_held_lease_is_refused_to_concurrent_callers,
);

const SECOND: i64 = 1_000;
const TTL: Duration = Duration::from_secs(30);

fn beat(id: &str, location: &str, version: &str, at: i64) -> InstanceBeat {
    InstanceBeat {
        id: id.to_owned(),
        location: location.to_owned(),
        version: version.to_owned(),
        now: t(at),
    }
}

fn ids(list: &[InstanceRecord]) -> Vec<&str> {
    list.iter().map(|i| i.id.as_str()).collect()
}

fn grant(generation: i64, expires_at: i64) -> Option<LeaseGrant> {
    Some(LeaseGrant {
        generation,
        expires_at: t(expires_at),
    })
}

async fn instances_heartbeat_stop_expire_and_prune(db: &TestDb) {
    let store = db.open().await;
    assert!(store.live_instances(t(T0), TTL).await.unwrap().is_empty());

    store
        .heartbeat_instance(&beat("b-7f3a", "eu-west", "1.4.0", T0))
        .await
        .unwrap();
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.4.0", T0 + SECOND))
        .await
        .unwrap();
    let live = store.live_instances(t(T0 + 2 * SECOND), TTL).await.unwrap();
    assert_eq!(ids(&live), ["a-91c2", "b-7f3a"]);
    assert_eq!(
        live[1],
        InstanceRecord {
            id: "b-7f3a".into(),
            location: "eu-west".into(),
            version: "1.4.0".into(),
            started_at: t(T0),
            heartbeat_at: t(T0),
            stopped_at: None,
        }
    );

    // A later heartbeat refreshes the row; its start stays.
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.5.0", T0 + 10 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 10 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(
        live[0],
        InstanceRecord {
            id: "a-91c2".into(),
            location: "us-east".into(),
            version: "1.5.0".into(),
            started_at: t(T0 + SECOND),
            heartbeat_at: t(T0 + 10 * SECOND),
            stopped_at: None,
        }
    );
    // An older, delayed heartbeat changes nothing.
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.3.0", T0 + 5 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 10 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(live[0].version, "1.5.0");
    assert_eq!(live[0].heartbeat_at, t(T0 + 10 * SECOND));

    // Expiry: live while the heartbeat is later than `now - ttl`.
    let live = store
        .live_instances(t(T0 + 30 * SECOND - 1), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["a-91c2", "b-7f3a"]);
    let live = store
        .live_instances(t(T0 + 30 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["a-91c2"]);
    let live = store
        .live_instances(t(T0 + 40 * SECOND), TTL)
        .await
        .unwrap();
    assert!(live.is_empty());

    // A stop takes the instance out at once.
    store
        .heartbeat_instance(&beat("b-7f3a", "eu-west", "1.4.0", T0 + 12 * SECOND))
        .await
        .unwrap();
    store
        .stop_instance("a-91c2", t(T0 + 15 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 15 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["b-7f3a"]);
    // Stopping again, or an unknown instance, changes nothing.
    store
        .stop_instance("a-91c2", t(T0 + 16 * SECOND))
        .await
        .unwrap();
    store.stop_instance("nobody", t(T0)).await.unwrap();
    // A heartbeat written before the stop does not revive it ...
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.5.0", T0 + 14 * SECOND))
        .await
        .unwrap();
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.5.0", T0 + 15 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 16 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["b-7f3a"]);
    // ... a later one does, and clears the stop.
    store
        .heartbeat_instance(&beat("a-91c2", "us-east", "1.5.0", T0 + 17 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 17 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["a-91c2", "b-7f3a"]);
    assert_eq!(live[0].stopped_at, None);
    assert_eq!(live[0].started_at, t(T0 + SECOND));

    // Pruning forgets instances silent since before the cut-off.
    store
        .stop_instance("b-7f3a", t(T0 + 18 * SECOND))
        .await
        .unwrap();
    assert_eq!(store.prune_instances(t(T0 + 12 * SECOND)).await.unwrap(), 0);
    assert_eq!(store.prune_instances(t(T0 + 13 * SECOND)).await.unwrap(), 1);
    assert_eq!(store.prune_instances(t(T0 + 13 * SECOND)).await.unwrap(), 0);
    // One that heartbeats again after being pruned is registered anew.
    store
        .heartbeat_instance(&beat("b-7f3a", "eu-west", "1.5.0", T0 + 20 * SECOND))
        .await
        .unwrap();
    let live = store
        .live_instances(t(T0 + 20 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(ids(&live), ["a-91c2", "b-7f3a"]);
    assert_eq!(live[1].started_at, t(T0 + 20 * SECOND));
    assert_eq!(store.prune_instances(t(T0 + 21 * SECOND)).await.unwrap(), 2);
    assert!(
        store
            .live_instances(t(T0 + 20 * SECOND), TTL)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn invalid_instances_are_refused(db: &TestDb) {
    let store = db.open().await;
    let long = "x".repeat(1001);
    for bad in [
        beat("", "eu-west", "1.4.0", T0),
        beat(&long, "eu-west", "1.4.0", T0),
        beat("a", &long, "1.4.0", T0),
        beat("a", "eu-west", &long, T0),
    ] {
        let error = store.heartbeat_instance(&bad).await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidInput(_)), "{error}");
    }
    // An empty location or version is allowed.
    store
        .heartbeat_instance(&beat("a", "", "", T0))
        .await
        .unwrap();
    let live = store.live_instances(t(T0), TTL).await.unwrap();
    assert_eq!(ids(&live), ["a"]);
}

async fn leases_acquire_renew_refuse_take_over_and_release(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.lease_holder("pager", t(T0)).await.unwrap(), None);

    // Acquire.
    let a = store.try_lease("pager", "a", t(T0), TTL).await.unwrap();
    assert_eq!(a, grant(1, T0 + 30 * SECOND));
    assert_eq!(
        store.lease_holder("pager", t(T0 + SECOND)).await.unwrap(),
        Some(("a".to_owned(), t(T0 + 30 * SECOND)))
    );

    // Refused while held by another; nothing changes.
    let b = store
        .try_lease("pager", "b", t(T0 + 10 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(b, None);
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 10 * SECOND))
            .await
            .unwrap(),
        Some(("a".to_owned(), t(T0 + 30 * SECOND)))
    );

    // Renewed by its holder: the expiry moves, the generation stays.
    let a = store
        .try_lease("pager", "a", t(T0 + 20 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(a, grant(1, T0 + 50 * SECOND));

    // Other names are other leases.
    let other = store
        .try_lease("prune", "b", t(T0 + 20 * SECOND), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(other, grant(1, T0 + 25 * SECOND));

    // Still held a millisecond before the expiry; taken over at it.
    let b = store
        .try_lease("pager", "b", t(T0 + 50 * SECOND - 1), TTL)
        .await
        .unwrap();
    assert_eq!(b, None);
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 50 * SECOND - 1))
            .await
            .unwrap(),
        Some(("a".to_owned(), t(T0 + 50 * SECOND)))
    );
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 50 * SECOND))
            .await
            .unwrap(),
        None
    );
    let b = store
        .try_lease("pager", "b", t(T0 + 50 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(b, grant(2, T0 + 80 * SECOND));
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 50 * SECOND))
            .await
            .unwrap(),
        Some(("b".to_owned(), t(T0 + 80 * SECOND)))
    );
    // The former holder cannot renew what it lost.
    let a = store
        .try_lease("pager", "a", t(T0 + 55 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(a, None);

    // Only the holder can release.
    assert!(!store.release_lease("pager", "a").await.unwrap());
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 55 * SECOND))
            .await
            .unwrap(),
        Some(("b".to_owned(), t(T0 + 80 * SECOND)))
    );
    assert!(store.release_lease("pager", "b").await.unwrap());
    assert!(!store.release_lease("pager", "b").await.unwrap());
    assert!(!store.release_lease("nothing", "b").await.unwrap());
    assert_eq!(
        store
            .lease_holder("pager", t(T0 + 55 * SECOND))
            .await
            .unwrap(),
        None
    );

    // A released lease is free at once, and its generations go on.
    let a = store
        .try_lease("pager", "a", t(T0 + 56 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(a, grant(3, T0 + 86 * SECOND));
    // Taken back by the same holder after its own release or lapse, a lease
    // has not changed hands: the generation stays.
    assert!(store.release_lease("pager", "a").await.unwrap());
    let a = store
        .try_lease("pager", "a", t(T0 + 57 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(a, grant(3, T0 + 87 * SECOND));
    let a = store
        .try_lease("pager", "a", t(T0 + 200 * SECOND), TTL)
        .await
        .unwrap();
    assert_eq!(a, grant(3, T0 + 230 * SECOND));
    // A lapsed lease can still be released by its holder.
    assert!(store.release_lease("prune", "b").await.unwrap());
}

async fn invalid_leases_are_refused(db: &TestDb) {
    let store = db.open().await;
    let long = "x".repeat(1001);
    for (name, holder, ttl) in [
        ("pager", "a", Duration::ZERO),
        ("pager", "a", Duration::from_micros(999)),
        ("", "a", TTL),
        ("pager", "", TTL),
        (long.as_str(), "a", TTL),
        ("pager", long.as_str(), TTL),
    ] {
        let error = store.try_lease(name, holder, t(T0), ttl).await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidInput(_)), "{error}");
    }
    assert_eq!(store.lease_holder("pager", t(T0)).await.unwrap(), None);
}

/// Eight instances (a store handle each) race for one lease at the same
/// `now`, twenty rounds, each past the previous round's expiry with new
/// holder names: exactly one wins each round, and the generation goes up
/// by one each time.
async fn concurrent_callers_get_one_lease_per_round(db: &TestDb) {
    const TASKS: usize = 8;
    const ROUNDS: i64 = 20;
    let mut stores = Vec::new();
    for _ in 0..TASKS {
        stores.push(db.open().await);
    }
    let mut last_generation = 0;
    for round in 0..ROUNDS {
        let now = t(T0 + round * 60 * SECOND);
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                let store = store.clone();
                let barrier = Arc::clone(&barrier);
                let holder = format!("instance-{i}-round-{round}");
                tokio::spawn(async move {
                    barrier.wait().await;
                    let grant = store.try_lease("pager", &holder, now, TTL).await.unwrap();
                    (holder, grant)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (holder, grant) = task.await.unwrap();
            if let Some(grant) = grant {
                winners.push((holder, grant));
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let (holder, grant) = winners.remove(0);
        assert!(
            grant.generation > last_generation,
            "round {round}: generation {} after {last_generation}",
            grant.generation
        );
        assert_eq!(grant.generation, round + 1);
        assert_eq!(grant.expires_at, t(T0 + round * 60 * SECOND + 30 * SECOND));
        last_generation = grant.generation;
        assert_eq!(
            stores[0].lease_holder("pager", now).await.unwrap(),
            Some((holder, grant.expires_at))
        );
    }
}

/// While the lease is held, its holder renews it and seven others try for
/// it at once: only the holder is granted it, with its generation.
async fn a_held_lease_is_refused_to_concurrent_callers(db: &TestDb) {
    const TASKS: usize = 8;
    let store = db.open().await;
    let first = store
        .try_lease("pager", "instance-0", t(T0), TTL)
        .await
        .unwrap();
    assert_eq!(first, grant(1, T0 + 30 * SECOND));
    for round in 1..=5 {
        let now = t(T0 + round * 5 * SECOND);
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let store = store.clone();
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let holder = format!("instance-{i}");
                    store.try_lease("pager", &holder, now, TTL).await.unwrap()
                })
            })
            .collect();
        let mut grants = Vec::new();
        for task in tasks {
            grants.push(task.await.unwrap());
        }
        assert_eq!(grants[0], grant(1, T0 + round * 5 * SECOND + 30 * SECOND));
        assert!(grants[1..].iter().all(Option::is_none), "{grants:?}");
    }
}
