//! Comparing the active alert signals with the open incidents.
//!
//! Rules, in the order they apply:
//! - An active signal already on an open incident stays there; one that was
//!   cleared on it is added back (no new page: the incident never closed).
//! - A new signal joins the open incident of its group (`service:ID`), so
//!   several monitors of one service failing together page once.
//! - Otherwise it opens an incident, with every other new signal of its
//!   group. The incident is suppressed (recorded, not paged) in shadow
//!   mode, while an upstream service (`depends_on`, followed transitively)
//!   has an open incident — it is linked under that one — or while a
//!   silence matches its labels. Else its routes give its escalations.
//! - A signal that is no longer active is cleared on its incident.
//! - An incident flaps while any of its signals does: one notice when that
//!   starts; when it stops, one notice if it is still failing (if it
//!   recovered, the resolve notice is the one).
//! - An incident whose signals have all been clear for their hold resolves
//!   by itself (unless `auto_resolve = false`). A monitor's hold is
//!   `max(resolve_after, 2 × every)`, so a monitor alternating between up
//!   and down never resolves and re-pages on each cycle.
//! - A suppressed incident whose reason is gone (upstream resolved, silence
//!   over) starts its escalations then, as Alertmanager's inhibition does.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, Severity};

use super::evaluator::MonitorKey;
use super::route::{escalations_for, incident_labels};
use super::{AlertSignal, SignalState};

/// An open (or acknowledged) incident, as the engine needs to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentView {
    /// Its id.
    pub id: i64,
    /// Its group key.
    pub key: String,
    /// The service, if any.
    pub service: Option<String>,
    /// Its labels (routing and silences).
    pub labels: BTreeMap<String, String>,
    /// Whether someone acknowledged it.
    pub acknowledged: bool,
    /// The upstream incident it is linked under.
    pub parent: Option<i64>,
    /// Why its pages are suppressed, if they are.
    pub suppressed: Option<String>,
    /// Whether it is flapping.
    pub flapping: bool,
    /// When it opened.
    pub opened_at: Timestamp,
    /// Its alerts.
    pub alerts: Vec<IncidentAlertView>,
}

/// One alert of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentAlertView {
    /// The signal key.
    pub key: String,
    /// When it cleared, if it has.
    pub cleared_at: Option<Timestamp>,
}

/// What [`reconcile`] looks at.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The catalog (routes, dependencies, holds).
    pub catalog: &'a Catalog,
    /// Now.
    pub now: Timestamp,
    /// The stored signals (inactive ones are ignored).
    pub signals: &'a [AlertSignal],
    /// Every open or acknowledged incident.
    pub open: &'a [IncidentView],
    /// The silence covering these labels now, by description, if any.
    pub silenced: &'a SilenceLookup<'a>,
}

/// Finds the silence covering some labels at a time, by description.
pub type SilenceLookup<'a> =
    dyn Fn(&BTreeMap<String, String>, Timestamp) -> Option<String> + Sync + 'a;

/// One change to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open an incident.
    Open {
        /// Its group key.
        key: String,
        /// The service concerned.
        service: Option<String>,
        /// One line.
        title: String,
        /// The highest severity of its alerts.
        severity: Severity,
        /// Its labels.
        labels: BTreeMap<String, String>,
        /// Its alerts.
        alerts: Vec<AlertSignal>,
        /// The upstream incident it is linked under.
        parent: Option<i64>,
        /// Why it is not paged, if it is not.
        suppressed: Option<String>,
        /// Escalation policies to start, with the time each first step is
        /// due (empty when suppressed).
        escalations: Vec<(String, Timestamp)>,
        /// Timeline lines.
        notes: Vec<String>,
    },
    /// Add alerts to an open incident (new, or back after clearing).
    AddAlerts {
        /// The incident.
        incident: i64,
        /// The alerts.
        alerts: Vec<AlertSignal>,
    },
    /// Mark an alert of an incident clear.
    ClearAlert {
        /// The incident.
        incident: i64,
        /// The signal key.
        alert: String,
    },
    /// Flapping started or stopped.
    Flapping {
        /// The incident.
        incident: i64,
        /// Whether it flaps now.
        flapping: bool,
        /// Whether any alert is still failing (for the "settled" notice).
        failing: bool,
    },
    /// Link an incident under an upstream one (or change why it is
    /// suppressed); its pending escalations stop.
    Suppress {
        /// The incident.
        incident: i64,
        /// The upstream incident.
        parent: Option<i64>,
        /// Why.
        reason: String,
    },
    /// The suppression ended: start paging.
    Unsuppress {
        /// The incident.
        incident: i64,
        /// Escalations to start now.
        escalations: Vec<(String, Timestamp)>,
        /// Timeline line.
        note: String,
    },
    /// Resolve the incident: every alert has been clear for its hold.
    Resolve {
        /// The incident.
        incident: i64,
        /// Timeline line.
        note: String,
    },
}

