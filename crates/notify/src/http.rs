//! The HTTP destinations (webhook, Slack, PagerDuty, ntfy, Pushover,
//! gateway templates) and how their answers become an [`Outcome`]: 2xx is
//! delivered; 408, 425, 429 and 5xx are retried, honouring `Retry-After`;
//! any other status is rejected with a short excerpt of the body, with the
//! destination's secrets redacted. Redirects are not followed (a webhook
//! that moved is a configuration to fix, and following would hand the body
//! and credentials to another host).

use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Client, Method, RequestBuilder, StatusCode};

use crate::render::{self, Escape};
use crate::{GatewayTemplate, MAX_RETRY_AFTER, Message, Outcome};

/// How much of a response body is read for an error excerpt.
const READ_LIMIT: usize = 4096;
/// How long an excerpt in an outcome may be, in characters.
const EXCERPT_CHARS: usize = 200;

pub(crate) async fn webhook(
    client: &Client,
    m: &Message,
    url: &str,
    bearer: Option<&str>,
    secret: Option<&str>,
    extra: &[(String, String)],
) -> Outcome {
    let target = match parse_url(url) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let body = render::webhook_json(m).to_string().into_bytes();
    let timestamp = jiff::Timestamp::now().as_second();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let key = match key_value(&m.key) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    headers.insert("x-shipshape-delivery", key.clone());
    headers.insert("idempotency-key", key);
    headers.insert("x-shipshape-timestamp", HeaderValue::from(timestamp));
    if let Some(secret) = secret {
        match HeaderValue::from_str(&crate::sign(secret.as_bytes(), timestamp, &body)) {
            Ok(value) => {
                headers.insert("x-shipshape-signature", value);
            }
            Err(_) => return rejected("cannot encode the signature header"),
        }
    }
    if let Some(bearer) = bearer {
        match bearer_value(bearer) {
            Ok(value) => {
                headers.insert(AUTHORIZATION, value);
            }
            Err(outcome) => return outcome,
        }
    }
    if let Err(outcome) = add_extra(&mut headers, extra) {
        return outcome;
    }
    let url_parts = url_secrets(&target.url);
    let mut secrets = vec![url];
    secrets.extend(url_parts.iter().map(String::as_str));
    secrets.extend(bearer);
    secrets.extend(secret);
    secrets.extend(extra.iter().map(|(_, v)| v.as_str()));
    let request = client.post(target.url).headers(headers).body(body);
    send(request, &target.host, &secrets).await
}

pub(crate) async fn slack(client: &Client, m: &Message, url: &str) -> Outcome {
    let target = match parse_url(url) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let url_parts = url_secrets(&target.url);
    let mut secrets = vec![url];
    secrets.extend(url_parts.iter().map(String::as_str));
    let request = client.post(target.url).json(&render::slack_json(m));
    send(request, &target.host, &secrets).await
}

pub(crate) async fn pagerduty(
    client: &Client,
    m: &Message,
    url: &str,
    routing_key: &str,
) -> Outcome {
    let target = match parse_url(url) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let request = client
        .post(target.url)
        .json(&render::pagerduty_json(m, routing_key));
    send(request, &target.host, &[routing_key]).await
}

