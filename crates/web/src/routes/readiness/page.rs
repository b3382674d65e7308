//! The readiness pages: the list of services with their latest scores, and
//! one service's latest report with its score history, attestations, the
//! attest form and the "Re-run review" button.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_readiness::{CHECKLIST, Evidence, ItemResult, Report, Verdict};
use shipshape_store::Role;

use super::{
    AttestationView, Draft, Field, HISTORY_LIMIT, Invalid, Latest, MAX_BY_CHARS, MAX_LINK_CHARS,
    MAX_NOTE_CHARS, ServiceRef, attest, attestations, build, history_since, latest, latest_summary,
    practice_title, request_run, revoke, safe_link, scores, service, services, today,
};
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::{ApiError, ErrorCode, FormField, Rendered};
use crate::extract::{Form, Path, Query};
use crate::pages::charts::{ScoreSeries, score_history, score_label};
use crate::pages::{Nav, csrf_field, empty_state, notice, page, when};
use crate::state::AppState;

/// What a form post reports after redirecting back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flash {
    Attested,
    Revoked,
    Gone,
    Requested,
    NoRunner,
}

impl Flash {
    const ALL: [Flash; 5] = [
        Flash::Attested,
        Flash::Revoked,
        Flash::Gone,
        Flash::Requested,
        Flash::NoRunner,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Flash::Attested => "attested",
            Flash::Revoked => "revoked",
            Flash::Gone => "gone",
            Flash::Requested => "requested",
            Flash::NoRunner => "no-runner",
        }
    }

    fn parse(text: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.as_str() == text)
    }

    fn good(self) -> bool {
        !matches!(self, Flash::Gone | Flash::NoRunner)
    }

    fn message(self) -> &'static str {
        match self {
            Flash::Attested => {
                "Attestation recorded. It counts from the next review: re-run it to see the score change."
            }
            Flash::Revoked => "Attestation revoked. The next review no longer counts it.",
            Flash::Gone => "Nothing changed: that attestation was already revoked.",
            Flash::Requested => {
                "Review requested: it runs in the background; reload in a moment to see the new report."
            }
            Flash::NoRunner => {
                "This server runs no readiness reviews itself; the next scheduled review picks the change up."
            }
        }
    }

    fn redirect(self, service: &str) -> Redirect {
        Redirect::to(&format!(
            "/services/{service}/readiness?flash={}",
            self.as_str()
        ))
    }
}

/// `?flash=`.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    flash: Option<String>,
}

// ---------------------------------------------------------------------------
// The list

