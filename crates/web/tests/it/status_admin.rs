//! The responders' side of the status page: public incidents, maintenance
//! and component overrides through the JSON API (validation naming the
//! field, roles, audit) and the pages (forms with CSRF, problems shown
//! with the input kept, escaping), and publishing from an alerting
//! incident with public words only.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use shipshape_store::{NewIncident, NewIncidentAlert, Role};

use crate::common::{NowTs, TestServer, call, hidden_csrf, message, page};

const CATALOG: &str = r#"
[[service]]
id = "api"
name = "Benefits API"

  [[service.monitor]]
  id = "db-pool-probe"
  http = { url = "https://internal-api.corp.example/healthz" }
  every = "30s"

[[service]]
id = "web"
name = "Website"

  [[service.monitor]]
  id = "home"
  http = { url = "https://www.example.org/" }
  every = "30s"

[status_page]
title = "Example status"
components = [
  { name = "Public API", monitors = ["api/db-pool-probe"] },
  { name = "Website", group = "Frontend", monitors = ["web/home"] },
]
"#;

const EVIL_TITLE: &str = "<script>alert(1)</script> slow logins";

fn catalog() -> shipshape_catalog::Catalog {
    shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml")).expect("catalog parses")
}

async fn server() -> TestServer {
    TestServer::start_with(catalog(), |_| {}).await
}

async fn post(server: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(server, reqwest::Method::POST, token, path, Some(body)).await
}

async fn put(server: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(server, reqwest::Method::PUT, token, path, Some(body)).await
}

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    call(server, reqwest::Method::GET, token, path, None).await
}

/// Posts a form; the status and the `Location` header (or the body).
async fn post_form(
    client: &reqwest::Client,
    server: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(server.url(path))
        .form(fields)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    match location {
        Some(location) => (status, location),
        None => (status, response.text().await.expect("body")),
    }
}

