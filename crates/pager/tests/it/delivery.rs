//! Delivering the outbox to a real receiver on loopback: the signed JSON
//! arrives with its idempotency key and a working acknowledge link; a
//! receiver that fails is retried with backoff and the failure is on the
//! incident; a 4xx is not retried.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use shipshape_alert::ack;
use shipshape_store::OutboxState;

use crate::{CATALOG, Sim};

/// What the receiver saw, and the statuses it answers with, in turn.
#[derive(Default)]
struct Receiver {
    seen: Mutex<Vec<(String, HeaderMap, Bytes)>>,
    answers: Mutex<Vec<StatusCode>>,
}

async fn hook(
    State(receiver): State<Arc<Receiver>>,
    axum::extract::Path(who): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.seen.lock().unwrap().push((who, headers, body));
    let mut answers = receiver.answers.lock().unwrap();
    if answers.is_empty() {
        StatusCode::OK
    } else {
        answers.remove(0)
    }
}

async fn start(answers: Vec<StatusCode>) -> (String, Arc<Receiver>) {
    let receiver = Arc::new(Receiver {
        answers: Mutex::new(answers),
        ..Receiver::default()
    });
    let app = Router::new()
        .route("/{who}", post(hook))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

#[tokio::test]
async fn a_page_arrives_signed_with_its_key_and_an_acknowledge_link() {
    let (url, receiver) = start(Vec::new()).await;
    let mut sim = Sim::new(CATALOG, &url).await;
    sim.check("jobs", "worker", false).await;
    assert_eq!(sim.pager.deliver().await.unwrap(), 1);

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (who, headers, body) = &seen[0];
    assert_eq!(who, "alice");
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let timestamp: i64 = header("x-shipshape-timestamp").parse().unwrap();
    assert!(shipshape_notify::verify(
        b"alice-secret",
        timestamp,
        body,
        &header("x-shipshape-signature")
    ));
    let outbox = sim.outbox().await;
    assert_eq!(header("x-shipshape-delivery"), outbox[0].key);
    assert_eq!(outbox[0].state, OutboxState::Delivered);

    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["kind"], "trigger");
    assert!(json["incident"]["title"].as_str().unwrap().contains("Jobs"));
    let ack_url = json["ack_url"].as_str().unwrap();
    let token = ack_url
        .strip_prefix("https://ops.example.gov/ack/")
        .unwrap();
    let key = sim
        .store
        .server_key(shipshape_pager::ACK_KEY)
        .await
        .unwrap();
    let claim = ack::verify(&key, token, sim.now()).unwrap();
    assert_eq!(claim.who, "person:alice#0");
    assert_eq!(Some(claim.incident), outbox[0].incident_id);

    // Delivered messages are not sent again.
    assert_eq!(sim.pager.deliver().await.unwrap(), 0);
    let timeline = sim.store.incident_timeline(claim.incident).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.text == "trigger notice delivered to Alice Rivera (webhook)")
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_the_failure_shows() {
    let (url, receiver) = start(vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::TOO_MANY_REQUESTS,
    ])
    .await;
    let mut sim = Sim::new(CATALOG, &url).await;
    sim.check("jobs", "worker", false).await;
    sim.pager.deliver().await.unwrap();
    let message = &sim.outbox().await[0];
    assert_eq!(message.state, OutboxState::Pending);
    assert_eq!(message.attempts, 1);
    assert!(message.last_error.as_deref().unwrap().contains("503"));
    let wait = message.next_attempt_at - sim.now();
    assert!(wait.as_secs() >= 4, "backs off: {wait:?}");

    // Not before the backoff has passed.
    assert_eq!(sim.pager.deliver().await.unwrap(), 0);
    sim.wait(wait.as_secs() + 1).await;
    sim.pager.deliver().await.unwrap();
    sim.wait(60).await;
    sim.pager.deliver().await.unwrap();
    let message = &sim.outbox().await[0];
    assert_eq!(message.state, OutboxState::Delivered, "{message:#?}");
    assert_eq!(message.attempts, 3);
    let keys: Vec<String> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, h, _)| h["x-shipshape-delivery"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(
        keys.iter().all(|k| *k == message.key),
        "the same key each time"
    );
    let timeline = sim
        .store
        .incident_timeline(message.incident_id.unwrap())
        .await
        .unwrap();
    let failures = timeline
        .iter()
        .filter(|e| e.kind == "delivery" && e.text.contains("failed (attempt"))
        .count();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn a_rejected_delivery_is_not_retried() {
    let (url, receiver) = start(vec![StatusCode::BAD_REQUEST]).await;
    let mut sim = Sim::new(CATALOG, &url).await;
    sim.check("jobs", "worker", false).await;
    sim.pager.deliver().await.unwrap();
    let message = &sim.outbox().await[0];
    assert_eq!(message.state, OutboxState::Failed);
    sim.wait(3600).await;
    assert_eq!(sim.pager.deliver().await.unwrap(), 0);
    assert_eq!(receiver.seen.lock().unwrap().len(), 1);
}

/// A page whose first send failed (or whose sender died before recording
/// it) is not retried once its incident is resolved: the retry, carrying
/// the same key, would arrive after the resolve and reopen it at PagerDuty.
#[tokio::test]
async fn a_retry_of_a_page_for_a_resolved_incident_is_not_sent() {
    let (url, receiver) = start(vec![StatusCode::SERVICE_UNAVAILABLE]).await;
    let mut sim = Sim::new(CATALOG, &url).await;
    sim.check("jobs", "worker", false).await;
    sim.pager.deliver().await.unwrap();
    let trigger = sim.outbox().await[0].clone();
    assert_eq!(trigger.state, OutboxState::Pending);
    assert_eq!(trigger.attempts, 1);
    let incident = trigger.incident_id.unwrap();
    let catalog = sim.catalog.clone();
    assert!(
        shipshape_pager::resolve(&sim.store, &catalog, incident, "alice", sim.now())
            .await
            .unwrap()
    );
    sim.wait(120).await;
    sim.pager.deliver().await.unwrap();
    let after = sim
        .outbox()
        .await
        .into_iter()
        .find(|m| m.key == trigger.key)
        .unwrap();
    assert_eq!(after.state, OutboxState::Failed, "{after:#?}");
    assert!(
        after
            .last_error
            .as_deref()
            .unwrap()
            .contains("was resolved")
    );
    let triggers = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, h, _)| h["x-shipshape-delivery"].to_str().unwrap() == trigger.key)
        .count();
    assert_eq!(
        triggers, 1,
        "only the first (failed) attempt reached the receiver"
    );
}

