//! Why the checkers could not be set up: a bad trusted root certificate or
//! a DNS resolver that cannot be configured. A failing *check* is never an
//! error: it is a [`CheckResult`](crate::result::CheckResult) that is down.

/// Why [`Checkers::new`](super::Checkers::new) or
/// [`CheckerOptions::trust_pem`](super::CheckerOptions::trust_pem) failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckerError {
    /// An extra trusted root is not a usable CA certificate.
    #[error(
        "trusted root certificate #{index} is not usable: {reason}; give a DER or PEM CA certificate"
    )]
    Root {
        /// Its position in [`CheckerOptions::extra_roots`](super::CheckerOptions::extra_roots), from 0.
        index: usize,
        /// What the certificate store said.
        reason: String,
    },
    /// PEM text held no certificate or could not be read.
    #[error("no certificate in the PEM text: {0}; give `-----BEGIN CERTIFICATE-----` blocks")]
    Pem(String),
    /// The TLS client could not be built.
    #[error("cannot build the TLS client: {0}")]
    Tls(String),
    /// The DNS resolver could not be configured.
    #[error(
        "cannot configure the DNS resolver: {0}; check `/etc/resolv.conf` or set a resolver address"
    )]
    Resolver(String),
}
