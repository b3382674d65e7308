//! Persistence for monitoring: the monitor and location registries, raw
//! check results, hour and day rollups, retention, and the state-change
//! events alerting and the status page consume.
//!
//! Layout and why (sizes are measured by `examples/bytes_per_check.rs`):
//! - `check_results` is the hot table: one compact row per check keyed
//!   `(monitor_id, at_ms, location_id)`, small integers instead of names,
//!   `WITHOUT ROWID` on SQLite so the key is the only b-tree. It holds
//!   about the last hour: once an hour has ended (plus [`PACK_GRACE`] for
//!   late batches), [`Store::pack_closed_hours`](crate::Store::pack_closed_hours)
//!   (called by [`Store::prune`](crate::Store::prune)) moves its rows into
//! - `check_results_packed`: one row per monitor, hour and location whose
//!   `data` encodes all of that hour's results in about 3 bytes each
//!   (`packed.rs`). On PostgreSQL a row per check costs ~40 bytes of tuple
//!   header, line pointer and index entry alone; one row per ~120 checks
//!   makes that negligible. Late results for a packed hour go to the hot
//!   table (inserts skip one already packed) and are merged by the next
//!   pack. Every raw reader reads both tables in one snapshot, so packing
//!   changes no answer. Raw results are kept for [`Retention::raw`]
//!   (7 days by default), to the millisecond also inside a packed hour.
//! - `check_failures` holds the reason of each failed check only: most
//!   checks pass, so most rows carry no text at all. Packing leaves it be.
//! - `check_rollups` holds, per monitor, one row per hour and one per UTC
//!   day: checks, failures and a [`LatencySketch`] of the successful checks'
//!   latencies. Kept for [`Retention::rollups`] (400 days by default). They
//!   are updated in the transaction that inserts the results, so they never
//!   disagree with the raw rows, also after a crash or restart. There is no
//!   minute rollup: minute series are computed from raw results (kept as
//!   long as minute resolution is useful).
//! - `monitor_events` holds state changes, read in id order by consumers.
//!
//! Measured (1,000 monitors every 30 s, 1 % failing, hours packed as the
//! binary's prune does; see `docs/benchmarks.md`): SQLite stores 5.4 bytes
//! per check over 24 h including rollups and failure reasons; PostgreSQL
//! 37.9 over 4 h, of which 31 is the last, still hot hour (a row per check
//! there); packed, a check costs 3–4 bytes on either.
//!
//! Files: `registry.rs` (monitors, locations), `results.rs` (insert and read
//! raw results, keyset pages, the newest), `pack.rs` (packing closed hours,
//! reading and pruning packed rows), `packed.rs` (their encoding), `rollup.rs` (rollup upkeep,
//! uptime, series of any period width, daily bars), `sketch.rs`
//! ([`LatencySketch`]), `events.rs` (state changes, pausing),
//! `retention.rs` ([`Store::prune`](crate::Store::prune)) and `overview.rs`
//! (uptime and newest results of many monitors at once, for the list).

mod events;
mod overview;
mod pack;
mod packed;
mod registry;
mod results;
mod retention;
mod rollup;
mod sketch;

pub use pack::PACK_GRACE;
pub use sketch::LatencySketch;

use std::time::Duration;

use jiff::Timestamp;

/// A registered monitor's id: the small integer every result row stores in
/// place of the monitor's name. Assigned by [`Store::register_monitors`](crate::Store::register_monitors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorId(pub i32);

/// A registered probe location's id (where a check ran from). Assigned by
/// [`Store::register_locations`](crate::Store::register_locations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocationId(pub i16);

/// A monitor's name in the catalog: the service it belongs to and its own name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorName {
    /// The service's name.
    pub service: String,
    /// The monitor's name within the service.
    pub monitor: String,
}

/// A registered monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRecord {
    /// Its id.
    pub id: MonitorId,
    /// Its catalog name.
    pub name: MonitorName,
    /// Whether an operator paused it.
    pub paused: bool,
    /// When it was first registered.
    pub created_at: Timestamp,
}

/// One check of one monitor from one location, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    /// The monitor.
    pub monitor: MonitorId,
    /// When the check started; stored to the millisecond.
    pub at: Timestamp,
    /// How long it took; stored to the nearest millisecond.
    pub latency: Duration,
    /// Whether it passed.
    pub ok: bool,
    /// The HTTP status code, for HTTP checks that got a response.
    pub status_code: Option<u16>,
    /// Where it ran from.
    pub location: LocationId,
    /// Why it failed. Stored for failed checks only: ignored (and read back
    /// as `None`) for passing ones.
    pub reason: Option<String>,
}

/// Check counts over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uptime {
    /// How many checks ran.
    pub checks: u64,
    /// How many of them failed.
    pub failures: u64,
}

