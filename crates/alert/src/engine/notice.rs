//! What a notification says, independent of the channel that carries it.
//! The outbox stores a [`Notice`] as JSON (no secrets, no addresses); the
//! sender renders it for email, chat, push or a webhook.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a notification is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// An incident needs someone: the page.
    Trigger,
    /// Someone took the incident.
    Acknowledged,
    /// The incident is over.
    Resolved,
    /// The incident's monitor keeps changing state; no more notices until
    /// it settles.
    Flapping,
    /// A flapping incident settled and is still failing.
    Settled,
    /// A test page, to prove the path to someone's phone works.
    Test,
    /// A public status notice to a status-page subscriber: an incident
    /// posted, updated or resolved, a maintenance scheduled, started or
    /// completed. `dedup_key` names what it is about
    /// (`shipshape-status-incident-ID`, `shipshape-status-maintenance-ID`).
    Status,
    /// The double opt-in email asking a new status-page subscriber to
    /// confirm.
    #[serde(rename = "status_confirm")]
    StatusConfirm,
}

impl NoticeKind {
    /// The lowercase name stored: `trigger`, `acknowledged`, …
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Trigger => "trigger",
            NoticeKind::Acknowledged => "acknowledged",
            NoticeKind::Resolved => "resolved",
            NoticeKind::Flapping => "flapping",
            NoticeKind::Settled => "settled",
            NoticeKind::Test => "test",
            NoticeKind::Status => "status",
            NoticeKind::StatusConfirm => "status_confirm",
        }
    }

    /// Whether the notice asks for an acknowledgement (carries an ack link).
    pub fn wants_ack(self) -> bool {
        matches!(
            self,
            NoticeKind::Trigger | NoticeKind::Flapping | NoticeKind::Settled | NoticeKind::Test
        )
    }
}

/// One notification's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Why it is sent.
    pub kind: NoticeKind,
    /// The incident, if any (test pages have none).
    pub incident: Option<i64>,
    /// A stable key per incident (`shipshape-incident-ID`, test pages
    /// included): PagerDuty's dedup key, the email thread.
    pub dedup_key: String,
    /// One line.
    pub title: String,
    /// More lines: the alerts and their reasons.
    pub detail: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// The service concerned.
    pub service: Option<String>,
    /// When it was decided.
    pub at: Timestamp,
    /// For webhooks: the JSON to send instead of Shipshape's own shape (a
    /// Statuspage-style payload for status page notices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

impl Notice {
    /// The dedup key of incident `id`.
    pub fn incident_dedup_key(id: i64) -> String {
        format!("shipshape-incident-{id}")
    }

    /// The outbox idempotency key of this notice for `recipient`: the same
    /// decision always yields the same key, so a repeated decision is
    /// stored once and a receiver can drop a resend.
    pub fn delivery_key(&self, discriminator: &str, recipient: &str) -> String {
        format!(
            "{}:{}:{discriminator}:{recipient}",
            self.dedup_key,
            self.kind.as_str()
        )
    }
}
