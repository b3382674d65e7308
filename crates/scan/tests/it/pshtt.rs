//! The pshtt matrix: one loopback site per case, the fields pshtt would
//! report for it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use shipshape_scan::{DomainReport, Measured, ScanOptions, scan};

use crate::harness::*;

const STRONG: &str = "max-age=31536000; includeSubDomains; preload";

/// A site: HTTP and HTTPS servers (either may be absent, i.e. a closed
/// port) for good.test and www.good.test.
struct Site {
    opts: ScanOptions,
}

impl Site {
    async fn new(
        ca: &Ca,
        http: Option<Script>,
        https: Option<(rustls::ServerConfig, Script)>,
    ) -> Site {
        let mut opts = ca.options();
        opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
        opts.http_port = match http {
            Some(script) => http_server(script).await,
            None => closed_port().await,
        };
        opts.https_port = match https {
            Some((config, script)) => https_server(config, script).await,
            None => closed_port().await,
        };
        Site { opts }
    }

    async fn scan(&self) -> DomainReport {
        scan("good.test", &self.opts).await
    }

    fn https_url(&self, host: &str) -> String {
        format!("https://{host}:{}/", self.opts.https_port)
    }

    fn http_url(&self, host: &str) -> String {
        format!("http://{host}:{}/", self.opts.http_port)
    }
}

fn to_https() -> Script {
    Arc::new(|req: &Req| redirect(&format!("https://{}/", req.host)))
}

fn hsts_page(hsts: &'static str) -> Script {
    Arc::new(move |_req: &Req| page(&[("Strict-Transport-Security", hsts)]))
}

fn both_names(ca: &Ca) -> Leaf {
    ca.leaf(&["good.test", "www.good.test"])
}

#[tokio::test]
async fn case01_valid_redirect_strong_hsts() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&both_names(&ca)), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert_eq!(r.domain, "good.test");
    assert_eq!(r.base_domain, "good.test");
    assert_eq!(r.canonical_url, site.https_url("good.test"));
    assert!(r.live && r.https_live && r.https_full_connection);
    assert!(!r.redirect);
    assert_eq!(r.redirect_to, None);
    assert!(r.valid_https);
    assert!(
        !r.https_publicly_trusted,
        "the test CA is not a public root"
    );
    assert_eq!(r.https_custom_truststore_trusted, Some(true));
    assert!(r.defaults_to_https && !r.downgrades_https && r.strictly_forces_https);
    assert!(!r.https_bad_chain && !r.https_bad_hostname);
    assert!(!r.https_expired_cert && !r.https_self_signed_cert);
    assert_eq!(r.hsts, Some(true));
    assert_eq!(r.hsts_header.as_deref(), Some(STRONG));
    assert_eq!(r.hsts_max_age, Some(31_536_000));
    assert_eq!(r.hsts_entire_domain, Some(true));
    assert_eq!(r.hsts_preload_ready, Some(true));
    assert_eq!(r.hsts_preloaded, None);
    assert_eq!(r.hsts_preload_pending, None);
    assert_eq!(r.base_domain_hsts_preloaded, None);
    assert!(r.notes.contains("no HSTS preload list"), "{}", r.notes);
    assert!(r.domain_supports_https && r.domain_enforces_https);
    assert_eq!(r.domain_uses_strong_hsts, Some(true));
    assert_eq!(r.ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(r.https_cert_chain_length, Some(2));
    assert!(!r.https_probably_missing_intermediate_cert);
    assert!(!r.unknown_error);
    let http = &r.endpoints.http;
    assert!(http.redirect && http.redirect_immediately_to_https);
    assert_eq!(
        http.redirect_eventually_to.as_deref(),
        Some("https://good.test/")
    );
    assert_eq!(
        r.endpoints.https.tls.as_ref().unwrap().version.as_deref(),
        Some("TLSv1.3")
    );
}

