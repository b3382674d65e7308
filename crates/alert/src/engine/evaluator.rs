//! From one monitor's results and state changes to its alert signals.
//!
//! Per monitor the evaluator keeps what the probe last said (up, down,
//! degraded), a [`FlapDetector`] fed with every result, and, when the
//! monitor has an `anomaly` rule, an [`AnomalyDetector`] fed with one value
//! per five-minute bucket (the bucket's p95 latency or its error rate). It
//! emits a signal only when a condition changes, so its output is small
//! enough to store: a monitor that is down for a day emits twice.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, Severity};

use super::{AlertSignal, SignalState, Source};
use crate::anomaly::{AnomalyDetector, AnomalyPolicy, Sensitivity};
use crate::flap::{FlapDetector, FlapPolicy};

/// Names a monitor: its service and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorKey {
    /// The service id.
    pub service: String,
    /// The monitor id within the service.
    pub monitor: String,
}

impl MonitorKey {
    /// A key from its parts.
    pub fn new(service: impl Into<String>, monitor: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            monitor: monitor.into(),
        }
    }

    /// The key of the monitor's main signal: `monitor:SERVICE/ID`.
    pub fn signal_key(&self) -> String {
        format!("monitor:{}/{}", self.service, self.monitor)
    }

    /// The key of its anomaly signal: `anomaly:SERVICE/ID`.
    pub fn anomaly_key(&self) -> String {
        format!("anomaly:{}/{}", self.service, self.monitor)
    }

    /// Parses a signal key back (`monitor:` or `anomaly:`).
    pub fn from_signal_key(key: &str) -> Option<MonitorKey> {
        let rest = key
            .strip_prefix("monitor:")
            .or_else(|| key.strip_prefix("anomaly:"))?;
        let (service, monitor) = rest.split_once('/')?;
        Some(MonitorKey::new(service, monitor))
    }
}

impl std::fmt::Display for MonitorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.service, self.monitor)
    }
}

/// What the probe says of a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No verdict yet.
    Unknown,
    /// Passing.
    Up,
    /// Failing, confirmed.
    Down,
    /// Failing from fewer locations than the quorum.
    Degraded,
    /// Paused by an operator: never alerts.
    Paused,
}

/// Tuning of the evaluator.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvaluatorPolicy {
    /// Flap damping thresholds.
    pub flap: FlapPolicy,
    /// Anomaly band parameters (sensitivity comes from each monitor's rule).
    pub anomaly: AnomalyPolicy,
}

/// Values are bucketed this long before the anomaly detector sees them.
const BUCKET_SECS: i64 = 300;
/// At most this many latencies are kept per bucket (a 1-second monitor
/// fills 300).
const BUCKET_CAP: usize = 600;

/// What an `anomaly` rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    /// The bucket's 95th-percentile latency of passing checks, in ms.
    LatencyP95,
    /// The bucket's median latency, in ms.
    LatencyP50,
    /// The bucket's share of failed checks.
    ErrorRate,
}

impl Metric {
    fn parse(name: &str) -> Metric {
        match name {
            "latency_p50" | "latency_median" => Metric::LatencyP50,
            "error_rate" | "errors" => Metric::ErrorRate,
            _ => Metric::LatencyP95,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Metric::LatencyP95 => "latency p95",
            Metric::LatencyP50 => "median latency",
            Metric::ErrorRate => "error rate",
        }
    }
}

/// A monitor's catalog facts that shape its signals.
#[derive(Debug, Clone)]
struct Meta {
    name: String,
    group: String,
    component: Option<String>,
    severity: Severity,
    labels: BTreeMap<String, String>,
}

/// The anomaly rule of one monitor and its five-minute bucket.
#[derive(Debug, Clone)]
struct AnomalyTrack {
    metric: Metric,
    detector: AnomalyDetector,
    bucket: i64,
    latencies: Vec<f64>,
    checks: u32,
    failures: u32,
    emitted: SignalState,
    /// The departure that last fired, for the signal's summary.
    last: Option<crate::anomaly::Anomaly>,
}

