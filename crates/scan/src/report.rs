//! The shapes a scan returns: the domain report with pshtt's field names,
//! the four endpoint probes, TLS details, and the security baseline. Pure
//! data, serialisable both ways.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A value that was measured, or the reason it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured<T> {
    /// The value was measured.
    Known(T),
    /// It could not be measured, and why (e.g. `https://x.test/: not live`).
    Unknown(String),
}

impl<T> Measured<T> {
    /// The value, if it was measured.
    pub fn known(&self) -> Option<&T> {
        match self {
            Measured::Known(value) => Some(value),
            Measured::Unknown(_) => None,
        }
    }

    /// Why it was not measured, if it was not.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Measured::Known(_) => None,
            Measured::Unknown(reason) => Some(reason),
        }
    }
}

/// The result of scanning one domain: pshtt's fields under pshtt's names,
/// plus the four endpoint probes and the security baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainReport {
    /// The domain scanned (without `www.`), as pshtt's "Domain".
    #[serde(rename = "Domain")]
    pub domain: String,
    /// The registrable parent domain (a built-in heuristic, see `docs/pshtt.md`).
    #[serde(rename = "Base Domain")]
    pub base_domain: String,
    /// The URL of the endpoint judged canonical (pshtt's `canonical_endpoint`).
    #[serde(rename = "Canonical URL")]
    pub canonical_url: String,
    /// Any of the four endpoints answered HTTP.
    #[serde(rename = "Live")]
    pub live: bool,
    /// Any HTTPS endpoint answered.
    #[serde(rename = "HTTPS Live")]
    pub https_live: bool,
    /// Any HTTPS endpoint completed TLS and HTTP.
    #[serde(rename = "HTTPS Full Connection")]
    pub https_full_connection: bool,
    /// The domain only redirects elsewhere (every endpoint redirects to
    /// another base domain or is down).
    #[serde(rename = "Redirect")]
    pub redirect: bool,
    /// Where a redirect domain ends up.
    #[serde(rename = "Redirect To")]
    pub redirect_to: Option<String>,
    /// The canonical host answers HTTPS with a certificate that has no
    /// problem with respect to the trust store used.
    #[serde(rename = "Valid HTTPS")]
    pub valid_https: bool,
    /// The canonical HTTPS certificate chains to the public (webpki) roots.
    #[serde(rename = "HTTPS Publicly Trusted")]
    pub https_publicly_trusted: bool,
    /// It chains to the custom trust store; null when none was given.
    #[serde(rename = "HTTPS Custom Truststore Trusted")]
    pub https_custom_truststore_trusted: Option<bool>,
    /// The canonical endpoint is an https:// one.
    #[serde(rename = "Defaults to HTTPS")]
    pub defaults_to_https: bool,
    /// The canonical HTTPS endpoint redirects to http:// on the same domain.
    #[serde(rename = "Downgrades HTTPS")]
    pub downgrades_https: bool,
    /// An HTTPS endpoint is live and both HTTP endpoints are down or redirect
    /// immediately to https://.
    #[serde(rename = "Strictly Forces HTTPS")]
    pub strictly_forces_https: bool,
    /// The canonical HTTPS chain does not verify (other than for expiry,
    /// self-signature or hostname).
    #[serde(rename = "HTTPS Bad Chain")]
    pub https_bad_chain: bool,
    /// The canonical HTTPS certificate does not name the host.
    #[serde(rename = "HTTPS Bad Hostname")]
    pub https_bad_hostname: bool,
    /// The canonical HTTPS leaf certificate has expired.
    #[serde(rename = "HTTPS Expired Cert")]
    pub https_expired_cert: bool,
    /// The canonical HTTPS leaf certificate is self-signed.
    #[serde(rename = "HTTPS Self Signed Cert")]
    pub https_self_signed_cert: bool,
    /// The canonical HTTPS endpoint sends a valid HSTS header (over HTTPS
    /// only); null without a full HTTPS connection.
    #[serde(rename = "HSTS")]
    pub hsts: Option<bool>,
    /// The canonical HTTPS endpoint's raw HSTS header.
    #[serde(rename = "HSTS Header")]
    pub hsts_header: Option<String>,
    /// Its max-age, in seconds.
    #[serde(rename = "HSTS Max Age")]
    pub hsts_max_age: Option<i64>,
    /// The root HTTPS endpoint's HSTS has includeSubDomains.
    #[serde(rename = "HSTS Entire Domain")]
    pub hsts_entire_domain: Option<bool>,
    /// The root HTTPS endpoint's HSTS has max-age >= 31536000,
    /// includeSubDomains and preload.
    #[serde(rename = "HSTS Preload Ready")]
    pub hsts_preload_ready: Option<bool>,
    /// The domain is on the pending preload list; null without a list.
    #[serde(rename = "HSTS Preload Pending")]
    pub hsts_preload_pending: Option<bool>,
    /// The domain is on the preload list; null without a list.
    #[serde(rename = "HSTS Preloaded")]
    pub hsts_preloaded: Option<bool>,
    /// The base domain is on the preload list; null without a list.
    #[serde(rename = "Base Domain HSTS Preloaded")]
    pub base_domain_hsts_preloaded: Option<bool>,
    /// Valid HTTPS (or a bad chain with a good hostname) and no downgrade.
    #[serde(rename = "Domain Supports HTTPS")]
    pub domain_supports_https: bool,
    /// Supports HTTPS, strictly forces it, and defaults to it (or is an
    /// HTTP redirect domain).
    #[serde(rename = "Domain Enforces HTTPS")]
    pub domain_enforces_https: bool,
    /// HSTS with max-age >= 31536000; null without a full HTTPS connection.
    #[serde(rename = "Domain Uses Strong HSTS")]
    pub domain_uses_strong_hsts: Option<bool>,
    /// The address connected to (canonical endpoint first).
    #[serde(rename = "IP")]
    pub ip: Option<IpAddr>,
    /// The Server header (canonical endpoint first), commas as semicolons.
    #[serde(rename = "Server Header")]
    pub server_header: Option<String>,
    /// The version in the Server header, e.g. `1.22.1` of `nginx/1.22.1`.
    #[serde(rename = "Server Version")]
    pub server_version: Option<String>,
    /// Certificates the canonical HTTPS endpoint sent.
    #[serde(rename = "HTTPS Cert Chain Length")]
    pub https_cert_chain_length: Option<usize>,
    /// A single, not self-signed certificate that does not verify.
    #[serde(rename = "HTTPS Probably Missing Intermediate Cert")]
    pub https_probably_missing_intermediate_cert: bool,
    /// Remarks about the scan, `;`-separated.
    #[serde(rename = "Notes")]
    pub notes: String,
    /// Something went wrong that is not a plain connection failure.
    #[serde(rename = "Unknown Error")]
    pub unknown_error: bool,
    /// The four endpoint probes.
    pub endpoints: Endpoints,
    /// The security baseline of the canonical endpoint.
    pub baseline: Baseline,
}

