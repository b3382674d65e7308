//! Incidents: the list and incident pages (status text, escaping, the
//! responder's forms), the JSON API (filters, keyset paging, detail,
//! acknowledge, resolve, notes, roles, audit), the one-click acknowledge
//! link, and incoming alerts from Prometheus and the generic event
//! endpoint. Incidents are seeded through the store's API, as the paging
//! engine stores them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipshape_store::{
    IncidentStatus, NewIncident, NewIncidentAlert, NewOutboxMessage, NewTimelineEntry, Role,
};

use crate::common::{NowTs, TestServer, call_with, hidden_csrf, page};

const CATALOG: &str = r#"
[[service]]
id = "api"
name = "API"

[[service]]
id = "web"
name = "Web"

[[person]]
id = "alice"
name = "Alice Rivera"
"#;

const EVIL_TITLE: &str = "<script>alert(1)</script> api down";

fn catalog() -> shipshape_catalog::Catalog {
    shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml")).expect("catalog parses")
}

fn ago(now: Timestamp, minutes: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_mins(minutes))
        .expect("in range")
}

async fn server() -> TestServer {
    TestServer::start_with(catalog(), |_| {}).await
}

/// Opens an incident `minutes` ago with one alert and an `opened` entry.
async fn open(
    server: &TestServer,
    key: &str,
    service: Option<&str>,
    title: &str,
    minutes: i64,
) -> i64 {
    let at = ago(server.clock.now_ts(), minutes);
    server
        .store
        .open_incident(
            &NewIncident {
                key: key.into(),
                service: service.map(str::to_owned),
                title: title.into(),
                severity: "critical".into(),
                labels: BTreeMap::new(),
                opened_at: at,
                parent: None,
                suppressed: None,
            },
            &[NewIncidentAlert {
                alert_key: format!("monitor:{key}"),
                summary: format!("{title} (alert)"),
                severity: "critical".into(),
                started_at: at,
            }],
            &[],
            &[NewTimelineEntry {
                at,
                kind: "opened".into(),
                actor: None,
                text: "opened by a monitor going down".into(),
            }],
        )
        .await
        .expect("open incident")
        .expect("no incident with this key")
}

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    call_with(server, reqwest::Method::GET, Some(token), path, None).await
}

async fn post(server: &TestServer, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call_with(server, reqwest::Method::POST, Some(token), path, body).await
}

#[tokio::test]
async fn the_list_shows_open_incidents_first_with_status_text_and_escaping() {
    let server = server().await;
    let evil = open(&server, "service:api", Some("api"), EVIL_TITLE, 30).await;
    let old = open(&server, "service:web", Some("web"), "Web slow", 300).await;
    let now = server.clock.now_ts();
    server
        .store
        .resolve_incident(old, None, ago(now, 200), &[])
        .await
        .expect("resolve");
    let acked = open(&server, "prometheus:alertname:Disk", None, "Disk full", 10).await;
    server
        .store
        .acknowledge_incident(acked, "bob@example.org", ago(now, 5), &[])
        .await
        .expect("ack");
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = page(&viewer, &server, "/incidents").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"aria-current="page">Incidents"#), "nav");
    assert!(!html.contains("<script>alert"), "titles are escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; api down"));
    let active = html.find("Open and acknowledged").expect("active section");
    let past = html.find(">Resolved").expect("past section");
    assert!(active < past, "open incidents come first");
    let open_row = html.find(&format!("/incidents/{evil}")).expect("open row");
    let old_row = html.find(&format!("/incidents/{old}\"")).expect("old row");
    assert!(open_row < past && old_row > past);
    for text in [
        "● Open",
        "◐ Acknowledged",
        "✓ Resolved",
        "30 min ago",
        "2026-11-30 08:30 UTC",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(
        html.contains("1 h 40 min"),
        "a resolved incident's duration"
    );
    assert!(html.contains("30 min (ongoing)"));
    // Filters.
    let (_, filtered) = page(&viewer, &server, "/incidents?status=resolved&service=web").await;
    assert!(filtered.contains("Web slow") && !filtered.contains("Disk full"));
    let (status, bad) = page(&viewer, &server, "/incidents?status=closed").await;
    assert_eq!(status, 200);
    assert!(bad.contains("Filter ignored: `status`"));
}

