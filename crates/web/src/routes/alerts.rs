//! Alerts from other systems, stored as signals for the paging engine:
//!
//! - `POST /api/v2/alerts`: Prometheus' Alertmanager v2 API, so a
//!   Prometheus server can send its alerts here as it would to an
//!   Alertmanager (authorised with a Responder API token through
//!   `alerting.alertmanagers[].authorization`). Answers an empty `200 {}`.
//! - `POST /api/v1/events`: a generic JSON event for scripts and other
//!   tools (see `shipshape_alert::incoming::parse_event`). Answers `202`
//!   with the alert's key and status.
//!
//! Both take `Content-Type: application/json` (else 415) within the body
//! limit (else 413); a malformed payload is 400 with
//! `{"error": "<field path>: <problem>"}` (plus the usual `message` and
//! `code`), so the sender's log says what to fix.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shipshape_alert::engine::AlertSignal;
use shipshape_alert::engine::Source;
use shipshape_alert::incoming::{self, PayloadError};
use shipshape_pager::{PagerError, incoming_signal, record_signals};
use shipshape_store::Role;

use crate::access::{Access, Routes};
use crate::auth::{RequireRole, min};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::state::AppState;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let responder = Access::Role(Role::Responder);
    routes
        .post("/api/v2/alerts", responder, alertmanager)
        .post("/api/v1/events", responder, event)
}

/// 415 unless the body is declared JSON.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ))
    }
}

/// 400 `{"error", "message", "code"}` for a rejected payload.
fn payload_error(error: &PayloadError) -> Response {
    let text = error.to_string();
    let body = ErrorBody {
        message: text.clone(),
        code: ErrorCode::BadRequest.as_str(),
        link: None,
    };
    let json = serde_json::json!({
        "error": text,
        "message": body.message,
        "code": body.code,
    });
    let mut response = (StatusCode::BAD_REQUEST, Json(json)).into_response();
    // Marks the response as already shaped for the error middleware.
    response.extensions_mut().insert(body);
    response
}

/// Stores `signals` and wakes the engine.
async fn store(state: &AppState, signals: &[AlertSignal]) -> Result<(), ApiError> {
    record_signals(&state.store, signals, state.now())
        .await
        .map_err(|error| match error {
            PagerError::Store(error) => ApiError::from(error),
            other => ApiError::internal(other),
        })?;
    state.wake_pager();
    Ok(())
}

/// `POST /api/v2/alerts`.
async fn alertmanager(
    State(state): State<AppState>,
    _actor: RequireRole<min::Responder>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let alerts = match incoming::parse_alertmanager(&body, state.now()) {
        Ok(alerts) => alerts,
        Err(error) => return Ok(payload_error(&error)),
    };
    let catalog = state.catalog();
    let signals: Vec<AlertSignal> = alerts
        .iter()
        .map(|alert| incoming_signal(&catalog, alert, Source::Prometheus))
        .collect();
    store(&state, &signals).await?;
    Ok(Json(serde_json::json!({})).into_response())
}

/// What the event endpoint answers.
#[derive(Debug, Serialize)]
struct Accepted {
    /// The event's key, as sent.
    key: String,
    /// The alert it is stored as, e.g. `event:disk-full`.
    alert: String,
    /// `firing` or `resolved`.
    status: &'static str,
}

/// `POST /api/v1/events`.
async fn event(
    State(state): State<AppState>,
    _actor: RequireRole<min::Responder>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let alert = match incoming::parse_event(&body, state.now()) {
        Ok(alert) => alert,
        Err(error) => return Ok(payload_error(&error)),
    };
    let signal = incoming_signal(&state.catalog(), &alert, Source::Event);
    store(&state, std::slice::from_ref(&signal)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            key: alert.fingerprint,
            alert: signal.key,
            status: if alert.resolved { "resolved" } else { "firing" },
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_json_bodies_are_accepted() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            require_json(&headers).is_ok()
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("application/vnd.api+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(require_json(&HeaderMap::new()).is_err());
    }
}
