//! Alerting persistence: alert conditions, incidents (one open per key,
//! also under concurrent openers), their alerts and timeline, escalations
//! (stopped by acknowledging, advanced conditionally), the outbox
//! (idempotent enqueue, leased claims that never hand one message to two
//! claimers, delivery outcomes), server keys and pruning.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use shipshape_store::testing::TestDb;
use shipshape_store::{
    AlertRecord, AlertState, Claimer, DeliveryOutcome, EscalationRecord, EscalationState,
    IncidentFilter, IncidentStatus, InstanceBeat, NewEscalation, NewIncident, NewIncidentAlert,
    NewOutboxMessage, NewTimelineEntry, OutboxState, Store, StoreError,
};

use crate::t;

both_backends!(
    alerts_upsert_and_active,
    one_open_incident_per_key,
    concurrent_openers_get_one_incident,
    incident_listing_filters_and_pages,
    incident_alerts_and_timeline,
    acknowledging_stops_escalations,
    advancing_an_escalation_is_conditional,
    concurrent_advances_run_a_step_once,
    enqueue_is_idempotent_and_claims_lease,
    concurrent_claimers_never_share_a_message,
    a_gone_instances_claims_are_taken_over,
    delivery_outcomes,
    server_keys_are_stable,
    prune_drops_old_finished_records,
);

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn alert(key: &str, state: AlertState, updated_ms: i64) -> AlertRecord {
    AlertRecord {
        key: key.to_owned(),
        source: "monitor".to_owned(),
        group_key: "service:benefits-api".to_owned(),
        service: Some("benefits-api".to_owned()),
        component: None,
        severity: "critical".to_owned(),
        labels: labels(&[("team", "benefits"), ("env", "prod")]),
        summary: format!("{key} is down"),
        state,
        since: t(updated_ms),
        ends_at: None,
        link: None,
        updated_at: t(updated_ms),
    }
}

fn new_incident(key: &str, service: &str, at_ms: i64) -> NewIncident {
    NewIncident {
        key: key.to_owned(),
        service: Some(service.to_owned()),
        title: format!("{service} is down"),
        severity: "critical".to_owned(),
        labels: labels(&[("team", "benefits")]),
        opened_at: t(at_ms),
        parent: None,
        suppressed: None,
    }
}

fn incident_alert(key: &str, at_ms: i64) -> NewIncidentAlert {
    NewIncidentAlert {
        alert_key: key.to_owned(),
        summary: format!("{key} failing"),
        severity: "critical".to_owned(),
        started_at: t(at_ms),
    }
}

fn entry(at_ms: i64, kind: &str, text: &str) -> NewTimelineEntry {
    NewTimelineEntry {
        at: t(at_ms),
        kind: kind.to_owned(),
        actor: None,
        text: text.to_owned(),
    }
}

fn escalation(policy: &str, at_ms: i64) -> NewEscalation {
    NewEscalation {
        policy: policy.to_owned(),
        next_at: t(at_ms),
    }
}

fn message(
    key: &str,
    incident: Option<i64>,
    kind: &str,
    recipient: &str,
    at_ms: i64,
) -> NewOutboxMessage {
    NewOutboxMessage {
        key: key.to_owned(),
        incident_id: incident,
        kind: kind.to_owned(),
        recipient: recipient.to_owned(),
        channel: "email".to_owned(),
        payload: format!(r#"{{"to":"{recipient}"}}"#),
        created_at: t(at_ms),
    }
}

/// Opens an incident for `key` with one alert, the given escalations and
/// an `opened` timeline entry; its id.
async fn open(store: &Store, key: &str, at_ms: i64, escalations: &[NewEscalation]) -> i64 {
    store
        .open_incident(
            &new_incident(key, "benefits-api", at_ms),
            &[incident_alert("monitor:benefits-api/home", at_ms)],
            escalations,
            &[entry(at_ms, "opened", "opened")],
        )
        .await
        .unwrap()
        .expect("no open incident with this key yet")
}

async fn alerts_upsert_and_active(db: &TestDb) {
    let store = db.open().await;
    let mut external = alert("am:abc", AlertState::Firing, 1_000);
    external.source = "prometheus".to_owned();
    external.ends_at = Some(t(10_000));
    external.link = Some("http://prom/graph".to_owned());
    external.component = Some("db".to_owned());
    store
        .upsert_alerts(&[
            alert("monitor:a", AlertState::Firing, 1_000),
            alert("monitor:b", AlertState::Ok, 1_000),
            alert("monitor:c", AlertState::Flapping, 1_000),
            external.clone(),
        ])
        .await
        .unwrap();
    assert_eq!(store.alert("am:abc").await.unwrap(), Some(external.clone()));
    assert_eq!(store.alert("nope").await.unwrap(), None);

    let active: Vec<String> = store
        .active_alerts(t(5_000))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key)
        .collect();
    assert_eq!(active, ["am:abc", "monitor:a", "monitor:c"]);
    // Expired at its ends_at.
    let active: Vec<String> = store
        .active_alerts(t(10_000))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key)
        .collect();
    assert_eq!(active, ["monitor:a", "monitor:c"]);

    // Update by key: overwrites every column.
    let mut cleared = alert("monitor:a", AlertState::Ok, 2_000);
    cleared.labels = BTreeMap::new();
    cleared.service = None;
    store.upsert_alerts(&[cleared.clone()]).await.unwrap();
    assert_eq!(store.alert("monitor:a").await.unwrap(), Some(cleared));
    let active = store.active_alerts(t(5_000)).await.unwrap();
    assert_eq!(active.len(), 2);
    assert_eq!(active[0], external);
    store.upsert_alerts(&[]).await.unwrap();
}

