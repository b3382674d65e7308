//! The responders' side of the public status page: what they tell the
//! public, under "Status page" in the navigation.
//!
//! - `GET /status-page`: the catalog's `[status_page]` components with
//!   their manual override and a form to set or clear it; the public
//!   incidents not yet resolved and the "Post an incident" form; upcoming
//!   and in-progress maintenance and the "Schedule maintenance" form; the
//!   last resolved public incidents. A link to the public page, `/status`.
//! - `GET /status-page/incidents/{id}`: one public incident, its updates and
//!   the form to post an update; `GET /status-page/maintenance/{id}`: one
//!   maintenance, its updates, the form to update it and a Cancel button.
//! - `GET /status-page/publish?from_incident={id}`: the "Post an incident"
//!   form prefilled from an alerting incident with public words only (the
//!   catalog service's name, never alert summaries, monitor names or URLs).
//! - Forms post and redirect back with a flash (`?flash=`); a form with a
//!   problem is shown again, 400, with its input kept.
//! - The JSON API under `/api/v1/status/…` (see `api.rs`); status
//!   webhooks, responders only, under `/api/v1/status/webhooks`
//!   (`webhooks.rs`).
//!
//! Every write is audited (`status.incident.create`, …) and then reported
//! by [`changed`]; posting or updating a public incident and scheduling or
//! updating a maintenance also emails the page's confirmed subscribers
//! (`notify_subscribers`, failures only logged); so the paging engine and the status page pick it up at
//! once. The store keeps text; the vocabulary (statuses, impacts,
//! component statuses, component ids as [`slug`]s of the catalog's
//! component names) is `shipshape_status`'s, checked here.
//!
//! Files: this one holds the routes, validation and the writes; `api.rs`
//! the JSON; `page.rs` the HTML pages and forms.

mod api;
mod page;
mod webhooks;

use jiff::Timestamp;
use serde::Serialize;
use shipshape_catalog::Catalog;
use shipshape_status::{ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, slug};
use shipshape_store::{
    MaintenanceRecord, NewMaintenance, NewStatusIncident, NewStatusUpdate, Role,
    StatusIncidentRecord, StatusUpdateRecord, StoreError,
};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::Actor;
use crate::client::ClientInfo;
use crate::error::{ApiError, FormField, invalid};
use crate::state::AppState;

/// Longest title, in characters.
pub(super) const MAX_TITLE_CHARS: usize = 200;
/// Longest message, in characters.
pub(super) const MAX_MESSAGE_CHARS: usize = 5000;
/// Longest override note, in characters.
pub(super) const MAX_NOTE_CHARS: usize = 500;
/// The impact of a maintenance unless another is given.
pub(super) const MAINTENANCE_IMPACT: &str = "maintenance";

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    routes
        .get("/status-page", viewer, page::overview_page)
        .get("/status-page/publish", responder, page::publish_page)
        .post(
            "/status-page/incidents",
            responder,
            page::create_incident_form,
        )
        .get("/status-page/incidents/{id}", viewer, page::incident_page)
        .post(
            "/status-page/incidents/{id}/updates",
            responder,
            page::update_incident_form,
        )
        .post(
            "/status-page/maintenance",
            responder,
            page::schedule_maintenance_form,
        )
        .get(
            "/status-page/maintenance/{id}",
            viewer,
            page::maintenance_page,
        )
        .post(
            "/status-page/maintenance/{id}/updates",
            responder,
            page::update_maintenance_form,
        )
        .post(
            "/status-page/maintenance/{id}/cancel",
            responder,
            page::cancel_maintenance_form,
        )
        .post(
            "/status-page/components/{id}/override",
            responder,
            page::set_override_form,
        )
        .post(
            "/status-page/components/{id}/override/clear",
            responder,
            page::clear_override_form,
        )
        .get("/api/v1/status/incidents", viewer, api::incidents_api)
        .post(
            "/api/v1/status/incidents",
            responder,
            api::create_incident_api,
        )
        .get("/api/v1/status/incidents/{id}", viewer, api::incident_api)
        .post(
            "/api/v1/status/incidents/{id}/updates",
            responder,
            api::update_incident_api,
        )
        .get("/api/v1/status/maintenances", viewer, api::maintenances_api)
        .post(
            "/api/v1/status/maintenances",
            responder,
            api::schedule_maintenance_api,
        )
        .get(
            "/api/v1/status/maintenances/{id}",
            viewer,
            api::maintenance_api,
        )
        .post(
            "/api/v1/status/maintenances/{id}/updates",
            responder,
            api::update_maintenance_api,
        )
        .delete(
            "/api/v1/status/maintenances/{id}",
            responder,
            api::cancel_maintenance_api,
        )
        .put(
            "/api/v1/status/components/{id}/override",
            responder,
            api::set_override_api,
        )
        .delete(
            "/api/v1/status/components/{id}/override",
            responder,
            api::clear_override_api,
        )
        .get("/api/v1/status/components", viewer, api::components_api)
        .get("/api/v1/status/webhooks", responder, webhooks::webhooks_api)
        .post(
            "/api/v1/status/webhooks",
            responder,
            webhooks::create_webhook_api,
        )
        .delete(
            "/api/v1/status/webhooks/{id}",
            responder,
            webhooks::remove_webhook_api,
        )
}

