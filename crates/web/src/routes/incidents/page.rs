//! One incident's page, `GET /incidents/{id}`: its header (status,
//! severity, service, who acknowledged and resolved it and when), the
//! upstream incident it is linked under, its alerts, its timeline (newest
//! last) and its notifications; and, for responders, the Acknowledge,
//! Resolve and Add note forms, which post and redirect back with a flash
//! (`?flash=`, one of a fixed set of messages).

use axum::extract::State;
use axum::response::Redirect;
use jiff::Timestamp;
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_store::{Incident, IncidentStatus, Role};

use super::{
    Action, AlertView, MAX_NOTE_CHARS, NotificationView, TimelineView, act, add_note, ago,
    duration, incident_href, status_label,
};
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Form, Path, Query};
use crate::pages::{Nav, csrf_field, notice, page, when_precise};
use crate::state::AppState;

/// What a form post did, shown once after the redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flash {
    Acknowledged,
    Resolved,
    Noted,
    Already,
    NoteEmpty,
    NoteTooLong,
}

impl Flash {
    const ALL: [Flash; 6] = [
        Flash::Acknowledged,
        Flash::Resolved,
        Flash::Noted,
        Flash::Already,
        Flash::NoteEmpty,
        Flash::NoteTooLong,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Flash::Acknowledged => "acknowledged",
            Flash::Resolved => "resolved",
            Flash::Noted => "noted",
            Flash::Already => "already",
            Flash::NoteEmpty => "note-empty",
            Flash::NoteTooLong => "note-too-long",
        }
    }

    fn good(self) -> bool {
        matches!(self, Flash::Acknowledged | Flash::Resolved | Flash::Noted)
    }

    fn message(self) -> String {
        match self {
            Flash::Acknowledged => {
                "You acknowledged this incident: escalation stopped, and everyone paged is told."
                    .to_owned()
            }
            Flash::Resolved => "You resolved this incident; everyone paged is told.".to_owned(),
            Flash::Noted => "Your note was added to the timeline.".to_owned(),
            Flash::Already => {
                "Nothing changed: someone got there first. Its status is below.".to_owned()
            }
            Flash::NoteEmpty => "The note was empty; nothing was added.".to_owned(),
            Flash::NoteTooLong => {
                format!("The note was longer than {MAX_NOTE_CHARS} characters; nothing was added.")
            }
        }
    }

    fn parse(text: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The incident's page showing this flash.
    fn redirect(self, id: i64) -> Redirect {
        Redirect::to(&format!("{}?flash={}", incident_href(id), self.as_str()))
    }
}

/// `?flash=`.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    flash: Option<String>,
}

/// `GET /incidents/{id}`.
pub(super) async fn incident_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let (incident, alerts) = super::load(&state, id).await?;
    let detail = super::detail_of(&state, incident.clone(), alerts).await?;
    let parent = match incident.parent_id {
        Some(parent) => state.store.incident(parent).await?.map(|(p, _)| p),
        None => None,
    };
    let now = state.now();
    let flash = query.flash.as_deref().and_then(Flash::parse);
    let title = format!("#{} {}", incident.id, incident.title);
    Ok(page(
        &title,
        &actor,
        Nav::Incidents,
        html! {
            nav class="crumbs" aria-label="Breadcrumb" {
                a href="/incidents" { "Incidents" } " › "
                span aria-current="page" { "#" (incident.id) }
            }
            @if let Some(flash) = flash {
                (notice(if flash.good() { "good" } else { "bad" }, html! { (flash.message()) }))
            }
            (header(&incident, parent.as_ref(), now))
            @if actor.role >= Role::Responder { (actions(&actor, &incident)) }
            (alerts_section(&detail.alerts))
            (timeline_section(&detail.timeline))
            @if actor.role >= Role::Responder { (note_section(&actor, incident.id)) }
            (notifications_section(&detail.notifications))
        },
    ))
}

