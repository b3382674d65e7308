//! The JSON API of the status page's responders' side. Reads are for
//! viewers, writes for responders; a problem answers 400 naming the field
//! (`` `name`: … ``). Writes are audited.
//!
//! - `GET /api/v1/status/incidents[?before=&limit=&unresolved=true]`,
//!   `GET /api/v1/status/incidents/{id}`
//! - `POST /api/v1/status/incidents` `{name, status, impact, components,
//!   component_status?, message, alert_incident?}` → 201
//! - `POST /api/v1/status/incidents/{id}/updates` `{status, message,
//!   component_status?, components?, impact?}`
//! - `GET /api/v1/status/maintenances[?from=&to=]`,
//!   `GET /api/v1/status/maintenances/{id}`
//! - `POST /api/v1/status/maintenances` `{name, components, scheduled_for,
//!   scheduled_until, impact?, message}` → 201
//! - `POST /api/v1/status/maintenances/{id}/updates` `{status, message}`
//! - `DELETE /api/v1/status/maintenances/{id}` (cancel; 204, 409 if over)
//! - `GET /api/v1/status/components`; `PUT` and
//!   `DELETE /api/v1/status/components/{id}/override` `{status, note?}`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use shipshape_status::ComponentStatus;

use super::{
    ComponentInfo, Field, IncidentDraft, IncidentView, MaintenanceDraft, MaintenanceView,
    UpdateDraft, api_time, build_incident, build_maintenance, build_update, components, invalid,
    valid_component_status, valid_maintenance_status, valid_message, valid_note,
};
use crate::auth::{RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Path, Query};
use crate::state::AppState;

/// Default and largest page of `GET /api/v1/status/incidents`.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// `GET /api/v1/status/incidents` answers this.
#[derive(Debug, Serialize)]
pub(super) struct IncidentList {
    incidents: Vec<IncidentView>,
    /// Pass as `before` for the next page; absent on the last one.
    next_before: Option<i64>,
}

/// `?before=&limit=&unresolved=`.
#[derive(Debug, Deserialize)]
pub(super) struct IncidentsQuery {
    before: Option<i64>,
    limit: Option<u32>,
    #[serde(default)]
    unresolved: bool,
}

/// `GET /api/v1/status/incidents`.
pub(super) async fn incidents_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<IncidentsQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    if query.unresolved {
        let incidents = state.store.unresolved_status_incidents().await?;
        return Ok(Json(IncidentList {
            incidents: incidents.into_iter().map(IncidentView::from).collect(),
            next_before: None,
        }));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "`limit`: {limit} is out of range; give 1 to {MAX_LIMIT}"
        )));
    }
    let incidents = state.store.status_incidents(limit, query.before).await?;
    let next_before = (incidents.len() == limit as usize)
        .then(|| incidents.last().map(|i| i.id))
        .flatten();
    Ok(Json(IncidentList {
        incidents: incidents.into_iter().map(IncidentView::from).collect(),
        next_before,
    }))
}

/// `GET /api/v1/status/incidents/{id}`.
pub(super) async fn incident_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(super::load_incident(&state, id).await?.into()))
}

/// The body of `POST /api/v1/status/incidents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateIncidentBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    components: Vec<String>,
    component_status: Option<String>,
    #[serde(default)]
    message: String,
    alert_incident: Option<i64>,
}

/// `POST /api/v1/status/incidents`.
pub(super) async fn create_incident_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    extract::Json(body): extract::Json<CreateIncidentBody>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let draft = IncidentDraft {
        name: body.name,
        status: body.status,
        impact: body.impact,
        components: body.components,
        component_status: body.component_status,
        message: body.message,
        alert_incident: body.alert_incident,
    };
    let incident = build_incident(&known, &draft, &actor.display, state.now())?;
    let record = super::create_incident(&state, &client, &actor, &incident).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// The body of `POST /api/v1/status/incidents/{id}/updates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdateIncidentBody {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    component_status: Option<String>,
    components: Option<Vec<String>>,
    impact: Option<String>,
}

/// `POST /api/v1/status/incidents/{id}/updates`.
pub(super) async fn update_incident_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    extract::Json(body): extract::Json<UpdateIncidentBody>,
) -> Result<Json<IncidentView>, ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let draft = UpdateDraft {
        status: body.status,
        message: body.message,
        component_status: body.component_status,
        components: body.components,
        impact: body.impact,
    };
    let update = build_update(&known, &draft, &actor.display, state.now())?;
    let record = super::update_incident(&state, &client, &actor, id, &update).await?;
    Ok(Json(record.into()))
}

/// `GET /api/v1/status/maintenances` answers this.
#[derive(Debug, Serialize)]
pub(super) struct MaintenanceList {
    maintenances: Vec<MaintenanceView>,
}

