//! State collectors against a real SQLite store: test pages and their
//! acknowledgements, backup heartbeats, monitors per endpoint, routes,
//! on-call coverage and where the status page lives.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Catalog, parse_str};
use shipshape_readiness::collect::state::{StateInputs, collect};
use shipshape_readiness::{Finding, Verdict};
use shipshape_store::{
    MonitorEvent, MonitorId, MonitorName, MonitorState, NewIncident, Store, StoreOptions,
};
use tempfile::TempDir;

const NO_STORE: &str = "no store: `--store` was not given";

fn now() -> Timestamp {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

fn days_ago(days: i64) -> Timestamp {
    now()
        .checked_sub(SignedDuration::from_hours(24 * days))
        .unwrap()
}

/// The people, team, schedule and escalation every catalog here shares.
const PEOPLE: &str = r#"
[[person]]
id = "alice"
name = "Alice"
contact = [{ type = "webhook", url = "https://hooks.example.gov/alice" }]

[[person]]
id = "bob"
name = "Bob"
contact = [{ type = "webhook", url = "https://hooks.example.gov/bob" }]

[[team]]
id = "benefits"
name = "Benefits"
members = ["alice", "bob"]
deployers = ["alice", "bob"]

[[escalation]]
id = "benefits"
steps = [{ notify = ["schedule:primary"] }]
"#;

/// A weekly rotation whose first turn starts at 09:00 UTC on `start`.
fn schedule(start: &str) -> String {
    format!(
        r#"
[[schedule]]
id = "primary"
timezone = "UTC"
rotation = {{ members = ["alice", "bob"], every = "1w", handoff = "09:00", start = "{start}" }}
"#
    )
}

const ROUTE: &str = r#"
[[route]]
match = { service = "api" }
escalation = "benefits"
"#;

const SERVICE: &str = r#"
[[service]]
id = "api"
owner = "benefits"
endpoints = ["https://api.example.gov/"]

  [[service.monitor]]
  id = "home"
  http = { url = "https://api.example.gov/health" }

  [[service.monitor]]
  id = "nightly-backup"
  heartbeat = { every = "24h", grace = "1h" }
"#;

fn status_page(url: &str) -> String {
    format!(
        r#"
[status_page]
title = "Benefits status"
url = "{url}"
components = [{{ name = "API", monitors = ["api/home"] }}]
"#
    )
}

const STATUS_URL: &str = "https://status.example.gov";

/// The catalog every test starts from: routed, fully covered, with a
/// status page.
fn source() -> String {
    format!(
        "{PEOPLE}{}{ROUTE}{SERVICE}{}",
        schedule("2026-11-02"),
        status_page(STATUS_URL)
    )
}

fn load(source: &str) -> Catalog {
    parse_str(source, Path::new("/srv/shipshape.toml")).expect("valid catalog")
}

async fn open_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    (dir, store)
}

/// Addresses for the status page (127.0.0.2) and the service (127.0.0.3).
fn apart() -> BTreeMap<String, IpAddr> {
    BTreeMap::from([
        (
            "status.example.gov".to_owned(),
            "127.0.0.2".parse().unwrap(),
        ),
        ("api.example.gov".to_owned(), "127.0.0.3".parse().unwrap()),
    ])
}

struct Run<'a> {
    catalog: &'a Catalog,
    store: Option<&'a Store>,
    resolve: BTreeMap<String, IpAddr>,
    dns_timeout: Duration,
    offline: bool,
}

impl<'a> Run<'a> {
    fn new(catalog: &'a Catalog, store: Option<&'a Store>) -> Run<'a> {
        Run {
            catalog,
            store,
            resolve: apart(),
            dns_timeout: Duration::from_secs(2),
            offline: false,
        }
    }

    async fn findings(&self) -> Vec<Finding> {
        let inputs = StateInputs {
            catalog: self.catalog,
            store: self.store,
            no_store_reason: NO_STORE,
            now: now(),
            resolve: &self.resolve,
            dns_timeout: self.dns_timeout,
            offline: self.offline,
        };
        collect(&inputs, &self.catalog.services[0]).await
    }
}

