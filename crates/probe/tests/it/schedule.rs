//! The probe service end to end on tokio's paused time, with a scripted
//! checker: starts on the grid whatever checks take, overrunning checks cut
//! at their timeout, per-host caps, reloads, heartbeats through the handle,
//! and the location self-check. The pure plan and state machine are tested
//! beside their code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, HeartbeatCheck, Monitor, MonitorKind, Service, TcpCheck};
use shipshape_clock::{Clock, SharedClock};
use shipshape_probe::result::{CheckResult, Outcome};
use shipshape_probe::schedule::{
    CheckFuture, Checker, HealthPolicy, HeartbeatError, MonitorKey, MonitorSpec, MonitorState,
    Ping, PlanDiff, ProbeConfig, ProbeEvent, ProbeHandle, SkipReason, StateChange,
    start_probe_service,
};
use tokio::sync::{mpsc, oneshot, watch};

/// A clock that follows tokio's (paused) time from `base`.
#[derive(Debug)]
struct TokioClock {
    base: Timestamp,
    start: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.start.elapsed()).unwrap_or_default();
        self.base + elapsed
    }
}

/// How a scripted monitor behaves: how long its check takes, and whether
/// it passes.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    takes: Duration,
    up: bool,
}

/// A checker that records each start and answers per monitor id.
#[derive(Debug)]
struct Script {
    clock: SharedClock,
    behaviour: Mutex<HashMap<String, Behaviour>>,
    starts: Mutex<Vec<(String, Timestamp)>>,
}

impl Script {
    fn set(&self, monitor: &str, takes: Duration, up: bool) {
        self.behaviour
            .lock()
            .expect("script lock")
            .insert(monitor.to_owned(), Behaviour { takes, up });
    }

    fn set_all_up(&self, up: bool) {
        for behaviour in self.behaviour.lock().expect("script lock").values_mut() {
            behaviour.up = up;
        }
    }

    /// Offsets (seconds after t0) at which `monitor` started.
    fn starts_of(&self, monitor: &str) -> Vec<f64> {
        self.starts
            .lock()
            .expect("script lock")
            .iter()
            .filter(|(id, _)| id == monitor)
            .map(|(_, at)| at.duration_since(t0()).as_secs_f64())
            .collect()
    }
}

impl Checker for Script {
    fn check<'a>(&'a self, spec: &'a MonitorSpec) -> CheckFuture<'a> {
        Box::pin(async move {
            let started_at = self.clock.now();
            let id = spec.key.monitor.clone();
            self.starts
                .lock()
                .expect("script lock")
                .push((id.clone(), started_at));
            let behaviour = self
                .behaviour
                .lock()
                .expect("script lock")
                .get(&id)
                .copied()
                .unwrap_or(Behaviour {
                    takes: Duration::from_millis(10),
                    up: true,
                });
            tokio::time::sleep(behaviour.takes).await;
            CheckResult {
                started_at,
                duration: behaviour.takes,
                outcome: if behaviour.up {
                    Outcome::Up
                } else {
                    Outcome::Down {
                        reasons: vec!["connect: connection refused".into()],
                    }
                },
                details: Default::default(),
            }
        })
    }
}

/// A running probe service under test.
struct Harness {
    handle: ProbeHandle,
    events: mpsc::Receiver<ProbeEvent>,
    catalog: watch::Sender<Arc<Catalog>>,
    script: Arc<Script>,
    _stop: oneshot::Sender<()>,
}

impl Harness {
    fn start(catalog: Catalog, config: ProbeConfig) -> Self {
        let clock: SharedClock = Arc::new(TokioClock {
            base: t0(),
            start: tokio::time::Instant::now(),
        });
        let script = Arc::new(Script {
            clock: Arc::clone(&clock),
            behaviour: Mutex::new(HashMap::new()),
            starts: Mutex::new(Vec::new()),
        });
        let (catalog, watched) = watch::channel(Arc::new(catalog));
        let (sink, events) = mpsc::channel(100_000);
        let (stop, stopped) = oneshot::channel::<()>();
        let checker: Arc<dyn Checker> = script.clone();
        let handle = start_probe_service(config, watched, checker, clock, sink, async move {
            let _ = stopped.await;
        });
        Self {
            handle,
            events,
            catalog,
            script,
            _stop: stop,
        }
    }

    /// Lets `secs` of simulated time pass.
    async fn run_for(&self, secs: f64) {
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    }

    /// Every event emitted so far.
    fn drain(&mut self) -> Vec<ProbeEvent> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}

fn t0() -> Timestamp {
    "2026-11-30T09:00:00Z".parse().expect("valid timestamp")
}

fn secs_after_t0(at: Timestamp) -> f64 {
    at.duration_since(t0()).as_secs_f64()
}

