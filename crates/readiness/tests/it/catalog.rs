//! Catalog and catalog-only state collectors: what the team declared
//! decides deployers, objectives, redundancy, damping, vendors, paging.

use std::path::Path;

use shipshape_catalog::{Catalog, parse_str};
use shipshape_readiness::collect::catalog;
use shipshape_readiness::run::check_catalog;
use shipshape_readiness::{Finding, Verdict};

const CATALOG: &str = r#"
[[person]]
id = "alice"
name = "Alice"
contact = [{ type = "email", to = "alice@example.gov" }]

[[person]]
id = "bob"
name = "Bob"
contact = [{ type = "email", to = "bob@example.gov" }]

[[team]]
id = "benefits"
name = "Benefits"
members = ["alice", "bob"]
deployers = ["alice"]

[[escalation]]
id = "benefits"
steps = [{ notify = ["team:benefits", "notifier:chat"] }]

[[route]]
match = { service = "api" }
escalation = "benefits"

[[notifier]]
id = "chat"
type = "slack"
url = "https://hooks.slack.example/x"
third_party = "slack"

[[third_party]]
id = "slack"
approved_for = ["internal"]
approved = { by = "ISSO", on = "2026-10-01" }

[[service]]
id = "api"
owner = "benefits"
data = ["pii"]
slo = { availability = "99.9%" }
endpoints = ["https://api.example.gov/"]

  [service.readiness]
  not_applicable = { "access-control.cohorts" = "no experiments", "backups.pitr-typo" = "x" }

  [[service.datastore]]
  id = "db"
  kind = "postgres"
  replicas = 1

  [[service.monitor]]
  id = "home"
  http = { url = "https://api.example.gov/" }
  confirm = 1

[[readiness.item]]
id = "security.pen-test-2027"
title = "Third-party pen test before launch"
must = true
"#;

fn load() -> Catalog {
    parse_str(CATALOG, Path::new("/srv/shipshape.toml")).expect("valid catalog")
}

fn find<'f>(findings: &'f [Finding], item: &str) -> Vec<&'f Finding> {
    findings.iter().filter(|f| f.item == item).collect()
}

#[test]
fn catalog_findings_follow_what_the_team_declared() {
    let catalog = load();
    let findings = catalog::collect(&catalog, &catalog.services[0]);
    let verdict = |item: &str| find(&findings, item)[0].verdict.clone();
    assert!(matches!(
        verdict("backups.redundant-storage"),
        Verdict::Pass { .. }
    ));
    assert!(matches!(
        verdict("support.documented-targets"),
        Verdict::Pass { .. }
    ));
    match verdict("deployment.several-deployers") {
        Verdict::Fail { reason } => assert!(reason.contains("1 deployer"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match verdict("alerting.flap-damping") {
        Verdict::Fail { .. } => {}
        other => panic!("{other:?}"),
    }
    match verdict("alerting.flexible-targets") {
        Verdict::Fail { reason } => assert!(reason.contains("not an on-call schedule"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // pii in alerts to a vendor approved only for internal data fails.
    let vendors = find(&findings, "security.vendors-approved");
    assert!(
        vendors.iter().any(|f| matches!(&f.verdict, Verdict::Fail { reason } if reason.contains("pii") && reason.contains("slack"))),
        "{vendors:?}"
    );
    // No status page at all.
    assert!(matches!(
        verdict("status-communication.status-page"),
        Verdict::Fail { .. }
    ));
}

#[test]
fn approving_the_vendor_for_pii_passes_the_cross_check() {
    let mut catalog = load();
    catalog.third_parties[0].approved_for.push("pii".into());
    let findings = catalog::collect(&catalog, &catalog.services[0]);
    let vendors = find(&findings, "security.vendors-approved");
    assert!(vendors.iter().all(|f| f.verdict.is_pass()), "{vendors:?}");
}

#[test]
fn unknown_not_applicable_ids_are_catalog_errors_with_a_location_and_a_hint() {
    let catalog = load();
    let errors = check_catalog(&catalog);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = errors[0].to_string();
    assert!(text.starts_with("/srv/shipshape.toml:"), "{text}");
    assert!(
        text.contains("unknown readiness item `backups.pitr-typo`"),
        "{text}"
    );
}

#[test]
fn a_custom_item_may_not_reuse_a_builtin_id() {
    let source = CATALOG.replace("security.pen-test-2027", "security.launch-review");
    let catalog = parse_str(&source, Path::new("/srv/shipshape.toml")).unwrap();
    let errors = check_catalog(&catalog);
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("built-in checklist item")),
        "{errors:?}"
    );
}
