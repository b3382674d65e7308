//! Liveness (`/healthz`), readiness (`/readyz`) and Prometheus metrics
//! (`/metrics`).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access::{Access, Routes};
use crate::error::ApiError;
use crate::state::AppState;

/// Longest wait for the store's answer to a readiness ping.
const PING_TIMEOUT: Duration = Duration::from_millis(1500);

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    routes
        .get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
        .get("/metrics", Access::Metrics, metrics)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<Response, ApiError> {
    let services = state.catalog().services.len();
    state.metrics.set_catalog_services(services);
    ping_store(&state).await.map_err(ApiError::unavailable)?;
    Ok(
        Json(json!({ "status": "ready", "store": "ok", "catalog_services": services }))
            .into_response(),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .set_catalog_services(state.catalog().services.len());
    // The outcome lands in `shipshape_store_up`.
    let _ = ping_store(&state).await;
    refresh_monitor_metrics(&state).await;
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// Sets `shipshape_monitor_up` from the store and drops the series of
/// monitors no longer in the catalog. If the store cannot say, no monitor
/// reports a state (a stale "up" would mislead; `shipshape_store_up` says why).
async fn refresh_monitor_metrics(state: &AppState) {
    let catalog = state.catalog();
    let monitors = state.metrics.monitors();
    let in_catalog = super::monitors::catalog_monitors(&catalog);
    monitors
        .retain(|service, monitor| in_catalog.contains(&(service.to_owned(), monitor.to_owned())));
    match tokio::time::timeout(PING_TIMEOUT, super::monitors::up_states(state, &catalog)).await {
        Ok(Ok(states)) => monitors.set_states(
            states
                .iter()
                .map(|(service, monitor, up)| (service.as_str(), monitor.as_str(), *up)),
        ),
        Ok(Err(error)) => {
            tracing::warn!(
                error = error.message(),
                "could not read monitor states for /metrics"
            );
            monitors.set_states([]);
        }
        Err(_) => {
            tracing::warn!("monitor states for /metrics took too long");
            monitors.set_states([]);
        }
    }
}

/// Pings the store with a short timeout, records the outcome in the
/// `shipshape_store_up` gauge, and explains a failure.
async fn ping_store(state: &AppState) -> Result<(), String> {
    let outcome = match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("store unreachable: {error}")),
        Err(_) => Err(format!(
            "store unreachable: no answer within {} ms",
            PING_TIMEOUT.as_millis()
        )),
    };
    state.metrics.set_store_up(outcome.is_ok());
    outcome
}
