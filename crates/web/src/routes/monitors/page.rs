//! One monitor's page, `GET /monitors/{service}/{id}[?range=24h|7d|30d|90d]`:
//! its state and settings, a latency chart over the chosen range, the
//! 90-day availability bar, recent failures with their reasons, and its
//! state history with the time spent in each state, and a backtest: the
//! range's raw results replayed through the monitor's alerting
//! (`shipshape_alert::backtest`), its would-be incidents shaded on the
//! latency chart and listed. Responders get Pause and Resume buttons. An unknown `range` is ignored with a notice, as the
//! list's filters are.

use crate::pages::span_label;
use std::collections::HashMap;
use std::time::Duration;

use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_alert::backtest::{self, Backtest, EventKind, Sample};
use shipshape_catalog::{Catalog, Monitor, Service, human_duration};
use shipshape_store::{
    DayAvailability, LocationId, MonitorEventRecord, Role, SeriesPoint, StoredResult,
};

use super::{Health, Known, MonitorView, WINDOWS, find, monitor_href, monitor_view};
use crate::auth::{Actor, RequireRole, min};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::pages::charts::{Marker, availability_bar, latency_chart, percent};
use crate::pages::{Nav, csrf_field, empty_state, notice, page, when, when_precise};
use crate::state::AppState;

/// Days in the availability bar.
const BAR_DAYS: u32 = 90;
/// Failures listed.
const FAILURES_SHOWN: u32 = 20;
/// State changes listed.
const EVENTS_SHOWN: u32 = 50;
/// Raw results the backtest replays at most.
const BACKTEST_CAP: u32 = 20_000;
/// Backtest events listed.
const BACKTEST_SHOWN: usize = 50;

/// A latency chart's range, chosen with `?range=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChartRange {
    Day,
    Week,
    Month,
    Quarter,
}

impl ChartRange {
    const ALL: [ChartRange; 4] = [
        ChartRange::Day,
        ChartRange::Week,
        ChartRange::Month,
        ChartRange::Quarter,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ChartRange::Day => "24h",
            ChartRange::Week => "7d",
            ChartRange::Month => "30d",
            ChartRange::Quarter => "90d",
        }
    }

    fn span(self) -> SignedDuration {
        SignedDuration::from_hours(match self {
            ChartRange::Day => 24,
            ChartRange::Week => 24 * 7,
            ChartRange::Month => 24 * 30,
            ChartRange::Quarter => 24 * 90,
        })
    }

    /// One chart period: about 100–170 points per range. A day's comes
    /// from raw results; longer ranges merge hour or day rollups.
    fn width(self) -> Duration {
        Duration::from_secs(match self {
            ChartRange::Day => 10 * 60,
            ChartRange::Week => 3_600,
            ChartRange::Month => 6 * 3_600,
            ChartRange::Quarter => 86_400,
        })
    }
}

/// `?range=`.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    range: Option<String>,
}

/// Everything the page shows beyond the [`MonitorView`].
#[derive(Default)]
struct History {
    points: Vec<SeriesPoint>,
    days: Vec<DayAvailability>,
    failures: Vec<StoredResult>,
    events: Vec<MonitorEventRecord>,
    locations: HashMap<LocationId, String>,
    backtest: Option<Replay>,
}

/// The backtest of the chart's range.
struct Replay {
    result: Backtest,
    /// Where the replay started: the range's start, or later when the
    /// range holds more than [`BACKTEST_CAP`] checks at the monitor's
    /// interval.
    from: Timestamp,
    /// Whether results were left out at the end to stay within the cap.
    capped: bool,
}

/// Replays the monitor's raw results between `from` and `now`, at most
/// [`BACKTEST_CAP`] of them, starting late enough that a monitor checked
/// at its interval fits.
async fn replay(
    state: &AppState,
    catalog: &Catalog,
    id: shipshape_store::MonitorId,
    (service, monitor): (&Service, &Monitor),
    from: Timestamp,
    now: Timestamp,
) -> Result<Replay, ApiError> {
    let every = SignedDuration::try_from(monitor.every).unwrap_or(SignedDuration::from_secs(60));
    let earliest = every
        .checked_mul(BACKTEST_CAP as i32)
        .and_then(|span| now.checked_sub(span).ok())
        .unwrap_or(from);
    let from = from.max(earliest);
    let mut results = state.store.results(id, from, now, BACKTEST_CAP + 1).await?;
    let capped = results.len() > BACKTEST_CAP as usize;
    results.truncate(BACKTEST_CAP as usize);
    let samples: Vec<Sample> = results
        .into_iter()
        .map(|r| Sample {
            at: r.at,
            ok: r.ok,
            latency_ms: Some(r.latency.as_secs_f64() * 1000.0),
            reason: r.reason,
        })
        .collect();
    let result =
        backtest::run(catalog, &service.id, &monitor.id, &samples).map_err(ApiError::internal)?;
    Ok(Replay {
        result,
        from,
        capped,
    })
}

