//! The behaviours the issue asks for, on a simulated clock: one page per
//! outage, no storm from a flapping target, grouping, escalation delays,
//! acknowledgement, a restart mid-wait, unreachable steps, and inhibition
//! by an upstream incident.

use shipshape_store::{IncidentFilter, IncidentStatus};

use std::sync::Arc;
use std::time::Duration;

use shipshape_clock::SharedClock;
use shipshape_pager::Pager;

use crate::{CATALOG, Sim};

const NO_HOOK: &str = "http://127.0.0.1:9";

#[tokio::test]
async fn a_clean_outage_pages_once_and_recovers_once() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    for _ in 0..10 {
        sim.check("jobs", "worker", false).await;
        sim.wait(30).await;
    }
    for _ in 0..10 {
        sim.check("jobs", "worker", true).await;
        sim.wait(30).await;
    }
    let triggers = sim.sent("trigger").await;
    let resolved = sim.sent("resolved").await;
    assert_eq!(triggers.len(), 1, "{triggers:#?}");
    assert_eq!(triggers[0].recipient, "person:alice#0");
    assert_eq!(resolved.len(), 1, "{resolved:#?}");
    assert_eq!(sim.outbox().await.len(), 2);
    let incidents = sim
        .store
        .incidents(&IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].status, IncidentStatus::Resolved);
    assert_eq!(incidents[0].resolved_by, None, "resolved automatically");
}

#[tokio::test]
async fn a_flapping_target_pages_once_and_says_it_is_flapping() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    // Alternating every check for two simulated hours.
    for i in 0..240 {
        sim.check("jobs", "worker", i % 2 == 1).await;
        sim.wait(30).await;
    }
    let outbox = sim.outbox().await;
    let kinds: Vec<&str> = outbox.iter().map(|m| m.kind.as_str()).collect();
    assert!(outbox.len() <= 2, "{kinds:?}");
    assert_eq!(kinds, ["trigger", "flapping"]);
    let incidents = sim
        .store
        .incidents(&IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(incidents.len(), 1, "one incident throughout");
    assert!(incidents[0].flapping);
}

#[tokio::test]
async fn a_flapping_target_that_settles_down_says_so_once() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    for i in 0..30 {
        sim.check("jobs", "worker", i % 2 == 1).await;
        sim.wait(30).await;
    }
    for _ in 0..30 {
        sim.check("jobs", "worker", false).await;
        sim.wait(30).await;
    }
    let kinds: Vec<String> = sim.outbox().await.into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["trigger", "flapping", "settled"]);
}

#[tokio::test]
async fn three_monitors_of_one_service_failing_together_page_once() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("api", "a", false).await;
    sim.wait(10).await;
    sim.check("api", "b", false).await;
    sim.wait(10).await;
    sim.check("api", "c", false).await;
    sim.wait(60).await;
    let triggers = sim.sent("trigger").await;
    assert_eq!(triggers.len(), 1, "{triggers:#?}");
    let incidents = sim.store.open_incidents().await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].1.len(), 3, "all three alerts on one incident");
    for monitor in ["a", "b", "c"] {
        sim.check("api", monitor, true).await;
    }
    sim.wait(120).await;
    assert_eq!(sim.sent("resolved").await.len(), 1);
}

#[tokio::test]
async fn escalation_waits_for_its_delay_then_pages_the_next_step() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("api", "a", false).await;
    sim.wait(9 * 60 + 50).await;
    assert_eq!(recipients(&sim).await, ["person:alice#0"]);
    sim.wait(10).await;
    assert_eq!(recipients(&sim).await, ["person:alice#0", "person:bob#0"]);
    sim.wait(3600).await;
    assert_eq!(
        recipients(&sim).await.len(),
        2,
        "repeat = 1: no second round"
    );
}

#[tokio::test]
async fn an_acknowledgement_stops_the_escalation_and_tells_those_paged() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("api", "a", false).await;
    sim.wait(5 * 60).await;
    let (incident, _) = sim.store.open_incidents().await.unwrap().remove(0);
    let acked =
        shipshape_pager::acknowledge(&sim.store, &sim.catalog, incident.id, "Alice", sim.now())
            .await
            .unwrap();
    assert!(acked);
    sim.wait(30 * 60).await;
    assert_eq!(
        recipients(&sim).await,
        ["person:alice#0"],
        "bob never paged"
    );
    let kinds: Vec<String> = sim.outbox().await.into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["trigger", "acknowledged"]);
    let again =
        shipshape_pager::acknowledge(&sim.store, &sim.catalog, incident.id, "Bob", sim.now())
            .await
            .unwrap();
    assert!(!again, "an acknowledged incident is not acknowledged twice");
}

