//! The readiness review inside `shipshape serve`: every service is reviewed
//! on `[readiness] every` (and when someone presses "Re-run review"), each
//! run is stored for the Readiness pages and their history, and an item
//! that turns from satisfied to failing raises an alert for the owning
//! team (a `warning`, so routes can keep it off the night pager).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use shipshape_alert::engine::{AlertSignal, SignalState, Source};
use shipshape_catalog::{Catalog, Service, Severity};
use shipshape_clock::SharedClock;
use shipshape_readiness::Verdict;
use shipshape_readiness::review::{Mode, Report};
use shipshape_readiness::run::{RunOptions, review};
use shipshape_store::{NewReadinessRun, Store};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::cluster::{Instance, READINESS_LEASE};
use crate::commands::attest;

/// How long a stored run is kept (the Readiness page charts 90 days).
const HISTORY: jiff::SignedDuration = jiff::SignedDuration::from_hours(400 * 24);

/// How often an instance that does not review looks whether it should,
/// and how often the reviewer renews its lease between runs (well inside
/// the lease's time to live, so the review stays on one instance).
const LOOK_EVERY: Duration = Duration::from_secs(10);

/// Starts the review loop; it stops when `shutdown` resolves.
///
/// Among several instances only the holder of [`READINESS_LEASE`] runs the
/// scheduled reviews, and only of services whose last stored run is at
/// least `[readiness] every` old: a new holder carries on the schedule
/// instead of reviewing everything again. A re-run someone asked for runs
/// on the instance that got the request, lease or not.
pub fn spawn(
    instance: Instance,
    store: Store,
    catalog: watch::Receiver<Arc<Catalog>>,
    clock: SharedClock,
    requested: Arc<Notify>,
    pager: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let work = async {
            // Let the monitors report first: a review at start-up would find
            // every heartbeat "not reported yet".
            let mut asked = tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(30)) => false,
                () = requested.notified() => true,
            };
            // When each service was last reviewed, known while this
            // instance holds the lease.
            let mut last_runs: Option<BTreeMap<String, Timestamp>> = None;
            loop {
                let catalog = catalog.borrow().clone();
                let reviewed = if asked {
                    review_services(
                        &store,
                        &catalog,
                        &clock,
                        &pager,
                        |_| true,
                        || async { true },
                    )
                    .await
                } else if instance.leads(&store, &clock, READINESS_LEASE).await {
                    if last_runs.is_none() {
                        last_runs = store
                            .last_readiness_runs()
                            .await
                            .inspect_err(|error| {
                                tracing::warn!(%error, "cannot read when services were last reviewed");
                            })
                            .ok();
                    }
                    let known = last_runs.as_ref();
                    let every = jiff::SignedDuration::try_from(catalog.readiness.every)
                        .unwrap_or(jiff::SignedDuration::MAX);
                    let now = clock.now();
                    let due = |service: &Service| {
                        known.is_some_and(|runs| {
                            runs.get(service.id.as_str())
                                .is_none_or(|at| now.duration_since(*at) >= every)
                        })
                    };
                    // Renewed before each service: a long pass keeps the
                    // lease, and one that loses it stops.
                    let still_leads = || instance.leads(&store, &clock, READINESS_LEASE);
                    review_services(&store, &catalog, &clock, &pager, due, still_leads).await
                } else {
                    last_runs = None;
                    Vec::new()
                };
                if let Some(runs) = last_runs.as_mut() {
                    runs.extend(reviewed.iter().cloned());
                }
                if !reviewed.is_empty() {
                    let cutoff = clock
                        .now()
                        .saturating_sub(HISTORY)
                        .unwrap_or_else(|_| clock.now());
                    if let Err(error) = store.prune_readiness_runs(cutoff).await {
                        tracing::warn!(%error, "could not prune old readiness runs");
                    }
                }
                asked = tokio::select! {
                    () = tokio::time::sleep(LOOK_EVERY) => false,
                    () = requested.notified() => true,
                };
            }
        };
        tokio::select! {
            () = work => {}
            () = shutdown => {}
        }
    })
}