// ---------------------------------------------------------------------------
// After a write

/// Tells whoever cares that what the public sees changed: the paging
/// engine is woken, and the public page is rebuilt and re-published
/// ([`AppState::status_changed`]). Every successful write of this area
/// ends here.
pub(super) fn changed(state: &AppState) {
    state.wake_pager();
    state.status_changed();
}

/// What a subscriber notice is about.
#[derive(Debug, Clone, Copy)]
enum Notify {
    /// Public incident `0`, its update `1`.
    Incident(i64, i64),
    /// Maintenance `0`, its update `1`.
    Maintenance(i64, i64),
}

/// Enqueues the email notices of a new public update for the status
/// page's subscribers (`shipshape_pager::subscriptions`); a failure is
/// logged and never fails the responder's request.
async fn notify_subscribers(state: &AppState, about: Notify) {
    use shipshape_pager::subscriptions::{notify_incident_update, notify_maintenance};
    let catalog = state.catalog();
    let now = state.now();
    let result = match about {
        Notify::Incident(id, update) => {
            notify_incident_update(&state.store, &catalog, id, update, now).await
        }
        Notify::Maintenance(id, update) => {
            notify_maintenance(&state.store, &catalog, id, update, now).await
        }
    };
    match result {
        Ok(0) => {}
        Ok(_) => state.wake_pager(),
        Err(error) => tracing::warn!(%error, ?about, "could not notify status subscribers"),
    }
}

// ---------------------------------------------------------------------------
// Components

/// A component of the catalog's status page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct ComponentInfo {
    /// `slug(name)`.
    pub(super) id: String,
    pub(super) name: String,
    pub(super) group: Option<String>,
    /// Ids of the catalog services whose monitors back it (internal).
    #[serde(skip)]
    pub(super) services: Vec<String>,
}

/// The components of the catalog's `[status_page]`, in page order; `None`
/// if the catalog has no status page.
pub(super) fn components(catalog: &Catalog) -> Option<Vec<ComponentInfo>> {
    let page = catalog.status_page.as_ref()?;
    Some(
        page.components
            .iter()
            .map(|c| {
                let mut services: Vec<String> =
                    c.monitors.iter().map(|m| m.service.clone()).collect();
                services.sort();
                services.dedup();
                ComponentInfo {
                    id: slug(&c.name),
                    name: c.name.clone(),
                    group: c.group.clone(),
                    services,
                }
            })
            .collect(),
    )
}

/// The name of component `id`, or the id itself if the catalog dropped it.
pub(super) fn component_name<'a>(components: &'a [ComponentInfo], id: &'a str) -> &'a str {
    components
        .iter()
        .find(|c| c.id == id)
        .map_or(id, |c| c.name.as_str())
}

// ---------------------------------------------------------------------------
// Validation

/// A field of what responders send, named as the API names it and as the
/// forms label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Name,
    Status,
    Impact,
    Components,
    ComponentStatus,
    Message,
    AlertIncident,
    ScheduledFor,
    ScheduledUntil,
    Note,
}

