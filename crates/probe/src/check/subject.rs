//! A check result as an expectation [`Subject`]: answers `status`, `body`,
//! `json.…`, `header.<name>`, `cert.…`, `tls.version`, `dns.…`, `timing.…`,
//! `tcp.received` and `datastore.…` from the [`Details`] and the body read. The body is
//! decoded as text and parsed as JSON at most once, and only if asked.

use std::borrow::Cow;
use std::cell::OnceCell;

use jiff::Timestamp;
use shipshape_expect::{Field, Lookup, Subject, Value};

use crate::result::{CheckResult, DatastoreDetails, Details, Role};

/// One check result seen by expectations: its details plus the body bytes
/// that were read (bodies are not kept in [`CheckResult`]).
#[derive(Debug)]
pub struct Observed<'a> {
    details: &'a Details,
    started_at: Timestamp,
    /// `None` when the body was not kept (a finished result).
    body: Option<&'a [u8]>,
    text: OnceCell<Cow<'a, str>>,
    json: OnceCell<Option<serde_json::Value>>,
}

impl<'a> Observed<'a> {
    /// Views `details` (of a check started at `started_at`) with the body
    /// read (empty if none).
    pub fn new(details: &'a Details, started_at: Timestamp, body: &'a [u8]) -> Self {
        Self {
            details,
            started_at,
            body: Some(body),
            text: OnceCell::new(),
            json: OnceCell::new(),
        }
    }

    /// Views a finished result, whose body is no longer kept: `body` and
    /// `json.…` are unavailable.
    pub fn of(result: &'a CheckResult) -> Self {
        Self {
            body: None,
            ..Self::new(&result.details, result.started_at, &[])
        }
    }
}

impl Subject for Observed<'_> {
    fn lookup(&self, field: &Field) -> Lookup<'_> {
        let details = self.details;
        let name = field.name().unwrap_or_default();
        match field.root() {
            "response_time" => found(details.timing.total),
            "timing" => {
                let t = &details.timing;
                let phase = match name {
                    "dns" => t.dns,
                    "connect" => t.connect,
                    "tls" => t.tls,
                    "first_byte" => t.first_byte,
                    "total" => Some(t.total),
                    _ => None,
                };
                match phase {
                    Some(took) => found(took),
                    None => {
                        Lookup::Absent(format!("no `{field}`: the check had no such phase").into())
                    }
                }
            }
            "status" | "body" | "body_size" | "json" | "header" => {
                let Some(http) = &details.http else {
                    return Lookup::Unavailable("no HTTP response".into());
                };
                let body = self.body.ok_or("the body is not kept after the check");
                match (field.root(), body) {
                    ("status", _) => found(i64::from(http.status)),
                    ("body_size", _) => Lookup::Found(Value::Size(http.body_size)),
                    ("header", _) => header(&http.headers, name),
                    (_, Err(why)) => Lookup::Unavailable(why.into()),
                    ("body", Ok(body)) => {
                        let text = self.text.get_or_init(|| String::from_utf8_lossy(body));
                        Lookup::Found(Value::Str(Cow::Borrowed(text)))
                    }
                    (_, Ok(body)) => {
                        let doc = self.json.get_or_init(|| serde_json::from_slice(body).ok());
                        match doc {
                            Some(doc) => Lookup::in_json(doc, field.path()),
                            None if http.body_truncated => Lookup::Unavailable(
                                "body is not JSON (it was cut at the body cap)".into(),
                            ),
                            None => Lookup::Unavailable("body is not JSON".into()),
                        }
                    }
                }
            }
            "cert" | "tls" => {
                let Some(tls) = &details.tls else {
                    return Lookup::Unavailable("no TLS session".into());
                };
                if field.root() == "tls" {
                    return match name {
                        "version" => found(tls.version),
                        _ => unknown(field),
                    };
                }
                if name == "valid" {
                    return found(tls.valid());
                }
                let Some(cert) = &tls.cert else {
                    return Lookup::Unavailable("no readable certificate".into());
                };
                match name {
                    "expires_in" => found(cert.expires_in(self.started_at)),
                    "issuer" => found(cert.issuer.as_str()),
                    "subject" => found(cert.subject.as_str()),
                    _ => unknown(field),
                }
            }
            "dns" => {
                let Some(dns) = &details.dns else {
                    return Lookup::Unavailable("no DNS answer".into());
                };
                match name {
                    "rcode" => found(dns.rcode.as_str()),
                    "answers" => found(
                        dns.answers
                            .iter()
                            .map(|a| Value::from(a.as_str()))
                            .collect::<Vec<_>>(),
                    ),
                    _ => unknown(field),
                }
            }
            "tcp" => match (&details.tcp, name) {
                (Some(tcp), "received") => found(tcp.received.as_str()),
                (None, _) => Lookup::Unavailable("no TCP reply read".into()),
                _ => unknown(field),
            },
            "datastore" => match &details.datastore {
                Some(datastore) => datastore_field(datastore, field),
                None => Lookup::Unavailable("no answer from the datastore".into()),
            },
            _ => unknown(field),
        }
    }
}

