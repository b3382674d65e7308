//! Silences: alerts whose labels match are not paged while the silence's
//! window is active. Responders create them at run time, one-off (from …
//! until …) or recurring (`Sun 02:00-04:00 America/New_York`), and expire
//! them early.
//!
//! - `GET /silences`: the active and upcoming silences, then recently ended
//!   or expired ones; for responders, the form to create one (problems are
//!   shown on the form with the input kept) and an Expire button per
//!   silence. Forms post and redirect back with a flash (`?flash=`).
//! - `GET /api/v1/silences[?all=true]`, `POST /api/v1/silences` (201 with
//!   the silence; 400 naming the field) and `DELETE /api/v1/silences/{id}`
//!   (204; 404 if missing; 409 if already over).
//!
//! Creating and expiring are audited (`silence.create`, `silence.expire`)
//! and wake the paging engine, which reads the silences on every pass
//! ([`shipshape_store::Store::silences`]). The store keeps text; parsing
//! and matching are `shipshape_alert::silence`'s.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use shipshape_alert::silence::{
    Silence, Window, format_matchers, parse_matchers, parse_recurrence,
};
use shipshape_store::{NewSilence, Role, SilenceRecord, SilenceWindow};

use crate::access::{Access, Routes};
use crate::audit;
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::{ApiError, FormField, Rendered, invalid};
use crate::extract::{self, Form, Path, Query};
use crate::pages::{Nav, csrf_field, notice, page, when};
use crate::state::AppState;

/// Longest comment, in characters.
const MAX_COMMENT_CHARS: usize = 1000;
/// Longest matcher list or recurrence, in characters.
const MAX_TEXT_CHARS: usize = 1000;
/// How many silences `?all=true` and the page's history read.
const HISTORY_LIMIT: u32 = 200;
/// How many ended or expired silences the page shows.
const PAGE_HISTORY: usize = 50;

const MATCHERS_EXAMPLE: &str = r#"{service="benefits-api", severity=~"warning|info"}"#;
const RECURRENCE_EXAMPLE: &str = "Sun 02:00-04:00 America/New_York";

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    routes
        .get("/silences", viewer, silences_page)
        .post("/silences", responder, create_form)
        .post("/silences/{id}/expire", responder, expire_form)
        .get("/api/v1/silences", viewer, list_api)
        .post("/api/v1/silences", responder, create_api)
        .delete("/api/v1/silences/{id}", responder, expire_api)
}

// ---------------------------------------------------------------------------
// Views

/// A silence as the page and the API show it.
#[derive(Debug, Clone, Serialize)]
struct SilenceView {
    id: i64,
    matchers: String,
    /// One-off windows only.
    starts_at: Option<Timestamp>,
    /// One-off windows only.
    ends_at: Option<Timestamp>,
    /// Recurring windows only.
    recurrence: Option<String>,
    comment: String,
    created_by: String,
    created_at: Timestamp,
    expired_at: Option<Timestamp>,
    /// Whether it silences matching alerts right now.
    active: bool,
    /// When it next starts or ends; `null` once over.
    next_change: Option<Timestamp>,
}

impl SilenceView {
    fn new(record: SilenceRecord, now: Timestamp) -> Self {
        let over = record.is_over_at(now);
        let window = window_of(&record.window);
        let (starts_at, ends_at, recurrence) = match record.window {
            SilenceWindow::Once { starts, ends } => (Some(starts), Some(ends), None),
            SilenceWindow::Recurring(text) => (None, None, Some(text)),
        };
        let (active, next_change) = match (&window, over) {
            (Some(window), false) => (window.contains(now), window.next_change_after(now)),
            _ => (false, None),
        };
        Self {
            id: record.id,
            matchers: record.matchers,
            starts_at,
            ends_at,
            recurrence,
            comment: record.comment,
            created_by: record.created_by,
            created_at: record.created_at,
            expired_at: record.expired_at,
            active,
            next_change,
        }
    }

    fn over(&self, now: Timestamp) -> bool {
        self.expired_at.is_some_and(|at| at <= now) || self.ends_at.is_some_and(|at| at <= now)
    }
}

/// The window of a stored silence, if its recurrence still parses.
fn window_of(window: &SilenceWindow) -> Option<Window> {
    match window {
        SilenceWindow::Once { starts, ends } => Some(Window::Once {
            starts: *starts,
            ends: *ends,
        }),
        SilenceWindow::Recurring(text) => parse_recurrence(text).ok().map(Window::Recurring),
    }
}

