//! Test fixtures: a recording HTTP server (axum) that answers what a test
//! says, a server that accepts and never answers, a small SMTP sink over
//! plain TCP, STARTTLS or implicit TLS (certificates from rcgen), a MIME
//! reader for what the sink received, and message builders.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shipshape_notify::{
    Message, MessageKind, Sender, SenderOptions, Severity, SmtpSettings, SmtpTls,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A message of `kind` for incident 42 with every field set.
pub fn message(kind: MessageKind) -> Message {
    Message {
        key: format!("delivery-{}-7", kind_name(kind)),
        kind,
        incident_id: Some(42),
        dedup_key: "shipshape-incident-42".to_owned(),
        title: "benefits-api: home is down".to_owned(),
        detail: "HTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations"
            .to_owned(),
        severity: Severity::Critical,
        service: Some("benefits-api".to_owned()),
        incident_url: Some("https://status.example/incidents/42".to_owned()),
        ack_url: match kind {
            MessageKind::Resolved | MessageKind::Test => None,
            _ => Some("https://status.example/ack/42?t=abc&sig=def".to_owned()),
        },
        at: "2026-11-29T01:02:03Z".parse().expect("timestamp"),
        unsubscribe_url: None,
        body: None,
    }
}

fn kind_name(kind: MessageKind) -> &'static str {
    kind.as_str()
}

/// A sender with no SMTP server and `timeout`.
pub fn sender(timeout: Duration) -> Sender {
    Sender::new(SenderOptions {
        timeout,
        ..SenderOptions::default()
    })
    .expect("sender builds")
}

/// A sender whose SMTP server is `settings`.
pub fn smtp_sender(settings: SmtpSettings, timeout: Duration) -> Sender {
    Sender::new(SenderOptions {
        smtp: Some(settings),
        timeout,
        ..SenderOptions::default()
    })
    .expect("sender builds")
}

/// SMTP settings for a sink at `addr`.
pub fn smtp_settings(addr: SocketAddr, tls: SmtpTls, root: Option<Vec<u8>>) -> SmtpSettings {
    SmtpSettings {
        host: addr.ip().to_string(),
        port: addr.port(),
        tls,
        username: None,
        password: None,
        from: "Shipshape <shipshape@example.org>".to_owned(),
        extra_root_pem: root,
    }
}

/// One request the recorder received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `POST`, `GET`, …
    pub method: String,
    /// Path, still percent-encoded.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value as text (panics when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header {name} missing"))
            .to_str()
            .expect("ascii header")
    }

    /// Whether a header is present.
    pub fn has(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    /// The body as form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// What the recorder answers.
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(&'static str, String)>,
    /// Response body.
    pub body: String,
}

impl Answer {
    /// A status with an empty body.
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Answer {
        self.body = body.into();
        self
    }
}

type Answerer = Arc<dyn Fn(&Recorded) -> Answer + Send + Sync>;

#[derive(Clone)]
struct RecorderState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answer: Answerer,
}

/// A running recording server.
pub struct Recorder {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    /// The only request received (panics otherwise).
    pub fn only(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request: {requests:?}");
        requests.into_iter().next().expect("one")
    }
}

/// Starts a recording HTTP server answering with `answer`.
pub async fn recorder(answer: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Recorder {
    let state = RecorderState {
        requests: Arc::default(),
        answer: Arc::new(answer),
    };
    let requests = state.requests.clone();
    let app = axum::Router::new().fallback(record).with_state(state);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Recorder { addr, requests }
}

async fn record(
    State(state): State<RecorderState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body: body.to_vec(),
    };
    let answer = (state.answer)(&recorded);
    state.requests.lock().expect("lock").push(recorded);
    let mut response = (
        StatusCode::from_u16(answer.status).expect("status"),
        answer.body,
    )
        .into_response();
    for (name, value) in answer.headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    response
}

/// A server that accepts connections and never says a word.
pub async fn hanging_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A loopback port nobody listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    listener.local_addr().expect("addr")
}

