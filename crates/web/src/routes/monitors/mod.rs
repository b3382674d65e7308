//! Monitors: the list page and `GET /api/v1/monitors` (with filters and
//! sparklines), one monitor's page and API (latency chart, 90-day
//! availability, failures, state history, raw results), and pausing. The
//! catalog says which monitors exist; everything else comes from the
//! store, so any instance serves it.
//!
//! Files: this one holds the routes and the view shared by all of them
//! ([`MonitorView`], the displayed [`Health`], filters); `list.rs` the list,
//! `page.rs` the monitor page, `api.rs` the per-monitor JSON, `pause.rs`
//! pausing and resuming. The SVG charts live in
//! [`crate::pages::charts`].

mod api;
mod list;
mod page;
mod pause;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use shipshape_catalog::{Catalog, Monitor, Service};
use shipshape_store::{
    MonitorEventRecord, MonitorId, MonitorName, MonitorState, Role, StoredResult, Uptime,
};

use crate::access::{Access, Routes};
use crate::error::ApiError;
use crate::state::AppState;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    routes
        .get("/monitors", viewer, list::monitors_page)
        .get("/monitors/{service}/{id}", viewer, page::monitor_page)
        .post(
            "/monitors/{service}/{id}/pause",
            responder,
            pause::pause_form,
        )
        .post(
            "/monitors/{service}/{id}/resume",
            responder,
            pause::resume_form,
        )
        .get("/api/v1/monitors", viewer, list::monitors_api)
        .get("/api/v1/monitors/{service}/{id}", viewer, api::monitor_api)
        .get(
            "/api/v1/monitors/{service}/{id}/results",
            viewer,
            api::results_api,
        )
        .post(
            "/api/v1/monitors/{service}/{id}/pause",
            responder,
            pause::pause_api,
        )
        .post(
            "/api/v1/monitors/{service}/{id}/resume",
            responder,
            pause::resume_api,
        )
}

/// An uptime window, serialized as its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
enum Window {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "90d")]
    Quarter,
}

/// The uptime windows shown for each monitor: label, window and length in hours.
const WINDOWS: [(&str, Window, i64); 4] = [
    ("24h", Window::Day, 24),
    ("7d", Window::Week, 24 * 7),
    ("30d", Window::Month, 24 * 30),
    ("90d", Window::Quarter, 24 * 90),
];

/// What the UI and API call a monitor's state: the stored state, except
/// that `up` whose newest check failed (a failure not yet confirmed) shows
/// as `degraded`, like a partial outage across locations does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Health {
    /// Passing.
    Up,
    /// Failing from fewer locations than the quorum, or up with the newest
    /// check failed.
    Degraded,
    /// Failing, confirmed.
    Down,
    /// Frozen by an operator.
    Paused,
    /// No verdict yet.
    Unknown,
}

impl Health {
    /// Every state, in the order filters list them.
    const ALL: [Health; 5] = [
        Health::Up,
        Health::Degraded,
        Health::Down,
        Health::Paused,
        Health::Unknown,
    ];

    /// The displayed state of a monitor: paused wins, then the stored state,
    /// refined by the newest check: `degraded` is a partial outage (failing
    /// from fewer locations than the quorum) or a failure not yet confirmed.
    fn of(paused: bool, stored: Option<MonitorState>, newest_ok: Option<bool>) -> Health {
        if paused {
            return Health::Paused;
        }
        match stored {
            Some(MonitorState::Up) if newest_ok == Some(false) => Health::Degraded,
            Some(MonitorState::Up) => Health::Up,
            Some(MonitorState::Down) => Health::Down,
            Some(MonitorState::Degraded) => Health::Degraded,
            Some(MonitorState::Paused) => Health::Paused,
            Some(MonitorState::Unknown) | None => Health::Unknown,
        }
    }

    /// The lowercase name used in URLs and JSON.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Paused => "paused",
            Health::Unknown => "unknown",
        }
    }

    /// The label: a symbol and a word, never colour alone.
    pub(super) fn label(self) -> &'static str {
        match self {
            Health::Up => "▲ Up",
            Health::Degraded => "◆ Degraded",
            Health::Down => "▼ Down",
            Health::Paused => "❚❚ Paused",
            Health::Unknown => "? Unknown",
        }
    }

    fn parse(name: &str) -> Option<Health> {
        Health::ALL.into_iter().find(|h| h.as_str() == name)
    }
}