impl FormField for Field {
    fn api_name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Status => "status",
            Field::Impact => "impact",
            Field::Components => "components",
            Field::ComponentStatus => "component_status",
            Field::Message => "message",
            Field::AlertIncident => "alert_incident",
            Field::ScheduledFor => "scheduled_for",
            Field::ScheduledUntil => "scheduled_until",
            Field::Note => "note",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Name => "Title",
            Field::Status => "Status",
            Field::Impact => "Impact",
            Field::Components => "Affected components",
            Field::ComponentStatus => "Component status",
            Field::Message => "Message",
            Field::AlertIncident => "Alerting incident",
            Field::ScheduledFor => "From",
            Field::ScheduledUntil => "Until",
            Field::Note => "Note",
        }
    }
}

/// What is wrong with what was sent, and in which field.
pub(super) type Invalid = crate::error::Invalid<Field>;

/// Trimmed text of 1 to `max` characters.
fn bounded(field: Field, text: &str, max: usize) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "required; it is empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(invalid(
            field,
            format!("{chars} characters; at most {max} are accepted"),
        ));
    }
    Ok(text.to_owned())
}

/// A title: 1 to [`MAX_TITLE_CHARS`] characters.
pub(super) fn valid_name(text: &str) -> Result<String, Invalid> {
    bounded(Field::Name, text, MAX_TITLE_CHARS)
}

/// A message: 1 to [`MAX_MESSAGE_CHARS`] characters.
pub(super) fn valid_message(text: &str) -> Result<String, Invalid> {
    bounded(Field::Message, text, MAX_MESSAGE_CHARS)
}

fn names<T>(all: impl IntoIterator<Item = T>, name: fn(T) -> &'static str) -> String {
    all.into_iter().map(name).collect::<Vec<_>>().join(", ")
}

/// One of `all` by its name (`what` names the kind in the error).
fn one_of<T: Copy>(
    field: Field,
    what: &str,
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, Invalid> {
    let text = text.trim();
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| {
            invalid(
                field,
                format!(
                    "unknown {what} {text:?}; expected one of {}",
                    names(all.iter().copied(), name)
                ),
            )
        })
}

/// An incident status name.
pub(super) fn valid_status(text: &str) -> Result<IncidentStatus, Invalid> {
    one_of(
        Field::Status,
        "status",
        text,
        &IncidentStatus::ALL,
        IncidentStatus::as_str,
    )
}

/// An impact name.
pub(super) fn valid_impact(text: &str) -> Result<Impact, Invalid> {
    one_of(Field::Impact, "impact", text, &Impact::ALL, Impact::as_str)
}

/// A maintenance's impact: [`MAINTENANCE_IMPACT`] (the default, when
/// empty) or an incident impact.
pub(super) fn valid_maintenance_impact(text: Option<&str>) -> Result<String, Invalid> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None | Some(MAINTENANCE_IMPACT) => Ok(MAINTENANCE_IMPACT.to_owned()),
        Some(other) => valid_impact(other)
            .map(|i| i.as_str().to_owned())
            .map_err(|_| {
                invalid(
                    Field::Impact,
                    format!(
                        "unknown impact {other:?}; expected one of {MAINTENANCE_IMPACT}, {}",
                        names(Impact::ALL, Impact::as_str)
                    ),
                )
            }),
    }
}

/// An optional component status (empty is none).
pub(super) fn valid_component_status(
    field: Field,
    text: Option<&str>,
) -> Result<Option<ComponentStatus>, Invalid> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => one_of(
            field,
            "component status",
            text,
            &ComponentStatus::ALL,
            ComponentStatus::as_str,
        )
        .map(Some),
    }
}

/// A maintenance status name.
pub(super) fn valid_maintenance_status(text: &str) -> Result<MaintenanceStatus, Invalid> {
    const ALL: [MaintenanceStatus; 4] = [
        MaintenanceStatus::Scheduled,
        MaintenanceStatus::InProgress,
        MaintenanceStatus::Verifying,
        MaintenanceStatus::Completed,
    ];
    one_of(
        Field::Status,
        "status",
        text,
        &ALL,
        MaintenanceStatus::as_str,
    )
}

