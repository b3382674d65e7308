//! One HTTP/1.1 GET over a fresh connection (plain or TLS), bounded by the
//! per-request timeout and the scan's overall deadline. Whatever was learnt
//! before a failure (the address, the TLS session) is kept, so a timeout
//! still says how far the exchange got.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::Request;
use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::ScanOptions;
use crate::report::TlsInfo;
use crate::tls::Trust;

/// What a scan shares between its requests.
pub(crate) struct Ctx<'a> {
    pub opts: &'a ScanOptions,
    pub trust: Arc<Trust>,
    pub deadline: Instant,
}

impl Ctx<'_> {
    /// The time one step may take: the per-request timeout, cut to what is
    /// left of the overall deadline; `None` once the deadline has passed.
    pub fn budget(&self) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.min(self.opts.timeout))
    }

    /// The port a URL is reached on: its explicit port, else the scan's
    /// port for the scheme.
    pub fn port(&self, url: &Url) -> u16 {
        url.port().unwrap_or(if url.scheme() == "https" {
            self.opts.https_port
        } else {
            self.opts.http_port
        })
    }

    /// The address of `host`: the `resolve` map, a literal, or system DNS.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<IpAddr, String> {
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(ip) = self
            .opts
            .resolve
            .get(&key)
            .or_else(|| self.opts.resolve.get(host))
        {
            return Ok(*ip);
        }
        let bare = key.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(ip);
        }
        let mut addrs = tokio::net::lookup_host((key.as_str(), port))
            .await
            .map_err(|e| format!("cannot resolve `{host}`: {e}"))?;
        addrs
            .next()
            .map(|a| a.ip())
            .ok_or_else(|| format!("`{host}` resolves to no address"))
    }
}

/// A response: status, headers, and the body as far as it was read.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The outcome of one request, with whatever was learnt on the way.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub ip: Option<IpAddr>,
    pub connected: bool,
    pub tls: Option<TlsInfo>,
    /// Set once the response head arrived.
    pub response: Option<Response>,
    pub error: Option<String>,
    /// The failure was not a network or protocol one.
    pub unknown_error: bool,
    /// The step under way, for timeout messages.
    phase: &'static str,
}

/// GETs `url` (no redirects followed). Reads the body, up to the cap, only
/// when `read_body`. Never fails: the error is in the result.
pub(crate) async fn get(ctx: &Ctx<'_>, url: &Url, read_body: bool) -> Fetched {
    let mut out = Fetched {
        phase: "resolving",
        ..Fetched::default()
    };
    let Some(budget) = ctx.budget() else {
        out.error = Some("scan deadline exceeded before the request".into());
        return out;
    };
    let started = Instant::now();
    let result = tokio::time::timeout(budget, exchange(ctx, url, read_body, &mut out)).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => out.error = Some(e),
        Err(_) => {
            if out.phase == "reading body" && out.response.is_some() {
                // The head arrived; a slow body only shortens what we read.
                return out;
            }
            out.response = None;
            out.error = Some(format!(
                "timed out after {} ms while {}",
                started.elapsed().as_millis(),
                out.phase
            ));
        }
    }
    out
}

async fn exchange(
    ctx: &Ctx<'_>,
    url: &Url,
    read_body: bool,
    out: &mut Fetched,
) -> Result<(), String> {
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(format!("unsupported scheme `{other}`")),
    };
    let host = url.host_str().ok_or("the URL has no host")?.to_owned();
    let port = ctx.port(url);
    let ip = ctx.resolve(&host, port).await?;
    out.ip = Some(ip);
    out.phase = "connecting";
    let addr = SocketAddr::new(ip, port);
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {}", io_text(&e)))?;
    out.connected = true;
    let host_header = if url.port().is_some() {
        format!("{host}:{port}")
    } else {
        host.clone()
    };
    if !https {
        return request(TokioIo::new(tcp), url, &host_header, read_body, ctx, out).await;
    }
    out.phase = "in the TLS handshake";
    let name = server_name(&host)?;
    let (config, recorder) = ctx.trust.recording_config(None);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = connector.connect(name, tcp).await;
    let tls = match handshake {
        Ok(tls) => tls,
        Err(e) => return Err(format!("TLS handshake with {addr}: {}", io_text(&e))),
    };
    let (_, conn) = tls.get_ref();
    out.tls = Some(recorder.info(conn));
    request(TokioIo::new(tls), url, &host_header, read_body, ctx, out).await
}

async fn request<S>(
    io: TokioIo<S>,
    url: &Url,
    host_header: &str,
    read_body: bool,
    ctx: &Ctx<'_>,
    out: &mut Fetched,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    out.phase = "waiting for the response";
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|e| format!("HTTP: {}", error_chain(&e)))?;
    let driver = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    let req = Request::get(path)
        .header(header::HOST, host_header)
        .header(header::USER_AGENT, "shipshape-scan")
        .header(header::ACCEPT, "*/*")
        .header(header::CONNECTION, HeaderValue::from_static("close"))
        .body(Empty::new());
    let req = match req {
        Ok(req) => req,
        Err(e) => {
            out.unknown_error = true;
            return Err(format!("cannot build the request: {e}"));
        }
    };
    let response = sender
        .send_request(req)
        .await
        .map_err(|e| format!("invalid or missing HTTP response: {}", error_chain(&e)))?;
    let (parts, mut body) = response.into_parts();
    out.response = Some(Response {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: Bytes::new(),
    });
    if read_body {
        out.phase = "reading body";
        let cap = ctx.opts.max_body_bytes;
        let mut buf = BytesMut::new();
        while buf.len() < cap {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        let room = cap - buf.len();
                        buf.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                Some(Err(_)) | None => break,
            }
            if let Some(resp) = out.response.as_mut() {
                resp.body = buf.clone().freeze();
            }
        }
        if let Some(resp) = out.response.as_mut() {
            resp.body = buf.freeze();
        }
    }
    drop(driver);
    Ok(())
}

/// The SNI / verification name for `host`.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_owned()).map_err(|e| format!("invalid host name `{host}`: {e}"))
}

/// An IO error as text, with the TLS error inside it when there is one.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    }
}

/// An error and its sources, `: `-joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Aborts the connection task when the request is done or abandoned.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
