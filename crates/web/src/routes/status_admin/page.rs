//! The pages and forms of the status page's responders' side:
//! `/status-page` (components and overrides, public incidents,
//! maintenance, and the forms to post, schedule and override), one public
//! incident, one maintenance, and the publish-from-alert form. Forms post
//! and redirect back with a flash; a form with a problem is shown again
//! (400) with its input kept.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use serde::Deserialize;
use shipshape_status::{ComponentStatus, Impact, IncidentStatus, MaintenanceStatus};
use shipshape_store::{ComponentOverride, MaintenanceRecord, Role, StatusIncidentRecord};

use super::{
    ComponentInfo, Field, IncidentDraft, Invalid, MAINTENANCE_IMPACT, MAX_MESSAGE_CHARS,
    MAX_NOTE_CHARS, MAX_TITLE_CHARS, MaintenanceDraft, UpdateDraft, UpdateView, build_incident,
    build_maintenance, build_update, component_name, component_status_label, components, form_time,
    incident_status_label, maintenance_over, maintenance_status_label, valid_component_status,
    valid_maintenance_status, valid_message, valid_note,
};
use crate::auth::{Actor, RequireRole, min};
use crate::client::ClientInfo;
use crate::error::{ApiError, ErrorCode, FormField, Rendered};
use crate::extract::{Form, Path, Query};
use crate::pages::{Nav, csrf_field, empty_state, notice, page, when};
use crate::state::AppState;

/// How many resolved public incidents the page shows.
const RECENT_RESOLVED: usize = 20;
/// How far ahead the page looks for maintenance.
const MAINTENANCE_HORIZON_DAYS: i64 = 366;

const STATUS_PAGE_EXAMPLE: &str = "[status_page]\ntitle = \"Example status\"\ncomponents = [\n  { name = \"Website\", monitors = [\"web/home\"] },\n  { name = \"API\", monitors = [\"api/health\"] },\n]";

// ---------------------------------------------------------------------------
// Flash

/// What a form post did, shown once after the redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flash {
    Posted,
    Updated,
    Scheduled,
    MaintenanceUpdated,
    Cancelled,
    AlreadyOver,
    OverrideSet,
    OverrideCleared,
    OverrideInvalid,
    AlreadyPublished,
}

impl Flash {
    const ALL: [Flash; 10] = [
        Flash::Posted,
        Flash::Updated,
        Flash::Scheduled,
        Flash::MaintenanceUpdated,
        Flash::Cancelled,
        Flash::AlreadyOver,
        Flash::OverrideSet,
        Flash::OverrideCleared,
        Flash::OverrideInvalid,
        Flash::AlreadyPublished,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Flash::Posted => "posted",
            Flash::Updated => "updated",
            Flash::Scheduled => "scheduled",
            Flash::MaintenanceUpdated => "maintenance-updated",
            Flash::Cancelled => "cancelled",
            Flash::AlreadyOver => "already-over",
            Flash::OverrideSet => "override-set",
            Flash::OverrideCleared => "override-cleared",
            Flash::OverrideInvalid => "override-invalid",
            Flash::AlreadyPublished => "already-published",
        }
    }

    fn parse(text: &str) -> Option<Flash> {
        Flash::ALL.into_iter().find(|f| f.as_str() == text)
    }

    fn good(self) -> bool {
        !matches!(
            self,
            Flash::AlreadyOver | Flash::OverrideInvalid | Flash::AlreadyPublished
        )
    }

    fn message(self) -> String {
        match self {
            Flash::Posted => "Incident posted to the public status page.".to_owned(),
            Flash::Updated => "Update posted to the public status page.".to_owned(),
            Flash::Scheduled => {
                "Maintenance scheduled and announced on the public status page.".to_owned()
            }
            Flash::MaintenanceUpdated => "Maintenance updated.".to_owned(),
            Flash::Cancelled => "Maintenance cancelled.".to_owned(),
            Flash::AlreadyOver => {
                "Nothing changed: that maintenance was already cancelled or completed.".to_owned()
            }
            Flash::OverrideSet => {
                "Override set: the component shows this status until you clear it.".to_owned()
            }
            Flash::OverrideCleared => {
                "Override cleared: the component follows its monitors again.".to_owned()
            }
            Flash::OverrideInvalid => format!(
                "The override was not set: choose a status, and keep the note under {MAX_NOTE_CHARS} characters."
            ),
            Flash::AlreadyPublished => {
                "That alerting incident is already on the status page; here it is.".to_owned()
            }
        }
    }

    fn redirect(self, path: &str) -> Redirect {
        Redirect::to(&format!("{path}?flash={}", self.as_str()))
    }
}

/// `?flash=`.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    flash: Option<String>,
}

fn flash_notice(flash: Option<Flash>) -> Markup {
    html! {
        @if let Some(flash) = flash {
            (notice(if flash.good() { "good" } else { "bad" }, html! { (flash.message()) }))
        }
    }
}

