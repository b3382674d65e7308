//! Paging end to end with real parts: `shipshape serve` checks a loopback
//! upstream that starts failing; a real SMTP server (aiosmtpd, with
//! STARTTLS) receives the email and the test follows its acknowledge link;
//! a webhook receiver checks the HMAC signature; a PagerDuty-shaped
//! receiver sees trigger, acknowledge and resolve with one dedup key; a
//! real Prometheus server fires a rule at `/api/v2/alerts` and a page
//! results. The time from the confirming failed check to each hand-off is
//! measured and written to `test-artifacts/alert-latency.txt`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};

use crate::util::{Running, Sink, SmtpSink, artifacts_dir, create_token, eventually, http};

/// An upstream answering 200, or 503 once told to fail; remembers when it
/// served its first failure (the check that confirms the outage).
struct Upstream {
    port: u16,
    failing: Arc<AtomicBool>,
    first_failure: Arc<Mutex<Option<SystemTime>>>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let failing = Arc::new(AtomicBool::new(false));
        let first_failure = Arc::new(Mutex::new(None));
        let (flag, first) = (failing.clone(), first_failure.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let status = if flag.load(Ordering::SeqCst) {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                if flag.load(Ordering::SeqCst) {
                    first.lock().unwrap().get_or_insert(SystemTime::now());
                }
            }
        });
        Upstream {
            port,
            failing,
            first_failure,
        }
    }
}

struct Pki {
    cert: PathBuf,
    key: PathBuf,
}

/// Writes `ca.pem` (a test CA) and a server certificate for 127.0.0.1.
fn write_pki(dir: &Path) -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "Shipshape E2E Test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.subject_alt_names = vec![SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST))];
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    let pki = Pki {
        cert: dir.join("smtp-cert.pem"),
        key: dir.join("smtp-key.pem"),
    };
    std::fs::write(&pki.cert, leaf_cert.pem()).unwrap();
    std::fs::write(&pki.key, leaf_key.serialize_pem()).unwrap();
    pki
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn millis(from: SystemTime, to: SystemTime) -> f64 {
    to.duration_since(from)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[test]
fn a_failing_monitor_pages_by_email_webhook_and_pagerduty_and_the_ack_link_works() {
    let dir = tempfile::tempdir().unwrap();
    let pki = write_pki(dir.path());
    let smtp = SmtpSink::start(dir.path(), Some((&pki.cert, &pki.key)));
    let sink = Sink::start();
    let upstream = Upstream::start();
    let catalog = format!(
        r#"
[store]
url = "sqlite://shipshape.db"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "starttls"
from = "Shipshape <shipshape@example.gov>"
ca = "ca.pem"

[alerting]
resolve_after = "2s"

[[person]]
id = "alice"
name = "Alice Rivera"
contact = [
  {{ type = "email", to = "alice@example.gov" }},
  {{ type = "webhook", url = "{hook}", secret = "alice-secret" }},
]

[[notifier]]
id = "pd"
type = "pagerduty"
routing_key = "R0UTINGKEY0123456789"
url = "{pd}"

[[escalation]]
id = "api"
steps = [{{ notify = ["person:alice", "notifier:pd"] }}]

[[route]]
match = {{ service = "api" }}
escalation = "api"

[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = {{ url = "http://127.0.0.1:{up}/health" }}
  every = "1s"
  timeout = "1s"
"#,
        smtp_port = smtp.port,
        hook = sink.url("/alice"),
        pd = sink.url("/v2/enqueue"),
        up = upstream.port,
    );
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "viewer");
    let monitor_state = || -> String {
        http()
            .get(format!("{}/api/v1/monitors/api/health", server.base))
            .bearer_auth(&token)
            .send()
            .ok()
            .and_then(|r| r.json::<serde_json::Value>().ok())
            .and_then(|v| v["state"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    assert!(
        eventually(Duration::from_secs(20), || monitor_state() == "up"),
        "{}",
        server.output()
    );

    upstream.failing.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(20), || {
            !smtp.messages().is_empty()
                && !sink.at("/alice").is_empty()
                && !sink.at("/v2/enqueue").is_empty()
        }),
        "no page arrived everywhere: mail {}, webhook {}, pagerduty {}\n{}",
        smtp.messages().len(),
        sink.at("/alice").len(),
        sink.at("/v2/enqueue").len(),
        server.output()
    );
    let failed_at = upstream.first_failure.lock().unwrap().unwrap();

    // The webhook: signed JSON with its delivery id.
    let hook = &sink.at("/alice")[0];
    let timestamp: i64 = hook
        .header("x-shipshape-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!(shipshape_notify::verify(
        b"alice-secret",
        timestamp,
        &hook.body,
        hook.header("x-shipshape-signature").unwrap()
    ));
    assert!(hook.header("x-shipshape-delivery").is_some());
    assert_eq!(hook.json()["kind"], "trigger");

    // PagerDuty: a trigger with a dedup key.
    let trigger = sink.at("/v2/enqueue")[0].json();
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["routing_key"], "R0UTINGKEY0123456789");
    let dedup = trigger["dedup_key"].as_str().unwrap().to_owned();

    // The email: its acknowledge link works.
    let (mail, mailed_at) = smtp.messages().remove(0);
    assert!(mail.contains("alice@example.gov"));
    assert!(mail.contains("FIRING"), "{mail}");
    let start = mail.find(&format!("{}/ack/", server.base)).expect(&mail);
    let link: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/._-".contains(*c))
        .collect();
    let page = http().get(&link).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("Acknowledge"));
    assert!(
        sink.at("/v2/enqueue").len() == 1,
        "opening the link does not acknowledge"
    );
    let acked = http().post(&link).send().unwrap();
    assert_eq!(acked.status(), 200);
    assert!(acked.text().unwrap().contains("Alice Rivera"));
    assert!(
        eventually(Duration::from_secs(10), || sink.at("/v2/enqueue").len()
            >= 2),
        "{}",
        server.output()
    );
    let ack = sink.at("/v2/enqueue")[1].json();
    assert_eq!(ack["event_action"], "acknowledge");
    assert_eq!(ack["dedup_key"], dedup.as_str());

    // Recovery resolves it, with the same dedup key.
    upstream.failing.store(false, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(20), || sink.at("/v2/enqueue").len()
            >= 3),
        "{}",
        server.output()
    );
    let resolve = sink.at("/v2/enqueue")[2].json();
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], dedup.as_str());
    assert_eq!(sink.at("/v2/enqueue").len(), 3, "no other PagerDuty event");

    let report = format!(
        "confirming failed check → hand-off: webhook {:.0} ms, PagerDuty {:.0} ms, SMTP {:.0} ms\n",
        millis(failed_at, hook.at),
        millis(failed_at, sink.at("/v2/enqueue")[0].at),
        millis(failed_at, mailed_at),
    );
    println!("{report}");
    std::fs::write(artifacts_dir().join("alert-latency.txt"), report).unwrap();
}

