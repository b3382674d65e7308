use std::collections::HashSet;

use shipshape_readiness::{CHECKLIST, Evidence, Origin, Practice, SOURCE, item};

/// Bullet items per section of 18F's "Good Production Practices", counted
/// by hand from the source (Monitoring only links to another page).
const EXPECTED: &[(Practice, usize)] = &[
    (Practice::Backups, 5),
    (Practice::Deployment, 9),
    (Practice::Support, 4),
    (Practice::Logs, 3),
    (Practice::Monitoring, 0),
    (Practice::Alerting, 4),
    (Practice::StatusCommunication, 4),
    (Practice::Security, 6),
    (Practice::LoadTesting, 2),
    (Practice::CapacityPlanning, 3),
    (Practice::Scalability, 4),
    (Practice::Resilience, 3),
    (Practice::AccessControl, 3),
];

/// Items in bold (must-haves) in the source.
const EXPECTED_MUSTS: usize = 10;

/// The source's bold lines, verbatim: none of our titles may be one.
const SOURCE_BOLD: &[&str] = &[
    "All volatile data storage is on redundant infrastructure",
    "Periodic snapshots of volatile data storage are happening",
    "Logs are captured to durable storage before rotation",
    "Logs with sensitive data are only available to appropriate people",
    "Someone is alerted, somehow, if a monitor test is failing",
    "In-person discussion/audit around launch and major changes",
    "Third-party services are approved to hold the data being sent to them",
    "Planning around launch, significant news, and seasonal deadlines",
    "Each component has at least two instances at all times",
    "Expected exposure for alpha/beta/blue-green environments is enforced",
];

/// A few plain source lines, verbatim, for the same check.
const SOURCE_PLAIN: &[&str] = &[
    "Can push a new version with a single command",
    "More than one person is able to do it",
    "Blue-green deployment",
    "Automated schema updates",
    "Pin dependencies",
    "Service-level targets are documented",
    "Redirect http to https",
    "A/B cohorts/affinity supported",
];

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_practice_has_the_source_count() {
    assert_eq!(EXPECTED.len(), Practice::ALL.len());
    for (practice, want) in EXPECTED {
        let got = practice
            .items()
            .filter(|i| i.origin == Origin::Source)
            .count();
        assert_eq!(got, *want, "{}", practice.title());
    }
    let total: usize = EXPECTED.iter().map(|(_, n)| n).sum();
    let from_source = CHECKLIST.iter().filter(|i| i.origin == Origin::Source);
    assert_eq!(from_source.count(), total);
    assert_eq!(total, 50);
}

#[test]
fn shipshape_additions_never_add_must_haves_and_always_have_collectors() {
    for i in CHECKLIST.iter().filter(|i| i.origin == Origin::Shipshape) {
        assert!(!i.must, "{}", i.id);
        assert_eq!(i.evidence, Evidence::Automatic, "{}", i.id);
        assert!(!i.collectors.is_empty(), "{}", i.id);
    }
}

#[test]
fn automatic_items_name_their_collectors() {
    for i in CHECKLIST
        .iter()
        .filter(|i| i.evidence == Evidence::Automatic)
    {
        assert!(!i.collectors.is_empty(), "{}", i.id);
        for c in i.collectors {
            let (kind, name) = c.split_once('.').expect("kind.name");
            assert!(
                ["repo", "endpoint", "catalog", "state"].contains(&kind),
                "{c}"
            );
            assert!(!name.is_empty(), "{c}");
        }
    }
}

#[test]
fn must_haves_match_the_bold_items() {
    let musts = CHECKLIST.iter().filter(|i| i.must).count();
    assert_eq!(musts, EXPECTED_MUSTS);
    assert_eq!(SOURCE_BOLD.len(), EXPECTED_MUSTS);
}

#[test]
fn checklist_follows_practice_order() {
    let order: Vec<Practice> = CHECKLIST.iter().map(|i| i.practice).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let all = Practice::ALL.to_vec();
    let mut sorted_all = all.clone();
    sorted_all.sort();
    assert_eq!(all, sorted_all);
}

#[test]
fn ids_are_unique_and_stable_looking() {
    let mut seen = HashSet::new();
    for i in CHECKLIST {
        assert!(seen.insert(i.id), "duplicate id {}", i.id);
        let (prefix, slug) = i.id.split_once('.').expect("practice.slug");
        assert_eq!(prefix, i.practice.id(), "{}", i.id);
        assert!(!slug.is_empty() && !slug.contains('.'), "{}", i.id);
        assert!(
            i.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{}",
            i.id
        );
        assert!(
            !slug.starts_with('-') && !slug.ends_with('-') && !slug.contains("--"),
            "{}",
            i.id
        );
        assert_eq!(item(i.id), Some(i));
    }
    assert_eq!(
        item("backups.redundant-storage").map(|i| i.must),
        Some(true)
    );
    assert!(item("nope.nothing").is_none());
}

#[test]
fn practice_ids_are_slugs_and_unique() {
    let mut seen = HashSet::new();
    for p in Practice::ALL {
        assert!(seen.insert(p.id()));
        assert!(p.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        assert!(!p.title().is_empty());
    }
}

#[test]
fn text_is_present_and_our_own() {
    let source: Vec<String> = SOURCE_BOLD
        .iter()
        .chain(SOURCE_PLAIN)
        .map(|s| norm(s))
        .collect();
    for i in CHECKLIST {
        for (what, text) in [
            ("title", i.title),
            ("rationale", i.rationale),
            ("fix", i.fix),
        ] {
            assert!(!text.trim().is_empty(), "{} has an empty {what}", i.id);
            assert!(
                !source.contains(&norm(text)),
                "{} {what} copies the source: {text}",
                i.id
            );
        }
        assert_ne!(norm(i.title), norm(i.rationale), "{}", i.id);
        assert!(i.rationale.ends_with('.'), "{}", i.id);
        assert!(i.fix.ends_with('.'), "{}", i.id);
    }
}

#[test]
fn both_kinds_of_evidence_are_used() {
    assert!(CHECKLIST.iter().any(|i| i.evidence == Evidence::Automatic));
    assert!(
        CHECKLIST
            .iter()
            .any(|i| i.evidence == Evidence::Attestation)
    );
}

#[test]
fn source_is_cited() {
    assert!(SOURCE.contains("18F"));
    assert!(SOURCE.contains("Good Production Practices"));
    assert!(SOURCE.contains("https://engineering.18f.gov/production-ready/"));
}
