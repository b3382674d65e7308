//! The embedded schema migrations and their runner.
//!
//! Migrations are written **expand-then-contract** so two releases can run
//! side by side against one database during a rolling upgrade: a migration
//! only adds (tables, indexes, columns that are nullable or have a default);
//! a column or table the old release still reads is dropped one release
//! later, once no running binary uses it. Never edit a released migration —
//! add a new one. Each feature gets its own file, numbered in order, with one
//! copy per dialect under `migrations/sqlite/` and `migrations/postgres/`.
//!
//! The runner keeps `schema_migrations(version, name, applied_at)`, applies
//! each missing migration in its own transaction, and is idempotent across
//! restarts. On PostgreSQL it holds an advisory lock while migrating, so
//! instances starting at once take turns. A database that records a version
//! newer than this binary knows is refused ([`StoreError::SchemaTooNew`]).

use sqlx::{AnyConnection, Connection, Row};

use crate::{Backend, Result, StoreError};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// Increasing version number (the file's numeric prefix).
    pub version: i64,
    /// Short name (the rest of the file name).
    pub name: &'static str,
    /// The SQLite dialect.
    pub sqlite: &'static str,
    /// The PostgreSQL dialect.
    pub postgres: &'static str,
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// A [`Migration`] from its version, name and file stem (the same under
/// `migrations/sqlite/` and `migrations/postgres/`).
macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        }
    };
}

/// Every migration this binary knows, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    migration!(1, "auth", "0001_auth"),
    migration!(2, "monitoring", "0002_monitoring"),
    migration!(3, "heartbeats", "0003_heartbeats"),
    migration!(4, "packed_results", "0004_packed_results"),
    migration!(5, "alerting", "0005_alerting"),
    migration!(6, "silences", "0006_silences"),
    migration!(7, "status", "0007_status"),
    migration!(8, "subscribers", "0008_subscribers"),
    migration!(9, "status_webhooks", "0009_status_webhooks"),
    migration!(10, "readiness", "0010_readiness"),
    migration!(11, "cluster", "0011_cluster"),
    migration!(12, "heartbeat_pings", "0012_heartbeat_pings"),
    migration!(13, "outbox_claimer", "0013_outbox_claimer"),
];

/// The key of the PostgreSQL advisory lock held while migrating
/// (`shipshap` in ASCII, so it will not collide with another application's).
const PG_MIGRATION_LOCK: i64 = 0x7368_6970_7368_6170;

/// The newest migration version this binary embeds.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the database behind `conn` up to [`latest_version`]. `conn` must be
/// a dedicated connection: if this future is dropped, closing the connection
/// releases the PostgreSQL lock.
pub(crate) async fn run(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 AS locked FROM pg_advisory_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = run_locked(conn, backend).await;
    if backend == Backend::Postgres {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1) AS unlocked")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        if let Err(error) = unlocked {
            tracing::warn!(%error, "could not release the migration lock; closing the connection releases it");
        }
    }
    result
}

async fn run_locked(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
            version BIGINT PRIMARY KEY, \
            name TEXT NOT NULL, \
            applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;

    let newest: Option<i64> = sqlx::query("SELECT MAX(version) AS newest FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await?
        .try_get("newest")
        .map_err(|e| StoreError::Corrupt(format!("`schema_migrations.version`: {e}")))?;
    let known = latest_version();
    if let Some(found) = newest.filter(|&found| found > known) {
        return Err(StoreError::SchemaTooNew { found, known });
    }

    for migration in MIGRATIONS {
        // SQLite has no advisory lock: `BEGIN IMMEDIATE` takes the write lock
        // up front (waiting out `busy_timeout`), and the check below runs
        // under it, so two processes starting at once cannot both apply.
        let begin = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        let mut tx = conn.begin_with(begin).await?;
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if applied {
            tx.rollback().await?;
            continue;
        }
        let failed = |source| StoreError::Migration {
            version: migration.version,
            source,
        };
        sqlx::raw_sql(migration.sql(backend))
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        // Bookkeeping only: the injected clock is not available this early,
        // and nothing schedules on `applied_at`.
        let applied_at = jiff::Timestamp::now().as_millisecond();
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(applied_at)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied store migration"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_both_dialects_exist() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "migration {} is out of order", m.version);
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
            last = m.version;
        }
        assert_eq!(latest_version(), last);
    }
}
