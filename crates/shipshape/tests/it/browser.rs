//! Headless Chromium logs into the demo and photographs the admin shell
//! and a monitor's page (latency chart, availability bar, pause/resume).
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/prepare-test-env.sh
//! installs them). The screenshot is saved as a test artifact.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::util::{Running, artifacts_dir, eventually};

/// What the browser saw on a monitor's page.
struct MonitorPage {
    png: Vec<u8>,
    /// Points of the latency chart.
    points: usize,
    /// Rendered width of the chart, in CSS pixels.
    chart_width: f64,
    /// Cells of the availability bar.
    days: usize,
    /// Rendered width of the availability bar.
    bar_width: f64,
    /// The page after pressing "Pause monitoring".
    paused_html: String,
    /// The page after pressing "Resume monitoring".
    resumed_html: String,
}

/// Clicks the button matching `button`, waits for an element matching
/// `then` on the page it leads to, and returns that page's source.
async fn press(client: &fantoccini::Client, button: &str, then: &str) -> String {
    client
        .find(Locator::Css(button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client.wait().for_element(Locator::Css(then)).await.unwrap();
    client.source().await.unwrap()
}

/// Rendered width of the first element matching `css`, or 0.
async fn rendered_width(client: &fantoccini::Client, css: &str) -> f64 {
    let script = format!(
        "const e = document.querySelector({css:?}); return e ? e.getBoundingClientRect().width : 0;"
    );
    client
        .execute(&script, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(0.0)
}

/// Opens the demo's `benefits-web/home` monitor once its first checks are
/// stored, photographs it, then pauses and resumes it with the page's
/// buttons (form posts with the session's CSRF token).
async fn monitor_page(client: &fantoccini::Client, base: &str) -> MonitorPage {
    let url = format!("{base}/monitors/benefits-web/home");
    client.goto(&url).await.unwrap();
    // The demo checks every 15 s and writes results every second.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let points = client
            .find_all(Locator::Css("svg.chart g.point"))
            .await
            .unwrap();
        if !points.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no latency point after 60 s:\n{}",
            client.source().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        client.goto(&url).await.unwrap();
    }
    client.set_window_size(1280, 1800).await.unwrap();
    let points = client
        .find_all(Locator::Css("svg.chart g.point"))
        .await
        .unwrap()
        .len();
    let days = client
        .find_all(Locator::Css("svg.availability rect.day"))
        .await
        .unwrap()
        .len();
    let chart_width = rendered_width(client, "svg.chart").await;
    let bar_width = rendered_width(client, "svg.availability").await;
    let png = client.screenshot().await.unwrap();
    let paused_html = press(
        client,
        "form[action$='/pause'] button",
        "form[action$='/resume'] button",
    )
    .await;
    let resumed_html = press(
        client,
        "form[action$='/resume'] button",
        "form[action$='/pause'] button",
    )
    .await;
    MonitorPage {
        png,
        points,
        chart_width,
        days,
        bar_width,
        paused_html,
        resumed_html,
    }
}

/// A ChromeDriver process on a free loopback port, killed on drop.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is not installed: run scripts/prepare-test-env.sh \
                 (apt-get install chromium chromium-driver)",
            );
        let url = format!("http://127.0.0.1:{port}");
        let status_url = format!("{url}/status");
        assert!(
            eventually(Duration::from_secs(20), || reqwest::blocking::get(
                &status_url
            )
            .is_ok()),
            "chromedriver did not start on port {port}"
        );
        ChromeDriver { child, url }
    }
}

