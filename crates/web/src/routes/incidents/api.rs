//! One incident as JSON, `GET /api/v1/incidents/{id}` (the incident with
//! its alerts, timeline and notifications), and what responders do to it:
//! `POST /api/v1/incidents/{id}/ack`, `…/resolve` (409 with the reason if
//! someone got there first, answering the incident as `GET` does) and
//! `…/notes` with `{"text": "…"}` (201). Writes are audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::{Action, IncidentDetail, act, add_note, detail};
use crate::auth::{RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Path};
use crate::state::AppState;

/// `GET /api/v1/incidents/{id}`.
pub(super) async fn incident_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    Ok(Json(detail(&state, id).await?))
}

/// `POST /api/v1/incidents/{id}/ack`.
pub(super) async fn ack_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    act(
        &state,
        &client,
        &actor.display,
        &actor.display,
        id,
        Action::Acknowledge,
    )
    .await?;
    Ok(Json(detail(&state, id).await?))
}

/// `POST /api/v1/incidents/{id}/resolve`.
pub(super) async fn resolve_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    act(
        &state,
        &client,
        &actor.display,
        &actor.display,
        id,
        Action::Resolve,
    )
    .await?;
    Ok(Json(detail(&state, id).await?))
}

/// The body of a note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoteBody {
    text: String,
}

/// `POST /api/v1/incidents/{id}/notes`.
pub(super) async fn note_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    extract::Json(body): extract::Json<NoteBody>,
) -> Result<(StatusCode, Json<IncidentDetail>), ApiError> {
    add_note(
        &state,
        &client,
        &actor.display,
        &actor.display,
        id,
        &body.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail(&state, id).await?)))
}
