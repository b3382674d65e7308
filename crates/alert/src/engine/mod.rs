//! The incident engine: from alert signals to incidents, escalations and
//! notices. Level-triggered and pure, so it survives crashes and restarts by
//! construction:
//!
//! - [`Evaluator`] turns each monitor's results and state changes into an
//!   [`AlertSignal`] whenever the monitor's alert condition changes (firing,
//!   flapping, clear; plus an anomaly signal when an `anomaly` rule is set).
//!   The binary stores signals; external alerts (Alertmanager, events) are
//!   stored the same way.
//! - [`reconcile`] compares the active signals with the open incidents and
//!   says what to change: open (with the escalations its routes pick, or
//!   suppressed under an upstream incident, a silence or shadow mode), add
//!   or clear alerts, start or end flapping, lift a suppression, resolve.
//!   Running it twice on the same inputs after applying its actions yields
//!   nothing, so a crash between deciding and recording only repeats work.
//! - [`plan_step`] works out one escalation step: who is reached through
//!   which contact methods right now, and when the next step is due. A step
//!   that reaches nobody says why and falls through to the next one at once.
//! - [`Notice`] is what a notification says; the outbox stores it and the
//!   sender renders it for each channel.

mod evaluator;
mod notice;
mod reconcile;
mod route;

pub use evaluator::{Evaluator, EvaluatorPolicy, Health, MonitorKey};
pub use notice::{Notice, NoticeKind};
pub use reconcile::{Action, IncidentAlertView, IncidentView, Inputs, SilenceLookup, reconcile};
pub use route::{
    Delivery, Recipient, StepPlan, escalations_for, incident_labels, plan_step, round_length,
    test_page_policy,
};

/// The key prefix of test-page incidents: they hold no alerts, are never
/// resolved by recovery, and resolve when acknowledged.
pub const TEST_PAGE_PREFIX: &str = "test:";

use std::collections::BTreeMap;

use jiff::Timestamp;
use shipshape_catalog::Severity;

/// Where an alert comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// A Shipshape monitor.
    Monitor,
    /// A Prometheus server through the Alertmanager API.
    Prometheus,
    /// The generic event endpoint.
    Event,
}

impl Source {
    /// The lowercase name stored: `monitor`, `prometheus`, `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Monitor => "monitor",
            Source::Prometheus => "prometheus",
            Source::Event => "event",
        }
    }

    /// Parses a name produced by [`Source::as_str`].
    pub fn parse(name: &str) -> Option<Source> {
        [Source::Monitor, Source::Prometheus, Source::Event]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// The condition an alert is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalState {
    /// Failing: wants an incident.
    Firing,
    /// Changing state too often to page on each change: keeps its incident
    /// open, notified once.
    Flapping,
    /// Clear.
    Ok,
}

impl SignalState {
    /// The lowercase name stored: `firing`, `flapping`, `ok`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalState::Firing => "firing",
            SignalState::Flapping => "flapping",
            SignalState::Ok => "ok",
        }
    }

    /// Parses a name produced by [`SignalState::as_str`].
    pub fn parse(name: &str) -> Option<SignalState> {
        [SignalState::Firing, SignalState::Flapping, SignalState::Ok]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// The current condition of one alert source: a monitor, a monitor's
/// anomaly rule, or an external alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSignal {
    /// Unique key: `monitor:SERVICE/ID`, `anomaly:SERVICE/ID`,
    /// `prometheus:FINGERPRINT`, `event:KEY`.
    pub key: String,
    /// Where it comes from.
    pub source: Source,
    /// The incident key it groups under: `service:ID` for everything about
    /// a catalog service (monitors, and external alerts labelled with it),
    /// `shadow:service:ID` for shadow monitors, else a key of its own.
    pub group: String,
    /// The catalog service it concerns, if any.
    pub service: Option<String>,
    /// The component, if known.
    pub component: Option<String>,
    /// Severity of the incidents it opens.
    pub severity: Severity,
    /// Labels routes and silences match (always holds `service`,
    /// `severity` and, for monitors, `monitor`, when known).
    pub labels: BTreeMap<String, String>,
    /// One line: what is wrong.
    pub summary: String,
    /// Its condition.
    pub state: SignalState,
    /// Since when it has been in that condition.
    pub since: Timestamp,
    /// When it stops counting unless refreshed (external alerts).
    pub ends_at: Option<Timestamp>,
    /// A link to its origin (e.g. Prometheus's graph).
    pub link: Option<String>,
}

impl AlertSignal {
    /// Whether it wants an incident.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.state != SignalState::Ok && self.ends_at.is_none_or(|end| end > now)
    }
}
