//! HTTPS posture and security baseline of one domain, as the `pshtt`
//! scanner (cisagov/pshtt) computes it.
//!
//! [`scan`] probes the domain's four endpoints (`http://`, `http://www.`,
//! `https://`, `https://www.`), judges them with pshtt's rules (canonical
//! URL, Valid HTTPS, HSTS, Domain Enforces HTTPS, …) and measures a security
//! baseline of the canonical endpoint (headers, cookies, exposed files,
//! version disclosure, TLS versions, security.txt). The [`DomainReport`]
//! serialises with pshtt's field names.
//!
//! What it is not: a crawler, a vulnerability scanner, or a monitor. It
//! sends a bounded number of GETs to one domain, never follows links,
//! never posts, never retries, and never fails: every problem (a refused
//! connection, a hang, garbage on the wire) is recorded in the report, and
//! a per-request timeout plus an overall deadline bound the whole scan. It
//! downloads nothing (no preload list, no public suffix list); callers
//! pass what they have in [`ScanOptions`].

#![warn(missing_docs)]

mod baseline;
mod error;
mod fetch;
mod pshtt;
mod report;
mod tls;
mod versions;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

pub use baseline::{EXPOSED_FILES, LISTING_DIRS};
pub use error::ScanError;
pub use pshtt::ONE_YEAR;
pub use report::{
    Baseline, CookieFlags, DomainReport, Endpoint, Endpoints, Measured, PathProbe, SecurityHeaders,
    TlsInfo, TlsVersions,
};

/// How a scan connects and how long it may take.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Time allowed to one request (connect, TLS, response head, body).
    /// Default 5 s, like pshtt.
    pub timeout: Duration,
    /// Time allowed to the whole scan; requests still pending when it
    /// passes are recorded as timed out. Default 60 s.
    pub deadline: Duration,
    /// Host → address overrides, like curl's `--resolve`; other hosts use
    /// system DNS.
    pub resolve: BTreeMap<String, IpAddr>,
    /// The port of http:// URLs without one. Default 80.
    pub http_port: u16,
    /// The port of https:// URLs without one. Default 443.
    pub https_port: u16,
    /// A custom trust store (`--ca-file`, see [`load_ca_file`]). When not
    /// empty, certificates are judged against it (pshtt's "Custom" store)
    /// and "HTTPS Custom Truststore Trusted" is reported.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Redirects followed to find where an endpoint ends up. Default 10.
    pub max_redirects: u32,
    /// The most body bytes read from any response. Default 256 KiB.
    pub max_body_bytes: usize,
    /// Domains on the HSTS preload list (see [`load_preload_list`]); `None`
    /// leaves "HSTS Preloaded" and "Base Domain HSTS Preloaded" null.
    pub preload_list: Option<BTreeSet<String>>,
    /// Domains pending preload; `None` leaves "HSTS Preload Pending" null.
    pub preload_pending: Option<BTreeSet<String>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(60),
            resolve: BTreeMap::new(),
            http_port: 80,
            https_port: 443,
            extra_roots: Vec::new(),
            max_redirects: 10,
            max_body_bytes: 256 * 1024,
            preload_list: None,
            preload_pending: None,
        }
    }
}

/// Reads a PEM bundle of CA certificates for [`ScanOptions::extra_roots`].
pub fn load_ca_file(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, ScanError> {
    let path = path.as_ref();
    let pem = std::fs::read(path).map_err(|source| ScanError::Read {
        path: path.to_owned(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ScanError::BadPem {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(ScanError::NoCertificates {
            path: path.to_owned(),
        });
    }
    for (index, der) in certs.iter().enumerate() {
        let mut store = rustls::RootCertStore::empty();
        store.add(der.clone()).map_err(|e| ScanError::BadAnchor {
            path: path.to_owned(),
            index,
            reason: e.to_string(),
        })?;
    }
    Ok(certs)
}

/// Reads an HSTS preload list for [`ScanOptions::preload_list`] (or
/// `preload_pending`): Chromium's `transport_security_state_static.json`
/// (`//` comments allowed; entries with `include_subdomains`, as pshtt
/// counts them), a JSON array of names (pshtt's cache), or one name per
/// line.
pub fn load_preload_list(path: impl AsRef<Path>) -> Result<BTreeSet<String>, ScanError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ScanError::Read {
        path: path.to_owned(),
        source,
    })?;
    let bad = |reason: String| ScanError::BadPreloadList {
        path: path.to_owned(),
        reason,
    };
    // Chromium's file is JSON with `//` comment lines.
    let json: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let trimmed = json.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
        let names = match &value {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_ascii_lowercase))
                .collect(),
            serde_json::Value::Object(map) => map
                .get("entries")
                .and_then(|e| e.as_array())
                .ok_or_else(|| bad("no `entries` array".into()))?
                .iter()
                .filter(|e| e.get("include_subdomains").and_then(|v| v.as_bool()) == Some(true))
                .filter_map(|e| e.get("name").and_then(|n| n.as_str()))
                .map(str::to_ascii_lowercase)
                .collect(),
            _ => return Err(bad("neither an array nor an object".into())),
        };
        return Ok(names);
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_ascii_lowercase)
        .collect())
}

