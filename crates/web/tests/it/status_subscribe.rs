//! Email subscriptions to the public status page on a real server: the
//! form on `/status`, subscribing (validation, rate limit, the same answer
//! for known and new addresses), the confirm and unsubscribe links (GET
//! changes nothing, POST acts, RFC 8058 one-click), bad and expired links,
//! and responders' posts enqueuing notices for confirmed subscribers only.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use shipshape_pager::subscriptions::{self, KEY_NAME};

use crate::common::{NowTs, TestServer, browser};

const CATALOG: &str = r#"
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
  { name = "Website", monitors = ["web/home"] },
  { name = "API <b>beta</b>", monitors = ["web/home"] },
]
"#;

async fn server() -> TestServer {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    TestServer::start_with(catalog, |_| {}).await
}

async fn subscribe(server: &TestServer, body: &str) -> (u16, String) {
    let response = browser()
        .post(server.url("/status/subscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The pending outbox messages, as `(key, recipient)`.
async fn outbox(server: &TestServer) -> Vec<(String, String)> {
    let claimed = server
        .store
        .claim_outbox(
            server.clock.now_ts() + jiff::SignedDuration::from_hours(1),
            Duration::from_secs(1),
            1000,
        )
        .await
        .unwrap();
    claimed.into_iter().map(|m| (m.key, m.recipient)).collect()
}

async fn key(server: &TestServer) -> Vec<u8> {
    server.store.server_key(KEY_NAME).await.unwrap()
}

#[tokio::test]
async fn the_public_page_has_a_script_free_subscribe_form() {
    let server = server().await;
    let page = browser()
        .get(server.url("/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Subscribe to updates"), "{page}");
    assert!(page.contains(r#"action="/status/subscribe""#), "{page}");
    assert!(page.contains(r#"name="email""#), "{page}");
    assert!(page.contains(r#"value="website""#), "{page}");
    assert!(page.contains("API &lt;b&gt;beta&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>beta"), "{page}");
    assert!(!page.contains("<script"), "{page}");
}

#[tokio::test]
async fn subscribing_checks_the_address_and_components() {
    let server = server().await;
    for body in [
        "email=",
        "email=not-an-address",
        "email=%3Cscript%3Ealert(1)%3C%2Fscript%3E%40x.org",
        "email=ada%40example.org%0D%0ABcc%3A+x%40y.z",
        "components=website",
    ] {
        let (status, text) = subscribe(&server, body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(!text.contains("<script>"), "{text}");
    }
    let long = format!("email={}%40example.org", "a".repeat(300));
    assert_eq!(subscribe(&server, &long).await.0, 400);
    let (status, text) = subscribe(&server, "email=ada%40example.org&components=nope").await;
    assert_eq!(status, 400);
    assert!(text.contains("unknown component"), "{text}");
    assert!(outbox(&server).await.is_empty());

    // Without a status page there is nothing to subscribe to.
    let bare = TestServer::start().await;
    assert_eq!(subscribe(&bare, "email=ada%40example.org").await.0, 404);
}

#[tokio::test]
async fn subscribing_is_rate_limited_per_client() {
    let server = server().await;
    for i in 0..5 {
        let (status, text) = subscribe(&server, &format!("email=u{i}%40example.org")).await;
        assert_eq!(status, 200, "{text}");
    }
    let (status, _) = subscribe(&server, "email=u9%40example.org").await;
    assert_eq!(status, 429);
    // An hour later the client may try again.
    server.clock.advance(jiff::SignedDuration::from_secs(3601));
    assert_eq!(subscribe(&server, "email=u9%40example.org").await.0, 200);
}

#[tokio::test]
async fn confirm_and_unsubscribe_flows() {
    let server = server().await;
    let (status, fresh) = subscribe(&server, "email=Ada%40Example.org&components=website").await;
    assert_eq!(status, 200, "{fresh}");
    assert!(fresh.contains("Check your inbox"), "{fresh}");
    let queued = outbox(&server).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (key_text, recipient) = &queued[0];
    assert!(key_text.starts_with("status-confirm-"), "{key_text}");
    let id: i64 = recipient
        .strip_prefix("subscriber:")
        .unwrap()
        .parse()
        .unwrap();
    let subscriber = server.store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(subscriber.components, ["website"]);

    let key = key(&server).await;
    let now = server.clock.now_ts();
    let confirm = subscriptions::confirm_token(&key, id, now + subscriptions::CONFIRM_TTL);
    let confirm_url = server.url(&format!("/status/subscribe/confirm/{confirm}"));

    // GET shows the button and changes nothing.
    let page = browser().get(&confirm_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Confirm"), "{page}");
    assert!(page.contains(&format!("/status/subscribe/confirm/{confirm}")));
    assert!(
        !page.to_lowercase().contains("ada@example.org"),
        "no address shown"
    );
    assert!(
        server
            .store
            .subscriber(id)
            .await
            .unwrap()
            .unwrap()
            .confirmed_at
            .is_none()
    );

    // Forged, swapped and expired links.
    let forged = browser()
        .post(server.url(&format!(
            "/status/subscribe/confirm/c{id}.9999999999.{}",
            "0".repeat(64)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    let unsubscribe = subscriptions::unsubscribe_token(&key, id);
    let swapped = browser()
        .post(server.url(&format!("/status/subscribe/confirm/{unsubscribe}")))
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 404);
    let old = subscriptions::confirm_token(&key, id, now);
    let expired = browser()
        .get(server.url(&format!("/status/subscribe/confirm/{old}")))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 410);
    assert!(
        server
            .store
            .subscriber(id)
            .await
            .unwrap()
            .unwrap()
            .confirmed_at
            .is_none()
    );

    // POST confirms.
    let done = browser().post(&confirm_url).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        server
            .store
            .subscriber(id)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );

    // Subscribing a confirmed address answers the same, and sends nothing.
    let (status, again) = subscribe(&server, "email=ada%40example.org").await;
    assert_eq!(status, 200);
    assert_eq!(again, fresh, "no way to tell known addresses");
    assert!(outbox(&server).await.is_empty());

    // A responder's incident reaches the confirmed subscriber, once.
    let responder = server.token(shipshape_store::Role::Responder).await;
    let created: serde_json::Value = browser()
        .post(server.url("/api/v1/status/incidents"))
        .bearer_auth(&responder)
        .json(
            &json!({"name": "Slow logins", "status": "investigating", "impact": "minor",
                      "components": ["website"], "message": "Looking into it."}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let update = created["updates"][0]["id"].as_i64().unwrap();
    let queued = outbox(&server).await;
    assert_eq!(
        queued,
        [(
            format!("status-update-{update}:subscriber:{id}"),
            format!("subscriber:{id}")
        )]
    );
    // Notifying about the same update again enqueues nothing twice.
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml")).unwrap();
    let incident = created["id"].as_i64().unwrap();
    let again = subscriptions::notify_incident_update(
        &server.store,
        &catalog,
        incident,
        update,
        server.clock.now_ts(),
    )
    .await
    .unwrap();
    assert_eq!(again, 0);
    // Another component's incident does not.
    browser()
        .post(server.url("/api/v1/status/incidents"))
        .bearer_auth(&responder)
        .json(
            &json!({"name": "API slow", "status": "investigating", "impact": "minor",
                      "components": ["api-b-beta-b"], "message": "m"}),
        )
        .send()
        .await
        .unwrap();
    assert!(outbox(&server).await.is_empty(), "not a followed component");

    // Unsubscribe: GET shows a button, POST (RFC 8058 one-click) acts.
    let unsubscribe_url = server.url(&format!("/status/unsubscribe/{unsubscribe}"));
    let page = browser().get(&unsubscribe_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    assert!(
        server
            .store
            .subscriber(id)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
    let done = browser()
        .post(&unsubscribe_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let record = server.store.subscriber(id).await.unwrap().unwrap();
    assert!(record.unsubscribed_at.is_some());
    // Again: still fine, nothing changes.
    assert_eq!(
        browser()
            .post(&unsubscribe_url)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let bad = browser()
        .post(server.url("/status/unsubscribe/u1.0.nothex"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);
    // The confirm link of an ended subscription does not revive it.
    assert_eq!(
        browser().post(&confirm_url).send().await.unwrap().status(),
        410
    );
}
