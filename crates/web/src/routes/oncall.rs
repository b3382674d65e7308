//! On-call: the `/oncall` page (who is on call now, the next four weeks of
//! shifts, gaps), `GET /api/v1/schedules`, `GET /api/v1/schedules/{id}/oncall`
//! and iCalendar feeds per schedule and per person. Everything is resolved
//! from the catalog with `shipshape_alert::oncall`; nothing is stored.
//!
//! The `.ics` feeds need the Viewer role like every other `/api/v1` route:
//! calendar apps that can send headers subscribe with
//! `Authorization: Bearer <viewer token>`; there is no anonymous feed.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shipshape_alert::oncall::{self, Shift, ShiftSource};
use shipshape_catalog::{Catalog, Schedule};
use shipshape_store::Role;

use crate::access::{Access, Routes};
use crate::auth::{RequireRole, min};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::pages::{Nav, empty_state, notice, page, when};
use crate::state::AppState;

/// How far ahead the page, the list and the default API range look.
const AHEAD: SignedDuration = SignedDuration::from_hours(24 * 28);
/// How far back a calendar feed starts.
const FEED_BEHIND: SignedDuration = SignedDuration::from_hours(24 * 7);
/// How far ahead a calendar feed reaches.
const FEED_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 56);
/// The catalog example shown when there are no schedules.
const EXAMPLE: &str = "[[person]]\nid = \"alice\"\nname = \"Alice\"\n\n[[person]]\nid = \"bob\"\nname = \"Bob\"\n\n[[schedule]]\nid = \"primary\"\ntimezone = \"America/New_York\"\nrotation = { members = [\"alice\", \"bob\"], every = \"1w\", handoff = \"monday 09:00\", start = \"2026-11-30\" }\noverrides = [{ person = \"bob\", from = \"2026-12-21\", until = \"2027-01-04\", note = \"Alice on leave\" }]";

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let routes = super::test_page::routes(routes);
    routes
        .get("/oncall", viewer, oncall_page)
        .get("/api/v1/schedules", viewer, schedules_api)
        .get("/api/v1/schedules/{id}/oncall", viewer, oncall_api)
        .get(
            "/api/v1/schedules/{id}/calendar.ics",
            viewer,
            schedule_calendar,
        )
        .get("/api/v1/people/{id}/calendar.ics", viewer, person_calendar)
}

/// `at + span`, saturating at the end of time.
fn plus(at: Timestamp, span: SignedDuration) -> Timestamp {
    at.checked_add(span).unwrap_or(Timestamp::MAX)
}

/// `at - span`, saturating at the start of time.
fn minus(at: Timestamp, span: SignedDuration) -> Timestamp {
    at.checked_sub(span).unwrap_or(Timestamp::MIN)
}

/// Parses an optional RFC 3339 parameter; the error names it.
fn time_param(name: &str, value: Option<&str>) -> Result<Option<Timestamp>, String> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<Timestamp>().map_err(|e| {
                format!("`{name}` must be an RFC 3339 timestamp such as 2026-11-30T09:00:00Z; got `{v}` ({e})")
            })
        })
        .transpose()
}

/// Who is on call at `at`: [`oncall::on_call_at`], with `end` carried on
/// while the same person stays on from the same source (up to four weeks
/// ahead), so "until" is the end of their shift, not the next change in
/// some other layer.
fn on_call(schedule: &Schedule, at: Timestamp) -> Option<Shift> {
    let mut shift = oncall::on_call_at(schedule, at)?;
    if let Some(next) = oncall::resolve(schedule, at, plus(at, AHEAD)).first()
        && next.start == at
        && next.person == shift.person
        && next.source == shift.source
        && next.end > shift.end
    {
        shift.end = next.end;
    }
    Some(shift)
}

fn find<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Schedule, ApiError> {
    catalog
        .schedules
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no schedule `{id}` in the catalog")))
}

fn person_name<'a>(catalog: &'a Catalog, id: &'a str) -> &'a str {
    catalog
        .people
        .iter()
        .find(|p| p.id == id)
        .map_or(id, |p| p.name.as_str())
}

fn zone_name(schedule: &Schedule) -> String {
    schedule
        .timezone
        .iana_name()
        .map_or_else(|| "UTC".to_owned(), str::to_owned)
}

