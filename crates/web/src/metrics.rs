//! The Prometheus registry behind `/metrics`, the middleware that counts
//! and times every request, and [`MonitorMetrics`], the per-monitor
//! families fed by the monitoring writer. The `route` label is the matched
//! path template (`/api/v1/tokens/{id}`), never the raw path, and the
//! `service`/`monitor` labels only name catalog monitors, so cardinality
//! stays bounded.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

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

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MonitorLabels {
    service: String,
    monitor: String,
}

impl MonitorLabels {
    fn new(service: &str, monitor: &str) -> Self {
        Self {
            service: service.to_owned(),
            monitor: monitor.to_owned(),
        }
    }
}

type CheckDurationFamily = Family<MonitorLabels, Histogram, fn() -> Histogram>;

/// Upper bounds (seconds) of the check-duration buckets: 5 ms to 30 s,
/// about ×2.5 apart, so both a 20 ms API and a check timing out at 10 s
/// land in a bucket of their own.
const CHECK_DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn check_duration_histogram() -> Histogram {
    Histogram::new(CHECK_DURATION_BUCKETS)
}

/// Per-monitor metrics, a cheap clonable handle reachable as
/// [`Metrics::monitors`]:
///
/// - `shipshape_monitor_check_duration_seconds{service,monitor}`: a
///   histogram of every check's duration (failed checks included: a check
///   that times out counts its full timeout), fed live by
///   [`MonitorMetrics::observe`];
/// - `shipshape_monitor_check_failures_total{service,monitor}`: failed
///   checks, also fed by `observe` (with the histogram's `_count` it gives
///   the failure rate);
/// - `shipshape_monitor_up{service,monitor}`: 1 if the monitor's confirmed
///   state is up, 0 if down; no sample while it is unknown or paused. Set
///   from the store on each scrape of `/metrics`, so every instance
///   reports the shared state, including right after a restart.
///
/// The binary's result writer calls `observe` once per check result and
/// `forget` for monitors removed from the catalog. Each scrape also drops
/// series of monitors no longer in the catalog, so a missed `forget` only
/// lingers until the next scrape.
#[derive(Debug, Clone)]
pub struct MonitorMetrics {
    inner: Arc<MonitorFamilies>,
}

#[derive(Debug)]
struct MonitorFamilies {
    durations: CheckDurationFamily,
    failures: Family<MonitorLabels, Counter>,
    up: Family<MonitorLabels, Gauge>,
    /// Label sets `observe` has created (a `Family` cannot list its own),
    /// so stale ones can be forgotten.
    seen: RwLock<HashSet<MonitorLabels>>,
    /// Serializes rebuilding `up` against rendering, so a scrape never
    /// sees it half rebuilt.
    refresh: Mutex<()>,
}

impl MonitorMetrics {
    fn new() -> Self {
        Self {
            inner: Arc::new(MonitorFamilies {
                durations: Family::new_with_constructor(check_duration_histogram),
                failures: Family::default(),
                up: Family::default(),
                seen: RwLock::new(HashSet::new()),
                refresh: Mutex::new(()),
            }),
        }
    }

    /// Records one check of `service/monitor`: its duration and whether it
    /// passed. Cheap enough to call for every result (a few uncontended
    /// read locks and atomic adds; two short strings allocated per call).
    pub fn observe(&self, service: &str, monitor: &str, up: bool, latency: Duration) {
        let labels = MonitorLabels::new(service, monitor);
        let known = self
            .inner
            .seen
            .read()
            .map(|seen| seen.contains(&labels))
            .unwrap_or(true);
        if !known && let Ok(mut seen) = self.inner.seen.write() {
            seen.insert(labels.clone());
        }
        self.inner
            .durations
            .get_or_create(&labels)
            .observe(latency.as_secs_f64());
        let failures = self.inner.failures.get_or_create(&labels);
        if !up {
            failures.inc();
        }
    }

    /// Drops every series of `service/monitor` (call it when the monitor
    /// leaves the catalog).
    pub fn forget(&self, service: &str, monitor: &str) {
        let labels = MonitorLabels::new(service, monitor);
        if let Ok(mut seen) = self.inner.seen.write() {
            seen.remove(&labels);
        }
        self.inner.durations.remove(&labels);
        self.inner.failures.remove(&labels);
        self.inner.up.remove(&labels);
    }

    /// Forgets every observed monitor for which `keep(service, monitor)` is
    /// false.
    pub fn retain(&self, keep: impl Fn(&str, &str) -> bool) {
        let stale: Vec<MonitorLabels> = match self.inner.seen.read() {
            Ok(seen) => seen
                .iter()
                .filter(|labels| !keep(&labels.service, &labels.monitor))
                .cloned()
                .collect(),
            Err(_) => return,
        };
        for labels in stale {
            self.forget(&labels.service, &labels.monitor);
        }
    }

    /// Replaces every `shipshape_monitor_up` sample: `Some(true)` for up,
    /// `Some(false)` for down, `None` (no sample) for unknown or paused.
    pub(crate) fn set_states<'a>(
        &self,
        states: impl IntoIterator<Item = (&'a str, &'a str, Option<bool>)>,
    ) {
        let _guard = self.inner.refresh.lock();
        self.inner.up.clear();
        for (service, monitor, up) in states {
            if let Some(up) = up {
                self.inner
                    .up
                    .get_or_create(&MonitorLabels::new(service, monitor))
                    .set(i64::from(up));
            }
        }
    }
}

/// Shipshape's metrics registry and the web layer's own metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    store_up: Gauge,
    catalog_services: Gauge,
    monitors: MonitorMetrics,
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
        let monitors = MonitorMetrics::new();
        registry.register(
            "shipshape_monitor_up",
            "1 if the monitor is up, 0 if down; absent while unknown or paused",
            monitors.inner.up.clone(),
        );
        registry.register(
            "shipshape_monitor_check_duration_seconds",
            "Duration of each check of a monitor, failed checks included",
            monitors.inner.durations.clone(),
        );
        registry.register(
            "shipshape_monitor_check_failures",
            "Failed checks of a monitor",
            monitors.inner.failures.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            store_up,
            catalog_services,
            monitors,
        }
    }

    /// The per-monitor metrics handle (clone it to keep it).
    pub fn monitors(&self) -> &MonitorMetrics {
        &self.monitors
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
        let _guard = self.monitors.inner.refresh.lock();
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
