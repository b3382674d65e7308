//! TCP checks: an open port, a closed one, send-and-expect against a
//! PING/PONG server, a reply that lacks the expected text, and a banner
//! read for a `tcp.received` expectation.

use std::time::Duration;

use shipshape_catalog::{MonitorKind, TcpCheck};
use tokio::io::AsyncReadExt;

use crate::support::{checkers, closed_port, monitor, run, tcp_server, write};

const TIMEOUT: Duration = Duration::from_secs(2);

fn tcp(port: u16, send: Option<&str>, expect: Option<&str>) -> MonitorKind {
    MonitorKind::Tcp(TcpCheck {
        host: "127.0.0.1".into(),
        port,
        send: send.map(str::to_owned),
        expect: expect.map(str::to_owned),
    })
}

/// Answers `PING` with `+PONG`, anything else with `-ERR` and closes.
async fn ping_server() -> std::net::SocketAddr {
    tcp_server(|mut stream| async move {
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let reply: &[u8] = if buf[..n].starts_with(b"PING") {
            b"+PONG\r\n"
        } else {
            b"-ERR\r\n"
        };
        write(&mut stream, reply).await;
    })
    .await
}

#[tokio::test]
async fn an_open_port_is_up() {
    let addr = ping_server().await;
    let result = run(
        &checkers(),
        &monitor(tcp(addr.port(), None, None), TIMEOUT, &[]),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
    assert!(result.details.timing.connect.is_some());
    assert!(
        result.details.tcp.is_none(),
        "nothing is read without a reason to"
    );
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let addr = closed_port().await;
    let result = run(
        &checkers(),
        &monitor(tcp(addr.port(), None, None), TIMEOUT, &[]),
    )
    .await;
    let reason = result.reason().expect("down");
    assert!(
        reason.starts_with("connect: connection refused"),
        "{reason}"
    );
}

#[tokio::test]
async fn send_and_expect_checks_the_reply() {
    let addr = ping_server().await;
    let result = run(
        &checkers(),
        &monitor(
            tcp(addr.port(), Some("PING\r\n"), Some("PONG")),
            TIMEOUT,
            &[],
        ),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
    assert_eq!(
        result.details.tcp.map(|t| t.received),
        Some("+PONG\r\n".to_owned())
    );

    let result = run(
        &checkers(),
        &monitor(
            tcp(addr.port(), Some("HELLO\r\n"), Some("PONG")),
            TIMEOUT,
            &[],
        ),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some(r#"TCP: the connection closed before `PONG`; got "-ERR\r\n""#)
    );
}

#[tokio::test]
async fn a_banner_is_read_for_an_expectation() {
    let addr = tcp_server(|mut stream| async move {
        write(&mut stream, b"SSH-2.0-OpenSSH_9.6\r\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let result = run(
        &checkers(),
        &monitor(
            tcp(addr.port(), None, None),
            TIMEOUT,
            &["tcp.received starts_with \"SSH-2.0\""],
        ),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
}
