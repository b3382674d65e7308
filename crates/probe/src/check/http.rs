//! The HTTP(S) probe: one fresh connection per request on hyper's
//! connection API (HTTP/1.1, or HTTP/2 when ALPN agrees), driven inline
//! with the request so nothing outlives the check. Follows redirects up to
//! the monitor's limit, spotting loops; reads at most the body cap.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use shipshape_catalog::{ClientCert, HttpCheck};
use tokio::io::{AsyncRead, AsyncWrite};
use url::Url;

use super::Checkers;
use super::deadline::{Deadline, Phase};
use super::net;
use crate::result::{Details, HttpDetails};

/// Runs an HTTP check; fills `details` and returns the body read (at most
/// the cap), or the reason the check could not get a response.
pub(crate) async fn probe(
    checkers: &Checkers,
    spec: &HttpCheck,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Bytes, String> {
    let secret_url = spec.url.is_secret();
    let show = |url: &Url, first: bool| shown(url, secret_url && first);
    let raw = spec
        .url
        .value()
        .ok_or("HTTP: the URL is a secret that was not resolved")?;
    let mut url = Url::parse(raw).map_err(|e| format!("HTTP: invalid URL: {e}"))?;
    let mut method = Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| format!("HTTP: invalid method `{}`", spec.method))?;
    let headers = request_headers(spec)?;
    let mut body = spec
        .body
        .as_ref()
        .and_then(|b| b.value())
        .map(|b| Bytes::copy_from_slice(b.as_bytes()));
    let first_origin = url.origin();
    let mut redirects: Vec<Url> = Vec::new();
    loop {
        let same_origin = url.origin() == first_origin;
        let hop = Hop {
            url: &url,
            method: &method,
            headers: same_origin.then_some(&headers),
            client_cert: spec.client_cert.as_deref().filter(|_| same_origin),
            body: body.clone(),
        };
        let Exchange {
            response,
            body: read,
            truncated,
        } = exchange(checkers, hop, spec.follow_redirects, now, deadline, details).await?;
        let (parts, ()) = response.into_parts();
        let location = parts.headers.get(header::LOCATION);
        if let Some(location) =
            location.filter(|_| spec.follow_redirects && parts.status.is_redirection())
        {
            let target = location
                .to_str()
                .ok()
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| {
                    format!(
                        "redirect: invalid `Location` from {}",
                        show(&url, redirects.is_empty())
                    )
                })?;
            if redirects.len() >= spec.max_redirects as usize {
                return Err(format!(
                    "redirect: more than {} redirects, last to {target}",
                    spec.max_redirects
                ));
            }
            if target == url || redirects.contains(&target) {
                let chain: Vec<String> = redirects
                    .iter()
                    .chain([&url])
                    .enumerate()
                    .map(|(i, u)| show(u, i == 0))
                    .chain([target.to_string()])
                    .collect();
                return Err(format!("redirect loop: {}", chain.join(" → ")));
            }
            let to_get = parts.status == StatusCode::SEE_OTHER
                || (matches!(
                    parts.status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND
                ) && method == Method::POST);
            if to_get {
                method = Method::GET;
                body = None;
            }
            redirects.push(std::mem::replace(&mut url, target));
            continue;
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let read_len = read.len() as u64;
        details.http = Some(HttpDetails {
            status: parts.status.as_u16(),
            version: if parts.version == Version::HTTP_2 {
                "HTTP/2"
            } else {
                "HTTP/1.1"
            },
            url: show(&url, redirects.is_empty()),
            redirects: redirects
                .iter()
                .enumerate()
                .map(|(i, u)| show(u, i == 0))
                .collect(),
            headers: parts.headers,
            body_size: if truncated {
                declared.unwrap_or(read_len).max(read_len)
            } else {
                read_len
            },
            body_truncated: truncated,
        });
        return Ok(read);
    }
}

/// The default judgement without expectations: a 2xx final status (a 3xx
/// too when redirects are not followed).
pub(crate) fn default_verdict(spec: &HttpCheck, http: &HttpDetails) -> Option<String> {
    let ok = (200..300).contains(&http.status)
        || (!spec.follow_redirects && (300..400).contains(&http.status));
    if ok {
        return None;
    }
    let reason = StatusCode::from_u16(http.status)
        .ok()
        .and_then(|s| s.canonical_reason());
    Some(match reason {
        Some(reason) => format!("HTTP: {} {reason}", http.status),
        None => format!("HTTP: {}", http.status),
    })
}

/// One request of a check (the first, or one after a redirect).
struct Hop<'a> {
    url: &'a Url,
    method: &'a Method,
    /// The monitor's headers; `None` after a redirect to another origin, so
    /// credentials are not sent where they were not meant to go.
    headers: Option<&'a HeaderMap>,
    /// The client certificate to present, likewise only on the first
    /// URL's origin.
    client_cert: Option<&'a ClientCert>,
    body: Option<Bytes>,
}