#[tokio::test]
async fn case01b_preload_lists_and_url_target() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&both_names(&ca)), hsts_page(STRONG))),
    )
    .await;
    let mut opts = site.opts.clone();
    opts.preload_list = Some(["good.test".to_owned()].into());
    opts.preload_pending = Some(Default::default());
    let port = opts.https_port;
    opts.https_port = 443; // the URL's port must win
    let r = scan(&format!("https://good.test:{port}/"), &opts).await;
    assert_eq!(r.domain, "good.test");
    assert!(r.valid_https, "{:?}", r.endpoints.https.error);
    assert_eq!(r.hsts_preloaded, Some(true));
    assert_eq!(r.base_domain_hsts_preloaded, Some(true));
    assert_eq!(r.hsts_preload_pending, Some(false));
}

#[tokio::test]
async fn case02_https_valid_but_http_not_redirected() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(Arc::new(|_: &Req| page(&[]))),
        Some((tls_any(&both_names(&ca)), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert_eq!(r.canonical_url, site.http_url("good.test"));
    assert!(
        r.valid_https,
        "evaluated on the canonical host's https endpoint"
    );
    assert!(!r.defaults_to_https);
    assert!(!r.strictly_forces_https);
    assert!(r.domain_supports_https);
    assert!(!r.domain_enforces_https);
}

#[tokio::test]
async fn case03_http_only() {
    let ca = Ca::new();
    let site = Site::new(&ca, Some(Arc::new(|_: &Req| page(&[]))), None).await;
    let r = site.scan().await;
    assert!(r.live && !r.https_live && !r.https_full_connection);
    assert_eq!(r.canonical_url, site.http_url("good.test"));
    assert!(!r.valid_https && !r.domain_supports_https && !r.domain_enforces_https);
    assert_eq!(r.hsts, None, "no HTTPS connection: HSTS unmeasured");
    assert_eq!(r.domain_uses_strong_hsts, None);
    let err = r.endpoints.https.error.as_deref().unwrap();
    assert!(err.contains("connect"), "{err}");
}

#[tokio::test]
async fn case04_expired_cert() {
    let ca = Ca::new();
    let leaf = ca.leaf_valid(&["good.test", "www.good.test"], (2019, 1, 1), (2020, 1, 1));
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&leaf), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert_eq!(r.canonical_url, site.https_url("good.test"));
    assert!(r.https_expired_cert);
    assert!(!r.https_bad_chain && !r.https_self_signed_cert && !r.https_bad_hostname);
    assert!(!r.valid_https && !r.domain_supports_https && !r.domain_enforces_https);
    assert!(r.defaults_to_https && r.strictly_forces_https);
    assert_eq!(
        r.hsts,
        Some(true),
        "HSTS is read despite the bad certificate"
    );
}

#[tokio::test]
async fn case05_wrong_host() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["other.test"]);
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&leaf), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert!(r.https_bad_hostname);
    assert!(!r.https_bad_chain && !r.https_expired_cert);
    assert!(!r.valid_https && !r.domain_supports_https);
    assert_eq!(r.hsts, Some(false), "HSTS does not count on a bad hostname");
    assert_eq!(
        r.canonical_url,
        site.http_url("good.test"),
        "no usable https endpoint"
    );
    assert!(!r.defaults_to_https);
}

#[tokio::test]
async fn case06_self_signed() {
    let ca = Ca::new();
    let leaf = self_signed(&["good.test", "www.good.test"]);
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&leaf), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert!(r.https_self_signed_cert);
    assert!(!r.https_bad_chain && !r.https_bad_hostname && !r.https_expired_cert);
    assert!(!r.valid_https && !r.domain_supports_https);
    assert_eq!(r.https_custom_truststore_trusted, Some(false));
    assert!(!r.https_publicly_trusted);
    assert_eq!(r.https_cert_chain_length, Some(1));
    assert!(
        !r.https_probably_missing_intermediate_cert,
        "self-signed is not a missing intermediate"
    );
}