/// How the SMTP sink behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkMode {
    /// Accepts every message.
    Accept,
    /// Answers `451` to `RCPT TO`.
    Busy,
    /// Answers `550` to `RCPT TO`.
    NoSuchUser,
    /// Accepts the connection and never greets.
    Silent,
}

/// How the SMTP sink does TLS.
#[derive(Clone)]
pub enum SinkTls {
    /// Plain text; no `STARTTLS` offered.
    None,
    /// Offers `STARTTLS`.
    StartTls(tokio_rustls::TlsAcceptor),
    /// TLS from the first byte.
    Implicit(tokio_rustls::TlsAcceptor),
}

/// A message the sink accepted.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// The `MAIL FROM` argument.
    pub mail_from: String,
    /// The `RCPT TO` arguments.
    pub rcpt_to: Vec<String>,
    /// The message as sent (dot-unstuffed, CRLF line ends).
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
}

/// Starts an SMTP sink; accepted messages arrive on the receiver.
pub async fn smtp_sink(
    mode: SinkMode,
    tls: SinkTls,
) -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if mode == SinkMode::Silent {
                held.push(stream);
                continue;
            }
            let (tx, tls) = (tx.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    SinkTls::None => {
                        let _ = dialog(stream, mode, false, false, &tx).await;
                    }
                    SinkTls::Implicit(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = dialog(stream, mode, false, true, &tx).await;
                        }
                    }
                    SinkTls::StartTls(acceptor) => {
                        if let Ok(End::StartTls(stream)) =
                            dialog(stream, mode, true, false, &tx).await
                            && let Ok(stream) = acceptor.accept(stream).await
                        {
                            let _ = dialog_after_starttls(stream, mode, &tx).await;
                        }
                    }
                }
            });
        }
    });
    (addr, rx)
}

enum End<S> {
    Done,
    StartTls(S),
}

async fn dialog_after_starttls<S>(
    stream: S,
    mode: SinkMode,
    tx: &mpsc::UnboundedSender<Received>,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // No new greeting after STARTTLS: the client speaks first (EHLO).
    session(stream, mode, false, true, false, tx)
        .await
        .map(|_| ())
}

async fn dialog<S>(
    stream: S,
    mode: SinkMode,
    offer_starttls: bool,
    tls: bool,
    tx: &mpsc::UnboundedSender<Received>,
) -> std::io::Result<End<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    session(stream, mode, offer_starttls, tls, true, tx).await
}

async fn session<S>(
    stream: S,
    mode: SinkMode,
    offer_starttls: bool,
    tls: bool,
    greet: bool,
    tx: &mpsc::UnboundedSender<Received>,
) -> std::io::Result<End<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut io = BufReader::new(stream);
    if greet {
        io.get_mut()
            .write_all(b"220 sink.test ESMTP ready\r\n")
            .await?;
    }
    let mut mail = Received {
        tls,
        ..Received::default()
    };
    loop {
        let mut line = String::new();
        if io.read_line(&mut line).await? == 0 {
            return Ok(End::Done);
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let mut r = String::from("250-sink.test\r\n250-8BITMIME\r\n");
            if offer_starttls {
                r.push_str("250-STARTTLS\r\n");
            }
            r.push_str("250 SIZE 10000000\r\n");
            r
        } else if upper.starts_with("HELO") {
            "250 sink.test\r\n".into()
        } else if upper == "STARTTLS" && offer_starttls {
            io.get_mut().write_all(b"220 2.0.0 go ahead\r\n").await?;
            io.get_mut().flush().await?;
            return Ok(End::StartTls(io.into_inner()));
        } else if upper.starts_with("MAIL FROM:") {
            mail.mail_from = command[10..].trim().to_owned();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            match mode {
                SinkMode::Busy => "451 4.3.0 mailbox busy, try later\r\n".into(),
                SinkMode::NoSuchUser => "550 5.1.1 no such user here\r\n".into(),
                _ => {
                    mail.rcpt_to.push(command[8..].trim().to_owned());
                    "250 2.1.5 ok\r\n".into()
                }
            }
        } else if upper == "DATA" {
            io.get_mut()
                .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                let mut line = String::new();
                if io.read_line(&mut line).await? == 0 {
                    return Ok(End::Done);
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let line = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(line);
            }
            mail.data = data;
            let _ = tx.send(std::mem::replace(
                &mut mail,
                Received {
                    tls,
                    ..Received::default()
                },
            ));
            "250 2.0.0 queued as 1234\r\n".into()
        } else if upper == "QUIT" {
            io.get_mut().write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(End::Done);
        } else if upper == "RSET" || upper == "NOOP" {
            "250 2.0.0 ok\r\n".into()
        } else {
            "502 5.5.2 command not recognized\r\n".into()
        };
        io.get_mut().write_all(reply.as_bytes()).await?;
    }
}

