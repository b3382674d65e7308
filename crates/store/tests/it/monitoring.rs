//! Monitoring data: the registries, batched result inserts and reads,
//! failure reasons, rollups checked against brute force over the raw rows
//! (uptime, percentiles, hour and day boundaries), and retention.

use std::collections::BTreeMap;
use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{
    LatencySketch, LocationId, MonitorId, MonitorName, Resolution, Retention, Store, StoreError,
    StoredResult, Uptime,
};
use sqlx::{Connection, Row};

use crate::{Rng, t};

both_backends!(
    registries_are_idempotent,
    batch_of_ten_thousand_reads_back,
    failure_reasons_only_for_failures,
    uptime_matches_brute_force,
    percentiles_within_sketch_error,
    rollups_across_batches_and_boundaries,
    prune_removes_exactly_what_is_older,
);

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2025-01-01T00:00:00Z: a day and hour boundary.
const T0: i64 = 1_735_689_600_000;

fn name(service: &str, monitor: &str) -> MonitorName {
    MonitorName {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    }
}

async fn monitor_ids(store: &Store, n: usize) -> Vec<MonitorId> {
    let names: Vec<MonitorName> = (0..n).map(|i| name("svc", &format!("m{i}"))).collect();
    let ids = store.register_monitors(&names, t(0)).await.unwrap();
    names.iter().map(|n| ids[n]).collect()
}

fn result(monitor: MonitorId, at_ms: i64, latency_ms: u64, ok: bool) -> StoredResult {
    StoredResult {
        monitor,
        at: t(at_ms),
        latency: Duration::from_millis(latency_ms),
        ok,
        status_code: if ok { Some(200) } else { None },
        location: LocationId(1),
        reason: (!ok).then(|| format!("connect: refused at {at_ms}")),
    }
}

/// `n` results of `monitor` every `step` ms from `start`, with random
/// latencies (1 ms – 20 s, log-uniform) and ~`fail_pct` % failures.
fn random_results(
    rng: &mut Rng,
    monitor: MonitorId,
    start: i64,
    step: i64,
    n: usize,
    fail_pct: u64,
) -> Vec<StoredResult> {
    (0..n)
        .map(|i| {
            let latency = (20_000f64.powf(rng.unit())).round() as u64;
            let ok = rng.below(100) >= fail_pct;
            result(monitor, start + i as i64 * step, latency, ok)
        })
        .collect()
}

/// Inserts `results` in random-sized batches; returns how many were new.
async fn insert_in_batches(store: &Store, rng: &mut Rng, results: &[StoredResult]) -> u64 {
    let mut inserted = 0;
    let mut rest = results;
    while !rest.is_empty() {
        let n = (1 + rng.below(400) as usize).min(rest.len());
        let (batch, after) = rest.split_at(n);
        inserted += store.insert_results(batch).await.unwrap();
        rest = after;
    }
    inserted
}

fn brute_uptime(results: &[StoredResult], monitor: MonitorId, from: i64, to: i64) -> Uptime {
    let mut uptime = Uptime::default();
    for r in results.iter().filter(|r| r.monitor == monitor) {
        let at = r.at.as_millisecond();
        if at >= from && at < to {
            uptime.checks += 1;
            uptime.failures += u64::from(!r.ok);
        }
    }
    uptime
}

/// Nearest-rank quantile of whole-millisecond latencies.
fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn assert_close(got: Option<Duration>, want: u64, what: &str) {
    let got = got.expect(what).as_secs_f64() * 1_000.0;
    let want = want as f64;
    assert!(
        (got - want).abs() <= want * LatencySketch::RELATIVE_ERROR + 1e-6,
        "{what}: sketch {got} ms, exact {want} ms"
    );
}

async fn count_rows(db: &TestDb, table: &str) -> i64 {
    let mut conn = db.raw_connection().await;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get::<i64, _>("n");
    conn.close().await.unwrap();
    n
}