/// Reviews the services of `catalog` that are `due`, while `go_on` says so
/// before each; returns the services reviewed and when.
async fn review_services<Go>(
    store: &Store,
    catalog: &Catalog,
    clock: &SharedClock,
    pager: &Notify,
    due: impl Fn(&Service) -> bool,
    go_on: impl Fn() -> Go,
) -> Vec<(String, Timestamp)>
where
    Go: Future<Output = bool>,
{
    let mut reviewed = Vec::new();
    for service in catalog.services.iter().filter(|service| due(service)) {
        if !go_on().await {
            break;
        }
        let now = clock.now();
        match review_and_record(store, catalog, service, now).await {
            Ok(raised) => {
                if raised > 0 {
                    pager.notify_one();
                }
                reviewed.push((service.id.to_string(), now));
            }
            Err(error) => {
                tracing::warn!(service = %service.id, error = %format!("{error:#}"), "readiness review failed")
            }
        }
    }
    reviewed
}

/// Reviews one service, stores the run, and raises or clears readiness
/// alerts; returns how many alerts changed.
pub async fn review_and_record(
    store: &Store,
    catalog: &Catalog,
    service: &Service,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let attestations = attest::for_review(store, &service.id).await?;
    let opts = RunOptions {
        mode: Mode::Full,
        store: Some(store),
        no_store_reason: "",
        now,
        today: shipshape_readiness::run::today(catalog, now),
        attestations,
        scan: shipshape_scan::ScanOptions::default(),
        progress: &|_: &str| {},
    };
    let report = review(catalog, service, opts).await;
    let previous = store
        .latest_readiness_run(&service.id)
        .await?
        .and_then(|run| serde_json::from_str::<Report>(&run.report).ok());
    let satisfied: usize = report.practices.iter().map(|p| p.satisfied).sum();
    let applicable: usize = report.practices.iter().map(|p| p.applicable).sum();
    store
        .record_readiness_run(&NewReadinessRun {
            service: service.id.clone(),
            ran_at: now,
            mode: "full".into(),
            satisfied: satisfied as i64,
            applicable: applicable as i64,
            blocking: report.summary.blocking as i64,
            fail: report.summary.fail as i64,
            unknown: report.summary.unknown as i64,
            scores: serde_json::to_string(&report.practices)?,
            report: serde_json::to_string(&report)?,
        })
        .await?;
    let signals = transitions(previous.as_ref(), &report, service, now);
    if !signals.is_empty() {
        shipshape_pager::record_signals(store, &signals, now).await?;
    }
    tracing::info!(
        service = %service.id,
        satisfied,
        applicable,
        blocking = report.summary.blocking,
        "readiness review done"
    );
    Ok(signals.len())
}

