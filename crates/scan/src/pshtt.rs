//! pshtt's method: probe the four endpoints (`basic_check`), read HSTS on
//! the HTTPS ones (`hsts_check`), pick the canonical endpoint
//! (`canonical_endpoint`), then derive the domain-level judgments
//! (`result_for`). Function names follow pshtt's so the two can be read
//! side by side.

use std::collections::{BTreeMap, BTreeSet};

use url::Url;

use crate::fetch::{self, Ctx};
use crate::report::{Baseline, DomainReport, Endpoint, Endpoints};

/// Headers an endpoint probe keeps.
const HEADERS_OF_INTEREST: &[&str] = &[
    "server",
    "x-powered-by",
    "location",
    "strict-transport-security",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-type",
];

/// A not-yet-probed endpoint of `domain`.
pub(crate) fn new_endpoint(protocol: &str, www: bool, domain: &str, port: Option<u16>) -> Endpoint {
    let hostname = if www {
        format!("www.{domain}")
    } else {
        domain.to_owned()
    };
    let url = match port {
        Some(port) => format!("{protocol}://{hostname}:{port}/"),
        None => format!("{protocol}://{hostname}/"),
    };
    Endpoint {
        url,
        protocol: protocol.to_owned(),
        host: if www { "www" } else { "root" }.to_owned(),
        hostname,
        live: false,
        ip: None,
        connected: false,
        status: None,
        error: None,
        unknown_error: false,
        headers: BTreeMap::new(),
        set_cookies: Vec::new(),
        server_header: None,
        server_version: None,
        redirect: false,
        redirect_immediately_to: None,
        redirect_immediately_to_www: false,
        redirect_immediately_to_https: false,
        redirect_immediately_to_http: false,
        redirect_immediately_to_external: false,
        redirect_immediately_to_subdomain: false,
        redirect_chain: Vec::new(),
        redirect_eventually_to: None,
        redirect_eventually_to_https: false,
        redirect_eventually_to_http: false,
        redirect_eventually_to_external: false,
        redirect_eventually_to_subdomain: false,
        redirect_error: None,
        https_valid: false,
        https_full_connection: false,
        hsts: None,
        hsts_header: None,
        hsts_max_age: None,
        hsts_all_subdomains: false,
        hsts_preload: false,
        tls: None,
    }
}

