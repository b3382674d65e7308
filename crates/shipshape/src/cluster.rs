//! Several `shipshape serve` instances on one store: each instance has an
//! id and a heartbeat row, and the work only one instance may do (deciding
//! incidents and escalations, publishing the status site, running the
//! readiness review) goes to whoever holds that work's lease. With one
//! instance (or SQLite) the leases are simply always held.
//!
//! Why leases and not advisory locks: a lease lives in a row both backends
//! share, survives connection resets (an advisory lock dies with its
//! session, and a pooled connection hides which one that is), expires by
//! itself when its holder dies, and carries a generation that fences a
//! holder that stalled past its expiry.

use std::time::Duration;

use shipshape_clock::SharedClock;
use shipshape_store::{InstanceBeat, Store};
use tokio::task::JoinHandle;

/// How often an instance writes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// How long the leases of the singleton loops last without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// The lease of the status-site publisher.
pub const PUBLISH_LEASE: &str = "status.publish";
/// The lease of the readiness review loop.
pub const READINESS_LEASE: &str = "readiness.review";

/// This instance, as the others see it.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Unique among the instances sharing the store: host name and a random
    /// suffix, so a restart is a new instance.
    pub id: String,
    /// Where its probes run from.
    pub location: String,
}

impl Instance {
    /// A new identity for this process.
    pub fn new(location: &str) -> Instance {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "shipshape".to_owned());
        Instance {
            id: format!("{host}-{:08x}", rand::random::<u32>()),
            location: location.to_owned(),
        }
    }

    /// Whether this instance holds (or now took, or renewed) the lease
    /// `name`. A store that does not answer means no.
    pub async fn leads(&self, store: &Store, clock: &SharedClock, name: &str) -> bool {
        match store
            .try_lease(name, &self.id, clock.now(), LEASE_TTL)
            .await
        {
            Ok(grant) => grant.is_some(),
            Err(error) => {
                tracing::warn!(lease = name, %error, "cannot renew a lease; standing by");
                false
            }
        }
    }

    /// Writes this instance's heartbeat every [`HEARTBEAT_EVERY`] until
    /// `shutdown`, then marks it stopped so its leases' work moves at once.
    pub fn spawn_heartbeat(
        &self,
        store: Store,
        clock: SharedClock,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let instance = self.clone();
        tokio::spawn(async move {
            let beat = async {
                loop {
                    let now = clock.now();
                    let result = store
                        .heartbeat_instance(&InstanceBeat {
                            id: instance.id.clone(),
                            location: instance.location.clone(),
                            version: env!("CARGO_PKG_VERSION").to_owned(),
                            now,
                        })
                        .await;
                    if let Err(error) = result {
                        tracing::warn!(%error, "cannot write this instance's heartbeat");
                    }
                    tokio::time::sleep(HEARTBEAT_EVERY).await;
                }
            };
            tokio::select! {
                () = beat => {}
                () = shutdown => {}
            }
            let now = clock.now();
            let _ = store.stop_instance(&instance.id, now).await;
            for lease in [
                PUBLISH_LEASE,
                READINESS_LEASE,
                shipshape_pager::DECIDE_LEASE,
            ] {
                let _ = store.release_lease(lease, &instance.id).await;
            }
        })
    }
}
