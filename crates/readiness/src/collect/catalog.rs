//! Findings read from the catalog alone: what the team declared about the
//! service (owners, deployers, objectives, redundancy, alerting rules,
//! status page, third parties). Pure: no I/O, so `--offline` runs them.

use std::collections::BTreeSet;

use shipshape_catalog::{Catalog, MonitorKind, PublishTarget, Service, Target};

use crate::finding::Finding;

/// Every catalog finding for `service`.
pub fn collect(catalog: &Catalog, service: &Service) -> Vec<Finding> {
    let mut out = vec![
        datastore_replicas(service),
        deployers(catalog, service),
        slo(service),
        schedules(catalog, service),
        anomaly_rules(service),
        flap_damping(service),
    ];
    out.extend(status_page(catalog, service));
    out.extend(third_parties(catalog, service));
    out
}

fn datastore_replicas(service: &Service) -> Finding {
    const ITEM: &str = "backups.redundant-storage";
    const BY: &str = "catalog.datastore-replicas";
    if service.datastores.is_empty() {
        return Finding::unknown(
            ITEM,
            BY,
            "no `[[service.datastore]]` declared: add the service's databases, or mark the item n/a if it keeps no data",
        );
    }
    let single: Vec<String> = service
        .datastores
        .iter()
        .filter(|d| d.replicas == 0)
        .map(|d| {
            format!(
                "datastore `{}` ({}) declares no replica",
                d.id,
                d.kind.name()
            )
        })
        .collect();
    if single.is_empty() {
        let list: Vec<String> = service
            .datastores
            .iter()
            .map(|d| format!("{} ({} replica{})", d.id, d.replicas, plural(d.replicas)))
            .collect();
        Finding::pass(
            ITEM,
            BY,
            format!("every datastore is replicated: {}", list.join(", ")),
        )
    } else {
        Finding::fail(
            ITEM,
            BY,
            format!(
                "{} of {} datastores have no replica",
                single.len(),
                service.datastores.len()
            ),
        )
        .with_details(single)
    }
}

fn deployers(catalog: &Catalog, service: &Service) -> Finding {
    const ITEM: &str = "deployment.several-deployers";
    const BY: &str = "catalog.deployers";
    let Some(owner) = &service.owner else {
        return Finding::fail(
            ITEM,
            BY,
            "the service has no `owner` team, so nobody is named as able to deploy it",
        );
    };
    let Some(team) = catalog.teams.iter().find(|t| &t.id == owner) else {
        return Finding::unknown(
            ITEM,
            BY,
            format!("owner team `{owner}` is not in the catalog"),
        );
    };
    match team.deployers.len() {
        n if n >= 2 => Finding::pass(
            ITEM,
            BY,
            format!(
                "team {} names {n} deployers: {}",
                team.id,
                team.deployers.join(", ")
            ),
        ),
        n => Finding::fail(
            ITEM,
            BY,
            format!(
                "team {} names {n} deployer{} (`deployers`); at least two are needed",
                team.id,
                plural(n as u32)
            ),
        ),
    }
}

fn slo(service: &Service) -> Finding {
    const ITEM: &str = "support.documented-targets";
    const BY: &str = "catalog.slo";
    match &service.slo {
        Some(slo) => {
            let mut parts = Vec::new();
            if let Some(a) = slo.availability {
                parts.push(format!("availability {a}%"));
            }
            if let Some(l) = slo.latency_p95 {
                parts.push(format!("p95 latency {} ms", l.as_millis()));
            }
            Finding::pass(
                ITEM,
                BY,
                format!(
                    "SLO declared: {} over {} days",
                    parts.join(", "),
                    slo.window.as_secs() / 86_400
                ),
            )
        }
        None => Finding::fail(ITEM, BY, "no `slo` declared for the service"),
    }
}

/// The escalation policies the catalog's routes can send this service's
/// incidents to (any route whose `service` matcher is unset or this one).
pub(crate) fn policies_of<'c>(
    catalog: &'c Catalog,
    service: &Service,
) -> Vec<&'c shipshape_catalog::Escalation> {
    let mut ids = BTreeSet::new();
    for route in &catalog.routes {
        if route
            .matcher
            .service
            .as_deref()
            .is_none_or(|s| s == service.id)
        {
            ids.insert(route.escalation.as_str());
        }
    }
    catalog
        .escalations
        .iter()
        .filter(|e| ids.contains(e.id.as_str()))
        .collect()
}

