//! Wires the probe engine to the store: runs the scheduler with the real
//! checkers, writes results in batches, records state changes, feeds the
//! alert evaluator and stores its signals (waking the paging engine), and
//! prunes old data. Glue only; the logic lives in `shipshape-probe`,
//! `shipshape-alert` and `shipshape-store`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use shipshape_alert::engine::{AlertSignal, Evaluator, EvaluatorPolicy, Health, SignalState};
use shipshape_catalog::Catalog;
use shipshape_clock::SharedClock;
use shipshape_probe::check::{CheckerOptions, Checkers};
use shipshape_probe::result::CheckResult;
use shipshape_probe::schedule::{
    CheckFuture, Checker, Heartbeats, MonitorKey, MonitorSpec, MonitorState as ProbeState,
    ProbeConfig, ProbeEvent, ProbeHandle, StateChange, start_probe_service,
};
use shipshape_store::{
    LocationId, MonitorEvent, MonitorId, MonitorName, MonitorState, Retention, Store, StoreError,
    StoredResult,
};
use shipshape_web::MonitorMetrics;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use crate::cluster;

/// Results are written at least this often.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// … or as soon as this many are waiting.
const FLUSH_AT: usize = 2_000;
/// Old results and rollups are pruned this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The running monitoring subsystem.
pub struct Monitoring {
    probe: ProbeHandle,
    writer: JoinHandle<()>,
}

