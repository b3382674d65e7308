//! Tests of `shipshape_alert::incoming`: Alertmanager payloads and generic
//! events.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use shipshape_alert::incoming::{
    IncomingAlert, MAX_ALERTS, MAX_LABEL_VALUE, MAX_LABELS, PayloadError, RESOLVE_TIMEOUT,
    fingerprint, parse_alertmanager, parse_event,
};
use shipshape_catalog::Severity;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn now() -> Timestamp {
    ts("2026-03-08T10:00:00Z")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What a Prometheus server POSTs to `/api/v2/alerts` (field names and
/// shapes of Alertmanager's OpenAPI `postableAlerts`): one firing alert,
/// whose `endsAt` Prometheus sets a few evaluation intervals ahead, and one
/// that resolved, whose `endsAt` is in the past.
const PROMETHEUS: &str = r#"[
  {
    "labels": {
      "alertname": "HighRequestLatency",
      "instance": "api-1.internal:8080",
      "job": "benefits-api",
      "severity": "warning"
    },
    "annotations": {
      "summary": "High request latency on api-1.internal:8080",
      "description": "p99 latency is 2.31s (threshold 1s)",
      "runbook_url": "https://runbooks.example.org/latency"
    },
    "startsAt": "2026-03-08T09:41:30.123Z",
    "endsAt": "2026-03-08T10:04:00Z",
    "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=histogram_quantile%280.99%2C+rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29+%3E+1&g0.tab=1"
  },
  {
    "labels": {
      "alertname": "InstanceDown",
      "instance": "db-2.internal:9100",
      "job": "node",
      "severity": "critical"
    },
    "annotations": {
      "description": "db-2.internal:9100 of job node has been down for more than 5 minutes."
    },
    "startsAt": "2026-03-08T08:00:00+01:00",
    "endsAt": "2026-03-08T09:59:00Z",
    "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
  }
]"#;

#[test]
fn prometheus_payload() {
    let alerts = parse_alertmanager(PROMETHEUS.as_bytes(), now()).unwrap();
    assert_eq!(alerts.len(), 2);

    let latency = &alerts[0];
    assert_eq!(latency.labels["alertname"], "HighRequestLatency");
    assert_eq!(latency.labels.len(), 4);
    assert_eq!(latency.annotations.len(), 3);
    assert_eq!(latency.starts_at, ts("2026-03-08T09:41:30.123Z"));
    assert_eq!(latency.ends_at, ts("2026-03-08T10:04:00Z"));
    assert!(!latency.resolved);
    assert!(
        latency
            .generator_url
            .as_deref()
            .unwrap()
            .starts_with("http://prometheus.example.org:9090/graph?g0.expr=")
    );
    assert_eq!(
        latency.summary(),
        "High request latency on api-1.internal:8080"
    );
    assert_eq!(latency.severity(), Severity::Warning);
    assert_eq!(latency.service(), Some("benefits-api"));
    assert_eq!(latency.fingerprint.len(), 16);
    assert!(latency.fingerprint.chars().all(|c| c.is_ascii_hexdigit()));

    let down = &alerts[1];
    assert_eq!(down.starts_at, ts("2026-03-08T07:00:00Z"));
    assert!(down.resolved);
    assert_eq!(
        down.summary(),
        "db-2.internal:9100 of job node has been down for more than 5 minutes."
    );
    assert_eq!(down.severity(), Severity::Critical);
    assert_eq!(down.service(), Some("node"));
    assert_ne!(down.fingerprint, latency.fingerprint);
}

#[test]
fn fingerprint_depends_only_on_the_label_set() {
    let a = r#"[{"labels": {"alertname": "A", "job": "x"}, "annotations": {"summary": "one"}}]"#;
    let b = r#"[{"annotations": {"summary": "two"}, "labels": {"job": "x", "alertname": "A", "empty": ""},
                 "startsAt": "2026-03-08T09:00:00Z"}]"#;
    let c = r#"[{"labels": {"alertname": "A", "job": "y"}}]"#;
    let fp = |body: &str| {
        parse_alertmanager(body.as_bytes(), now()).unwrap()[0]
            .fingerprint
            .clone()
    };
    assert_eq!(fp(a), fp(b));
    assert_ne!(fp(a), fp(c));
    assert_eq!(
        fp(a),
        fingerprint(&labels(&[("alertname", "A"), ("job", "x")]))
    );
    // No ambiguity by concatenation.
    assert_ne!(
        fingerprint(&labels(&[("a", "bc")])),
        fingerprint(&labels(&[("ab", "c")]))
    );
    // Stable across releases: this value is stored and compared later.
    assert_eq!(
        fingerprint(&labels(&[("alertname", "A"), ("job", "x")])),
        fingerprint(&labels(&[("job", "x"), ("alertname", "A")]))
    );
}