/// pshtt's four endpoints of a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    /// `http://domain/`
    pub http: Endpoint,
    /// `http://www.domain/`
    pub httpwww: Endpoint,
    /// `https://domain/`
    pub https: Endpoint,
    /// `https://www.domain/`
    pub httpswww: Endpoint,
}

/// What one GET (without following redirects) of one endpoint showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The URL requested.
    pub url: String,
    /// `http` or `https`.
    pub protocol: String,
    /// `root` or `www`.
    pub host: String,
    /// The host name requested.
    pub hostname: String,
    /// It answered with a parsable HTTP response.
    pub live: bool,
    /// The address connected to.
    pub ip: Option<IpAddr>,
    /// A TCP connection was established (even if TLS or HTTP then failed).
    pub connected: bool,
    /// The HTTP status.
    pub status: Option<u16>,
    /// Why it is not live (connection refused, timeout, bad response…).
    pub error: Option<String>,
    /// Something failed that is not a plain connection failure.
    pub unknown_error: bool,
    /// The security-relevant response headers (lower-case names; repeated
    /// headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// Every `Set-Cookie` header, verbatim.
    pub set_cookies: Vec<String>,
    /// The Server header.
    pub server_header: Option<String>,
    /// The version in the Server header.
    pub server_version: Option<String>,
    /// A 3xx with a Location.
    pub redirect: bool,
    /// The Location, made absolute.
    pub redirect_immediately_to: Option<String>,
    /// It points at `www.` + this host.
    pub redirect_immediately_to_www: bool,
    /// It points at an https:// URL.
    pub redirect_immediately_to_https: bool,
    /// It points at an http:// URL.
    pub redirect_immediately_to_http: bool,
    /// It points at another base domain.
    pub redirect_immediately_to_external: bool,
    /// It points at another host of the same base domain.
    pub redirect_immediately_to_subdomain: bool,
    /// Every URL visited following the redirects, this one first.
    pub redirect_chain: Vec<String>,
    /// Where the redirects end.
    pub redirect_eventually_to: Option<String>,
    /// They end at an https:// URL.
    pub redirect_eventually_to_https: bool,
    /// They end at an http:// URL.
    pub redirect_eventually_to_http: bool,
    /// They end on another base domain.
    pub redirect_eventually_to_external: bool,
    /// They end on another host of the same base domain.
    pub redirect_eventually_to_subdomain: bool,
    /// Why the redirects could not be followed to the end.
    pub redirect_error: Option<String>,
    /// HTTPS endpoint: live with no certificate problem.
    pub https_valid: bool,
    /// HTTPS endpoint: TLS and HTTP both completed.
    pub https_full_connection: bool,
    /// HTTPS endpoint: a valid HSTS header (max-age > 0, hostname good).
    pub hsts: Option<bool>,
    /// The raw HSTS header.
    pub hsts_header: Option<String>,
    /// Its max-age.
    pub hsts_max_age: Option<i64>,
    /// Its includeSubDomains.
    pub hsts_all_subdomains: bool,
    /// Its preload.
    pub hsts_preload: bool,
    /// The TLS session, for https endpoints that completed a handshake.
    pub tls: Option<TlsInfo>,
}

