//! Datastore checks against the machine's real servers (PostgreSQL on
//! 127.0.0.1:5432, MariaDB on :3306, Redis on :6379) and against servers of
//! the test's own: a port nothing listens on, a server that accepts and
//! never answers, and a fake Redis that demands `AUTH` and says it is a
//! replica (also behind TLS, for `rediss://`). Reasons carry the server's error, name the phase on a timeout,
//! and never contain the password.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shipshape_catalog::{
    DatastoreCheck, DatastoreKind, MonitorKind, SecretRef, SecretSource, Setting,
};
use shipshape_probe::result::{CheckResult, Role};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::{Pki, checkers, closed_port, monitor, run, tcp_server};

const TIMEOUT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(500);

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL: &str = "mysql://root@127.0.0.1:3306/test";
const REDIS: &str = "redis://127.0.0.1:6379";

fn store(kind: DatastoreKind, url: &str) -> MonitorKind {
    MonitorKind::Datastore(DatastoreCheck {
        datastore: "db".into(),
        kind,
        url: Setting::Plain(url.to_owned()),
    })
}

async fn check(kind: DatastoreKind, url: &str, timeout: Duration, expect: &[&str]) -> CheckResult {
    run(&checkers(), &monitor(store(kind, url), timeout, expect)).await
}