/// Component ids, each one of the catalog's status page; deduplicated in
/// the order given.
pub(super) fn valid_components(
    known: &[ComponentInfo],
    ids: &[String],
) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim();
        if id.is_empty() {
            continue;
        }
        if !known.iter().any(|c| c.id == id) {
            let expected = if known.is_empty() {
                "the catalog has no `[status_page]` components".to_owned()
            } else {
                format!(
                    "expected one of {}",
                    known
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(invalid(
                Field::Components,
                format!("unknown component {id:?}; {expected}"),
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

/// An optional override note: at most [`MAX_NOTE_CHARS`] characters.
pub(super) fn valid_note(text: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let chars = text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(invalid(
            Field::Note,
            format!("{chars} characters; at most {MAX_NOTE_CHARS} are accepted"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A new public incident as sent, before checking.
#[derive(Debug, Default, Clone)]
pub(super) struct IncidentDraft {
    pub(super) name: String,
    pub(super) status: String,
    pub(super) impact: String,
    pub(super) components: Vec<String>,
    pub(super) component_status: Option<String>,
    pub(super) message: String,
    pub(super) alert_incident: Option<i64>,
}

/// Checks a draft against the catalog; what the store keeps.
pub(super) fn build_incident(
    known: &[ComponentInfo],
    draft: &IncidentDraft,
    created_by: &str,
    at: Timestamp,
) -> Result<NewStatusIncident, Invalid> {
    let name = valid_name(&draft.name)?;
    let status = valid_status(&draft.status)?;
    let impact = valid_impact(&draft.impact)?;
    let components = valid_components(known, &draft.components)?;
    let component_status =
        valid_component_status(Field::ComponentStatus, draft.component_status.as_deref())?;
    let message = valid_message(&draft.message)?;
    Ok(NewStatusIncident {
        name,
        status: status.as_str().to_owned(),
        impact: impact.as_str().to_owned(),
        components,
        message,
        component_status: component_status.map(|s| s.as_str().to_owned()),
        created_by: created_by.to_owned(),
        at,
        alert_incident: draft.alert_incident,
    })
}

/// An update of a public incident as sent, before checking.
#[derive(Debug, Default, Clone)]
pub(super) struct UpdateDraft {
    pub(super) status: String,
    pub(super) message: String,
    pub(super) component_status: Option<String>,
    pub(super) components: Option<Vec<String>>,
    pub(super) impact: Option<String>,
}

/// Checks an update; what the store keeps.
pub(super) fn build_update(
    known: &[ComponentInfo],
    draft: &UpdateDraft,
    created_by: &str,
    at: Timestamp,
) -> Result<NewStatusUpdate, Invalid> {
    let status = valid_status(&draft.status)?;
    let message = valid_message(&draft.message)?;
    let component_status =
        valid_component_status(Field::ComponentStatus, draft.component_status.as_deref())?;
    let components = draft
        .components
        .as_deref()
        .map(|ids| valid_components(known, ids))
        .transpose()?;
    let impact = draft
        .impact
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(valid_impact)
        .transpose()?;
    Ok(NewStatusUpdate {
        status: status.as_str().to_owned(),
        message,
        component_status: component_status.map(|s| s.as_str().to_owned()),
        components,
        impact: impact.map(|i| i.as_str().to_owned()),
        created_by: created_by.to_owned(),
        at,
    })
}

/// A new maintenance as sent, its times already read.
#[derive(Debug, Default, Clone)]
pub(super) struct MaintenanceDraft {
    pub(super) name: String,
    pub(super) components: Vec<String>,
    pub(super) scheduled_for: Option<Timestamp>,
    pub(super) scheduled_until: Option<Timestamp>,
    pub(super) impact: Option<String>,
    pub(super) message: String,
}

/// Checks a maintenance; what the store keeps.
pub(super) fn build_maintenance(
    known: &[ComponentInfo],
    draft: &MaintenanceDraft,
    created_by: &str,
    now: Timestamp,
) -> Result<NewMaintenance, Invalid> {
    let name = valid_name(&draft.name)?;
    let components = valid_components(known, &draft.components)?;
    let scheduled_for = draft
        .scheduled_for
        .ok_or_else(|| invalid(Field::ScheduledFor, "required: when the maintenance starts"))?;
    let scheduled_until = draft
        .scheduled_until
        .ok_or_else(|| invalid(Field::ScheduledUntil, "required: when the maintenance ends"))?;
    if scheduled_until <= scheduled_for {
        return Err(invalid(
            Field::ScheduledUntil,
            format!(
                "the maintenance must end after it starts ({} is not after {})",
                crate::pages::when(scheduled_until),
                crate::pages::when(scheduled_for)
            ),
        ));
    }
    if scheduled_until <= now {
        return Err(invalid(
            Field::ScheduledUntil,
            format!(
                "{} is in the past: announce only maintenance still to come or under way",
                crate::pages::when(scheduled_until)
            ),
        ));
    }
    let impact = valid_maintenance_impact(draft.impact.as_deref())?;
    let message = valid_message(&draft.message)?;
    Ok(NewMaintenance {
        name,
        impact,
        components,
        scheduled_for,
        scheduled_until,
        message,
        created_by: created_by.to_owned(),
        at: now,
    })
}

/// An RFC 3339 time of the API.
pub(super) fn api_time(field: Field, text: Option<&str>) -> Result<Option<Timestamp>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.parse::<Timestamp>().map(Some).map_err(|_| {
        invalid(
            field,
            format!("{text:?} is not an RFC 3339 time such as \"2026-11-30T09:00:00Z\""),
        )
    })
}

/// A time from a form: a `datetime-local` value read in UTC
/// (`2026-11-30T10:00`), or a time with its own offset.
pub(super) fn form_time(field: Field, text: &str) -> Result<Option<Timestamp>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(Some(at));
    }
    let civil = text.parse::<jiff::civil::DateTime>().map_err(|_| {
        invalid(
            field,
            format!("{text:?} is not a date and time such as \"2026-11-30T10:00\" (UTC)"),
        )
    })?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .map(Some)
        .map_err(|e| invalid(field, format!("{text:?}: {e}")))
}

// ---------------------------------------------------------------------------
// Views

/// An update as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct UpdateView {
    pub(super) id: i64,
    pub(super) status: String,
    pub(super) message: String,
    pub(super) component_status: Option<String>,
    pub(super) created_by: String,
    pub(super) at: Timestamp,
}

impl From<StatusUpdateRecord> for UpdateView {
    fn from(update: StatusUpdateRecord) -> Self {
        Self {
            id: update.id,
            status: update.status,
            message: update.body,
            component_status: update.component_status,
            created_by: update.created_by,
            at: update.at,
        }
    }
}

/// A public incident as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct IncidentView {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) status: String,
    pub(super) impact: String,
    pub(super) components: Vec<String>,
    pub(super) created_at: Timestamp,
    pub(super) updated_at: Timestamp,
    pub(super) monitoring_at: Option<Timestamp>,
    pub(super) resolved_at: Option<Timestamp>,
    pub(super) created_by: String,
    pub(super) alert_incident: Option<i64>,
    /// Newest first.
    pub(super) updates: Vec<UpdateView>,
}

impl From<StatusIncidentRecord> for IncidentView {
    fn from(record: StatusIncidentRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            status: record.status,
            impact: record.impact,
            components: record.components,
            created_at: record.created_at,
            updated_at: record.updated_at,
            monitoring_at: record.monitoring_at,
            resolved_at: record.resolved_at,
            created_by: record.created_by,
            alert_incident: record.alert_incident,
            updates: record.updates.into_iter().map(UpdateView::from).collect(),
        }
    }
}

/// A maintenance as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct MaintenanceView {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) status: String,
    pub(super) impact: String,
    pub(super) components: Vec<String>,
    pub(super) scheduled_for: Timestamp,
    pub(super) scheduled_until: Timestamp,
    pub(super) created_at: Timestamp,
    pub(super) updated_at: Timestamp,
    pub(super) created_by: String,
    pub(super) cancelled_at: Option<Timestamp>,
    /// Newest first.
    pub(super) updates: Vec<UpdateView>,
}

impl From<MaintenanceRecord> for MaintenanceView {
    fn from(record: MaintenanceRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            status: record.status,
            impact: record.impact,
            components: record.components,
            scheduled_for: record.scheduled_for,
            scheduled_until: record.scheduled_until,
            created_at: record.created_at,
            updated_at: record.updated_at,
            created_by: record.created_by,
            cancelled_at: record.cancelled_at,
            updates: record.updates.into_iter().map(UpdateView::from).collect(),
        }
    }
}

/// The label of an incident status name (the name itself if unknown).
pub(super) fn incident_status_label(name: &str) -> &str {
    IncidentStatus::parse(name).map_or(name, |s| s.label())
}

/// The label of a maintenance status name.
pub(super) fn maintenance_status_label(name: &str) -> &str {
    MaintenanceStatus::parse(name).map_or(name, |s| s.label())
}

/// The label of a component status name.
pub(super) fn component_status_label(name: &str) -> &str {
    ComponentStatus::parse(name).map_or(name, |s| s.label())
}

// ---------------------------------------------------------------------------
// Writes

fn missing_incident(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "no public incident #{id}; see /status-page for the list"
    ))
}