/// What to change so the incidents match the signals (see the module doc).
pub fn reconcile(inputs: &Inputs) -> Vec<Action> {
    let now = inputs.now;
    let active: HashMap<&str, &AlertSignal> = inputs
        .signals
        .iter()
        .filter(|s| s.is_active(now))
        .map(|s| (s.key.as_str(), s))
        .collect();
    let by_group: HashMap<&str, &IncidentView> =
        inputs.open.iter().map(|i| (i.key.as_str(), i)).collect();
    let mut placed: HashMap<&str, (i64, bool)> = HashMap::new();
    for incident in inputs.open {
        for alert in &incident.alerts {
            placed.insert(&alert.key, (incident.id, alert.cleared_at.is_some()));
        }
    }

    let mut actions = Vec::new();
    let mut additions: BTreeMap<i64, Vec<AlertSignal>> = BTreeMap::new();
    let mut pending: Vec<(String, Vec<AlertSignal>)> = Vec::new();
    let mut signals: Vec<&AlertSignal> = active.values().copied().collect();
    signals.sort_by(|a, b| (a.since, &a.key).cmp(&(b.since, &b.key)));
    for signal in &signals {
        match placed.get(signal.key.as_str()) {
            Some((_, false)) => {}
            Some((incident, true)) => additions
                .entry(*incident)
                .or_default()
                .push((*signal).clone()),
            None => match by_group.get(signal.group.as_str()) {
                Some(incident) => additions
                    .entry(incident.id)
                    .or_default()
                    .push((*signal).clone()),
                None => match pending.iter_mut().find(|(g, _)| *g == signal.group) {
                    Some((_, group)) => group.push((*signal).clone()),
                    None => pending.push((signal.group.clone(), vec![(*signal).clone()])),
                },
            },
        }
    }
    let opening: HashSet<String> = pending
        .iter()
        .filter_map(|(_, group)| group[0].service.clone())
        .collect();
    for (key, alerts) in pending {
        actions.push(open(inputs, key, alerts, &opening));
    }
    for (incident, alerts) in additions {
        actions.push(Action::AddAlerts { incident, alerts });
    }

    let mut resolving = HashSet::new();
    for incident in inputs.open {
        let mut all_clear_since: Option<Timestamp> = Some(Timestamp::MIN);
        let mut flapping = false;
        let mut failing = false;
        for alert in &incident.alerts {
            match active.get(alert.key.as_str()) {
                Some(signal) => {
                    all_clear_since = None;
                    flapping |= signal.state == SignalState::Flapping;
                    failing |= signal.state == SignalState::Firing;
                }
                None => {
                    let cleared = match alert.cleared_at {
                        Some(at) => at,
                        None => {
                            actions.push(Action::ClearAlert {
                                incident: incident.id,
                                alert: alert.key.clone(),
                            });
                            now
                        }
                    };
                    let hold = hold(inputs.catalog, &alert.key);
                    let ready = cleared.checked_add(hold).unwrap_or(Timestamp::MAX);
                    all_clear_since = all_clear_since.map(|t| t.max(ready));
                }
            }
        }
        // Signals about to join this incident count as well.
        for signal in signals
            .iter()
            .filter(|s| !incident.alerts.iter().any(|a| a.key == s.key) && s.group == incident.key)
        {
            all_clear_since = None;
            flapping |= signal.state == SignalState::Flapping;
            failing |= signal.state == SignalState::Firing;
        }
        if flapping != incident.flapping {
            actions.push(Action::Flapping {
                incident: incident.id,
                flapping,
                failing,
            });
        }
        if let Some(ready) = all_clear_since
            && inputs.catalog.alerting.auto_resolve
            && !incident.key.starts_with(super::TEST_PAGE_PREFIX)
            && ready <= now
        {
            actions.push(Action::Resolve {
                incident: incident.id,
                note: "every alert has cleared; resolved automatically".into(),
            });
            resolving.insert(incident.id);
        }
    }
    // Incidents resolving now no longer hold their dependents' pages.
    let still_open: Vec<IncidentView> = inputs
        .open
        .iter()
        .filter(|i| !resolving.contains(&i.id))
        .cloned()
        .collect();
    let after = Inputs {
        open: &still_open,
        ..*inputs
    };
    for incident in &still_open {
        if let Some(action) = review_suppression(&after, incident) {
            actions.push(action);
        }
    }
    actions
}

