//! The Monitors page and `GET /api/v1/monitors`: every catalog monitor with
//! its state, newest check, uptime and (on the page) a 24-hour latency
//! sparkline, filtered by `?service=` and `?state=`. Invalid filter values
//! are refused with 400 by the API and ignored with a notice by the page
//! (a person following an old link still gets the list).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::Serialize;
use shipshape_catalog::{Catalog, human_duration};
use shipshape_store::{MonitorId, SeriesPoint};

use super::{FilterQuery, Filters, Health, MonitorView, WINDOWS, filtered_views, monitor_href};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::extract::Query;
use crate::pages::charts::{percent, sparkline};
use crate::pages::{Nav, empty_state, notice, page, when};
use crate::state::AppState;

const MONITOR_EXAMPLE: &str = "[[service.monitor]]\nid = \"home\"\nhttp = { url = \"https://app.example.org/healthz\" }\nevery = \"30s\"\nexpect = [\"status == 200\"]";

/// The span of the list's sparklines.
const SPARK_SPAN: SignedDuration = SignedDuration::from_hours(24);

#[derive(Debug, Serialize)]
pub(super) struct MonitorList {
    monitors: Vec<MonitorView>,
}

/// `GET /api/v1/monitors[?service=&state=]`.
pub(super) async fn monitors_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<FilterQuery>,
) -> Result<Json<MonitorList>, ApiError> {
    let catalog = state.catalog();
    let (filters, problems) = Filters::parse(&catalog, &query);
    if !problems.is_empty() {
        return Err(ApiError::bad_request(problems.join("; ")));
    }
    Ok(Json(MonitorList {
        monitors: filtered_views(&state, &catalog, &filters).await?,
    }))
}

/// `GET /monitors[?service=&state=]`.
pub(super) async fn monitors_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<FilterQuery>,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let (filters, problems) = Filters::parse(&catalog, &query);
    let views = filtered_views(&state, &catalog, &filters).await?;
    let now = state.now();
    let from = now.saturating_sub(SPARK_SPAN).unwrap_or(now);
    let ids: Vec<MonitorId> = views.iter().filter_map(|v| v.stored).collect();
    let series = state.store.hourly_series(&ids, from, now).await?;
    let content = if catalog.monitors().next().is_none() {
        no_monitors(&catalog)
    } else {
        html! {
            @for problem in &problems {
                (notice("bad", html! { "Filter ignored: " (problem) }))
            }
            (filter_form(&catalog, &filters))
            (monitors_table(&catalog, &filters, &views, &series, from, now))
        }
    };
    Ok(page("Monitors", &actor, Nav::Monitors, content))
}

fn no_monitors(catalog: &Catalog) -> Markup {
    let components: usize = catalog.services.iter().map(|s| s.components.len()).sum();
    empty_state(
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
    )
}

/// The GET form of the filters, showing the current selection.
fn filter_form(catalog: &Catalog, filters: &Filters) -> Markup {
    html! {
        form class="filters" method="get" action="/monitors" role="search" aria-label="Filter monitors" {
            div {
                label for="filter-service" { "Service" }
                select id="filter-service" name="service" {
                    option value="" { "All services" }
                    @for service in &catalog.services {
                        @if !service.monitors.is_empty() {
                            option value=(service.id) selected[filters.service.as_deref() == Some(service.id.as_str())] {
                                (service.name)
                            }
                        }
                    }
                }
            }
            div {
                label for="filter-state" { "State" }
                select id="filter-state" name="state" {
                    option value="" { "Any state" }
                    @for health in Health::ALL {
                        option value=(health.as_str()) selected[filters.state == Some(health)] { (health.label()) }
                    }
                }
            }
            div class="filter-actions" {
                button type="submit" { "Filter" }
                @if !filters.is_empty() { " " a href="/monitors" { "Clear filters" } }
            }
        }
    }
}

fn monitors_table(
    catalog: &Catalog,
    filters: &Filters,
    views: &[MonitorView],
    series: &HashMap<MonitorId, Vec<SeriesPoint>>,
    from: Timestamp,
    now: Timestamp,
) -> Markup {
    let total = catalog.monitors().count();
    let down = views.iter().filter(|v| v.state == Health::Down).count();
    if views.is_empty() {
        return html! {
            p class="notice" role="status" {
                "No monitor matches these filters (the catalog has " (total) "). "
                a href="/monitors" { "Show all monitors" }
            }
        };
    }
    html! {
        p class={ "notice " @if down > 0 { "bad" } @else { "good" } } role="status" {
            @if !filters.is_empty() { "Showing " (views.len()) " of " (total) " monitor(s). " }
            @if down > 0 { strong { (down) " of " (views.len()) " monitor(s) down." } }
            @else { (views.len()) " monitor(s), none down." }
        }
        table class="monitors" {
            caption class="muted" { "Monitors from " code { (catalog.path.display()) } }
            thead { tr {
                th scope="col" { "Monitor" } th scope="col" { "State" } th scope="col" { "Last check" }
                th scope="col" { "Latency, 24h" }
                th scope="col" { "Uptime 24h / 7d / 30d / 90d" } th scope="col" { "Checks" }
            } }
            tbody {
                @for view in views {
                    tr {
                        th scope="row" {
                            a href=(monitor_href(&view.service, &view.id)) { (view.service_name) " / " (view.id) }
                            br; span class="muted" { code { (view.service) "/" (view.id) } }
                        }
                        td {
                            span class={ "state state-" (view.state.as_str()) } { (view.state.label()) }
                            @if let Some(since) = view.state_since { br; span class="muted" { "since " (when(since)) } }
                            @if view.state == Health::Down { @if let Some(reason) = &view.state_reason { br; (reason) } }
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
                            @let points = view.stored.and_then(|id| series.get(&id)).map_or(&[][..], Vec::as_slice);
                            (sparkline(&format!("{}/{}", view.service, view.id), points, from, now))
                        }
                        td {
                            @for (i, (label, window, _)) in WINDOWS.iter().enumerate() {
                                @if i > 0 { " / " }
                                @match view.uptime.get(window) {
                                    Some(ratio) => (percent(*ratio)),
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