/// `GET /monitors/{service}/{id}`.
pub(super) async fn monitor_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Path((service_id, monitor_id)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let (service, monitor) = find(&catalog, &service_id, &monitor_id)?;
    let now = state.now();
    let known = Known::load(&state).await?;
    let view = monitor_view(&state, &known, service, monitor, now).await?;
    let wanted = query.range.as_deref().filter(|r| !r.is_empty());
    let range = wanted
        .and_then(|r| ChartRange::ALL.into_iter().find(|c| c.as_str() == r))
        .unwrap_or(ChartRange::Day);
    let problem = wanted
        .filter(|r| *r != range.as_str())
        .map(|r| format!("`range`: `{r}` is not a range; use 24h, 7d, 30d or 90d. Showing 24h."));
    let from = now.saturating_sub(range.span()).unwrap_or(now);
    let mut history = History::default();
    if let Some(id) = view.stored {
        history.points = state
            .store
            .latency_buckets(id, from, now, range.width())
            .await?;
        history.days = state.store.daily_availability(id, BAR_DAYS, now).await?;
        history.failures = state.store.recent_failures(id, FAILURES_SHOWN).await?;
        history.events = state
            .store
            .monitor_events_for(id, EVENTS_SHOWN, None)
            .await?;
        history.locations = state.store.locations().await?.into_iter().collect();
        history.backtest = Some(replay(&state, &catalog, id, (service, monitor), from, now).await?);
    }
    let markers: Vec<Marker> = history
        .backtest
        .iter()
        .flat_map(|replay| &replay.result.incidents)
        .map(|span| {
            let to = span.resolved.unwrap_or(now);
            Marker {
                from: span.opened,
                to,
                label: match span.resolved {
                    Some(_) => format!(
                        "backtest: an incident would have been open from {} to {}",
                        when_precise(span.opened),
                        when_precise(to)
                    ),
                    None => format!(
                        "backtest: an incident would have been open from {} on",
                        when_precise(span.opened)
                    ),
                },
            }
        })
        .collect();
    let title = format!("{} — {}", monitor.id, service.name);
    let href = monitor_href(&service.id, &monitor.id);
    Ok(page(
        &title,
        &actor,
        Nav::Monitors,
        html! {
            nav class="crumbs" aria-label="Breadcrumb" {
                a href="/monitors" { "Monitors" } " › "
                a href=(service_filter_href(service)) { (service.name) } " › "
                span aria-current="page" { (monitor.id) }
            }
            @if let Some(problem) = &problem { (notice("bad", html! { (problem) })) }
            (summary(&actor, &view, monitor, &href))
            @if view.last_result.is_none() && history.events.is_empty() {
                (empty_state(
                    "No checks yet",
                    html! {
                        p { "This monitor has not reported a result. Checks run every "
                            (human_duration(monitor.every)) "; the first ones appear here within a minute of Shipshape starting." }
                        @if view.state == Health::Paused { p { "It is paused: resume it to start checking." } }
                    },
                    None,
                ))
            } @else {
                (latency_section(&href, range, &history.points, from, now, &markers))
                @if let Some(replay) = &history.backtest { (backtest_section(range, replay, from)) }
                (availability_section(&history.days))
                (failures_section(&history))
                (events_section(&history.events, now))
            }
        },
    ))
}