fn incident_href(id: i64) -> String {
    format!("/status-page/incidents/{id}")
}

fn maintenance_href(id: i64) -> String {
    format!("/status-page/maintenance/{id}")
}

/// A page shown again with a problem: 400, left alone by the error layer.
fn rendered_problem(body: Markup) -> Response {
    let mut response = (StatusCode::BAD_REQUEST, body).into_response();
    response.extensions_mut().insert(Rendered);
    response
}

// ---------------------------------------------------------------------------
// Forms as sent

/// The fields of a form body (repeated keys kept, e.g. checkboxes).
type Pairs = Vec<(String, String)>;

fn first(pairs: &Pairs, key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn all(pairs: &Pairs, key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The "Post an incident" form; kept to show it again with its problem.
#[derive(Debug, Clone, Default)]
struct IncidentForm {
    title: String,
    impact: String,
    components: Vec<String>,
    component_status: String,
    status: String,
    message: String,
    alert_incident: String,
}

impl IncidentForm {
    fn from_pairs(pairs: &Pairs) -> Self {
        Self {
            title: first(pairs, "title"),
            impact: first(pairs, "impact"),
            components: all(pairs, "components"),
            component_status: first(pairs, "component_status"),
            status: first(pairs, "status"),
            message: first(pairs, "message"),
            alert_incident: first(pairs, "alert_incident"),
        }
    }

    fn from_draft(draft: &IncidentDraft) -> Self {
        Self {
            title: draft.name.clone(),
            impact: draft.impact.clone(),
            components: draft.components.clone(),
            component_status: draft.component_status.clone().unwrap_or_default(),
            status: draft.status.clone(),
            message: draft.message.clone(),
            alert_incident: draft
                .alert_incident
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }

    fn draft(&self) -> Result<IncidentDraft, Invalid> {
        let alert_incident = match self.alert_incident.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                super::invalid(Field::AlertIncident, format!("{text:?} is not an id"))
            })?),
        };
        Ok(IncidentDraft {
            name: self.title.clone(),
            status: self.status.clone(),
            impact: self.impact.clone(),
            components: self.components.clone(),
            component_status: Some(self.component_status.clone()),
            message: self.message.clone(),
            alert_incident,
        })
    }
}

/// The "Schedule maintenance" form.
#[derive(Debug, Clone, Default)]
struct MaintenanceForm {
    title: String,
    components: Vec<String>,
    from: String,
    until: String,
    impact: String,
    message: String,
}

impl MaintenanceForm {
    fn from_pairs(pairs: &Pairs) -> Self {
        Self {
            title: first(pairs, "title"),
            components: all(pairs, "components"),
            from: first(pairs, "from"),
            until: first(pairs, "until"),
            impact: first(pairs, "impact"),
            message: first(pairs, "message"),
        }
    }

    fn draft(&self) -> Result<MaintenanceDraft, Invalid> {
        Ok(MaintenanceDraft {
            name: self.title.clone(),
            components: self.components.clone(),
            scheduled_for: form_time(Field::ScheduledFor, &self.from)?,
            scheduled_until: form_time(Field::ScheduledUntil, &self.until)?,
            impact: Some(self.impact.clone()),
            message: self.message.clone(),
        })
    }
}

/// The update form of a public incident or a maintenance.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct UpdateForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    component_status: String,
}

/// The override form of a component.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct OverrideForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

// ---------------------------------------------------------------------------
// Form pieces

/// Problem helpers of one form.
struct Problems<'a> {
    problem: Option<&'a Invalid>,
    /// The id of the form's problem notice.
    notice_id: &'static str,
}

impl Problems<'_> {
    fn on(&self, field: Field) -> Option<&Invalid> {
        self.problem.filter(|p| p.field == field)
    }

    fn invalid_attr(&self, field: Field) -> Option<&'static str> {
        self.on(field).map(|_| "true")
    }

    fn described(&self, field: Field) -> Option<&'static str> {
        self.on(field).map(|_| self.notice_id)
    }

    fn field_error(&self, field: Field) -> Markup {
        html! {
            @if let Some(p) = self.on(field) {
                p class="bad" { (p.field.label()) ": " (p.message) }
            }
        }
    }

    fn summary(&self, what: &str) -> Markup {
        html! {
            @if let Some(p) = self.problem {
                div id=(self.notice_id) class="notice bad" role="alert" {
                    (what) " " (p.field.label()) ": " (p.message)
                }
            }
        }
    }
}

