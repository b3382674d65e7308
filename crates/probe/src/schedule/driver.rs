//! The probe service: one tokio task that sleeps until the [`Plan`]'s next
//! due time, admits each due check ([`Admission`]), runs it as its own task
//! bounded by the monitor's timeout, feeds results to the state machines
//! and the location's self-check, follows catalog reloads, and emits typed
//! [`ProbeEvent`]s. A slow or hanging check never delays another start.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use jiff::Timestamp;
use shipshape_catalog::{Catalog, human_duration};
use shipshape_clock::SharedClock;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinError, JoinHandle, JoinSet};

use super::health::{HealthDetector, HealthPolicy, LocationHealthChange};
use super::heartbeat::{HeartbeatError, Ping};
use super::limits::{Admission, DEFAULT_MAX_IN_FLIGHT, DEFAULT_PER_HOST, SkipReason, Ticket};
use super::plan::{Due, DueKind, Plan, PlanDiff};
use super::spec::{MonitorKey, MonitorSpec, specs_for_location};
use super::state::{MonitorState, StateBook, StateChange};
use crate::result::{CheckResult, Outcome};

/// The future of one check.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// Runs one check of a monitor. Implemented by the checkers; the driver
/// bounds each call by the monitor's timeout, so an implementation that
/// overruns is cut, not waited for.
pub trait Checker: Send + Sync + 'static {
    /// Probes `spec`'s target once.
    fn check<'a>(&'a self, spec: &'a MonitorSpec) -> CheckFuture<'a>;
}

/// How the probe service runs.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// This instance's location (`[server] location` or `--location`).
    pub location: String,
    /// Checks in flight against one host at most (default
    /// [`DEFAULT_PER_HOST`]).
    pub per_host: usize,
    /// Checks in flight in total at most (default [`DEFAULT_MAX_IN_FLIGHT`]).
    pub max_in_flight: usize,
    /// How long past its timeout a check may run before the driver cuts it
    /// (default 250 ms, so the checker's own timeout, which names the
    /// phase, normally wins); never past the monitor's interval.
    pub timeout_margin: Duration,
    /// When this location counts as unhealthy.
    pub health: HealthPolicy,
    /// Each monitor's state when the instance last stopped (from the
    /// store), taken up at start so a restart neither forgets an outage
    /// nor announces every monitor again.
    pub restored: HashMap<MonitorKey, MonitorState>,
}

impl ProbeConfig {
    /// Defaults for an instance at `location`.
    pub fn new(location: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            per_host: DEFAULT_PER_HOST,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            timeout_margin: Duration::from_millis(250),
            health: HealthPolicy::default(),
            restored: HashMap::new(),
        }
    }
}

/// What the probe service reports, in order, to its sink.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeEvent {
    /// One check (or heartbeat ping, or missed heartbeat) finished.
    Result {
        /// The monitor.
        key: MonitorKey,
        /// Where it ran.
        location: String,
        /// What it found (boxed: a result with its details is large).
        result: Box<CheckResult>,
    },
    /// A monitor changed state.
    StateChange(StateChange),
    /// A due check was not run for this slot.
    Skipped {
        /// The monitor.
        key: MonitorKey,
        /// The slot skipped.
        planned: Timestamp,
        /// Why.
        reason: SkipReason,
    },
    /// This probe location became unhealthy (failures are not believed
    /// until it recovers) or healthy again.
    LocationHealth(LocationHealthChange),
    /// A catalog reload changed the monitors.
    Reloaded(PlanDiff),
}

/// Schedule lag (actual start minus planned start) so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleLag {
    /// Checks started.
    pub count: u64,
    /// Median lag.
    pub p50: Duration,
    /// 99th percentile lag.
    pub p99: Duration,
    /// Largest lag.
    pub max: Duration,
}

/// A running probe service.
#[derive(Debug)]
pub struct ProbeHandle {
    task: JoinHandle<()>,
    commands: mpsc::Sender<Command>,
    lag: Arc<Mutex<Histogram<u64>>>,
}

impl ProbeHandle {
    /// Records a ping of heartbeat monitor `key`. A ping reporting failure
    /// marks the monitor down at once (no `confirm`).
    pub async fn heartbeat(&self, key: MonitorKey, ping: Ping) -> Result<(), HeartbeatError> {
        self.heartbeats().ping(key, ping).await
    }

