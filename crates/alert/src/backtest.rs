//! Backtesting: what a monitor's alerting *would* have done over a past
//! series of results, before it pages anyone.
//!
//! [`run`] replays a time-ordered series of [`Sample`]s (stored results,
//! or a CSV file read by [`parse_csv`]) through the same pieces the live
//! system uses:
//!
//! 1. the probe's confirmation state machine, for one location: a success
//!    makes an unknown verdict up at once, `confirm` consecutive failures
//!    make it down, `recover` consecutive successes make a down verdict up
//!    again (mirrors `shipshape-probe`'s `schedule/state.rs`; results from
//!    several locations are replayed as one series, so no quorum);
//! 2. a fresh [`Evaluator`] (flap damping, the `anomaly` rule) fed with
//!    every result and every state change;
//! 3. the incident rules of [`reconcile`](crate::engine::reconcile) for this
//!    one monitor: an incident opens (one page) on the first active signal;
//!    a signal that clears and comes back within the hold joins it again
//!    without a page; flapping starting is one notice, and flapping stopping
//!    while still failing is one "settled" notice; the incident resolves
//!    once every alert has been clear for the hold,
//!    `max(alerting.resolve_after, 2 × every)` (never, with
//!    `auto_resolve = false`). Silences, upstream incidents and escalation
//!    policies are not replayed: every opened incident counts as a page
//!    (shadow monitors say so in the event's detail).
//!
//! The monitor's latency bound is applied again to every sample with a
//! latency (see [`latency_limit`]), so a tightened `response_time < …`
//! can be tried on stored results, and a plain latency series can be
//! judged at all.
//!
//! Pure like the rest of the crate: no IO, no clock.

use std::collections::BTreeMap;
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use shipshape_catalog::{Catalog, Monitor, MonitorRef};

use crate::engine::{AlertSignal, Evaluator, EvaluatorPolicy, Health, MonitorKey, SignalState};

/// One check result to replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// When the check started.
    pub at: Timestamp,
    /// Whether it passed.
    pub ok: bool,
    /// How long it took, in milliseconds, when known.
    pub latency_ms: Option<f64>,
    /// Why it failed, when known (shown in the "opened" line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Sample {
    /// A sample without a reason.
    pub fn new(at: Timestamp, ok: bool, latency_ms: Option<f64>) -> Self {
        Self {
            at,
            ok,
            latency_ms,
            reason: None,
        }
    }
}

/// What happened at one moment of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An incident would have opened: a page.
    Opened,
    /// The incident started flapping: one notice.
    Flapping,
    /// Flapping stopped while still failing: one notice.
    Settled,
    /// The incident would have resolved by itself.
    Resolved,
    /// The anomaly rule fired (its signal joins or opens the incident).
    AnomalyFired,
    /// The anomaly rule cleared.
    AnomalyCleared,
}

impl EventKind {
    /// The upper-case label of the text output: `OPENED`, `FLAPPING`, …
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Opened => "OPENED",
            EventKind::Flapping => "FLAPPING",
            EventKind::Settled => "SETTLED",
            EventKind::Resolved => "RESOLVED",
            EventKind::AnomalyFired => "ANOMALY",
            EventKind::AnomalyCleared => "ANOMALY-OK",
        }
    }
}

/// One moment of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestEvent {
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: EventKind,
    /// One line, e.g. `api/health is down: status == 200: got 503`.
    pub detail: String,
}

/// When an incident would have been open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IncidentSpan {
    /// When it opened.
    pub opened: Timestamp,
    /// When it resolved; `None` when still open at the end of the series.
    pub resolved: Option<Timestamp>,
}

