//! The security baseline: headers, cookies, exposed files, listings,
//! version disclosure, security.txt and TLS versions, on loopback sites.

use std::sync::Arc;

use shipshape_scan::{DomainReport, Measured, PathProbe, ScanOptions, scan};

use crate::harness::*;

fn exposed(probes: &[PathProbe], path: &str) -> Measured<bool> {
    probes
        .iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("{path} not probed"))
        .exposed
        .clone()
}

/// An HTTPS-only site (http redirects) serving `script`.
async fn https_site(script: Script) -> DomainReport {
    let ca = Ca::new();
    let leaf = ca.leaf(&["good.test", "www.good.test"]);
    let mut opts = ca.options();
    opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
    opts.http_port = http_server(Arc::new(|req: &Req| {
        redirect(&format!("https://{}/", req.host))
    }))
    .await;
    opts.https_port = https_server(tls_any(&leaf), script).await;
    scan("good.test", &opts).await
}

#[tokio::test]
async fn leaky_site() {
    let script: Script = Arc::new(|req: &Req| {
        match req.path.as_str() {
        "/" => {
            let mut h: Vec<(String, String)> = vec![
                ("Content-Security-Policy".into(), "default-src 'self'; frame-ancestors 'none'".into()),
                ("X-Content-Type-Options".into(), "nosniff".into()),
                ("X-Frame-Options".into(), "DENY".into()),
                ("Referrer-Policy".into(), "no-referrer".into()),
                ("Server".into(), "nginx/1.22.1".into()),
                ("X-Powered-By".into(), "PHP/8.1".into()),
                ("Set-Cookie".into(), "sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax".into()),
                ("Set-Cookie".into(), "theme=dark; Path=/".into()),
            ];
            h.push(("Content-Type".into(), "text/html".into()));
            Action::Respond(200, h, b"<html><body>home</body></html>".to_vec())
        }
        "/.git/HEAD" => ok("ref: refs/heads/main\n"),
        "/.env" => ok("# settings\nDATABASE_URL=postgres://u:p@db/x\nSECRET_KEY=hunter2\n"),
        "/static/" => Action::Respond(
            200,
            vec![("Content-Type".into(), "text/html".into())],
            b"<html><head><title>Index of /static/</title></head><body><h1>Index of /static/</h1></body></html>".to_vec(),
        ),
        "/.well-known/security.txt" => ok("Contact: mailto:security@good.test\nExpires: 2099-01-01T00:00:00Z\n"),
        _ => not_found(),
    }
    });
    let r = https_site(script).await;
    let b = &r.baseline;
    assert_eq!(b.url.as_deref(), Some(r.canonical_url.as_str()));
    let headers = b.headers.known().expect("headers measured");
    assert!(headers.content_security_policy.is_some() && headers.csp_frame_ancestors);
    assert!(headers.x_content_type_options_nosniff);
    assert_eq!(headers.x_frame_options.as_deref(), Some("DENY"));
    assert_eq!(headers.referrer_policy.as_deref(), Some("no-referrer"));

    let cookies = b.cookies.known().expect("cookies measured");
    assert_eq!(cookies.len(), 2);
    assert!(cookies[0].missing().is_empty());
    assert_eq!(cookies[1].name, "theme");
    assert_eq!(cookies[1].missing(), vec!["Secure", "HttpOnly", "SameSite"]);

    assert_eq!(
        exposed(&b.exposed_files, "/.git/HEAD"),
        Measured::Known(true)
    );
    assert_eq!(exposed(&b.exposed_files, "/.env"), Measured::Known(true));
    assert_eq!(
        exposed(&b.exposed_files, "/backup.zip"),
        Measured::Known(false)
    );
    assert_eq!(
        exposed(&b.directory_listing, "/static/"),
        Measured::Known(true)
    );
    assert_eq!(exposed(&b.directory_listing, "/"), Measured::Known(false));

    let disclosed = b.version_disclosure.known().unwrap();
    assert_eq!(
        disclosed,
        &vec![
            "server: nginx/1.22.1".to_owned(),
            "x-powered-by: PHP/8.1".to_owned()
        ]
    );
    assert_eq!(r.server_header.as_deref(), Some("nginx/1.22.1"));
    assert_eq!(r.server_version.as_deref(), Some("1.22.1"));
    assert_eq!(b.security_txt, Measured::Known(true));
}