/// A response and its body as far as it was read.
struct Exchange {
    response: Response<()>,
    body: Bytes,
    truncated: bool,
}

/// Connects, sends one request and reads the response (not the body of a
/// redirect that will be followed).
async fn exchange(
    checkers: &Checkers,
    hop: Hop<'_>,
    following: bool,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Exchange, String> {
    let url = hop.url;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => {
            return Err(format!(
                "HTTP: unsupported URL scheme `{other}`; use http or https"
            ));
        }
    };
    let host = url.host_str().ok_or("HTTP: the URL has no host")?;
    let port = url
        .port_or_known_default()
        .unwrap_or(if https { 443 } else { 80 });
    let stream = net::connect(&checkers.hosts, host, port, deadline, details).await?;
    if !https {
        let request = build_request(checkers, &hop, false)?;
        return roundtrip(
            checkers, stream, false, request, following, deadline, details,
        )
        .await;
    }
    let config = match hop.client_cert {
        Some(client_cert) => {
            let loading = checkers.client_certs.config(&checkers.tls, client_cert);
            deadline.run(Phase::Tls, loading).await?.0?
        }
        None => checkers.tls.config(true),
    };
    let (stream, session) =
        net::handshake(&checkers.tls, config, stream, host, now, deadline, details).await?;
    let problem = session.problem.clone();
    let h2 = session.alpn.as_deref() == Some("h2");
    details.tls = Some(session);
    if let Some(problem) = problem {
        return Err(format!("TLS: {problem}"));
    }
    let request = build_request(checkers, &hop, h2)?;
    roundtrip(checkers, stream, h2, request, following, deadline, details).await
}

/// Builds the request: origin-form target and `Host` for HTTP/1.1, the
/// absolute URI (`:authority`) for HTTP/2.
fn build_request(
    checkers: &Checkers,
    hop: &Hop<'_>,
    h2: bool,
) -> Result<Request<Full<Bytes>>, String> {
    let url = hop.url;
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let uri = if h2 {
        Uri::builder()
            .scheme(url.scheme())
            .authority(authority.as_str())
            .path_and_query(target)
            .build()
    } else {
        Uri::builder().path_and_query(target).build()
    }
    .map_err(|e| format!("HTTP: invalid URL: {e}"))?;
    let body = hop.body.clone().unwrap_or_default();
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = hop.method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = if h2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    let headers = request.headers_mut();
    if let Some(extra) = hop.headers {
        headers.reserve(extra.len() + 3);
        for (name, value) in extra {
            headers.append(name.clone(), value.clone());
        }
    }
    if !h2 {
        let host = HeaderValue::from_str(&authority)
            .map_err(|_| format!("HTTP: invalid host `{authority}`"))?;
        headers.insert(header::HOST, host);
    }
    headers
        .entry(header::USER_AGENT)
        .or_insert_with(|| checkers.user_agent.clone());
    headers
        .entry(header::ACCEPT)
        .or_insert(HeaderValue::from_static("*/*"));
    Ok(request)
}

/// Runs one request over `io` and reads the response. The connection
/// future is polled alongside, in this task, so dropping the check drops
/// the socket. Redirects that will be followed are not read further.
async fn roundtrip<IO>(
    checkers: &Checkers,
    io: IO,
    h2: bool,
    request: Request<Full<Bytes>>,
    following: bool,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Exchange, String>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    if h2 {
        let handshake = checkers.http2.handshake(io);
        let (handshake, _) = deadline.run(Phase::FirstByte, handshake).await?;
        let (mut sender, conn) = handshake.map_err(|e| describe_hyper(&e))?;
        let response = sender.send_request(request);
        read_response(
            pin!(conn),
            response,
            following,
            checkers.max_body_bytes,
            deadline,
            details,
        )
        .await
    } else {
        let handshake = checkers.http1.handshake(io);
        let (handshake, _) = deadline.run(Phase::FirstByte, handshake).await?;
        let (mut sender, conn) = handshake.map_err(|e| describe_hyper(&e))?;
        let response = sender.send_request(request);
        read_response(
            pin!(conn),
            response,
            following,
            checkers.max_body_bytes,
            deadline,
            details,
        )
        .await
    }
}