/// The totals of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Incidents opened (each one page).
    pub pages: u32,
    /// Flapping episodes (each one notice).
    pub flapping_episodes: u32,
    /// Notifications sent: pages, flapping and settled notices (resolve
    /// notices not counted).
    pub notifications: u32,
    /// Anomaly firings.
    pub anomalies: u32,
    /// Total time an incident was open (until the last sample for one
    /// still open).
    pub time_in_alert: SignedDuration,
    /// The same in whole seconds.
    pub time_in_alert_secs: i64,
    /// Samples replayed.
    pub samples: usize,
    /// The first sample's time.
    pub from: Option<Timestamp>,
    /// The last sample's time.
    pub to: Option<Timestamp>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// `service/monitor`.
    pub monitor: String,
    /// Every moment, in time order.
    pub events: Vec<BacktestEvent>,
    /// When incidents would have been open, in time order.
    pub incidents: Vec<IncidentSpan>,
    /// The totals.
    pub summary: Summary,
}

/// Why [`run`] could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BacktestError {
    /// No such monitor in the catalog; `close` lists similar
    /// `service/monitor` names, nearest first.
    UnknownMonitor {
        /// What was asked for.
        name: String,
        /// Similar names.
        close: Vec<String>,
    },
}

impl fmt::Display for BacktestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BacktestError::UnknownMonitor { name, close } if close.is_empty() => {
                write!(f, "no monitor `{name}` in the catalog")
            }
            BacktestError::UnknownMonitor { name, close } => write!(
                f,
                "no monitor `{name}` in the catalog; did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for BacktestError {}

/// Up to five catalog monitors (`service/monitor`) whose names are close to
/// `name`, nearest first.
pub fn close_monitors(catalog: &Catalog, name: &str) -> Vec<String> {
    let wanted = name.to_lowercase();
    let mut scored: Vec<(usize, String)> = catalog
        .services
        .iter()
        .flat_map(|s| s.monitors.iter().map(move |m| format!("{}/{}", s.id, m.id)))
        .map(|candidate| {
            let lower = candidate.to_lowercase();
            let mut score = edit_distance(&wanted, &lower);
            if lower.contains(&wanted) || wanted.contains(&lower) {
                score = score.min(1);
            }
            let (ws, wm) = wanted.split_once('/').unwrap_or(("", &wanted));
            if let Some((cs, cm)) = lower.split_once('/')
                && (cs == ws || cm == wm)
            {
                score = score.min(2);
            }
            (score, candidate)
        })
        .collect();
    let limit = (wanted.chars().count() / 2).max(3);
    scored.retain(|(score, _)| *score <= limit);
    scored.sort();
    scored.into_iter().take(5).map(|(_, name)| name).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The latency bound of a monitor: the tightest of its expectations written
/// exactly as `response_time < D`, `response_time <= D`, `timing.total < D`
/// or `timing.total <= D` (`D` a duration such as `800ms`), as
/// `(milliseconds, inclusive, expectation text)`. Other expectations cannot
/// be judged from a latency and are ignored.
pub fn latency_limit(monitor: &Monitor) -> Option<(f64, bool, String)> {
    let mut best: Option<(f64, bool, String)> = None;
    for expectation in &monitor.expect {
        let text = expectation.as_str().trim();
        let Some(rest) = text
            .strip_prefix("response_time")
            .or_else(|| text.strip_prefix("timing.total"))
        else {
            continue;
        };
        let rest = rest.trim_start();
        let (inclusive, rest) = match rest.strip_prefix("<=") {
            Some(rest) => (true, rest),
            None => match rest.strip_prefix('<') {
                Some(rest) => (false, rest),
                None => continue,
            },
        };
        let Some(ms) = parse_duration_ms(rest.trim()) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _, _)| ms < *b) {
            best = Some((ms, inclusive, text.to_owned()));
        }
    }
    best
}

/// Parses `800ms`, `1.5s`, `1m30s` into milliseconds.
fn parse_duration_ms(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            "d" => 86_400e3,
            "w" => 604_800e3,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    total.is_finite().then_some(total)
}

/// Formats milliseconds like the expectation language: `950ms`, `1.2s`.
fn show_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}s", (ms / 100.0).round() / 10.0)
    } else {
        format!("{}ms", ms.round())
    }
}

/// The probe's verdict for one location (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Unknown,
    Up,
    Down,
}

