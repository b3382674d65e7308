//! The public status page end to end: responders post an incident and
//! schedule maintenance through the API; the server publishes a static
//! copy to the catalog's `dir` target by itself; `shipshape status export`
//! writes one on demand; a real feed parser (Python's `feedparser`) reads
//! the Atom and RSS feeds. (`browser.rs` renders the live page and the
//! static copy in Chromium.)

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::util::{Running, create_token, eventually, http, run};

const CATALOG: &str = r#"
[store]
url = "sqlite://shipshape.db"

[[service]]
id = "web"
name = "Website"

  [[service.monitor]]
  id = "home"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

[status_page]
title = "Example status"
components = [
  { name = "Website", group = "Public", monitors = ["web/home"] },
  { name = "Login", group = "Public" },
]
publish = [{ type = "dir", path = "site" }]
publish_every = "30s"
"#;

/// A running server whose status page has an open incident and upcoming
/// maintenance, and whose static copy (in the returned directory) shows
/// them.
pub fn running_with_incident_and_maintenance() -> (tempfile::TempDir, Running, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shipshape.toml"), CATALOG).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "responder");
    let post = |path: &str, body: Value| {
        let response = http()
            .post(format!("{}{path}", server.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "{path}: {}",
            response.text().unwrap()
        );
    };
    post(
        "/api/v1/status/incidents",
        json!({
            "name": "Slow logins",
            "status": "investigating",
            "impact": "minor",
            "components": ["login"],
            "component_status": "degraded_performance",
            "message": "We are investigating slow logins.",
        }),
    );
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    post(
        "/api/v1/status/maintenances",
        json!({
            "name": "Database upgrade",
            "components": ["website"],
            "scheduled_for": soon.to_string(),
            "scheduled_until": (soon + jiff::SignedDuration::from_hours(2)).to_string(),
            "impact": "minor",
            "message": "The website is read-only for two hours.",
        }),
    );
    let site = dir.path().join("site");
    assert!(
        eventually(Duration::from_secs(30), || {
            std::fs::read_to_string(site.join("index.html"))
                .is_ok_and(|page| page.contains("Slow logins") && page.contains("Database upgrade"))
        }),
        "the static copy was not published\n{}",
        server.output()
    );
    (dir, server, site)
}

/// Parses a feed with Python's feedparser; returns its entries' titles.
fn feedparser(xml: &str) -> Vec<String> {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import json, sys, feedparser\n\
             d = feedparser.parse(sys.stdin.read())\n\
             assert not d.bozo, d.bozo_exception\n\
             print(json.dumps({'version': d.version, 'titles': [e.title for e in d.entries], 'links': [e.link for e in d.entries]}))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with feedparser (scripts/prepare-test-env.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "feedparser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(parsed["version"].as_str().is_some_and(|v| !v.is_empty()));
    parsed["titles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_status_page_is_published_exported_and_its_feeds_parse() {
    let (dir, server, site) = running_with_incident_and_maintenance();
    for file in [
        "index.html",
        "history.html",
        "style.css",
        "history.atom",
        "history.rss",
        "api/v2/summary.json",
        "api/v2/scheduled-maintenances/upcoming.json",
    ] {
        assert!(site.join(file).exists(), "{file} published");
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("api/v2/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["incidents"][0]["name"], "Slow logins");
    let login = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Login")
        .unwrap();
    assert_eq!(
        login["status"], "degraded_performance",
        "the status responders posted shows"
    );

    for feed in ["history.atom", "history.rss"] {
        let xml = http()
            .get(format!("{}/{feed}", server.base))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let titles = feedparser(&xml);
        assert!(
            titles.iter().any(|t| t.contains("Slow logins")),
            "{feed}: {titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.contains("Database upgrade")),
            "{feed}: {titles:?}"
        );
    }

    let out = run(
        dir.path(),
        &[
            "status",
            "export",
            "--config",
            "shipshape.toml",
            "--out",
            "exported",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("exported/index.html")).unwrap();
    assert!(page.contains("Slow logins"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote"));
}
