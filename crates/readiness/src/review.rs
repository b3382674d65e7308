//! A review: every checklist item of one service with its verdict, folded
//! from collector findings, attestations and not-applicable marks.
//!
//! The fold is the one place that decides what an item's verdict is, so
//! the CLI, the UI and the scheduled re-runs in `shipshape serve` can never
//! disagree. Its rules, in order:
//!
//! 1. an item the catalog marks not applicable is `n/a`, with the reason;
//! 2. any failing finding fails the item — even one a person attested;
//! 3. findings that all pass make it pass;
//! 4. an attestation in force makes it `attested`;
//! 5. everything else is `unknown`, with the reason: a finding's, a lapsed
//!    attestation's, or "needs an attestation" / "no collector ran".

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::checklist::{CHECKLIST, Evidence, Item, Practice};
use crate::finding::Finding;
use crate::verdict::Verdict;

/// The version of the report's JSON shape; bumped on any breaking change.
pub const SCHEMA: &str = "shipshape.readiness/v1";

/// A checklist entry as a review sees it: a built-in [`Item`] or one a
/// team added in its catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItem {
    /// Stable id, `practice.slug`.
    pub id: String,
    /// The practice it belongs to.
    pub practice: Practice,
    /// Short imperative title.
    pub title: String,
    /// Why it matters.
    pub rationale: String,
    /// Whether a failure blocks the launch.
    pub must: bool,
    /// How to get there.
    pub fix: String,
    /// Who can decide it.
    pub evidence: Evidence,
    /// The collectors that decide it.
    pub collectors: Vec<String>,
    /// True for an item the team added in its catalog.
    pub custom: bool,
}

impl From<&Item> for ReviewItem {
    fn from(item: &Item) -> ReviewItem {
        ReviewItem {
            id: item.id.to_owned(),
            practice: item.practice,
            title: item.title.to_owned(),
            rationale: item.rationale.to_owned(),
            must: item.must,
            fix: item.fix.to_owned(),
            evidence: item.evidence,
            collectors: item.collectors.iter().map(|c| (*c).to_owned()).collect(),
            custom: false,
        }
    }
}

/// The built-in checklist as review items.
pub fn builtin_items() -> Vec<ReviewItem> {
    CHECKLIST.iter().map(ReviewItem::from).collect()
}

/// A person's word that a practice is in place for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The item vouched for.
    pub item: String,
    /// Who vouched.
    pub by: String,
    /// The day they vouched.
    pub on: Date,
    /// Where the supporting record lives.
    pub link: Option<String>,
    /// The day it lapses, if it does.
    pub expires: Option<Date>,
    /// What they said.
    pub note: Option<String>,
}

impl Attestation {
    fn verdict(&self) -> Verdict {
        Verdict::Attested {
            by: self.by.clone(),
            on: self.on,
            link: self.link.clone(),
            expires: self.expires,
        }
    }
}

/// Which collectors a review ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Everything: repository, catalog, Shipshape's state and live endpoints.
    Full,
    /// Only what needs no network: the repository and the catalog.
    Offline,
}

/// Everything a review folds together for one service.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The service's id.
    pub service: String,
    /// The service's display name.
    pub service_name: String,
    /// When the review ran.
    pub at: Timestamp,
    /// The day attestations are judged against (in the catalog's zone).
    pub today: Date,
    /// Which collectors ran.
    pub mode: Mode,
    /// The checklist: built-in items then the team's own.
    pub items: Vec<ReviewItem>,
    /// What the collectors found.
    pub findings: Vec<Finding>,
    /// Attestations on record, newest last.
    pub attestations: Vec<Attestation>,
    /// Items the catalog marks not applicable, with the reason.
    pub not_applicable: BTreeMap<String, String>,
}

