//! The datastore probes: connect with the monitor's URL (one fresh
//! connection per check, closed after), run a trivial query, and read
//! whether the server is a primary or a replica and how far behind it is.
//! PostgreSQL and MySQL/MariaDB go through sqlx; Redis through the small
//! RESP client in [`super::redis`]. Reasons carry the server's own error
//! (`postgres: password authentication failed for user "app"`) and never
//! the URL or its password.

use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use shipshape_catalog::{DatastoreCheck, DatastoreKind};
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{ConnectOptions, Connection, MySqlConnection, PgConnection, Row};

use super::Checkers;
use super::deadline::{Deadline, Phase};
use super::{net, redis};
use crate::result::{DatastoreDetails, Details, Role};

/// One round trip for everything a PostgreSQL check reads. On a replica the
/// lag is the age of the last replayed transaction, except that it is zero
/// while streaming with every received WAL record replayed (an idle primary
/// commits nothing, and its replicas are not behind). The WAL receiver's
/// status needs `pg_read_all_stats`; without it, `link_up` is NULL.
const PG_QUERY: &str = "\
WITH r AS (SELECT pg_is_in_recovery() AS replica),
     w AS (SELECT count(*) AS n,
                  bool_or(status IS NULL) AS masked,
                  bool_or(status = 'streaming') AS streaming
           FROM pg_stat_wal_receiver)
SELECT 1::int4 AS ok,
       r.replica,
       current_setting('transaction_read_only') = 'on' AS read_only,
       CASE WHEN NOT r.replica THEN NULL
            WHEN w.n = 0 THEN false
            WHEN w.masked THEN NULL
            ELSE w.streaming END AS link_up,
       CASE WHEN NOT r.replica THEN NULL
            WHEN w.streaming AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag
FROM r, w";

/// The liveness query and the read-only flag of MySQL/MariaDB.
const MYSQL_QUERY: &str = "SELECT 1 AS ok, @@read_only AS read_only";

/// MySQL's error for a statement it does not know (an older server).
const ER_PARSE_ERROR: u16 = 1064;

/// Runs a datastore check, filling `details.datastore`; the error is why
/// it failed.
pub(crate) async fn probe(
    checkers: &Checkers,
    spec: &DatastoreCheck,
    now: Timestamp,
    deadline: &Deadline,
    details: &mut Details,
) -> Result<(), String> {
    let kind = spec.kind.name();
    let raw = spec
        .url
        .value()
        .ok_or_else(|| format!("{kind}: the URL is a secret that was not resolved"))?;
    match spec.kind {
        DatastoreKind::Postgres => postgres(raw, deadline, details).await,
        DatastoreKind::Mysql => mysql(raw, deadline, details).await,
        DatastoreKind::Redis => redis::probe(checkers, raw, now, deadline, details).await,
    }
}

/// Connects to PostgreSQL, runs [`PG_QUERY`] and closes.
async fn postgres(raw: &str, deadline: &Deadline, details: &mut Details) -> Result<(), String> {
    const KIND: &str = "postgres";
    let address = address(raw, KIND, &["postgres", "postgresql"], 5432)?;
    let options = PgConnectOptions::from_str(raw)
        .map_err(|e| describe(KIND, "connect", &e, &address))?
        .application_name("shipshape")
        .disable_statement_logging();
    let (conn, took) = deadline
        .run(Phase::Connect, PgConnection::connect_with(&options))
        .await?;
    net::add(&mut details.timing.connect, took);
    let mut conn = conn.map_err(|e| describe(KIND, "connect", &e, &address))?;
    let (row, took) = deadline
        .run(
            Phase::Statement,
            sqlx::raw_sql(PG_QUERY).fetch_one(&mut conn),
        )
        .await?;
    net::add(&mut details.timing.first_byte, took);
    let row = row.map_err(|e| describe(KIND, "query", &e, &address))?;
    details.datastore = Some(read_pg(&row).map_err(|e| format!("{KIND}: {e}"))?);
    close(conn.close(), deadline).await;
    Ok(())
}

