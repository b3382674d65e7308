//! The Prometheus registry behind `/metrics` and the middleware that counts
//! and times every request. The `route` label is the matched path template
//! (`/api/v1/tokens/{id}`), never the raw path, so cardinality stays bounded.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::state::BuildInfo;

/// The `route` label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    commit: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Shipshape's metrics registry and the web layer's own metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    store_up: Gauge,
    catalog_services: Gauge,
}

impl Metrics {
    /// A registry with `shipshape_build_info` set and the HTTP, store and
    /// catalog families registered.
    pub fn new(build: &BuildInfo) -> Self {
        let mut registry = Registry::default();
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: build.version.clone(),
                commit: build.commit.clone(),
            })
            .set(1);
        registry.register(
            "shipshape_build_info",
            "Version and commit of the running binary",
            build_info,
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "shipshape_http_requests",
            "HTTP requests handled, by method, route template and status",
            requests.clone(),
        );
        let durations: DurationFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.005, 2.0, 12)));
        registry.register(
            "shipshape_http_request_duration_seconds",
            "Time to handle an HTTP request, by route template",
            durations.clone(),
        );
        let store_up = Gauge::default();
        registry.register(
            "shipshape_store_up",
            "1 if the last store ping succeeded, else 0",
            store_up.clone(),
        );
        let catalog_services = Gauge::default();
        registry.register(
            "shipshape_catalog_services",
            "Services in the loaded catalog",
            catalog_services.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            store_up,
            catalog_services,
        }
    }

    /// Records the outcome of the last store ping.
    pub fn set_store_up(&self, up: bool) {
        self.store_up.set(i64::from(up));
    }

    /// Records how many services the loaded catalog has.
    pub fn set_catalog_services(&self, count: usize) {
        self.catalog_services
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// The registry in the Prometheus/OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(%error, "encoding metrics failed");
        }
        out
    }

    fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method).to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }
}

/// Middleware: counts and times each request by its route template.
pub(crate) async fn track(
    metrics: axum::extract::State<std::sync::Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Standard methods keep their name; anything else is `other`, so a client
/// cannot invent label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family() {
        let metrics = Metrics::new(&BuildInfo {
            version: "1.2.3".into(),
            commit: "abc".into(),
        });
        metrics.observe(&Method::GET, "/healthz", 200, 0.01);
        metrics.set_store_up(true);
        metrics.set_catalog_services(3);
        let text = metrics.render();
        assert!(
            text.contains(r#"shipshape_build_info{version="1.2.3",commit="abc"} 1"#),
            "{text}"
        );
        assert!(text.contains(
            r#"shipshape_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ));
        assert!(text.contains("shipshape_http_request_duration_seconds_bucket"));
        assert!(text.contains("shipshape_store_up 1"));
        assert!(text.contains("shipshape_catalog_services 3"));
    }

    #[test]
    fn invented_methods_collapse_to_other() {
        let method = Method::from_bytes(b"BREW").expect("method");
        assert_eq!(method_label(&method), "other");
    }
}
