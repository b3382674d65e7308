//! HTTP checks against real loopback servers: status judgement, timings,
//! expectations on body, JSON and headers, redirects (hops, limit, loops),
//! request method, headers and body, the body cap, non-UTF-8 bodies,
//! refused connections, silent and trickling servers, and host names
//! resolved through a test DNS server.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use shipshape_catalog::{MonitorKind, Setting};
use shipshape_probe::check::{CheckerOptions, Checkers};
use shipshape_probe::result::Outcome;
use tokio::io::AsyncReadExt;

use crate::support::{
    self, Handler, checkers, closed_port, http, http_server, monitor, run, tcp_server, write,
};

const TIMEOUT: Duration = Duration::from_secs(2);

fn respond(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body)));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    for (name, value) in headers {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
    }
    response
}

/// A server answering by path: `/ok`, `/down`, `/json`, `/r/N` (N
/// redirects left), `/loop/a` ⇄ `/loop/b`, `/echo`, `/binary`.
fn routes() -> Handler {
    Arc::new(|parts, body| {
        let path = parts.uri.path();
        match path {
            "/ok" => respond(200, &[], b"all good"),
            "/down" => respond(503, &[], b"maintenance"),
            "/json" => respond(
                200,
                &[("content-type", "application/json")],
                br#"{"status": "ok", "items": [1, 2]}"#,
            ),
            "/binary" => respond(200, &[], b"\xff\xfe status ok \xc3\x28"),
            "/loop/a" => respond(302, &[("location", "/loop/b")], b""),
            "/loop/b" => respond(302, &[("location", "/loop/a")], b""),
            "/echo" => {
                let token = parts
                    .headers
                    .get("x-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                let text = format!(
                    "{} {} {}",
                    parts.method,
                    token,
                    String::from_utf8_lossy(&body)
                );
                Response::new(Full::new(Bytes::from(text)))
            }
            _ => match path.strip_prefix("/r/").and_then(|n| n.parse::<u32>().ok()) {
                Some(0) => respond(200, &[], b"landed"),
                Some(n) => {
                    let mut response = respond(302, &[], b"");
                    let next = format!("/r/{}", n - 1);
                    response
                        .headers_mut()
                        .insert("location", next.parse().expect("location"));
                    response
                }
                None => respond(404, &[], b"no such page"),
            },
        }
    })
}

/// Checks `path` on a fresh routes server, from a spawned task (so the
/// check future is proven `Send + 'static`-spawnable, as the scheduler needs).
async fn check(path: &str, expect: &[&str]) -> shipshape_probe::result::CheckResult {
    let addr = http_server(routes()).await;
    let spec = http(&format!("http://{addr}{path}"));
    let monitor = monitor(MonitorKind::Http(spec), TIMEOUT, expect);
    let checkers = Arc::new(checkers());
    tokio::spawn(async move { run(&checkers, &monitor).await })
        .await
        .expect("the check task does not panic")
}

#[tokio::test]
async fn a_200_is_up_with_phase_timings() {
    let result = check("/ok", &[]).await;
    assert_eq!(result.outcome, Outcome::Up);
    let http = result.details.http.as_ref().expect("http details");
    assert_eq!(
        (http.status, http.version, http.body_size),
        (200, "HTTP/1.1", 8)
    );
    let timing = result.details.timing;
    assert!(timing.dns.is_none(), "an IP literal needs no DNS");
    assert!(timing.connect.is_some() && timing.first_byte.is_some() && timing.tls.is_none());
    assert!(timing.total >= timing.connect.unwrap_or_default());
    assert_eq!(timing.total, result.duration);
    assert!(result.details.peer.is_some());
}

#[tokio::test]
async fn a_503_is_down_with_the_status_line_or_the_failed_expectation() {
    let result = check("/down", &[]).await;
    assert_eq!(result.reason(), Some("HTTP: 503 Service Unavailable"));
    let result = check("/down", &["status == 200"]).await;
    assert_eq!(result.reason(), Some("status == 200: got 503"));
    let result = check("/down", &["status == 503", "body contains \"maintenance\""]).await;
    assert!(
        result.is_up(),
        "expectations replace the default rule: {:?}",
        result.outcome
    );
}

#[tokio::test]
async fn expectations_read_json_headers_and_timings() {
    let passing = [
        "json.status == \"ok\"",
        "json.items[1] == 2",
        "header.content-type contains \"json\"",
        "response_time < 2s",
        "timing.first_byte < 2s",
        "body_size < 1KiB",
    ];
    let result = check("/json", &passing).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let result = check(
        "/json",
        &["json.status == \"down\"", "header.x-missing exists"],
    )
    .await;
    let Outcome::Down { reasons } = &result.outcome else {
        panic!("expected down")
    };
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].starts_with("json.status == \"down\": got \"ok\""),
        "{reasons:?}"
    );
    let result = check("/ok", &["json.status == \"ok\""]).await;
    assert_eq!(
        result.reason(),
        Some("json.status == \"ok\": body is not JSON")
    );
}

#[tokio::test]
async fn redirects_are_followed_and_recorded() {
    let result = check("/r/3", &[]).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let http = result.details.http.as_ref().expect("http details");
    assert_eq!(http.redirects.len(), 3);
    assert!(http.url.ends_with("/r/0"), "{}", http.url);
}