fn missing_maintenance(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "no maintenance #{id}; see /status-page for the list"
    ))
}

fn missing_component(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no status page component {id:?}; the components are the catalog's `[status_page] components`"
    ))
}

/// Public incident `id`, or 404.
pub(super) async fn load_incident(
    state: &AppState,
    id: i64,
) -> Result<StatusIncidentRecord, ApiError> {
    state
        .store
        .status_incident(id)
        .await?
        .ok_or_else(|| missing_incident(id))
}

/// Maintenance `id`, or 404.
pub(super) async fn load_maintenance(
    state: &AppState,
    id: i64,
) -> Result<MaintenanceRecord, ApiError> {
    state
        .store
        .maintenance(id)
        .await?
        .ok_or_else(|| missing_maintenance(id))
}

/// Store errors of a write: what the store rejects is the caller's
/// problem (400), a missing row 404.
fn write_error(error: StoreError) -> ApiError {
    match error {
        StoreError::InvalidInput(message) => ApiError::bad_request(message),
        StoreError::NotFound(message) => ApiError::not_found(message),
        other => other.into(),
    }
}

/// Checks the alerting incident a draft names: it must exist and not be
/// published yet (409 naming the public incident if it is).
async fn check_alert_incident(state: &AppState, alert: Option<i64>) -> Result<(), ApiError> {
    let Some(id) = alert else {
        return Ok(());
    };
    if state.store.incident(id).await?.is_none() {
        return Err(invalid(Field::AlertIncident, format!("no alerting incident #{id}")).into());
    }
    if let Some(published) = state.store.status_incident_for_alert(id).await? {
        return Err(ApiError::conflict(format!(
            "alerting incident #{id} is already published as public incident #{}: /status-page/incidents/{}",
            published.id, published.id
        )));
    }
    Ok(())
}

