//! One decision pass: reconcile signals with incidents, then run every
//! escalation step that is due. Everything decided is written to the store
//! before anything is sent: notifications go into the outbox, each under
//! an idempotency key derived from the decision, so a pass repeated after
//! a crash stores nothing twice.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use shipshape_alert::engine::{
    Action, AlertSignal, Inputs, NoticeKind, TEST_PAGE_PREFIX, plan_step, reconcile,
};
use shipshape_alert::silence;
use shipshape_catalog::Catalog;
use shipshape_store::{
    EscalationRecord, Incident, NewEscalation, NewIncident, NewOutboxMessage, NewTimelineEntry,
    SilenceWindow, Store,
};

use crate::convert::{from_record, incident_alert, view};
use crate::notices::{follow_up, notice_for, outbox_message};
use crate::{Result, entry};

/// Most escalation steps run in one pass.
const STEPS_PER_PASS: u32 = 200;

/// What one pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Reconcile actions applied.
    pub actions: usize,
    /// Escalation steps run.
    pub steps: usize,
    /// Notifications enqueued.
    pub enqueued: u64,
}

/// Runs one pass at `now`: a full one (reconcile, then escalations), or,
/// with `full` false, only the escalation steps that are due — cheap (one
/// indexed query), so it can run every second while a full pass, which
/// reads every open incident, runs when something changed and on a slower
/// beat for the time-based transitions (holds, silences).
pub async fn pass(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
    full: bool,
) -> Result<PassReport> {
    let mut report = PassReport::default();
    if full {
        reconcile_pass(store, catalog, now, &mut report).await?;
    }
    for escalation in store.due_escalations(now, STEPS_PER_PASS).await? {
        report.enqueued += run_step(store, catalog, now, &escalation).await?;
        report.steps += 1;
    }
    Ok(report)
}

/// Applies what `reconcile` says about the stored signals and incidents.
async fn reconcile_pass(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
    report: &mut PassReport,
) -> Result<()> {
    let signals: Vec<AlertSignal> = store
        .active_alerts(now)
        .await?
        .into_iter()
        .map(from_record)
        .collect();
    let open = store.open_incidents().await?;
    let views: Vec<_> = open.iter().map(|(i, a)| view(i, a)).collect();
    let silences = silences(store, now).await?;
    let maintained = maintained_monitors(store, catalog, now).await?;
    let silenced = |labels: &BTreeMap<String, String>, at: Timestamp| {
        if let (Some(service), Some(monitor)) = (labels.get("service"), labels.get("monitor"))
            && let Some(name) = maintained.get(&(service.clone(), monitor.clone()))
        {
            return Some(format!("maintenance \"{name}\" is in progress"));
        }
        silence::silenced_by(&silences, labels, at).map(|s| {
            let matchers = silence::format_matchers(&s.matchers);
            match &s.comment {
                Some(comment) => format!("silence #{} {matchers} ({comment})", s.id),
                None => format!("silence #{} {matchers}", s.id),
            }
        })
    };
    let actions = reconcile(&Inputs {
        catalog,
        now,
        signals: &signals,
        open: &views,
        silenced: &silenced,
    });
    let incidents: BTreeMap<i64, &Incident> = open.iter().map(|(i, _)| (i.id, i)).collect();
    for action in actions {
        report.enqueued += apply(store, catalog, now, &incidents, action).await?;
        report.actions += 1;
    }
    Ok(())
}

/// The monitors behind the status page components of every maintenance in
/// progress, with the maintenance's name: their pages are held while it
/// lasts.
async fn maintained_monitors(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
) -> Result<HashMap<(String, String), String>> {
    let mut out = HashMap::new();
    let Some(page) = &catalog.status_page else {
        return Ok(out);
    };
    let until = now + jiff::SignedDuration::from_millis(1);
    for maintenance in store.maintenances(now, until).await? {
        if !matches!(maintenance.status.as_str(), "in_progress" | "verifying") {
            continue;
        }
        for component in &page.components {
            let id = shipshape_status::slug(&component.name);
            if !maintenance.components.contains(&id) {
                continue;
            }
            for monitor in &component.monitors {
                out.insert(
                    (monitor.service.clone(), monitor.monitor.clone()),
                    maintenance.name.clone(),
                );
            }
        }
    }
    Ok(out)
}

/// The stored silences that still stand, as the engine reads them (one
/// that no longer parses is skipped with a warning).
async fn silences(store: &Store, now: Timestamp) -> Result<Vec<silence::Silence>> {
    let mut out = Vec::new();
    for record in store.silences(now).await? {
        let matchers = match silence::parse_matchers(&record.matchers) {
            Ok(matchers) => matchers,
            Err(error) => {
                tracing::warn!(silence = record.id, %error, "skipping a silence whose matchers do not parse");
                continue;
            }
        };
        let window = match &record.window {
            SilenceWindow::Once { starts, ends } => silence::Window::Once {
                starts: *starts,
                ends: *ends,
            },
            SilenceWindow::Recurring(text) => match silence::parse_recurrence(text) {
                Ok(recurrence) => silence::Window::Recurring(recurrence),
                Err(error) => {
                    tracing::warn!(silence = record.id, %error, "skipping a silence whose recurrence does not parse");
                    continue;
                }
            },
        };
        out.push(silence::Silence {
            id: record.id.to_string(),
            matchers,
            window,
            comment: Some(record.comment),
            created_by: Some(record.created_by),
        });
    }
    Ok(out)
}