/// `GET /readiness`.
pub(super) async fn list_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
) -> Result<Markup, ApiError> {
    let all = services(&state);
    if all.is_empty() {
        return Ok(page(
            "Readiness",
            &actor,
            Nav::Readiness,
            empty_state(
                "No services to review",
                html! {
                    p { "The readiness review scores each catalog service against every production practice, from live evidence. Describe a service with " code { "[[service]]" } " in shipshape.toml, then reload with SIGHUP." }
                },
                Some(
                    "[[service]]\nid = \"web\"\nowner = \"platform\"\nendpoints = [\"https://www.example.org/\"]\nrepo = \"/srv/checkouts/web\"",
                ),
            ),
        ));
    }
    let mut rows = Vec::with_capacity(all.len());
    for s in all {
        let run = latest_summary(&state, &s.id).await?;
        rows.push((s, run));
    }
    Ok(page(
        "Readiness",
        &actor,
        Nav::Readiness,
        html! {
            p class="muted" {
                "Each service is scored against the production practices of 18F's Good Production Practices: "
                "an item counts when a collector saw it in place or a person attested it. "
                "Must-haves that are not satisfied block the launch."
            }
            table class="readiness" {
                thead { tr {
                    th scope="col" { "Service" }
                    th scope="col" { "Satisfied" }
                    th scope="col" { "Blocking must-haves" }
                    th scope="col" { "Failing / unknown" }
                    th scope="col" { "Reviewed" }
                } }
                tbody {
                    @for (s, run) in &rows {
                        tr {
                            th scope="row" {
                                a href={ "/services/" (s.id) "/readiness" } { (s.name) }
                                br; span class="muted" { code { (s.id) } }
                            }
                            @if let Some(run) = run {
                                td { (score_bar(run.satisfied, run.applicable)) }
                                td {
                                    @if run.blocking > 0 {
                                        span class="state bad" { "✕ " (run.blocking) " blocking" }
                                    } @else {
                                        span class="state state-up" { "✓ none" }
                                    }
                                }
                                td { (run.fail) " failing, " (run.unknown) " unknown" }
                                td { (when(run.ran_at)) br; span class="muted" { (run.mode) } }
                            } @else {
                                td colspan="4" class="muted" { "Not reviewed yet." }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// A score as text with a bar beside it (the text carries the meaning).
fn score_bar(satisfied: i64, applicable: i64) -> Markup {
    let ratio = if applicable > 0 {
        (satisfied as f64 / applicable as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    html! {
        span class="score" {
            (score_label(satisfied, applicable))
            svg class="score-bar" viewBox="0 0 100 8" aria-hidden="true" {
                rect x="0" y="0" width="100" height="8" fill="#eaeef2" {}
                rect x="0" y="0" width=(format!("{:.1}", ratio * 100.0)) height="8" fill="#1f883d" {}
            }
        }
    }
}

// ---------------------------------------------------------------------------
// One service

/// `GET /services/{service}/readiness`.
pub(super) async fn service_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let s = service(&state, &id)?;
    let flash = query.flash.as_deref().and_then(Flash::parse);
    render(&state, &actor, &s, flash, &Draft::default(), None).await
}

/// `POST /services/{service}/readiness/attestations`.
pub(super) async fn attest_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
    Form(form): Form<Draft>,
) -> Result<Response, ApiError> {
    let s = service(&state, &id)?;
    match build(&form, &s.id, &actor, today(&state), state.now()) {
        Ok(new) => {
            attest(&state, &client, &actor, &new).await?;
            Ok(Flash::Attested.redirect(&s.id).into_response())
        }
        Err(problem) => {
            let body = render(&state, &actor, &s, None, &form, Some(&problem)).await?;
            let mut response = (StatusCode::BAD_REQUEST, body).into_response();
            response.extensions_mut().insert(Rendered);
            Ok(response)
        }
    }
}

/// `POST /services/{service}/readiness/attestations/{id}/revoke`.
pub(super) async fn revoke_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path((id, attestation)): Path<(String, i64)>,
) -> Result<Redirect, ApiError> {
    let s = service(&state, &id)?;
    match revoke(&state, &client, &actor, &s.id, attestation).await {
        Ok(()) => Ok(Flash::Revoked.redirect(&s.id)),
        Err(error) if error.code() == ErrorCode::NotFound => Ok(Flash::Gone.redirect(&s.id)),
        Err(error) => Err(error),
    }
}

/// `POST /services/{service}/readiness/run`.
pub(super) async fn run_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    let s = service(&state, &id)?;
    let flash = if request_run(&state, &client, &actor, &s.id).await {
        Flash::Requested
    } else {
        Flash::NoRunner
    };
    Ok(flash.redirect(&s.id))
}

/// The page of one service.
async fn render(
    state: &AppState,
    actor: &Actor,
    s: &ServiceRef,
    flash: Option<Flash>,
    form: &Draft,
    problem: Option<&Invalid>,
) -> Result<Markup, ApiError> {
    let now = state.now();
    let latest = latest(state, &s.id).await?;
    let since = history_since(now);
    let history = state
        .store
        .readiness_history(&s.id, since, HISTORY_LIMIT)
        .await?;
    let attestations = attestations(state, &s.id).await?;
    let responder = actor.role >= Role::Responder;
    let report = latest.as_ref().and_then(|l| l.report.as_ref().ok());
    let title = format!("Readiness: {}", s.name);
    Ok(page(
        &title,
        actor,
        Nav::Readiness,
        html! {
            p class="crumbs" { a href="/readiness" { "Readiness" } " › " code { (s.id) } }
            @if let Some(flash) = flash {
                (notice(if flash.good() { "good" } else { "bad" }, html! { (flash.message()) }))
            }
            @if responder {
                form class="inline" method="post" action={ "/services/" (s.id) "/readiness/run" } {
                    (csrf_field(actor))
                    button type="submit" class="secondary" { "Re-run review" }
                }
            }
            @match &latest {
                None => {
                    section class="empty" aria-labelledby="none-heading" {
                        h2 id="none-heading" { "Not reviewed yet" }
                        p { "No review of this service is stored. Reviews run on a schedule; ask for one now with “Re-run review”, or run it from the command line:" }
                        pre { code { "shipshape check --config shipshape.toml --service " (s.id) } }
                    }
                }
                Some(Latest { report: Err(problem), summary }) => {
                    (notice("bad", html! { "The review of " (when(summary.ran_at)) " could not be shown: " (problem) }))
                }
                Some(Latest { report: Ok(report), .. }) => {
                    (summary_section(report))
                    (items_section(report))
                }
            }
            (history_section(&history, since, now))
            (attestations_section(actor, s, &attestations, responder))
            @if responder {
                (attest_section(actor, s, report, form, problem, today(state)))
            }
        },
    ))
}

/// How a verdict reads: a symbol and a word, never colour alone.
fn verdict_text(verdict: &Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Pass { .. } => ("✓ Pass", "verdict-pass"),
        Verdict::Fail { .. } => ("✕ Fail", "verdict-fail"),
        Verdict::Unknown { .. } => ("? Unknown", "verdict-unknown"),
        Verdict::Attested { .. } => ("✎ Attested", "verdict-attested"),
        Verdict::NotApplicable { .. } => ("– Not applicable", "verdict-na"),
    }
}

fn verdict_badge(verdict: &Verdict) -> Markup {
    let (text, class) = verdict_text(verdict);
    html! { span class={ "state " (class) } { (text) } }
}

/// A link if `text` is an http(s) URL, else the text.
fn maybe_link(text: &str) -> Markup {
    html! {
        @if let Some(url) = safe_link(text) {
            a href=(url) rel="noopener noreferrer" { (text) }
        } @else {
            (text)
        }
    }
}

fn summary_section(report: &Report) -> Markup {
    let s = &report.summary;
    let blocking: Vec<&ItemResult> = report.items.iter().filter(|r| r.blocks_launch).collect();
    html! {
        section aria-labelledby="summary-heading" {
            h2 id="summary-heading" { "Summary" }
            p class="summary" {
                (s.total) " items: "
                strong { (s.pass) " pass" } ", "
                strong { (s.fail) " fail" } ", "
                strong { (s.unknown) " unknown" } ", "
                strong { (s.attested) " attested" } ", "
                strong { (s.not_applicable) " n/a" } "."
            }
            p class="muted" {
                "Reviewed " (when(report.generated_at)) " (" (mode_text(report)) "); attestations judged on " (report.today) "."
            }
            @if blocking.is_empty() {
                (notice("good", html! { "✓ Nothing blocks the launch: every must-have passes, is attested or does not apply." }))
            } @else {
                div class="notice bad blocking-summary" role="status" {
                    strong { "✕ " (blocking.len()) " must-have(s) block the launch:" }
                    ul {
                        @for r in &blocking {
                            li { a href={ "#item-" (r.item.id) } { (r.item.title) } " — " (verdict_text(&r.verdict).0) }
                        }
                    }
                }
            }
        }
    }
}

fn mode_text(report: &Report) -> &'static str {
    match report.mode {
        shipshape_readiness::Mode::Full => "full review",
        shipshape_readiness::Mode::Offline => "offline: repository and catalog only",
    }
}

fn items_section(report: &Report) -> Markup {
    html! {
        section aria-labelledby="items-heading" {
            h2 id="items-heading" { "Items by practice" }
            @for score in &report.practices {
                @let items: Vec<&ItemResult> = report.items.iter().filter(|r| r.item.practice == score.practice).collect();
                section class="practice" aria-labelledby={ "practice-" (score.practice.id()) } {
                    h3 id={ "practice-" (score.practice.id()) } {
                        (score.practice.title()) " "
                        span class="muted" { "— " (score_label(score.satisfied as i64, score.applicable as i64)) }
                    }
                    @for r in items { (item_view(r, report.today)) }
                }
            }
        }
    }
}

fn item_view(r: &ItemResult, today: Date) -> Markup {
    let item = &r.item;
    let open = !r.verdict.counts_as_pass(today) && !r.verdict.is_not_applicable();
    html! {
        article class={ "item" @if r.blocks_launch { " blocking" } } id={ "item-" (item.id) }
            aria-labelledby={ "item-" (item.id) "-title" } {
            h4 id={ "item-" (item.id) "-title" } {
                (item.title) " "
                @if item.must { span class="tag must" { "must-have" } " " }
                @if item.custom { span class="tag" { "team's own" } " " }
            }
            p {
                (verdict_badge(&r.verdict))
                @if r.blocks_launch { " " strong class="bad" { "— blocks the launch" } }
                " " span class="muted" { code { (item.id) } }
            }
            p class="reason" {
                @match &r.verdict {
                    Verdict::Pass { evidence } => { "Evidence: " (evidence) }
                    Verdict::Fail { reason } => { "Why it fails: " (reason) }
                    Verdict::Unknown { reason } => { "Why it is unknown: " (reason) }
                    Verdict::NotApplicable { reason } => { "Why it does not apply: " (reason) }
                    Verdict::Attested { by, on, link, expires } => {
                        "Attested by " (by) " on " (on)
                        @if let Some(expires) = expires { ", lapses on " (expires) }
                        @if let Some(link) = link { " — record: " (maybe_link(link)) }
                    }
                }
            }
            @if !r.findings.is_empty() {
                details open[open] {
                    summary { "Findings (" (r.findings.len()) ")" }
                    ul class="findings" {
                        @for f in &r.findings {
                            li {
                                (verdict_badge(&f.verdict)) " "
                                code { (f.collector) }
                                @if let Some(subject) = &f.subject { " on " code { (subject) } }
                                ": "
                                span class="reason" {
                                    @match &f.verdict {
                                        Verdict::Pass { evidence } => { (evidence) }
                                        Verdict::Fail { reason } | Verdict::Unknown { reason } | Verdict::NotApplicable { reason } => { (reason) }
                                        Verdict::Attested { by, .. } => { "attested by " (by) }
                                    }
                                }
                                @if !f.details.is_empty() {
                                    ul class="details" {
                                        @for line in &f.details { li { code { (line) } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if open {
                p class="fix" { strong { "Fix: " } (item.fix) }
            }
            details {
                summary { "Why it matters" }
                p { (item.rationale) }
            }
        }
    }
}

fn history_section(
    history: &[shipshape_store::ReadinessRunSummary],
    since: Timestamp,
    now: Timestamp,
) -> Markup {
    // One series per practice, in the order they first appear, plus the
    // overall score on top.
    let mut series: Vec<ScoreSeries> = vec![ScoreSeries {
        name: "Overall".to_owned(),
        points: history
            .iter()
            .map(|r| (r.ran_at, r.satisfied, r.applicable))
            .collect(),
    }];
    let mut ids: Vec<String> = Vec::new();
    for run in history {
        for score in scores(run) {
            let index = match ids.iter().position(|p| *p == score.practice) {
                Some(i) => i,
                None => {
                    ids.push(score.practice.clone());
                    series.push(ScoreSeries {
                        name: practice_title(&score.practice),
                        points: Vec::new(),
                    });
                    ids.len() - 1
                }
            };
            series[index + 1]
                .points
                .push((run.ran_at, score.satisfied, score.applicable));
        }
    }
    html! {
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "Score history" }
            @if history.len() < 2 {
                p class="empty" {
                    "The history appears after two reviews in the last 90 days ("
                    (history.len()) " so far)."
                }
            } @else {
                (score_history("score-history", &series, since, now))
            }
        }
    }
}

fn attestations_section(
    actor: &Actor,
    s: &ServiceRef,
    attestations: &[AttestationView],
    responder: bool,
) -> Markup {
    html! {
        section aria-labelledby="attestations-heading" {
            h2 id="attestations-heading" { "Attestations on record" }
            @if attestations.is_empty() {
                p class="empty" { "None: nobody has vouched for an item of this service yet." }
            } @else {
                table class="attestations" {
                    thead { tr {
                        th scope="col" { "Item" } th scope="col" { "Attested by" } th scope="col" { "On" }
                        th scope="col" { "Expires" } th scope="col" { "Record" } th scope="col" { "Note" }
                        th scope="col" { "Recorded" }
                        @if responder { th scope="col" { span class="visually-hidden" { "Actions" } } }
                    } }
                    tbody {
                        @for a in attestations {
                            tr id={ "attestation-" (a.id) } {
                                td { code { (a.item) } }
                                td { (a.by) }
                                td { (a.on) }
                                td {
                                    @match a.expires { Some(e) => { (e) } None => { "never" } }
                                    @if !a.in_force { br; span class="state muted" { "not in force" } }
                                }
                                td class="reason" {
                                    @match &a.link { Some(link) => { (maybe_link(link)) } None => { "—" } }
                                }
                                td class="reason" { (a.note.as_deref().unwrap_or("—")) }
                                td { "by " (a.recorded_by) br; span class="muted" { (when(a.recorded_at)) } }
                                @if responder {
                                    td {
                                        form class="inline" method="post"
                                            action={ "/services/" (s.id) "/readiness/attestations/" (a.id) "/revoke" } {
                                            (csrf_field(actor))
                                            button type="submit" class="danger" aria-label={ "Revoke attestation #" (a.id) " of " (a.item) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The items the attest form offers: those a person must vouch for and
/// those not passing in the latest report (every attestation item of the
/// checklist when there is none). `(id, title)`.
fn attestable(report: Option<&Report>) -> Vec<(String, String)> {
    match report {
        Some(report) => report
            .items
            .iter()
            .filter(|r| {
                r.item.evidence == Evidence::Attestation
                    || (!r.verdict.counts_as_pass(report.today) && !r.verdict.is_not_applicable())
            })
            .map(|r| (r.item.id.clone(), r.item.title.clone()))
            .collect(),
        None => CHECKLIST
            .iter()
            .filter(|i| i.evidence == Evidence::Attestation)
            .map(|i| (i.id.to_owned(), i.title.to_owned()))
            .collect(),
    }
}

fn attest_section(
    actor: &Actor,
    s: &ServiceRef,
    report: Option<&Report>,
    form: &Draft,
    problem: Option<&Invalid>,
    today: Date,
) -> Markup {
    let items = attestable(report);
    let error_for = |field: Field| problem.filter(|p| p.field == field);
    let field_error = |field: Field| {
        html! {
            @if let Some(p) = error_for(field) {
                p class="bad" id={ "attest-" (field.api_name()) "-error" } { (p.field.label()) ": " (p.message) }
            }
        }
    };
    let described =
        |field: Field| error_for(field).map(|_| format!("attest-{}-error", field.api_name()));
    let by = if form.by.is_empty() {
        super::default_by(actor)
    } else {
        form.by.clone()
    };
    let on = if form.on.is_empty() {
        today.to_string()
    } else {
        form.on.clone()
    };
    html! {
        section aria-labelledby="attest-heading" {
            h2 id="attest-heading" { "Attest an item" }
            p class="muted" {
                "Vouch that a practice is in place when no machine can check it. "
                "A failing check still fails the item, whatever is attested."
            }
            @if let Some(problem) = problem {
                div class="notice bad" role="alert" {
                    "The attestation was not recorded. " (problem.field.label()) ": " (problem.message)
                }
            }
            form method="post" action={ "/services/" (s.id) "/readiness/attestations" } {
                (csrf_field(actor))
                label for="attest-item" { "Item" }
                select id="attest-item" name="item" required
                    aria-invalid=[error_for(Field::Item).map(|_| "true")]
                    aria-describedby=[described(Field::Item)] {
                    @for (id, title) in &items {
                        option value=(id) selected[*id == form.item] { (title) " (" (id) ")" }
                    }
                    @if !form.item.is_empty() && !items.iter().any(|(id, _)| *id == form.item) {
                        option value=(form.item) selected { (form.item) }
                    }
                }
                (field_error(Field::Item))
                label for="attest-by" { "Attested by" }
                input id="attest-by" type="text" name="by" value=(by) maxlength=(MAX_BY_CHARS)
                    aria-invalid=[error_for(Field::By).map(|_| "true")]
                    aria-describedby=[described(Field::By)];
                (field_error(Field::By))
                label for="attest-on" { "On" }
                input id="attest-on" type="date" name="on" value=(on)
                    aria-invalid=[error_for(Field::On).map(|_| "true")]
                    aria-describedby=[described(Field::On)];
                (field_error(Field::On))
                label for="attest-link" { "Link to the record (optional, http or https)" }
                input id="attest-link" type="url" name="link" value=(form.link) maxlength=(MAX_LINK_CHARS)
                    placeholder="https://"
                    aria-invalid=[error_for(Field::Link).map(|_| "true")]
                    aria-describedby=[described(Field::Link)];
                (field_error(Field::Link))
                label for="attest-expires" { "Expires (optional; after On)" }
                input id="attest-expires" type="date" name="expires" value=(form.expires)
                    aria-invalid=[error_for(Field::Expires).map(|_| "true")]
                    aria-describedby=[described(Field::Expires)];
                (field_error(Field::Expires))
                label for="attest-note" { "Note (optional)" }
                textarea id="attest-note" name="note" rows="2" maxlength=(MAX_NOTE_CHARS)
                    aria-invalid=[error_for(Field::Note).map(|_| "true")] {
                    (form.note)
                }
                (field_error(Field::Note))
                p { button type="submit" { "Record attestation" } }
            }
        }
    }
}
