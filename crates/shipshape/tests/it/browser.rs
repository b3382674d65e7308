//! Headless Chromium logs into the demo and photographs the admin shell.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/prepare-test-env.sh
//! installs them). The screenshot is saved as a test artifact.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use crate::util::{Running, artifacts_dir, eventually};

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
    let (html, png) = runtime.block_on(async move {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        // ChromeDriver is on loopback: plain HTTP, no TLS stack needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a chromium session starts");
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
        client.close().await.unwrap();
        (html, png)
    });
    let shot = artifacts_dir().join("admin-shell.png");
    std::fs::write(&shot, &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");

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
