//! JUnit XML: one `<testsuite>` per service and practice, one
//! `<testcase>` per item. Fails and blocking unknowns are `<failure>`s,
//! other unknowns and n/a items are `<skipped>`.

use std::fmt::Write;

use crate::review::Report;
use crate::verdict::Verdict;

use super::{explain, items_of, xml_escape};

/// Renders `reports` as one JUnit XML document.
pub fn junit(reports: &[Report]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = reports.iter().map(|r| r.summary.total).sum();
    let failures: usize = reports
        .iter()
        .flat_map(|r| r.items.iter())
        .filter(|i| is_failure(i))
        .count();
    let _ = writeln!(
        out,
        "<testsuites name=\"shipshape check\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    for report in reports {
        for score in &report.practices {
            let items: Vec<_> = items_of(report, score.practice).collect();
            let failures = items.iter().filter(|i| is_failure(i)).count();
            let skipped = items
                .iter()
                .filter(|i| !is_failure(i) && !i.verdict.counts_as_pass(report.today))
                .count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" timestamp=\"{}\">",
                xml_escape(&report.service),
                score.practice.id(),
                items.len(),
                report.generated_at.strftime("%Y-%m-%dT%H:%M:%S")
            );
            for r in items {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}.{}\" name=\"{}: {}\">",
                    xml_escape(&report.service),
                    score.practice.id(),
                    xml_escape(&r.item.id),
                    xml_escape(&r.item.title)
                );
                let message = xml_escape(&explain(&r.verdict));
                let body = xml_escape(&format!(
                    "{}\nfix: {}{}",
                    explain(&r.verdict),
                    r.item.fix,
                    r.findings
                        .iter()
                        .flat_map(|f| f.details.iter())
                        .map(|d| format!("\n- {d}"))
                        .collect::<String>()
                ));
                if is_failure(r) {
                    let kind = r.verdict.label();
                    let _ = write!(
                        out,
                        "<failure type=\"{kind}\" message=\"{message}\">{body}</failure>"
                    );
                } else if !r.verdict.counts_as_pass(report.today) {
                    let _ = write!(
                        out,
                        "<skipped message=\"{}: {message}\"/>",
                        r.verdict.label()
                    );
                } else {
                    let _ = write!(
                        out,
                        "<system-out>{}: {message}</system-out>",
                        r.verdict.label()
                    );
                }
                let _ = writeln!(out, "</testcase>");
            }
            let _ = writeln!(out, "  </testsuite>");
        }
    }
    out.push_str("</testsuites>\n");
    out
}

/// A failure in CI terms: a failed item, or anything that blocks the launch.
fn is_failure(r: &crate::review::ItemResult) -> bool {
    matches!(r.verdict, Verdict::Fail { .. }) || r.blocks_launch
}
