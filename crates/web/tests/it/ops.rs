//! Operations: health, readiness, metrics, security headers, shutdown.

use shipshape_store::Role;

use crate::common::TestServer;

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;
    let health = reqwest::get(server.url("/healthz")).await.expect("get");
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let ready = reqwest::get(server.url("/readyz")).await.expect("get");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["store"], "ok");
}

#[tokio::test]
async fn readiness_fails_when_the_store_is_closed() {
    let server = TestServer::start().await;
    server.store.close().await;
    let ready = reqwest::get(server.url("/readyz")).await.expect("get");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("store unreachable"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_need_a_viewer_and_have_the_families() {
    let server = TestServer::start().await;
    let anonymous = reqwest::get(server.url("/metrics")).await.expect("get");
    assert_eq!(anonymous.status(), 401);
    reqwest::get(server.url("/healthz")).await.expect("get");
    let token = server.token(Role::Viewer).await;
    let metrics = reqwest::Client::new()
        .get(server.url("/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("body");
    for family in [
        r#"shipshape_build_info{version="0.0.0-test",commit="abc1234"} 1"#,
        r#"shipshape_http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"shipshape_http_requests_total{method="GET",route="/metrics",status="401"} 1"#,
        "shipshape_http_request_duration_seconds_bucket",
        "shipshape_store_up 1",
        "shipshape_catalog_services 0",
    ] {
        assert!(text.contains(family), "missing `{family}` in:\n{text}");
    }
}

#[tokio::test]
async fn public_metrics_need_no_token() {
    let server = TestServer::start_with(shipshape_catalog::Catalog::default(), |config| {
        config.metrics_public = true;
    })
    .await;
    let metrics = reqwest::get(server.url("/metrics")).await.expect("get");
    assert_eq!(metrics.status(), 200);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/login", "/monitors", "/api/v1/me", "/nowhere"] {
        let response = crate::common::browser()
            .get(server.url(path))
            .send()
            .await
            .expect("get");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{path}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
}

#[tokio::test]
async fn launch_returns_after_shutdown() {
    let server = TestServer::start().await;
    reqwest::get(server.url("/healthz")).await.expect("serving");
    let base = server.base.clone();
    server.stop().await.expect("clean shutdown");
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "no longer accepting"
    );
}
