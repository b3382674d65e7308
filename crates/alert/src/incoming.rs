//! Alerts from other systems: what a Prometheus server posts to
//! Alertmanager's API ([`parse_alertmanager`]), and a small generic JSON
//! event for scripts and other tools ([`parse_event`]).
//!
//! Both turn an untrusted request body into [`IncomingAlert`]s, or into a
//! [`PayloadError`] that names the exact field at fault (`[2].labels:
//! missing`), so the sender's log says what to fix. Nothing here reads the
//! clock: "now" is a parameter, and it fills in the times a payload leaves
//! out, as Alertmanager does.
//!
//! Parsing walks a [`serde_json::Value`] by hand rather than deriving, so
//! that every error carries its path and bounds are checked field by field.

use std::collections::BTreeMap;
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use shipshape_catalog::Severity;

/// How long an alert without `endsAt` stays firing unless it is posted
/// again: Alertmanager's default `resolve_timeout`.
pub const RESOLVE_TIMEOUT: SignedDuration = SignedDuration::from_mins(5);

/// Most alerts accepted in one Alertmanager request.
pub const MAX_ALERTS: usize = 1000;

/// Most labels (and, separately, annotations) on one alert.
pub const MAX_LABELS: usize = 100;

/// Longest label value, in bytes (label names are held to the same bound).
pub const MAX_LABEL_VALUE: usize = 4096;

/// Longest annotation value, in bytes: descriptions and runbooks run long,
/// but not unboundedly.
pub const MAX_ANNOTATION_VALUE: usize = 64 * 1024;

/// Longest URL (`generatorURL`, `link`), in bytes.
pub const MAX_URL: usize = 4096;

/// Longest generic event `key`, in characters.
pub const MAX_KEY: usize = 200;

/// Longest generic event `summary`, in characters.
pub const MAX_SUMMARY: usize = 1000;

/// Default `expires_in` of a generic event, in seconds.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

/// An alert raised by another system, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingAlert {
    /// Identity of the alert across posts: for Alertmanager payloads a hash
    /// of the label set (see [`fingerprint`]), for generic events the key.
    pub fingerprint: String,
    /// Identifying labels (`alertname`, `severity`, `service`, ...). Labels
    /// with an empty value are dropped: as in Prometheus, an empty label is
    /// no label.
    pub labels: BTreeMap<String, String>,
    /// Informational annotations (`summary`, `description`, `runbook_url`, ...).
    pub annotations: BTreeMap<String, String>,
    /// When the alert started firing.
    pub starts_at: Timestamp,
    /// When the alert ends (or ended) unless it is posted again.
    pub ends_at: Timestamp,
    /// Link back to the source, e.g. the Prometheus graph of the rule.
    pub generator_url: Option<String>,
    /// Whether the alert was already over at the time of parsing
    /// (`ends_at <= now`).
    pub resolved: bool,
}

impl IncomingAlert {
    /// One line for humans: the `summary` annotation, else `description`,
    /// else the alert name followed by the other labels,
    /// `HighLatency {instance="db1", job="api"}`.
    pub fn summary(&self) -> String {
        for key in ["summary", "description"] {
            if let Some(text) = self.annotations.get(key).filter(|t| !t.trim().is_empty()) {
                return text.clone();
            }
        }
        let rest: Vec<String> = self
            .labels
            .iter()
            .filter(|(name, _)| name.as_str() != "alertname")
            .map(|(name, value)| format!("{name}={value:?}"))
            .collect();
        let rest = format!("{{{}}}", rest.join(", "));
        match self.labels.get("alertname") {
            Some(name) if rest == "{}" => name.clone(),
            Some(name) => format!("{name} {rest}"),
            None => rest,
        }
    }

