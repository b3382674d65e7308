//! Test fixtures: real loopback servers (HTTP/1.1 and HTTP/2 via hyper,
//! TLS via tokio-rustls, raw TCP, a small UDP DNS responder), a test PKI
//! minted with rcgen, and monitor builders.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shipshape_catalog::{HttpCheck, Monitor, MonitorKind, Setting};
use shipshape_clock::SystemClock;
use shipshape_expect::Expectation;
use shipshape_probe::check::{CheckerOptions, Checkers};
use shipshape_probe::result::CheckResult;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};

/// What a test HTTP server answers.
pub type Handler = Arc<dyn Fn(&Parts, Bytes) -> Response<Full<Bytes>> + Send + Sync>;

/// A monitor of `kind` with a short timeout and the given expectations.
pub fn monitor(kind: MonitorKind, timeout: Duration, expect: &[&str]) -> Monitor {
    Monitor {
        id: "probe-test".into(),
        component: None,
        kind,
        every: Duration::from_secs(60),
        timeout,
        confirm: 1,
        recover: 1,
        expect: expect
            .iter()
            .map(|e| Expectation::parse(e).expect("expectation parses"))
            .collect(),
        anomaly: None,
        quorum: None,
        locations: Vec::new(),
        alert: Default::default(),
    }
}

/// An HTTP GET monitor of `url` that follows up to 10 redirects.
pub fn http(url: &str) -> HttpCheck {
    HttpCheck {
        url: Setting::Plain(url.to_owned()),
        method: "GET".into(),
        headers: Default::default(),
        body: None,
        follow_redirects: true,
        max_redirects: 10,
        client_cert: None,
    }
}

/// Checkers with default options.
pub fn checkers() -> Checkers {
    Checkers::new(CheckerOptions::default()).expect("default checkers build")
}

/// Runs one check on the real clock.
pub async fn run(checkers: &Checkers, monitor: &Monitor) -> CheckResult {
    checkers.run(monitor, &SystemClock).await
}

/// Starts a plain HTTP server (HTTP/1.1 or prior-knowledge HTTP/2) on an
/// ephemeral loopback port.
pub async fn http_server(handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, handler.clone()));
        }
    });
    addr
}

/// Starts an HTTPS server presenting `chain` (leaf first), with ALPN `h2`
/// and `http/1.1`.
pub async fn https_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    handler: Handler,
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server cert");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, handler) = (acceptor.clone(), handler.clone());
            tokio::spawn(async move {
                if let Ok(stream) = acceptor.accept(stream).await {
                    serve(stream, handler).await;
                }
            });
        }
    });
    addr
}

async fn serve<IO>(io: IO, handler: Handler)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let handler = handler.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = http_body_util::BodyExt::collect(body)
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let response = handler(&parts, body);
            Ok::<_, Infallible>(response)
        }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// Starts a raw TCP server that runs `session` on every connection.
pub async fn tcp_server<F, Fut>(session: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream));
        }
    });
    addr
}

/// A loopback port nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// Writes `bytes`, ignoring a client that went away.
pub async fn write(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    stream.write_all(bytes).await.is_ok()
}

/// A test certificate authority.
pub struct Pki {
    ca: Issuer<'static, KeyPair>,
    /// The CA certificate (DER), to trust.
    pub ca_der: CertificateDer<'static>,
}

/// A leaf certificate and its key.
pub struct Leaf {
    /// The certificate chain to present (leaf only).
    pub chain: Vec<CertificateDer<'static>>,
    /// Its private key.
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    /// A fresh CA named `Shipshape Test CA`.
    pub fn new() -> Self {
        Self::named("Shipshape Test CA")
    }

    /// A fresh CA with common name `name`.
    pub fn named(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("ca");
        let ca_der = cert.der().clone();
        Self {
            ca: Issuer::new(params, key),
            ca_der,
        }
    }

    /// Checkers that trust this CA.
    pub fn checkers(&self) -> Checkers {
        let options = CheckerOptions {
            extra_roots: vec![self.ca_der.to_vec()],
            ..CheckerOptions::default()
        };
        Checkers::new(options).expect("checkers build")
    }

    /// A leaf for `names`, valid from `not_before` to `not_after` (years),
    /// signed by the CA.
    pub fn leaf(
        &self,
        names: &[&str],
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> Leaf {
        let (params, key) = leaf_params(names, not_before, not_after);
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        Leaf {
            chain: vec![cert.der().clone()],
            key: private_key(&key),
        }
    }

    /// A currently valid client certificate for `name`, signed by the CA,
    /// as PEM text: `(certificate, private key)`.
    pub fn client_pem(&self, name: &str) -> (String, String) {
        let (mut params, key) = leaf_params(&[name], (2020, 1, 1), (2099, 1, 1));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        (cert.pem(), key.serialize_pem())
    }

    /// A self-signed leaf for `names`, currently valid.
    pub fn self_signed(names: &[&str]) -> Leaf {
        let (params, key) = leaf_params(names, (2020, 1, 1), (2099, 1, 1));
        let cert = params.self_signed(&key).expect("self-sign");
        Leaf {
            chain: vec![cert.der().clone()],
            key: private_key(&key),
        }
    }
}

fn leaf_params(
    names: &[&str],
    from: (i32, u8, u8),
    until: (i32, u8, u8),
) -> (CertificateParams, KeyPair) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("params");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    (params, KeyPair::generate().expect("key"))
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// Starts a UDP DNS responder: `answer(name, type)` returns the A records
/// (as IPv4 addresses) for a name, or `None` for NXDOMAIN.
pub async fn dns_server<F>(answer: F) -> SocketAddr
where
    F: Fn(&str) -> Option<Vec<Ipv4Addr>> + Send + Sync + 'static,
{
    use hickory_resolver::proto::op::{Message, ResponseCode};
    use hickory_resolver::proto::rr::rdata::A;
    use hickory_resolver::proto::rr::{RData, Record, RecordType};

    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Ok(request) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut response = Message::response(request.metadata.id, request.metadata.op_code);
            response.metadata.recursion_desired = request.metadata.recursion_desired;
            response.metadata.recursion_available = true;
            response.metadata.authoritative = true;
            if let Some(query) = request.queries.first() {
                response.add_query(query.clone());
                let name = query.name.to_ascii();
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                match answer(&name) {
                    None => response.metadata.response_code = ResponseCode::NXDomain,
                    Some(ips) if query.query_type == RecordType::A => {
                        for ip in ips {
                            response.add_answer(Record::from_rdata(
                                query.name.clone(),
                                60,
                                RData::A(A(ip)),
                            ));
                        }
                    }
                    Some(_) => {}
                }
            }
            if let Ok(bytes) = response.to_vec() {
                let _ = socket.send_to(&bytes, from).await;
            }
        }
    });
    addr
}
