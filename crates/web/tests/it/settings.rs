//! Settings pages: users matched to catalog people and teams, role changes,
//! the audit log.

use std::path::Path;

use shipshape_store::Role;

use crate::common::TestServer;

const CATALOG: &str = r#"
[[person]]
id = "ada"
name = "Ada Lovelace"
contact = [{ type = "email", to = "ada@example.org" }]

[[team]]
id = "platform"
name = "Platform team"
members = ["ada"]
"#;

#[tokio::test]
async fn users_are_matched_to_catalog_people_and_teams() {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    let server = TestServer::start_with(catalog, |_| {}).await;
    let (admin, _) = server.signed_in("ada@example.org", Role::Admin).await;
    let page = admin
        .get(server.url("/settings/users"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(
        html.contains("Ada Lovelace") && html.contains("Platform team"),
        "{html}"
    );
}

#[tokio::test]
async fn role_changes_are_audited_and_the_last_admin_stays() {
    let server = TestServer::start().await;
    let (admin, csrf) = server.signed_in("root@example.org", Role::Admin).await;
    let other = server.user("eve@example.org", Role::Viewer).await;
    let promote = admin
        .post(server.url(&format!("/settings/users/{}/role", other.id)))
        .form(&[("csrf", csrf.as_str()), ("role", "responder")])
        .send()
        .await
        .expect("post");
    assert_eq!(promote.status(), 303);
    let stored = server
        .store
        .user_by_id(other.id)
        .await
        .expect("get")
        .expect("user");
    assert_eq!(stored.role, Role::Responder);

    let root = server
        .store
        .user_by_email("root@example.org")
        .await
        .expect("get")
        .expect("user");
    let demote = admin
        .post(server.url(&format!("/settings/users/{}/role", root.id)))
        .form(&[("csrf", csrf.as_str()), ("role", "viewer")])
        .send()
        .await
        .expect("post");
    assert_eq!(demote.status(), 409);
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"user.role".to_owned())
    );

    let audit = admin
        .get(server.url("/settings/audit"))
        .send()
        .await
        .expect("get");
    assert_eq!(audit.status(), 200);
    let html = audit.text().await.expect("body");
    assert!(html.contains("user.role") && html.contains("user.login"));
}

#[tokio::test]
async fn launch_reports_missing_tls_files() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = TestServer::start().await;
    let state = server.state();
    let tls = shipshape_web::TlsFiles {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    };
    let error = shipshape_web::launch(state, listener, Some(tls), std::future::pending())
        .await
        .expect_err("missing files fail");
    assert!(
        format!("{error:#}").contains("/nonexistent/cert.pem"),
        "{error:#}"
    );
}

#[tokio::test]
async fn launch_serves_https_from_certificate_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let minted = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("mint");
    let cert_pem = minted.cert.pem();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, &cert_pem).expect("write cert");
    std::fs::write(&key, minted.signing_key.serialize_pem()).expect("write key");

    let server = TestServer::start().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(shipshape_web::launch(
        server.state(),
        listener,
        Some(shipshape_web::TlsFiles { cert, key }),
        async move {
            let _ = stopped.await;
        },
    ));

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client");
    let response = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("https request");
    assert_eq!(response.status(), 200);

    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.map(|r| r.status() != 200).unwrap_or(true),
        "plain HTTP must not be served on the TLS port"
    );

    let _ = stop.send(());
    task.await.expect("join").expect("clean shutdown");
}
