//! The Monitors page and `GET /api/v1/monitors`: catalog monitors with
//! their state, newest check, uptime and (on the page) a 24-hour latency
//! sparkline, filtered by `?service=` and `?state=`. Invalid filter values
//! are refused with 400 by the API and ignored with a notice by the page
//! (a person following an old link still gets the list).
//!
//! The page shows [`PAGE_SIZE`] monitors at a time (`?page=N`, from 1;
//! links keep the filters; an invalid page is ignored with a notice). The
//! API returns every matching monitor unless asked for a slice with
//! `?limit=` (at least 1) and `?offset=` (from 0, default 0), and says how
//! many matched in `total`; a bad `limit` or `offset` is refused with 400.
//!
//! Filters apply first (the state filter reads every monitor's stored
//! state in one query, plus the newest checks of monitors stored as up
//! when filtering by `up` or `degraded`), then the page or slice is cut,
//! and only the monitors shown are joined with their newest check, uptime
//! and sparkline, each in batches: a fixed number of store reads per few
//! hundred monitors shown, none per monitor.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::Serialize;
use shipshape_catalog::{Catalog, human_duration};
use shipshape_store::{MonitorId, SeriesPoint};

use super::{
    Filters, Health, Known, ListQuery, MonitorView, WINDOWS, monitor_href, monitor_views, select,
};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::extract::Query;
use crate::pages::charts::{percent, sparkline};
use crate::pages::{Nav, empty_state, notice, page, when};
use crate::state::AppState;

const MONITOR_EXAMPLE: &str = "[[service.monitor]]\nid = \"home\"\nhttp = { url = \"https://app.example.org/healthz\" }\nevery = \"30s\"\nexpect = [\"status == 200\"]";

/// The span of the list's sparklines.
const SPARK_SPAN: SignedDuration = SignedDuration::from_hours(24);

/// Monitors per page of the list.
pub(super) const PAGE_SIZE: usize = 100;

/// The API's list: the matching monitors (or the asked-for slice of them)
/// and how many matched.
#[derive(Debug, Serialize)]
pub(super) struct MonitorList {
    /// How many monitors match the filters, whatever `limit` and `offset`.
    total: usize,
    monitors: Vec<MonitorView>,
}

/// `GET /api/v1/monitors[?service=&state=&limit=&offset=]`.
pub(super) async fn monitors_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<ListQuery>,
) -> Result<Json<MonitorList>, ApiError> {
    let catalog = state.catalog();
    let (filters, mut problems) = Filters::parse(&catalog, &query);
    let limit = whole_number("limit", query.limit.as_deref(), 1, &mut problems);
    let offset = whole_number("offset", query.offset.as_deref(), 0, &mut problems).unwrap_or(0);
    if !problems.is_empty() {
        return Err(ApiError::bad_request(problems.join("; ")));
    }
    let known = Known::load(&state).await?;
    let (entries, newest) = select(&state, &catalog, &known, &filters).await?;
    let total = entries.len();
    let start = offset.min(total);
    let end = limit.map_or(total, |limit| start.saturating_add(limit).min(total));
    Ok(Json(MonitorList {
        total,
        monitors: monitor_views(&state, &known, &entries[start..end], newest, state.now()).await?,
    }))
}

/// `value` as a whole number of at least `min`; `None` if absent or empty.
/// A bad value adds a problem naming `name`.
fn whole_number(
    name: &str,
    value: Option<&str>,
    min: usize,
    problems: &mut Vec<String>,
) -> Option<usize> {
    let text = value.filter(|v| !v.is_empty())?;
    match text.parse::<usize>() {
        Ok(n) if n >= min => Some(n),
        _ => {
            problems.push(format!(
                "`{name}` must be a whole number of at least {min}; got `{text}`"
            ));
            None
        }
    }
}

/// Which page of the list to show, and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Paging {
    /// The page shown, from 1.
    page: usize,
    /// How many pages there are (at least 1).
    pages: usize,
    /// How many monitors match the filters.
    matching: usize,
}

impl Paging {
    /// The page `requested` of `matching` monitors; an invalid or
    /// too-large page number adds a problem and shows the first or the
    /// last page instead.
    fn new(requested: Option<&str>, matching: usize, problems: &mut Vec<String>) -> Paging {
        let pages = matching.div_ceil(PAGE_SIZE).max(1);
        let page = match requested.filter(|p| !p.is_empty()) {
            None => 1,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=pages).contains(&n) => n,
                Ok(n) if n > pages => {
                    problems.push(format!(
                        "`page`: there is no page {n}, the last is {pages}; showing it"
                    ));
                    pages
                }
                _ => {
                    problems.push(format!(
                        "`page`: `{text}` is not a page number; use a whole number from 1 to {pages}"
                    ));
                    1
                }
            },
        };
        Paging {
            page,
            pages,
            matching,
        }
    }

    /// The index range of the monitors on this page.
    fn range(self) -> std::ops::Range<usize> {
        let start = (self.page - 1) * PAGE_SIZE;
        start.min(self.matching)..(start + PAGE_SIZE).min(self.matching)
    }
}

