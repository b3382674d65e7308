//! Throwaway databases for tests (cargo feature `testing`): a fresh SQLite
//! file in a temporary directory, or a fresh schema on a PostgreSQL server,
//! each removed when its [`TestDb`] is dropped.
//!
//! PostgreSQL comes from `SHIPSHAPE_TEST_POSTGRES_URL` (default
//! [`DEFAULT_POSTGRES_URL`]). If it cannot be reached the test panics with
//! instructions: a test that needs PostgreSQL never passes by skipping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::{Backend, Store, StoreOptions};

/// The environment variable naming the PostgreSQL server tests use.
pub const POSTGRES_URL_ENV: &str = "SHIPSHAPE_TEST_POSTGRES_URL";

/// The server tests use when [`POSTGRES_URL_ENV`] is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test. Dropping it deletes the SQLite file
/// or drops the PostgreSQL schema.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PgSchema>,
}

#[derive(Debug)]
struct PgSchema {
    admin_url: String,
    schema: String,
}

impl TestDb {
    /// The store URL (for `Store::open`, or for a binary under test).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend this database is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens a [`Store`] on this database with default options.
    ///
    /// # Panics
    /// If the store cannot be opened.
    pub async fn open(&self) -> Store {
        self.open_with(StoreOptions::default()).await
    }

    /// Opens a [`Store`] on this database with `options`.
    ///
    /// # Panics
    /// If the store cannot be opened.
    pub async fn open_with(&self, options: StoreOptions) -> Store {
        match Store::open(&self.url, options).await {
            Ok(store) => store,
            Err(e) => panic!("cannot open test store `{}`: {e}", self.url),
        }
    }

    /// A plain connection to this database (for tests that poke at it
    /// behind the store's back: hold locks, write bad rows).
    ///
    /// # Panics
    /// If it cannot connect.
    pub async fn raw_connection(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        match AnyConnection::connect(&self.url).await {
            Ok(conn) => conn,
            Err(e) => panic!("cannot connect to test database `{}`: {e}", self.url),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime, which cannot block on async work:
        // drop the schema from a thread with its own small runtime.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async {
                if let Ok(mut conn) = AnyConnection::connect(&pg.admin_url).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", pg.schema);
                    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await {
                        eprintln!("could not drop test schema `{}`: {e}", pg.schema);
                    }
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A fresh SQLite database file in a new temporary directory (the file
/// itself is created by [`Store::open`]).
///
/// # Panics
/// If the temporary directory cannot be created.
pub fn temp_sqlite() -> TestDb {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    let url = format!("sqlite://{}", dir.path().join("shipshape.db").display());
    TestDb {
        url,
        backend: Backend::Sqlite,
        _dir: Some(dir),
        postgres: None,
    }
}

/// The URL of the test PostgreSQL server: `SHIPSHAPE_TEST_POSTGRES_URL`, or
/// [`DEFAULT_POSTGRES_URL`].
pub fn postgres_base_url() -> String {
    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// A fresh, empty schema (`t_<random>`) on the test PostgreSQL server, and a
/// URL whose connections use it as `search_path`. Dropped with the
/// [`TestDb`], so concurrent test runs never see each other's tables.
///
/// # Panics
/// If the server cannot be reached, with a message saying how to start one.
pub async fn postgres_url_for_fresh_schema() -> TestDb {
    sqlx::any::install_default_drivers();
    let admin_url = postgres_base_url();
    let connected =
        tokio::time::timeout(Duration::from_secs(10), AnyConnection::connect(&admin_url)).await;
    let mut conn = match connected {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => unreachable_postgres(&admin_url, &e.to_string()),
        Err(_) => unreachable_postgres(&admin_url, "timed out after 10 s"),
    };
    let schema = fresh_schema_name();
    let create = format!("CREATE SCHEMA {schema}");
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(create))
        .execute(&mut conn)
        .await
    {
        panic!(
            "cannot create test schema `{schema}` on `{}`: {e}; the user needs CREATE on the database",
            redacted(&admin_url)
        );
    }
    let _ = conn.close().await;
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
    TestDb {
        url,
        backend: Backend::Postgres,
        _dir: None,
        postgres: Some(PgSchema { admin_url, schema }),
    }
}

fn unreachable_postgres(url: &str, why: &str) -> ! {
    panic!(
        "PostgreSQL for the store tests is unreachable at `{}` ({why}).\n\
         These tests need a real server; they are never skipped. Either:\n\
         - run `scripts/prepare-test-env.sh`, which installs and starts PostgreSQL and prints the URL to use,\n\
         - start it yourself: `pg_ctlcluster <version> main start` (install: `apt-get install postgresql`),\n\
         - or point {POSTGRES_URL_ENV} at a server where the user may CREATE SCHEMA, \
         e.g. `{POSTGRES_URL_ENV}=postgres://user:pass@host:5432/db`.", // shipshape:allow-secret: a fake credential for the test
        redacted(url)
    )
}

fn redacted(url: &str) -> String {
    crate::url::redact(url)
}

/// `t_` + process id + a per-process counter + clock nanoseconds: unique
/// across the tests of one run and across concurrent runs.
fn fresh_schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("t_{}_{n}_{nanos}", std::process::id())
}
