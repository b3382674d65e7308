//! Monitor kinds that need more than their own table: datastore monitors
//! resolved to their datastore's kind and URL (or given inline), client
//! certificate files read and checked at load, and STARTTLS on TLS checks.

use std::path::Path;

use shipshape_catalog::{
    ClientCert, ClientKey, DatastoreKind, MonitorKind, SecretSource, Setting, StartTls, parse_str,
};

use crate::support::{errors, parse};

/// A PEM block of `label`. The catalog checks the PEM framing and base64,
/// not the DER inside (the checker parses that when it builds the client).
fn pem(label: &str) -> String {
    format!("-----BEGIN {label}-----\nMIIBszCCAVmgAwIBAgIUQ0FUQ0FU\n-----END {label}-----\n")
}

fn only_monitor(catalog: &shipshape_catalog::Catalog) -> &MonitorKind {
    &catalog.services[0].monitors[0].kind
}

#[test]
fn a_datastore_monitor_carries_its_datastores_kind_and_url() {
    let source = "\
[[service]]
id = \"api\"

  [[service.datastore]]
  id = \"db\"
  kind = \"postgres\"
  url = { secret = \"env:DB_URL\" }

  [[service.monitor]]
  id = \"db\"
  datastore = { ref = \"db\" }
  expect = [\"datastore.replication_lag < 30s\", \"datastore.role == \\\"primary\\\"\"]
";
    let mut catalog = parse(source).unwrap_or_else(|d| panic!("{d}"));
    let MonitorKind::Datastore(check) = only_monitor(&catalog) else {
        panic!("not a datastore monitor")
    };
    assert_eq!(check.datastore, "db");
    assert_eq!(check.kind, DatastoreKind::Postgres);
    assert!(check.url.is_secret());
    assert_eq!(only_monitor(&catalog).target(), "postgres datastore `db`");
    // The datastore's URL and the monitor's copy are both filled in by the
    // binary's secret resolution.
    let sources: Vec<SecretSource> = catalog
        .secret_settings_mut()
        .into_iter()
        .filter_map(|s| s.secret_ref().map(|r| r.source.clone()))
        .collect();
    assert_eq!(
        sources,
        [
            SecretSource::Env("DB_URL".into()),
            SecretSource::Env("DB_URL".into())
        ]
    );
}

#[test]
fn a_datastore_may_be_given_inline() {
    let source = "\
[[service]]
id = \"api\"

  [[service.monitor]]
  id = \"cache\"
  datastore = { kind = \"redis\", url = \"redis://:pw@127.0.0.1:6379/0\" }
";
    let catalog = parse(source).unwrap_or_else(|d| panic!("{d}"));
    let MonitorKind::Datastore(check) = only_monitor(&catalog) else {
        panic!("not a datastore monitor")
    };
    assert_eq!(
        (check.datastore.as_str(), check.kind),
        ("", DatastoreKind::Redis)
    );
    assert_eq!(check.url.value(), Some("redis://:pw@127.0.0.1:6379/0"));
    let target = only_monitor(&catalog).target();
    assert_eq!(target, "redis 127.0.0.1:6379", "no password in the target");
}

#[test]
fn a_datastore_url_must_fit_its_kind() {
    let source = "\
[[service]]
id = \"api\"

  [[service.datastore]]
  id = \"db\"
  kind = \"mysql\"
  url = \"postgres://db.internal/app\"
";
    let diagnostics = errors(source);
    assert_eq!(diagnostics.len(), 1, "{diagnostics}");
    assert_eq!(
        diagnostics.to_string(),
        "/srv/ops/shipshape.toml:7:9: error: `url` is a `postgres://` URL but `kind` is `mysql`\n  help: write a `mysql://` URL, or change `kind`"
    );
}

#[test]
fn starttls_defaults_to_the_submission_port() {
    let source = "\
[[service]]
id = \"mail\"

  [[service.monitor]]
  id = \"smtp\"
  tls = { host = \"mx.example.gov\", starttls = \"smtp\" }
";
    let catalog = parse(source).unwrap_or_else(|d| panic!("{d}"));
    let MonitorKind::Tls(tls) = only_monitor(&catalog) else {
        panic!("not a tls monitor")
    };
    assert_eq!((tls.port, tls.starttls), (587, Some(StartTls::Smtp)));
}

/// A catalog in `dir` with one HTTPS monitor whose `http` table ends with
/// `client`.
fn with_client(dir: &Path, client: &str) -> Result<shipshape_catalog::Catalog, String> {
    let source = format!(
        "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  http = {{ url = \"https://x.example/\", {client} }}\n"
    );
    parse_str(&source, &dir.join("shipshape.toml")).map_err(|d| d.to_string())
}

#[test]
fn client_certificate_paths_resolve_against_the_catalog_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("tls")).expect("mkdir");
    std::fs::write(dir.path().join("tls/client.crt"), pem("CERTIFICATE")).expect("write");
    std::fs::write(dir.path().join("tls/client.key"), pem("PRIVATE KEY")).expect("write");
    let catalog = with_client(
        dir.path(),
        "client_cert = \"tls/client.crt\", client_key = \"./tls/client.key\"",
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let MonitorKind::Http(http) = only_monitor(&catalog) else {
        panic!("not an http monitor")
    };
    let base = std::path::absolute(dir.path()).expect("absolute");
    assert_eq!(
        http.client_cert,
        Some(Box::new(ClientCert {
            cert: base.join("tls/client.crt"),
            key: ClientKey::File(base.join("tls/client.key")),
        }))
    );

    let mut catalog = with_client(
        dir.path(),
        "client_cert = \"tls/client.crt\", client_key = { secret = \"file:tls/client.key\" }",
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let secrets = catalog.secret_settings_mut();
    assert_eq!(secrets.len(), 1, "the key secret is resolved by the binary");
    assert!(matches!(secrets[0], Setting::Secret { .. }));
}

#[test]
fn unreadable_or_wrong_pem_files_are_catalog_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::path::absolute(dir.path()).expect("absolute");
    std::fs::write(dir.path().join("client.crt"), pem("CERTIFICATE")).expect("write");
    std::fs::write(dir.path().join("client.key"), pem("PRIVATE KEY")).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not pem at all\n").expect("write");

    let missing = with_client(
        dir.path(),
        "client_cert = \"nope.crt\", client_key = \"client.key\"",
    )
    .expect_err("missing file");
    assert!(
        missing.contains(&format!(
            "shipshape.toml:6:54: error: cannot read `client_cert` file `{}`: no such file or directory",
            base.join("nope.crt").display()
        )),
        "{missing}"
    );

    let not_pem = with_client(
        dir.path(),
        "client_cert = \"client.crt\", client_key = \"notes.txt\"",
    )
    .expect_err("not a key");
    assert!(
        not_pem.contains(&format!(
            "error: `client_key` file `{}` holds no PEM private key",
            base.join("notes.txt").display()
        )),
        "{not_pem}"
    );

    let swapped = with_client(
        dir.path(),
        "client_cert = \"client.key\", client_key = \"client.crt\"",
    )
    .expect_err("swapped");
    assert!(swapped.contains("holds no PEM certificate"), "{swapped}");
    assert!(swapped.contains("holds no PEM private key"), "{swapped}");

    let one = with_client(dir.path(), "client_cert = \"client.crt\"").expect_err("one of two");
    assert!(
        one.contains("error: `client_cert` is set without `client_key`"),
        "{one}"
    );

    let plain = std::fs::read_to_string(dir.path().join("client.crt")).expect("read");
    assert!(plain.contains("BEGIN CERTIFICATE"));
    let source = "[[service]]\nid = \"api\"\n\n  [[service.monitor]]\n  id = \"m\"\n  http = { url = \"http://x.example/\", client_cert = \"client.crt\", client_key = \"client.key\" }\n";
    let http = parse_str(source, &dir.path().join("shipshape.toml"))
        .map_err(|d| d.to_string())
        .expect_err("plain http");
    assert!(
        http.contains("`client_cert` is set for an `http://` URL"),
        "{http}"
    );
}

#[test]
fn the_probe_ca_is_a_checked_pem_file_relative_to_the_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::path::absolute(dir.path()).expect("absolute");
    std::fs::write(dir.path().join("private-ca.pem"), pem("CERTIFICATE")).expect("write");
    let with_ca = |file: &str| {
        let source = format!("[server]\nprobe_ca = \"{file}\"\n");
        parse_str(&source, &dir.path().join("shipshape.toml")).map_err(|d| d.to_string())
    };
    let catalog = with_ca("private-ca.pem").unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(catalog.server.probe_ca, Some(base.join("private-ca.pem")));
    let missing = with_ca("nope.pem").expect_err("missing file");
    assert!(
        missing.contains("shipshape.toml:2:12: error: cannot read `probe_ca` file"),
        "{missing}"
    );
}
