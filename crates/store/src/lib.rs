//! Shipshape's persistence layer.
//!
//! One [`Store`] type speaks to either an embedded SQLite file (the default) or
//! a PostgreSQL server (for two or more instances). Migrations are embedded and
//! run by [`Store::open`]. Every call is bounded by a timeout. This is the only
//! crate that speaks SQL; it knows nothing about HTTP or the catalog file.
//!
//! Times cross this API as [`jiff::Timestamp`] and are stored as integer
//! milliseconds since the Unix epoch, so both backends behave the same.

mod error;

pub use error::StoreError;

use jiff::Timestamp;
use std::time::Duration;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
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

/// The storage interface. Cheap to clone (a pooled handle).
#[derive(Debug, Clone)]
pub struct Store {}

#[allow(unused_variables)]
impl Store {
    /// Opens (creating if needed) the store at `url` and runs the embedded
    /// migrations. `url` is `sqlite://PATH` (the file is created) or
    /// `postgres://…`.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Store> {
        todo!()
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        todo!()
    }

    /// Round-trips a trivial query; `Ok` means the store is reachable.
    pub async fn ping(&self) -> Result<()> {
        todo!()
    }

    /// Flushes and closes the pool (SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        todo!()
    }

    /// Creates a user. Fails with [`StoreError::Conflict`] if the email is taken.
    pub async fn create_user(&self, user: NewUser) -> Result<User> {
        todo!()
    }

    /// Looks a user up by email (case-insensitive).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        todo!()
    }

    /// Looks a user up by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        todo!()
    }

    /// All users, by id.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        todo!()
    }

    /// Sets (or replaces) a user's password hash.
    pub async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()> {
        todo!()
    }

    /// Changes a user's role.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<()> {
        todo!()
    }

    /// Stores a one-time set-up token (hash only). With a `user_id` it lets
    /// that user set a password; without, it lets the visitor create the first
    /// admin account.
    pub async fn create_setup_token(&self, user_id: Option<i64>, token_hash: &str, expires_at: Timestamp) -> Result<()> {
        todo!()
    }

    /// Consumes a set-up token: returns what it grants if it exists and has not
    /// expired at `now`, and deletes it either way (one use only).
    pub async fn consume_setup_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<SetupGrant>> {
        todo!()
    }

    /// Looks a set-up token up without consuming it (to render the form).
    pub async fn peek_setup_token(&self, token_hash: &str, now: Timestamp) -> Result<Option<SetupGrant>> {
        todo!()
    }

    /// Whether any set-up token is still valid at `now` (used to decide whether to print a new link).
    pub async fn has_live_setup_token(&self, now: Timestamp) -> Result<bool> {
        todo!()
    }

    /// Stores a new session.
    pub async fn create_session(&self, session: &Session) -> Result<()> {
        todo!()
    }

    /// The session with this hash, if it exists, has not expired at `now`,
    /// and its user is not disabled.
    pub async fn session(&self, id_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        todo!()
    }

    /// Deletes a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        todo!()
    }

    /// Deletes sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        todo!()
    }

    /// Stores a new API token.
    pub async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken> {
        todo!()
    }

    /// The unrevoked token with this hash.
    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        todo!()
    }

    /// All tokens, revoked ones included, newest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        todo!()
    }

    /// Revokes a token; `false` if it did not exist or was already revoked.
    pub async fn revoke_api_token(&self, id: i64, at: Timestamp) -> Result<bool> {
        todo!()
    }

    /// Records a successful use of a token.
    pub async fn touch_api_token(&self, id: i64, at: Timestamp) -> Result<()> {
        todo!()
    }

    /// Records one failed login for `key` (e.g. `ip:1.2.3.4` or `user:a@b`).
    pub async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<()> {
        todo!()
    }

    /// How many failures `key` has had since `since`.
    pub async fn login_failures_since(&self, key: &str, since: Timestamp) -> Result<u64> {
        todo!()
    }

    /// Forgets failures of `key` (after a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        todo!()
    }

    /// Appends to the audit log.
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord> {
        todo!()
    }

    /// Audit records newest first, at most `limit`, with ids below `before` when given.
    pub async fn list_audit(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRecord>> {
        todo!()
    }
}