/// What [`PG_QUERY`] returned.
fn read_pg(row: &PgRow) -> Result<DatastoreDetails, sqlx::Error> {
    let ok: i32 = row.try_get("ok")?;
    if ok != 1 {
        return Err(sqlx::Error::Protocol(format!("`SELECT 1` returned {ok}")));
    }
    let replica: bool = row.try_get("replica")?;
    let lag: Option<f64> = row.try_get("lag")?;
    Ok(DatastoreDetails {
        role: Some(if replica {
            Role::Replica
        } else {
            Role::Primary
        }),
        read_only: row.try_get("read_only")?,
        link_up: row.try_get("link_up")?,
        replication_lag: lag.map(seconds),
        ..DatastoreDetails::new("postgres")
    })
}

/// Connects to MySQL or MariaDB, reads the liveness query and the replica
/// status (when permitted), and closes.
async fn mysql(raw: &str, deadline: &Deadline, details: &mut Details) -> Result<(), String> {
    const KIND: &str = "mysql";
    let address = address(raw, KIND, &["mysql"], 3306)?;
    let options = MySqlConnectOptions::from_str(raw)
        .map_err(|e| describe(KIND, "connect", &e, &address))?
        .disable_statement_logging();
    let (conn, took) = deadline
        .run(Phase::Connect, MySqlConnection::connect_with(&options))
        .await?;
    net::add(&mut details.timing.connect, took);
    let mut conn = conn.map_err(|e| describe(KIND, "connect", &e, &address))?;
    let (row, took) = deadline
        .run(
            Phase::Statement,
            sqlx::raw_sql(MYSQL_QUERY).fetch_one(&mut conn),
        )
        .await?;
    net::add(&mut details.timing.first_byte, took);
    let row = row.map_err(|e| describe(KIND, "query", &e, &address))?;
    if mysql_int(&row, &["ok"]) != Some(1) {
        return Err(format!("{KIND}: `SELECT 1` did not return 1"));
    }
    let mut found = DatastoreDetails {
        read_only: mysql_int(&row, &["read_only"]).map(|v| v != 0),
        ..DatastoreDetails::new(KIND)
    };
    // MySQL 8.0.22+ and MariaDB 10.5.1+ know `SHOW REPLICA STATUS`; older
    // servers only the old name.
    let mut status = deadline
        .run(
            Phase::Statement,
            sqlx::raw_sql("SHOW REPLICA STATUS").fetch_all(&mut conn),
        )
        .await?
        .0;
    if mysql_error_number(status.as_ref().err()) == Some(ER_PARSE_ERROR) {
        status = deadline
            .run(
                Phase::Statement,
                sqlx::raw_sql("SHOW SLAVE STATUS").fetch_all(&mut conn),
            )
            .await?
            .0;
    }
    match status {
        Ok(rows) => replica_status(&rows, &mut found),
        // Without REPLICATION CLIENT (SLAVE MONITOR on MariaDB) the server
        // is up; only its role cannot be read.
        Err(sqlx::Error::Database(db)) => {
            found.note = Some(format!("SHOW REPLICA STATUS: {}", db.message()));
        }
        Err(err) => return Err(describe(KIND, "query", &err, &address)),
    }
    details.datastore = Some(found);
    close(conn.close(), deadline).await;
    Ok(())
}