/// Everything known of one monitor.
#[derive(Debug, Clone)]
struct Track {
    meta: Meta,
    health: Health,
    reason: Option<String>,
    health_since: Timestamp,
    flap: FlapDetector,
    emitted: Option<(SignalState, Severity)>,
    /// Boxed: most monitors have no anomaly rule, and the detector's
    /// buckets would make every track large.
    anomaly: Option<Box<AnomalyTrack>>,
}

/// Turns monitor observations into [`AlertSignal`]s (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Evaluator {
    policy: EvaluatorPolicy,
    tracks: HashMap<MonitorKey, Track>,
}

impl Evaluator {
    /// An evaluator with no monitors yet; call [`Evaluator::set_catalog`].
    pub fn new(policy: EvaluatorPolicy) -> Self {
        Self {
            policy,
            tracks: HashMap::new(),
        }
    }

    /// Takes up the catalog's monitors: new ones start unknown, changed
    /// ones keep their history, removed ones are forgotten.
    pub fn set_catalog(&mut self, catalog: &Catalog, now: Timestamp) {
        // Sized for the new catalog, not the old one: an instance whose
        // share of the monitors shrinks gives the room back.
        let mut keep = HashMap::with_capacity(catalog.monitors().count());
        for service in &catalog.services {
            for monitor in &service.monitors {
                let key = MonitorKey::new(&service.id, &monitor.id);
                let mut labels = monitor.alert.labels.clone();
                labels.insert("service".into(), service.id.clone());
                labels.insert("monitor".into(), monitor.id.clone());
                if let Some(component) = &monitor.component {
                    labels.insert("component".into(), component.clone());
                }
                let group = if monitor.alert.shadow {
                    format!("shadow:service:{}", service.id)
                } else {
                    format!("service:{}", service.id)
                };
                let meta = Meta {
                    name: format!("{}/{}", service.id, monitor.id),
                    group,
                    component: monitor.component.clone(),
                    severity: monitor.alert.severity,
                    labels,
                };
                let rule = monitor.anomaly.as_ref().map(|rule| {
                    (
                        Metric::parse(&rule.metric),
                        match rule.sensitivity {
                            shipshape_catalog::Sensitivity::Low => Sensitivity::Low,
                            shipshape_catalog::Sensitivity::Medium => Sensitivity::Medium,
                            shipshape_catalog::Sensitivity::High => Sensitivity::High,
                        },
                    )
                });
                let mut track = self.tracks.remove(&key).unwrap_or_else(|| Track {
                    meta: meta.clone(),
                    health: Health::Unknown,
                    reason: None,
                    health_since: now,
                    flap: FlapDetector::new(self.policy.flap),
                    emitted: None,
                    anomaly: None,
                });
                track.meta = meta;
                let same_rule = match (&track.anomaly, rule) {
                    (Some(a), Some((metric, sensitivity))) => {
                        a.metric == metric && a.detector.sensitivity() == sensitivity
                    }
                    (None, None) => true,
                    _ => false,
                };
                if !same_rule {
                    track.anomaly = rule.map(|(metric, sensitivity)| {
                        Box::new(AnomalyTrack {
                            metric,
                            detector: AnomalyDetector::new(AnomalyPolicy {
                                sensitivity,
                                ..self.policy.anomaly
                            }),
                            bucket: i64::MIN,
                            latencies: Vec::new(),
                            checks: 0,
                            failures: 0,
                            emitted: SignalState::Ok,
                            last: None,
                        })
                    });
                }
                keep.insert(key, track);
            }
        }
        self.tracks = keep;
    }

    /// Takes up what was true before a restart: the monitor's last health
    /// and the condition of its signal as stored, so nothing is re-sent.
    pub fn restore(
        &mut self,
        key: &MonitorKey,
        health: Health,
        reason: Option<String>,
        since: Timestamp,
        emitted: Option<SignalState>,
    ) {
        if let Some(track) = self.tracks.get_mut(key) {
            track.health = health;
            track.reason = reason;
            track.health_since = since;
            track.emitted = emitted.map(|state| (state, track_severity(track)));
        }
    }

