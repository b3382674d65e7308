//! Readiness: the list and service pages over stored reports (summary,
//! items by practice, findings, fixes, escaping, 404), the history chart,
//! attesting and revoking through the form (roles, CSRF, audit) and the
//! JSON API (reports, history, attestations, 400s naming the field).

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use shipshape_readiness::review::builtin_items;
use shipshape_readiness::{Attestation, Finding, Inputs, Mode, Report};
use shipshape_store::{NewReadinessRun, Role};

use crate::common::{NowTs, TestServer, call, hidden_csrf, message, page};

const CATALOG: &str = r#"
[[service]]
id = "api"
name = "API"

[[service]]
id = "web"
name = "Web <b>site</b>"
"#;

/// A failure reason and a detail line that must come out escaped.
const EVIL_REASON: &str = "<script>alert(1)</script> no replica";
const EVIL_DETAIL: &str = "main.tf:3: <img src=x onerror=alert(1)>";

async fn server() -> TestServer {
    let catalog = shipshape_catalog::parse_str(CATALOG, Path::new("/etc/shipshape.toml"))
        .expect("catalog parses");
    TestServer::start_with(catalog, |_| {}).await
}

/// A review of `service` at `at`: one must-have failing (with hostile
/// text), one item passing, one n/a, one attested, plus `extra` findings.
fn report(service: &str, at: Timestamp, extra: Vec<Finding>) -> Report {
    let mut findings = vec![
        Finding::fail("backups.redundant-storage", "repo.iac", EVIL_REASON)
            .about("terraform/main.tf")
            .with_details([EVIL_DETAIL.to_owned()]),
        Finding::pass(
            "deployment.one-command",
            "repo.deploy",
            "Makefile has a `deploy` target",
        ),
    ];
    findings.extend(extra);
    Report::build(Inputs {
        service: service.to_owned(),
        service_name: service.to_uppercase(),
        at,
        today: date(2026, 11, 30),
        mode: Mode::Full,
        items: builtin_items(),
        findings,
        attestations: vec![Attestation {
            item: "security.launch-review".into(),
            by: "Grace".into(),
            on: date(2026, 11, 1),
            link: Some("javascript:alert(1)".into()),
            expires: None,
            note: None,
        }],
        not_applicable: BTreeMap::from([(
            "resilience.multi-zone".to_owned(),
            "single zone by design".to_owned(),
        )]),
    })
}

/// Stores `report` as the binary would.
async fn store(server: &TestServer, report: &Report) {
    let satisfied: usize = report.practices.iter().map(|p| p.satisfied).sum();
    let applicable: usize = report.practices.iter().map(|p| p.applicable).sum();
    server
        .store
        .record_readiness_run(&NewReadinessRun {
            service: report.service.clone(),
            ran_at: report.generated_at,
            mode: "full".into(),
            satisfied: satisfied as i64,
            applicable: applicable as i64,
            blocking: report.summary.blocking as i64,
            fail: report.summary.fail as i64,
            unknown: report.summary.unknown as i64,
            scores: serde_json::to_string(&report.practices).expect("scores"),
            report: serde_json::to_string(report).expect("report"),
        })
        .await
        .expect("store run");
}

fn ago(server: &TestServer, days: i64) -> Timestamp {
    server
        .clock
        .now_ts()
        .checked_sub(SignedDuration::from_hours(24 * days))
        .expect("time")
}

