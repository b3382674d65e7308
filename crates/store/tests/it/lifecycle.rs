//! Opening and closing: file creation and WAL, idempotent migrations,
//! refusal of a newer schema, racing instances, timeouts and concurrent
//! writers.

use std::time::Duration;

use shipshape_store::testing::{TestDb, temp_sqlite};
use shipshape_store::{Backend, Store, StoreError, StoreOptions};
use sqlx::{Connection, Row};

use crate::{new_user, t};

both_backends!(
    ping_and_backend,
    migrations_are_idempotent,
    newer_schema_is_refused,
    instances_starting_together_migrate_once,
    slow_operation_times_out,
    concurrent_writers_all_succeed,
);

async fn ping_and_backend(db: &TestDb) {
    let store = db.open().await;
    store.ping().await.unwrap();
    assert_eq!(store.backend(), db.backend());
    assert_eq!(
        store.sqlite_path().is_some(),
        db.backend() == Backend::Sqlite
    );
    store.close().await;
}

async fn migrations_are_idempotent(db: &TestDb) {
    let store = db.open().await;
    store
        .create_user(new_user("keep@example.com"))
        .await
        .unwrap();
    store.close().await;

    let store = db.open().await;
    assert!(
        store
            .user_by_email("keep@example.com")
            .await
            .unwrap()
            .is_some(),
        "data survives a reopen"
    );
    store.close().await;

    let mut conn = db.raw_connection().await;
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get("version")).collect();
    let expected: Vec<i64> = (1..=Store::schema_version()).collect();
    assert_eq!(versions, expected, "each migration recorded exactly once");
    conn.close().await.unwrap();
}

async fn newer_schema_is_refused(db: &TestDb) {
    db.open().await.close().await;
    let mut conn = db.raw_connection().await;
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(9_999_i64)
        .bind("from_the_future")
        .bind(0_i64)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let err = Store::open(db.url(), StoreOptions::default())
        .await
        .unwrap_err();
    match &err {
        StoreError::SchemaTooNew { found, known } => {
            assert_eq!((*found, *known), (9_999, Store::schema_version()));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(err.to_string().contains("`9999`"), "{err}");
}

async fn instances_starting_together_migrate_once(db: &TestDb) {
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url().to_owned();
            tokio::spawn(async move { Store::open(&url, StoreOptions::default()).await })
        })
        .collect();
    for open in opens {
        let store = open
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("concurrent open failed: {e}"));
        store.close().await;
    }
}

async fn slow_operation_times_out(db: &TestDb) {
    let setup = db.open().await;
    let user = setup
        .create_user(new_user("held@example.com"))
        .await
        .unwrap();
    setup.close().await;

    let options = StoreOptions {
        op_timeout: Duration::from_millis(300),
        busy_timeout: Duration::from_secs(10),
        ..StoreOptions::default()
    };
    let store = db.open_with(options).await;

    // Another connection holds the lock the operation needs.
    let mut holder = db.raw_connection().await;
    let begin = match db.backend() {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut tx = holder.begin_with(begin).await.unwrap();
    if db.backend() == Backend::Postgres {
        sqlx::query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .unwrap();
    }

    let err = store
        .set_role(user.id, shipshape_store::Role::Admin)
        .await
        .unwrap_err();
    match &err {
        StoreError::Timeout { op, after_ms } => assert_eq!((*op, *after_ms), ("set_role", 300)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("`set_role`"), "{err}");

    tx.rollback().await.unwrap();
    holder.close().await.unwrap();
    // The store recovers once the lock is gone.
    assert!(store.user_by_id(user.id).await.unwrap().is_some());
    store
        .create_user(new_user("after@example.com"))
        .await
        .unwrap();
    store.close().await;
}

async fn concurrent_writers_all_succeed(db: &TestDb) {
    let store = db.open().await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let key = format!("writer:{w}");
                    store.record_login_failure(&key, t(i)).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for writer in writers {
        writer
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("a writer failed: {e}"));
    }
    for w in 0..8 {
        let n = store
            .login_failures_since(&format!("writer:{w}"), t(0))
            .await
            .unwrap();
        assert_eq!(n, 50);
    }
    store.close().await;
}

// SQLite-only behaviour.

#[tokio::test]
async fn sqlite_open_creates_file_and_directories_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/ship.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    assert!(path.exists(), "the file is created");
    assert_eq!(store.sqlite_path(), Some(path.as_path()));
    assert_eq!(store.url_redacted(), url);
    store.ping().await.unwrap();

    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn sqlite_close_checkpoints_the_wal() {
    let db = temp_sqlite();
    let store = db.open().await;
    for i in 0..20 {
        store
            .create_user(new_user(&format!("u{i}@example.com")))
            .await
            .unwrap();
    }
    store.close().await;
    let wal = store.sqlite_path().unwrap().with_extension("db-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(len, 0, "the WAL is truncated (or removed) on close");
}

#[tokio::test]
async fn sqlite_accepts_the_short_url_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.db");
    let store = Store::open(
        &format!("sqlite:{}", path.display()),
        StoreOptions::default(),
    )
    .await
    .unwrap();
    store.ping().await.unwrap();
    assert!(path.exists());
    store.close().await;
}

#[tokio::test]
async fn sqlite_busy_timeout_is_reported_as_timeout() {
    let db = temp_sqlite();
    db.open().await.close().await;
    let options = StoreOptions {
        op_timeout: Duration::from_secs(10),
        busy_timeout: Duration::from_millis(100),
        ..StoreOptions::default()
    };
    let store = db.open_with(options).await;
    let mut holder = db.raw_connection().await;
    let tx = holder.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let err = store.record_login_failure("k", t(0)).await.unwrap_err();
    match err {
        StoreError::Timeout { op, after_ms } => {
            assert_eq!((op, after_ms), ("record_login_failure", 100))
        }
        other => panic!("expected a busy timeout, got {other:?}"),
    }
    tx.rollback().await.unwrap();
    holder.close().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    for url in [
        "mysql://root:pw@localhost/db",
        "sqlite::memory:",
        "/var/lib/ship.db",
    ] {
        let err = Store::open(url, StoreOptions::default()).await.unwrap_err();
        assert!(
            matches!(err, StoreError::UnsupportedUrl(_)),
            "{url}: {err:?}"
        );
        assert!(!err.to_string().contains(":pw@"), "password leaked: {err}");
    }
}

#[tokio::test]
async fn postgres_url_is_redacted() {
    let db = shipshape_store::testing::postgres_url_for_fresh_schema().await;
    let store = db.open().await;
    let userinfo = db
        .url()
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(u, _)| u);
    match userinfo.and_then(|u| u.split_once(':')) {
        Some((_, password)) => {
            assert!(
                !store.url_redacted().contains(&format!(":{password}@")),
                "password leaked"
            );
            assert!(
                store.url_redacted().contains(":***@"),
                "{}",
                store.url_redacted()
            );
        }
        None => assert_eq!(
            store.url_redacted(),
            db.url(),
            "no password, nothing to hide"
        ),
    }
    store.close().await;
}