/// `GET /api/v1/silences` answers this.
#[derive(Debug, Serialize)]
struct SilenceList {
    silences: Vec<SilenceView>,
}

// ---------------------------------------------------------------------------
// Creating

/// A field of a new silence, named as the API names it and as the form
/// labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Matchers,
    StartsAt,
    EndsAt,
    Duration,
    Zone,
    Recurrence,
    Comment,
}

impl FormField for Field {
    fn api_name(self) -> &'static str {
        match self {
            Field::Matchers => "matchers",
            Field::StartsAt => "starts_at",
            Field::EndsAt => "ends_at",
            Field::Duration => "duration",
            Field::Zone => "zone",
            Field::Recurrence => "recurrence",
            Field::Comment => "comment",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Matchers => "Matchers",
            Field::StartsAt => "From",
            Field::EndsAt => "Until",
            Field::Duration => "Duration",
            Field::Zone => "Time zone",
            Field::Recurrence => "Recurrence",
            Field::Comment => "Comment",
        }
    }
}

/// What is wrong with what was sent, and in which field.
type Invalid = crate::error::Invalid<Field>;

/// A new silence as sent, its times already read.
#[derive(Debug, Default)]
struct Draft<'a> {
    matchers: &'a str,
    starts: Option<Timestamp>,
    ends: Option<Timestamp>,
    duration: Option<SignedDuration>,
    recurrence: Option<&'a str>,
    comment: &'a str,
}

/// Checks a draft as Alertmanager would and turns it into what the store
/// keeps: matchers and recurrence in their canonical text.
fn build(draft: &Draft<'_>, now: Timestamp, created_by: &str) -> Result<NewSilence, Invalid> {
    if draft.matchers.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            Field::Matchers,
            format!("longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    let matchers = parse_matchers(draft.matchers)
        .map_err(|error| invalid(Field::Matchers, error.to_string()))?;
    let recurrence = draft.recurrence.map(str::trim).filter(|r| !r.is_empty());
    let window = match recurrence {
        Some(text) => {
            if draft.starts.is_some() || draft.ends.is_some() || draft.duration.is_some() {
                return Err(invalid(
                    Field::Recurrence,
                    "give either a recurrence or a one-off window (a start and an end), not both",
                ));
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(invalid(
                    Field::Recurrence,
                    format!("longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            Window::Recurring(
                parse_recurrence(text).map_err(|e| invalid(Field::Recurrence, e.message))?,
            )
        }
        None => {
            let starts = draft.starts.unwrap_or(now);
            let ends = match (draft.ends, draft.duration) {
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        Field::Duration,
                        "give either an end or a duration, not both",
                    ));
                }
                (Some(ends), None) => ends,
                (None, Some(duration)) => {
                    if !duration.is_positive() {
                        return Err(invalid(Field::Duration, "must be longer than zero"));
                    }
                    starts
                        .checked_add(duration)
                        .map_err(|_| invalid(Field::Duration, "is too long"))?
                }
                (None, None) => {
                    return Err(invalid(
                        Field::EndsAt,
                        format!(
                            "required: when the silence ends (or give a recurrence such as \"{RECURRENCE_EXAMPLE}\" instead)"
                        ),
                    ));
                }
            };
            if ends <= starts {
                return Err(invalid(
                    Field::EndsAt,
                    format!(
                        "the silence must end after it starts ({} is not after {})",
                        when(ends),
                        when(starts)
                    ),
                ));
            }
            if ends <= now {
                return Err(invalid(
                    Field::EndsAt,
                    format!(
                        "{} is in the past: the silence would never apply",
                        when(ends)
                    ),
                ));
            }
            Window::Once { starts, ends }
        }
    };
    let comment = draft.comment.trim();
    if comment.is_empty() {
        return Err(invalid(
            Field::Comment,
            "required: say why, for whoever sees the silence",
        ));
    }
    let chars = comment.chars().count();
    if chars > MAX_COMMENT_CHARS {
        return Err(invalid(
            Field::Comment,
            format!("{chars} characters; at most {MAX_COMMENT_CHARS} are accepted"),
        ));
    }
    let silence = Silence {
        id: String::new(),
        matchers,
        window,
        comment: Some(comment.to_owned()),
        created_by: Some(created_by.to_owned()),
    };
    silence.validate().map_err(|message| {
        let field = if message.contains("matcher") {
            Field::Matchers
        } else {
            match silence.window {
                Window::Once { .. } => Field::EndsAt,
                Window::Recurring(_) => Field::Recurrence,
            }
        };
        invalid(field, message)
    })?;
    Ok(NewSilence {
        matchers: format_matchers(&silence.matchers),
        window: match &silence.window {
            Window::Once { starts, ends } => SilenceWindow::Once {
                starts: *starts,
                ends: *ends,
            },
            Window::Recurring(r) => SilenceWindow::Recurring(r.to_string()),
        },
        comment: comment.to_owned(),
        created_by: created_by.to_owned(),
        created_at: now,
    })
}

/// How a window reads in the audit log and the page.
fn window_text(window: &SilenceWindow) -> String {
    match window {
        SilenceWindow::Once { starts, ends } => {
            format!("from {} until {}", when(*starts), when(*ends))
        }
        SilenceWindow::Recurring(text) => text.clone(),
    }
}

/// Stores `silence`, audits it and wakes the engine; returns it as stored.
async fn create(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    silence: &NewSilence,
) -> Result<SilenceView, ApiError> {
    let id = state.store.create_silence(silence).await?;
    audit::record(
        state,
        client,
        &actor.display,
        "silence.create",
        &format!("silence:{id}"),
        &format!("{} {}", silence.matchers, window_text(&silence.window)),
    )
    .await;
    state.wake_pager();
    let record = state.store.silence(id).await?.ok_or_else(|| missing(id))?;
    Ok(SilenceView::new(record, state.now()))
}

// ---------------------------------------------------------------------------
// Expiring

fn missing(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "no silence #{id}; see /silences for the list (old ones are pruned)"
    ))
}

