//! Packed hours: every reader of raw results answers the same before and
//! after [`Store::pack_closed_hours`] (also paging across the hot/packed
//! boundary and through many results sharing a millisecond), late results
//! for packed hours, idempotent and concurrent packing, and retention of
//! packed hours.

use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{
    LocationId, MonitorId, PACK_GRACE, Resolution, Retention, Store, StoredResult,
};
use sqlx::{Connection, Row};

use crate::{DAY, HOUR, MINUTE, Rng, T0, monitors, t};

both_backends!(
    packing_changes_no_read,
    late_results_for_packed_hours,
    packing_is_idempotent_and_concurrent,
    prune_deletes_old_packed_results,
);

fn result(monitor: MonitorId, at_ms: i64, location: i16, rng: &mut Rng) -> StoredResult {
    let ok = rng.below(100) >= 10;
    StoredResult {
        monitor,
        at: t(at_ms),
        latency: Duration::from_millis(rng.below(3_000)),
        ok,
        status_code: match rng.below(4) {
            0 => None,
            1 => Some(503),
            _ => Some(200),
        },
        location: LocationId(location),
        reason: (!ok && rng.below(5) != 0).then(|| format!("refused at {at_ms} from {location}")),
    }
}

/// Four hours of one monitor from three locations every 20 s (jittered),
/// plus a crowd of 30 locations at one millisecond in the second hour and
/// another in the last (hot) hour.
fn workload(id: MonitorId, rng: &mut Rng) -> Vec<StoredResult> {
    let mut all = Vec::new();
    for i in 0..(4 * HOUR / 20_000) {
        for location in 1..=3 {
            let at = T0 + i * 20_000 + rng.below(5_000) as i64;
            all.push(result(id, at, location, rng));
        }
    }
    for crowd in [T0 + HOUR + 7 * MINUTE + 1, T0 + 3 * HOUR + 9 * MINUTE + 3] {
        for location in 4..34 {
            all.push(result(id, crowd, location, rng));
        }
    }
    all.sort_by_key(|r| (r.at, r.location));
    all.dedup_by_key(|r| (r.at, r.location));
    all
}

/// `all` as the store reads it back: reasons only for failures.
fn as_read(all: &[StoredResult]) -> Vec<StoredResult> {
    all.iter()
        .cloned()
        .map(|mut r| {
            if r.ok {
                r.reason = None;
            }
            r
        })
        .collect()
}

async fn insert_shuffled(store: &Store, rng: &mut Rng, all: &[StoredResult]) {
    let mut shuffled = all.to_vec();
    rng.shuffle(&mut shuffled);
    for batch in shuffled.chunks(250) {
        store.insert_results(batch).await.unwrap();
    }
}

async fn read_all_pages(
    store: &Store,
    id: MonitorId,
    from: i64,
    to: i64,
    page: u32,
) -> Vec<StoredResult> {
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let got = store
            .results_after(id, t(from), t(to), after, page)
            .await
            .unwrap();
        let full = got.len() == page as usize;
        after = got.last().map(|r| (r.at, r.location));
        read.extend(got);
        if !full {
            return read;
        }
    }
}

/// Everything the raw readers say about `id`.
#[derive(Debug, PartialEq)]
struct Reads {
    everything: Vec<StoredResult>,
    limited: Vec<StoredResult>,
    pages: Vec<Vec<StoredResult>>,
    latest: Option<StoredResult>,
    failures: Vec<StoredResult>,
    few_failures: Vec<StoredResult>,
    buckets: Vec<shipshape_store::SeriesPoint>,
    minutes: Vec<shipshape_store::SeriesPoint>,
    uptimes: Vec<shipshape_store::Uptime>,
}