fn tcp(id: &str, host: &str, every: f64, timeout: f64) -> Monitor {
    Monitor {
        id: id.into(),
        component: None,
        kind: MonitorKind::Tcp(TcpCheck {
            host: host.into(),
            port: 5432,
            send: None,
            expect: None,
        }),
        every: Duration::from_secs_f64(every),
        timeout: Duration::from_secs_f64(timeout),
        confirm: 1,
        recover: 1,
        expect: Vec::new(),
        anomaly: None,
        quorum: None,
        locations: Vec::new(),
        alert: Default::default(),
    }
}

fn catalog(monitors: Vec<Monitor>) -> Catalog {
    Catalog {
        services: vec![Service {
            id: "svc".into(),
            name: "svc".into(),
            owner: None,
            tier: None,
            repo: None,
            data: Vec::new(),
            third_parties: Vec::new(),
            depends_on: Vec::new(),
            slo: None,
            endpoints: Vec::new(),
            readiness: Default::default(),
            components: Vec::new(),
            datastores: Vec::new(),
            monitors,
        }],
        ..Catalog::default()
    }
}

fn key(id: &str) -> MonitorKey {
    MonitorKey::new("svc", id)
}

fn results_of<'a>(events: &'a [ProbeEvent], id: &str) -> Vec<&'a CheckResult> {
    events
        .iter()
        .filter_map(|event| match event {
            ProbeEvent::Result { key: k, result, .. } if *k == key(id) => Some(&**result),
            _ => None,
        })
        .collect()
}

