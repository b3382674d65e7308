//! Pausing and resuming a monitor (responders and admins): the API
//! (`POST /api/v1/monitors/{service}/{id}/pause|resume`, answering the
//! monitor as `GET` does) and the monitor page's buttons (form posts that
//! redirect back). The access guard checks the role and, for sessions, the
//! CSRF token. The store flips the flag and records the state event in one
//! transaction; a change is audited. Asking for the state a monitor is
//! already in changes nothing and records nothing.

use axum::Json;
use axum::extract::State;
use axum::response::Redirect;
use shipshape_store::MonitorName;

use super::api::{MonitorDetail, monitor_detail};
use super::{Known, find, monitor_href};
use crate::audit;
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::Path;
use crate::state::AppState;

/// Pauses (`paused`) or resumes `service/id` as `actor`; 404 if the
/// catalog has no such monitor.
async fn set_paused(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    service_id: &str,
    monitor_id: &str,
    paused: bool,
) -> Result<(), ApiError> {
    let catalog = state.catalog();
    let (service, monitor) = find(&catalog, service_id, monitor_id)?;
    let now = state.now();
    let id = match Known::load(state).await?.id(&service.id, &monitor.id) {
        Some((id, _)) => id,
        // Not registered yet (the catalog was just reloaded): registering
        // is idempotent, and the writer will find the same id.
        None => {
            let name = MonitorName {
                service: service.id.clone(),
                monitor: monitor.id.clone(),
            };
            let ids = state
                .store
                .register_monitors(std::slice::from_ref(&name), now)
                .await?;
            *ids.get(&name)
                .ok_or_else(|| ApiError::internal("a registered monitor has no id"))?
        }
    };
    let verb = if paused { "paused" } else { "resumed" };
    let changed = state
        .store
        .set_paused_with_event(
            id,
            paused,
            now,
            Some(format!("{verb} by {}", actor.display)),
        )
        .await?;
    if changed.is_some() {
        audit::record(
            state,
            client,
            &actor.display,
            if paused {
                "monitor.pause"
            } else {
                "monitor.resume"
            },
            &format!("monitor:{}/{}", service.id, monitor.id),
            "",
        )
        .await;
    }
    Ok(())
}

/// `POST /api/v1/monitors/{service}/{id}/pause`.
pub(super) async fn pause_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Json<MonitorDetail>, ApiError> {
    set_paused(&state, &client, &actor, &service, &id, true).await?;
    Ok(Json(monitor_detail(&state, &service, &id).await?))
}

/// `POST /api/v1/monitors/{service}/{id}/resume`.
pub(super) async fn resume_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Json<MonitorDetail>, ApiError> {
    set_paused(&state, &client, &actor, &service, &id, false).await?;
    Ok(Json(monitor_detail(&state, &service, &id).await?))
}

/// `POST /monitors/{service}/{id}/pause` (the page's button).
pub(super) async fn pause_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Redirect, ApiError> {
    set_paused(&state, &client, &actor, &service, &id, true).await?;
    Ok(Redirect::to(&monitor_href(&service, &id)))
}

/// `POST /monitors/{service}/{id}/resume` (the page's button).
pub(super) async fn resume_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((service, id)): Path<(String, String)>,
) -> Result<Redirect, ApiError> {
    set_paused(&state, &client, &actor, &service, &id, false).await?;
    Ok(Redirect::to(&monitor_href(&service, &id)))
}
