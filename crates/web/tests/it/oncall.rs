//! On-call: the `/oncall` page (who is on call, override notes, gaps,
//! `?at=`), the schedules API (shifts, gaps, 400s and 404s) and the
//! iCalendar feeds, over the sketch's schedule with a fixed clock.

use std::path::Path;

use jiff::Timestamp;
use serde_json::Value;
use shipshape_store::Role;

use crate::common::{TestServer, browser};

const CATALOG: &str = r#"
[[person]]
id = "alice"
name = "Alice Rivera"

[[person]]
id = "bob"
name = "Bob <b>Chen</b>"

[[schedule]]
id = "benefits-primary"
name = "Benefits primary"
timezone = "America/New_York"
rotation = { members = ["alice", "bob"], every = "1w", handoff = "monday 09:00", start = "2026-11-30" }
overrides = [
  { person = "bob", from = "2026-12-21", until = "2027-01-04", note = "Alice on leave" },
]
"#;

/// Tuesday after the first handoff: Alice's first turn.
const NOW: &str = "2026-12-01T12:00:00Z";

async fn server() -> TestServer {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    let server = TestServer::start_with(catalog, |_| {}).await;
    server.clock.set(NOW.parse::<Timestamp>().expect("time"));
    server
}

async fn get_json(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let response = browser()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn the_page_shows_who_is_on_call_overrides_and_gaps() {
    let server = server().await;
    let (client, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let page = |path: &'static str| {
        let client = client.clone();
        let url = server.url(path);
        async move {
            let response = client.get(url).send().await.expect("get");
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.expect("body")
        }
    };
    let now = page("/oncall").await;
    assert!(
        now.contains("On call: <strong>Alice Rivera</strong>"),
        "{now}"
    );
    assert!(now.contains("Mon 2026-11-30 09:00 EST"), "since, local");
    assert!(now.contains("2026-11-30 14:00 UTC") || now.contains("2026-12-07 14:00 UTC"));
    assert!(
        now.contains("Bob &lt;b&gt;Chen&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(!now.contains("<b>Chen</b>"));
    assert!(
        now.contains("override: Alice on leave"),
        "upcoming override"
    );
    assert!(!now.contains("Gaps: nobody is on call"));

    let leave = page("/oncall?at=2026-12-22T15:00:00Z").await;
    assert!(leave.contains("On call: <strong>Bob &lt;b&gt;Chen&lt;/b&gt;</strong>"));
    assert!(leave.contains("override: Alice on leave"));
    assert!(leave.contains("as of 2026-12-22 15:00 UTC"));

    let before = page("/oncall?at=2026-11-30T00:00:00Z").await;
    assert!(before.contains("Nobody is on call."));
    assert!(before.contains("Gaps: nobody is on call"));
    assert!(before.contains("2026-11-30 00:00 UTC – 2026-11-30 14:00 UTC"));

    let bad = page("/oncall?at=yesterday").await;
    assert!(bad.contains("`at` must be an RFC 3339 timestamp"), "{bad}");
    assert!(bad.contains("Showing now."));
    assert!(bad.contains("On call: <strong>Alice Rivera</strong>"));
}

#[tokio::test]
async fn the_page_explains_how_to_add_a_schedule() {
    let server = TestServer::start().await;
    let (client, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let page = client
        .get(server.url("/oncall"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("No on-call schedules yet"));
    assert!(page.contains("[[schedule]]") && page.contains("overrides = ["));
}

#[tokio::test]
async fn the_api_lists_schedules_shifts_and_gaps() {
    let server = server().await;
    let token = server.token(Role::Viewer).await;

    let (status, list) = get_json(&server, &token, "/api/v1/schedules").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["id"], "benefits-primary");
    assert_eq!(list[0]["timezone"], "America/New_York");
    assert_eq!(list[0]["on_call"]["person"], "alice");
    assert_eq!(list[0]["on_call"]["start"], "2026-11-30T14:00:00Z");
    assert_eq!(list[0]["gaps"], serde_json::json!([]));

    let (status, detail) =
        get_json(&server, &token, "/api/v1/schedules/benefits-primary/oncall").await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["from"], NOW);
    assert_eq!(detail["to"], "2026-12-29T12:00:00Z");
    let shifts: Vec<(String, String, String, String)> = detail["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["person"].as_str().expect("person").to_owned(),
                s["start"].as_str().expect("start").to_owned(),
                s["end"].as_str().expect("end").to_owned(),
                s["source"].as_str().expect("source").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("alice", NOW, "2026-12-07T14:00:00Z", "layer"),
        (
            "bob",
            "2026-12-07T14:00:00Z",
            "2026-12-14T14:00:00Z",
            "layer",
        ),
        (
            "alice",
            "2026-12-14T14:00:00Z",
            "2026-12-21T05:00:00Z",
            "layer",
        ),
        (
            "bob",
            "2026-12-21T05:00:00Z",
            "2026-12-29T12:00:00Z",
            "override",
        ),
    ];
    assert_eq!(shifts.len(), expected.len(), "{shifts:?}");
    for (got, want) in shifts.iter().zip(expected) {
        assert_eq!(
            (
                got.0.as_str(),
                got.1.as_str(),
                got.2.as_str(),
                got.3.as_str()
            ),
            want
        );
    }
    assert_eq!(detail["shifts"][3]["note"], "Alice on leave");
    assert!(detail.get("truncated_at").is_none());

    let (status, early) = get_json(
        &server,
        &token,
        "/api/v1/schedules/benefits-primary/oncall?at=2026-12-22T15:00:00Z&from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z",
    )
    .await;
    assert_eq!(status, 200, "{early}");
    assert_eq!(early["on_call"]["person"], "bob");
    assert_eq!(early["on_call"]["note"], "Alice on leave");
    assert_eq!(
        early["gaps"],
        serde_json::json!([{ "start": "2026-11-30T00:00:00Z", "end": "2026-11-30T14:00:00Z" }])
    );

    let (status, long) = get_json(
        &server,
        &token,
        "/api/v1/schedules/benefits-primary/oncall?from=2026-12-01T00:00:00Z&to=2030-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(status, 200);
    assert!(long["truncated_at"].is_string(), "{}", long["truncated_at"]);
}

#[tokio::test]
async fn the_api_refuses_bad_ranges_and_unknown_schedules() {
    let server = server().await;
    let token = server.token(Role::Viewer).await;
    let base = "/api/v1/schedules/benefits-primary/oncall";
    for (query, name) in [
        ("?at=soon", "`at`"),
        ("?from=2026-13-01", "`from`"),
        ("?to=tomorrow", "`to`"),
        (
            "?from=2026-12-10T00:00:00Z&to=2026-12-01T00:00:00Z",
            "`from`",
        ),
    ] {
        let (status, body) = get_json(&server, &token, &format!("{base}{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["code"], "bad_request", "{query}");
        assert!(
            body["message"].as_str().expect("message").contains(name),
            "{query}: {body}"
        );
    }
    for path in [
        "/api/v1/schedules/nope/oncall",
        "/api/v1/schedules/nope/calendar.ics",
        "/api/v1/people/nobody/calendar.ics",
    ] {
        let (status, body) = get_json(&server, &token, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn calendars_have_one_event_per_shift_and_need_a_token() {
    let server = server().await;
    let token = server.token(Role::Viewer).await;
    let client = browser();
    let (_, detail) = get_json(
        &server,
        &token,
        "/api/v1/schedules/benefits-primary/oncall?from=2026-11-24T12:00:00Z&to=2027-01-26T12:00:00Z",
    )
    .await;
    let shifts = detail["shifts"].as_array().expect("shifts").len();
    let alice_shifts = detail["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .filter(|s| s["person"] == "alice")
        .count();
    assert!(shifts > 4 && alice_shifts > 1);

    for (path, events) in [
        ("/api/v1/schedules/benefits-primary/calendar.ics", shifts),
        ("/api/v1/people/alice/calendar.ics", alice_shifts),
    ] {
        let response = client
            .get(server.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/calendar; charset=utf-8"
        );
        let body = response.text().await.expect("body");
        assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
        assert!(body.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(body.matches("BEGIN:VEVENT\r\n").count(), events, "{path}");
        assert_eq!(body.matches("END:VEVENT\r\n").count(), events, "{path}");
        assert_eq!(body.matches("BEGIN:VCALENDAR").count(), 1);
        assert!(body.contains("DTSTART:20261130T140000Z"), "{path}");

        let anonymous = client.get(server.url(path)).send().await.expect("get");
        assert_eq!(anonymous.status(), 401, "{path}");
    }
    let anonymous = client
        .get(server.url("/api/v1/schedules"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    let page = client.get(server.url("/oncall")).send().await.expect("get");
    assert_eq!(page.status(), 303);
}