/// One monitor as the pages and the API show it.
#[derive(Debug, Serialize)]
pub(super) struct MonitorView {
    service: String,
    id: String,
    #[serde(skip)]
    service_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<String>,
    kind: &'static str,
    target: String,
    every_seconds: f64,
    state: Health,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_since: Option<Timestamp>,
    last_result: Option<LastResult>,
    /// Passing fraction per window (`24h`, `7d`, `30d`, `90d`); absent when no check ran.
    uptime: BTreeMap<Window, f64>,
    #[serde(skip)]
    expect: Vec<String>,
    #[serde(skip)]
    every: Duration,
    #[serde(skip)]
    timeout: Duration,
    /// The store's id, once the monitoring writer has registered it.
    #[serde(skip)]
    stored: Option<MonitorId>,
}

/// The latest check of a monitor.
#[derive(Debug, Serialize)]
struct LastResult {
    at: Timestamp,
    ok: bool,
    latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<StoredResult> for LastResult {
    fn from(result: StoredResult) -> Self {
        LastResult {
            at: result.at,
            ok: result.ok,
            latency_ms: latency_ms(result.latency),
            status_code: result.status_code,
            reason: result.reason,
        }
    }
}

/// A latency in whole milliseconds, saturating.
fn latency_ms(latency: Duration) -> u64 {
    u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)
}

/// What the store knows about every monitor, read once per request: ids,
/// pause flags and each one's latest state change.
struct Known {
    ids: HashMap<MonitorName, (MonitorId, bool)>,
    states: HashMap<MonitorId, MonitorEventRecord>,
}

impl Known {
    async fn load(state: &AppState) -> Result<Known, ApiError> {
        let ids = state
            .store
            .monitors()
            .await?
            .into_iter()
            .map(|record| (record.name, (record.id, record.paused)))
            .collect();
        let states = state
            .store
            .current_states()
            .await?
            .into_iter()
            .map(|record| (record.event.monitor, record))
            .collect();
        Ok(Known { ids, states })
    }

    /// The store's id and pause flag of `service/monitor`, if registered.
    fn id(&self, service: &str, monitor: &str) -> Option<(MonitorId, bool)> {
        self.ids
            .get(&MonitorName {
                service: service.to_owned(),
                monitor: monitor.to_owned(),
            })
            .copied()
    }

    /// The pause flag and latest state change of `service/monitor`.
    fn stored(&self, service: &str, monitor: &str) -> (bool, Option<&MonitorEventRecord>) {
        match self.id(service, monitor) {
            Some((id, paused)) => (paused, self.states.get(&id)),
            None => (false, None),
        }
    }
}

/// A catalog monitor with its service.
type Entry<'c> = (&'c Service, &'c Monitor);

/// Newest results read so far, by monitor; a monitor looked up without a
/// result has none stored.
#[derive(Debug, Default)]
struct Newest {
    results: HashMap<MonitorId, StoredResult>,
    looked_up: HashSet<MonitorId>,
}