async fn registries_are_idempotent(db: &TestDb) {
    let store = db.open().await;
    let first = store
        .register_monitors(&[name("api", "health"), name("api", "login")], t(1_000))
        .await
        .unwrap();
    let again = store
        .register_monitors(
            &[
                name("api", "login"),
                name("web", "home"),
                name("web", "home"),
            ],
            t(2_000),
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[&name("api", "login")], first[&name("api", "login")]);
    assert_ne!(again[&name("web", "home")], first[&name("api", "health")]);
    assert!(
        store
            .register_monitors(&[], t(3_000))
            .await
            .unwrap()
            .is_empty()
    );

    let all = store.monitors().await.unwrap();
    assert_eq!(all.len(), 3, "no duplicates: {all:?}");
    assert!(all.iter().all(|m| !m.paused));
    let login = all.iter().find(|m| m.name == name("api", "login")).unwrap();
    assert_eq!(
        login.created_at,
        t(1_000),
        "re-registering keeps the first time"
    );

    store.set_paused(login.id, true).await.unwrap();
    let paused: Vec<_> = store
        .monitors()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.paused)
        .collect();
    assert_eq!(paused.len(), 1);
    assert_eq!(paused[0].id, login.id);
    assert!(matches!(
        store.set_paused(MonitorId(9_999), true).await,
        Err(StoreError::NotFound(_))
    ));

    let locations = store
        .register_locations(&["ams", "fra"], t(0))
        .await
        .unwrap();
    let again = store
        .register_locations(&["fra", "nyc"], t(0))
        .await
        .unwrap();
    assert_eq!(again["fra"], locations["fra"]);
    assert_eq!(store.locations().await.unwrap().len(), 3);
    store.close().await;
}

async fn batch_of_ten_thousand_reads_back(db: &TestDb) {
    let store = db.open().await;
    let ids = monitor_ids(&store, 10).await;
    let mut rng = Rng::new(1);
    let mut all = Vec::new();
    for &id in &ids {
        all.extend(random_results(&mut rng, id, T0, 30_000, 1_000, 2));
    }
    assert_eq!(store.insert_results(&all).await.unwrap(), 10_000);
    assert_eq!(count_rows(db, "check_results").await, 10_000);

    let id = ids[3];
    let mine: Vec<&StoredResult> = all.iter().filter(|r| r.monitor == id).collect();
    let everything = store.results(id, t(T0), t(T0 + DAY), 5_000).await.unwrap();
    assert_eq!(everything.len(), 1_000);
    for (got, want) in everything.iter().zip(&mine) {
        assert_eq!(got, *want);
    }

    // A range, its bounds half-open, and a limit.
    let from = T0 + 100 * 30_000;
    let to = T0 + 200 * 30_000;
    let range = store.results(id, t(from), t(to), 1_000).await.unwrap();
    assert_eq!(range.len(), 100);
    assert_eq!(range[0].at, t(from));
    assert_eq!(range[99].at, t(to - 30_000));
    let limited = store.results(id, t(from), t(to), 7).await.unwrap();
    assert_eq!(limited[..], range[..7]);

    // Retrying a committed batch stores nothing twice.
    let before = store.uptime(id, t(T0), t(T0 + DAY)).await.unwrap();
    assert_eq!(store.insert_results(&all[..2_500]).await.unwrap(), 0);
    assert_eq!(store.uptime(id, t(T0), t(T0 + DAY)).await.unwrap(), before);
    assert_eq!(before, brute_uptime(&all, id, T0, T0 + DAY));
    store.close().await;
}

async fn failure_reasons_only_for_failures(db: &TestDb) {
    let store = db.open().await;
    let id = monitor_ids(&store, 1).await[0];
    let mut passing = result(id, T0, 120, true);
    passing.reason = Some("ignored for a passing check".to_owned());
    let failing = result(id, T0 + 30_000, 10_000, false);
    let mut no_reason = result(id, T0 + 60_000, 3, false);
    no_reason.reason = None;
    no_reason.status_code = Some(503);
    let later = result(id, T0 + 90_000, 80, true);
    let batch = [
        passing.clone(),
        failing.clone(),
        no_reason.clone(),
        later.clone(),
    ];
    assert_eq!(store.insert_results(&batch).await.unwrap(), 4);

    assert_eq!(
        count_rows(db, "check_failures").await,
        2,
        "one row per failed check"
    );
    let read = store.results(id, t(T0), t(T0 + HOUR), 10).await.unwrap();
    passing.reason = None;
    assert_eq!(
        read,
        vec![passing, failing.clone(), no_reason.clone(), later]
    );

    let failures = store.recent_failures(id, 10).await.unwrap();
    assert_eq!(failures, vec![no_reason, failing.clone()], "newest first");
    assert_eq!(store.recent_failures(id, 1).await.unwrap().len(), 1);
    store.close().await;
}

