//! One deadline for a whole check: every awaited step runs as a named
//! [`Phase`] against the same instant, so a check never outlives its
//! monitor's timeout and a timeout names the phase that was running.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// A step of a check that waits on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Resolving a host name.
    Dns,
    /// Establishing the TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// Sending the request and waiting for the response head.
    FirstByte,
    /// Reading the response body.
    Body,
    /// Writing the bytes a TCP monitor sends.
    Send,
    /// Waiting for a TCP reply.
    Reply,
    /// Waiting for the answer to a DNS query.
    Query,
    /// Logging in to a datastore after connecting (Redis `AUTH`, `SELECT`).
    Auth,
    /// Waiting for the result of a datastore query.
    Statement,
    /// The plain-text exchange that upgrades a connection to TLS.
    StartTls,
}

/// The end of a check's time budget.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    start: Instant,
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub(crate) fn new(budget: Duration) -> Self {
        let start = Instant::now();
        Self {
            start,
            at: start + budget,
            budget,
        }
    }

    /// Runs `fut` as `phase`: its output and how long it took, or the
    /// timeout reason (`timeout after 2s waiting for the first byte`) if
    /// the deadline passes first.
    pub(crate) async fn run<F: Future>(
        &self,
        phase: Phase,
        fut: F,
    ) -> Result<(F::Output, Duration), String> {
        let begun = Instant::now();
        match tokio::time::timeout_at(self.at, fut).await {
            Ok(out) => Ok((out, begun.elapsed())),
            Err(_) => Err(self.expired(phase)),
        }
    }

    /// The reason given when the deadline passed during `phase`.
    pub(crate) fn expired(&self, phase: Phase) -> String {
        format!("timeout after {} {phase}", HumanDuration(self.budget))
    }

    /// The instant the budget runs out.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// Time since the check started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Dns => "during DNS resolution",
            Phase::Connect => "while connecting",
            Phase::Tls => "during TLS handshake",
            Phase::FirstByte => "waiting for the first byte",
            Phase::Body => "while reading the body",
            Phase::Send => "while sending",
            Phase::Reply => "waiting for the reply",
            Phase::Query => "waiting for the DNS answer",
            Phase::Auth => "during authentication",
            Phase::Statement => "waiting for the query result",
            Phase::StartTls => "during STARTTLS",
        })
    }
}

/// Writes a duration as written in the catalog: `2s`, `500ms`, `1.5s`.
pub(crate) struct HumanDuration(pub(crate) Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms}ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            let (mut frac, mut width) = (ms % 1000, 3);
            while frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
            write!(f, "{}.{frac:0width$}s", ms / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_catalog() {
        assert_eq!(
            HumanDuration(Duration::from_millis(250)).to_string(),
            "250ms"
        );
        assert_eq!(HumanDuration(Duration::from_secs(10)).to_string(), "10s");
        assert_eq!(
            HumanDuration(Duration::from_millis(1500)).to_string(),
            "1.5s"
        );
        assert_eq!(
            HumanDuration(Duration::from_millis(1250)).to_string(),
            "1.25s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_names_the_phase_and_the_budget() {
        let deadline = Deadline::new(Duration::from_secs(2));
        let out = deadline
            .run(Phase::FirstByte, std::future::pending::<()>())
            .await;
        assert_eq!(
            out,
            Err("timeout after 2s waiting for the first byte".to_owned())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn phases_share_one_budget() {
        let deadline = Deadline::new(Duration::from_secs(2));
        let slow = tokio::time::sleep(Duration::from_millis(1500));
        assert!(deadline.run(Phase::Connect, slow).await.is_ok());
        let slow = tokio::time::sleep(Duration::from_millis(1000));
        assert_eq!(
            deadline.run(Phase::Body, slow).await,
            Err("timeout after 2s while reading the body".to_owned())
        );
    }
}