/// Why silence `record` cannot be expired at `now`, if it cannot.
fn already_over(record: &SilenceRecord, now: Timestamp) -> Option<String> {
    if let Some(at) = record.expired_at.filter(|at| *at <= now) {
        return Some(format!(
            "silence #{} was already expired at {}",
            record.id,
            when(at)
        ));
    }
    match record.window {
        SilenceWindow::Once { ends, .. } if ends <= now => Some(format!(
            "silence #{} already ended at {}",
            record.id,
            when(ends)
        )),
        _ => None,
    }
}

/// Expires silence `id` now: 404 if missing, 409 if already over. Audited;
/// wakes the engine.
async fn expire(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
) -> Result<(), ApiError> {
    let now = state.now();
    let record = state.store.silence(id).await?.ok_or_else(|| missing(id))?;
    if let Some(reason) = already_over(&record, now) {
        return Err(ApiError::conflict(reason));
    }
    if !state.store.expire_silence(id, now).await? {
        let record = state.store.silence(id).await?.ok_or_else(|| missing(id))?;
        return Err(ApiError::conflict(
            already_over(&record, now).unwrap_or_else(|| {
                format!("silence #{id} changed meanwhile; reload and try again")
            }),
        ));
    }
    audit::record(
        state,
        client,
        &actor.display,
        "silence.expire",
        &format!("silence:{id}"),
        "",
    )
    .await;
    state.wake_pager();
    Ok(())
}

// ---------------------------------------------------------------------------
// API

/// `?all=true`.
#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
}

/// `GET /api/v1/silences`.
async fn list_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Viewer>,
    Query(query): Query<ListQuery>,
) -> Result<Json<SilenceList>, ApiError> {
    let now = state.now();
    let records = if query.all {
        state.store.all_silences(HISTORY_LIMIT).await?
    } else {
        state.store.silences(now).await?
    };
    Ok(Json(SilenceList {
        silences: records
            .into_iter()
            .map(|r| SilenceView::new(r, now))
            .collect(),
    }))
}

/// The body of `POST /api/v1/silences`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    matchers: String,
    starts_at: Option<String>,
    ends_at: Option<String>,
    duration: Option<String>,
    recurrence: Option<String>,
    #[serde(default)]
    comment: String,
}