/// Status, severity, service, times and people, the upstream link.
fn header(incident: &Incident, parent: Option<&Incident>, now: Timestamp) -> Markup {
    html! {
        section class="incident-head" aria-label="Summary" {
            p class="badge-line" {
                span class={ "badge state status-" (incident.status.as_str()) } { (status_label(incident.status)) }
                " "
                span class={ "badge sev sev-" (incident.severity) } { "Severity: " (incident.severity) }
                @if incident.flapping { " " span class="tag" { "flapping" } }
                @if incident.suppressed.is_some() { " " span class="tag" { "suppressed" } }
            }
            @if let Some(reason) = &incident.suppressed {
                p class="notice" role="note" { "Pages suppressed: " (reason) }
            }
            @if let Some(parent_id) = incident.parent_id {
                p {
                    "Linked under upstream incident "
                    a href=(incident_href(parent_id)) {
                        "#" (parent_id)
                        @if let Some(parent) = parent { " " (parent.title) }
                    }
                    @if let Some(parent) = parent { " (" (parent.status.as_str()) ")" }
                    "."
                }
            }
            dl class="facts" {
                dt { "Service" }
                dd {
                    @match &incident.service {
                        Some(service) => {
                            a href=(service_monitors_href(service)) { code { (service) } }
                            " (its monitors)"
                        }
                        None => span class="muted" { "none" },
                    }
                }
                dt { "Opened" }
                dd { (when_precise(incident.opened_at)) " · " (ago(incident.opened_at, now)) }
                dt { "Duration" } dd { (duration(incident, now)) }
                dt { "Acknowledged" }
                dd {
                    @match (incident.acked_at, &incident.acked_by) {
                        (Some(at), by) => { "by " (by.as_deref().unwrap_or("someone")) " at " (when_precise(at)) }
                        (None, _) => span class="muted" { "not yet" },
                    }
                }
                dt { "Resolved" }
                dd {
                    @match (incident.resolved_at, &incident.resolved_by) {
                        (Some(at), Some(by)) => { "by " (by) " at " (when_precise(at)) }
                        (Some(at), None) => { "automatically (its alerts cleared) at " (when_precise(at)) }
                        (None, _) => span class="muted" { "not yet" },
                    }
                }
                dt { "Key" } dd { code { (incident.key) } }
                @if !incident.labels.is_empty() {
                    dt { "Labels" }
                    dd { ul class="plain" { @for (name, value) in &incident.labels { li { code { (name) "=" (value) } } } } }
                }
            }
        }
    }
}

/// The monitors list filtered to `service`.
fn service_monitors_href(service: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("service", service)
        .finish();
    format!("/monitors?{query}")
}

fn actions(actor: &Actor, incident: &Incident) -> Markup {
    let href = incident_href(incident.id);
    html! {
        @if incident.status != IncidentStatus::Resolved {
            div class="actions" {
                @if incident.status == IncidentStatus::Open {
                    form class="inline" method="post" action={ (href) "/ack" } {
                        (csrf_field(actor))
                        button type="submit" { "Acknowledge" }
                    }
                    " "
                }
                form class="inline" method="post" action={ (href) "/resolve" } {
                    (csrf_field(actor))
                    button type="submit" class="secondary" { "Resolve" }
                }
                @if incident.service.is_some() {
                    " "
                    a href={ "/status-page/publish?from_incident=" (incident.id) } {
                        "Tell users on the status page…"
                    }
                }
            }
        }
    }
}