pub(crate) async fn ntfy(
    client: &Client,
    m: &Message,
    server: &str,
    topic: &str,
    token: Option<&str>,
) -> Outcome {
    let mut target = match parse_url(server) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let topic = topic.trim().trim_matches('/');
    if topic.is_empty() {
        return rejected("the ntfy topic is empty");
    }
    match target.url.path_segments_mut() {
        Ok(mut segments) => {
            segments.pop_if_empty().push(topic);
        }
        Err(()) => return rejected(&format!("invalid ntfy server URL ({})", target.host)),
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert("title", encoded_word(&render::headline(m)));
    headers.insert(
        "priority",
        HeaderValue::from(u16::from(render::ntfy_priority(m))),
    );
    if let Ok(tags) = HeaderValue::from_str(&render::ntfy_tags(m)) {
        headers.insert("tags", tags);
    }
    if let Some(url) = render::web_url(&m.incident_url) {
        headers.insert("click", encoded_word(&url));
    }
    if let Some(ack) = render::web_url(&m.ack_url) {
        headers.insert("actions", encoded_word(&render::ntfy_actions(&ack)));
    }
    if let Some(token) = token {
        match bearer_value(token) {
            Ok(value) => {
                headers.insert(AUTHORIZATION, value);
            }
            Err(outcome) => return outcome,
        }
    }
    let mut secrets = Vec::new();
    secrets.extend(token);
    let request = client
        .post(target.url)
        .headers(headers)
        .body(render::ntfy_body(m));
    send(request, &target.host, &secrets).await
}

pub(crate) async fn pushover(
    client: &Client,
    m: &Message,
    url: &str,
    user: &str,
    token: &str,
) -> Outcome {
    let target = match parse_url(url) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let mut form: Vec<(&str, String)> = vec![
        ("token", token.to_owned()),
        ("user", user.to_owned()),
        ("title", render::truncate(&render::headline(m), 250)),
        ("message", render::pushover_message(m)),
        ("priority", render::pushover_priority(m).to_string()),
        ("timestamp", m.at.as_second().to_string()),
    ];
    if let Some(incident) = render::web_url(&m.incident_url) {
        form.push(("url", render::truncate(&incident, 512)));
        form.push(("url_title", "Open incident".to_owned()));
    }
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let request = client
        .post(target.url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    send(request, &target.host, &[token, user]).await
}

pub(crate) async fn gateway(
    client: &Client,
    m: &Message,
    gateway: &GatewayTemplate,
    to: &str,
) -> Outcome {
    let url = render::substitute(&gateway.url, m, to, Escape::Url);
    let target = match parse_url(&url) {
        Ok(target) => target,
        Err(outcome) => return outcome,
    };
    let method = gateway.method.trim().to_ascii_uppercase();
    let method = if method.is_empty() {
        Method::POST
    } else {
        match Method::from_bytes(method.as_bytes()) {
            Ok(method) => method,
            Err(_) => return rejected(&format!("invalid gateway method `{method}`")),
        }
    };
    let mut headers = HeaderMap::new();
    let content_type = gateway.content_type.trim();
    let body = if gateway.body.is_empty() {
        None
    } else {
        let escape = Escape::for_content_type(content_type);
        Some(render::substitute(&gateway.body, m, to, escape))
    };
    if body.is_some() && !content_type.is_empty() {
        match HeaderValue::from_str(content_type) {
            Ok(value) => {
                headers.insert(CONTENT_TYPE, value);
            }
            Err(_) => return rejected("invalid gateway content type"),
        }
    }
    let mut header_values = Vec::new();
    for (name, value) in &gateway.headers {
        // Line breaks in the template itself must not split the header.
        let value: String = render::substitute(value, m, to, Escape::Header)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        header_values.push((name.clone(), value));
    }
    if let Err(outcome) = add_extra(&mut headers, &header_values) {
        return outcome;
    }
    let url_parts = url_secrets(&target.url);
    let mut secrets: Vec<&str> = vec![&gateway.url, &url];
    secrets.extend(url_parts.iter().map(String::as_str));
    secrets.extend(gateway.headers.iter().map(|(_, v)| v.as_str()));
    let mut request = client.request(method, target.url).headers(headers);
    if let Some(body) = body {
        request = request.body(body);
    }
    send(request, &target.host, &secrets).await
}

/// The host of a URL, safe to show (no path, query or credentials).
pub(crate) fn host_of(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => "invalid URL".to_owned(),
        },
        Err(_) => "invalid URL".to_owned(),
    }
}

/// The parts of a secret URL a server might echo: the path and query,
/// the last path segment and every query value.
fn url_secrets(url: &url::Url) -> Vec<String> {
    let mut parts = vec![url.path().to_owned()];
    if let Some(query) = url.query() {
        parts.push(format!("{}?{query}", url.path()));
        parts.push(query.to_owned());
    }
    if let Some(last) = url.path_segments().and_then(|mut s| s.next_back()) {
        parts.push(last.to_owned());
    }
    parts.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    if let Some(password) = url.password() {
        parts.push(password.to_owned());
    }
    parts
}

struct Target {
    url: url::Url,
    host: String,
}