/// The confirmation state machine of one location.
struct Confirm {
    confirm: u32,
    recover: u32,
    verdict: Verdict,
    failures: u32,
    successes: u32,
    reason: Option<String>,
}

impl Confirm {
    /// Records one result; returns the new verdict when it changed.
    fn observe(&mut self, ok: bool, reason: Option<&str>) -> Option<Verdict> {
        let before = self.verdict;
        if ok {
            self.successes = self.successes.saturating_add(1);
            self.failures = 0;
            if self.verdict == Verdict::Unknown
                || (self.verdict == Verdict::Down && self.successes >= self.recover)
            {
                self.verdict = Verdict::Up;
            }
        } else {
            self.failures = self.failures.saturating_add(1);
            self.successes = 0;
            self.reason = reason.map(str::to_owned);
            if self.failures >= self.confirm {
                self.verdict = Verdict::Down;
            }
        }
        (self.verdict != before).then_some(self.verdict)
    }
}

/// The one incident a replay can have open.
struct Incident {
    opened: Timestamp,
    flapping: bool,
    /// Signal key → when it cleared (`None`: active).
    alerts: BTreeMap<String, Option<Timestamp>>,
}

/// The replay in progress.
struct Replay {
    name: String,
    hold: SignedDuration,
    auto_resolve: bool,
    shadow: bool,
    current: BTreeMap<String, AlertSignal>,
    incident: Option<Incident>,
    events: Vec<BacktestEvent>,
    incidents: Vec<IncidentSpan>,
    pages: u32,
    flapping_episodes: u32,
    settled: u32,
    anomalies: u32,
    time_in_alert: SignedDuration,
}

impl Replay {
    fn push(&mut self, at: Timestamp, kind: EventKind, detail: String) {
        self.events.push(BacktestEvent { at, kind, detail });
    }

    /// Takes up a signal from the evaluator.
    fn signal(&mut self, at: Timestamp, signal: AlertSignal) {
        if signal.key.starts_with("anomaly:") {
            if signal.state == SignalState::Ok {
                self.push(at, EventKind::AnomalyCleared, signal.summary.clone());
            } else {
                self.anomalies += 1;
                self.push(at, EventKind::AnomalyFired, signal.summary.clone());
            }
        }
        self.current.insert(signal.key.clone(), signal);
    }

    /// Resolves the incident if every alert has been clear for the hold
    /// by `now`; the event is at the moment the hold ran out.
    fn resolve_due(&mut self, now: Timestamp) {
        if !self.auto_resolve {
            return;
        }
        let Some(incident) = &self.incident else {
            return;
        };
        let mut ready = Timestamp::MIN;
        for cleared in incident.alerts.values() {
            match cleared {
                Some(at) => ready = ready.max(at.checked_add(self.hold).unwrap_or(Timestamp::MAX)),
                None => return,
            }
        }
        if ready > now {
            return;
        }
        let opened = incident.opened;
        let open_for = ready.duration_since(opened);
        self.time_in_alert = self.time_in_alert.saturating_add(open_for);
        self.incident = None;
        self.incidents.push(IncidentSpan {
            opened,
            resolved: Some(ready),
        });
        let detail = format!(
            "{} resolves: every alert clear for {}; open for {}",
            self.name,
            human(self.hold),
            human(open_for)
        );
        self.push(ready, EventKind::Resolved, detail);
    }

