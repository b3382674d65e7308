//! The page as Statuspage's public v2 API (`/api/v2/…`), so tools written
//! for Statuspage (dashboards, chat bots, `statuspage` clients) read
//! Shipshape's page unchanged. Same endpoints, same keys, same value kinds
//! as Statuspage documents them; [`ENDPOINTS`] lists them for the web server
//! and the static export alike.
//!
//! Conventions where Shipshape and Statuspage differ:
//!
//! - **Ids** are strings, as in Statuspage. Components keep their slug id;
//!   a group is a component too (`group: true`, `components: [ids]`) with
//!   the id [`group_id`] (`group-` and the slug of its name). Incidents,
//!   maintenance and updates use their number in decimal (`"2"`), the same
//!   number as in the page's own links (`/incidents/2`, `/maintenance/7`).
//! - **Times** are RFC 3339 in UTC with milliseconds
//!   (`2026-11-30T12:00:00.000Z`), see [`time`].
//! - **What we do not have is `null`**, never made up: tweets, shortlinks,
//!   descriptions, start dates, the per-update component changes
//!   (`affected_components`), a component's creation time when none of its
//!   monitors was registered yet and a group's (`created_at`, which
//!   Statuspage always fills), and the page's `url` when it is not
//!   configured. A component's `created_at` is its oldest monitor's
//!   registration.
//! - `deliver_notifications` is `true`: every posted update is sent to
//!   the page's subscribers and webhooks.
//! - `started_at` is when the incident or maintenance was posted
//!   (`created_at`); an update's `created_at`, `updated_at` and `display_at`
//!   are all when it was posted. A maintenance's `monitoring_at` and
//!   `resolved_at` are when it was first posted as `verifying` and
//!   `completed`. A group's status is the worst of its members'
//!   (maintenance above operational, below any outage).

use serde_json::{Value, json};

use crate::model::{
    Component, ComponentStatus, Incident, Maintenance, MaintenanceStatus, Snapshot, Update, slug,
};
use jiff::Timestamp;

/// At most this many incidents (and maintenances) in the lists, as
/// Statuspage does.
pub const LIMIT: usize = 50;

/// A function rendering one endpoint.
pub type Endpoint = fn(&Snapshot) -> Value;

/// Every endpoint, by path under `/api/v2/`, so the web server and the
/// static export serve the same set.
pub const ENDPOINTS: &[(&str, Endpoint)] = &[
    ("summary.json", summary),
    ("status.json", status),
    ("components.json", components),
    ("incidents.json", incidents),
    ("incidents/unresolved.json", unresolved_incidents),
    ("scheduled-maintenances.json", scheduled_maintenances),
    (
        "scheduled-maintenances/upcoming.json",
        upcoming_maintenances,
    ),
    ("scheduled-maintenances/active.json", active_maintenances),
];

/// A time as Statuspage writes it: RFC 3339 with milliseconds, here always
/// in UTC (`2026-11-30T12:00:00.000Z`).
pub fn time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The id of the group component for a group name: `group-` and the
/// [`slug`] of the name (`"Public services"` → `group-public-services`).
pub fn group_id(name: &str) -> String {
    format!("group-{}", slug(name))
}

/// `summary.json`: the page, its components (groups included), the
/// unresolved incidents, maintenance in progress or upcoming, and the
/// overall status.
pub fn summary(snapshot: &Snapshot) -> Value {
    let maintenances: Vec<Value> = snapshot
        .maintenances
        .iter()
        .filter(|m| is_active_or_upcoming(m))
        .map(|m| maintenance(snapshot, m))
        .collect();
    json!({
        "page": page(snapshot),
        "components": component_list(snapshot),
        "incidents": snapshot.unresolved().map(|i| incident(snapshot, i)).collect::<Vec<_>>(),
        "scheduled_maintenances": maintenances,
        "status": status_object(snapshot),
    })
}

/// `status.json`: the page and its overall indicator and description.
pub fn status(snapshot: &Snapshot) -> Value {
    json!({ "page": page(snapshot), "status": status_object(snapshot) })
}

/// `components.json`: the page and its components, groups included.
pub fn components(snapshot: &Snapshot) -> Value {
    json!({ "page": page(snapshot), "components": component_list(snapshot) })
}

/// `incidents.json`: the [`LIMIT`] newest incidents, resolved or not,
/// newest first.
pub fn incidents(snapshot: &Snapshot) -> Value {
    let mut list: Vec<&Incident> = snapshot.incidents.iter().collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    list.truncate(LIMIT);
    incident_list(snapshot, list)
}