/// The one finding of `collector`, checked to be about `item`.
fn only<'f>(findings: &'f [Finding], collector: &str, item: &str) -> &'f Finding {
    let of: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.collector == collector)
        .collect();
    assert_eq!(of.len(), 1, "{collector}: {findings:#?}");
    assert_eq!(of[0].item, item, "{:?}", of[0]);
    of[0]
}

fn test_page(findings: &[Finding]) -> &Finding {
    only(findings, "state.test-page", "alerting.test-page-recent")
}

fn backups(findings: &[Finding]) -> &Finding {
    only(
        findings,
        "state.backup-heartbeats",
        "backups.periodic-snapshots",
    )
}

fn endpoints(findings: &[Finding]) -> &Finding {
    only(
        findings,
        "state.endpoint-monitors",
        "monitoring.every-endpoint-watched",
    )
}

fn routes(findings: &[Finding]) -> &Finding {
    only(findings, "state.routes", "alerting.failing-monitor-pages")
}

fn coverage(findings: &[Finding]) -> &Finding {
    only(
        findings,
        "state.oncall-coverage",
        "alerting.on-call-coverage",
    )
}

fn status_host(findings: &[Finding]) -> &Finding {
    only(
        findings,
        "state.status-host",
        "status-communication.off-infrastructure",
    )
}

#[track_caller]
fn passes(finding: &Finding) -> &str {
    match &finding.verdict {
        Verdict::Pass { evidence } => evidence,
        other => panic!("expected a pass, got {other:?} ({finding:?})"),
    }
}

#[track_caller]
fn fails(finding: &Finding) -> &str {
    match &finding.verdict {
        Verdict::Fail { reason } => reason,
        other => panic!("expected a failure, got {other:?} ({finding:?})"),
    }
}

#[track_caller]
fn unknown(finding: &Finding) -> &str {
    match &finding.verdict {
        Verdict::Unknown { reason } => reason,
        other => panic!("expected unknown, got {other:?} ({finding:?})"),
    }
}

/// Opens the incident `key` at `opened`, acknowledged by alice at `acked`
/// if given. Returns its id.
async fn incident(
    store: &Store,
    key: &str,
    service: Option<&str>,
    opened: Timestamp,
    acked: Option<Timestamp>,
) -> i64 {
    let new = NewIncident {
        key: key.to_owned(),
        service: service.map(str::to_owned),
        title: format!("incident {key}"),
        severity: "info".into(),
        labels: BTreeMap::from([("test".to_owned(), "true".to_owned())]),
        opened_at: opened,
        parent: None,
        suppressed: None,
    };
    let id = store
        .open_incident(&new, &[], &[], &[])
        .await
        .unwrap()
        .expect("a new incident");
    if let Some(at) = acked {
        assert!(
            store
                .acknowledge_incident(id, "alice", at, &[])
                .await
                .unwrap()
        );
    }
    id
}

/// Registers `monitor` of service `api` and returns its id.
async fn register(store: &Store, monitor: &str) -> MonitorId {
    let name = MonitorName {
        service: "api".into(),
        monitor: monitor.into(),
    };
    let ids = store
        .register_monitors(std::slice::from_ref(&name), days_ago(30))
        .await
        .unwrap();
    ids[&name]
}

async fn change(store: &Store, monitor: MonitorId, from: MonitorState, to: MonitorState) {
    store
        .append_monitor_event(&MonitorEvent {
            monitor,
            at: days_ago(1),
            from,
            to,
            reason: (to == MonitorState::Down).then(|| "no ping within 25h".to_owned()),
            locations: Vec::new(),
        })
        .await
        .unwrap();
}

// ------------------------------------------------------------ test pages