/// Waits for the response head, then reads the body up to `cap`.
async fn read_response<C, R>(
    mut conn: Pin<&mut C>,
    response: R,
    following: bool,
    cap: usize,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<Exchange, String>
where
    C: Future<Output = hyper::Result<()>>,
    R: Future<Output = hyper::Result<Response<Incoming>>>,
{
    let mut conn_done = false;
    let waited = deadline
        .run(
            Phase::FirstByte,
            drive(conn.as_mut(), &mut conn_done, response),
        )
        .await?;
    net::add(&mut details.timing.first_byte, waited.1);
    let response = waited.0.map_err(|e| describe_hyper(&e))?;
    let (parts, incoming) = response.into_parts();
    let response = Response::from_parts(parts, ());
    let skip = following
        && response.status().is_redirection()
        && response.headers().contains_key(header::LOCATION);
    if skip {
        return Ok(Exchange {
            response,
            body: Bytes::new(),
            truncated: false,
        });
    }
    let read = deadline
        .run(
            Phase::Body,
            drive(conn.as_mut(), &mut conn_done, read_capped(incoming, cap)),
        )
        .await?;
    let (body, truncated) = read
        .0
        .map_err(|e| format!("HTTP: reading the body failed: {}", describe_hyper(&e)))?;
    Ok(Exchange {
        response,
        body,
        truncated,
    })
}

/// Polls `fut` to completion while also polling the connection `conn`
/// (until it finishes), in the same task.
async fn drive<C, F>(mut conn: Pin<&mut C>, conn_done: &mut bool, fut: F) -> F::Output
where
    C: Future<Output = hyper::Result<()>>,
    F: Future,
{
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if !*conn_done && conn.as_mut().poll(cx).is_ready() {
            *conn_done = true;
            return fut.as_mut().poll(cx);
        }
        Poll::Pending
    })
    .await
}

/// Reads the body until its end or `cap` bytes, whichever comes first;
/// returns the bytes and whether it stopped at the cap.
async fn read_capped(mut body: Incoming, cap: usize) -> hyper::Result<(Bytes, bool)> {
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(mut data) = frame?.into_data() else {
            continue;
        };
        let room = cap - len;
        let truncated = data.len() > room;
        if truncated {
            data.truncate(room);
        }
        len += data.len();
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            None => rest.extend_from_slice(&data),
            Some(head) => {
                rest.reserve(head.len() + data.len());
                rest.extend_from_slice(&head);
                rest.extend_from_slice(&data);
            }
        }
        if truncated {
            return Ok((first.unwrap_or_else(|| rest.freeze()), true));
        }
    }
    Ok((first.unwrap_or_else(|| rest.freeze()), false))
}

/// The monitor's request headers, parsed once per check.
fn request_headers(spec: &HttpCheck) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::with_capacity(spec.headers.len());
    for (name, setting) in &spec.headers {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("HTTP: invalid header name `{name}`"))?;
        let value = setting
            .value()
            .ok_or_else(|| format!("HTTP: header `{name}` is a secret that was not resolved"))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| format!("HTTP: header `{name}` has an invalid value"))?;
        value.set_sensitive(setting.is_secret());
        headers.append(header_name, value);
    }
    Ok(headers)
}

/// A URL as shown in reasons and details: a secret URL shows only its origin.
fn shown(url: &Url, secret: bool) -> String {
    if secret {
        format!("{}/…", url.origin().ascii_serialization())
    } else {
        url.to_string()
    }
}

/// Describes a hyper error by its most specific cause.
fn describe_hyper(err: &hyper::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        // HTTP/2 keeps its IO error inside, not as a source.
        let io = cause.downcast_ref::<std::io::Error>().or_else(|| {
            cause
                .downcast_ref::<h2::Error>()
                .and_then(h2::Error::get_io)
        });
        if let Some(io) = io {
            if let Some(refused) = net::describe_client_cert_alert(io) {
                return refused;
            }
            return format!("HTTP: {}", net::describe_io(io));
        }
        source = cause.source();
    }
    if err.is_incomplete_message() {
        return "HTTP: connection closed before the response was complete".to_owned();
    }
    format!("HTTP: {err}")
}

#[cfg(test)]
mod tests {
    use shipshape_catalog::Setting;

    use super::*;

    fn spec(follow_redirects: bool) -> HttpCheck {
        HttpCheck {
            url: Setting::Plain("http://x.test/".into()),
            method: "GET".into(),
            headers: Default::default(),
            body: None,
            follow_redirects,
            max_redirects: 10,
            client_cert: None,
        }
    }

    fn status(code: u16) -> HttpDetails {
        HttpDetails {
            status: code,
            version: "HTTP/1.1",
            url: String::new(),
            redirects: Vec::new(),
            headers: HeaderMap::new(),
            body_size: 0,
            body_truncated: false,
        }
    }

    #[test]
    fn the_default_wants_a_2xx_or_an_unfollowed_3xx() {
        assert_eq!(default_verdict(&spec(true), &status(204)), None);
        assert_eq!(default_verdict(&spec(false), &status(301)), None);
        assert_eq!(
            default_verdict(&spec(true), &status(301)),
            Some("HTTP: 301 Moved Permanently".into())
        );
        assert_eq!(
            default_verdict(&spec(true), &status(599)),
            Some("HTTP: 599".into())
        );
    }

    #[test]
    fn a_secret_url_shows_only_its_origin() {
        let url = Url::parse("https://x.test:8443/hook/s3cr3t?k=v").expect("url");
        assert_eq!(shown(&url, true), "https://x.test:8443/…");
        assert_eq!(shown(&url, false), "https://x.test:8443/hook/s3cr3t?k=v");
    }
}