/// An RFC 3339 time of the API.
fn api_time(field: Field, text: Option<&str>) -> Result<Option<Timestamp>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.parse::<Timestamp>().map(Some).map_err(|_| {
        invalid(
            field,
            format!("{text:?} is not an RFC 3339 time such as \"2026-11-30T09:00:00Z\""),
        )
    })
}

/// A duration of the API: `2h`, `90m`, `1h30m` or ISO 8601 `PT2H`.
fn api_duration(text: Option<&str>) -> Result<Option<SignedDuration>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.parse::<SignedDuration>().map(Some).map_err(|_| {
        invalid(
            Field::Duration,
            format!("{text:?} is not a duration such as \"2h\", \"90m\" or \"1h30m\""),
        )
    })
}

/// `POST /api/v1/silences`.
async fn create_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    extract::Json(body): extract::Json<CreateBody>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let draft = Draft {
        matchers: &body.matchers,
        starts: api_time(Field::StartsAt, body.starts_at.as_deref())?,
        ends: api_time(Field::EndsAt, body.ends_at.as_deref())?,
        duration: api_duration(body.duration.as_deref())?,
        recurrence: body.recurrence.as_deref(),
        comment: &body.comment,
    };
    let silence = build(&draft, state.now(), &actor.display)?;
    let view = create(&state, &client, &actor, &silence).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `DELETE /api/v1/silences/{id}`.
async fn expire_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    expire(&state, &client, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// Page and forms

/// What a form post did, shown once after the redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flash {
    Created,
    Expired,
    Already,
}

impl Flash {
    const ALL: [Flash; 3] = [Flash::Created, Flash::Expired, Flash::Already];

    fn as_str(self) -> &'static str {
        match self {
            Flash::Created => "created",
            Flash::Expired => "expired",
            Flash::Already => "already",
        }
    }

    fn parse(text: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.as_str() == text)
    }

    fn good(self) -> bool {
        self != Flash::Already
    }

    fn message(self) -> &'static str {
        match self {
            Flash::Created => "Silence created: matching alerts are not paged while it is active.",
            Flash::Expired => "Silence expired: matching alerts are paged again.",
            Flash::Already => "Nothing changed: that silence was already over.",
        }
    }

    fn redirect(self) -> Redirect {
        Redirect::to(&format!("/silences?flash={}", self.as_str()))
    }
}

/// `?flash=`.
#[derive(Debug, Deserialize)]
struct PageQuery {
    flash: Option<String>,
}

/// The create form as sent; kept to show it again with its problem.
#[derive(Debug, Default, Clone, Deserialize)]
struct SilenceForm {
    #[serde(default)]
    matchers: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    recurrence: String,
    #[serde(default)]
    comment: String,
}

/// A time from the form: a `datetime-local` value (`2026-11-30T10:00`) in
/// `zone` (UTC when empty), or a time with its own offset or zone
/// (`2026-11-30T10:00+01:00`, `2026-11-30T10:00[Europe/Berlin]`).
fn form_time(field: Field, text: &str, zone: &TimeZone) -> Result<Option<Timestamp>, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(Some(at));
    }
    if let Ok(zoned) = text.parse::<jiff::ZonedDateTime>() {
        return Ok(Some(zoned.timestamp()));
    }
    let civil = text.parse::<jiff::civil::DateTime>().map_err(|_| {
        invalid(
            field,
            format!("{text:?} is not a date and time such as \"2026-11-30T10:00\""),
        )
    })?;
    zone.to_timestamp(civil)
        .map(Some)
        .map_err(|e| invalid(field, format!("{text:?}: {e}")))
}

/// The zone of the form's times: UTC unless one is named.
fn form_zone(text: &str) -> Result<TimeZone, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(text).map_err(|_| {
        invalid(
            Field::Zone,
            format!(
                "unknown time zone {text:?} (expected an IANA name such as \"Europe/Berlin\", or \"UTC\")"
            ),
        )
    })
}

/// The form's silence, or what is wrong with it.
fn build_from_form(
    form: &SilenceForm,
    now: Timestamp,
    created_by: &str,
) -> Result<NewSilence, Invalid> {
    let zone = form_zone(&form.zone)?;
    let draft = Draft {
        matchers: &form.matchers,
        starts: form_time(Field::StartsAt, &form.starts, &zone)?,
        ends: form_time(Field::EndsAt, &form.ends, &zone)?,
        duration: None,
        recurrence: Some(form.recurrence.as_str()),
        comment: &form.comment,
    };
    build(&draft, now, created_by)
}

