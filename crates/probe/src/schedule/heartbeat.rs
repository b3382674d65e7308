//! Heartbeat monitors are passive: the job pings Shipshape, and silence is
//! the failure. This file turns pings and missed deadlines into check
//! results; the [`super::Plan`] keeps the deadlines.

use std::time::Duration;

use jiff::Timestamp;
use shipshape_catalog::human_duration;

use super::spec::{MonitorKey, MonitorSpec};
use crate::result::{CheckResult, Outcome};

/// Why a heartbeat ping was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeartbeatError {
    /// No monitor has this key here.
    #[error("no monitor `{0}`: check the `service/monitor` in the ping URL")]
    UnknownMonitor(MonitorKey),
    /// The monitor exists but is run by Shipshape, not pinged.
    #[error("monitor `{0}` is not a heartbeat monitor: only `heartbeat` monitors accept pings")]
    NotHeartbeat(MonitorKey),
    /// The probe service has stopped.
    #[error("the probe service has stopped")]
    Stopped,
}

/// A ping of a heartbeat monitor: what the job reports about its run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ping {
    /// `false` when the job reports that it failed.
    pub ok: bool,
    /// What the job says (why it failed, usually).
    pub message: Option<String>,
    /// How long the job ran, when it says; stored as the result's latency.
    pub runtime: Option<Duration>,
}

impl Ping {
    /// A ping of a job that succeeded.
    pub fn success() -> Self {
        Self {
            ok: true,
            ..Self::default()
        }
    }

    /// A ping of a job that failed, saying why.
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: Some(message.into()),
            runtime: None,
        }
    }
}

/// The result a ping at `at` records: up, or — when the job reported
/// failure — down with its message.
pub(crate) fn beat_result(at: Timestamp, ping: &Ping) -> CheckResult {
    let outcome = if ping.ok {
        Outcome::Up
    } else {
        let reason = ping
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or("the job reported failure");
        Outcome::Down {
            reasons: vec![reason.to_owned()],
        }
    };
    CheckResult {
        started_at: at,
        duration: ping.runtime.unwrap_or(Duration::ZERO),
        outcome,
        details: Default::default(),
    }
}

/// The failed result of a heartbeat deadline `deadline` that passed in
/// silence.
pub(crate) fn overdue_result(
    spec: &MonitorSpec,
    deadline: Timestamp,
    last_beat: Option<Timestamp>,
    since: Timestamp,
) -> CheckResult {
    let window = match spec.heartbeat {
        Some(window) => format!(
            "expected every {}, grace {}",
            human_duration(window.every),
            human_duration(window.grace)
        ),
        None => format!("expected every {}", human_duration(spec.every)),
    };
    let reason = match last_beat {
        Some(last) => format!("no heartbeat since {last} ({window})"),
        None => format!("no heartbeat received since {since} ({window})"),
    };
    CheckResult {
        started_at: deadline,
        duration: Duration::ZERO,
        outcome: Outcome::Down {
            reasons: vec![reason],
        },
        details: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_ping_without_message_says_the_job_failed() {
        let at: Timestamp = "2026-11-30T09:00:00Z".parse().expect("valid");
        assert_eq!(
            beat_result(at, &Ping::failure("  ")).reason(),
            Some("the job reported failure")
        );
        assert!(
            beat_result(
                at,
                &Ping {
                    ok: true,
                    message: Some("ignored".into()),
                    runtime: None
                }
            )
            .is_up()
        );
    }
}
