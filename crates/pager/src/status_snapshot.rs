//! Builds the public status page's [`Snapshot`] from the catalog's
//! `[status_page]` and the store: each component's status from its
//! monitors' current states (with maintenance and operators' overrides),
//! 90 days of availability from the daily rollups, the public incidents and
//! planned maintenance. Only public data goes in: component names and what
//! responders posted — never monitor names, URLs or people. Used by the
//! web server's public routes (through a short cache), the static export
//! and publishing, and the webhook notices (Statuspage-style payloads).

use std::collections::{HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::Catalog;
use shipshape_status as status;
use shipshape_status::{
    Component, ComponentStatus, Day, Impact, Incident, IncidentStatus, Maintenance,
    MaintenanceStatus, MonitorHealth, Page, Snapshot, Update,
};
use shipshape_store::{
    MaintenanceRecord, MonitorId, MonitorState, StatusIncidentRecord, StatusUpdateRecord, Store,
    StoreError,
};

/// Days of availability per component.
pub const DAYS: u32 = 90;
/// Public incidents on the page and in the feeds.
const INCIDENTS: u32 = 50;
/// Maintenance shown: ended up to a week ago, starting up to 60 days ahead.
const MAINTENANCE_BEHIND: SignedDuration = SignedDuration::from_hours(24 * 7);
const MAINTENANCE_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 60);

/// The snapshot at `now`, or `None` when the catalog has no
/// `[status_page]`.
pub async fn build(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
) -> Result<Option<Snapshot>, StoreError> {
    let Some(page) = &catalog.status_page else {
        return Ok(None);
    };
    let registered = store.monitors().await?;
    let created: HashMap<MonitorId, Timestamp> =
        registered.iter().map(|m| (m.id, m.created_at)).collect();
    let ids: HashMap<(String, String), MonitorId> = registered
        .into_iter()
        .map(|m| ((m.name.service, m.name.monitor), m.id))
        .collect();
    let states: HashMap<MonitorId, (MonitorState, Timestamp)> = store
        .current_states()
        .await?
        .into_iter()
        .map(|r| (r.event.monitor, (r.event.to, r.event.at)))
        .collect();
    let overrides: HashMap<String, ComponentStatus> = store
        .component_overrides()
        .await?
        .into_iter()
        .filter_map(|o| Some((o.component_id, ComponentStatus::parse(&o.status)?)))
        .collect();
    let records = store.status_incidents(INCIDENTS, None).await?;
    let posted = posted_statuses(&records);
    let incidents: Vec<Incident> = records.into_iter().map(incident).collect();
    let maintenances: Vec<Maintenance> = store
        .maintenances(
            now.checked_sub(MAINTENANCE_BEHIND).unwrap_or(now),
            now.checked_add(MAINTENANCE_AHEAD).unwrap_or(now),
        )
        .await?
        .into_iter()
        .map(maintenance)
        .collect();

    let mut taken = HashSet::new();
    let mut components = Vec::with_capacity(page.components.len());
    for (position, entry) in page.components.iter().enumerate() {
        let id = unique(status::slug(&entry.name), &mut taken);
        let mut healths = Vec::new();
        let mut updated_at = None;
        let mut created_at: Option<Timestamp> = None;
        let mut days: Vec<(u64, u64)> = vec![(0, 0); DAYS as usize];
        let mut day_starts = Vec::new();
        for monitor in &entry.monitors {
            let Some(&monitor_id) = ids.get(&(monitor.service.clone(), monitor.monitor.clone()))
            else {
                healths.push(MonitorHealth::Unknown);
                continue;
            };
            let (state, at) = states
                .get(&monitor_id)
                .copied()
                .unwrap_or((MonitorState::Unknown, now));
            healths.push(health(state));
            if let Some(at) = created.get(&monitor_id) {
                created_at = Some(created_at.map_or(*at, |c| c.min(*at)));
            }
            updated_at = updated_at.max(Some(at));
            let daily = store.daily_availability(monitor_id, DAYS, now).await?;
            for (slot, day) in days.iter_mut().zip(&daily) {
                slot.0 += day.uptime.checks;
                slot.1 += day.uptime.failures;
            }
            if day_starts.is_empty() {
                day_starts = daily.iter().map(|d| d.day).collect();
            }
        }
        if day_starts.is_empty() {
            day_starts = day_starts_ending(now);
        }
        let in_maintenance = maintenances.iter().any(|m| {
            matches!(
                m.status,
                MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
            ) && m.components.contains(&id)
        });
        let derived = status::derive_status(&healths, in_maintenance, overrides.get(&id).copied());
        // What responders posted on an open incident is a floor: the
        // page never reads better than they said (an override still wins).
        let status = match (overrides.get(&id), posted.get(&id)) {
            (None, Some(said)) => derived.max(*said),
            _ => derived,
        };
        let days = day_starts
            .iter()
            .zip(&days)
            .map(|(start, (checks, failures))| Day {
                date: start.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
                uptime: (*checks > 0)
                    .then(|| checks.saturating_sub(*failures) as f64 / *checks as f64),
                incidents: incidents_on(&incidents, &id, *start, now),
            })
            .collect();
        components.push(Component {
            id,
            name: entry.name.clone(),
            group: entry.group.clone(),
            status,
            position: position as u32,
            updated_at: updated_at.unwrap_or(now),
            created_at,
            days,
        });
    }
    let updated_at = components
        .iter()
        .map(|c| c.updated_at)
        .chain(incidents.iter().map(|i| i.updated_at))
        .chain(maintenances.iter().map(|m| m.updated_at))
        .max()
        .unwrap_or(now);
    Ok(Some(Snapshot {
        page: Page {
            id: status::slug(&page.title),
            name: page.title.clone(),
            url: page
                .url
                .as_ref()
                .map(|u| u.as_str().trim_end_matches('/').to_owned()),
            time_zone: page
                .timezone
                .as_ref()
                .and_then(|tz| tz.iana_name().map(str::to_owned))
                .unwrap_or_else(|| "UTC".into()),
            updated_at,
        },
        components,
        incidents,
        maintenances,
        generated_at: now,
    }))
}

