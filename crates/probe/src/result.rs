//! The outcome of one check: whether it passed, why not, how long it took,
//! and the details the probe kind gathered (timings, HTTP status and
//! headers, TLS certificate, DNS answers, TCP reply, datastore role and
//! replication).

use std::net::SocketAddr;
use std::time::Duration;

use http::HeaderMap;
use jiff::{SignedDuration, Timestamp};

/// What one check of one monitor found.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// When the check started (from the injected clock).
    pub started_at: Timestamp,
    /// How long it took, end to end.
    pub duration: Duration,
    /// Passed, or failed with the reasons.
    pub outcome: Outcome,
    /// What the probe saw, as far as it got.
    pub details: Details,
}

/// Whether a check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held.
    Up,
    /// The check failed; each reason is precise and user-facing, e.g.
    /// `connect: connection refused`, `status == 200: got 503`.
    Down {
        /// Why, most important first; never empty.
        reasons: Vec<String>,
    },
}

/// What a probe saw. Each section is filled as far as the check got: a
/// check that timed out during the TLS handshake has timings for DNS and
/// connect, and no `http`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// How long each phase took.
    pub timing: Timings,
    /// The address the check connected to (the last one, after redirects).
    pub peer: Option<SocketAddr>,
    /// The HTTP response, for HTTP monitors.
    pub http: Option<HttpDetails>,
    /// The TLS session and the peer's certificate, for HTTPS and TLS monitors.
    pub tls: Option<TlsDetails>,
    /// The DNS answer, for DNS monitors.
    pub dns: Option<DnsDetails>,
    /// The reply read, for TCP monitors that send or expect bytes.
    pub tcp: Option<TcpDetails>,
    /// The server's role and replication state, for datastore monitors.
    pub datastore: Option<DatastoreDetails>,
}

/// How long each phase of a check took. A phase that did not happen (no DNS
/// lookup for an IP literal, no TLS for plain HTTP) is `None`. When
/// redirects are followed, the phases of every hop are added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Resolving the host name; for a DNS monitor, its query.
    pub dns: Option<Duration>,
    /// Establishing the TCP connection.
    pub connect: Option<Duration>,
    /// The TLS handshake.
    pub tls: Option<Duration>,
    /// From sending the request to receiving the response head (the
    /// server's think time plus one round trip); for TCP, to the first
    /// bytes of the reply.
    pub first_byte: Option<Duration>,
    /// The whole check.
    pub total: Duration,
}

/// The final HTTP response of an HTTP check.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpDetails {
    /// The status code, e.g. 200.
    pub status: u16,
    /// The protocol spoken: `HTTP/1.1` or `HTTP/2`.
    pub version: &'static str,
    /// The URL that gave the final response.
    pub url: String,
    /// The URLs redirected from, in order (empty without redirects).
    pub redirects: Vec<String>,
    /// The response headers (bounded by the client's header limits).
    pub headers: HeaderMap,
    /// Body bytes read; when the body was cut at the cap and the server
    /// declared a `Content-Length`, that declared length instead.
    pub body_size: u64,
    /// Whether reading stopped at the body cap before the end of the body.
    pub body_truncated: bool,
}

/// The TLS session of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDetails {
    /// The negotiated protocol version: `TLSv1.3` or `TLSv1.2`.
    pub version: &'static str,
    /// The ALPN protocol agreed on, e.g. `h2`, if any.
    pub alpn: Option<String>,
    /// The peer's leaf certificate, if it sent one that could be parsed.
    pub cert: Option<CertDetails>,
    /// Why the peer's chain did not verify (for the requested host, at the
    /// check's time, against the trusted roots), e.g. `self-signed
    /// certificate`; `None` if it did.
    pub problem: Option<String>,
}

/// What the peer's leaf certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertDetails {
    /// The subject's distinguished name, e.g. `CN=example.com`.
    pub subject: String,
    /// The issuer's distinguished name, e.g. `C=US, O=Let's Encrypt, CN=R11`.
    pub issuer: String,
    /// The DNS names and IP addresses the certificate is for.
    pub names: Vec<String>,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
    /// Issuer and subject are the same.
    pub self_signed: bool,
    /// How many certificates the peer sent, leaf included.
    pub chain_len: usize,
}

/// The DNS answer of a DNS check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsDetails {
    /// The response code: `NOERROR`, `NXDOMAIN`, `SERVFAIL`, …
    pub rcode: String,
    /// The answer records of the queried type, as text (`192.0.2.1`,
    /// `10 mail.example.com.`).
    pub answers: Vec<String>,
}

/// What a TCP check read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpDetails {
    /// The reply as text (invalid UTF-8 replaced), at most the read cap.
    pub received: String,
}

/// What a datastore check learned about the server, once it answered.
/// Anything it could not tell is `None`, and `note` says why when there is
/// more to say than "this kind does not report it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatastoreDetails {
    /// The protocol spoken: `postgres`, `mysql` or `redis`.
    pub kind: &'static str,
    /// Whether the server is a primary or a replica.
    pub role: Option<Role>,
    /// Whether the server refuses writes: PostgreSQL's
    /// `transaction_read_only`, MySQL's `@@read_only`; not read for Redis.
    pub read_only: Option<bool>,
    /// On a replica, whether its link to the primary is up: PostgreSQL's WAL
    /// receiver streaming, MySQL's IO and SQL threads running, Redis's
    /// `master_link_status:up`.
    pub link_up: Option<bool>,
    /// On a replica, how far behind the primary it is: PostgreSQL the age of
    /// the last replayed transaction (zero when all WAL received is
    /// replayed), MySQL `Seconds_Behind_Master`, Redis the seconds since the
    /// last exchange with the primary (or since the link went down).
    pub replication_lag: Option<Duration>,
    /// Why something above is unknown, e.g. `SHOW REPLICA STATUS: Access
    /// denied; you need (at least one of) the REPLICATION CLIENT privilege(s)`.
    pub note: Option<String>,
}

/// Whether a datastore server takes writes or follows another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes writes (PostgreSQL not in recovery, MySQL without a replication
    /// source, Redis `role:master`).
    Primary,
    /// Follows a primary.
    Replica,
}

impl Role {
    /// `primary` or `replica`, as expectations compare it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Replica => "replica",
        }
    }
}

impl DatastoreDetails {
    /// Details of a `kind` server of which nothing is known yet.
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            role: None,
            read_only: None,
            link_up: None,
            replication_lag: None,
            note: None,
        }
    }
}

impl CheckResult {
    /// A result with no probe details, e.g. a heartbeat's.
    pub fn new(started_at: Timestamp, duration: Duration, outcome: Outcome) -> Self {
        Self {
            started_at,
            duration,
            outcome,
            details: Details::default(),
        }
    }

    /// Whether the check passed.
    pub fn is_up(&self) -> bool {
        matches!(self.outcome, Outcome::Up)
    }

    /// The first failure reason, if the check failed.
    pub fn reason(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Up => None,
            Outcome::Down { reasons } => reasons.first().map(String::as_str),
        }
    }
}

impl CertDetails {
    /// Time left before the certificate expires, as of `now`; negative once
    /// it has expired.
    pub fn expires_in(&self, now: Timestamp) -> SignedDuration {
        self.not_after.duration_since(now)
    }
}

impl TlsDetails {
    /// Whether the peer's chain verified.
    pub fn valid(&self) -> bool {
        self.problem.is_none()
    }
}