#[tokio::test]
async fn the_list_explains_when_there_are_no_incidents_and_pages_older_ones() {
    let server = server().await;
    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = page(&viewer, &server, "/incidents").await;
    assert_eq!(status, 200);
    assert!(html.contains("No incidents") && html.contains("/api/v2/alerts"));
    let now = server.clock.now_ts();
    let mut ids = Vec::new();
    for i in 0..105 {
        let id = open(
            &server,
            &format!("k{i}"),
            None,
            &format!("Past {i}"),
            1000 - i,
        )
        .await;
        server
            .store
            .resolve_incident(id, None, now, &[])
            .await
            .expect("resolve");
        ids.push(id);
    }
    let (_, html) = page(&viewer, &server, "/incidents").await;
    let older = format!("/incidents?before={}", ids[5]);
    assert!(html.contains(&older), "older link");
    assert!(html.contains("Past 104") && !html.contains("Past 4<"));
    let (_, html) = page(&viewer, &server, &older).await;
    assert!(html.contains("Past 4<") && html.contains("Past 0<"));
    assert!(!html.contains("Past 5<"));
    assert!(!html.contains("Older →"), "the last page has no older link");
}

#[tokio::test]
async fn the_incident_page_shows_everything_and_responders_act_on_it() {
    let server = server().await;
    let upstream = open(&server, "service:web", Some("web"), "Web down", 40).await;
    let now = server.clock.now_ts();
    let id = server
        .store
        .open_incident(
            &NewIncident {
                key: "service:api".into(),
                service: Some("api".into()),
                title: EVIL_TITLE.into(),
                severity: "warning".into(),
                labels: BTreeMap::from([("team".into(), "core".into())]),
                opened_at: ago(now, 20),
                parent: Some(upstream),
                suppressed: Some(format!("upstream web incident #{upstream} is open")),
            },
            &[NewIncidentAlert {
                alert_key: "monitor:api/health".into(),
                summary: "api/health is down: <b>503</b>".into(),
                severity: "warning".into(),
                started_at: ago(now, 20),
            }],
            &[],
            &[NewTimelineEntry {
                at: ago(now, 20),
                kind: "opened".into(),
                actor: None,
                text: "opened".into(),
            }],
        )
        .await
        .expect("open")
        .expect("id");
    server
        .store
        .enqueue(
            &[NewOutboxMessage {
                key: "k1".into(),
                incident_id: Some(id),
                kind: "trigger".into(),
                recipient: "person:alice#0".into(),
                channel: "email".into(),
                payload: r#"{"secret":"do-not-show"}"#.into(),
                created_at: ago(now, 19),
            }],
            &[],
        )
        .await
        .expect("enqueue");

    let (viewer, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let path = format!("/incidents/{id}");
    let (status, html) = page(&viewer, &server, &path).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<b>503"));
    for text in [
        "● Open",
        "Severity: warning",
        r#"href="/monitors?service=api""#,
        &format!("Pages suppressed: upstream web incident #{upstream} is open"),
        &format!(r#"href="/incidents/{upstream}""#),
        "api/health is down: &lt;b&gt;503&lt;/b&gt;",
        "still firing",
        "opened",
        "person:alice#0",
        "pending",
        "team=core",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains("do-not-show"), "payloads are not shown");
    assert!(
        !html.contains("Acknowledge</button>"),
        "viewers get no buttons"
    );
    assert!(!html.contains("Add note"));

    let (responder, _) = server
        .signed_in("responder@example.org", Role::Responder)
        .await;
    let (_, html) = page(&responder, &server, &path).await;
    assert!(html.contains("Acknowledge</button>") && html.contains("Resolve</button>"));
    let csrf = hidden_csrf(&html);
    // Without the CSRF token: refused.
    let refused = responder
        .post(server.url(&format!("{path}/ack")))
        .form(&[("x", "y")])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let acked = responder
        .post(server.url(&format!("{path}/ack")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(acked.status(), 303);
    assert_eq!(
        acked.headers()["location"],
        format!("{path}?flash=acknowledged").as_str()
    );
    let (_, html) = page(&responder, &server, &format!("{path}?flash=acknowledged")).await;
    assert!(html.contains("You acknowledged this incident"));
    assert!(html.contains("◐ Acknowledged") && html.contains("by responder@example.org"));
    assert!(!html.contains("Acknowledge</button>") && html.contains("Resolve</button>"));
    // A second acknowledge is a flash, not an error page.
    let again = responder
        .post(server.url(&format!("{path}/ack")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(
        again.headers()["location"],
        format!("{path}?flash=already").as_str()
    );
    // Notes.
    let noted = responder
        .post(server.url(&format!("{path}/notes")))
        .form(&[("csrf", csrf.as_str()), ("text", "Rolled back <v2>")])
        .send()
        .await
        .expect("post");
    assert_eq!(
        noted.headers()["location"],
        format!("{path}?flash=noted").as_str()
    );
    let empty = responder
        .post(server.url(&format!("{path}/notes")))
        .form(&[("csrf", csrf.as_str()), ("text", "   ")])
        .send()
        .await
        .expect("post");
    assert_eq!(
        empty.headers()["location"],
        format!("{path}?flash=note-empty").as_str()
    );
    let resolved = responder
        .post(server.url(&format!("{path}/resolve")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(resolved.status(), 303);
    let (_, html) = page(&responder, &server, &path).await;
    assert!(html.contains("✓ Resolved") && !html.contains("Resolve</button>"));
    let note = html
        .find("Rolled back &lt;v2&gt;")
        .expect("note on the timeline");
    let resolved_entry = html
        .find("resolved by responder@example.org")
        .expect("entry");
    assert!(note < resolved_entry, "newest last");
    let actions = server.audit_actions().await;
    for action in ["incident.acknowledge", "incident.note", "incident.resolve"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    // Unknown incident.
    let (status, _) = page(&viewer, &server, "/incidents/999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_api_lists_filters_and_pages_incidents() {
    let server = server().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let service = if i % 2 == 0 { "api" } else { "web" };
        ids.push(
            open(
                &server,
                &format!("k{i}"),
                Some(service),
                &format!("I{i}"),
                50 - i,
            )
            .await,
        );
    }
    server
        .store
        .acknowledge_incident(ids[1], "bob", server.clock.now_ts(), &[])
        .await
        .expect("ack");
    let token = server.token(Role::Viewer).await;
    let (status, list) = get(&server, &token, "/api/v1/incidents").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 5);
    assert_eq!(list["next_before"], Value::Null);
    let got: Vec<i64> = list["incidents"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(got, newest_first);
    let first = &list["incidents"][0];
    assert_eq!(first["status"], "open");
    assert_eq!(first["title"], "I4");
    assert_eq!(first["service"], "api");
    assert_eq!(first["opened_at"], "2026-11-30T08:14:00Z");

    // Keyset paging: 2 + 2 + 1, every incident once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=2".to_owned();
    loop {
        let (status, page) = get(&server, &token, &path).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], 5);
        for incident in page["incidents"].as_array().expect("array") {
            seen.push(incident["id"].as_i64().expect("id"));
        }
        match page["next_before"].as_i64() {
            Some(before) => path = format!("/api/v1/incidents?limit=2&before={before}"),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);

    let (_, acked) = get(&server, &token, "/api/v1/incidents?status=acknowledged").await;
    assert_eq!(acked["total"], 1);
    assert_eq!(acked["incidents"][0]["id"], ids[1]);
    assert_eq!(acked["incidents"][0]["acked_by"], "bob");
    let (_, web) = get(&server, &token, "/api/v1/incidents?service=web").await;
    assert_eq!(web["total"], 2);
    for (query, name) in [
        ("status=closed", "`status`"),
        ("before=x", "`before`"),
        ("limit=0", "`limit`"),
        ("limit=501", "`limit`"),
    ] {
        let (status, error) = get(&server, &token, &format!("/api/v1/incidents?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(error["code"], "bad_request");
        assert!(
            error["message"].as_str().expect("message").contains(name),
            "{error}"
        );
    }

    // Detail.
    let (status, detail) = get(&server, &token, &format!("/api/v1/incidents/{}", ids[0])).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["id"], ids[0]);
    assert_eq!(detail["alerts"][0]["key"], "monitor:k0");
    assert_eq!(detail["alerts"][0]["cleared_at"], Value::Null);
    assert_eq!(detail["timeline"][0]["kind"], "opened");
    assert_eq!(detail["notifications"], json!([]));
    let (status, error) = get(&server, &token, "/api/v1/incidents/999").await;
    assert_eq!(status, 404);
    assert_eq!(error["code"], "not_found");
}

#[tokio::test]
async fn the_api_acknowledges_resolves_and_takes_notes_for_responders() {
    let server = server().await;
    let id = open(&server, "service:api", Some("api"), "API down", 10).await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let ack = format!("/api/v1/incidents/{id}/ack");
    let resolve = format!("/api/v1/incidents/{id}/resolve");
    let notes = format!("/api/v1/incidents/{id}/notes");

    let (status, error) = post(&server, &viewer, &ack, None).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["code"], "forbidden");
    let (status, _) = call_with(&server, reqwest::Method::POST, None, &ack, None).await;
    assert_eq!(status, 401);

    let (status, detail) = post(&server, &responder, &ack, None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "acknowledged");
    assert_eq!(detail["acked_by"], "token:Responder test token");
    assert_eq!(detail["acked_at"], "2026-11-30T09:00:00Z");
    let (status, error) = post(&server, &responder, &ack, None).await;
    assert_eq!(status, 409);
    assert_eq!(error["code"], "conflict");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("already acknowledged by token:Responder test token"),
        "{error}"
    );

    for (body, what) in [
        (json!({ "text": "" }), "`text`"),
        (json!({ "text": "x".repeat(4001) }), "`text`"),
        (json!({ "note": "hi" }), "text"),
    ] {
        let (status, error) = post(&server, &responder, &notes, Some(body)).await;
        assert_eq!(status, 400, "{error}");
        assert!(
            error["message"].as_str().expect("message").contains(what),
            "{error}"
        );
    }
    let (status, detail) = post(
        &server,
        &responder,
        &notes,
        Some(json!({ "text": "Failing over to the replica" })),
    )
    .await;
    assert_eq!(status, 201, "{detail}");
    let last = detail["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .expect("entry")
        .clone();
    assert_eq!(last["kind"], "note");
    assert_eq!(last["actor"], "token:Responder test token");
    assert_eq!(last["text"], "Failing over to the replica");

    let (status, detail) = post(&server, &responder, &resolve, None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "resolved");
    assert_eq!(detail["resolved_by"], "token:Responder test token");
    let (status, error) = post(&server, &responder, &resolve, None).await;
    assert_eq!(status, 409);
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("already resolved"),
        "{error}"
    );
    for path in ["/api/v1/incidents/999/ack", "/api/v1/incidents/999/resolve"] {
        assert_eq!(post(&server, &responder, path, None).await.0, 404, "{path}");
    }
    let (status, _) = post(
        &server,
        &responder,
        "/api/v1/incidents/999/notes",
        Some(json!({ "text": "hi" })),
    )
    .await;
    assert_eq!(status, 404);

    let actions = server.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("incident."))
            .collect::<Vec<_>>(),
        ["incident.resolve", "incident.note", "incident.acknowledge"],
        "one entry per change, none for refusals"
    );
}

/// An acknowledge link for incident `id` sent to `who`, valid for an hour.
async fn ack_link(server: &TestServer, id: i64, who: &str) -> String {
    let key = server
        .store
        .server_key(shipshape_pager::ACK_KEY)
        .await
        .expect("key");
    let expires = server
        .clock
        .now_ts()
        .checked_add(SignedDuration::from_hours(1))
        .expect("in range");
    let token = shipshape_alert::ack::sign(&key, id, who, expires);
    format!("/ack/{token}")
}

#[tokio::test]
async fn the_acknowledge_link_shows_a_button_and_acknowledges_on_post() {
    let server = server().await;
    let id = open(&server, "service:api", Some("api"), EVIL_TITLE, 10).await;
    let link = ack_link(&server, id, "person:alice#0").await;
    // Anonymous, like a mail client or a scanner.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..2 {
        let response = client.get(server.url(&link)).send().await.expect("get");
        assert_eq!(response.status(), 200);
        let html = response.text().await.expect("body");
        assert!(html.contains("Acknowledge</button>"), "{html}");
        assert!(html.contains(&format!(r#"action="{link}""#)));
        assert!(html.contains("Alice Rivera"));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("● Open"));
    }
    let (incident, _) = server
        .store
        .incident(id)
        .await
        .expect("read")
        .expect("incident");
    assert_eq!(incident.status, IncidentStatus::Open, "GET changes nothing");

    // A bodyless POST, as an ntfy action button sends.
    let response = client.post(server.url(&link)).send().await.expect("post");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("Acknowledged by <strong>Alice Rivera</strong>"),
        "{html}"
    );
    let (incident, _) = server
        .store
        .incident(id)
        .await
        .expect("read")
        .expect("incident");
    assert_eq!(incident.status, IncidentStatus::Acknowledged);
    assert_eq!(incident.acked_by.as_deref(), Some("Alice Rivera"));
    let timeline = server.store.incident_timeline(id).await.expect("timeline");
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "acked" && e.actor.as_deref() == Some("Alice Rivera"))
    );

    // Again, as the form: already acknowledged.
    let response = client
        .post(server.url(&link))
        .form(&[("x", "1")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(
        html.contains("already acknowledged by Alice Rivera at 2026-11-30 09:00:00 UTC"),
        "{html}"
    );
    let get_again = client.get(server.url(&link)).send().await.expect("get");
    let html = get_again.text().await.expect("body");
    assert!(!html.contains("Acknowledge</button>") && html.contains("already acknowledged"));

    // A recipient that is not a catalog person acknowledges under its id.
    let other = open(&server, "service:web", Some("web"), "Web down", 5).await;
    let link = ack_link(&server, other, "notifier:ops-chat").await;
    let html = client
        .post(server.url(&link))
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("body");
    assert!(html.contains("Acknowledged by <strong>notifier:ops-chat</strong>"));
    server
        .store
        .resolve_incident(other, None, server.clock.now_ts(), &[])
        .await
        .expect("resolve");
    let html = client
        .post(server.url(&link))
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("body");
    assert!(html.contains("already resolved"), "{html}");
}

#[tokio::test]
async fn invalid_and_expired_acknowledge_links_are_refused() {
    let server = server().await;
    let id = open(&server, "service:api", Some("api"), "API down", 10).await;
    let link = ack_link(&server, id, "person:alice#0").await;
    let client = reqwest::Client::new();
    // Altered: another incident with the same signature.
    let tampered = link.replacen(&format!("/ack/{id}."), &format!("/ack/{}.", id + 1), 1);
    assert_ne!(tampered, link);
    for bad in [tampered.as_str(), "/ack/nonsense", "/ack/1.2.3.4"] {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let response = client
                .request(method.clone(), server.url(bad))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 404, "{method} {bad}");
            let html = response.text().await.expect("body");
            assert!(
                html.contains("this acknowledge link is not valid"),
                "{html}"
            );
        }
    }
    server.clock.advance(SignedDuration::from_hours(2));
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let response = client
            .request(method.clone(), server.url(&link))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 410, "{method}");
        let html = response.text().await.expect("body");
        assert!(html.contains("this acknowledge link has expired"), "{html}");
    }
    let (incident, _) = server
        .store
        .incident(id)
        .await
        .expect("read")
        .expect("incident");
    assert_eq!(incident.status, IncidentStatus::Open);
}

fn prometheus_payload() -> Value {
    json!([
        {
            "labels": { "alertname": "HighLatency", "service": "api", "severity": "warning", "instance": "db1" },
            "annotations": { "summary": "p99 latency above 2s" },
            "startsAt": "2026-11-30T08:55:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=latency"
        },
        {
            "labels": { "alertname": "Watchdog" }
        }
    ])
}

async fn post_raw(
    server: &TestServer,
    token: Option<&str>,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("post");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn prometheus_alerts_are_stored_as_signals() {
    let server = server().await;
    let responder = server.token(Role::Responder).await;
    let viewer = server.token(Role::Viewer).await;
    let body = serde_json::to_vec(&prometheus_payload()).expect("json");
    let path = "/api/v2/alerts";
    let (status, error) = post_raw(&server, None, path, "application/json", body.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(error["code"], "unauthenticated");
    let (status, _) = post_raw(
        &server,
        Some(&viewer),
        path,
        "application/json",
        body.clone(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, answer) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/json",
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({}));

    let now = server.clock.now_ts();
    let active = server.store.active_alerts(now).await.expect("alerts");
    let labels: BTreeMap<String, String> = [
        ("alertname", "HighLatency"),
        ("service", "api"),
        ("severity", "warning"),
        ("instance", "db1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let key = format!(
        "prometheus:{}",
        shipshape_alert::incoming::fingerprint(&labels)
    );
    let alert = active
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("{key} in {active:?}"));
    assert_eq!(alert.source, "prometheus");
    assert_eq!(alert.group_key, "service:api");
    assert_eq!(alert.summary, "p99 latency above 2s");
    assert_eq!(
        alert.link.as_deref(),
        Some("http://prometheus:9090/graph?g0.expr=latency")
    );
    assert_eq!(active.len(), 2, "{active:?}");

    // Malformed payloads name the field.
    for (payload, field) in [
        (
            json!([{ "labels": { "a": "b" } }, { "annotations": {} }]),
            "[1].labels",
        ),
        (json!({ "labels": {} }), "body"),
    ] {
        let (status, error) = post_raw(
            &server,
            Some(&responder),
            path,
            "application/json",
            serde_json::to_vec(&payload).expect("json"),
        )
        .await;
        assert_eq!(status, 400, "{payload}");
        let text = error["error"].as_str().expect("error");
        assert!(text.starts_with(field), "{text}");
        assert_eq!(error["code"], "bad_request");
    }
    let (status, _) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/json",
        b"[{".to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, error) =
        post_raw(&server, Some(&responder), path, "text/plain", body.clone()).await;
    assert_eq!(status, 415, "{error}");
    let huge = format!("[{}]", vec![r#"{"labels":{"a":"b"}}"#; 2000].join(","));
    let (status, _) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/json",
        huge.into_bytes(),
    )
    .await;
    assert_eq!(status, 413, "the body limit holds");
}

#[tokio::test]
async fn generic_events_are_stored_and_answered_with_their_key() {
    let server = server().await;
    let responder = server.token(Role::Responder).await;
    let path = "/api/v1/events";
    let event =
        json!({ "key": "backup-failed", "summary": "Nightly backup failed", "service": "web" });
    let body = serde_json::to_vec(&event).expect("json");
    let (status, _) = post_raw(&server, None, path, "application/json", body.clone()).await;
    assert_eq!(status, 401);
    let (status, answer) =
        post_raw(&server, Some(&responder), path, "application/json", body).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["key"], "backup-failed");
    assert_eq!(answer["status"], "firing");
    let now = server.clock.now_ts();
    let active = server.store.active_alerts(now).await.expect("alerts");
    let alert = active
        .iter()
        .find(|a| a.key == answer["alert"].as_str().expect("alert key"))
        .expect("stored");
    assert_eq!(alert.source, "event");
    assert_eq!(alert.summary, "Nightly backup failed");
    assert_eq!(alert.service.as_deref(), Some("web"));

    let resolved = json!({ "key": "backup-failed", "summary": "ok again", "status": "resolved" });
    let (status, answer) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/json",
        serde_json::to_vec(&resolved).expect("json"),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "resolved");

    let (status, error) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/json",
        serde_json::to_vec(&json!({ "key": "x", "sumary": "typo" })).expect("json"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]
            .as_str()
            .expect("error")
            .starts_with("sumary"),
        "{error}"
    );
    let (status, _) = post_raw(
        &server,
        Some(&responder),
        path,
        "application/x-www-form-urlencoded",
        b"key=x".to_vec(),
    )
    .await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn storing_signals_and_acting_wake_the_pager() {
    let server = server().await;
    let waker = Arc::new(tokio::sync::Notify::new());
    let state = server.state().with_pager(waker.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(shipshape_web::launch(state, listener, None, async move {
        let _ = stopped.await;
    }));
    let responder = server.token(Role::Responder).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&responder)
        .json(&json!({ "key": "k", "summary": "s" }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 202);
    tokio::time::timeout(Duration::from_secs(5), waker.notified())
        .await
        .expect("woken after storing a signal");
    let id = open(&server, "service:api", Some("api"), "API down", 1).await;
    let response = client
        .post(format!("{base}/api/v1/incidents/{id}/ack"))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    tokio::time::timeout(Duration::from_secs(5), waker.notified())
        .await
        .expect("woken after acknowledging");
    let _ = stop.send(());
    task.await.expect("join").expect("served");
}

#[test]
fn the_new_routes_have_the_documented_access_classes() {
    use shipshape_web::{Access, route_table};
    let table = route_table();
    let class = |method: &str, path: &str| {
        table
            .iter()
            .find(|route| route.method.as_str() == method && route.path == path)
            .map(|route| route.access)
            .unwrap_or_else(|| panic!("{method} {path} is registered"))
    };
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    assert_eq!(class("GET", "/incidents"), viewer);
    assert_eq!(class("GET", "/incidents/{id}"), viewer);
    assert_eq!(class("POST", "/incidents/{id}/ack"), responder);
    assert_eq!(class("POST", "/incidents/{id}/resolve"), responder);
    assert_eq!(class("POST", "/incidents/{id}/notes"), responder);
    assert_eq!(class("GET", "/api/v1/incidents"), viewer);
    assert_eq!(class("GET", "/api/v1/incidents/{id}"), viewer);
    assert_eq!(class("POST", "/api/v1/incidents/{id}/ack"), responder);
    assert_eq!(class("POST", "/api/v1/incidents/{id}/resolve"), responder);
    assert_eq!(class("POST", "/api/v1/incidents/{id}/notes"), responder);
    assert_eq!(class("GET", "/ack/{token}"), Access::Capability);
    assert_eq!(class("POST", "/ack/{token}"), Access::Capability);
    assert_eq!(class("POST", "/api/v2/alerts"), responder);
    assert_eq!(class("POST", "/api/v1/events"), responder);
}