fn component_checkboxes(
    prefix: &str,
    known: &[ComponentInfo],
    checked: &[String],
    problems: &Problems<'_>,
) -> Markup {
    html! {
        fieldset aria-invalid=[problems.invalid_attr(Field::Components)]
            aria-describedby=[problems.described(Field::Components)] {
            legend { "Affected components (optional)" }
            @if known.is_empty() {
                p class="muted" { "The catalog's status page has no components." }
            }
            @for component in known {
                @let id = format!("{prefix}-component-{}", component.id);
                div {
                    input type="checkbox" id=(id) name="components" value=(component.id)
                        checked[checked.iter().any(|c| c == &component.id)];
                    " "
                    label for=(id) style="display:inline;font-weight:normal" {
                        (component.name)
                        @if let Some(group) = &component.group { span class="muted" { " (" (group) ")" } }
                    }
                }
            }
            (problems.field_error(Field::Components))
        }
    }
}

fn component_status_select(id: &str, selected: &str, none_label: &str) -> Markup {
    html! {
        select id=(id) name="component_status" {
            option value="" selected[selected.is_empty()] { (none_label) }
            @for status in ComponentStatus::ALL {
                option value=(status.as_str()) selected[selected == status.as_str()] { (status.label()) }
            }
        }
    }
}

fn incident_status_select(id: &str, selected: &str, with_postmortem: bool) -> Markup {
    html! {
        select id=(id) name="status" required {
            @for status in IncidentStatus::ALL {
                @if with_postmortem || status != IncidentStatus::Postmortem {
                    option value=(status.as_str()) selected[selected == status.as_str()] { (status.label()) }
                }
            }
        }
    }
}

/// The "Post an incident" form.
fn incident_form(
    actor: &Actor,
    known: &[ComponentInfo],
    form: &IncidentForm,
    problem: Option<&Invalid>,
) -> Markup {
    let problems = Problems {
        problem,
        notice_id: "incident-error",
    };
    html! {
        (problems.summary("The incident was not posted."))
        form method="post" action="/status-page/incidents" {
            (csrf_field(actor))
            @if !form.alert_incident.is_empty() {
                input type="hidden" name="alert_incident" value=(form.alert_incident);
            }
            p class="muted" { "Everything here is public: write for your users, not for responders." }
            label for="inc-title" { "Title (up to " (MAX_TITLE_CHARS) " characters)" }
            input id="inc-title" type="text" name="title" value=(form.title) maxlength=(MAX_TITLE_CHARS) required
                aria-invalid=[problems.invalid_attr(Field::Name)]
                aria-describedby=[problems.described(Field::Name)];
            (problems.field_error(Field::Name))
            label for="inc-impact" { "Impact" }
            select id="inc-impact" name="impact" aria-invalid=[problems.invalid_attr(Field::Impact)] {
                @for impact in Impact::ALL {
                    option value=(impact.as_str()) selected[form.impact == impact.as_str()] { (impact.as_str()) }
                }
            }
            (problems.field_error(Field::Impact))
            (component_checkboxes("inc", known, &form.components, &problems))
            label for="inc-component-status" { "Status of the affected components" }
            (component_status_select("inc-component-status", &form.component_status, "Leave as their monitors say"))
            (problems.field_error(Field::ComponentStatus))
            label for="inc-status" { "Incident status" }
            (incident_status_select("inc-status", &form.status, false))
            (problems.field_error(Field::Status))
            label for="inc-message" { "Message (up to " (MAX_MESSAGE_CHARS) " characters)" }
            textarea id="inc-message" name="message" rows="4" maxlength=(MAX_MESSAGE_CHARS) required
                aria-invalid=[problems.invalid_attr(Field::Message)]
                aria-describedby=[problems.described(Field::Message)] {
                (form.message)
            }
            (problems.field_error(Field::Message))
            (problems.field_error(Field::AlertIncident))
            p { button type="submit" { "Post incident" } }
        }
    }
}

/// The "Schedule maintenance" form.
fn maintenance_form(
    actor: &Actor,
    known: &[ComponentInfo],
    form: &MaintenanceForm,
    problem: Option<&Invalid>,
) -> Markup {
    let problems = Problems {
        problem,
        notice_id: "maintenance-error",
    };
    let impact = if form.impact.is_empty() {
        MAINTENANCE_IMPACT
    } else {
        form.impact.as_str()
    };
    html! {
        (problems.summary("The maintenance was not scheduled."))
        form method="post" action="/status-page/maintenance" {
            (csrf_field(actor))
            label for="mnt-title" { "Title (up to " (MAX_TITLE_CHARS) " characters)" }
            input id="mnt-title" type="text" name="title" value=(form.title) maxlength=(MAX_TITLE_CHARS) required
                aria-invalid=[problems.invalid_attr(Field::Name)]
                aria-describedby=[problems.described(Field::Name)];
            (problems.field_error(Field::Name))
            (component_checkboxes("mnt", known, &form.components, &problems))
            p id="mnt-window-hint" class="muted" { "From and Until are in UTC." }
            label for="mnt-from" { "From (UTC)" }
            input id="mnt-from" type="datetime-local" name="from" value=(form.from) required
                aria-invalid=[problems.invalid_attr(Field::ScheduledFor)]
                aria-describedby="mnt-window-hint";
            (problems.field_error(Field::ScheduledFor))
            label for="mnt-until" { "Until (UTC)" }
            input id="mnt-until" type="datetime-local" name="until" value=(form.until) required
                aria-invalid=[problems.invalid_attr(Field::ScheduledUntil)]
                aria-describedby="mnt-window-hint";
            (problems.field_error(Field::ScheduledUntil))
            label for="mnt-impact" { "Impact" }
            select id="mnt-impact" name="impact" {
                option value=(MAINTENANCE_IMPACT) selected[impact == MAINTENANCE_IMPACT] { "maintenance" }
                @for i in Impact::ALL {
                    option value=(i.as_str()) selected[impact == i.as_str()] { (i.as_str()) }
                }
            }
            (problems.field_error(Field::Impact))
            label for="mnt-message" { "Message (up to " (MAX_MESSAGE_CHARS) " characters)" }
            textarea id="mnt-message" name="message" rows="3" maxlength=(MAX_MESSAGE_CHARS) required
                aria-invalid=[problems.invalid_attr(Field::Message)] {
                (form.message)
            }
            (problems.field_error(Field::Message))
            p { button type="submit" { "Schedule maintenance" } }
        }
    }
}

