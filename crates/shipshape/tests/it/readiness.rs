//! The readiness review end to end: `shipshape check` (exit codes and every
//! output format) on a real Git checkout of the readiness fixtures,
//! `shipshape attest` against a real SQLite store, `check --endpoint`
//! against a loopback HTTPS server signed by a test CA, and the review loop
//! inside `shipshape serve` woken through the API. (`browser.rs` opens the
//! Readiness page in Chromium.)

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use serde_json::Value;

use crate::util::{Running, bin, create_token, http};

/// The must-haves the `good` fixture cannot satisfy offline, by their own
/// collectors or for want of an attestation; each test marks some n/a.
const MUSTS_NOT_PASSING: &[&str] = &[
    "backups.redundant-storage",
    "backups.periodic-snapshots",
    "logs.durable-before-rotation",
    "logs.restricted-sensitive",
    "alerting.failing-monitor-pages",
    "security.launch-review",
    "capacity-planning.peak-planning",
    "access-control.environment-exposure",
];

/// Copies `src` into `dst`, turning `dot-env` files into `.env`.
fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let target = if name == "dot-env" {
            dst.join(".env")
        } else {
            dst.join(&name)
        };
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A committed Git checkout of the readiness fixture `name` at `dir/repo`.
pub fn fixture_repo(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../readiness/tests/fixtures/repos")
        .join(name);
    let repo = dir.join("repo");
    copy_tree(&src, &repo);
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "x",
        ],
    ] {
        let out = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    repo
}

/// A catalog with one service `shop` reviewing `repo/`, its store at
/// `state.db` in `dir`, and `not_applicable` for each of `na`.
fn catalog(dir: &Path, na: &[&str], extra: &str) -> String {
    let mut toml = format!(
        "[store]\nurl = \"sqlite://{}\"\n{extra}\n[[service]]\nid = \"shop\"\nname = \"Shop\"\nrepo = \"repo\"\n",
        dir.join("state.db").display()
    );
    if !na.is_empty() {
        toml.push_str("\n  [service.readiness]\n  not_applicable = {");
        let entries: Vec<String> = na
            .iter()
            .map(|id| format!(" \"{id}\" = \"the test service has no such thing\""))
            .collect();
        toml.push_str(&entries.join(","));
        toml.push_str(" }\n");
    }
    toml
}

/// Runs several invocations of the binary at once in `dir`.
fn run_all(dir: &Path, invocations: &[Vec<&str>]) -> Vec<Output> {
    let children: Vec<Child> = invocations
        .iter()
        .map(|args| {
            bin()
                .args(args)
                .current_dir(dir)
                .env_remove("SHIPSHAPE_STORE_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the shipshape binary runs")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `what` exited with `code`, else panics showing both streams.
fn assert_code(what: &str, out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit status\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// The JSON report of one service's review.
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(out)))
}

/// The item `id` of a JSON report.
fn item<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in the report"))
}

/// How many checklist items `shipshape check --list` prints.
fn checklist_len(dir: &Path) -> usize {
    let out = crate::util::run(dir, &["check", "--list"]);
    assert_code("check --list", &out, 0);
    stdout(&out)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .count()
}