/// Publishes `incident`; audited; returns it as stored.
pub(super) async fn create_incident(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    incident: &NewStatusIncident,
) -> Result<StatusIncidentRecord, ApiError> {
    check_alert_incident(state, incident.alert_incident).await?;
    let id = state
        .store
        .create_status_incident(incident)
        .await
        .map_err(write_error)?;
    let detail = match incident.alert_incident {
        Some(alert) => format!(
            "{} ({}) from incident:{alert}",
            incident.status, incident.impact
        ),
        None => format!("{} ({})", incident.status, incident.impact),
    };
    audit::record(
        state,
        client,
        &actor.display,
        "status.incident.create",
        &format!("status-incident:{id}"),
        &detail,
    )
    .await;
    changed(state);
    let record = load_incident(state, id).await?;
    if let Some(update) = record.updates.first() {
        notify_subscribers(state, Notify::Incident(id, update.id)).await;
    }
    Ok(record)
}

/// Appends `update` to public incident `id`; audited; returns it now.
pub(super) async fn update_incident(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
    update: &NewStatusUpdate,
) -> Result<StatusIncidentRecord, ApiError> {
    load_incident(state, id).await?;
    let record = state
        .store
        .update_status_incident(id, update)
        .await
        .map_err(|error| match error {
            StoreError::NotFound(_) => missing_incident(id),
            other => write_error(other),
        })?;
    audit::record(
        state,
        client,
        &actor.display,
        "status.incident.update",
        &format!("status-incident:{id}"),
        &update.status,
    )
    .await;
    changed(state);
    if let Some(update) = record.updates.first() {
        notify_subscribers(state, Notify::Incident(id, update.id)).await;
    }
    Ok(record)
}

/// Schedules `maintenance`; audited; returns it as stored.
pub(super) async fn schedule_maintenance(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    maintenance: &NewMaintenance,
) -> Result<MaintenanceRecord, ApiError> {
    let id = state
        .store
        .schedule_maintenance(maintenance)
        .await
        .map_err(write_error)?;
    audit::record(
        state,
        client,
        &actor.display,
        "status.maintenance.schedule",
        &format!("maintenance:{id}"),
        &format!(
            "from {} until {}",
            crate::pages::when(maintenance.scheduled_for),
            crate::pages::when(maintenance.scheduled_until)
        ),
    )
    .await;
    changed(state);
    let record = load_maintenance(state, id).await?;
    if let Some(update) = record.updates.first() {
        notify_subscribers(state, Notify::Maintenance(id, update.id)).await;
    }
    Ok(record)
}

