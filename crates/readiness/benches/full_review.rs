//! How long a whole readiness review of one service takes, live endpoints
//! included: three loopback HTTPS sites (each with its plain-HTTP
//! redirect and `www.` name) signed by a test CA, a committed copy of the
//! `good` fixture repository, a SQLite store with monitor states and an
//! acknowledged test page, and a catalog with routes, a schedule, a status
//! page and two of the team's own items (one running `true`). Set up once;
//! each iteration runs `run::review` end to end.
//!
//! Run with `cargo bench -p shipshape-readiness --bench full_review`; set
//! `FULL_REVIEW_VERBOSE=1` to print every item's verdict once before
//! measuring.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shipshape_catalog::{Catalog, parse_str};
use shipshape_readiness::review::{Mode, Report};
use shipshape_readiness::run::{RunOptions, review};
use shipshape_scan::ScanOptions;
use shipshape_store::{MonitorEvent, MonitorName, MonitorState, NewIncident, Store, StoreOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// The service's sites and the loopback address each one listens on.
const SITES: &[(&str, Ipv4Addr)] = &[
    ("a.bench.test", Ipv4Addr::new(127, 0, 0, 2)),
    ("b.bench.test", Ipv4Addr::new(127, 0, 0, 3)),
    ("c.bench.test", Ipv4Addr::new(127, 0, 0, 4)),
];
/// Where the status page "lives": an address no site uses.
const STATUS: (&str, Ipv4Addr) = ("status.bench.test", Ipv4Addr::new(127, 0, 0, 9));

/// Everything the review needs, kept alive for the whole benchmark.
struct World {
    _dirs: Vec<tempfile::TempDir>,
    catalog: Catalog,
    store: Store,
    scan: ScanOptions,
}

fn pkcs8(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A test CA and a server config presenting a leaf for every site name
/// (and its `www.`), sent with the CA.
fn tls() -> (CertificateDer<'static>, ServerConfig) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "Shipshape Bench CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let names: Vec<String> = SITES
        .iter()
        .flat_map(|(host, _)| [(*host).to_owned(), format!("www.{host}")])
        .collect();
    let mut leaf = CertificateParams::new(names).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, SITES[0].0);
    leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone(), ca_cert.der().clone()],
                pkcs8(&leaf_key),
            )
            .unwrap();
    (ca_cert.der().clone(), config)
}

/// The answer to `path` on `host` over `scheme`: plain HTTP and `www.`
/// redirect to the HTTPS root name; the HTTPS root serves a page with HSTS,
/// security headers and a cookie, `security.txt`, and 404 for anything
/// else (the probed `.git/HEAD`, `.env`, backups, listing folders).
fn answer(scheme: &str, host: &str, path: &str) -> Vec<u8> {
    let root = host.strip_prefix("www.").unwrap_or(host);
    let (status, headers, body): (&str, Vec<String>, &str) = if scheme == "http" || root != host {
        (
            "301 Moved Permanently",
            vec![format!("Location: https://{root}{path}")],
            "",
        )
    } else {
        let mut headers = vec![
            "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload".to_owned(),
            "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'".to_owned(),
            "X-Content-Type-Options: nosniff".to_owned(),
            "X-Frame-Options: DENY".to_owned(),
            "Referrer-Policy: no-referrer".to_owned(),
        ];
        match path {
            "/" => {
                headers.push("Content-Type: text/html".to_owned());
                headers
                    .push("Set-Cookie: sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax".to_owned());
                (
                    "200 OK",
                    headers,
                    "<!doctype html><html><body>hello</body></html>",
                )
            }
            "/.well-known/security.txt" => {
                headers.push("Content-Type: text/plain".to_owned());
                (
                    "200 OK",
                    headers,
                    "Contact: mailto:security@example.gov\nExpires: 2099-01-01T00:00:00Z\n",
                )
            }
            _ => {
                headers.push("Content-Type: text/html".to_owned());
                (
                    "404 Not Found",
                    headers,
                    "<html><body>not found</body></html>",
                )
            }
        }
    };
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for h in headers {
        out.push_str(&h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// Reads one request head and writes the scripted answer.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, scheme: &'static str) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_owned();
    let host = lines
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("host").then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let _ = stream.write_all(&answer(scheme, host, &path)).await;
    let _ = stream.shutdown().await;
}

/// Binds the same free port on every site address (retrying when another
/// process holds it on one of them).
async fn bind_all() -> (u16, Vec<TcpListener>) {
    'attempt: for _ in 0..50 {
        let first = TcpListener::bind((SITES[0].1, 0)).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let mut listeners = vec![first];
        for (_, ip) in &SITES[1..] {
            match TcpListener::bind((*ip, port)).await {
                Ok(l) => listeners.push(l),
                Err(_) => continue 'attempt,
            }
        }
        return (port, listeners);
    }
    panic!("no port free on every site address");
}

/// Starts the plain-HTTP and HTTPS servers of every site; returns their
/// ports.
async fn start_sites(config: ServerConfig) -> (u16, u16) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (https_port, https) = bind_all().await;
    for listener in https {
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve(tls, "https").await;
                    }
                });
            }
        });
    }
    let (http_port, http) = bind_all().await;
    for listener in http {
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, "http"));
            }
        });
    }
    (http_port, https_port)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@example.org",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// A committed copy of the `good` fixture repository.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos/good");
    copy_dir(&fixture, dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "good service"]);
    dir
}