/// An instance that claimed a page and died before sending it: another
/// instance takes the claim over once the dead one's heartbeat is older
/// than the member TTL (not after the claim's two-minute lease), and the
/// page goes out once.
#[tokio::test]
async fn a_page_claimed_by_an_instance_that_died_is_sent_by_another() {
    let (url, receiver) = start(Vec::new()).await;
    let mut sim = Sim::new(CATALOG, &url).await;
    let ttl = std::time::Duration::from_secs(10);
    let clock: shipshape_clock::SharedClock = Arc::new(sim.clock.clone());
    let survivor =
        shipshape_pager::Pager::new(sim.store.clone(), clock, sim.catalog_tx.subscribe(), None)
            .await
            .unwrap()
            .with_instance("instance-b", ttl);
    let beat = |id: &str, now| shipshape_store::InstanceBeat {
        id: id.to_owned(),
        location: "default".to_owned(),
        version: "test".to_owned(),
        now,
    };
    for id in ["instance-a", "instance-b"] {
        sim.store
            .heartbeat_instance(&beat(id, sim.now()))
            .await
            .unwrap();
    }
    sim.check("jobs", "worker", false).await;
    // Instance A claims the page, then dies before sending it.
    let claimer = shipshape_store::Claimer {
        instance: "instance-a",
        member_ttl: ttl,
    };
    let claimed = sim
        .store
        .claim_outbox_as(claimer, sim.now(), std::time::Duration::from_secs(120), 64)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:#?}");
    assert_eq!(
        survivor.deliver().await.unwrap(),
        0,
        "A is alive: its claim holds"
    );

    sim.wait(11).await;
    sim.store
        .heartbeat_instance(&beat("instance-b", sim.now()))
        .await
        .unwrap();
    assert_eq!(
        survivor.deliver().await.unwrap(),
        1,
        "A is gone: B takes it"
    );
    let page = sim.outbox().await[0].clone();
    assert_eq!(page.key, claimed[0].key);
    assert_eq!((page.state, page.attempts), (OutboxState::Delivered, 2));
    let seen = receiver.seen.lock().unwrap().len();
    assert_eq!(seen, 1, "sent once, by B");
}
