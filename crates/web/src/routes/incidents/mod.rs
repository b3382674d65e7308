//! Incidents: the list page and `GET /api/v1/incidents` (filters by status
//! and service, keyset paging by id), one incident's page and API (its
//! alerts, timeline and notifications), what responders do to an incident
//! (acknowledge, resolve, add a note — as forms and as API calls, audited),
//! and the one-click acknowledge link `/ack/{token}` sent in pages.
//!
//! The store holds incidents; the paging engine (`shipshape-pager`) opens
//! and resolves them and tells everyone paged when someone acknowledges or
//! resolves one by hand. After changing one, the handler pokes the engine
//! ([`AppState::wake_pager`]) so follow-up notices go out at once.
//!
//! Files: this one holds the routes, the shared views and the actions;
//! `list.rs` the list, `page.rs` the incident page and its forms, `api.rs`
//! the JSON, `link.rs` the acknowledge link.

mod api;
mod link;
mod list;
mod page;

use crate::pages::span_label;
use jiff::Timestamp;
use serde::Serialize;
use shipshape_pager::PagerError;
use shipshape_store::{
    Incident, IncidentAlert, IncidentStatus, NewTimelineEntry, OutboxMessage, Role, TimelineEntry,
};

use crate::access::{Access, Routes};
use crate::audit;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::state::AppState;

/// Longest note, in characters.
pub(super) const MAX_NOTE_CHARS: usize = 4000;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    let viewer = Access::Role(Role::Viewer);
    let responder = Access::Role(Role::Responder);
    routes
        .get("/incidents", viewer, list::incidents_page)
        .get("/incidents/{id}", viewer, page::incident_page)
        .post("/incidents/{id}/ack", responder, page::ack_form)
        .post("/incidents/{id}/resolve", responder, page::resolve_form)
        .post("/incidents/{id}/notes", responder, page::note_form)
        .get("/api/v1/incidents", viewer, list::incidents_api)
        .get("/api/v1/incidents/{id}", viewer, api::incident_api)
        .post("/api/v1/incidents/{id}/ack", responder, api::ack_api)
        .post(
            "/api/v1/incidents/{id}/resolve",
            responder,
            api::resolve_api,
        )
        .post("/api/v1/incidents/{id}/notes", responder, api::note_api)
        .get("/ack/{token}", Access::Capability, link::ack_link_page)
        .post("/ack/{token}", Access::Capability, link::ack_link_post)
}

/// An incident as the pages and the API show it.
#[derive(Debug, Serialize)]
pub(super) struct IncidentView {
    id: i64,
    key: String,
    service: Option<String>,
    title: String,
    severity: String,
    status: &'static str,
    labels: std::collections::BTreeMap<String, String>,
    opened_at: Timestamp,
    acked_at: Option<Timestamp>,
    acked_by: Option<String>,
    resolved_at: Option<Timestamp>,
    resolved_by: Option<String>,
    parent_id: Option<i64>,
    suppressed: Option<String>,
    flapping: bool,
    updated_at: Timestamp,
}

impl From<Incident> for IncidentView {
    fn from(incident: Incident) -> Self {
        Self {
            id: incident.id,
            key: incident.key,
            service: incident.service,
            title: incident.title,
            severity: incident.severity,
            status: incident.status.as_str(),
            labels: incident.labels,
            opened_at: incident.opened_at,
            acked_at: incident.acked_at,
            acked_by: incident.acked_by,
            resolved_at: incident.resolved_at,
            resolved_by: incident.resolved_by,
            parent_id: incident.parent_id,
            suppressed: incident.suppressed,
            flapping: incident.flapping,
            updated_at: incident.updated_at,
        }
    }
}

/// An alert of an incident.
#[derive(Debug, Serialize)]
pub(super) struct AlertView {
    key: String,
    summary: String,
    severity: String,
    started_at: Timestamp,
    cleared_at: Option<Timestamp>,
}

impl From<IncidentAlert> for AlertView {
    fn from(alert: IncidentAlert) -> Self {
        Self {
            key: alert.alert_key,
            summary: alert.summary,
            severity: alert.severity,
            started_at: alert.started_at,
            cleared_at: alert.cleared_at,
        }
    }
}

/// A timeline entry.
#[derive(Debug, Serialize)]
pub(super) struct TimelineView {
    id: i64,
    at: Timestamp,
    kind: String,
    actor: Option<String>,
    text: String,
}

