//! Findings from Shipshape's own view of the service: its monitors, the
//! routes and schedules that page for it, the test pages and
//! acknowledgements in the store, the backup heartbeats, and where the
//! status page lives compared with the service.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use shipshape_alert::engine::{TEST_PAGE_PREFIX, escalations_for, plan_step};
use shipshape_alert::oncall;
use shipshape_catalog::{Catalog, MonitorKind, PublishTarget, Service, Target};
use shipshape_store::{MonitorState, Store};

use crate::collect::catalog::{policy_targets, schedules_of};
use crate::finding::Finding;

/// How far ahead on-call coverage is checked.
pub const COVERAGE_HORIZON: SignedDuration = SignedDuration::from_hours(14 * 24);
/// How recent an acknowledged page must be.
pub const TEST_PAGE_WITHIN: SignedDuration = SignedDuration::from_hours(90 * 24);

/// What the state collectors read.
pub struct StateInputs<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The store, when one could be opened; without it the store-backed
    /// findings are `unknown`.
    pub store: Option<&'a Store>,
    /// Why there is no store, for those findings.
    pub no_store_reason: &'a str,
    /// The time of the review.
    pub now: Timestamp,
    /// Host names resolved to fixed addresses (like `curl --resolve`).
    pub resolve: &'a BTreeMap<String, IpAddr>,
    /// The limit on each name lookup.
    pub dns_timeout: Duration,
    /// When set, nothing is looked up on the network.
    pub offline: bool,
}

/// Every state finding for `service`.
pub async fn collect(inputs: &StateInputs<'_>, service: &Service) -> Vec<Finding> {
    let mut out = Vec::new();
    let states = match inputs.store {
        Some(store) => monitor_states(store, service).await,
        None => Err(inputs.no_store_reason.to_owned()),
    };
    out.extend(endpoint_monitors(service, states.as_ref().ok()));
    out.push(reachable_now(inputs.catalog, service, inputs.now));
    out.push(oncall_coverage(inputs.catalog, service, inputs.now));
    out.push(test_page(inputs, service).await);
    out.push(backup_heartbeats(service, &states));
    if inputs.offline {
        out.push(Finding::unknown(
            "status-communication.off-infrastructure",
            "state.status-host",
            "not checked offline: needs name lookups",
        ));
    } else {
        out.push(status_host(inputs, service).await);
    }
    out
}

/// The current state of each of the service's monitors, by monitor id.
async fn monitor_states(
    store: &Store,
    service: &Service,
) -> Result<BTreeMap<String, MonitorState>, String> {
    let monitors = store
        .monitors()
        .await
        .map_err(|e| format!("the store did not answer: {e}"))?;
    let states = store
        .current_states()
        .await
        .map_err(|e| format!("the store did not answer: {e}"))?;
    let by_id: BTreeMap<_, _> = states
        .iter()
        .map(|s| (s.event.monitor, s.event.to))
        .collect();
    Ok(monitors
        .into_iter()
        .filter(|m| m.name.service == service.id)
        .map(|m| {
            let state = if m.paused {
                MonitorState::Paused
            } else {
                by_id.get(&m.id).copied().unwrap_or(MonitorState::Unknown)
            };
            (m.name.monitor, state)
        })
        .collect())
}

/// The host (and port) a monitor watches, when it has one.
fn watched_host(kind: &MonitorKind) -> Option<(String, Option<u16>)> {
    match kind {
        MonitorKind::Http(http) => {
            let url = url::Url::parse(http.url.value()?).ok()?;
            Some((
                url.host_str()?.to_ascii_lowercase(),
                url.port_or_known_default(),
            ))
        }
        MonitorKind::Tls(tls) => Some((tls.host.to_ascii_lowercase(), Some(tls.port))),
        MonitorKind::Tcp(tcp) => Some((tcp.host.to_ascii_lowercase(), Some(tcp.port))),
        _ => None,
    }
}

