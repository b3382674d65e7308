//! Silences: the JSON API (create one-off and recurring silences, list,
//! `?all=true`, expire, validation naming the field, roles, audit) and the
//! page (listing with "active now", the create form with CSRF, problems
//! shown with the input kept, the Expire button, escaping).

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipshape_store::Role;

use crate::common::{NowTs, TestServer, call, hidden_csrf, page};

const EVIL_COMMENT: &str = "<script>alert(1)</script> db migration";

async fn create(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    call(
        server,
        reqwest::Method::POST,
        token,
        "/api/v1/silences",
        Some(body),
    )
    .await
}

async fn list(server: &TestServer, token: &str, path: &str) -> Vec<Value> {
    let (status, body) = call(server, reqwest::Method::GET, token, path, None).await;
    assert_eq!(status, 200, "{body}");
    body["silences"].as_array().expect("silences").clone()
}

fn ts(text: &str) -> Timestamp {
    text.parse().expect("time")
}

#[tokio::test]
async fn the_api_creates_lists_and_expires_silences() {
    let server = TestServer::start().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;
    let now = server.clock.now_ts();
    assert_eq!(now, ts("2026-11-30T09:00:00Z"), "a Monday");

    // Viewers cannot create.
    let (status, error) = create(
        &server,
        &viewer,
        json!({"matchers": "service=api", "duration": "2h", "comment": "deploy"}),
    )
    .await;
    assert_eq!(status, 403, "{error}");

    // A one-off silence starting now, by duration.
    let (status, now_one) = create(
        &server,
        &responder,
        json!({
            "matchers": r#"{service="benefits-api",severity=~"warning|info"}"#,
            "duration": "2h",
            "comment": "deploying 4.2",
        }),
    )
    .await;
    assert_eq!(status, 201, "{now_one}");
    assert_eq!(
        now_one["matchers"], r#"{service="benefits-api", severity=~"warning|info"}"#,
        "stored in canonical form"
    );
    assert_eq!(now_one["starts_at"], "2026-11-30T09:00:00Z");
    assert_eq!(now_one["ends_at"], "2026-11-30T11:00:00Z");
    assert_eq!(now_one["recurrence"], Value::Null);
    assert_eq!(now_one["active"], true);
    assert_eq!(now_one["next_change"], "2026-11-30T11:00:00Z");
    assert_eq!(now_one["created_by"], "token:Responder test token");
    assert_eq!(now_one["created_at"], "2026-11-30T09:00:00Z");
    assert_eq!(now_one["expired_at"], Value::Null);
    assert_eq!(now_one["comment"], "deploying 4.2");

    // A recurring one: Sundays 02:00 in New York is 07:00 UTC in winter.
    let (status, weekly) = create(
        &server,
        &responder,
        json!({
            "matchers": r#"job="backup""#,
            "recurrence": "sundays 02:00-04:00 America/New_York",
            "comment": "weekly backup window",
        }),
    )
    .await;
    assert_eq!(status, 201, "{weekly}");
    assert_eq!(weekly["matchers"], r#"{job="backup"}"#);
    assert_eq!(weekly["recurrence"], "Sun 02:00-04:00 America/New_York");
    assert_eq!(weekly["starts_at"], Value::Null);
    assert_eq!(weekly["active"], false);
    assert_eq!(weekly["next_change"], "2026-12-06T07:00:00Z");

    // An upcoming one with explicit times.
    let (status, later) = create(
        &server,
        &responder,
        json!({
            "matchers": r#"{env="staging"}"#,
            "starts_at": "2026-12-01T10:00:00+01:00",
            "ends_at": "2026-12-01T12:00:00Z",
            "comment": "staging rebuild",
        }),
    )
    .await;
    assert_eq!(status, 201, "{later}");
    assert_eq!(later["starts_at"], "2026-12-01T09:00:00Z");
    assert_eq!(later["active"], false);
    assert_eq!(later["next_change"], "2026-12-01T09:00:00Z");

    // Problems name their field.
    for (body, prefix) in [
        (
            json!({"matchers": r#"{service="api" team="x"}"#, "duration": "1h", "comment": "c"}),
            "`matchers`: column 16: expected ',' or '}'",
        ),
        (
            json!({"matchers": "", "duration": "1h", "comment": "c"}),
            "`matchers`: column 1:",
        ),
        (
            json!({"matchers": r#"{env=~".*"}"#, "duration": "1h", "comment": "c"}),
            "`matchers`: at least one matcher must not match the empty string",
        ),
        (
            json!({"matchers": "a=b", "recurrence": "Sun 02:00-04:00 Mars/Olympus", "comment": "c"}),
            "`recurrence`: unknown time zone",
        ),
        (
            json!({"matchers": "a=b", "recurrence": "daily 02:00-04:00 UTC", "duration": "1h", "comment": "c"}),
            "`recurrence`: give either a recurrence or a one-off window",
        ),
        (
            json!({"matchers": "a=b", "starts_at": "2026-12-01T12:00:00Z", "ends_at": "2026-12-01T11:00:00Z", "comment": "c"}),
            "`ends_at`: the silence must end after it starts",
        ),
        (
            json!({"matchers": "a=b", "starts_at": "2026-11-30T07:00:00Z", "ends_at": "2026-11-30T08:00:00Z", "comment": "c"}),
            "`ends_at`: 2026-11-30 08:00 UTC is in the past",
        ),
        (
            json!({"matchers": "a=b", "comment": "c"}),
            "`ends_at`: required",
        ),
        (
            json!({"matchers": "a=b", "ends_at": "tomorrow", "comment": "c"}),
            "`ends_at`: \"tomorrow\" is not an RFC 3339 time",
        ),
        (
            json!({"matchers": "a=b", "starts_at": "2026-12-01 10:00", "duration": "1h", "comment": "c"}),
            "`starts_at`: ",
        ),
        (
            json!({"matchers": "a=b", "duration": "soon", "comment": "c"}),
            "`duration`: \"soon\" is not a duration",
        ),
        (
            json!({"matchers": "a=b", "duration": "-1h", "comment": "c"}),
            "`duration`: must be longer than zero",
        ),
        (
            json!({"matchers": "a=b", "duration": "1h", "ends_at": "2026-12-01T12:00:00Z", "comment": "c"}),
            "`duration`: give either an end or a duration",
        ),
        (
            json!({"matchers": "a=b", "duration": "1h", "comment": "   "}),
            "`comment`: required",
        ),
        (
            json!({"matchers": "a=b", "duration": "1h"}),
            "`comment`: required",
        ),
    ] {
        let (status, error) = create(&server, &responder, body.clone()).await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["message"].as_str().expect("message");
        assert!(message.starts_with(prefix), "{body}: {message}");
    }
    let (status, error) = create(
        &server,
        &responder,
        json!({"matchers": "a=b", "duration": "1h", "comment": "c", "endsAt": "x"}),
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused: {error}");

    // Listing: viewers may read.
    let current = list(&server, &viewer, "/api/v1/silences").await;
    let ids: Vec<i64> = current.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    let (a, b, c) = (
        now_one["id"].as_i64().unwrap(),
        weekly["id"].as_i64().unwrap(),
        later["id"].as_i64().unwrap(),
    );
    assert_eq!(ids, vec![a, b, c]);

    // Expiring.
    let path = |id: i64| format!("/api/v1/silences/{id}");
    let (status, _) = call(&server, reqwest::Method::DELETE, &viewer, &path(b), None).await;
    assert_eq!(status, 403, "viewers cannot expire");
    let (status, body) = call(&server, reqwest::Method::DELETE, &responder, &path(b), None).await;
    assert_eq!(status, 204, "{body}");
    let (status, error) = call(&server, reqwest::Method::DELETE, &responder, &path(b), None).await;
    assert_eq!(status, 409, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already expired at 2026-11-30 09:00 UTC"),
        "{error}"
    );
    let (status, _) = call(
        &server,
        reqwest::Method::DELETE,
        &responder,
        "/api/v1/silences/9999",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let current = list(&server, &viewer, "/api/v1/silences").await;
    assert_eq!(current.len(), 2);
    let all = list(&server, &viewer, "/api/v1/silences?all=true").await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["id"], c, "newest first");
    let expired = all.iter().find(|s| s["id"] == b).expect("expired one");
    assert_eq!(expired["expired_at"], "2026-11-30T09:00:00Z");
    assert_eq!(expired["active"], false);
    assert_eq!(expired["next_change"], Value::Null);

    // Once its window ends, a one-off silence is over.
    server.clock.advance(SignedDuration::from_hours(3));
    let current = list(&server, &viewer, "/api/v1/silences").await;
    assert_eq!(
        current
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![c]
    );
    let (status, error) = call(&server, reqwest::Method::DELETE, &responder, &path(a), None).await;
    assert_eq!(status, 409, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already ended at 2026-11-30 11:00 UTC")
    );
    // The engine's view is the store's.
    let standing = server
        .store
        .silences(server.clock.now_ts())
        .await
        .expect("silences");
    assert_eq!(standing.len(), 1);

    let actions = server.audit_actions().await;
    assert_eq!(
        actions.iter().filter(|a| *a == "silence.create").count(),
        3,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "silence.expire").count(),
        1,
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_page_lists_silences_and_responders_create_and_expire_them() {
    let server = TestServer::start().await;
    let (viewer, viewer_csrf) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (status, html) = page(&viewer, &server, "/silences").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"aria-current="page">Silences"#), "nav");
    assert!(html.contains("No silences stand now"));
    assert!(!html.contains("New silence"), "viewers get no form");
    let refused = viewer
        .post(server.url("/silences"))
        .form(&[
            ("csrf", viewer_csrf.as_str()),
            ("matchers", "a=b"),
            ("recurrence", "daily 02:00-04:00 UTC"),
            ("comment", "c"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403, "viewers cannot create");

    let (responder, _) = server
        .signed_in("responder@example.org", Role::Responder)
        .await;
    let (_, html) = page(&responder, &server, "/silences").await;
    assert!(html.contains("New silence"));
    assert!(html.contains("read in UTC unless you name a time zone"));
    let csrf = hidden_csrf(&html);

    // Without the CSRF token: refused.
    let refused = responder
        .post(server.url("/silences"))
        .form(&[
            ("matchers", "a=b"),
            ("ends", "2026-11-30T12:00"),
            ("comment", "c"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    assert!(server.store.all_silences(10).await.unwrap().is_empty());

    // A one-off silence from the form: datetime-local values in UTC.
    let created = responder
        .post(server.url("/silences"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("matchers", r#"{service="benefits-api"}"#),
            ("starts", "2026-11-30T08:30"),
            ("ends", "2026-11-30T12:00"),
            ("zone", ""),
            ("recurrence", ""),
            ("comment", EVIL_COMMENT),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 303);
    assert_eq!(created.headers()["location"], "/silences?flash=created");
    // A recurring one, in a named zone's wall clock.
    let weekly = responder
        .post(server.url("/silences"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("matchers", r#"job="backup""#),
            ("starts", ""),
            ("ends", ""),
            ("recurrence", "Sun 02:00-04:00 America/New_York"),
            ("comment", "weekly backups"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(weekly.status(), 303);
    // A one-off one with a zone for its times.
    let zoned = responder
        .post(server.url("/silences"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("matchers", r#"env="staging""#),
            ("starts", "2026-12-01T10:00"),
            ("ends", "2026-12-01T12:00"),
            ("zone", "Europe/Berlin"),
            ("comment", "rebuild"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(zoned.status(), 303);

    let stored = server.store.all_silences(10).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].created_by, "responder@example.org");
    assert_eq!(
        stored[0].window,
        shipshape_store::SilenceWindow::Once {
            starts: ts("2026-12-01T09:00:00Z"),
            ends: ts("2026-12-01T11:00:00Z"),
        }
    );
    assert_eq!(
        stored[2].window,
        shipshape_store::SilenceWindow::Once {
            starts: ts("2026-11-30T08:30:00Z"),
            ends: ts("2026-11-30T12:00:00Z"),
        }
    );

    let (status, html) = page(&responder, &server, "/silences?flash=created").await;
    assert_eq!(status, 200);
    assert!(html.contains("Silence created"));
    assert!(!html.contains("<script>alert"), "comments are escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; db migration"));
    for text in [
        "● Active now",
        "○ Not active now",
        "{service=&quot;benefits-api&quot;}",
        "from 2026-11-30 08:30 UTC",
        "until 2026-11-30 12:00 UTC",
        "Recurring: <code>Sun 02:00-04:00 America/New_York</code>",
        "next starts 2026-12-06 07:00 UTC",
        "by responder@example.org",
        "Expire</button>",
    ] {
        assert!(html.contains(text), "{text}");
    }
    let active = html.find("● Active now").expect("active");
    let upcoming = html.find("○ Not active now").expect("upcoming");
    assert!(active < upcoming, "active ones first");

    // Viewers see the list without buttons.
    let (_, html) = page(&viewer, &server, "/silences").await;
    assert!(html.contains("● Active now") && !html.contains("Expire</button>"));

    // Problems are shown on the form, with the input kept.
    for (form, expected) in [
        (
            vec![
                ("matchers", r#"{service="api" team="x"}"#),
                ("ends", "2026-11-30T12:00"),
                ("comment", "kept comment"),
            ],
            "Matchers: column 16: expected",
        ),
        (
            vec![
                ("matchers", r#"{env=~".*"}"#),
                ("ends", "2026-11-30T12:00"),
                ("comment", "kept comment"),
            ],
            "this silence would match every alert",
        ),
        (
            vec![
                ("matchers", "a=b"),
                ("starts", "2026-11-30T12:00"),
                ("ends", "2026-11-30T11:00"),
                ("comment", "kept comment"),
            ],
            "Until: the silence must end after it starts",
        ),
        (
            vec![
                ("matchers", "a=b"),
                ("recurrence", "Sun 02:00-04:00 Mars/Olympus"),
                ("comment", "kept comment"),
            ],
            "Recurrence: unknown time zone",
        ),
        (
            vec![
                ("matchers", "a=b"),
                ("ends", "2026-11-30T12:00"),
                ("zone", "Mars/Olympus"),
                ("comment", "kept comment"),
            ],
            "Time zone: unknown time zone",
        ),
        (
            vec![
                ("matchers", "a=b"),
                ("ends", "2026-11-30T12:00"),
                ("comment", ""),
            ],
            "Comment: required",
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form.iter().copied());
        let response = responder
            .post(server.url("/silences"))
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400, "{form:?}");
        let html = response.text().await.expect("body");
        assert!(html.contains("The silence was not created."), "{form:?}");
        assert!(html.contains(expected), "{expected}: {html}");
        let matchers = form[0].1.replace('"', "&quot;");
        assert!(
            html.contains(&format!(r#"value="{matchers}""#)),
            "matchers kept: {matchers}"
        );
        if form.iter().any(|(_, v)| *v == "kept comment") {
            assert!(html.contains(">kept comment</textarea>"), "comment kept");
        }
    }
    assert_eq!(server.store.all_silences(10).await.unwrap().len(), 3);

    // Expire from the page.
    let id = stored[2].id;
    let expired = responder
        .post(server.url(&format!("/silences/{id}/expire")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(expired.status(), 303);
    assert_eq!(expired.headers()["location"], "/silences?flash=expired");
    let again = responder
        .post(server.url(&format!("/silences/{id}/expire")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(again.headers()["location"], "/silences?flash=already");
    let (_, html) = page(&responder, &server, "/silences?flash=expired").await;
    assert!(html.contains("Silence expired"));
    assert!(!html.contains("● Active now"));
    let past = html.find("Recently ended or expired").expect("history");
    let row = html
        .find("&lt;script&gt;alert(1)")
        .expect("the expired one");
    assert!(row > past, "listed under history");
    assert!(html.contains("✕ Expired"));
    let missing = responder
        .post(server.url("/silences/9999/expire"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 404);

    let actions = server.audit_actions().await;
    assert!(actions.iter().any(|a| a == "silence.create"));
    assert!(actions.iter().any(|a| a == "silence.expire"));
}