fn alerts_section(alerts: &[AlertView]) -> Markup {
    html! {
        section aria-labelledby="alerts-heading" {
            h2 id="alerts-heading" { "Alerts" }
            @if alerts.is_empty() {
                p class="empty" { "No alerts recorded on this incident." }
            } @else {
                table class="alerts" {
                    thead { tr {
                        th scope="col" { "Alert" } th scope="col" { "Severity" }
                        th scope="col" { "Started" } th scope="col" { "Cleared" }
                    } }
                    tbody {
                        @for alert in alerts {
                            tr {
                                td { (alert.summary) br; span class="muted" { code { (alert.key) } } }
                                td { (alert.severity) }
                                td { (when_precise(alert.started_at)) }
                                td {
                                    @match alert.cleared_at {
                                        Some(at) => (when_precise(at)),
                                        None => strong class="bad" { "still firing" },
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

fn timeline_section(timeline: &[TimelineView]) -> Markup {
    html! {
        section aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "Timeline" }
            @if timeline.is_empty() {
                p class="empty" { "Nothing on the timeline yet." }
            } @else {
                table class="timeline" {
                    caption class="muted" { "Oldest first." }
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "What" }
                        th scope="col" { "Who" } th scope="col" { "Detail" }
                    } }
                    tbody {
                        @for entry in timeline {
                            tr {
                                td { (when_precise(entry.at)) }
                                td { (entry.kind) }
                                td { @match &entry.actor { Some(actor) => (actor), None => span class="muted" { "Shipshape" } } }
                                td class="reason" { (entry.text) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn note_section(actor: &Actor, id: i64) -> Markup {
    html! {
        form method="post" action={ (incident_href(id)) "/notes" } aria-labelledby="note-heading" {
            h3 id="note-heading" { "Add note" }
            (csrf_field(actor))
            label for="note-text" { "Note (up to " (MAX_NOTE_CHARS) " characters)" }
            textarea id="note-text" name="text" rows="3" maxlength=(MAX_NOTE_CHARS) required {}
            p { button type="submit" { "Add note" } }
        }
    }
}

fn notifications_section(notifications: &[NotificationView]) -> Markup {
    html! {
        section aria-labelledby="notifications-heading" {
            h2 id="notifications-heading" { "Notifications" }
            @if notifications.is_empty() {
                p class="empty" { "Nobody has been notified about this incident." }
            } @else {
                table class="notifications" {
                    thead { tr {
                        th scope="col" { "Recipient" } th scope="col" { "Channel" } th scope="col" { "Kind" }
                        th scope="col" { "State" } th scope="col" { "Attempts" } th scope="col" { "Last error" }
                        th scope="col" { "Next attempt" }
                    } }
                    tbody {
                        @for message in notifications {
                            tr {
                                td { code { (message.recipient) } }
                                td { (message.channel) }
                                td { (message.kind) }
                                td {
                                    span class={ "state delivery-" (message.state) } { (message.state) }
                                    @if let Some(at) = message.delivered_at { br; span class="muted" { (when_precise(at)) } }
                                }
                                td { (message.attempts) }
                                td class="reason" { (message.last_error.as_deref().unwrap_or("—")) }
                                td { @match message.next_attempt_at { Some(at) => (when_precise(at)), None => "—" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Runs `action` from a form: a redirect back with a flash; a conflict
/// (someone got there first) is a flash too.
async fn act_from_form(
    state: &AppState,
    client: &ClientInfo,
    actor: &Actor,
    id: i64,
    action: Action,
) -> Result<Redirect, ApiError> {
    match act(state, client, &actor.display, &actor.display, id, action).await {
        Ok(()) => Ok(match action {
            Action::Acknowledge => Flash::Acknowledged,
            Action::Resolve => Flash::Resolved,
        }
        .redirect(id)),
        Err(error) if error.code() == ErrorCode::Conflict => Ok(Flash::Already.redirect(id)),
        Err(error) => Err(error),
    }
}

/// `POST /incidents/{id}/ack`.
pub(super) async fn ack_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Redirect, ApiError> {
    act_from_form(&state, &client, &actor, id, Action::Acknowledge).await
}

/// `POST /incidents/{id}/resolve`.
pub(super) async fn resolve_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Redirect, ApiError> {
    act_from_form(&state, &client, &actor, id, Action::Resolve).await
}

/// The note form.
#[derive(Debug, Deserialize)]
pub(super) struct NoteForm {
    text: String,
}

/// `POST /incidents/{id}/notes`.
pub(super) async fn note_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Redirect, ApiError> {
    let text = form.text.trim();
    if text.is_empty() {
        super::load(&state, id).await?;
        return Ok(Flash::NoteEmpty.redirect(id));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        super::load(&state, id).await?;
        return Ok(Flash::NoteTooLong.redirect(id));
    }
    add_note(&state, &client, &actor.display, &actor.display, id, text).await?;
    Ok(Flash::Noted.redirect(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_round_trip() {
        for flash in Flash::ALL {
            assert_eq!(Flash::parse(flash.as_str()), Some(flash));
        }
        assert_eq!(Flash::parse("<script>"), None);
    }
}