/// Scans `target` — a domain (`example.gov`) or a URL (`https://example.gov/`,
/// whose explicit port replaces the scan's port for that scheme). Never
/// panics and never fails: problems are recorded in the report.
pub async fn scan(target: &str, opts: &ScanOptions) -> DomainReport {
    let started = Instant::now();
    let mut opts = opts.clone();
    let mut notes = Vec::new();
    let (domain, invalid) = match parse_target(target, &mut opts) {
        Ok(domain) => (domain, None),
        Err(e) => (target.trim().to_ascii_lowercase(), Some(e)),
    };
    let trust = Arc::new(tls::Trust::new(&opts.extra_roots));
    notes.extend(trust.rejected.iter().cloned());
    let ctx = fetch::Ctx {
        opts: &opts,
        trust,
        deadline: started + opts.deadline,
    };
    let mut endpoints = Endpoints {
        http: pshtt::new_endpoint("http", false, &domain, explicit(opts.http_port, 80)),
        httpwww: pshtt::new_endpoint("http", true, &domain, explicit(opts.http_port, 80)),
        https: pshtt::new_endpoint("https", false, &domain, explicit(opts.https_port, 443)),
        httpswww: pshtt::new_endpoint("https", true, &domain, explicit(opts.https_port, 443)),
    };
    if let Some(e) = &invalid {
        notes.push(e.clone());
        for ep in [
            &mut endpoints.http,
            &mut endpoints.httpwww,
            &mut endpoints.https,
            &mut endpoints.httpswww,
        ] {
            ep.error = Some(e.clone());
        }
    } else {
        let Endpoints {
            http,
            httpwww,
            https,
            httpswww,
        } = &mut endpoints;
        futures::join!(
            pshtt::basic_check(&ctx, http),
            pshtt::basic_check(&ctx, httpwww),
            pshtt::basic_check(&ctx, https),
            pshtt::basic_check(&ctx, httpswww),
        );
        pshtt::hsts_check(https);
        pshtt::hsts_check(httpswww);
    }
    let baseline = baseline::measure(&ctx, &endpoints).await;
    let inputs = pshtt::Preload {
        list: opts.preload_list.as_ref(),
        pending: opts.preload_pending.as_ref(),
        custom_store: !opts.extra_roots.is_empty(),
    };
    pshtt::result_for(&domain, endpoints, inputs, notes, baseline)
}

/// The port to write into endpoint URLs: only a non-standard one.
fn explicit(port: u16, standard: u16) -> Option<u16> {
    (port != standard).then_some(port)
}

/// The domain of `target`; a URL's explicit port goes into `opts`.
fn parse_target(target: &str, opts: &mut ScanOptions) -> Result<String, String> {
    let target = target.trim();
    let host = if target.contains("://") {
        let url =
            url::Url::parse(target).map_err(|e| format!("invalid target URL `{target}`: {e}"))?;
        if let Some(port) = url.port() {
            match url.scheme() {
                "https" => opts.https_port = port,
                _ => opts.http_port = port,
            }
        }
        url.host_str()
            .ok_or_else(|| format!("target URL `{target}` has no host"))?
            .to_owned()
    } else {
        target.trim_end_matches('/').to_owned()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return Err(format!("invalid target `{target}`: give a domain or a URL"));
    }
    Ok(host)
}