/// A test CA and a server certificate for 127.0.0.1 signed by it.
pub struct TestPki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// A TLS acceptor presenting the server certificate.
    pub acceptor: tokio_rustls::TlsAcceptor,
}

/// A fresh CA and a server certificate for `127.0.0.1`.
pub fn test_pki() -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Shipshape Notify Test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut leaf = CertificateParams::new(Vec::<String>::new()).expect("params");
    leaf.subject_alt_names = vec![SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST))];
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("sign");
    let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server cert");
    TestPki {
        ca_pem,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

/// A parsed email: unfolded headers and decoded MIME parts.
pub struct Email {
    /// Header lines as (name, value), unfolded.
    pub headers: Vec<(String, String)>,
    /// Parts as (content type, decoded text).
    pub parts: Vec<(String, String)>,
}

impl Email {
    /// Parses what the sink received.
    pub fn parse(data: &str) -> Email {
        let (headers, body) = split_head(data);
        let content_type = find(&headers, "Content-Type").unwrap_or_default();
        let parts = if content_type.starts_with("multipart/") {
            let boundary = content_type
                .split("boundary=")
                .nth(1)
                .expect("boundary")
                .trim_matches('"')
                .to_owned();
            body.split(&format!("--{boundary}"))
                .skip(1)
                .filter(|p| !p.starts_with("--"))
                .map(|part| {
                    let (headers, body) = split_head(part.trim_start_matches("\r\n"));
                    let ct = find(&headers, "Content-Type").unwrap_or_default();
                    let cte = find(&headers, "Content-Transfer-Encoding").unwrap_or_default();
                    (ct, decode(&cte, body))
                })
                .collect()
        } else {
            let cte = find(&headers, "Content-Transfer-Encoding").unwrap_or_default();
            vec![(content_type, decode(&cte, body))]
        };
        Email { headers, parts }
    }

    /// A header's value (first occurrence).
    pub fn header(&self, name: &str) -> Option<String> {
        find(&self.headers, name)
    }

    /// The decoded part whose content type starts with `ct`.
    pub fn part(&self, ct: &str) -> String {
        self.parts
            .iter()
            .find(|(t, _)| t.starts_with(ct))
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("no {ct} part"))
    }
}

fn split_head(data: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn find(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn decode(cte: &str, body: &str) -> String {
    match cte.to_ascii_lowercase().as_str() {
        "quoted-printable" => {
            let joined = body.replace("=\r\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && i + 2 < bytes.len() + 1
                    && let Some(hex) = joined.get(i + 1..i + 3)
                    && let Ok(b) = u8::from_str_radix(hex, 16)
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).expect("UTF-8 part")
        }
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("base64 part");
            String::from_utf8(bytes).expect("UTF-8 part")
        }
        _ => body.to_owned(),
    }
}

/// Decodes an RFC 2047 `=?UTF-8?B?…?=` word (or returns the text).
pub fn decode_word(value: &str) -> String {
    match value
        .strip_prefix("=?UTF-8?B?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(b64) => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64"),
        )
        .expect("UTF-8"),
        None => value.to_owned(),
    }
}
