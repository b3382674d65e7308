//! The JSON API: tokens, roles, revocation, body errors and the catalog.

use std::path::Path;

use shipshape_store::Role;

use crate::common::TestServer;

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn a_viewer_token_reads_but_cannot_write() {
    let server = TestServer::start().await;
    let token = server.token(Role::Viewer).await;
    let me = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["kind"], "token");
    assert_eq!(me["role"], "viewer");
    let services = client()
        .get(server.url("/api/v1/catalog/services"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(services.status(), 200);
    let create = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "name": "x", "role": "admin" }))
        .send()
        .await
        .expect("post");
    assert_eq!(create.status(), 403);
    let error: serde_json::Value = create.json().await.expect("json");
    assert_eq!(error["code"], "forbidden");
    let list = client()
        .get(server.url("/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(list.status(), 403);
}

#[tokio::test]
async fn an_admin_token_creates_and_revokes_tokens_and_revoked_ones_stop_working() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin).await;
    let created = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "prometheus", "role": "viewer" }))
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("ssk_") && secret.len() >= 40);
    assert_eq!(created["created_by"], "token:Admin test token");
    let id = created["id"].as_i64().expect("id");

    let works = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    assert_eq!(works.status(), 200);
    let listed: serde_json::Value = client()
        .get(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(
        listed
            .as_array()
            .expect("array")
            .iter()
            .any(|t| t["id"] == id)
    );
    assert!(
        !listed.to_string().contains(&secret),
        "listing never shows the secret"
    );

    let revoked = client()
        .delete(server.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(revoked.status(), 204);
    let again = client()
        .delete(server.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), 404);
    let stopped = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    assert_eq!(stopped.status(), 401);

    let actions = server.audit_actions().await;
    assert!(actions.contains(&"token.create".to_owned()));
    assert!(actions.contains(&"token.revoke".to_owned()));
    let audit: serde_json::Value = client()
        .get(server.url("/api/v1/audit"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    assert_eq!(
        audit["entries"][0]["action"], "token.revoke",
        "newest first"
    );
    assert_eq!(audit["entries"][0]["source"], "127.0.0.1");
}

#[tokio::test]
async fn malformed_json_names_the_field_and_wrong_types_are_415() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin).await;
    let bad_role = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": "x", "role": "superuser" }))
        .send()
        .await
        .expect("post");
    assert_eq!(bad_role.status(), 400);
    let error: serde_json::Value = bad_role.json().await.expect("json");
    assert_eq!(error["code"], "bad_request");
    assert!(
        error["message"].as_str().expect("message").contains("role"),
        "{error}"
    );

    let broken = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(r#"{"name": "x", "role": "#)
        .send()
        .await
        .expect("post");
    assert_eq!(broken.status(), 400);
    let error: serde_json::Value = broken.json().await.expect("json");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("line 1"),
        "{error}"
    );

    let text = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .expect("post");
    assert_eq!(text.status(), 415);
    let error: serde_json::Value = text.json().await.expect("json");
    assert_eq!(error["code"], "unsupported_media_type");
}

#[tokio::test]
async fn oversized_bodies_are_413_for_api_and_forms() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin).await;
    let big = "x".repeat(17 * 1024);
    let api = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "name": big, "role": "viewer" }))
        .send()
        .await
        .expect("post");
    assert_eq!(api.status(), 413);
    let error: serde_json::Value = api.json().await.expect("json");
    assert_eq!(error["code"], "payload_too_large");
    let form = client()
        .post(server.url("/login"))
        .form(&[("email", big.as_str()), ("password", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), 413);
}

#[tokio::test]
async fn services_come_from_the_latest_catalog() {
    let server = TestServer::start().await;
    let token = server.token(Role::Viewer).await;
    let empty: serde_json::Value = client()
        .get(server.url("/api/v1/catalog/services"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(empty, serde_json::json!([]));

    let source = r#"
[[service]]
id = "web"
tier = "critical"

[[service.component]]
id = "app"
instances = 2
zones = ["a", "b"]
"#;
    let catalog = shipshape_catalog::parse_str(source, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    server.catalog.send_replace(std::sync::Arc::new(catalog));
    let services: serde_json::Value = client()
        .get(server.url("/api/v1/catalog/services"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(services[0]["id"], "web");
    assert_eq!(services[0]["components"][0]["instances"], 2);
    assert_eq!(
        services[0]["components"][0]["zones"],
        serde_json::json!(["a", "b"])
    );
}
