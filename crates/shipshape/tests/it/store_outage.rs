//! PostgreSQL becomes unreachable under a running `shipshape serve`, and
//! comes back. The store is reached through a TCP proxy this test owns (the
//! shared server itself is never touched), which can be cut two ways:
//! "reset" closes every connection at once and closes new ones as they
//! arrive; "blackhole" stops forwarding (live connections hang, new ones
//! are accepted and never answered), like a network partition.
//!
//! While the store is cut, `/readyz` answers 503 within its ping timeout,
//! the process keeps running (`/healthz` answers), and the public status
//! page is served from its last snapshot. An outage that begins during the
//! cut is paged once the store is back, and its recovery after it: no page
//! is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use shipshape_store::{IncidentFilter, IncidentStatus, Store, StoreOptions};

use crate::paging::{Rig, deliveries, keys_of};
use crate::util::{Running, eventually};

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards every connection to the real server.
    Open,
    /// Closes every live connection at once; closes new ones on accept.
    Reset,
    /// Forwards nothing: live connections hang, new ones are accepted and
    /// never answered.
    Blackhole,
}

/// A TCP proxy in front of the real PostgreSQL server.
struct Proxy {
    port: u16,
    shared: Arc<ProxyShared>,
}

struct ProxyShared {
    mode: Mutex<Mode>,
    changed: Condvar,
    /// Both sockets of every forwarded connection, by connection id.
    live: Mutex<BTreeMap<u64, (TcpStream, TcpStream)>>,
    /// Connections accepted while blackholed, held open and never answered.
    held: Mutex<Vec<TcpStream>>,
    next_id: AtomicU64,
    /// Connections forwarded so far.
    forwarded: AtomicUsize,
}

impl ProxyShared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    /// Waits while blackholed; `true` once forwarding may go on, `false`
    /// if the proxy was reset meanwhile.
    fn wait_forwarding(&self) -> bool {
        let mut mode = self.mode.lock().unwrap();
        while *mode == Mode::Blackhole {
            mode = self.changed.wait(mode).unwrap();
        }
        *mode == Mode::Open
    }

    fn forget(&self, id: u64) {
        if let Some((a, b)) = self.live.lock().unwrap().remove(&id) {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `target`.
    fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(ProxyShared {
            mode: Mutex::new(Mode::Open),
            changed: Condvar::new(),
            live: Mutex::new(BTreeMap::new()),
            held: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            forwarded: AtomicUsize::new(0),
        });
        let state = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                match state.mode() {
                    Mode::Reset => drop(client),
                    Mode::Blackhole => state.held.lock().unwrap().push(client),
                    Mode::Open => forward(&state, client, &target),
                }
            }
        });
        Proxy { port, shared }
    }

    /// Cuts the store off the way `mode` says.
    fn cut(&self, mode: Mode) {
        assert_ne!(mode, Mode::Open);
        *self.shared.mode.lock().unwrap() = mode;
        if mode == Mode::Reset {
            let live = std::mem::take(&mut *self.shared.live.lock().unwrap());
            for (a, b) in live.values() {
                let _ = a.shutdown(Shutdown::Both);
                let _ = b.shutdown(Shutdown::Both);
            }
        }
        self.shared.changed.notify_all();
    }

    /// Forwards again; connections paused by a blackhole carry on where
    /// they stopped (as TCP does when a partition heals), the ones accepted
    /// meanwhile are closed.
    fn restore(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Open;
        self.shared.held.lock().unwrap().clear();
        self.shared.changed.notify_all();
    }
}

/// Connects `client` to `target` and pumps bytes both ways.
fn forward(state: &Arc<ProxyShared>, client: TcpStream, target: &str) {
    let addr = target.to_socket_addrs().unwrap().next().unwrap();
    let Ok(server) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let id = state.next_id.fetch_add(1, Ordering::SeqCst);
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    state
        .live
        .lock()
        .unwrap()
        .insert(id, (c2.try_clone().unwrap(), s2.try_clone().unwrap()));
    state.forwarded.fetch_add(1, Ordering::SeqCst);
    for (from, to) in [(client, s2), (server, c2)] {
        let state = state.clone();
        std::thread::spawn(move || pump(&state, id, from, to));
    }
}