async fn one_open_incident_per_key(db: &TestDb) {
    let store = db.open().await;
    let first = open(&store, "service:benefits-api", 1_000, &[]).await;
    let other = open(&store, "service:identity-api", 1_500, &[]).await;
    assert_ne!(first, other);

    // A second open for the key is refused, writing nothing.
    let again = store
        .open_incident(
            &new_incident("service:benefits-api", "benefits-api", 2_000),
            &[incident_alert("monitor:benefits-api/other", 2_000)],
            &[escalation("default", 3_000)],
            &[entry(2_000, "opened", "dup")],
        )
        .await
        .unwrap();
    assert_eq!(again, None);
    let (incident, alerts) = store.incident(first).await.unwrap().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(store.incident_timeline(first).await.unwrap().len(), 1);
    assert!(store.escalations(first).await.unwrap().is_empty());
    assert_eq!(incident.status, IncidentStatus::Open);
    assert_eq!(incident.key, "service:benefits-api");
    assert_eq!(incident.opened_at, t(1_000));
    assert_eq!(incident.updated_at, t(1_000));
    assert_eq!(incident.labels, labels(&[("team", "benefits")]));
    assert!(!incident.flapping);
    assert_eq!(
        (incident.acked_at, incident.resolved_at, incident.parent_id),
        (None, None, None)
    );

    // Acknowledged still counts as open.
    assert!(
        store
            .acknowledge_incident(first, "ada@example.org", t(2_500), &[])
            .await
            .unwrap()
    );
    let again = store
        .open_incident(
            &new_incident("service:benefits-api", "benefits-api", 2_600),
            &[],
            &[],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(again, None);

    let open_now = store.open_incidents().await.unwrap();
    let ids: Vec<i64> = open_now.iter().map(|(i, _)| i.id).collect();
    assert_eq!(ids, [first, other]);
    assert_eq!(open_now[0].1[0].alert_key, "monitor:benefits-api/home");

    // Once resolved, the key may open a new incident.
    assert!(
        store
            .resolve_incident(first, None, t(3_000), &[])
            .await
            .unwrap()
    );
    let second = open(&store, "service:benefits-api", 4_000, &[]).await;
    assert!(second > first);
    let ids: Vec<i64> = store
        .open_incidents()
        .await
        .unwrap()
        .iter()
        .map(|(i, _)| i.id)
        .collect();
    assert_eq!(ids, [other, second]);
    assert_eq!(store.incident(9_999).await.unwrap(), None);
}

async fn concurrent_openers_get_one_incident(db: &TestDb) {
    let store = db.open().await;
    for round in 0..3 {
        let key = format!("service:race-{round}");
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let key = key.clone();
                tokio::spawn(async move {
                    store
                        .open_incident(
                            &new_incident(&key, "race", 1_000 + i),
                            &[incident_alert(&format!("alert-{i}"), 1_000 + i)],
                            &[escalation("default", 2_000)],
                            &[entry(1_000 + i, "opened", &format!("by {i}"))],
                        )
                        .await
                })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            if let Some(id) = task.await.unwrap().unwrap() {
                ids.push(id);
            }
        }
        assert_eq!(ids.len(), 1, "exactly one opener wins: {ids:?}");
        let (_, alerts) = store.incident(ids[0]).await.unwrap().unwrap();
        assert_eq!(alerts.len(), 1, "only the winner's alerts were written");
        assert_eq!(store.incident_timeline(ids[0]).await.unwrap().len(), 1);
    }
    assert_eq!(store.open_incidents().await.unwrap().len(), 3);
}