    /// Takes up the stored condition of a monitor's anomaly signal, after
    /// its history was replayed through [`Evaluator::observe_result`] (which
    /// re-learns the band; its signals are dropped): the next result emits
    /// only if the replayed condition differs from the stored one.
    pub fn restore_anomaly(&mut self, key: &MonitorKey, emitted: SignalState) {
        if let Some(anomaly) = self.tracks.get_mut(key).and_then(|t| t.anomaly.as_mut()) {
            anomaly.emitted = emitted;
        }
    }

    /// Whether the monitor has an anomaly rule.
    pub fn has_anomaly_rule(&self, key: &MonitorKey) -> bool {
        self.tracks.get(key).is_some_and(|t| t.anomaly.is_some())
    }

    /// Records a state change from the probe; returns the monitor's signal
    /// if its condition changed.
    pub fn observe_state(
        &mut self,
        key: &MonitorKey,
        at: Timestamp,
        health: Health,
        reason: Option<&str>,
    ) -> Option<AlertSignal> {
        let track = self.tracks.get_mut(key)?;
        track.health = health;
        track.reason = reason.map(str::to_owned);
        track.health_since = at;
        if health == Health::Paused {
            track.flap = FlapDetector::new(self.policy.flap);
        }
        main_signal(track, at)
    }

