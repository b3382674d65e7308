//! The paging engine end to end on a simulated clock: monitor results go
//! through the evaluator, the signals into a real SQLite store, decision
//! passes open and resolve incidents and enqueue notifications, and the
//! outbox is delivered to a real loopback webhook receiver.

mod delivery;
mod scenarios;
mod status_webhooks;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use shipshape_alert::engine::{Evaluator, EvaluatorPolicy, Health, MonitorKey};
use shipshape_catalog::Catalog;
use shipshape_clock::{ManualClock, SharedClock};
use shipshape_pager::{Pager, record_signals};
use shipshape_store::{IncidentFilter, OutboxMessage, Store, testing::TestDb};
use tokio::sync::watch;

/// 2026-11-30 09:00 UTC, a Monday.
pub const T0: &str = "2026-11-30T09:00:00Z";

/// People, escalations and routes shared by the scenarios; `{hook}` is
/// replaced by the receiver's base URL.
pub const CATALOG: &str = r#"
[alerting]
resolve_after = "1m"

[[person]]
id = "alice"
name = "Alice Rivera"
contact = [{ type = "webhook", url = "{hook}/alice", secret = "alice-secret" }]

[[person]]
id = "bob"
name = "Bob Chen"
contact = [{ type = "webhook", url = "{hook}/bob" }]

[[person]]
id = "carol"
name = "Carol"
contact = [{ type = "email", to = "carol@example.gov" }]

[[team]]
id = "platform"
members = ["alice", "bob"]

[[escalation]]
id = "api"
steps = [
  { notify = ["person:alice"] },
  { after = "10m", notify = ["person:bob"] },
]

[[escalation]]
id = "web"
steps = [
  { notify = ["person:carol"] },
  { after = "10m", notify = ["person:bob"] },
]

[[escalation]]
id = "single"
steps = [{ notify = ["person:alice"] }]

[[route]]
match = { service = "api" }
escalation = "api"

[[route]]
match = { service = "jobs" }
escalation = "single"

[[route]]
match = { service = "web" }
escalation = "web"

[[route]]
match = { service = "db" }
escalation = "api"

[[service]]
id = "db"
name = "Database"
owner = "platform"

  [[service.monitor]]
  id = "primary"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

[[service]]
id = "api"
name = "API"
owner = "platform"
depends_on = ["db"]

  [[service.monitor]]
  id = "a"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

  [[service.monitor]]
  id = "b"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

  [[service.monitor]]
  id = "c"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

[[service]]
id = "jobs"
name = "Jobs"

  [[service.monitor]]
  id = "worker"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"

[status_page]
title = "Example status"
components = [{ name = "Jobs", monitors = ["jobs/worker"] }]

[[service]]
id = "web"
name = "Website"

  [[service.monitor]]
  id = "home"
  tcp = { host = "127.0.0.1", port = 9 }
  every = "30s"
"#;

/// A simulated deployment: store, clock, engine and an evaluator fed like
/// the probe feeds it (`confirm = 1`, `recover = 1`).
pub struct Sim {
    pub _db: TestDb,
    pub store: Store,
    pub clock: ManualClock,
    pub catalog: Arc<Catalog>,
    pub catalog_tx: watch::Sender<Arc<Catalog>>,
    pub pager: Pager,
    pub evaluator: Evaluator,
    pub health: HashMap<MonitorKey, bool>,
}

impl Sim {
    /// A simulation of `toml` with webhooks pointing at `hook`.
    pub async fn new(toml: &str, hook: &str) -> Sim {
        let db = shipshape_store::testing::temp_sqlite();
        let store = db.open().await;
        let catalog = Arc::new(
            shipshape_catalog::parse_str(&toml.replace("{hook}", hook), Path::new("/tmp/t.toml"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let clock = ManualClock::new(T0.parse().unwrap());
        let (catalog_tx, catalog_rx) = watch::channel(catalog.clone());
        let shared: SharedClock = Arc::new(clock.clone());
        let pager = Pager::new(
            store.clone(),
            shared,
            catalog_rx,
            Some("https://ops.example.gov".into()),
        )
        .await
        .unwrap();
        let mut evaluator = Evaluator::new(EvaluatorPolicy::default());
        evaluator.set_catalog(&catalog, clock_now(&clock));
        Sim {
            _db: db,
            store,
            clock,
            catalog,
            catalog_tx,
            pager,
            evaluator,
            health: HashMap::new(),
        }
    }

    /// Builds a new engine on the same store, as after a restart.
    pub async fn restart(&mut self) {
        let shared: SharedClock = Arc::new(self.clock.clone());
        self.pager = Pager::new(
            self.store.clone(),
            shared,
            self.catalog_tx.subscribe(),
            Some("https://ops.example.gov".into()),
        )
        .await
        .unwrap();
    }

    pub fn now(&self) -> Timestamp {
        clock_now(&self.clock)
    }

    /// One check of `service/monitor` at the current time, then a pass.
    pub async fn check(&mut self, service: &str, monitor: &str, ok: bool) {
        let key = MonitorKey::new(service, monitor);
        let now = self.now();
        let mut signals = Vec::new();
        if self.health.get(&key) != Some(&ok) {
            self.health.insert(key.clone(), ok);
            let health = if ok { Health::Up } else { Health::Down };
            let reason = (!ok).then_some("connection refused");
            signals.extend(self.evaluator.observe_state(&key, now, health, reason));
        }
        signals.extend(self.evaluator.observe_result(&key, now, ok, Some(20.0)));
        record_signals(&self.store, &signals, now).await.unwrap();
        self.pager.decide().await.unwrap();
    }

    /// Moves the clock on and runs a pass.
    pub async fn wait(&self, secs: i64) {
        self.clock.advance(SignedDuration::from_secs(secs));
        self.pager.decide().await.unwrap();
    }

    /// Every outbox message of every incident, oldest first.
    pub async fn outbox(&self) -> Vec<OutboxMessage> {
        let mut all = Vec::new();
        let incidents = self
            .store
            .incidents(&IncidentFilter {
                limit: 500,
                ..IncidentFilter::default()
            })
            .await
            .unwrap();
        for incident in incidents {
            all.extend(self.store.outbox_for_incident(incident.id).await.unwrap());
        }
        all.sort_by_key(|m| m.id);
        all
    }

    /// The outbox messages of `kind`.
    pub async fn sent(&self, kind: &str) -> Vec<OutboxMessage> {
        self.outbox()
            .await
            .into_iter()
            .filter(|m| m.kind == kind)
            .collect()
    }
}

fn clock_now(clock: &ManualClock) -> Timestamp {
    use shipshape_clock::Clock;
    clock.now()
}
