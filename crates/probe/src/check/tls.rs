//! The TLS probe: connect to any `host:port`, shake hands without ALPN, and
//! report the negotiated version and the peer's certificate. A chain that
//! does not verify for the host, at the check's time, fails the check.

use jiff::Timestamp;
use shipshape_catalog::TlsCheck;

use super::Checkers;
use super::deadline::Deadline;
use super::net;
use crate::result::Details;

/// Runs a TLS check, filling `details.tls`; the error is why it failed.
pub(crate) async fn probe(
    checkers: &Checkers,
    spec: &TlsCheck,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String> {
    let stream = net::connect(&checkers.hosts, &spec.host, spec.port, deadline, details).await?;
    let (_stream, session) = net::handshake(
        &checkers.tls,
        stream,
        &spec.host,
        false,
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