async fn reads(store: &Store, id: MonitorId) -> Reads {
    let (from, to) = (T0 - HOUR, T0 + 5 * HOUR);
    let mut pages = Vec::new();
    for page in [1, 7, 29, 64, 500] {
        pages.push(read_all_pages(store, id, from, to, page).await);
    }
    // A range starting and ending mid-hour, paged through the crowd.
    pages.push(
        read_all_pages(
            store,
            id,
            T0 + HOUR + 7 * MINUTE,
            T0 + 3 * HOUR + 9 * MINUTE + 4,
            11,
        )
        .await,
    );
    let mut uptimes = Vec::new();
    for (a, b) in [
        (T0 + 5, T0 + 3 * HOUR + 17),
        (T0 + HOUR + 7 * MINUTE + 1, T0 + HOUR + 7 * MINUTE + 2),
        (T0 - DAY, T0 + DAY),
        (T0 + 30 * MINUTE, T0 + 3 * HOUR + 30 * MINUTE),
    ] {
        uptimes.push(store.uptime(id, t(a), t(b)).await.unwrap());
    }
    Reads {
        everything: store.results(id, t(from), t(to), 100_000).await.unwrap(),
        limited: store
            .results(id, t(T0 + 30 * MINUTE), t(to), 333)
            .await
            .unwrap(),
        pages,
        latest: store.latest_result(id).await.unwrap(),
        failures: store.recent_failures(id, 10_000).await.unwrap(),
        few_failures: store.recent_failures(id, 3).await.unwrap(),
        buckets: store
            .latency_buckets(id, t(T0 + 3 * MINUTE), t(to), Duration::from_secs(600))
            .await
            .unwrap(),
        minutes: store
            .latency_series(
                id,
                t(T0 + 59 * MINUTE),
                t(T0 + 3 * HOUR + 2 * MINUTE),
                Resolution::Minute,
            )
            .await
            .unwrap(),
        uptimes,
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.raw_connection().await;
    let n = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get::<i64, _>("n");
    conn.close().await.unwrap();
    n
}

/// The packed rows: (monitor, hour, location, data), in key order.
async fn packed_rows(db: &TestDb) -> Vec<(i64, i64, i64, Vec<u8>)> {
    let mut conn = db.raw_connection().await;
    let rows = sqlx::query(
        "SELECT CAST(monitor_id AS BIGINT) AS m, hour_ms, CAST(location_id AS BIGINT) AS l, data \
         FROM check_results_packed ORDER BY monitor_id, hour_ms, location_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| (r.get("m"), r.get("hour_ms"), r.get("l"), r.get("data")))
        .collect()
}

async fn packing_changes_no_read(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 2).await;
    let mut rng = Rng::new(5);
    let mut all = workload(ids[0], &mut rng);
    let other = workload(ids[1], &mut rng);
    insert_shuffled(&store, &mut rng, &all).await;
    insert_shuffled(&store, &mut rng, &other).await;
    let before = reads(&store, ids[0]).await;
    assert_eq!(before.everything, as_read(&all));
    for page in &before.pages[..5] {
        assert_eq!(page, &before.everything);
    }

    // Three hours close; the fourth stays hot (the grace has not passed).
    let now = T0 + 4 * HOUR + PACK_GRACE.as_millis() as i64 - 1;
    let in_first_three = |rs: &[StoredResult]| {
        rs.iter()
            .filter(|r| r.at.as_millisecond() < T0 + 3 * HOUR)
            .count() as u64
    };
    let moved = store.pack_closed_hours(t(now)).await.unwrap();
    assert_eq!(moved, in_first_three(&all) + in_first_three(&other));
    let hot = count(db, "SELECT COUNT(*) AS n FROM check_results").await;
    assert_eq!(hot as usize, all.len() + other.len() - moved as usize);
    assert_eq!(
        packed_rows(db).await.len(),
        2 * 3 * 3 + 2 * 30,
        "monitors × hours × locations + crowd"
    );
    let after = reads(&store, ids[0]).await;
    assert_eq!(after, before, "packing changes no read");

    // The newest result packed, and nothing hot at all.
    let everything_packed = T0 + 5 * HOUR + PACK_GRACE.as_millis() as i64;
    store.pack_closed_hours(t(everything_packed)).await.unwrap();
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM check_results").await,
        0
    );
    assert_eq!(reads(&store, ids[0]).await, before);
    let newest = all.iter().max_by_key(|r| (r.at, r.location)).unwrap();
    assert_eq!(
        store.latest_result(ids[0]).await.unwrap().as_ref(),
        as_read(std::slice::from_ref(newest)).first()
    );
    // A failure's reason survives packing.
    let failed = all
        .iter()
        .rev()
        .find(|r| !r.ok && r.reason.is_some())
        .unwrap();
    assert!(before.failures.contains(failed));
    assert_eq!(before.few_failures[..], before.failures[..3]);
    all.retain(|r| !r.ok);
    assert_eq!(before.failures.len(), all.len());
    store.close().await;
}