fn endpoint_monitors(
    service: &Service,
    states: Option<&BTreeMap<String, MonitorState>>,
) -> Vec<Finding> {
    const ITEM: &str = "monitoring.every-endpoint-watched";
    const BY: &str = "state.endpoint-monitors";
    if service.endpoints.is_empty() {
        return vec![Finding::unknown(
            ITEM,
            BY,
            "the service lists no public `endpoints` in the catalog, so there is nothing to match monitors against",
        )];
    }
    service
        .endpoints
        .iter()
        .map(|endpoint| {
            let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
            let port = endpoint.port_or_known_default();
            let watching: Vec<&str> = service
                .monitors
                .iter()
                .filter(|m| {
                    watched_host(&m.kind)
                        .is_some_and(|(h, p)| h == host && (p.is_none() || p == port))
                })
                .map(|m| m.id.as_str())
                .collect();
            let subject = endpoint.to_string();
            if watching.is_empty() {
                return Finding::fail(ITEM, BY, format!("no monitor watches {host}"))
                    .about(subject);
            }
            let paused: Vec<&str> = watching
                .iter()
                .copied()
                .filter(|id| states.and_then(|s| s.get(*id)) == Some(&MonitorState::Paused))
                .collect();
            if paused.len() == watching.len() {
                return Finding::fail(
                    ITEM,
                    BY,
                    format!("every monitor of {host} is paused: {}", paused.join(", ")),
                )
                .about(subject);
            }
            Finding::pass(ITEM, BY, format!("watched by {}", watching.join(", "))).about(subject)
        })
        .collect()
}

/// Whether each monitor's incident would reach a person right now.
fn reachable_now(catalog: &Catalog, service: &Service, now: Timestamp) -> Finding {
    const ITEM: &str = "alerting.failing-monitor-pages";
    const BY: &str = "state.routes";
    if service.monitors.is_empty() {
        return Finding::fail(ITEM, BY, "the service has no monitors, so nothing can page");
    }
    let mut unreached = Vec::new();
    let mut reached = BTreeSet::new();
    for monitor in &service.monitors {
        let mut labels = monitor.alert.labels.clone();
        labels.insert("service".into(), service.id.clone());
        if let Some(component) = &monitor.component {
            labels.insert("component".into(), component.clone());
        }
        labels.insert("severity".into(), monitor.alert.severity.as_str().into());
        let (policies, note) = escalations_for(catalog, &labels, now);
        let plans: Vec<_> = policies
            .iter()
            .map(|(policy, _)| plan_step(catalog, policy, 0, 0, now, now))
            .collect();
        let recipients: Vec<String> = plans
            .iter()
            .flat_map(|plan| plan.recipients.iter().map(|r| r.label.clone()))
            .collect();
        if recipients.is_empty() {
            let why: Vec<&str> = plans
                .iter()
                .flat_map(|p| p.notes.iter().map(String::as_str))
                .collect();
            unreached.push(format!(
                "monitor `{}`: {note}; nobody would be paged now ({})",
                monitor.id,
                if why.is_empty() {
                    "no step reaches anyone".to_owned()
                } else {
                    why.join("; ")
                }
            ));
        }
        reached.extend(recipients);
    }
    if unreached.is_empty() {
        Finding::pass(
            ITEM,
            BY,
            format!(
                "every monitor's incident reaches someone now ({})",
                reached.into_iter().take(4).collect::<Vec<_>>().join(", ")
            ),
        )
    } else {
        Finding::fail(
            ITEM,
            BY,
            format!(
                "{} monitor{} would page nobody right now",
                unreached.len(),
                if unreached.len() == 1 { "" } else { "s" }
            ),
        )
        .with_details(unreached)
    }
}

