//! Chaos (issue 7): three `shipshape serve` instances on one PostgreSQL
//! schema watch a fleet of six upstreams, each its own service with one HTTP
//! monitor. On a fixed script every upstream goes down once, at staggered
//! times, while every 15 s a random live instance is killed with SIGKILL
//! (seeded, so the run is the same every time) and started again 5 s later
//! as a new instance. Every outage must still page exactly once and
//! resolve exactly once, no monitor may go unchecked for longer than the
//! hand-over allows, and no instance may crash on its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shipshape_store::{MonitorId, MonitorState, Store, StoreOptions};

use crate::paging::{Upstream, deliveries_received};
use crate::util::{Running, Sink, artifacts_dir, eventually, http, wait_ready};

/// How many upstreams (and services, and monitors).
const FLEET: usize = 6;
/// The monitors' interval (`every = "5s"` in the catalog).
const EVERY: Duration = Duration::from_secs(5);
/// The longest a monitor may go unchecked: two intervals, plus the
/// membership TTL after which a killed instance's monitors move, plus the
/// heartbeat poll that notices it.
const MAX_GAP: Duration = EVERY
    .saturating_mul(2)
    .saturating_add(Duration::from_secs(10 + 2));
/// When upstream `i` goes down and comes back, from the start of the script.
/// An outage lasts longer than [`MAX_GAP`], so some instance checks every
/// upstream while it is down, whatever the kills do.
fn outage(i: usize) -> (Duration, Duration) {
    let down = Duration::from_secs(5 + 12 * i as u64);
    (down, down + Duration::from_secs(25))
}
/// When the `k`-th kill happens; the victim is started again [`RESTART`]
/// later.
fn kill_at(k: usize) -> Duration {
    Duration::from_secs(12 + 15 * k as u64)
}
const KILLS: usize = 6;
const RESTART: Duration = Duration::from_secs(5);

/// Writes `dir/shipshape.toml`: one person paged by webhook at `sink`, and
/// per upstream a service `svcN` with one HTTP monitor `health` every 5 s
/// (`confirm = recover = 1`) routed to her, so a webhook's
/// `incident.service` names the upstream.
fn write_catalog(dir: &Path, sink: &Sink, upstreams: &[Upstream]) {
    let mut catalog = format!(
        r#"
[alerting]
resolve_after = "2s"

[[person]]
id = "alice"
name = "Alice Rivera"
contact = [{{ type = "webhook", url = "http://127.0.0.1:{hook}/alice" }}]

[[escalation]]
id = "fleet"
steps = [{{ notify = ["person:alice"] }}]
"#,
        hook = sink.port
    );
    for (i, upstream) in upstreams.iter().enumerate() {
        catalog.push_str(&format!(
            r#"
[[route]]
match = {{ service = "svc{i}" }}
escalation = "fleet"

[[service]]
id = "svc{i}"
name = "Service {i}"

  [[service.monitor]]
  id = "health"
  http = {{ url = "http://127.0.0.1:{up}/health" }}
  every = "5s"
  timeout = "2s"
  confirm = 1
  recover = 1
"#,
            up = upstream.port,
        ));
    }
    std::fs::write(dir.join("shipshape.toml"), catalog).unwrap();
}

/// The instance id a `shipshape serve` logged at start (`this instance`).
fn instance_id(server: &mut Running) -> String {
    let line = server.wait_for_line("this instance", Duration::from_secs(30));
    line.split("instance=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no instance id in `{line}`"))
        .trim_matches('"')
        .to_owned()
}

