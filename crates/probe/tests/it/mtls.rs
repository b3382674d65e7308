//! HTTPS with a client certificate (mutual TLS): a loopback server that
//! requires a certificate of the test CA refuses a check without one (over
//! HTTP/2 and HTTP/1.1) or with one of another CA, and serves one that
//! presents the right pair, whether the key comes from a file or a secret.
//! A renewed certificate file is picked up without new checkers.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use shipshape_catalog::{
    ClientCert, ClientKey, MonitorKind, Secret, SecretRef, SecretSource, Setting,
};
use shipshape_probe::check::Checkers;
use shipshape_probe::result::CheckResult;
use tokio::net::TcpListener;

use crate::support::{Pki, http, monitor, run};

const TIMEOUT: Duration = Duration::from_secs(3);
/// ALPN offering HTTP/2 (which the checker then speaks) and HTTP/1.1.
const BOTH: &[&[u8]] = &[b"h2", b"http/1.1"];
/// ALPN offering HTTP/1.1 only.
const HTTP1: &[&[u8]] = &[b"http/1.1"];

/// Starts an HTTPS server for `localhost` that requires a client
/// certificate issued by `pki`'s CA, offering ALPN `alpn`.
async fn mtls_server(pki: &Pki, alpn: &[&[u8]]) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone()).expect("trust the test CA");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("client verifier");
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(leaf.chain, leaf.key)
        .expect("server cert");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(
                        "hello, client",
                    ))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            });
        }
    });
    addr
}

/// Writes a client certificate of `pki` for `name` into `dir`:
/// `(cert path, key path, key PEM)`.
fn client_files(pki: &Pki, dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let (cert, key) = pki.client_pem(name);
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, cert).expect("write cert");
    std::fs::write(&key_path, &key).expect("write key");
    (cert_path, key_path, key)
}

async fn check(checkers: &Checkers, addr: SocketAddr, client: Option<ClientCert>) -> CheckResult {
    let mut spec = http(&format!("https://localhost:{}/", addr.port()));
    spec.client_cert = client.map(Box::new);
    let expect = ["body == \"hello, client\""];
    run(
        checkers,
        &monitor(MonitorKind::Http(spec), TIMEOUT, &expect),
    )
    .await
}

fn from_files(cert: &Path, key: &Path) -> Option<ClientCert> {
    Some(ClientCert {
        cert: cert.to_path_buf(),
        key: ClientKey::File(key.to_path_buf()),
    })
}

#[tokio::test]
async fn without_a_client_certificate_the_server_refuses() {
    let pki = Pki::new();
    let checkers = pki.checkers();
    for alpn in [BOTH, HTTP1] {
        let addr = mtls_server(&pki, alpn).await;
        let result = check(&checkers, addr, None).await;
        assert_eq!(
            result.reason(),
            Some(
                "TLS: the server requires a client certificate; set `client_cert` and `client_key`"
            ),
            "ALPN {alpn:?}"
        );
    }
}

#[tokio::test]
async fn with_the_client_certificate_the_check_passes() {
    let pki = Pki::new();
    let checkers = pki.checkers();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key, _) = client_files(&pki, dir.path(), "probe");
    for alpn in [BOTH, HTTP1] {
        let addr = mtls_server(&pki, alpn).await;
        for _ in 0..2 {
            let result = check(&checkers, addr, from_files(&cert, &key)).await;
            assert!(result.is_up(), "ALPN {alpn:?}: {:?}", result.outcome);
        }
    }
}

#[tokio::test]
async fn the_key_may_come_from_a_secret() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _, key_pem) = client_files(&pki, dir.path(), "probe");
    let key = ClientKey::Secret(Setting::Secret {
        reference: SecretRef {
            source: SecretSource::Env("CLIENT_KEY".into()),
            location: "shipshape.toml:1:1".into(),
        },
        value: Some(Secret::new(key_pem.trim().to_owned())),
    });
    let addr = mtls_server(&pki, BOTH).await;
    let client = Some(ClientCert { cert, key });
    let result = check(&pki.checkers(), addr, client).await;
    assert!(result.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn a_certificate_of_another_ca_or_a_foreign_key_is_refused() {
    let pki = Pki::new();
    let stranger = Pki::named("Stranger CA");
    let checkers = pki.checkers();
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = mtls_server(&pki, HTTP1).await;

    let (cert, key, _) = client_files(&stranger, dir.path(), "stranger");
    let result = check(&checkers, addr, from_files(&cert, &key)).await;
    assert_eq!(
        result.reason(),
        Some("TLS: the server refused the client certificate (alert: unknown_ca)")
    );

    let (cert, _, _) = client_files(&pki, dir.path(), "one");
    let (_, other_key, _) = client_files(&pki, dir.path(), "two");
    let result = check(&checkers, addr, from_files(&cert, &other_key)).await;
    assert_eq!(
        result.reason(),
        Some(
            format!(
                "TLS: the client key does not belong to client certificate `{}`",
                cert.display()
            )
            .as_str()
        )
    );

    let missing = dir.path().join("missing.crt");
    let result = check(&checkers, addr, from_files(&missing, &other_key)).await;
    assert_eq!(
        result.reason(),
        Some(
            format!(
                "TLS: cannot read client certificate `{}`: no such file or directory",
                missing.display()
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn a_renewed_certificate_file_is_picked_up() {
    let pki = Pki::new();
    let stranger = Pki::named("Stranger CA");
    let checkers = pki.checkers();
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = mtls_server(&pki, HTTP1).await;
    let (cert, key, _) = client_files(&stranger, dir.path(), "probe");
    let result = check(&checkers, addr, from_files(&cert, &key)).await;
    assert!(!result.is_up(), "the stranger's certificate is refused");

    let (renewed_cert, renewed_key, _) = client_files(&pki, dir.path(), "renewed");
    std::fs::rename(&renewed_cert, &cert).expect("replace cert");
    std::fs::rename(&renewed_key, &key).expect("replace key");
    let result = check(&checkers, addr, from_files(&cert, &key)).await;
    assert!(result.is_up(), "{:?}", result.outcome);
}
