//! The public status page on a real server: anyone can read it, it shows
//! component names and what responders posted — never monitor names, URLs
//! or people — and serves the Statuspage-compatible JSON, the feeds and
//! badges; hostile text stays inert; without a `[status_page]` it is a 404.

use std::path::Path;

use jiff::SignedDuration;
use serde_json::Value;
use shipshape_store::{MonitorEvent, MonitorName, MonitorState, NewStatusIncident};

use crate::common::{NowTs, TestServer, browser};

const CATALOG: &str = r#"
[[person]]
id = "alice"
name = "Alice Rivera"

[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "secret-health-probe"
  http = { url = "https://internal.example.gov/health?token=s3cr3t" }

[[service]]
id = "web"
name = "Web"

  [[service.monitor]]
  id = "home"
  http = { url = "https://internal.example.gov/" }

[status_page]
title = "Example status"
url = "https://status.example.gov"
components = [
  { name = "Website", group = "Public", monitors = ["web/home"] },
  { name = "API", group = "Public", monitors = ["api/secret-health-probe"] },
]
"#;

const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)> \u{202E}gnp.exe";

async fn server() -> TestServer {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    TestServer::start_with(catalog, |_| {}).await
}

/// Marks `service/monitor` down now.
async fn down(server: &TestServer, service: &str, monitor: &str) {
    let now = server.clock.now_ts();
    let ids = server
        .store
        .register_monitors(
            &[MonitorName {
                service: service.into(),
                monitor: monitor.into(),
            }],
            now,
        )
        .await
        .unwrap();
    let id = *ids.values().next().unwrap();
    server
        .store
        .append_monitor_event(&MonitorEvent {
            monitor: id,
            at: now,
            from: MonitorState::Up,
            to: MonitorState::Down,
            reason: Some("connect to internal.example.gov failed".into()),
            locations: vec!["here".into()],
        })
        .await
        .unwrap();
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let response = browser().get(server.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn anyone_sees_components_incidents_and_nothing_internal() {
    let server = server().await;
    down(&server, "api", "secret-health-probe").await;
    server
        .store
        .create_status_incident(&NewStatusIncident {
            name: HOSTILE.into(),
            status: "investigating".into(),
            impact: "major".into(),
            components: vec!["api".into()],
            message: format!("We are looking into it. {HOSTILE}"),
            component_status: Some("major_outage".into()),
            created_by: "alice@example.gov".into(),
            at: server.clock.now_ts() - SignedDuration::from_mins(5),
            alert_incident: Some(9),
        })
        .await
        .unwrap();

    let (status, page) = get(&server, "/status").await;
    assert_eq!(status, 200);
    assert!(page.contains("Example status"));
    assert!(page.contains("Website") && page.contains("API"));
    assert!(page.contains("Major outage"), "the API's monitor is down");
    for internal in [
        "secret-health-probe",
        "internal.example.gov",
        "s3cr3t",
        "alice",
        "Alice Rivera",
    ] {
        assert!(!page.contains(internal), "`{internal}` leaked on the page");
    }
    assert!(!page.contains("<script>alert"), "hostile title inert");
    assert!(!page.contains("<img src=x"), "no injected element");
    assert!(page.contains("&lt;script&gt;"), "shown as text");

    let (status, summary) = get(&server, "/api/v2/summary.json").await;
    assert_eq!(status, 200);
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["page"]["name"], "Example status");
    assert_eq!(summary["status"]["indicator"], "critical");
    let api = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "API")
        .unwrap();
    assert_eq!(api["status"], "major_outage");
    assert!(
        api["created_at"].is_string(),
        "a watched component has a creation time"
    );
    assert_eq!(summary["incidents"][0]["impact"], "major");
    for path in [
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        let (status, body) = get(&server, path).await;
        assert_eq!(status, 200, "{path}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert!(body["page"].is_object(), "{path} has the page object");
        assert!(!body.to_string().contains("secret-health-probe"));
    }
    assert_eq!(get(&server, "/api/v2/nope.json").await.0, 404);

    let (status, atom) = get(&server, "/history.atom").await;
    assert_eq!(status, 200);
    assert!(atom.contains("<feed") && atom.contains("&lt;script&gt;"));
    assert!(
        !atom.contains('\u{202E}'),
        "bidi overrides are stripped from feeds"
    );
    let (status, rss) = get(&server, "/history.rss").await;
    assert_eq!(status, 200);
    assert!(rss.contains("<rss"));

    let (status, badge) = get(&server, "/status/badge/components/api.svg").await;
    assert_eq!(status, 200);
    assert!(badge.contains("<svg") && badge.contains("aria-label"));
    assert_eq!(
        get(&server, "/status/badge/components/nope.svg").await.0,
        404
    );
    assert_eq!(get(&server, "/status/badge/status.svg").await.0, 200);
    assert_eq!(get(&server, "/status/style.css").await.0, 200);

    let (status, incident) = get(&server, "/status/incidents/1").await;
    assert_eq!(status, 200);
    assert!(incident.contains("We are looking into it."));
    assert_eq!(get(&server, "/status/incidents/999").await.0, 404);
}

#[tokio::test]
async fn without_a_status_page_the_public_routes_are_not_found() {
    let server = TestServer::start().await;
    assert_eq!(get(&server, "/status").await.0, 404);
    assert_eq!(get(&server, "/api/v2/summary.json").await.0, 404);
}

#[tokio::test]
async fn the_page_goes_out_gzipped_to_clients_that_accept_it() {
    let server = server().await;
    let response = reqwest::Client::new()
        .get(server.url("/status"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    assert!(bytes.len() < 50 * 1024, "{} bytes on the wire", bytes.len());
}