/// The header: state, what is checked and how often, the newest check,
/// uptime, and the Pause/Resume button for responders.
fn summary(actor: &Actor, view: &MonitorView, monitor: &Monitor, href: &str) -> Markup {
    html! {
        section class="monitor-head" aria-label="Summary" {
            p class="badge-line" {
                span class={ "badge state state-" (view.state.as_str()) } { (view.state.label()) }
                @if let Some(since) = view.state_since { " since " (when(since)) }
                @if matches!(view.state, Health::Down | Health::Paused) {
                    @if let Some(reason) = &view.state_reason { br; span class="reason" { (reason) } }
                }
                @if view.state == Health::Degraded {
                    br; span class="muted" { "Up, but the newest check failed (not confirmed down)." }
                }
            }
            dl class="facts" {
                dt { "Kind" } dd { (view.kind) }
                dt { "Target" } dd { code { (view.target) } }
                dt { "Interval" } dd { "every " (human_duration(view.every)) ", timeout " (human_duration(view.timeout)) }
                @if let Some(component) = &view.component { dt { "Component" } dd { code { (component) } } }
                dt { "Last check" }
                dd {
                    @match &view.last_result {
                        Some(last) => {
                            (if last.ok { "passed" } else { "failed" }) " · " (last.latency_ms) " ms"
                            @if let Some(code) = last.status_code { " · HTTP " (code) }
                            " · " (when_precise(last.at))
                            @if let Some(reason) = &last.reason { br; span class="bad" { (reason) } }
                        }
                        None => span class="muted" { "not checked yet" },
                    }
                }
                dt { "Uptime" }
                dd {
                    @for (i, (label, window, _)) in WINDOWS.iter().enumerate() {
                        @if i > 0 { " · " }
                        (label) " "
                        @match view.uptime.get(window) {
                            Some(ratio) => strong { (percent(*ratio)) },
                            None => span class="muted" { "—" },
                        }
                    }
                }
                @if !monitor.expect.is_empty() {
                    dt { "Expects" }
                    dd { ul class="plain" { @for expectation in &view.expect { li { code { (expectation) } } } } }
                }
            }
            @if actor.role >= Role::Responder {
                @if view.state == Health::Paused {
                    form class="inline" method="post" action={ (href) "/resume" } {
                        (csrf_field(actor))
                        button type="submit" { "Resume monitoring" }
                    }
                } @else {
                    form class="inline" method="post" action={ (href) "/pause" } {
                        (csrf_field(actor))
                        button type="submit" class="secondary" { "Pause monitoring" }
                        span class="muted" { " A paused monitor is not checked until resumed." }
                    }
                }
            }
        }
    }
}

fn latency_section(
    href: &str,
    range: ChartRange,
    points: &[SeriesPoint],
    from: Timestamp,
    now: Timestamp,
    markers: &[Marker],
) -> Markup {
    html! {
        section aria-labelledby="latency-heading" {
            h2 id="latency-heading" { "Latency" }
            nav class="ranges" aria-label="Chart range" {
                ul {
                    @for choice in ChartRange::ALL {
                        li {
                            @if choice == range {
                                a href={ (href) "?range=" (choice.as_str()) } aria-current="true" { (choice.as_str()) }
                            } @else {
                                a href={ (href) "?range=" (choice.as_str()) } { (choice.as_str()) }
                            }
                        }
                    }
                }
            }
            @if points.is_empty() {
                p class="empty" { "No checks in the last " (range.as_str()) "." }
            } @else {
                (latency_chart("latency", points, from, now, range.width(), markers))
                p class="muted" {
                    "Latency of passing checks, per " (human_duration(range.width())) " (UTC). "
                    @if range == ChartRange::Day { "From raw results." } @else { "From hourly and daily rollups (within 4.8 %)." }
                }
            }
        }
    }
}