async fn uptime_matches_brute_force(db: &TestDb) {
    let store = db.open().await;
    let ids = monitor_ids(&store, 2).await;
    let mut rng = Rng::new(7);
    // Three days and a bit, starting mid-hour, every 47 s, ~10 % failures.
    let start = T0 - 5 * HOUR - 1_234;
    let mut all = random_results(&mut rng, ids[0], start, 47_000, 6_000, 10);
    all.extend(random_results(
        &mut rng,
        ids[1],
        start + 3,
        61_000,
        4_000,
        30,
    ));
    rng.shuffle(&mut all);
    assert_eq!(insert_in_batches(&store, &mut rng, &all).await, 10_000);

    let end = start + 6_000 * 47_000;
    let mut ranges = vec![
        (start, end),
        (T0, T0 + DAY),
        (T0 + HOUR, T0 + 2 * HOUR),
        (T0 - 1, T0 + 1),
        (T0 - HOUR - 1, T0 + DAY + HOUR + 1),
        (start - DAY, end + DAY),
        (T0 + 5, T0 + 5),
    ];
    for _ in 0..40 {
        let a = start + rng.below(u64::try_from(end - start).unwrap()) as i64;
        let b = start + rng.below(u64::try_from(end - start).unwrap()) as i64;
        ranges.push((a.min(b), a.max(b)));
    }
    for (from, to) in ranges {
        for &id in &ids {
            let got = store.uptime(id, t(from), t(to)).await.unwrap();
            assert_eq!(
                got,
                brute_uptime(&all, id, from, to),
                "{id:?} [{from}, {to})"
            );
        }
    }
    let day = store.uptime(ids[0], t(T0), t(T0 + DAY)).await.unwrap();
    let ratio = day.ratio().unwrap();
    assert!((0.8..1.0).contains(&ratio), "{ratio}");
    assert_eq!(Uptime::default().ratio(), None);
    store.close().await;
}

async fn percentiles_within_sketch_error(db: &TestDb) {
    let store = db.open().await;
    let id = monitor_ids(&store, 1).await[0];
    let mut rng = Rng::new(42);
    // Two days, a check every 10 s, 5 % failures.
    let all = random_results(&mut rng, id, T0, 10_000, 17_280, 5);
    insert_in_batches(&store, &mut rng, &all).await;

    for resolution in [Resolution::Minute, Resolution::Hour, Resolution::Day] {
        let width = resolution.width_ms();
        let mut expected: BTreeMap<i64, (Uptime, Vec<u64>)> = BTreeMap::new();
        for r in &all {
            let start = r.at.as_millisecond().div_euclid(width) * width;
            let entry = expected.entry(start).or_default();
            entry.0.checks += 1;
            if r.ok {
                entry.1.push(r.latency.as_millis() as u64);
            } else {
                entry.0.failures += 1;
            }
        }
        let series = store
            .latency_series(id, t(T0), t(T0 + 2 * DAY), resolution)
            .await
            .unwrap();
        assert_eq!(series.len(), expected.len(), "{resolution:?}");
        for (point, (start, (uptime, mut latencies))) in series.iter().zip(expected) {
            assert_eq!(point.start, t(start));
            assert_eq!(point.uptime, uptime, "{resolution:?} at {start}");
            latencies.sort_unstable();
            if latencies.is_empty() {
                assert_eq!(point.p50, None);
                continue;
            }
            for (q, got) in [(0.5, point.p50), (0.95, point.p95), (0.99, point.p99)] {
                let what = format!("{resolution:?} p{} at {start}", q * 100.0);
                assert_close(got, exact_quantile(&latencies, q), &what);
            }
        }
    }
    store.close().await;
}

