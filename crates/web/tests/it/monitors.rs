//! Monitors: the list (filters, sparklines, links), one monitor's page
//! (latency chart, availability bar, failures, state history, escaping),
//! its JSON (detail, raw results with paging and 400s), pausing (roles,
//! CSRF, state, audit) and the per-monitor Prometheus metrics. Data is
//! seeded through the store's API, as the monitoring writer stores it.

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use shipshape_store::{
    LocationId, MonitorEvent, MonitorId, MonitorName, MonitorState, Role, StoredResult,
};

use crate::common::{NowTs, TestServer};

const CATALOG: &str = r#"
[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = { url = "https://api.example.org/health" }
  every = "30s"
  expect = ["status == 200"]

  [[service.monitor]]
  id = "fresh"
  http = { url = "https://api.example.org/fresh" }
  every = "1m"

[[service]]
id = "web"
name = "Web <b>site</b>"

  [[service.monitor]]
  id = "home"
  http = { url = "https://www.example.org/" }
  every = "30s"
"#;

/// The failure reason seeded into `api/health`: markup that must come out
/// escaped.
const EVIL_REASON: &str = "<script>alert(1)</script> connect: refused";

fn catalog() -> shipshape_catalog::Catalog {
    shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml")).expect("catalog parses")
}

fn name(service: &str, monitor: &str) -> MonitorName {
    MonitorName {
        service: service.into(),
        monitor: monitor.into(),
    }
}

fn ago(now: Timestamp, minutes: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_mins(minutes))
        .expect("in range")
}

fn check(monitor: MonitorId, at: Timestamp, location: LocationId, ms: u64) -> StoredResult {
    StoredResult {
        monitor,
        at,
        latency: Duration::from_millis(ms),
        ok: true,
        status_code: Some(200),
        location,
        reason: None,
    }
}

fn failure(monitor: MonitorId, at: Timestamp, location: LocationId, reason: &str) -> StoredResult {
    StoredResult {
        ok: false,
        status_code: Some(503),
        reason: Some(reason.to_owned()),
        ..check(monitor, at, location, 900)
    }
}

/// Ids of the seeded monitors.
struct Seeded {
    health: MonitorId,
    home: MonitorId,
    ams: LocationId,
}

/// A server over [`CATALOG`] where `api/health` has 90 days of hourly
/// checks (six days missing), a check every 5 minutes over the last day,
/// three failures and a down spell, and `web/home` is up. `api/fresh` is
/// never registered: it has no data.
async fn seeded() -> (TestServer, Seeded) {
    let server = TestServer::start_with(catalog(), |_| {}).await;
    let store = &server.store;
    let now = server.clock.now_ts();
    let start = ago(now, 100 * 24 * 60);
    let ids = store
        .register_monitors(&[name("api", "health"), name("web", "home")], start)
        .await
        .expect("register");
    let (health, home) = (ids[&name("api", "health")], ids[&name("web", "home")]);
    let ams = store
        .register_locations(&["ams"], start)
        .await
        .expect("locations")["ams"];
    let mut results = Vec::new();
    for hour in 24..90 * 24 {
        if (40..=45).contains(&(hour / 24)) {
            continue;
        }
        results.push(check(
            health,
            ago(now, hour * 60 + 7),
            ams,
            100 + (hour % 50) as u64,
        ));
    }
    for step in 0..288 {
        results.push(check(
            health,
            ago(now, step * 5 + 1),
            ams,
            80 + (step % 40) as u64,
        ));
    }
    for minutes in [33, 63, 93] {
        results.push(failure(health, ago(now, minutes), ams, EVIL_REASON));
    }
    results.push(check(home, ago(now, 2), ams, 40));
    store.insert_results(&results).await.expect("insert");
    for (minutes, from, to, reason) in [
        (3 * 24 * 60, MonitorState::Unknown, MonitorState::Up, None),
        (
            120,
            MonitorState::Up,
            MonitorState::Down,
            Some("status == 200: got 503"),
        ),
        (60, MonitorState::Down, MonitorState::Up, None),
    ] {
        store
            .append_monitor_event(&MonitorEvent {
                monitor: health,
                at: ago(now, minutes),
                from,
                to,
                reason: reason.map(str::to_owned),
                locations: vec!["ams".into()],
            })
            .await
            .expect("event");
    }
    store
        .append_monitor_event(&MonitorEvent {
            monitor: home,
            at: ago(now, 10),
            from: MonitorState::Unknown,
            to: MonitorState::Up,
            reason: None,
            locations: vec!["ams".into()],
        })
        .await
        .expect("event");
    (server, Seeded { health, home, ams })
}

