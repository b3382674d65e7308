//! Heartbeat pings between instances: a job's ping may reach any instance
//! (the web records every ping in the store), but only the instance that
//! runs the heartbeat monitor judges it. This reads the pings other
//! instances took, every second, and hands them to this instance's probe.

use std::time::Duration;

use jiff::SignedDuration;
use shipshape_clock::SharedClock;
use shipshape_probe::schedule::{HeartbeatError, Heartbeats, MonitorKey, Ping};
use shipshape_store::Store;
use tokio::task::JoinHandle;

/// How often the store is read for new pings.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// How long pings are kept.
const KEEP: SignedDuration = SignedDuration::from_hours(24);
/// Most pings read at once.
const BATCH: u32 = 500;

/// Relays the pings other instances took to `heartbeats` until `shutdown`.
pub fn spawn(
    store: Store,
    clock: SharedClock,
    me: String,
    heartbeats: Heartbeats,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let relay = async {
            // Pings older than this instance were judged by whoever ran the
            // monitor then.
            let mut last = loop {
                match store.last_heartbeat_ping_id().await {
                    Ok(id) => break id,
                    Err(error) => {
                        tracing::debug!(%error, "cannot read heartbeat pings yet");
                        tokio::time::sleep(POLL_EVERY).await;
                    }
                }
            };
            let mut pruned_at = clock.now();
            loop {
                tokio::time::sleep(POLL_EVERY).await;
                let pings = match store.heartbeat_pings_after(last, BATCH).await {
                    Ok(pings) => pings,
                    Err(error) => {
                        tracing::debug!(%error, "cannot read heartbeat pings");
                        continue;
                    }
                };
                for ping in pings {
                    last = last.max(ping.id);
                    if ping.origin == me {
                        continue; // delivered here when it arrived
                    }
                    let key = MonitorKey::new(ping.monitor.service, ping.monitor.monitor);
                    let delivered = heartbeats
                        .ping(
                            key.clone(),
                            Ping {
                                ok: ping.ok,
                                message: ping.message,
                                runtime: ping
                                    .runtime_ms
                                    .and_then(|ms| u64::try_from(ms).ok())
                                    .map(Duration::from_millis),
                            },
                        )
                        .await;
                    match delivered {
                        // Another instance runs it (or nobody: paused).
                        Ok(()) | Err(HeartbeatError::UnknownMonitor(_)) => {}
                        Err(error) => {
                            tracing::debug!(monitor = %key, %error, "heartbeat ping not relayed")
                        }
                    }
                }
                let now = clock.now();
                if now.duration_since(pruned_at) > SignedDuration::from_hours(1) {
                    pruned_at = now;
                    let before = now.saturating_sub(KEEP).unwrap_or(now);
                    if let Err(error) = store.prune_heartbeat_pings(before).await {
                        tracing::debug!(%error, "cannot prune heartbeat pings");
                    }
                }
            }
        };
        tokio::select! {
            () = relay => {}
            () = shutdown => {}
        }
    })
}
