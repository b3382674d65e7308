//! Running a review of one service: every collector that applies, side by
//! side, then the fold into a [`Report`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use shipshape_catalog::{Catalog, CustomItem, Service};
use shipshape_store::Store;

use crate::checklist::{CHECKLIST, Evidence, Practice, item};
use crate::collect::repo::{RepoOptions, RepoProgress};
use crate::collect::state::StateInputs;
use crate::collect::{catalog, endpoint, repo, state};
use crate::finding::Finding;
use crate::review::{Attestation, Inputs, Mode, Report, ReviewItem, builtin_items};

/// How long a team's own item `command` may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The day attestations are judged against: today in the status page's
/// time zone when the catalog sets one, else in UTC. The CLI, the server's
/// reviews and the attest form all use it, so they never disagree about
/// whether an attestation has lapsed.
pub fn today(catalog: &Catalog, now: Timestamp) -> Date {
    let zone = catalog
        .status_page
        .as_ref()
        .and_then(|p| p.timezone.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    now.to_zoned_datetime(zone).date()
}

/// What a review run needs besides the catalog and the service.
pub struct RunOptions<'a> {
    /// Which collectors run.
    pub mode: Mode,
    /// The store, for Shipshape's own state, when it could be opened.
    pub store: Option<&'a Store>,
    /// Why there is no store (shown on the findings that needed it).
    pub no_store_reason: &'a str,
    /// The time of the review.
    pub now: Timestamp,
    /// The day attestations are judged against.
    pub today: Date,
    /// Attestations on record for the service.
    pub attestations: Vec<Attestation>,
    /// Scanner settings for the live endpoints (timeouts, `--resolve`,
    /// a custom CA).
    pub scan: shipshape_scan::ScanOptions,
    /// Progress lines for a terminal (`"scanning https://…"`).
    pub progress: &'a (dyn Fn(&str) + Sync),
}

/// A mistake in the catalog that only the review can see (it knows the
/// checklist; the catalog only checks the shape of item ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `file:line:col` of the entry.
    pub location: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: error: {}", self.location, self.message)
    }
}

/// Checks the catalog's readiness entries against the checklist: custom
/// item ids must not reuse a built-in id or each other, and every
/// `not_applicable` id must name an item.
pub fn check_catalog(catalog: &Catalog) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut custom = BTreeSet::new();
    for c in &catalog.readiness.items {
        if item(&c.id).is_some() {
            errors.push(ConfigError {
                location: c.location.clone(),
                message: format!(
                    "`{}` is a built-in checklist item; give the team's item its own id",
                    c.id
                ),
            });
        } else if !custom.insert(c.id.as_str()) {
            errors.push(ConfigError {
                location: c.location.clone(),
                message: format!("readiness item `{}` is defined twice", c.id),
            });
        }
    }
    for service in &catalog.services {
        for na in &service.readiness.not_applicable {
            if item(&na.item).is_none() && !custom.contains(na.item.as_str()) {
                let hint = closest_item(&na.item)
                    .map(|id| format!("; did you mean `{id}`?"))
                    .unwrap_or_default();
                errors.push(ConfigError {
                    location: na.location.clone(),
                    message: format!("unknown readiness item `{}`{hint} (`shipshape check --list` shows every id)", na.item),
                });
            }
        }
    }
    errors
}

fn closest_item(id: &str) -> Option<&'static str> {
    CHECKLIST
        .iter()
        .map(|i| (strsim::levenshtein(id, i.id), i.id))
        .filter(|(d, _)| *d <= 4)
        .min_by_key(|(d, _)| *d)
        .map(|(_, id)| id)
}

/// The checklist for `service`: the built-in items, then the team's own
/// items that apply to it.
pub fn items_for(catalog: &Catalog, service: &Service) -> Vec<ReviewItem> {
    let mut items = builtin_items();
    items.extend(
        catalog
            .readiness
            .items
            .iter()
            .filter(|c| c.services.is_empty() || c.services.contains(&service.id))
            .filter_map(custom_item),
    );
    items
}

fn custom_item(c: &CustomItem) -> Option<ReviewItem> {
    let (practice, _) = c.id.split_once('.')?;
    let practice = Practice::ALL.into_iter().find(|p| p.id() == practice)?;
    Some(ReviewItem {
        id: c.id.clone(),
        practice,
        title: c.title.clone(),
        rationale: c.rationale.clone(),
        must: c.must,
        fix: if c.fix.is_empty() {
            "See the team's readiness item in shipshape.toml.".to_owned()
        } else {
            c.fix.clone()
        },
        evidence: if c.command.is_some() {
            Evidence::Automatic
        } else {
            Evidence::Attestation
        },
        collectors: c
            .command
            .iter()
            .map(|_| "catalog.command".to_owned())
            .collect(),
        custom: true,
    })
}

