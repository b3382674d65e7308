//! Persistence for alerting: the current condition of every alert source
//! ([`AlertRecord`], level-triggered), incidents grouping them
//! ([`Incident`], at most one open per group key) with their alerts and
//! timeline, escalation progress ([`EscalationRecord`]), the notification
//! outbox ([`OutboxMessage`], claimed with a lease so two instances never
//! send the same message at once) and server-held secrets.
//!
//! The store only keeps records: deciding when an incident opens, who is
//! paged and what a message says is the alerting crate's job. Labels are
//! kept as JSON objects; outbox payloads are opaque JSON text.
//!
//! Files: `alerts.rs` (alert conditions), `incidents.rs` (incidents, their
//! alerts and timeline), `escalations.rs`, `outbox.rs` (the outbox and
//! server keys) and `retention.rs` ([`Store::prune_alerting`](crate::Store::prune_alerting)).

mod alerts;
mod escalations;
mod incidents;
mod outbox;
mod retention;

use std::collections::BTreeMap;

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::store::col;
use crate::{Result, StoreError};

pub use outbox::Claimer;

/// The condition of one alert source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// The condition keeps changing.
    Flapping,
    /// The condition is clear.
    Ok,
}

impl AlertState {
    /// Every state.
    pub const ALL: [AlertState; 3] = [AlertState::Firing, AlertState::Flapping, AlertState::Ok];

    /// The lowercase name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Flapping => "flapping",
            AlertState::Ok => "ok",
        }
    }

    /// Parses a name produced by [`AlertState::as_str`].
    pub fn parse(name: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The current condition of one alert source (a monitor, a Prometheus
/// alert, an event), overwritten as it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// Unique key, e.g. `monitor:benefits-api/home` or `am:<fingerprint>`.
    pub key: String,
    /// Where it comes from: `monitor`, `prometheus` or `event`.
    pub source: String,
    /// The incident key it groups under, e.g. `service:benefits-api`.
    pub group_key: String,
    /// The catalog service, if known.
    pub service: Option<String>,
    /// The catalog component, if known.
    pub component: Option<String>,
    /// Severity name.
    pub severity: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// One-line description.
    pub summary: String,
    /// Its condition.
    pub state: AlertState,
    /// When it entered `state`.
    pub since: Timestamp,
    /// When an external alert expires unless renewed.
    pub ends_at: Option<Timestamp>,
    /// A link to the source, e.g. Prometheus' generator URL.
    pub link: Option<String>,
    /// When the record was last written.
    pub updated_at: Timestamp,
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentStatus {
    /// Nobody has acknowledged it yet; escalations run.
    Open,
    /// Someone is on it; escalations stopped.
    Acknowledged,
    /// Over.
    Resolved,
}

impl IncidentStatus {
    /// Every status.
    pub const ALL: [IncidentStatus; 3] = [
        IncidentStatus::Open,
        IncidentStatus::Acknowledged,
        IncidentStatus::Resolved,
    ];

    /// The lowercase name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// Parses a name produced by [`IncidentStatus::as_str`].
    pub fn parse(name: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Fields for [`Store::open_incident`](crate::Store::open_incident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// The alert group key; at most one unresolved incident has it.
    pub key: String,
    /// The catalog service, if any.
    pub service: Option<String>,
    /// Title.
    pub title: String,
    /// Severity name.
    pub severity: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// When it opened.
    pub opened_at: Timestamp,
    /// The upstream incident this one is linked under.
    pub parent: Option<i64>,
    /// Why pages are suppressed, if they are.
    pub suppressed: Option<String>,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The alert group key.
    pub key: String,
    /// The catalog service, if any.
    pub service: Option<String>,
    /// Title.
    pub title: String,
    /// Severity name.
    pub severity: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// When it opened.
    pub opened_at: Timestamp,
    /// When it was acknowledged.
    pub acked_at: Option<Timestamp>,
    /// Who acknowledged it.
    pub acked_by: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// Who resolved it; `None` when resolved automatically (or not yet).
    pub resolved_by: Option<String>,
    /// The upstream incident this one is linked under.
    pub parent_id: Option<i64>,
    /// Why pages are suppressed, e.g. `upstream identity-api incident #3 is open`.
    pub suppressed: Option<String>,
    /// Whether its alerts are flapping.
    pub flapping: bool,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// An alert joining an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncidentAlert {
    /// The [`AlertRecord::key`].
    pub alert_key: String,
    /// One-line description.
    pub summary: String,
    /// Severity name.
    pub severity: String,
    /// When it started.
    pub started_at: Timestamp,
}

/// An alert of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentAlert {
    /// The incident.
    pub incident_id: i64,
    /// The [`AlertRecord::key`].
    pub alert_key: String,
    /// One-line description.
    pub summary: String,
    /// Severity name.
    pub severity: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it cleared; `None` while active.
    pub cleared_at: Option<Timestamp>,
}

/// A timeline entry to append to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTimelineEntry {
    /// When it happened.
    pub at: Timestamp,
    /// What happened, free-form: e.g. `opened`, `alert`, `acked`, `note`.
    pub kind: String,
    /// Who did it, if a person or token did.
    pub actor: Option<String>,
    /// Human-readable text.
    pub text: String,
}

/// A stored timeline entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: String,
    /// Who did it.
    pub actor: Option<String>,
    /// Human-readable text.
    pub text: String,
}

/// Where one escalation policy stands for one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationState {
    /// The next step is due at `next_at`.
    Waiting,
    /// Stopped by acknowledging or resolving the incident.
    Stopped,
    /// Every step has run.
    Done,
}