/// `GET /silences`.
async fn silences_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let flash = query.flash.as_deref().and_then(Flash::parse);
    render(&state, &actor, flash, &SilenceForm::default(), None).await
}

/// `POST /silences`.
async fn create_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Form(form): Form<SilenceForm>,
) -> Result<Response, ApiError> {
    match build_from_form(&form, state.now(), &actor.display) {
        Ok(silence) => {
            create(&state, &client, &actor, &silence).await?;
            Ok(Flash::Created.redirect().into_response())
        }
        Err(problem) => {
            let body = render(&state, &actor, None, &form, Some(&problem)).await?;
            let mut response = (StatusCode::BAD_REQUEST, body).into_response();
            response.extensions_mut().insert(Rendered);
            Ok(response)
        }
    }
}

/// `POST /silences/{id}/expire`.
async fn expire_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Redirect, ApiError> {
    match expire(&state, &client, &actor, id).await {
        Ok(()) => Ok(Flash::Expired.redirect()),
        Err(error) if error.code() == crate::error::ErrorCode::Conflict => {
            Ok(Flash::Already.redirect())
        }
        Err(error) => Err(error),
    }
}

/// The page: flash, current silences, the form, recent history.
async fn render(
    state: &AppState,
    actor: &Actor,
    flash: Option<Flash>,
    form: &SilenceForm,
    problem: Option<&Invalid>,
) -> Result<Markup, ApiError> {
    let now = state.now();
    let mut current: Vec<SilenceView> = state
        .store
        .silences(now)
        .await?
        .into_iter()
        .map(|r| SilenceView::new(r, now))
        .collect();
    // Active ones first, then by when they start.
    current.sort_by_key(|s| (!s.active, s.next_change.unwrap_or(Timestamp::MAX), s.id));
    let past: Vec<SilenceView> = state
        .store
        .all_silences(HISTORY_LIMIT)
        .await?
        .into_iter()
        .map(|r| SilenceView::new(r, now))
        .filter(|s| s.over(now))
        .take(PAGE_HISTORY)
        .collect();
    let responder = actor.role >= Role::Responder;
    Ok(page(
        "Silences",
        actor,
        Nav::Silences,
        html! {
            @if let Some(flash) = flash {
                (notice(if flash.good() { "good" } else { "bad" }, html! { (flash.message()) }))
            }
            p class="muted" {
                "A silence stops alerts whose labels match from paging anyone while it is active. "
                "Incidents still open and are shown; nobody is notified."
            }
            section aria-labelledby="current-heading" {
                h2 id="current-heading" { "Active and upcoming" }
                @if current.is_empty() {
                    p class="empty" { "No silences stand now: every alert pages as routed." }
                } @else {
                    (silence_table(actor, &current, now, responder))
                }
            }
            @if responder {
                (create_section(actor, form, problem))
            }
            section aria-labelledby="past-heading" {
                h2 id="past-heading" { "Recently ended or expired" }
                @if past.is_empty() {
                    p class="empty" { "None yet." }
                } @else {
                    (silence_table(actor, &past, now, false))
                }
            }
        },
    ))
}

