//! DNS checks against a UDP responder the test starts: A answers, expected
//! answers present or missing, NXDOMAIN by default and by expectation, and
//! a resolver that never answers.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use shipshape_catalog::{DnsCheck, MonitorKind, RecordType};
use tokio::net::UdpSocket;

use crate::support::{checkers, dns_server, monitor, run};

const TIMEOUT: Duration = Duration::from_secs(2);

fn dns(name: &str, resolver: SocketAddr, expect: &[&str]) -> MonitorKind {
    MonitorKind::Dns(DnsCheck {
        name: name.into(),
        record_type: RecordType::A,
        resolver: Some(resolver),
        expect: expect.iter().map(|e| (*e).to_owned()).collect(),
    })
}

async fn zone() -> SocketAddr {
    dns_server(|name| match name {
        "www.example.test" => Some(vec![
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::new(192, 0, 2, 2),
        ]),
        "empty.example.test" => Some(Vec::new()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_records_are_answered_and_matched() {
    let server = zone().await;
    let result = run(
        &checkers(),
        &monitor(
            dns("www.example.test", server, &["192.0.2.2"]),
            TIMEOUT,
            &[],
        ),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let answer = result.details.dns.as_ref().expect("dns details");
    assert_eq!(answer.rcode, "NOERROR");
    assert_eq!(answer.answers, ["192.0.2.1", "192.0.2.2"]);
    assert!(result.details.timing.dns.is_some());

    let expect = [
        "dns.answers contains \"192.0.2.1\"",
        "dns.rcode == \"NOERROR\"",
    ];
    let result = run(
        &checkers(),
        &monitor(dns("www.example.test", server, &[]), TIMEOUT, &expect),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn a_missing_expected_answer_is_named() {
    let server = zone().await;
    let result = run(
        &checkers(),
        &monitor(
            dns("www.example.test", server, &["192.0.2.9"]),
            TIMEOUT,
            &[],
        ),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("DNS: answer lacks `192.0.2.9`; got [192.0.2.1, 192.0.2.2]")
    );
}

#[tokio::test]
async fn nxdomain_fails_by_default_and_can_be_expected() {
    let server = zone().await;
    let result = run(
        &checkers(),
        &monitor(dns("nope.example.test", server, &[]), TIMEOUT, &[]),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("DNS: no such host `nope.example.test`")
    );
    assert_eq!(
        result.details.dns.map(|d| d.rcode),
        Some("NXDOMAIN".to_owned())
    );

    let expect = ["dns.rcode == \"NXDOMAIN\""];
    let result = run(
        &checkers(),
        &monitor(dns("nope.example.test", server, &[]), TIMEOUT, &expect),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn an_empty_answer_fails_by_default() {
    let server = zone().await;
    let result = run(
        &checkers(),
        &monitor(dns("empty.example.test", server, &[]), TIMEOUT, &[]),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("DNS: no A records for `empty.example.test`")
    );
}

#[tokio::test]
async fn a_silent_resolver_times_out() {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let silent = socket.local_addr().expect("addr");
    let timeout = Duration::from_millis(400);
    let result = run(
        &checkers(),
        &monitor(dns("www.example.test", silent, &[]), timeout, &[]),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("timeout after 400ms waiting for the DNS answer")
    );
    assert!(
        result.duration < timeout + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
    drop(socket);
}