impl From<TimelineEntry> for TimelineView {
    fn from(entry: TimelineEntry) -> Self {
        Self {
            id: entry.id,
            at: entry.at,
            kind: entry.kind,
            actor: entry.actor,
            text: entry.text,
        }
    }
}

/// A notification about an incident: where it stands, never its payload.
#[derive(Debug, Serialize)]
pub(super) struct NotificationView {
    id: i64,
    kind: String,
    recipient: String,
    channel: String,
    state: &'static str,
    attempts: u32,
    last_error: Option<String>,
    /// When the next attempt is due; absent once delivered or failed.
    next_attempt_at: Option<Timestamp>,
    created_at: Timestamp,
    delivered_at: Option<Timestamp>,
}

impl From<OutboxMessage> for NotificationView {
    fn from(message: OutboxMessage) -> Self {
        let pending = message.state == shipshape_store::OutboxState::Pending;
        Self {
            id: message.id,
            kind: message.kind,
            recipient: message.recipient,
            channel: message.channel,
            state: message.state.as_str(),
            attempts: message.attempts,
            last_error: message.last_error,
            next_attempt_at: pending.then_some(message.next_attempt_at),
            created_at: message.created_at,
            delivered_at: message.delivered_at,
        }
    }
}

/// One incident with everything about it.
#[derive(Debug, Serialize)]
pub(super) struct IncidentDetail {
    #[serde(flatten)]
    incident: IncidentView,
    alerts: Vec<AlertView>,
    /// Oldest first.
    timeline: Vec<TimelineView>,
    /// Oldest first.
    notifications: Vec<NotificationView>,
}

/// 404 for incident `id`.
fn missing(id: i64) -> ApiError {
    ApiError::not_found(format!(
        "no incident #{id}; see /incidents for the list (old resolved incidents are pruned)"
    ))
}

/// Incident `id` with its alerts, or 404.
async fn load(state: &AppState, id: i64) -> Result<(Incident, Vec<IncidentAlert>), ApiError> {
    state.store.incident(id).await?.ok_or_else(|| missing(id))
}

/// Incident `id` with its alerts, timeline and notifications, or 404.
pub(super) async fn detail(state: &AppState, id: i64) -> Result<IncidentDetail, ApiError> {
    let (incident, alerts) = load(state, id).await?;
    detail_of(state, incident, alerts).await
}

/// `incident` and its `alerts` with its timeline and notifications.
pub(super) async fn detail_of(
    state: &AppState,
    incident: Incident,
    alerts: Vec<IncidentAlert>,
) -> Result<IncidentDetail, ApiError> {
    let id = incident.id;
    let timeline = state.store.incident_timeline(id).await?;
    let notifications = state.store.outbox_for_incident(id).await?;
    Ok(IncidentDetail {
        incident: incident.into(),
        alerts: alerts.into_iter().map(AlertView::from).collect(),
        timeline: timeline.into_iter().map(TimelineView::from).collect(),
        notifications: notifications
            .into_iter()
            .map(NotificationView::from)
            .collect(),
    })
}

fn pager_error(error: PagerError) -> ApiError {
    match error {
        PagerError::Store(error) => error.into(),
        other => ApiError::internal(other),
    }
}

/// Why `incident` cannot be acknowledged or resolved any more, for a 409
/// and for the pages.
pub(super) fn already(incident: &Incident) -> Option<String> {
    match incident.status {
        IncidentStatus::Open => None,
        IncidentStatus::Acknowledged => Some(format!(
            "incident #{} was already acknowledged by {} at {}",
            incident.id,
            incident.acked_by.as_deref().unwrap_or("someone"),
            incident
                .acked_at
                .map_or_else(|| "an unknown time".to_owned(), crate::pages::when_precise)
        )),
        IncidentStatus::Resolved => Some(format!(
            "incident #{} was already resolved{} at {}",
            incident.id,
            incident
                .resolved_by
                .as_deref()
                .map_or_else(|| " automatically".to_owned(), |by| format!(" by {by}")),
            incident
                .resolved_at
                .map_or_else(|| "an unknown time".to_owned(), crate::pages::when_precise)
        )),
    }
}

/// What a responder does to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Acknowledge,
    Resolve,
}