#[tokio::test]
async fn case06b_untrusted_issuer_is_bad_chain() {
    let ca = Ca::new();
    let other = Ca::new();
    let mut leaf = other.leaf(&["good.test", "www.good.test"]);
    leaf.chain.truncate(1);
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&leaf), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    assert!(r.https_bad_chain && !r.https_bad_hostname);
    assert!(!r.valid_https);
    assert!(
        r.domain_supports_https,
        "pshtt: a bad chain with a good hostname still supports HTTPS"
    );
    assert!(r.https_probably_missing_intermediate_cert);
}

#[tokio::test]
async fn case07_downgrade() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(Arc::new(|_: &Req| page(&[]))),
        Some((
            tls_any(&both_names(&ca)),
            Arc::new(|req: &Req| redirect(&format!("http://{}/", req.host))),
        )),
    )
    .await;
    let r = site.scan().await;
    assert_eq!(r.canonical_url, site.http_url("good.test"));
    assert!(r.downgrades_https);
    assert!(r.endpoints.https.redirect_immediately_to_http);
    assert!(!r.domain_supports_https && !r.domain_enforces_https);
    assert!(!r.defaults_to_https);
}

#[tokio::test]
async fn case08_short_max_age() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&both_names(&ca)), hsts_page("max-age=300"))),
    )
    .await;
    let r = site.scan().await;
    assert_eq!(r.hsts, Some(true));
    assert_eq!(r.hsts_max_age, Some(300));
    assert_eq!(r.domain_uses_strong_hsts, Some(false));
    assert_eq!(r.hsts_preload_ready, Some(false));
    assert_eq!(r.hsts_entire_domain, Some(false));
    assert!(
        r.domain_enforces_https,
        "enforcement does not depend on HSTS"
    );
}

#[tokio::test]
async fn case09_hsts_only_over_http_does_not_count() {
    let ca = Ca::new();
    let http: Script = Arc::new(
        |req: &Req| match redirect(&format!("https://{}/", req.host)) {
            Action::Respond(s, mut h, b) => {
                h.push(("Strict-Transport-Security".into(), STRONG.into()));
                Action::Respond(s, h, b)
            }
            other => other,
        },
    );
    let site = Site::new(
        &ca,
        Some(http),
        Some((tls_any(&both_names(&ca)), Arc::new(|_: &Req| page(&[])))),
    )
    .await;
    let r = site.scan().await;
    assert!(
        r.endpoints
            .http
            .headers
            .contains_key("strict-transport-security")
    );
    assert_eq!(r.hsts, Some(false));
    assert_eq!(r.hsts_header, None);
    assert_eq!(r.hsts_max_age, None);
    assert_eq!(r.domain_uses_strong_hsts, Some(false));
    assert!(r.domain_enforces_https);
}

#[tokio::test]
async fn case10_redirect_chain_to_www() {
    let ca = Ca::new();
    let http: Script = Arc::new(|req: &Req| {
        if req.host == "good.test" {
            redirect("http://www.good.test/")
        } else {
            redirect("https://www.good.test/")
        }
    });
    let https: Script = Arc::new(|req: &Req| {
        if req.host == "good.test" {
            redirect("https://www.good.test/")
        } else {
            page(&[("Strict-Transport-Security", STRONG)])
        }
    });
    let site = Site::new(&ca, Some(http), Some((tls_any(&both_names(&ca)), https))).await;
    let r = site.scan().await;
    assert_eq!(r.canonical_url, site.https_url("www.good.test"));
    let http = &r.endpoints.http;
    assert!(http.redirect_immediately_to_www && http.redirect_immediately_to_http);
    assert!(!http.redirect_immediately_to_external && http.redirect_immediately_to_subdomain);
    assert_eq!(
        http.redirect_chain,
        vec![
            site.http_url("good.test"),
            "http://www.good.test/".to_owned(),
            "https://www.good.test/".to_owned()
        ]
    );
    assert_eq!(
        http.redirect_eventually_to.as_deref(),
        Some("https://www.good.test/")
    );
    assert!(http.redirect_eventually_to_https);
    assert!(
        !r.redirect,
        "redirects within the domain do not make a redirect domain"
    );
    assert!(r.valid_https && r.defaults_to_https);
    assert!(
        !r.strictly_forces_https,
        "http://good.test does not go straight to https"
    );
    assert!(!r.domain_enforces_https);
    assert_eq!(
        r.hsts,
        Some(true),
        "HSTS of https://www, the canonical https endpoint"
    );
    assert_eq!(
        r.hsts_entire_domain,
        Some(false),
        "the root https endpoint sends none"
    );
}