/// pshtt's `basic_check`: one GET without redirects; if it redirects,
/// note where to, then follow the chain (certificate errors ignored) to
/// find where it ends.
pub(crate) async fn basic_check(ctx: &Ctx<'_>, endpoint: &mut Endpoint) {
    // An IP address has no `www.` variant: that endpoint is simply absent,
    // not an error.
    if endpoint.host == "www"
        && let Some(ip) = endpoint.hostname.strip_prefix("www.")
        && ip
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok()
    {
        endpoint.error = Some(format!("{ip} is an IP address: there is no www variant"));
        return;
    }
    let Ok(url) = Url::parse(&endpoint.url) else {
        endpoint.error = Some(format!("invalid URL `{}`", endpoint.url));
        endpoint.unknown_error = true;
        return;
    };
    let fetched = fetch::get(ctx, &url, false).await;
    endpoint.ip = fetched.ip;
    endpoint.connected = fetched.connected;
    endpoint.unknown_error = fetched.unknown_error;
    if endpoint.protocol == "https" {
        endpoint.tls = fetched.tls;
    }
    let Some(response) = fetched.response else {
        endpoint.error = fetched.error;
        return;
    };
    endpoint.live = true;
    endpoint.status = Some(response.status);
    if endpoint.protocol == "https" {
        endpoint.https_full_connection = true;
        endpoint.https_valid = endpoint.tls.as_ref().is_some_and(|t| t.valid());
    }
    for name in HEADERS_OF_INTEREST {
        let values: Vec<&str> = response
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if !values.is_empty() {
            endpoint
                .headers
                .insert((*name).to_owned(), values.join(", "));
        }
    }
    endpoint.set_cookies = response
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    endpoint.server_header = endpoint.headers.get("server").cloned();
    endpoint.server_version = endpoint.server_header.as_deref().and_then(server_version);

    let location = endpoint.headers.get("location").cloned();
    let Some(location) = location.filter(|_| (300..400).contains(&response.status)) else {
        return;
    };
    endpoint.redirect = true;
    let Ok(immediate) = url.join(location.trim()) else {
        endpoint.redirect_error = Some(format!("invalid Location `{location}`"));
        endpoint.unknown_error = true;
        return;
    };
    let original_host = endpoint.hostname.clone();
    let original_base = parent_domain_for(&original_host);
    let immediate_host = immediate
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let immediate_base = parent_domain_for(&immediate_host);
    endpoint.redirect_immediately_to = Some(immediate.to_string());
    endpoint.redirect_immediately_to_https = immediate.scheme() == "https";
    endpoint.redirect_immediately_to_http = immediate.scheme() == "http";
    endpoint.redirect_immediately_to_external = original_base != immediate_base;
    endpoint.redirect_immediately_to_subdomain =
        original_base == immediate_base && original_host != immediate_host;
    endpoint.redirect_immediately_to_www = immediate_host == format!("www.{original_host}");

    match follow(ctx, url, immediate.clone()).await {
        (chain, Ok(eventual)) => {
            endpoint.redirect_chain = chain;
            let host = eventual.host_str().unwrap_or_default().to_ascii_lowercase();
            let base = parent_domain_for(&host);
            endpoint.redirect_eventually_to = Some(eventual.to_string());
            endpoint.redirect_eventually_to_https = eventual.scheme() == "https";
            endpoint.redirect_eventually_to_http = eventual.scheme() == "http";
            endpoint.redirect_eventually_to_external = original_base != base;
            endpoint.redirect_eventually_to_subdomain =
                original_base == base && original_host != host;
        }
        (chain, Err(e)) => {
            endpoint.redirect_chain = chain;
            endpoint.redirect_error = Some(e);
            // pshtt: when the chain breaks after an external first hop, the
            // first hop stands for the destination.
            if endpoint.redirect_immediately_to_external {
                endpoint.redirect_eventually_to = endpoint.redirect_immediately_to.clone();
                endpoint.redirect_eventually_to_https = endpoint.redirect_immediately_to_https;
                endpoint.redirect_eventually_to_http = endpoint.redirect_immediately_to_http;
                endpoint.redirect_eventually_to_external = true;
                endpoint.redirect_eventually_to_subdomain = false;
            }
        }
    }
}

/// Follows redirects from `start` (whose first hop is `next`) to the URL
/// that answers without one. Returns the chain visited and the end, or why
/// it could not be reached.
async fn follow(ctx: &Ctx<'_>, start: Url, mut next: Url) -> (Vec<String>, Result<Url, String>) {
    let mut chain = vec![start.to_string()];
    for _ in 0..ctx.opts.max_redirects {
        if chain.contains(&next.to_string()) {
            chain.push(next.to_string());
            return (chain, Err("redirect loop".into()));
        }
        chain.push(next.to_string());
        let fetched = fetch::get(ctx, &next, false).await;
        let Some(response) = fetched.response else {
            let error = fetched.error.unwrap_or_else(|| "no response".into());
            return (chain, Err(format!("{next}: {error}")));
        };
        let location = response
            .headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .filter(|_| (300..400).contains(&response.status));
        match location {
            None => return (chain, Ok(next)),
            Some(location) => match next.join(location.trim()) {
                Ok(target) => next = target,
                Err(_) => return (chain, Err(format!("{next}: invalid Location `{location}`"))),
            },
        }
    }
    (
        chain,
        Err(format!("more than {} redirects", ctx.opts.max_redirects)),
    )
}

/// pshtt's `hsts_check`: HSTS counts only on an HTTPS endpoint that
/// answered with a certificate for its host, and only with max-age > 0.
pub(crate) fn hsts_check(endpoint: &mut Endpoint) {
    if !endpoint.https_full_connection {
        return;
    }
    if endpoint.https_bad_hostname() {
        endpoint.hsts = Some(false);
        return;
    }
    let Some(header) = endpoint.headers.get("strict-transport-security").cloned() else {
        endpoint.hsts = Some(false);
        return;
    };
    endpoint.hsts_header = Some(header.clone());
    // Several headers arrive joined by ", "; like pshtt, read the first.
    let first = header.split(',').next().unwrap_or_default();
    for directive in first.split(';') {
        let directive = directive.trim();
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches(['"', '\'']))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("max-age") {
            endpoint.hsts_max_age = value.and_then(|v| v.parse::<i64>().ok());
        } else if name.eq_ignore_ascii_case("includesubdomains") {
            endpoint.hsts_all_subdomains = true;
        } else if name.eq_ignore_ascii_case("preload") {
            endpoint.hsts_preload = true;
        }
    }
    endpoint.hsts = Some(endpoint.hsts_max_age.is_some_and(|age| age > 0));
}