fn parse_url(raw: &str) -> Result<Target, Outcome> {
    let url = url::Url::parse(raw.trim()).map_err(|_| rejected("invalid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(rejected(&format!(
            "unsupported URL scheme `{}` (http or https)",
            url.scheme()
        )));
    }
    if url.host_str().is_none() {
        return Err(rejected("URL without a host"));
    }
    let host = host_of(raw);
    Ok(Target { url, host })
}

fn rejected(reason: &str) -> Outcome {
    Outcome::Rejected {
        reason: reason.to_owned(),
    }
}

fn key_value(key: &str) -> Result<HeaderValue, Outcome> {
    HeaderValue::from_str(&render::one_line(key))
        .map_err(|_| rejected("the delivery key can't be sent as a header"))
}

fn bearer_value(token: &str) -> Result<HeaderValue, Outcome> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
        .map_err(|_| rejected("the bearer token holds characters not allowed in a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Adds configured headers; they never replace one already set.
fn add_extra(headers: &mut HeaderMap, extra: &[(String, String)]) -> Result<(), Outcome> {
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| rejected(&format!("invalid header name `{}`", name.trim())))?;
        if headers.contains_key(&name) {
            continue;
        }
        let mut value = HeaderValue::from_str(value.trim()).map_err(|_| {
            rejected(&format!(
                "the value of header `{name}` holds characters not allowed in a header"
            ))
        })?;
        value.set_sensitive(true);
        headers.append(name, value);
    }
    Ok(())
}

/// A header value; non-ASCII text as an RFC 2047 encoded word (ntfy
/// decodes those).
fn encoded_word(text: &str) -> HeaderValue {
    let text = render::one_line(text);
    if text.is_ascii()
        && let Ok(value) = HeaderValue::from_str(&text)
    {
        return value;
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    HeaderValue::from_str(&format!("=?UTF-8?B?{encoded}?="))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn send(request: RequestBuilder, host: &str, secrets: &[&str]) -> Outcome {
    match request.send().await {
        Ok(response) => classify(response, host, secrets).await,
        Err(error) => Outcome::Retry {
            reason: describe(&error, host),
            after: None,
        },
    }
}

async fn classify(mut response: reqwest::Response, host: &str, secrets: &[&str]) -> Outcome {
    let status = response.status();
    if status.is_success() {
        return Outcome::Delivered {
            detail: format!("HTTP {} from {host}", status.as_u16()),
        };
    }
    let after = retry_after(response.headers());
    let mut body = Vec::new();
    while body.len() < READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let excerpt = excerpt(&body, secrets);
    let mut reason = format!("HTTP {} from {host}", status.as_u16());
    if status.is_redirection() {
        reason.push_str(" (redirects are not followed)");
    }
    if !excerpt.is_empty() {
        reason.push_str(": ");
        reason.push_str(&excerpt);
    }
    if is_retryable(status) {
        Outcome::Retry { reason, after }
    } else {
        Outcome::Rejected { reason }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error()
}

/// `Retry-After` as seconds or an HTTP date, capped at an hour.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let secs = when
        .as_second()
        .saturating_sub(jiff::Timestamp::now().as_second());
    let secs = u64::try_from(secs).unwrap_or(0);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// A short, single-line excerpt of a response body, secrets redacted.
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut text = render::one_line(&text);
    let mut collapsed = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                collapsed.push(' ');
            }
            space = true;
        } else {
            collapsed.push(c);
            space = false;
        }
    }
    text = collapsed;
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| s.len() >= 4)
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        text = text.replace(secret, "***");
    }
    render::truncate(text.trim(), EXCERPT_CHARS)
}

/// A transport error, naming the host but never the URL.
fn describe(error: &reqwest::Error, host: &str) -> String {
    if error.is_timeout() {
        return format!("timed out ({host})");
    }
    let what = if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "error reading the response"
    } else if error.is_request() {
        "error sending the request"
    } else {
        "HTTP error"
    };
    // The innermost cause says what happened ("Connection refused").
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.source();
    let mut last = None;
    while let Some(err) = cause {
        last = Some(err.to_string());
        cause = err.source();
    }
    match last {
        Some(detail) => format!(
            "{what} ({host}): {}",
            render::truncate(&render::one_line(&detail), EXCERPT_CHARS)
        ),
        None => format!("{what} ({host})"),
    }
}