#[tokio::test]
async fn case10b_redirect_domain() {
    let ca = Ca::new();
    let away: Script = Arc::new(|_: &Req| redirect("https://elsewhere.example/"));
    let mut site = Site::new(
        &ca,
        Some(away.clone()),
        Some((tls_any(&both_names(&ca)), away)),
    )
    .await;
    site.opts.resolve.insert("elsewhere.example".into(), DEAD);
    let r = site.scan().await;
    assert!(r.redirect);
    assert_eq!(r.redirect_to.as_deref(), Some("https://elsewhere.example/"));
    assert!(r.endpoints.https.redirect_immediately_to_external);
    assert!(
        r.endpoints.https.redirect_error.is_some(),
        "the destination is down"
    );
}

#[tokio::test]
async fn case11_unreachable() {
    let ca = Ca::new();
    let mut opts = ca.options();
    opts.resolve = resolve(&[], &["good.test", "www.good.test"]);
    opts.http_port = 8080;
    opts.https_port = 8443;
    let r = scan("good.test", &opts).await;
    assert!(!r.live && !r.https_live);
    for ep in [
        &r.endpoints.http,
        &r.endpoints.httpwww,
        &r.endpoints.https,
        &r.endpoints.httpswww,
    ] {
        assert!(!ep.live);
        let err = ep.error.as_deref().unwrap();
        assert!(err.contains("connect 127.0.0.254"), "{err}");
    }
    assert!(!r.valid_https && !r.domain_supports_https);
    assert_eq!(r.canonical_url, "http://good.test:8080/");
    assert!(matches!(r.baseline.headers, Measured::Unknown(_)));
    assert!(matches!(
        r.baseline.tls_versions.tls1_2,
        Measured::Unknown(_)
    ));
}

#[tokio::test]
async fn case12_hanging_endpoint_is_bounded() {
    let ca = Ca::new();
    let mut opts = ca.options();
    opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
    opts.http_port = hanging_server().await;
    opts.https_port = hanging_server().await;
    opts.timeout = Duration::from_millis(400);
    opts.deadline = Duration::from_secs(3);
    let started = Instant::now();
    let r = scan("good.test", &opts).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(!r.live);
    let err = r.endpoints.https.error.as_deref().unwrap();
    assert!(
        err.contains("timed out") && err.contains("TLS handshake"),
        "{err}"
    );
    let err = r.endpoints.http.error.as_deref().unwrap();
    assert!(
        err.contains("timed out") && err.contains("response"),
        "{err}"
    );
    let why = r.baseline.tls_versions.tls1_0.reason().unwrap();
    assert!(why.contains("in time"), "{why}");
}

#[tokio::test]
async fn case12b_overall_deadline_cuts_the_scan() {
    let ca = Ca::new();
    let mut opts = ca.options();
    opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
    opts.http_port = hanging_server().await;
    opts.https_port = hanging_server().await;
    opts.timeout = Duration::from_secs(30);
    opts.deadline = Duration::from_millis(600);
    let started = Instant::now();
    let r = scan("good.test", &opts).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(!r.live);
    let why = r.baseline.tls_versions.tls1_3.reason().unwrap();
    assert!(why.contains("deadline"), "{why}");
}

