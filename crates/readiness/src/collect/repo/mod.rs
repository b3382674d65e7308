//! Findings from the service's repository: one walk over a local checkout
//! feeds every `repo.*` collector (lockfiles, manifests, secrets, deploy
//! tooling, support documents). Never panics, never passes on doubt.
//!
//! How it runs: [`collect`] asks git which files are tracked (once, with a
//! timeout), walks the tree once in parallel (respecting `.gitignore`,
//! skipping vendored and build folders and the caller's `exclude` globs),
//! reads the files the collectors need and scans tracked text files for
//! secrets on the way, then hands the inventory to each collector in turn.
//! Whatever cannot be decided — an unreadable root, a manifest that does
//! not parse, a deadline reached — becomes an `unknown` finding with the
//! reason, never a pass.
//!
//! A line holding the marker `shipshape:allow-secret` is never reported by
//! the secret collectors (`repo.committed-secrets`, `repo.manifest-secrets`):
//! use it for documented test keys.

mod deploy;
mod deps;
mod docs;
mod git;
mod manifests;
mod secrets;
mod walk;
mod yaml;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use shipshape_catalog::Service;

use crate::Finding;

use self::git::GitState;
use self::walk::Inventory;

/// Every repository collector and the checklist item it decides, in the
/// order [`collect`] runs them.
pub const COLLECTORS: &[(&str, &str)] = &[
    ("repo.dependencies", "deployment.pinned-dependencies"),
    ("repo.manifest-secrets", "deployment.secrets-from-a-vault"),
    ("repo.committed-secrets", "security.no-committed-secrets"),
    ("repo.deploy-command", "deployment.one-command"),
    ("repo.deploy-ignore", "deployment.minimal-artifact"),
    ("repo.instances", "scalability.two-instances-minimum"),
    ("repo.zones", "resilience.multi-zone"),
    ("repo.contact", "support.contact-point"),
    ("repo.escalation-doc", "support.escalation-paths"),
    ("repo.support-queue", "support.public-queue"),
    ("repo.recovery-doc", "backups.documented-recovery"),
];

/// The marker that silences the secret collectors on one line.
pub const ALLOW_SECRET_MARKER: &str = "shipshape:allow-secret";

/// Folders never walked, wherever they are: vendored dependencies, build
/// output, virtual environments and VCS metadata.
pub const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "target",
    ".venv",
    "venv",
    "dist",
    "build",
    "__pycache__",
    ".tox",
    "bower_components",
    ".git",
    ".hg",
    ".svn",
];

/// How [`collect`] walks a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoOptions {
    /// Globs relative to the repository root whose matches are not walked,
    /// e.g. `crates/*/tests/fixtures`. A `*` does not cross a `/`.
    pub exclude: Vec<String>,
    /// Files larger than this are not read (listed as skipped). Default
    /// 1 MiB.
    pub max_file_bytes: u64,
    /// Time budget for the whole collection, git included. Default 20 s;
    /// when it runs out, undecided items are `unknown`.
    pub deadline: Duration,
}

impl Default for RepoOptions {
    fn default() -> Self {
        RepoOptions {
            exclude: Vec::new(),
            max_file_bytes: 1024 * 1024,
            deadline: Duration::from_secs(20),
        }
    }
}

/// Progress of a running [`collect`], reported every few hundred files and
/// once at the end of the walk. Called from walker threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepoProgress {
    /// Files the walker has visited so far.
    pub files_seen: u64,
    /// Files whose content was read so far.
    pub files_read: u64,
    /// Bytes read so far.
    pub bytes_read: u64,
    /// True on the last report, once the walk is over.
    pub done: bool,
}

/// Collects every `repo.*` finding for `service` from the checkout at
/// `root`. Findings name paths relative to `root`. Never panics: what
/// cannot be decided is reported as [`crate::Verdict::Unknown`].
pub fn collect(
    root: &Path,
    service: &Service,
    opts: &RepoOptions,
    progress: &(dyn Fn(RepoProgress) + Sync),
) -> Vec<Finding> {
    let started = Instant::now();
    let deadline = started.checked_add(opts.deadline).unwrap_or(started);
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return unknown_all(&format!(
                "repository `{}` is not a directory",
                root.display()
            ));
        }
        Err(err) => {
            return unknown_all(&format!(
                "repository `{}` cannot be read: {err}",
                root.display()
            ));
        }
    }
    if Instant::now() >= deadline {
        return unknown_all("deadline reached after 0 files");
    }
    let run = catch_unwind(AssertUnwindSafe(|| {
        let git = git::tracked_files(root, deadline);
        let inv = walk::walk(root, opts, &git, deadline, progress);
        if inv.deadline_hit {
            return unknown_all(&format!("deadline reached after {} files", inv.files_seen));
        }
        let ctx = Ctx {
            root,
            inv: &inv,
            git: &git,
            service,
        };
        run_collectors(&ctx, deadline)
    }));
    match run {
        Ok(findings) => findings,
        Err(_) => unknown_all("internal error while reading the repository"),
    }
}

/// What every collector reads: the walked inventory, git's view and the
/// catalog entry.
pub(crate) struct Ctx<'a> {
    root: &'a Path,
    inv: &'a Inventory,
    git: &'a GitState,
    service: &'a Service,
}

type CollectorFn = fn(&Ctx<'_>) -> Vec<Finding>;

fn run_collectors(ctx: &Ctx<'_>, deadline: Instant) -> Vec<Finding> {
    let runs: [(usize, CollectorFn); 11] = [
        (0, deps::collect),
        (1, manifests::secrets),
        (2, secrets::collect),
        (3, deploy::command),
        (4, deploy::ignore),
        (5, manifests::instances),
        (6, manifests::zones),
        (7, docs::contact),
        (8, docs::escalation),
        (9, docs::support_queue),
        (10, docs::recovery),
    ];
    let mut out = Vec::new();
    for (index, run) in runs {
        let (collector, item) = COLLECTORS[index];
        if Instant::now() >= deadline {
            out.push(Finding::unknown(
                item,
                collector,
                format!("deadline reached after {} files", ctx.inv.files_seen),
            ));
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| run(ctx))) {
            Ok(findings) => out.extend(findings),
            Err(_) => out.push(Finding::unknown(
                item,
                collector,
                "internal error in the collector",
            )),
        }
    }
    out
}

fn unknown_all(reason: &str) -> Vec<Finding> {
    COLLECTORS
        .iter()
        .map(|(collector, item)| Finding::unknown(item, collector, reason))
        .collect()
}

/// The item a collector decides.
fn item_of(collector: &str) -> &'static str {
    COLLECTORS
        .iter()
        .find(|(c, _)| *c == collector)
        .map(|(_, item)| *item)
        .unwrap_or("")
}

/// The file name of a `/`-separated relative path.
fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The directory of a `/`-separated relative path (`""` for the root).
fn dir_of(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

/// Joins a directory and a name into a relative path.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Shows the start of a secret value and hides the rest: at most four
/// characters, and never more than a third of the value.
fn redact(value: &str) -> String {
    let count = value.chars().count();
    let shown = (count / 3).min(4);
    let head: String = value.chars().take(shown).collect();
    format!("{head}…")
}