/// Copies `from` to `to` until either closes; while blackholed, holds what
/// it read.
fn pump(state: &ProxyShared, id: u64, mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !state.wait_forwarding() || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    state.forget(id);
}

/// A client patient enough to measure how long a request hangs.
fn patient() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs `url`: its status (0 on a transport error) and how long it took.
fn get(client: &reqwest::blocking::Client, url: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = client
        .get(url)
        .send()
        .map_or(0, |response| response.status().as_u16());
    (status, started.elapsed())
}

/// `url` with its `host:port` replaced by the proxy's, and the `host:port`
/// it had.
fn through_proxy(url: &str, proxy_port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((user, hostport)) => (format!("{user}@"), hostport),
        None => (String::new(), authority),
    };
    let target = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:5432")
    };
    (
        format!("{scheme}://{userinfo}127.0.0.1:{proxy_port}{tail}"),
        target,
    )
}

#[test]
fn a_store_reset_under_serve_loses_no_page() {
    store_outage(Mode::Reset);
}

#[test]
fn a_blackholed_store_under_serve_loses_no_page() {
    store_outage(Mode::Blackhole);
}

fn store_outage(cut: Mode) {
    let started = Instant::now();
    // Kept to the end: dropping `db` drops the schema.
    let Rig {
        rt,
        db,
        dir,
        sink,
        upstream,
    } = Rig::new(true);
    let direct_url = db.url().to_owned();
    let proxy = Proxy::start(through_proxy(&direct_url, 0).1);
    let (url, _) = through_proxy(&direct_url, proxy.port);

    // 1. Serve through the proxy.
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store-url",
        url.as_str(),
    ];
    let server = Running::start(
        dir.path(),
        &args,
        &[("RUST_LOG", "info,sqlx=warn,hyper=warn")],
    );
    let client = patient();
    let at = |path: &str| format!("{}{path}", server.base);
    assert!(
        eventually(Duration::from_secs(20), || get(&client, &at("/readyz")).0
            == 200),
        "not ready:\n{}",
        server.output()
    );
    assert!(
        proxy.shared.forwarded.load(Ordering::SeqCst) > 0,
        "the store is reached through the proxy"
    );
    // Steady state: the monitoring writer has registered the monitor and
    // stored a result (read past the proxy, straight from the server).
    // `/readyz` is 200 before that; a cut in between is the bug
    // `a_store_cut_while_serve_starts_loses_no_page` reproduces.
    let store = rt
        .block_on(Store::open(&direct_url, StoreOptions::default()))
        .unwrap();
    let stored_results = || {
        rt.block_on(async {
            let ids: Vec<_> = store.monitors().await.ok()?.iter().map(|m| m.id).collect();
            store.latest_results(&ids).await.ok().map(|r| r.len())
        })
        .unwrap_or(0)
    };
    assert!(
        eventually(Duration::from_secs(20), || stored_results() == 1),
        "no check result stored before the cut:\n{}",
        server.output()
    );
    // The status page has a snapshot to fall back on.
    assert_eq!(get(&client, &at("/status")).0, 200, "{}", server.output());
    let status_primed = Instant::now();
    assert!(
        deliveries(&sink).is_empty(),
        "nothing paged while all is well: {:?}",
        deliveries(&sink)
    );

    // 2. Cut the store.
    proxy.cut(cut);
    let cut_at = Instant::now();
    let mut slowest_readyz = Duration::ZERO;
    let mut readyz_statuses = Vec::new();
    let unready = eventually(Duration::from_secs(15), || {
        let (status, took) = get(&client, &at("/readyz"));
        slowest_readyz = slowest_readyz.max(took);
        readyz_statuses.push(status);
        status == 503
    });
    let cut_to_503 = cut_at.elapsed();
    assert!(
        unready,
        "{cut:?}: /readyz did not answer 503 within 15 s of the cut (answers: {readyz_statuses:?}, slowest {slowest_readyz:?}):\n{}",
        server.output()
    );
    assert!(
        slowest_readyz < Duration::from_secs(5),
        "{cut:?}: a /readyz took {slowest_readyz:?} while the store was cut"
    );
    // Still 503, promptly, on a second look (the pool is not stuck).
    let (status, took) = get(&client, &at("/readyz"));
    assert_eq!(status, 503, "{cut:?}: /readyz again");
    slowest_readyz = slowest_readyz.max(took);

    let (status, healthz_took) = get(&client, &at("/healthz"));
    assert_eq!(
        status,
        200,
        "{cut:?}: /healthz while cut:\n{}",
        server.output()
    );

    // 3. An outage begins while the store is cut.
    upstream.down.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(15), || upstream
            .failed_checks
            .load(Ordering::SeqCst)
            >= 1),
        "{cut:?}: the monitor was not checked while the store was cut:\n{}",
        server.output()
    );
    // Let the writer meet the cut store with the failed result (it retries).
    let writer_failed = eventually(Duration::from_secs(12), || {
        server.output().contains("will retry")
    });

    // The public status page, served from its last snapshot (built over
    // 5 s ago, so not fresh: the cache had to fall back).
    if let Some(wait) = Duration::from_secs(6).checked_sub(status_primed.elapsed()) {
        std::thread::sleep(wait);
    }
    let (status, status_took) = get(&client, &at("/status"));
    assert_eq!(
        status,
        200,
        "{cut:?}: /status while cut (after {status_took:?}):\n{}",
        server.output()
    );
    // (Whether it came from a fallback rebuild or a snapshot still fresh
    // after an earlier failed rebuild depends on timing; either is right.)
    // Three visitors at once: each gets the last snapshot.
    let visitors: Vec<(u16, Duration)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| get(&patient(), &at("/status"))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        visitors.iter().all(|(status, _)| *status == 200),
        "{cut:?}: concurrent /status while cut: {visitors:?}"
    );
    let visitors: Vec<Duration> = visitors.into_iter().map(|(_, took)| took).collect();
    let (status, took) = get(&client, &at("/healthz"));
    assert_eq!(status, 200, "{cut:?}: /healthz late in the cut");
    let healthz_took = healthz_took.max(took);
    assert!(
        deliveries(&sink).is_empty(),
        "{cut:?}: nothing can be decided while the store is cut: {:?}",
        deliveries(&sink)
    );
    let cut_lasted = cut_at.elapsed();

    // 4. Restore the store: ready again by itself, and the outage is paged.
    proxy.restore();
    let restored_at = Instant::now();
    assert!(
        eventually(Duration::from_secs(20), || get(&client, &at("/readyz")).0
            == 200),
        "{cut:?}: /readyz not 200 within 20 s of the restore:\n{}",
        server.output()
    );
    let restore_to_200 = restored_at.elapsed();
    assert!(
        eventually(Duration::from_secs(30), || !keys_of(&sink, "trigger")
            .is_empty()),
        "{cut:?}: the outage that began during the cut was not paged within 30 s of the restore: {:?}\n{}",
        deliveries(&sink),
        server.output()
    );
    let restore_to_trigger = restored_at.elapsed();

    upstream.down.store(false, Ordering::SeqCst);
    let up_at = Instant::now();
    assert!(
        eventually(Duration::from_secs(40), || !keys_of(&sink, "resolved")
            .is_empty()),
        "{cut:?}: no recovery notice within 40 s: {:?}\n{}",
        deliveries(&sink),
        server.output()
    );
    let up_to_resolve = up_at.elapsed();
    // A repeat would come within a delivery tick or two.
    std::thread::sleep(Duration::from_secs(2));

    let triggers = keys_of(&sink, "trigger");
    let resolves = keys_of(&sink, "resolved");
    eprintln!(
        "{cut:?}: cut -> 503 {cut_to_503:?} (slowest /readyz {slowest_readyz:?}, /healthz {healthz_took:?}, \
         /status {status_took:?}, 3 concurrent /status {visitors:?}); writer retried during the cut: {writer_failed}; cut lasted {cut_lasted:?}; \
         restore -> 200 {restore_to_200:?}; restore -> trigger {restore_to_trigger:?}; \
         upstream up -> resolve {up_to_resolve:?}"
    );
    eprintln!("{cut:?}: deliveries per key: trigger {triggers:?}, resolved {resolves:?}");
    assert_eq!(triggers.len(), 1, "{cut:?}: one trigger key: {triggers:?}");
    assert_eq!(resolves.len(), 1, "{cut:?}: one resolve key: {resolves:?}");
    assert!(
        deliveries(&sink)
            .iter()
            .all(|d| d.kind == "trigger" || d.kind == "resolved"),
        "{cut:?}: no other notice: {:?}",
        deliveries(&sink)
    );
    assert!(
        !server.output().contains("panicked"),
        "{cut:?}: a panic:\n{}",
        server.output()
    );

    // The store agrees: one incident, resolved.
    let incidents = rt
        .block_on(store.incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        }))
        .unwrap();
    assert_eq!(incidents.len(), 1, "{cut:?}: one incident: {incidents:?}");
    assert_eq!(incidents[0].status, IncidentStatus::Resolved);
    let outbox = rt
        .block_on(store.outbox_for_incident(incidents[0].id))
        .unwrap();
    let stored: BTreeSet<&String> = outbox.iter().map(|m| &m.key).collect();
    let sent: BTreeSet<&String> = triggers.keys().chain(resolves.keys()).collect();
    assert_eq!(sent, stored, "{cut:?}: the sink saw the stored keys");
    rt.block_on(store.close());

    let status = server.stop();
    assert!(status.success(), "{cut:?}: serve stopped with {status}");
    drop(db);
    eprintln!("{cut:?}: store outage test took {:?}", started.elapsed());
}