fn component_list(known: &[ComponentInfo], ids: &[String]) -> Markup {
    html! {
        @if ids.is_empty() {
            span class="muted" { "none" }
        } @else {
            @for (i, id) in ids.iter().enumerate() {
                @if i > 0 { ", " }
                (component_name(known, id))
            }
        }
    }
}

fn updates_section(updates: &[UpdateView], label: fn(&str) -> &str) -> Markup {
    html! {
        section aria-labelledby="updates-heading" {
            h2 id="updates-heading" { "Updates" }
            @if updates.is_empty() {
                p class="empty" { "No updates." }
            } @else {
                table class="timeline" {
                    caption class="muted" { "Newest first." }
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "Status" }
                        th scope="col" { "Message" } th scope="col" { "By" }
                    } }
                    tbody {
                        @for update in updates {
                            tr {
                                td { (when(update.at)) }
                                td {
                                    (label(&update.status))
                                    @if let Some(cs) = &update.component_status {
                                        br; span class="muted" { "components: " (component_status_label(cs)) }
                                    }
                                }
                                td class="reason" style="white-space:pre-wrap" { (update.message) }
                                td { (update.created_by) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The overview

/// What the overview shows in its forms.
#[derive(Debug, Default)]
struct OverviewForms {
    incident: IncidentForm,
    incident_problem: Option<Invalid>,
    maintenance: MaintenanceForm,
    maintenance_problem: Option<Invalid>,
}

/// `GET /status-page`.
pub(super) async fn overview_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let flash = query.flash.as_deref().and_then(Flash::parse);
    let forms = OverviewForms {
        incident: IncidentForm {
            status: IncidentStatus::Investigating.as_str().to_owned(),
            impact: Impact::Minor.as_str().to_owned(),
            ..IncidentForm::default()
        },
        ..OverviewForms::default()
    };
    overview(&state, &actor, flash, &forms).await
}

async fn overview(
    state: &AppState,
    actor: &Actor,
    flash: Option<Flash>,
    forms: &OverviewForms,
) -> Result<Markup, ApiError> {
    let catalog = state.catalog();
    let Some(known) = components(&catalog) else {
        return Ok(page(
            "Status page",
            actor,
            Nav::StatusPage,
            html! {
                (flash_notice(flash))
                (empty_state(
                    "No status page configured",
                    html! {
                        p {
                            "The catalog has no " code { "[status_page]" } " section, so there is nothing to show the public. "
                            "Add one naming the components your users see, each backed by monitors "
                            "(" code { "\"SERVICE/MONITOR\"" } "), then reload the catalog:"
                        }
                    },
                    Some(STATUS_PAGE_EXAMPLE),
                ))
            },
        ));
    };
    let now = state.now();
    let overrides = state.store.component_overrides().await?;
    let unresolved = state.store.unresolved_status_incidents().await?;
    let resolved: Vec<StatusIncidentRecord> = state
        .store
        .status_incidents(100, None)
        .await?
        .into_iter()
        .filter(StatusIncidentRecord::is_over)
        .take(RECENT_RESOLVED)
        .collect();
    let horizon = now
        .checked_add(SignedDuration::from_hours(MAINTENANCE_HORIZON_DAYS * 24))
        .unwrap_or(Timestamp::MAX);
    let maintenances: Vec<MaintenanceRecord> = state
        .store
        .maintenances(now, horizon)
        .await?
        .into_iter()
        .filter(|m| m.status != MaintenanceStatus::Completed.as_str())
        .collect();
    let responder = actor.role >= Role::Responder;
    Ok(page(
        "Status page",
        actor,
        Nav::StatusPage,
        html! {
            (flash_notice(flash))
            p {
                "What the public sees about your services. "
                a href="/status" target="_blank" rel="noopener" { "Open the public status page" }
                " (opens in a new tab)."
            }
            section aria-labelledby="components-heading" {
                h2 id="components-heading" { "Components" }
                @if known.is_empty() {
                    p class="empty" { "The catalog's " code { "[status_page]" } " lists no components." }
                } @else {
                    (components_table(actor, &known, &overrides, responder))
                }
            }
            section aria-labelledby="incidents-heading" {
                h2 id="incidents-heading" { "Public incidents not resolved" }
                @if unresolved.is_empty() {
                    p class="empty" { "No public incident is open." }
                } @else {
                    (incident_table(&known, &unresolved))
                }
            }
            @if responder {
                section aria-labelledby="post-heading" {
                    h2 id="post-heading" { "Post an incident" }
                    (incident_form(actor, &known, &forms.incident, forms.incident_problem.as_ref()))
                }
            }
            section aria-labelledby="maintenance-heading" {
                h2 id="maintenance-heading" { "Upcoming and in-progress maintenance" }
                @if maintenances.is_empty() {
                    p class="empty" { "No maintenance is scheduled." }
                } @else {
                    (maintenance_table(&known, &maintenances))
                }
            }
            @if responder {
                section aria-labelledby="schedule-heading" {
                    h2 id="schedule-heading" { "Schedule maintenance" }
                    (maintenance_form(actor, &known, &forms.maintenance, forms.maintenance_problem.as_ref()))
                }
            }
            section aria-labelledby="resolved-heading" {
                h2 id="resolved-heading" { "Recently resolved public incidents" }
                @if resolved.is_empty() {
                    p class="empty" { "None yet." }
                } @else {
                    (incident_table(&known, &resolved))
                }
            }
        },
    ))
}

fn components_table(
    actor: &Actor,
    known: &[ComponentInfo],
    overrides: &[ComponentOverride],
    responder: bool,
) -> Markup {
    html! {
        table class="components" {
            thead { tr {
                th scope="col" { "Component" } th scope="col" { "Group" } th scope="col" { "Override" }
                @if responder { th scope="col" { "Set or clear the override" } }
            } }
            tbody {
                @for component in known {
                    @let manual = overrides.iter().find(|o| o.component_id == component.id);
                    tr id={ "component-" (component.id) } {
                        td { (component.name) br; code class="muted" { (component.id) } }
                        td { (component.group.as_deref().unwrap_or("—")) }
                        td {
                            @match manual {
                                Some(o) => {
                                    strong { (component_status_label(&o.status)) }
                                    @if let Some(note) = &o.note { br; span class="reason" { (note) } }
                                    br; span class="muted" { "by " (o.set_by) ", " (when(o.set_at)) }
                                }
                                None => span class="muted" { "None: follows its monitors" },
                            }
                        }
                        @if responder {
                            td {
                                @let status_id = format!("ovr-{}-status", component.id);
                                @let note_id = format!("ovr-{}-note", component.id);
                                form method="post" action={ "/status-page/components/" (component.id) "/override" } {
                                    (csrf_field(actor))
                                    label for=(status_id) { "Status of " (component.name) }
                                    select id=(status_id) name="status" required {
                                        @for status in ComponentStatus::ALL {
                                            option value=(status.as_str())
                                                selected[manual.is_some_and(|o| o.status == status.as_str())] { (status.label()) }
                                        }
                                    }
                                    label for=(note_id) { "Note (optional)" }
                                    input id=(note_id) type="text" name="note" maxlength=(MAX_NOTE_CHARS)
                                        value=(manual.and_then(|o| o.note.as_deref()).unwrap_or(""));
                                    p { button type="submit" { "Set override" } }
                                }
                                @if manual.is_some() {
                                    form class="inline" method="post" action={ "/status-page/components/" (component.id) "/override/clear" } {
                                        (csrf_field(actor))
                                        button type="submit" class="secondary" aria-label={ "Clear the override of " (component.name) } { "Clear override" }
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

fn incident_table(known: &[ComponentInfo], incidents: &[StatusIncidentRecord]) -> Markup {
    html! {
        table class="incidents" {
            thead { tr {
                th scope="col" { "Incident" } th scope="col" { "Status" } th scope="col" { "Impact" }
                th scope="col" { "Components" } th scope="col" { "Last change" }
            } }
            tbody {
                @for incident in incidents {
                    tr {
                        td { a href=(incident_href(incident.id)) { (incident.name) } }
                        td { (incident_status_label(&incident.status)) }
                        td { (incident.impact) }
                        td { (component_list(known, &incident.components)) }
                        td { (when(incident.updated_at)) }
                    }
                }
            }
        }
    }
}

fn maintenance_table(known: &[ComponentInfo], maintenances: &[MaintenanceRecord]) -> Markup {
    html! {
        table class="maintenances" {
            thead { tr {
                th scope="col" { "Maintenance" } th scope="col" { "Status" } th scope="col" { "Window (UTC)" }
                th scope="col" { "Components" }
            } }
            tbody {
                @for m in maintenances {
                    tr {
                        td { a href=(maintenance_href(m.id)) { (m.name) } }
                        td { (maintenance_status_label(&m.status)) }
                        td { "from " (when(m.scheduled_for)) br; "until " (when(m.scheduled_until)) }
                        td { (component_list(known, &m.components)) }
                    }
                }
            }
        }
    }
}

/// `POST /status-page/incidents`.
pub(super) async fn create_incident_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, ApiError> {
    let form = IncidentForm::from_pairs(&pairs);
    let known = components(&state.catalog()).unwrap_or_default();
    let built = form
        .draft()
        .and_then(|draft| build_incident(&known, &draft, &actor.display, state.now()));
    let incident = match built {
        Ok(incident) => incident,
        Err(problem) => {
            let forms = OverviewForms {
                incident: form,
                incident_problem: Some(problem),
                ..OverviewForms::default()
            };
            return Ok(rendered_problem(
                overview(&state, &actor, None, &forms).await?,
            ));
        }
    };
    if let Some(alert) = incident.alert_incident
        && let Some(published) = state.store.status_incident_for_alert(alert).await?
    {
        return Ok(Flash::AlreadyPublished
            .redirect(&incident_href(published.id))
            .into_response());
    }
    let record = super::create_incident(&state, &client, &actor, &incident).await?;
    Ok(Flash::Posted
        .redirect(&incident_href(record.id))
        .into_response())
}

/// `POST /status-page/maintenance`.
pub(super) async fn schedule_maintenance_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, ApiError> {
    let form = MaintenanceForm::from_pairs(&pairs);
    let known = components(&state.catalog()).unwrap_or_default();
    let built = form
        .draft()
        .and_then(|draft| build_maintenance(&known, &draft, &actor.display, state.now()));
    match built {
        Ok(maintenance) => {
            let record = super::schedule_maintenance(&state, &client, &actor, &maintenance).await?;
            Ok(Flash::Scheduled
                .redirect(&maintenance_href(record.id))
                .into_response())
        }
        Err(problem) => {
            let forms = OverviewForms {
                incident: IncidentForm {
                    status: IncidentStatus::Investigating.as_str().to_owned(),
                    impact: Impact::Minor.as_str().to_owned(),
                    ..IncidentForm::default()
                },
                maintenance: form,
                maintenance_problem: Some(problem),
                ..OverviewForms::default()
            };
            Ok(rendered_problem(
                overview(&state, &actor, None, &forms).await?,
            ))
        }
    }
}

/// `POST /status-page/components/{id}/override`.
pub(super) async fn set_override_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
    Form(form): Form<OverrideForm>,
) -> Result<Redirect, ApiError> {
    let status = valid_component_status(Field::Status, Some(&form.status));
    let note = valid_note(Some(&form.note));
    let (Ok(Some(status)), Ok(note)) = (status, note) else {
        return Ok(Flash::OverrideInvalid.redirect("/status-page"));
    };
    super::set_override(
        &state,
        &client,
        &actor,
        &id,
        Some((status, note.as_deref())),
    )
    .await?;
    Ok(Flash::OverrideSet.redirect("/status-page"))
}

/// `POST /status-page/components/{id}/override/clear`.
pub(super) async fn clear_override_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<String>,
) -> Result<Redirect, ApiError> {
    super::set_override(&state, &client, &actor, &id, None).await?;
    Ok(Flash::OverrideCleared.redirect("/status-page"))
}

// ---------------------------------------------------------------------------
// Publishing from an alerting incident

/// `?from_incident=`.
#[derive(Debug, Deserialize)]
pub(super) struct PublishQuery {
    from_incident: i64,
}

/// `GET /status-page/publish?from_incident={id}`.
pub(super) async fn publish_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Responder>,
    Query(query): Query<PublishQuery>,
) -> Result<Response, ApiError> {
    let alert_id = query.from_incident;
    let (incident, _) = state.store.incident(alert_id).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "no incident #{alert_id}; see /incidents for the list"
        ))
    })?;
    if let Some(published) = state.store.status_incident_for_alert(alert_id).await? {
        return Ok(Flash::AlreadyPublished
            .redirect(&incident_href(published.id))
            .into_response());
    }
    let catalog = state.catalog();
    let Some(known) = components(&catalog) else {
        return Ok(Redirect::to("/status-page").into_response());
    };
    let draft = super::draft_from_alert(
        &catalog,
        &known,
        alert_id,
        incident.service.as_deref(),
        &incident.severity,
    );
    let form = IncidentForm::from_draft(&draft);
    Ok(page(
        &format!("Publish incident #{alert_id} to the status page"),
        &actor,
        Nav::StatusPage,
        html! {
            nav class="crumbs" aria-label="Breadcrumb" {
                a href="/status-page" { "Status page" } " › "
                span aria-current="page" { "Publish" }
            }
            p {
                "Tell the public about "
                a href={ "/incidents/" (alert_id) } { "incident #" (alert_id) }
                ". The form starts with neutral words; nothing from the alerts is shown to the public unless you write it here."
            }
            (incident_form(&actor, &known, &form, None))
        },
    )
    .into_response())
}

// ---------------------------------------------------------------------------
// One public incident

/// `GET /status-page/incidents/{id}`.
pub(super) async fn incident_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let flash = query.flash.as_deref().and_then(Flash::parse);
    let record = super::load_incident(&state, id).await?;
    let form = UpdateForm {
        status: record.status.clone(),
        ..UpdateForm::default()
    };
    render_incident(&state, &actor, flash, record, &form, None)
}

fn render_incident(
    state: &AppState,
    actor: &Actor,
    flash: Option<Flash>,
    record: StatusIncidentRecord,
    form: &UpdateForm,
    problem: Option<&Invalid>,
) -> Result<Markup, ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let view = super::IncidentView::from(record);
    let problems = Problems {
        problem,
        notice_id: "update-error",
    };
    Ok(page(
        &view.name,
        actor,
        Nav::StatusPage,
        html! {
            nav class="crumbs" aria-label="Breadcrumb" {
                a href="/status-page" { "Status page" } " › "
                span aria-current="page" { "Public incident #" (view.id) }
            }
            (flash_notice(flash))
            dl class="facts" {
                dt { "Status" } dd { strong { (incident_status_label(&view.status)) } }
                dt { "Impact" } dd { (view.impact) }
                dt { "Components" } dd { (component_list(&known, &view.components)) }
                dt { "Posted" } dd { (when(view.created_at)) " by " (view.created_by) }
                dt { "Last change" } dd { (when(view.updated_at)) }
                @if let Some(at) = view.resolved_at { dt { "Resolved" } dd { (when(at)) } }
                @if let Some(alert) = view.alert_incident {
                    dt { "From" } dd { a href={ "/incidents/" (alert) } { "alerting incident #" (alert) } }
                }
            }
            p { a href="/status" target="_blank" rel="noopener" { "See it on the public status page" } " (opens in a new tab)." }
            @if actor.role >= Role::Responder {
                section aria-labelledby="post-update-heading" {
                    h2 id="post-update-heading" { "Post an update" }
                    (problems.summary("The update was not posted."))
                    form method="post" action={ (incident_href(view.id)) "/updates" } {
                        (csrf_field(actor))
                        label for="upd-status" { "Incident status" }
                        (incident_status_select("upd-status", &form.status, true))
                        (problems.field_error(Field::Status))
                        label for="upd-component-status" { "Status of the affected components (optional)" }
                        (component_status_select("upd-component-status", &form.component_status, "Unchanged"))
                        (problems.field_error(Field::ComponentStatus))
                        label for="upd-message" { "Message (up to " (MAX_MESSAGE_CHARS) " characters)" }
                        textarea id="upd-message" name="message" rows="4" maxlength=(MAX_MESSAGE_CHARS) required
                            aria-invalid=[problems.invalid_attr(Field::Message)]
                            aria-describedby=[problems.described(Field::Message)] {
                            (form.message)
                        }
                        (problems.field_error(Field::Message))
                        p { button type="submit" { "Post update" } }
                    }
                }
            }
            (updates_section(&view.updates, incident_status_label))
        },
    ))
}

/// `POST /status-page/incidents/{id}/updates`.
pub(super) async fn update_incident_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let draft = UpdateDraft {
        status: form.status.clone(),
        message: form.message.clone(),
        component_status: Some(form.component_status.clone()),
        components: None,
        impact: None,
    };
    match build_update(&known, &draft, &actor.display, state.now()) {
        Ok(update) => {
            super::update_incident(&state, &client, &actor, id, &update).await?;
            Ok(Flash::Updated.redirect(&incident_href(id)).into_response())
        }
        Err(problem) => {
            let record = super::load_incident(&state, id).await?;
            Ok(rendered_problem(render_incident(
                &state,
                &actor,
                None,
                record,
                &form,
                Some(&problem),
            )?))
        }
    }
}

// ---------------------------------------------------------------------------
// One maintenance

/// `GET /status-page/maintenance/{id}`.
pub(super) async fn maintenance_page(
    State(state): State<AppState>,
    actor: RequireRole<min::Viewer>,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Result<Markup, ApiError> {
    let flash = query.flash.as_deref().and_then(Flash::parse);
    let record = super::load_maintenance(&state, id).await?;
    let form = UpdateForm {
        status: record.status.clone(),
        ..UpdateForm::default()
    };
    render_maintenance(&state, &actor, flash, record, &form, None)
}

fn render_maintenance(
    state: &AppState,
    actor: &Actor,
    flash: Option<Flash>,
    record: MaintenanceRecord,
    form: &UpdateForm,
    problem: Option<&Invalid>,
) -> Result<Markup, ApiError> {
    let known = components(&state.catalog()).unwrap_or_default();
    let over = maintenance_over(&record);
    let view = super::MaintenanceView::from(record);
    let problems = Problems {
        problem,
        notice_id: "maintenance-update-error",
    };
    let statuses = [
        MaintenanceStatus::Scheduled,
        MaintenanceStatus::InProgress,
        MaintenanceStatus::Verifying,
        MaintenanceStatus::Completed,
    ];
    Ok(page(
        &view.name,
        actor,
        Nav::StatusPage,
        html! {
            nav class="crumbs" aria-label="Breadcrumb" {
                a href="/status-page" { "Status page" } " › "
                span aria-current="page" { "Maintenance #" (view.id) }
            }
            (flash_notice(flash))
            dl class="facts" {
                dt { "Status" }
                dd {
                    strong { (maintenance_status_label(&view.status)) }
                    @if let Some(at) = view.cancelled_at { " · " strong class="bad" { "Cancelled " (when(at)) } }
                }
                dt { "Window" } dd { "from " (when(view.scheduled_for)) " until " (when(view.scheduled_until)) }
                dt { "Impact" } dd { (view.impact) }
                dt { "Components" } dd { (component_list(&known, &view.components)) }
                dt { "Scheduled" } dd { (when(view.created_at)) " by " (view.created_by) }
            }
            @if actor.role >= Role::Responder {
                @match &over {
                    Some(reason) => p class="muted" { "No more changes: " (reason) "." },
                    None => {
                        section aria-labelledby="maintenance-update-heading" {
                            h2 id="maintenance-update-heading" { "Update the maintenance" }
                            (problems.summary("The update was not posted."))
                            form method="post" action={ (maintenance_href(view.id)) "/updates" } {
                                (csrf_field(actor))
                                label for="mupd-status" { "Status" }
                                select id="mupd-status" name="status" required {
                                    @for status in statuses {
                                        option value=(status.as_str()) selected[form.status == status.as_str()] { (status.label()) }
                                    }
                                }
                                (problems.field_error(Field::Status))
                                label for="mupd-message" { "Message (up to " (MAX_MESSAGE_CHARS) " characters)" }
                                textarea id="mupd-message" name="message" rows="3" maxlength=(MAX_MESSAGE_CHARS) required
                                    aria-invalid=[problems.invalid_attr(Field::Message)] {
                                    (form.message)
                                }
                                (problems.field_error(Field::Message))
                                p { button type="submit" { "Post update" } }
                            }
                            form class="inline" method="post" action={ (maintenance_href(view.id)) "/cancel" } {
                                (csrf_field(actor))
                                button type="submit" class="danger" { "Cancel maintenance" }
                            }
                        }
                    }
                }
            }
            (updates_section(&view.updates, maintenance_status_label))
        },
    ))
}

/// `POST /status-page/maintenance/{id}/updates`.
pub(super) async fn update_maintenance_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, ApiError> {
    let checked = valid_maintenance_status(&form.status)
        .and_then(|status| valid_message(&form.message).map(|message| (status, message)));
    match checked {
        Ok((status, message)) => {
            match super::update_maintenance(&state, &client, &actor, id, status, &message).await {
                Ok(_) => Ok(Flash::MaintenanceUpdated
                    .redirect(&maintenance_href(id))
                    .into_response()),
                Err(error) if error.code() == ErrorCode::Conflict => Ok(Flash::AlreadyOver
                    .redirect(&maintenance_href(id))
                    .into_response()),
                Err(error) => Err(error),
            }
        }
        Err(problem) => {
            let record = super::load_maintenance(&state, id).await?;
            Ok(rendered_problem(render_maintenance(
                &state,
                &actor,
                None,
                record,
                &form,
                Some(&problem),
            )?))
        }
    }
}

/// `POST /status-page/maintenance/{id}/cancel`.
pub(super) async fn cancel_maintenance_form(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<Redirect, ApiError> {
    match super::cancel_maintenance(&state, &client, &actor, id).await {
        Ok(()) => Ok(Flash::Cancelled.redirect(&maintenance_href(id))),
        Err(error) if error.code() == ErrorCode::Conflict => {
            Ok(Flash::AlreadyOver.redirect(&maintenance_href(id)))
        }
        Err(error) => Err(error),
    }
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

    #[test]
    fn repeated_checkboxes_are_all_kept() {
        let pairs: Pairs = vec![
            ("title".into(), "T".into()),
            ("components".into(), "a".into()),
            ("components".into(), "b".into()),
        ];
        let form = IncidentForm::from_pairs(&pairs);
        assert_eq!(form.components, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(form.title, "T");
    }
}