#[tokio::test]
async fn test_page_fails_without_an_acknowledged_page() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    // An empty store.
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = fails(test_page(&findings));
    assert!(reason.contains("last 90 days"), "{reason}");
    assert!(reason.contains("team:benefits"), "{reason}");
    assert!(reason.contains("schedule:primary"), "{reason}");

    // A test page that nobody acknowledged, and one to another team that
    // was acknowledged, prove nothing for this service.
    incident(&store, "test:team:benefits", None, days_ago(2), None).await;
    incident(
        &store,
        "test:team:identity",
        None,
        days_ago(3),
        Some(days_ago(3)),
    )
    .await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    fails(test_page(&findings));
}

#[tokio::test]
async fn test_page_acknowledged_ten_days_ago_passes() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    incident(
        &store,
        "test:team:benefits",
        None,
        days_ago(10),
        Some(days_ago(10)),
    )
    .await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let evidence = passes(test_page(&findings));
    assert!(
        evidence.contains("a test page to team:benefits"),
        "{evidence}"
    );
    assert!(evidence.contains("alice"), "{evidence}");
    assert!(evidence.contains("2026-11-19"), "{evidence}");
}

#[tokio::test]
async fn a_real_incident_of_the_service_acknowledged_recently_passes_too() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    let id = incident(
        &store,
        "monitor:api/home",
        Some("api"),
        days_ago(5),
        Some(days_ago(5)),
    )
    .await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let evidence = passes(test_page(&findings));
    assert!(evidence.contains(&format!("incident #{id}")), "{evidence}");
}

#[tokio::test]
async fn test_page_acknowledged_a_hundred_days_ago_fails() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    incident(
        &store,
        "test:team:benefits",
        None,
        days_ago(100),
        Some(days_ago(100)),
    )
    .await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    fails(test_page(&findings));
}

#[tokio::test]
async fn without_a_store_the_store_backed_findings_are_unknown_with_the_reason() {
    let catalog = load(&source());
    let findings = Run::new(&catalog, None).findings().await;
    assert_eq!(unknown(test_page(&findings)), NO_STORE);
    let reason = unknown(backups(&findings));
    assert!(reason.contains("nightly-backup"), "{reason}");
    assert!(reason.contains(NO_STORE), "{reason}");
    // The catalog-only ones still decide.
    passes(routes(&findings));
    passes(coverage(&findings));
    passes(endpoints(&findings));
}

// ------------------------------------------------------------ backups

#[tokio::test]
async fn no_backup_heartbeat_monitor_fails() {
    let (_dir, store) = open_store().await;
    // The heartbeat watches something else, so it does not count.
    let catalog = load(&source().replace("nightly-backup", "nightly-report"));
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = fails(backups(&findings));
    assert!(
        reason.contains("no heartbeat monitor watches the backups"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_backup_heartbeat_that_is_up_passes() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    let id = register(&store, "nightly-backup").await;
    change(&store, id, MonitorState::Unknown, MonitorState::Up).await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let evidence = passes(backups(&findings));
    assert!(evidence.contains("nightly-backup"), "{evidence}");
}

#[tokio::test]
async fn a_heartbeat_labelled_as_backup_counts_too() {
    let (_dir, store) = open_store().await;
    let source = source().replace(
        "id = \"nightly-backup\"\n  heartbeat = { every = \"24h\", grace = \"1h\" }",
        "id = \"nightly-dump\"\n  heartbeat = { every = \"24h\", grace = \"1h\" }\n  labels = { role = \"backup\" }",
    );
    assert!(source.contains("nightly-dump"));
    let catalog = load(&source);
    let id = register(&store, "nightly-dump").await;
    change(&store, id, MonitorState::Unknown, MonitorState::Up).await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let evidence = passes(backups(&findings));
    assert!(evidence.contains("nightly-dump"), "{evidence}");
}

#[tokio::test]
async fn a_backup_heartbeat_that_is_down_fails() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    let id = register(&store, "nightly-backup").await;
    change(&store, id, MonitorState::Unknown, MonitorState::Up).await;
    change(&store, id, MonitorState::Up, MonitorState::Down).await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let finding = backups(&findings);
    let reason = fails(finding);
    assert!(
        reason.contains("heartbeat `nightly-backup` is down"),
        "{reason}"
    );
    assert_eq!(finding.details.len(), 1, "{finding:?}");
}

#[tokio::test]
async fn a_paused_backup_heartbeat_fails() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    let id = register(&store, "nightly-backup").await;
    change(&store, id, MonitorState::Unknown, MonitorState::Up).await;
    store.set_paused(id, true).await.unwrap();
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = fails(backups(&findings));
    assert!(reason.contains("is paused"), "{reason}");
}

