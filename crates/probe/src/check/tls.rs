//! The TLS probe: connect to any `host:port` (upgrading the connection
//! with STARTTLS first when the monitor says so), shake hands without ALPN,
//! and report the negotiated version and the peer's certificate. A chain
//! that does not verify for the host, at the check's time, fails the check.

use jiff::Timestamp;
use shipshape_catalog::{StartTls, TlsCheck};

use super::Checkers;
use super::deadline::Deadline;
use super::{net, smtp};
use crate::result::Details;

/// Runs a TLS check, filling `details.tls`; the error is why it failed.
pub(crate) async fn probe(
    checkers: &Checkers,
    spec: &TlsCheck,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String> {
    let mut stream =
        net::connect(&checkers.hosts, &spec.host, spec.port, deadline, details).await?;
    match spec.starttls {
        Some(StartTls::Smtp) => smtp::starttls(&mut stream, deadline, details).await?,
        None => {}
    }
    let (_stream, session) = net::handshake(
        &checkers.tls,
        checkers.tls.config(false),
        stream,
        &spec.host,
        now,
        deadline,
        details,
    )
    .await?;
    let problem = session.problem.clone();
    details.tls = Some(session);
    match problem {
        Some(problem) => Err(format!("TLS: {problem}")),
        None => Ok(()),
    }
}