/// Parses JUnit XML with Python's ElementTree; returns (testcases, the
/// `tests` attribute of `<testsuites>`).
fn junit_testcases(xml: &str) -> (usize, usize) {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.fromstring(sys.stdin.read())\n\
             assert root.tag == 'testsuites', root.tag\n\
             print(len(root.findall('.//testcase')), root.get('tests'))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the JUnit output is not XML: {}\n{xml}",
        stderr(&out)
    );
    let text = stdout(&out);
    let mut parts = text.split_whitespace().map(|n| n.parse::<usize>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[test]
fn readiness_check_exit_codes_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixture_repo(d, "good");
    let ready: Vec<&str> = MUSTS_NOT_PASSING.to_vec();
    std::fs::write(d.join("ready.toml"), catalog(d, &ready, "")).unwrap();
    let no_paging: Vec<&str> = MUSTS_NOT_PASSING
        .iter()
        .copied()
        .filter(|id| *id != "alerting.failing-monitor-pages")
        .collect();
    std::fs::write(d.join("failing.toml"), catalog(d, &no_paging, "")).unwrap();
    std::fs::write(
        d.join("bad.toml"),
        "[store]\nurl = \"sqlite://x.db\"\n\n[[service]]\nid = \"shop\"\nname = = \"Shop\"\n",
    )
    .unwrap();
    let check = |config: &'static str, more: &[&'static str]| {
        let mut args = vec!["check", "--config", config, "--offline"];
        args.extend_from_slice(more);
        args
    };
    let outs = run_all(
        d,
        &[
            check("ready.toml", &[]),
            check("ready.toml", &["--format", "json"]),
            check("ready.toml", &["--strict"]),
            check("failing.toml", &[]),
            check("bad.toml", &[]),
            check("ready.toml", &["--service", "nope"]),
            check("failing.toml", &["--format", "junit"]),
            check("failing.toml", &["--format", "sarif"]),
            check("failing.toml", &["--format", "json"]),
            check("failing.toml", &["--format", "markdown"]),
            vec!["check", "--list"],
        ],
    );
    let [
        ready_text,
        ready_json,
        strict,
        failing,
        bad,
        nope,
        junit,
        sarif,
        failing_json,
        markdown,
        list,
    ] = &outs[..]
    else {
        unreachable!()
    };
    let items = stdout(list)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .count();
    assert!(items > 40, "the checklist is listed:\n{}", stdout(list));

    // Every must-have passes or is n/a: nothing blocks.
    assert_code("every must-have n/a or passing", ready_text, 0);
    assert!(
        stdout(ready_text).contains("no must-have blocks the launch"),
        "{}",
        stdout(ready_text)
    );
    let report = json(ready_json);
    assert_code("the same, as JSON", ready_json, 0);
    let musts: Vec<&Value> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["must"] == true)
        .collect();
    assert!(!musts.is_empty());
    for m in &musts {
        let status = m["verdict"]["status"].as_str().unwrap();
        assert!(
            status == "pass" || status == "n/a",
            "must-have {} is {status}",
            m["id"]
        );
        assert_eq!(m["blocks_launch"], false, "{}", m["id"]);
    }
    assert!(
        musts.iter().any(|m| m["verdict"]["status"] == "pass"),
        "the fixture passes some must-have by itself (two instances, vendors)"
    );
    assert_eq!(
        item(&report, "logs.restricted-sensitive")["verdict"]["reason"],
        "the test service has no such thing",
        "the n/a reason is carried into the report"
    );
    assert_eq!(report["summary"]["blocking"], 0);
    assert_eq!(
        report["summary"]["not_applicable"].as_u64(),
        Some(ready.len() as u64)
    );

    // --strict: a nice-to-have that is not satisfied fails the run.
    assert!(
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["must"] == false && i["verdict"]["status"] == "unknown"),
        "the fixture leaves some nice-to-have unknown"
    );
    assert_code("--strict with an unknown nice-to-have", strict, 1);

    // One failing must-have: exit 1, named with its fix.
    assert_code("a failing must-have", failing, 1);
    let text = stdout(failing);
    let line = text
        .lines()
        .position(|l| l.contains("alerting.failing-monitor-pages"))
        .unwrap_or_else(|| panic!("the failing item is not named:\n{text}"));
    let block: String = text.lines().skip(line.saturating_sub(1)).take(4).collect();
    assert!(
        block.contains("blocks launch") && block.contains("FAIL"),
        "the item is shown failing and blocking:\n{block}"
    );
    assert!(
        block.contains("fix: Give every monitor of the service a route"),
        "the item's fix is shown:\n{block}"
    );
    assert!(
        text.contains("1 must-have blocks the launch"),
        "the summary counts it:\n{text}"
    );

    // A catalog that does not parse: exit 2, positions on stderr.
    assert_code("a syntax error", bad, 2);
    assert!(
        stderr(bad).contains("bad.toml:6:8"),
        "file:line:col of the error:\n{}",
        stderr(bad)
    );
    assert!(stdout(bad).is_empty(), "no report for a broken catalog");

    // An unknown service: exit 2 naming the known ones.
    assert_code("--service nope", nope, 2);
    assert!(
        stderr(nope).contains("nope") && stderr(nope).contains("services: shop"),
        "{}",
        stderr(nope)
    );

    // JUnit: XML with one testcase per checklist item.
    assert_code("junit", junit, 1);
    let (testcases, declared) = junit_testcases(&stdout(junit));
    assert_eq!(testcases, items, "one testcase per item");
    assert_eq!(declared, items);

    // SARIF 2.1.0: JSON, a result for the failing must-have.
    assert_code("sarif", sarif, 1);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "alerting.failing-monitor-pages"),
        "a SARIF result for the failing must-have: {results:?}"
    );

    // JSON: the schema, every item, the failing one blocking.
    assert_code("json", failing_json, 1);
    let report = json(failing_json);
    assert_eq!(report["schema"], "shipshape.readiness/v1");
    assert_eq!(report["service"], "shop");
    assert_eq!(report["mode"], "offline");
    assert_eq!(report["items"].as_array().unwrap().len(), items);
    let paging = item(&report, "alerting.failing-monitor-pages");
    assert_eq!(paging["verdict"]["status"], "fail");
    assert_eq!(paging["blocks_launch"], true);
    assert_eq!(report["summary"]["blocking"], 1);

    // Markdown for a pull-request comment.
    assert_code("markdown", markdown, 1);
    let md = stdout(markdown);
    assert!(
        md.starts_with("## "),
        "markdown starts with a heading:\n{md}"
    );
    assert!(md.contains("alerting.failing-monitor-pages"));
}

