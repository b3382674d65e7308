//! The probe location's self-check: when most recent checks fail across
//! many distinct hosts at once (and the canary, if configured, fails too),
//! the fault is more likely this instance's network than every service at
//! once. The detector then reports the location unhealthy, and the driver
//! stops feeding failures to the state machines until it recovers.

use std::collections::{HashSet, VecDeque};

use jiff::Timestamp;

use super::spec::MonitorKey;

/// When a location counts as unhealthy.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthPolicy {
    /// How many recent results are weighed (default 20).
    pub sample: usize,
    /// The share of them that must have failed (default 0.8).
    pub threshold: f64,
    /// The distinct hosts the failures must span (default 3), so one dead
    /// host with many monitors is not mistaken for a network loss.
    pub min_hosts: usize,
    /// A monitor of a target that should always be up (e.g. a public
    /// resolver); when set, it must be failing too.
    pub canary: Option<MonitorKey>,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            sample: 20,
            threshold: 0.8,
            min_hosts: 3,
            canary: None,
        }
    }
}

/// The location's health flipped: an event for the status of the probe
/// fleet, not of any service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationHealthChange {
    /// The probe location.
    pub location: String,
    /// Whether it is healthy now.
    pub healthy: bool,
    /// When (the start of the result that tipped it).
    pub at: Timestamp,
    /// Why, user-facing: `probe location unhealthy: 19 of the last 20
    /// checks failed across 12 hosts`.
    pub reason: String,
}

/// Watches recent results of one location against a [`HealthPolicy`].
#[derive(Debug)]
pub struct HealthDetector {
    location: String,
    policy: HealthPolicy,
    recent: VecDeque<(String, bool)>,
    canary_failing: bool,
    healthy: bool,
}

impl HealthDetector {
    /// A detector for `location`, starting healthy.
    pub fn new(location: impl Into<String>, policy: HealthPolicy) -> Self {
        Self {
            location: location.into(),
            recent: VecDeque::with_capacity(policy.sample.max(1)),
            policy,
            canary_failing: false,
            healthy: true,
        }
    }

    /// Whether the location is healthy (failures may be believed).
    pub fn is_healthy(&self) -> bool {
        self.healthy
    }

    /// Records one result of monitor `key` against `host` (the monitor key
    /// when the host is unknown); returns the change it caused.
    pub fn record(
        &mut self,
        key: &MonitorKey,
        host: &str,
        ok: bool,
        at: Timestamp,
    ) -> Option<LocationHealthChange> {
        if self.policy.canary.as_ref() == Some(key) {
            self.canary_failing = !ok;
        }
        if self.recent.len() >= self.policy.sample.max(1) {
            self.recent.pop_front();
        }
        self.recent.push_back((host.to_owned(), ok));

        let failed = self.recent.iter().filter(|(_, ok)| !ok).count();
        let hosts: HashSet<&str> = self
            .recent
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(host, _)| host.as_str())
            .collect();
        let full = self.recent.len() >= self.policy.sample.max(1);
        let share = failed as f64 / self.recent.len().max(1) as f64;
        let canary_agrees = self.policy.canary.is_none() || self.canary_failing;
        let unhealthy = full
            && share >= self.policy.threshold
            && hosts.len() >= self.policy.min_hosts
            && canary_agrees;
        if unhealthy != self.healthy {
            return None;
        }
        self.healthy = !unhealthy;
        let reason = if unhealthy {
            let canary = match &self.policy.canary {
                Some(canary) => format!(", canary `{canary}` failing"),
                None => String::new(),
            };
            format!(
                "probe location unhealthy: {failed} of the last {} checks failed across {} hosts{canary}",
                self.recent.len(),
                hosts.len()
            )
        } else {
            format!(
                "probe location healthy again: {failed} of the last {} checks failed",
                self.recent.len()
            )
        };
        Some(LocationHealthChange {
            location: self.location.clone(),
            healthy: self.healthy,
            at,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().expect("valid")
    }

    fn detector(canary: Option<&str>) -> HealthDetector {
        HealthDetector::new(
            "ams",
            HealthPolicy {
                sample: 10,
                canary: canary.map(|c| MonitorKey::new("probe", c)),
                ..HealthPolicy::default()
            },
        )
    }

    fn feed(d: &mut HealthDetector, hosts: usize, n: usize, ok: bool) -> Vec<LocationHealthChange> {
        (0..n)
            .filter_map(|i| {
                let host = format!("h{}", i % hosts);
                d.record(&MonitorKey::new("s", &host), &host, ok, at())
            })
            .collect()
    }

    #[test]
    fn failures_across_many_hosts_make_the_location_unhealthy_until_they_pass() {
        let mut d = detector(None);
        assert!(feed(&mut d, 10, 10, true).is_empty());
        let changes = feed(&mut d, 10, 10, false);
        assert_eq!(changes.len(), 1);
        assert!(!d.is_healthy());
        assert_eq!(
            changes[0].reason,
            "probe location unhealthy: 8 of the last 10 checks failed across 8 hosts"
        );
        let back = feed(&mut d, 10, 10, true);
        assert_eq!(back.len(), 1);
        assert!(back[0].healthy && d.is_healthy());
    }

    #[test]
    fn one_dead_host_is_not_a_network_loss() {
        let mut d = detector(None);
        assert!(feed(&mut d, 1, 30, false).is_empty());
        assert!(d.is_healthy());
    }

    #[test]
    fn with_a_canary_it_must_fail_too() {
        let mut d = detector(Some("canary"));
        assert!(feed(&mut d, 10, 20, false).is_empty());
        let canary = MonitorKey::new("probe", "canary");
        let change = d
            .record(&canary, "1.1.1.1", false, at())
            .expect("canary tips it");
        assert!(change.reason.ends_with("canary `probe/canary` failing"));
    }
}