#[tokio::test]
async fn bare_site_with_soft_404s() {
    // Every path answers 200 with the same HTML page: nothing is exposed.
    let script: Script = Arc::new(|_: &Req| {
        Action::Respond(
            200,
            vec![
                ("Server".into(), "nginx".into()),
                ("Content-Type".into(), "text/html".into()),
            ],
            b"<!doctype html><html><body>welcome</body></html>".to_vec(),
        )
    });
    let r = https_site(script).await;
    let b = &r.baseline;
    let headers = b.headers.known().unwrap();
    assert_eq!(headers.content_security_policy, None);
    assert!(!headers.csp_frame_ancestors && !headers.x_content_type_options_nosniff);
    assert_eq!(headers.x_frame_options, None);
    assert_eq!(headers.referrer_policy, None);
    assert_eq!(b.cookies, Measured::Known(vec![]));
    for probe in b.exposed_files.iter().chain(&b.directory_listing) {
        assert_eq!(probe.exposed, Measured::Known(false), "{}", probe.path);
        assert_eq!(probe.status, Some(200));
    }
    assert_eq!(b.version_disclosure, Measured::Known(vec![]));
    assert_eq!(b.security_txt, Measured::Known(false));
    assert_eq!(r.server_version, None);
}

#[tokio::test]
async fn tls13_only_server() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["good.test", "www.good.test"]);
    let mut opts = ca.options();
    opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
    opts.http_port = closed_port().await;
    opts.https_port = https_server(
        tls_config(&leaf, &[&rustls::version::TLS13]),
        Arc::new(|_: &Req| page(&[])),
    )
    .await;
    let r = scan("good.test", &opts).await;
    let v = &r.baseline.tls_versions;
    assert_eq!(v.tls1_3, Measured::Known(true));
    assert_eq!(v.tls1_2, Measured::Known(false));
    assert_eq!(
        v.tls1_1,
        Measured::Known(false),
        "rustls answers with an alert"
    );
    assert_eq!(v.tls1_0, Measured::Known(false));
}

#[tokio::test]
async fn tls12_and_13_server() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["good.test", "www.good.test"]);
    let mut opts = ca.options();
    opts.resolve = resolve(&["good.test", "www.good.test"], &[]);
    opts.http_port = closed_port().await;
    opts.https_port = https_server(tls_any(&leaf), Arc::new(|_: &Req| page(&[]))).await;
    let r = scan("good.test", &opts).await;
    let v = &r.baseline.tls_versions;
    assert_eq!(v.tls1_3, Measured::Known(true));
    assert_eq!(v.tls1_2, Measured::Known(true));
}

async fn raw_tls_scan(reply: Vec<u8>) -> DomainReport {
    let mut opts = ScanOptions {
        resolve: resolve(&["good.test", "www.good.test"], &[]),
        timeout: std::time::Duration::from_secs(2),
        ..ScanOptions::default()
    };
    opts.http_port = closed_port().await;
    opts.https_port = raw_server(reply).await;
    scan("good.test", &opts).await
}

#[tokio::test]
async fn tls10_server_is_detected() {
    let r = raw_tls_scan(tls10_server_hello()).await;
    assert!(
        !r.endpoints.https.live,
        "rustls cannot talk to a TLS 1.0 server"
    );
    let v = &r.baseline.tls_versions;
    assert_eq!(v.tls1_0, Measured::Known(true));
    assert_eq!(
        v.tls1_1,
        Measured::Known(false),
        "the server picked 1.0, not 1.1"
    );
    assert_eq!(v.tls1_2, Measured::Known(false));
    assert_eq!(v.tls1_3, Measured::Known(false));
}

#[tokio::test]
async fn protocol_version_alert_means_not_offered() {
    let r = raw_tls_scan(protocol_version_alert()).await;
    let v = &r.baseline.tls_versions;
    assert_eq!(v.tls1_0, Measured::Known(false));
    assert_eq!(v.tls1_1, Measured::Known(false));
}

#[tokio::test]
async fn baseline_is_unknown_when_nothing_is_live() {
    let mut opts = ScanOptions {
        resolve: resolve(&[], &["good.test", "www.good.test"]),
        ..ScanOptions::default()
    };
    opts.http_port = 8080;
    opts.https_port = 8443;
    let r = scan("good.test", &opts).await;
    let b = &r.baseline;
    assert_eq!(b.url, None);
    let why = b.headers.reason().unwrap();
    assert!(why.contains("not live") && why.contains("connect"), "{why}");
    assert!(b.cookies.reason().is_some());
    assert!(b.exposed_files.iter().all(|p| p.exposed.reason().is_some()));
    assert!(b.security_txt.reason().is_some());
    assert!(b.tls_versions.tls1_3.reason().is_some());
}