/// The component statuses responders set on unresolved public incidents:
/// each incident's latest update that names one, applied to its
/// components (the worst one when several incidents touch a component).
fn posted_statuses(records: &[StatusIncidentRecord]) -> HashMap<String, ComponentStatus> {
    let mut out: HashMap<String, ComponentStatus> = HashMap::new();
    for record in records {
        if IncidentStatus::parse(&record.status).is_none_or(IncidentStatus::is_resolved) {
            continue;
        }
        let Some(said) = record.updates.iter().find_map(|u| {
            u.component_status
                .as_deref()
                .and_then(ComponentStatus::parse)
        }) else {
            continue;
        };
        for component in &record.components {
            let entry = out.entry(component.clone()).or_insert(said);
            *entry = (*entry).max(said);
        }
    }
    out
}

/// `id`, or `id-2`, `id-3`… if taken (two components with similar names).
fn unique(id: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    candidate
}

/// Midnights UTC of the `DAYS` days ending today.
fn day_starts_ending(now: Timestamp) -> Vec<Timestamp> {
    let today = now.as_second().div_euclid(86_400) * 86_400;
    (0..i64::from(DAYS))
        .rev()
        .filter_map(|back| Timestamp::from_second(today - back * 86_400).ok())
        .collect()
}

/// Ids of incidents affecting `component` that were open during the day
/// starting at `start`.
fn incidents_on(
    incidents: &[Incident],
    component: &str,
    start: Timestamp,
    now: Timestamp,
) -> Vec<i64> {
    let end = start + SignedDuration::from_hours(24);
    incidents
        .iter()
        .filter(|i| i.components.iter().any(|c| c == component))
        .filter(|i| i.created_at < end && i.resolved_at.unwrap_or(now) >= start)
        .map(|i| i.id)
        .collect()
}

fn health(state: MonitorState) -> MonitorHealth {
    match state {
        MonitorState::Up => MonitorHealth::Up,
        MonitorState::Down => MonitorHealth::Down,
        MonitorState::Degraded => MonitorHealth::Degraded,
        MonitorState::Paused => MonitorHealth::Paused,
        MonitorState::Unknown => MonitorHealth::Unknown,
    }
}

fn update(record: StatusUpdateRecord) -> Update {
    Update {
        id: record.id,
        status: record.status,
        body: record.body,
        at: record.at,
    }
}

fn incident(record: StatusIncidentRecord) -> Incident {
    Incident {
        id: record.id,
        name: record.name,
        status: IncidentStatus::parse(&record.status).unwrap_or(IncidentStatus::Investigating),
        impact: Impact::parse(&record.impact).unwrap_or(Impact::None),
        created_at: record.created_at,
        updated_at: record.updated_at,
        monitoring_at: record.monitoring_at,
        resolved_at: record.resolved_at,
        components: record.components,
        updates: record.updates.into_iter().map(update).collect(),
    }
}

fn maintenance(record: MaintenanceRecord) -> Maintenance {
    Maintenance {
        id: record.id,
        name: record.name,
        status: MaintenanceStatus::parse(&record.status).unwrap_or(MaintenanceStatus::Scheduled),
        impact: Impact::parse(&record.impact).unwrap_or(Impact::None),
        scheduled_for: record.scheduled_for,
        scheduled_until: record.scheduled_until,
        created_at: record.created_at,
        updated_at: record.updated_at,
        components: record.components,
        updates: record.updates.into_iter().map(update).collect(),
    }
}