#[tokio::test]
async fn the_pages_render_a_stored_report_escaped() {
    let server = server().await;
    let (client, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let review = report("api", ago(&server, 1), vec![]);
    store(&server, &review).await;

    let (status, list) = page(&client, &server, "/readiness").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(r#"href="/services/api/readiness""#), "{list}");
    let satisfied: usize = review.practices.iter().map(|p| p.satisfied).sum();
    let applicable: usize = review.practices.iter().map(|p| p.applicable).sum();
    assert!(
        list.contains(&format!("{satisfied} of {applicable}")),
        "{list}"
    );
    assert!(list.contains("Not reviewed yet."), "web has no review");
    assert!(
        list.contains("Web &lt;b&gt;site&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(list.contains(r#"aria-current="page""#) && list.contains(">Readiness<"));

    let (status, html) = page(&client, &server, "/services/api/readiness").await;
    assert_eq!(status, 200, "{html}");
    let s = &review.summary;
    assert!(
        html.contains(&format!("{} pass", s.pass))
            && html.contains(&format!("{} fail", s.fail))
            && html.contains(&format!("{} unknown", s.unknown))
            && html.contains(&format!("{} attested", s.attested))
            && html.contains(&format!("{} n/a", s.not_applicable)),
        "summary counts"
    );
    assert!(html.contains("must-have(s) block the launch"));
    assert!(html.contains(r##"href="#item-backups.redundant-storage""##));
    assert!(html.contains(r#"class="item blocking" id="item-backups.redundant-storage""#));
    // Verdicts as words, grouped by practice.
    for text in [
        "✕ Fail",
        "✓ Pass",
        "? Unknown",
        "✎ Attested",
        "– Not applicable",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(html.contains(r#"id="practice-backups""#) && html.contains(">must-have<"));
    assert!(html.contains("Why it does not apply: single zone by design"));
    assert!(html.contains("Makefile has a `deploy` target"));
    // The fix of a failing item is shown.
    let fix = shipshape_readiness::item("backups.redundant-storage")
        .expect("item")
        .fix;
    let fix_escaped = fix
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(html.contains(&fix_escaped), "fix shown");
    // Hostile text is escaped; a non-http link is not a link.
    assert!(!html.contains("<script>alert(1)"), "reason escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; no replica"));
    assert!(!html.contains("<img src=x"), "details escaped");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains(r#"href="javascript:"#));
    assert!(html.contains("javascript:alert(1)"), "shown as text");
    // Viewers see no forms.
    assert!(!html.contains("Record attestation") && !html.contains("Re-run review"));

    let (status, missing) = page(&client, &server, "/services/nope/readiness").await;
    assert_eq!(status, 404);
    assert!(missing.contains("no service `nope`"), "{missing}");

    let (status, none) = page(&client, &server, "/services/web/readiness").await;
    assert_eq!(status, 200);
    assert!(none.contains("Not reviewed yet"));
}

#[tokio::test]
async fn the_history_chart_appears_after_two_runs() {
    let server = server().await;
    let (client, _) = server.signed_in("viewer@example.org", Role::Viewer).await;
    store(&server, &report("api", ago(&server, 3), vec![])).await;
    let (_, html) = page(&client, &server, "/services/api/readiness").await;
    assert!(html.contains("The history appears after two reviews"));
    assert!(!html.contains(r#"<svg class="score-step""#));

    let fixed = report(
        "api",
        ago(&server, 1),
        vec![Finding::pass(
            "scalability.two-instances-minimum",
            "catalog.instances",
            "2 instances",
        )],
    );
    store(&server, &fixed).await;
    // Older than 90 days: not charted.
    store(&server, &report("api", ago(&server, 200), vec![])).await;
    let (_, html) = page(&client, &server, "/services/api/readiness").await;
    assert!(html.contains(r#"<svg class="score-step""#), "{html}");
    assert!(html.contains("Every review as a table (2)"));
    assert!(html.contains(">Overall<") && html.contains(">Scalability<"));
    let scalability = shipshape_readiness::Practice::Scalability.items().count();
    assert!(
        html.contains(&format!(
            "Scalability: 0 of {scalability} (0%) on 2026-11-27, now 1 of {scalability}"
        )),
        "accessible name: {html}"
    );
}

#[tokio::test]
async fn attesting_through_the_form_needs_a_responder_and_csrf() {
    let server = server().await;
    store(&server, &report("api", ago(&server, 1), vec![])).await;
    let (viewer, viewer_csrf) = server.signed_in("viewer@example.org", Role::Viewer).await;
    let (responder, csrf) = server.signed_in("ada@example.org", Role::Responder).await;
    let form = |csrf: &str| {
        vec![
            ("item", "logs.durable-before-rotation".to_owned()),
            ("by", String::new()),
            ("on", "2026-11-29".to_owned()),
            ("link", "https://wiki.example.org/logs".to_owned()),
            ("expires", "2027-05-29".to_owned()),
            ("note", "<b>shipped</b> to the archive".to_owned()),
            ("csrf", csrf.to_owned()),
        ]
    };
    let path = server.url("/services/api/readiness/attestations");

    let denied = viewer
        .post(&path)
        .form(&form(&viewer_csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(denied.status(), 403, "viewers cannot attest");

    let (_, html) = page(&responder, &server, "/services/api/readiness").await;
    assert!(html.contains("Record attestation") && html.contains("Re-run review"));
    assert!(
        html.contains(r#"value="logs.durable-before-rotation""#),
        "offered"
    );
    assert!(
        html.contains(r#"name="by" value="ada""#),
        "defaults to the user's name"
    );
    assert!(
        html.contains(r#"name="on" value="2026-11-30""#),
        "defaults to today"
    );
    assert_eq!(hidden_csrf(&html), csrf);

    let no_csrf: Vec<(&str, String)> = form("").into_iter().filter(|(k, _)| *k != "csrf").collect();
    let missing = responder
        .post(&path)
        .form(&no_csrf)
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 403, "CSRF is required");
    let wrong = responder
        .post(&path)
        .form(&form("wrong"))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 403);

    // A problem is shown on the form, with the input kept.
    let mut bad = form(&csrf);
    bad[4].1 = "2026-11-01".into();
    let shown = responder.post(&path).form(&bad).send().await.expect("post");
    assert_eq!(shown.status(), 400);
    let body = shown.text().await.expect("body");
    assert!(
        body.contains("The attestation was not recorded. Expires:"),
        "{body}"
    );
    assert!(body.contains("https://wiki.example.org/logs"), "input kept");

    let ok = responder
        .post(&path)
        .form(&form(&csrf))
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status(), 303);
    assert_eq!(
        ok.headers()["location"],
        "/services/api/readiness?flash=attested"
    );
    let (_, html) = page(
        &responder,
        &server,
        "/services/api/readiness?flash=attested",
    )
    .await;
    assert!(html.contains("Attestation recorded"));
    assert!(html.contains(r#"<a href="https://wiki.example.org/logs""#));
    assert!(html.contains("&lt;b&gt;shipped&lt;/b&gt; to the archive"));
    assert!(html.contains("2027-05-29"));
    let stored = server
        .store
        .attestations("api")
        .await
        .expect("attestations");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].attested_by, "ada");
    assert_eq!(stored[0].recorded_by, "ada@example.org");
    assert_eq!(stored[0].attested_on, date(2026, 11, 29));
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"readiness.attest".to_owned())
    );

    // Viewers see it without a Revoke button; responders revoke it.
    let (_, seen) = page(&viewer, &server, "/services/api/readiness").await;
    assert!(seen.contains("attestation-") && !seen.contains(">Revoke<"));
    let revoke = server.url(&format!(
        "/services/api/readiness/attestations/{}/revoke",
        stored[0].id
    ));
    let done = responder
        .post(&revoke)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()["location"],
        "/services/api/readiness?flash=revoked"
    );
    let again = responder
        .post(&revoke)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(
        again.headers()["location"],
        "/services/api/readiness?flash=gone"
    );
    assert!(
        server
            .store
            .attestations("api")
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        server
            .audit_actions()
            .await
            .contains(&"readiness.revoke".to_owned())
    );

    // Re-run: no runner in this test server, so it says so.
    let run = responder
        .post(server.url("/services/api/readiness/run"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(run.status(), 303);
    assert_eq!(
        run.headers()["location"],
        "/services/api/readiness?flash=no-runner"
    );
    let viewer_run = viewer
        .post(server.url("/services/api/readiness/run"))
        .form(&[("csrf", viewer_csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(viewer_run.status(), 403);
}

#[tokio::test]
async fn the_api_serves_reports_history_and_attestations() {
    let server = server().await;
    let viewer = server.token(Role::Viewer).await;
    let responder = server.token(Role::Responder).await;

    let (status, body) = call(&server, Method::GET, &viewer, "/api/v1/readiness/api", None).await;
    assert_eq!(status, 404, "{body}");
    assert!(message(&body).contains("not been reviewed"));
    let (status, _) = call(
        &server,
        Method::GET,
        &viewer,
        "/api/v1/readiness/nope",
        None,
    )
    .await;
    assert_eq!(status, 404);

    store(&server, &report("api", ago(&server, 2), vec![])).await;
    store(&server, &report("api", ago(&server, 1), vec![])).await;
    let (status, body) = call(&server, Method::GET, &viewer, "/api/v1/readiness/api", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["schema"], "shipshape.readiness/v1");
    let parsed: Report = serde_json::from_value(body).expect("a report");
    assert_eq!(parsed.generated_at, ago(&server, 1));

    let (status, list) = call(&server, Method::GET, &viewer, "/api/v1/readiness", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["services"][0]["service"], "api");
    assert_eq!(list["services"][0]["reviewed"], true);
    assert_eq!(list["services"][1]["service"], "web");
    assert_eq!(list["services"][1]["reviewed"], false);
    assert_eq!(list["services"][1]["satisfied"], Value::Null);

    let (status, history) = call(
        &server,
        Method::GET,
        &viewer,
        "/api/v1/readiness/api/history",
        None,
    )
    .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["runs"].as_array().expect("runs").len(), 2);
    assert_eq!(history["runs"][0]["practices"][0]["practice"], "backups");
    let since = ago(&server, 1).to_string();
    let (status, recent) = call(
        &server,
        Method::GET,
        &viewer,
        &format!("/api/v1/readiness/api/history?since={since}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(recent["runs"].as_array().expect("runs").len(), 1);
    let (status, bad) = call(
        &server,
        Method::GET,
        &viewer,
        "/api/v1/readiness/api/history?since=yesterday",
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message(&bad).starts_with("`since`:"), "{bad}");

    // Attestations: problems name their field.
    let path = "/api/v1/readiness/api/attestations";
    for (body, field) in [
        (json!({}), "`item`"),
        (json!({"item": "nope"}), "`item`"),
        (json!({"item": "nope.thing"}), "`item`"),
        (json!({"item": "backups.Bad"}), "`item`"),
        (
            json!({"item": "security.launch-review", "on": "30.11.2026"}),
            "`on`",
        ),
        (
            json!({"item": "security.launch-review", "on": "2026-12-25"}),
            "`on`",
        ),
        (
            json!({"item": "security.launch-review", "on": "2026-11-01", "expires": "2026-11-01"}),
            "`expires`",
        ),
        (
            json!({"item": "security.launch-review", "expires": "later"}),
            "`expires`",
        ),
        (
            json!({"item": "security.launch-review", "link": "ftp://x.example.org/"}),
            "`link`",
        ),
        (
            json!({"item": "security.launch-review", "link": "javascript:alert(1)"}),
            "`link`",
        ),
    ] {
        let (status, error) =
            call(&server, Method::POST, &responder, path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert!(message(&error).starts_with(field), "{body}: {error}");
    }
    let (status, _) = call(
        &server,
        Method::POST,
        &viewer,
        path,
        Some(json!({"item": "security.launch-review"})),
    )
    .await;
    assert_eq!(status, 403, "viewers cannot attest");
    let (status, _) = call(
        &server,
        Method::POST,
        &responder,
        "/api/v1/readiness/nope/attestations",
        Some(json!({"item": "security.launch-review"})),
    )
    .await;
    assert_eq!(status, 404);

    let (status, created) = call(
        &server,
        Method::POST,
        &responder,
        path,
        Some(json!({
            "item": "security.launch-review",
            "link": "https://tickets.example.org/SEC-9",
            "expires": "2027-11-30",
            "note": "reviewed with the ISSO",
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["by"], "token:Responder test token");
    assert_eq!(created["on"], "2026-11-30");
    assert_eq!(created["expires"], "2027-11-30");
    assert_eq!(created["in_force"], true);
    let (status, custom) = call(
        &server,
        Method::POST,
        &responder,
        path,
        Some(json!({"item": "backups.offsite-tapes", "by": "Grace", "on": "2026-11-02"})),
    )
    .await;
    assert_eq!(status, 201, "a team's own item: {custom}");
    assert_eq!(custom["by"], "Grace");

    let (status, listed) = call(&server, Method::GET, &viewer, path, None).await;
    assert_eq!(status, 200);
    let items: Vec<&str> = listed["attestations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["item"].as_str().expect("item"))
        .collect();
    assert_eq!(items, ["security.launch-review", "backups.offsite-tapes"]);

    let id = created["id"].as_i64().expect("id");
    let one = format!("{path}/{id}");
    let (status, _) = call(&server, Method::DELETE, &viewer, &one, None).await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &server,
        Method::DELETE,
        &responder,
        &format!("/api/v1/readiness/web/attestations/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "another service's attestation");
    let (status, _) = call(&server, Method::DELETE, &responder, &one, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&server, Method::DELETE, &responder, &one, None).await;
    assert_eq!(status, 404);
    let actions = server.audit_actions().await;
    assert!(actions.contains(&"readiness.attest".to_owned()));
    assert!(actions.contains(&"readiness.revoke".to_owned()));

    let (status, run) = call(
        &server,
        Method::POST,
        &responder,
        "/api/v1/readiness/api/run",
        None,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(run["requested"], false);
}
