//! TLS checks with `starttls = "smtp"` against a loopback SMTP server of
//! the test's own: the greeting, `EHLO`, `STARTTLS`, then a TLS handshake
//! with a certificate of the test CA. Also: a server that does not offer
//! STARTTLS, one that refuses the session or the command, one that says
//! nothing, and one that sends data after its STARTTLS reply.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shipshape_catalog::{MonitorKind, StartTls, TlsCheck};
use shipshape_probe::result::CheckResult;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::support::{Leaf, Pki, monitor, run, tcp_server, write};

const TIMEOUT: Duration = Duration::from_secs(2);

/// What the fake SMTP server answers at each step.
#[derive(Clone)]
struct Script {
    greeting: &'static str,
    ehlo: &'static str,
    starttls: &'static str,
}

const GOOD: Script = Script {
    greeting: "220 mx.test ESMTP ready\r\n",
    ehlo: "250-mx.test greets shipshape\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n",
    starttls: "220 2.0.0 Ready to start TLS\r\n",
};

/// Starts an SMTP server that plays `script`, then shakes hands as `leaf`.
async fn smtp_server(script: Script, leaf: Leaf) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)
        .expect("server cert");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tcp_server(move |mut stream| {
        let (script, acceptor) = (script.clone(), acceptor.clone());
        async move {
            if !write(&mut stream, script.greeting.as_bytes()).await
                || !script.greeting.starts_with("220")
            {
                return;
            }
            if !read_line(&mut stream)
                .await
                .is_some_and(|l| l.starts_with("EHLO "))
            {
                return;
            }
            write(&mut stream, script.ehlo.as_bytes()).await;
            if read_line(&mut stream).await.as_deref() != Some("STARTTLS") {
                return;
            }
            write(&mut stream, script.starttls.as_bytes()).await;
            if let Ok(mut tls) = acceptor.accept(stream).await {
                let mut sink = [0u8; 64];
                let _ = tls.read(&mut sink).await;
            }
        }
    })
    .await
}

/// Reads one line sent by the client, byte by byte.
async fn read_line(stream: &mut TcpStream) -> Option<String> {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.push(stream.read_u8().await.ok()?);
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).ok()
}

async fn check(pki: &Pki, addr: SocketAddr, timeout: Duration, expect: &[&str]) -> CheckResult {
    let spec = TlsCheck {
        host: "localhost".into(),
        port: addr.port(),
        starttls: Some(StartTls::Smtp),
    };
    run(
        &pki.checkers(),
        &monitor(MonitorKind::Tls(spec), timeout, expect),
    )
    .await
}

fn valid_leaf(pki: &Pki) -> Leaf {
    pki.leaf(&["localhost"], (2020, 1, 1), (2099, 1, 1))
}

#[tokio::test]
async fn starttls_then_the_certificate_is_checked() {
    let pki = Pki::new();
    let addr = smtp_server(GOOD, valid_leaf(&pki)).await;
    let expect = ["cert.expires_in > 14d", "tls.version == \"TLSv1.3\""];
    let result = check(&pki, addr, TIMEOUT, &expect).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let tls = result.details.tls.as_ref().expect("tls details");
    assert_eq!(
        tls.cert.as_ref().map(|c| c.names.clone()),
        Some(vec!["localhost".to_owned()])
    );
    assert!(
        result.details.timing.first_byte.is_some(),
        "the greeting is timed"
    );

    let expired = pki.leaf(&["localhost"], (2020, 1, 1), (2021, 10, 1));
    let addr = smtp_server(GOOD, expired).await;
    let result = check(&pki, addr, TIMEOUT, &[]).await;
    assert_eq!(result.reason(), Some("TLS: certificate expired 2021-10-01"));
}

#[tokio::test]
async fn a_server_without_starttls_says_so() {
    let pki = Pki::new();
    let script = Script {
        ehlo: "250-mx.test\r\n250-STARTTLSX\r\n250 8BITMIME\r\n",
        ..GOOD
    };
    let addr = smtp_server(script, valid_leaf(&pki)).await;
    let result = check(&pki, addr, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("smtp: server does not offer STARTTLS")
    );
}

#[tokio::test]
async fn unexpected_replies_are_named() {
    let pki = Pki::new();
    let script = Script {
        greeting: "554 5.3.2 no service for you\r\n",
        ..GOOD
    };
    let addr = smtp_server(script, valid_leaf(&pki)).await;
    let result = check(&pki, addr, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("smtp: unexpected reply 554 5.3.2 no service for you")
    );

    let script = Script {
        starttls: "454 4.7.0 TLS not available due to temporary reason\r\n",
        ..GOOD
    };
    let addr = smtp_server(script, valid_leaf(&pki)).await;
    let result = check(&pki, addr, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("smtp: unexpected reply 454 4.7.0 TLS not available due to temporary reason")
    );
}

#[tokio::test]
async fn data_after_the_starttls_reply_is_refused() {
    let pki = Pki::new();
    let script = Script {
        starttls: "220 2.0.0 Ready to start TLS\r\n250 injected\r\n",
        ..GOOD
    };
    let addr = smtp_server(script, valid_leaf(&pki)).await;
    let result = check(&pki, addr, TIMEOUT, &[]).await;
    assert_eq!(
        result.reason(),
        Some("smtp: the server sent data after its STARTTLS reply")
    );
}

#[tokio::test]
async fn a_silent_server_times_out_during_starttls() {
    let addr = tcp_server(|mut stream| async move {
        let mut sink = [0u8; 64];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    let timeout = Duration::from_millis(400);
    let result = check(&Pki::new(), addr, timeout, &[]).await;
    assert_eq!(result.reason(), Some("timeout after 400ms during STARTTLS"));
    assert!(
        result.duration < timeout + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
}
