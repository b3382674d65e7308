//! The store's error type: one enum for every way a store call can fail, each
//! message naming the value involved and what to do about it.

/// What went wrong talking to the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not `sqlite://…` or `postgres://…`.
    #[error("unsupported store url `{0}`: use `sqlite://PATH` or `postgres://USER@HOST/DB`")]
    UnsupportedUrl(String),
    /// The operation did not finish within the configured timeout.
    #[error(
        "store operation `{op}` timed out after {after_ms} ms: the database is busy, locked by another process or unreachable; retry, or raise the store timeout"
    )]
    Timeout {
        /// Which operation.
        op: &'static str,
        /// The limit that was hit.
        after_ms: u64,
    },
    /// A uniqueness rule was violated (e.g. the email is taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row an update names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A migration failed; the store was left at the previous version.
    #[error(
        "migration `{version}` failed: {source}; the store was left at the previous version, fix the cause and restart"
    )]
    Migration {
        /// The migration that failed.
        version: i64,
        /// Why.
        source: sqlx::Error,
    },
    /// The database was migrated by a newer Shipshape than this binary.
    #[error(
        "the database schema is at version `{found}` but this binary knows only up to `{known}`: run a newer shipshape, or restore a backup taken before the upgrade"
    )]
    SchemaTooNew {
        /// The newest migration recorded in the database.
        found: i64,
        /// The newest migration this binary embeds.
        known: i64,
    },
    /// The directory for the SQLite file could not be created.
    #[error(
        "cannot create the store directory `{path}`: {source}; check the path and its permissions"
    )]
    CreateDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The caller passed a value the store cannot keep as given.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A row held a value this version cannot read.
    #[error("corrupt row: {0}; the database may have been edited by hand or by a newer version")]
    Corrupt(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