#[tokio::test]
async fn too_many_redirects_fail_with_the_limit() {
    let addr = http_server(routes()).await;
    let mut spec = http(&format!("http://{addr}/r/5"));
    spec.max_redirects = 2;
    let result = run(&checkers(), &monitor(MonitorKind::Http(spec), TIMEOUT, &[])).await;
    let reason = result.reason().expect("down");
    assert!(
        reason.starts_with("redirect: more than 2 redirects"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_redirect_loop_is_named() {
    let result = check("/loop/a", &[]).await;
    let reason = result.reason().expect("down");
    assert!(reason.starts_with("redirect loop: http://"), "{reason}");
    assert!(
        reason.contains("/loop/a → http://") && reason.ends_with("/loop/a"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_redirect_not_followed_is_the_final_response() {
    let addr = http_server(routes()).await;
    let mut spec = http(&format!("http://{addr}/r/1"));
    spec.follow_redirects = false;
    let result = run(&checkers(), &monitor(MonitorKind::Http(spec), TIMEOUT, &[])).await;
    assert!(
        result.is_up(),
        "a final 3xx passes when redirects are not followed: {:?}",
        result.outcome
    );
    assert_eq!(result.details.http.map(|h| h.status), Some(302));
}

#[tokio::test]
async fn method_headers_and_body_are_sent() {
    let addr = http_server(routes()).await;
    let mut spec = http(&format!("http://{addr}/echo"));
    spec.method = "POST".into();
    spec.headers
        .insert("X-Token".into(), Setting::Plain("t0k3n".into()));
    spec.body = Some(Setting::Plain("hello".into()));
    let result = run(
        &checkers(),
        &monitor(
            MonitorKind::Http(spec),
            TIMEOUT,
            &["body == \"POST t0k3n hello\""],
        ),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
}

/// Serves a 50 MB body, writing until the client goes away.
async fn huge_body_server() -> std::net::SocketAddr {
    tcp_server(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        let size = 50 * 1024 * 1024;
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
        if !write(&mut stream, head.as_bytes()).await {
            return;
        }
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..(size / chunk.len()) {
            if !write(&mut stream, &chunk).await {
                return;
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_50_mb_body_is_read_only_up_to_the_cap() {
    let addr = huge_body_server().await;
    let options = CheckerOptions {
        max_body_bytes: 256 * 1024,
        ..CheckerOptions::default()
    };
    let checkers = Checkers::new(options).expect("checkers");
    let spec = http(&format!("http://{addr}/big"));
    let result = run(
        &checkers,
        &monitor(
            MonitorKind::Http(spec),
            TIMEOUT,
            &["status == 200", "body starts_with \"xxx\""],
        ),
    )
    .await;
    assert!(result.is_up(), "{:?}", result.outcome);
    let http = result.details.http.as_ref().expect("http details");
    assert!(http.body_truncated);
    assert_eq!(
        http.body_size,
        50 * 1024 * 1024,
        "the declared length is reported"
    );
}

#[tokio::test]
async fn a_non_utf8_body_is_read_as_lossy_text() {
    let result = check("/binary", &["body contains \"status ok\""]).await;
    assert!(result.is_up(), "{:?}", result.outcome);
}

#[tokio::test]
async fn a_refused_connection_is_named() {
    let addr = closed_port().await;
    let result = run(
        &checkers(),
        &monitor(
            MonitorKind::Http(http(&format!("http://{addr}/"))),
            TIMEOUT,
            &[],
        ),
    )
    .await;
    let reason = result.reason().expect("down");
    assert!(
        reason.starts_with("connect: connection refused"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_waiting_for_the_first_byte() {
    let addr = tcp_server(|mut stream| async move {
        let mut sink = [0u8; 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    let timeout = Duration::from_millis(500);
    let result = run(
        &checkers(),
        &monitor(
            MonitorKind::Http(http(&format!("http://{addr}/"))),
            timeout,
            &[],
        ),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("timeout after 500ms waiting for the first byte")
    );
    assert!(
        result.duration < timeout + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
}

#[tokio::test]
async fn a_trickling_body_times_out_while_reading_the_body() {
    let addr = tcp_server(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        if !write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n",
        )
        .await
        {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if !write(&mut stream, b"x").await {
                return;
            }
        }
    })
    .await;
    let timeout = Duration::from_millis(500);
    let result = run(
        &checkers(),
        &monitor(
            MonitorKind::Http(http(&format!("http://{addr}/"))),
            timeout,
            &[],
        ),
    )
    .await;
    assert_eq!(
        result.reason(),
        Some("timeout after 500ms while reading the body")
    );
    assert!(
        result.duration < timeout + Duration::from_millis(400),
        "took {:?}",
        result.duration
    );
}

#[tokio::test]
async fn host_names_resolve_through_the_configured_resolver() {
    let web = http_server(routes()).await;
    let dns =
        support::dns_server(|name| (name == "app.test").then(|| vec![Ipv4Addr::LOCALHOST])).await;
    let options = CheckerOptions {
        dns_resolver: Some(dns),
        ..CheckerOptions::default()
    };
    let checkers = Checkers::new(options).expect("checkers");
    let spec = http(&format!("http://app.test:{}/ok", web.port()));
    let result = run(&checkers, &monitor(MonitorKind::Http(spec), TIMEOUT, &[])).await;
    assert!(result.is_up(), "{:?}", result.outcome);
    assert!(result.details.timing.dns.is_some());

    let spec = http(&format!("http://nope.invalid:{}/ok", web.port()));
    let result = run(&checkers, &monitor(MonitorKind::Http(spec), TIMEOUT, &[])).await;
    assert_eq!(result.reason(), Some("DNS: no such host `nope.invalid`"));
}
