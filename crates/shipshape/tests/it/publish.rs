//! Publishing the status page to an S3-compatible bucket (a real `moto`
//! server in S3 mode) and to a Git branch (a bare repository), end to end:
//! `shipshape serve` publishes by itself once responders post an incident.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::util::{Running, create_token, eventually, http};

const HEAD: &str = r#"
[store]
url = "sqlite://shipshape.db"

[status_page]
title = "Example status"
components = [{ name = "Login" }]
publish_every = "30s"
"#;

/// Starts the server in `dir` with `publish` as the page's targets and
/// posts an incident.
fn serve_with_incident(dir: &Path, publish: &str) -> Running {
    std::fs::write(
        dir.join("shipshape.toml"),
        format!("{HEAD}publish = {publish}\n"),
    )
    .unwrap();
    let server = Running::start(dir, &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir, "responder");
    let response = http()
        .post(format!("{}/api/v1/status/incidents", server.base))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Slow logins",
            "status": "investigating",
            "impact": "minor",
            "components": ["login"],
            "component_status": "degraded_performance",
            "message": "We are investigating slow logins.",
        }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().unwrap());
    server
}

/// A moto server (S3 mode) on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    base: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with moto[server] (scripts/prepare-test-env.sh installs it)");
        let moto = Moto {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        assert!(
            eventually(Duration::from_secs(30), || {
                moto.request(reqwest::Method::GET, "/").is_ok()
            }),
            "moto did not start on port {port}"
        );
        moto
    }

    /// A request moto takes as authenticated (it does not check
    /// signatures by default; without one, object reads are refused).
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::Result<reqwest::blocking::Response> {
        http()
            .request(method, format!("{}{path}", self.base))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
                 SignedHeaders=host, Signature=00",
            )
            .send()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_status_page_is_uploaded_to_an_s3_bucket() {
    let moto = Moto::start();
    let created = moto.request(reqwest::Method::PUT, "/status").unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    // Left over from an earlier site: removed by the upload.
    let stale = http()
        .put(format!("{}/status/site/incidents/999.html", moto.base))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=00",
        )
        .body("old")
        .send()
        .unwrap();
    assert!(stale.status().is_success());

    let dir = tempfile::tempdir().unwrap();
    let publish = format!(
        r#"[{{ type = "s3", url = "s3://status/site", endpoint = "{}", region = "eu-west-1", access_key_id = "test", secret_access_key = "test" }}]"#,
        moto.base
    );
    let server = serve_with_incident(dir.path(), &publish);

    let mut page = String::new();
    assert!(
        eventually(Duration::from_secs(45), || {
            moto.request(reqwest::Method::GET, "/status/site/index.html")
                .ok()
                .filter(|r| r.status().is_success())
                .and_then(|r| r.text().ok())
                .is_some_and(|text| {
                    page = text;
                    page.contains("Slow logins")
                })
        }),
        "the page was not uploaded with the incident\n{}",
        server.output()
    );
    let index = moto
        .request(reqwest::Method::GET, "/status/site/index.html")
        .unwrap();
    assert_eq!(
        index.headers()["content-type"],
        "text/html; charset=utf-8",
        "index.html's type"
    );
    let summary = moto
        .request(reqwest::Method::GET, "/status/site/api/v2/summary.json")
        .unwrap();
    assert_eq!(summary.status(), 200);
    assert_eq!(summary.headers()["content-type"], "application/json");
    let summary: serde_json::Value = summary.json().unwrap();
    assert_eq!(summary["incidents"][0]["name"], "Slow logins");
    let atom = moto
        .request(reqwest::Method::GET, "/status/site/history.atom")
        .unwrap();
    assert_eq!(atom.headers()["content-type"], "application/atom+xml");
    let gone = moto
        .request(reqwest::Method::GET, "/status/site/incidents/999.html")
        .unwrap();
    assert_eq!(
        gone.status(),
        404,
        "objects no longer in the site are deleted"
    );
    assert!(
        !server.output().contains("could not publish"),
        "{}",
        server.output()
    );
}

/// `git ARGS` on the bare repository; its output.
fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_status_page_is_pushed_to_a_git_branch_and_a_broken_target_does_not_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("pages.git");
    let init = Command::new("git")
        .args(["init", "--bare", "--quiet"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(init.status.success());

    // The first target cannot work (no such repository); the second does.
    let server = serve_with_incident(
        dir.path(),
        r#"[
  { type = "git", repo = "missing.git" },
  { type = "git", repo = "pages.git", branch = "gh-pages" },
]"#,
    );
    assert!(
        eventually(Duration::from_secs(45), || {
            Command::new("git")
                .arg("--git-dir")
                .arg(&repo)
                .args(["show", "gh-pages:index.html"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("Slow logins"))
        }),
        "the page was not pushed\n{}",
        server.output()
    );
    assert!(git(&repo, &["show", "gh-pages:api/v2/summary.json"]).contains("Slow logins"));
    assert_eq!(
        git(&repo, &["log", "-1", "--format=%an <%ae>|%s", "gh-pages"]).trim(),
        "Shipshape <shipshape@localhost>|Update status page"
    );
    let output = server.output();
    assert!(
        output.contains("could not publish") && output.contains("missing.git"),
        "the broken target is logged with its repository\n{output}"
    );

    // The periodic refresh (30 s) renews the pages' time without adding a
    // commit: nothing the public sees changed.
    let count = git(&repo, &["rev-list", "--count", "gh-pages"]);
    let history = git(&repo, &["rev-list", "--skip=1", "gh-pages"]);
    let first = git(&repo, &["rev-parse", "gh-pages"]);
    assert!(
        eventually(Duration::from_secs(60), || {
            git(&repo, &["rev-parse", "gh-pages"]) != first
        }),
        "the copy was not refreshed\n{}",
        server.output()
    );
    assert_eq!(
        git(&repo, &["rev-list", "--count", "gh-pages"]),
        count,
        "a refresh without change makes no new commit\n{}",
        server.output()
    );
    assert_eq!(
        git(&repo, &["rev-list", "--skip=1", "gh-pages"]),
        history,
        "the commits before the refreshed one are kept"
    );
    assert!(git(&repo, &["show", "gh-pages:index.html"]).contains("Slow logins"));
}