    /// Severity from the `severity` label: `critical`, `page` or `error`
    /// are [`Severity::Critical`], `warning` or `warn` [`Severity::Warning`],
    /// `info` or `none` [`Severity::Info`] (any case). Anything else, or no
    /// label, is critical: an alert nobody classified may be serious.
    pub fn severity(&self) -> Severity {
        let label = self
            .labels
            .get("severity")
            .map(|s| s.trim().to_ascii_lowercase());
        match label.as_deref() {
            Some("warning" | "warn") => Severity::Warning,
            Some("info" | "none") => Severity::Info,
            _ => Severity::Critical,
        }
    }

    /// The service the alert is about: the `service` label, else `job`.
    pub fn service(&self) -> Option<&str> {
        self.labels
            .get("service")
            .or_else(|| self.labels.get("job"))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

/// A rejected payload: where (`[0].labels.foo`, `summary`, or `body` for
/// the whole) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    /// Path of the offending field: `[index]` for array elements, `.name`
    /// for object members; `body` for the request body as a whole.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl PayloadError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for PayloadError {}

/// The stable identity of a label set: the first 16 hex digits of the
/// SHA-256 of the labels in name order, each name and value followed by a
/// 0xFF byte (which never occurs in UTF-8, so no two sets collide by
/// concatenation). Labels with empty values are skipped, as they are no
/// labels.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    for (name, value) in labels.iter().filter(|(_, v)| !v.is_empty()) {
        hash.update(name.as_bytes());
        hash.update([0xff]);
        hash.update(value.as_bytes());
        hash.update([0xff]);
    }
    let digest = hash.finalize();
    hex::encode(&digest[..8])
}

