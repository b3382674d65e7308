//! `shipshape serve` as a process: API behind tokens, reload that keeps the
//! running catalog when the new one is broken, graceful stop.

use std::time::Duration;

use crate::util::{Running, catalog_with_services, create_token, eventually, http};

fn service_ids(base: &str, token: &str) -> Vec<String> {
    let body: serde_json::Value = http()
        .get(format!("{base}/api/v1/catalog/services"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let list = body.get("services").unwrap_or(&body);
    list.as_array()
        .unwrap_or_else(|| panic!("unexpected services body: {body}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn broken_reload_keeps_the_running_catalog_and_a_good_one_applies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shipshape.toml");
    std::fs::write(&path, catalog_with_services(&["api"])).unwrap();
    let mut server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "viewer");
    assert_eq!(service_ids(&server.base, &token), ["api"]);

    // A broken catalog, signalled with SIGHUP: refused, old one stays.
    std::fs::write(&path, "[[service]]\nid = \"api\"\nnmae = \"typo\"\n").unwrap();
    server.signal("HUP");
    server.wait_for_line("reload refused", Duration::from_secs(20));
    assert_eq!(service_ids(&server.base, &token), ["api"]);
    let ready = http()
        .get(format!("{}/readyz", server.base))
        .send()
        .unwrap();
    assert_eq!(ready.status(), 200, "still ready on the old catalog");

    // A valid change is noticed from the file alone.
    std::fs::write(&path, catalog_with_services(&["api", "billing"])).unwrap();
    assert!(
        eventually(Duration::from_secs(20), || service_ids(
            &server.base,
            &token
        )
        .len()
            == 2),
        "the new catalog was not applied:\n{}",
        server.output()
    );
    assert_eq!(service_ids(&server.base, &token), ["api", "billing"]);

    let status = server.stop();
    assert!(status.success(), "SIGTERM must exit 0, got {status}");
}

#[test]
fn health_and_readiness_are_public_and_the_api_is_not() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        catalog_with_services(&["api"]),
    )
    .unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let client = http();
    assert_eq!(
        client
            .get(format!("{}/healthz", server.base))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{}/readyz", server.base))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{}/api/v1/catalog/services", server.base))
            .send()
            .unwrap()
            .status(),
        401
    );
    assert!(
        server.output().contains("/setup/"),
        "first start prints a set-up link"
    );
    assert!(
        dir.path().join("shipshape.db").exists(),
        "the store file is created"
    );
}

#[test]
fn a_revoked_token_stops_working_on_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        catalog_with_services(&["api"]),
    )
    .unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "admin");
    let url = format!("{}/api/v1/me", server.base);
    assert_eq!(
        http()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status(),
        200
    );
    let out = crate::util::run(
        dir.path(),
        &["token", "revoke", "--config", "shipshape.toml", "1"],
    );
    assert!(out.status.success());
    assert_eq!(
        http()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status(),
        401
    );
}
