//! What 10,000 open incidents cost the paging engine: the time of the pass
//! that opens them, the time of a steady pass over them, and the heap one
//! pass holds at its peak (a counting allocator), on an embedded SQLite
//! store in a temporary directory.
//!
//! `cargo run --release -p shipshape-pager --example open_incidents [N]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use jiff::Timestamp;
use shipshape_alert::engine::{AlertSignal, SignalState, Source};
use shipshape_catalog::Severity;
use shipshape_clock::{ManualClock, SharedClock};
use shipshape_pager::{Pager, record_signals};
use tokio::sync::watch;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn signal(i: usize, now: Timestamp) -> AlertSignal {
    AlertSignal {
        key: format!("event:disk-full-{i}"),
        source: Source::Event,
        group: format!("event:disk-full-{i}"),
        service: None,
        component: None,
        severity: Severity::Warning,
        labels: BTreeMap::from([
            ("alertname".to_owned(), "DiskFull".to_owned()),
            ("instance".to_owned(), format!("db-{i}")),
        ]),
        summary: format!("disk of db-{i} is 97% full"),
        state: SignalState::Firing,
        since: now,
        ends_at: None,
        link: None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let db = shipshape_store::testing::temp_sqlite();
    let store = db.open().await;
    let catalog =
        Arc::new(shipshape_catalog::parse_str("", Path::new("/bench/shipshape.toml")).unwrap());
    let now: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    let (_tx, rx) = watch::channel(catalog);
    let pager = Pager::new(store.clone(), clock, rx, None).await.unwrap();

    let signals: Vec<AlertSignal> = (0..n).map(|i| signal(i, now)).collect();
    let started = Instant::now();
    record_signals(&store, &signals, now).await.unwrap();
    let recorded = started.elapsed();
    drop(signals);

    let started = Instant::now();
    let report = pager.decide().await.unwrap();
    let opening = started.elapsed();
    assert_eq!(report.actions, n, "one incident per signal");

    let mut steady = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..5 {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let started = Instant::now();
        let report = pager.decide().await.unwrap();
        steady.push(started.elapsed().as_secs_f64() * 1000.0);
        peaks.push(PEAK.load(Ordering::Relaxed) - base);
        assert_eq!(report.actions, 0, "nothing changes in a steady pass");
    }
    steady.sort_by(f64::total_cmp);
    peaks.sort_unstable();
    let peak = peaks[peaks.len() / 2];
    println!("open incidents:             {n}");
    println!(
        "store {n} signals:          {:.0} ms",
        recorded.as_secs_f64() * 1000.0
    );
    println!(
        "pass opening them:          {:.0} ms",
        opening.as_secs_f64() * 1000.0
    );
    println!(
        "steady pass (median of 5):  {:.0} ms",
        steady[steady.len() / 2]
    );
    println!(
        "heap held by one pass:      {:.1} MiB ({:.0} bytes per open incident)",
        peak as f64 / (1024.0 * 1024.0),
        peak as f64 / n as f64
    );
}
