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