async fn late_results_for_packed_hours(db: &TestDb) {
    let store = db.open().await;
    let [id] = monitors(&store, 1).await[..] else {
        unreachable!()
    };
    let mut rng = Rng::new(8);
    let mut all = workload(id, &mut rng);
    let late: Vec<StoredResult> = [T0 + 17, T0 + HOUR + 7 * MINUTE + 1, T0 + 2 * HOUR - 1]
        .into_iter()
        .map(|at| {
            let mut r = result(id, at, 40, &mut rng);
            r.ok = false;
            r.reason = Some(format!("late at {at}"));
            r
        })
        .collect();
    insert_shuffled(&store, &mut rng, &all).await;
    let uptime = store.uptime(id, t(T0), t(T0 + 4 * HOUR)).await.unwrap();
    store.pack_closed_hours(t(T0 + 5 * HOUR)).await.unwrap();

    // A retried batch of packed results stores nothing twice.
    assert_eq!(store.insert_results(&all[..1_000]).await.unwrap(), 0);
    assert_eq!(
        store.uptime(id, t(T0), t(T0 + 4 * HOUR)).await.unwrap(),
        uptime
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM check_results").await,
        0
    );

    // New late results land hot, are read with the packed ones, and a
    // second pack merges them into the existing rows.
    let mut batch = late.clone();
    batch.push(all[10].clone());
    assert_eq!(store.insert_results(&batch).await.unwrap(), 3);
    all.extend(late.iter().cloned());
    all.sort_by_key(|r| (r.at, r.location));
    let want = as_read(&all);
    let everything = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .results(id, t(T0), t(T0 + 5 * HOUR), 100_000)
                .await
                .unwrap()
        }
    };
    assert_eq!(everything(&store).await, want);
    assert_eq!(
        read_all_pages(&store, id, T0, T0 + 5 * HOUR, 13).await,
        want
    );
    let mut grown = uptime;
    grown.checks += 3;
    grown.failures += 3;
    assert_eq!(
        store.uptime(id, t(T0), t(T0 + 4 * HOUR)).await.unwrap(),
        grown
    );
    let failures_before = store.recent_failures(id, 1_000).await.unwrap();
    assert!(failures_before.contains(&late[2]));

    assert_eq!(store.pack_closed_hours(t(T0 + 5 * HOUR)).await.unwrap(), 3);
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM check_results").await,
        0
    );
    assert_eq!(everything(&store).await, want);
    assert_eq!(
        store.recent_failures(id, 1_000).await.unwrap(),
        failures_before
    );
    assert_eq!(
        store.insert_results(&late).await.unwrap(),
        0,
        "merged late results are known"
    );

    // The merged rows are byte for byte what packing everything at once makes.
    let merged = packed_rows(db).await;
    let fresh = shipshape_store::testing::temp_sqlite();
    let fresh_store = fresh.open().await;
    assert_eq!(monitors(&fresh_store, 1).await[0].0, id.0);
    insert_shuffled(&fresh_store, &mut rng, &all).await;
    fresh_store
        .pack_closed_hours(t(T0 + 5 * HOUR))
        .await
        .unwrap();
    assert_eq!(merged, packed_rows(&fresh).await);
    fresh_store.close().await;
    store.close().await;
}