/// The resolution of a latency series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// One point per minute, computed from raw results (so only as far back
    /// as [`Retention::raw`]).
    Minute,
    /// One point per hour, from hour rollups.
    Hour,
    /// One point per UTC day, from day rollups.
    Day,
}

/// One point of a latency series: one minute, hour or day of one monitor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesPoint {
    /// The start of the period.
    pub start: Timestamp,
    /// Checks and failures in the period.
    pub uptime: Uptime,
    /// Median latency of the period's successful checks; `None` if none passed.
    pub p50: Option<Duration>,
    /// 95th percentile latency of the successful checks.
    pub p95: Option<Duration>,
    /// 99th percentile latency of the successful checks.
    pub p99: Option<Duration>,
}

/// One UTC day's availability, for the status page's 90-day bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayAvailability {
    /// Midnight UTC starting the day.
    pub day: Timestamp,
    /// Checks and failures that day (zero checks: no data).
    pub uptime: Uptime,
}

/// How long monitoring data is kept, for [`Store::prune`](crate::Store::prune).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw results and failure reasons (default 7 days).
    pub raw: Duration,
    /// Hour and day rollups, and state changes other than each monitor's
    /// latest (default 400 days).
    pub rollups: Duration,
}

/// What [`Store::prune`](crate::Store::prune) deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Raw results, hot rows and packed ones alike.
    pub results: u64,
    /// Failure reasons.
    pub failures: u64,
    /// Hour and day rollup rows.
    pub rollups: u64,
    /// State-change events.
    pub events: u64,
    /// Raw results moved into packed hours ([`Store::pack_closed_hours`](crate::Store::pack_closed_hours)).
    pub packed: u64,
}

/// The state of a monitor as alerting and the status page see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorState {
    /// No verdict yet (new, resumed, or only unconfirmed failures so far).
    Unknown,
    /// Passing.
    Up,
    /// Failing, confirmed.
    Down,
    /// Failing from some probe locations, fewer than the quorum.
    Degraded,
    /// Frozen by an operator.
    Paused,
}

/// A monitor changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEvent {
    /// The monitor.
    pub monitor: MonitorId,
    /// When it changed.
    pub at: Timestamp,
    /// The state before.
    pub from: MonitorState,
    /// The state after.
    pub to: MonitorState,
    /// Why (for `Down`, the failure that confirmed it).
    pub reason: Option<String>,
    /// The locations whose verdict is `to`; names without commas.
    pub locations: Vec<String>,
}

/// A stored [`MonitorEvent`] with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEventRecord {
    /// Store-assigned id; consumers read events in increasing id order.
    pub id: i64,
    /// The event.
    pub event: MonitorEvent,
}

impl Uptime {
    /// The passing fraction `0.0..=1.0`; `None` when no check ran.
    pub fn ratio(&self) -> Option<f64> {
        (self.checks > 0)
            .then(|| self.checks.saturating_sub(self.failures) as f64 / self.checks as f64)
    }
}

impl std::ops::AddAssign for Uptime {
    fn add_assign(&mut self, other: Uptime) {
        self.checks += other.checks;
        self.failures += other.failures;
    }
}

impl Resolution {
    /// The length of one period in milliseconds.
    pub fn width_ms(self) -> i64 {
        match self {
            Resolution::Minute => MINUTE_MS,
            Resolution::Hour => HOUR_MS,
            Resolution::Day => DAY_MS,
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw: Duration::from_secs(7 * 86_400),
            rollups: Duration::from_secs(400 * 86_400),
        }
    }
}

impl MonitorState {
    /// Every state.
    pub const ALL: [MonitorState; 5] = [
        MonitorState::Unknown,
        MonitorState::Up,
        MonitorState::Down,
        MonitorState::Degraded,
        MonitorState::Paused,
    ];

    /// The lowercase name stored and shown: `unknown`, `up`, `down`,
    /// `degraded`, `paused`.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorState::Unknown => "unknown",
            MonitorState::Up => "up",
            MonitorState::Down => "down",
            MonitorState::Degraded => "degraded",
            MonitorState::Paused => "paused",
        }
    }

    /// Parses a name produced by [`MonitorState::as_str`].
    pub fn parse(name: &str) -> Option<MonitorState> {
        MonitorState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

impl std::fmt::Display for MonitorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// `ms` rounded down to a multiple of `width` (also before 1970).
fn floor_to(ms: i64, width: i64) -> i64 {
    ms.div_euclid(width) * width
}

/// `ms` rounded up to a multiple of `width`.
fn ceil_to(ms: i64, width: i64) -> i64 {
    floor_to(ms, width) + if ms.rem_euclid(width) == 0 { 0 } else { width }
}

/// A duration in whole milliseconds, saturating.
fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