/// Why maintenance `record` cannot change any more, if it cannot.
pub(super) fn maintenance_over(record: &MaintenanceRecord) -> Option<String> {
    if let Some(at) = record.cancelled_at {
        return Some(format!(
            "maintenance #{} was cancelled at {}",
            record.id,
            crate::pages::when(at)
        ));
    }
    (record.status == MaintenanceStatus::Completed.as_str())
        .then(|| format!("maintenance #{} is already completed", record.id))
}

/// Moves maintenance `id` to `status` with `message`; 409 if cancelled;
/// audited; returns it now.
pub(super) async fn update_maintenance(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
    status: MaintenanceStatus,
    message: &str,
) -> Result<MaintenanceRecord, ApiError> {
    let record = load_maintenance(state, id).await?;
    if let Some(at) = record.cancelled_at {
        return Err(ApiError::conflict(format!(
            "maintenance #{id} was cancelled at {}; it cannot be updated",
            crate::pages::when(at)
        )));
    }
    let record = state
        .store
        .update_maintenance(id, status.as_str(), message, &actor.display, state.now())
        .await
        .map_err(|error| match error {
            StoreError::NotFound(_) => missing_maintenance(id),
            StoreError::InvalidInput(message) => ApiError::conflict(message),
            other => other.into(),
        })?;
    audit::record(
        state,
        client,
        &actor.display,
        "status.maintenance.update",
        &format!("maintenance:{id}"),
        status.as_str(),
    )
    .await;
    changed(state);
    if let Some(update) = record.updates.first() {
        notify_subscribers(state, Notify::Maintenance(id, update.id)).await;
    }
    Ok(record)
}

/// Cancels maintenance `id`: 404 if missing, 409 if already cancelled or
/// completed. Audited.
pub(super) async fn cancel_maintenance(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
) -> Result<(), ApiError> {
    let record = load_maintenance(state, id).await?;
    if let Some(reason) = maintenance_over(&record) {
        return Err(ApiError::conflict(reason));
    }
    if !state
        .store
        .cancel_maintenance(id, &actor.display, state.now())
        .await?
    {
        let record = load_maintenance(state, id).await?;
        return Err(ApiError::conflict(
            maintenance_over(&record).unwrap_or_else(|| {
                format!("maintenance #{id} changed meanwhile; reload and try again")
            }),
        ));
    }
    audit::record(
        state,
        client,
        &actor.display,
        "status.maintenance.cancel",
        &format!("maintenance:{id}"),
        "",
    )
    .await;
    changed(state);
    Ok(())
}

/// Sets (`Some`) or clears (`None`) the override of component `id`; 404
/// for a component not on the catalog's status page. Audited.
pub(super) async fn set_override(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: &str,
    value: Option<(ComponentStatus, Option<&str>)>,
) -> Result<(), ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    if !known.iter().any(|c| c.id == id) {
        return Err(missing_component(id));
    }
    state
        .store
        .set_component_override(
            id,
            value.map(|(status, note)| (status.as_str(), note)),
            &actor.display,
            state.now(),
        )
        .await
        .map_err(write_error)?;
    let (action, detail) = match value {
        Some((status, _)) => ("status.override.set", status.as_str()),
        None => ("status.override.clear", ""),
    };
    audit::record(
        state,
        client,
        &actor.display,
        action,
        &format!("component:{id}"),
        detail,
    )
    .await;
    changed(state);
    Ok(())
}

// ---------------------------------------------------------------------------
// Publishing from an alerting incident