async fn incident_listing_filters_and_pages(db: &TestDb) {
    let store = db.open().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let service = if i % 2 == 0 {
            "benefits-api"
        } else {
            "identity-api"
        };
        let id = store
            .open_incident(
                &new_incident(&format!("k{i}"), service, 1_000 + i),
                &[],
                &[],
                &[],
            )
            .await
            .unwrap()
            .unwrap();
        ids.push(id);
    }
    // ids[0], ids[1] resolved; ids[2] acknowledged; the rest open.
    assert!(
        store
            .resolve_incident(ids[0], Some("ada"), t(5_000), &[])
            .await
            .unwrap()
    );
    assert!(
        store
            .resolve_incident(ids[1], None, t(5_000), &[])
            .await
            .unwrap()
    );
    assert!(
        store
            .acknowledge_incident(ids[2], "ada", t(5_000), &[])
            .await
            .unwrap()
    );

    let list = |filter: IncidentFilter| {
        let store = store.clone();
        async move {
            store
                .incidents(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        }
    };
    let all = IncidentFilter {
        limit: 100,
        ..IncidentFilter::default()
    };
    assert_eq!(
        list(all.clone()).await,
        [ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]
    );
    assert_eq!(store.count_incidents(&all).await.unwrap(), 6);

    let open_only = IncidentFilter {
        open_only: true,
        ..all.clone()
    };
    assert_eq!(
        list(open_only.clone()).await,
        [ids[5], ids[4], ids[3], ids[2]]
    );
    assert_eq!(store.count_incidents(&open_only).await.unwrap(), 4);

    let resolved = IncidentFilter {
        status: Some(IncidentStatus::Resolved),
        ..all.clone()
    };
    assert_eq!(list(resolved.clone()).await, [ids[1], ids[0]]);
    let acked = IncidentFilter {
        status: Some(IncidentStatus::Acknowledged),
        ..all.clone()
    };
    assert_eq!(list(acked).await, [ids[2]]);

    let benefits = IncidentFilter {
        service: Some("benefits-api".to_owned()),
        ..all.clone()
    };
    assert_eq!(list(benefits.clone()).await, [ids[4], ids[2], ids[0]]);
    let benefits_open = IncidentFilter {
        open_only: true,
        ..benefits.clone()
    };
    assert_eq!(store.count_incidents(&benefits_open).await.unwrap(), 2);

    // Keyset pages of two; count ignores paging.
    let page1 = IncidentFilter {
        limit: 2,
        ..all.clone()
    };
    assert_eq!(list(page1.clone()).await, [ids[5], ids[4]]);
    let page2 = IncidentFilter {
        before_id: Some(ids[4]),
        ..page1.clone()
    };
    assert_eq!(list(page2.clone()).await, [ids[3], ids[2]]);
    assert_eq!(store.count_incidents(&page2).await.unwrap(), 6);
    let last = IncidentFilter {
        before_id: Some(ids[0]),
        ..page1
    };
    assert!(list(last).await.is_empty());
    let huge = IncidentFilter {
        limit: u32::MAX,
        ..all
    };
    assert_eq!(list(huge).await.len(), 6);

    let resolved_rows = store.incidents(&resolved).await.unwrap();
    assert_eq!(resolved_rows[0].resolved_by, None);
    assert_eq!(resolved_rows[1].resolved_by.as_deref(), Some("ada"));
    assert_eq!(resolved_rows[1].resolved_at, Some(t(5_000)));
}

async fn incident_alerts_and_timeline(db: &TestDb) {
    let store = db.open().await;
    let id = open(&store, "service:benefits-api", 1_000, &[]).await;

    store
        .add_incident_alerts(
            id,
            &[incident_alert("monitor:benefits-api/api", 2_000)],
            &[entry(2_000, "alert", "api joined")],
        )
        .await
        .unwrap();
    store
        .set_alert_cleared(
            id,
            "monitor:benefits-api/home",
            Some(t(3_000)),
            &[entry(3_000, "cleared", "home cleared")],
        )
        .await
        .unwrap();
    let (_, alerts) = store.incident(id).await.unwrap().unwrap();
    let state: Vec<(&str, Option<jiff::Timestamp>)> = alerts
        .iter()
        .map(|a| (a.alert_key.as_str(), a.cleared_at))
        .collect();
    assert_eq!(
        state,
        [
            ("monitor:benefits-api/home", Some(t(3_000))),
            ("monitor:benefits-api/api", None)
        ]
    );

    // Re-adding a cleared alert reactivates it and keeps its start.
    let mut again = incident_alert("monitor:benefits-api/home", 4_000);
    again.summary = "home failing again".to_owned();
    store
        .add_incident_alerts(id, &[again], &[entry(4_000, "alert", "home again")])
        .await
        .unwrap();
    let (_, alerts) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(alerts.len(), 2);
    let home = alerts
        .iter()
        .find(|a| a.alert_key == "monitor:benefits-api/home")
        .unwrap();
    assert_eq!(home.cleared_at, None);
    assert_eq!(home.started_at, t(1_000));
    assert_eq!(home.summary, "home failing again");
    assert_eq!(home.incident_id, id);

    // Clearing and un-clearing explicitly.
    store
        .set_alert_cleared(id, "monitor:benefits-api/api", Some(t(4_500)), &[])
        .await
        .unwrap();
    store
        .set_alert_cleared(id, "monitor:benefits-api/api", None, &[])
        .await
        .unwrap();
    let (_, alerts) = store.incident(id).await.unwrap().unwrap();
    assert!(alerts.iter().all(|a| a.cleared_at.is_none()));
    assert!(matches!(
        store.set_alert_cleared(id, "nope", None, &[]).await,
        Err(StoreError::NotFound(_))
    ));

    store
        .set_incident_flapping(id, true, t(5_000), &[entry(5_000, "flapping", "flapping")])
        .await
        .unwrap();
    let parent = open(&store, "service:identity-api", 5_500, &[]).await;
    store
        .set_incident_suppressed(
            id,
            Some(parent),
            Some(format!("upstream identity-api incident #{parent} is open")),
            t(6_000),
            &[entry(6_000, "suppressed", "suppressed")],
        )
        .await
        .unwrap();
    store
        .set_incident_severity_title(id, "warning", "benefits-api degraded", t(7_000))
        .await
        .unwrap();
    let (incident, _) = store.incident(id).await.unwrap().unwrap();
    assert!(incident.flapping);
    assert_eq!(incident.parent_id, Some(parent));
    assert_eq!(
        incident.suppressed,
        Some(format!("upstream identity-api incident #{parent} is open"))
    );
    assert_eq!(incident.severity, "warning");
    assert_eq!(incident.title, "benefits-api degraded");
    assert_eq!(incident.updated_at, t(7_000));

    store
        .set_incident_flapping(id, false, t(8_000), &[entry(8_000, "settled", "settled")])
        .await
        .unwrap();
    store
        .set_incident_suppressed(id, None, None, t(8_000), &[])
        .await
        .unwrap();
    let mut note = entry(9_000, "note", "looking into it");
    note.actor = Some("ada@example.org".to_owned());
    store.append_timeline(id, &[note]).await.unwrap();
    let (incident, _) = store.incident(id).await.unwrap().unwrap();
    assert!(!incident.flapping);
    assert_eq!((incident.parent_id, incident.suppressed), (None, None));

    let timeline = store.incident_timeline(id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "alert",
            "cleared",
            "alert",
            "flapping",
            "suppressed",
            "settled",
            "note"
        ]
    );
    assert!(timeline.windows(2).all(|w| w[0].id < w[1].id));
    assert!(timeline.iter().all(|e| e.incident_id == id));
    let last = timeline.last().unwrap();
    assert_eq!(
        (last.at, last.actor.as_deref(), last.text.as_str()),
        (t(9_000), Some("ada@example.org"), "looking into it")
    );

    // Missing incidents.
    assert!(matches!(
        store.append_timeline(9_999, &[entry(1, "note", "x")]).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_incident_alerts(9_999, &[], &[]).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_incident_flapping(9_999, true, t(1), &[]).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_incident_suppressed(9_999, None, None, t(1), &[])
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .set_incident_severity_title(9_999, "x", "y", t(1))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.incident_timeline(9_999).await.unwrap().is_empty());
}

