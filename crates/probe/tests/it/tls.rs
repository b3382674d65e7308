//! HTTPS and TLS checks against loopback TLS servers presenting
//! certificates of a test CA: a valid leaf, an expired one, one for
//! another host, a self-signed one; HTTP/2 by ALPN; certificate fields in
//! expectations; a server that never finishes the handshake.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use shipshape_catalog::{MonitorKind, TlsCheck};
use shipshape_probe::result::CheckResult;
use tokio::io::AsyncReadExt;

use crate::support::{Handler, Leaf, Pki, http, https_server, monitor, run, tcp_server};

const TIMEOUT: Duration = Duration::from_secs(2);

fn hello() -> Handler {
    Arc::new(|parts, _| {
        Response::new(Full::new(Bytes::from(format!(
            "hello over {:?}",
            parts.version
        ))))
    })
}

async fn https_check(pki: &Pki, leaf: Leaf, expect: &[&str]) -> CheckResult {
    let addr = https_server(leaf.chain, leaf.key, hello()).await;
    let spec = http(&format!("https://localhost:{}/", addr.port()));
    run(
        &pki.checkers(),
        &monitor(MonitorKind::Http(spec), TIMEOUT, expect),
    )
    .await
}

async fn tls_check(pki: &Pki, leaf: Leaf, expect: &[&str]) -> CheckResult {
    let addr = https_server(leaf.chain, leaf.key, hello()).await;
    let spec = TlsCheck {
        host: "localhost".into(),
        port: addr.port(),
        starttls: None,
    };
    run(
        &pki.checkers(),
        &monitor(MonitorKind::Tls(spec), TIMEOUT, expect),
    )
    .await
}

#[tokio::test]
async fn a_valid_certificate_is_up_with_its_details() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let result = https_check(&pki, leaf, &[]).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let tls = result.details.tls.as_ref().expect("tls details");
    assert_eq!(tls.version, "TLSv1.3");
    assert!(tls.valid());
    let cert = tls.cert.as_ref().expect("certificate");
    assert_eq!(cert.issuer, "CN=Shipshape Test CA");
    assert_eq!(cert.names, ["localhost"]);
    assert_eq!(
        cert.not_after.strftime("%Y-%m-%d").to_string(),
        "2099-01-01"
    );
    assert!(!cert.self_signed);
    assert!(result.details.timing.tls.is_some());
}

#[tokio::test]
async fn http2_is_spoken_when_alpn_agrees() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let result = https_check(&pki, leaf, &["body == \"hello over HTTP/2.0\""]).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    assert_eq!(
        result.details.http.as_ref().map(|h| h.version),
        Some("HTTP/2")
    );
    assert_eq!(
        result.details.tls.as_ref().and_then(|t| t.alpn.as_deref()),
        Some("h2")
    );
}

#[tokio::test]
async fn an_expired_certificate_fails_with_its_date() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2021, 10, 1));
    let result = https_check(&pki, leaf, &[]).await;
    assert_eq!(result.reason(), Some("TLS: certificate expired 2021-10-01"));
    assert!(
        result.details.http.is_none(),
        "no request over an unverified session"
    );
    assert!(
        result.details.tls.and_then(|t| t.cert).is_some(),
        "the certificate is still reported"
    );
}

#[tokio::test]
async fn a_certificate_for_another_host_names_both() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["other.test"], (2020, 1, 1), (2099, 1, 1));
    let result = https_check(&pki, leaf, &[]).await;
    assert_eq!(
        result.reason(),
        Some("TLS: certificate is for `other.test`, not `localhost`")
    );
}

#[tokio::test]
async fn a_self_signed_certificate_is_named() {
    let pki = Pki::new();
    let result = https_check(&pki, Pki::self_signed(&["localhost"]), &[]).await;
    assert_eq!(result.reason(), Some("TLS: self-signed certificate"));
}

#[tokio::test]
async fn an_untrusted_or_impostor_ca_is_named() {
    let trusted = Pki::new();
    let stranger = Pki::named("Stranger CA");
    let leaf = stranger.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let result = https_check(&trusted, leaf, &[]).await;
    assert_eq!(
        result.reason(),
        Some("TLS: certificate issuer `CN=Stranger CA` is not trusted")
    );

    let impostor = Pki::new();
    let leaf = impostor.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let result = https_check(&trusted, leaf, &[]).await;
    assert_eq!(
        result.reason(),
        Some("TLS: certificate signature is invalid"),
        "same issuer name, other key"
    );
}

#[tokio::test]
async fn tls_checks_report_the_certificate_to_expectations() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let passing = [
        "cert.expires_in > 14d",
        "cert.issuer contains \"Test CA\"",
        "tls.version == \"TLSv1.3\"",
        "cert.valid == true",
    ];
    let result = tls_check(&pki, leaf, &passing).await;
    assert!(result.is_up(), "{:?}", result.outcome);

    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let result = tls_check(&pki, leaf, &["cert.expires_in > 36500d"]).await;
    let reason = result.reason().expect("down");
    assert!(
        reason.starts_with("cert.expires_in > 36500d: got "),
        "{reason}"
    );

    let expired = pki.leaf(&["localhost"], (2020, 1, 1), (2021, 10, 1));
    let result = tls_check(&pki, expired, &[]).await;
    assert_eq!(result.reason(), Some("TLS: certificate expired 2021-10-01"));
}

#[tokio::test]
async fn a_server_that_never_shakes_hands_times_out_in_the_handshake() {
    let addr = tcp_server(|mut stream| async move {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    let timeout = Duration::from_millis(400);
    let spec = TlsCheck {
        host: "127.0.0.1".into(),
        port: addr.port(),
        starttls: None,
    };
    let result = run(
        &Pki::new().checkers(),
        &monitor(MonitorKind::Tls(spec), timeout, &[]),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("timeout after 400ms during TLS handshake")
    );
    assert!(
        result.duration < timeout + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
}
