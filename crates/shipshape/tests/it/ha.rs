//! Two `shipshape serve` instances on one PostgreSQL schema: both check the
//! same monitor, but only the holder of the `pager.decide` lease decides, so
//! an outage pages once. Killing the decider with SIGKILL (no graceful
//! hand-over) loses nothing: the survivor takes the lease once it lapses and
//! sends the recovery, with one idempotency key.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use shipshape_store::{IncidentFilter, IncidentStatus, OutboxState, Store, StoreOptions};

use crate::paging::{Rig, counts, deliveries, of_kind};
use crate::util::{Running, eventually, http, wait_ready};

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

/// Two `shipshape serve` instances on the store at `url`, started one after
/// the other in `dir`, with their ids, once both answer `/readyz`.
fn start_two(
    dir: &std::path::Path,
    url: &str,
    ready_within: Duration,
) -> ([Running; 2], [String; 2]) {
    let args = ["serve", "--listen", "127.0.0.1:0", "--store-url", url];
    let log = [("RUST_LOG", "info,sqlx=warn,hyper=warn")];
    let mut servers = [
        Running::start(dir, &args, &log),
        Running::start(dir, &args, &log),
    ];
    let ids = [instance_id(&mut servers[0]), instance_id(&mut servers[1])];
    for server in &servers {
        wait_ready(server, ready_within);
    }
    (servers, ids)
}