/// Fills role, link and lag from `SHOW REPLICA STATUS` (a row per
/// replication channel; none on a primary). With several channels the
/// link is up only if every one is, and the lag is the largest.
fn replica_status(rows: &[MySqlRow], found: &mut DatastoreDetails) {
    if rows.is_empty() {
        found.role = Some(Role::Primary);
        return;
    }
    found.role = Some(Role::Replica);
    let running = |row: &MySqlRow, names: &[&str]| {
        mysql_text(row, names).is_some_and(|v| v.eq_ignore_ascii_case("Yes"))
    };
    found.link_up = Some(rows.iter().all(|row| {
        running(row, &["Replica_IO_Running", "Slave_IO_Running"])
            && running(row, &["Replica_SQL_Running", "Slave_SQL_Running"])
    }));
    let lags: Vec<Option<i64>> = rows
        .iter()
        .map(|row| mysql_int(row, &["Seconds_Behind_Source", "Seconds_Behind_Master"]))
        .collect();
    if lags.iter().any(Option::is_none) {
        // NULL while the SQL thread is stopped: the lag is unknown.
        found.note = Some("Seconds_Behind_Master is NULL: replication is not running".into());
    } else {
        found.replication_lag = lags.into_iter().flatten().max().map(|s| seconds(s as f64));
    }
}

/// A text-protocol column (the first of `names` present) as text; `None`
/// if absent or NULL.
fn mysql_text(row: &MySqlRow, names: &[&str]) -> Option<String> {
    let name = names.iter().find(|n| row.try_column(**n).is_ok())?;
    let bytes: Option<Vec<u8>> = row.try_get_unchecked(*name).ok()?;
    bytes.map(|b| String::from_utf8_lossy(&b).trim().to_owned())
}

/// A text-protocol column as a whole number.
fn mysql_int(row: &MySqlRow, names: &[&str]) -> Option<i64> {
    mysql_text(row, names)?.parse().ok()
}

/// The MySQL error number of a failed statement.
fn mysql_error_number(err: Option<&sqlx::Error>) -> Option<u16> {
    match err? {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

/// `host:port` for messages, after checking the URL's scheme fits the
/// kind. Never returns the URL itself.
fn address(raw: &str, kind: &str, schemes: &[&str], default_port: u16) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{kind}: invalid URL: {e}"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!(
            "{kind}: the URL scheme `{}` is not for {kind}; use `{}://`",
            url.scheme(),
            schemes.first().copied().unwrap_or(kind)
        ));
    }
    let host = url.host_str().unwrap_or("localhost");
    Ok(format!("{host}:{}", url.port().unwrap_or(default_port)))
}

/// Describes a sqlx error in the user's terms: the server's message, or
/// what failed on the way (`connect: connection refused (db:5432)`).
fn describe(kind: &str, during: &str, err: &sqlx::Error, address: &str) -> String {
    match err {
        sqlx::Error::Database(db) => format!("{kind}: {}", db.message()),
        sqlx::Error::Io(io) => format!("{during}: {} ({address})", net::describe_io(io)),
        sqlx::Error::Tls(tls) => format!("{kind}: TLS: {tls}"),
        sqlx::Error::Configuration(config) => format!("{kind}: invalid URL: {config}"),
        sqlx::Error::Protocol(text) => format!("{kind}: protocol error: {text}"),
        other => format!("{kind}: {other}"),
    }
}

/// Seconds as a duration; negative (clock skew) counts as zero.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

/// Closes a connection politely, within what is left of the deadline; a
/// close that fails or runs out of time changes nothing.
async fn close(
    closing: impl std::future::Future<Output = Result<(), sqlx::Error>>,
    deadline: &Deadline,
) {
    let _ = tokio::time::timeout_at(deadline.at(), closing).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_never_show_credentials() {
        assert_eq!(
            address(
                "postgres://app:hunter2@db.internal/x", // shipshape:allow-secret: a fake credential for the test
                "postgres",
                &["postgres"],
                5432
            ),
            Ok("db.internal:5432".to_owned())
        );
        let wrong = address("redis://:hunter2@h", "postgres", &["postgres"], 5432);
        assert_eq!(
            wrong,
            Err("postgres: the URL scheme `redis` is not for postgres; use `postgres://`".into())
        );
    }

    #[test]
    fn lag_is_never_negative() {
        assert_eq!(seconds(-2.5), Duration::ZERO);
        assert_eq!(seconds(1.5), Duration::from_millis(1500));
    }
}