/// Reproduces a lost page: when the store fails just as `serve` registers
/// its monitors (right after it starts listening, before `/readyz` could
/// tell), the monitoring writer logs "could not register monitors; their
/// results are not stored" and never tries again, so no result, state
/// change or alert signal of any monitor is stored for the life of the
/// process, and an outage after the store is back is never paged.
#[test]
fn a_store_cut_while_serve_starts_loses_no_page() {
    // Kept to the end: dropping `db` drops the schema.
    let Rig {
        rt: _rt,
        db,
        dir,
        sink,
        upstream,
    } = Rig::new(true);
    let proxy = Proxy::start(through_proxy(db.url(), 0).1);
    let (url, _) = through_proxy(db.url(), proxy.port);
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store-url",
        url.as_str(),
    ];
    let mut server = Running::start(
        dir.path(),
        &args,
        &[("RUST_LOG", "info,sqlx=warn,hyper=warn")],
    );
    // Monitors are registered about 100 ms after this line.
    server.wait_for_line("this instance", Duration::from_secs(30));
    proxy.cut(Mode::Blackhole);
    let hit = eventually(Duration::from_secs(10), || {
        server.output().contains("could not register monitors")
    });
    proxy.restore();
    // The cut races the registration; when it wins, registration must be
    // retried once the store answers. Either way the outage below is paged.
    if hit {
        assert!(
            eventually(Duration::from_secs(20), || server
                .output()
                .contains("monitors registered; their results are stored again")),
            "registration was not retried after the store came back:\n{}",
            server.output()
        );
    } else {
        eprintln!("the cut missed the registration this time; checking the page only");
    }
    let client = patient();
    assert!(
        eventually(Duration::from_secs(20), || get(
            &client,
            &format!("{}/readyz", server.base)
        )
        .0 == 200),
        "not ready after the restore:\n{}",
        server.output()
    );
    upstream.down.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(40), || !keys_of(&sink, "trigger")
            .is_empty()),
        "an outage after the store came back was never paged: {:?}\n{}",
        deliveries(&sink),
        server.output()
    );
    drop(server);
    drop(db);
}
