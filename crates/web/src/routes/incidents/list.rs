//! The incidents list: `GET /incidents[?status=&service=&before=]` and
//! `GET /api/v1/incidents[?status=&service=&before=&limit=]`.
//!
//! Pages are keyset pages over the id, newest first: `before` is the last
//! id of the previous page, so an incident opening meanwhile never shifts
//! a page. Without a status filter the page shows every open and
//! acknowledged incident first, then the resolved ones, 100 at a time.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shipshape_catalog::Catalog;
use shipshape_store::{Incident, IncidentFilter, IncidentStatus};

use super::{IncidentView, ago, duration, incident_href, status_label};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::extract::Query;
use crate::pages::{Nav, empty_state, notice, page, when};
use crate::state::AppState;

/// Incidents per page of the list, and the API's default `limit`.
pub(super) const PAGE_SIZE: u32 = 100;

const ROUTE_EXAMPLE: &str = "[[escalation]]\nid = \"default\"\nsteps = [{ notify = [\"schedule:primary\"] }]\n\n[[route]]\nescalation = \"default\"";

/// The list's query as sent, parsed by hand so that each problem names
/// its parameter.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
    service: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

/// Valid filters of the list.
#[derive(Debug, Default, Clone)]
struct Filters {
    status: Option<IncidentStatus>,
    service: Option<String>,
    before: Option<i64>,
}

impl Filters {
    /// The valid filters of `query` and a reason for each invalid one: the
    /// API refuses those with 400, the page ignores them with a notice.
    fn parse(query: &ListQuery) -> (Filters, Vec<String>) {
        let mut filters = Filters::default();
        let mut problems = Vec::new();
        if let Some(name) = non_empty(&query.status) {
            match IncidentStatus::parse(name) {
                Some(status) => filters.status = Some(status),
                None => problems.push(format!(
                    "`status`: `{name}` is not a status; use one of: {}",
                    IncidentStatus::ALL.map(IncidentStatus::as_str).join(", ")
                )),
            }
        }
        filters.service = non_empty(&query.service).map(str::to_owned);
        if let Some(text) = non_empty(&query.before) {
            match text.parse::<i64>() {
                Ok(id) if id > 0 => filters.before = Some(id),
                _ => problems.push(format!(
                    "`before`: must be an incident id (a whole number above 0), such as a previous page's `next_before`; got `{text}`"
                )),
            }
        }
        (filters, problems)
    }

    fn store_filter(&self, limit: u32) -> IncidentFilter {
        IncidentFilter {
            status: self.status,
            open_only: false,
            service: self.service.clone(),
            before_id: self.before,
            limit,
        }
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A page of incidents matching `filter`, and the id to pass as `before`
/// for the next page, if there is one.
async fn keyset_page(
    state: &AppState,
    filter: &IncidentFilter,
) -> Result<(Vec<Incident>, Option<i64>), ApiError> {
    let incidents = state.store.incidents(filter).await?;
    let mut next = None;
    if incidents.len() >= filter.limit as usize
        && let Some(last) = incidents.last()
    {
        let probe = IncidentFilter {
            before_id: Some(last.id),
            limit: 1,
            ..filter.clone()
        };
        if !state.store.incidents(&probe).await?.is_empty() {
            next = Some(last.id);
        }
    }
    Ok((incidents, next))
}

/// The API's list.
#[derive(Debug, Serialize)]
pub(super) struct IncidentList {
    /// Newest first.
    incidents: Vec<IncidentView>,
    /// How many incidents match `status` and `service`, on any page.
    total: u64,
    /// `before` for the next page; null on the last one.
    next_before: Option<i64>,
}

/// `GET /api/v1/incidents`.
pub(super) async fn incidents_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<ListQuery>,
) -> Result<Json<IncidentList>, ApiError> {
    let (filters, mut problems) = Filters::parse(&query);
    let max = IncidentFilter::MAX_LIMIT;
    let limit = match non_empty(&query.limit) {
        None => PAGE_SIZE,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                problems.push(format!(
                    "`limit`: must be a whole number from 1 to {max}; got `{text}`"
                ));
                PAGE_SIZE
            }
        },
    };
    if !problems.is_empty() {
        return Err(ApiError::bad_request(problems.join("; ")));
    }
    let filter = filters.store_filter(limit);
    let (incidents, next_before) = keyset_page(&state, &filter).await?;
    let total = state.store.count_incidents(&filter).await?;
    Ok(Json(IncidentList {
        incidents: incidents.into_iter().map(IncidentView::from).collect(),
        total,
        next_before,
    }))
}