#[test]
fn two_instances_page_once_and_a_killed_decider_loses_no_page() {
    let started = Instant::now();
    // Kept to the end: dropping `db` drops the schema.
    let Rig {
        rt,
        db,
        dir,
        sink,
        upstream,
    } = Rig::new(false);
    let url = db.url().to_owned();

    // 2. Two instances, one store.
    let (mut servers, ids) = start_two(dir.path(), &url, Duration::from_secs(20));
    assert_ne!(ids[0], ids[1], "each instance has its own id");
    let store = rt
        .block_on(Store::open(&url, StoreOptions::default()))
        .unwrap();
    let live = || {
        rt.block_on(store.live_instances(jiff::Timestamp::now(), Duration::from_secs(10)))
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(Duration::from_secs(15), || live().len() == 2),
        "live instances: {:?}",
        live()
    );
    let mut expected = ids.to_vec();
    expected.sort();
    assert_eq!(live(), expected);
    // Both instances have checked the monitor while it was up.
    assert!(
        eventually(Duration::from_secs(15), || upstream
            .checks
            .load(Ordering::SeqCst)
            >= 2),
        "the monitor was not checked"
    );
    // The monitor is checked by one instance, not both: over 20 s at a 5 s
    // interval one checker makes 4 or 5 checks, two would make 8 or more.
    std::thread::sleep(Duration::from_secs(3)); // both see each other
    let before = upstream.checks.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(20));
    let made = upstream.checks.load(Ordering::SeqCst) - before;
    eprintln!("checks in 20 s with two instances: {made}");
    assert!(
        (3..=5).contains(&made),
        "{made} checks in 20 s: the monitor is not checked by exactly one instance"
    );

    let holder = |rt: &tokio::runtime::Runtime| {
        rt.block_on(store.lease_holder(shipshape_pager::DECIDE_LEASE, jiff::Timestamp::now()))
            .unwrap()
            .map(|(holder, _)| holder)
    };
    // Every holder of `pager.decide` seen while both run: one, or the
    // lease is not exclusive.
    let mut holders = BTreeSet::new();

    // 3. The outage pages once, though both instances see it.
    upstream.down.store(true, Ordering::SeqCst);
    let down_at = Instant::now();
    assert!(
        eventually(Duration::from_secs(30), || {
            holders.extend(holder(&rt));
            !of_kind(&sink, "trigger").is_empty()
        }),
        "no page arrived: {:?}\nA:\n{}\nB:\n{}",
        deliveries(&sink),
        servers[0].output(),
        servers[1].output()
    );
    eprintln!("trigger after {:?}", down_at.elapsed());

    // 4. Kill the decider without a chance to hand over.
    let decider = holder(&rt).expect("someone holds pager.decide");
    holders.insert(decider.clone());
    assert_eq!(
        holders.len(),
        1,
        "pager.decide changed hands while both instances ran: {holders:?}"
    );
    let killed = ids
        .iter()
        .position(|id| *id == decider)
        .unwrap_or_else(|| panic!("the decider `{decider}` is neither {ids:?}"));
    let survivor = 1 - killed;
    eprintln!(
        "decider: instance {} ({decider}); killing it with SIGKILL",
        ["A", "B"][killed]
    );
    servers[killed].kill();
    let killed_at = Instant::now();

    // 5. Recovery: the survivor takes over and sends the resolve.
    upstream.down.store(false, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(40), || !of_kind(&sink, "resolved")
            .is_empty()),
        "no recovery notice within 40 s of the kill: {:?}\nsurvivor:\n{}\nkilled:\n{}",
        deliveries(&sink),
        servers[survivor].output(),
        servers[killed].output()
    );
    eprintln!("resolve {:?} after the kill", killed_at.elapsed());
    // A repeat would come within a delivery tick or two; give it that.
    std::thread::sleep(Duration::from_secs(3));

    let triggers = counts(&of_kind(&sink, "trigger"));
    let resolves = counts(&of_kind(&sink, "resolved"));
    eprintln!("raw deliveries per key: trigger {triggers:?}, resolved {resolves:?}");
    eprintln!("all deliveries: {:?}", deliveries(&sink));
    assert_eq!(
        triggers.len(),
        1,
        "one trigger key: only the decider decides"
    );
    assert_eq!(resolves.len(), 1, "one resolve key");
    assert!(
        triggers.values().all(|n| *n <= 2),
        "a trigger is repeated at most once (the kill between send and record)"
    );
    assert!(
        resolves.values().all(|n| *n == 1),
        "the survivor sent the resolve once"
    );
    assert!(
        deliveries(&sink)
            .iter()
            .all(|d| d.kind == "trigger" || d.kind == "resolved"),
        "no other notice: {:?}",
        deliveries(&sink)
    );

    // 6. The survivor decides now.
    assert_eq!(
        holder(&rt).as_deref(),
        Some(ids[survivor].as_str()),
        "the survivor holds pager.decide"
    );
    assert_eq!(
        live(),
        vec![ids[survivor].clone()],
        "the killed instance is not live"
    );

    // The store agrees: one incident, opened and resolved once, and two
    // notifications, both delivered.
    let incidents = rt
        .block_on(store.incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        }))
        .unwrap();
    assert_eq!(incidents.len(), 1, "one incident: {incidents:?}");
    assert_eq!(incidents[0].status, IncidentStatus::Resolved);
    let timeline: Vec<String> = rt
        .block_on(store.incident_timeline(incidents[0].id))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    eprintln!("timeline: {timeline:?}");
    for kind in ["opened", "resolved"] {
        assert_eq!(
            timeline.iter().filter(|k| *k == kind).count(),
            1,
            "`{kind}` once in {timeline:?}"
        );
    }
    assert!(
        timeline.iter().filter(|k| *k == "cleared").count() <= 1,
        "cleared once at most: {timeline:?}"
    );
    let outbox = rt
        .block_on(store.outbox_for_incident(incidents[0].id))
        .unwrap();
    eprintln!(
        "outbox: {:?}",
        outbox
            .iter()
            .map(|m| (&m.kind, m.state, m.attempts))
            .collect::<Vec<_>>()
    );
    assert_eq!(outbox.len(), 2, "a trigger and a resolve: {outbox:?}");
    let stored: BTreeSet<&String> = outbox.iter().map(|m| &m.key).collect();
    let sent: BTreeSet<&String> = triggers.keys().chain(resolves.keys()).collect();
    assert_eq!(sent, stored, "the sink saw the stored idempotency keys");
    for message in &outbox {
        match message.state {
            OutboxState::Delivered => {}
            // SIGKILL between sending and recording: the sink has it and the
            // row is still claimed by the dead instance. The survivor takes
            // the claim over once the dead one's heartbeat is 10 s old and
            // sends it again with the same key (delivered, above), or, if
            // the incident was resolved by then, gives it up unsent (a
            // trigger after the resolve would reopen it at PagerDuty); a
            // test that ends first finds it still claimed.
            OutboxState::Pending | OutboxState::Failed
                if message.kind == "trigger"
                    && message.attempts >= 1
                    && triggers.contains_key(&message.key)
                    && (message.state == OutboxState::Pending
                        || message
                            .last_error
                            .as_deref()
                            .is_some_and(|e| e.contains("was resolved before"))) =>
            {
                eprintln!(
                    "the kill landed between send and record: `{}` is {:?} ({:?})",
                    message.key, message.state, message.last_error
                );
            }
            _ => panic!("not delivered: {message:?}"),
        }
    }

    // 7. The readiness review ran once (`[readiness] every` is an hour),
    // though both instances were up when it was first due and the
    // survivor became the reviewer later: a new reviewer carries on the
    // schedule from the stored runs.
    let reviews = rt
        .block_on(store.readiness_history("api", jiff::Timestamp::UNIX_EPOCH, 100))
        .unwrap();
    assert_eq!(
        reviews.len(),
        1,
        "one readiness review of `api` in {:?}: {reviews:?}",
        started.elapsed()
    );

    rt.block_on(store.close());
    drop(servers);
    drop(db);
    eprintln!("ha test took {:?}", started.elapsed());
}

