//! The reads behind the monitoring UI and API: keyset paging of raw results
//! (also when many share one millisecond), the newest result, latency
//! periods of any width checked against brute force, hourly series of many
//! monitors at once, and pausing with its state event.

use std::collections::BTreeMap;
use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{
    LocationId, MonitorEvent, MonitorId, MonitorState, Resolution, StoreError, StoredResult, Uptime,
};

use crate::{DAY, HOUR, MINUTE, Rng, T0, monitors, t};

both_backends!(
    paging_never_skips_results_that_share_a_time,
    latest_result_is_the_newest,
    latency_buckets_of_any_width,
    hourly_series_of_many_monitors,
    pausing_records_a_state_event,
);

fn result(
    monitor: MonitorId,
    at_ms: i64,
    location: i16,
    latency_ms: u64,
    ok: bool,
) -> StoredResult {
    StoredResult {
        monitor,
        at: t(at_ms),
        latency: Duration::from_millis(latency_ms),
        ok,
        status_code: ok.then_some(200),
        location: LocationId(location),
        reason: (!ok).then(|| format!("refused at {at_ms} from {location}")),
    }
}

async fn paging_never_skips_results_that_share_a_time(db: &TestDb) {
    let store = db.open().await;
    let [id] = monitors(&store, 1).await[..] else {
        unreachable!()
    };
    // 40 locations all checking at the same millisecond, between two
    // lonely results: any page boundary falls inside the crowd.
    let mut all = vec![result(id, T0, 1, 10, true)];
    for location in 1..=40 {
        all.push(result(id, T0 + 1_000, location, 20, location % 7 != 0));
    }
    all.push(result(id, T0 + 2_000, 3, 30, true));
    store.insert_results(&all).await.unwrap();
    for page_size in [1, 3, 7, 40, 41, 100] {
        let mut read = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .results_after(id, t(T0), t(T0 + 3_000), after, page_size)
                .await
                .unwrap();
            let full = page.len() == page_size as usize;
            after = page.last().map(|r| (r.at, r.location));
            read.extend(page);
            if !full {
                break;
            }
        }
        assert_eq!(read, all, "page size {page_size}");
    }
    // The range still bounds a cursored read.
    let tail = store
        .results_after(
            id,
            t(T0),
            t(T0 + 1_001),
            Some((t(T0 + 1_000), LocationId(38))),
            10,
        )
        .await
        .unwrap();
    assert_eq!(tail, all[39..41].to_vec());
    // Without a cursor it is `results`.
    assert_eq!(
        store
            .results_after(id, t(T0 + 1_000), t(T0 + 2_000), None, 5)
            .await
            .unwrap(),
        store
            .results(id, t(T0 + 1_000), t(T0 + 2_000), 5)
            .await
            .unwrap()
    );
}

async fn latest_result_is_the_newest(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 2).await;
    assert_eq!(store.latest_result(ids[0]).await.unwrap(), None);
    let results: Vec<StoredResult> = (0..1_000)
        .map(|i| result(ids[0], T0 + i * 1_000, (1 + i % 3) as i16, 5, i % 10 != 9))
        .chain([result(ids[1], T0 + 5_000_000, 1, 5, true)])
        .collect();
    store.insert_results(&results).await.unwrap();
    let latest = store.latest_result(ids[0]).await.unwrap().unwrap();
    assert_eq!(latest, results[999]);
    assert_eq!(
        latest.reason.as_deref(),
        Some("refused at 1735690599000 from 1")
    );
}

