//! Keeps static copies of the public status page up to date: every
//! `[status_page] publish` target of type `dir` receives a fresh export
//! (`shipshape_status::export`, written atomically) whenever what the public
//! sees changes — a component's status, an incident or maintenance update —
//! and at least every `publish_every`, so its "generated at" stays fresh and
//! readers of a copy can tell when Shipshape itself is down. Due
//! maintenance starts and completes here too (`Store::advance_maintenances`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, PublishTarget, StatusPage};
use shipshape_clock::SharedClock;
use shipshape_status::Snapshot;
use shipshape_status::export::{ExportOptions, export};
use shipshape_store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// How often the page is looked at for changes (and maintenance advanced).
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// Starts the publisher; `changed` is poked by the web server when
/// responders change the public page.
pub fn spawn(
    store: Store,
    catalog: watch::Receiver<Arc<Catalog>>,
    clock: SharedClock,
    changed: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<(String, Timestamp)> = None;
        let work = async {
            loop {
                let now = clock.now();
                match store.advance_maintenances(now).await {
                    Ok(moved) if !moved.is_empty() => {
                        for (id, status) in &moved {
                            tracing::info!(maintenance = id, %status, "maintenance moved on");
                        }
                        last = None;
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "could not advance maintenance"),
                }
                let catalog = catalog.borrow().clone();
                if let Err(error) = publish_if_due(&store, &catalog, now, &mut last).await {
                    tracing::warn!(error = %format!("{error:#}"), "could not publish the status page");
                }
                tokio::select! {
                    () = changed.notified() => { last = None; }
                    () = tokio::time::sleep(LOOK_EVERY) => {}
                }
            }
        };
        tokio::select! {
            () = work => {}
            () = shutdown => {}
        }
    })
}

/// Exports to every target when the public status changed since `last`
/// (its fingerprint) or `publish_every` passed.
async fn publish_if_due(
    store: &Store,
    catalog: &Catalog,
    now: Timestamp,
    last: &mut Option<(String, Timestamp)>,
) -> Result<()> {
    let Some(page) = &catalog.status_page else {
        return Ok(());
    };
    if !page
        .publish
        .iter()
        .any(|t| matches!(t, PublishTarget::Dir { .. }))
    {
        return Ok(());
    }
    let Some(snapshot) = shipshape_web::status_snapshot::build(store, catalog, now).await? else {
        return Ok(());
    };
    let print = fingerprint(&snapshot);
    let every = SignedDuration::try_from(page.publish_every).unwrap_or(SignedDuration::MAX);
    let due = match last {
        Some((seen, at)) => *seen != print || now.duration_since(*at) >= every,
        None => true,
    };
    if !due {
        return Ok(());
    }
    publish(&snapshot, page)?;
    *last = Some((print, now));
    Ok(())
}

/// Writes the site to every `dir` target.
pub fn publish(snapshot: &Snapshot, page: &StatusPage) -> Result<()> {
    let options = ExportOptions {
        stale_after: SignedDuration::try_from(page.stale_after)
            .unwrap_or(SignedDuration::from_mins(15)),
    };
    for target in &page.publish {
        match target {
            PublishTarget::Dir { path, .. } => {
                let report = export(snapshot, path, &options).with_context(|| {
                    format!("could not write the status site to `{}`", path.display())
                })?;
                tracing::debug!(dir = %path.display(), files = report.files, bytes = report.bytes, "status page published");
            }
            PublishTarget::S3 { .. } => {
                tracing::debug!("publishing to S3 is not built yet; skipped");
            }
        }
    }
    Ok(())
}

/// What the public sees, in short: statuses and the last change of every
/// incident and maintenance.
fn fingerprint(snapshot: &Snapshot) -> String {
    let mut print = String::new();
    for c in &snapshot.components {
        print.push_str(&format!("{}={};", c.id, c.status.as_str()));
    }
    for i in &snapshot.incidents {
        print.push_str(&format!("i{}@{};", i.id, i.updated_at));
    }
    for m in &snapshot.maintenances {
        print.push_str(&format!(
            "m{}@{}:{};",
            m.id,
            m.updated_at,
            m.status.as_str()
        ));
    }
    print
}