/// `GET /monitors[?service=&state=&page=]`.
pub(super) async fn monitors_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<ListQuery>,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let (filters, problems) = Filters::parse(&catalog, &query);
    let known = Known::load(&state).await?;
    let (entries, newest) = select(&state, &catalog, &known, &filters).await?;
    let down = entries
        .iter()
        .filter(|(service, monitor)| {
            known.health(&service.id, &monitor.id, &newest) == Health::Down
        })
        .count();
    let mut page_problems = Vec::new();
    let paging = Paging::new(query.page.as_deref(), entries.len(), &mut page_problems);
    let now = state.now();
    let views = monitor_views(&state, &known, &entries[paging.range()], newest, now).await?;
    let from = now.saturating_sub(SPARK_SPAN).unwrap_or(now);
    let ids: Vec<MonitorId> = views.iter().filter_map(|v| v.stored).collect();
    let series = state.store.hourly_series(&ids, from, now).await?;
    let content = if catalog.monitors().next().is_none() {
        no_monitors(&catalog)
    } else {
        let shown = Shown {
            filters: &filters,
            paging,
            down,
            views: &views,
        };
        html! {
            @for problem in &problems {
                (notice("bad", html! { "Filter ignored: " (problem) }))
            }
            @for problem in &page_problems {
                (notice("bad", html! { "Page ignored: " (problem) }))
            }
            (filter_form(&catalog, &filters))
            (monitors_table(&catalog, &shown, &series, from, now))
        }
    };
    Ok(page("Monitors", &actor, Nav::Monitors, content))
}

/// What one page of the list shows.
struct Shown<'a> {
    filters: &'a Filters,
    paging: Paging,
    /// Matching monitors that are down, on any page.
    down: usize,
    /// The monitors on this page.
    views: &'a [MonitorView],
}

/// The list's URL for `page` with the current filters.
fn page_href(filters: &Filters, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(service) = &filters.service {
        query.append_pair("service", service);
    }
    if let Some(state) = filters.state {
        query.append_pair("state", state.as_str());
    }
    query.append_pair("page", &page.to_string());
    format!("/monitors?{}", query.finish())
}

/// `n` with thousands separated by commas: `10,000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Previous and next links around "Page N of M"; nothing for one page.
fn pager(filters: &Filters, paging: Paging) -> Markup {
    let Paging { page, pages, .. } = paging;
    if pages <= 1 {
        return html! {};
    }
    html! {
        nav class="pager" aria-label="Pages of monitors" {
            @if page > 1 {
                a href=(page_href(filters, page - 1)) rel="prev" { "← Previous" }
            } @else {
                span class="muted" { "← Previous" }
            }
            " · Page " (grouped(page)) " of " (grouped(pages)) " · "
            @if page < pages {
                a href=(page_href(filters, page + 1)) rel="next" { "Next →" }
            } @else {
                span class="muted" { "Next →" }
            }
        }
    }
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
    shown: &Shown<'_>,
    series: &HashMap<MonitorId, Vec<SeriesPoint>>,
    from: Timestamp,
    now: Timestamp,
) -> Markup {
    let Shown {
        filters,
        paging,
        down,
        views,
    } = *shown;
    let total = catalog.monitors().count();
    let matching = paging.matching;
    if views.is_empty() {
        return html! {
            p class="notice" role="status" {
                "No monitor matches these filters (the catalog has " (grouped(total)) "). "
                a href="/monitors" { "Show all monitors" }
            }
        };
    }
    let range = paging.range();
    html! {
        p class={ "notice " @if down > 0 { "bad" } @else { "good" } } role="status" {
            @if paging.pages > 1 {
                "Showing " (grouped(range.start + 1)) "–" (grouped(range.end)) " of " (grouped(matching))
                @if !filters.is_empty() { " matching" }
                " monitor(s)"
                @if !filters.is_empty() { " (the catalog has " (grouped(total)) ")" }
                ". "
            } @else if !filters.is_empty() {
                "Showing " (grouped(matching)) " of " (grouped(total)) " monitor(s). "
            }
            @if down > 0 { strong { (grouped(down)) " of " (grouped(matching)) " monitor(s) down." } }
            @else { (grouped(matching)) " monitor(s), none down." }
        }
        (pager(filters, paging))
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
        (pager(filters, paging))
    }
}