impl Monitoring {
    /// Starts checking the monitors of the catalog this instance owns, from
    /// its location.
    pub async fn start(
        catalog: watch::Receiver<Arc<Catalog>>,
        store: Store,
        clock: SharedClock,
        membership: cluster::Membership,
        metrics: MonitorMetrics,
        pager: Arc<Notify>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Monitoring> {
        let probe_ca = catalog.borrow().server.probe_ca.clone();
        let checkers = Checkers::new(checker_options(probe_ca.as_deref())?)
            .context("could not set up the probe checkers")?;
        let cluster::Membership { instance, members } = membership;
        let location = instance.location;
        let location_id = *register_location(&store, &clock, &location)
            .await?
            .get(&location)
            .context("the store did not register this probe location")?;
        let mut config = ProbeConfig::new(location);
        config.restored = restored_states(&store).await;
        let evaluator = evaluator(&catalog.borrow(), &config.restored, &store, clock.now()).await;
        let (sink, events) = mpsc::channel(4_096);
        let runnable = spawn_monitor_filter(catalog.clone(), store.clone(), instance.id, members);
        let probe = start_probe_service(
            config,
            runnable,
            Arc::new(RealChecks {
                checkers,
                clock: clock.clone(),
            }),
            clock.clone(),
            sink,
            shutdown,
        );
        let writer = tokio::spawn(
            Writer {
                store,
                clock,
                location: location_id,
                metrics,
                ids: HashMap::new(),
                changes: Vec::new(),
                pending: Vec::new(),
                evaluator,
                signals: Vec::new(),
                pager,
                unregistered: false,
                taken_up: HashMap::new(),
            }
            .run(events, catalog),
        );
        Ok(Monitoring { probe, writer })
    }

    /// Where the web server delivers heartbeat pings.
    pub fn heartbeats(&self) -> Heartbeats {
        self.probe.heartbeats()
    }

    /// Waits for the scheduler to stop and the last results to be written.
    pub async fn join(self) {
        self.probe.join().await;
        let _ = self.writer.await;
    }
}

/// Registers this probe location, retrying for a while: a store that blinks
/// while the server starts must not stop it.
async fn register_location(
    store: &Store,
    clock: &SharedClock,
    location: &str,
) -> Result<HashMap<String, LocationId>> {
    const ATTEMPTS: u32 = 24;
    let mut attempt = 1;
    loop {
        match store.register_locations(&[location], clock.now()).await {
            Ok(ids) => return Ok(ids),
            Err(err) if attempt < ATTEMPTS => {
                tracing::warn!(error = %err, attempt, "could not register this probe location; retrying");
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// The checkers' settings: the public roots, plus `probe_ca` when the
/// catalog names one (read at start; a changed file needs a restart).
fn checker_options(probe_ca: Option<&std::path::Path>) -> Result<CheckerOptions> {
    let options = CheckerOptions::default();
    let Some(path) = probe_ca else {
        return Ok(options);
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("could not read `server.probe_ca` file `{}`", path.display()))?;
    options.trust_pem(&pem).with_context(|| {
        format!(
            "`server.probe_ca` file `{}` holds no usable certificate",
            path.display()
        )
    })
}

/// The alert evaluator, taking up each monitor's restored state and the
/// condition its signal was last stored in, so a restart re-sends nothing.
async fn evaluator(
    catalog: &Catalog,
    restored: &HashMap<MonitorKey, ProbeState>,
    store: &Store,
    now: jiff::Timestamp,
) -> Evaluator {
    let mut evaluator = Evaluator::new(EvaluatorPolicy::default());
    evaluator.set_catalog(catalog, now);
    let stored = stored_signals(store, now).await.unwrap_or_default();
    seed_anomaly_rules(&mut evaluator, catalog, store, now, &stored).await;
    for (key, state) in restored {
        let alert_key = shipshape_alert::engine::MonitorKey::new(&key.service, &key.monitor);
        let health = match state {
            ProbeState::Down => Health::Down,
            ProbeState::Degraded => Health::Degraded,
            ProbeState::Up => Health::Up,
            _ => Health::Unknown,
        };
        let emitted = stored
            .get(&alert_key.signal_key())
            .copied()
            .unwrap_or(SignalState::Ok);
        evaluator.restore(&alert_key, health, None, now, Some(emitted));
    }
    evaluator
}

/// The condition each active alert signal was last stored in, by signal
/// key; `None` (logged) when the store cannot say.
async fn stored_signals(
    store: &Store,
    now: jiff::Timestamp,
) -> Option<HashMap<String, SignalState>> {
    match store.active_alerts(now).await {
        Ok(alerts) => Some(
            alerts
                .into_iter()
                .map(|a| {
                    let signal = shipshape_pager::from_record(a);
                    (signal.key, signal.state)
                })
                .collect(),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "could not read stored alert signals");
            None
        }
    }
}

/// How much history anomaly rules re-learn from at start: the raw results
/// kept (7 days by default) hold a week of every hour-of-week slot.
const ANOMALY_HISTORY: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);
/// At most this many stored results are replayed per monitor.
const ANOMALY_HISTORY_CAP: usize = 200_000;

/// Replays each anomaly-ruled monitor's stored results through the
/// evaluator, so its band is learned again (and its warm-up passed) at
/// start rather than a week later; then takes up its stored condition.
async fn seed_anomaly_rules(
    evaluator: &mut Evaluator,
    catalog: &Catalog,
    store: &Store,
    now: jiff::Timestamp,
    stored: &HashMap<String, SignalState>,
) {
    let ids: HashMap<MonitorName, MonitorId> = match store.monitors().await {
        Ok(monitors) => monitors.into_iter().map(|m| (m.name, m.id)).collect(),
        Err(err) => {
            tracing::warn!(error = %err, "could not read monitors; anomaly rules start learning afresh");
            return;
        }
    };
    let from = now.checked_sub(ANOMALY_HISTORY).unwrap_or(now);
    for (service, monitor) in catalog.monitors() {
        let key = shipshape_alert::engine::MonitorKey::new(&service.id, &monitor.id);
        if !evaluator.has_anomaly_rule(&key) {
            continue;
        }
        let name = MonitorName {
            service: service.id.clone(),
            monitor: monitor.id.clone(),
        };
        let Some(&id) = ids.get(&name) else { continue };
        let mut after = None;
        let mut replayed = 0;
        while replayed < ANOMALY_HISTORY_CAP {
            let page = match store.results_after(id, from, now, after, 10_000).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(error = %err, monitor = %key, "could not read history for the anomaly rule");
                    break;
                }
            };
            let Some(last) = page.last() else { break };
            after = Some((last.at, last.location));
            replayed += page.len();
            for result in &page {
                let latency = result.latency.as_secs_f64() * 1000.0;
                evaluator.observe_result(&key, result.at, result.ok, Some(latency));
            }
        }
        let emitted = stored
            .get(&key.anomaly_key())
            .copied()
            .unwrap_or(SignalState::Ok);
        evaluator.restore_anomaly(&key, emitted);
        tracing::debug!(monitor = %key, replayed, "anomaly rule re-learned from stored results");
    }
}

/// How often the store is asked which monitors operators paused.
const PAUSED_POLL: Duration = Duration::from_secs(2);

/// Each monitor's last recorded state, for the scheduler to take up (paused
/// ones are not run, so they are left out). A store that cannot say is
/// logged and treated as no history.
async fn restored_states(store: &Store) -> HashMap<MonitorKey, ProbeState> {
    let (monitors, states) = match (store.monitors().await, store.current_states().await) {
        (Ok(monitors), Ok(states)) => (monitors, states),
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!(error = %err, "could not read the last monitor states; every monitor starts unknown");
            return HashMap::new();
        }
    };
    let names: HashMap<MonitorId, MonitorName> = monitors
        .into_iter()
        .filter(|m| !m.paused)
        .map(|m| (m.id, m.name))
        .collect();
    states
        .into_iter()
        .filter_map(|record| {
            let name = names.get(&record.event.monitor)?;
            let state = match record.event.to {
                MonitorState::Up => ProbeState::Up,
                MonitorState::Down => ProbeState::Down,
                _ => return None,
            };
            Some((
                MonitorKey::new(name.service.clone(), name.monitor.clone()),
                state,
            ))
        })
        .collect()
}

