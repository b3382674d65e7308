//! Wires the probe engine to the store: runs the scheduler with the real
//! checkers, writes results in batches, records state changes, and prunes
//! old data. Glue only; the logic lives in `shipshape-probe` and
//! `shipshape-store`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use shipshape_catalog::Catalog;
use shipshape_clock::SharedClock;
use shipshape_probe::check::{CheckerOptions, Checkers};
use shipshape_probe::result::CheckResult;
use shipshape_probe::schedule::{
    CheckFuture, Checker, MonitorKey, MonitorSpec, ProbeConfig, ProbeEvent, ProbeHandle,
    StateChange, start_probe_service,
};
use shipshape_store::{
    LocationId, MonitorEvent, MonitorId, MonitorName, MonitorState, Retention, Store, StoredResult,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

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
    /// Starts checking every monitor of the catalog from `location`.
    pub async fn start(
        catalog: watch::Receiver<Arc<Catalog>>,
        store: Store,
        clock: SharedClock,
        location: String,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Monitoring> {
        let checkers = Checkers::new(CheckerOptions::default())
            .context("could not set up the probe checkers")?;
        let location_id = *store
            .register_locations(&[location.as_str()], clock.now())
            .await?
            .get(&location)
            .context("the store did not register this probe location")?;
        let (sink, events) = mpsc::channel(4_096);
        let probe = start_probe_service(
            ProbeConfig::new(location),
            catalog.clone(),
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
                ids: HashMap::new(),
                pending: Vec::new(),
            }
            .run(events, catalog),
        );
        Ok(Monitoring { probe, writer })
    }

    /// Waits for the scheduler to stop and the last results to be written.
    pub async fn join(self) {
        self.probe.join().await;
        let _ = self.writer.await;
    }
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
    ids: HashMap<MonitorKey, MonitorId>,
    pending: Vec<StoredResult>,
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
                _ = flush.tick() => self.flush().await,
                _ = prune.tick() => self.prune().await,
            }
        }
        self.flush().await;
    }

    async fn handle(&mut self, event: ProbeEvent, catalog: &watch::Receiver<Arc<Catalog>>) {
        match event {
            ProbeEvent::Result { key, result, .. } => {
                if let Some(&id) = self.ids.get(&key) {
                    self.pending.push(stored(id, self.location, &result));
                    if self.pending.len() >= FLUSH_AT {
                        self.flush().await;
                    }
                }
            }
            ProbeEvent::StateChange(change) => self.record_change(change).await,
            ProbeEvent::Reloaded(diff) => {
                if !diff.added.is_empty() {
                    let catalog = catalog.borrow().clone();
                    self.register(&catalog).await;
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
            }
            Err(err) => {
                tracing::error!(error = %err, "could not register monitors; their results are not stored")
            }
        }
    }

    async fn record_change(&mut self, change: StateChange) {
        let Some(&monitor) = self.ids.get(&change.key) else {
            return;
        };
        let event = MonitorEvent {
            monitor,
            at: change.at,
            from: state(change.from),
            to: state(change.to),
            reason: change.reason,
            locations: change.locations,
        };
        if let Err(err) = self.store.append_monitor_event(&event).await {
            tracing::error!(error = %err, monitor = %change.key, "could not record a state change");
        }
    }

    async fn flush(&mut self) {
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

    async fn prune(&self) {
        match self
            .store
            .prune(self.clock.now(), &Retention::default())
            .await
        {
            Ok(report) => tracing::debug!(?report, "pruned old monitoring data"),
            Err(err) => tracing::warn!(error = %err, "could not prune old monitoring data"),
        }
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
fn state(state: shipshape_probe::schedule::MonitorState) -> MonitorState {
    use shipshape_probe::schedule::MonitorState as Probe;
    match state {
        Probe::Unknown => MonitorState::Unknown,
        Probe::Up => MonitorState::Up,
        Probe::Down => MonitorState::Down,
        Probe::Paused => MonitorState::Paused,
    }
}