/// Parses the body of a `POST /api/v2/alerts` as a Prometheus server sends
/// it to Alertmanager: a JSON array of `postableAlert` objects with
/// `labels` (required, non-empty), and optional `annotations`, `startsAt`,
/// `endsAt` and `generatorURL`. Unknown members are ignored, as
/// Alertmanager does, so newer senders keep working.
///
/// Times follow Alertmanager: a missing `startsAt` is `endsAt` if given,
/// else `now`; a missing `endsAt` is `now + RESOLVE_TIMEOUT`; Go's zero
/// time (`0001-01-01T00:00:00Z`) counts as missing. An alert whose end is
/// not after `now` is resolved.
///
/// Bounds: at most [`MAX_ALERTS`] alerts, [`MAX_LABELS`] labels and
/// annotations each, label values of at most [`MAX_LABEL_VALUE`] bytes.
pub fn parse_alertmanager(body: &[u8], now: Timestamp) -> Result<Vec<IncomingAlert>, PayloadError> {
    let value = parse_json(body)?;
    let Value::Array(items) = value else {
        return Err(PayloadError::new("body", "expected a JSON array of alerts"));
    };
    if items.len() > MAX_ALERTS {
        return Err(PayloadError::new(
            "body",
            format!(
                "{} alerts in one request; at most {MAX_ALERTS} are accepted",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| alertmanager_alert(item, &format!("[{i}]"), now))
        .collect()
}

fn parse_json(body: &[u8]) -> Result<Value, PayloadError> {
    serde_json::from_slice(body).map_err(|e| {
        PayloadError::new(
            "body",
            format!(
                "not valid JSON ({} at line {} column {})",
                json_error_kind(&e),
                e.line(),
                e.column()
            ),
        )
    })
}

fn json_error_kind(e: &serde_json::Error) -> String {
    // serde_json's message ends with " at line L column C"; we add our own.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn alertmanager_alert(
    item: &Value,
    path: &str,
    now: Timestamp,
) -> Result<IncomingAlert, PayloadError> {
    let Value::Object(object) = item else {
        return Err(PayloadError::new(
            path,
            format!("expected an alert object, found {}", kind(item)),
        ));
    };
    let labels = match object.get("labels") {
        None | Some(Value::Null) => {
            return Err(PayloadError::new(format!("{path}.labels"), "missing"));
        }
        Some(value) => string_map(value, &format!("{path}.labels"), "label", MAX_LABEL_VALUE)?,
    };
    if labels.is_empty() {
        return Err(PayloadError::new(
            format!("{path}.labels"),
            "at least one label is required",
        ));
    }
    let annotations = match object.get("annotations") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(value) => string_map(
            value,
            &format!("{path}.annotations"),
            "annotation",
            MAX_ANNOTATION_VALUE,
        )?,
    };
    let starts = optional_time(object, "startsAt", path)?;
    let ends = optional_time(object, "endsAt", path)?;
    let generator_url = match object.get("generatorURL") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(value) => Some(url(value, &format!("{path}.generatorURL"))?),
    };
    let starts_at = starts.or(ends).unwrap_or(now);
    let ends_at = match ends {
        Some(ends) => {
            if ends < starts_at {
                return Err(PayloadError::new(
                    format!("{path}.endsAt"),
                    "before startsAt",
                ));
            }
            ends
        }
        None => {
            let ends = now.checked_add(RESOLVE_TIMEOUT).unwrap_or(Timestamp::MAX);
            if ends < starts_at {
                return Err(PayloadError::new(
                    format!("{path}.startsAt"),
                    format!(
                        "more than {} minutes in the future, and no endsAt",
                        RESOLVE_TIMEOUT.as_mins()
                    ),
                ));
            }
            ends
        }
    };
    Ok(IncomingAlert {
        fingerprint: fingerprint(&labels),
        labels,
        annotations,
        starts_at,
        ends_at,
        generator_url,
        resolved: ends_at <= now,
    })
}

fn optional_time(
    object: &Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<Timestamp>, PayloadError> {
    let path = format!("{path}.{field}");
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => {
            let time = parse_rfc3339(text).ok_or_else(|| {
                PayloadError::new(&path, format!("{text:?} is not an RFC 3339 time"))
            })?;
            // Go's zero `time.Time`, which some clients send for "unset".
            Ok((time.as_second() != GO_ZERO_TIME).then_some(time))
        }
        Some(other) => Err(PayloadError::new(
            path,
            format!("must be an RFC 3339 time string, found {}", kind(other)),
        )),
    }
}

/// `0001-01-01T00:00:00Z` in seconds since the Unix epoch.
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// RFC 3339 `date-time`: `2026-03-08T10:00:00Z`, with optional fraction
/// and a `Z` or numeric offset. jiff alone would take more (time zone
/// annotations, a space separator), so the shape is checked first.
fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut rest = &b[19..];
    if let Some((b'.', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|d| d.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        rest = &tail[n..];
    }
    let offset_ok = matches!(rest, [b'Z' | b'z'])
        || (rest.len() == 6
            && matches!(rest[0], b'+' | b'-')
            && rest[1..3].iter().all(u8::is_ascii_digit)
            && rest[3] == b':'
            && rest[4..6].iter().all(u8::is_ascii_digit));
    if !offset_ok {
        return None;
    }
    text.parse().ok()
}

/// A JSON object of string values, names checked as Prometheus label
/// names. Empty values are dropped.
fn string_map(
    value: &Value,
    path: &str,
    what: &str,
    max_value: usize,
) -> Result<BTreeMap<String, String>, PayloadError> {
    let Value::Object(object) = value else {
        return Err(PayloadError::new(
            path,
            format!(
                "expected an object of {what} names to strings, found {}",
                kind(value)
            ),
        ));
    };
    if object.len() > MAX_LABELS {
        return Err(PayloadError::new(
            path,
            format!(
                "{} {what}s; at most {MAX_LABELS} are accepted",
                object.len()
            ),
        ));
    }
    let mut map = BTreeMap::new();
    for (name, value) in object {
        if !is_label_name(name) {
            return Err(PayloadError::new(
                path,
                format!(
                    "{what} name {:?} is invalid (expected [a-zA-Z_][a-zA-Z0-9_]*)",
                    truncate(name, 100)
                ),
            ));
        }
        let field = format!("{path}.{name}");
        let Value::String(text) = value else {
            return Err(PayloadError::new(field, "must be a string"));
        };
        if text.len() > max_value {
            return Err(PayloadError::new(
                field,
                format!(
                    "{} bytes long; at most {max_value} are accepted",
                    text.len()
                ),
            ));
        }
        if !text.is_empty() {
            map.insert(name.clone(), text.clone());
        }
    }
    Ok(map)
}

/// Whether `name` is a Prometheus label name, `[a-zA-Z_][a-zA-Z0-9_]*`
/// (and at most [`MAX_LABEL_VALUE`] bytes).
pub fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_LABEL_VALUE
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn url(value: &Value, path: &str) -> Result<String, PayloadError> {
    let Value::String(text) = value else {
        return Err(PayloadError::new(
            path,
            format!("must be a URL string, found {}", kind(value)),
        ));
    };
    if text.len() > MAX_URL {
        return Err(PayloadError::new(
            path,
            format!("{} bytes long; at most {MAX_URL} are accepted", text.len()),
        ));
    }
    match url::Url::parse(text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(text.clone()),
        Ok(parsed) => Err(PayloadError::new(
            path,
            format!(
                "{:?}: only http and https URLs are accepted, not {}",
                truncate(text, 100),
                parsed.scheme()
            ),
        )),
        Err(e) => Err(PayloadError::new(
            path,
            format!("{:?} is not a URL ({e})", truncate(text, 100)),
        )),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const EVENT_FIELDS: [&str; 8] = [
    "key",
    "status",
    "summary",
    "severity",
    "service",
    "labels",
    "link",
    "expires_in",
];

/// Parses a generic JSON event, for scripts and tools that are not
/// Prometheus:
///
/// ```json
/// { "key": "disk-full-db1", "status": "firing", "summary": "/var is 97% full",
///   "severity": "warning", "service": "benefits-db", "labels": { "host": "db1" },
///   "link": "https://grafana.example.org/d/disk", "expires_in": 7200 }
/// ```
///
/// - `key` (required): 1 to [`MAX_KEY`] characters of `A-Z a-z 0-9 . _ : / -`;
///   posting the same key again updates the alert. It is the fingerprint,
///   and the `alertname` label unless `labels` sets one.
/// - `status`: `"firing"` (default) or `"resolved"`.
/// - `summary` (required): at most [`MAX_SUMMARY`] characters; becomes the
///   `summary` annotation.
/// - `severity`: `"critical"` (default), `"warning"` or `"info"`; becomes
///   the `severity` label.
/// - `service`: becomes the `service` label.
/// - `labels`: more labels, as in Alertmanager payloads (`severity` and
///   `service` are reserved for the fields above).
/// - `link`: an http(s) URL, the [`IncomingAlert::generator_url`].
/// - `expires_in`: seconds, 60 to 86400 (default 3600), after which a
///   firing event resolves unless posted again.
///
/// Unknown fields are rejected, so a typo (`"sumary"`) is not silently
/// lost. A firing event starts `now`; a resolved one starts and ends `now`.
pub fn parse_event(body: &[u8], now: Timestamp) -> Result<IncomingAlert, PayloadError> {
    let value = parse_json(body)?;
    let Value::Object(object) = value else {
        return Err(PayloadError::new(
            "body",
            format!("expected a JSON object, found {}", kind(&value)),
        ));
    };
    if let Some(unknown) = object.keys().find(|k| !EVENT_FIELDS.contains(&k.as_str())) {
        return Err(PayloadError::new(
            truncate(unknown, 100),
            format!("unknown field; expected one of {}", EVENT_FIELDS.join(", ")),
        ));
    }
    let key = match object.get("key") {
        None | Some(Value::Null) => return Err(PayloadError::new("key", "missing")),
        Some(Value::String(key)) => key,
        Some(other) => {
            return Err(PayloadError::new(
                "key",
                format!("must be a string, found {}", kind(other)),
            ));
        }
    };
    let key_len = key.chars().count();
    if key_len == 0 || key_len > MAX_KEY {
        return Err(PayloadError::new(
            "key",
            format!("must be 1 to {MAX_KEY} characters long, not {key_len}"),
        ));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-')))
    {
        return Err(PayloadError::new(
            "key",
            format!("{bad:?} is not allowed (use A-Z a-z 0-9 . _ : / -)"),
        ));
    }
    let resolved = one_of(&object, "status", &["firing", "resolved"])? == Some("resolved");
    let summary = match object.get("summary") {
        None | Some(Value::Null) => return Err(PayloadError::new("summary", "missing")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(PayloadError::new("summary", "must not be empty"));
        }
        Some(Value::String(s)) if s.chars().count() > MAX_SUMMARY => {
            return Err(PayloadError::new(
                "summary",
                format!(
                    "{} characters long; at most {MAX_SUMMARY} are accepted",
                    s.chars().count()
                ),
            ));
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(PayloadError::new(
                "summary",
                format!("must be a string, found {}", kind(other)),
            ));
        }
    };
    let severity =
        one_of(&object, "severity", &["critical", "warning", "info"])?.unwrap_or("critical");
    let service = match object.get("service") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) if s.len() > MAX_LABEL_VALUE => {
            return Err(PayloadError::new(
                "service",
                format!(
                    "{} bytes long; at most {MAX_LABEL_VALUE} are accepted",
                    s.len()
                ),
            ));
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PayloadError::new(
                "service",
                format!("must be a string, found {}", kind(other)),
            ));
        }
    };
    let mut labels = match object.get("labels") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(value) => string_map(value, "labels", "label", MAX_LABEL_VALUE)?,
    };
    for reserved in ["severity", "service"] {
        if labels.contains_key(reserved) {
            return Err(PayloadError::new(
                format!("labels.{reserved}"),
                format!("reserved; use the top-level \"{reserved}\" field"),
            ));
        }
    }
    if labels.len() + 3 > MAX_LABELS {
        return Err(PayloadError::new(
            "labels",
            format!(
                "{} labels; at most {} are accepted besides alertname, severity and service",
                labels.len(),
                MAX_LABELS - 3
            ),
        ));
    }
    labels
        .entry("alertname".into())
        .or_insert_with(|| key.clone());
    labels.insert("severity".into(), severity.into());
    if let Some(service) = service {
        labels.insert("service".into(), service);
    }
    let generator_url = match object.get("link") {
        None | Some(Value::Null) => None,
        Some(value) => Some(url(value, "link")?),
    };
    let expires_in = match object.get("expires_in") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(s) if (60..=86_400).contains(&s) => s,
            _ => {
                return Err(PayloadError::new(
                    "expires_in",
                    format!("{n} is out of range; expected whole seconds from 60 to 86400"),
                ));
            }
        },
        Some(other) => {
            return Err(PayloadError::new(
                "expires_in",
                format!("must be a number of seconds, found {}", kind(other)),
            ));
        }
    };
    let ends_at = if resolved {
        now
    } else {
        now.checked_add(SignedDuration::from_secs(expires_in))
            .unwrap_or(Timestamp::MAX)
    };
    Ok(IncomingAlert {
        fingerprint: key.clone(),
        labels,
        annotations: BTreeMap::from([("summary".to_owned(), summary)]),
        starts_at: now,
        ends_at,
        generator_url,
        resolved: ends_at <= now,
    })
}

/// An optional string member that must be one of `allowed`.
fn one_of<'a>(
    object: &Map<String, Value>,
    field: &str,
    allowed: &[&'a str],
) -> Result<Option<&'a str>, PayloadError> {
    let expected = || {
        allowed
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match allowed.iter().find(|a| **a == s) {
            Some(a) => Ok(Some(*a)),
            None => Err(PayloadError::new(
                field,
                format!("{:?} is not {}", truncate(s, 100), expected()),
            )),
        },
        Some(other) => Err(PayloadError::new(
            field,
            format!("must be {}, found {}", expected(), kind(other)),
        )),
    }
}