/// The catalog the scheduler runs: `catalog` without the monitors paused in
/// the store (polled, so a pause made through any instance reaches every
/// instance) and, when several instances share the location, without the
/// monitors another instance owns ([`cluster::owner`]); it follows catalog
/// reloads, pauses and instances joining or leaving.
fn spawn_monitor_filter(
    mut catalog: watch::Receiver<Arc<Catalog>>,
    store: Store,
    me: String,
    mut members: watch::Receiver<Arc<Vec<String>>>,
) -> watch::Receiver<Arc<Catalog>> {
    let first = catalog.borrow_and_update().clone();
    // Filtered from the start: the first membership may already name
    // other instances (one joining running ones), and it may never change.
    let initial = {
        let members = members.borrow_and_update().clone();
        runnable(&first, &HashSet::new(), &me, &members)
    };
    let (tx, rx) = watch::channel(initial);
    tokio::spawn(async move {
        let mut current = first;
        let mut paused: HashSet<MonitorName> = HashSet::new();
        let mut poll = tokio::time::interval(PAUSED_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut members_open = true;
        loop {
            tokio::select! {
                changed = catalog.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    current = catalog.borrow_and_update().clone();
                }
                changed = members.changed(), if members_open => {
                    members_open = changed.is_ok();
                }
                _ = poll.tick() => match store.paused_monitors().await {
                    Ok(names) => {
                        let now: HashSet<MonitorName> = names.into_iter().collect();
                        if now == paused {
                            continue;
                        }
                        paused = now;
                    }
                    Err(err) => {
                        tracing::debug!(error = %err, "could not read paused monitors");
                        continue;
                    }
                },
            }
            let members = members.borrow().clone();
            if tx.send(runnable(&current, &paused, &me, &members)).is_err() {
                break;
            }
        }
    });
    rx
}

/// `catalog` without the monitors named in `paused` and those another of
/// `members` owns (the same catalog, not a copy, when neither applies).
/// Heartbeat monitors are split too: pings reach their owner through the
/// store (`heartbeat_relay`).
fn runnable(
    catalog: &Arc<Catalog>,
    paused: &HashSet<MonitorName>,
    me: &str,
    members: &[String],
) -> Arc<Catalog> {
    let shared = members.len() > 1;
    if paused.is_empty() && !shared {
        return Arc::clone(catalog);
    }
    let mut catalog = Catalog::clone(catalog);
    for service in &mut catalog.services {
        service.monitors.retain(|monitor| {
            let name = MonitorName {
                service: service.id.clone(),
                monitor: monitor.id.clone(),
            };
            if paused.contains(&name) {
                return false;
            }
            !shared
                || cluster::owner(&format!("{}/{}", name.service, name.monitor), members)
                    == Some(me)
        });
        // The clone has room for every monitor; keep only this share's.
        service.monitors.shrink_to_fit();
    }
    Arc::new(catalog)
}

/// The real checkers, as the scheduler's [`Checker`].
struct RealChecks {
    checkers: Checkers,
    clock: SharedClock,
}

impl Checker for RealChecks {
    fn check<'a>(&'a self, spec: &'a MonitorSpec) -> CheckFuture<'a> {
        Box::pin(self.checkers.run(&spec.monitor, &*self.clock))
    }
}