/// `datastore.role`, `.replica`, `.read_only`, `.link_up`,
/// `.replication_lag`: the value, or why the server did not say.
fn datastore_field<'a>(datastore: &'a DatastoreDetails, field: &Field) -> Lookup<'a> {
    let kind = datastore.kind;
    let unknown_role = || -> Lookup<'a> {
        Lookup::Absent(match &datastore.note {
            Some(note) => format!("the server's role is unknown: {note}").into(),
            None => "the server's role is unknown".into(),
        })
    };
    let on_replica = |value: Option<Lookup<'a>>, what: &str| match (value, datastore.role) {
        (Some(value), _) => value,
        (None, Some(Role::Primary)) => {
            Lookup::Absent(format!("no {what}: the server is a primary").into())
        }
        (None, Some(Role::Replica)) => Lookup::Absent(match &datastore.note {
            Some(note) => format!("the replica reports no {what}: {note}").into(),
            None => format!("the replica reports no {what}").into(),
        }),
        (None, None) => unknown_role(),
    };
    match field.name().unwrap_or_default() {
        "role" => datastore
            .role
            .map_or_else(unknown_role, |role| found(role.as_str())),
        "replica" => datastore
            .role
            .map_or_else(unknown_role, |role| found(role == Role::Replica)),
        "read_only" => match datastore.read_only {
            Some(read_only) => found(read_only),
            None => Lookup::Absent(format!("{kind} does not report read-only").into()),
        },
        "link_up" => on_replica(datastore.link_up.map(found), "replication link"),
        "replication_lag" => on_replica(datastore.replication_lag.map(found), "replication lag"),
        _ => unknown(field),
    }
}

fn found<'a>(value: impl Into<Value<'a>>) -> Lookup<'a> {
    Lookup::Found(value.into())
}

fn unknown(field: &Field) -> Lookup<'static> {
    Lookup::Unavailable(format!("`{field}` is not reported by this kind of check").into())
}

/// A header's value; several values are joined with `, `.
fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Lookup<'a> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Lookup::Absent("header missing".into());
    };
    let text = |v: &'a http::HeaderValue| String::from_utf8_lossy(v.as_bytes());
    let mut value = text(first);
    for more in values {
        let joined = value.to_mut();
        joined.push_str(", ");
        joined.push_str(&text(more));
    }
    Lookup::Found(Value::Str(value))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use shipshape_expect::Expectation;

    use super::*;
    use crate::result::{CertDetails, HttpDetails, TlsDetails};

    fn details() -> Details {
        let mut headers = http::HeaderMap::new();
        headers.append("set-cookie", http::HeaderValue::from_static("a=1"));
        headers.append("set-cookie", http::HeaderValue::from_static("b=2"));
        Details {
            http: Some(HttpDetails {
                status: 200,
                version: "HTTP/1.1",
                url: "http://x.test/".into(),
                redirects: Vec::new(),
                headers,
                body_size: 20,
                body_truncated: false,
            }),
            tls: Some(TlsDetails {
                version: "TLSv1.3",
                alpn: None,
                cert: Some(CertDetails {
                    subject: "CN=x.test".into(),
                    issuer: "CN=Test CA".into(),
                    names: vec!["x.test".into()],
                    not_before: "2026-01-01T00:00:00Z".parse().expect("time"),
                    not_after: "2026-12-31T00:00:00Z".parse().expect("time"),
                    self_signed: false,
                    chain_len: 2,
                }),
                problem: None,
            }),
            ..Details::default()
        }
    }

    fn verdict(details: &Details, body: &[u8], src: &str) -> String {
        let started_at = "2026-12-01T00:00:00Z".parse().expect("time");
        let observed = Observed::new(details, started_at, body);
        Expectation::parse(src)
            .expect("parses")
            .evaluate(&observed)
            .to_string()
    }

    #[test]
    fn http_fields_come_from_the_response_and_body() {
        let d = details();
        let body = br#"{"ok": true, "n": [1, 2]}"#;
        assert_eq!(
            verdict(&d, body, "json.n[1] == 2"),
            "passed: json.n[1] == 2: got 2"
        );
        assert!(verdict(&d, body, "header.set-cookie == \"a=1, b=2\"").starts_with("passed"));
        assert!(verdict(&d, b"\xffok", "body contains \"ok\"").starts_with("passed"));
        assert_eq!(
            verdict(&d, b"<html>", "json.ok == true"),
            "failed: json.ok == true: body is not JSON"
        );
    }

    #[test]
    fn certificate_expiry_is_counted_from_the_check_start() {
        let d = details();
        assert!(
            verdict(&d, b"", "cert.expires_in > 29d and cert.expires_in < 31d")
                .starts_with("passed")
        );
        assert!(
            verdict(&d, b"", "cert.valid == true and tls.version == \"TLSv1.3\"")
                .starts_with("passed")
        );
    }

    #[test]
    fn a_finished_result_has_no_body_to_read() {
        let result = CheckResult {
            details: details(),
            ..CheckResult::new(
                Timestamp::UNIX_EPOCH,
                Duration::ZERO,
                crate::result::Outcome::Up,
            )
        };
        let observed = Observed::of(&result);
        let verdict = Expectation::parse("body contains \"x\"")
            .expect("parses")
            .evaluate(&observed);
        assert_eq!(
            verdict.to_string(),
            "failed: body contains \"x\": the body is not kept after the check"
        );
        let verdict = Expectation::parse("status == 200")
            .expect("parses")
            .evaluate(&observed);
        assert!(verdict.passed);
    }

    #[test]
    fn fields_a_kind_does_not_report_are_unavailable() {
        let mut d = Details::default();
        d.timing.total = Duration::from_millis(5);
        assert_eq!(
            verdict(&d, b"", "status == 200"),
            "failed: status == 200: no HTTP response"
        );
        assert!(verdict(&d, b"", "response_time < 10ms").starts_with("passed"));
        assert!(verdict(&d, b"", "timing.tls < 10ms").starts_with("failed"));
    }
}
