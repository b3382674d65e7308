//! The public status page's records: status incidents (create, update,
//! read, page, unresolved, by alerting incident), maintenances (schedule,
//! update, cancel, windows, the engine's advancing at the window edges and
//! from two instances at once), component overrides and pruning.

use shipshape_store::testing::TestDb;
use shipshape_store::{
    NewMaintenance, NewStatusIncident, NewStatusUpdate, StatusIncidentRecord, StoreError,
};
use sqlx::Row;

use crate::{HOUR, MINUTE, T0, t};

both_backends!(
    status_incident_round_trip,
    updates_move_a_status_incident,
    invalid_status_incidents_are_refused,
    status_incidents_page_newest_first,
    unresolved_and_by_alert_incident,
    maintenance_round_trip_update_and_cancel,
    maintenances_overlapping_a_range,
    advancing_maintenances_at_the_window_edges,
    advancing_from_two_instances_moves_each_once,
    component_overrides_set_replace_clear,
    pruning_drops_what_ended_before_the_cutoff,
);

fn incident(name: &str, status: &str, components: &[&str], at: i64) -> NewStatusIncident {
    NewStatusIncident {
        name: name.to_owned(),
        status: status.to_owned(),
        impact: "major".to_owned(),
        components: components.iter().map(|c| (*c).to_owned()).collect(),
        message: format!("We are looking into {name}."),
        component_status: Some("partial_outage".to_owned()),
        created_by: "ada@example.org".to_owned(),
        at: t(at),
        alert_incident: None,
    }
}

fn update(status: &str, message: &str, at: i64) -> NewStatusUpdate {
    NewStatusUpdate {
        status: status.to_owned(),
        message: message.to_owned(),
        component_status: None,
        components: None,
        impact: None,
        created_by: "bob@example.org".to_owned(),
        at: t(at),
    }
}

fn maintenance(name: &str, from: i64, until: i64, components: &[&str]) -> NewMaintenance {
    NewMaintenance {
        name: name.to_owned(),
        impact: "maintenance".to_owned(),
        components: components.iter().map(|c| (*c).to_owned()).collect(),
        scheduled_for: t(from),
        scheduled_until: t(until),
        message: format!("{name} is planned."),
        created_by: "ada@example.org".to_owned(),
        at: t(T0),
    }
}

fn ids(list: &[StatusIncidentRecord]) -> Vec<i64> {
    list.iter().map(|i| i.id).collect()
}

async fn status_incident_round_trip(db: &TestDb) {
    let store = db.open().await;
    let mut new = incident(
        "Slow logins",
        "investigating",
        &["website", "api", "website"],
        T0,
    );
    new.alert_incident = Some(42);
    let id = store.create_status_incident(&new).await.unwrap();

    let read = store.status_incident(id).await.unwrap().expect("stored");
    assert_eq!(read.id, id);
    assert_eq!(read.name, "Slow logins");
    assert_eq!(read.status, "investigating");
    assert_eq!(read.impact, "major");
    assert_eq!((read.created_at, read.updated_at), (t(T0), t(T0)));
    assert_eq!((read.monitoring_at, read.resolved_at), (None, None));
    assert_eq!(read.created_by, "ada@example.org");
    assert_eq!(read.alert_incident, Some(42));
    assert_eq!(
        read.components,
        vec!["api", "website"],
        "sorted, deduplicated"
    );
    assert_eq!(read.updates.len(), 1);
    let first = &read.updates[0];
    assert_eq!(first.status, "investigating");
    assert_eq!(first.body, "We are looking into Slow logins.");
    assert_eq!(first.created_by, "ada@example.org");
    assert_eq!(first.at, t(T0));
    assert_eq!(first.component_status.as_deref(), Some("partial_outage"));
    assert!(!read.is_over());

    // Starting in monitoring or resolved sets those times at once.
    let monitoring = store
        .create_status_incident(&incident("Backfill", "monitoring", &[], T0 + MINUTE))
        .await
        .unwrap();
    let read = store.status_incident(monitoring).await.unwrap().unwrap();
    assert_eq!(read.monitoring_at, Some(t(T0 + MINUTE)));
    assert_eq!(read.resolved_at, None);
    assert!(read.components.is_empty());
    let resolved = store
        .create_status_incident(&incident("Blip", "resolved", &["api"], T0 + 2 * MINUTE))
        .await
        .unwrap();
    let read = store.status_incident(resolved).await.unwrap().unwrap();
    assert_eq!(read.monitoring_at, None);
    assert_eq!(read.resolved_at, Some(t(T0 + 2 * MINUTE)));
    assert!(read.is_over());
    assert_eq!(read.alert_incident, None);

    assert!(id < monitoring && monitoring < resolved);
    assert_eq!(store.status_incident(9_999).await.unwrap(), None);
}

