//! Keeps static copies of the public status page up to date: every
//! `[status_page] publish` target receives a fresh export
//! (`shipshape_status::export`) whenever what the public sees changes — a
//! component's status, an incident or maintenance update — and at least
//! every `publish_every`, so its "generated at" stays fresh and readers of a
//! copy can tell when Shipshape itself is down. Due maintenance starts and
//! completes here too (`Store::advance_maintenances`), and subscribers are
//! told.
//!
//! Targets: `dir` (written atomically in place), `s3` (any S3-compatible
//! bucket, [`s3`]) and `git` (a branch such as `gh-pages`, [`git`]). They run
//! one after another; one that fails is logged with its reason, retried
//! sooner than `publish_every` (backing off) and does not hold the others
//! back.

mod git;
mod s3;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, PublishTarget, Setting, StatusPage};
use shipshape_clock::SharedClock;
use shipshape_status::Snapshot;
use shipshape_status::export::{ExportOptions, export};
use shipshape_store::Store;
use tokio::sync::{Notify, watch};

use crate::cluster::{Instance, PUBLISH_LEASE};
use tokio::task::JoinHandle;

/// How often the page is looked at for changes (and maintenance advanced).
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// Starts the publisher; `changed` is poked by the web server when
/// responders change the public page. Among several instances only the
/// holder of [`PUBLISH_LEASE`] publishes and advances maintenance.
pub fn spawn(
    instance: Instance,
    store: Store,
    catalog: watch::Receiver<Arc<Catalog>>,
    clock: SharedClock,
    changed: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut publisher = Publisher::default();
        let work = async {
            loop {
                if !instance.leads(&store, &clock, PUBLISH_LEASE).await {
                    // Another instance publishes; look again later.
                    tokio::select! {
                        () = changed.notified() => {}
                        () = tokio::time::sleep(LOOK_EVERY) => {}
                    }
                    continue;
                }
                let now = clock.now();
                let catalog = catalog.borrow().clone();
                match store.advance_maintenances(now).await {
                    Ok(moved) if !moved.is_empty() => {
                        for (id, status) in &moved {
                            tracing::info!(maintenance = id, %status, "maintenance moved on");
                        }
                        // Subscribers hear that it started or completed.
                        shipshape_pager::subscriptions::notify_maintenance_changes(
                            &store, &catalog, &moved, now,
                        )
                        .await;
                        publisher.force();
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "could not advance maintenance"),
                }
                if let Err(error) = publisher.publish_if_due(&store, &catalog, now).await {
                    tracing::warn!(error = %format!("{error:#}"), "could not publish the status page");
                }
                tokio::select! {
                    () = changed.notified() => publisher.force(),
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

/// What the publisher remembers of each target, keyed by [`target_key`].
#[derive(Debug, Default)]
pub struct Publisher {
    targets: HashMap<String, TargetState>,
    /// The page as last looked at, to tell component changes.
    last_snapshot: Option<Snapshot>,
}

/// One target's last success and its run of failures since.
#[derive(Debug, Default)]
struct TargetState {
    /// Fingerprint and time of the last successful publish.
    published: Option<(String, Timestamp)>,
    /// Due at the next look whatever the fingerprint says.
    forced: bool,
    /// Failures in a row, and when the last one happened.
    failures: u32,
    failed_at: Option<Timestamp>,
}

impl Publisher {
    /// Makes every target due at the next look (the public page changed).
    pub fn force(&mut self) {
        for state in self.targets.values_mut() {
            state.forced = true;
        }
    }

    /// Publishes to every target that is due: the public status changed
    /// since its last publish, `publish_every` passed, or it failed last
    /// time and its back-off (10 s, doubling, at most `publish_every`) is
    /// over.
    async fn publish_if_due(
        &mut self,
        store: &Store,
        catalog: &Catalog,
        now: Timestamp,
    ) -> Result<()> {
        let Some(page) = &catalog.status_page else {
            return Ok(());
        };
        let Some(snapshot) = shipshape_pager::status_snapshot::build(store, catalog, now).await?
        else {
            return Ok(());
        };
        // Webhooks following a component hear when its status changes.
        if let Some(before) = &self.last_snapshot {
            shipshape_pager::subscriptions::notify_component_changes(store, before, &snapshot, now)
                .await;
        }
        if !page.publish.is_empty() {
            self.publish(&snapshot, page, catalog, now).await;
        }
        self.last_snapshot = Some(snapshot);
        Ok(())
    }

    /// Writes the site for `snapshot` to each target of `page` that is due,
    /// one after another; failures are logged and remembered per target.
    pub async fn publish(
        &mut self,
        snapshot: &Snapshot,
        page: &StatusPage,
        catalog: &Catalog,
        now: Timestamp,
    ) {
        let every = SignedDuration::try_from(page.publish_every).unwrap_or(SignedDuration::MAX);
        let keys: Vec<String> = page.publish.iter().map(target_key).collect();
        self.targets.retain(|key, _| keys.contains(key));
        let print = fingerprint(snapshot);
        let options = export_options(page);
        let mut staged: Option<Staged> = None;
        for (target, key) in page.publish.iter().zip(&keys) {
            let state = self.targets.entry(key.clone()).or_default();
            if !(state.retry_due(now, every) && state.refresh_due(now, every, &print)) {
                continue;
            }
            let changed = state
                .published
                .as_ref()
                .is_none_or(|(seen, _)| *seen != print);
            let result =
                publish_one(target, snapshot, &options, catalog, &mut staged, changed).await;
            state.record(target, result, &print, now);
        }
    }
}

impl TargetState {
    /// Whether a failed target's back-off is over (always, when it did not
    /// fail last time).
    fn retry_due(&self, now: Timestamp, every: SignedDuration) -> bool {
        let Some(failed_at) = self.failed_at else {
            return true;
        };
        let shift = self.failures.saturating_sub(1).min(16);
        let wait = SignedDuration::try_from(LOOK_EVERY * (1u32 << shift))
            .unwrap_or(SignedDuration::MAX)
            .min(every);
        now.duration_since(failed_at) >= wait
    }

    /// Whether the target needs a new copy: never published, forced, the
    /// fingerprint differs, or `every` passed.
    fn refresh_due(&self, now: Timestamp, every: SignedDuration, print: &str) -> bool {
        match &self.published {
            _ if self.forced => true,
            None => true,
            Some((seen, at)) => print != seen || now.duration_since(*at) >= every,
        }
    }

    /// Logs the outcome: a failure at warn (with how many in a row), a
    /// recovery at info, an ordinary success at debug.
    fn record(
        &mut self,
        target: &PublishTarget,
        result: Result<String>,
        print: &str,
        now: Timestamp,
    ) {
        let name = describe(target);
        match result {
            Ok(what) => {
                if self.failures > 0 {
                    tracing::info!(target = %name, failures = self.failures, "{what}; publishing works again");
                } else {
                    tracing::debug!(target = %name, "{what}");
                }
                self.failures = 0;
                self.failed_at = None;
                self.forced = false;
                self.published = Some((print.to_owned(), now));
            }
            Err(error) => {
                self.failures += 1;
                self.failed_at = Some(now);
                tracing::warn!(
                    target = %name,
                    failures = self.failures,
                    error = %format!("{error:#}"),
                    "could not publish the status page"
                );
            }
        }
    }
}

/// The site exported once into a temporary directory, shared by the
/// `s3` and `git` targets of one round.
struct Staged {
    _dir: tempfile::TempDir,
    site: PathBuf,
}

/// Writes the site to one target; returns what was done, for the log.
async fn publish_one(
    target: &PublishTarget,
    snapshot: &Snapshot,
    options: &ExportOptions,
    catalog: &Catalog,
    staged: &mut Option<Staged>,
    changed: bool,
) -> Result<String> {
    match target {
        PublishTarget::Dir { path, .. } => {
            let report = export(snapshot, path, options).with_context(|| {
                format!("could not write the status site to `{}`", path.display())
            })?;
            Ok(format!(
                "status page written: {} files, {} bytes",
                report.files, report.bytes
            ))
        }
        PublishTarget::S3 {
            url,
            endpoint,
            region,
            access_key_id,
            secret_access_key,
            ..
        } => {
            let site = stage(staged, snapshot, options)?;
            let bucket = s3::Bucket {
                url: resolved(url, "url")?,
                endpoint: endpoint.as_ref(),
                region,
                credentials: match (access_key_id, secret_access_key) {
                    (Some(id), Some(key)) => Some((
                        resolved(id, "access_key_id")?,
                        resolved(key, "secret_access_key")?,
                    )),
                    _ => None,
                },
            };
            let report = s3::upload(&bucket, site).await?;
            Ok(format!(
                "status page uploaded: {} files, {} removed",
                report.uploaded, report.deleted
            ))
        }
        PublishTarget::Git {
            repo,
            branch,
            path,
            message,
            ..
        } => {
            let site = stage(staged, snapshot, options)?;
            let repo = resolved(repo, "repo")?;
            let target = git::Branch {
                repo,
                branch,
                path: path.as_deref(),
                message,
            };
            let cache = git_cache_dir(catalog);
            let outcome = git::publish(&target, site, &cache, !changed).await?;
            Ok(outcome.to_string())
        }
    }
}

/// The export in a temporary directory, made on first use.
fn stage<'a>(
    staged: &'a mut Option<Staged>,
    snapshot: &Snapshot,
    options: &ExportOptions,
) -> Result<&'a Path> {
    if staged.is_none() {
        let dir = tempfile::Builder::new()
            .prefix("shipshape-site-")
            .tempdir()
            .context("could not make a temporary directory for the status site")?;
        let site = dir.path().join("site");
        export(snapshot, &site, options).context("could not export the status site")?;
        *staged = Some(Staged { _dir: dir, site });
    }
    Ok(&staged.as_ref().expect("staged above").site)
}

/// A setting's value; a secret the binary could not resolve is an error
/// naming the key only.
fn resolved(setting: &Setting, key: &str) -> Result<String> {
    setting
        .value()
        .map(str::to_owned)
        .with_context(|| format!("the secret `{key}` is not resolved"))
}

/// Where working clones of `git` targets are kept: beside a SQLite store
/// (`shipshape-publish/` in its directory), else in the OS's temporary
/// directory.
fn git_cache_dir(catalog: &Catalog) -> PathBuf {
    if let Setting::Plain(url) = &catalog.store.url
        && let Some(file) = url.strip_prefix("sqlite://")
        && !file.starts_with(':')
    {
        let file = file.split('?').next().unwrap_or(file);
        if let Some(parent) = Path::new(file).parent()
            && !parent.as_os_str().is_empty()
        {
            return parent.join("shipshape-publish");
        }
    }
    std::env::temp_dir().join("shipshape-publish")
}

/// How pages of the copy tell their age.
fn export_options(page: &StatusPage) -> ExportOptions {
    ExportOptions {
        stale_after: SignedDuration::try_from(page.stale_after)
            .unwrap_or(SignedDuration::from_mins(15)),
    }
}

/// A target for the log, without secrets: the directory, the bucket URL or
/// the repository (credentials in it redacted) and branch.
fn describe(target: &PublishTarget) -> String {
    match target {
        PublishTarget::Dir { path, .. } => format!("dir {}", path.display()),
        PublishTarget::S3 { url, .. } => match url {
            Setting::Plain(url) => format!("s3 {url}"),
            Setting::Secret { .. } => "s3 (secret url)".to_owned(),
        },
        PublishTarget::Git { repo, branch, .. } => match repo {
            Setting::Plain(repo) => format!("git {} {branch}", git::redact(repo)),
            Setting::Secret { .. } => format!("git (secret repo) {branch}"),
        },
    }
}

/// Identifies a target across rounds and reloads (never logged).
fn target_key(target: &PublishTarget) -> String {
    format!("{target:?}")
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