/// `GET /incidents`.
pub(super) async fn incidents_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<ListQuery>,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let (filters, problems) = Filters::parse(&query);
    let now = state.now();
    let everything = state
        .store
        .count_incidents(&IncidentFilter::default())
        .await?;
    let content = if everything == 0 {
        empty_state(
            "No incidents",
            html! {
                p { "Incidents open when a monitor goes down or an alert arrives (from Prometheus at "
                    code { "/api/v2/alerts" } " or as an event at " code { "/api/v1/events" }
                    "), and are routed to whoever is on call. Add a route to an escalation so someone is paged." }
            },
            Some(ROUTE_EXAMPLE),
        )
    } else {
        let sections = match filters.status {
            // Everything: what is going on now (first page only), then the past.
            None => {
                let mut sections = Vec::new();
                if filters.before.is_none() {
                    let active = IncidentFilter {
                        open_only: true,
                        limit: IncidentFilter::MAX_LIMIT,
                        ..filters.store_filter(0)
                    };
                    let shown = state.store.incidents(&active).await?;
                    let total = state.store.count_incidents(&active).await?;
                    sections.push(Section {
                        heading: "Open and acknowledged",
                        capped: (shown.len() as u64) < total,
                        incidents: shown,
                        total,
                        next: None,
                        empty: "No open incidents.",
                    });
                }
                let past = IncidentFilter {
                    status: Some(IncidentStatus::Resolved),
                    ..filters.store_filter(PAGE_SIZE)
                };
                let (incidents, next) = keyset_page(&state, &past).await?;
                let total = state.store.count_incidents(&past).await?;
                sections.push(Section {
                    heading: if filters.before.is_some() {
                        "Older resolved incidents"
                    } else {
                        "Resolved"
                    },
                    incidents,
                    total,
                    next,
                    empty: "No resolved incidents.",
                    capped: false,
                });
                sections
            }
            Some(status) => {
                let filter = filters.store_filter(PAGE_SIZE);
                let (incidents, next) = keyset_page(&state, &filter).await?;
                let total = state.store.count_incidents(&filter).await?;
                vec![Section {
                    heading: match status {
                        IncidentStatus::Open => "Open",
                        IncidentStatus::Acknowledged => "Acknowledged",
                        IncidentStatus::Resolved => "Resolved",
                    },
                    incidents,
                    total,
                    next,
                    empty: "No incident matches these filters.",
                    capped: false,
                }]
            }
        };
        html! {
            @for problem in &problems {
                (notice("bad", html! { "Filter ignored: " (problem) }))
            }
            (filter_form(&catalog, &filters))
            @if filters.before.is_some() {
                p { a href=(list_href(&filters, None)) { "← Newest incidents" } }
            }
            @for section in &sections {
                (section_markup(&filters, section, now))
            }
        }
    };
    Ok(page("Incidents", &actor, Nav::Incidents, content))
}

/// One table of the list.
struct Section {
    heading: &'static str,
    incidents: Vec<Incident>,
    /// How many match, on any page.
    total: u64,
    /// `before` of the next page.
    next: Option<i64>,
    empty: &'static str,
    /// Whether more match than the section can show (it has no pages).
    capped: bool,
}

/// The list's URL with `filters` and `before`.
fn list_href(filters: &Filters, before: Option<i64>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(status) = filters.status {
        query.append_pair("status", status.as_str());
    }
    if let Some(service) = &filters.service {
        query.append_pair("service", service);
    }
    if let Some(before) = before {
        query.append_pair("before", &before.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/incidents".to_owned()
    } else {
        format!("/incidents?{query}")
    }
}

fn section_markup(filters: &Filters, section: &Section, now: Timestamp) -> Markup {
    let id = section.heading.to_lowercase().replace(' ', "-");
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (section.heading) " " span class="muted" { "(" (section.total) ")" } }
            @if section.incidents.is_empty() {
                p class="empty" { (section.empty) }
            } @else {
                @if section.capped {
                    p class="muted" { "Showing the newest " (section.incidents.len()) "; filter by service to see the others." }
                }
                (incidents_table(&section.incidents, now))
                @if let Some(next) = section.next {
                    nav class="pager" aria-label="Older incidents" {
                        a href=(list_href(filters, Some(next))) rel="next" { "Older →" }
                    }
                }
            }
        }
    }
}

