//! SARIF 2.1.0: one rule per checklist item, one result per item that
//! fails or is unknown. Results about a repository file point at it; the
//! rest point at the catalog's service.

use serde_json::{Value, json};

use crate::review::Report;
use crate::verdict::Verdict;

use super::explain;

/// Renders `reports` as one SARIF log with a single run.
pub fn sarif(reports: &[Report]) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results: Vec<Value> = Vec::new();
    for report in reports {
        for r in &report.items {
            if seen.insert(r.item.id.clone()) {
                rules.push(json!({
                    "id": r.item.id,
                    "name": r.item.id.replace(['.', '-'], "_"),
                    "shortDescription": { "text": r.item.title },
                    "fullDescription": { "text": r.item.rationale },
                    "help": { "text": r.item.fix },
                    "properties": {
                        "practice": r.item.practice.id(),
                        "must": r.item.must,
                        "tags": [r.item.practice.id(), if r.item.must { "must-have" } else { "nice-to-have" }],
                    },
                    "defaultConfiguration": { "level": if r.item.must { "error" } else { "warning" } },
                }));
            }
            if r.verdict.counts_as_pass(report.today) || r.verdict.is_not_applicable() {
                continue;
            }
            let level = match (&r.verdict, r.item.must) {
                (Verdict::Fail { .. }, true) => "error",
                (Verdict::Fail { .. }, false) => "warning",
                (_, true) => "error",
                _ => "note",
            };
            let mut locations: Vec<Value> = r
                .findings
                .iter()
                .filter(|f| !f.verdict.is_pass() && f.collector.starts_with("repo."))
                .filter_map(|f| f.subject.as_deref())
                .map(|path| {
                    json!({ "physicalLocation": { "artifactLocation": { "uri": path, "uriBaseId": "REPO" } } })
                })
                .collect();
            if locations.is_empty() {
                locations.push(json!({
                    "logicalLocations": [{ "name": report.service, "kind": "module", "fullyQualifiedName": format!("service:{}", report.service) }]
                }));
            }
            let details: Vec<&String> = r
                .findings
                .iter()
                .flat_map(|f| f.details.iter())
                .take(50)
                .collect();
            let mut text = format!(
                "{} ({}): {}",
                r.item.title,
                r.verdict.label(),
                explain(&r.verdict)
            );
            for d in details {
                text.push_str("\n- ");
                text.push_str(d);
            }
            results.push(json!({
                "ruleId": r.item.id,
                "level": level,
                "kind": if matches!(r.verdict, Verdict::Fail { .. }) { "fail" } else { "review" },
                "message": { "text": text },
                "locations": locations,
                "properties": { "service": report.service, "verdict": r.verdict.label() },
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "shipshape check",
                "informationUri": "https://engineering.18f.gov/production-ready/",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
