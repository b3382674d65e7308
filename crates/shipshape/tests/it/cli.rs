//! The one-shot commands: `--help`, `validate`, `user add`, `token`.

use crate::util::{catalog_with_services, run};

#[test]
fn help_explains_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "serve",
        "validate",
        "demo",
        "user",
        "token",
        "shipshape demo",
    ] {
        assert!(help.contains(word), "--help lacks `{word}`:\n{help}");
    }
}

#[test]
fn validate_accepts_the_example_catalog() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/shipshape.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["validate", "--config", example]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
}

#[test]
fn validate_lists_every_error_with_positions_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "[store]\nurl = \"sqlite://x.db\"\n\n[[service]]\nid = \"api\"\nname = \"API\"\nownr = \"nobody\"\n\n[[service]]\nid = \"api\"\nname = \"Again\"\n";
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = run(dir.path(), &["validate", "--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml:7:1"),
        "unknown key position missing:\n{err}"
    );
    assert!(err.contains("owner"), "no did-you-mean hint:\n{err}");
    assert!(
        err.contains("bad.toml:10:6"),
        "duplicate id position missing:\n{err}"
    );
}

#[test]
fn validate_reports_a_missing_file_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["validate", "--config", "nope.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
}

#[test]
fn token_create_list_revoke_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        catalog_with_services(&["api"]),
    )
    .unwrap();
    let token = crate::util::create_token(dir.path(), "viewer");
    assert!(token.len() >= 32, "token too short: {token}");

    let out = run(dir.path(), &["token", "list", "--config", "shipshape.toml"]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.contains("viewer") && list.contains("active"), "{list}");
    assert!(
        !list.contains(&token),
        "token list must never show the token"
    );

    let out = run(
        dir.path(),
        &["token", "revoke", "--config", "shipshape.toml", "1"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        dir.path(),
        &["token", "revoke", "--config", "shipshape.toml", "1"],
    );
    assert!(!out.status.success(), "revoking twice must fail");
}

#[test]
fn user_add_prints_a_one_time_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        catalog_with_services(&["api"]),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--config",
            "shipshape.toml",
            "--admin",
            "Ops@Example.gov",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("/setup/"), "{stdout}");

    let out = run(dir.path(), &["user", "list", "--config", "shipshape.toml"]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(
        list.contains("ops@example.gov") && list.contains("admin"),
        "{list}"
    );

    let again = run(
        dir.path(),
        &[
            "user",
            "add",
            "--config",
            "shipshape.toml",
            "ops@example.gov",
        ],
    );
    assert!(!again.status.success(), "a duplicate email must be refused");
}