fn catalog_source(repo: &Path) -> String {
    let endpoints: Vec<String> = SITES
        .iter()
        .map(|(host, _)| format!("\"https://{host}/\""))
        .collect();
    let monitors: String = SITES
        .iter()
        .enumerate()
        .map(|(i, (host, _))| {
            format!(
                "\n  [[service.monitor]]\n  id = \"site-{i}\"\n  http = {{ url = \"https://{host}/\" }}\n  confirm = 2\n"
            )
        })
        .collect();
    let components: Vec<String> = (0..SITES.len())
        .map(|i| format!("{{ name = \"Site {i}\", monitors = [\"api/site-{i}\"] }}"))
        .collect();
    format!(
        r#"
[[person]]
id = "alice"
name = "Alice"
contact = [{{ type = "webhook", url = "https://hooks.example.gov/alice" }}]

[[person]]
id = "bob"
name = "Bob"
contact = [{{ type = "webhook", url = "https://hooks.example.gov/bob" }}]

[[team]]
id = "benefits"
name = "Benefits"
members = ["alice", "bob"]
deployers = ["alice", "bob"]

[[schedule]]
id = "primary"
timezone = "UTC"
rotation = {{ members = ["alice", "bob"], every = "1w", handoff = "09:00", start = "2026-01-05" }}

[[escalation]]
id = "benefits"
steps = [{{ notify = ["schedule:primary"] }}, {{ after = "10m", notify = ["team:benefits"] }}]

[[route]]
match = {{ service = "api" }}
escalation = "benefits"

[[service]]
id = "api"
name = "Benefits API"
owner = "benefits"
repo = "{repo}"
slo = {{ availability = "99.9%" }}
endpoints = [{endpoints}]

  [[service.datastore]]
  id = "db"
  kind = "postgres"
  replicas = 1
{monitors}
  [[service.monitor]]
  id = "nightly-backup"
  heartbeat = {{ every = "24h", grace = "1h" }}

[[readiness.item]]
id = "deployment.smoke-test"
title = "A smoke test runs after every deploy"
command = "true"

[[readiness.item]]
id = "security.pen-test-2027"
title = "Third-party pen test before launch"
must = true

[status_page]
title = "Benefits status"
url = "https://{status}"
components = [{components}]
"#,
        repo = repo.display(),
        endpoints = endpoints.join(", "),
        components = components.join(", "),
        status = STATUS.0,
    )
}

