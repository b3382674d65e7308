//! Access control: every route in the table refuses anonymous callers unless
//! its class is public, CSRF is enforced on form posts, and roles are checked.

use reqwest::Method;
use shipshape_store::Role;
use shipshape_web::{Access, route_table};

use crate::common::{TestServer, browser};

/// A concrete path for a template: every `{param}` becomes `1`.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn anonymous_requests_to_every_protected_route_are_refused() {
    let server = TestServer::start().await;
    let client = browser();
    let table = route_table();
    assert!(table.len() >= 20, "the table lists every route");
    let mut checked = 0;
    for route in table.iter().filter(|route| !route.is_public(false)) {
        let method = Method::from_bytes(route.method.as_str().as_bytes()).expect("method");
        let path = concrete(route.path);
        let response = client
            .request(method, server.url(&path))
            .send()
            .await
            .expect("request");
        let what = format!("{} {}", route.method, route.path);
        if route.is_api() {
            assert_eq!(response.status(), 401, "{what}");
            let body: serde_json::Value = response.json().await.expect("json error body");
            assert_eq!(body["code"], "unauthenticated", "{what}");
        } else {
            assert_eq!(response.status(), 303, "{what}");
            let location = response.headers()["location"].to_str().expect("location");
            assert!(location.starts_with("/login?next="), "{what}: {location}");
        }
        checked += 1;
    }
    assert!(checked >= 15, "protected routes were walked");
}

#[tokio::test]
async fn route_table_classes_are_as_documented() {
    let table = route_table();
    let class = |method: &str, path: &str| {
        table
            .iter()
            .find(|route| route.method.as_str() == method && route.path == path)
            .map(|route| route.access)
            .unwrap_or_else(|| panic!("{method} {path} is registered"))
    };
    assert_eq!(class("GET", "/healthz"), Access::Public);
    assert_eq!(class("POST", "/login"), Access::Public);
    assert_eq!(class("GET", "/setup/{token}"), Access::Capability);
    assert_eq!(class("GET", "/metrics"), Access::Metrics);
    assert_eq!(class("GET", "/api/v1/me"), Access::Role(Role::Viewer));
    assert_eq!(class("POST", "/api/v1/tokens"), Access::Role(Role::Admin));
    assert_eq!(
        class("DELETE", "/api/v1/tokens/{id}"),
        Access::Role(Role::Admin)
    );
    assert_eq!(class("GET", "/settings/audit"), Access::Role(Role::Admin));
    assert_eq!(class("GET", "/oncall"), Access::Role(Role::Viewer));
    assert_eq!(class("GET", "/readiness"), Access::Role(Role::Viewer));
    assert_eq!(
        class("GET", "/services/{service}/readiness"),
        Access::Role(Role::Viewer)
    );
    assert_eq!(
        class("POST", "/services/{service}/readiness/attestations"),
        Access::Role(Role::Responder)
    );
    assert_eq!(
        class("POST", "/api/v1/readiness/{service}/attestations"),
        Access::Role(Role::Responder)
    );
    assert_eq!(
        class("DELETE", "/api/v1/readiness/{service}/attestations/{id}"),
        Access::Role(Role::Responder)
    );
    assert_eq!(
        class("GET", "/api/v1/people/{id}/calendar.ics"),
        Access::Role(Role::Viewer)
    );
}

#[tokio::test]
async fn unknown_paths_are_404_as_page_or_json() {
    let server = TestServer::start().await;
    let client = browser();
    let page = client
        .get(server.url("/no/such/page"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    let api = client
        .get(server.url("/api/v1/nothing"))
        .send()
        .await
        .expect("get");
    assert_eq!(api.status(), 404);
    let body: serde_json::Value = api.json().await.expect("json");
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn form_posts_need_the_session_csrf_token() {
    let server = TestServer::start().await;
    let (client, csrf) = server.signed_in("root@example.org", Role::Admin).await;
    let missing = client
        .post(server.url("/settings/tokens"))
        .form(&[("name", "ci"), ("role", "viewer")])
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 403);
    assert!(
        missing
            .text()
            .await
            .expect("body")
            .contains("security token")
    );
    let wrong = client
        .post(server.url("/settings/tokens"))
        .form(&[("name", "ci"), ("role", "viewer"), ("csrf", "wrong")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 403);
    let right = client
        .post(server.url("/settings/tokens"))
        .form(&[("name", "ci"), ("role", "viewer"), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(right.status(), 200);
    assert!(
        right.text().await.expect("body").contains("ssk_"),
        "the new token is shown once"
    );
}

#[tokio::test]
async fn cookie_api_writes_need_the_csrf_header() {
    let server = TestServer::start().await;
    let (client, csrf) = server.signed_in("root@example.org", Role::Admin).await;
    let body = serde_json::json!({ "name": "deploys", "role": "responder" });
    let without = client
        .post(server.url("/api/v1/tokens"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(without.status(), 403);
    let error: serde_json::Value = without.json().await.expect("json");
    assert_eq!(error["code"], "csrf_failed");
    let with = client
        .post(server.url("/api/v1/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(with.status(), 201);
}

#[tokio::test]
async fn a_viewer_session_cannot_reach_admin_pages() {
    let server = TestServer::start().await;
    let (client, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let monitors = client
        .get(server.url("/monitors"))
        .send()
        .await
        .expect("get");
    assert_eq!(monitors.status(), 200);
    let page = monitors.text().await.expect("body");
    assert!(page.contains("No monitors yet") && page.contains("[[service.monitor]]"));
    assert!(
        !page.contains(r#"href="/settings""#),
        "settings are not offered to viewers"
    );
    let settings = client
        .get(server.url("/settings/tokens"))
        .send()
        .await
        .expect("get");
    assert_eq!(settings.status(), 403);
}