    /// One pass of the incident rules at `now`.
    fn step(&mut self, now: Timestamp) {
        let mut active: Vec<&AlertSignal> = self
            .current
            .values()
            .filter(|s| s.state != SignalState::Ok)
            .collect();
        active.sort_by(|a, b| (a.since, &a.key).cmp(&(b.since, &b.key)));
        let flapping = active.iter().any(|s| s.state == SignalState::Flapping);
        let failing: Option<String> = active
            .iter()
            .find(|s| s.state == SignalState::Firing)
            .map(|s| s.summary.clone());
        let keys: Vec<String> = active.iter().map(|s| s.key.clone()).collect();
        let first = active.first().map(|s| s.summary.clone());
        let incident = match &mut self.incident {
            Some(incident) => {
                for (key, cleared) in incident.alerts.iter_mut() {
                    if keys.contains(key) {
                        *cleared = None;
                    } else if cleared.is_none() {
                        *cleared = Some(now);
                    }
                }
                for key in keys {
                    incident.alerts.entry(key).or_insert(None);
                }
                incident
            }
            None => {
                let Some(first) = first else {
                    return;
                };
                self.pages += 1;
                let detail = if self.shadow {
                    format!("{first} (shadow: would be recorded, not paged)")
                } else {
                    first
                };
                self.events.push(BacktestEvent {
                    at: now,
                    kind: EventKind::Opened,
                    detail,
                });
                self.incident.insert(Incident {
                    opened: now,
                    flapping: false,
                    alerts: keys.into_iter().map(|k| (k, None)).collect(),
                })
            }
        };
        if flapping != incident.flapping {
            incident.flapping = flapping;
            if flapping {
                self.flapping_episodes += 1;
                let detail = self
                    .current
                    .values()
                    .find(|s| s.state == SignalState::Flapping)
                    .map_or_else(
                        || format!("{} is flapping", self.name),
                        |s| s.summary.clone(),
                    );
                self.push(now, EventKind::Flapping, detail);
            } else if let Some(failing) = failing {
                self.settled += 1;
                self.push(
                    now,
                    EventKind::Settled,
                    format!("stopped flapping, still failing: {failing}"),
                );
            }
        }
    }
}