/// One year, the max-age of "strong" HSTS and of preload readiness.
pub const ONE_YEAR: i64 = 31_536_000;

/// Scan-wide inputs of the judgments: preload lists, when the caller has
/// them, and whether a custom trust store was used.
pub(crate) struct Preload<'a> {
    pub list: Option<&'a BTreeSet<String>>,
    pub pending: Option<&'a BTreeSet<String>>,
    /// A custom trust store was given (else its field is null).
    pub custom_store: bool,
}

/// pshtt's `result_for`: the domain-level judgments from the four probes.
pub(crate) fn result_for(
    domain: &str,
    endpoints: Endpoints,
    preload: Preload<'_>,
    mut notes: Vec<String>,
    baseline: Baseline,
) -> DomainReport {
    let e = &endpoints;
    let canonical = canonical_endpoint(e);
    let canonical_https = if canonical.host == "www" {
        &e.httpswww
    } else {
        &e.https
    };
    let live = e.http.live || e.httpwww.live || e.https.live || e.httpswww.live;
    let https_live = e.https.live || e.httpswww.live;
    let full = e.https.https_full_connection || e.httpswww.https_full_connection;
    let redirect = is_redirect_domain(e, live);
    let tls = canonical_https.tls.as_ref();
    let flag = |f: fn(&crate::report::TlsInfo) -> bool| tls.is_some_and(f);
    let bad_chain = flag(|t| t.bad_chain);
    let bad_hostname = flag(|t| t.bad_hostname);
    let valid_https = canonical_https.live && canonical_https.https_valid;
    let downgrades = {
        let supports = (e.https.live && !e.https.https_bad_hostname())
            || (e.httpswww.live && !e.httpswww.https_bad_hostname());
        supports
            && canonical_https.redirect_immediately_to_http
            && !canonical_https.redirect_immediately_to_external
    };
    let defaults_to_https = canonical.protocol == "https";
    let strictly_forces = {
        let down_or_upgrades = |ep: &Endpoint| !ep.live || ep.redirect_immediately_to_https;
        https_live && down_or_upgrades(&e.http) && down_or_upgrades(&e.httpwww)
    };
    let supports = (!downgrades && valid_https) || (!downgrades && bad_chain && !bad_hostname);
    let http_redirect_domain = live
        && (e.http.redirect_eventually_to_external || e.httpwww.redirect_eventually_to_external)
        && is_redirect_or_down(&e.httpwww)
        && is_redirect_or_down(&e.http);
    let enforces = supports && strictly_forces && (defaults_to_https || http_redirect_domain);

    // The HSTS fields stay null without a full HTTPS connection (pshtt).
    let hsts_field = |v: bool| full.then_some(v);
    let hsts = canonical_https.hsts.unwrap_or(false);
    let max_age = canonical_https.hsts_max_age;
    let root = &e.https;
    let preload_ready = root.hsts_max_age.is_some_and(|a| a >= ONE_YEAR)
        && root.hsts_all_subdomains
        && root.hsts_preload;
    let strong = hsts && max_age.is_some_and(|a| a >= ONE_YEAR);

    let base_domain = parent_domain_for(domain);
    if preload.list.is_none() {
        notes.push(
            "no HSTS preload list given: HSTS Preloaded and Base Domain HSTS Preloaded are null"
                .into(),
        );
    }
    if preload.pending.is_none() {
        notes.push("no pending preload list given: HSTS Preload Pending is null".into());
    }
    let order = [canonical, &e.https, &e.httpswww, &e.httpwww, &e.http];
    let ip = order.iter().find_map(|ep| ep.ip);
    let server_header = order
        .iter()
        .find_map(|ep| ep.server_header.clone())
        .map(|s| s.replace(',', ";"));
    let server_version = order.iter().find_map(|ep| ep.server_version.clone());
    let unknown_error = [&e.http, &e.httpwww, &e.https, &e.httpswww]
        .iter()
        .any(|ep| ep.unknown_error);

    DomainReport {
        domain: domain.to_owned(),
        base_domain: base_domain.clone(),
        canonical_url: canonical.url.clone(),
        live,
        https_live,
        https_full_connection: full,
        redirect,
        redirect_to: if redirect {
            canonical.redirect_eventually_to.clone()
        } else {
            None
        },
        valid_https,
        https_publicly_trusted: canonical_https.live && flag(|t| t.publicly_trusted),
        https_custom_truststore_trusted: preload
            .custom_store
            .then(|| canonical_https.live && tls.and_then(|t| t.custom_trusted) == Some(true)),
        defaults_to_https,
        downgrades_https: downgrades,
        strictly_forces_https: strictly_forces,
        https_bad_chain: bad_chain,
        https_bad_hostname: bad_hostname,
        https_expired_cert: flag(|t| t.expired),
        https_self_signed_cert: flag(|t| t.self_signed),
        hsts: hsts_field(hsts),
        hsts_header: canonical_https.hsts_header.clone(),
        hsts_max_age: max_age,
        hsts_entire_domain: hsts_field(root.hsts_all_subdomains),
        hsts_preload_ready: hsts_field(preload_ready),
        hsts_preload_pending: preload.pending.map(|p| p.contains(domain)),
        hsts_preloaded: preload.list.map(|p| p.contains(domain)),
        base_domain_hsts_preloaded: preload.list.map(|p| p.contains(&base_domain)),
        domain_supports_https: supports,
        domain_enforces_https: enforces,
        domain_uses_strong_hsts: hsts_field(strong),
        ip,
        server_header,
        server_version,
        https_cert_chain_length: tls.map(|t| t.chain_length),
        https_probably_missing_intermediate_cert: flag(|t| t.missing_intermediate),
        notes: notes.join("; "),
        unknown_error,
        endpoints,
        baseline,
    }
}

