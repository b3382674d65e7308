//! The [`Store`] handle: opening a pool over either backend, per-connection
//! SQLite settings, the timeout and error classification every call goes
//! through, and the small helpers that read typed values out of rows.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Connection, Decode, Row, Transaction, Type};

use crate::url::Target;
use crate::{Backend, Result, Role, StoreError, StoreOptions, migrate};

/// How long [`Store::open`] may spend migrating. Longer than `op_timeout`
/// because a migration may rewrite a table, and on PostgreSQL may wait for
/// another instance's migration to finish.
const MIGRATE_TIMEOUT: Duration = Duration::from_secs(300);

/// The storage interface. Cheap to clone (a pooled handle).
///
/// Every call runs under `op_timeout` and fails with
/// [`StoreError::Timeout`] when it runs out. A write that timed out may still
/// have been committed: callers that retry must be idempotent (or look first).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// Prints the backend and the redacted URL only: the pool's options hold the
/// password.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.url_redacted())
            .field("op_timeout", &self.inner.op_timeout)
            .finish_non_exhaustive()
    }
}

struct Inner {
    pool: AnyPool,
    target: Target,
    op_timeout: Duration,
    busy_timeout: Duration,
}

impl Store {
    /// Opens (creating if needed) the store at `url` and runs the embedded
    /// migrations. `url` is `sqlite://PATH` (the file is created) or
    /// `postgres://…`.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let target = Target::parse(url)?;
        if let Some(dir) = target.sqlite_path.as_deref().and_then(Path::parent) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let connect_options: AnyConnectOptions = target.connect_url.parse()?;

        // Migrate on a dedicated connection, closed afterwards: if this is
        // cancelled, dropping it releases PostgreSQL's advisory lock with it.
        let backend = target.backend;
        let busy_timeout = options.busy_timeout;
        let connected = tokio::time::timeout(options.op_timeout, async {
            let mut conn = AnyConnection::connect_with(&connect_options).await?;
            if backend == Backend::Sqlite {
                configure_sqlite(&mut conn, busy_timeout).await?;
            }
            Ok::<_, StoreError>(conn)
        });
        let mut conn = match connected.await {
            Ok(conn) => conn?,
            Err(_) => {
                let after_ms = millis(options.op_timeout);
                return Err(StoreError::Timeout {
                    op: "connect",
                    after_ms,
                });
            }
        };
        match tokio::time::timeout(MIGRATE_TIMEOUT, migrate::run(&mut conn, backend)).await {
            Ok(migrated) => migrated?,
            Err(_) => {
                let after_ms = millis(MIGRATE_TIMEOUT);
                return Err(StoreError::Timeout {
                    op: "migrate",
                    after_ms,
                });
            }
        }
        conn.close().await?;

        let op_timeout = options.op_timeout;
        let pool_options = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(op_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    let configured = match backend {
                        Backend::Sqlite => configure_sqlite(conn, busy_timeout).await,
                        Backend::Postgres => configure_postgres(conn, op_timeout).await,
                    };
                    configured.map_err(|e| match e {
                        StoreError::Database(e) => e,
                        other => sqlx::Error::Protocol(other.to_string()),
                    })
                })
            });
        let pool = pool_options.connect_lazy_with(connect_options);
        tracing::info!(url = %target.redacted, ?backend, "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                target,
                op_timeout: options.op_timeout,
                busy_timeout,
            }),
        })
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.inner.target.backend
    }

    /// The URL this store was opened with, any password replaced by `***`;
    /// safe to log.
    pub fn url_redacted(&self) -> &str {
        &self.inner.target.redacted
    }

    /// The SQLite database file (absolute), or `None` on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.inner.target.sqlite_path.as_deref()
    }

    /// The newest schema migration this binary knows.
    pub fn schema_version() -> i64 {
        migrate::latest_version()
    }

    /// Round-trips a trivial query; `Ok` means the store is reachable.
    pub async fn ping(&self) -> Result<()> {
        self.run("ping", async {
            sqlx::query("SELECT 1 AS one")
                .fetch_one(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Flushes and closes the pool (SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        if self.backend() == Backend::Sqlite {
            let checkpoint = self
                .run("close", async {
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(self.pool())
                        .await?;
                    Ok(())
                })
                .await;
            if let Err(error) = checkpoint {
                tracing::warn!(%error, "could not checkpoint the SQLite WAL on close; it will be replayed on next open");
            }
        }
        self.inner.pool.close().await;
    }

    /// The pool, for the query modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Starts a write transaction. On SQLite, `BEGIN IMMEDIATE` takes the
    /// write lock up front, so a transaction that reads before it writes
    /// cannot fail halfway on a lock upgrade. On PostgreSQL, `serialize`
    /// names a transaction-scoped advisory lock to take first: transactions
    /// sharing a key run (and commit) one at a time, as they do on SQLite.
    pub(crate) async fn begin_write(
        &self,
        serialize: Option<i64>,
    ) -> Result<Transaction<'static, sqlx::Any>> {
        match self.backend() {
            Backend::Sqlite => Ok(self.pool().begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool().begin().await?;
                if let Some(key) = serialize {
                    sqlx::query("SELECT 1 AS locked FROM pg_advisory_xact_lock($1)")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(tx)
            }
        }
    }

    /// Starts a read-only transaction whose statements all see one
    /// snapshot (PostgreSQL: `REPEATABLE READ`; SQLite: a deferred
    /// transaction, which in WAL mode reads one snapshot), for reads that
    /// take several statements and must not see a concurrent write halfway.
    pub(crate) async fn begin_read(&self) -> Result<Transaction<'static, sqlx::Any>> {
        let begin = match self.backend() {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        };
        Ok(self.pool().begin_with(begin).await?)
    }

    /// Runs one statement bound to a single integer (an id, or a time in
    /// milliseconds) under `op_timeout`; returns how many rows it touched.
    pub(crate) async fn execute_with(
        &self,
        op: &'static str,
        sql: &'static str,
        value: i64,
    ) -> Result<u64> {
        self.run(op, async {
            let done = sqlx::query(sql).bind(value).execute(self.pool()).await?;
            Ok(done.rows_affected())
        })
        .await
    }

    /// Runs one store operation under `op_timeout`, turning pool timeouts,
    /// SQLite busy errors and unique violations into their own errors.
    pub(crate) async fn run<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let limit = self.inner.op_timeout;
        match tokio::time::timeout(limit, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.classify(op, error)),
            Err(_) => Err(StoreError::Timeout {
                op,
                after_ms: millis(limit),
            }),
        }
    }

    fn classify(&self, op: &'static str, error: StoreError) -> StoreError {
        let StoreError::Database(error) = error else {
            return error;
        };
        match error {
            sqlx::Error::PoolTimedOut => StoreError::Timeout {
                op,
                after_ms: millis(self.inner.op_timeout),
            },
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!(
                "`{op}` would duplicate a unique value ({})",
                db.message()
            )),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound(format!(
                    "`{op}` refers to a row that does not exist ({})",
                    db.message()
                ))
            }
            // PostgreSQL's `statement_timeout` (query_canceled) or `lock_timeout`.
            sqlx::Error::Database(db)
                if self.backend() == Backend::Postgres
                    && matches!(db.code().as_deref(), Some("57014" | "55P03")) =>
            {
                StoreError::Timeout {
                    op,
                    after_ms: millis(self.inner.op_timeout),
                }
            }
            // SQLITE_BUSY and its extended codes: `busy_timeout` ran out.
            sqlx::Error::Database(db)
                if self.backend() == Backend::Sqlite
                    && db
                        .code()
                        .and_then(|c| c.parse::<i32>().ok())
                        .is_some_and(|c| c & 0xff == 5) =>
            {
                StoreError::Timeout {
                    op,
                    after_ms: millis(self.inner.busy_timeout),
                }
            }
            other => StoreError::Database(other),
        }
    }
}