#[test]
fn times_default_as_in_alertmanager() {
    let body = r#"[
        {"labels": {"alertname": "NoTimes"}},
        {"labels": {"alertname": "OnlyEnd"}, "endsAt": "2026-03-08T09:30:00Z"},
        {"labels": {"alertname": "OnlyStart"}, "startsAt": "2026-03-08T09:00:00Z"},
        {"labels": {"alertname": "GoZero"}, "startsAt": "2026-03-08T09:00:00Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": ""},
        {"labels": {"alertname": "Nulls"}, "startsAt": null, "endsAt": null, "annotations": null},
        {"labels": {"alertname": "EndsNow"}, "startsAt": "2026-03-08T09:00:00Z", "endsAt": "2026-03-08T10:00:00Z"}
    ]"#;
    let alerts = parse_alertmanager(body.as_bytes(), now()).unwrap();
    let default_end = now().checked_add(RESOLVE_TIMEOUT).unwrap();
    assert_eq!(RESOLVE_TIMEOUT, SignedDuration::from_mins(5));

    assert_eq!(
        (alerts[0].starts_at, alerts[0].ends_at),
        (now(), default_end)
    );
    assert!(!alerts[0].resolved);
    // Only an end: Alertmanager starts it at the end, and it is over.
    assert_eq!(alerts[1].starts_at, ts("2026-03-08T09:30:00Z"));
    assert!(alerts[1].resolved);
    assert_eq!(alerts[2].starts_at, ts("2026-03-08T09:00:00Z"));
    assert_eq!(alerts[2].ends_at, default_end);
    assert_eq!(alerts[3].ends_at, default_end);
    assert_eq!(alerts[3].generator_url, None);
    assert_eq!(alerts[4].ends_at, default_end);
    assert!(alerts[4].annotations.is_empty());
    // endsAt == now: resolved.
    assert!(alerts[5].resolved);
}