/// Reviews `service`: runs the collectors of `opts.mode` and folds them
/// with the attestations and the catalog's not-applicable marks.
pub async fn review(catalog: &Catalog, service: &Service, opts: RunOptions<'_>) -> Report {
    let offline = opts.mode == Mode::Offline;
    let mut findings = catalog::collect(catalog, service);

    let repo_findings = async {
        let Some(root) = service.repo.clone() else {
            return vec![Finding::unknown(
                "deployment.pinned-dependencies",
                "repo.dependencies",
                "the service has no `repo` in the catalog, so its repository cannot be reviewed",
            )];
        };
        (opts.progress)(&format!("reading repository {}", root.display()));
        let service = service.clone();
        let options = RepoOptions {
            exclude: service.readiness.exclude.clone(),
            ..RepoOptions::default()
        };
        let joined = tokio::task::spawn_blocking(move || {
            repo::collect(&root, &service, &options, &|_: RepoProgress| {})
        })
        .await;
        joined.unwrap_or_else(|e| {
            vec![Finding::unknown(
                "deployment.pinned-dependencies",
                "repo.dependencies",
                format!("the repository review stopped: {e}"),
            )]
        })
    };
    let state_findings = async {
        let resolve: BTreeMap<String, IpAddr> = opts.scan.resolve.clone();
        let inputs = StateInputs {
            catalog,
            store: opts.store,
            no_store_reason: opts.no_store_reason,
            now: opts.now,
            resolve: &resolve,
            dns_timeout: opts.scan.timeout,
            offline,
        };
        state::collect(&inputs, service).await
    };
    let endpoint_findings = async {
        if offline {
            return Vec::new();
        }
        let scans = service.endpoints.iter().map(|url| {
            (opts.progress)(&format!("scanning {url}"));
            let scan = &opts.scan;
            async move { shipshape_scan::scan(url.as_str(), scan).await }
        });
        futures::future::join_all(scans)
            .await
            .iter()
            .flat_map(endpoint::findings)
            .collect()
    };
    let command_findings = async {
        let mut out = Vec::new();
        for c in catalog
            .readiness
            .items
            .iter()
            .filter(|c| c.services.is_empty() || c.services.contains(&service.id))
        {
            if let Some(command) = &c.command {
                (opts.progress)(&format!("running {}", c.id));
                let dir = service.repo.clone().unwrap_or_else(|| {
                    catalog
                        .path
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                });
                out.push(run_command(&c.id, command, &dir).await);
            }
        }
        out
    };
    let (r, s, e, c) = tokio::join!(
        repo_findings,
        state_findings,
        endpoint_findings,
        command_findings
    );
    findings.extend(r);
    findings.extend(s);
    findings.extend(e);
    findings.extend(c);
    if offline {
        findings.retain(|f| !f.collector.starts_with("state.") || is_offline_state(&f.collector));
    }
    let not_applicable = service
        .readiness
        .not_applicable
        .iter()
        .map(|na| (na.item.clone(), na.reason.clone()))
        .collect();
    Report::build(Inputs {
        service: service.id.clone(),
        service_name: service.name.clone(),
        at: opts.now,
        today: opts.today,
        mode: opts.mode,
        items: items_for(catalog, service),
        findings,
        attestations: opts.attestations,
        not_applicable,
    })
}

/// State collectors that read only the catalog and the clock, so they are
/// trustworthy offline too.
fn is_offline_state(collector: &str) -> bool {
    matches!(
        collector,
        "state.routes" | "state.oncall-coverage" | "state.endpoint-monitors"
    )
}

/// Runs a team item's `command` in `dir` with [`COMMAND_TIMEOUT`].
async fn run_command(id: &str, command: &str, dir: &Path) -> Finding {
    const BY: &str = "catalog.command";
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => {
            return Finding::unknown(
                id,
                BY,
                format!("cannot start `{command}` in {}: {e}", dir.display()),
            );
        }
    };
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Err(_) => Finding::unknown(
            id,
            BY,
            format!(
                "`{command}` ran longer than {} s and was stopped",
                COMMAND_TIMEOUT.as_secs()
            ),
        ),
        Ok(Err(e)) => Finding::unknown(id, BY, format!("`{command}` failed to run: {e}")),
        Ok(Ok(output)) => {
            let mut tail: Vec<String> = String::from_utf8_lossy(&output.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&output.stderr).lines())
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.chars().take(300).collect())
                .collect();
            let keep = tail.len().saturating_sub(10);
            tail.drain(..keep);
            if output.status.success() {
                Finding::pass(id, BY, format!("`{command}` succeeded")).with_details(tail)
            } else {
                let code = output
                    .status
                    .code()
                    .map_or_else(|| "a signal".to_owned(), |c| format!("status {c}"));
                Finding::fail(id, BY, format!("`{command}` exited with {code}")).with_details(tail)
            }
        }
    }
}