impl Newest {
    /// Reads the newest results of those of `ids` not looked up yet, in
    /// one batch.
    async fn fetch(&mut self, state: &AppState, ids: &[MonitorId]) -> Result<(), ApiError> {
        let missing: Vec<MonitorId> = ids
            .iter()
            .copied()
            .filter(|id| !self.looked_up.contains(id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.results
            .extend(state.store.latest_results(&missing).await?);
        self.looked_up.extend(missing);
        Ok(())
    }
}

impl Known {
    /// The id of `service/monitor` if its displayed state depends on its
    /// newest check: only an unpaused monitor stored as up does (a failed
    /// newest check shows it as degraded).
    fn refined_by_newest(&self, service: &str, monitor: &str) -> Option<MonitorId> {
        let (id, paused) = self.id(service, monitor)?;
        let up = self
            .states
            .get(&id)
            .is_some_and(|record| record.event.to == MonitorState::Up);
        (up && !paused).then_some(id)
    }

    /// The displayed state of `service/monitor`, refined by its newest
    /// check if `newest` has looked it up.
    fn health(&self, service: &str, monitor: &str, newest: &Newest) -> Health {
        let (paused, latest) = self.stored(service, monitor);
        let newest_ok = self
            .id(service, monitor)
            .and_then(|(id, _)| newest.results.get(&id))
            .map(|result| result.ok);
        Health::of(paused, latest.map(|record| record.event.to), newest_ok)
    }
}

/// Catalog monitors joined with what the store knows: state, newest check
/// and uptime per window, in the order of `entries`. A fixed number of
/// store reads per few hundred monitors: the newest results (reusing those
/// in `newest`) and each window's uptime are read in batches.
async fn monitor_views(
    state: &AppState,
    known: &Known,
    entries: &[Entry<'_>],
    mut newest: Newest,
    now: Timestamp,
) -> Result<Vec<MonitorView>, ApiError> {
    let ids: Vec<MonitorId> = entries
        .iter()
        .filter_map(|(service, monitor)| known.id(&service.id, &monitor.id))
        .map(|(id, _)| id)
        .collect();
    newest.fetch(state, &ids).await?;
    let mut uptimes = Vec::with_capacity(WINDOWS.len());
    if !ids.is_empty() {
        for (_, window, hours) in WINDOWS {
            let from = now
                .saturating_sub(SignedDuration::from_hours(hours))
                .unwrap_or(now);
            uptimes.push((window, state.store.uptime_many(&ids, from, now).await?));
        }
    }
    Ok(entries
        .iter()
        .map(|&(service, monitor)| {
            let stored = known.id(&service.id, &monitor.id).map(|(id, _)| id);
            let (paused, latest) = known.stored(&service.id, &monitor.id);
            let last_result = stored
                .and_then(|id| newest.results.remove(&id))
                .map(LastResult::from);
            let uptime = stored
                .map(|id| {
                    uptimes
                        .iter()
                        .filter_map(|(window, by_id)| {
                            Some((*window, by_id.get(&id).and_then(Uptime::ratio)?))
                        })
                        .collect()
                })
                .unwrap_or_default();
            MonitorView {
                service: service.id.clone(),
                id: monitor.id.clone(),
                service_name: service.name.clone(),
                component: monitor.component.clone(),
                kind: monitor.kind.name(),
                target: monitor.kind.target(),
                every_seconds: monitor.every.as_secs_f64(),
                state: Health::of(
                    paused,
                    latest.map(|record| record.event.to),
                    last_result.as_ref().map(|last| last.ok),
                ),
                state_reason: latest.and_then(|record| record.event.reason.clone()),
                state_since: latest.map(|record| record.event.at),
                last_result,
                uptime,
                expect: monitor.expect.iter().map(ToString::to_string).collect(),
                every: monitor.every,
                timeout: monitor.timeout,
                stored,
            }
        })
        .collect())
}

/// One catalog monitor joined with what the store knows.
async fn monitor_view(
    state: &AppState,
    known: &Known,
    service: &Service,
    monitor: &Monitor,
    now: Timestamp,
) -> Result<MonitorView, ApiError> {
    monitor_views(state, known, &[(service, monitor)], Newest::default(), now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no view built for one monitor"))
}

/// The catalog monitor `service/id`, or 404.
fn find<'c>(
    catalog: &'c Catalog,
    service: &str,
    id: &str,
) -> Result<(&'c Service, &'c Monitor), ApiError> {
    catalog
        .service(service)
        .and_then(|s| s.monitors.iter().find(|m| m.id == id).map(|m| (s, m)))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no monitor `{service}/{id}` in the catalog; see /monitors for the list"
            ))
        })
}