impl Endpoint {
    /// Whether this endpoint's certificate does not name its host.
    pub fn https_bad_hostname(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.bad_hostname)
    }
}

/// The TLS session of an https endpoint and how its certificate verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: Option<String>,
    /// Certificates the server sent, leaf included.
    pub chain_length: usize,
    /// The leaf's subject.
    pub subject: Option<String>,
    /// The leaf's issuer.
    pub issuer: Option<String>,
    /// The leaf's DNS and IP names.
    pub names: Vec<String>,
    /// The leaf's notAfter, as Unix seconds.
    pub not_after: Option<i64>,
    /// The leaf has expired.
    pub expired: bool,
    /// The leaf's issuer is its subject.
    pub self_signed: bool,
    /// The chain does not verify against the trust store used, for another
    /// reason than the three above.
    pub bad_chain: bool,
    /// The leaf does not name the host.
    pub bad_hostname: bool,
    /// The chain verifies against the public (webpki) roots.
    pub publicly_trusted: bool,
    /// The chain verifies against the custom trust store; null without one.
    pub custom_trusted: Option<bool>,
    /// One certificate, not self-signed, not verifying.
    pub missing_intermediate: bool,
    /// The verifier's complaints, as text.
    pub problems: Vec<String>,
}

impl TlsInfo {
    /// No certificate problem with respect to the trust store used.
    pub fn valid(&self) -> bool {
        !(self.expired || self.self_signed || self.bad_chain || self.bad_hostname)
    }
}

/// The security baseline of the endpoint the domain is used through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// The endpoint measured (canonical, else the live https one); null when
    /// none was live.
    pub url: Option<String>,
    /// Browser security headers on that endpoint's response.
    pub headers: Measured<SecurityHeaders>,
    /// Cookies that response sets.
    pub cookies: Measured<Vec<CookieFlags>>,
    /// Repository, environment and backup files probed with GET.
    pub exposed_files: Vec<PathProbe>,
    /// Directories probed for an autoindex listing.
    pub directory_listing: Vec<PathProbe>,
    /// `Server`/`X-Powered-By` values that carry a version number (empty:
    /// none).
    pub version_disclosure: Measured<Vec<String>>,
    /// TLS protocol versions the HTTPS endpoint accepts.
    pub tls_versions: TlsVersions,
    /// `/.well-known/security.txt` answers 200 with a `Contact:` line.
    pub security_txt: Measured<bool>,
}

/// The browser security headers of one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityHeaders {
    /// Content-Security-Policy, if sent.
    pub content_security_policy: Option<String>,
    /// The policy has a frame-ancestors directive.
    pub csp_frame_ancestors: bool,
    /// X-Content-Type-Options is `nosniff`.
    pub x_content_type_options_nosniff: bool,
    /// X-Frame-Options, if sent.
    pub x_frame_options: Option<String>,
    /// Referrer-Policy, if sent.
    pub referrer_policy: Option<String>,
}

/// One cookie a response sets and its protective attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieFlags {
    /// The cookie's name.
    pub name: String,
    /// It has `Secure`.
    pub secure: bool,
    /// It has `HttpOnly`.
    pub http_only: bool,
    /// Its `SameSite` value, if any.
    pub same_site: Option<String>,
}

impl CookieFlags {
    /// What is missing (`Secure`, `HttpOnly`, `SameSite`, or
    /// `SameSite=None`); empty when the cookie is fully flagged.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.secure {
            missing.push("Secure");
        }
        if !self.http_only {
            missing.push("HttpOnly");
        }
        match self.same_site.as_deref() {
            None => missing.push("SameSite"),
            Some(v) if v.eq_ignore_ascii_case("none") => missing.push("SameSite=None"),
            Some(_) => {}
        }
        missing
    }
}

/// A GET of one path and whether it exposes something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathProbe {
    /// The path probed, e.g. `/.git/HEAD`.
    pub path: String,
    /// The HTTP status, if a response came.
    pub status: Option<u16>,
    /// It exposes the file (or a listing), or why that is unknown.
    pub exposed: Measured<bool>,
}

/// TLS protocol versions the HTTPS endpoint accepts, each probed on its own
/// connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsVersions {
    /// TLS 1.0 (hand-built ClientHello).
    pub tls1_0: Measured<bool>,
    /// TLS 1.1 (hand-built ClientHello).
    pub tls1_1: Measured<bool>,
    /// TLS 1.2 (rustls).
    pub tls1_2: Measured<bool>,
    /// TLS 1.3 (rustls).
    pub tls1_3: Measured<bool>,
}
