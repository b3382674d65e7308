//! Markdown for a pull-request comment: the verdict first, a table of
//! practices, then what blocks the launch and every other open item.

use std::fmt::Write;

use crate::review::{ItemResult, Report};

use super::{explain, summary_line};

/// Renders `report` as GitHub-flavoured Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let badge = if report.summary.blocking == 0 {
        "✅"
    } else {
        "❌"
    };
    let _ = writeln!(
        out,
        "## {badge} Readiness review: {} (`{}`)\n",
        cell(&report.service_name),
        report.service
    );
    let _ = writeln!(out, "{}\n", summary_line(report));
    let _ = writeln!(
        out,
        "| Practice | Satisfied | Applicable |\n|---|---:|---:|"
    );
    for score in &report.practices {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            score.practice.title(),
            score.satisfied,
            score.applicable
        );
    }
    let blocking: Vec<&ItemResult> = report.items.iter().filter(|r| r.blocks_launch).collect();
    if !blocking.is_empty() {
        let _ = writeln!(out, "\n### Blocks the launch\n");
        for r in &blocking {
            open_item(&mut out, r);
        }
    }
    let other: Vec<&ItemResult> = report.open_items().filter(|r| !r.blocks_launch).collect();
    if !other.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} other open item{}</summary>\n",
            other.len(),
            if other.len() == 1 { "" } else { "s" }
        );
        for r in &other {
            open_item(&mut out, r);
        }
        let _ = writeln!(out, "\n</details>");
    }
    let settled: Vec<&ItemResult> = report
        .items
        .iter()
        .filter(|r| r.verdict.counts_as_pass(report.today) || r.verdict.is_not_applicable())
        .collect();
    if !settled.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} satisfied or not applicable</summary>\n",
            settled.len()
        );
        for r in settled {
            let _ = writeln!(
                out,
                "- **{}** `{}` — {}: {}",
                r.verdict.label(),
                r.item.id,
                cell(&r.item.title),
                cell(&explain(&r.verdict))
            );
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

fn open_item(out: &mut String, r: &ItemResult) {
    let must = if r.item.must { " (must-have)" } else { "" };
    let _ = writeln!(
        out,
        "- **{}** `{}` — {}{must}: {}\n  - Fix: {}",
        r.verdict.label(),
        r.item.id,
        cell(&r.item.title),
        cell(&explain(&r.verdict)),
        cell(&r.item.fix)
    );
    for f in r.findings.iter().filter(|f| !f.verdict.is_pass()) {
        for d in f.details.iter().take(10) {
            let _ = writeln!(out, "  - `{}`", d.replace('`', "'"));
        }
    }
}

/// Keeps user text from breaking the Markdown: no raw HTML, no table
/// pipes, no line breaks.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}
