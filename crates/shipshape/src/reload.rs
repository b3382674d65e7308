//! Catalog reload: on SIGHUP and whenever the catalog file changes, load it
//! again; apply it if valid, refuse it (logging every error) if not. The
//! running catalog is never replaced by an invalid one.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use shipshape_catalog::Catalog;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cli::{ConfigArg, InstanceArgs};
use crate::load;

/// How often the catalog file's modification time is looked at.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Starts the reload task. It runs until aborted.
pub fn spawn(
    config: ConfigArg,
    instance: InstanceArgs,
    catalog: watch::Sender<Arc<Catalog>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut hangups = match hangup_signals() {
            Ok(signals) => Some(signals),
            Err(err) => {
                tracing::warn!(error = %err, "SIGHUP reload unavailable; watching the file only");
                None
            }
        };
        let mut last_seen = file_stamp(&config);
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let reason = tokio::select! {
                _ = recv_hangup(&mut hangups) => "SIGHUP",
                _ = poll.tick() => {
                    let stamp = file_stamp(&config);
                    if stamp == last_seen {
                        continue;
                    }
                    last_seen = stamp;
                    "file changed"
                }
            };
            reload(&config, &instance, &catalog, reason).await;
        }
    })
}

/// Loads the catalog again and applies it if it is valid.
pub async fn reload(
    config: &ConfigArg,
    instance: &InstanceArgs,
    catalog: &watch::Sender<Arc<Catalog>>,
    reason: &str,
) {
    match load::catalog(config, instance).await {
        Ok(new) => {
            let current = catalog.borrow().clone();
            let diff = shipshape_catalog::diff(&current, &new);
            if *current == new {
                tracing::info!(reason, "catalog reloaded: no changes");
                return;
            }
            if current.store.url != new.store.url {
                tracing::warn!("`[store] url` changed: the new store is used after a restart");
            }
            catalog.send_replace(Arc::new(new));
            tracing::info!(reason, changes = %diff, "catalog reloaded");
        }
        Err(err) => {
            tracing::error!(
                reason,
                "catalog reload refused, the running catalog stays: {err:#}"
            );
        }
    }
}

/// The catalog file's modification time and length, to notice edits.
fn file_stamp(config: &ConfigArg) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(&config.config).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(unix)]
type Hangups = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangup_signals() -> std::io::Result<Hangups> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
}

#[cfg(not(unix))]
fn hangup_signals() -> std::io::Result<Hangups> {
    Err(std::io::Error::other("no SIGHUP on this platform"))
}

/// Waits for the next SIGHUP; never resolves when signals are unavailable.
async fn recv_hangup(hangups: &mut Option<Hangups>) {
    #[cfg(unix)]
    if let Some(signals) = hangups
        && signals.recv().await.is_some()
    {
        return;
    }
    let _ = hangups;
    std::future::pending::<()>().await
}
