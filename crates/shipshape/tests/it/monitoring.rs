//! The probe engine inside `shipshape serve`: monitors of the catalog are
//! checked against real loopback servers, and their state, last result and
//! uptime come back through the API.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use crate::util::{Running, create_token, eventually, http};

/// A tiny HTTP server answering every request with 200 and a JSON body.
fn healthy_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = r#"{"status":"ok"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn monitors_are_checked_and_their_state_is_served() {
    let up = healthy_upstream();
    let closed = closed_port();
    let dir = tempfile::tempdir().unwrap();
    let catalog = format!(
        r#"
[store]
url = "sqlite://shipshape.db"

[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = {{ url = "http://127.0.0.1:{up}/health" }}
  every = "1s"
  timeout = "1s"
  expect = ["status == 200", "json.status == \"ok\""]

  [[service.monitor]]
  id = "gone"
  http = {{ url = "http://127.0.0.1:{closed}/" }}
  every = "1s"
  timeout = "1s"
"#
    );
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "viewer");
    let fetch = || -> serde_json::Value {
        http()
            .get(format!("{}/api/v1/monitors", server.base))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let state_of = |body: &serde_json::Value, id: &str| -> String {
        body["monitors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["state"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert!(
        eventually(Duration::from_secs(20), || {
            let body = fetch();
            let checked = body["monitors"]
                .as_array()
                .is_some_and(|all| all.iter().all(|m| !m["last_result"].is_null()));
            checked && state_of(&body, "health") == "up" && state_of(&body, "gone") == "down"
        }),
        "states never settled: {}\n{}",
        fetch(),
        server.output()
    );
    let body = fetch();
    let gone = body["monitors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "gone")
        .unwrap();
    let reason = gone["last_result"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("refused"),
        "precise reason expected, got `{reason}`"
    );
    let state_reason = gone["state_reason"].as_str().unwrap_or_default();
    assert!(
        state_reason.contains("refused"),
        "the down state says why: `{state_reason}`"
    );
    let health = body["monitors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "health")
        .unwrap();
    assert_eq!(health["last_result"]["status_code"], 200);
    assert!(health["uptime"]["24h"].as_f64().unwrap() > 0.99);
    assert!(!server.output().contains("panicked"));
}

/// A heartbeat monitor through the real binary: the CLI issues a ping URL;
/// pings keep the monitor up; silence past `every + grace` marks it down; a
/// `status=fail` ping marks it down at once with the job's message; a
/// revoked URL is refused.
#[test]
fn heartbeat_pings_keep_a_monitor_up_and_silence_or_failure_brings_it_down() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = r#"
[store]
url = "sqlite://shipshape.db"

[[service]]
id = "billing"

  [[service.monitor]]
  id = "nightly-backup"
  heartbeat = { every = "2s", grace = "1s" }

  [[service.monitor]]
  id = "web"
  tcp = { address = "127.0.0.1:9" }
  every = "1h"
"#;
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let issued = crate::util::run(
        dir.path(),
        &["heartbeat", "issue", "billing/nightly-backup"],
    );
    assert!(issued.status.success(), "{issued:?}");
    let url = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let refused = crate::util::run(dir.path(), &["heartbeat", "issue", "billing/web"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a heartbeat monitor"));

    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let path = url
        .split_once("/api/v1/heartbeat/")
        .map(|(_, token)| format!("{}/api/v1/heartbeat/{token}", server.base))
        .expect("a ping URL");
    let token = create_token(dir.path(), "viewer");
    let monitor = || -> serde_json::Value {
        let body: serde_json::Value = http()
            .get(format!("{}/api/v1/monitors", server.base))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["monitors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "nightly-backup")
            .cloned()
            .unwrap()
    };
    let ping = |suffix: &str| http().post(format!("{path}{suffix}")).send().unwrap();

    let answer = ping("?runtime=12.5");
    assert_eq!(answer.status(), 200, "{}", server.output());
    let answer: serde_json::Value = answer.json().unwrap();
    assert_eq!(answer["recorded"], "up");
    assert!(
        eventually(Duration::from_secs(10), || monitor()["state"] == "up"),
        "a ping brings it up: {}",
        monitor()
    );
    // Silence past every + grace (3 s).
    assert!(
        eventually(Duration::from_secs(15), || monitor()["state"] == "down"),
        "silence brings it down: {}",
        monitor()
    );
    let reason = monitor()["state_reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("no heartbeat"), "{reason}");

    assert_eq!(http().get(&path).send().unwrap().status(), 200);
    assert!(eventually(Duration::from_secs(10), || monitor()["state"] == "up"));
    let failed = ping("?status=fail&msg=pg_dump%20exited%202");
    assert_eq!(failed.status(), 200);
    // No `confirm`, no waiting for a deadline: down as soon as it is written.
    assert!(
        eventually(Duration::from_secs(2), || monitor()["state"] == "down"),
        "a failed run is down at once: {}",
        monitor()
    );
    assert!(
        monitor()["state_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("pg_dump exited 2")
    );
    assert_eq!(ping("?status=maybe").status(), 400);
    assert_eq!(
        http()
            .post(format!(
                "{}/api/v1/heartbeat/shb_not-a-real-token",
                server.base
            ))
            .send()
            .unwrap()
            .status(),
        404
    );

    let revoked = crate::util::run(
        dir.path(),
        &["heartbeat", "revoke", "billing/nightly-backup"],
    );
    assert!(revoked.status.success(), "{revoked:?}");
    assert_eq!(ping("").status(), 404, "a revoked URL is refused");
    assert!(!server.output().contains("panicked"));
}

/// Pausing through the API stops the checks (no new results) and shows
/// `paused`; resuming runs the monitor again and it comes back `up`; a
/// restart keeps the last state without announcing it again.
#[test]
fn paused_monitors_are_not_checked_and_state_survives_a_restart() {
    let up = healthy_upstream();
    let dir = tempfile::tempdir().unwrap();
    let catalog = format!(
        r#"
[store]
url = "sqlite://shipshape.db"

[[service]]
id = "api"

  [[service.monitor]]
  id = "health"
  http = {{ url = "http://127.0.0.1:{up}/health" }}
  every = "1s"
  timeout = "1s"
"#
    );
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "responder");
    let base = server.base.clone();
    let detail = |base: &str| -> serde_json::Value {
        http()
            .get(format!("{base}/api/v1/monitors/api/health"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let newest_result_ms = |base: &str| -> i64 {
        let body: serde_json::Value = http()
            .get(format!(
                "{base}/api/v1/monitors/api/health/results?limit=5000"
            ))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        body["results"]
            .as_array()
            .and_then(|all| all.last())
            .and_then(|r| r["at"].as_str())
            .and_then(|at| at.parse::<jiff::Timestamp>().ok())
            .map_or(0, |at| at.as_millisecond())
    };
    assert!(
        eventually(Duration::from_secs(20), || detail(&base)["state"] == "up"),
        "{}",
        detail(&base)
    );
    let paused = http()
        .post(format!("{base}/api/v1/monitors/api/health/pause"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(paused.status(), 200);
    let paused_at = jiff::Timestamp::now().as_millisecond();
    assert_eq!(detail(&base)["state"], "paused");
    // The scheduler notices within its poll (2 s); then no more checks.
    std::thread::sleep(Duration::from_secs(4));
    let last = newest_result_ms(&base);
    assert!(
        last < paused_at + 3_000,
        "checks went on while paused: newest {last}, paused at {paused_at}"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(newest_result_ms(&base), last, "no check while paused");
    assert_eq!(detail(&base)["state"], "paused");

    let resumed = http()
        .post(format!("{base}/api/v1/monitors/api/health/resume"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resumed.status(), 200);
    assert!(
        eventually(Duration::from_secs(10), || detail(&base)["state"] == "up"),
        "resumed monitors run again: {}",
        detail(&base)
    );
    // Results are written in batches every second, events at once.
    assert!(eventually(Duration::from_secs(5), || newest_result_ms(
        &base
    ) > last));

    // A restart takes up the stored state: no new `unknown → up` event.
    let events_before = detail(&base)["events"].as_array().map_or(0, Vec::len);
    assert_eq!(server.stop().code(), Some(0));
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let base = server.base.clone();
    assert!(eventually(Duration::from_secs(10), || newest_result_ms(
        &base
    ) > jiff::Timestamp::now().as_millisecond()
        - 1_500));
    std::thread::sleep(Duration::from_secs(2));
    let after = detail(&base);
    assert_eq!(after["state"], "up");
    assert_eq!(
        after["events"].as_array().map_or(0, Vec::len),
        events_before,
        "a restart announces nothing: {after}"
    );
    assert!(!server.output().contains("panicked"));
}