/// `incidents/unresolved.json`: incidents not yet resolved, newest first.
pub fn unresolved_incidents(snapshot: &Snapshot) -> Value {
    let mut list: Vec<&Incident> = snapshot.unresolved().collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    list.truncate(LIMIT);
    incident_list(snapshot, list)
}

/// `scheduled-maintenances.json`: the [`LIMIT`] latest maintenances in any
/// state, latest start first.
pub fn scheduled_maintenances(snapshot: &Snapshot) -> Value {
    let mut list: Vec<&Maintenance> = snapshot.maintenances.iter().collect();
    list.sort_by(|a, b| b.scheduled_for.cmp(&a.scheduled_for).then(b.id.cmp(&a.id)));
    list.truncate(LIMIT);
    maintenance_list(snapshot, list)
}

/// `scheduled-maintenances/upcoming.json`: maintenance announced and not
/// started, soonest first.
pub fn upcoming_maintenances(snapshot: &Snapshot) -> Value {
    maintenance_list(snapshot, snapshot.upcoming_maintenances().collect())
}

/// `scheduled-maintenances/active.json`: maintenance in progress or
/// verifying, soonest first.
pub fn active_maintenances(snapshot: &Snapshot) -> Value {
    maintenance_list(snapshot, snapshot.active_maintenances().collect())
}

fn is_active_or_upcoming(m: &Maintenance) -> bool {
    matches!(
        m.status,
        MaintenanceStatus::Scheduled | MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
    )
}

fn page(snapshot: &Snapshot) -> Value {
    let page = &snapshot.page;
    json!({
        "id": page.id,
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "updated_at": time(page.updated_at),
    })
}

fn status_object(snapshot: &Snapshot) -> Value {
    let (indicator, description) = snapshot.indicator();
    json!({ "indicator": indicator.as_str(), "description": description })
}

fn incident_list(snapshot: &Snapshot, list: Vec<&Incident>) -> Value {
    json!({
        "page": page(snapshot),
        "incidents": list.into_iter().map(|i| incident(snapshot, i)).collect::<Vec<_>>(),
    })
}

fn maintenance_list(snapshot: &Snapshot, list: Vec<&Maintenance>) -> Value {
    json!({
        "page": page(snapshot),
        "scheduled_maintenances": list
            .into_iter()
            .map(|m| maintenance(snapshot, m))
            .collect::<Vec<_>>(),
    })
}

/// The components in page order, each group inserted just before its first
/// member.
fn component_list(snapshot: &Snapshot) -> Vec<Value> {
    let mut out = Vec::new();
    let mut groups_done: Vec<&str> = Vec::new();
    for c in &snapshot.components {
        if let Some(group) = c.group.as_deref()
            && !groups_done.contains(&group)
        {
            groups_done.push(group);
            out.push(group_component(snapshot, group));
        }
        out.push(component(snapshot, c));
    }
    out
}

fn component(snapshot: &Snapshot, c: &Component) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "status": c.status.as_str(),
        "created_at": c.created_at.map(time),
        "updated_at": time(c.updated_at),
        "position": c.position,
        "description": null,
        "showcase": !c.days.is_empty(),
        "start_date": null,
        "group_id": c.group.as_deref().map(group_id),
        "page_id": snapshot.page.id,
        "group": false,
        "only_show_if_degraded": false,
    })
}

/// A group as Statuspage shows it: a component with `group: true`, the
/// worst status of its members, the latest of their `updated_at` and the
/// position of its first member.
fn group_component(snapshot: &Snapshot, group: &str) -> Value {
    let members: Vec<&Component> = snapshot
        .components
        .iter()
        .filter(|c| c.group.as_deref() == Some(group))
        .collect();
    let status = members
        .iter()
        .map(|c| c.status)
        .max_by_key(|s| severity(*s))
        .unwrap_or(ComponentStatus::Operational);
    let updated_at = members.iter().map(|c| c.updated_at).max();
    let position = members.iter().map(|c| c.position).min();
    json!({
        "id": group_id(group),
        "name": group,
        "status": status.as_str(),
        "created_at": null,
        "updated_at": updated_at.map(time),
        "position": position,
        "description": null,
        "showcase": false,
        "start_date": null,
        "group_id": null,
        "page_id": snapshot.page.id,
        "group": true,
        "only_show_if_degraded": false,
        "components": members.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
    })
}

/// How bad a status is for a group: maintenance ranks above operational
/// and below every outage.
fn severity(status: ComponentStatus) -> u8 {
    match status {
        ComponentStatus::Operational => 0,
        ComponentStatus::UnderMaintenance => 1,
        ComponentStatus::DegradedPerformance => 2,
        ComponentStatus::PartialOutage => 3,
        ComponentStatus::MajorOutage => 4,
    }
}