/// What an alerting incident's public incident starts as: a neutral
/// title naming the catalog service (never alert summaries, monitor names
/// or URLs), the impact of its severity and the components backed by its
/// service's monitors.
pub(super) fn draft_from_alert(
    catalog: &Catalog,
    known: &[ComponentInfo],
    alert_id: i64,
    service: Option<&str>,
    severity: &str,
) -> IncidentDraft {
    let service_name = service.map(|id| {
        catalog
            .services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    });
    let name = match &service_name {
        Some(name) => format!("Degraded service: {name}"),
        None => "Degraded service".to_owned(),
    };
    let impact = match severity {
        "critical" => Impact::Major,
        "warning" => Impact::Minor,
        _ => Impact::None,
    };
    let components = service
        .map(|service| {
            known
                .iter()
                .filter(|c| c.services.iter().any(|s| s == service))
                .map(|c| c.id.clone())
                .collect()
        })
        .unwrap_or_default();
    let component_status = match impact {
        Impact::Critical | Impact::Major => Some(ComponentStatus::PartialOutage),
        Impact::Minor => Some(ComponentStatus::DegradedPerformance),
        Impact::None => None,
    };
    IncidentDraft {
        name,
        status: IncidentStatus::Investigating.as_str().to_owned(),
        impact: impact.as_str().to_owned(),
        components,
        component_status: component_status.map(|s| s.as_str().to_owned()),
        message: "We are investigating reports of degraded service and will post an update soon."
            .to_owned(),
        alert_incident: Some(alert_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<ComponentInfo> {
        vec![ComponentInfo {
            id: "website".into(),
            name: "Website".into(),
            group: None,
            services: vec!["web".into()],
        }]
    }

    fn now() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().expect("time")
    }

    #[test]
    fn incident_problems_name_their_field() {
        let good = IncidentDraft {
            name: "Slow".into(),
            status: "investigating".into(),
            impact: "minor".into(),
            components: vec!["website".into(), "website".into()],
            component_status: Some("".into()),
            message: "Looking".into(),
            alert_incident: None,
        };
        let built = build_incident(&known(), &good, "ada", now()).expect("valid");
        assert_eq!(built.components, vec!["website".to_owned()]);
        assert_eq!(built.component_status, None);
        let cases = [
            (
                IncidentDraft {
                    name: " ".into(),
                    ..good.clone()
                },
                Field::Name,
            ),
            (
                IncidentDraft {
                    name: "x".repeat(MAX_TITLE_CHARS + 1),
                    ..good.clone()
                },
                Field::Name,
            ),
            (
                IncidentDraft {
                    status: "closed".into(),
                    ..good.clone()
                },
                Field::Status,
            ),
            (
                IncidentDraft {
                    impact: "huge".into(),
                    ..good.clone()
                },
                Field::Impact,
            ),
            (
                IncidentDraft {
                    components: vec!["nope".into()],
                    ..good.clone()
                },
                Field::Components,
            ),
            (
                IncidentDraft {
                    component_status: Some("broken".into()),
                    ..good.clone()
                },
                Field::ComponentStatus,
            ),
            (
                IncidentDraft {
                    message: "x".repeat(MAX_MESSAGE_CHARS + 1),
                    ..good.clone()
                },
                Field::Message,
            ),
        ];
        for (draft, field) in cases {
            let problem = build_incident(&known(), &draft, "ada", now()).expect_err("invalid");
            assert_eq!(problem.field, field, "{draft:?}");
        }
    }

    #[test]
    fn maintenance_windows_must_end_after_they_start_and_now() {
        let later: Timestamp = "2026-11-30T12:00:00Z".parse().expect("time");
        let draft = MaintenanceDraft {
            name: "DB upgrade".into(),
            components: vec!["website".into()],
            scheduled_for: Some(later),
            scheduled_until: Some(later),
            impact: None,
            message: "Upgrading".into(),
        };
        let problem = build_maintenance(&known(), &draft, "ada", now()).expect_err("invalid");
        assert_eq!(problem.field, Field::ScheduledUntil);
        let ok = MaintenanceDraft {
            scheduled_until: later.checked_add(jiff::SignedDuration::from_hours(1)).ok(),
            ..draft
        };
        let built = build_maintenance(&known(), &ok, "ada", now()).expect("valid");
        assert_eq!(built.impact, MAINTENANCE_IMPACT);
    }

    #[test]
    fn form_times_are_utc() {
        assert_eq!(
            form_time(Field::ScheduledFor, "2026-11-30T10:00").expect("ok"),
            Some("2026-11-30T10:00:00Z".parse().expect("time"))
        );
        assert_eq!(form_time(Field::ScheduledFor, " ").expect("ok"), None);
        assert!(form_time(Field::ScheduledFor, "soon").is_err());
    }
}
