//! Shipshape's persistence layer.
//!
//! One [`Store`] type speaks to either an embedded SQLite file (the default) or
//! a PostgreSQL server (for two or more instances). Migrations are embedded and
//! run by [`Store::open`]. Every call is bounded by a timeout. This is the only
//! crate that speaks SQL; it knows nothing about HTTP or the catalog file.
//!
//! Times cross this API as [`jiff::Timestamp`] and are stored as integer
//! milliseconds since the Unix epoch, so both backends behave the same.
//!
//! Layout: `store.rs` opens the pool and bounds every call; `migrate.rs` holds
//! the embedded migrations (`migrations/<dialect>/NNNN_<feature>.sql`) and
//! their runner; `auth.rs`, `tokens.rs`, `heartbeats.rs` (heartbeat ping
//! tokens) and `audit.rs` hold the queries, each
//! written once with `$N` placeholders for both backends; `batch.rs` builds
//! multi-row statements. `monitoring/` keeps check results, their hour and
//! day rollups ([`LatencySketch`]), retention ([`Store::prune`]) and
//! monitor state changes ([`MonitorEvent`]). `alerting/` keeps alert
//! conditions ([`AlertRecord`]), incidents ([`Incident`]) with their alerts
//! and timeline, escalation progress, the notification outbox
//! ([`OutboxMessage`]) and server keys. `silences.rs` keeps silences
//! ([`SilenceRecord`], matcher and recurrence text). `status/` keeps what
//! responders tell the public: status-page incidents
//! ([`StatusIncidentRecord`]), maintenances ([`MaintenanceRecord`]), their
//! updates and component overrides. `subscribers.rs` keeps the public
//! page's email subscribers ([`SubscriberRecord`]); `status_webhooks.rs` its
//! responder-managed webhooks ([`StatusWebhookRecord`]). `readiness.rs` keeps
//! the readiness review's attestations ([`StoredAttestation`]) and runs
//! ([`StoredReadinessRun`], the report as opaque JSON). `cluster.rs` keeps
//! what instances sharing one database coordinate through: running instances
//! ([`InstanceRecord`]) and named leases with fencing generations ([`LeaseGrant`]);
//! `heartbeat_pings.rs` relays heartbeat pings ([`HeartbeatPing`]) to the
//! instance that runs the monitor.
//! With the cargo feature `testing`,
//! the `testing` module provides throwaway databases for tests.

mod alerting;
mod audit;
mod auth;
mod batch;
mod cluster;
mod error;
mod heartbeat_pings;
mod heartbeats;
mod migrate;
mod monitoring;
mod readiness;
mod silences;
mod status;
mod status_webhooks;
mod store;
mod subscribers;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod url;

pub use alerting::{
    AlertRecord, AlertState, Claimer, DeliveryOutcome, EscalationRecord, EscalationState, Incident,
    IncidentAlert, IncidentFilter, IncidentStatus, NewEscalation, NewIncident, NewIncidentAlert,
    NewOutboxMessage, NewTimelineEntry, OutboxMessage, OutboxState, TimelineEntry,
};
pub use cluster::{InstanceBeat, InstanceRecord, LeaseGrant};
pub use error::StoreError;
pub use heartbeat_pings::HeartbeatPing;
pub use heartbeats::HeartbeatToken;
pub use monitoring::{
    DayAvailability, LatencySketch, LocationId, MonitorEvent, MonitorEventRecord, MonitorId,
    MonitorName, MonitorRecord, MonitorState, PACK_GRACE, PruneReport, Resolution, Retention,
    SeriesPoint, StoredResult, Uptime,
};
pub use readiness::{
    NewAttestation, NewReadinessRun, ReadinessRunSummary, StoredAttestation, StoredReadinessRun,
};
pub use silences::{NewSilence, SilenceRecord, SilenceWindow};
pub use status::{
    ComponentOverride, MaintenanceRecord, NewMaintenance, NewStatusIncident, NewStatusUpdate,
    StatusIncidentRecord, StatusUpdateRecord,
};
pub use status_webhooks::StatusWebhookRecord;
pub use store::Store;
pub use subscribers::SubscriberRecord;

use std::time::Duration;

use jiff::Timestamp;

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Tuning for [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Upper bound on any single store call, including waiting for a connection.
    pub op_timeout: Duration,
    /// How long SQLite waits on a locked database before failing.
    pub busy_timeout: Duration,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            op_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            max_connections: 8,
        }
    }
}

/// What a user may do. Ordered: a higher role can do all a lower one can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything an operator sees.
    Viewer,
    /// Also acknowledges, resolves and annotates incidents.
    Responder,
    /// Also manages users, tokens and settings.
    Admin,
}

/// A user account (a catalog person matched by email, or a local account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Store-assigned id.
    pub id: i64,
    /// Login name; unique, compared case-insensitively (stored lowercased).
    pub email: String,
    /// Display name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// argon2id PHC string; `None` until the user finishes set-up.
    pub password_hash: Option<String>,
    /// When the account was created.
    pub created_at: Timestamp,
    /// Disabled accounts cannot log in; their sessions stop working.
    pub disabled: bool,
}

/// Fields for [`Store::create_user`].
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (lowercased by the store).
    pub email: String,
    /// Display name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// argon2id PHC string, if a password is set now.
    pub password_hash: Option<String>,
    /// Creation time (from the injected clock).
    pub created_at: Timestamp,
}

/// A logged-in browser session. The cookie holds a random token; the store
/// keeps only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the cookie value.
    pub id_hash: String,
    /// Whose session it is.
    pub user_id: i64,
    /// The per-session CSRF token forms must echo.
    pub csrf_token: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Client address at login, for the audit log.
    pub ip: Option<String>,
}

/// A bearer token for the API. The store keeps only its SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Store-assigned id.
    pub id: i64,
    /// Human label.
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Who created it (user email, or `cli`).
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Last successful use, if any.
    pub last_used_at: Option<Timestamp>,
    /// Set once revoked; a revoked token never authenticates again.
    pub revoked_at: Option<Timestamp>,
}

/// Fields for [`Store::create_api_token`].
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// Human label.
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Who created it.
    pub created_by: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// One entry of the audit log: who did what, when, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: a user email, `token:<name>`, or `cli`.
    pub actor: String,
    /// What was done, e.g. `token.create`, `user.login`.
    pub action: String,
    /// What it was done to, e.g. a token id.
    pub target: String,
    /// Free-form detail (never a secret).
    pub detail: String,
    /// Client address, or `cli`.
    pub source: String,
}

/// A stored [`AuditEntry`] with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// What a one-time set-up token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupGrant {
    /// The user who may set a password; `None` means "create the first admin".
    pub user_id: Option<i64>,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Responder, Role::Admin];

    /// The lowercase name used in the store, the API and the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }

    /// Parses a name produced by [`Role::as_str`].
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