impl Action {
    fn audit_name(self) -> &'static str {
        match self {
            Action::Acknowledge => "incident.acknowledge",
            Action::Resolve => "incident.resolve",
        }
    }
}

/// Acknowledges or resolves incident `id` for `by`; 404 if missing, 409
/// naming who got there first if it is already acknowledged (for
/// `Acknowledge`) or resolved. Audited as `actor`; wakes the engine.
pub(super) async fn act(
    state: &AppState,
    client: &ClientInfo,
    actor: &str,
    by: &str,
    id: i64,
    action: Action,
) -> Result<(), ApiError> {
    let (incident, _) = load(state, id).await?;
    let blocked = match action {
        Action::Acknowledge => already(&incident),
        Action::Resolve if incident.status == IncidentStatus::Resolved => already(&incident),
        Action::Resolve => None,
    };
    if let Some(reason) = blocked {
        return Err(ApiError::conflict(reason));
    }
    let catalog = state.catalog();
    let now = state.now();
    let done = match action {
        Action::Acknowledge => {
            shipshape_pager::acknowledge(&state.store, &catalog, id, by, now).await
        }
        Action::Resolve => shipshape_pager::resolve(&state.store, &catalog, id, by, now).await,
    }
    .map_err(pager_error)?;
    if !done {
        // Someone else got there between the read and the write.
        let (incident, _) = load(state, id).await?;
        return Err(ApiError::conflict(already(&incident).unwrap_or_else(
            || format!("incident #{id} changed meanwhile; reload and try again"),
        )));
    }
    audit::record(
        state,
        client,
        actor,
        action.audit_name(),
        &format!("incident:{id}"),
        "",
    )
    .await;
    state.wake_pager();
    Ok(())
}

/// Checks a note: 1 to [`MAX_NOTE_CHARS`] characters once trimmed.
pub(super) fn valid_note(text: &str) -> Result<&str, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::bad_request("`text`: the note is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(ApiError::bad_request(format!(
            "`text`: the note has {chars} characters; at most {MAX_NOTE_CHARS} are accepted"
        )));
    }
    Ok(text)
}

/// Adds a note by `by` to incident `id`'s timeline; 404 if missing.
/// Audited as `actor`.
pub(super) async fn add_note(
    state: &AppState,
    client: &ClientInfo,
    actor: &str,
    by: &str,
    id: i64,
    text: &str,
) -> Result<(), ApiError> {
    let text = valid_note(text)?;
    load(state, id).await?;
    let entry = NewTimelineEntry {
        at: state.now(),
        kind: "note".into(),
        actor: Some(by.to_owned()),
        text: text.to_owned(),
    };
    state
        .store
        .append_timeline(id, std::slice::from_ref(&entry))
        .await
        .map_err(|error| match error {
            shipshape_store::StoreError::NotFound(_) => missing(id),
            other => other.into(),
        })?;
    audit::record(
        state,
        client,
        actor,
        "incident.note",
        &format!("incident:{id}"),
        &format!("{} characters", text.chars().count()),
    )
    .await;
    Ok(())
}

/// The page of incident `id`.
pub(super) fn incident_href(id: i64) -> String {
    format!("/incidents/{id}")
}

/// `at` relative to `now`: `5 min ago`.
pub(super) fn ago(at: Timestamp, now: Timestamp) -> String {
    format!("{} ago", span_label(now.duration_since(at)))
}

/// How long `incident` lasted, or has lasted so far.
pub(super) fn duration(incident: &Incident, now: Timestamp) -> String {
    let end = incident.resolved_at.unwrap_or(now);
    let span = span_label(end.duration_since(incident.opened_at));
    if incident.resolved_at.is_some() {
        span
    } else {
        format!("{span} (ongoing)")
    }
}

/// The text of a status, with a symbol so it never rests on colour alone.
pub(super) fn status_label(status: IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Open => "● Open",
        IncidentStatus::Acknowledged => "◐ Acknowledged",
        IncidentStatus::Resolved => "✓ Resolved",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_bounded_and_name_the_field() {
        assert_eq!(
            valid_note("  disk swapped  ").expect("valid"),
            "disk swapped"
        );
        for bad in [String::new(), "   ".into(), "x".repeat(MAX_NOTE_CHARS + 1)] {
            let error = valid_note(&bad).expect_err("invalid");
            assert!(error.message().starts_with("`text`"), "{}", error.message());
        }
        assert!(valid_note(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
    }
}