    /// A cloneable handle that delivers heartbeat pings to this service
    /// (for the web server).
    pub fn heartbeats(&self) -> Heartbeats {
        Heartbeats {
            commands: self.commands.clone(),
        }
    }

    /// The schedule lag so far.
    pub fn schedule_lag(&self) -> ScheduleLag {
        let lag = lock(&self.lag);
        ScheduleLag {
            count: lag.len(),
            p50: Duration::from_micros(lag.value_at_quantile(0.5)),
            p99: Duration::from_micros(lag.value_at_quantile(0.99)),
            max: Duration::from_micros(lag.max()),
        }
    }

    /// A copy of the schedule-lag histogram, in microseconds.
    pub fn lag_histogram(&self) -> Histogram<u64> {
        lock(&self.lag).clone()
    }

    /// Waits for the service to stop (after its shutdown future resolved).
    pub async fn join(self) {
        if let Err(error) = self.task.await {
            tracing::error!(%error, "probe service task failed");
        }
    }
}

/// Delivers heartbeat pings to a running probe service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Heartbeats {
    commands: mpsc::Sender<Command>,
}

impl Heartbeats {
    /// Records a ping of heartbeat monitor `key`; see [`ProbeHandle::heartbeat`].
    pub async fn ping(&self, key: MonitorKey, ping: Ping) -> Result<(), HeartbeatError> {
        let (reply, answer) = oneshot::channel();
        let ping = Command::Heartbeat { key, ping, reply };
        self.commands
            .send(ping)
            .await
            .map_err(|_| HeartbeatError::Stopped)?;
        answer.await.map_err(|_| HeartbeatError::Stopped)?
    }
}

