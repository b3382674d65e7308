//! The fold from findings, attestations and n/a marks to verdicts, and the
//! renderings of the result.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use shipshape_readiness::report::{Format, render};
use shipshape_readiness::review::{Attestation, Inputs, Mode, Report, builtin_items};
use shipshape_readiness::{Finding, Verdict};

const TODAY: Date = date(2026, 11, 29);

fn at() -> Timestamp {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

fn inputs(findings: Vec<Finding>, attestations: Vec<Attestation>, na: &[(&str, &str)]) -> Inputs {
    Inputs {
        service: "api".into(),
        service_name: "Benefits <API>".into(),
        at: at(),
        today: TODAY,
        mode: Mode::Full,
        items: builtin_items(),
        findings,
        attestations,
        not_applicable: na
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn attest(item: &str, expires: Option<Date>) -> Attestation {
    Attestation {
        item: item.into(),
        by: "ISSO".into(),
        on: date(2026, 10, 1),
        link: Some("https://tickets.example.gov/7".into()),
        expires,
        note: None,
    }
}

fn verdict<'r>(report: &'r Report, id: &str) -> &'r Verdict {
    &report
        .items
        .iter()
        .find(|r| r.item.id == id)
        .unwrap_or_else(|| panic!("{id} missing"))
        .verdict
}

#[test]
fn a_failure_beats_passes_and_attestations() {
    let report = Report::build(inputs(
        vec![
            Finding::pass(
                "security.vendors-approved",
                "catalog.third-parties",
                "slack ok",
            ),
            Finding::fail(
                "security.vendors-approved",
                "catalog.third-parties",
                "pii to slack",
            )
            .about("slack"),
        ],
        vec![attest("security.vendors-approved", None)],
        &[],
    ));
    match verdict(&report, "security.vendors-approved") {
        Verdict::Fail { reason } => assert!(reason.contains("pii to slack"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let item = report
        .items
        .iter()
        .find(|r| r.item.id == "security.vendors-approved")
        .unwrap();
    assert!(item.blocks_launch);
    assert_eq!(report.exit_code(false), 1);
}

#[test]
fn unknown_is_never_a_pass_and_blocks_a_must_have() {
    let report = Report::build(inputs(
        vec![
            Finding::pass(
                "backups.periodic-snapshots",
                "state.backup-heartbeats",
                "up",
            ),
            Finding::unknown(
                "backups.periodic-snapshots",
                "state.backup-heartbeats",
                "store unreachable",
            ),
        ],
        vec![],
        &[],
    ));
    match verdict(&report, "backups.periodic-snapshots") {
        Verdict::Unknown { reason } => assert!(reason.contains("store unreachable")),
        other => panic!("{other:?}"),
    }
    assert!(report.summary.blocking >= 1);
    assert_eq!(report.exit_code(false), 1);
}

#[test]
fn attestation_counts_until_it_lapses_and_an_item_without_evidence_is_unknown() {
    let report = Report::build(inputs(
        vec![],
        vec![
            attest("security.launch-review", Some(date(2027, 10, 1))),
            attest("logs.fast-search", Some(date(2026, 11, 1))),
        ],
        &[],
    ));
    assert!(matches!(
        verdict(&report, "security.launch-review"),
        Verdict::Attested { .. }
    ));
    match verdict(&report, "logs.fast-search") {
        Verdict::Unknown { reason } => assert!(reason.contains("lapsed on 2026-11-01"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match verdict(&report, "logs.durable-before-rotation") {
        Verdict::Unknown { reason } => assert!(reason.contains("needs an attestation")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn not_applicable_wins_and_keeps_its_reason() {
    let report = Report::build(inputs(
        vec![Finding::fail(
            "backups.redundant-storage",
            "catalog.datastore-replicas",
            "no replica",
        )],
        vec![],
        &[("backups.redundant-storage", "stateless: keeps no data")],
    ));
    assert_eq!(
        verdict(&report, "backups.redundant-storage"),
        &Verdict::NotApplicable {
            reason: "stateless: keeps no data".into()
        }
    );
    let item = report
        .items
        .iter()
        .find(|r| r.item.id == "backups.redundant-storage")
        .unwrap();
    assert!(!item.blocks_launch);
}

#[test]
fn every_must_have_satisfied_exits_zero_and_strict_asks_for_everything() {
    let musts: Vec<String> = builtin_items()
        .into_iter()
        .filter(|i| i.must)
        .map(|i| i.id)
        .collect();
    let attestations = musts.iter().map(|id| attest(id, None)).collect();
    let report = Report::build(inputs(vec![], attestations, &[]));
    assert_eq!(report.summary.blocking, 0);
    assert_eq!(report.exit_code(false), 0);
    assert_eq!(report.exit_code(true), 1, "nice-to-haves are unknown");
    let scores: usize = report.practices.iter().map(|p| p.satisfied).sum();
    assert_eq!(scores, musts.len());
}

#[test]
fn json_round_trips_with_a_stable_shape() {
    let report = Report::build(inputs(
        vec![
            Finding::fail(
                "deployment.pinned-dependencies",
                "repo.dependencies",
                "unpinned",
            )
            .about("package.json")
            .with_details(["package.json:3: left-pad ^1.0.0".to_owned()]),
        ],
        vec![attest("security.launch-review", None)],
        &[("access-control.cohorts", "no experiments")],
    ));
    let json = render(std::slice::from_ref(&report), Format::Json, false);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema"], "shipshape.readiness/v1");
    assert_eq!(value["service"], "api");
    let items = value["items"].as_array().unwrap();
    let pinned = items
        .iter()
        .find(|i| i["id"] == "deployment.pinned-dependencies")
        .unwrap();
    assert_eq!(pinned["practice"], "deployment");
    assert_eq!(pinned["verdict"]["status"], "fail");
    assert_eq!(pinned["findings"][0]["subject"], "package.json");
    let na = items
        .iter()
        .find(|i| i["id"] == "access-control.cohorts")
        .unwrap();
    assert_eq!(na["verdict"]["status"], "n/a");
    let attested = items
        .iter()
        .find(|i| i["id"] == "security.launch-review")
        .unwrap();
    assert_eq!(attested["verdict"]["status"], "attested");
    assert_eq!(attested["verdict"]["on"], "2026-10-01");
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn text_markdown_junit_and_sarif_say_the_same_thing() {
    let report = Report::build(inputs(
        vec![
            Finding::fail("security.headers", "endpoint.headers", "no CSP <script>")
                .about("https://x.test/"),
        ],
        vec![],
        &[],
    ));
    let text = render(std::slice::from_ref(&report), Format::Text, false);
    assert!(text.contains("✘ FAIL"), "{text}");
    assert!(text.contains("fix: Set Content-Security-Policy"));
    assert!(!text.contains("\x1b["), "no colour when asked for none");
    assert!(text.contains("must-haves block the launch"));

    let md = render(std::slice::from_ref(&report), Format::Markdown, false);
    assert!(
        md.contains("## ❌ Readiness review: Benefits &lt;API&gt;"),
        "{md}"
    );
    assert!(md.contains("### Blocks the launch"));
    assert!(!md.contains("<script>"), "user text is escaped in Markdown");

    let junit = render(std::slice::from_ref(&report), Format::Junit, false);
    assert!(junit.starts_with("<?xml"));
    assert!(junit.contains("<failure type=\"fail\""));
    assert!(junit.contains("no CSP &lt;script&gt;"));
    assert!(!junit.contains("<script>"));
    assert_eq!(junit.matches("<testcase").count(), report.items.len());

    let sarif: serde_json::Value =
        serde_json::from_str(&render(std::slice::from_ref(&report), Format::Sarif, false)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let headers = results
        .iter()
        .find(|r| r["ruleId"] == "security.headers")
        .unwrap();
    assert_eq!(headers["level"], "warning");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), report.items.len());
    for result in results {
        assert!(!result["locations"].as_array().unwrap().is_empty());
    }
}
