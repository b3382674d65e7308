//! Monitors: the page listing every monitor with its live state, last
//! check and uptime, and the same data as JSON at `GET /api/v1/monitors`.
//! Everything comes from the store, so any instance serves it.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::Serialize;
use shipshape_catalog::{Catalog, human_duration};
use shipshape_store::{MonitorId, MonitorName, MonitorState, Role, StoredResult};
use std::collections::{BTreeMap, HashMap};

use crate::access::{Access, Routes};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::pages::{Nav, empty_state, page, when};
use crate::state::AppState;

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

const MONITOR_EXAMPLE: &str = "[[service.monitor]]\nid = \"home\"\nhttp = { url = \"https://app.example.org/healthz\" }\nevery = \"30s\"\nexpect = [\"status == 200\"]";

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    routes
        .get("/monitors", viewer, monitors_page)
        .get("/api/v1/monitors", viewer, monitors_api)
}

/// One monitor as the page and the API show it.
#[derive(Debug, Serialize)]
struct MonitorView {
    service: String,
    id: String,
    #[serde(skip)]
    service_name: String,
    kind: &'static str,
    target: String,
    every_seconds: f64,
    state: &'static str,
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
            latency_ms: u64::try_from(result.latency.as_millis()).unwrap_or(u64::MAX),
            status_code: result.status_code,
            reason: result.reason,
        }
    }
}

/// Every catalog monitor joined with what the store knows about it.
async fn monitor_views(state: &AppState, catalog: &Catalog) -> Result<Vec<MonitorView>, ApiError> {
    let now = state.clock.now();
    let ids: HashMap<MonitorName, (MonitorId, bool)> = state
        .store
        .monitors()
        .await?
        .into_iter()
        .map(|record| (record.name, (record.id, record.paused)))
        .collect();
    let states: HashMap<MonitorId, _> = state
        .store
        .current_states()
        .await?
        .into_iter()
        .map(|record| (record.event.monitor, record))
        .collect();
    let mut views = Vec::new();
    for (service, monitor) in catalog.monitors() {
        let name = MonitorName {
            service: service.id.clone(),
            monitor: monitor.id.clone(),
        };
        let known = ids.get(&name).copied();
        let latest = known.and_then(|(id, _)| states.get(&id));
        let mut view = MonitorView {
            service: service.id.clone(),
            id: monitor.id.clone(),
            service_name: service.name.clone(),
            kind: monitor.kind.name(),
            target: monitor.kind.target(),
            every_seconds: monitor.every.as_secs_f64(),
            state: match (known, latest) {
                (Some((_, true)), _) => "paused",
                (_, Some(record)) => state_name(record.event.to),
                _ => "unknown",
            },
            state_reason: latest.and_then(|record| record.event.reason.clone()),
            state_since: latest.map(|record| record.event.at),
            last_result: None,
            uptime: BTreeMap::new(),
            expect: monitor.expect.iter().map(ToString::to_string).collect(),
            every: monitor.every,
        };
        if let Some((id, _)) = known {
            view.last_result = latest_result(state, id, monitor.every, now).await?;
            for (_, window, hours) in WINDOWS {
                let from = now
                    .saturating_sub(SignedDuration::from_hours(hours))
                    .unwrap_or(now);
                if let Some(ratio) = state.store.uptime(id, from, now).await?.ratio() {
                    view.uptime.insert(window, ratio);
                }
            }
        }
        views.push(view);
    }
    Ok(views)
}

/// The newest stored result within the last few intervals.
async fn latest_result(
    state: &AppState,
    id: MonitorId,
    every: Duration,
    now: Timestamp,
) -> Result<Option<LastResult>, ApiError> {
    // Three intervals hold a few results per location: the newest is among them.
    let window = SignedDuration::try_from(every.saturating_mul(3))
        .unwrap_or(SignedDuration::MAX)
        .max(SignedDuration::from_secs(5));
    let from = now.saturating_sub(window).unwrap_or(now);
    let to = now
        .saturating_add(SignedDuration::from_secs(1))
        .unwrap_or(now);
    let results = state.store.results(id, from, to, 256).await?;
    Ok(results.into_iter().last().map(LastResult::from))
}