/// One item's outcome in a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item.
    #[serde(flatten)]
    pub item: ReviewItem,
    /// Its verdict.
    pub verdict: Verdict,
    /// Whether it stops the launch (a must-have that neither passes, nor is
    /// attested, nor is n/a).
    pub blocks_launch: bool,
    /// The findings that decided it.
    pub findings: Vec<Finding>,
}

/// One practice's score: how many applicable items pass or are attested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeScore {
    /// The practice.
    pub practice: Practice,
    /// Items that pass or are attested in force.
    pub satisfied: usize,
    /// Items that are not n/a.
    pub applicable: usize,
}

/// Counts over a whole review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Items reviewed.
    pub total: usize,
    /// Items a collector saw in place.
    pub pass: usize,
    /// Items a collector saw missing.
    pub fail: usize,
    /// Items nobody could decide.
    pub unknown: usize,
    /// Items a person vouched for (in force).
    pub attested: usize,
    /// Items marked not applicable.
    pub not_applicable: usize,
    /// Must-haves that block the launch.
    pub blocking: usize,
}

/// The result of reviewing one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The service's id.
    pub service: String,
    /// The service's display name.
    pub service_name: String,
    /// When the review ran.
    pub generated_at: Timestamp,
    /// The day attestations were judged against.
    pub today: Date,
    /// Which collectors ran.
    pub mode: Mode,
    /// Counts.
    pub summary: Summary,
    /// Scores per practice, in checklist order; practices with no items
    /// are left out.
    pub practices: Vec<PracticeScore>,
    /// Every item, in checklist order (the team's own items last within
    /// their practice).
    pub items: Vec<ItemResult>,
}

impl Report {
    /// Folds `inputs` into a report, by the rules in the module docs.
    pub fn build(inputs: Inputs) -> Report {
        let Inputs {
            service,
            service_name,
            at,
            today,
            mode,
            mut items,
            findings,
            attestations,
            not_applicable,
        } = inputs;
        items.sort_by_key(|i| i.practice);
        let mut by_item: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for f in findings {
            by_item.entry(f.item.clone()).or_default().push(f);
        }
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let findings = by_item.remove(&item.id).unwrap_or_default();
            let attestation = attestations.iter().rev().find(|a| a.item == item.id);
            let verdict = fold(
                &item,
                &findings,
                attestation,
                not_applicable.get(&item.id),
                mode,
                today,
            );
            let blocks_launch =
                item.must && !verdict.counts_as_pass(today) && !verdict.is_not_applicable();
            results.push(ItemResult {
                item,
                verdict,
                blocks_launch,
                findings,
            });
        }
        let summary = summarise(&results, today);
        let practices = Practice::ALL
            .iter()
            .filter_map(|&practice| {
                let of: Vec<&ItemResult> = results
                    .iter()
                    .filter(|r| r.item.practice == practice)
                    .collect();
                (!of.is_empty()).then(|| PracticeScore {
                    practice,
                    satisfied: of
                        .iter()
                        .filter(|r| r.verdict.counts_as_pass(today))
                        .count(),
                    applicable: of.iter().filter(|r| !r.verdict.is_not_applicable()).count(),
                })
            })
            .collect();
        Report {
            schema: SCHEMA.to_owned(),
            service,
            service_name,
            generated_at: at,
            today,
            mode,
            summary,
            practices,
            items: results,
        }
    }

    /// The process exit code `shipshape check` uses: 0 when nothing blocks
    /// the launch, 1 otherwise. With `strict`, every item counts as a
    /// must-have.
    pub fn exit_code(&self, strict: bool) -> i32 {
        let failing = self.items.iter().any(|r| {
            r.blocks_launch
                || (strict
                    && !r.verdict.counts_as_pass(self.today)
                    && !r.verdict.is_not_applicable())
        });
        i32::from(failing)
    }

    /// Items whose verdict is not a pass, n/a or attestation in force, in
    /// report order: what a reader has to act on.
    pub fn open_items(&self) -> impl Iterator<Item = &ItemResult> {
        self.items
            .iter()
            .filter(|r| !r.verdict.counts_as_pass(self.today) && !r.verdict.is_not_applicable())
    }
}