/// Applies one reconcile action; returns the notifications enqueued.
async fn apply(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
    incidents: &BTreeMap<i64, &Incident>,
    action: Action,
) -> Result<u64> {
    match action {
        Action::Open {
            key,
            service,
            title,
            severity,
            labels,
            alerts,
            parent,
            suppressed,
            escalations,
            notes,
        } => {
            let opened_at = alerts.iter().map(|a| a.since).min().unwrap_or(now).min(now);
            let new = NewIncident {
                key,
                service,
                title,
                severity: severity.as_str().into(),
                labels,
                opened_at,
                parent,
                suppressed,
            };
            let alerts: Vec<_> = alerts.iter().map(incident_alert).collect();
            let escalations: Vec<_> = escalations
                .into_iter()
                .map(|(policy, next_at)| NewEscalation { policy, next_at })
                .collect();
            let mut timeline = vec![entry(now, "opened", None, "incident opened")];
            timeline.extend(notes.into_iter().map(|n| entry(now, "note", None, n)));
            match store
                .open_incident(&new, &alerts, &escalations, &timeline)
                .await?
            {
                Some(id) => tracing::info!(incident = id, title = %new.title, "incident opened"),
                None => tracing::debug!(key = %new.key, "incident already open"),
            }
            Ok(0)
        }
        Action::AddAlerts { incident, alerts } => {
            let timeline: Vec<_> = alerts
                .iter()
                .map(|a| entry(now, "alert", None, format!("alert joined: {}", a.summary)))
                .collect();
            let alerts: Vec<_> = alerts.iter().map(incident_alert).collect();
            store
                .add_incident_alerts(incident, &alerts, &timeline)
                .await?;
            Ok(0)
        }
        Action::ClearAlert { incident, alert } => {
            let timeline = [entry(
                now,
                "cleared",
                None,
                format!("alert cleared: {alert}"),
            )];
            store
                .set_alert_cleared(incident, &alert, Some(now), &timeline)
                .await?;
            Ok(0)
        }
        Action::Flapping {
            incident,
            flapping,
            failing,
        } => {
            let text = match (flapping, failing) {
                (true, _) => "flapping: state changes are not notified until it settles",
                (false, true) => "settled: still failing",
                (false, false) => "settled: recovered",
            };
            store
                .set_incident_flapping(
                    incident,
                    flapping,
                    now,
                    &[entry(now, "flapping", None, text)],
                )
                .await?;
            let kind = match (flapping, failing) {
                (true, _) => NoticeKind::Flapping,
                (false, true) => NoticeKind::Settled,
                (false, false) => return Ok(0),
            };
            let Some(found) = incidents.get(&incident) else {
                return Ok(0);
            };
            follow_up(store, catalog, found, kind, now, text).await
        }
        Action::Suppress {
            incident,
            parent,
            reason,
        } => {
            let timeline = [entry(
                now,
                "suppressed",
                None,
                format!("pages suppressed: {reason}"),
            )];
            store
                .set_incident_suppressed(incident, parent, Some(reason), now, &timeline)
                .await?;
            Ok(0)
        }
        Action::Unsuppress {
            incident,
            escalations,
            note,
        } => {
            let timeline = [entry(now, "unsuppressed", None, note)];
            store
                .set_incident_suppressed(incident, None, None, now, &timeline)
                .await?;
            let escalations: Vec<_> = escalations
                .into_iter()
                .map(|(policy, next_at)| NewEscalation { policy, next_at })
                .collect();
            store.start_escalations(incident, &escalations).await?;
            Ok(0)
        }
        Action::Resolve { incident, note } => {
            let timeline = [entry(now, "resolved", None, note)];
            if !store
                .resolve_incident(incident, None, now, &timeline)
                .await?
            {
                return Ok(0);
            }
            let Some(found) = incidents.get(&incident) else {
                return Ok(0);
            };
            follow_up(
                store,
                catalog,
                found,
                NoticeKind::Resolved,
                now,
                "recovered",
            )
            .await
        }
    }
}

/// Runs one due escalation step; returns the notifications enqueued.
async fn run_step(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
    escalation: &EscalationRecord,
) -> Result<u64> {
    let Some((incident, alerts)) = store.incident(escalation.incident_id).await? else {
        return Ok(0);
    };
    if let Some(reason) = &incident.suppressed {
        let note = entry(
            now,
            "escalation",
            None,
            format!("{} not run: pages suppressed ({reason})", escalation.policy),
        );
        store
            .advance_escalation(escalation, None, &[], &[note])
            .await?;
        return Ok(0);
    }
    let due = escalation.next_at.unwrap_or(now);
    let plan = plan_step(
        catalog,
        &escalation.policy,
        escalation.step,
        escalation.round,
        due,
        now,
    );
    let kind = if incident.key.starts_with(TEST_PAGE_PREFIX) {
        NoticeKind::Test
    } else {
        NoticeKind::Trigger
    };
    let notice = notice_for(&incident, &alerts, kind, now);
    // The step's due time makes a restarted escalation (after a silence or
    // an upstream incident ends) page again, while a repeated decision of
    // the same step stores nothing twice.
    let discriminator = format!(
        "{}/r{}s{}@{}",
        escalation.policy,
        escalation.round,
        escalation.step,
        due.as_millisecond()
    );
    let outbox: Vec<NewOutboxMessage> = plan
        .recipients
        .iter()
        .filter_map(|r| outbox_message(&notice, &discriminator, &r.id, r.channel, now))
        .collect();
    let timeline: Vec<NewTimelineEntry> = plan
        .notes
        .into_iter()
        .map(|n| entry(now, "escalated", None, n))
        .collect();
    let count = outbox.len() as u64;
    let advanced = store
        .advance_escalation(escalation, plan.next, &outbox, &timeline)
        .await?;
    Ok(if advanced { count } else { 0 })
}