/// `1h 5m`, `30s`: a duration for people.
fn human(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m"), (s, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// Replays `samples` through monitor `service/monitor` of `catalog` (see
/// the module doc). Samples out of time order are sorted first.
pub fn run(
    catalog: &Catalog,
    service: &str,
    monitor: &str,
    samples: &[Sample],
) -> Result<Backtest, BacktestError> {
    let name = format!("{service}/{monitor}");
    let reference = MonitorRef {
        service: service.to_owned(),
        monitor: monitor.to_owned(),
    };
    let Some(found) = catalog.monitor(&reference) else {
        return Err(BacktestError::UnknownMonitor {
            close: close_monitors(catalog, &name),
            name,
        });
    };
    let mut sorted;
    let samples = if samples.windows(2).all(|w| w[0].at <= w[1].at) {
        samples
    } else {
        sorted = samples.to_vec();
        sorted.sort_by_key(|s| s.at);
        &sorted[..]
    };

    // A catalog holding just this monitor.
    let mut own = catalog.clone();
    own.services.retain(|s| s.id == service);
    for s in &mut own.services {
        s.monitors.retain(|m| m.id == monitor);
    }
    let start = samples.first().map_or(Timestamp::UNIX_EPOCH, |s| s.at);
    let mut evaluator = Evaluator::new(EvaluatorPolicy::default());
    evaluator.set_catalog(&own, start);
    let key = MonitorKey::new(service, monitor);

    let hold = catalog.alerting.resolve_after.max(found.every * 2);
    let mut replay = Replay {
        hold: SignedDuration::try_from(hold).unwrap_or(SignedDuration::MAX),
        auto_resolve: catalog.alerting.auto_resolve,
        shadow: found.alert.shadow,
        name: name.clone(),
        current: BTreeMap::new(),
        incident: None,
        events: Vec::new(),
        incidents: Vec::new(),
        pages: 0,
        flapping_episodes: 0,
        settled: 0,
        anomalies: 0,
        time_in_alert: SignedDuration::ZERO,
    };
    let mut confirm = Confirm {
        confirm: found.confirm.max(1),
        recover: found.recover.max(1),
        verdict: Verdict::Unknown,
        failures: 0,
        successes: 0,
        reason: None,
    };
    let limit = latency_limit(found);

    for sample in samples {
        let at = sample.at;
        replay.resolve_due(at);
        let mut ok = sample.ok;
        let mut reason = sample.reason.clone();
        if let (true, Some(ms), Some((max, inclusive, text))) = (ok, sample.latency_ms, &limit) {
            let holds = if *inclusive { ms <= *max } else { ms < *max };
            if !holds {
                ok = false;
                reason = Some(format!("{text}: got {}", show_ms(ms)));
            }
        }
        if !ok && reason.is_none() {
            reason = Some("check failed".into());
        }
        for signal in evaluator.observe_result(&key, at, ok, sample.latency_ms) {
            replay.signal(at, signal);
        }
        if let Some(verdict) = confirm.observe(ok, reason.as_deref()) {
            let (health, why) = match verdict {
                Verdict::Down => (Health::Down, confirm.reason.clone()),
                Verdict::Up => (Health::Up, None),
                Verdict::Unknown => (Health::Unknown, None),
            };
            if let Some(signal) = evaluator.observe_state(&key, at, health, why.as_deref()) {
                replay.signal(at, signal);
            }
        }
        replay.step(at);
    }
    let last = samples.last().map(|s| s.at);
    if let Some(end) = last {
        replay.resolve_due(end);
        if let Some(incident) = replay.incident.take() {
            replay.time_in_alert = replay
                .time_in_alert
                .saturating_add(end.duration_since(incident.opened));
            replay.incidents.push(IncidentSpan {
                opened: incident.opened,
                resolved: None,
            });
        }
    }
    let time_in_alert = replay.time_in_alert;
    Ok(Backtest {
        monitor: name,
        events: replay.events,
        incidents: replay.incidents,
        summary: Summary {
            pages: replay.pages,
            flapping_episodes: replay.flapping_episodes,
            notifications: replay.pages + replay.flapping_episodes + replay.settled,
            anomalies: replay.anomalies,
            time_in_alert,
            time_in_alert_secs: time_in_alert.as_secs(),
            samples: samples.len(),
            from: samples.first().map(|s| s.at),
            to: last,
        },
    })
}

impl Summary {
    /// The summary in one line: `2 pages, 1 flapping episode, 3
    /// notifications, 1h 5m in alert, over 1440 samples`.
    pub fn line(&self) -> String {
        let plural =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}, {}, {} in alert, over {} samples",
            plural(self.pages, "page", "pages"),
            plural(
                self.flapping_episodes,
                "flapping episode",
                "flapping episodes"
            ),
            plural(self.notifications, "notification", "notifications"),
            human(self.time_in_alert),
            self.samples
        )
    }
}

/// What the values of a CSV series mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvKind {
    /// Decide from the values: [`CsvKind::UpDown`] when every value is 0 or
    /// 1, else [`CsvKind::Latency`].
    Auto,
    /// Latency in milliseconds; every sample passes, and [`run`] judges it
    /// against the monitor's latency bound ([`latency_limit`]).
    Latency,
    /// `1` up, `0` down; no latency.
    UpDown,
}

/// A CSV problem, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// The line.
    pub line: usize,
    /// The column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for CsvError {}