async fn acknowledging_stops_escalations(db: &TestDb) {
    let store = db.open().await;
    let id = open(
        &store,
        "service:benefits-api",
        1_000,
        &[escalation("default", 2_000), escalation("managers", 5_000)],
    )
    .await;
    let other = open(
        &store,
        "service:identity-api",
        1_000,
        &[escalation("default", 3_000)],
    )
    .await;

    let escalations = store.escalations(id).await.unwrap();
    assert_eq!(
        escalations,
        [
            EscalationRecord {
                incident_id: id,
                policy: "default".into(),
                step: 0,
                round: 0,
                next_at: Some(t(2_000)),
                state: EscalationState::Waiting,
            },
            EscalationRecord {
                incident_id: id,
                policy: "managers".into(),
                step: 0,
                round: 0,
                next_at: Some(t(5_000)),
                state: EscalationState::Waiting,
            },
        ]
    );
    let due = |now| {
        let store = store.clone();
        async move {
            store
                .due_escalations(t(now), 100)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.incident_id, e.policy))
                .collect::<Vec<_>>()
        }
    };
    assert!(due(1_999).await.is_empty());
    assert_eq!(due(2_000).await, [(id, "default".to_owned())]);
    assert_eq!(
        due(10_000).await,
        [
            (id, "default".to_owned()),
            (other, "default".to_owned()),
            (id, "managers".to_owned())
        ]
    );
    assert_eq!(store.due_escalations(t(10_000), 1).await.unwrap().len(), 1);

    let acked = store
        .acknowledge_incident(
            id,
            "ada@example.org",
            t(2_500),
            &[entry(2_500, "acked", "acked")],
        )
        .await
        .unwrap();
    assert!(acked);
    assert_eq!(due(10_000).await, [(other, "default".to_owned())]);
    for e in store.escalations(id).await.unwrap() {
        assert_eq!((e.state, e.next_at), (EscalationState::Stopped, None));
    }
    let (incident, _) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(incident.status, IncidentStatus::Acknowledged);
    assert_eq!(incident.acked_at, Some(t(2_500)));
    assert_eq!(incident.acked_by.as_deref(), Some("ada@example.org"));

    // Acknowledging again (or a missing incident) changes nothing.
    assert!(
        !store
            .acknowledge_incident(id, "bob", t(2_600), &[entry(2_600, "acked", "again")])
            .await
            .unwrap()
    );
    assert!(
        !store
            .acknowledge_incident(9_999, "bob", t(2_600), &[])
            .await
            .unwrap()
    );
    let (incident, _) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(incident.acked_by.as_deref(), Some("ada@example.org"));
    assert_eq!(store.incident_timeline(id).await.unwrap().len(), 2);

    // Resolving stops escalations too; resolving twice does nothing.
    assert!(
        store
            .resolve_incident(
                other,
                Some("bob"),
                t(4_000),
                &[entry(4_000, "resolved", "fixed")]
            )
            .await
            .unwrap()
    );
    assert!(due(10_000).await.is_empty());
    assert_eq!(
        store.escalations(other).await.unwrap()[0].state,
        EscalationState::Stopped
    );
    assert!(
        !store
            .resolve_incident(other, None, t(4_100), &[])
            .await
            .unwrap()
    );
    assert!(
        !store
            .acknowledge_incident(other, "bob", t(4_100), &[])
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_incident(9_999, None, t(4_100), &[])
            .await
            .unwrap()
    );
    let (resolved, _) = store.incident(other).await.unwrap().unwrap();
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert_eq!(resolved.resolved_at, Some(t(4_000)));
    assert_eq!(resolved.resolved_by.as_deref(), Some("bob"));

    // An acknowledged incident resolves (automatically: no resolver).
    assert!(
        store
            .resolve_incident(id, None, t(6_000), &[])
            .await
            .unwrap()
    );
    let (resolved, _) = store.incident(id).await.unwrap().unwrap();
    assert_eq!(
        (resolved.status, resolved.resolved_by),
        (IncidentStatus::Resolved, None)
    );
    assert!(store.open_incidents().await.unwrap().is_empty());

    // Restarting escalations resets them to waiting at step 0.
    let fresh = open(&store, "service:benefits-api", 7_000, &[]).await;
    store
        .start_escalations(fresh, &[escalation("default", 8_000)])
        .await
        .unwrap();
    assert_eq!(due(8_000).await, [(fresh, "default".to_owned())]);
    assert!(matches!(
        store.start_escalations(9_999, &[escalation("x", 1)]).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn advancing_an_escalation_is_conditional(db: &TestDb) {
    let store = db.open().await;
    let id = open(
        &store,
        "service:benefits-api",
        1_000,
        &[escalation("default", 2_000)],
    )
    .await;
    let current = store.due_escalations(t(2_000), 10).await.unwrap().remove(0);
    assert_eq!((current.step, current.round), (0, 0));

    let page = message(
        "inc1:default:0:0:alice",
        Some(id),
        "trigger",
        "person:alice#0",
        2_000,
    );
    let advanced = store
        .advance_escalation(
            &current,
            Some((1, 0, t(5_000))),
            std::slice::from_ref(&page),
            &[entry(2_000, "escalated", "paged alice")],
        )
        .await
        .unwrap();
    assert!(advanced);
    let now = store.escalations(id).await.unwrap().remove(0);
    assert_eq!(
        (now.step, now.round, now.next_at, now.state),
        (1, 0, Some(t(5_000)), EscalationState::Waiting)
    );
    assert_eq!(store.outbox_for_incident(id).await.unwrap().len(), 1);
    assert_eq!(store.incident_timeline(id).await.unwrap().len(), 2);
    assert!(
        store
            .due_escalations(t(4_999), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The stale record (step 0) no longer matches: nothing is written.
    let stale = store
        .advance_escalation(
            &current,
            Some((1, 0, t(5_000))),
            &[message(
                "inc1:default:0:0:bob",
                Some(id),
                "trigger",
                "person:bob#0",
                2_000,
            )],
            &[entry(2_000, "escalated", "paged bob")],
        )
        .await
        .unwrap();
    assert!(!stale);
    assert_eq!(store.outbox_for_incident(id).await.unwrap().len(), 1);
    assert_eq!(
        store.outbox_message("inc1:default:0:0:bob").await.unwrap(),
        None
    );
    assert_eq!(store.incident_timeline(id).await.unwrap().len(), 2);

    // Next round, then done.
    let current = store.due_escalations(t(5_000), 10).await.unwrap().remove(0);
    assert!(
        store
            .advance_escalation(&current, Some((0, 1, t(9_000))), &[], &[])
            .await
            .unwrap()
    );
    let current = store.due_escalations(t(9_000), 10).await.unwrap().remove(0);
    assert_eq!((current.step, current.round), (0, 1));
    // A duplicate outbox key in the same advance is ignored, not an error.
    assert!(
        store
            .advance_escalation(&current, None, std::slice::from_ref(&page), &[])
            .await
            .unwrap()
    );
    let done = store.escalations(id).await.unwrap().remove(0);
    assert_eq!((done.state, done.next_at), (EscalationState::Done, None));
    assert!(
        store
            .due_escalations(t(99_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .advance_escalation(&current, None, &[], &[])
            .await
            .unwrap()
    );
    assert_eq!(store.outbox_for_incident(id).await.unwrap().len(), 1);

    // A record made stale by acknowledging does not advance.
    let other = open(
        &store,
        "service:identity-api",
        1_000,
        &[escalation("default", 2_000)],
    )
    .await;
    let current = store.due_escalations(t(2_000), 10).await.unwrap().remove(0);
    assert_eq!(current.incident_id, other);
    assert!(
        store
            .acknowledge_incident(other, "ada", t(2_000), &[])
            .await
            .unwrap()
    );
    let page = message(
        "inc2:default:0:0:alice",
        Some(other),
        "trigger",
        "person:alice#0",
        2_000,
    );
    assert!(
        !store
            .advance_escalation(&current, Some((1, 0, t(5_000))), &[page], &[])
            .await
            .unwrap()
    );
    assert!(store.outbox_for_incident(other).await.unwrap().is_empty());
}

async fn concurrent_advances_run_a_step_once(db: &TestDb) {
    let store = db.open().await;
    let id = open(
        &store,
        "service:benefits-api",
        1_000,
        &[escalation("default", 2_000)],
    )
    .await;
    let current = store.due_escalations(t(2_000), 10).await.unwrap().remove(0);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            let current = current.clone();
            tokio::spawn(async move {
                store
                    .advance_escalation(
                        &current,
                        Some((1, 0, t(5_000))),
                        &[message(
                            &format!("page-{i}"),
                            Some(current.incident_id),
                            "trigger",
                            "person:alice#0",
                            2_000,
                        )],
                        &[entry(2_000, "escalated", &format!("by {i}"))],
                    )
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.outbox_for_incident(id).await.unwrap().len(), 1);
    assert_eq!(store.incident_timeline(id).await.unwrap().len(), 2);
}

async fn enqueue_is_idempotent_and_claims_lease(db: &TestDb) {
    let store = db.open().await;
    let id = open(&store, "service:benefits-api", 1_000, &[]).await;
    let messages = [
        message("m1", Some(id), "trigger", "person:alice#0", 1_000),
        message("m2", Some(id), "trigger", "person:bob#0", 1_100),
        message("m3", None, "test", "person:carol#0", 1_200),
    ];
    let added = store
        .enqueue(&messages, &[(id, entry(1_000, "notified", "queued"))])
        .await
        .unwrap();
    assert_eq!(added, 3);
    // Again, plus one new: only the new one counts.
    let mut more = messages.to_vec();
    more.push(message(
        "m4",
        Some(id),
        "acknowledged",
        "person:alice#0",
        1_300,
    ));
    assert_eq!(store.enqueue(&more, &[]).await.unwrap(), 1);
    assert_eq!(store.incident_timeline(id).await.unwrap().len(), 2);
    assert!(matches!(
        store
            .enqueue(
                &[message("m5", None, "test", "x", 1)],
                &[(9_999, entry(1, "x", "x"))]
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.outbox_message("m5").await.unwrap(),
        None,
        "all or nothing"
    );

    let m1 = store.outbox_message("m1").await.unwrap().unwrap();
    assert_eq!(
        (
            m1.state,
            m1.attempts,
            m1.next_attempt_at,
            m1.created_at,
            m1.delivered_at
        ),
        (OutboxState::Pending, 0, t(1_000), t(1_000), None)
    );
    assert_eq!(m1.payload, r#"{"to":"person:alice#0"}"#);
    assert_eq!((m1.channel.as_str(), m1.incident_id), ("email", Some(id)));

    // Only due messages, at most `limit`, soonest first.
    let lease = Duration::from_secs(60);
    assert!(
        store
            .claim_outbox(t(999), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_outbox(t(1_150), lease, 10).await.unwrap();
    let keys: Vec<&str> = claimed.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["m1", "m2"]);
    assert!(claimed.iter().all(|m| m.attempts == 1));
    assert!(claimed.iter().all(|m| m.next_attempt_at == t(61_150)));
    let claimed = store.claim_outbox(t(2_000), lease, 1).await.unwrap();
    assert_eq!(claimed[0].key, "m3");
    let claimed = store.claim_outbox(t(2_000), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].key, "m4");
    // Leased: nothing until the lease runs out, then again.
    assert!(
        store
            .claim_outbox(t(61_149), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store.claim_outbox(t(61_150), lease, 10).await.unwrap();
    let keys: Vec<&str> = claimed.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["m1", "m2"]);
    assert!(claimed.iter().all(|m| m.attempts == 2));
}

/// Instance `a` claims a message and goes quiet: `b` takes the claim over
/// once `a`'s heartbeat is older than the member TTL (or `a` stopped), not
/// after the claim's two-minute lease. A claim by an instance with no
/// heartbeat on record, and a message waiting for its retry, are not taken.
async fn a_gone_instances_claims_are_taken_over(db: &TestDb) {
    let store = db.open().await;
    let ttl = Duration::from_secs(10);
    let lease = Duration::from_secs(120);
    let as_ = |instance| Claimer {
        instance,
        member_ttl: ttl,
    };
    let beat = |id: &str, at| InstanceBeat {
        id: id.to_owned(),
        location: "default".to_owned(),
        version: "1".to_owned(),
        now: t(at),
    };
    let keys = |claimed: Vec<shipshape_store::OutboxMessage>| {
        claimed.into_iter().map(|m| m.key).collect::<Vec<_>>()
    };
    for id in ["a", "b"] {
        store.heartbeat_instance(&beat(id, 1_000)).await.unwrap();
    }
    let messages = [
        message("m1", None, "test", "person:alice#0", 1_000),
        message("m2", None, "test", "person:bob#0", 1_000),
    ];
    store.enqueue(&messages, &[]).await.unwrap();
    let claimed = store
        .claim_outbox_as(as_("a"), t(1_000), lease, 1)
        .await
        .unwrap();
    assert_eq!(keys(claimed), ["m1"]);
    // `a` is alive: its claim holds; `b` gets only the unclaimed message.
    store.heartbeat_instance(&beat("a", 9_000)).await.unwrap();
    store.heartbeat_instance(&beat("b", 12_000)).await.unwrap();
    let claimed = store
        .claim_outbox_as(as_("b"), t(12_000), lease, 10)
        .await
        .unwrap();
    assert_eq!(keys(claimed), ["m2"]);
    // `a`'s heartbeat is exactly `ttl` old: still alive.
    assert!(
        store
            .claim_outbox_as(as_("b"), t(19_000), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A claimer never takes its own claim early.
    assert!(
        store
            .claim_outbox_as(as_("a"), t(19_001), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // `a` has been silent longer than `ttl`: `b` takes its claim.
    let claimed = store
        .claim_outbox_as(as_("b"), t(19_001), lease, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].key.as_str(), claimed[0].attempts),
        ("m1", 2),
        "taken over as one more attempt"
    );

    // `b` records a retry and stops: the retry waits for its time.
    store
        .record_delivery(
            claimed[0].id,
            &DeliveryOutcome::Retry {
                at: t(20_000),
                next_attempt_at: t(80_000),
                error: "503".to_owned(),
            },
            None,
        )
        .await
        .unwrap();
    store.stop_instance("b", t(21_000)).await.unwrap();
    store.heartbeat_instance(&beat("c", 21_000)).await.unwrap();
    // `m2` was claimed by `b`, which stopped: `c` takes it at once; `m1`
    // waits for its retry, nobody's claim.
    assert_eq!(
        keys(
            store
                .claim_outbox_as(as_("c"), t(22_000), lease, 10)
                .await
                .unwrap()
        ),
        ["m2"]
    );

    // A claim by an instance with no heartbeat on record waits out its
    // lease; so does a claim made without a claimer.
    store
        .enqueue(&[message("m3", None, "test", "x", 30_000)], &[])
        .await
        .unwrap();
    store
        .claim_outbox_as(as_("ghost"), t(30_000), lease, 10)
        .await
        .unwrap();
    store
        .enqueue(&[message("m4", None, "test", "x", 30_000)], &[])
        .await
        .unwrap();
    store.claim_outbox(t(30_000), lease, 10).await.unwrap();
    assert_eq!(
        keys(
            store
                .claim_outbox_as(as_("c"), t(100_000), lease, 10)
                .await
                .unwrap()
        ),
        ["m1"],
        "`m1`'s retry is due; `m3` and `m4` wait for their leases"
    );
}

async fn concurrent_claimers_never_share_a_message(db: &TestDb) {
    let store = db
        .open_with(shipshape_store::StoreOptions {
            op_timeout: Duration::from_secs(20),
            busy_timeout: Duration::from_secs(20),
            max_connections: 8,
        })
        .await;
    let messages: Vec<NewOutboxMessage> = (0..120)
        .map(|i| message(&format!("m{i}"), None, "test", "person:alice#0", 1_000 + i))
        .collect();
    assert_eq!(store.enqueue(&messages, &[]).await.unwrap(), 120);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store
                        .claim_outbox(t(10_000), Duration::from_secs(600), 7)
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    assert!(claimed.iter().all(|m| m.attempts == 1), "claimed twice");
                    mine.extend(claimed.into_iter().map(|m| m.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a message was handed out twice");
    assert_eq!(all.len(), 120, "every message was claimed");
}

async fn delivery_outcomes(db: &TestDb) {
    let store = db.open().await;
    let id = open(&store, "service:benefits-api", 1_000, &[]).await;
    let messages = [
        message("a", Some(id), "trigger", "person:alice#0", 1_000),
        message("b", Some(id), "trigger", "person:bob#0", 1_000),
        message("c", Some(id), "trigger", "person:alice#0", 1_000),
        message("d", Some(id), "resolved", "person:carol#0", 1_000),
        message("e", None, "test", "person:dave#0", 1_000),
    ];
    store.enqueue(&messages, &[]).await.unwrap();
    let claimed = store
        .claim_outbox(t(1_000), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 5);
    let id_of = |key: &str| claimed.iter().find(|m| m.key == key).unwrap().id;

    // Retry: stays pending, due at the given time, with the error.
    let retried = store
        .record_delivery(
            id_of("a"),
            &DeliveryOutcome::Retry {
                at: t(1_500),
                next_attempt_at: t(3_000),
                error: "smtp 451".to_owned(),
            },
            Some(entry(1_500, "delivery", "alice: retrying")),
        )
        .await
        .unwrap();
    assert!(retried);
    let a = store.outbox_message("a").await.unwrap().unwrap();
    assert_eq!(
        (
            a.state,
            a.next_attempt_at,
            a.last_error.as_deref(),
            a.attempts
        ),
        (OutboxState::Pending, t(3_000), Some("smtp 451"), 1)
    );
    let again = store
        .claim_outbox(t(3_000), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].key.as_str(), again[0].attempts), ("a", 2));

    // Delivered.
    assert!(
        store
            .record_delivery(
                id_of("a"),
                &DeliveryOutcome::Delivered { at: t(3_100) },
                Some(entry(3_100, "delivery", "alice: delivered")),
            )
            .await
            .unwrap()
    );
    let a = store.outbox_message("a").await.unwrap().unwrap();
    assert_eq!(
        (a.state, a.delivered_at),
        (OutboxState::Delivered, Some(t(3_100)))
    );
    // A late retry or failure of a delivered message changes nothing.
    assert!(
        !store
            .record_delivery(
                id_of("a"),
                &DeliveryOutcome::Failed {
                    at: t(3_200),
                    error: "late".into()
                },
                Some(entry(3_200, "delivery", "late")),
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.outbox_message("a").await.unwrap().unwrap().state,
        OutboxState::Delivered
    );

    // Failed.
    assert!(
        store
            .record_delivery(
                id_of("b"),
                &DeliveryOutcome::Failed {
                    at: t(1_600),
                    error: "mailbox unknown".into()
                },
                None,
            )
            .await
            .unwrap()
    );
    let b = store.outbox_message("b").await.unwrap().unwrap();
    assert_eq!(
        (b.state, b.last_error.as_deref(), b.delivered_at),
        (OutboxState::Failed, Some("mailbox unknown"), None)
    );
    assert!(
        store
            .claim_outbox(t(99_000), Duration::from_secs(60), 10)
            .await
            .unwrap()
            .iter()
            .all(|m| m.key != "a" && m.key != "b"),
        "finished messages are never claimed again"
    );

    // A message without an incident records no timeline.
    assert!(
        store
            .record_delivery(
                id_of("e"),
                &DeliveryOutcome::Delivered { at: t(1_700) },
                Some(entry(1_700, "delivery", "nowhere")),
            )
            .await
            .unwrap()
    );
    assert!(matches!(
        store
            .record_delivery(9_999, &DeliveryOutcome::Delivered { at: t(1) }, None)
            .await,
        Err(StoreError::NotFound(_))
    ));

    let texts: Vec<String> = store
        .incident_timeline(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(texts, ["opened", "alice: retrying", "alice: delivered"]);

    // Recipients of trigger messages, distinct, first enqueued first.
    assert_eq!(
        store.notified_recipients(id).await.unwrap(),
        ["person:alice#0", "person:bob#0"]
    );
    assert!(store.notified_recipients(9_999).await.unwrap().is_empty());
    let keys: Vec<String> = store
        .outbox_for_incident(id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["a", "b", "c", "d"]);
}

async fn server_keys_are_stable(db: &TestDb) {
    let store = db.open().await;
    let first = store.server_key("unsubscribe").await.unwrap();
    assert_eq!(first.len(), 32);
    assert_ne!(first, vec![0u8; 32]);
    assert_eq!(store.server_key("unsubscribe").await.unwrap(), first);
    let other = store.server_key("ack-links").await.unwrap();
    assert_ne!(other, first);

    // Another instance (a second pool) sees the same key, and concurrent
    // first calls agree.
    let second = db.open().await;
    assert_eq!(second.server_key("unsubscribe").await.unwrap(), first);
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let store = if i % 2 == 0 {
                store.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move { store.server_key("fresh").await.unwrap() })
        })
        .collect();
    let mut keys = HashSet::new();
    for task in tasks {
        keys.insert(task.await.unwrap());
    }
    assert_eq!(keys.len(), 1);
}

async fn prune_drops_old_finished_records(db: &TestDb) {
    let store = db.open().await;
    store
        .upsert_alerts(&[
            alert("old-ok", AlertState::Ok, 1_000),
            alert("old-firing", AlertState::Firing, 1_000),
            alert("new-ok", AlertState::Ok, 9_000),
        ])
        .await
        .unwrap();
    // An old resolved incident: 1 alert, 2 events, 1 escalation, 2 messages
    // (one delivered, one still pending).
    let old = open(&store, "k-old", 1_000, &[escalation("default", 2_000)]).await;
    store
        .enqueue(
            &[
                message("old-delivered", Some(old), "trigger", "a", 1_000),
                message("old-pending", Some(old), "resolved", "a", 1_000),
            ],
            &[],
        )
        .await
        .unwrap();
    let claimed = store
        .claim_outbox(t(1_000), Duration::from_secs(1), 10)
        .await
        .unwrap();
    let delivered = claimed
        .iter()
        .find(|m| m.key == "old-delivered")
        .unwrap()
        .id;
    let pending = claimed.iter().find(|m| m.key == "old-pending").unwrap().id;
    store
        .record_delivery(
            delivered,
            &DeliveryOutcome::Delivered { at: t(1_100) },
            None,
        )
        .await
        .unwrap();
    assert!(
        store
            .resolve_incident(old, None, t(2_000), &[entry(2_000, "resolved", "resolved")])
            .await
            .unwrap()
    );
    // A recently resolved one, an open one and recent messages stay.
    let recent = open(&store, "k-recent", 1_000, &[]).await;
    assert!(
        store
            .resolve_incident(recent, None, t(9_000), &[])
            .await
            .unwrap()
    );
    let open_id = open(&store, "k-open", 1_000, &[]).await;
    store
        .enqueue(
            &[
                message("test-old", None, "test", "b", 1_000),
                message("test-new", None, "test", "b", 9_000),
            ],
            &[],
        )
        .await
        .unwrap();
    let tests = store
        .claim_outbox(t(9_000), Duration::from_secs(1), 10)
        .await
        .unwrap();
    for m in tests.iter().filter(|m| m.key.starts_with("test-")) {
        let outcome = DeliveryOutcome::Failed {
            at: t(9_000),
            error: "x".into(),
        };
        store.record_delivery(m.id, &outcome, None).await.unwrap();
    }

    let deleted = store.prune_alerting(t(5_000)).await.unwrap();
    // old-ok, old-delivered, test-old, and the old incident with its
    // alert, 2 events and escalation.
    assert_eq!(deleted, 8);
    assert_eq!(store.alert("old-ok").await.unwrap(), None);
    assert!(store.alert("old-firing").await.unwrap().is_some());
    assert!(store.alert("new-ok").await.unwrap().is_some());
    assert_eq!(store.incident(old).await.unwrap(), None);
    assert!(store.incident_timeline(old).await.unwrap().is_empty());
    assert!(store.escalations(old).await.unwrap().is_empty());
    assert!(store.incident(recent).await.unwrap().is_some());
    assert!(store.incident(open_id).await.unwrap().is_some());
    assert_eq!(store.outbox_message("old-delivered").await.unwrap(), None);
    assert_eq!(store.outbox_message("test-old").await.unwrap(), None);
    assert!(store.outbox_message("test-new").await.unwrap().is_some());
    // The pending message survives its incident and can still finish.
    assert!(store.outbox_message("old-pending").await.unwrap().is_some());
    assert!(
        store
            .record_delivery(
                pending,
                &DeliveryOutcome::Delivered { at: t(6_000) },
                Some(entry(6_000, "delivery", "late")),
            )
            .await
            .unwrap()
    );
    assert!(store.incident_timeline(old).await.unwrap().is_empty());
    // Now finished, it goes with the next prune; then nothing is left to go.
    assert_eq!(store.prune_alerting(t(5_000)).await.unwrap(), 1);
    assert_eq!(store.outbox_message("old-pending").await.unwrap(), None);
    assert_eq!(store.prune_alerting(t(5_000)).await.unwrap(), 0);
}