#[tokio::test]
async fn a_backup_heartbeat_without_events_is_unknown() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    // Registered but never reported, and not even registered: both unknown.
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = unknown(backups(&findings));
    assert!(reason.contains("has not reported yet"), "{reason}");
    register(&store, "nightly-backup").await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = unknown(backups(&findings));
    assert!(
        reason.contains("heartbeat `nightly-backup` has not reported yet"),
        "{reason}"
    );
}

// ------------------------------------------------------------ endpoints

#[tokio::test]
async fn an_endpoint_with_an_http_monitor_on_its_host_passes() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source());
    let id = register(&store, "home").await;
    change(&store, id, MonitorState::Unknown, MonitorState::Up).await;
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let finding = endpoints(&findings);
    assert_eq!(finding.subject.as_deref(), Some("https://api.example.gov/"));
    let evidence = passes(finding);
    assert_eq!(evidence, "watched by home");
}

#[tokio::test]
async fn an_endpoint_no_monitor_watches_fails() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source().replace(
        "http = { url = \"https://api.example.gov/health\" }",
        "http = { url = \"https://other.example.gov/health\" }",
    ));
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let finding = endpoints(&findings);
    assert_eq!(finding.subject.as_deref(), Some("https://api.example.gov/"));
    assert_eq!(fails(finding), "no monitor watches api.example.gov");
}

#[tokio::test]
async fn an_endpoint_whose_every_monitor_is_paused_fails() {
    let (_dir, store) = open_store().await;
    let source = source().replace(
        "  [[service.monitor]]\n  id = \"nightly-backup\"",
        "  [[service.monitor]]\n  id = \"home-tls\"\n  tls = { host = \"api.example.gov\" }\n\n  \
         [[service.monitor]]\n  id = \"nightly-backup\"",
    );
    assert!(source.contains("home-tls"));
    let catalog = load(&source);
    let home = register(&store, "home").await;
    let tls = register(&store, "home-tls").await;
    change(&store, home, MonitorState::Unknown, MonitorState::Up).await;
    change(&store, tls, MonitorState::Unknown, MonitorState::Up).await;

    // One of two paused: still watched.
    store.set_paused(home, true).await.unwrap();
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    passes(endpoints(&findings));

    // Both paused: nobody watches.
    store.set_paused(tls, true).await.unwrap();
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = fails(endpoints(&findings));
    assert_eq!(
        reason,
        "every monitor of api.example.gov is paused: home, home-tls"
    );
}

#[tokio::test]
async fn a_service_without_endpoints_leaves_the_endpoint_check_unknown() {
    let (_dir, store) = open_store().await;
    let catalog = load(&source().replace("endpoints = [\"https://api.example.gov/\"]\n", ""));
    assert!(catalog.services[0].endpoints.is_empty());
    let findings = Run::new(&catalog, Some(&store)).findings().await;
    let reason = unknown(endpoints(&findings));
    assert!(reason.contains("no public `endpoints`"), "{reason}");
    // Nor can the status page's host be compared with anything.
    let reason = unknown(status_host(&findings));
    assert!(reason.contains("no `endpoints`"), "{reason}");
}

// ------------------------------------------------------------ routes

#[tokio::test]
async fn a_route_to_an_escalation_reaching_a_person_passes() {
    let catalog = load(&source());
    let findings = Run::new(&catalog, None).findings().await;
    let evidence = passes(routes(&findings));
    assert!(
        evidence.contains("every monitor's incident reaches someone now"),
        "{evidence}"
    );
    // 2026-11-29 is in the rotation's 4th weekly turn from Monday
    // 2026-11-02 09:00 (alice, bob, alice, bob): Bob is on call.
    assert!(evidence.contains("Bob"), "{evidence}");
}