#[test]
fn summary_severity_and_service_fallbacks() {
    let alert = |pairs: &[(&str, &str)], notes: &[(&str, &str)]| IncomingAlert {
        fingerprint: "x".into(),
        labels: labels(pairs),
        annotations: labels(notes),
        starts_at: now(),
        ends_at: now(),
        generator_url: None,
        resolved: false,
    };
    let a = alert(
        &[
            ("alertname", "DiskFull"),
            ("instance", "db1"),
            ("job", "node"),
        ],
        &[],
    );
    assert_eq!(a.summary(), r#"DiskFull {instance="db1", job="node"}"#);
    assert_eq!(
        alert(&[("alertname", "Watchdog")], &[]).summary(),
        "Watchdog"
    );
    assert_eq!(alert(&[("job", "x")], &[]).summary(), r#"{job="x"}"#);
    assert_eq!(
        alert(
            &[("alertname", "A")],
            &[("description", "d"), ("summary", " ")]
        )
        .summary(),
        "d"
    );

    for (value, want) in [
        ("critical", Severity::Critical),
        ("page", Severity::Critical),
        ("error", Severity::Critical),
        ("WARNING", Severity::Warning),
        ("warn", Severity::Warning),
        ("info", Severity::Info),
        ("none", Severity::Info),
        ("P3", Severity::Critical),
    ] {
        assert_eq!(
            alert(&[("severity", value)], &[]).severity(),
            want,
            "{value}"
        );
    }
    assert_eq!(
        alert(&[("alertname", "A")], &[]).severity(),
        Severity::Critical
    );

    assert_eq!(
        alert(&[("service", "s"), ("job", "j")], &[]).service(),
        Some("s")
    );
    assert_eq!(alert(&[("job", "j")], &[]).service(), Some("j"));
    assert_eq!(alert(&[("alertname", "A")], &[]).service(), None);
}

fn am_error(body: &str) -> String {
    match parse_alertmanager(body.as_bytes(), now()) {
        Ok(alerts) => panic!("accepted {body}: {alerts:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn alertmanager_errors_name_the_field() {
    let ok = r#"{"labels": {"alertname": "A"}}"#;
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "body: not valid JSON (EOF while parsing a value at line 1 column 0)"),
        ("{}".into(), "body: expected a JSON array of alerts"),
        (r#"{"labels": {}}"#.into(), "body: expected a JSON array of alerts"),
        (format!("[{ok}, {ok}, {{}}]"), "[2].labels: missing"),
        ("[1]".into(), "[0]: expected an alert object, found a number"),
        (r#"[{"labels": {}}]"#.into(), "[0].labels: at least one label is required"),
        (
            r#"[{"labels": {"empty": ""}}]"#.into(),
            "[0].labels: at least one label is required",
        ),
        (
            r#"[{"labels": ["a"]}]"#.into(),
            "[0].labels: expected an object of label names to strings, found an array",
        ),
        (
            format!(r#"[{ok}, {{"labels": {{"alertname": "A", "foo": 1}}}}]"#),
            "[1].labels.foo: must be a string",
        ),
        (
            r#"[{"labels": {"1x": "a"}}]"#.into(),
            r#"[0].labels: label name "1x" is invalid (expected [a-zA-Z_][a-zA-Z0-9_]*)"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "annotations": {"summary": null}}]"#.into(),
            "[0].annotations.summary: must be a string",
        ),
        (
            r#"[{"labels": {"a": "b"}, "annotations": {"sum-mary": "x"}}]"#.into(),
            r#"[0].annotations: annotation name "sum-mary" is invalid (expected [a-zA-Z_][a-zA-Z0-9_]*)"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "startsAt": "yesterday"}]"#.into(),
            r#"[0].startsAt: "yesterday" is not an RFC 3339 time"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "startsAt": "2026-03-08T10:00:00"}]"#.into(),
            r#"[0].startsAt: "2026-03-08T10:00:00" is not an RFC 3339 time"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "startsAt": "2026-03-08 10:00:00Z"}]"#.into(),
            r#"[0].startsAt: "2026-03-08 10:00:00Z" is not an RFC 3339 time"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "endsAt": "2026-02-30T10:00:00Z"}]"#.into(),
            r#"[0].endsAt: "2026-02-30T10:00:00Z" is not an RFC 3339 time"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "endsAt": 1741428000}]"#.into(),
            "[0].endsAt: must be an RFC 3339 time string, found a number",
        ),
        (
            r#"[{"labels": {"a": "b"}, "startsAt": "2026-03-08T10:00:00Z", "endsAt": "2026-03-08T09:00:00Z"}]"#.into(),
            "[0].endsAt: before startsAt",
        ),
        (
            r#"[{"labels": {"a": "b"}, "startsAt": "2026-03-09T10:00:00Z"}]"#.into(),
            "[0].startsAt: more than 5 minutes in the future, and no endsAt",
        ),
        (
            r#"[{"labels": {"a": "b"}, "generatorURL": "javascript:alert(1)"}]"#.into(),
            r#"[0].generatorURL: "javascript:alert(1)": only http and https URLs are accepted, not javascript"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "generatorURL": "/graph?g0.expr=up"}]"#.into(),
            r#"[0].generatorURL: "/graph?g0.expr=up" is not a URL (relative URL without a base)"#,
        ),
        (
            r#"[{"labels": {"a": "b"}, "generatorURL": true}]"#.into(),
            "[0].generatorURL: must be a URL string, found a boolean",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(am_error(&body), want, "{body}");
    }
    let e: PayloadError = parse_alertmanager(b"[{}]", now()).unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("[0].labels", "missing")
    );
}

#[test]
fn alertmanager_bounds() {
    let one = r#"{"labels": {"alertname": "A"}}"#;
    let many = |n: usize| format!("[{}]", vec![one; n].join(","));
    assert_eq!(
        parse_alertmanager(many(MAX_ALERTS).as_bytes(), now())
            .unwrap()
            .len(),
        MAX_ALERTS
    );
    assert_eq!(
        am_error(&many(MAX_ALERTS + 1)),
        "body: 1001 alerts in one request; at most 1000 are accepted"
    );

    let with_labels = |n: usize| {
        let pairs: Vec<String> = (0..n).map(|i| format!(r#""l{i}": "v""#)).collect();
        format!(r#"[{{"labels": {{{}}}}}]"#, pairs.join(","))
    };
    assert!(parse_alertmanager(with_labels(MAX_LABELS).as_bytes(), now()).is_ok());
    assert_eq!(
        am_error(&with_labels(MAX_LABELS + 1)),
        "[0].labels: 101 labels; at most 100 are accepted"
    );

    let long = |n: usize| format!(r#"[{one}, {{"labels": {{"big": "{}"}}}}]"#, "x".repeat(n));
    assert!(parse_alertmanager(long(MAX_LABEL_VALUE).as_bytes(), now()).is_ok());
    assert_eq!(
        am_error(&long(MAX_LABEL_VALUE + 1)),
        "[1].labels.big: 4097 bytes long; at most 4096 are accepted"
    );
}

#[test]
fn generic_event() {
    let body = r#"{
        "key": "disk-full-db1",
        "status": "firing",
        "summary": "/var on db1 is 97% full",
        "severity": "warning",
        "service": "benefits-db",
        "labels": {"host": "db1", "mount": "/var"},
        "link": "https://grafana.example.org/d/disk?var-host=db1",
        "expires_in": 7200
    }"#;
    let alert = parse_event(body.as_bytes(), now()).unwrap();
    assert_eq!(
        alert,
        IncomingAlert {
            fingerprint: "disk-full-db1".into(),
            labels: labels(&[
                ("alertname", "disk-full-db1"),
                ("host", "db1"),
                ("mount", "/var"),
                ("service", "benefits-db"),
                ("severity", "warning"),
            ]),
            annotations: labels(&[("summary", "/var on db1 is 97% full")]),
            starts_at: now(),
            ends_at: ts("2026-03-08T12:00:00Z"),
            generator_url: Some("https://grafana.example.org/d/disk?var-host=db1".into()),
            resolved: false,
        }
    );
    assert_eq!(alert.summary(), "/var on db1 is 97% full");
    assert_eq!(alert.severity(), Severity::Warning);
    assert_eq!(alert.service(), Some("benefits-db"));
}

#[test]
fn generic_event_defaults_and_resolve() {
    let alert = parse_event(
        br#"{"key": "backup:nightly/db", "summary": "Backup failed"}"#,
        now(),
    )
    .unwrap();
    assert_eq!(alert.severity(), Severity::Critical);
    assert_eq!(alert.ends_at, ts("2026-03-08T11:00:00Z"));
    assert!(!alert.resolved);
    assert_eq!(alert.service(), None);
    assert_eq!(alert.labels["alertname"], "backup:nightly/db");

    let resolved = parse_event(
        br#"{"key": "backup:nightly/db", "status": "resolved", "summary": "Backup ok",
             "labels": {"alertname": "Backup"}}"#,
        now(),
    )
    .unwrap();
    assert!(resolved.resolved);
    assert_eq!(resolved.ends_at, now());
    assert_eq!(resolved.fingerprint, "backup:nightly/db");
    assert_eq!(resolved.labels["alertname"], "Backup");

    for (secs, ok) in [(59, false), (60, true), (86_400, true), (86_401, false)] {
        let body = format!(r#"{{"key": "k", "summary": "s", "expires_in": {secs}}}"#);
        assert_eq!(parse_event(body.as_bytes(), now()).is_ok(), ok, "{secs}");
    }
}

#[test]
fn generic_event_errors_name_the_field() {
    let long_key = "k".repeat(201);
    let long_summary = "s".repeat(1001);
    let cases: Vec<(String, &str)> = vec![
        ("[]".into(), "body: expected a JSON object, found an array"),
        (
            "{".into(),
            "body: not valid JSON (EOF while parsing an object at line 1 column 1)",
        ),
        (r#"{"summary": "s"}"#.into(), "key: missing"),
        (
            r#"{"key": 7, "summary": "s"}"#.into(),
            "key: must be a string, found a number",
        ),
        (
            r#"{"key": "", "summary": "s"}"#.into(),
            "key: must be 1 to 200 characters long, not 0",
        ),
        (
            format!(r#"{{"key": "{long_key}", "summary": "s"}}"#),
            "key: must be 1 to 200 characters long, not 201",
        ),
        (
            r#"{"key": "disk full", "summary": "s"}"#.into(),
            "key: ' ' is not allowed (use A-Z a-z 0-9 . _ : / -)",
        ),
        (r#"{"key": "k"}"#.into(), "summary: missing"),
        (
            r#"{"key": "k", "summary": "  "}"#.into(),
            "summary: must not be empty",
        ),
        (
            format!(r#"{{"key": "k", "summary": "{long_summary}"}}"#),
            "summary: 1001 characters long; at most 1000 are accepted",
        ),
        (
            r#"{"key": "k", "summary": "s", "status": "ok"}"#.into(),
            r#"status: "ok" is not "firing" or "resolved""#,
        ),
        (
            r#"{"key": "k", "summary": "s", "severity": "page"}"#.into(),
            r#"severity: "page" is not "critical" or "warning" or "info""#,
        ),
        (
            r#"{"key": "k", "summary": "s", "severity": 1}"#.into(),
            r#"severity: must be "critical" or "warning" or "info", found a number"#,
        ),
        (
            r#"{"key": "k", "summary": "s", "service": ["a"]}"#.into(),
            "service: must be a string, found an array",
        ),
        (
            r#"{"key": "k", "summary": "s", "labels": {"host": 1}}"#.into(),
            "labels.host: must be a string",
        ),
        (
            r#"{"key": "k", "summary": "s", "labels": {"severity": "info"}}"#.into(),
            r#"labels.severity: reserved; use the top-level "severity" field"#,
        ),
        (
            r#"{"key": "k", "summary": "s", "link": "ftp://x"}"#.into(),
            r#"link: "ftp://x": only http and https URLs are accepted, not ftp"#,
        ),
        (
            r#"{"key": "k", "summary": "s", "expires_in": 30}"#.into(),
            "expires_in: 30 is out of range; expected whole seconds from 60 to 86400",
        ),
        (
            r#"{"key": "k", "summary": "s", "expires_in": 90.5}"#.into(),
            "expires_in: 90.5 is out of range; expected whole seconds from 60 to 86400",
        ),
        (
            r#"{"key": "k", "summary": "s", "expires_in": "1h"}"#.into(),
            "expires_in: must be a number of seconds, found a string",
        ),
        (
            r#"{"key": "k", "summary": "s", "sumary": "typo"}"#.into(),
            "sumary: unknown field; expected one of key, status, summary, severity, service, labels, link, expires_in",
        ),
    ];
    for (body, want) in cases {
        match parse_event(body.as_bytes(), now()) {
            Ok(alert) => panic!("accepted {body}: {alert:?}"),
            Err(e) => assert_eq!(e.to_string(), want, "{body}"),
        }
    }
}

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_alertmanager(&body, now());
        let _ = parse_event(&body, now());
    }

    #[test]
    fn parsing_arbitrary_json_never_panics(
        key in "\\PC{0,12}",
        value in prop_oneof![
            Just("null".to_owned()),
            Just("1e400".to_owned()),
            Just("-1".to_owned()),
            "\\PC{0,30}".prop_map(|s| serde_json_string(&s)),
            "[0-9T:.Z+-]{0,30}".prop_map(|s| serde_json_string(&s)),
        ],
        when in prop_oneof![Just(Timestamp::MIN), Just(Timestamp::MAX), Just(now())],
    ) {
        let key = serde_json_string(&key);
        for body in [
            format!(r#"[{{"labels": {{{key}: {value}}}, "startsAt": {value}, "endsAt": {value}, "generatorURL": {value}}}]"#),
            format!(r#"{{"key": {value}, "summary": {value}, "expires_in": {value}, "labels": {{{key}: {value}}}, {key}: 1}}"#),
            format!(r#"{{"key": "k", "summary": "s", "link": {value}, "status": {value}, "severity": {value}}}"#),
        ] {
            let _ = parse_alertmanager(body.as_bytes(), when);
            let _ = parse_event(body.as_bytes(), when);
        }
    }
}

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