#[test]
fn readiness_attestations_change_the_verdict_and_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fixture_repo(d, "good");
    let na: Vec<&str> = MUSTS_NOT_PASSING
        .iter()
        .copied()
        .filter(|id| *id != "security.launch-review")
        .collect();
    std::fs::write(d.join("shipshape.toml"), catalog(d, &na, "")).unwrap();
    let run = |args: &[&str]| crate::util::run(d, args);
    let check_json = || {
        let out = run(&[
            "check",
            "--config",
            "shipshape.toml",
            "--offline",
            "--format",
            "json",
        ]);
        let report = json(&out);
        (out.status.code(), report)
    };

    let (code, report) = check_json();
    assert_eq!(code, Some(1), "the launch review is not attested yet");
    let review = item(&report, "security.launch-review");
    assert_eq!(review["verdict"]["status"], "unknown");
    assert_eq!(review["blocks_launch"], true);

    let add = |item: &str, more: &[&str]| {
        let mut args = vec![
            "attest",
            "add",
            "--config",
            "shipshape.toml",
            "shop",
            item,
            "--by",
            "ISSO",
        ];
        args.extend_from_slice(more);
        run(&args)
    };
    let added = add(
        "security.launch-review",
        &["--link", "https://x.example/minutes"],
    );
    assert_code("attest add", &added, 0);
    assert!(
        stdout(&added).contains("recorded attestation 1"),
        "{}",
        stdout(&added)
    );
    assert!(
        d.join("state.db").exists(),
        "the store is the catalog's sqlite file"
    );

    let (code, report) = check_json();
    assert_eq!(code, Some(0), "the attestation unblocks the launch");
    let review = item(&report, "security.launch-review");
    assert_eq!(review["verdict"]["status"], "attested", "{review}");
    assert_eq!(review["verdict"]["by"], "ISSO");
    assert_eq!(review["verdict"]["link"], "https://x.example/minutes");
    assert_eq!(review["blocks_launch"], false);
    let text = run(&["check", "--config", "shipshape.toml", "--offline"]);
    assert_code("check (text) with the attestation", &text, 0);
    let text = stdout(&text);
    let line = text
        .lines()
        .find(|l| l.contains("security.launch-review"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("attested by ISSO"),
        "the text report shows who attested: {line}"
    );

    let list = run(&["attest", "list", "--config", "shipshape.toml", "shop"]);
    assert_code("attest list", &list, 0);
    let listed = stdout(&list);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("1\tsecurity.launch-review\tISSO on ")
                && l.contains("https://x.example/minutes")),
        "{listed}"
    );

    let revoked = run(&[
        "attest",
        "revoke",
        "--config",
        "shipshape.toml",
        "shop",
        "1",
    ]);
    assert_code("attest revoke", &revoked, 0);
    let (code, report) = check_json();
    assert_eq!(code, Some(1), "revoking blocks the launch again");
    assert_eq!(
        item(&report, "security.launch-review")["verdict"]["status"],
        "unknown"
    );
    let list = run(&["attest", "list", "--config", "shipshape.toml", "shop"]);
    assert!(
        stdout(&list).contains("no attestations for shop"),
        "{}",
        stdout(&list)
    );
    let again = run(&[
        "attest",
        "revoke",
        "--config",
        "shipshape.toml",
        "shop",
        "1",
    ]);
    assert_ne!(again.status.code(), Some(0), "revoking twice fails");

    // Bad input is refused with a reason, and nothing is recorded.
    let unknown = add("security.launch-reveiw", &[]);
    assert_ne!(unknown.status.code(), Some(0), "an unknown item");
    assert!(
        stderr(&unknown).contains("shipshape check --list"),
        "{}",
        stderr(&unknown)
    );
    let backwards = add(
        "security.launch-review",
        &["--on", "2025-03-10", "--expires", "2025-03-01"],
    );
    assert_ne!(backwards.status.code(), Some(0), "--expires before --on");
    assert!(
        stderr(&backwards).contains("--expires 2025-03-01")
            && stderr(&backwards).contains("must be after"),
        "{}",
        stderr(&backwards)
    );
    let ftp = add("security.launch-review", &["--link", "ftp://x.example/m"]);
    assert_ne!(ftp.status.code(), Some(0), "a non-http link");
    assert!(
        stderr(&ftp).contains("not an http(s) URL"),
        "{}",
        stderr(&ftp)
    );
    let list = run(&["attest", "list", "--config", "shipshape.toml", "shop"]);
    assert!(
        stdout(&list).contains("no attestations for shop"),
        "refused attestations are not recorded: {}",
        stdout(&list)
    );
}

