//! Reads of many monitors at once (`Store::uptime_many`,
//! `Store::latest_results`) agree with the per-monitor reads they replace
//! in the monitors list, over hot rows, packed hours, late results and
//! ranges of every shape.

use std::collections::HashMap;
use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{LocationId, MonitorId, MonitorName, Store, StoredResult, Uptime};

use crate::{DAY, HOUR, MINUTE, Rng, T0, monitors, t};

both_backends!(
    uptime_many_equals_uptime_per_monitor,
    latest_results_equal_latest_result_per_monitor,
);

fn result(monitor: MonitorId, at_ms: i64, location: i16, ok: bool) -> StoredResult {
    StoredResult {
        monitor,
        at: t(at_ms),
        latency: Duration::from_millis(10 + (at_ms / 1_000 % 90) as u64),
        ok,
        status_code: ok.then_some(200),
        location: LocationId(location),
        reason: (!ok).then(|| format!("refused at {at_ms} from {location}")),
    }
}

/// Results of `ids` every few minutes (jittered, two locations, ~10 %
/// failing) for `[from, to)`.
fn seed(rng: &mut Rng, ids: &[MonitorId], from: i64, to: i64) -> Vec<StoredResult> {
    let mut all = Vec::new();
    for &id in ids {
        let mut at = from + rng.below(5 * MINUTE as u64) as i64;
        while at < to {
            for location in 1..=2 {
                all.push(result(
                    id,
                    at + i64::from(location),
                    location,
                    rng.unit() > 0.1,
                ));
            }
            at += 4 * MINUTE + rng.below(4 * MINUTE as u64) as i64;
        }
    }
    all
}

async fn insert(store: &Store, results: &[StoredResult]) {
    for batch in results.chunks(700) {
        store.insert_results(batch).await.unwrap();
    }
}

/// Compares `uptime_many` with `uptime` per monitor over `ranges`.
async fn assert_same_uptime(store: &Store, ids: &[MonitorId], ranges: &[(i64, i64)]) {
    for &(from, to) in ranges {
        let many = store.uptime_many(ids, t(from), t(to)).await.unwrap();
        let mut expected: HashMap<MonitorId, Uptime> = HashMap::new();
        for &id in ids {
            expected.insert(id, store.uptime(id, t(from), t(to)).await.unwrap());
        }
        assert_eq!(
            many,
            expected,
            "range {from}..{to} (relative to T0: {}..{})",
            from - T0,
            to - T0
        );
    }
}

async fn uptime_many_equals_uptime_per_monitor(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 4).await;
    let mut rng = Rng::new(7);
    // Four days of results for three monitors; the fourth has none.
    insert(&store, &seed(&mut rng, &ids[..3], T0, T0 + 4 * DAY)).await;
    // Pack all but the last hours, then add late results to packed hours.
    let packed = store
        .pack_closed_hours(t(T0 + 4 * DAY - 2 * HOUR))
        .await
        .unwrap();
    assert!(packed > 1_000, "most results are packed: {packed}");
    let late: Vec<StoredResult> = (0..40)
        .map(|i| result(ids[i % 3], T0 + i as i64 * 2 * HOUR + 17_123, 3, i % 4 != 0))
        .collect();
    insert(&store, &late).await;

    let mut ranges = vec![
        (T0, T0),                             // empty
        (T0 + DAY, T0 + HOUR),                // reversed: empty
        (T0 - 10 * DAY, T0 - 9 * DAY),        // before any data
        (T0 + 5 * DAY, T0 + 6 * DAY),         // after all data
        (T0, T0 + 4 * DAY),                   // whole days
        (T0 + HOUR, T0 + 3 * HOUR),           // whole hours
        (T0 + 5 * MINUTE, T0 + 20 * MINUTE),  // inside one hour
        (T0 + 50 * MINUTE, T0 + 70 * MINUTE), // across one hour
        (T0 - 90 * DAY, T0 + 4 * DAY - 7),    // a 90-day window
        (T0 + DAY - 5, T0 + 3 * DAY + HOUR + 5),
        (T0 + 4 * DAY - 30 * MINUTE, T0 + 4 * DAY + MINUTE), // hot end
    ];
    // The list's windows ending at ragged times near the end of the data.
    for end in [T0 + 4 * DAY - 3 * MINUTE - 11, T0 + 3 * DAY + 7 * HOUR + 1] {
        for hours in [24, 24 * 7, 24 * 30, 24 * 90] {
            ranges.push((end - hours * HOUR, end));
        }
    }
    for _ in 0..30 {
        let a = T0 - DAY + rng.below((6 * DAY) as u64) as i64;
        let b = T0 - DAY + rng.below((6 * DAY) as u64) as i64;
        ranges.push((a.min(b), a.max(b)));
    }
    assert_same_uptime(&store, &ids, &ranges).await;

    // The counts are not all zero: the comparison means something.
    let whole = store
        .uptime_many(&ids, t(T0), t(T0 + 4 * DAY))
        .await
        .unwrap();
    assert!(whole[&ids[0]].checks > 1_000 && whole[&ids[0]].failures > 50);
    assert_eq!(whole[&ids[3]], Uptime::default());

    // Subsets, duplicates, unknown ids and no ids at all.
    let some = store
        .uptime_many(
            &[ids[2], ids[0], ids[2], MonitorId(9_999)],
            t(T0),
            t(T0 + DAY + 1),
        )
        .await
        .unwrap();
    assert_eq!(some.len(), 3);
    assert_eq!(
        some[&ids[2]],
        store.uptime(ids[2], t(T0), t(T0 + DAY + 1)).await.unwrap()
    );
    assert_eq!(some[&MonitorId(9_999)], Uptime::default());
    assert!(
        store
            .uptime_many(&[], t(T0), t(T0 + DAY))
            .await
            .unwrap()
            .is_empty()
    );

    // More monitors than one statement takes.
    let many = monitors_more(&store, 1_203).await;
    let few: Vec<StoredResult> = many
        .iter()
        .enumerate()
        .map(|(i, &id)| result(id, T0 + (i as i64 % 50) * HOUR + 999, 1, i % 5 != 0))
        .collect();
    insert(&store, &few).await;
    let all = store
        .uptime_many(&many, t(T0), t(T0 + 3 * DAY))
        .await
        .unwrap();
    assert_eq!(all.len(), many.len());
    let counted: u64 = all.values().map(|u| u.checks).sum();
    assert_eq!(
        counted,
        few.iter().filter(|r| r.at < t(T0 + 3 * DAY)).count() as u64
    );
    let failed: u64 = all.values().map(|u| u.failures).sum();
    assert_eq!(
        failed,
        few.iter()
            .filter(|r| r.at < t(T0 + 3 * DAY) && !r.ok)
            .count() as u64
    );
}

