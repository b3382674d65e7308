//! A loopback world for scans: a test CA issuing leaf certificates, and
//! scripted HTTP/HTTPS servers on 127.0.0.1 ephemeral ports that answer by
//! Host and path (or hang, or send garbage). Hosts are mapped to loopback
//! with `ScanOptions.resolve`; a host meant to be down maps to 127.0.0.254,
//! where nothing in this harness ever listens.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shipshape_scan::ScanOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// Where nothing listens.
pub const DEAD: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 254));
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A request as the script sees it.
#[derive(Debug, Clone)]
pub struct Req {
    /// The Host header without the port.
    pub host: String,
    /// The request target.
    pub path: String,
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer with this status, headers and body.
    Respond(u16, Vec<(String, String)>, Vec<u8>),
    /// Send these bytes and close.
    Raw(Vec<u8>),
}

/// A 200 with a text body.
pub fn ok(body: &str) -> Action {
    Action::Respond(
        200,
        vec![("Content-Type".into(), "text/plain".into())],
        body.into(),
    )
}

/// A 200 with these headers and an HTML body.
pub fn page(headers: &[(&str, &str)]) -> Action {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    h.push(("Content-Type".into(), "text/html".into()));
    Action::Respond(
        200,
        h,
        b"<!doctype html><html><body>hello</body></html>".to_vec(),
    )
}

/// A 404 HTML page.
pub fn not_found() -> Action {
    Action::Respond(
        404,
        vec![("Content-Type".into(), "text/html".into())],
        b"<html><body>not found</body></html>".to_vec(),
    )
}

/// A redirect to `location`.
pub fn redirect(location: &str) -> Action {
    Action::Respond(
        301,
        vec![("Location".into(), location.to_owned())],
        Vec::new(),
    )
}

/// The script of a site.
pub type Script = Arc<dyn Fn(&Req) -> Action + Send + Sync>;

/// A test CA.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, for `ScanOptions.extra_roots`.
    pub der: CertificateDer<'static>,
    /// The same, as PEM.
    pub pem: String,
}

/// A certificate chain and key for a server.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Ca {
    pub fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Shipshape Scan Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A currently valid leaf for `names`, sent with the CA (chain of 2).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_valid(names, (2020, 1, 1), (2099, 1, 1))
    }

    /// A leaf for `names` valid between two dates.
    pub fn leaf_valid(&self, names: &[&str], from: (i32, u8, u8), until: (i32, u8, u8)) -> Leaf {
        let (params, key) = leaf_params(names, from, until);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            chain: vec![cert.der().clone(), self.der.clone()],
            key: pkcs8(&key),
        }
    }

    /// Scan options trusting this CA, with short timeouts.
    pub fn options(&self) -> ScanOptions {
        ScanOptions {
            extra_roots: vec![self.der.clone()],
            timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(10),
            ..ScanOptions::default()
        }
    }
}

/// A self-signed leaf for `names`.
pub fn self_signed(names: &[&str]) -> Leaf {
    let (params, key) = leaf_params(names, (2020, 1, 1), (2099, 1, 1));
    let cert = params.self_signed(&key).unwrap();
    Leaf {
        chain: vec![cert.der().clone()],
        key: pkcs8(&key),
    }
}

fn leaf_params(
    names: &[&str],
    from: (i32, u8, u8),
    until: (i32, u8, u8),
) -> (CertificateParams, KeyPair) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    (params, KeyPair::generate().unwrap())
}

fn pkcs8(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A TLS server config presenting `leaf`, offering the given versions.
pub fn tls_config(
    leaf: &Leaf,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> ServerConfig {
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap()
}

/// Both TLS 1.2 and 1.3.
pub fn tls_any(leaf: &Leaf) -> ServerConfig {
    tls_config(leaf, &[&rustls::version::TLS13, &rustls::version::TLS12])
}

/// A port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    l.local_addr().unwrap().port()
}

/// Serves `script` over plain HTTP on 127.0.0.1; returns the port.
pub async fn http_server(script: Script) -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move { serve(stream, "http", &script).await });
        }
    });
    port
}

/// Serves `script` over TLS with `config` on 127.0.0.1; returns the port.
pub async fn https_server(config: ServerConfig, script: Script) -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let script = script.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(tls, "https", &script).await;
                }
            });
        }
    });
    port
}

/// Accepts connections and never answers; returns the port.
pub async fn hanging_server() -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

/// Reads whatever a client sends first and answers with `reply` (raw
/// bytes), then closes; returns the port.
pub async fn raw_server(reply: Vec<u8>) -> u16 {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

/// A TLS 1.0 ServerHello record (what an old server answers).
pub fn tls10_server_hello() -> Vec<u8> {
    let mut hello = vec![2, 0, 0, 38, 3, 1];
    hello.extend_from_slice(&[7u8; 32]);
    hello.extend_from_slice(&[0, 0xc0, 0x13, 0]);
    let mut record = vec![22, 3, 1, 0, hello.len() as u8];
    record.extend_from_slice(&hello);
    record
}

/// A fatal protocol_version alert record.
pub fn protocol_version_alert() -> Vec<u8> {
    vec![21, 3, 1, 0, 2, 2, 70]
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    scheme: &'static str,
    script: &Script,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_owned();
    let host = lines
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("host").then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .map(|(h, _)| h.to_owned())
        .unwrap_or(host);
    let _ = scheme;
    let req = Req { host, path };
    let bytes = match script(&req) {
        Action::Raw(bytes) => bytes,
        Action::Respond(status, headers, body) => {
            let mut out = format!("HTTP/1.1 {status} Scripted\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        }
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// Maps every host to loopback except those in `dead`.
pub fn resolve(live: &[&str], dead: &[&str]) -> BTreeMap<String, IpAddr> {
    live.iter()
        .map(|h| ((*h).to_owned(), LOOPBACK))
        .chain(dead.iter().map(|h| ((*h).to_owned(), DEAD)))
        .collect()
}

/// The socket address of a loopback port, for messages.
#[allow(dead_code)]
pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::new(LOOPBACK, port)
}
