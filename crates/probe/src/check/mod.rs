//! The checkers: one module per probe kind ([`http`], [`tcp`], [`dns`],
//! [`tls`] with [`smtp`] STARTTLS, [`datastore`] with [`redis`]) behind one
//! entry point, [`Checkers::run`], which probes once within the monitor's
//! timeout and judges what it saw — by the monitor's expectations, or by
//! the kind's default rule when it has none.
//!
//! [`Checkers`] holds what every check shares and is built once: the TLS
//! client (one `rustls` config, ring provider), the client-certificate
//! configs built so far ([`client_cert`]), the resolver for host names, and
//! the uncached resolvers of DNS checks.

mod cert;
mod client_cert;
mod datastore;
mod deadline;
mod dns;
mod error;
mod http;
mod net;
mod redis;
mod smtp;
mod subject;
mod tcp;
mod tls;

use std::net::SocketAddr;
use std::time::Duration;

use ::http::HeaderValue;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use shipshape_catalog::{Monitor, MonitorKind};
use shipshape_clock::Clock;
use shipshape_expect::Expectation;

use self::deadline::Deadline;
pub use self::error::CheckerError;
use self::net::HostResolver;
pub use self::subject::Observed;
use crate::result::{CheckResult, Details, Outcome};

/// Extra time a check may take past its timeout before it is cut off
/// without naming a phase; every phase already stops at the timeout.
const SLACK: Duration = Duration::from_millis(50);

/// How the checkers are set up.
#[derive(Debug, Clone)]
pub struct CheckerOptions {
    /// Root certificates (DER) trusted besides the webpki roots, e.g. a
    /// private CA.
    pub extra_roots: Vec<Vec<u8>>,
    /// The name server used for host names (through a caching resolver)
    /// and for DNS checks that name no resolver; `None` resolves host names
    /// with the operating system (`getaddrinfo`) and sends DNS checks to the
    /// name servers of `/etc/resolv.conf`.
    pub dns_resolver: Option<SocketAddr>,
    /// Most body bytes an HTTP check reads (default 1 MiB); the rest is
    /// not read and the body is marked truncated.
    pub max_body_bytes: usize,
    /// The `User-Agent` sent unless a monitor sets one.
    pub user_agent: String,
}

/// Runs checks. Build once with [`Checkers::new`] and share (`&self`; it is
/// `Send + Sync`).
#[derive(Debug)]
pub struct Checkers {
    tls: cert::TlsClient,
    client_certs: client_cert::ClientCerts,
    hosts: HostResolver,
    dns: dns::DnsResolvers,
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
    user_agent: HeaderValue,
    max_body_bytes: usize,
}

impl Default for CheckerOptions {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            dns_resolver: None,
            max_body_bytes: 1024 * 1024,
            user_agent: concat!("Shipshape/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl CheckerOptions {
    /// Adds the certificates of PEM text (one or more `BEGIN CERTIFICATE`
    /// blocks) to [`extra_roots`](Self::extra_roots).
    pub fn trust_pem(mut self, pem: &[u8]) -> Result<Self, CheckerError> {
        let before = self.extra_roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| CheckerError::Pem(e.to_string()))?;
            self.extra_roots.push(cert.as_ref().to_vec());
        }
        if self.extra_roots.len() == before {
            return Err(CheckerError::Pem("no `CERTIFICATE` block found".into()));
        }
        Ok(self)
    }
}

impl Checkers {
    /// Builds the shared TLS client and resolvers.
    pub fn new(options: CheckerOptions) -> Result<Self, CheckerError> {
        // The OS resolver by default: it honours /etc/hosts and nsswitch and
        // costs ~40 µs CPU per lookup here, where hickory's system mode was
        // slow on names from /etc/hosts (see `net::HostResolver`).
        let hosts = match options.dns_resolver {
            Some(addr) => HostResolver::Hickory(Box::new(dns::build_resolver(Some(addr), true)?)),
            None => HostResolver::System,
        };
        let mut http1 = http1::Builder::new();
        http1.max_headers(MAX_HEADERS).max_buf_size(MAX_HEAD_BYTES);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2.max_header_list_size(MAX_HEAD_BYTES as u32);
        let user_agent = HeaderValue::from_str(&options.user_agent).map_err(|_| {
            CheckerError::Tls(format!("invalid user agent `{}`", options.user_agent))
        })?;
        Ok(Self {
            tls: cert::TlsClient::new(&options.extra_roots)?,
            client_certs: client_cert::ClientCerts::default(),
            hosts,
            dns: dns::DnsResolvers::new(options.dns_resolver)?,
            http1,
            http2,
            user_agent,
            max_body_bytes: options.max_body_bytes,
        })
    }