/// The alert changes between two runs: firing for an item that was
/// satisfied and now fails, clear for one that failed and no longer does.
/// Items that never passed are known gaps, not regressions: they stay on
/// the report and do not page.
pub fn transitions(
    previous: Option<&Report>,
    report: &Report,
    service: &Service,
    now: Timestamp,
) -> Vec<AlertSignal> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    let before: BTreeMap<&str, &Verdict> = previous
        .items
        .iter()
        .map(|r| (r.item.id.as_str(), &r.verdict))
        .collect();
    let mut out = Vec::new();
    for r in &report.items {
        let Some(was) = before.get(r.item.id.as_str()) else {
            continue;
        };
        let was_ok = was.counts_as_pass(previous.today);
        let was_failing = matches!(was, Verdict::Fail { .. });
        let fails = matches!(r.verdict, Verdict::Fail { .. });
        let state = match (was_ok, was_failing, fails) {
            (true, _, true) => SignalState::Firing,
            (_, true, false) => SignalState::Ok,
            _ => continue,
        };
        let reason = match &r.verdict {
            Verdict::Fail { reason } => reason.clone(),
            _ => "satisfied again".to_owned(),
        };
        out.push(AlertSignal {
            key: format!("readiness:{}:{}", service.id, r.item.id),
            source: Source::Event,
            group: format!("readiness:{}", service.id),
            service: Some(service.id.clone()),
            component: None,
            severity: Severity::Warning,
            labels: BTreeMap::from([
                ("service".to_owned(), service.id.clone()),
                ("severity".to_owned(), "warning".to_owned()),
                ("source".to_owned(), "readiness".to_owned()),
                ("item".to_owned(), r.item.id.clone()),
            ]),
            summary: format!(
                "Readiness: {} no longer holds for {}: {reason}",
                r.item.title, service.name
            ),
            state,
            since: now,
            ends_at: None,
            link: Some(format!("/services/{}/readiness", service.id)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use shipshape_readiness::Finding;
    use shipshape_readiness::review::{Inputs, builtin_items};

    use super::*;

    const TLS: &str = "security.tls-everywhere";
    const HEADERS: &str = "security.headers";

    fn service() -> Service {
        let catalog = shipshape_catalog::parse_str(
            "[[service]]\nid = \"shop\"\nname = \"Shop\"\n",
            Path::new("/srv/shipshape.toml"),
        )
        .expect("a valid catalog");
        catalog.services[0].clone()
    }

    fn at(day: i8) -> Timestamp {
        format!("2026-11-{day:02}T12:00:00Z").parse().unwrap()
    }

    /// A review of two items on `day`; `tls` and `headers` are each
    /// `Some(true)` (a passing finding), `Some(false)` (a failing one) or
    /// `None` (no finding: unknown).
    fn report(day: i8, tls: Option<bool>, headers: Option<bool>) -> Report {
        let mut items = builtin_items();
        items.retain(|i| i.id == TLS || i.id == HEADERS);
        let finding = |item: &str, pass: Option<bool>| match pass {
            Some(true) => Some(Finding::pass(item, "endpoint.test", "in place")),
            Some(false) => Some(Finding::fail(item, "endpoint.test", "missing now")),
            None => None,
        };
        let at = at(day);
        Report::build(Inputs {
            service: "shop".into(),
            service_name: "Shop".into(),
            at,
            today: jiff::civil::date(2026, 11, day),
            mode: Mode::Full,
            items,
            findings: [finding(TLS, tls), finding(HEADERS, headers)]
                .into_iter()
                .flatten()
                .collect(),
            attestations: Vec::new(),
            not_applicable: BTreeMap::new(),
        })
    }

    #[test]
    fn a_pass_turning_into_a_fail_fires_one_warning() {
        let before = report(1, Some(true), Some(true));
        let now = report(2, Some(false), Some(true));
        let signals = transitions(Some(&before), &now, &service(), at(2));
        assert_eq!(signals.len(), 1, "{signals:?}");
        let s = &signals[0];
        assert_eq!(s.key, format!("readiness:shop:{TLS}"));
        assert_eq!(s.state, SignalState::Firing);
        assert_eq!(s.severity, Severity::Warning);
        assert_eq!(s.group, "readiness:shop");
        assert_eq!(s.service.as_deref(), Some("shop"));
        assert_eq!(s.since, at(2));
        assert_eq!(
            s.labels.get("source").map(String::as_str),
            Some("readiness")
        );
        assert_eq!(s.labels.get("item").map(String::as_str), Some(TLS));
        assert_eq!(
            s.labels.get("severity").map(String::as_str),
            Some("warning")
        );
        assert!(s.summary.contains("missing now"), "{}", s.summary);
        assert!(s.summary.contains("Shop"), "{}", s.summary);
        assert_eq!(s.link.as_deref(), Some("/services/shop/readiness"));
    }

    #[test]
    fn a_fail_turning_into_a_pass_clears() {
        let before = report(1, Some(false), Some(true));
        let now = report(2, Some(true), Some(true));
        let signals = transitions(Some(&before), &now, &service(), at(2));
        assert_eq!(signals.len(), 1, "{signals:?}");
        assert_eq!(signals[0].key, format!("readiness:shop:{TLS}"));
        assert_eq!(signals[0].state, SignalState::Ok);
        assert_eq!(signals[0].severity, Severity::Warning);
    }

    #[test]
    fn an_item_that_never_passed_does_not_page() {
        // Unknown before, failing now: a known gap, not a regression.
        let before = report(1, None, Some(true));
        let now = report(2, Some(false), Some(true));
        assert!(transitions(Some(&before), &now, &service(), at(2)).is_empty());
        // Failing both times: nothing changed.
        let before = report(1, Some(false), Some(false));
        let now = report(2, Some(false), Some(false));
        assert!(transitions(Some(&before), &now, &service(), at(2)).is_empty());
        // Passing before, unknown now: not a failure, nothing to page.
        let before = report(1, Some(true), Some(true));
        let now = report(2, None, Some(true));
        assert!(transitions(Some(&before), &now, &service(), at(2)).is_empty());
    }

    #[test]
    fn the_first_review_pages_nobody() {
        let now = report(2, Some(false), Some(false));
        assert!(transitions(None, &now, &service(), at(2)).is_empty());
    }
}