/// The page of `service/id`, with each part percent-encoded.
pub(super) fn monitor_href(service: &str, id: &str) -> String {
    format!("/monitors/{}/{}", path_segment(service), path_segment(id))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The list's query as sent: `?service=&state=` (empty means "any"), the
/// page's `page`, the API's `limit` and `offset`; parsed by hand so that
/// each problem names its parameter.
#[derive(Debug, Default, serde::Deserialize)]
struct ListQuery {
    service: Option<String>,
    state: Option<String>,
    page: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// Valid filters of the monitors list.
#[derive(Debug, Default)]
struct Filters {
    service: Option<String>,
    state: Option<Health>,
}

impl Filters {
    /// The valid filters of `query` and a reason for each invalid one
    /// (naming the parameter): the API refuses those with 400, the page
    /// ignores them with a notice.
    fn parse(catalog: &Catalog, query: &ListQuery) -> (Filters, Vec<String>) {
        let mut filters = Filters::default();
        let mut problems = Vec::new();
        if let Some(service) = query.service.as_deref().filter(|s| !s.is_empty()) {
            if catalog.service(service).is_some() {
                filters.service = Some(service.to_owned());
            } else {
                let known: Vec<&str> = catalog.services.iter().map(|s| s.id.as_str()).collect();
                problems.push(format!(
                    "`service`: no service `{service}` in the catalog; use one of: {}",
                    if known.is_empty() {
                        "(none)".to_owned()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
        if let Some(name) = query.state.as_deref().filter(|s| !s.is_empty()) {
            match Health::parse(name) {
                Some(health) => filters.state = Some(health),
                None => problems.push(format!(
                    "`state`: `{name}` is not a state; use one of: {}",
                    Health::ALL.map(Health::as_str).join(", ")
                )),
            }
        }
        (filters, problems)
    }

    fn is_empty(&self) -> bool {
        self.service.is_none() && self.state.is_none()
    }
}

/// The catalog monitors matching `filters`, in catalog order, and the
/// newest results read to tell their states. The service filter needs no
/// store read; the state filter needs each monitor's stored state (read
/// once by [`Known::load`]) and, for `up` and `degraded` only, the newest
/// check of the monitors stored as up, read in batches.
async fn select<'c>(
    state: &AppState,
    catalog: &'c Catalog,
    known: &Known,
    filters: &Filters,
) -> Result<(Vec<Entry<'c>>, Newest), ApiError> {
    let mut entries: Vec<Entry<'c>> = catalog
        .monitors()
        .filter(|(service, _)| filters.service.as_ref().is_none_or(|s| *s == service.id))
        .collect();
    let mut newest = Newest::default();
    if let Some(wanted) = filters.state {
        if matches!(wanted, Health::Up | Health::Degraded) {
            let ids: Vec<MonitorId> = entries
                .iter()
                .filter_map(|(service, monitor)| known.refined_by_newest(&service.id, &monitor.id))
                .collect();
            newest.fetch(state, &ids).await?;
        }
        entries
            .retain(|(service, monitor)| known.health(&service.id, &monitor.id, &newest) == wanted);
    }
    Ok((entries, newest))
}

/// For `shipshape_monitor_up`: every catalog monitor with `Some(true)` if
/// up (or degraded), `Some(false)` if down, `None` if unknown or paused.
pub(super) async fn up_states(
    state: &AppState,
    catalog: &Catalog,
) -> Result<Vec<(String, String, Option<bool>)>, ApiError> {
    let known = Known::load(state).await?;
    Ok(catalog
        .monitors()
        .map(|(service, monitor)| {
            let (paused, latest) = known.stored(&service.id, &monitor.id);
            let up = match latest.map(|record| record.event.to) {
                _ if paused => None,
                Some(MonitorState::Up | MonitorState::Degraded) => Some(true),
                Some(MonitorState::Down) => Some(false),
                _ => None,
            };
            (service.id.clone(), monitor.id.clone(), up)
        })
        .collect())
}

/// `(service, monitor)` of every catalog monitor.
pub(super) fn catalog_monitors(catalog: &Catalog) -> HashSet<(String, String)> {
    catalog
        .monitors()
        .map(|(service, monitor)| (service.id.clone(), monitor.id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displayed_state() {
        use MonitorState::{Down, Paused, Unknown, Up};
        assert_eq!(Health::of(true, Some(Up), Some(true)), Health::Paused);
        assert_eq!(Health::of(false, Some(Up), Some(true)), Health::Up);
        assert_eq!(Health::of(false, Some(Up), Some(false)), Health::Degraded);
        assert_eq!(Health::of(false, Some(Down), Some(true)), Health::Down);
        assert_eq!(Health::of(false, Some(Paused), None), Health::Paused);
        assert_eq!(Health::of(false, Some(Unknown), None), Health::Unknown);
        assert_eq!(Health::of(false, None, Some(false)), Health::Unknown);
        for health in Health::ALL {
            assert_eq!(Health::parse(health.as_str()), Some(health));
        }
    }

    #[test]
    fn hrefs_encode_their_segments() {
        assert_eq!(monitor_href("api", "health"), "/monitors/api/health");
        assert_eq!(monitor_href("a b", "x/y?"), "/monitors/a%20b/x%2Fy%3F");
    }
}