/// `?from=&to=` (RFC 3339).
#[derive(Debug, Deserialize)]
pub(super) struct MaintenancesQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/status/maintenances`: those not cancelled overlapping
/// `[from, to)` (default: the last 30 days to a year ahead), soonest first.
pub(super) async fn maintenances_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<MaintenancesQuery>,
) -> Result<Json<MaintenanceList>, ApiError> {
    let now = state.now();
    let bad = |name: &str, text: &str| {
        ApiError::bad_request(format!(
            "`{name}`: {text:?} is not an RFC 3339 time such as \"2026-11-30T09:00:00Z\""
        ))
    };
    let from: Timestamp = match query.from.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => text.trim().parse().map_err(|_| bad("from", text))?,
        None => now
            .checked_sub(SignedDuration::from_hours(30 * 24))
            .unwrap_or(Timestamp::MIN),
    };
    let to: Timestamp = match query.to.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => text.trim().parse().map_err(|_| bad("to", text))?,
        None => now
            .checked_add(SignedDuration::from_hours(366 * 24))
            .unwrap_or(Timestamp::MAX),
    };
    let maintenances = state.store.maintenances(from, to).await?;
    Ok(Json(MaintenanceList {
        maintenances: maintenances
            .into_iter()
            .map(MaintenanceView::from)
            .collect(),
    }))
}

/// `GET /api/v1/status/maintenances/{id}`.
pub(super) async fn maintenance_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
) -> Result<Json<MaintenanceView>, ApiError> {
    Ok(Json(super::load_maintenance(&state, id).await?.into()))
}

/// The body of `POST /api/v1/status/maintenances`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScheduleBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    components: Vec<String>,
    scheduled_for: Option<String>,
    scheduled_until: Option<String>,
    impact: Option<String>,
    #[serde(default)]
    message: String,
}

/// `POST /api/v1/status/maintenances`.
pub(super) async fn schedule_maintenance_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    extract::Json(body): extract::Json<ScheduleBody>,
) -> Result<(StatusCode, Json<MaintenanceView>), ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let draft = MaintenanceDraft {
        name: body.name,
        components: body.components,
        scheduled_for: api_time(Field::ScheduledFor, body.scheduled_for.as_deref())?,
        scheduled_until: api_time(Field::ScheduledUntil, body.scheduled_until.as_deref())?,
        impact: body.impact,
        message: body.message,
    };
    let maintenance = build_maintenance(&known, &draft, &actor.display, state.now())?;
    let record = super::schedule_maintenance(&state, &client, &actor, &maintenance).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// The body of `POST /api/v1/status/maintenances/{id}/updates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MaintenanceUpdateBody {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
}

/// `POST /api/v1/status/maintenances/{id}/updates`.
pub(super) async fn update_maintenance_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    extract::Json(body): extract::Json<MaintenanceUpdateBody>,
) -> Result<Json<MaintenanceView>, ApiError> {
    let status = valid_maintenance_status(&body.status)?;
    let message = valid_message(&body.message)?;
    let record = super::update_maintenance(&state, &client, &actor, id, status, &message).await?;
    Ok(Json(record.into()))
}

/// `DELETE /api/v1/status/maintenances/{id}`.
pub(super) async fn cancel_maintenance_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    super::cancel_maintenance(&state, &client, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A component with its override, for `GET /api/v1/status/components`.
#[derive(Debug, Serialize)]
pub(super) struct ComponentView {
    #[serde(flatten)]
    component: ComponentInfo,
    #[serde(rename = "override")]
    manual: Option<OverrideView>,
}

/// A component's override.
#[derive(Debug, Serialize)]
pub(super) struct OverrideView {
    status: String,
    note: Option<String>,
    set_by: String,
    set_at: Timestamp,
}

/// `GET /api/v1/status/components` answers this.
#[derive(Debug, Serialize)]
pub(super) struct ComponentList {
    components: Vec<ComponentView>,
}

/// `GET /api/v1/status/components`: the catalog's status page components
/// with their overrides.
pub(super) async fn components_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
) -> Result<Json<ComponentList>, ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let overrides = state.store.component_overrides().await?;
    Ok(Json(ComponentList {
        components: known
            .into_iter()
            .map(|component| {
                let manual = overrides
                    .iter()
                    .find(|o| o.component_id == component.id)
                    .map(|o| OverrideView {
                        status: o.status.clone(),
                        note: o.note.clone(),
                        set_by: o.set_by.clone(),
                        set_at: o.set_at,
                    });
                ComponentView { component, manual }
            })
            .collect(),
    }))
}

/// The body of setting an override.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverrideBody {
    #[serde(default)]
    status: String,
    note: Option<String>,
}

/// `POST /api/v1/status/components/{id}/override` (`PUT` once `Routes`
/// has it): 204.
pub(super) async fn set_override_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
    extract::Json(body): extract::Json<OverrideBody>,
) -> Result<StatusCode, ApiError> {
    let status: ComponentStatus = valid_component_status(Field::Status, Some(&body.status))?
        .ok_or_else(|| {
            invalid(
                Field::Status,
                "required: the status the component shows, e.g. \"major_outage\"",
            )
        })?;
    let note = valid_note(body.note.as_deref())?;
    super::set_override(
        &state,
        &client,
        &actor,
        &id,
        Some((status, note.as_deref())),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/status/components/{id}/override`: 204.
pub(super) async fn clear_override_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    super::set_override(&state, &client, &actor, &id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