/// Reads column `name` of `row`, reporting a bad value as [`StoreError::Corrupt`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: Decode<'r, sqlx::Any> + Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column `{name}`: {e}")))
}

/// Reads a millisecond timestamp column.
pub(crate) fn col_time(row: &AnyRow, name: &str) -> Result<Timestamp> {
    to_time(col(row, name)?, name)
}

/// Reads a nullable millisecond timestamp column.
pub(crate) fn col_time_opt(row: &AnyRow, name: &str) -> Result<Option<Timestamp>> {
    col::<Option<i64>>(row, name)?
        .map(|ms| to_time(ms, name))
        .transpose()
}

/// Reads a role column.
pub(crate) fn col_role(row: &AnyRow, name: &str) -> Result<Role> {
    let text: String = col(row, name)?;
    Role::parse(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("column `{name}`: unknown role `{text}`")))
}

/// Reads an integer flag column (0 or 1).
pub(crate) fn col_flag(row: &AnyRow, name: &str) -> Result<bool> {
    match col::<i64>(row, name)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(StoreError::Corrupt(format!(
            "column `{name}`: flag is `{other}`, expected 0 or 1"
        ))),
    }
}

fn to_time(ms: i64, name: &str) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Corrupt(format!("column `{name}`: `{ms}` is not a time: {e}")))
}

/// Sets the per-connection SQLite settings: WAL, the busy timeout, foreign
/// keys and `synchronous=NORMAL` (safe under WAL, and much faster than FULL).
async fn configure_sqlite(conn: &mut AnyConnection, busy_timeout: Duration) -> Result<()> {
    // The busy timeout first, so switching to WAL waits for other writers.
    let busy = format!("PRAGMA busy_timeout = {}", millis(busy_timeout));
    sqlx::raw_sql(AssertSqlSafe(busy))
        .execute(&mut *conn)
        .await?;
    // Switching to WAL needs a moment alone with the file; SQLite answers
    // BUSY at once (without waiting on the busy timeout) when another
    // connection opens the new file at the same time, so retry a while.
    let deadline = tokio::time::Instant::now() + busy_timeout;
    let row = loop {
        match sqlx::query("PRAGMA journal_mode = WAL")
            .fetch_one(&mut *conn)
            .await
        {
            Err(sqlx::Error::Database(db))
                if is_sqlite_busy(db.code().as_deref())
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => break other?,
        }
    };
    let mode: String = col(&row, "journal_mode")?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite refused WAL mode; concurrent readers will block on writers");
    }
    sqlx::raw_sql("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether an SQLite error code is SQLITE_BUSY or SQLITE_LOCKED (or one of
/// their extended codes).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Makes the server give up on a statement when the client would: a query
/// abandoned by a client-side timeout does not keep running (and holding
/// locks) on the server.
async fn configure_postgres(conn: &mut AnyConnection, op_timeout: Duration) -> Result<()> {
    let sql = format!("SET statement_timeout = {}", millis(op_timeout).max(1));
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
