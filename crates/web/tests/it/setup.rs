//! One-time set-up links: the first admin, and invited users.

use shipshape_store::Role;
use shipshape_web::auth;

use crate::common::{NowTs, PASSWORD, TestServer, browser, hidden_csrf};

#[tokio::test]
async fn setup_link_creates_the_first_admin_and_works_once() {
    let server = TestServer::start().await;
    let token = auth::ensure_setup_link(&server.store, server.clock.now_ts())
        .await
        .expect("ensure")
        .expect("a link on first start");
    assert!(
        auth::ensure_setup_link(&server.store, server.clock.now_ts())
            .await
            .expect("ensure")
            .is_none(),
        "a live link is not replaced"
    );
    let client = browser();
    let path = format!("/setup/{token}");
    let form = client.get(server.url(&path)).send().await.expect("get");
    assert_eq!(form.status(), 200);
    let csrf = hidden_csrf(&form.text().await.expect("body"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", "root@example.org"),
        ("name", "Root"),
        ("password", PASSWORD),
        ("confirm", PASSWORD),
    ];
    let done = client
        .post(server.url(&path))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 303);
    let me: serde_json::Value = client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "root@example.org");
    assert_eq!(me["role"], "admin");

    let again = client
        .post(server.url(&path))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 404, "the link is one-use");
    let reopen = client.get(server.url(&path)).send().await.expect("get");
    assert_eq!(reopen.status(), 404);
    assert!(
        auth::ensure_setup_link(&server.store, server.clock.now_ts())
            .await
            .expect("ensure")
            .is_none(),
        "an admin exists now"
    );
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"user.setup".to_owned())
    );
}

#[tokio::test]
async fn an_invited_user_sets_a_password_and_signs_in() {
    let server = TestServer::start().await;
    let (admin, csrf) = server.signed_in("root@example.org", Role::Admin).await;
    let created = admin
        .post(server.url("/settings/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "new@example.org"),
            ("name", "New"),
            ("role", "responder"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let page = created.text().await.expect("body");
    let start = page.find("/setup/").expect("a set-up link is shown");
    let path: String = page[start..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect();

    let invitee = browser();
    let form = invitee.get(server.url(&path)).send().await.expect("get");
    let form_csrf = hidden_csrf(&form.text().await.expect("body"));
    let short = invitee
        .post(server.url(&path))
        .form(&[
            ("csrf", form_csrf.as_str()),
            ("password", "short"),
            ("confirm", "short"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(short.status(), 400);
    let form_csrf = hidden_csrf(&short.text().await.expect("body"));
    let done = invitee
        .post(server.url(&path))
        .form(&[
            ("csrf", form_csrf.as_str()),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 303);
    let me: serde_json::Value = invitee
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "responder");
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"user.create".to_owned())
    );
}
