//! A secret planted in the catalog never shows in logs, API output or pages.

use std::time::Duration;

use crate::util::{Running, create_token, http};

const PLANTED_ENV: &str = "planted-env-secret-7Qx9Zr";
const PLANTED_FILE: &str = "planted-file-secret-Kd83Lm";

#[test]
fn planted_secrets_never_appear_in_logs_or_responses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hook-token"), format!("{PLANTED_FILE}\n")).unwrap();
    let catalog = r#"
[store]
url = "sqlite://shipshape.db"

[[person]]
id = "alice"
name = "Alice"
contact = [
  { type = "email", to = "alice@example.gov" },
  { type = "webhook", url = { secret = "env:SHIPSHAPE_TEST_PLANTED_URL" }, token = { secret = "file:hook-token" } },
]

[[service]]
id = "api"
name = "API"
"#;
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let planted_url = format!("https://hooks.example.gov/{PLANTED_ENV}");
    let mut server = Running::start(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[
            ("SHIPSHAPE_TEST_PLANTED_URL", &planted_url),
            ("RUST_LOG", "trace"),
        ],
    );
    let token = create_token(dir.path(), "admin");
    let client = http();
    let mut bodies = String::new();
    for path in [
        "/api/v1/catalog/services",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/metrics",
        "/readyz",
        "/monitors",
        "/settings",
        "/on-call",
    ] {
        let response = client
            .get(format!("{}{path}", server.base))
            .bearer_auth(&token)
            .send()
            .unwrap();
        bodies.push_str(&response.text().unwrap());
    }
    // A reload resolves the secrets again; it must not log them either.
    server.signal("HUP");
    server.wait_for_line("catalog reloaded", Duration::from_secs(20));

    let logs = server.output();
    for planted in [PLANTED_ENV, PLANTED_FILE] {
        assert!(!logs.contains(planted), "secret leaked into logs:\n{logs}");
        assert!(!bodies.contains(planted), "secret leaked into responses");
    }
    assert!(
        logs.len() > 1000,
        "trace logging was on, expected plenty of output"
    );
}

#[test]
fn an_unresolvable_secret_stops_start_up_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = "[store]\nurl = { secret = \"env:SHIPSHAPE_TEST_SURELY_UNSET\" }\n";
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let out = crate::util::run(dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("shipshape.toml:2:"), "{err}");
    assert!(err.contains("SHIPSHAPE_TEST_SURELY_UNSET"), "{err}");
}