#[test]
fn a_prometheus_rule_that_fires_pages_through_the_alertmanager_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start();
    let catalog = format!(
        r#"
[store]
url = "sqlite://shipshape.db"

[[person]]
id = "alice"
name = "Alice Rivera"
contact = [{{ type = "webhook", url = "{hook}" }}]

[[escalation]]
id = "oncall"
steps = [{{ notify = ["person:alice"] }}]

[[route]]
match = {{ labels = {{ alertname = "ShipshapeE2E" }} }}
escalation = "oncall"

[[service]]
id = "api"
name = "API"
"#,
        hook = sink.url("/alice"),
    );
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "responder");
    let address = server.base.trim_start_matches("http://");
    std::fs::write(
        dir.path().join("rules.yml"),
        r#"groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: ShipshapeE2E
        expr: vector(1)
        labels:
          severity: critical
          service: api
        annotations:
          summary: "Synthetic alert fired by the end-to-end test"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            r#"global:
  evaluation_interval: 1s
rule_files: ["rules.yml"]
alerting:
  alertmanagers:
    - api_version: v2
      authorization:
        credentials: "{token}"
      static_configs:
        - targets: ["{address}"]
"#
        ),
    )
    .unwrap();
    let mut prometheus = Command::new("prometheus")
        .current_dir(dir.path())
        .args([
            "--config.file=prometheus.yml",
            "--storage.tsdb.path=tsdb",
            &format!("--web.listen-address=127.0.0.1:{}", free_port()),
            // Alerts evaluated before the Alertmanager list is discovered
            // are dropped; resend soon rather than after the default minute.
            "--rules.alert.resend-delay=1s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus runs (scripts/prepare-test-env.sh installs it)");
    let paged = eventually(Duration::from_secs(60), || !sink.at("/alice").is_empty());
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    assert!(
        paged,
        "no page from the Prometheus alert\n{}",
        server.output()
    );
    let page = sink.at("/alice")[0].json();
    assert_eq!(page["kind"], "trigger");
    let title = page["incident"]["title"].as_str().unwrap();
    assert!(
        title.contains("Synthetic alert fired by the end-to-end test"),
        "{title}"
    );
    let incidents: serde_json::Value = http()
        .get(format!("{}/api/v1/incidents?status=open", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(incidents["incidents"][0]["service"], "api", "{incidents}");
}