/// A shift as the API shows it.
#[derive(Debug, Serialize)]
struct ShiftView {
    person: String,
    person_name: String,
    /// Absent when the shift began before anything the schedule knows.
    start: Option<Timestamp>,
    /// Absent when nothing in the schedule ever ends the shift.
    end: Option<Timestamp>,
    /// `layer` or `override`.
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl ShiftView {
    fn new(catalog: &Catalog, schedule: &Schedule, shift: &Shift) -> Self {
        let (source, layer, layer_name, note) = match &shift.source {
            ShiftSource::Layer(i) => (
                "layer",
                Some(*i),
                schedule.layers.get(*i).and_then(|l| l.name.clone()),
                None,
            ),
            ShiftSource::Override { note } => ("override", None, None, note.clone()),
        };
        Self {
            person: shift.person.clone(),
            person_name: person_name(catalog, &shift.person).to_owned(),
            start: (shift.start != Timestamp::MIN).then_some(shift.start),
            end: (shift.end != Timestamp::MAX).then_some(shift.end),
            source,
            layer,
            layer_name,
            note,
        }
    }

    /// `layer 1 (name)` or `override: note`, for the page.
    fn source_label(&self) -> String {
        match (self.source, self.layer, &self.layer_name, &self.note) {
            ("layer", Some(i), Some(name), _) => format!("layer {} ({name})", i + 1),
            ("layer", Some(i), None, _) => format!("layer {}", i + 1),
            (_, _, _, Some(note)) => format!("override: {note}"),
            _ => "override".to_owned(),
        }
    }
}

/// A time when nobody is on call.
#[derive(Debug, Serialize)]
struct GapView {
    start: Timestamp,
    end: Timestamp,
}

fn gap_views(gaps: Vec<(Timestamp, Timestamp)>) -> Vec<GapView> {
    gaps.into_iter()
        .map(|(start, end)| GapView { start, end })
        .collect()
}

/// One schedule in `GET /api/v1/schedules`.
#[derive(Debug, Serialize)]
struct ScheduleSummary {
    id: String,
    name: String,
    timezone: String,
    /// Null during a gap.
    on_call: Option<ShiftView>,
    /// Gaps in the next four weeks.
    gaps: Vec<GapView>,
}

/// `GET /api/v1/schedules`.
async fn schedules_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
) -> Json<Vec<ScheduleSummary>> {
    let catalog = state.catalog();
    let now = state.now();
    Json(
        catalog
            .schedules
            .iter()
            .map(|s| ScheduleSummary {
                id: s.id.clone(),
                name: s.name.clone(),
                timezone: zone_name(s),
                on_call: on_call(s, now).map(|x| ShiftView::new(&catalog, s, &x)),
                gaps: gap_views(oncall::gaps(s, now, plus(now, AHEAD))),
            })
            .collect(),
    )
}

