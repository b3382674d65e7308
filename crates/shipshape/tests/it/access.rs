//! Access control on the real binary: every non-public route refuses an
//! anonymous caller, a logged-in form post needs its CSRF token, a viewer
//! token cannot write.

use std::time::Duration;

use reqwest::blocking::Client;
use shipshape_web::route_table;

use crate::util::{Running, create_token, http};

/// The demo's admin login (printed by `shipshape demo`).
const DEMO_ADMIN: &str = "admin@demo.shipshape.local";

/// A route template with its parameters filled in.
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

/// The value of the hidden `csrf` field of a form page.
fn hidden_csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\"")
        .expect("the form has a csrf field");
    let value = &html[at..];
    let start = value.find("value=\"").expect("csrf value") + 7;
    let end = value[start..].find('"').expect("csrf value end");
    value[start..start + end].to_owned()
}

#[test]
fn anonymous_callers_are_refused_everywhere_but_public_routes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        crate::util::catalog_with_services(&["api"]),
    )
    .unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let client = http();
    let mut checked = 0;
    for route in route_table().into_iter().filter(|r| !r.is_public(true)) {
        let url = format!("{}{}", server.base, concrete(route.path));
        let response = client
            .request(route.method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .unwrap();
        if route.is_api() {
            assert_eq!(response.status(), 401, "{} {}", route.method, route.path);
            let body: serde_json::Value = response.json().unwrap();
            assert!(
                body["message"].is_string(),
                "{} {}: {body}",
                route.method,
                route.path
            );
        } else {
            assert_eq!(response.status(), 303, "{} {}", route.method, route.path);
            let location = response.headers()["location"].to_str().unwrap();
            assert!(
                location.starts_with("/login"),
                "{} {} → {location}",
                route.method,
                route.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} protected routes were walked");
}

#[test]
fn a_session_needs_csrf_on_forms_and_a_viewer_token_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let mut demo = Running::start(
        dir.path(),
        &[
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--dir",
            demo_dir.to_str().unwrap(),
        ],
        &[],
    );
    let line = demo.wait_for_line("Password", Duration::from_secs(30));
    let password = line.split_whitespace().nth(1).unwrap().to_owned();
    let base = demo.base.clone();
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Log in like a browser: the form's CSRF token and its cookie.
    let form = browser
        .get(format!("{base}/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let login = browser
        .post(format!("{base}/login"))
        .form(&[
            ("email", DEMO_ADMIN),
            ("password", password.as_str()),
            ("csrf", hidden_csrf(&form).as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(login.status(), 303, "login redirects on success");
    assert_eq!(
        browser
            .get(format!("{base}/settings/tokens"))
            .send()
            .unwrap()
            .status(),
        200
    );

    // A form post without the session's CSRF token is refused.
    let forged = browser
        .post(format!("{base}/settings/tokens"))
        .form(&[("name", "forged"), ("role", "admin")])
        .send()
        .unwrap();
    assert_eq!(forged.status(), 403);
    let page = browser
        .get(format!("{base}/settings/tokens"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let good = browser
        .post(format!("{base}/settings/tokens"))
        .form(&[
            ("name", "made-in-ui"),
            ("role", "viewer"),
            ("csrf", hidden_csrf(&page).as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(good.status(), 200, "with the token the same post works");

    // A viewer token reads but cannot write.
    let viewer = create_token(&demo_dir, "viewer");
    let client = http();
    let read = client
        .get(format!("{base}/api/v1/monitors"))
        .bearer_auth(&viewer)
        .send()
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = client
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(&viewer)
        .json(&serde_json::json!({ "name": "escalate", "role": "admin" }))
        .send()
        .unwrap();
    assert_eq!(write.status(), 403);
}