async fn latency_buckets_of_any_width(db: &TestDb) {
    let store = db.open().await;
    let [id] = monitors(&store, 1).await[..] else {
        unreachable!()
    };
    let mut rng = Rng::new(11);
    // Three days, one check every 7 minutes from 13:00 on the first day.
    let start = T0 + 13 * HOUR;
    let results: Vec<StoredResult> = (0..(3 * DAY / (7 * MINUTE)))
        .map(|i| {
            let ok = rng.below(100) >= 5;
            result(id, start + i * 7 * MINUTE, 1, 1 + rng.below(900), ok)
        })
        .collect();
    for batch in results.chunks(300) {
        store.insert_results(batch).await.unwrap();
    }
    let brute = |from: i64, to: i64, width: i64| -> BTreeMap<i64, Uptime> {
        let mut periods: BTreeMap<i64, Uptime> = BTreeMap::new();
        for r in &results {
            let at = r.at.as_millisecond();
            if at >= from.div_euclid(width) * width && at < to {
                let period = periods.entry(at.div_euclid(width) * width).or_default();
                period.checks += 1;
                period.failures += u64::from(!r.ok);
            }
        }
        periods
    };
    let (from, to) = (T0 + 14 * HOUR + 5 * MINUTE, T0 + 3 * DAY + 2 * HOUR);
    for width in [10 * MINUTE, HOUR, 6 * HOUR, DAY, 2 * DAY] {
        let points = store
            .latency_buckets(id, t(from), t(to), Duration::from_millis(width as u64))
            .await
            .unwrap();
        let got: BTreeMap<i64, Uptime> = points
            .iter()
            .map(|p| (p.start.as_millisecond(), p.uptime))
            .collect();
        if width % HOUR == 0 {
            // Rollups count whole periods: compare with whole rollup periods.
            let rollup = if width % DAY == 0 { DAY } else { HOUR };
            let first = from.div_euclid(width) * width;
            let mut want: BTreeMap<i64, Uptime> = BTreeMap::new();
            for (start, uptime) in brute(first, to.div_euclid(rollup) * rollup + rollup, rollup) {
                if start < to {
                    *want.entry(start.div_euclid(width) * width).or_default() += uptime;
                }
            }
            assert_eq!(got, want, "width {width} ms");
        } else {
            assert_eq!(got, brute(from, to, width), "width {width} ms");
        }
        assert!(points.iter().all(|p| p.p50 <= p.p95 && p.p95 <= p.p99));
    }
    // Widths that are rollups agree with `latency_series`.
    for (width, resolution) in [(HOUR, Resolution::Hour), (DAY, Resolution::Day)] {
        assert_eq!(
            store
                .latency_buckets(id, t(from), t(to), Duration::from_millis(width as u64))
                .await
                .unwrap(),
            store
                .latency_series(id, t(from), t(to), resolution)
                .await
                .unwrap()
        );
    }
    for bad in [0, 7 * MINUTE, 90 * MINUTE] {
        let error = store
            .latency_buckets(id, t(from), t(to), Duration::from_millis(bad as u64))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidInput(_)),
            "{bad}: {error}"
        );
    }
}

async fn hourly_series_of_many_monitors(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 3).await;
    let mut results = Vec::new();
    for (n, id) in ids.iter().take(2).enumerate() {
        for i in 0..300 {
            results.push(result(
                *id,
                T0 + i * 5 * MINUTE,
                1,
                10 + n as u64 * 100 + i as u64,
                i % 13 != 0,
            ));
        }
    }
    store.insert_results(&results).await.unwrap();
    let (from, to) = (t(T0 + 2 * HOUR + 1), t(T0 + 20 * HOUR));
    let series = store.hourly_series(&ids, from, to).await.unwrap();
    assert_eq!(series.len(), 2, "the monitor without checks is absent");
    for id in &ids[..2] {
        assert_eq!(
            series[id],
            store
                .latency_series(*id, from, to, Resolution::Hour)
                .await
                .unwrap()
        );
        assert_eq!(series[id].len(), 18);
    }
    assert!(store.hourly_series(&[], from, to).await.unwrap().is_empty());
}

async fn pausing_records_a_state_event(db: &TestDb) {
    let store = db.open().await;
    let [id] = monitors(&store, 1).await[..] else {
        unreachable!()
    };
    store
        .append_monitor_event(&MonitorEvent {
            monitor: id,
            at: t(T0),
            from: MonitorState::Unknown,
            to: MonitorState::Down,
            reason: Some("refused".into()),
            locations: vec!["ams".into()],
        })
        .await
        .unwrap();
    let paused = store
        .set_paused_with_event(
            id,
            true,
            t(T0 + 1_000),
            Some("paused by a@example.org".into()),
        )
        .await
        .unwrap()
        .expect("a change");
    assert_eq!(paused.event.from, MonitorState::Down);
    assert_eq!(paused.event.to, MonitorState::Paused);
    assert!(store.monitors().await.unwrap()[0].paused);
    assert_eq!(
        store.paused_monitors().await.unwrap(),
        vec![store.monitors().await.unwrap()[0].name.clone()]
    );
    assert_eq!(
        store
            .set_paused_with_event(id, true, t(T0 + 2_000), None)
            .await
            .unwrap(),
        None,
        "pausing twice changes nothing"
    );
    let resumed = store
        .set_paused_with_event(id, false, t(T0 + 3_000), None)
        .await
        .unwrap()
        .expect("a change");
    assert_eq!(
        (resumed.event.from, resumed.event.to),
        (MonitorState::Paused, MonitorState::Unknown)
    );
    assert!(!store.monitors().await.unwrap()[0].paused);
    assert!(store.paused_monitors().await.unwrap().is_empty());
    let history = store.monitor_events_for(id, 10, None).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0], resumed);
    assert_eq!(history[1], paused);
    assert_eq!(store.current_states().await.unwrap()[0], resumed);
    let missing = store
        .set_paused_with_event(MonitorId(9_999), true, t(T0), None)
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}