#[tokio::test]
async fn no_route_and_no_owner_pages_nobody_and_fails() {
    let source = source()
        .replace(ROUTE, "")
        .replace("owner = \"benefits\"\n", "");
    let catalog = load(&source);
    assert!(catalog.routes.is_empty() && catalog.services[0].owner.is_none());
    let findings = Run::new(&catalog, None).findings().await;
    let finding = routes(&findings);
    assert_eq!(fails(finding), "2 monitors would page nobody right now");
    assert_eq!(finding.details.len(), 2, "{finding:?}");
    assert!(
        finding.details.iter().all(|d| d.contains("no owner")),
        "{finding:?}"
    );
}

#[tokio::test]
async fn no_route_but_an_owner_pages_the_owning_team_and_passes() {
    let catalog = load(&source().replace(ROUTE, ""));
    let findings = Run::new(&catalog, None).findings().await;
    passes(routes(&findings));
}

// ------------------------------------------------------------ on-call

#[tokio::test]
async fn a_rotation_covering_every_hour_passes() {
    let catalog = load(&source());
    let findings = Run::new(&catalog, None).findings().await;
    let evidence = passes(coverage(&findings));
    assert!(evidence.starts_with("primary:"), "{evidence}");
    assert!(evidence.contains("next 14 days"), "{evidence}");
}

#[tokio::test]
async fn a_rotation_starting_in_three_days_fails_with_the_gap() {
    let source = source().replace(&schedule("2026-11-02"), &schedule("2026-12-02"));
    let catalog = load(&source);
    let findings = Run::new(&catalog, None).findings().await;
    let finding = coverage(&findings);
    assert_eq!(fails(finding), "1 gap in the next 14 days");
    assert_eq!(finding.details.len(), 1, "{finding:?}");
    let gap = &finding.details[0];
    assert!(
        gap.starts_with("schedule `primary`: nobody on call from Sun 2026-11-29 12:00"),
        "{gap}"
    );
    assert!(gap.contains("to Wed 2026-12-02"), "{gap}");
    // Nobody is on call now either, so a failing monitor pages nobody.
    fails(routes(&findings));
}

// ------------------------------------------------------------ status page host

#[tokio::test]
async fn a_status_page_on_another_address_passes() {
    let catalog = load(&source());
    let findings = Run::new(&catalog, None).findings().await;
    let evidence = passes(status_host(&findings));
    assert!(
        evidence.contains("status.example.gov → 127.0.0.2"),
        "{evidence}"
    );
}

#[tokio::test]
async fn a_status_page_on_the_service_s_address_fails() {
    let catalog = load(&source());
    let mut run = Run::new(&catalog, None);
    run.resolve
        .insert("api.example.gov".into(), "127.0.0.2".parse().unwrap());
    let findings = run.findings().await;
    let finding = status_host(&findings);
    fails(finding);
    assert_eq!(
        finding.details,
        vec![
            "api.example.gov and the status page (status.example.gov) both resolve to 127.0.0.2"
                .to_owned()
        ]
    );
}

#[tokio::test]
async fn a_status_host_that_cannot_be_resolved_is_unknown_within_the_dns_timeout() {
    let catalog = load(&source().replace(STATUS_URL, "https://nonexistent.invalid"));
    let mut run = Run::new(&catalog, None);
    run.dns_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let findings = run.findings().await;
    let took = started.elapsed();
    let reason = unknown(status_host(&findings));
    assert!(reason.contains("nonexistent.invalid"), "{reason}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[tokio::test]
async fn offline_the_status_host_is_not_looked_up() {
    let catalog = load(&source());
    let mut run = Run::new(&catalog, None);
    run.offline = true;
    // Without overrides a lookup would be attempted if it were not offline.
    run.resolve.clear();
    let findings = run.findings().await;
    assert_eq!(
        unknown(status_host(&findings)),
        "not checked offline: needs name lookups"
    );
}
