//! Admission of due checks: at most one check of a monitor at a time, at
//! most `per_host` checks in flight against one host (small targets are not
//! hammered), and at most `max_in_flight` in total. A check refused here is
//! skipped for this slot — never queued — so a saturated host or a slow
//! target cannot delay anything else.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::spec::{MonitorKey, MonitorSpec};

/// Default cap on checks in flight against one host.
pub const DEFAULT_PER_HOST: usize = 8;

/// Default cap on checks in flight in one probe service.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 2048;

/// Why a due check was skipped for its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The monitor's previous check is still running.
    StillRunning,
    /// `per_host` checks against this host are already in flight.
    HostBusy {
        /// The host.
        host: String,
        /// The cap that was reached.
        limit: usize,
    },
    /// The probe service's total in-flight cap was reached.
    ProbeBusy {
        /// The cap that was reached.
        limit: usize,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::StillRunning => f.write_str("skipped: previous check still running"),
            SkipReason::HostBusy { host, limit } => {
                write!(
                    f,
                    "skipped: host busy ({limit} checks of `{host}` in flight)"
                )
            }
            SkipReason::ProbeBusy { limit } => {
                write!(f, "skipped: probe busy ({limit} checks in flight)")
            }
        }
    }
}

/// Counts checks in flight and admits or refuses new ones.
#[derive(Debug)]
pub struct Admission {
    per_host: usize,
    max_in_flight: usize,
    running: HashSet<MonitorKey>,
    hosts: HashMap<String, usize>,
}

/// A check admitted by [`Admission::admit`]; give it back to
/// [`Admission::release`] when the check ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    key: MonitorKey,
    host: Option<String>,
}

impl Ticket {
    /// The monitor the ticket admits.
    pub fn key(&self) -> &MonitorKey {
        &self.key
    }
}

impl Admission {
    /// Caps of `per_host` and `max_in_flight` checks (each at least 1).
    pub fn new(per_host: usize, max_in_flight: usize) -> Self {
        Self {
            per_host: per_host.max(1),
            max_in_flight: max_in_flight.max(1),
            running: HashSet::new(),
            hosts: HashMap::new(),
        }
    }

    /// Admits a check of `spec`, or says why not.
    pub fn admit(&mut self, spec: &MonitorSpec) -> Result<Ticket, SkipReason> {
        if self.running.contains(&spec.key) {
            return Err(SkipReason::StillRunning);
        }
        if self.running.len() >= self.max_in_flight {
            return Err(SkipReason::ProbeBusy {
                limit: self.max_in_flight,
            });
        }
        if let Some(host) = &spec.host {
            let count = self.hosts.entry(host.clone()).or_default();
            if *count >= self.per_host {
                return Err(SkipReason::HostBusy {
                    host: host.clone(),
                    limit: self.per_host,
                });
            }
            *count += 1;
        }
        self.running.insert(spec.key.clone());
        Ok(Ticket {
            key: spec.key.clone(),
            host: spec.host.clone(),
        })
    }

    /// Ends the check `ticket` admitted.
    pub fn release(&mut self, ticket: Ticket) {
        self.running.remove(&ticket.key);
        if let Some(host) = ticket.host
            && let Some(count) = self.hosts.get_mut(&host)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.hosts.remove(&host);
            }
        }
    }

    /// Checks in flight.
    pub fn in_flight(&self) -> usize {
        self.running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::tests::tcp_spec;
    use super::*;

    #[test]
    fn a_host_gets_at_most_its_cap_and_others_are_unaffected() {
        let mut admission = Admission::new(2, 100);
        let small: Vec<_> = (0..3)
            .map(|i| tcp_spec(&format!("s{i}"), "small.example", 30))
            .collect();
        let first = admission.admit(&small[0]).expect("under cap");
        admission.admit(&small[1]).expect("at cap");
        assert_eq!(
            admission.admit(&small[2]),
            Err(SkipReason::HostBusy {
                host: "small.example".into(),
                limit: 2
            })
        );
        assert!(
            admission
                .admit(&tcp_spec("other", "big.example", 30))
                .is_ok()
        );
        admission.release(first);
        assert!(admission.admit(&small[2]).is_ok());
        assert_eq!(admission.in_flight(), 3);
    }

    #[test]
    fn a_monitor_never_overlaps_itself_and_the_total_is_capped() {
        let mut admission = Admission::new(8, 2);
        let a = tcp_spec("a", "a.example", 30);
        admission.admit(&a).expect("first");
        assert_eq!(admission.admit(&a), Err(SkipReason::StillRunning));
        admission
            .admit(&tcp_spec("b", "b.example", 30))
            .expect("second");
        assert_eq!(
            admission.admit(&tcp_spec("c", "c.example", 30)),
            Err(SkipReason::ProbeBusy { limit: 2 })
        );
        assert_eq!(
            SkipReason::HostBusy {
                host: "h".into(),
                limit: 8
            }
            .to_string(),
            "skipped: host busy (8 checks of `h` in flight)"
        );
    }
}