fn state_name(state: MonitorState) -> &'static str {
    match state {
        MonitorState::Unknown => "unknown",
        MonitorState::Up => "up",
        MonitorState::Down => "down",
        MonitorState::Paused => "paused",
    }
}

#[derive(Debug, Serialize)]
struct MonitorList {
    monitors: Vec<MonitorView>,
}

async fn monitors_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
) -> Result<Json<MonitorList>, ApiError> {
    let catalog = state.catalog();
    Ok(Json(MonitorList {
        monitors: monitor_views(&state, &catalog).await?,
    }))
}

async fn monitors_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let views = monitor_views(&state, &catalog).await?;
    Ok(page(
        "Monitors",
        &actor,
        Nav::Monitors,
        monitors_table(&catalog, &views),
    ))
}

fn monitors_table(catalog: &Catalog, views: &[MonitorView]) -> Markup {
    if views.is_empty() {
        let components: usize = catalog.services.iter().map(|s| s.components.len()).sum();
        return empty_state(
            "No monitors yet",
            html! {
                p { "Add a " code { "[[service.monitor]]" } " under a service in shipshape.toml, then reload with "
                    code { "kill -HUP <pid>" } " (SIGHUP) or restart Shipshape." }
                p class="muted" {
                    "The catalog has " (catalog.services.len()) " service(s) with " (components)
                    " component(s) to watch. " a href="/services" { "See services" } "."
                }
            },
            Some(MONITOR_EXAMPLE),
        );
    }
    let down = views.iter().filter(|v| v.state == "down").count();
    html! {
        p class={ "notice " @if down > 0 { "bad" } @else { "good" } } {
            @if down > 0 { strong { (down) " of " (views.len()) " monitor(s) down." } }
            @else { (views.len()) " monitor(s), none down." }
        }
        table {
            caption class="muted" { "Monitors from " code { (catalog.path.display()) } }
            thead { tr {
                th scope="col" { "Monitor" } th scope="col" { "State" } th scope="col" { "Last check" }
                th scope="col" { "Uptime 24h / 7d / 30d / 90d" } th scope="col" { "Checks" }
            } }
            tbody {
                @for view in views {
                    tr {
                        th scope="row" { (view.service_name) br; span class="muted" { code { (view.service) "/" (view.id) } } }
                        td {
                            span class={ "state state-" (view.state) } { (state_label(view.state)) }
                            @if let Some(since) = view.state_since { br; span class="muted" { "since " (when(since)) } }
                            @if view.state == "down" { @if let Some(reason) = &view.state_reason { br; (reason) } }
                        }
                        td {
                            @match &view.last_result {
                                Some(last) => {
                                    (if last.ok { "passed" } else { "failed" }) " · " (last.latency_ms) " ms"
                                    @if let Some(code) = last.status_code { " · HTTP " (code) }
                                    br; span class="muted" { (when(last.at)) }
                                    @if let Some(reason) = &last.reason { br; span class="bad" { (reason) } }
                                }
                                None => span class="muted" { "not checked yet" },
                            }
                        }
                        td {
                            @for (i, (label, window, _)) in WINDOWS.iter().enumerate() {
                                @if i > 0 { " / " }
                                @match view.uptime.get(window) {
                                    Some(ratio) => (format!("{:.2}%", ratio * 100.0)),
                                    None => span class="muted" title={ "no checks in " (label) } { "—" },
                                }
                            }
                        }
                        td {
                            code { (view.target) } br;
                            span class="muted" { "every " (human_duration(view.every)) }
                            @if !view.expect.is_empty() {
                                ul { @for expectation in &view.expect { li { code { (expectation) } } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The state's label: words and a symbol, never colour alone.
fn state_label(state: &str) -> &'static str {
    match state {
        "up" => "▲ Up",
        "down" => "▼ Down",
        "paused" => "❚❚ Paused",
        _ => "? Unknown",
    }
}