#[tokio::test]
async fn case13_malformed_http_response() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(Arc::new(|_: &Req| {
            Action::Raw(b"SSH-2.0-OpenSSH\r\n\r\ngarbage".to_vec())
        })),
        None,
    )
    .await;
    let r = site.scan().await;
    assert!(!r.live);
    let err = r.endpoints.http.error.as_deref().unwrap();
    assert!(err.contains("HTTP"), "{err}");
    assert!(!r.unknown_error);
}

#[tokio::test]
async fn report_json_uses_pshtt_names() {
    let ca = Ca::new();
    let site = Site::new(
        &ca,
        Some(to_https()),
        Some((tls_any(&both_names(&ca)), hsts_page(STRONG))),
    )
    .await;
    let r = site.scan().await;
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "Domain",
        "Base Domain",
        "Canonical URL",
        "Live",
        "Redirect",
        "Redirect To",
        "Valid HTTPS",
        "HTTPS Publicly Trusted",
        "HTTPS Custom Truststore Trusted",
        "Defaults to HTTPS",
        "Downgrades HTTPS",
        "Strictly Forces HTTPS",
        "HTTPS Bad Chain",
        "HTTPS Bad Hostname",
        "HTTPS Expired Cert",
        "HTTPS Self Signed Cert",
        "HSTS",
        "HSTS Header",
        "HSTS Max Age",
        "HSTS Entire Domain",
        "HSTS Preload Ready",
        "HSTS Preload Pending",
        "HSTS Preloaded",
        "Base Domain HSTS Preloaded",
        "Domain Supports HTTPS",
        "Domain Enforces HTTPS",
        "Domain Uses Strong HSTS",
        "IP",
        "Server Header",
        "Server Version",
        "HTTPS Cert Chain Length",
        "HTTPS Probably Missing Intermediate Cert",
        "Notes",
        "Unknown Error",
        "endpoints",
        "baseline",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["Valid HTTPS"], true);
    assert!(json["endpoints"]["httpswww"]["url"].is_string());
    let back: DomainReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[tokio::test]
async fn invalid_target_is_reported_not_panicked() {
    let r = scan("https://", &ScanOptions::default()).await;
    assert!(!r.live);
    assert!(r.notes.contains("invalid target"), "{}", r.notes);
}

#[tokio::test]
async fn case10c_http_root_to_http_www() {
    let ca = Ca::new();
    let http: Script = Arc::new(|req: &Req| {
        if req.host == "good.test" {
            redirect("http://www.good.test/")
        } else {
            page(&[])
        }
    });
    let site = Site::new(&ca, Some(http), None).await;
    let r = site.scan().await;
    assert_eq!(
        r.canonical_url,
        site.http_url("www.good.test"),
        "pshtt: root redirects straight to www"
    );
    assert!(!r.defaults_to_https && !r.domain_supports_https);
}

#[test]
fn ca_file_loading() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("ca.pem");
    std::fs::write(&good, &ca.pem).unwrap();
    assert_eq!(
        shipshape_scan::load_ca_file(&good).unwrap(),
        vec![ca.der.clone()]
    );

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let err = shipshape_scan::load_ca_file(&empty)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("empty.pem") && err.contains("BEGIN CERTIFICATE"),
        "{err}"
    );

    let missing = dir.path().join("missing.pem");
    let err = shipshape_scan::load_ca_file(&missing)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.pem") && err.contains("check the path"),
        "{err}"
    );

    let list = dir.path().join("preload.json");
    std::fs::write(
        &list,
        "// comment\n{\"entries\": [{\"name\": \"a.gov\", \"include_subdomains\": true}, {\"name\": \"b.gov\"}]}",
    )
    .unwrap();
    let names = shipshape_scan::load_preload_list(&list).unwrap();
    assert!(names.contains("a.gov") && !names.contains("b.gov"));
}