#[tokio::test]
async fn an_escalation_resumes_after_a_restart_mid_wait() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("api", "a", false).await;
    sim.wait(4 * 60).await;
    sim.restart().await;
    sim.wait(5 * 60).await;
    assert_eq!(recipients(&sim).await, ["person:alice#0"]);
    sim.wait(60).await;
    assert_eq!(recipients(&sim).await, ["person:alice#0", "person:bob#0"]);
    // Repeating the pass after the restart stores nothing twice.
    sim.restart().await;
    sim.wait(1).await;
    assert_eq!(sim.outbox().await.len(), 2);
}

#[tokio::test]
async fn a_step_that_reaches_nobody_escalates_at_once_and_says_why() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("web", "home", false).await;
    assert_eq!(recipients(&sim).await, ["person:bob#0"]);
    let (incident, _) = sim.store.open_incidents().await.unwrap().remove(0);
    let timeline = sim.store.incident_timeline(incident.id).await.unwrap();
    let text: Vec<&str> = timeline.iter().map(|e| e.text.as_str()).collect();
    assert!(
        text.iter().any(|t| t.contains("reached nobody")
            && t.contains("Carol has no working contact (email needs an [smtp] server)")),
        "{text:#?}"
    );
}

#[tokio::test]
async fn an_upstream_incident_suppresses_its_dependents_pages_until_it_resolves() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    sim.check("db", "primary", false).await;
    sim.wait(30).await;
    sim.check("api", "a", false).await;
    sim.wait(30).await;
    let open = sim.store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 2);
    let db = &open[0].0;
    let api = &open[1].0;
    assert_eq!(api.parent_id, Some(db.id));
    assert!(
        api.suppressed
            .as_deref()
            .unwrap()
            .contains("upstream service db")
    );
    let triggers = sim.sent("trigger").await;
    assert_eq!(triggers.len(), 1, "only the database pages");
    assert_eq!(triggers[0].incident_id, Some(db.id));

    // The database recovers while the API is still failing: its page goes out then.
    sim.check("db", "primary", true).await;
    sim.wait(120).await;
    let triggers = sim.sent("trigger").await;
    assert_eq!(triggers.len(), 2, "{triggers:#?}");
    assert_eq!(triggers[1].incident_id, Some(api.id));
}

/// Who was paged, in order.
async fn recipients(sim: &Sim) -> Vec<String> {
    sim.sent("trigger")
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect()
}

#[tokio::test]
async fn a_test_page_reaches_its_target_and_resolves_when_acknowledged() {
    let sim = Sim::new(CATALOG, NO_HOOK).await;
    let id = shipshape_pager::test_page(&sim.store, &sim.catalog, "person:bob", "Alice", sim.now())
        .await
        .unwrap();
    let again =
        shipshape_pager::test_page(&sim.store, &sim.catalog, "person:bob", "Alice", sim.now())
            .await
            .unwrap_err();
    assert!(again.to_string().contains("still open"), "{again}");
    let unknown =
        shipshape_pager::test_page(&sim.store, &sim.catalog, "person:zed", "Alice", sim.now())
            .await
            .unwrap_err();
    assert!(unknown.to_string().contains("`person:zed`"), "{unknown}");

    sim.wait(1).await;
    let pages = sim.sent("test").await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].recipient, "person:bob#0");
    // A test page holds no alerts, and is not resolved by the engine.
    sim.wait(600).await;
    let (incident, _) = sim.store.incident(id).await.unwrap().unwrap();
    assert_eq!(incident.status, IncidentStatus::Open);

    assert!(
        shipshape_pager::acknowledge(&sim.store, &sim.catalog, id, "Bob Chen", sim.now())
            .await
            .unwrap()
    );
    let (incident, _) = sim.store.incident(id).await.unwrap().unwrap();
    assert_eq!(incident.status, IncidentStatus::Resolved);
    assert_eq!(incident.acked_by.as_deref(), Some("Bob Chen"));
}

