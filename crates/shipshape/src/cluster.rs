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

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use shipshape_clock::SharedClock;
use shipshape_store::{InstanceBeat, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often an instance writes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// How long the leases of the singleton loops last without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// An instance whose heartbeat is older than this is gone: its monitors
/// move to the others.
pub const MEMBER_TTL: Duration = Duration::from_secs(10);

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

impl Instance {
    /// The live instances of this instance's location (this one always
    /// among them), sorted: read once now, so an instance joining running
    /// ones starts with its share rather than every monitor, then polled
    /// every [`HEARTBEAT_EVERY`]. A store that does not answer leaves the
    /// last answer in place (at first: this instance alone).
    pub async fn membership(&self, store: Store, clock: SharedClock) -> Membership {
        // Bounded: a store that does not answer at start must not hold
        // the start up.
        let first = tokio::time::timeout(HEARTBEAT_EVERY, self.live_members(&store, &clock))
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| vec![self.id.clone()]);
        tracing::info!(members = first.len(), "instances of this location");
        let (tx, rx) = watch::channel(Arc::new(first));
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let Some(ids) = me.live_members(&store, &clock).await else {
                    continue;
                };
                if **tx.borrow() != ids {
                    tracing::info!(members = ids.len(), "instances of this location changed");
                    if tx.send(Arc::new(ids)).is_err() {
                        break;
                    }
                }
            }
        });
        Membership {
            instance: self.clone(),
            members: rx,
        }
    }

    /// The live instances of this location with this one, sorted; `None`
    /// when the store does not answer.
    async fn live_members(&self, store: &Store, clock: &SharedClock) -> Option<Vec<String>> {
        let live = match store.live_instances(clock.now(), MEMBER_TTL).await {
            Ok(live) => live,
            Err(error) => {
                tracing::debug!(%error, "cannot read the live instances");
                return None;
            }
        };
        let mut ids: Vec<String> = live
            .into_iter()
            .filter(|i| i.location == self.location)
            .map(|i| i.id)
            .collect();
        if !ids.contains(&self.id) {
            ids.push(self.id.clone());
        }
        ids.sort();
        Some(ids)
    }
}

/// This instance and the live instances of its location, as they change.
pub struct Membership {
    /// This instance.
    pub instance: Instance,
    /// The live instances of its location, sorted.
    pub members: watch::Receiver<Arc<Vec<String>>>,
}

/// Which of `members` checks the monitor `key` (`service/monitor`):
/// rendezvous hashing, so when an instance joins or leaves only the monitors
/// it gains or loses move, and every instance computes the same answer
/// (SHA-256, stable across versions and platforms).
pub fn owner<'m>(key: &str, members: &'m [String]) -> Option<&'m str> {
    members
        .iter()
        .max_by_key(|member| {
            let digest = Sha256::new()
                .chain_update(key.as_bytes())
                .chain_update([0])
                .chain_update(member.as_bytes())
                .finalize();
            u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
        })
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::owner;

    fn members(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("host-{i:02}")).collect()
    }

    #[test]
    fn every_monitor_has_exactly_one_owner_and_the_load_is_spread() {
        let three = members(3);
        let mut load = [0usize; 3];
        for m in 0..3000 {
            let key = format!("svc/m{m}");
            let who = owner(&key, &three).unwrap();
            load[three.iter().position(|x| x == who).unwrap()] += 1;
        }
        for n in load {
            assert!((800..1200).contains(&n), "{load:?}");
        }
        assert_eq!(owner("svc/m", &[]), None);
    }

    #[test]
    fn a_leaving_instance_moves_only_its_own_monitors() {
        let three = members(3);
        let two: Vec<String> = three[..2].to_vec();
        for m in 0..1000 {
            let key = format!("svc/m{m}");
            let before = owner(&key, &three).unwrap();
            let after = owner(&key, &two).unwrap();
            if before != "host-02" {
                assert_eq!(before, after, "{key} moved although its owner stayed");
            }
        }
    }
}