/// Every target the service's escalation policies notify.
pub(crate) fn policy_targets<'c>(
    catalog: &'c Catalog,
    service: &Service,
) -> impl Iterator<Item = &'c Target> {
    policies_of(catalog, service)
        .into_iter()
        .flat_map(|p| p.steps.iter().flat_map(|s| s.notify.iter()))
}

/// The on-call schedules the service's escalation policies page.
pub(crate) fn schedules_of<'c>(catalog: &'c Catalog, service: &Service) -> BTreeSet<&'c str> {
    policy_targets(catalog, service)
        .filter_map(|t| match t {
            Target::Schedule(id) => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

fn schedules(catalog: &Catalog, service: &Service) -> Finding {
    const ITEM: &str = "alerting.flexible-targets";
    const BY: &str = "catalog.schedules";
    let policies = policies_of(catalog, service);
    let scheduled = schedules_of(catalog, service);
    if policies.is_empty() {
        return Finding::fail(
            ITEM,
            BY,
            "no `[[route]]` sends this service's incidents to an escalation policy",
        );
    }
    if scheduled.is_empty() {
        return Finding::fail(
            ITEM,
            BY,
            "the service's escalation policies page fixed people or teams, not an on-call schedule",
        );
    }
    let overrides: usize = catalog
        .schedules
        .iter()
        .filter(|s| scheduled.contains(s.id.as_str()))
        .map(|s| s.overrides.len())
        .sum();
    Finding::pass(
        ITEM,
        BY,
        format!(
            "pages follow on-call schedule{} {} ({overrides} override{} on record)",
            if scheduled.len() > 1 { "s" } else { "" },
            scheduled.into_iter().collect::<Vec<_>>().join(", "),
            plural(overrides as u32)
        ),
    )
}

fn anomaly_rules(service: &Service) -> Finding {
    const ITEM: &str = "alerting.deviation-thresholds";
    const BY: &str = "catalog.anomaly-rules";
    let with: Vec<&str> = service
        .monitors
        .iter()
        .filter(|m| m.anomaly.is_some())
        .map(|m| m.id.as_str())
        .collect();
    if with.is_empty() {
        Finding::fail(ITEM, BY, "no monitor of the service has an `anomaly` rule")
    } else {
        Finding::pass(ITEM, BY, format!("anomaly rules on {}", with.join(", ")))
    }
}

fn flap_damping(service: &Service) -> Finding {
    const ITEM: &str = "alerting.flap-damping";
    const BY: &str = "catalog.flap-damping";
    let checked: Vec<_> = service
        .monitors
        .iter()
        .filter(|m| !matches!(m.kind, MonitorKind::Heartbeat(_)))
        .collect();
    if checked.is_empty() {
        return Finding::unknown(ITEM, BY, "the service has no active monitors to damp");
    }
    let eager: Vec<String> = checked
        .iter()
        .filter(|m| m.confirm < 2)
        .map(|m| {
            format!(
                "monitor `{}` pages on the first failure (`confirm = {}`)",
                m.id, m.confirm
            )
        })
        .collect();
    if eager.is_empty() {
        Finding::pass(
            ITEM,
            BY,
            "every monitor needs two or more failures in a row, and flap detection is on",
        )
    } else {
        Finding::fail(
            ITEM,
            BY,
            format!(
                "{} monitor{} page on a single failure",
                eager.len(),
                plural(eager.len() as u32)
            ),
        )
        .with_details(eager)
    }
}

fn status_page(catalog: &Catalog, service: &Service) -> Vec<Finding> {
    const BY: &str = "catalog.status-page";
    let items = [
        "status-communication.status-page",
        "status-communication.history-and-maintenance",
        "status-communication.subscriptions",
    ];
    let Some(page) = &catalog.status_page else {
        return items
            .iter()
            .map(|item| Finding::fail(item, BY, "no `[status_page]` in the catalog"))
            .collect();
    };
    let shown: Vec<&str> = page
        .components
        .iter()
        .filter(|c| c.monitors.iter().any(|m| m.service == service.id))
        .map(|c| c.name.as_str())
        .collect();
    if shown.is_empty() {
        return items
            .iter()
            .map(|item| {
                Finding::fail(
                    item,
                    BY,
                    format!(
                        "the status page \"{}\" shows no component of this service",
                        page.title
                    ),
                )
            })
            .collect();
    }
    let components = shown.join(", ");
    vec![
        Finding::pass(
            items[0],
            BY,
            format!("status page \"{}\" shows {components}", page.title),
        ),
        Finding::pass(
            items[1],
            BY,
            "the status page keeps incident history and lists scheduled maintenance",
        ),
        Finding::pass(
            items[2],
            BY,
            "the status page offers Atom and RSS feeds, e-mail and webhook subscriptions",
        ),
    ]
}

/// Cross-checks the data the service handles against what each third party
/// it sends data to is approved for.
fn third_parties(catalog: &Catalog, service: &Service) -> Vec<Finding> {
    const ITEM: &str = "security.vendors-approved";
    const BY: &str = "catalog.third-parties";
    // (third party, what flows there, data classes sent)
    let mut flows: Vec<(String, String, Vec<String>)> = service
        .third_parties
        .iter()
        .map(|id| {
            (
                id.clone(),
                "the service's own data".to_owned(),
                service.data.clone(),
            )
        })
        .collect();
    let notifiers: BTreeSet<&str> = policy_targets(catalog, service)
        .filter_map(|t| match t {
            Target::Notifier(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    for notifier in catalog
        .notifiers
        .iter()
        .filter(|n| notifiers.contains(n.id.as_str()))
    {
        match &notifier.third_party {
            Some(tp) => flows.push((
                tp.clone(),
                format!("alerts through notifier `{}`", notifier.id),
                service.data.clone(),
            )),
            None => flows.push((
                String::new(),
                format!("alerts through notifier `{}`", notifier.id),
                service.data.clone(),
            )),
        }
    }
    if let Some(page) = &catalog.status_page {
        for target in &page.publish {
            let tp = match target {
                PublishTarget::Dir { third_party, .. }
                | PublishTarget::S3 { third_party, .. }
                | PublishTarget::Git { third_party, .. } => third_party,
            };
            if let Some(tp) = tp {
                flows.push((
                    tp.clone(),
                    "the published status page".to_owned(),
                    vec!["public".to_owned()],
                ));
            }
        }
    }
    if flows.is_empty() {
        return vec![Finding::pass(
            ITEM,
            BY,
            "the catalog sends this service's data to no third party",
        )];
    }
    let mut out = Vec::new();
    for (tp, what, data) in flows {
        if tp.is_empty() {
            out.push(
                Finding::unknown(ITEM, BY, format!("{what}: the notifier does not name its `third_party`, so its approval cannot be checked"))
                    .about(what.clone()),
            );
            continue;
        }
        let Some(party) = catalog.third_parties.iter().find(|p| p.id == tp) else {
            out.push(
                Finding::fail(
                    ITEM,
                    BY,
                    format!("{what} go to `{tp}`, which has no `[[third_party]]` entry"),
                )
                .about(tp),
            );
            continue;
        };
        let Some(approval) = &party.approved else {
            out.push(
                Finding::fail(
                    ITEM,
                    BY,
                    format!("{what}: third party `{tp}` has no `approved` record"),
                )
                .about(tp),
            );
            continue;
        };
        let unapproved: Vec<&str> = data
            .iter()
            .filter(|class| !party.approved_for.iter().any(|a| a == *class))
            .map(String::as_str)
            .collect();
        if unapproved.is_empty() {
            out.push(
                Finding::pass(
                    ITEM,
                    BY,
                    format!(
                        "{what}: `{tp}` approved for {} by {} on {}",
                        list_or_none(&party.approved_for),
                        approval.by,
                        approval.on
                    ),
                )
                .about(tp),
            );
        } else {
            out.push(
                Finding::fail(
                    ITEM,
                    BY,
                    format!(
                        "{what} carry {} data to `{tp}`, which is approved only for {}",
                        unapproved.join(", "),
                        list_or_none(&party.approved_for)
                    ),
                )
                .about(tp),
            );
        }
    }
    out
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