fn changes(events: &[ProbeEvent]) -> Vec<&StateChange> {
    events
        .iter()
        .filter_map(|event| match event {
            ProbeEvent::StateChange(change) => Some(change),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_hanging_check_is_cut_at_its_timeout_and_never_shifts_other_starts() {
    let mut probe = Harness::start(
        catalog(vec![
            tcp("fast", "a.example", 10.0, 5.0),
            tcp("slow", "b.example", 10.0, 5.0),
        ]),
        ProbeConfig::new("ams"),
    );
    probe.script.set("fast", Duration::from_millis(300), true);
    probe.script.set("slow", Duration::from_secs(600), true);
    probe.run_for(61.0).await;
    let events = probe.drain();

    // Two monitors every 10 s: phases 0 s and 5 s; starts stay on the grid.
    assert_eq!(
        probe.script.starts_of("fast"),
        [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    );
    assert_eq!(
        probe.script.starts_of("slow"),
        [5.0, 15.0, 25.0, 35.0, 45.0, 55.0]
    );

    let slow = results_of(&events, "slow");
    assert_eq!(slow.len(), 6);
    for result in &slow {
        assert_eq!(result.reason(), Some("timeout after 5s"));
        assert_eq!(
            result.duration,
            Duration::from_millis(5250),
            "cut at timeout + margin"
        );
    }
    assert_eq!(results_of(&events, "fast").len(), 7);

    let changes = changes(&events);
    assert_eq!(changes.len(), 2);
    assert_eq!(
        (changes[0].key.monitor.as_str(), changes[0].to),
        ("fast", MonitorState::Up)
    );
    assert_eq!(
        (changes[1].key.monitor.as_str(), changes[1].to),
        ("slow", MonitorState::Down)
    );
    assert_eq!(changes[1].reason.as_deref(), Some("timeout after 5s"));
    assert_eq!(secs_after_t0(changes[1].at), 5.0);

    let lag = probe.handle.schedule_lag();
    assert_eq!(lag.count, 13);
    assert!(lag.max <= Duration::from_millis(1), "lag {lag:?}");
}

#[tokio::test(start_paused = true)]
async fn a_saturated_host_skips_its_extra_checks_and_spares_other_hosts() {
    let mut config = ProbeConfig::new("ams");
    config.per_host = 2;
    let mut probe = Harness::start(
        catalog(vec![
            tcp("a", "small.example", 9.0, 8.5),
            tcp("b", "small.example", 9.0, 8.5),
            tcp("c", "small.example", 9.0, 8.5),
            tcp("other", "big.example", 9.0, 8.5),
        ]),
        config,
    );
    for id in ["a", "b", "c", "other"] {
        probe.script.set(id, Duration::from_secs(8), true);
    }
    probe.run_for(20.0).await;
    let events = probe.drain();

    // Phases 0, 2.25, 4.5, 6.75 s: when c is due, a and b still hold
    // small.example's two slots.
    assert!(probe.script.starts_of("c").is_empty());
    let skips: Vec<(f64, &SkipReason)> = events
        .iter()
        .filter_map(|event| match event {
            ProbeEvent::Skipped {
                key: k,
                planned,
                reason,
            } if *k == key("c") => Some((secs_after_t0(*planned), reason)),
            _ => None,
        })
        .collect();
    let busy = SkipReason::HostBusy {
        host: "small.example".into(),
        limit: 2,
    };
    assert_eq!(skips, [(4.5, &busy), (13.5, &busy)]);
    assert_eq!(probe.script.starts_of("other"), [6.75, 15.75]);
    assert_eq!(probe.script.starts_of("a"), [0.0, 9.0, 18.0]);
}

#[tokio::test(start_paused = true)]
async fn a_reload_adds_changes_and_removes_without_disturbing_the_others() {
    let mut probe = Harness::start(
        catalog(vec![
            tcp("a", "a.example", 10.0, 5.0),
            tcp("b", "b.example", 10.0, 5.0),
        ]),
        ProbeConfig::new("ams"),
    );
    probe.run_for(12.0).await;
    let before = probe.drain();
    assert_eq!(changes(&before).len(), 2, "a and b up");

    let mut a = tcp("a", "a.example", 10.0, 5.0);
    a.confirm = 3;
    probe
        .catalog
        .send(Arc::new(catalog(vec![a, tcp("c", "c.example", 10.0, 5.0)])))
        .expect("service watches the catalog");
    probe.run_for(30.0).await;
    let after = probe.drain();

    assert_eq!(
        after.first(),
        Some(&ProbeEvent::Reloaded(PlanDiff {
            added: vec![key("c")],
            changed: vec![key("a")],
            removed: vec![key("b")],
            unchanged: 0,
        }))
    );
    // a keeps its phase and its state (no new change); b stops; c starts in
    // the widest gap of the 10 s interval, opposite a.
    assert_eq!(probe.script.starts_of("a"), [0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(probe.script.starts_of("b"), [5.0]);
    assert_eq!(probe.script.starts_of("c"), [15.0, 25.0, 35.0]);
    let after_changes = changes(&after);
    assert_eq!(after_changes.len(), 1);
    assert_eq!(
        (&after_changes[0].key, after_changes[0].to),
        (&key("c"), MonitorState::Up)
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_job_up_and_silence_or_a_failing_ping_takes_it_down() {
    let mut nightly = tcp("nightly", "unused", 60.0, 10.0);
    nightly.kind = MonitorKind::Heartbeat(HeartbeatCheck {
        every: Duration::from_secs(60),
        grace: Duration::from_secs(10),
    });
    nightly.confirm = 2;
    let mut probe = Harness::start(catalog(vec![nightly]), ProbeConfig::new("ams"));

    probe.run_for(30.0).await;
    probe
        .handle
        .heartbeat(key("nightly"), Ping::success())
        .await
        .expect("ping accepted");
    assert_eq!(
        probe.handle.heartbeat(key("nope"), Ping::success()).await,
        Err(HeartbeatError::UnknownMonitor(key("nope")))
    );
    probe.run_for(10.0).await;
    // A failing ping is certain: down at once despite confirm = 2.
    probe
        .handle
        .heartbeat(key("nightly"), Ping::failure("backup exited 2"))
        .await
        .expect("ping accepted");
    probe.run_for(10.0).await;
    probe
        .handle
        .heartbeat(key("nightly"), Ping::success())
        .await
        .expect("ping accepted");
    // Then silence: overdue at 50 + 70 = 120 s and 180 s; the second
    // consecutive miss confirms it.
    probe.run_for(140.0).await;
    let events = probe.drain();

    let seen: Vec<(f64, MonitorState, Option<&str>)> = changes(&events)
        .iter()
        .map(|c| (secs_after_t0(c.at), c.to, c.reason.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (30.0, MonitorState::Up, None),
            (40.0, MonitorState::Down, Some("backup exited 2")),
            (50.0, MonitorState::Up, None),
            (
                180.0,
                MonitorState::Down,
                Some("no heartbeat since 2026-11-30T09:00:50Z (expected every 1m, grace 10s)")
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn when_every_host_fails_at_once_the_location_is_unhealthy_not_every_service_down() {
    let monitors: Vec<Monitor> = (0..12)
        .map(|i| {
            let mut monitor = tcp(&format!("m{i:02}"), &format!("h{i}.example"), 10.0, 5.0);
            monitor.confirm = 2;
            monitor
        })
        .collect();
    let mut config = ProbeConfig::new("ams");
    config.health = HealthPolicy {
        sample: 10,
        ..HealthPolicy::default()
    };
    let mut probe = Harness::start(catalog(monitors), config);
    for i in 0..12 {
        probe
            .script
            .set(&format!("m{i:02}"), Duration::from_millis(50), true);
    }
    probe.run_for(10.0).await;
    assert_eq!(changes(&probe.drain()).len(), 12, "all up");

    // The instance loses its network: every check fails.
    probe.script.set_all_up(false);
    probe.run_for(30.0).await;
    let events = probe.drain();
    let health: Vec<&ProbeEvent> = events
        .iter()
        .filter(|e| matches!(e, ProbeEvent::LocationHealth(_)))
        .collect();
    assert_eq!(health.len(), 1);
    assert!(matches!(
        health[0],
        ProbeEvent::LocationHealth(change) if !change.healthy && change.location == "ams"
    ));
    assert!(changes(&events).is_empty(), "no service declared down");

    // The network comes back: healthy again, services still up.
    probe.script.set_all_up(true);
    probe.run_for(10.0).await;
    let events = probe.drain();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProbeEvent::LocationHealth(c) if c.healthy))
    );
    assert!(changes(&events).is_empty());
}