fn fold(
    item: &ReviewItem,
    findings: &[Finding],
    attestation: Option<&Attestation>,
    not_applicable: Option<&String>,
    mode: Mode,
    today: Date,
) -> Verdict {
    if let Some(reason) = not_applicable {
        return Verdict::NotApplicable {
            reason: reason.clone(),
        };
    }
    let failures: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.verdict, Verdict::Fail { .. }))
        .collect();
    if let Some(first) = failures.first() {
        let reason = describe(first);
        return Verdict::Fail {
            reason: if failures.len() > 1 {
                format!("{reason} (and {} more)", failures.len() - 1)
            } else {
                reason
            },
        };
    }
    if !findings.is_empty() && findings.iter().all(|f| f.verdict.is_pass()) {
        let mut seen = Vec::new();
        for text in findings.iter().map(describe) {
            if !seen.contains(&text) {
                seen.push(text);
            }
        }
        let more = seen.len().saturating_sub(3);
        seen.truncate(3);
        let mut evidence = seen.join("; ");
        if more > 0 {
            evidence.push_str(&format!(" (and {more} more)"));
        }
        return Verdict::Pass { evidence };
    }
    let attested = attestation.map(Attestation::verdict);
    if let Some(verdict) = attested.as_ref().filter(|v| v.counts_as_pass(today)) {
        return verdict.clone();
    }
    if let Some(unknown) = findings
        .iter()
        .find(|f| matches!(f.verdict, Verdict::Unknown { .. }))
    {
        return Verdict::Unknown {
            reason: describe(unknown),
        };
    }
    let reason = match (attestation, item.evidence) {
        (Some(a), _) if a.on > today => {
            format!("attestation by {} is dated {}, after today", a.by, a.on)
        }
        (Some(a), _) => format!(
            "attestation by {} lapsed on {}",
            a.by,
            a.expires.map(|d| d.to_string()).unwrap_or_default()
        ),
        (None, Evidence::Attestation) => {
            "needs an attestation: no machine can check this".to_owned()
        }
        (None, Evidence::Automatic)
            if mode == Mode::Offline
                && item
                    .collectors
                    .iter()
                    .any(|c| !c.starts_with("repo.") && !c.starts_with("catalog.")) =>
        {
            "not checked offline: needs the running service".to_owned()
        }
        (None, Evidence::Automatic) => "no evidence: no collector reported on this item".to_owned(),
    };
    Verdict::Unknown { reason }
}

/// A finding's reason or evidence, prefixed with its subject.
fn describe(finding: &Finding) -> String {
    let text = match &finding.verdict {
        Verdict::Pass { evidence } => evidence.as_str(),
        Verdict::Fail { reason }
        | Verdict::Unknown { reason }
        | Verdict::NotApplicable { reason } => reason.as_str(),
        Verdict::Attested { by, .. } => by.as_str(),
    };
    match &finding.subject {
        Some(subject) if !text.contains(subject.as_str()) => format!("{subject}: {text}"),
        _ => text.to_owned(),
    }
}

fn summarise(results: &[ItemResult], today: Date) -> Summary {
    let mut s = Summary {
        total: results.len(),
        ..Summary::default()
    };
    for r in results {
        match &r.verdict {
            Verdict::Pass { .. } => s.pass += 1,
            Verdict::Fail { .. } => s.fail += 1,
            Verdict::Unknown { .. } => s.unknown += 1,
            Verdict::NotApplicable { .. } => s.not_applicable += 1,
            Verdict::Attested { .. } if r.verdict.counts_as_pass(today) => s.attested += 1,
            Verdict::Attested { .. } => s.unknown += 1,
        }
        s.blocking += usize::from(r.blocks_launch);
    }
    s
}