/// Consumes probe events and persists them.
struct Writer {
    store: Store,
    clock: SharedClock,
    location: LocationId,
    metrics: MonitorMetrics,
    ids: HashMap<MonitorKey, MonitorId>,
    /// State changes waiting for the next flush.
    changes: Vec<MonitorEvent>,
    pending: Vec<StoredResult>,
    /// Turns results and state changes into alert signals.
    evaluator: Evaluator,
    /// Signals waiting for the next flush.
    signals: Vec<AlertSignal>,
    /// Poked when signals are stored.
    pager: Arc<Notify>,
    /// Set while the catalog's monitors could not be registered in the
    /// store (it did not answer): retried at every flush.
    unregistered: bool,
    /// The stored state of each monitor taken up from another instance,
    /// until its first state change here: the probe starts it "unknown",
    /// but its history goes on from the stored state.
    taken_up: HashMap<MonitorKey, MonitorState>,
}

impl Writer {
    async fn run(
        mut self,
        mut events: mpsc::Receiver<ProbeEvent>,
        catalog: watch::Receiver<Arc<Catalog>>,
    ) {
        let first = catalog.borrow().clone();
        self.register(&first).await;
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => self.handle(event, &catalog).await,
                    None => break,
                },
                _ = flush.tick() => {
                    if self.unregistered {
                        let catalog = catalog.borrow().clone();
                        self.register(&catalog).await;
                    }
                    self.flush().await;
                }
                _ = prune.tick() => {
                    let retention = retention(&catalog.borrow());
                    self.prune(&retention).await;
                }
            }
        }
        self.flush().await;
    }

    async fn handle(&mut self, event: ProbeEvent, catalog: &watch::Receiver<Arc<Catalog>>) {
        match event {
            ProbeEvent::Result { key, result, .. } => {
                self.metrics
                    .observe(&key.service, &key.monitor, result.is_up(), result.duration);
                let signals = self.evaluator.observe_result(
                    &alert_key(&key),
                    result.started_at,
                    result.is_up(),
                    Some(result.duration.as_secs_f64() * 1000.0),
                );
                self.signals.extend(signals);
                if let Some(&id) = self.ids.get(&key) {
                    self.pending.push(stored(id, self.location, &result));
                    if self.pending.len() >= FLUSH_AT {
                        self.flush().await;
                    }
                }
            }
            ProbeEvent::StateChange(change) => self.record_change(change).await,
            ProbeEvent::Reloaded(diff) => {
                self.evaluator
                    .set_catalog(&catalog.borrow(), self.clock.now());
                for key in &diff.removed {
                    self.metrics.forget(&key.service, &key.monitor);
                }
                if !diff.added.is_empty() {
                    let catalog = catalog.borrow().clone();
                    self.register(&catalog).await;
                    self.take_up(&diff.added).await;
                }
            }
            ProbeEvent::Skipped { key, reason, .. } => {
                tracing::debug!(monitor = %key, %reason, "check skipped");
            }
            ProbeEvent::LocationHealth(change) => {
                if change.healthy {
                    tracing::info!(location = %change.location, reason = %change.reason, "probe location healthy again");
                } else {
                    tracing::warn!(location = %change.location, reason = %change.reason, "probe location unhealthy: failures are not attributed to services");
                }
            }
        }
    }

    /// Gives every monitor of the catalog its store id.
    async fn register(&mut self, catalog: &Catalog) {
        let names: Vec<MonitorName> = catalog
            .monitors()
            .map(|(service, monitor)| MonitorName {
                service: service.id.clone(),
                monitor: monitor.id.clone(),
            })
            .collect();
        match self.store.register_monitors(&names, self.clock.now()).await {
            Ok(ids) => {
                self.ids = ids
                    .into_iter()
                    .map(|(name, id)| (MonitorKey::new(name.service, name.monitor), id))
                    .collect();
                if self.unregistered {
                    tracing::info!("monitors registered; their results are stored again");
                }
                self.unregistered = false;
            }
            Err(err) => {
                if !self.unregistered {
                    tracing::error!(error = %err, "could not register monitors; retrying every second, their results are not stored meanwhile");
                }
                self.unregistered = true;
            }
        }
    }

    /// Takes up the stored state and alert signal of monitors this
    /// instance starts checking while running: another instance checked
    /// them until now (it left, or they moved here when this one joined),
    /// and may have opened an incident that only a "clear" from here can
    /// resolve; what this instance's evaluator knew of them is stale. A
    /// store that cannot say leaves the evaluator as it was.
    async fn take_up(&mut self, added: &[MonitorKey]) {
        let now = self.clock.now();
        let Some(stored) = stored_signals(&self.store, now).await else {
            return;
        };
        let states = match self.store.current_states().await {
            Ok(states) => states,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the last states of the monitors taken up");
                return;
            }
        };
        let last: HashMap<MonitorId, MonitorState> = states
            .into_iter()
            .map(|record| (record.event.monitor, record.event.to))
            .collect();
        for key in added {
            // Results come before the state change they cause: the health
            // must be the stored one, or a first result would clear (or
            // fire) the signal before the new owner's state change says so.
            let Some(&stored_state) = self.ids.get(key).and_then(|id| last.get(id)) else {
                continue;
            };
            let health = match stored_state {
                MonitorState::Up => Health::Up,
                MonitorState::Down => Health::Down,
                MonitorState::Degraded => Health::Degraded,
                _ => continue,
            };
            self.taken_up.insert(key.clone(), stored_state);
            let alert_key = alert_key(key);
            let emitted = stored
                .get(&alert_key.signal_key())
                .copied()
                .unwrap_or(SignalState::Ok);
            self.evaluator
                .restore(&alert_key, health, None, now, Some(emitted));
            tracing::debug!(monitor = %key, ?health, ?emitted, "monitor taken up from the store");
        }
    }

    /// Queues a state change; changes are written in bursts by [`Self::flush`]
    /// (one commit for all the changes of a second: at start, or when every
    /// monitor fails at once, thousands arrive together).
    async fn record_change(&mut self, change: StateChange) {
        let signal = self.evaluator.observe_state(
            &alert_key(&change.key),
            change.at,
            health(change.to),
            change.reason.as_deref(),
        );
        // A monitor taken up from another instance starts "unknown" here;
        // its history goes on from its stored state, and a first state
        // that repeats it is no change at all.
        let mut from = state(change.from);
        if let Some(stored) = self.taken_up.remove(&change.key)
            && from == MonitorState::Unknown
        {
            from = stored;
        }
        // Without a store id (registration failed; retried every flush) the
        // state change cannot be stored, but its alert signal still is: a
        // page must not depend on the monitor's history row.
        if let Some(&monitor) = self.ids.get(&change.key)
            && from != state(change.to)
        {
            self.changes.push(MonitorEvent {
                monitor,
                at: change.at,
                from,
                to: state(change.to),
                reason: change.reason,
                locations: change.locations,
            });
        }
        if let Some(signal) = signal {
            // A page is waiting on this: write it now, not at the next tick.
            self.signals.push(signal);
            self.flush_changes().await;
            self.flush_signals().await;
        } else if self.changes.len() >= FLUSH_AT {
            self.flush().await;
        }
    }

    /// Stores the waiting alert signals and wakes the paging engine.
    async fn flush_signals(&mut self) {
        if self.signals.is_empty() {
            return;
        }
        match shipshape_pager::record_signals(&self.store, &self.signals, self.clock.now()).await {
            Ok(()) => {
                self.signals.clear();
                self.pager.notify_one();
            }
            Err(err) => {
                tracing::error!(error = %err, waiting = self.signals.len(), "could not store alert signals; will retry");
                let excess = self.signals.len().saturating_sub(FLUSH_AT);
                self.signals.drain(..excess);
            }
        }
    }

    /// Writes the queued state changes, then the queued results.
    async fn flush(&mut self) {
        self.flush_changes().await;
        self.flush_signals().await;
        if self.pending.is_empty() {
            return;
        }
        match self.store.insert_results(&self.pending).await {
            Ok(_) => self.pending.clear(),
            Err(err) => {
                tracing::error!(error = %err, waiting = self.pending.len(), "could not store check results; will retry");
                // Bounded memory: keep at most a few batches while the store is away.
                let excess = self.pending.len().saturating_sub(FLUSH_AT * 10);
                self.pending.drain(..excess);
            }
        }
    }

    /// Writes the queued state changes in one transaction. If that fails
    /// because one of them is refused (a monitor unregistered meanwhile),
    /// the rest are written one by one and the refused ones dropped; while
    /// the store is away they wait, bounded like results.
    async fn flush_changes(&mut self) {
        if self.changes.is_empty() {
            return;
        }
        let err = match self.store.append_monitor_events(&self.changes).await {
            Ok(_) => {
                self.changes.clear();
                return;
            }
            Err(err) => err,
        };
        if !matches!(err, StoreError::NotFound(_) | StoreError::InvalidInput(_)) {
            tracing::error!(error = %err, waiting = self.changes.len(), "could not record state changes; will retry");
            let excess = self.changes.len().saturating_sub(FLUSH_AT * 10);
            self.changes.drain(..excess);
            return;
        }
        for event in std::mem::take(&mut self.changes) {
            if let Err(err) = self.store.append_monitor_event(&event).await {
                tracing::error!(error = %err, monitor = event.monitor.0, "could not record a state change; dropped");
            }
        }
    }

    /// Packs closed hours and deletes what `retention` no longer keeps.
    /// Past incidents, delivered notifications and ended silences are kept
    /// as long as the rollups.
    async fn prune(&self, retention: &Retention) {
        let now = self.clock.now();
        match self.store.prune(now, retention).await {
            Ok(report) => tracing::debug!(?report, "pruned old monitoring data"),
            Err(err) => tracing::warn!(error = %err, "could not prune old monitoring data"),
        }
        let before = now
            .checked_sub(jiff::SignedDuration::try_from(retention.rollups).unwrap_or_default())
            .unwrap_or(now);
        let pruned = async {
            Ok::<_, StoreError>(
                self.store.prune_alerting(before).await?
                    + self.store.prune_silences(before).await?,
            )
        };
        match pruned.await {
            Ok(rows) => tracing::debug!(rows, "pruned old incidents, notifications and silences"),
            Err(err) => tracing::warn!(error = %err, "could not prune old alerting data"),
        }
    }
}