#[tokio::test]
async fn a_silence_holds_pages_until_it_ends_then_the_page_goes_out() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    let id = sim
        .store
        .create_silence(&shipshape_store::NewSilence {
            matchers: r#"{service="jobs"}"#.into(),
            window: shipshape_store::SilenceWindow::Once {
                starts: sim.now(),
                ends: sim.now() + jiff::SignedDuration::from_hours(1),
            },
            comment: "planned database upgrade".into(),
            created_by: "Alice".into(),
            created_at: sim.now(),
        })
        .await
        .unwrap();
    sim.check("jobs", "worker", false).await;
    sim.check("api", "a", false).await;
    let (jobs, _) = sim
        .store
        .open_incidents()
        .await
        .unwrap()
        .into_iter()
        .find(|(i, _)| i.service.as_deref() == Some("jobs"))
        .unwrap();
    let reason = jobs.suppressed.clone().unwrap();
    assert!(reason.contains("planned database upgrade"), "{reason}");
    assert_eq!(
        recipients(&sim).await,
        ["person:alice#0"],
        "only the API paged"
    );
    assert_eq!(
        sim.sent("trigger").await[0]
            .incident_id
            .map(|i| i != jobs.id),
        Some(true)
    );

    let jobs_pages = |sim_sent: Vec<shipshape_store::OutboxMessage>| {
        sim_sent
            .into_iter()
            .filter(|m| m.incident_id == Some(jobs.id))
            .count()
    };
    sim.wait(300).await;
    assert_eq!(jobs_pages(sim.sent("trigger").await), 0, "still silenced");
    assert!(sim.store.expire_silence(id, sim.now()).await.unwrap());
    sim.wait(1).await;
    assert_eq!(
        jobs_pages(sim.sent("trigger").await),
        1,
        "paged once the silence ended"
    );
}

#[tokio::test]
async fn maintenance_in_progress_holds_the_pages_of_its_components() {
    let mut sim = Sim::new(CATALOG, NO_HOOK).await;
    let id = sim
        .store
        .schedule_maintenance(&shipshape_store::NewMaintenance {
            name: "Queue upgrade".into(),
            impact: "minor".into(),
            components: vec!["jobs".into()],
            scheduled_for: sim.now(),
            scheduled_until: sim.now() + jiff::SignedDuration::from_hours(1),
            message: "Jobs pause for an hour.".into(),
            created_by: "Alice".into(),
            at: sim.now(),
        })
        .await
        .unwrap();
    sim.store.advance_maintenances(sim.now()).await.unwrap();
    assert_eq!(
        sim.store.maintenance(id).await.unwrap().unwrap().status,
        "in_progress"
    );
    sim.check("jobs", "worker", false).await;
    let (incident, _) = sim.store.open_incidents().await.unwrap().remove(0);
    let reason = incident.suppressed.unwrap_or_default();
    assert!(reason.contains("Queue upgrade"), "{reason}");
    assert!(
        sim.sent("trigger").await.is_empty(),
        "no page during maintenance"
    );
}

/// Two engines on one store: only the holder of the decider lease decides;
/// the other takes over once the lease lapses (its holder died) and stands
/// by again while it is held.
#[tokio::test]
async fn one_decider_among_instances_sharing_a_store() {
    let sim = Sim::new(CATALOG, "http://127.0.0.1:9/hook").await;
    let shared: SharedClock = Arc::new(sim.clock.clone());
    let first = Pager::new(
        sim.store.clone(),
        shared.clone(),
        sim.catalog_tx.subscribe(),
        None,
    )
    .await
    .unwrap()
    .with_instance("instance-a", Duration::from_secs(10));
    let second = Pager::new(sim.store.clone(), shared, sim.catalog_tx.subscribe(), None)
        .await
        .unwrap()
        .with_instance("instance-b", Duration::from_secs(10));
    assert!(first.may_decide().await, "the first asker takes the lease");
    assert!(!second.may_decide().await, "the second stands by");
    assert!(first.may_decide().await, "the holder renews");
    // The holder dies: nobody renews, the lease lapses.
    sim.clock.advance(
        jiff::SignedDuration::try_from(shipshape_pager::DECIDE_LEASE_TTL).unwrap()
            + jiff::SignedDuration::from_secs(1),
    );
    assert!(
        second.may_decide().await,
        "the standby takes over after the TTL"
    );
    assert!(!first.may_decide().await, "a returning instance stands by");
    let (holder, _) = sim
        .store
        .lease_holder(shipshape_pager::DECIDE_LEASE, sim.now())
        .await
        .unwrap()
        .expect("held");
    assert_eq!(holder, "instance-b");
}