fn oncall_coverage(catalog: &Catalog, service: &Service, now: Timestamp) -> Finding {
    const ITEM: &str = "alerting.on-call-coverage";
    const BY: &str = "state.oncall-coverage";
    let schedules = schedules_of(catalog, service);
    if schedules.is_empty() {
        return Finding::unknown(
            ITEM,
            BY,
            "the service's escalation policies use no on-call schedule, so there is no rota to check",
        );
    }
    let until = now.saturating_add(COVERAGE_HORIZON).unwrap_or(now);
    let mut holes = Vec::new();
    for schedule in catalog
        .schedules
        .iter()
        .filter(|s| schedules.contains(s.id.as_str()))
    {
        for (from, to) in oncall::gaps(schedule, now, until) {
            let zone = &schedule.timezone;
            holes.push(format!(
                "schedule `{}`: nobody on call from {} to {}",
                schedule.id,
                from.to_zoned_datetime(zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M %Z"),
                to.to_zoned_datetime(zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M %Z"),
            ));
        }
    }
    let names = schedules.into_iter().collect::<Vec<_>>().join(", ");
    if holes.is_empty() {
        Finding::pass(
            ITEM,
            BY,
            format!("{names}: someone is on call at every moment of the next 14 days"),
        )
    } else {
        Finding::fail(
            ITEM,
            BY,
            format!(
                "{} gap{} in the next 14 days",
                holes.len(),
                if holes.len() == 1 { "" } else { "s" }
            ),
        )
        .with_details(holes)
    }
}

async fn test_page(inputs: &StateInputs<'_>, service: &Service) -> Finding {
    const ITEM: &str = "alerting.test-page-recent";
    const BY: &str = "state.test-page";
    let Some(store) = inputs.store else {
        return Finding::unknown(ITEM, BY, inputs.no_store_reason);
    };
    let targets: BTreeSet<String> = policy_targets(inputs.catalog, service)
        .map(|t| match t {
            Target::Schedule(id) => format!("schedule:{id}"),
            Target::Team(id) => format!("team:{id}"),
            Target::Person(id) => format!("person:{id}"),
            Target::Notifier(id) => format!("notifier:{id}"),
        })
        .chain(service.owner.iter().map(|team| format!("team:{team}")))
        .collect();
    let since = inputs
        .now
        .saturating_sub(TEST_PAGE_WITHIN)
        .unwrap_or(inputs.now);
    let acked = match store.acknowledged_since(since, 1000).await {
        Ok(acked) => acked,
        Err(e) => return Finding::unknown(ITEM, BY, format!("the store did not answer: {e}")),
    };
    let proof = acked.iter().find(|i| {
        i.key
            .strip_prefix(TEST_PAGE_PREFIX)
            .is_some_and(|target| targets.contains(target))
            || i.service.as_deref() == Some(service.id.as_str())
    });
    match proof {
        Some(incident) => {
            let what = match incident.key.strip_prefix(TEST_PAGE_PREFIX) {
                Some(target) => format!("a test page to {target}"),
                None => format!("incident #{}", incident.id),
            };
            Finding::pass(
                ITEM,
                BY,
                format!(
                    "{what} was acknowledged by {} on {}",
                    incident.acked_by.as_deref().unwrap_or("someone"),
                    incident
                        .acked_at
                        .map(|t| t.strftime("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                ),
            )
        }
        None => Finding::fail(
            ITEM,
            BY,
            format!(
                "no page for this service (test or real) was acknowledged in the last 90 days; targets: {}",
                targets.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

/// Heartbeat monitors that watch backups: a `backup` in their id, or a
/// `role = "backup"` label.
fn backup_heartbeats(
    service: &Service,
    states: &Result<BTreeMap<String, MonitorState>, String>,
) -> Finding {
    const ITEM: &str = "backups.periodic-snapshots";
    const BY: &str = "state.backup-heartbeats";
    let backups: Vec<&str> = service
        .monitors
        .iter()
        .filter(|m| matches!(m.kind, MonitorKind::Heartbeat(_)))
        .filter(|m| {
            m.id.contains("backup") || m.alert.labels.get("role").is_some_and(|r| r == "backup")
        })
        .map(|m| m.id.as_str())
        .collect();
    if backups.is_empty() {
        return Finding::fail(
            ITEM,
            BY,
            "no heartbeat monitor watches the backups (a heartbeat monitor with `backup` in its id, or `labels = { role = \"backup\" }`)",
        );
    }
    let states = match states {
        Ok(states) => states,
        Err(reason) => {
            return Finding::unknown(
                ITEM,
                BY,
                format!("backup heartbeats {}: {reason}", backups.join(", ")),
            );
        }
    };
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    for id in &backups {
        match states.get(*id).copied().unwrap_or(MonitorState::Unknown) {
            MonitorState::Up => {}
            MonitorState::Unknown => unknown.push(format!("heartbeat `{id}` has not reported yet")),
            MonitorState::Paused => bad.push(format!("heartbeat `{id}` is paused")),
            MonitorState::Down | MonitorState::Degraded => bad.push(format!(
                "heartbeat `{id}` is down: the last backup did not report success in time"
            )),
        }
    }
    if !bad.is_empty() {
        return Finding::fail(ITEM, BY, bad.join("; ")).with_details(bad);
    }
    if !unknown.is_empty() {
        return Finding::unknown(ITEM, BY, unknown.join("; "));
    }
    Finding::pass(
        ITEM,
        BY,
        format!(
            "backup heartbeat{} up: {}",
            if backups.len() == 1 { "" } else { "s" },
            backups.join(", ")
        ),
    )
}

/// Resolves `host` with the overrides first, then the system resolver.
async fn addresses(inputs: &StateInputs<'_>, host: &str) -> Result<BTreeSet<IpAddr>, String> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(BTreeSet::from([ip]));
    }
    if let Some(ip) = inputs.resolve.get(host) {
        return Ok(BTreeSet::from([*ip]));
    }
    match tokio::time::timeout(inputs.dns_timeout, tokio::net::lookup_host((host, 443))).await {
        Ok(Ok(addrs)) => Ok(addrs.map(|a| a.ip()).collect()),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Err(_) => Err(format!(
            "resolving {host} took longer than {} s",
            inputs.dns_timeout.as_secs_f64()
        )),
    }
}

/// Where the public can read the status page: its `url`, else the hosts of
/// its publish targets that serve it.
fn status_hosts(catalog: &Catalog) -> Vec<String> {
    let Some(page) = &catalog.status_page else {
        return Vec::new();
    };
    if let Some(url) = page.url.as_ref().and_then(|u| u.host_str()) {
        return vec![url.to_ascii_lowercase()];
    }
    page.publish
        .iter()
        .filter_map(|t| match t {
            PublishTarget::S3 { endpoint, .. } => Some(
                endpoint
                    .as_ref()
                    .and_then(|e| e.host_str())
                    .unwrap_or("s3.amazonaws.com")
                    .to_ascii_lowercase(),
            ),
            _ => None,
        })
        .collect()
}

async fn status_host(inputs: &StateInputs<'_>, service: &Service) -> Finding {
    const ITEM: &str = "status-communication.off-infrastructure";
    const BY: &str = "state.status-host";
    if inputs.catalog.status_page.is_none() {
        return Finding::fail(ITEM, BY, "no `[status_page]` in the catalog");
    }
    let hosts = status_hosts(inputs.catalog);
    if hosts.is_empty() {
        return Finding::unknown(
            ITEM,
            BY,
            "the status page has no public `url` and no S3 target, so where users read it is unknown: set `[status_page] url`",
        );
    }
    if service.endpoints.is_empty() {
        return Finding::unknown(
            ITEM,
            BY,
            "the service lists no `endpoints` to compare the status page's host with",
        );
    }
    let mut status_ips = BTreeSet::new();
    for host in &hosts {
        match addresses(inputs, host).await {
            Ok(ips) => status_ips.extend(ips),
            Err(reason) => return Finding::unknown(ITEM, BY, reason),
        }
    }
    let mut shared = Vec::new();
    for endpoint in &service.endpoints {
        let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
        match addresses(inputs, &host).await {
            Ok(ips) => {
                for ip in ips.intersection(&status_ips) {
                    shared.push(format!(
                        "{host} and the status page ({}) both resolve to {ip}",
                        hosts.join(", ")
                    ));
                }
            }
            Err(reason) => return Finding::unknown(ITEM, BY, reason),
        }
    }
    let status: Vec<String> = status_ips.iter().map(IpAddr::to_string).collect();
    if shared.is_empty() {
        Finding::pass(
            ITEM,
            BY,
            format!(
                "the status page ({} → {}) shares no address with the service's endpoints",
                hosts.join(", "),
                status.join(", ")
            ),
        )
    } else {
        Finding::fail(
            ITEM,
            BY,
            "the status page is served from the same address as the service",
        )
        .with_details(shared)
    }
}
