//! Signing in and out: sessions, wrong passwords, rate limits, login CSRF.

use shipshape_store::Role;

use crate::common::{PASSWORD, TestServer, browser};

#[tokio::test]
async fn login_works_and_wrong_password_fails_without_naming_the_account() {
    let server = TestServer::start().await;
    server.user("ada@example.org", Role::Viewer).await;
    let client = browser();

    let wrong = server
        .login(&client, "ada@example.org", "not the password")
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong_page = wrong.text().await.expect("body");
    let unknown = server.login(&client, "nobody@example.org", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let unknown_page = unknown.text().await.expect("body");
    let message = "That email and password do not match an account.";
    assert!(wrong_page.contains(message) && unknown_page.contains(message));
    let me = client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 401);

    let ok = server.login(&client, "ADA@example.org", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/");
    let cookie = ok.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("shipshape_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback relaxes Secure"
    );
    let me: serde_json::Value = client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(me["role"], "viewer");

    let actions = server.audit_actions().await;
    assert!(actions.contains(&"user.login".to_owned()));
    assert_eq!(
        actions.iter().filter(|a| *a == "user.login_failed").count(),
        2
    );
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_per_account() {
    let server = TestServer::start().await;
    server.user("grace@example.org", Role::Viewer).await;
    let client = browser();
    for _ in 0..5 {
        let response = server.login(&client, "grace@example.org", "guess").await;
        assert_eq!(response.status(), 401);
    }
    let limited = server.login(&client, "grace@example.org", PASSWORD).await;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits out the limit"
    );
    assert_eq!(limited.headers()["retry-after"], "900");
    assert!(
        limited
            .text()
            .await
            .expect("body")
            .contains("Too many failed sign-in attempts")
    );

    server.clock.advance(jiff::SignedDuration::from_mins(16));
    let later = server.login(&client, "grace@example.org", PASSWORD).await;
    assert_eq!(later.status(), 303, "the window has passed");
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    let server = TestServer::start().await;
    server.user("ada@example.org", Role::Viewer).await;
    let response = browser()
        .post(server.url("/login"))
        .form(&[
            ("email", "ada@example.org"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn logout_needs_csrf_and_ends_the_session() {
    let server = TestServer::start().await;
    let (client, csrf) = server.signed_in("ada@example.org", Role::Viewer).await;
    let forged = client
        .post(server.url("/logout"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    let out = client
        .post(server.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(out.status(), 303);
    let me = client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 401);
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"user.logout".to_owned())
    );
}