/// The last `n` lines of a process's output.
fn tail(output: &str, n: usize) -> String {
    let lines: Vec<&str> = output.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// One instance, as started; `server` is `None` once it was killed.
struct Instance {
    slot: usize,
    id: String,
    server: Option<Running>,
}

/// The logs of every instance, live or killed, the last `n` lines each.
fn logs(instances: &[Instance], n: usize) -> String {
    instances
        .iter()
        .filter_map(|i| {
            let server = i.server.as_ref()?;
            Some(format!(
                "--- slot {} ({}) ---\n{}",
                i.slot,
                i.id,
                tail(&server.output(), n)
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn three_instances_under_chaos_page_every_outage_once() {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Kept to the end: dropping `db` drops the schema.
    let db = rt.block_on(shipshape_store::testing::postgres_url_for_fresh_schema());
    let url = db.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start();
    let upstreams: Vec<Upstream> = (0..FLEET).map(|_| Upstream::start()).collect();
    write_catalog(dir.path(), &sink, &upstreams);

    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store-url",
        url.as_str(),
    ];
    let log = [(
        "RUST_LOG",
        "info,sqlx=warn,hyper=warn,shipshape::monitoring=debug",
    )];
    let start = |slot: usize| {
        let mut server = Running::start(dir.path(), &args, &log);
        let id = instance_id(&mut server);
        Instance {
            slot,
            id,
            server: Some(server),
        }
    };
    // Every instance ever started; killed ones are kept for their logs.
    // `slots[s]` is the index of the instance in slot `s`, if it runs.
    let mut instances: Vec<Instance> = (0..3).map(start).collect();
    let mut slots: Vec<Option<usize>> = vec![Some(0), Some(1), Some(2)];
    for instance in &instances {
        let server = instance.server.as_ref().unwrap();
        wait_ready(server, Duration::from_secs(20));
    }
    let store = rt
        .block_on(Store::open(&url, StoreOptions::default()))
        .unwrap();
    let live = || {
        rt.block_on(store.live_instances(jiff::Timestamp::now(), Duration::from_secs(10)))
            .unwrap()
            .len()
    };
    assert!(
        eventually(Duration::from_secs(15), || live() == 3),
        "live instances: {}",
        live()
    );
    assert!(
        eventually(Duration::from_secs(20), || upstreams
            .iter()
            .all(|u| u.checks.load(Ordering::SeqCst) >= 1)),
        "not every upstream was checked:\n{}",
        logs(&instances, 40)
    );
    let monitors: BTreeMap<String, MonitorId> = rt
        .block_on(store.monitors())
        .unwrap()
        .into_iter()
        .map(|m| (m.name.service, m.id))
        .collect();
    assert_eq!(monitors.len(), FLEET, "registered monitors: {monitors:?}");
    eprintln!("set-up took {:?}", started.elapsed());

    // The script: outages and kills, by the clock.
    let mut rng = StdRng::seed_from_u64(7);
    let run_from = jiff::Timestamp::now();
    let t0 = Instant::now();
    // When each upstream actually went down and came back.
    let mut down_at: Vec<Option<SystemTime>> = vec![None; FLEET];
    let mut up_at: Vec<Option<SystemTime>> = vec![None; FLEET];
    let mut kills: Vec<(Duration, SystemTime, String)> = Vec::new();
    let mut restarts: Vec<(Duration, usize)> = Vec::new();
    let script_end = (0..FLEET)
        .map(|i| outage(i).1)
        .chain((0..KILLS).map(|k| kill_at(k) + RESTART))
        .max()
        .unwrap();
    loop {
        let t = t0.elapsed();
        for (i, upstream) in upstreams.iter().enumerate() {
            let (down, up) = outage(i);
            if t >= down && down_at[i].is_none() {
                upstream.down.store(true, Ordering::SeqCst);
                down_at[i] = Some(SystemTime::now());
                eprintln!("{t:>6.1?}: svc{i} down");
            }
            if t >= up && up_at[i].is_none() {
                upstream.down.store(false, Ordering::SeqCst);
                up_at[i] = Some(SystemTime::now());
                eprintln!("{t:>6.1?}: svc{i} up");
            }
        }
        if kills.len() < KILLS && t >= kill_at(kills.len()) {
            let running: Vec<usize> = (0..slots.len()).filter(|s| slots[*s].is_some()).collect();
            assert!(
                running.len() >= 2,
                "the script kills only with two instances running"
            );
            let slot = running[rng.random_range(0..running.len())];
            let victim = &mut instances[slots[slot].take().unwrap()];
            victim.server.as_mut().unwrap().kill();
            kills.push((t, SystemTime::now(), victim.id.clone()));
            restarts.push((t + RESTART, slot));
            eprintln!("{t:>6.1?}: killed slot {slot} ({})", victim.id);
        }
        if let Some(due) = restarts.iter().position(|(at, _)| t >= *at) {
            let (_, slot) = restarts.remove(due);
            let instance = start(slot);
            eprintln!(
                "{:>6.1?}: restarted slot {slot} as {}",
                t0.elapsed(),
                instance.id
            );
            slots[slot] = Some(instances.len());
            instances.push(instance);
        }
        if t >= script_end && restarts.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(upstreams.iter().all(|u| !u.down.load(Ordering::SeqCst)));

    // Every outage resolves.
    let service_of = |body: &[u8]| -> String {
        serde_json::from_slice::<serde_json::Value>(body).unwrap_or_default()["incident"]["service"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let resolved = || {
        deliveries_received(&sink)
            .iter()
            .filter(|(d, _)| d.kind == "resolved")
            .map(|(_, r)| service_of(&r.body))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let settled = eventually(Duration::from_secs(60), || resolved() == FLEET);
    eprintln!("{:>6.1?}: {} outages resolved", t0.elapsed(), resolved());
    // A repeat would come within a delivery tick or two; give it that.
    std::thread::sleep(Duration::from_secs(3));
    let run_to = jiff::Timestamp::now();

    // Every instance's whole log, for a failure to be read afterwards.
    let saved = artifacts_dir().join("chaos");
    std::fs::create_dir_all(&saved).unwrap();
    for (n, instance) in instances.iter().enumerate() {
        let output = instance.server.as_ref().unwrap().output();
        let file = saved.join(format!("{n}-slot{}-{}.log", instance.slot, instance.id));
        std::fs::write(file, output).unwrap();
    }
    eprintln!("instance logs in {}", saved.display());

    let mut received = deliveries_received(&sink);
    received.sort_by_key(|(_, r)| r.at);
    for (d, r) in &received {
        eprintln!(
            "delivery {} {} {} at {}",
            service_of(&r.body),
            d.kind,
            d.key,
            jiff::Timestamp::try_from(r.at).unwrap()
        );
    }
    assert!(
        settled,
        "not every outage was resolved within 60 s\n{}",
        logs(&instances, 60)
    );

    // 1. One trigger key and one resolve key per outage; raw repeats only
    // of a key whose sender was killed after sending it.
    let mut repeats = 0;
    for (i, (down, up)) in down_at.iter().zip(&up_at).enumerate() {
        let service = format!("svc{i}");
        let (down, up) = (down.unwrap(), up.unwrap());
        for (kind, since) in [("trigger", down), ("resolved", up)] {
            let mut keys: BTreeMap<&str, Vec<SystemTime>> = BTreeMap::new();
            for (d, r) in &received {
                if d.kind == kind && service_of(&r.body) == service {
                    keys.entry(d.key.as_str()).or_default().push(r.at);
                }
            }
            let counts: Vec<usize> = keys.values().map(Vec::len).collect();
            eprintln!("{service} {kind}: raw deliveries per key {counts:?}");
            assert_eq!(
                keys.len(),
                1,
                "{service}: one {kind} key, got {keys:?}\n{}",
                logs(&instances, 60)
            );
            for (key, ats) in &keys {
                assert!(
                    ats[0] >= since,
                    "{service}: the {kind} `{key}` came before the upstream changed"
                );
                if ats.len() > 1 {
                    repeats += ats.len() - 1;
                    let window = (ats[0] - Duration::from_secs(2))..=ats[ats.len() - 1];
                    assert!(
                        kills.iter().any(|(_, at, _)| window.contains(at)),
                        "{service}: the {kind} `{key}` was delivered {} times without a kill \
                         between the first and the last: {kills:?}",
                        ats.len()
                    );
                }
            }
        }
    }
    let kinds: Vec<&str> = received.iter().map(|(d, _)| d.kind.as_str()).collect();
    assert!(
        kinds.iter().all(|k| *k == "trigger" || *k == "resolved"),
        "no other notice: {kinds:?}"
    );

    // 2. No monitor went unchecked for longer than the hand-over allows.
    // One kill costs at most MAX_GAP. A monitor can move from a killed
    // instance to the next victim before that one stored a result of it
    // (results are written every second; the ones not yet written die with
    // the process), so a gap spanning several kills may be longer by the
    // time between its first and last kill: the hand-over starts again.
    let kill_times: Vec<jiff::Timestamp> = kills
        .iter()
        .map(|(_, at, _)| jiff::Timestamp::try_from(*at).unwrap())
        .collect();
    let allowed = |from: jiff::Timestamp, to: jiff::Timestamp| {
        let within: Vec<&jiff::Timestamp> = kill_times
            .iter()
            .filter(|k| **k > from && **k < to)
            .collect();
        match (within.first(), within.last()) {
            (Some(first), Some(last)) => {
                MAX_GAP + Duration::try_from(last.duration_since(**first)).unwrap()
            }
            _ => MAX_GAP,
        }
    };
    let mut worst = Duration::ZERO;
    let mut worst_single = Duration::ZERO;
    for (service, id) in &monitors {
        let results = rt
            .block_on(store.results(*id, run_from, run_to, 10_000))
            .unwrap();
        assert!(!results.is_empty(), "{service}: no results");
        let mut times: Vec<jiff::Timestamp> = vec![run_from];
        times.extend(results.iter().map(|r| r.at));
        times.push(run_to);
        let mut gap = Duration::ZERO;
        for pair in times.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let d = Duration::try_from(to.duration_since(from)).unwrap_or_default();
            let limit = allowed(from, to);
            assert!(
                d <= limit,
                "{service} went unchecked for {d:?} from {from} to {to} (at most {limit:?}); \
                 kills at {kill_times:?}"
            );
            if limit == MAX_GAP {
                worst_single = worst_single.max(d);
            } else {
                eprintln!("{service}: a gap of {d:.1?} from {from} spans several kills");
            }
            gap = gap.max(d);
        }
        // A monitor that moved carried its state with it: after start-up
        // its history never starts over from "unknown".
        let events = rt
            .block_on(store.monitor_events_for(*id, 1_000, None))
            .unwrap();
        let restarts: Vec<_> = events
            .iter()
            .filter(|r| {
                r.event.from == MonitorState::Unknown
                    && kill_times.first().is_some_and(|first| r.event.at > *first)
            })
            .map(|r| (r.event.at, r.event.to))
            .collect();
        assert!(
            restarts.is_empty(),
            "{service}: history restarted from unknown after a hand-over: {restarts:?}"
        );
        eprintln!("{service}: {} results, worst gap {gap:.1?}", results.len());
        worst = worst.max(gap);
    }

    // 3. No instance crashed but the killed ones.
    for instance in &instances {
        let server = instance.server.as_ref().unwrap();
        assert!(
            !server.output().contains("panicked"),
            "slot {} ({}) panicked:\n{}",
            instance.slot,
            instance.id,
            server.output()
        );
    }
    for index in slots.iter().flatten() {
        let server = instances[*index].server.as_ref().unwrap();
        assert!(
            http()
                .get(format!("{}/readyz", server.base))
                .send()
                .is_ok_and(|r| r.status() == 200),
            "slot {} ({}) is not ready at the end:\n{}",
            instances[*index].slot,
            instances[*index].id,
            tail(&server.output(), 60)
        );
    }
    assert!(
        eventually(Duration::from_secs(15), || live() == 3),
        "live instances at the end: {}",
        live()
    );

    eprintln!(
        "chaos summary: {FLEET} outages, {} kills at {:?}, {repeats} re-deliveries, worst gap {worst:.1?} \
         (across at most one kill: {worst_single:.1?})",
        kills.len(),
        kills.iter().map(|(t, _, _)| *t).collect::<Vec<_>>()
    );
    rt.block_on(store.close());
    drop(instances);
    drop(db);
    eprintln!("chaos test took {:?}", started.elapsed());
}