    /// Checks `monitor` once, judged by its expectations, or with none by
    /// the kind's default: HTTP a 2xx final status (3xx too when redirects
    /// are not followed); TCP a connection (and the `expect` text); DNS
    /// `NOERROR` with answers; TLS a verified chain; a datastore a
    /// connection and a successful trivial query. A certificate that does
    /// not verify always fails an HTTPS or TLS check (nothing is sent over
    /// it), and a DNS monitor's `expect` answers are always required.
    ///
    /// Never panics and never takes much longer than `monitor.timeout`: a
    /// timeout names the phase that was running.
    pub async fn run(&self, monitor: &Monitor, clock: &dyn Clock) -> CheckResult {
        let started_at = clock.now();
        let deadline = Deadline::new(monitor.timeout);
        let mut details = Details::default();
        let probe = self.probe(monitor, started_at, &deadline, &mut details);
        let probed = match tokio::time::timeout_at(deadline.at() + SLACK, probe).await {
            Ok(probed) => probed,
            Err(_) => Err(format!(
                "timeout after {}",
                deadline::HumanDuration(monitor.timeout)
            )),
        };
        let duration = deadline.elapsed();
        details.timing.total = duration;
        let reasons = match probed {
            Err(reason) => vec![reason],
            Ok(seen) => judge(monitor, started_at, &details, seen),
        };
        let up = reasons.is_empty();
        let outcome = if up {
            Outcome::Up
        } else {
            Outcome::Down { reasons }
        };
        tracing::debug!(monitor = %monitor.id, kind = monitor.kind.name(), up, ?duration, "check done");
        CheckResult {
            started_at,
            duration,
            outcome,
            details,
        }
    }

    /// Runs the probe of the monitor's kind.
    async fn probe(
        &self,
        monitor: &Monitor,
        now: Timestamp,
        deadline: &Deadline,
        details: &mut Details,
    ) -> Result<Seen, String> {
        match &monitor.kind {
            MonitorKind::Http(spec) => {
                let body = http::probe(self, spec, now, deadline, details).await?;
                Ok(Seen {
                    body,
                    problems: Vec::new(),
                })
            }
            MonitorKind::Tcp(spec) => {
                let read_reply = monitor
                    .expect
                    .iter()
                    .flat_map(Expectation::fields)
                    .any(|f| f.root() == "tcp");
                let problems = tcp::probe(self, spec, read_reply, deadline, details).await?;
                Ok(Seen::problems(problems))
            }
            MonitorKind::Dns(spec) => {
                let problems = dns::probe(&self.dns, spec, deadline, details).await?;
                Ok(Seen::problems(problems))
            }
            MonitorKind::Tls(spec) => {
                tls::probe(self, spec, now, deadline, details).await?;
                Ok(Seen::problems(Vec::new()))
            }
            MonitorKind::Heartbeat(_) => Err(
                "heartbeat monitors are not probed: they are judged by the pings they receive"
                    .into(),
            ),
            MonitorKind::Datastore(check) => {
                datastore::probe(self, check, now, deadline, details).await?;
                Ok(Seen::problems(Vec::new()))
            }
        }
    }
}

/// Most response headers accepted (HTTP/1.1).
const MAX_HEADERS: usize = 100;
/// Largest response head accepted, in bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// What a probe that got an answer hands to the judge.
struct Seen {
    /// The body read (HTTP), empty otherwise.
    body: bytes::Bytes,
    /// Failures of the kind's own settings (`expect` text or answers),
    /// which hold with or without expectations.
    problems: Vec<String>,
}

impl Seen {
    /// What a probe without a body saw.
    fn problems(problems: Vec<String>) -> Self {
        Self {
            body: bytes::Bytes::new(),
            problems,
        }
    }
}

/// The reasons a probe that got an answer fails: its own problems, then
/// the failed expectations, or the kind's default rule when there are none.
fn judge(monitor: &Monitor, started_at: Timestamp, details: &Details, seen: Seen) -> Vec<String> {
    let mut reasons = seen.problems;
    if monitor.expect.is_empty() {
        let default = match (&monitor.kind, &details.http, &details.dns) {
            (MonitorKind::Http(spec), Some(http), _) => http::default_verdict(spec, http),
            (MonitorKind::Dns(spec), _, Some(dns)) => dns::default_verdict(spec, dns),
            _ => None,
        };
        reasons.extend(default);
        return reasons;
    }
    let observed = Observed::new(details, started_at, &seen.body);
    for expectation in &monitor.expect {
        let verdict = expectation.evaluate(&observed);
        if !verdict.passed {
            reasons.push(verdict.detail);
        }
    }
    reasons
}