/// Starts the probe service: runs the monitors of `catalog` (following its
/// reloads) that belong to `config.location`, with `checker`, on `clock`'s
/// time, reporting to `sink`, until `shutdown` resolves (in-flight checks
/// are then abandoned).
pub fn start_probe_service(
    config: ProbeConfig,
    catalog: watch::Receiver<Arc<Catalog>>,
    checker: Arc<dyn Checker>,
    clock: SharedClock,
    sink: mpsc::Sender<ProbeEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> ProbeHandle {
    let lag = Arc::new(Mutex::new(new_histogram()));
    let (commands, inbox) = mpsc::channel(64);
    let service = Service {
        plan: Plan::default(),
        book: StateBook::new(),
        admission: Admission::new(config.per_host, config.max_in_flight),
        health: HealthDetector::new(config.location.clone(), config.health.clone()),
        running: HashMap::new(),
        tasks: JoinSet::new(),
        lag: Arc::clone(&lag),
        window_lag: new_histogram(),
        config,
        checker,
        clock,
        sink,
    };
    let task = tokio::spawn(service.run(catalog, inbox, shutdown));
    ProbeHandle {
        task,
        commands,
        lag,
    }
}

/// The longest the loop sleeps, so a step of the clock is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// How often the probe logs its throughput and schedule lag.
const STATS_EVERY: Duration = Duration::from_secs(60);

/// Largest lag the histogram records (larger values are clamped): 1 hour.
const MAX_LAG_MICROS: u64 = 3_600_000_000;

enum Command {
    Heartbeat {
        key: MonitorKey,
        ping: Ping,
        reply: oneshot::Sender<Result<(), HeartbeatError>>,
    },
}

/// A check in flight.
struct Running {
    ticket: Ticket,
    spec: Arc<MonitorSpec>,
    started_at: Timestamp,
}

struct Service {
    config: ProbeConfig,
    plan: Plan,
    book: StateBook,
    admission: Admission,
    health: HealthDetector,
    running: HashMap<tokio::task::Id, Running>,
    tasks: JoinSet<CheckResult>,
    lag: Arc<Mutex<Histogram<u64>>>,
    /// Schedule lag since the last stats line.
    window_lag: Histogram<u64>,
    checker: Arc<dyn Checker>,
    clock: SharedClock,
    sink: mpsc::Sender<ProbeEvent>,
}

impl Service {
    async fn run(
        mut self,
        mut catalog: watch::Receiver<Arc<Catalog>>,
        mut inbox: mpsc::Receiver<Command>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let first = Arc::clone(&catalog.borrow_and_update());
        self.reload(&first, false).await;
        let restored = std::mem::take(&mut self.config.restored);
        self.book
            .restore(&restored, &self.config.location, self.clock.now());
        let mut catalog_open = true;
        let mut stats = tokio::time::interval(STATS_EVERY);
        stats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        stats.tick().await;
        tokio::pin!(shutdown);
        loop {
            let now = self.clock.now();
            let due: Vec<Due> = self.plan.due(now).collect();
            for due in due {
                self.start(due).await;
            }
            let wait = self
                .plan
                .next_due()
                .map_or(MAX_SLEEP, |next| {
                    next.duration_since(self.clock.now())
                        .try_into()
                        .unwrap_or(Duration::ZERO)
                })
                .min(MAX_SLEEP);
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(wait) => {}
                Some(joined) = self.tasks.join_next_with_id() => self.finish(joined).await,
                changed = catalog.changed(), if catalog_open => match changed {
                    Ok(()) => {
                        let next = Arc::clone(&catalog.borrow_and_update());
                        self.reload(&next, true).await;
                    }
                    Err(_) => catalog_open = false,
                },
                Some(command) = inbox.recv() => self.command(command).await,
                _ = stats.tick() => self.log_stats(),
            }
        }
        self.tasks.abort_all();
    }

    /// Applies `catalog`: plan diff, state machines follow.
    async fn reload(&mut self, catalog: &Catalog, report: bool) {
        let specs = specs_for_location(catalog, &self.config.location);
        let diff = self.plan.apply(specs, self.clock.now());
        self.book.sync(self.plan.specs().map(AsRef::as_ref));
        tracing::info!(
            added = diff.added.len(),
            changed = diff.changed.len(),
            removed = diff.removed.len(),
            unchanged = diff.unchanged,
            "probe plan loaded"
        );
        if report && !diff.is_empty() {
            self.emit(ProbeEvent::Reloaded(diff)).await;
        }
    }

    /// Starts a due check, or reports a missed heartbeat, or a skip.
    async fn start(&mut self, due: Due) {
        if due.missed > 0 {
            tracing::warn!(monitor = %due.spec.key, missed = due.missed, "probe fell behind: slots skipped");
        }
        if let Some(result) = due.overdue_result() {
            self.settle(&due.spec, result, false).await;
            return;
        }
        debug_assert_eq!(due.kind, DueKind::Check);
        let ticket = match self.admission.admit(&due.spec) {
            Ok(ticket) => ticket,
            Err(reason) => {
                tracing::debug!(monitor = %due.spec.key, %reason, "check skipped");
                let key = due.spec.key.clone();
                let planned = due.planned;
                self.emit(ProbeEvent::Skipped {
                    key,
                    planned,
                    reason,
                })
                .await;
                return;
            }
        };
        let started_at = self.clock.now();
        self.record_lag(started_at.duration_since(due.planned));
        let spec = due.spec;
        let checker = Arc::clone(&self.checker);
        let task_spec = Arc::clone(&spec);
        let limit = (spec.timeout + self.config.timeout_margin).min(spec.every.max(spec.timeout));
        let handle = self.tasks.spawn(async move {
            match tokio::time::timeout(limit, checker.check(&task_spec)).await {
                Ok(result) => result,
                Err(_) => failed(
                    started_at,
                    limit,
                    format!("timeout after {}", human_duration(task_spec.timeout)),
                ),
            }
        });
        self.running.insert(
            handle.id(),
            Running {
                ticket,
                spec,
                started_at,
            },
        );
    }

    /// A check task ended (or panicked).
    async fn finish(&mut self, joined: Result<(tokio::task::Id, CheckResult), JoinError>) {
        let (id, outcome) = match joined {
            Ok((id, result)) => (id, Ok(result)),
            Err(error) => (error.id(), Err(error)),
        };
        let Some(running) = self.running.remove(&id) else {
            return;
        };
        self.admission.release(running.ticket);
        let result = outcome.unwrap_or_else(|error| {
            tracing::error!(monitor = %running.spec.key, %error, "checker task failed");
            failed(
                running.started_at,
                Duration::ZERO,
                "probe error: the checker crashed".into(),
            )
        });
        self.settle(&running.spec, result, false).await;
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Heartbeat { key, ping, reply } => {
                let now = self.clock.now();
                let ok = ping.ok;
                let recorded = self.plan.heartbeat(&key, now, &ping);
                let spec = self.plan.spec(&key).cloned();
                let answer = match (recorded, spec) {
                    (Ok(result), Some(spec)) => {
                        // A job reporting failure is certain: no confirm.
                        self.settle(&spec, result, !ok).await;
                        Ok(())
                    }
                    (Err(error), _) => Err(error),
                    (Ok(_), None) => Err(HeartbeatError::UnknownMonitor(key)),
                };
                // The caller may have gone; the ping is recorded regardless.
                let _ = reply.send(answer);
            }
        }
    }

    /// Reports `result` of `spec` and feeds it to the self-check and the
    /// state machine (failures are not believed while the location is
    /// unhealthy).
    async fn settle(&mut self, spec: &MonitorSpec, result: CheckResult, decisive: bool) {
        let location = self.config.location.clone();
        if !spec.is_heartbeat() {
            let host = spec.host.clone().unwrap_or_else(|| spec.key.to_string());
            if let Some(change) =
                self.health
                    .record(&spec.key, &host, result.is_up(), result.started_at)
            {
                tracing::warn!(location = %change.location, healthy = change.healthy, reason = %change.reason, "probe location health changed");
                self.emit(ProbeEvent::LocationHealth(change)).await;
            }
        }
        let believed = result.is_up() || self.health.is_healthy();
        let change = match (believed, decisive) {
            (false, _) => None,
            (true, false) => self.book.observe(&spec.key, &location, &result),
            (true, true) => self.book.observe_decisive(&spec.key, &location, &result),
        };
        self.emit(ProbeEvent::Result {
            key: spec.key.clone(),
            location,
            result: Box::new(result),
        })
        .await;
        if let Some(change) = change {
            tracing::info!(monitor = %change.key, from = %change.from, to = %change.to, "monitor state changed");
            self.emit(ProbeEvent::StateChange(change)).await;
        }
    }

    /// Sends `event` to the sink, waiting while it is full (its consumer
    /// must keep up; a dropped sink discards events).
    async fn emit(&self, event: ProbeEvent) {
        if self.sink.send(event).await.is_err() {
            tracing::debug!("probe event sink closed; event dropped");
        }
    }

    /// Logs the checks started and their schedule lag since the last call.
    fn log_stats(&mut self) {
        let lag = &self.window_lag;
        let ms = |micros: u64| micros as f64 / 1000.0;
        tracing::info!(
            monitors = self.book.len(),
            checks = lag.len(),
            in_flight = self.running.len(),
            lag_p50_ms = ms(lag.value_at_quantile(0.5)),
            lag_p99_ms = ms(lag.value_at_quantile(0.99)),
            lag_max_ms = ms(lag.max()),
            "probe stats for the last {}",
            human_duration(STATS_EVERY)
        );
        self.window_lag.reset();
    }

    fn record_lag(&mut self, lag: jiff::SignedDuration) {
        let micros = u64::try_from(lag.as_micros())
            .unwrap_or(0)
            .min(MAX_LAG_MICROS);
        lock(&self.lag).saturating_record(micros);
        self.window_lag.saturating_record(micros);
    }
}

/// A failed result made by the driver (timeouts, crashed checkers).
fn failed(started_at: Timestamp, duration: Duration, reason: String) -> CheckResult {
    CheckResult {
        started_at,
        duration,
        outcome: Outcome::Down {
            reasons: vec![reason],
        },
        details: Default::default(),
    }
}

fn new_histogram() -> Histogram<u64> {
    // Bounds are constants known valid; fall back to an auto-resizing one.
    Histogram::new_with_bounds(1, MAX_LAG_MICROS, 3)
        .or_else(|_| Histogram::new(3))
        .unwrap_or_else(|_| unreachable!("3 significant figures is valid"))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
