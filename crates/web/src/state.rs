//! [`AppState`]: what every handler can reach — the store, the latest
//! catalog, the clock, the web settings, metrics and build information.

use std::sync::Arc;

use shipshape_catalog::Catalog;
use shipshape_clock::SharedClock;
use shipshape_probe::schedule::Heartbeats;
use shipshape_store::Store;
use tokio::sync::watch;

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
        }
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