fn incidents_table(incidents: &[Incident], now: Timestamp) -> Markup {
    html! {
        table class="incidents" {
            thead { tr {
                th scope="col" { "#" } th scope="col" { "Severity" } th scope="col" { "Status" }
                th scope="col" { "Title" } th scope="col" { "Service" } th scope="col" { "Opened" }
                th scope="col" { "Duration" }
            } }
            tbody {
                @for incident in incidents {
                    tr {
                        td { a href=(incident_href(incident.id)) { "#" (incident.id) } }
                        td { span class={ "sev sev-" (incident.severity) } { (incident.severity) } }
                        td { span class={ "state status-" (incident.status.as_str()) } { (status_label(incident.status)) } }
                        th scope="row" {
                            a href=(incident_href(incident.id)) { (incident.title) }
                            @if incident.flapping { " " span class="tag" { "flapping" } }
                            @if incident.suppressed.is_some() { " " span class="tag" title=(incident.suppressed.as_deref().unwrap_or_default()) { "suppressed" } }
                        }
                        td { @match &incident.service { Some(service) => code { (service) }, None => span class="muted" { "—" } } }
                        td { (ago(incident.opened_at, now)) br; span class="muted" { (when(incident.opened_at)) } }
                        td { (duration(incident, now)) }
                    }
                }
            }
        }
    }
}

/// The GET form of the filters, showing the current selection.
fn filter_form(catalog: &Catalog, filters: &Filters) -> Markup {
    let unknown_service = filters
        .service
        .as_deref()
        .filter(|s| catalog.service(s).is_none());
    html! {
        form class="filters" method="get" action="/incidents" role="search" aria-label="Filter incidents" {
            div {
                label for="filter-status" { "Status" }
                select id="filter-status" name="status" {
                    option value="" { "Any status" }
                    @for status in IncidentStatus::ALL {
                        option value=(status.as_str()) selected[filters.status == Some(status)] { (status_label(status)) }
                    }
                }
            }
            div {
                label for="filter-service" { "Service" }
                select id="filter-service" name="service" {
                    option value="" { "All services" }
                    @for service in &catalog.services {
                        option value=(service.id) selected[filters.service.as_deref() == Some(service.id.as_str())] {
                            (service.name)
                        }
                    }
                    @if let Some(service) = unknown_service {
                        option value=(service) selected { (service) }
                    }
                }
            }
            div class="filter-actions" {
                button type="submit" { "Filter" }
                @if filters.status.is_some() || filters.service.is_some() { " " a href="/incidents" { "Clear filters" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(status: Option<&str>, before: Option<&str>) -> ListQuery {
        ListQuery {
            status: status.map(str::to_owned),
            service: None,
            before: before.map(str::to_owned),
            limit: None,
        }
    }

    #[test]
    fn filters_name_their_bad_parameters() {
        let (filters, problems) = Filters::parse(&query(Some("acknowledged"), Some("12")));
        assert!(problems.is_empty());
        assert_eq!(filters.status, Some(IncidentStatus::Acknowledged));
        assert_eq!(filters.before, Some(12));
        let (_, problems) = Filters::parse(&query(Some("closed"), Some("-1")));
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("`status`"));
        assert!(problems[1].starts_with("`before`"));
    }

    #[test]
    fn list_links_keep_the_filters() {
        let filters = Filters {
            status: Some(IncidentStatus::Resolved),
            service: Some("a b".into()),
            before: None,
        };
        assert_eq!(
            list_href(&filters, Some(7)),
            "/incidents?status=resolved&service=a+b&before=7"
        );
        assert_eq!(list_href(&Filters::default(), None), "/incidents");
    }
}
