//! Test pages: prove that a page reaches a person, team, schedule or
//! notifier, through the same path as a real one (outbox, channels, ack
//! link). `POST /api/v1/test-pages` with `{"target": "person:alice"}` and
//! the On-call page's "Send a test page" form (responders). Each test page
//! is an incident of its own (`shipshape_pager::test_page`) that resolves
//! when acknowledged; the readiness review looks for a recent one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Redirect;
use serde::{Deserialize, Serialize};
use shipshape_pager::TestPageError;
use shipshape_store::Role;

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Form};
use crate::state::AppState;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let responder = Access::Role(Role::Responder);
    routes
        .post("/api/v1/test-pages", responder, test_page_api)
        .post("/oncall/test-page", responder, test_page_form)
}

/// The body of `POST /api/v1/test-pages` and of the page's form.
#[derive(Debug, Deserialize)]
struct TestPageRequest {
    target: String,
}

/// What `POST /api/v1/test-pages` answers.
#[derive(Debug, Serialize)]
struct TestPageSent {
    incident: i64,
    target: String,
    url: String,
}

/// Opens the test page as `actor`, audited, and wakes the engine.
async fn send(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    target: &str,
) -> Result<i64, ApiError> {
    let catalog = state.catalog();
    let id =
        shipshape_pager::test_page(&state.store, &catalog, target, &actor.display, state.now())
            .await
            .map_err(|e| match e {
                TestPageError::UnknownTarget(_) => ApiError::bad_request(format!("`target`: {e}")),
                TestPageError::AlreadyOpen { .. } => ApiError::conflict(e.to_string()),
                TestPageError::Pager(e) => ApiError::internal(e),
            })?;
    audit::record(
        state,
        client,
        &actor.display,
        "incident.test_page",
        target,
        "",
    )
    .await;
    state.wake_pager();
    Ok(id)
}

/// `POST /api/v1/test-pages`.
async fn test_page_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    extract::Json(request): extract::Json<TestPageRequest>,
) -> Result<(StatusCode, Json<TestPageSent>), ApiError> {
    let id = send(&state, &client, &actor, request.target.trim()).await?;
    Ok((
        StatusCode::CREATED,
        Json(TestPageSent {
            incident: id,
            target: request.target.trim().to_owned(),
            url: format!("/incidents/{id}"),
        }),
    ))
}

/// `POST /oncall/test-page` (the On-call page's form): on to the test
/// page's incident, where its delivery and acknowledgement show.
async fn test_page_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Form(request): Form<TestPageRequest>,
) -> Result<Redirect, ApiError> {
    let id = send(&state, &client, &actor, request.target.trim()).await?;
    Ok(Redirect::to(&format!("/incidents/{id}")))
}