#[tokio::test]
async fn the_api_posts_updates_and_resolves_public_incidents() {
    let server = server().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let body = json!({
        "name": "Slow logins",
        "status": "investigating",
        "impact": "minor",
        "components": ["website", "website"],
        "component_status": "degraded_performance",
        "message": "Logins are slow; we are looking into it.",
    });

    let (status, error) = post(&server, &viewer, "/api/v1/status/incidents", body.clone()).await;
    assert_eq!(status, 403, "{error}");

    let (status, created) = post(&server, &responder, "/api/v1/status/incidents", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["name"], "Slow logins");
    assert_eq!(created["status"], "investigating");
    assert_eq!(created["impact"], "minor");
    assert_eq!(created["components"], json!(["website"]));
    assert_eq!(created["created_by"], "token:Responder test token");
    assert_eq!(
        created["updates"][0]["component_status"],
        "degraded_performance"
    );
    assert_eq!(created["resolved_at"], Value::Null);

    // Problems name their field.
    let cases = [
        (
            json!({"name": " ", "status": "investigating", "impact": "minor", "message": "m"}),
            "`name`",
        ),
        (
            json!({"name": "x".repeat(201), "status": "investigating", "impact": "minor", "message": "m"}),
            "`name`",
        ),
        (
            json!({"name": "n", "status": "closed", "impact": "minor", "message": "m"}),
            "`status`",
        ),
        (
            json!({"name": "n", "status": "identified", "impact": "huge", "message": "m"}),
            "`impact`",
        ),
        (
            json!({"name": "n", "status": "identified", "impact": "none", "components": ["db-pool-probe"], "message": "m"}),
            "`components`",
        ),
        (
            json!({"name": "n", "status": "identified", "impact": "none", "component_status": "on_fire", "message": "m"}),
            "`component_status`",
        ),
        (
            json!({"name": "n", "status": "identified", "impact": "none", "message": ""}),
            "`message`",
        ),
        (
            json!({"name": "n", "status": "identified", "impact": "none", "message": "m", "alert_incident": 999}),
            "`alert_incident`",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = post(
            &server,
            &responder,
            "/api/v1/status/incidents",
            body.clone(),
        )
        .await;
        assert_eq!(status, 400, "{body}: {error}");
        assert!(message(&error).starts_with(field), "{body}: {error}");
    }
    // No components at all is fine.
    let (status, bare) = post(
        &server,
        &responder,
        "/api/v1/status/incidents",
        json!({"name": "Heads up", "status": "identified", "impact": "none", "components": [], "message": "m"}),
    )
    .await;
    assert_eq!(status, 201, "{bare}");

    // Updates, to resolved.
    let path = format!("/api/v1/status/incidents/{id}/updates");
    let (status, error) = post(
        &server,
        &responder,
        &path,
        json!({"status": "fixed", "message": "m"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&error).starts_with("`status`"), "{error}");
    let (status, error) = post(
        &server,
        &viewer,
        &path,
        json!({"status": "resolved", "message": "m"}),
    )
    .await;
    assert_eq!(status, 403, "{error}");
    let (status, updated) = post(
        &server,
        &responder,
        &path,
        json!({"status": "resolved", "message": "Fixed.", "component_status": "operational", "impact": "major", "components": ["website", "public-api"]}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "resolved");
    assert_eq!(updated["impact"], "major");
    assert_eq!(updated["components"], json!(["public-api", "website"]));
    assert_eq!(updated["resolved_at"], "2026-11-30T09:00:00Z");
    assert_eq!(updated["updates"][0]["message"], "Fixed.");
    assert_eq!(updated["updates"].as_array().expect("updates").len(), 2);
    let (status, _) = post(
        &server,
        &responder,
        "/api/v1/status/incidents/9999/updates",
        json!({"status": "resolved", "message": "m"}),
    )
    .await;
    assert_eq!(status, 404);

    // Reads.
    let (status, list) = get(&server, &viewer, "/api/v1/status/incidents").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["incidents"].as_array().expect("incidents").len(), 2);
    let (_, open) = get(&server, &viewer, "/api/v1/status/incidents?unresolved=true").await;
    assert_eq!(open["incidents"].as_array().expect("incidents").len(), 1);
    let (status, one) = get(&server, &viewer, &format!("/api/v1/status/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["status"], "resolved");

    let actions = server.audit_actions().await;
    assert!(
        actions.contains(&"status.incident.create".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"status.incident.update".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_page_posts_and_updates_incidents_with_csrf_and_escapes_titles() {
    let server = server().await;
    let (client, _) = server.signed_in("ada@example.org", Role::Responder).await;
    let (status, html) = page(&client, &server, "/status-page").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"aria-current="page">Status page"#), "nav");
    for text in [
        "Public API",
        "Website",
        "Frontend",
        "Post an incident",
        "Schedule maintenance",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(
        html.contains(r#"href="/status" target="_blank""#),
        "link to the public page"
    );
    assert!(
        !html.contains("db-pool-probe"),
        "monitor names stay internal"
    );
    let csrf = hidden_csrf(&html);

    // Without the CSRF token: refused.
    let (status, _) = post_form(
        &client,
        &server,
        "/status-page/incidents",
        &[
            ("title", "x"),
            ("status", "investigating"),
            ("impact", "minor"),
            ("message", "m"),
        ],
    )
    .await;
    assert_eq!(status, 403);

    // A problem: shown again with the input kept.
    let (status, html) = post_form(
        &client,
        &server,
        "/status-page/incidents",
        &[
            ("csrf", &csrf),
            ("title", "  "),
            ("impact", "major"),
            ("components", "website"),
            ("component_status", "partial_outage"),
            ("status", "identified"),
            ("message", "Kept message text"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("The incident was not posted. Title:"),
        "{html}"
    );
    assert!(html.contains("Kept message text"));
    assert!(html.contains(r#"value="website" checked"#), "checkbox kept");

    // Posted with two components.
    let (status, location) = post_form(
        &client,
        &server,
        "/status-page/incidents",
        &[
            ("csrf", &csrf),
            ("title", EVIL_TITLE),
            ("impact", "major"),
            ("components", "website"),
            ("components", "public-api"),
            ("component_status", "partial_outage"),
            ("status", "investigating"),
            ("message", "Looking <b>into</b> it"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("?flash=posted"), "{location}");
    let incident_path = location.split('?').next().expect("path").to_owned();
    let id: i64 = incident_path
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let record = server
        .store
        .status_incident(id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        record.components,
        vec!["public-api".to_owned(), "website".to_owned()]
    );
    assert_eq!(record.created_by, "ada@example.org");

    let (status, html) = page(&client, &server, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Incident posted"));
    assert!(!html.contains("<script>alert"), "titles are escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; slow logins"));
    assert!(html.contains("Looking &lt;b&gt;into&lt;/b&gt; it"));
    let (_, overview) = page(&client, &server, "/status-page").await;
    assert!(!overview.contains("<script>alert"));
    assert!(overview.contains("&lt;script&gt;alert(1)&lt;/script&gt; slow logins"));

    // An update with a problem, then to resolved.
    let updates = format!("{incident_path}/updates");
    let (status, html) = post_form(
        &client,
        &server,
        &updates,
        &[("csrf", &csrf), ("status", "resolved"), ("message", " ")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("The update was not posted. Message:"),
        "{html}"
    );
    let (status, location) = post_form(
        &client,
        &server,
        &updates,
        &[
            ("csrf", &csrf),
            ("status", "resolved"),
            ("component_status", "operational"),
            ("message", "All good again."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?flash=updated"), "{location}");
    let record = server
        .store
        .status_incident(id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(record.status, "resolved");
    let (_, overview) = page(&client, &server, "/status-page").await;
    let resolved = overview.find("Recently resolved").expect("section");
    let row = overview.find(&incident_path).expect("listed");
    assert!(row > resolved, "listed under resolved");
}

#[tokio::test]
async fn viewers_see_but_cannot_write() {
    let server = server().await;
    let (client, _) = server.signed_in("val@example.org", Role::Viewer).await;
    let (status, html) = page(&client, &server, "/status-page").await;
    assert_eq!(status, 200);
    assert!(!html.contains("Post an incident"));
    assert!(!html.contains("Set override"));
    let me: Value = client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let csrf = me["csrf_token"].as_str().expect("csrf").to_owned();
    let (status, _) = post_form(
        &client,
        &server,
        "/status-page/incidents",
        &[
            ("csrf", &csrf),
            ("title", "t"),
            ("status", "investigating"),
            ("impact", "minor"),
            ("message", "m"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = page(&client, &server, "/status-page/publish?from_incident=1").await;
    assert_eq!(status, 403);
    let viewer = server.token(Role::Viewer).await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/v1/status/maintenances"),
        (reqwest::Method::DELETE, "/api/v1/status/maintenances/1"),
        (
            reqwest::Method::PUT,
            "/api/v1/status/components/website/override",
        ),
        (
            reqwest::Method::DELETE,
            "/api/v1/status/components/website/override",
        ),
    ] {
        let (status, _) = call(&server, method, &viewer, path, Some(json!({}))).await;
        assert_eq!(status, 403, "{path}");
    }
}

#[tokio::test]
async fn maintenance_is_scheduled_updated_and_cancelled() {
    let server = server().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let good = json!({
        "name": "Database upgrade",
        "components": ["public-api"],
        "scheduled_for": "2026-12-01T02:00:00Z",
        "scheduled_until": "2026-12-01T04:00:00Z",
        "message": "The API may be unavailable for a few minutes.",
    });
    let mut backwards = good.clone();
    backwards["scheduled_until"] = json!("2026-12-01T01:00:00Z");
    let mut garbled = good.clone();
    garbled["scheduled_for"] = json!("tomorrow");
    let mut unknown = good.clone();
    unknown["components"] = json!(["nope"]);
    let mut bad_impact = good.clone();
    bad_impact["impact"] = json!("huge");
    for (body, field) in [
        (backwards, "`scheduled_until`"),
        (garbled, "`scheduled_for`"),
        (unknown, "`components`"),
        (bad_impact, "`impact`"),
    ] {
        let (status, error) = post(&server, &responder, "/api/v1/status/maintenances", body).await;
        assert_eq!(status, 400, "{error}");
        assert!(message(&error).starts_with(field), "{error}");
    }
    let (status, created) = post(&server, &responder, "/api/v1/status/maintenances", good).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["status"], "scheduled");
    assert_eq!(created["impact"], "maintenance");
    let (status, list) = get(&server, &viewer, "/api/v1/status/maintenances").await;
    assert_eq!(status, 200);
    assert_eq!(list["maintenances"][0]["id"], id);

    let path = format!("/api/v1/status/maintenances/{id}/updates");
    let (status, error) = post(
        &server,
        &responder,
        &path,
        json!({"status": "done", "message": "m"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&error).starts_with("`status`"), "{error}");
    let (status, updated) = post(
        &server,
        &responder,
        &path,
        json!({"status": "in_progress", "message": "Started."}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "in_progress");

    let maintenance = format!("/api/v1/status/maintenances/{id}");
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &responder,
        &maintenance,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, error) = call(
        &server,
        reqwest::Method::DELETE,
        &responder,
        &maintenance,
        None,
    )
    .await;
    assert_eq!(status, 409, "{error}");
    let (status, _) = post(
        &server,
        &responder,
        &path,
        json!({"status": "verifying", "message": "m"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &responder,
        "/api/v1/status/maintenances/999",
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Through the forms.
    let (client, _) = server.signed_in("ada@example.org", Role::Responder).await;
    let (_, html) = page(&client, &server, "/status-page").await;
    let csrf = hidden_csrf(&html);
    let (status, html) = post_form(
        &client,
        &server,
        "/status-page/maintenance",
        &[
            ("csrf", &csrf),
            ("title", "Edge <i>rollout</i>"),
            ("components", "website"),
            ("from", "2026-12-02T10:00"),
            ("until", "2026-12-02T09:00"),
            ("impact", "minor"),
            ("message", "Brief blips"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("The maintenance was not scheduled. Until:"),
        "{html}"
    );
    assert!(html.contains(r#"value="2026-12-02T10:00""#), "input kept");
    let (status, location) = post_form(
        &client,
        &server,
        "/status-page/maintenance",
        &[
            ("csrf", &csrf),
            ("title", "Edge <i>rollout</i>"),
            ("components", "website"),
            ("from", "2026-12-02T10:00"),
            ("until", "2026-12-02T11:00"),
            ("impact", "minor"),
            ("message", "Brief blips"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let mpath = location.split('?').next().expect("path").to_owned();
    let mid: i64 = mpath
        .rsplit('/')
        .next()
        .and_then(|i| i.parse().ok())
        .expect("id");
    let record = server
        .store
        .maintenance(mid)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        record.scheduled_for,
        "2026-12-02T10:00:00Z".parse().expect("time")
    );
    assert_eq!(record.impact, "minor");
    let (_, overview) = page(&client, &server, "/status-page").await;
    assert!(overview.contains("Edge &lt;i&gt;rollout&lt;/i&gt;"));
    let (status, html) = page(&client, &server, &mpath).await;
    assert_eq!(status, 200);
    assert!(html.contains("Cancel maintenance"));
    let (status, location) = post_form(
        &client,
        &server,
        &format!("{mpath}/cancel"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?flash=cancelled"), "{location}");
    let (_, html) = page(&client, &server, &location).await;
    assert!(html.contains("Maintenance cancelled"), "{html}");
    let (status, location) = post_form(
        &client,
        &server,
        &format!("{mpath}/cancel"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?flash=already-over"), "{location}");

    let actions = server.audit_actions().await;
    for action in [
        "status.maintenance.schedule",
        "status.maintenance.update",
        "status.maintenance.cancel",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn component_overrides_are_set_and_cleared() {
    let server = server().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let path = "/api/v1/status/components/website/override";
    let (status, error) = put(&server, &responder, path, json!({"status": "on_fire"})).await;
    assert_eq!(status, 400);
    assert!(message(&error).starts_with("`status`"), "{error}");
    let (status, _) = put(
        &server,
        &responder,
        "/api/v1/status/components/nope/override",
        json!({"status": "major_outage"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = put(
        &server,
        &responder,
        path,
        json!({"status": "major_outage", "note": "CDN down"}),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, list) = get(&server, &viewer, "/api/v1/status/components").await;
    assert_eq!(status, 200);
    assert_eq!(list["components"][1]["id"], "website");
    assert_eq!(list["components"][1]["override"]["status"], "major_outage");
    assert_eq!(list["components"][1]["override"]["note"], "CDN down");
    assert_eq!(list["components"][0]["override"], Value::Null);
    let (status, _) = call(&server, reqwest::Method::DELETE, &responder, path, None).await;
    assert_eq!(status, 204);
    assert!(
        server
            .store
            .component_overrides()
            .await
            .expect("read")
            .is_empty()
    );

    // Through the form.
    let (client, _) = server.signed_in("ada@example.org", Role::Responder).await;
    let (_, html) = page(&client, &server, "/status-page").await;
    let csrf = hidden_csrf(&html);
    let (status, location) = post_form(
        &client,
        &server,
        "/status-page/components/public-api/override",
        &[
            ("csrf", &csrf),
            ("status", "partial_outage"),
            ("note", "<b>EU</b> only"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/status-page?flash=override-set");
    let (_, html) = page(&client, &server, &location).await;
    assert!(html.contains("Partial outage"));
    assert!(html.contains("&lt;b&gt;EU&lt;/b&gt; only"));
    assert!(html.contains("Clear override"));
    let (status, location) = post_form(
        &client,
        &server,
        "/status-page/components/public-api/override/clear",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/status-page?flash=override-cleared");
    assert!(
        server
            .store
            .component_overrides()
            .await
            .expect("read")
            .is_empty()
    );
    let actions = server.audit_actions().await;
    assert!(actions.contains(&"status.override.set".to_owned()));
    assert!(actions.contains(&"status.override.clear".to_owned()));
}

#[tokio::test]
async fn publishing_from_an_alerting_incident_uses_public_words_only() {
    let server = server().await;
    let at = server.clock.now_ts();
    let alert_id = server
        .store
        .open_incident(
            &NewIncident {
                key: "service:api".into(),
                service: Some("api".into()),
                title: "db-pool-probe failing: pool exhausted on 10.1.2.3".into(),
                severity: "critical".into(),
                labels: BTreeMap::new(),
                opened_at: at,
                parent: None,
                suppressed: None,
            },
            &[NewIncidentAlert {
                alert_key: "monitor:api/db-pool-probe".into(),
                summary: "GET https://internal-api.corp.example/healthz: 503".into(),
                severity: "critical".into(),
                started_at: at,
            }],
            &[],
            &[],
        )
        .await
        .expect("open incident")
        .expect("new incident");
    let (client, _) = server.signed_in("ada@example.org", Role::Responder).await;
    let publish = format!("/status-page/publish?from_incident={alert_id}");
    let (status, html) = page(&client, &server, &publish).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Degraded service: Benefits API"), "{html}");
    assert!(
        html.contains(r#"<option value="major" selected>"#),
        "critical is a major impact"
    );
    assert!(
        html.contains(r#"value="public-api" checked"#),
        "the service's component"
    );
    assert!(!html.contains(r#"value="website" checked"#));
    for secret in [
        "db-pool-probe",
        "pool exhausted",
        "10.1.2.3",
        "internal-api.corp.example",
        "503",
    ] {
        assert!(!html.contains(secret), "{secret} leaked");
    }
    let csrf = hidden_csrf(&html);
    let alert = alert_id.to_string();
    let (status, location) = post_form(
        &client,
        &server,
        "/status-page/incidents",
        &[
            ("csrf", &csrf),
            ("alert_incident", &alert),
            ("title", "Degraded service: Benefits API"),
            ("impact", "major"),
            ("components", "public-api"),
            ("component_status", "partial_outage"),
            ("status", "investigating"),
            ("message", "We are investigating."),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let published = server
        .store
        .status_incident_for_alert(alert_id)
        .await
        .expect("read")
        .expect("published");
    assert_eq!(published.alert_incident, Some(alert_id));
    // Published already: straight to it.
    let response = client.get(server.url(&publish)).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 303);
    let to = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(
        to,
        format!(
            "/status-page/incidents/{}?flash=already-published",
            published.id
        )
    );
    // And the API refuses a second one.
    let responder = server.token(Role::Responder).await;
    let (status, error) = post(
        &server,
        &responder,
        "/api/v1/status/incidents",
        json!({"name": "again", "status": "investigating", "impact": "minor", "message": "m", "alert_incident": alert_id}),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    let (status, _) = page(&client, &server, "/status-page/publish?from_incident=9999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn without_a_status_page_the_page_explains_how_to_add_one() {
    let server = TestServer::start().await;
    let (client, _) = server.signed_in("ada@example.org", Role::Responder).await;
    let (status, html) = page(&client, &server, "/status-page").await;
    assert_eq!(status, 200);
    assert!(html.contains("No status page configured"));
    assert!(html.contains("[status_page]"));
}
