//! The router: every area's routes merged in one place, then the layers that
//! apply to all of them (security headers, metrics, error shaping, panic
//! catching, the request timeout, the unclassified-route guard, the body
//! limit).

mod alerts;
mod api;
mod auth;
mod health;
mod heartbeat;
mod incidents;
mod monitors;
mod oncall;
mod readiness;
mod settings;
mod silences;
mod status_admin;
mod status_public;
mod status_subscribe;
mod test_page;
mod ui;

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::access::{ClassTable, RouteInfo, Routes, deny_unclassified};
use crate::error::{self, ApiError, ErrorCode};
use crate::metrics;
use crate::state::AppState;

/// Content-Security-Policy of every response: only our own resources, inline
/// styles (the one stylesheet), no framing, forms post only to us.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The whole application: all routes with their access guards and the shared
/// layers. Test it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let (router, table) = all_routes(Routes::new(Some(state.clone()))).finish();
    with_layers(state, router, &table)
}

/// Every route with its access class, in registration order.
pub fn route_table() -> Vec<RouteInfo> {
    all_routes(Routes::new(None)).finish().1
}

/// The one place where areas add their routes.
fn all_routes(routes: Routes) -> Routes {
    let routes = health::routes(routes);
    let routes = auth::routes(routes);
    let routes = ui::routes(routes);
    let routes = monitors::routes(routes);
    let routes = incidents::routes(routes);
    let routes = silences::routes(routes);
    let routes = status_admin::routes(routes);
    let routes = readiness::routes(routes);
    let routes = alerts::routes(routes);
    let routes = oncall::routes(routes);
    let routes = status_public::routes(routes);
    let routes = status_subscribe::routes(routes);
    let routes = heartbeat::routes(routes);
    let routes = settings::routes(routes);
    api::routes(routes)
}

/// Adds the fallback and the shared layers, and binds the state. `table` is
/// what [`deny_unclassified`] admits.
fn with_layers(state: AppState, router: Router<AppState>, table: &[RouteInfo]) -> Router {
    let table = Arc::new(ClassTable::new(table));
    let body_limit = usize::try_from(state.config.max_body_bytes).unwrap_or(usize::MAX);
    let layers = ServiceBuilder::new()
        // Pages, JSON and feeds go out gzipped to clients that accept it
        // (the public status page is mostly repetitive markup).
        .layer(CompressionLayer::new().gzip(true))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(from_fn(error::normalize))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(
            state.config.request_timeout,
            enforce_timeout,
        ))
        .layer(from_fn_with_state(table, deny_unclassified))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(DefaultBodyLimit::disable());
    router.fallback(fallback).layer(layers).with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found("nothing here; check the address")
}

async fn enforce_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis(), "request timed out");
            ApiError::new(ErrorCode::Timeout, "request timed out").into_response()
        }
    }
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Access;
    use crate::config::WebConfig;
    use crate::state::BuildInfo;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request as HttpRequest, StatusCode};
    use axum::routing::get;
    use shipshape_clock::ManualClock;
    use shipshape_store::{Store, StoreOptions};
    use tower::ServiceExt;

    async fn state(dir: &tempfile::TempDir, config: WebConfig) -> AppState {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, StoreOptions::default())
            .await
            .expect("store");
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH));
        let (_tx, catalog) =
            tokio::sync::watch::channel(Arc::new(shipshape_catalog::Catalog::default()));
        let build = BuildInfo {
            version: "t".into(),
            commit: "t".into(),
        };
        AppState::new(store, catalog, clock, config, build)
    }

    async fn call(router: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let request = HttpRequest::get(path).body(Body::empty()).expect("request");
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    #[test]
    fn every_route_is_registered_once() {
        let table = route_table();
        let mut seen = std::collections::HashSet::new();
        for route in &table {
            assert!(
                seen.insert((route.method.clone(), route.path)),
                "{} {} twice",
                route.method,
                route.path
            );
        }
    }

    /// Regression guard: a route added with `Router::route` instead of the
    /// `Routes` builder has no access class and must not serve.
    #[tokio::test]
    async fn a_route_added_around_the_builder_is_denied() {
        let dir = tempfile::tempdir().expect("dir");
        let state = state(&dir, WebConfig::default()).await;
        let (router, table) = Routes::new(Some(state.clone()))
            .get("/api/v1/ok", Access::Public, || async { "fine" })
            .finish();
        let router = router.route("/api/v1/sneaky", get(|| async { "secret" }));
        let app = with_layers(state, router, &table);
        assert_eq!(call(app.clone(), "/api/v1/ok").await.0, StatusCode::OK);
        let (status, body) = call(app, "/api/v1/sneaky").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["code"], "forbidden");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_lives_on() {
        let dir = tempfile::tempdir().expect("dir");
        let state = state(&dir, WebConfig::default()).await;
        let (router, table) = Routes::new(Some(state.clone()))
            .get("/api/v1/boom", Access::Public, || async {
                if true {
                    panic!("secret detail");
                }
                "unreachable"
            })
            .finish();
        let app = with_layers(state, router, &table);
        let (status, body) = call(app.clone(), "/api/v1/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert!(!body.to_string().contains("secret detail"));
        assert_eq!(
            call(app, "/api/v1/boom").await.0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[tokio::test]
    async fn slow_requests_time_out_with_503() {
        let dir = tempfile::tempdir().expect("dir");
        let config = WebConfig {
            request_timeout: Duration::from_secs(5),
            ..WebConfig::default()
        };
        let state = state(&dir, config).await;
        let (router, table) = Routes::new(Some(state.clone()))
            .get("/api/v1/slow", Access::Public, || async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            })
            .finish();
        let app = with_layers(state, router, &table);
        // Simulated time: the 5 s limit passes without waiting for it.
        tokio::time::pause();
        let (status, body) = call(app, "/api/v1/slow").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "timeout");
    }
}
