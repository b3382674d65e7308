//! [`AppState`]: what every handler can reach — the store, the latest
//! catalog, the clock, the web settings, metrics and build information,
//! and the hooks into alerting (the paging engine's waker and the
//! acknowledge-link key) and into the readiness review (its runner's waker).

use std::sync::Arc;

use shipshape_catalog::Catalog;
use shipshape_clock::SharedClock;
use shipshape_probe::schedule::Heartbeats;
use shipshape_store::{Store, StoreError};
use tokio::sync::{Notify, OnceCell, watch};

use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Version and commit of the running binary, shown in `/metrics` and the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// Crate version, e.g. `0.1.0`.
    pub version: String,
    /// Source commit (short hash), or `unknown`.
    pub commit: String,
}

/// Shared state of the web layer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Store,
    /// The catalog; the binary swaps in reloaded ones, so read it per request
    /// with [`AppState::catalog`].
    pub catalog: watch::Receiver<Arc<Catalog>>,
    /// The injected clock.
    pub clock: SharedClock,
    /// HTTP settings.
    pub config: WebConfig,
    /// The metrics registry served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// What is running.
    pub build: BuildInfo,
    /// Where heartbeat pings go: this instance's probe service, when it
    /// runs one (set with [`AppState::with_heartbeats`]).
    pub heartbeats: Option<Heartbeats>,
    /// This instance's id among those sharing the store, recorded with the
    /// heartbeat pings it takes (set with [`AppState::with_instance`]).
    pub instance: String,
    /// Pokes the paging engine after signals are stored or an incident is
    /// acknowledged or resolved, so its next pass runs at once (set with
    /// [`AppState::with_pager`]). Without it, the engine's own tick picks
    /// the change up.
    pub pager: Option<Arc<Notify>>,
    /// The acknowledge-link key, read from the store on first use.
    ack_key: Arc<AckKey>,
    /// The public status page's last snapshot.
    pub(crate) status: Arc<crate::status_snapshot::SnapshotCache>,
    /// Poked when the public status changes (the publisher re-exports).
    pub status_publisher: Option<Arc<Notify>>,
    /// Poked when someone asks for the readiness review to run again (set
    /// with [`AppState::with_readiness`]).
    pub readiness: Option<Arc<Notify>>,
}

/// The cached acknowledge-link key; its `Debug` never shows the secret.
#[derive(Default)]
struct AckKey(OnceCell<Vec<u8>>);

impl std::fmt::Debug for AckKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.initialized() {
            "AckKey(loaded)"
        } else {
            "AckKey(not loaded)"
        })
    }
}

impl AppState {
    /// Builds the state and registers the build information in a fresh
    /// metrics registry.
    pub fn new(
        store: Store,
        catalog: watch::Receiver<Arc<Catalog>>,
        clock: SharedClock,
        config: WebConfig,
        build: BuildInfo,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(&build));
        Self {
            store,
            catalog,
            clock,
            config,
            metrics,
            build,
            heartbeats: None,
            instance: "local".to_owned(),
            pager: None,
            ack_key: Arc::default(),
            status: Arc::default(),
            status_publisher: None,
            readiness: None,
        }
    }

    /// Pokes `publisher` whenever responders change what the public status
    /// page shows (incidents, maintenance, overrides).
    pub fn with_status_publisher(mut self, publisher: Arc<Notify>) -> Self {
        self.status_publisher = Some(publisher);
        self
    }

    /// Something the public page shows changed: rebuild on the next
    /// request and tell the publisher.
    pub fn status_changed(&self) {
        self.status.invalidate();
        if let Some(publisher) = &self.status_publisher {
            publisher.notify_one();
        }
    }

    /// Wakes the paging engine with `waker` (`Pager::waker`) whenever this
    /// server stores alert signals or changes an incident.
    pub fn with_pager(mut self, waker: Arc<Notify>) -> Self {
        self.pager = Some(waker);
        self
    }

    /// Asks the paging engine, if any, to run a pass now.
    pub(crate) fn wake_pager(&self) {
        if let Some(waker) = &self.pager {
            waker.notify_one();
        }
    }

    /// The key that signs acknowledge links (`shipshape_pager::ACK_KEY`),
    /// read from the store once and kept.
    pub(crate) async fn ack_key(&self) -> Result<&[u8], StoreError> {
        self.ack_key
            .0
            .get_or_try_init(|| self.store.server_key(shipshape_pager::ACK_KEY))
            .await
            .map(Vec::as_slice)
    }

    /// Pokes `runner` whenever someone asks for the readiness review to run
    /// now (the binary also runs it on a schedule).
    pub fn with_readiness(mut self, runner: Arc<Notify>) -> Self {
        self.readiness = Some(runner);
        self
    }

    /// Asks the readiness runner, if any, to review every service now;
    /// whether there is one to ask.
    pub fn readiness_requested(&self) -> bool {
        match &self.readiness {
            Some(runner) => {
                runner.notify_one();
                true
            }
            None => false,
        }
    }

    /// Names this instance (see [`AppState::instance`]).
    pub fn with_instance(mut self, id: impl Into<String>) -> Self {
        self.instance = id.into();
        self
    }

    /// Delivers heartbeat pings to `heartbeats`.
    pub fn with_heartbeats(mut self, heartbeats: Heartbeats) -> Self {
        self.heartbeats = Some(heartbeats);
        self
    }

    /// The latest catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.borrow().clone()
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