/// A test CA and a leaf for `shop.test` signed by it, written to `dir`:
/// `ca.pem`, `cert.pem`, `key.pem`.
fn write_shop_pki(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "Shipshape Readiness Test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(vec!["shop.test".to_owned()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf.distinguished_name
        .push(DnType::CommonName, "shop.test");
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
}

/// Python's HTTP server behind TLS, on a free loopback port.
const HTTPS_SERVER: &str = r#"
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        found = self.path == "/"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return body
    def do_GET(self):
        self.wfile.write(self.reply(b"<!doctype html><title>Shop</title><p>Shop</p>"))
    def do_HEAD(self):
        self.reply(b"")
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn readiness_check_endpoint_reports_pshtt_fields_and_bounds_a_silent_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_shop_pki(d);
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HTTPS_SERVER)
        .arg(d.join("cert.pem"))
        .arg(d.join("key.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _server = Killed(child);
    let port: u16 = first
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the HTTPS server printed `{first}`"));
    // Nothing listens here: plain HTTP does not answer.
    let closed = free_port().to_string();
    // Accepts TCP (the kernel's backlog) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();

    let port = port.to_string();
    let endpoint = format!("https://shop.test:{port}/");
    let scan = |https_port: &str, ca: bool, timeout: &str| {
        let mut args = vec![
            "check".to_owned(),
            "--endpoint".to_owned(),
            format!("https://shop.test:{https_port}/"),
            "--resolve".to_owned(),
            "shop.test:127.0.0.1".to_owned(),
            "--https-port".to_owned(),
            https_port.to_owned(),
            "--http-port".to_owned(),
            closed.clone(),
            "--timeout".to_owned(),
            timeout.to_owned(),
            "--format".to_owned(),
            "json".to_owned(),
        ];
        if ca {
            args.extend(["--ca-file".to_owned(), "ca.pem".to_owned()]);
        }
        args
    };
    let invocations = [
        scan(&port, true, "5"),
        scan(&port, false, "5"),
        scan(&silent_port, false, "2"),
    ];
    let children: Vec<(Child, Instant)> = invocations
        .iter()
        .map(|args| {
            let child = bin()
                .args(args)
                .current_dir(d)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, Instant::now())
        })
        .collect();
    let outs: Vec<(Output, Duration)> = children
        .into_iter()
        .map(|(c, at)| {
            let out = c.wait_with_output().unwrap();
            (out, at.elapsed())
        })
        .collect();
    let [(trusted, _), (untrusted, _), (hanging, hanging_took)] = &outs[..] else {
        unreachable!()
    };
    drop(silent);

    // Trusted through --ca-file.
    assert!(
        matches!(trusted.status.code(), Some(0 | 1)),
        "{}",
        stderr(trusted)
    );
    let report = json(trusted);
    assert_eq!(report["Domain"], "shop.test", "{report:#}");
    assert_eq!(report["Canonical URL"], endpoint.as_str());
    assert_eq!(report["HTTPS Live"], true, "{report:#}");
    assert_eq!(report["Valid HTTPS"], true, "{report:#}");
    assert_eq!(report["HTTPS Bad Chain"], false, "{report:#}");
    assert_eq!(report["HTTPS Bad Hostname"], false, "{report:#}");
    assert_eq!(
        report["HTTPS Custom Truststore Trusted"], true,
        "{report:#}"
    );
    // pshtt's rule: HTTP endpoints that are down (nothing listens on
    // --http-port) count as forcing HTTPS, so a live HTTPS-only domain
    // enforces HTTPS without any redirect.
    assert_eq!(report["Redirect"], false, "{report:#}");
    assert_eq!(report["Defaults to HTTPS"], true, "{report:#}");
    assert_eq!(report["Strictly Forces HTTPS"], true, "{report:#}");
    assert_eq!(report["Domain Enforces HTTPS"], true, "{report:#}");
    assert_eq!(report["HSTS"], false, "{report:#}");
    for key in [
        "Base Domain",
        "Live",
        "Redirect",
        "HTTPS Expired Cert",
        "HTTPS Self Signed Cert",
        "Domain Supports HTTPS",
        "Domain Uses Strong HSTS",
    ] {
        assert!(report.get(key).is_some(), "pshtt field `{key}` missing");
    }
    let readiness = &report["readiness"];
    assert_eq!(readiness["schema"], "shipshape.readiness/v1");
    let items = readiness["items"].as_array().expect("readiness items");
    assert!(!items.is_empty(), "the scan yields findings");
    let tls = item(readiness, "security.tls-everywhere");
    assert_eq!(
        tls["verdict"]["status"], "pass",
        "a valid certificate from the extra CA: {tls:#}"
    );
    assert!(!tls["findings"].as_array().unwrap().is_empty());
    let headers = item(readiness, "security.headers");
    assert_eq!(
        headers["verdict"]["status"], "fail",
        "the server sends no security headers: {headers:#}"
    );
    let version = item(readiness, "security.no-version-disclosure");
    assert_eq!(
        version["verdict"]["status"], "fail",
        "Python's Server header names its version: {version:#}"
    );

    // The same endpoint without the CA: not valid, an untrusted chain.
    let report = json(untrusted);
    assert_eq!(untrusted.status.code(), Some(0), "no must-have is scanned");
    assert_eq!(report["HTTPS Live"], true, "{report:#}");
    assert_eq!(report["Valid HTTPS"], false, "{report:#}");
    assert!(
        report["HTTPS Bad Chain"] == true || report["HTTPS Self Signed Cert"] == true,
        "an unknown CA is a bad chain: {report:#}"
    );
    assert_eq!(
        item(&report["readiness"], "security.tls-everywhere")["verdict"]["status"],
        "fail"
    );

    // A server that never answers: bounded by --timeout, no panic,
    // unknown verdicts.
    assert!(
        *hanging_took < Duration::from_secs(20),
        "the scan of a silent server took {hanging_took:?}"
    );
    assert!(
        matches!(hanging.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        hanging.status.code(),
        stderr(hanging)
    );
    assert!(!stderr(hanging).contains("panicked"), "{}", stderr(hanging));
    let report = json(hanging);
    assert_eq!(report["Valid HTTPS"], false, "{report:#}");
    let items = report["readiness"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for i in items {
        assert_eq!(
            i["verdict"]["status"], "unknown",
            "nothing measured is never a pass or a fail: {i:#}"
        );
    }
}

/// A catalog for `shipshape serve`: the service `shop` reviewing the
/// `good` fixture every minute.
pub const SERVE_CATALOG: &str = r#"
[store]
url = "sqlite://shipshape.db"

[readiness]
every = "1m"

[[service]]
id = "shop"
name = "Shop"
repo = "repo"
"#;

/// Starts `shipshape serve` on [`SERVE_CATALOG`] in a fresh directory,
/// asks for a review through the API with a responder token and waits for
/// the stored report; returns the directory, the server and the report.
pub fn serve_with_review() -> (tempfile::TempDir, Running, Value) {
    let dir = tempfile::tempdir().unwrap();
    fixture_repo(dir.path(), "good");
    std::fs::write(dir.path().join("shipshape.toml"), SERVE_CATALOG).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let token = create_token(dir.path(), "responder");
    let url = format!("{}/api/v1/readiness/shop", server.base);
    let before = http().get(&url).bearer_auth(&token).send().unwrap();
    assert_eq!(before.status(), 404, "no review is stored at start-up");
    let asked = http()
        .post(format!("{url}/run"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(asked.status(), 202);
    assert_eq!(
        asked.json::<Value>().unwrap()["requested"],
        true,
        "serve has a runner to ask"
    );
    // The loop waits 30 s after start-up unless woken; the wake-up skips it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let report = loop {
        let response = http().get(&url).bearer_auth(&token).send().unwrap();
        if response.status() == 200 {
            break response.json::<Value>().unwrap();
        }
        assert_eq!(response.status(), 404);
        assert!(
            Instant::now() < deadline,
            "no review stored within 60 s:\n{}",
            server.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    (dir, server, report)
}

#[test]
fn readiness_serve_runs_the_review_when_asked() {
    let asked_at = Instant::now();
    let (dir, server, report) = serve_with_review();
    assert!(
        asked_at.elapsed() < Duration::from_secs(30),
        "the run request skipped the 30 s start-up wait ({:?})",
        asked_at.elapsed()
    );
    assert_eq!(report["schema"], "shipshape.readiness/v1");
    assert_eq!(report["service"], "shop");
    assert_eq!(report["mode"], "full", "serve runs the full review");
    let items = report["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        checklist_len(dir.path()),
        "one result per checklist item"
    );
    assert_eq!(
        item(&report, "scalability.two-instances-minimum")["verdict"]["status"],
        "pass",
        "the repository was read"
    );
    assert_eq!(
        item(&report, "alerting.test-page-recent")["verdict"]["status"],
        "fail",
        "Shipshape's own state was read (no test page yet): {:#}",
        item(&report, "alerting.test-page-recent")
    );
    let token = create_token(dir.path(), "viewer");
    let list: Value = http()
        .get(format!("{}/api/v1/readiness", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let shop = &list["services"][0];
    assert_eq!(shop["service"], "shop");
    assert_eq!(shop["reviewed"], true);
    assert_eq!(shop["mode"], "full");
    assert_eq!(shop["blocking"], report["summary"]["blocking"]);
    assert!(
        server.output().contains("readiness review done"),
        "{}",
        server.output()
    );
}