fn silence_table(actor: &Actor, silences: &[SilenceView], now: Timestamp, expire: bool) -> Markup {
    html! {
        table class="silences" {
            thead { tr {
                th scope="col" { "Status" } th scope="col" { "Matchers" } th scope="col" { "Window" }
                th scope="col" { "Comment" } th scope="col" { "Created" }
                @if expire { th scope="col" { span class="visually-hidden" { "Actions" } } }
            } }
            tbody {
                @for silence in silences {
                    tr id={ "silence-" (silence.id) } {
                        td { (status(silence, now)) }
                        td { code { (silence.matchers) } }
                        td { (window_cell(silence)) }
                        td class="reason" { (silence.comment) }
                        td { "by " (silence.created_by) br; span class="muted" { (when(silence.created_at)) } }
                        @if expire {
                            td {
                                form class="inline" method="post" action={ "/silences/" (silence.id) "/expire" } {
                                    (csrf_field(actor))
                                    button type="submit" class="danger" aria-label={ "Expire silence #" (silence.id) } { "Expire" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Status as text with a symbol, never colour alone.
fn status(silence: &SilenceView, now: Timestamp) -> Markup {
    html! {
        @if silence.active {
            span class="badge state state-active" { "● Active now" }
        } @else if let Some(at) = silence.expired_at.filter(|at| *at <= now) {
            span class="state muted" { "✕ Expired" } br; span class="muted" { (when(at)) }
        } @else if silence.over(now) {
            span class="state muted" { "✓ Ended" }
        } @else {
            span class="state muted" { "○ Not active now" }
        }
    }
}

fn window_cell(silence: &SilenceView) -> Markup {
    html! {
        @if let Some(recurrence) = &silence.recurrence {
            "Recurring: " code { (recurrence) }
            @if let Some(next) = silence.next_change {
                br;
                span class="muted" {
                    @if silence.active { "ends " } @else { "next starts " }
                    (when(next))
                }
            }
        } @else {
            @if let (Some(starts), Some(ends)) = (silence.starts_at, silence.ends_at) {
                "from " (when(starts)) br; "until " (when(ends))
            }
        }
    }
}

fn create_section(actor: &Actor, form: &SilenceForm, problem: Option<&Invalid>) -> Markup {
    let error_for = |field: Field| problem.filter(|p| p.field == field);
    let described = |field: Field, hint: &'static str| {
        if error_for(field).is_some() {
            format!("{hint} silence-error")
        } else {
            hint.to_owned()
        }
    };
    let field_error = |field: Field| {
        html! {
            @if let Some(p) = error_for(field) {
                p class="bad" { (p.field.label()) ": " (p.message) }
            }
        }
    };
    html! {
        section aria-labelledby="create-heading" {
            h2 id="create-heading" { "New silence" }
            @if let Some(problem) = problem {
                div id="silence-error" class="notice bad" role="alert" {
                    "The silence was not created. " (problem.field.label()) ": " (problem.message)
                }
            }
            form method="post" action="/silences" {
                (csrf_field(actor))
                label for="silence-matchers" { "Matchers" }
                p id="matchers-hint" class="muted" {
                    "Alertmanager syntax; all must match. For example " code { (MATCHERS_EXAMPLE) } "."
                }
                input id="silence-matchers" type="text" name="matchers" value=(form.matchers)
                    maxlength=(MAX_TEXT_CHARS) required
                    aria-invalid=[error_for(Field::Matchers).map(|_| "true")]
                    aria-describedby=(described(Field::Matchers, "matchers-hint"));
                (field_error(Field::Matchers))
                fieldset {
                    legend { "When: a one-off window, or a recurring one" }
                    p id="window-hint" class="muted" {
                        "From and Until are read in UTC unless you name a time zone below. "
                        "Leave From empty to start now. Or leave both empty and give a recurrence."
                    }
                    label for="silence-starts" { "From" }
                    input id="silence-starts" type="datetime-local" name="starts" value=(form.starts)
                        aria-invalid=[error_for(Field::StartsAt).map(|_| "true")]
                        aria-describedby=(described(Field::StartsAt, "window-hint"));
                    (field_error(Field::StartsAt))
                    label for="silence-ends" { "Until" }
                    input id="silence-ends" type="datetime-local" name="ends" value=(form.ends)
                        aria-invalid=[error_for(Field::EndsAt).map(|_| "true")]
                        aria-describedby=(described(Field::EndsAt, "window-hint"));
                    (field_error(Field::EndsAt))
                    label for="silence-zone" { "Time zone of From and Until (optional, default UTC)" }
                    input id="silence-zone" type="text" name="zone" value=(form.zone)
                        placeholder="UTC"
                        aria-invalid=[error_for(Field::Zone).map(|_| "true")]
                        aria-describedby=(described(Field::Zone, "window-hint"));
                    (field_error(Field::Zone))
                    label for="silence-recurrence" { "Or a recurrence" }
                    p id="recurrence-hint" class="muted" {
                        "Days, times and a time zone, following daylight saving time, e.g. "
                        code { (RECURRENCE_EXAMPLE) } " or " code { "Mon-Fri 22:00-06:00 Europe/Berlin" }
                        ". It stands until expired."
                    }
                    input id="silence-recurrence" type="text" name="recurrence" value=(form.recurrence)
                        maxlength=(MAX_TEXT_CHARS)
                        aria-invalid=[error_for(Field::Recurrence).map(|_| "true")]
                        aria-describedby=(described(Field::Recurrence, "recurrence-hint"));
                    (field_error(Field::Recurrence))
                }
                label for="silence-comment" { "Comment (required: why)" }
                textarea id="silence-comment" name="comment" rows="2" maxlength=(MAX_COMMENT_CHARS) required
                    aria-invalid=[error_for(Field::Comment).map(|_| "true")] {
                    (form.comment)
                }
                (field_error(Field::Comment))
                p { button type="submit" { "Create silence" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().expect("time")
    }

    fn draft<'a>(matchers: &'a str, comment: &'a str) -> Draft<'a> {
        Draft {
            matchers,
            comment,
            ..Draft::default()
        }
    }

    #[test]
    fn a_one_off_silence_is_built_in_canonical_form() {
        let mut d = draft(r#"{service="api",severity=~"warning|info"}"#, " deploy ");
        d.duration = Some(SignedDuration::from_hours(2));
        let silence = build(&d, now(), "ada").expect("valid");
        assert_eq!(
            silence.matchers,
            r#"{service="api", severity=~"warning|info"}"#
        );
        assert_eq!(
            silence.window,
            SilenceWindow::Once {
                starts: now(),
                ends: "2026-11-30T11:00:00Z".parse().expect("time"),
            }
        );
        assert_eq!(silence.comment, "deploy");
    }

    #[test]
    fn problems_name_their_field() {
        let cases: Vec<(Draft<'_>, Field)> = vec![
            (draft(r#"{service="api""#, "c"), Field::Matchers),
            (
                Draft {
                    recurrence: Some("daily 02:00-04:00 UTC"),
                    ..draft(r#"{env=~".*", team!="core"}"#, "c")
                },
                Field::Matchers,
            ),
            (draft(r#"{service="api"}"#, "c"), Field::EndsAt),
            (
                Draft {
                    ends: Some(now()),
                    ..draft(r#"{service="api"}"#, "c")
                },
                Field::EndsAt,
            ),
            (
                Draft {
                    recurrence: Some("Sun 02:00-04:00 Mars/Olympus"),
                    ..draft(r#"{service="api"}"#, "c")
                },
                Field::Recurrence,
            ),
            (
                Draft {
                    recurrence: Some("daily 02:00-04:00 UTC"),
                    starts: Some(now()),
                    ..draft(r#"{service="api"}"#, "c")
                },
                Field::Recurrence,
            ),
            (
                Draft {
                    recurrence: Some("daily 02:00-04:00 UTC"),
                    ..draft(r#"{service="api"}"#, "  ")
                },
                Field::Comment,
            ),
        ];
        for (d, field) in cases {
            let problem = build(&d, now(), "ada").expect_err("invalid");
            assert_eq!(problem.field, field, "{d:?}: {problem:?}");
        }
    }

    #[test]
    fn form_times_are_utc_unless_a_zone_is_given() {
        let utc = form_time(Field::StartsAt, "2026-11-30T10:00", &TimeZone::UTC).expect("ok");
        assert_eq!(utc, Some("2026-11-30T10:00:00Z".parse().expect("time")));
        let berlin = form_zone("Europe/Berlin").expect("zone");
        let local = form_time(Field::StartsAt, "2026-11-30T10:00", &berlin).expect("ok");
        assert_eq!(local, Some("2026-11-30T09:00:00Z".parse().expect("time")));
        let offset = form_time(Field::StartsAt, "2026-11-30T10:00+02:00", &TimeZone::UTC);
        assert_eq!(
            offset.expect("ok"),
            Some("2026-11-30T08:00:00Z".parse().expect("time"))
        );
        assert_eq!(form_time(Field::EndsAt, " ", &TimeZone::UTC), Ok(None));
        assert_eq!(
            form_time(Field::EndsAt, "tomorrow", &TimeZone::UTC)
                .expect_err("bad")
                .field,
            Field::EndsAt
        );
        assert_eq!(
            form_zone("Mars/Olympus").expect_err("bad").field,
            Field::Zone
        );
    }

    #[test]
    fn flashes_round_trip() {
        for flash in Flash::ALL {
            assert_eq!(Flash::parse(flash.as_str()), Some(flash));
        }
        assert_eq!(Flash::parse("<script>"), None);
    }
}