/// A headless Chromium session through `driver`, with its own profile.
async fn session(driver: &ChromeDriver, profile: &std::path::Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // ChromeDriver is on loopback: plain HTTP, no TLS stack needed.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session starts")
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn chromium_logs_into_the_demo_and_sees_the_admin_shell() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().join("demo");
    let mut demo = Running::start(
        dir.path(),
        &[
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--dir",
            dir_arg.to_str().unwrap(),
        ],
        &[],
    );
    let password_line = demo.wait_for_line("Password", Duration::from_secs(30));
    let password = password_line.split_whitespace().nth(1).unwrap().to_owned();
    let email = demo
        .wait_for_line("Email", Duration::from_secs(5))
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let base = demo.base.clone();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (html, png, monitor, oncall) = runtime.block_on(async move {
        let client = session(&driver, profile.path()).await;
        client.goto(&format!("{base}/login")).await.unwrap();
        client
            .find(Locator::Css("input[name=email]"))
            .await
            .unwrap()
            .send_keys(&email)
            .await
            .unwrap();
        client
            .find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(&password)
            .await
            .unwrap();
        client
            .find(Locator::Css("form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css("nav"))
            .await
            .unwrap();
        client.goto(&format!("{base}/monitors")).await.unwrap();
        let html = client.source().await.unwrap();
        let png = client.screenshot().await.unwrap();
        let monitor = monitor_page(&client, &base).await;
        client.goto(&format!("{base}/oncall")).await.unwrap();
        let oncall_html = client.source().await.unwrap();
        let oncall_png = client.screenshot().await.unwrap();
        let shift_rows = client
            .find_all(Locator::Css("table tbody tr"))
            .await
            .unwrap()
            .len();
        // Send a test page to Alice from the On-call page, then take it
        // from the incident page it leads to.
        let target = client
            .find(Locator::Css(
                "select[name=target] option[value='person:alice']",
            ))
            .await
            .unwrap();
        target.click().await.unwrap();
        let sent_html = press(
            &client,
            "form[action='/oncall/test-page'] button",
            "form[action$='/ack'] button",
        )
        .await;
        let acked_html = press(&client, "form[action$='/ack'] button", "main").await;
        client.goto(&format!("{base}/incidents")).await.unwrap();
        let incidents_png = client.screenshot().await.unwrap();
        let incidents_html = client.source().await.unwrap();
        client.close().await.unwrap();
        let test_page = (sent_html, acked_html, incidents_html, incidents_png);
        (
            html,
            png,
            monitor,
            (oncall_html, oncall_png, shift_rows, test_page),
        )
    });
    let (oncall_html, oncall_png, shift_rows, test_page) = oncall;
    let (sent_html, acked_html, incidents_html, incidents_png) = test_page;
    assert!(
        sent_html.contains("Test page for person:alice"),
        "the form leads to the test page's incident"
    );
    assert!(
        acked_html.contains("Resolved") && acked_html.contains("acknowledged"),
        "acknowledging a test page resolves it"
    );
    assert!(incidents_html.contains("Test page for person:alice"));
    std::fs::write(artifacts_dir().join("incidents-page.png"), &incidents_png).unwrap();
    demo.wait_for_line("page → alice: TEST", Duration::from_secs(15));
    std::fs::write(artifacts_dir().join("oncall-page.png"), &oncall_png).unwrap();
    assert!(oncall_png.starts_with(b"\x89PNG"));
    assert!(
        oncall_html.contains("benefits-primary") || oncall_html.contains("Benefits primary"),
        "the demo's schedule is shown"
    );
    assert!(
        oncall_html.contains("Alice Rivera") && oncall_html.contains("Bob Chen"),
        "the next four weeks name both people of the weekly rotation"
    );
    assert!(
        shift_rows >= 4,
        "a table of the coming shifts, got {shift_rows} rows"
    );
    let shot = artifacts_dir().join("admin-shell.png");
    std::fs::write(&shot, &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    std::fs::write(artifacts_dir().join("monitor-page.png"), &monitor.png).unwrap();
    assert!(monitor.png.starts_with(b"\x89PNG"));
    assert!(
        monitor.points >= 1,
        "the latency chart has points once checks ran"
    );
    assert!(
        monitor.chart_width > 300.0,
        "the chart is drawn at a readable size, got {} px",
        monitor.chart_width
    );
    assert_eq!(monitor.days, 90, "one availability cell per day");
    assert!(
        monitor.bar_width > 300.0,
        "the bar is drawn, got {} px",
        monitor.bar_width
    );
    assert!(
        monitor.paused_html.contains("Resume monitoring"),
        "pausing from the page worked"
    );
    assert!(
        monitor.resumed_html.contains("Pause monitoring"),
        "resuming from the page worked"
    );

    for nav in [
        "Monitors",
        "Incidents",
        "On-call",
        "Status page",
        "Readiness",
        "Settings",
    ] {
        assert!(
            html.contains(nav),
            "the admin shell lacks `{nav}` navigation"
        );
    }
    assert!(
        html.contains("Benefits website"),
        "the demo's services are listed"
    );
    assert!(
        !html.contains("name=\"password\""),
        "still on the login page"
    );
    drop(demo);
}

/// What an accessibility smoke check finds on a status page.
#[derive(Debug, serde::Deserialize)]
struct Smoke {
    h1: usize,
    main: usize,
    header: usize,
    footer: usize,
    /// Heading levels in document order.
    levels: Vec<u8>,
    /// Bar cells, and those with a text alternative.
    cells: usize,
    described: usize,
    /// Images without alt text.
    bare_images: usize,
}

const SMOKE: &str = r#"
const levels = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
const cells = [...document.querySelectorAll('svg.bar rect')];
return {
  h1: document.querySelectorAll('h1').length,
  main: document.querySelectorAll('main').length,
  header: document.querySelectorAll('header').length,
  footer: document.querySelectorAll('footer').length,
  levels,
  cells: cells.length,
  described: cells.filter(r => r.querySelector('title') || r.getAttribute('aria-label')).length,
  bare_images: [...document.querySelectorAll('img')].filter(i => !i.hasAttribute('alt')).length,
};
"#;

/// Checks landmarks, one h1, no skipped heading level and a text
/// alternative on every bar cell.
fn assert_accessible(what: &str, smoke: &Smoke) {
    assert_eq!(smoke.h1, 1, "{what}: one h1");
    assert!(
        smoke.main == 1 && smoke.header >= 1 && smoke.footer >= 1,
        "{what}: landmarks {smoke:?}"
    );
    for pair in smoke.levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{what}: heading order {:?}",
            smoke.levels
        );
    }
    assert!(smoke.cells > 0, "{what}: availability bars drawn");
    assert_eq!(smoke.described, smoke.cells, "{what}: every cell described");
    assert_eq!(smoke.bare_images, 0, "{what}: images have alt text");
}

#[test]
fn chromium_renders_the_live_status_page_and_its_static_copy() {
    let (dir, server, site) = crate::status::running_with_incident_and_maintenance();
    // A plain static server for the exported copy.
    let static_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut static_server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &static_port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&site)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 serves the static copy");
    let static_base = format!("http://127.0.0.1:{static_port}");
    assert!(eventually(Duration::from_secs(10), || {
        reqwest::blocking::get(format!("{static_base}/index.html")).is_ok()
    }));
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let live = format!("{}/status", server.base);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pages = runtime.block_on(async {
        let client = session(&driver, profile.path()).await;
        let mut out = Vec::new();
        for (name, url) in [
            ("live", live.clone()),
            ("static", format!("{static_base}/index.html")),
            ("static-history", format!("{static_base}/history.html")),
        ] {
            client.goto(&url).await.unwrap();
            let html = client.source().await.unwrap();
            let png = client.screenshot().await.unwrap();
            let smoke: Smoke =
                serde_json::from_value(client.execute(SMOKE, vec![]).await.unwrap()).unwrap();
            // Keyboard users reach a bar's details by focusing it.
            let focused = client
                .execute(
                    "const w = document.querySelector('.bar-wrap'); if (!w) return 'none'; \
                     w.focus(); return getComputedStyle(w.querySelector('.trouble')).display;",
                    vec![],
                )
                .await
                .unwrap();
            if name != "static-history" {
                assert_eq!(focused, "block", "{name}: a focused bar shows its days");
            }
            out.push((name, html, png, smoke));
        }
        client.close().await.unwrap();
        out
    });
    let _ = static_server.kill();
    let _ = static_server.wait();
    for (name, html, png, smoke) in &pages {
        std::fs::write(artifacts_dir().join(format!("status-{name}.png")), png).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        assert!(
            html.contains("Slow logins"),
            "{name}: the incident is shown"
        );
        if *name != "static-history" {
            assert!(html.contains("Website"), "{name}: components");
            assert!(html.contains("Database upgrade"), "{name}: maintenance");
            assert!(
                html.contains("We are investigating slow logins."),
                "{name}: the incident timeline"
            );
            assert_accessible(name, smoke);
        }
    }
    drop(dir);
}