/// `?at=&from=&to=`, as sent.
#[derive(Debug, Deserialize)]
struct OnCallQuery {
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/schedules/{id}/oncall`.
#[derive(Debug, Serialize)]
struct OnCallDetail {
    id: String,
    name: String,
    timezone: String,
    at: Timestamp,
    on_call: Option<ShiftView>,
    from: Timestamp,
    to: Timestamp,
    shifts: Vec<ShiftView>,
    gaps: Vec<GapView>,
    /// Where the range was cut (see `oncall::horizon`), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated_at: Option<Timestamp>,
}

/// `GET /api/v1/schedules/{id}/oncall?at=&from=&to=`: `at` defaults to
/// now, `from` to now and `to` to four weeks after `from`.
async fn oncall_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
    Query(query): Query<OnCallQuery>,
) -> Result<Json<OnCallDetail>, ApiError> {
    let catalog = state.catalog();
    let schedule = find(&catalog, &id)?;
    let now = state.now();
    let at = time_param("at", query.at.as_deref()).map_err(ApiError::bad_request)?;
    let from = time_param("from", query.from.as_deref()).map_err(ApiError::bad_request)?;
    let to = time_param("to", query.to.as_deref()).map_err(ApiError::bad_request)?;
    let at = at.unwrap_or(now);
    let from = from.unwrap_or(now);
    let to = to.unwrap_or_else(|| plus(from, AHEAD));
    if from >= to {
        return Err(ApiError::bad_request(format!(
            "`from` ({from}) must be earlier than `to` ({to})"
        )));
    }
    let horizon = oncall::horizon(schedule, from, to);
    let view = |s: &Shift| ShiftView::new(&catalog, schedule, s);
    Ok(Json(OnCallDetail {
        id: schedule.id.clone(),
        name: schedule.name.clone(),
        timezone: zone_name(schedule),
        at,
        on_call: on_call(schedule, at).as_ref().map(view),
        from,
        to,
        shifts: oncall::resolve(schedule, from, to)
            .iter()
            .map(view)
            .collect(),
        gaps: gap_views(oncall::gaps(schedule, from, to)),
        truncated_at: (horizon < to).then_some(horizon),
    }))
}

/// An iCalendar response.
fn calendar(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `GET /api/v1/schedules/{id}/calendar.ics`: the schedule's shifts from a
/// week ago to eight weeks ahead.
async fn schedule_calendar(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let catalog = state.catalog();
    let schedule = find(&catalog, &id)?;
    let now = state.now();
    let shifts = oncall::resolve(schedule, minus(now, FEED_BEHIND), plus(now, FEED_AHEAD));
    Ok(calendar(oncall::ical(
        schedule,
        &shifts,
        &catalog.people,
        now,
    )))
}

/// `GET /api/v1/people/{id}/calendar.ics`: one person's shifts in every
/// schedule, from a week ago to eight weeks ahead.
async fn person_calendar(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let catalog = state.catalog();
    let person = catalog
        .people
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no person `{id}` in the catalog")))?;
    let now = state.now();
    let (from, to) = (minus(now, FEED_BEHIND), plus(now, FEED_AHEAD));
    // The calendar's frame comes from an empty schedule named for the
    // person; each schedule contributes its own VEVENTs (their summaries
    // and UIDs name the schedule).
    let frame = Schedule {
        id: format!("person-{}", person.id),
        name: format!("{} on call", person.name),
        timezone: jiff::tz::TimeZone::UTC,
        layers: Vec::new(),
        overrides: Vec::new(),
    };
    let mut body = oncall::ical(&frame, &[], &catalog.people, now);
    let end = "END:VCALENDAR\r\n";
    body.truncate(body.len().saturating_sub(end.len()));
    for schedule in &catalog.schedules {
        let shifts: Vec<Shift> = oncall::resolve(schedule, from, to)
            .into_iter()
            .filter(|s| s.person == person.id)
            .collect();
        if shifts.is_empty() {
            continue;
        }
        let one = oncall::ical(schedule, &shifts, &catalog.people, now);
        if let Some(start) = one.find("\r\nBEGIN:VEVENT\r\n") {
            let events = &one[start + 2..];
            body.push_str(events.strip_suffix(end).unwrap_or(events));
        }
    }
    body.push_str(end);
    Ok(calendar(body))
}

/// `?at=`, as sent.
#[derive(Debug, Deserialize)]
struct PageQuery {
    at: Option<String>,
}

/// `GET /oncall[?at=]`.
async fn oncall_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<PageQuery>,
) -> Markup {
    let catalog = state.catalog();
    let now = state.now();
    let (at, problem) = match time_param("at", query.at.as_deref()) {
        Ok(at) => (at.unwrap_or(now), None),
        Err(problem) => (now, Some(format!("{problem}. Showing now."))),
    };
    let content = html! {
        @if let Some(problem) = &problem { (notice("bad", html! { (problem) })) }
        @if catalog.schedules.is_empty() {
            (empty_state(
                "No on-call schedules yet",
                html! { p { "Define who is on call in shipshape.toml with a " code { "[[schedule]]" } " (people come from " code { "[[person]]" } "), then reload with SIGHUP." } },
                Some(EXAMPLE),
            ))
        } @else {
            @if at != now { p class="muted" { "Showing the schedules as of " (when(at)) ". " a href="/oncall" { "Back to now" } } }
            @for schedule in &catalog.schedules { (schedule_section(&catalog, schedule, at)) }
        }
        @if actor.role >= Role::Responder { (test_page_form(&actor, &catalog)) }
    };
    page("On-call", &actor, Nav::OnCall, content)
}

/// The "Send a test page" form: any person, team, schedule or notifier.
fn test_page_form(actor: &crate::auth::Actor, catalog: &Catalog) -> Markup {
    /// A labelled group of targets of one kind: `(id, name)` pairs.
    type Group<'a> = (&'static str, &'static str, Vec<(&'a str, &'a str)>);
    let groups: [Group; 4] = [
        (
            "People",
            "person",
            catalog
                .people
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str()))
                .collect(),
        ),
        (
            "Schedules",
            "schedule",
            catalog
                .schedules
                .iter()
                .map(|s| (s.id.as_str(), s.name.as_str()))
                .collect(),
        ),
        (
            "Teams",
            "team",
            catalog
                .teams
                .iter()
                .map(|t| (t.id.as_str(), t.name.as_str()))
                .collect(),
        ),
        (
            "Shared channels",
            "notifier",
            catalog
                .notifiers
                .iter()
                .map(|n| (n.id.as_str(), n.id.as_str()))
                .collect(),
        ),
    ];
    html! {
        section aria-labelledby="test-page" {
            h2 id="test-page" { "Send a test page" }
            p class="muted" { "Proves the path to someone's phone works: the page goes through the same channels as a real one, and resolves when acknowledged. The readiness review looks for a recent acknowledged test page." }
            form method="post" action="/oncall/test-page" {
                (crate::pages::csrf_field(actor))
                label for="test-page-target" { "Send to " }
                select id="test-page-target" name="target" required {
                    @for (label, kind, items) in &groups {
                        @if !items.is_empty() {
                            optgroup label=(label) {
                                @for (id, name) in items {
                                    option value={ (kind) ":" (id) } { (name) }
                                }
                            }
                        }
                    }
                }
                " "
                button type="submit" { "Send test page" }
            }
        }
    }
}

/// `at` in the schedule's zone, as `Mon 2026-11-30 09:00 EST`.
fn local(schedule: &Schedule, at: Timestamp) -> String {
    at.to_zoned_datetime(schedule.timezone.clone())
        .strftime("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

fn local_opt(schedule: &Schedule, at: Option<Timestamp>) -> String {
    at.map_or_else(|| "—".to_owned(), |t| local(schedule, t))
}

/// One schedule: who is on call at `at`, gaps and the next four weeks.
fn schedule_section(catalog: &Catalog, schedule: &Schedule, at: Timestamp) -> Markup {
    let to = plus(at, AHEAD);
    let current = on_call(schedule, at).map(|s| ShiftView::new(catalog, schedule, &s));
    let shifts: Vec<ShiftView> = oncall::resolve(schedule, at, to)
        .iter()
        .map(|s| ShiftView::new(catalog, schedule, s))
        .collect();
    let gaps = oncall::gaps(schedule, at, to);
    let heading = format!("schedule-{}", schedule.id);
    html! {
        section aria-labelledby=(heading) {
            h2 id=(heading) {
                (schedule.name) " "
                span class="muted" {
                    @if schedule.name != schedule.id { code { (schedule.id) } " · " }
                    (zone_name(schedule))
                }
            }
            @match &current {
                Some(shift) => p class="badge-line" {
                    "On call: " strong { (shift.person_name) }
                    " since " (local_opt(schedule, shift.start))
                    " until " (local_opt(schedule, shift.end))
                    " · " (shift.source_label())
                },
                None => p class="bad" { "Nobody is on call." },
            }
            @if !gaps.is_empty() {
                div class="notice bad" role="status" {
                    strong { "Gaps: nobody is on call" }
                    ul {
                        @for (start, end) in &gaps {
                            li { (local(schedule, *start)) " – " (local(schedule, *end)) " (" (when(*start)) " – " (when(*end)) ")" }
                        }
                    }
                }
            }
            table {
                caption class="muted" { "Shifts in the next 4 weeks" }
                thead { tr {
                    th scope="col" { "Person" }
                    th scope="col" { "Start (" (zone_name(schedule)) ")" }
                    th scope="col" { "End (" (zone_name(schedule)) ")" }
                    th scope="col" { "UTC" }
                    th scope="col" { "Source" }
                } }
                tbody {
                    @for shift in &shifts {
                        tr {
                            th scope="row" { (shift.person_name) }
                            td { (local_opt(schedule, shift.start)) }
                            td { (local_opt(schedule, shift.end)) }
                            td { (shift.start.map_or_else(|| "—".to_owned(), when)) " – " (shift.end.map_or_else(|| "—".to_owned(), when)) }
                            td { (shift.source_label()) }
                        }
                    }
                }
            }
        }
    }
}