/// Parses a `timestamp,value` series.
///
/// - One row per line; blank lines and lines starting with `#` are
///   skipped; a first row whose fields are not a timestamp and a number is
///   a header and skipped too. Fields may be quoted with `"` and are
///   trimmed.
/// - The timestamp is RFC 3339 (`2026-11-20T03:12:00Z`, any offset) or unix
///   seconds (`1795142400`, fractions allowed).
/// - The value is a finite number ≥ 0: milliseconds for
///   [`CsvKind::Latency`], `0` (down) or `1` (up) for [`CsvKind::UpDown`];
///   [`CsvKind::Auto`] picks `UpDown` when every value is 0 or 1.
/// - Rows must be in time order (equal times are allowed); the first that
///   is not is an error naming it.
pub fn parse_csv(text: &str, kind: CsvKind) -> Result<Vec<Sample>, CsvError> {
    let mut rows: Vec<(usize, usize, Timestamp, f64)> = Vec::new();
    let mut seen_row = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_fields(raw);
        let first_row = !seen_row;
        seen_row = true;
        if fields.len() != 2 {
            if first_row && fields.len() > 1 && looks_like_header(&fields) {
                continue;
            }
            let column = fields.get(2).map_or(raw.chars().count() + 1, |f| f.0);
            return Err(CsvError {
                line,
                column,
                message: format!(
                    "expected 2 fields, `timestamp,value`, found {}",
                    fields.len()
                ),
            });
        }
        let (ts_col, ts_text) = &fields[0];
        let (value_col, value_text) = &fields[1];
        let at = match parse_timestamp(ts_text) {
            Ok(at) => at,
            Err(_) if first_row && looks_like_header(&fields) => continue,
            Err(message) => {
                return Err(CsvError {
                    line,
                    column: *ts_col,
                    message,
                });
            }
        };
        let value = match value_text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                return Err(CsvError {
                    line,
                    column: *value_col,
                    message: format!(
                        "`{value_text}` is not a value: write milliseconds (e.g. `120.5`) or 0/1 for down/up"
                    ),
                });
            }
        };
        if let Some((prev_line, _, prev_at, _)) = rows.last()
            && at < *prev_at
        {
            return Err(CsvError {
                line,
                column: *ts_col,
                message: format!(
                    "{at} is earlier than line {prev_line}'s {prev_at}: rows must be in time order (e.g. `sort -t, -k1`)"
                ),
            });
        }
        rows.push((line, *value_col, at, value));
    }
    let kind = match kind {
        CsvKind::Auto if rows.iter().all(|r| r.3 == 0.0 || r.3 == 1.0) => CsvKind::UpDown,
        CsvKind::Auto => CsvKind::Latency,
        other => other,
    };
    rows.into_iter()
        .map(|(line, column, at, value)| match kind {
            CsvKind::UpDown if value == 0.0 => Ok(Sample {
                at,
                ok: false,
                latency_ms: None,
                reason: Some("the series says 0 (down)".into()),
            }),
            CsvKind::UpDown if value == 1.0 => Ok(Sample::new(at, true, None)),
            CsvKind::UpDown => Err(CsvError {
                line,
                column,
                message: format!("`{value}` is neither 0 (down) nor 1 (up)"),
            }),
            _ => Ok(Sample::new(at, true, Some(value))),
        })
        .collect()
}

/// The fields of a line with their 1-based start columns, trimmed and
/// unquoted.
fn split_fields(line: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut column = 1;
    for field in line.split(',') {
        let lead = field.chars().take_while(|c| c.is_whitespace()).count();
        let text = field.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        out.push((column + lead, text.to_owned()));
        column += field.chars().count() + 1;
    }
    out
}

/// Whether a first row reads like column names rather than data.
fn looks_like_header(fields: &[(usize, String)]) -> bool {
    fields.iter().all(|(_, f)| {
        !f.is_empty()
            && f.chars().next().is_some_and(char::is_alphabetic)
            && f.parse::<f64>().is_err()
            && f.parse::<Timestamp>().is_err()
    })
}

/// RFC 3339 or unix seconds.
fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let bad = || {
        format!(
            "`{text}` is not a timestamp: write RFC 3339 (`2026-11-20T03:12:00Z`) or unix seconds"
        )
    };
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        if let Ok(secs) = text.parse::<i64>() {
            return Timestamp::from_second(secs).map_err(|_| bad());
        }
        if let Ok(secs) = text.parse::<f64>()
            && secs.is_finite()
            && secs.abs() < 1e15
        {
            return Timestamp::from_millisecond((secs * 1000.0).round() as i64).map_err(|_| bad());
        }
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration_ms("800ms"), Some(800.0));
        assert_eq!(parse_duration_ms("1.5s"), Some(1500.0));
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000.0));
        assert_eq!(parse_duration_ms("12"), None);
        assert_eq!(parse_duration_ms("ms"), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("api/helth", "api/health"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
