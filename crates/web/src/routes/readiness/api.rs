//! The readiness review's JSON API: the latest score of every service, one
//! service's stored report and score history, and its attestations.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{
    AttestationView, Draft, HISTORY_LIMIT, StoredScore, attest, attestations, build, history_since,
    latest_summary, request_run, revoke, scores, service, services, today,
};
use crate::auth::{RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Path, Query};
use crate::state::AppState;

/// One service's latest score in `GET /api/v1/readiness`.
#[derive(Debug, Serialize)]
pub(super) struct ServiceScore {
    service: String,
    name: String,
    /// Whether a review has been stored; the rest is `null` until then.
    reviewed: bool,
    ran_at: Option<Timestamp>,
    mode: Option<String>,
    satisfied: Option<i64>,
    applicable: Option<i64>,
    blocking: Option<i64>,
    fail: Option<i64>,
    unknown: Option<i64>,
}

/// `GET /api/v1/readiness` answers this.
#[derive(Debug, Serialize)]
pub(super) struct ServiceList {
    services: Vec<ServiceScore>,
}

/// `GET /api/v1/readiness`.
pub(super) async fn list_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
) -> Result<Json<ServiceList>, ApiError> {
    let mut list = Vec::new();
    for s in services(&state) {
        let run = latest_summary(&state, &s.id).await?;
        list.push(ServiceScore {
            service: s.id,
            name: s.name,
            reviewed: run.is_some(),
            ran_at: run.as_ref().map(|r| r.ran_at),
            mode: run.as_ref().map(|r| r.mode.clone()),
            satisfied: run.as_ref().map(|r| r.satisfied),
            applicable: run.as_ref().map(|r| r.applicable),
            blocking: run.as_ref().map(|r| r.blocking),
            fail: run.as_ref().map(|r| r.fail),
            unknown: run.as_ref().map(|r| r.unknown),
        });
    }
    Ok(Json(ServiceList { services: list }))
}

/// `GET /api/v1/readiness/{service}`: the latest report exactly as stored
/// (schema `shipshape.readiness/v1`).
pub(super) async fn report_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = service(&state, &id)?;
    let stored = state
        .store
        .latest_readiness_run(&s.id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "service `{}` has not been reviewed yet; ask for a run with POST /api/v1/readiness/{}/run",
                s.id, s.id
            ))
        })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], stored.report).into_response())
}

/// `?since=` of the history.
#[derive(Debug, Deserialize)]
pub(super) struct HistoryQuery {
    #[serde(default)]
    since: Option<String>,
}

/// One run of the history.
#[derive(Debug, Serialize)]
pub(super) struct HistoryRun {
    id: i64,
    ran_at: Timestamp,
    mode: String,
    satisfied: i64,
    applicable: i64,
    blocking: i64,
    fail: i64,
    unknown: i64,
    practices: Vec<StoredScore>,
}

/// `GET /api/v1/readiness/{service}/history` answers this.
#[derive(Debug, Serialize)]
pub(super) struct History {
    service: String,
    since: Timestamp,
    /// Oldest first.
    runs: Vec<HistoryRun>,
}

/// `GET /api/v1/readiness/{service}/history?since=`: runs since `since`
/// (RFC 3339; default 90 days ago), oldest first, without their reports.
pub(super) async fn history_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<History>, ApiError> {
    let s = service(&state, &id)?;
    let since = match query.since.as_deref().map(str::trim) {
        None | Some("") => history_since(state.now()),
        Some(text) => text.parse::<Timestamp>().map_err(|_| {
            ApiError::bad_request(format!(
                "`since`: `{text}` is not a time; use RFC 3339, e.g. 2026-11-01T00:00:00Z"
            ))
        })?,
    };
    let runs = state
        .store
        .readiness_history(&s.id, since, HISTORY_LIMIT)
        .await?;
    Ok(Json(History {
        service: s.id,
        since,
        runs: runs
            .into_iter()
            .map(|r| HistoryRun {
                practices: scores(&r),
                id: r.id,
                ran_at: r.ran_at,
                mode: r.mode,
                satisfied: r.satisfied,
                applicable: r.applicable,
                blocking: r.blocking,
                fail: r.fail,
                unknown: r.unknown,
            })
            .collect(),
    }))
}

/// `GET /api/v1/readiness/{service}/attestations` answers this.
#[derive(Debug, Serialize)]
pub(super) struct AttestationList {
    service: String,
    /// Not revoked, oldest first.
    attestations: Vec<AttestationView>,
}

/// `GET /api/v1/readiness/{service}/attestations`.
pub(super) async fn attestations_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
) -> Result<Json<AttestationList>, ApiError> {
    let s = service(&state, &id)?;
    Ok(Json(AttestationList {
        attestations: attestations(&state, &s.id).await?,
        service: s.id,
    }))
}

/// The body of `POST /api/v1/readiness/{service}/attestations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttestBody {
    #[serde(default)]
    item: String,
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/readiness/{service}/attestations` → 201 with the
/// attestation; 400 naming the field; 404 for an unknown service.
pub(super) async fn attest_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
    extract::Json(body): extract::Json<AttestBody>,
) -> Result<(StatusCode, Json<AttestationView>), ApiError> {
    let s = service(&state, &id)?;
    let draft = Draft {
        item: body.item,
        by: body.by.unwrap_or_default(),
        on: body.on.unwrap_or_default(),
        link: body.link.unwrap_or_default(),
        expires: body.expires.unwrap_or_default(),
        note: body.note.unwrap_or_default(),
    };
    let new = build(&draft, &s.id, &actor, today(&state), state.now())?;
    let view = attest(&state, &client, &actor, &new).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `DELETE /api/v1/readiness/{service}/attestations/{id}` → 204, or 404.
pub(super) async fn revoke_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((id, attestation)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let s = service(&state, &id)?;
    revoke(&state, &client, &actor, &s.id, attestation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What `POST /api/v1/readiness/{service}/run` answers.
#[derive(Debug, Serialize)]
pub(super) struct RunRequested {
    /// Whether a runner in this process was asked; if not, the scheduled
    /// review (or another instance) picks the service up.
    requested: bool,
}

/// `POST /api/v1/readiness/{service}/run` → 202: asks for a review now.
pub(super) async fn run_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RunRequested>), ApiError> {
    let s = service(&state, &id)?;
    let requested = request_run(&state, &client, &actor, &s.id).await;
    Ok((StatusCode::ACCEPTED, Json(RunRequested { requested })))
}