/// What the monitor's alerting would have done over the range: the
/// summary, the would-be events as a table (the chart's marks in words).
fn backtest_section(range: ChartRange, replay: &Replay, range_from: Timestamp) -> Markup {
    let result = &replay.result;
    let shown = result.events.len().min(BACKTEST_SHOWN);
    html! {
        section aria-labelledby="backtest-heading" {
            h2 id="backtest-heading" { "Backtest" }
            p class="muted" {
                "What this monitor's alerting (expectations, confirmation, flap damping, anomaly rule, resolve hold) would have done over the last "
                (range.as_str()) ", replayed from the raw results"
                @if replay.from > range_from { " since " (when_precise(replay.from)) " (at most " (BACKTEST_CAP) " checks)" }
                ". Would-be incidents are shaded on the latency chart. Silences and upstream incidents are not applied; nothing is paged."
            }
            @if replay.capped {
                p class="notice" { "Capped: only the first " (BACKTEST_CAP) " results of the window were replayed; later ones are not counted." }
            }
            @if result.summary.samples == 0 {
                p class="empty" { "No raw results in this range to replay (raw results are kept 7 days by default)." }
            } @else {
                p class="backtest-summary" { strong { (result.summary.line()) } }
                @if result.events.is_empty() {
                    p class="empty" { "Nothing would have paged." }
                } @else {
                    table class="backtest" {
                        caption class="muted" {
                            "Would-be alerts, oldest first"
                            @if shown < result.events.len() { " (the first " (shown) " of " (result.events.len()) ")" }
                        }
                        thead { tr {
                            th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Detail" }
                        } }
                        tbody {
                            @for event in &result.events[..shown] {
                                tr {
                                    td { (when_precise(event.at)) }
                                    td { span class={ "bt bt-" (event_class(event.kind)) } { (event.kind.label()) } }
                                    td class="reason" { (event.detail) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn event_class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Opened => "opened",
        EventKind::Flapping => "flapping",
        EventKind::Settled => "settled",
        EventKind::Resolved => "resolved",
        EventKind::AnomalyFired => "anomaly",
        EventKind::AnomalyCleared => "anomaly-cleared",
    }
}

fn availability_section(days: &[DayAvailability]) -> Markup {
    html! {
        section aria-labelledby="availability-heading" {
            h2 id="availability-heading" { "Availability, last " (BAR_DAYS) " days" }
            @if days.iter().all(|d| d.uptime.checks == 0) {
                p class="empty" { "No checks in the last " (BAR_DAYS) " days." }
            } @else {
                (availability_bar("availability", days))
            }
        }
    }
}

fn failures_section(history: &History) -> Markup {
    html! {
        section aria-labelledby="failures-heading" {
            h2 id="failures-heading" { "Recent failures" }
            @if history.failures.is_empty() {
                p class="empty" { "No failed checks in the raw results (kept 7 days by default)." }
            } @else {
                table class="failures" {
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "From" } th scope="col" { "Reason" }
                        th scope="col" { "HTTP" } th scope="col" { "Took" }
                    } }
                    tbody {
                        @for failure in &history.failures {
                            tr {
                                td { (when_precise(failure.at)) }
                                td { (history.locations.get(&failure.location).cloned().unwrap_or_else(|| format!("#{}", failure.location.0))) }
                                td class="reason" { (failure.reason.as_deref().unwrap_or("(no reason stored)")) }
                                td { @if let Some(code) = failure.status_code { (code) } @else { "—" } }
                                td { (super::latency_ms(failure.latency)) " ms" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn events_section(events: &[MonitorEventRecord], now: Timestamp) -> Markup {
    html! {
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "State history" }
            @if events.is_empty() {
                p class="empty" { "No state changes yet." }
            } @else {
                table class="history" {
                    thead { tr {
                        th scope="col" { "State" } th scope="col" { "Since" } th scope="col" { "For" }
                        th scope="col" { "Was" } th scope="col" { "Why" } th scope="col" { "Locations" }
                    } }
                    tbody {
                        @for (i, record) in events.iter().enumerate() {
                            @let event = &record.event;
                            @let until = i.checked_sub(1).map(|newer| events[newer].event.at);
                            tr {
                                td { span class={ "state state-" (event.to.as_str()) } { (event.to.as_str()) } }
                                td { (when_precise(event.at)) }
                                td {
                                    (span_label(until.unwrap_or(now).duration_since(event.at)))
                                    @if until.is_none() { " (ongoing)" }
                                }
                                td { (event.from.as_str()) }
                                td { (event.reason.as_deref().unwrap_or("")) }
                                td { (event.locations.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The monitors list filtered to `service`.
fn service_filter_href(service: &Service) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("service", &service.id)
        .finish();
    format!("/monitors?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::span_label;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span_label(SignedDuration::from_secs(45)), "45 s");
        assert_eq!(span_label(SignedDuration::from_secs(12 * 60 + 5)), "12 min");
        assert_eq!(
            span_label(SignedDuration::from_secs(3 * 3600 + 300)),
            "3 h 5 min"
        );
        assert_eq!(span_label(SignedDuration::from_hours(52)), "2 d 4 h");
        assert_eq!(span_label(SignedDuration::from_secs(-5)), "0 s");
    }
}