/// The catalog's `[store]` retention.
fn retention(catalog: &Catalog) -> Retention {
    Retention {
        raw: catalog.store.raw_retention,
        rollups: catalog.store.rollup_retention,
    }
}

/// A check result as the store keeps it.
fn stored(monitor: MonitorId, location: LocationId, result: &CheckResult) -> StoredResult {
    StoredResult {
        monitor,
        at: result.started_at,
        latency: result.duration,
        ok: result.is_up(),
        status_code: result.details.http.as_ref().map(|http| http.status),
        location,
        reason: result.reason().map(str::to_owned),
    }
}

/// The probe's state, as the store names it.
fn state(state: ProbeState) -> MonitorState {
    match state {
        ProbeState::Unknown => MonitorState::Unknown,
        ProbeState::Up => MonitorState::Up,
        ProbeState::Down => MonitorState::Down,
        ProbeState::Degraded => MonitorState::Degraded,
        ProbeState::Paused => MonitorState::Paused,
    }
}

/// The alert engine's name of a probe monitor key.
fn alert_key(key: &MonitorKey) -> shipshape_alert::engine::MonitorKey {
    shipshape_alert::engine::MonitorKey::new(&key.service, &key.monitor)
}

/// The probe's state, as the alert evaluator sees it.
fn health(state: ProbeState) -> Health {
    match state {
        ProbeState::Up => Health::Up,
        ProbeState::Down => Health::Down,
        ProbeState::Degraded => Health::Degraded,
        ProbeState::Paused => Health::Paused,
        ProbeState::Unknown => Health::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use tokio::sync::watch;

    use super::spawn_monitor_filter;
    use crate::cluster;

    /// An instance whose first look at the store already finds others
    /// (it joins running ones) runs only its share from the start, though
    /// its membership may never change after that.
    #[tokio::test]
    async fn a_joiner_runs_only_its_share_from_the_start() {
        let mut toml = String::from("[[service]]\nid = \"api\"\n");
        for m in 0..30 {
            toml.push_str(&format!(
                "[[service.monitor]]\nid = \"m{m}\"\nhttp = {{ url = \"http://127.0.0.1:9/{m}\" }}\n"
            ));
        }
        let catalog = shipshape_catalog::parse_str(&toml, Path::new("/tmp/t.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let db = shipshape_store::testing::temp_sqlite();
        let store = db.open().await;
        let members = vec!["host-a".to_owned(), "host-b".to_owned()];
        let (_catalog_tx, catalog_rx) = watch::channel(Arc::new(catalog));
        let (_members_tx, members_rx) = watch::channel(Arc::new(members.clone()));
        let runnable = spawn_monitor_filter(catalog_rx, store, "host-a".into(), members_rx);

        let run: Vec<String> = runnable.borrow().services[0]
            .monitors
            .iter()
            .map(|m| m.id.clone())
            .collect();
        let mine: Vec<String> = (0..30)
            .map(|m| format!("m{m}"))
            .filter(|id| cluster::owner(&format!("api/{id}"), &members) == Some("host-a"))
            .collect();
        assert_eq!(run, mine);
        assert!(
            !mine.is_empty() && mine.len() < 30,
            "both instances own some: {mine:?}"
        );
    }
}