async fn packing_is_idempotent_and_concurrent(db: &TestDb) {
    let store = db.open().await;
    let ids = monitors(&store, 70).await;
    let mut rng = Rng::new(13);
    let mut all = Vec::new();
    for (n, &id) in ids.iter().enumerate() {
        for i in 0..(3 * HOUR / 60_000) {
            all.push(result(
                id,
                T0 + i * 60_000 + n as i64,
                1 + (i % 2) as i16,
                &mut rng,
            ));
        }
    }
    insert_shuffled(&store, &mut rng, &all).await;
    let before = reads(&store, ids[3]).await;
    let second = db.open().await;
    let now = t(T0 + 3 * HOUR + PACK_GRACE.as_millis() as i64);
    let (a, b) = tokio::join!(store.pack_closed_hours(now), second.pack_closed_hours(now));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        all.len() as u64,
        "each result moved once"
    );
    let packed = packed_rows(db).await;
    assert_eq!(packed.len(), 70 * 3 * 2);
    assert_eq!(store.pack_closed_hours(now).await.unwrap(), 0, "idempotent");
    assert_eq!(packed_rows(db).await, packed);
    assert_eq!(reads(&store, ids[3]).await, before);
    let everything: Vec<StoredResult> = {
        let mut read = Vec::new();
        for &id in &ids {
            read.extend(store.results(id, t(T0), t(T0 + DAY), 10_000).await.unwrap());
        }
        read
    };
    let mut want = as_read(&all);
    want.sort_by_key(|r| (r.monitor, r.at, r.location));
    let mut everything = everything;
    everything.sort_by_key(|r| (r.monitor, r.at, r.location));
    assert_eq!(everything.len(), want.len());
    for (got, want) in everything.iter().zip(&want) {
        assert_eq!(got, want);
    }
    second.close().await;
    store.close().await;
}

async fn prune_deletes_old_packed_results(db: &TestDb) {
    let store = db.open().await;
    let [id] = monitors(&store, 1).await[..] else {
        unreachable!()
    };
    let mut rng = Rng::new(21);
    let all = workload(id, &mut rng);
    insert_shuffled(&store, &mut rng, &all).await;
    store.pack_closed_hours(t(T0 + 5 * HOUR)).await.unwrap();
    let failures_before = count(db, "SELECT COUNT(*) AS n FROM check_failures").await;

    // The cutoff falls mid-hour, exactly on a result of the crowd.
    let cutoff = T0 + HOUR + 7 * MINUTE + 1;
    let retention = Retention {
        raw: Duration::from_millis(HOUR as u64),
        rollups: Duration::from_secs(400 * 86_400),
    };
    let report = store.prune(t(cutoff + HOUR), &retention).await.unwrap();
    let old: Vec<&StoredResult> = all
        .iter()
        .filter(|r| r.at.as_millisecond() < cutoff)
        .collect();
    assert_eq!(report.results, old.len() as u64);
    assert_eq!(report.failures, old.iter().filter(|r| !r.ok).count() as u64);
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM check_failures").await,
        failures_before - report.failures as i64
    );
    let kept = store.results(id, t(0), t(T0 + DAY), 100_000).await.unwrap();
    let want: Vec<StoredResult> = as_read(&all)
        .into_iter()
        .filter(|r| r.at.as_millisecond() >= cutoff)
        .collect();
    assert_eq!(kept, want, "exactly the results from the cutoff on");
    let hours: Vec<i64> = packed_rows(db).await.iter().map(|r| r.1).collect();
    assert!(
        hours.iter().all(|&h| h >= T0 + HOUR),
        "whole old hours are gone: {hours:?}"
    );
    assert_eq!(
        store.prune(t(cutoff + HOUR), &retention).await.unwrap(),
        Default::default(),
        "nothing left to prune"
    );
    // Past everything: no packed row is left.
    let report = store.prune(t(T0 + 6 * HOUR), &retention).await.unwrap();
    assert_eq!(report.results as usize, want.len());
    assert!(packed_rows(db).await.is_empty());
    assert_eq!(store.latest_result(id).await.unwrap(), None);
    store.close().await;
}