async fn updates_move_a_status_incident(db: &TestDb) {
    let store = db.open().await;
    let id = store
        .create_status_incident(&incident("Outage", "investigating", &["api"], T0))
        .await
        .unwrap();

    let mut identified = update("identified", "A bad deploy.", T0 + MINUTE);
    identified.impact = Some("critical".to_owned());
    identified.components = Some(vec!["website".into(), "api".into(), "db".into()]);
    identified.component_status = Some("major_outage".to_owned());
    let read = store.update_status_incident(id, &identified).await.unwrap();
    assert_eq!(read.status, "identified");
    assert_eq!(read.impact, "critical");
    assert_eq!(read.components, vec!["api", "db", "website"]);
    assert_eq!(read.updated_at, t(T0 + MINUTE));
    assert_eq!(read.created_at, t(T0));
    assert_eq!(read.updates.len(), 2);
    assert_eq!(read.updates[0].status, "identified", "newest first");
    assert_eq!(read.updates[0].body, "A bad deploy.");
    assert_eq!(read.updates[0].created_by, "bob@example.org");
    assert_eq!(
        read.updates[0].component_status.as_deref(),
        Some("major_outage")
    );
    assert_eq!(read.updates[1].status, "investigating");

    // No impact and no components given: both stay.
    let read = store
        .update_status_incident(id, &update("monitoring", "Rolled back.", T0 + 2 * MINUTE))
        .await
        .unwrap();
    assert_eq!(read.impact, "critical");
    assert_eq!(read.components, vec!["api", "db", "website"]);
    assert_eq!(read.monitoring_at, Some(t(T0 + 2 * MINUTE)));
    assert_eq!(read.resolved_at, None);

    // Leaving and re-entering monitoring keeps the first time.
    store
        .update_status_incident(id, &update("identified", "Again.", T0 + 3 * MINUTE))
        .await
        .unwrap();
    let read = store
        .update_status_incident(id, &update("monitoring", "Fixed.", T0 + 4 * MINUTE))
        .await
        .unwrap();
    assert_eq!(read.monitoring_at, Some(t(T0 + 2 * MINUTE)));

    // An empty component list clears the affected set.
    let mut resolved = update("resolved", "All good.", T0 + 5 * MINUTE);
    resolved.components = Some(Vec::new());
    resolved.component_status = Some("operational".to_owned());
    let read = store.update_status_incident(id, &resolved).await.unwrap();
    assert_eq!(read.status, "resolved");
    assert_eq!(read.resolved_at, Some(t(T0 + 5 * MINUTE)));
    assert!(read.components.is_empty());
    assert!(read.is_over());
    let statuses: Vec<&str> = read.updates.iter().map(|u| u.status.as_str()).collect();
    assert_eq!(
        statuses,
        vec![
            "resolved",
            "monitoring",
            "identified",
            "monitoring",
            "identified",
            "investigating"
        ]
    );

    // A post-mortem keeps the resolution time; reopening clears it.
    let read = store
        .update_status_incident(id, &update("postmortem", "What happened.", T0 + HOUR))
        .await
        .unwrap();
    assert_eq!(read.resolved_at, Some(t(T0 + 5 * MINUTE)));
    let read = store
        .update_status_incident(id, &update("investigating", "It is back.", T0 + 2 * HOUR))
        .await
        .unwrap();
    assert_eq!(read.resolved_at, None);
    assert!(!read.is_over());
    assert_eq!(read.updates.len(), 8);
    assert_eq!(store.status_incident(id).await.unwrap(), Some(read.clone()));

    // Missing incidents and unknown names.
    let err = store
        .update_status_incident(9_999, &update("identified", "x", T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .update_status_incident(id, &update("fixed", "x", T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("`fixed`"), "{err}");
    let mut bad_impact = update("identified", "x", T0);
    bad_impact.impact = Some("huge".to_owned());
    let err = store
        .update_status_incident(id, &bad_impact)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");
    let after = store.status_incident(id).await.unwrap().unwrap();
    assert_eq!(after, read, "refused updates write nothing");
}

async fn invalid_status_incidents_are_refused(db: &TestDb) {
    let store = db.open().await;
    let cases = [
        incident("x", "broken", &[], T0),
        NewStatusIncident {
            impact: "huge".into(),
            ..incident("x", "investigating", &[], T0)
        },
        incident("  ", "investigating", &[], T0),
        incident("x", "investigating", &["api", " "], T0),
    ];
    for case in &cases {
        let err = store.create_status_incident(case).await.unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput(_)),
            "{case:?}: {err:?}"
        );
    }
    assert!(store.status_incidents(10, None).await.unwrap().is_empty());

    // The schema refuses unknown names too.
    let mut conn = db.raw_connection().await;
    let bad = sqlx::query(
        "INSERT INTO status_incidents (name, status, impact, created_at_ms, updated_at_ms, \
         created_by) VALUES ('x', 'fixed', 'major', 0, 0, 'x')",
    )
    .execute(&mut conn)
    .await;
    assert!(bad.is_err(), "CHECK on status");
    let bad = sqlx::query(
        "INSERT INTO status_updates (status, body, created_by, at_ms) \
         VALUES ('x', 'x', 'x', 0)",
    )
    .execute(&mut conn)
    .await;
    assert!(bad.is_err(), "an update belongs to exactly one parent");
}

async fn status_incidents_page_newest_first(db: &TestDb) {
    let store = db.open().await;
    let mut created = Vec::new();
    for i in 0..7_i64 {
        let component = format!("c{i}");
        let id = store
            .create_status_incident(&incident(
                &format!("incident {i}"),
                "investigating",
                &[component.as_str(), "shared"],
                T0 + i * MINUTE,
            ))
            .await
            .unwrap();
        // Each gets i extra updates.
        for u in 0..i {
            store
                .update_status_incident(
                    id,
                    &update("identified", &format!("{i}.{u}"), T0 + i * MINUTE + u + 1),
                )
                .await
                .unwrap();
        }
        created.push(id);
    }
    let newest_first: Vec<i64> = created.iter().rev().copied().collect();

    let page1 = store.status_incidents(3, None).await.unwrap();
    assert_eq!(ids(&page1), newest_first[..3]);
    let page2 = store
        .status_incidents(3, page1.last().map(|i| i.id))
        .await
        .unwrap();
    assert_eq!(ids(&page2), newest_first[3..6]);
    let page3 = store
        .status_incidents(3, page2.last().map(|i| i.id))
        .await
        .unwrap();
    assert_eq!(ids(&page3), newest_first[6..]);
    let page4 = store
        .status_incidents(3, page3.last().map(|i| i.id))
        .await
        .unwrap();
    assert!(page4.is_empty());

    // Each incident on a page carries its own components and updates, the
    // same as when read alone.
    for record in page1.iter().chain(&page2).chain(&page3) {
        let i = created.iter().position(|&id| id == record.id).unwrap();
        assert_eq!(
            record.components,
            vec![format!("c{i}"), "shared".to_owned()]
        );
        assert_eq!(record.updates.len(), i + 1);
        assert_eq!(record.updates.last().unwrap().status, "investigating");
        if i > 0 {
            assert_eq!(record.updates[0].body, format!("{i}.{}", i - 1));
        }
        assert_eq!(
            store.status_incident(record.id).await.unwrap().as_ref(),
            Some(record)
        );
    }

    assert!(store.status_incidents(0, None).await.unwrap().is_empty());
    assert_eq!(
        ids(&store.status_incidents(u32::MAX, None).await.unwrap()),
        newest_first,
        "a huge limit is capped, not an error"
    );
}

async fn unresolved_and_by_alert_incident(db: &TestDb) {
    let store = db.open().await;
    let mut a = incident("a", "investigating", &["api"], T0);
    a.alert_incident = Some(7);
    let a = store.create_status_incident(&a).await.unwrap();
    let b = store
        .create_status_incident(&incident("b", "monitoring", &["web"], T0 + MINUTE))
        .await
        .unwrap();
    let c = store
        .create_status_incident(&incident("c", "identified", &[], T0 + 2 * MINUTE))
        .await
        .unwrap();
    store
        .create_status_incident(&incident("d", "resolved", &[], T0 + 3 * MINUTE))
        .await
        .unwrap();
    store
        .update_status_incident(c, &update("resolved", "done", T0 + 4 * MINUTE))
        .await
        .unwrap();

    let open = store.unresolved_status_incidents().await.unwrap();
    assert_eq!(ids(&open), vec![b, a], "newest first, over ones left out");
    assert_eq!(open[0].components, vec!["web"]);
    assert_eq!(open[1].components, vec!["api"]);
    assert_eq!(open[1].updates.len(), 1);

    store
        .update_status_incident(a, &update("postmortem", "write-up", T0 + HOUR))
        .await
        .unwrap();
    assert_eq!(
        ids(&store.unresolved_status_incidents().await.unwrap()),
        vec![b]
    );

    let found = store.status_incident_for_alert(7).await.unwrap().unwrap();
    assert_eq!(found.id, a);
    assert_eq!(found.status, "postmortem");
    assert_eq!(found.updates.len(), 2);
    // Published again from the same alerting incident: the newest wins.
    let mut again = incident("a again", "investigating", &["api"], T0 + 2 * HOUR);
    again.alert_incident = Some(7);
    let again = store.create_status_incident(&again).await.unwrap();
    let found = store.status_incident_for_alert(7).await.unwrap().unwrap();
    assert_eq!(found.id, again);
    assert_eq!(found.components, vec!["api"]);
    assert_eq!(found.updates.len(), 1);
    assert_eq!(store.status_incident_for_alert(8).await.unwrap(), None);
}

async fn maintenance_round_trip_update_and_cancel(db: &TestDb) {
    let store = db.open().await;
    let id = store
        .schedule_maintenance(&maintenance(
            "DB upgrade",
            T0 + HOUR,
            T0 + 2 * HOUR,
            &["db", "api", "db"],
        ))
        .await
        .unwrap();
    let read = store.maintenance(id).await.unwrap().expect("stored");
    assert_eq!(read.id, id);
    assert_eq!(read.name, "DB upgrade");
    assert_eq!(read.status, "scheduled");
    assert_eq!(read.impact, "maintenance");
    assert_eq!(
        (read.scheduled_for, read.scheduled_until),
        (t(T0 + HOUR), t(T0 + 2 * HOUR))
    );
    assert_eq!((read.created_at, read.updated_at), (t(T0), t(T0)));
    assert_eq!(read.created_by, "ada@example.org");
    assert_eq!(read.cancelled_at, None);
    assert_eq!(read.components, vec!["api", "db"]);
    assert_eq!(read.updates.len(), 1);
    assert_eq!(read.updates[0].status, "scheduled");
    assert_eq!(read.updates[0].body, "DB upgrade is planned.");
    assert_eq!(store.maintenance(9_999).await.unwrap(), None);

    let read = store
        .update_maintenance(
            id,
            "verifying",
            "Checking.",
            "bob@example.org",
            t(T0 + HOUR),
        )
        .await
        .unwrap();
    assert_eq!(read.status, "verifying");
    assert_eq!(read.updated_at, t(T0 + HOUR));
    assert_eq!(read.updates.len(), 2);
    assert_eq!(read.updates[0].body, "Checking.");
    assert_eq!(read.updates[0].created_by, "bob@example.org");
    assert_eq!(read.updates[0].status, "verifying");

    let err = store
        .update_maintenance(id, "done", "x", "bob", t(T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");
    let err = store
        .update_maintenance(9_999, "verifying", "x", "bob", t(T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    // Invalid windows and names are refused.
    for bad in [
        maintenance("x", T0, T0, &[]),
        maintenance("x", T0 + 1, T0, &[]),
        maintenance(" ", T0, T0 + 1, &[]),
        maintenance("x", T0, T0 + 1, &[""]),
    ] {
        let err = store.schedule_maintenance(&bad).await.unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidInput(_)),
            "{bad:?}: {err:?}"
        );
    }

    // Cancelling: once, with an update; then it cannot be updated.
    assert!(
        store
            .cancel_maintenance(id, "carol@example.org", t(T0 + 90 * MINUTE))
            .await
            .unwrap()
    );
    assert!(
        !store
            .cancel_maintenance(id, "carol@example.org", t(T0 + 91 * MINUTE))
            .await
            .unwrap()
    );
    assert!(!store.cancel_maintenance(9_999, "x", t(T0)).await.unwrap());
    let read = store.maintenance(id).await.unwrap().unwrap();
    assert_eq!(read.cancelled_at, Some(t(T0 + 90 * MINUTE)));
    assert_eq!(read.status, "verifying");
    assert_eq!(read.updates.len(), 3);
    assert_eq!(read.updates[0].body, "Maintenance cancelled");
    assert_eq!(read.updates[0].created_by, "carol@example.org");
    let err = store
        .update_maintenance(id, "completed", "x", "bob", t(T0 + 2 * HOUR))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");

    // A completed maintenance cannot be cancelled.
    let done = store
        .schedule_maintenance(&maintenance("Short", T0, T0 + MINUTE, &[]))
        .await
        .unwrap();
    store
        .update_maintenance(done, "completed", "Done early.", "bob", t(T0 + 30_000))
        .await
        .unwrap();
    assert!(
        !store
            .cancel_maintenance(done, "bob", t(T0 + MINUTE))
            .await
            .unwrap()
    );
}

async fn maintenances_overlapping_a_range(db: &TestDb) {
    let store = db.open().await;
    let from = T0 + 10 * HOUR;
    let to = T0 + 20 * HOUR;
    let ends_at_from = store
        .schedule_maintenance(&maintenance("before", from - HOUR, from, &[]))
        .await
        .unwrap();
    let late = store
        .schedule_maintenance(&maintenance("late", to - HOUR, to + HOUR, &["b"]))
        .await
        .unwrap();
    let straddles = store
        .schedule_maintenance(&maintenance("straddles", from - HOUR, from + 1, &["a"]))
        .await
        .unwrap();
    let starts_at_to = store
        .schedule_maintenance(&maintenance("after", to, to + HOUR, &[]))
        .await
        .unwrap();
    let covers = store
        .schedule_maintenance(&maintenance("covers", from - 2 * HOUR, to + 2 * HOUR, &[]))
        .await
        .unwrap();
    let cancelled = store
        .schedule_maintenance(&maintenance("cancelled", from + HOUR, from + 2 * HOUR, &[]))
        .await
        .unwrap();
    store
        .cancel_maintenance(cancelled, "bob", t(T0))
        .await
        .unwrap();

    let found = store.maintenances(t(from), t(to)).await.unwrap();
    let found_ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    assert_eq!(found_ids, vec![covers, straddles, late], "soonest first");
    assert_eq!(found[1].components, vec!["a"]);
    assert_eq!(found[2].components, vec!["b"]);
    assert_eq!(found[2].updates.len(), 1);
    for id in [ends_at_from, starts_at_to] {
        assert!(!found_ids.contains(&id), "half-open range");
    }
    assert!(store.maintenances(t(0), t(1)).await.unwrap().is_empty());
}

async fn advancing_maintenances_at_the_window_edges(db: &TestDb) {
    let store = db.open().await;
    let start = T0 + HOUR;
    let end = T0 + 2 * HOUR;
    let m = store
        .schedule_maintenance(&maintenance("window", start, end, &["db"]))
        .await
        .unwrap();

    assert!(
        store
            .advance_maintenances(t(start - 1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.advance_maintenances(t(start)).await.unwrap(),
        vec![(m, "in_progress".to_owned())],
        "starts exactly at scheduled_for"
    );
    assert!(
        store
            .advance_maintenances(t(start))
            .await
            .unwrap()
            .is_empty(),
        "idempotent"
    );
    assert!(
        store
            .advance_maintenances(t(start + 1))
            .await
            .unwrap()
            .is_empty()
    );
    let read = store.maintenance(m).await.unwrap().unwrap();
    assert_eq!(read.status, "in_progress");
    assert_eq!(read.updated_at, t(start));
    assert_eq!(read.updates.len(), 2);
    assert_eq!(read.updates[0].status, "in_progress");
    assert_eq!(read.updates[0].body, "Maintenance started");
    assert_eq!(read.updates[0].created_by, "shipshape");
    assert_eq!(read.updates[0].at, t(start));

    assert!(
        store
            .advance_maintenances(t(end - 1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.advance_maintenances(t(end)).await.unwrap(),
        vec![(m, "completed".to_owned())],
        "ends exactly at scheduled_until"
    );
    assert!(store.advance_maintenances(t(end)).await.unwrap().is_empty());
    assert!(
        store
            .advance_maintenances(t(end + HOUR))
            .await
            .unwrap()
            .is_empty()
    );
    let read = store.maintenance(m).await.unwrap().unwrap();
    assert_eq!(read.status, "completed");
    assert_eq!(read.updated_at, t(end));
    let bodies: Vec<&str> = read.updates.iter().map(|u| u.body.as_str()).collect();
    assert_eq!(
        bodies,
        vec![
            "Maintenance completed",
            "Maintenance started",
            "window is planned."
        ]
    );

    // Verifying completes too; a window wholly in the past moves twice in
    // one pass; cancelled and manually completed ones stay put.
    let verifying = store
        .schedule_maintenance(&maintenance("verifying", end, end + HOUR, &[]))
        .await
        .unwrap();
    store
        .update_maintenance(verifying, "verifying", "Checking.", "bob", t(end))
        .await
        .unwrap();
    let missed = store
        .schedule_maintenance(&maintenance("missed", end, end + MINUTE, &[]))
        .await
        .unwrap();
    let cancelled = store
        .schedule_maintenance(&maintenance("cancelled", end, end + MINUTE, &[]))
        .await
        .unwrap();
    store
        .cancel_maintenance(cancelled, "bob", t(end))
        .await
        .unwrap();
    let early = store
        .schedule_maintenance(&maintenance("early", end, end + 2 * HOUR, &[]))
        .await
        .unwrap();
    store
        .update_maintenance(early, "completed", "Done early.", "bob", t(end))
        .await
        .unwrap();
    let later = store
        .schedule_maintenance(&maintenance("later", end + 5 * HOUR, end + 6 * HOUR, &[]))
        .await
        .unwrap();

    let now = t(end + HOUR);
    assert_eq!(
        store.advance_maintenances(now).await.unwrap(),
        vec![
            (missed, "in_progress".to_owned()),
            (verifying, "completed".to_owned()),
            (missed, "completed".to_owned()),
        ]
    );
    assert!(store.advance_maintenances(now).await.unwrap().is_empty());
    let status = |m: Option<shipshape_store::MaintenanceRecord>| m.unwrap().status;
    assert_eq!(
        status(store.maintenance(missed).await.unwrap()),
        "completed"
    );
    assert_eq!(
        status(store.maintenance(cancelled).await.unwrap()),
        "scheduled"
    );
    assert_eq!(status(store.maintenance(early).await.unwrap()), "completed");
    assert_eq!(status(store.maintenance(later).await.unwrap()), "scheduled");
    assert_eq!(
        store
            .maintenance(early)
            .await
            .unwrap()
            .unwrap()
            .updates
            .len(),
        2,
        "no automatic update for one already completed"
    );
}

async fn advancing_from_two_instances_moves_each_once(db: &TestDb) {
    let one = db.open().await;
    let two = db.open().await;
    let mut scheduled = Vec::new();
    for i in 0..20 {
        let id = one
            .schedule_maintenance(&maintenance(
                &format!("m{i}"),
                T0 + i * MINUTE,
                T0 + HOUR + i * MINUTE,
                &["db"],
            ))
            .await
            .unwrap();
        scheduled.push(id);
    }
    for now in [T0 + 10 * MINUTE, T0 + 2 * HOUR] {
        let mut passes = Vec::new();
        for round in 0..4 {
            let store = if round % 2 == 0 {
                one.clone()
            } else {
                two.clone()
            };
            passes.push(tokio::spawn(async move {
                store.advance_maintenances(t(now)).await.unwrap()
            }));
        }
        let mut moved: Vec<(i64, String)> = Vec::new();
        for pass in passes {
            moved.extend(pass.await.unwrap());
        }
        moved.sort();
        let mut expected: Vec<(i64, String)> = Vec::new();
        for (i, &id) in scheduled.iter().enumerate() {
            let i = i as i64;
            if now == T0 + 10 * MINUTE {
                if i <= 10 {
                    expected.push((id, "in_progress".to_owned()));
                }
            } else {
                if i > 10 {
                    expected.push((id, "in_progress".to_owned()));
                }
                expected.push((id, "completed".to_owned()));
            }
        }
        expected.sort();
        assert_eq!(moved, expected, "each move reported once at {now}");
    }
    for id in scheduled {
        let read = one.maintenance(id).await.unwrap().unwrap();
        assert_eq!(read.status, "completed");
        assert_eq!(read.updates.len(), 3, "one update per move");
    }
}

async fn component_overrides_set_replace_clear(db: &TestDb) {
    let store = db.open().await;
    assert!(store.component_overrides().await.unwrap().is_empty());
    store
        .set_component_override(
            "website",
            Some(("major_outage", Some("CDN down"))),
            "ada@example.org",
            t(T0),
        )
        .await
        .unwrap();
    store
        .set_component_override(
            "api",
            Some(("degraded_performance", None)),
            "bob",
            t(T0 + 1),
        )
        .await
        .unwrap();
    let list = store.component_overrides().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].component_id, "api", "by component id");
    assert_eq!(list[0].status, "degraded_performance");
    assert_eq!(list[0].note, None);
    assert_eq!(list[1].component_id, "website");
    assert_eq!(list[1].status, "major_outage");
    assert_eq!(list[1].set_by, "ada@example.org");
    assert_eq!(list[1].set_at, t(T0));
    assert_eq!(list[1].note.as_deref(), Some("CDN down"));

    // Setting again replaces everything, the note included.
    store
        .set_component_override(
            "website",
            Some(("partial_outage", None)),
            "carol",
            t(T0 + 2),
        )
        .await
        .unwrap();
    let list = store.component_overrides().await.unwrap();
    assert_eq!(list[1].status, "partial_outage");
    assert_eq!(list[1].set_by, "carol");
    assert_eq!(list[1].set_at, t(T0 + 2));
    assert_eq!(list[1].note, None);

    store
        .set_component_override("api", None, "bob", t(T0 + 3))
        .await
        .unwrap();
    store
        .set_component_override("never-set", None, "bob", t(T0 + 3))
        .await
        .unwrap();
    let list = store.component_overrides().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].component_id, "website");

    let err = store
        .set_component_override("", Some(("major_outage", None)), "bob", t(T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");
    let err = store
        .set_component_override("api", Some((" ", None)), "bob", t(T0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput(_)), "{err:?}");
}

async fn pruning_drops_what_ended_before_the_cutoff(db: &TestDb) {
    let store = db.open().await;
    let cutoff = T0 + 10 * HOUR;

    // Incidents: resolved before the cutoff (one now in post-mortem) go;
    // resolved after it and ongoing ones stay.
    let old = store
        .create_status_incident(&incident("old", "investigating", &["api", "db"], T0))
        .await
        .unwrap();
    store
        .update_status_incident(old, &update("resolved", "fixed", T0 + HOUR))
        .await
        .unwrap();
    let old_pm = store
        .create_status_incident(&incident("old pm", "resolved", &["api"], T0 + HOUR))
        .await
        .unwrap();
    store
        .update_status_incident(old_pm, &update("postmortem", "write-up", cutoff + HOUR))
        .await
        .unwrap();
    let recent = store
        .create_status_incident(&incident("recent", "investigating", &["api"], T0))
        .await
        .unwrap();
    store
        .update_status_incident(recent, &update("resolved", "fixed", cutoff))
        .await
        .unwrap();
    let ongoing = store
        .create_status_incident(&incident("ongoing", "monitoring", &["api"], T0))
        .await
        .unwrap();

    // Maintenances: completed with window and change before the cutoff,
    // or cancelled before it, go.
    let done = store
        .schedule_maintenance(&maintenance("done", T0, T0 + HOUR, &["db"]))
        .await
        .unwrap();
    store.advance_maintenances(t(T0 + HOUR)).await.unwrap();
    let cancelled = store
        .schedule_maintenance(&maintenance(
            "cancelled",
            cutoff + HOUR,
            cutoff + 2 * HOUR,
            &["db"],
        ))
        .await
        .unwrap();
    store
        .cancel_maintenance(cancelled, "bob", t(T0 + 2 * HOUR))
        .await
        .unwrap();
    let running = store
        .schedule_maintenance(&maintenance("running", T0, cutoff + HOUR, &["db"]))
        .await
        .unwrap();
    store.advance_maintenances(t(T0 + 3 * HOUR)).await.unwrap();
    let upcoming = store
        .schedule_maintenance(&maintenance(
            "upcoming",
            cutoff + HOUR,
            cutoff + 2 * HOUR,
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(
        store.maintenance(done).await.unwrap().unwrap().status,
        "completed"
    );

    store
        .set_component_override("api", Some(("major_outage", None)), "bob", t(T0))
        .await
        .unwrap();

    // old: 1 row + 2 components + 2 updates; old_pm: 1 + 1 + 2;
    // done: 1 + 1 + 3 updates; cancelled: 1 + 1 + 2 updates.
    let deleted = store.prune_status(t(cutoff)).await.unwrap();
    assert_eq!(deleted, 5 + 4 + 5 + 4);
    assert_eq!(store.prune_status(t(cutoff)).await.unwrap(), 0);

    for gone in [old, old_pm] {
        assert_eq!(store.status_incident(gone).await.unwrap(), None);
    }
    for kept in [recent, ongoing] {
        assert!(store.status_incident(kept).await.unwrap().is_some());
    }
    for gone in [done, cancelled] {
        assert_eq!(store.maintenance(gone).await.unwrap(), None);
    }
    for kept in [running, upcoming] {
        assert!(store.maintenance(kept).await.unwrap().is_some());
    }
    assert_eq!(store.component_overrides().await.unwrap().len(), 1);

    // Nothing orphaned.
    let mut conn = db.raw_connection().await;
    let count = |sql: &'static str| sqlx::query(sql);
    let orphans = count(
        "SELECT COUNT(*) AS n FROM status_updates u WHERE \
         (u.incident_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM status_incidents i WHERE i.id = u.incident_id)) \
         OR (u.maintenance_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM maintenances m WHERE m.id = u.maintenance_id))",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(orphans.get::<i64, _>("n"), 0);
    let components = count(
        "SELECT (SELECT COUNT(*) FROM status_incident_components) \
         + (SELECT COUNT(*) FROM maintenance_components) AS n",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(components.get::<i64, _>("n"), 3, "recent, ongoing, running");
}