fn affected(snapshot: &Snapshot, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .filter_map(|id| snapshot.component(id))
        .map(|c| component(snapshot, c))
        .collect()
}

fn update(u: &Update, parent: i64) -> Value {
    let at = time(u.at);
    json!({
        "id": u.id.to_string(),
        "status": u.status,
        "body": u.body,
        "incident_id": parent.to_string(),
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": null,
        "deliver_notifications": true,
        "custom_tweet": null,
        "tweet_id": null,
    })
}

fn incident(snapshot: &Snapshot, i: &Incident) -> Value {
    json!({
        "id": i.id.to_string(),
        "name": i.name,
        "status": i.status.as_str(),
        "created_at": time(i.created_at),
        "updated_at": time(i.updated_at),
        "monitoring_at": i.monitoring_at.map(time),
        "resolved_at": i.resolved_at.map(time),
        "impact": i.impact.as_str(),
        "shortlink": null,
        "started_at": time(i.created_at),
        "page_id": snapshot.page.id,
        "incident_updates": i.updates.iter().map(|u| update(u, i.id)).collect::<Vec<_>>(),
        "components": affected(snapshot, &i.components),
    })
}

fn maintenance(snapshot: &Snapshot, m: &Maintenance) -> Value {
    // Statuspage's `monitoring_at` and `resolved_at` for maintenance: when
    // it was first posted as verifying and as completed, if it was.
    let first_posted = |status: MaintenanceStatus| {
        m.updates
            .iter()
            .rev()
            .find(|u| u.status == status.as_str())
            .map(|u| time(u.at))
    };
    json!({
        "id": m.id.to_string(),
        "name": m.name,
        "status": m.status.as_str(),
        "created_at": time(m.created_at),
        "updated_at": time(m.updated_at),
        "monitoring_at": first_posted(MaintenanceStatus::Verifying),
        "resolved_at": first_posted(MaintenanceStatus::Completed),
        "impact": m.impact.as_str(),
        "shortlink": null,
        "started_at": time(m.created_at),
        "page_id": snapshot.page.id,
        "incident_updates": m.updates.iter().map(|u| update(u, m.id)).collect::<Vec<_>>(),
        "components": affected(snapshot, &m.components),
        "scheduled_for": time(m.scheduled_for),
        "scheduled_until": time(m.scheduled_until),
    })
}

/// Where Statuspage documents its webhook payloads; sent in `meta`.
const WEBHOOK_DOCUMENTATION: &str =
    "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/";

/// The `page` object of a webhook payload: the page and its indicator.
fn webhook_page(snapshot: &Snapshot) -> Value {
    let (indicator, description) = snapshot.indicator();
    json!({
        "id": snapshot.page.id,
        "status_indicator": indicator.as_str(),
        "status_description": description,
    })
}

/// A Statuspage-style "incident update" webhook payload for public
/// incident `id`: `meta`, `page` (with the indicator) and the `incident`
/// with its `incident_updates`; `None` if the snapshot does not hold it.
pub fn webhook_incident(snapshot: &Snapshot, id: i64) -> Option<Value> {
    let found = snapshot.incidents.iter().find(|i| i.id == id)?;
    Some(json!({
        "meta": { "unsubscribe": null, "documentation": WEBHOOK_DOCUMENTATION },
        "page": webhook_page(snapshot),
        "incident": incident(snapshot, found),
    }))
}

/// The same for maintenance `id` (Statuspage sends maintenance as an
/// incident carrying `scheduled_for`/`scheduled_until`).
pub fn webhook_maintenance(snapshot: &Snapshot, id: i64) -> Option<Value> {
    let found = snapshot.maintenances.iter().find(|m| m.id == id)?;
    Some(json!({
        "meta": { "unsubscribe": null, "documentation": WEBHOOK_DOCUMENTATION },
        "page": webhook_page(snapshot),
        "incident": maintenance(snapshot, found),
    }))
}

/// A Statuspage-style "component update" webhook payload: component `id`
/// went from `old` to its status in `snapshot` at `at`.
pub fn webhook_component_update(
    snapshot: &Snapshot,
    id: &str,
    old: crate::ComponentStatus,
    at: Timestamp,
) -> Option<Value> {
    let found = snapshot.components.iter().find(|c| c.id == id)?;
    Some(json!({
        "meta": { "unsubscribe": null, "documentation": WEBHOOK_DOCUMENTATION },
        "page": webhook_page(snapshot),
        "component_update": {
            "created_at": time(at),
            "new_status": found.status.as_str(),
            "old_status": old.as_str(),
            "id": format!("{}-{}", found.id, at.as_millisecond()),
            "component_id": found.id,
        },
        "component": component(snapshot, found),
    }))
}