#[test]
fn chromium_reads_a_readiness_review_and_records_an_attestation() {
    let (dir, server, report) = crate::readiness::serve_with_review();
    let setup = server
        .output()
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("{}/setup/", server.base))
                .map(str::to_owned)
        })
        .expect("serve prints a set-up link on first start");
    let base = server.base.clone();
    let practices: Vec<String> = report["practices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["practice"].as_str().unwrap().to_owned())
        .collect();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (page, page_png, attested, attested_png, rerun) = runtime.block_on(async {
        let client = session(&driver, profile.path()).await;
        // The first admin, through the set-up link serve printed.
        client.goto(&format!("{base}/setup/{setup}")).await.unwrap();
        for (name, value) in [
            ("email", "isso@example.gov"),
            ("name", "Ina Sollo"),
            ("password", "correct horse battery"),
            ("confirm", "correct horse battery"),
        ] {
            client
                .find(Locator::Css(&format!("input[name={name}]")))
                .await
                .unwrap()
                .send_keys(value)
                .await
                .unwrap();
        }
        client
            .find(Locator::Css("form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css("nav"))
            .await
            .unwrap();

        let url = format!("{base}/services/shop/readiness");
        client.goto(&url).await.unwrap();
        client
            .wait()
            .for_element(Locator::Css("#summary-heading"))
            .await
            .unwrap();
        client.set_window_size(1280, 2400).await.unwrap();
        let page = client.source().await.unwrap();
        let page_png = client.screenshot().await.unwrap();

        // Attest the launch review from the form.
        client
            .find(Locator::Css(
                "select[name=item] option[value='security.launch-review']",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let by = client.find(Locator::Css("input[name=by]")).await.unwrap();
        by.clear().await.unwrap();
        by.send_keys("ISSO").await.unwrap();
        client
            .find(Locator::Css("input[name=link]"))
            .await
            .unwrap()
            .send_keys("https://x.example/minutes")
            .await
            .unwrap();
        let attested = press(
            &client,
            "form[action$='/readiness/attestations'] button[type=submit]",
            "table.attestations",
        )
        .await;
        let attested_png = client.screenshot().await.unwrap();

        // Re-run the review from the page; the item turns attested.
        press(
            &client,
            "form[action$='/readiness/run'] button",
            "#summary-heading",
        )
        .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let rerun = loop {
            client.goto(&url).await.unwrap();
            let verdict = client
                .find(Locator::Css("[id='item-security.launch-review'] .state"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if verdict.contains("Attested") || std::time::Instant::now() > deadline {
                break verdict;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        client.close().await.unwrap();
        (page, page_png, attested, attested_png, rerun)
    });
    std::fs::write(artifacts_dir().join("readiness-page.png"), &page_png).unwrap();
    std::fs::write(
        artifacts_dir().join("readiness-attested.png"),
        &attested_png,
    )
    .unwrap();
    assert!(page_png.starts_with(b"\x89PNG") && attested_png.starts_with(b"\x89PNG"));

    assert!(page.contains("Readiness: Shop"), "the page's title");
    let summary = format!("{} items: ", report["summary"]["total"].as_u64().unwrap());
    assert!(page.contains(&summary), "the summary counts `{summary}`");
    assert!(
        page.contains("must-have(s) block the launch"),
        "the blocking must-haves are summarised"
    );
    assert!(page.contains("Items by practice"));
    assert!(!practices.is_empty());
    for practice in &practices {
        assert!(
            page.contains(&format!("id=\"practice-{practice}\"")),
            "a heading for practice `{practice}`"
        );
    }
    assert!(
        page.contains("Hold a face-to-face security review before launch"),
        "items are listed under their practice"
    );

    assert!(
        attested.contains("Attestation recorded"),
        "the form's flash message"
    );
    let row_start = attested
        .find("<tr id=\"attestation-1\"")
        .expect("the attestation is listed");
    let row = &attested[row_start..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("security.launch-review"), "{row}");
    assert!(row.contains("ISSO"), "{row}");
    assert!(row.contains("https://x.example/minutes"), "{row}");
    assert!(row.contains("Revoke"), "{row}");
    assert!(
        rerun.contains("Attested"),
        "the re-run review counts the attestation, got `{rerun}`"
    );
    drop(server);
    drop(dir);
}