/// Registers `n` more monitors (named `bulk-<i>`).
async fn monitors_more(store: &Store, n: usize) -> Vec<MonitorId> {
    let names: Vec<MonitorName> = (0..n)
        .map(|i| MonitorName {
            service: "bulk".into(),
            monitor: format!("bulk-{i}"),
        })
        .collect();
    let ids = store.register_monitors(&names, t(0)).await.unwrap();
    names.iter().map(|name| ids[name]).collect()
}

async fn assert_same_latest(store: &Store, ids: &[MonitorId]) {
    let many = store.latest_results(ids).await.unwrap();
    let mut expected = HashMap::new();
    for &id in ids {
        if let Some(result) = store.latest_result(id).await.unwrap() {
            expected.insert(id, result);
        }
    }
    assert_eq!(many, expected);
}

async fn latest_results_equal_latest_result_per_monitor(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 6).await;
    let mut rng = Rng::new(11);
    // Nothing stored yet.
    assert!(store.latest_results(&ids).await.unwrap().is_empty());

    insert(&store, &seed(&mut rng, &ids[..4], T0, T0 + 6 * HOUR)).await;
    // Newest of monitor 4 fails, at the same millisecond from two locations.
    insert(
        &store,
        &[
            result(ids[4], T0 + HOUR, 1, true),
            result(ids[4], T0 + 2 * HOUR, 1, false),
            result(ids[4], T0 + 2 * HOUR, 2, false),
        ],
    )
    .await;
    assert_same_latest(&store, &ids).await; // all hot

    // Pack everything: newest results now come from packed hours, with
    // their reasons from `check_failures`.
    assert!(store.pack_closed_hours(t(T0 + DAY)).await.unwrap() > 0);
    assert_same_latest(&store, &ids).await;
    let newest = store.latest_results(&ids).await.unwrap();
    assert_eq!(newest[&ids[4]].location, LocationId(2));
    assert!(newest[&ids[4]].reason.is_some());
    assert!(!newest.contains_key(&ids[5]));

    // A late hot result older than the packed newest must not win; a
    // fresh one must.
    insert(
        &store,
        &[
            result(ids[0], T0 + 30 * MINUTE + 7, 3, false),
            result(ids[1], T0 + 7 * HOUR, 1, false),
            result(ids[2], T0 + 6 * HOUR - 1, 9, true),
        ],
    )
    .await;
    assert_same_latest(&store, &ids).await;
    let newest = store.latest_results(&ids).await.unwrap();
    assert_eq!(newest[&ids[1]].at, t(T0 + 7 * HOUR));
    assert!(newest[&ids[1]].reason.is_some());

    // Subsets and duplicates.
    let some = store
        .latest_results(&[ids[3], ids[3], ids[5]])
        .await
        .unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(
        Some(&some[&ids[3]]),
        store.latest_result(ids[3]).await.unwrap().as_ref()
    );
}