/// pshtt's `canonical_endpoint`: www if a www endpoint is used and both
/// roots are unused (down, redirecting, or not 2xx) with the roots down or
/// redirecting straight to www; https if an https endpoint is live with a
/// good hostname and both http endpoints are unused, with both down or one
/// upgrading to https on the same base domain.
pub(crate) fn canonical_endpoint(e: &Endpoints) -> &Endpoint {
    let is_2xx = |ep: &Endpoint| ep.status.is_some_and(|s| (200..300).contains(&s));
    let is_3xx = |ep: &Endpoint| ep.status.is_some_and(|s| (300..400).contains(&s));
    let at_least_one_www_used = e.httpswww.live || e.httpwww.live;
    let root_unused =
        |ep: &Endpoint| ep.redirect || !ep.live || ep.https_bad_hostname() || !is_2xx(ep);
    let root_down =
        |ep: &Endpoint| !ep.live || ep.https_bad_hostname() || (!is_2xx(ep) && !is_3xx(ep));
    let all_roots_unused = root_unused(&e.https) && root_unused(&e.http);
    let all_roots_down = root_down(&e.https) && root_down(&e.http);
    let is_www = at_least_one_www_used
        && all_roots_unused
        && (all_roots_down
            || e.https.redirect_immediately_to_www
            || e.http.redirect_immediately_to_www);

    let https_used = |ep: &Endpoint| ep.live && !ep.https_bad_hostname();
    let http_unused = |ep: &Endpoint| ep.redirect || !ep.live || !is_2xx(ep);
    let http_upgrades =
        |ep: &Endpoint| ep.redirect_immediately_to_https && !ep.redirect_immediately_to_external;
    let is_https = (https_used(&e.https) || https_used(&e.httpswww))
        && http_unused(&e.http)
        && http_unused(&e.httpwww)
        && ((!e.http.live && !e.httpwww.live)
            || http_upgrades(&e.http)
            || http_upgrades(&e.httpwww));

    match (is_www, is_https) {
        (true, true) => &e.httpswww,
        (true, false) => &e.httpwww,
        (false, true) => &e.https,
        (false, false) => &e.http,
    }
}