async fn get_json(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn get_page(client: &reqwest::Client, server: &TestServer, path: &str) -> (u16, String) {
    let response = client.get(server.url(path)).send().await.expect("get");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn the_monitor_page_shows_chart_availability_failures_and_history() {
    let (server, _) = seeded().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = get_page(&viewer, &server, "/monitors/api/health").await;
    assert_eq!(status, 200, "{html}");
    // Header.
    assert!(html.contains("health — API"), "title");
    assert!(
        html.contains(r#"class="badge state state-up""#),
        "state badge"
    );
    assert!(html.contains("https://api.example.org/health") && html.contains("every 30s"));
    // Latency chart over 24 h: one point per 10 minutes with a passing check.
    assert!(html.contains(r#"<svg class="chart""#));
    let points = html.matches(r#"<g class="point">"#).count();
    assert!((140..=145).contains(&points), "{points} points");
    assert!(html.contains("<polyline"));
    assert_eq!(html.matches(r#"class="failure-mark""#).count(), 3);
    assert!(html.contains(r#"href="/monitors/api/health?range=24h" aria-current="true""#));
    // The 90-day bar: every day a cell, days without checks outlined.
    assert_eq!(html.matches(r#"<rect class="day "#).count(), 90);
    assert!(html.matches("day day-none").count() >= 5, "missing days");
    assert!(html.contains("day day-good"));
    assert!(html.contains("2026-11-30: "), "today's tooltip");
    // Failures, precise and escaped.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; connect: refused"));
    assert!(
        !html.contains("<script>alert(1)"),
        "a reason is never markup"
    );
    assert!(
        html.contains("2026-11-30 08:27:00 UTC"),
        "failure time to the second"
    );
    // State history, newest first, with durations.
    let history = &html[html.find("State history").expect("history")..];
    assert!(
        history.contains("1 h (ongoing)"),
        "current state's duration"
    );
    assert!(history.find("status == 200: got 503") > history.find("(ongoing)"));
    assert!(history.contains("2 d 22 h"), "the first up spell");
    // A viewer cannot pause.
    assert!(!html.contains("Pause monitoring"));

    // Longer ranges come from rollups.
    let (_, week) = get_page(&viewer, &server, "/monitors/api/health?range=7d").await;
    assert!(week.contains(r#"?range=7d" aria-current="true""#));
    let points = week.matches(r#"<g class="point">"#).count();
    assert!((160..=169).contains(&points), "{points} hourly points");
    let (_, quarter) = get_page(&viewer, &server, "/monitors/api/health?range=90d").await;
    let points = quarter.matches(r#"<g class="point">"#).count();
    assert!((80..=91).contains(&points), "{points} daily points");
    // An unknown range is ignored, with a notice naming it.
    let (status, bad) = get_page(&viewer, &server, "/monitors/api/health?range=1y").await;
    assert_eq!(status, 200);
    assert!(bad.contains("`range`: `1y` is not a range"));
    assert!(bad.contains(r#"?range=24h" aria-current="true""#));
}

#[tokio::test]
async fn responders_get_the_pause_button_and_empty_monitors_explain_themselves() {
    let (server, _) = seeded().await;
    let (responder, _) = server.signed_in("r@example.org", Role::Responder).await;
    let (_, html) = get_page(&responder, &server, "/monitors/api/health").await;
    assert!(html.contains(r#"action="/monitors/api/health/pause""#));
    assert!(html.contains(r#"name="csrf""#));
    let (status, fresh) = get_page(&responder, &server, "/monitors/api/fresh").await;
    assert_eq!(status, 200);
    assert!(fresh.contains("No checks yet"), "{fresh}");
    assert!(fresh.contains("? Unknown"));
    assert!(!fresh.contains(r#"<svg class="chart""#));
}

#[tokio::test]
async fn unknown_monitors_are_404() {
    let (server, _) = seeded().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = get_page(&viewer, &server, "/monitors/api/nope").await;
    assert_eq!(status, 404);
    assert!(html.contains("no monitor `api/nope` in the catalog"));
    let (status, html) = get_page(&viewer, &server, "/monitors/%3Cb%3E/x").await;
    assert_eq!(status, 404);
    assert!(html.contains("no monitor `&lt;b&gt;/x`"), "escaped: {html}");
    let token = server.token(Role::Responder).await;
    for path in [
        "/api/v1/monitors/nope/health",
        "/api/v1/monitors/api/nope/results",
    ] {
        let (status, body) = get_json(&server, &token, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found");
    }
    let pause = reqwest::Client::new()
        .post(server.url("/api/v1/monitors/api/nope/pause"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("post");
    assert_eq!(pause.status(), 404);
}

#[tokio::test]
async fn the_list_filters_links_and_draws_sparklines() {
    let (server, _) = seeded().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = get_page(&viewer, &server, "/monitors").await;
    assert_eq!(status, 200);
    for href in [
        "/monitors/api/health",
        "/monitors/api/fresh",
        "/monitors/web/home",
    ] {
        assert!(html.contains(&format!(r#"href="{href}""#)), "{href}");
    }
    assert_eq!(html.matches(r#"<svg class="sparkline""#).count(), 2);
    assert!(html.contains("no data"), "api/fresh has no sparkline");
    assert!(
        html.contains("Web &lt;b&gt;site&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(!html.contains("<b>site</b>"));

    let (_, web) = get_page(&viewer, &server, "/monitors?service=web&state=").await;
    assert!(web.contains("/monitors/web/home") && !web.contains("/monitors/api/health"));
    assert!(
        web.contains(r#"<option value="web" selected>"#),
        "keeps the selection"
    );
    assert!(web.contains("Showing 1 of 3"));
    let (_, unknown) = get_page(&viewer, &server, "/monitors?state=unknown").await;
    assert!(unknown.contains("/monitors/api/fresh") && !unknown.contains("/monitors/web/home"));
    assert!(unknown.contains(r#"<option value="unknown" selected>"#));
    let (status, bad) = get_page(&viewer, &server, "/monitors?state=sideways&service=api").await;
    assert_eq!(status, 200, "the page ignores a bad filter");
    assert!(bad.contains("Filter ignored: `state`: `sideways` is not a state"));
    assert!(bad.contains("/monitors/api/health") && !bad.contains("/monitors/web/home"));

    let token = server.token(Role::Viewer).await;
    let (status, all) = get_json(&server, &token, "/api/v1/monitors").await;
    assert_eq!(status, 200);
    assert_eq!(all["monitors"].as_array().expect("list").len(), 3);
    let (_, up) = get_json(&server, &token, "/api/v1/monitors?state=up").await;
    let ids: Vec<&str> = up["monitors"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["health", "home"]);
    let (_, api) = get_json(&server, &token, "/api/v1/monitors?service=api").await;
    assert_eq!(api["monitors"].as_array().expect("list").len(), 2);
    for (query, parameter) in [("state=sideways", "`state`"), ("service=nope", "`service`")] {
        let (status, body) = get_json(&server, &token, &format!("/api/v1/monitors?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains(parameter),
            "{body}"
        );
    }
}

#[tokio::test]
async fn one_monitor_as_json_with_its_state_changes() {
    let (server, _) = seeded().await;
    let token = server.token(Role::Viewer).await;
    let (status, body) = get_json(&server, &token, "/api/v1/monitors/api/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["service"], "api");
    assert_eq!(body["id"], "health");
    assert_eq!(body["state"], "up");
    assert_eq!(body["kind"], "http");
    assert_eq!(body["last_result"]["latency_ms"], 80);
    assert!(body["uptime"]["24h"].as_f64().expect("uptime") < 1.0);
    let events = body["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["to"], "up");
    assert!(
        events[0].get("until").is_none(),
        "the current state has no end"
    );
    assert_eq!(events[1]["to"], "down");
    assert_eq!(events[1]["reason"], "status == 200: got 503");
    assert_eq!(events[1]["until"], events[0]["at"]);
    let (_, fresh) = get_json(&server, &token, "/api/v1/monitors/api/fresh").await;
    assert_eq!(fresh["state"], "unknown");
    assert_eq!(fresh["events"], serde_json::json!([]));
    assert_eq!(fresh["last_result"], Value::Null);
}

#[tokio::test]
async fn results_page_through_shared_timestamps_and_refuse_bad_ranges() {
    let (server, seeded) = seeded().await;
    let now = server.clock.now_ts();
    let locations = server
        .store
        .register_locations(&["fra", "nyc"], now)
        .await
        .expect("locations");
    // Ten instants at which three locations checked at the same millisecond.
    let mut crowd = Vec::new();
    for i in 0..10 {
        let at = ago(now, 30)
            .checked_add(SignedDuration::from_millis(i))
            .expect("time");
        for location in [seeded.ams, locations["fra"], locations["nyc"]] {
            crowd.push(check(seeded.home, at, location, 10 + i as u64));
        }
    }
    server.store.insert_results(&crowd).await.expect("insert");
    let token = server.token(Role::Viewer).await;
    let mut path = "/api/v1/monitors/web/home/results?limit=4".to_owned();
    let mut read: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = get_json(&server, &token, &path).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        read.extend(body["results"].as_array().expect("results").iter().cloned());
        match body["next"].as_str() {
            Some(next) => path = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 8, "31 results in pages of 4");
    assert_eq!(
        read.len(),
        31,
        "the 30 crowded results and the one 2 minutes ago"
    );
    let keys: Vec<(Timestamp, String)> = read
        .iter()
        .map(|r| {
            let at = r["at"].as_str().expect("at").parse().expect("RFC 3339");
            (at, r["location"].as_str().expect("location").to_owned())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "oldest first, none repeated");
    assert_eq!(read[0]["location"], "ams");
    assert_eq!(read[1]["location"], "fra");
    assert_eq!(read[0]["ok"], true);
    assert_eq!(read[0]["status_code"], 200);
    assert_eq!(read[0]["reason"], Value::Null);

    // The default range is the last hour; failures carry their reason.
    let (_, hour) = get_json(&server, &token, "/api/v1/monitors/api/health/results").await;
    let results = hour["results"].as_array().expect("results");
    assert_eq!(results.len(), 12 + 1, "every 5 minutes, and a failure");
    assert_eq!(hour["next"], Value::Null);
    let failed = results
        .iter()
        .find(|r| r["ok"] == false)
        .expect("a failure");
    assert_eq!(failed["reason"], EVIL_REASON);
    assert_eq!(failed["status_code"], 503);
    assert_eq!(failed["at"], "2026-11-30T08:27:00Z");
    let (_, range) = get_json(
        &server,
        &token,
        "/api/v1/monitors/api/health/results?from=2026-11-30T08:00:00%2B01:00&to=2026-11-30T07:30:00Z",
    )
    .await;
    // 07:00–07:30 UTC: six passing checks and the failure at 07:27.
    assert_eq!(range["results"].as_array().expect("results").len(), 7);
    // An unregistered monitor has no results yet.
    let (status, fresh) = get_json(&server, &token, "/api/v1/monitors/api/fresh/results").await;
    assert_eq!(status, 200);
    assert_eq!(fresh["results"], serde_json::json!([]));

    for (query, parameter) in [
        ("from=yesterday", "`from`"),
        ("to=2026-11-30", "`to`"),
        (
            "from=2026-11-30T09:00:00Z&to=2026-11-30T08:00:00Z",
            "`from`",
        ),
        ("limit=5001", "`limit`"),
        ("limit=-1", "`limit`"),
        ("after=banana", "`after`"),
    ] {
        let (status, body) = get_json(
            &server,
            &token,
            &format!("/api/v1/monitors/api/health/results?{query}"),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], "bad_request");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains(parameter),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn pausing_needs_a_responder_and_is_audited() {
    let (server, seeded) = seeded().await;
    let api = reqwest::Client::new();
    let pause_url = server.url("/api/v1/monitors/web/home/pause");
    // Viewers may look, not pause.
    let viewer = server.token(Role::Viewer).await;
    let refused = api
        .post(&pause_url)
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let (viewer_session, viewer_csrf) = server.signed_in("v@example.org", Role::Viewer).await;
    let refused = viewer_session
        .post(server.url("/monitors/web/home/pause"))
        .form(&[("csrf", viewer_csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    assert!(!server.store.monitors().await.expect("monitors")[1].paused);

    // A responder token pauses.
    let responder = server.token(Role::Responder).await;
    let paused = api
        .post(&pause_url)
        .bearer_auth(&responder)
        .send()
        .await
        .expect("post");
    assert_eq!(paused.status(), 200);
    let body: Value = paused.json().await.expect("json");
    assert_eq!(body["state"], "paused");
    assert_eq!(body["events"][0]["from"], "up");
    assert_eq!(body["events"][0]["to"], "paused");
    assert_eq!(
        body["events"][0]["reason"],
        "paused by token:Responder test token"
    );
    let audit = server.store.list_audit(10, None).await.expect("audit");
    assert_eq!(audit[0].entry.action, "monitor.pause");
    assert_eq!(audit[0].entry.actor, "token:Responder test token");
    assert_eq!(audit[0].entry.target, "monitor:web/home");
    // Pausing again changes and records nothing.
    let again = api
        .post(&pause_url)
        .bearer_auth(&responder)
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 200);
    let events = server
        .store
        .monitor_events_for(seeded.home, 10, None)
        .await
        .expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(
        server
            .audit_actions()
            .await
            .iter()
            .filter(|a| *a == "monitor.pause")
            .count(),
        1
    );
    let (_, list) = get_json(&server, &viewer, "/api/v1/monitors?state=paused").await;
    assert_eq!(list["monitors"][0]["id"], "home");

    // A session needs the CSRF token: in the header for the API…
    let (session, csrf) = server.signed_in("r@example.org", Role::Responder).await;
    let resume_url = server.url("/api/v1/monitors/web/home/resume");
    let no_csrf = session.post(&resume_url).send().await.expect("post");
    assert_eq!(no_csrf.status(), 403);
    assert!(server.store.monitors().await.expect("monitors")[1].paused);
    let resumed = session
        .post(&resume_url)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("post");
    assert_eq!(resumed.status(), 200);
    let body: Value = resumed.json().await.expect("json");
    assert_eq!(body["state"], "unknown");
    assert_eq!(body["events"][0]["from"], "paused");
    assert_eq!(body["events"][0]["to"], "unknown");
    assert_eq!(server.audit_actions().await[0], "monitor.resume");

    // …and in the form for the page's button, which redirects back.
    let (_, page) = get_page(&session, &server, "/monitors/web/home").await;
    assert!(page.contains("Pause monitoring"));
    let forged = session
        .post(server.url("/monitors/web/home/pause"))
        .form(&[("csrf", "not-the-token")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    let pressed = session
        .post(server.url("/monitors/web/home/pause"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(pressed.status(), 303);
    assert_eq!(pressed.headers()["location"], "/monitors/web/home");
    let (_, page) = get_page(&session, &server, "/monitors/web/home").await;
    assert!(page.contains("Resume monitoring") && page.contains("❚❚ Paused"));
    let audit = server.store.list_audit(1, None).await.expect("audit");
    assert_eq!(audit[0].entry.actor, "r@example.org");
}

#[tokio::test]
async fn metrics_report_monitor_state_and_check_durations() {
    let (server, seeded) = seeded().await;
    let monitors = server.state().metrics.monitors().clone();
    monitors.observe("api", "health", true, Duration::from_millis(120));
    monitors.observe("api", "health", false, Duration::from_secs(5));
    monitors.observe("web", "home", true, Duration::from_millis(3));
    monitors.observe("gone", "old", true, Duration::from_millis(3));
    server
        .store
        .set_paused_with_event(seeded.home, true, server.clock.now_ts(), None)
        .await
        .expect("pause");
    let token = server.token(Role::Viewer).await;
    let scrape = || async {
        reqwest::Client::new()
            .get(server.url("/metrics"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body")
    };
    let text = scrape().await;
    for line in [
        r#"shipshape_monitor_up{service="api",monitor="health"} 1"#,
        r#"shipshape_monitor_check_duration_seconds_bucket{le="0.25",service="api",monitor="health"} 1"#,
        r#"shipshape_monitor_check_duration_seconds_bucket{le="5.0",service="api",monitor="health"} 2"#,
        r#"shipshape_monitor_check_duration_seconds_count{service="api",monitor="health"} 2"#,
        r#"shipshape_monitor_check_failures_total{service="api",monitor="health"} 1"#,
        r#"shipshape_monitor_check_failures_total{service="web",monitor="home"} 0"#,
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        !text.contains(r#"shipshape_monitor_up{service="web""#),
        "a paused monitor has no up sample"
    );
    assert!(
        !text.contains(r#"shipshape_monitor_up{service="api",monitor="fresh"}"#),
        "an unknown one neither"
    );
    assert!(
        !text.contains(r#"service="gone""#),
        "monitors outside the catalog are dropped"
    );
    monitors.forget("api", "health");
    let text = scrape().await;
    assert!(!text.contains(r#"shipshape_monitor_check_duration_seconds_count{service="api""#));
    assert!(
        text.contains(r#"shipshape_monitor_up{service="api",monitor="health"} 1"#),
        "the state still comes from the store"
    );
    // A monitor down in the store reports 0.
    server
        .store
        .append_monitor_event(&MonitorEvent {
            monitor: seeded.health,
            at: server.clock.now_ts(),
            from: MonitorState::Up,
            to: MonitorState::Down,
            reason: Some("refused".into()),
            locations: vec!["ams".into()],
        })
        .await
        .expect("event");
    assert!(
        scrape()
            .await
            .contains(r#"shipshape_monitor_up{service="api",monitor="health"} 0"#)
    );
}

/// A catalog of 250 monitors: `big/m-000`..`big/m-229` and
/// `small/m-000`..`small/m-019`, all registered with one passing check;
/// every third `big` monitor (0, 3, …, 228: 77) is down, and `big`
/// monitors 1, 4, …, 37 (13) are up with a newer failed check, so degraded.
async fn fleet() -> TestServer {
    let mut toml = String::new();
    for (service, n) in [("big", 230), ("small", 20)] {
        toml.push_str(&format!("[[service]]\nid = \"{service}\"\n\n"));
        for i in 0..n {
            toml.push_str(&format!(
                "  [[service.monitor]]\n  id = \"m-{i:03}\"\n  \
                 http = {{ url = \"https://{service}.example.org/{i}\" }}\n  every = \"30s\"\n\n"
            ));
        }
    }
    let catalog = shipshape_catalog::parse_str(&toml, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    let server = TestServer::start_with(catalog, |_| {}).await;
    let store = &server.store;
    let now = server.clock.now_ts();
    let names: Vec<MonitorName> = [("big", 230), ("small", 20)]
        .into_iter()
        .flat_map(|(service, n)| (0..n).map(move |i| name(service, &format!("m-{i:03}"))))
        .collect();
    let ids = store
        .register_monitors(&names, ago(now, 60))
        .await
        .expect("register");
    let ams = store
        .register_locations(&["ams"], ago(now, 60))
        .await
        .expect("locations")["ams"];
    let mut results = Vec::new();
    for (i, monitor) in names.iter().enumerate() {
        let id = ids[monitor];
        results.push(check(id, ago(now, 2), ams, 50));
        let to = if monitor.service == "big" && i % 3 == 0 {
            MonitorState::Down
        } else {
            MonitorState::Up
        };
        if monitor.service == "big" && i < 40 && i % 3 == 1 {
            results.push(failure(id, ago(now, 1), ams, "flaky"));
        }
        store
            .append_monitor_event(&MonitorEvent {
                monitor: id,
                at: ago(now, 30),
                from: MonitorState::Unknown,
                to,
                reason: None,
                locations: vec!["ams".into()],
            })
            .await
            .expect("event");
    }
    store.insert_results(&results).await.expect("insert");
    server
}

/// The monitor links of a list page, in order.
fn listed(html: &str) -> Vec<String> {
    html.split(r#"<th scope="row"><a href=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_list_pages_by_100_keeping_filters() {
    let server = fleet().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;

    let (status, first) = get_page(&viewer, &server, "/monitors").await;
    assert_eq!(status, 200);
    let rows = listed(&first);
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0], "/monitors/big/m-000");
    assert_eq!(rows[99], "/monitors/big/m-099");
    assert!(
        first.contains("Showing 1–100 of 250 monitor(s)."),
        "{first}"
    );
    assert!(first.contains("77 of 250 monitor(s) down."));
    assert!(first.contains("Page 1 of 3"));
    assert!(first.contains(r#"href="/monitors?page=2" rel="next""#));
    assert!(!first.contains(r#"rel="prev""#));
    assert_eq!(first.matches(r#"<svg class="sparkline""#).count(), 100);
    assert!(
        !first.contains("not checked yet"),
        "newest checks are shown"
    );

    let (_, last) = get_page(&viewer, &server, "/monitors?page=3").await;
    let rows = listed(&last);
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0], "/monitors/big/m-200");
    assert_eq!(rows[49], "/monitors/small/m-019");
    assert!(last.contains("Showing 201–250 of 250 monitor(s)."));
    assert!(last.contains(r#"href="/monitors?page=2" rel="prev""#));
    assert!(!last.contains(r#"rel="next""#));

    // Filters apply before paging, and the links keep them.
    let (_, big) = get_page(&viewer, &server, "/monitors?service=big&page=2").await;
    let rows = listed(&big);
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0], "/monitors/big/m-100");
    assert!(
        big.contains("Showing 101–200 of 230 matching monitor(s) (the catalog has 250)."),
        "{big}"
    );
    assert!(big.contains(r#"href="/monitors?service=big&amp;page=1" rel="prev""#));
    assert!(big.contains(r#"href="/monitors?service=big&amp;page=3" rel="next""#));

    let (_, down) = get_page(&viewer, &server, "/monitors?state=down&page=1").await;
    let rows = listed(&down);
    assert_eq!(rows.len(), 77);
    assert_eq!(rows[1], "/monitors/big/m-003");
    assert!(!down.contains("Page 1 of"), "one page: no pager");
    assert!(down.contains("Showing 77 of 250 monitor(s)."));

    // `degraded` needs the newest checks of the monitors stored as up.
    let (_, degraded) = get_page(&viewer, &server, "/monitors?state=degraded").await;
    let rows = listed(&degraded);
    assert_eq!(rows.len(), 13, "{rows:?}");
    assert_eq!(rows[0], "/monitors/big/m-001");
    let (_, up) = get_page(&viewer, &server, "/monitors?state=up&page=2").await;
    assert!(
        up.contains("Showing 101–160 of 160 matching monitor(s)"),
        "250 − 77 down − 13 degraded"
    );
    assert!(up.contains(r#"href="/monitors?state=up&amp;page=1" rel="prev""#));

    // A bad page is ignored with a notice, like a bad filter.
    for (query, shown, message) in [
        (
            "page=x",
            "Showing 1–100",
            "Page ignored: `page`: `x` is not a page number",
        ),
        (
            "page=0",
            "Showing 1–100",
            "Page ignored: `page`: `0` is not a page number",
        ),
        ("page=-2", "Showing 1–100", "`-2` is not a page number"),
        (
            "page=9",
            "Showing 201–250",
            "Page ignored: `page`: there is no page 9, the last is 3",
        ),
        (
            "service=small&page=2",
            "Showing 20 of 250",
            "there is no page 2, the last is 1",
        ),
    ] {
        let (status, html) = get_page(&viewer, &server, &format!("/monitors?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert!(html.contains(shown), "{query}: {shown}");
        assert!(html.contains(message), "{query}: {message}");
    }
}

#[tokio::test]
async fn the_api_lists_everything_or_a_slice_and_refuses_bad_slices() {
    let server = fleet().await;
    let token = server.token(Role::Viewer).await;
    let ids = |body: &Value| -> Vec<String> {
        body["monitors"]
            .as_array()
            .expect("list")
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m["service"].as_str().expect("service"),
                    m["id"].as_str().expect("id")
                )
            })
            .collect()
    };

    let (status, all) = get_json(&server, &token, "/api/v1/monitors").await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], 250);
    assert_eq!(ids(&all).len(), 250, "every monitor by default");
    let first = &all["monitors"][0];
    assert_eq!(first["state"], "down");
    assert_eq!(first["last_result"]["ok"], true);
    assert_eq!(first["uptime"]["24h"], 1.0);
    assert_eq!(all["monitors"][1]["state"], "degraded");
    assert_eq!(all["monitors"][1]["last_result"]["reason"], "flaky");

    let (_, slice) = get_json(&server, &token, "/api/v1/monitors?limit=10&offset=245").await;
    assert_eq!(slice["total"], 250);
    assert_eq!(
        ids(&slice),
        [
            "small/m-015",
            "small/m-016",
            "small/m-017",
            "small/m-018",
            "small/m-019"
        ]
    );
    let (_, head) = get_json(&server, &token, "/api/v1/monitors?service=small&limit=2").await;
    assert_eq!(head["total"], 20);
    assert_eq!(ids(&head), ["small/m-000", "small/m-001"]);
    let (_, past) = get_json(&server, &token, "/api/v1/monitors?offset=300").await;
    assert_eq!(past["total"], 250);
    assert!(ids(&past).is_empty());
    let (_, degraded) = get_json(
        &server,
        &token,
        "/api/v1/monitors?state=degraded&offset=12&limit=",
    )
    .await;
    assert_eq!(degraded["total"], 13);
    assert_eq!(ids(&degraded), ["big/m-037"]);

    for (query, parameter) in [
        ("limit=0", "`limit`"),
        ("limit=ten", "`limit`"),
        ("limit=-1", "`limit`"),
        ("offset=-1", "`offset`"),
        ("offset=1.5", "`offset`"),
        ("limit=0&offset=x", "`offset`"),
    ] {
        let (status, body) = get_json(&server, &token, &format!("/api/v1/monitors?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains(parameter),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn the_monitor_page_backtests_the_range_and_marks_would_be_incidents() {
    let (server, _) = seeded().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = get_page(&viewer, &server, "/monitors/api/health").await;
    assert_eq!(status, 200, "{html}");
    let section = &html[html
        .find(r#"id="backtest-heading""#)
        .expect("backtest section")..];
    // Three single failures half an hour apart over the last day: every
    // one a page, and with checks every 5 minutes the third tips flap
    // damping (21 results, 30 %) into one flapping notice.
    assert!(
        section.contains(
            "3 pages, 1 flapping episode, 4 notifications, 34m in alert, over 291 samples"
        ),
        "{section}"
    );
    assert_eq!(section.matches(">OPENED<").count(), 3);
    assert_eq!(section.matches(">FLAPPING<").count(), 1);
    assert_eq!(section.matches(">RESOLVED<").count(), 3);
    // The detail is the failure reason, escaped.
    assert!(section.contains("api/health is down: &lt;script&gt;alert(1)&lt;/script&gt;"));
    // The chart shades each would-be incident, with a text alternative.
    assert_eq!(html.matches(r#"<g class="marker">"#).count(), 3);
    assert!(html.contains("3 marked stretch(es): backtest: an incident would have been open from"));
    assert!(html.contains("a backtest incident would have been open"));
    // The existing chart is unchanged otherwise.
    assert_eq!(html.matches(r#"class="failure-mark""#).count(), 3);

    // A monitor without failures would not have paged.
    let (_, home) = get_page(&viewer, &server, "/monitors/web/home").await;
    assert!(home.contains("Nothing would have paged."), "{home}");
    assert!(!home.contains(r#"<g class="marker">"#));
}