    /// Records one check result (`ok`: it passed; `latency_ms`: how long
    /// it took); returns the signals whose condition changed (flapping
    /// started or stopped, an anomaly fired or cleared).
    pub fn observe_result(
        &mut self,
        key: &MonitorKey,
        at: Timestamp,
        ok: bool,
        latency_ms: Option<f64>,
    ) -> Vec<AlertSignal> {
        let Some(track) = self.tracks.get_mut(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if track.health != Health::Paused {
            track.flap.observe(ok);
            out.extend(main_signal(track, at));
        }
        if let Some(signal) = observe_anomaly(track, key, at, ok, latency_ms) {
            out.push(signal);
        }
        out
    }

    /// The number of monitors tracked.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether no monitor is tracked.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}

/// The severity of a monitor's main signal in its current health.
fn track_severity(track: &Track) -> Severity {
    match track.health {
        Health::Degraded => track.meta.severity.min(Severity::Warning),
        _ => track.meta.severity,
    }
}

/// The monitor's main signal, if its condition or severity changed.
fn main_signal(track: &mut Track, at: Timestamp) -> Option<AlertSignal> {
    let state = if track.flap.is_flapping() {
        SignalState::Flapping
    } else {
        match track.health {
            Health::Down | Health::Degraded => SignalState::Firing,
            Health::Up | Health::Unknown | Health::Paused => SignalState::Ok,
        }
    };
    let severity = track_severity(track);
    if track.emitted == Some((state, severity)) {
        return None;
    }
    // An unknown monitor that was never reported needs no "clear" signal.
    if track.emitted.is_none() && state == SignalState::Ok {
        track.emitted = Some((state, severity));
        return None;
    }
    track.emitted = Some((state, severity));
    let name = &track.meta.name;
    let summary = match state {
        SignalState::Flapping => format!(
            "{name} is flapping ({:.0}% of recent checks changed state)",
            track.flap.percent()
        ),
        SignalState::Firing => {
            let verb = if track.health == Health::Degraded {
                "is degraded"
            } else {
                "is down"
            };
            match &track.reason {
                Some(reason) => format!("{name} {verb}: {reason}"),
                None => format!("{name} {verb}"),
            }
        }
        SignalState::Ok => format!("{name} is up"),
    };
    let since = if state == SignalState::Flapping {
        at
    } else {
        track.health_since.min(at)
    };
    Some(signal(
        &track.meta,
        track.meta.labels.clone(),
        key_of(&track.meta, "monitor"),
        severity,
        summary,
        state,
        since,
    ))
}

/// Feeds the anomaly rule; returns its signal if it fired or cleared.
fn observe_anomaly(
    track: &mut Track,
    key: &MonitorKey,
    at: Timestamp,
    ok: bool,
    latency_ms: Option<f64>,
) -> Option<AlertSignal> {
    let anomaly = track.anomaly.as_mut()?;
    let bucket = at.as_second().div_euclid(BUCKET_SECS);
    let mut fired = None;
    if bucket != anomaly.bucket {
        if anomaly.checks > 0 {
            let start = Timestamp::from_second(anomaly.bucket * BUCKET_SECS).ok()?;
            if let Some(value) = bucket_value(anomaly) {
                fired = anomaly.detector.observe(start, value);
                if fired.is_some() {
                    anomaly.last = fired;
                }
            }
        }
        anomaly.bucket = bucket;
        anomaly.latencies.clear();
        anomaly.checks = 0;
        anomaly.failures = 0;
    }
    anomaly.checks += 1;
    if !ok {
        anomaly.failures += 1;
    }
    if let Some(ms) = latency_ms.filter(|_| ok)
        && anomaly.latencies.len() < BUCKET_CAP
    {
        anomaly.latencies.push(ms);
    }
    let state = if anomaly.detector.is_firing() {
        SignalState::Firing
    } else {
        SignalState::Ok
    };
    if state == anomaly.emitted {
        return None;
    }
    anomaly.emitted = state;
    let what = anomaly.metric.describe();
    let unit = |v: f64| match anomaly.metric {
        Metric::ErrorRate => format!("{:.1}%", v * 100.0),
        _ => format!("{v:.0} ms"),
    };
    let shown = if state == SignalState::Firing {
        fired.or(anomaly.last)
    } else {
        None
    };
    let summary = match shown {
        Some(found) => format!(
            "{key}: {what} {} is {} its usual band ({}–{})",
            unit(found.value),
            if found.above { "above" } else { "below" },
            unit(found.band.lower),
            unit(found.band.upper),
        ),
        None if state == SignalState::Firing => format!("{key}: {what} is out of its usual band"),
        None => format!("{key}: {what} is back in its usual band"),
    };
    let mut labels = track.meta.labels.clone();
    labels.insert("rule".into(), "anomaly".into());
    Some(signal(
        &track.meta,
        labels,
        key_of(&track.meta, "anomaly"),
        track.meta.severity.min(Severity::Warning),
        summary,
        state,
        at - SignedDuration::from_secs(BUCKET_SECS),
    ))
}

/// The value of a closed bucket for the rule's metric.
fn bucket_value(anomaly: &mut AnomalyTrack) -> Option<f64> {
    match anomaly.metric {
        Metric::ErrorRate => Some(f64::from(anomaly.failures) / f64::from(anomaly.checks)),
        Metric::LatencyP95 | Metric::LatencyP50 => {
            let values = &mut anomaly.latencies;
            if values.is_empty() {
                return None;
            }
            values.sort_unstable_by(f64::total_cmp);
            let q = if anomaly.metric == Metric::LatencyP95 {
                0.95
            } else {
                0.5
            };
            let index = ((values.len() - 1) as f64 * q).round() as usize;
            Some(values[index])
        }
    }
}

fn key_of(meta: &Meta, prefix: &str) -> String {
    format!("{prefix}:{}", meta.name)
}

fn signal(
    meta: &Meta,
    mut labels: BTreeMap<String, String>,
    key: String,
    severity: Severity,
    summary: String,
    state: SignalState,
    since: Timestamp,
) -> AlertSignal {
    labels.insert("severity".into(), severity.as_str().into());
    AlertSignal {
        key,
        source: Source::Monitor,
        group: meta.group.clone(),
        service: labels.get("service").cloned(),
        component: meta.component.clone(),
        severity,
        labels,
        summary,
        state,
        since,
        ends_at: None,
        link: None,
    }
}
