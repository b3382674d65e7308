//! Status webhooks through the responders' JSON API: the secret is shown
//! once (and is the derived one), the list never shows it, only
//! responders may manage them, problems name the field, writes are
//! audited, and a public incident is sent to them.

use std::path::Path;

use serde_json::json;
use shipshape_pager::subscriptions::{WEBHOOK_KEY_NAME, webhook_secret};
use shipshape_store::Role;

use crate::common::{TestServer, call, message};

const CATALOG: &str = r#"
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
  { name = "Public API" },
  { name = "Website", monitors = ["web/home"] },
]
"#;

async fn server() -> TestServer {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    TestServer::start_with(catalog, |_| {}).await
}

const HOOKS: &str = "/api/v1/status/webhooks";

#[tokio::test]
async fn responders_add_list_and_remove_status_webhooks() {
    use reqwest::Method;
    let server = server().await;
    let responder = server.token(Role::Responder).await;

    let (status, created) = call(
        &server,
        Method::POST,
        &responder,
        HOOKS,
        Some(json!({"url": " https://hooks.example.org/status?t=1 ", "components": ["website"]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["url"], "https://hooks.example.org/status?t=1");
    assert_eq!(created["components"], json!(["website"]));
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let key = server
        .store
        .server_key(WEBHOOK_KEY_NAME)
        .await
        .expect("key");
    assert_eq!(secret, webhook_secret(&key, id), "the derived secret");
    assert_eq!(secret.len(), 64);

    let (status, all) = call(
        &server,
        Method::POST,
        &responder,
        HOOKS,
        Some(json!({"url": "http://10.1.2.3:8080/hook"})),
    )
    .await;
    assert_eq!(status, 201, "{all}");
    let all_id = all["id"].as_i64().expect("id");
    assert_eq!(all["components"], json!([]));
    assert_ne!(all["secret"], created["secret"], "one secret per webhook");

    let (status, list) = call(&server, Method::GET, &responder, HOOKS, None).await;
    assert_eq!(status, 200, "{list}");
    let hooks = list["webhooks"].as_array().expect("webhooks");
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["id"], id);
    assert_eq!(hooks[0]["url"], "https://hooks.example.org/status?t=1");
    assert_eq!(hooks[0]["components"], json!(["website"]));
    assert!(hooks[0]["created_by"].is_string());
    assert!(hooks[0]["created_at"].is_string());
    assert!(
        !list.to_string().contains(&secret) && hooks.iter().all(|h| h.get("secret").is_none()),
        "the list never shows a secret: {list}"
    );

    // A public incident on the website goes to both webhooks.
    let (status, incident) = call(
        &server,
        Method::POST,
        &responder,
        "/api/v1/status/incidents",
        Some(json!({
            "name": "Slow pages",
            "status": "investigating",
            "impact": "minor",
            "components": ["website"],
            "message": "Looking into it.",
        })),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    let update = incident["updates"][0]["id"].as_i64().expect("update id");
    for hook in [id, all_id] {
        let key = format!("status-update-{update}:webhook:{hook}");
        let queued = server.store.outbox_message(&key).await.expect("read");
        assert!(queued.is_some(), "{key} enqueued");
    }

    let (status, body) = call(
        &server,
        Method::DELETE,
        &responder,
        &format!("{HOOKS}/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = call(
        &server,
        Method::DELETE,
        &responder,
        &format!("{HOOKS}/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(
        &server,
        Method::DELETE,
        &responder,
        &format!("{HOOKS}/9999"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");

    let (_, list) = call(&server, Method::GET, &responder, HOOKS, None).await;
    let ids: Vec<i64> = list["webhooks"]
        .as_array()
        .expect("webhooks")
        .iter()
        .map(|h| h["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [all_id]);

    let actions = server.audit_actions().await;
    let created_count = actions
        .iter()
        .filter(|a| *a == "status.webhook.create")
        .count();
    assert_eq!(created_count, 2, "{actions:?}");
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "status.webhook.remove")
            .count(),
        1,
        "{actions:?}"
    );
}

#[tokio::test]
async fn viewers_may_not_see_or_manage_status_webhooks() {
    use reqwest::Method;
    let server = server().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let (status, _) = call(
        &server,
        Method::POST,
        &responder,
        HOOKS,
        Some(json!({"url": "https://hooks.example.org/"})),
    )
    .await;
    assert_eq!(status, 201);
    for (method, path, body) in [
        (Method::GET, HOOKS.to_owned(), None),
        (
            Method::POST,
            HOOKS.to_owned(),
            Some(json!({"url": "https://hooks.example.org/"})),
        ),
        (Method::DELETE, format!("{HOOKS}/1"), None),
    ] {
        let (status, error) = call(&server, method.clone(), &viewer, &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {error}");
    }
    let (status, _) = call(&server, Method::GET, "not-a-token", HOOKS, None).await;
    assert_eq!(status, 401);
    assert_eq!(server.store.status_webhooks().await.expect("list").len(), 1);
    // The public page offers no way to add one.
    let response = reqwest::Client::new()
        .post(server.url("/status/webhooks"))
        .json(&json!({"url": "http://127.0.0.1/"}))
        .send()
        .await
        .expect("post");
    assert!(!response.status().is_success());
    assert_eq!(server.store.status_webhooks().await.expect("list").len(), 1);
}

#[tokio::test]
async fn bad_webhooks_are_refused_naming_the_field() {
    use reqwest::Method;
    let server = server().await;
    let responder = server.token(Role::Responder).await;
    let long = format!("https://example.org/{}", "x".repeat(2000));
    let cases = [
        (json!({}), "`url`"),
        (json!({"url": "  "}), "`url`"),
        (json!({"url": "ftp://example.org/"}), "`url`"),
        (json!({"url": "file:///etc/passwd"}), "`url`"),
        (json!({"url": "gopher://127.0.0.1:6379/"}), "`url`"),
        (json!({"url": "not a url"}), "`url`"),
        (json!({"url": long}), "`url`"),
        (
            json!({"url": "https://example.org/", "components": ["nope"]}),
            "`components`",
        ),
    ];
    for (body, field) in cases {
        let (status, error) =
            call(&server, Method::POST, &responder, HOOKS, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert!(message(&error).contains(field), "{body}: {error}");
    }
    let (status, error) = call(
        &server,
        Method::POST,
        &responder,
        HOOKS,
        Some(json!({"url": "https://example.org/", "secret": "mine"})),
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused: {error}");
    assert!(
        server
            .store
            .status_webhooks()
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        !server
            .audit_actions()
            .await
            .iter()
            .any(|a| a.starts_with("status.webhook"))
    );
}