/// A server that accepts connections and never sends a byte.
async fn silent_server() -> SocketAddr {
    tcp_server(|mut stream| async move {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await
}

/// Asserts the check timed out in `phase` without overrunning.
fn assert_timed_out(result: &CheckResult, reason: &str) {
    assert_eq!(result.reason(), Some(reason));
    assert!(
        result.duration < SHORT + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
}

#[tokio::test]
async fn a_postgres_primary_is_up_with_its_role() {
    let expect = [
        "datastore.role == \"primary\"",
        "datastore.replica == false",
        "datastore.read_only == false",
        "not (datastore.replication_lag exists)",
    ];
    let result = check(DatastoreKind::Postgres, POSTGRES, TIMEOUT, &expect).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let found = result
        .details
        .datastore
        .as_ref()
        .expect("datastore details");
    assert_eq!(found.kind, "postgres");
    assert_eq!(found.role, Some(Role::Primary));
    assert_eq!(found.read_only, Some(false));
    assert_eq!((found.replication_lag, found.link_up), (None, None));
    assert!(result.details.timing.connect.is_some());
    assert!(result.details.timing.first_byte.is_some());

    let result = check(DatastoreKind::Postgres, POSTGRES, TIMEOUT, &[]).await;
    assert!(result.is_up(), "no expectations: connected and queried");
}

#[tokio::test]
async fn lag_on_a_primary_is_absent_and_says_why() {
    let result = check(
        DatastoreKind::Postgres,
        POSTGRES,
        TIMEOUT,
        &["datastore.replication_lag < 30s"],
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("datastore.replication_lag < 30s: no replication lag: the server is a primary")
    );
}

#[tokio::test]
async fn postgres_errors_are_the_servers_own() {
    let url = "postgres://postgres@127.0.0.1:5432/no_such_database";
    let result = check(DatastoreKind::Postgres, url, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("postgres: database \"no_such_database\" does not exist")
    );

    let url = "postgres://no_such_role:hunter2@127.0.0.1:5432/test"; // shipshape:allow-secret: a fake credential for the test
    let result = check(DatastoreKind::Postgres, url, TIMEOUT, &[]).await;
    let reason = result.reason().expect("down");
    assert!(
        reason == "postgres: role \"no_such_role\" does not exist"
            || reason == "postgres: password authentication failed for user \"no_such_role\"",
        "{reason}"
    );
    assert!(!format!("{result:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_closed_port_is_refused_for_every_kind() {
    let port = closed_port().await.port();
    let cases = [
        (
            DatastoreKind::Postgres,
            format!("postgres://u:hunter2@127.0.0.1:{port}/x"), // shipshape:allow-secret: a fake credential for the test
        ),
        (
            DatastoreKind::Mysql,
            format!("mysql://u:hunter2@127.0.0.1:{port}/x"), // shipshape:allow-secret: a fake credential for the test
        ),
        (
            DatastoreKind::Redis,
            format!("redis://:hunter2@127.0.0.1:{port}"),
        ),
    ];
    for (kind, url) in cases {
        let result = check(kind, &url, TIMEOUT, &[]).await;
        assert_eq!(
            result.reason(),
            Some(format!("connect: connection refused (127.0.0.1:{port})").as_str()),
            "{kind:?}"
        );
        assert!(!format!("{result:?}").contains("hunter2"), "{kind:?}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_naming_the_phase() {
    let port = silent_server().await.port();
    let result = check(
        DatastoreKind::Postgres,
        &format!("postgres://postgres@127.0.0.1:{port}/test"),
        SHORT,
        &[],
    )
    .await;
    assert_timed_out(&result, "timeout after 500ms while connecting");

    let result = check(
        DatastoreKind::Mysql,
        &format!("mysql://root@127.0.0.1:{port}/test"),
        SHORT,
        &[],
    )
    .await;
    assert_timed_out(&result, "timeout after 500ms while connecting");

    let url = format!("redis://127.0.0.1:{port}");
    let result = check(DatastoreKind::Redis, &url, SHORT, &[]).await;
    assert_timed_out(&result, "timeout after 500ms waiting for the reply");

    let url = format!("redis://:pw@127.0.0.1:{port}");
    let result = check(DatastoreKind::Redis, &url, SHORT, &[]).await;
    assert_timed_out(&result, "timeout after 500ms during authentication");
}

#[tokio::test]
async fn a_mysql_primary_is_up_with_its_role() {
    let expect = [
        "datastore.role == \"primary\"",
        "datastore.read_only == false",
    ];
    let result = check(DatastoreKind::Mysql, MYSQL, TIMEOUT, &expect).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let found = result
        .details
        .datastore
        .as_ref()
        .expect("datastore details");
    assert_eq!(found.kind, "mysql");
    assert_eq!(found.role, Some(Role::Primary));
    assert_eq!(found.read_only, Some(false));
    assert_eq!(found.note, None);
}

#[tokio::test]
async fn mysql_errors_are_the_servers_own() {
    let url = "mysql://root@127.0.0.1:3306/no_such_database";
    let result = check(DatastoreKind::Mysql, url, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("mysql: Unknown database 'no_such_database'")
    );

    let url = "mysql://no_such_user:hunter2@127.0.0.1:3306/test"; // shipshape:allow-secret: a fake credential for the test
    let result = check(DatastoreKind::Mysql, url, TIMEOUT, &[]).await;
    let reason = result.reason().expect("down");
    assert!(
        reason.starts_with("mysql: Access denied for user 'no_such_user'@"),
        "{reason}"
    );
    assert!(!format!("{result:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_redis_primary_is_up_with_its_role() {
    let result = check(
        DatastoreKind::Redis,
        REDIS,
        TIMEOUT,
        &["datastore.role == \"primary\""],
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let found = result
        .details
        .datastore
        .as_ref()
        .expect("datastore details");
    assert_eq!((found.kind, found.role), ("redis", Some(Role::Primary)));
    assert_eq!(result.details.peer.map(|p| p.port()), Some(6379));

    let result = check(
        DatastoreKind::Redis,
        "redis://127.0.0.1:6379/1",
        TIMEOUT,
        &["datastore.replica == true"],
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("datastore.replica == true: got false")
    );
}

#[tokio::test]
async fn an_unresolved_secret_url_says_so() {
    let kind = MonitorKind::Datastore(DatastoreCheck {
        datastore: "db".into(),
        kind: DatastoreKind::Postgres,
        url: Setting::Secret {
            reference: SecretRef {
                source: SecretSource::Env("DB_URL".into()),
                location: "shipshape.toml:1:1".into(),
            },
            value: None,
        },
    });
    let result = run(&checkers(), &monitor(kind, TIMEOUT, &[])).await;
    assert_eq!(
        result.reason(),
        Some("postgres: the URL is a secret that was not resolved")
    );
}

/// A fake Redis replica that wants `AUTH right` before anything else.
async fn fake_redis() -> SocketAddr {
    tcp_server(fake_redis_session).await
}

/// A fake Redis replica like [`fake_redis`] behind TLS with a certificate
/// of `pki` for `localhost`.
async fn fake_rediss(pki: &Pki) -> SocketAddr {
    let leaf = pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)
        .expect("server cert");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tcp_server(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(stream) = acceptor.accept(stream).await {
                fake_redis_session(stream).await;
            }
        }
    })
    .await
}

/// Answers RESP commands: `-NOAUTH` until `AUTH … right`, then `PING` and
/// `INFO` as a replica 4 s behind.
async fn fake_redis_session<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let mut authed = false;
    while let Some(command) = read_command(&mut stream).await {
        let name = command.first().map(|c| c.to_ascii_uppercase());
        let reply: Vec<u8> = match (name.as_deref(), authed) {
            (Some("AUTH"), _) if command.last().map(String::as_str) == Some("right") => {
                authed = true;
                b"+OK\r\n".to_vec()
            }
            (Some("AUTH"), _) => {
                b"-WRONGPASS invalid username-password pair or user is disabled.\r\n".to_vec()
            }
            (_, false) => b"-NOAUTH Authentication required.\r\n".to_vec(),
            (Some("PING"), true) => b"+PONG\r\n".to_vec(),
            (Some("INFO"), true) => {
                let info = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:4\r\n";
                format!("${}\r\n{info}\r\n", info.len()).into_bytes()
            }
            _ => b"-ERR unknown command\r\n".to_vec(),
        };
        if stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Reads one RESP command (an array of bulk strings), byte by byte.
async fn read_command<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Vec<String>> {
    async fn line<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            line.push(stream.read_u8().await.ok()?);
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).ok()
    }
    let count: usize = line(stream).await?.strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        let _len = line(stream).await?;
        args.push(line(stream).await?);
    }
    Some(args)
}

#[tokio::test]
async fn rediss_speaks_over_a_verified_tls_session() {
    let pki = Pki::new();
    let port = fake_rediss(&pki).await.port();
    let url = format!("rediss://:right@localhost:{port}/0");
    let kind = store(DatastoreKind::Redis, &url);
    let expect = ["datastore.replica == true", "cert.expires_in > 14d"];
    let result = run(&pki.checkers(), &monitor(kind, TIMEOUT, &expect)).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    assert!(result.details.tls.is_some());

    let stranger = Pki::named("Stranger CA");
    let kind = store(DatastoreKind::Redis, &url);
    let result = run(&stranger.checkers(), &monitor(kind, TIMEOUT, &[])).await;
    assert_eq!(
        result.reason(),
        Some("TLS: certificate issuer `CN=Shipshape Test CA` is not trusted"),
        "no password is sent over an unverified session"
    );
}

#[tokio::test]
async fn redis_auth_is_sent_and_its_errors_reported_without_the_password() {
    let port = fake_redis().await.port();
    let result = check(
        DatastoreKind::Redis,
        &format!("redis://127.0.0.1:{port}"),
        TIMEOUT,
        &[],
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("redis: NOAUTH Authentication required")
    );

    let result = check(
        DatastoreKind::Redis,
        &format!("redis://app:hunter2@127.0.0.1:{port}"), // shipshape:allow-secret: a fake credential for the test
        TIMEOUT,
        &[],
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("redis: WRONGPASS invalid username-password pair or user is disabled")
    );
    assert!(!format!("{result:?}").contains("hunter2"));

    let replica = [
        "datastore.role == \"replica\"",
        "datastore.replica == true",
        "datastore.link_up == true",
        "datastore.replication_lag < 30s",
    ];
    let url = format!("redis://app:right@127.0.0.1:{port}"); // shipshape:allow-secret: a fake credential for the test
    let result = check(DatastoreKind::Redis, &url, TIMEOUT, &replica).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let found = result
        .details
        .datastore
        .as_ref()
        .expect("datastore details");
    assert_eq!(found.replication_lag, Some(Duration::from_secs(4)));

    let result = check(
        DatastoreKind::Redis,
        &url,
        TIMEOUT,
        &["datastore.replication_lag < 2s"],
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("datastore.replication_lag < 2s: got 4s")
    );
}