/// pshtt's `is_redirect_or_down`.
fn is_redirect_or_down(ep: &Endpoint) -> bool {
    ep.redirect_eventually_to_external
        || !ep.live
        || (ep.protocol == "https" && ep.https_bad_hostname())
        || ep.status.is_some_and(|s| s >= 400)
}

/// pshtt's `is_redirect_domain`: live, one endpoint redirects to another
/// base domain, and every endpoint redirects or is down.
fn is_redirect_domain(e: &Endpoints, live: bool) -> bool {
    let all = [&e.http, &e.httpwww, &e.https, &e.httpswww];
    live && all.iter().any(|ep| ep.redirect_eventually_to_external)
        && all.iter().all(|ep| is_redirect_or_down(ep))
}

/// Public suffixes of more than one label that the base-domain heuristic
/// knows (there is no public suffix list offline).
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "gov.uk", "ac.uk", "ltd.uk", "plc.uk", "me.uk", "net.uk", "com.au",
    "net.au", "org.au", "gov.au", "edu.au", "co.nz", "org.nz", "govt.nz", "co.jp", "ne.jp",
    "or.jp", "go.jp", "ac.jp", "com.br", "gov.br", "org.br", "co.in", "gov.in", "com.cn", "gov.cn",
    "com.mx", "gob.mx", "co.za", "gov.za", "com.sg", "gov.sg", "com.tr", "gov.tr", "co.kr",
    "go.kr", "com.ar", "gob.ar", "com.hk", "gov.hk", "com.tw", "gov.tw", "fed.us",
];

/// The registrable parent of `hostname` (`x.y.agency.gov` → `agency.gov`):
/// the last two labels, or three under a known two-label suffix.
pub(crate) fn parent_domain_for(hostname: &str) -> String {
    let host = hostname.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let take = if labels.len() >= 3
        && TWO_LABEL_SUFFIXES.contains(&labels[labels.len() - 2..].join(".").as_str())
    {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(take)..].join(".")
}

/// The version in a Server-like header: what follows the first `/` when it
/// starts with a digit (`nginx/1.22.1` → `1.22.1`), else the first
/// `digits.digits` token.
pub(crate) fn server_version(header: &str) -> Option<String> {
    for token in header.split([' ', '(', ')', ';', ',']) {
        if let Some((_, version)) = token.split_once('/')
            && version.starts_with(|c: char| c.is_ascii_digit())
        {
            return Some(version.to_owned());
        }
    }
    header
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|t| {
            let mut parts = t.split('.');
            matches!((parts.next(), parts.next()), (Some(a), Some(b)) if !a.is_empty() && !b.is_empty())
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_domains() {
        assert_eq!(parent_domain_for("www.agency.gov"), "agency.gov");
        assert_eq!(parent_domain_for("a.b.agency.gov"), "agency.gov");
        assert_eq!(parent_domain_for("www.example.co.uk"), "example.co.uk");
        assert_eq!(parent_domain_for("good.test"), "good.test");
    }

    #[test]
    fn server_versions() {
        assert_eq!(server_version("nginx/1.22.1").as_deref(), Some("1.22.1"));
        assert_eq!(
            server_version("Apache/2.4 (Debian)").as_deref(),
            Some("2.4")
        );
        assert_eq!(
            server_version("Microsoft-IIS/10.0").as_deref(),
            Some("10.0")
        );
        assert_eq!(server_version("nginx"), None);
        assert_eq!(server_version("cloudflare"), None);
    }

    #[test]
    fn hsts_parsing() {
        let mut ep = new_endpoint("https", false, "x.test", None);
        ep.live = true;
        ep.https_full_connection = true;
        ep.headers.insert(
            "strict-transport-security".into(),
            "max-age=\"31536000\"; includeSubDomains; preload".into(),
        );
        hsts_check(&mut ep);
        assert_eq!(ep.hsts, Some(true));
        assert_eq!(ep.hsts_max_age, Some(31_536_000));
        assert!(ep.hsts_all_subdomains && ep.hsts_preload);

        let mut zero = new_endpoint("https", false, "x.test", None);
        zero.https_full_connection = true;
        zero.headers
            .insert("strict-transport-security".into(), "max-age=0".into());
        hsts_check(&mut zero);
        assert_eq!(zero.hsts, Some(false));
    }
}
