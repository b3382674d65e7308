//! Status webhooks end to end: a public incident update enqueues one
//! notice per matching webhook, and a receiver on loopback gets the
//! generic webhook JSON signed with the webhook's derived secret; a
//! webhook removed meanwhile is rejected, not retried.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use shipshape_pager::subscriptions::{WEBHOOK_KEY_NAME, notify_incident_update, webhook_secret};
use shipshape_store::{NewStatusIncident, OutboxState};

use crate::{CATALOG, Sim};

type Seen = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

async fn hook(
    State(seen): State<Seen>,
    axum::extract::Path(who): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    seen.lock().unwrap().push((who, headers, body));
    StatusCode::OK
}

async fn start() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/{who}", post(hook))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test]
async fn a_public_update_reaches_matching_webhooks_signed() {
    let (url, seen) = start().await;
    let sim = Sim::new(CATALOG, &url).await;
    let now = sim.now();
    let add = |path: &str, components: &[&str]| {
        let store = sim.store.clone();
        let url = format!("{url}/{path}");
        let components: Vec<String> = components.iter().map(|c| (*c).to_owned()).collect();
        async move {
            store
                .add_status_webhook(&url, &components, "ada", now)
                .await
                .unwrap()
        }
    };
    let all = add("all", &[]).await;
    let jobs = add("jobs", &["jobs"]).await;
    let other = add("other", &["billing"]).await;
    let removed = add("removed", &[]).await;

    let incident = sim
        .store
        .create_status_incident(&NewStatusIncident {
            name: "Jobs are slow".into(),
            status: "investigating".into(),
            impact: "minor".into(),
            components: vec!["jobs".into()],
            message: "We are looking into it.".into(),
            component_status: None,
            created_by: "ada".into(),
            at: now,
            alert_incident: None,
        })
        .await
        .unwrap();
    let record = sim.store.status_incident(incident).await.unwrap().unwrap();
    let update = record.updates[0].id;

    let added = notify_incident_update(&sim.store, &sim.catalog, incident, update, now)
        .await
        .unwrap();
    assert_eq!(added, 3, "one notice per matching webhook");
    let again = notify_incident_update(&sim.store, &sim.catalog, incident, update, now)
        .await
        .unwrap();
    assert_eq!(again, 0, "the same update enqueues nothing new");
    let key = |id: i64| format!("status-update-{update}:webhook:{id}");
    for id in [all, jobs, removed] {
        let message = sim.store.outbox_message(&key(id)).await.unwrap().unwrap();
        assert_eq!(message.recipient, format!("webhook:{id}"));
        assert_eq!(message.kind, "status");
    }
    assert!(
        sim.store
            .outbox_message(&key(other))
            .await
            .unwrap()
            .is_none()
    );

    // Removed after the notice was enqueued: it gets nothing.
    assert!(sim.store.remove_status_webhook(removed, now).await.unwrap());
    assert_eq!(sim.pager.deliver().await.unwrap(), 3);

    let server_key = sim.store.server_key(WEBHOOK_KEY_NAME).await.unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let who: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(who, ["all", "jobs"]);
    for ((_, headers, body), id) in seen.iter().zip([all, jobs]) {
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        let timestamp: i64 = header("x-shipshape-timestamp").parse().unwrap();
        let secret = webhook_secret(&server_key, id);
        assert_eq!(secret.len(), 64);
        assert!(shipshape_notify::verify(
            secret.as_bytes(),
            timestamp,
            body,
            &header("x-shipshape-signature")
        ));
        let other_secret = webhook_secret(&server_key, other);
        assert!(!shipshape_notify::verify(
            other_secret.as_bytes(),
            timestamp,
            body,
            &header("x-shipshape-signature")
        ));
        assert_eq!(header("x-shipshape-delivery"), key(id));
        assert!(headers.get("authorization").is_none());
        // Statuspage's "incident update" payload.
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert!(json["meta"]["documentation"].is_string());
        assert_eq!(json["page"]["status_indicator"], "minor");
        assert_eq!(json["incident"]["id"], incident.to_string());
        assert_eq!(json["incident"]["name"], "Jobs are slow");
        assert_eq!(json["incident"]["status"], "investigating");
        assert_eq!(
            json["incident"]["incident_updates"][0]["body"],
            "We are looking into it."
        );
        let message = sim.store.outbox_message(&key(id)).await.unwrap().unwrap();
        assert_eq!(message.state, OutboxState::Delivered);
    }

    let gone = sim
        .store
        .outbox_message(&key(removed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.state, OutboxState::Failed, "rejected, not retried");
    assert_eq!(gone.attempts, 1);
    assert!(gone.last_error.unwrap().contains("removed"));
}

#[tokio::test]
async fn a_component_status_change_reaches_webhooks_as_a_component_update() {
    let sim = Sim::new(CATALOG, "http://127.0.0.1:9").await;
    let id = sim
        .store
        .add_status_webhook("http://127.0.0.1:9/hook", &[], "Alice", sim.now())
        .await
        .unwrap();
    let before = shipshape_pager::status_snapshot::build(&sim.store, &sim.catalog, sim.now())
        .await
        .unwrap()
        .unwrap();
    let mut after = before.clone();
    after.generated_at = sim.now() + jiff::SignedDuration::from_secs(10);
    after.components[0].status = shipshape_status::ComponentStatus::MajorOutage;
    let added = shipshape_pager::subscriptions::notify_component_changes(
        &sim.store,
        &before,
        &after,
        sim.now(),
    )
    .await;
    assert_eq!(added, 1);
    // The same change is not told twice.
    let again = shipshape_pager::subscriptions::notify_component_changes(
        &sim.store,
        &before,
        &after,
        sim.now(),
    )
    .await;
    assert_eq!(again, 0);
    assert_eq!(
        shipshape_pager::subscriptions::notify_component_changes(
            &sim.store,
            &after,
            &after,
            sim.now()
        )
        .await,
        0,
        "no change, no notice"
    );
    let key = format!(
        "component-jobs-major_outage@{}:webhook:{id}",
        after.generated_at.as_millisecond()
    );
    let message = sim
        .store
        .outbox_message(&key)
        .await
        .unwrap()
        .expect("queued");
    let notice: serde_json::Value = serde_json::from_str(&message.payload).unwrap();
    let body = &notice["payload"];
    assert_eq!(body["component_update"]["old_status"], "operational");
    assert_eq!(body["component_update"]["new_status"], "major_outage");
    assert_eq!(body["component"]["id"], "jobs");
}
