//! What the paging end-to-end tests share: an upstream that can be taken
//! down, a catalog paging one person by webhook when it is, and the
//! deliveries a [`Sink`] received, read as notice kind and idempotency key.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::util::{Received, Sink};

/// One webhook delivery: its notice kind and delivery id.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub kind: String,
    pub key: String,
}

/// A webhook request as its notice kind and delivery id.
fn delivery(received: &Received) -> Option<Delivery> {
    let json: serde_json::Value = serde_json::from_slice(&received.body).ok()?;
    let header = |name: &str| received.header(name).map(str::to_owned);
    Some(Delivery {
        kind: json["kind"].as_str().unwrap_or_default().to_owned(),
        // Both headers carry the same key; tell them apart if they ever differ.
        key: match (header("x-shipshape-delivery"), header("idempotency-key")) {
            (Some(a), Some(b)) if a == b => a,
            (a, b) => format!("delivery={a:?} idempotency={b:?}"),
        },
    })
}

/// The deliveries the sink received so far.
pub fn deliveries(sink: &Sink) -> Vec<Delivery> {
    sink.seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(delivery)
        .collect()
}

/// The deliveries of notices of `kind` so far.
pub fn of_kind(sink: &Sink, kind: &str) -> Vec<Delivery> {
    deliveries(sink)
        .into_iter()
        .filter(|d| d.kind == kind)
        .collect()
}

/// How many raw deliveries each distinct key had.
pub fn counts(deliveries: &[Delivery]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for d in deliveries {
        *counts.entry(d.key.clone()).or_default() += 1;
    }
    counts
}

/// The distinct keys of the deliveries of `kind`, with how often each came.
pub fn keys_of(sink: &Sink, kind: &str) -> BTreeMap<String, usize> {
    counts(&of_kind(sink, kind))
}

/// An upstream answering 200, or 503 while down; counts the checks it
/// served, and those it failed.
pub struct Upstream {
    pub port: u16,
    pub down: Arc<AtomicBool>,
    pub checks: Arc<AtomicUsize>,
    pub failed_checks: Arc<AtomicUsize>,
}

impl Upstream {
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let checks = Arc::new(AtomicUsize::new(0));
        let failed_checks = Arc::new(AtomicUsize::new(0));
        let (flag, all, failed) = (down.clone(), checks.clone(), failed_checks.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let is_down = flag.load(Ordering::SeqCst);
                let status = if is_down {
                    "503 Service Unavailable"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                all.fetch_add(1, Ordering::SeqCst);
                if is_down {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Upstream {
            port,
            down,
            checks,
            failed_checks,
        }
    }
}

/// Writes `dir/shipshape.toml`: one person paged by webhook at `sink`, one
/// HTTP monitor on `upstream` every 5 s (`confirm = recover = 1`), and, with
/// `status_page`, a status page showing it.
fn write_catalog(dir: &Path, sink: &Sink, upstream: &Upstream, status_page: bool) {
    let page = if status_page {
        "[status_page]\ntitle = \"Example status\"\ncomponents = [{ name = \"API\", monitors = [\"api/health\"] }]\n"
    } else {
        ""
    };
    let catalog = format!(
        r#"
[alerting]
resolve_after = "2s"

{page}
[[person]]
id = "alice"
name = "Alice Rivera"
contact = [{{ type = "webhook", url = "http://127.0.0.1:{hook}/alice" }}]

[[escalation]]
id = "api"
steps = [{{ notify = ["person:alice"] }}]

[[route]]
match = {{ service = "api" }}
escalation = "api"

[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = {{ url = "http://127.0.0.1:{up}/health" }}
  every = "5s"
  timeout = "2s"
  confirm = 1
  recover = 1
"#,
        hook = sink.port,
        up = upstream.port,
    );
    std::fs::write(dir.join("shipshape.toml"), catalog).unwrap();
}

/// What each paging test starts from: a runtime for store calls, a fresh
/// PostgreSQL schema (dropped with it), a directory holding the catalog
/// [`write_catalog`] wrote, the webhook sink and the upstream.
pub struct Rig {
    pub rt: tokio::runtime::Runtime,
    pub db: shipshape_store::testing::TestDb,
    pub dir: tempfile::TempDir,
    pub sink: Sink,
    pub upstream: Upstream,
}

impl Rig {
    pub fn new(status_page: bool) -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let db = rt.block_on(shipshape_store::testing::postgres_url_for_fresh_schema());
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::start();
        let upstream = Upstream::start();
        write_catalog(dir.path(), &sink, &upstream, status_page);
        Rig {
            rt,
            db,
            dir,
            sink,
            upstream,
        }
    }
}

/// Every delivery the sink received so far, with the request it came in
/// (its body and the time it arrived), oldest first.
pub fn deliveries_received(sink: &Sink) -> Vec<(Delivery, Received)> {
    sink.seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|r| Some((delivery(r)?, r.clone())))
        .collect()
}