/// A heartbeat monitor with two instances: only one of them runs it, but
/// a job's ping may reach either (the load balancer chooses). Pings sent
/// alternately to both keep it up past many `every + grace` windows; a
/// failing run reported to either brings it down and pages, once.
#[test]
fn heartbeat_pings_reach_the_instance_that_runs_the_monitor() {
    // Kept to the end: dropping `db` drops the schema.
    let Rig {
        rt: _rt,
        db,
        dir,
        sink,
        upstream: _upstream,
    } = Rig::new(false);
    let catalog = dir.path().join("shipshape.toml");
    let mut text = std::fs::read_to_string(&catalog).unwrap();
    text.push_str("\n  [[service.monitor]]\n  id = \"nightly\"\n  heartbeat = { every = \"2s\", grace = \"2s\" }\n");
    std::fs::write(&catalog, text).unwrap();
    let url = db.url().to_owned();
    let issued = crate::util::run(
        dir.path(),
        &[
            "heartbeat",
            "issue",
            "api/nightly",
            "--store-url",
            url.as_str(),
        ],
    );
    assert!(issued.status.success(), "{issued:?}");
    let ping_url = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let token = ping_url
        .split_once("/api/v1/heartbeat/")
        .map(|(_, token)| token.to_owned())
        .expect("a ping URL");

    let (servers, _ids) = start_two(dir.path(), &url, Duration::from_secs(30));
    let ping = |server: &Running, query: &str| {
        http()
            .post(format!("{}/api/v1/heartbeat/{token}{query}", server.base))
            .send()
            .unwrap()
            .status()
    };
    // The job runs from the start (a silent start would rightly page);
    // meanwhile both instances see each other and the monitor gets one owner.
    for _ in 0..4 {
        ping(&servers[0], "");
        ping(&servers[1], "");
        std::thread::sleep(Duration::from_secs(1));
    }
    // 20 s of pings every second, five to one instance then five to the
    // other: each block is longer than `every + grace`, so the instance
    // running the monitor would miss one without the relay. Never down.
    for n in 0..20 {
        let status = ping(&servers[(n / 5) % 2], "");
        assert_eq!(
            status,
            200,
            "{}\n{}",
            servers[0].output(),
            servers[1].output()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(
        of_kind(&sink, "trigger").is_empty(),
        "paged although pings kept coming: {:?}\nA:\n{}\nB:\n{}",
        deliveries(&sink),
        servers[0].output(),
        servers[1].output()
    );
    // A failed run reported to each instance in turn: one page.
    assert_eq!(ping(&servers[0], "?status=fail&msg=disk+full"), 200);
    assert_eq!(ping(&servers[1], "?status=fail&msg=disk+full"), 200);
    assert!(
        eventually(Duration::from_secs(20), || !of_kind(&sink, "trigger")
            .is_empty()),
        "a failed run was not paged: {:?}\nA:\n{}\nB:\n{}",
        deliveries(&sink),
        servers[0].output(),
        servers[1].output()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        counts(&of_kind(&sink, "trigger")).len(),
        1,
        "{:?}",
        deliveries(&sink)
    );
}