/// The action opening an incident for `alerts` of group `key`.
fn open(
    inputs: &Inputs,
    key: String,
    alerts: Vec<AlertSignal>,
    opening: &HashSet<String>,
) -> Action {
    let first = &alerts[0];
    let severity = alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(Severity::Critical);
    let mut labels = incident_labels(first);
    labels.insert("severity".into(), severity.as_str().into());
    let service_name = first
        .service
        .as_deref()
        .map(|id| {
            inputs
                .catalog
                .services
                .iter()
                .find(|s| s.id == id)
                .map_or(id, |s| s.name.as_str())
        })
        .map(str::to_owned);
    let title = match (&service_name, alerts.len()) {
        (Some(name), 1) => format!("{name}: {}", first.summary),
        (Some(name), n) => format!("{name}: {n} alerts, first {}", first.summary),
        (None, 1) => first.summary.clone(),
        (None, n) => format!("{n} alerts, first {}", first.summary),
    };
    let mut notes: Vec<String> = alerts.iter().map(|a| a.summary.clone()).collect();
    let suppression = suppression(inputs, &key, first.service.as_deref(), &labels).or_else(|| {
        let service = first.service.as_deref()?;
        let upstream = upstream_of(inputs.catalog, service)
            .into_iter()
            .find(|u| opening.contains(u))?;
        Some((None, format!("upstream service {upstream} is failing too")))
    });
    let (parent, suppressed, escalations) = match suppression {
        Some((parent, reason)) => {
            notes.push(format!("pages suppressed: {reason}"));
            (parent, Some(reason), Vec::new())
        }
        None => {
            let (escalations, note) = escalations_for(inputs.catalog, &labels, inputs.now);
            notes.push(note);
            (None, None, escalations)
        }
    };
    Action::Open {
        service: first.service.clone(),
        key,
        title,
        severity,
        labels,
        alerts,
        parent,
        suppressed,
        escalations,
        notes,
    }
}

/// Why an incident of group `key` should not page now, if it should not:
/// shadow mode, an upstream incident (with its id), or a silence.
fn suppression(
    inputs: &Inputs,
    key: &str,
    service: Option<&str>,
    labels: &BTreeMap<String, String>,
) -> Option<(Option<i64>, String)> {
    if key.starts_with("shadow:") {
        return Some((None, "shadow mode: recorded, never paged".into()));
    }
    if let Some(service) = service {
        for upstream in upstream_of(inputs.catalog, service) {
            let group = format!("service:{upstream}");
            if let Some(parent) = inputs.open.iter().find(|i| i.key == group) {
                return Some((
                    Some(parent.id),
                    format!(
                        "upstream service {upstream} has incident #{} open",
                        parent.id
                    ),
                ));
            }
        }
    }
    (inputs.silenced)(labels, inputs.now).map(|why| (None, format!("silenced: {why}")))
}

/// A change of an open incident's suppression, if one is due.
fn review_suppression(inputs: &Inputs, incident: &IncidentView) -> Option<Action> {
    let now = suppression(
        inputs,
        &incident.key,
        incident.service.as_deref(),
        &incident.labels,
    );
    match (now, &incident.suppressed) {
        (Some((parent, reason)), current) => {
            let changed = parent.is_some() && parent != incident.parent
                || current.is_none() && !incident.acknowledged;
            changed.then_some(Action::Suppress {
                incident: incident.id,
                parent,
                reason,
            })
        }
        (None, Some(reason)) if !incident.acknowledged => {
            let (escalations, note) = escalations_for(inputs.catalog, &incident.labels, inputs.now);
            Some(Action::Unsuppress {
                incident: incident.id,
                escalations,
                note: format!("no longer suppressed (was: {reason}); {note}"),
            })
        }
        _ => None,
    }
}

/// Every service `service` depends on, directly or not, nearest first.
fn upstream_of(catalog: &Catalog, service: &str) -> Vec<String> {
    let mut seen = HashSet::from([service.to_owned()]);
    let mut queue = VecDeque::from([service.to_owned()]);
    let mut out = Vec::new();
    while let Some(current) = queue.pop_front() {
        let Some(found) = catalog.services.iter().find(|s| s.id == current) else {
            continue;
        };
        for upstream in &found.depends_on {
            if seen.insert(upstream.clone()) {
                out.push(upstream.clone());
                queue.push_back(upstream.clone());
            }
        }
    }
    out
}

/// How long an alert must stay clear before its incident may resolve.
fn hold(catalog: &Catalog, alert: &str) -> SignedDuration {
    let base = catalog.alerting.resolve_after;
    let every = MonitorKey::from_signal_key(alert)
        .and_then(|key| {
            catalog.monitor(&shipshape_catalog::MonitorRef {
                service: key.service,
                monitor: key.monitor,
            })
        })
        .map_or(Duration::ZERO, |m| m.every);
    SignedDuration::try_from(base.max(every * 2)).unwrap_or(SignedDuration::MAX)
}