async fn rollups_across_batches_and_boundaries(db: &TestDb) {
    let store = db.open().await;
    let ids = monitor_ids(&store, 3).await;
    let mut rng = Rng::new(3);
    // Around a day boundary: the last 2 hours of one day, the first 2 of the next.
    let mut all = Vec::new();
    for &id in &ids {
        all.extend(random_results(
            &mut rng,
            id,
            T0 + DAY - 2 * HOUR,
            20_000,
            720,
            20,
        ));
    }
    // Two runs of batches, then one result held back for an earlier hour.
    let (early, late) = all.split_at(all.len() / 2);
    let mut late = late.to_vec();
    let straggler = late
        .iter()
        .position(|r| r.at.as_millisecond() < T0 + DAY)
        .unwrap();
    let held = late.remove(straggler);
    insert_in_batches(&store, &mut rng, early).await;
    insert_in_batches(&store, &mut rng, &late).await;
    store.insert_results(&[held]).await.unwrap();

    for &id in &ids {
        let hours = store
            .latency_series(id, t(T0), t(T0 + 3 * DAY), Resolution::Hour)
            .await
            .unwrap();
        let starts: Vec<i64> = hours.iter().map(|p| p.start.as_millisecond()).collect();
        let want: Vec<i64> = (-2..2).map(|h| T0 + DAY + h * HOUR).collect();
        assert_eq!(starts, want);
        for point in &hours {
            let start = point.start.as_millisecond();
            assert_eq!(point.uptime, brute_uptime(&all, id, start, start + HOUR));
        }
        let days = store
            .daily_availability(id, 3, t(T0 + DAY + 5 * HOUR))
            .await
            .unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[0].day, t(T0 - DAY));
        assert_eq!(days[0].uptime, Uptime::default(), "no data that day");
        assert_eq!(days[1].uptime, brute_uptime(&all, id, T0, T0 + DAY));
        assert_eq!(
            days[2].uptime,
            brute_uptime(&all, id, T0 + DAY, T0 + 2 * DAY)
        );
        let day_series = store
            .latency_series(id, t(T0 + 7), t(T0 + 2 * DAY), Resolution::Day)
            .await
            .unwrap();
        assert_eq!(day_series.len(), 2, "the day holding `from` counts");
        assert_eq!(day_series[1].uptime, days[2].uptime);
    }
    store.close().await;
}

async fn prune_removes_exactly_what_is_older(db: &TestDb) {
    let store = db.open().await;
    let ids = monitor_ids(&store, 2).await;
    let mut rng = Rng::new(11);
    // Ten days, every 5 minutes, 10 % failures.
    let mut all = Vec::new();
    for &id in &ids {
        all.extend(random_results(&mut rng, id, T0, 300_000, 2_880, 10));
    }
    insert_in_batches(&store, &mut rng, &all).await;
    let now = T0 + 10 * DAY + 7 * HOUR + 1;
    let retention = Retention {
        raw: Duration::from_secs(3 * 86_400),
        rollups: Duration::from_secs(8 * 86_400),
    };
    let raw_cutoff = now - 3 * DAY;
    let rollup_cutoff = now - 8 * DAY;

    let report = store.prune(t(now), &retention).await.unwrap();
    let old: Vec<&StoredResult> = all
        .iter()
        .filter(|r| r.at.as_millisecond() < raw_cutoff)
        .collect();
    assert_eq!(report.results, old.len() as u64);
    assert_eq!(report.failures, old.iter().filter(|r| !r.ok).count() as u64);
    // Per monitor: hours ending by the cutoff, and the one whole day before it.
    let hours_gone = (rollup_cutoff - T0) / HOUR;
    let days_gone = (rollup_cutoff - T0) / DAY;
    assert_eq!(
        report.rollups,
        2 * u64::try_from(hours_gone + days_gone).unwrap()
    );

    for &id in &ids {
        let kept = store.results(id, t(0), t(now), 10_000).await.unwrap();
        let want: Vec<&StoredResult> = all
            .iter()
            .filter(|r| r.monitor == id && r.at.as_millisecond() >= raw_cutoff)
            .collect();
        assert_eq!(kept.len(), want.len());
        assert_eq!(kept[0], *want[0]);
        let hours = store
            .latency_series(id, t(0), t(now), Resolution::Hour)
            .await
            .unwrap();
        assert_eq!(hours[0].start, t(T0 + hours_gone * HOUR));
        assert_eq!(
            store.uptime(id, t(T0 + 3 * DAY), t(now)).await.unwrap(),
            brute_uptime(&all, id, T0 + 3 * DAY, now.div_euclid(HOUR) * HOUR),
            "rollups still answer for what raw rows no longer hold"
        );
    }
    assert_eq!(
        store.prune(t(now), &retention).await.unwrap(),
        Default::default(),
        "nothing left to prune"
    );
    store.close().await;
}