impl EscalationState {
    /// Every state.
    pub const ALL: [EscalationState; 3] = [
        EscalationState::Waiting,
        EscalationState::Stopped,
        EscalationState::Done,
    ];

    /// The lowercase name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationState::Waiting => "waiting",
            EscalationState::Stopped => "stopped",
            EscalationState::Done => "done",
        }
    }

    /// Parses a name produced by [`EscalationState::as_str`].
    pub fn parse(name: &str) -> Option<EscalationState> {
        EscalationState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// An escalation policy to start for an incident, at step 0 round 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalation {
    /// The policy name.
    pub policy: String,
    /// When its first step is due.
    pub next_at: Timestamp,
}

/// Where one escalation policy stands for one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRecord {
    /// The incident.
    pub incident_id: i64,
    /// The policy name.
    pub policy: String,
    /// The next step to run.
    pub step: u32,
    /// How many times the policy has repeated.
    pub round: u32,
    /// When the next step is due; `None` once stopped or done.
    pub next_at: Option<Timestamp>,
    /// Its state.
    pub state: EscalationState,
}

/// A notification to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// Idempotency key: a message with a key already stored is ignored.
    pub key: String,
    /// The incident it is about, if any.
    pub incident_id: Option<i64>,
    /// What it says, e.g. `trigger`, `resolved`, `test`.
    pub kind: String,
    /// Who gets it, e.g. `person:alice#0`.
    pub recipient: String,
    /// How, e.g. `email`.
    pub channel: String,
    /// The message, JSON (opaque to the store).
    pub payload: String,
    /// When it was enqueued; it is due at once.
    pub created_at: Timestamp,
}

/// Where an outbox message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// To be sent (again) at `next_attempt_at`.
    Pending,
    /// Sent.
    Delivered,
    /// Given up.
    Failed,
}

impl OutboxState {
    /// Every state.
    pub const ALL: [OutboxState; 3] = [
        OutboxState::Pending,
        OutboxState::Delivered,
        OutboxState::Failed,
    ];

    /// The lowercase name used in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Failed => "failed",
        }
    }

    /// Parses a name produced by [`OutboxState::as_str`].
    pub fn parse(name: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// Idempotency key.
    pub key: String,
    /// The incident it is about, if any.
    pub incident_id: Option<i64>,
    /// What it says.
    pub kind: String,
    /// Who gets it.
    pub recipient: String,
    /// How.
    pub channel: String,
    /// The message, JSON.
    pub payload: String,
    /// Where it stands.
    pub state: OutboxState,
    /// How many times it was claimed for sending.
    pub attempts: u32,
    /// When it may next be claimed.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
}

/// How an attempt to send an outbox message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Sent.
    Delivered {
        /// When.
        at: Timestamp,
    },
    /// Failed; try again later.
    Retry {
        /// When the attempt failed.
        at: Timestamp,
        /// When to try again.
        next_attempt_at: Timestamp,
        /// Why it failed.
        error: String,
    },
    /// Failed for good.
    Failed {
        /// When.
        at: Timestamp,
        /// Why.
        error: String,
    },
}

/// Which incidents [`Store::incidents`](crate::Store::incidents) lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFilter {
    /// Only this status; `None` for any.
    pub status: Option<IncidentStatus>,
    /// Only open or acknowledged ones.
    pub open_only: bool,
    /// Only this service's.
    pub service: Option<String>,
    /// Only ids below this one (the last id of the previous page).
    pub before_id: Option<i64>,
    /// At most this many (capped at [`IncidentFilter::MAX_LIMIT`]).
    pub limit: u32,
}

impl IncidentFilter {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 500;
}

impl Default for IncidentFilter {
    fn default() -> Self {
        Self {
            status: None,
            open_only: false,
            service: None,
            before_id: None,
            limit: 50,
        }
    }
}

/// `labels` as JSON text.
fn labels_json(labels: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(labels)
        .map_err(|e| StoreError::InvalidInput(format!("labels cannot be written as JSON: {e}")))
}

/// Reads a JSON labels column.
fn col_labels(row: &AnyRow, name: &str) -> Result<BTreeMap<String, String>> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Corrupt(format!(
            "column `{name}`: `{text}` is not a JSON object of strings: {e}"
        ))
    })
}

/// Reads a text column holding one of a fixed set of names.
fn col_enum<T>(row: &AnyRow, name: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = col(row, name)?;
    parse(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("column `{name}`: unknown value `{text}`")))
}

/// Reads a non-negative integer column as `u32`.
fn col_u32(row: &AnyRow, name: &str) -> Result<u32> {
    let value: i64 = col(row, name)?;
    u32::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("column `{name}`: `{value}` is out of range")))
}

/// Appends `entries` to incident `incident_id`'s timeline on `conn`.
async fn insert_timeline(
    conn: &mut AnyConnection,
    incident_id: i64,
    entries: &[NewTimelineEntry],
) -> Result<()> {
    for entry in entries {
        sqlx::query(
            "INSERT INTO incident_events (incident_id, at_ms, kind, actor, text) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(incident_id)
        .bind(entry.at.as_millisecond())
        .bind(&entry.kind)
        .bind(entry.actor.as_deref())
        .bind(&entry.text)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Fails with [`StoreError::NotFound`] unless incident `id` exists.
async fn require_incident(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let found = sqlx::query("SELECT id FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(not_found(id)),
    }
}

/// The error for a missing incident.
fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("no incident with id `{id}`"))
}