/// A store where every monitor is up and a test page to the team was
/// acknowledged ten days ago.
async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}", dir.join("s.db").display());
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    let now = Timestamp::now();
    let names: Vec<MonitorName> = (0..SITES.len())
        .map(|i| format!("site-{i}"))
        .chain(["nightly-backup".to_owned()])
        .map(|monitor| MonitorName {
            service: "api".into(),
            monitor,
        })
        .collect();
    let ids = store.register_monitors(&names, now).await.unwrap();
    let events: Vec<MonitorEvent> = names
        .iter()
        .map(|n| MonitorEvent {
            monitor: ids[n],
            at: now,
            from: MonitorState::Unknown,
            to: MonitorState::Up,
            reason: None,
            locations: Vec::new(),
        })
        .collect();
    store.append_monitor_events(&events).await.unwrap();
    let ten_days_ago = now.checked_sub(SignedDuration::from_hours(240)).unwrap();
    let id = store
        .open_incident(
            &NewIncident {
                key: "test:team:benefits".into(),
                service: None,
                title: "Test page for team:benefits".into(),
                severity: "info".into(),
                labels: BTreeMap::new(),
                opened_at: ten_days_ago,
                parent: None,
                suppressed: None,
            },
            &[],
            &[],
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    store
        .acknowledge_incident(id, "alice", ten_days_ago, &[])
        .await
        .unwrap();
    store
}

async fn world() -> World {
    let (ca, config) = tls();
    let (http_port, https_port) = start_sites(config).await;
    let repo = repository();
    let data = tempfile::tempdir().unwrap();
    let catalog = parse_str(
        &catalog_source(repo.path()),
        Path::new("/srv/shipshape.toml"),
    )
    .expect("valid catalog");
    let store = store(data.path()).await;
    let resolve: BTreeMap<String, IpAddr> = SITES
        .iter()
        .flat_map(|(host, ip)| {
            [
                ((*host).to_owned(), IpAddr::V4(*ip)),
                (format!("www.{host}"), IpAddr::V4(*ip)),
            ]
        })
        .chain([(STATUS.0.to_owned(), IpAddr::V4(STATUS.1))])
        .collect();
    let scan = ScanOptions {
        timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(10),
        resolve,
        http_port,
        https_port,
        extra_roots: vec![ca],
        ..ScanOptions::default()
    };
    World {
        _dirs: vec![repo, data],
        catalog,
        store,
        scan,
    }
}

async fn run(world: &World, mode: Mode) -> Report {
    let now = Timestamp::now();
    review(
        &world.catalog,
        &world.catalog.services[0],
        RunOptions {
            mode,
            store: Some(&world.store),
            no_store_reason: "",
            now,
            today: now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
            attestations: Vec::new(),
            scan: world.scan.clone(),
            progress: &|_: &str| {},
        },
    )
    .await
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let world = rt.block_on(world());

    // Once, outside the measurement: show what the review decided, so a
    // fixture that stopped working (every endpoint unknown) is noticed.
    let report = rt.block_on(run(&world, Mode::Full));
    let mut counts = BTreeMap::<&str, usize>::new();
    for item in &report.items {
        *counts.entry(item.verdict.label()).or_default() += 1;
    }
    eprintln!(
        "full review: {} items ({} built-in, {} custom): {counts:?}",
        report.items.len(),
        report.items.iter().filter(|i| !i.item.custom).count(),
        report.items.iter().filter(|i| i.item.custom).count(),
    );
    if std::env::var_os("FULL_REVIEW_VERBOSE").is_some() {
        for item in &report.items {
            eprintln!("  {}: {:?}", item.item.id, item.verdict);
        }
    }
    assert!(report.items.len() >= 30, "{} items", report.items.len());

    let mut group = c.benchmark_group("review");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("full", |b| {
        b.to_async(&rt).iter(|| run(&world, Mode::Full));
    });
    group.bench_function("offline", |b| {
        b.to_async(&rt).iter(|| run(&world, Mode::Offline));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
