//! The terminal report: grouped by practice, one line per item, the reason
//! and the fix under every item that is not satisfied.

use std::fmt::Write;

use crate::checklist::Practice;
use crate::review::{ItemResult, Report};
use crate::verdict::Verdict;

use super::{explain, items_of, summary_line};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BLUE: &str = "\x1b[34m";

/// Renders `report` for a terminal; `color` adds ANSI colours (the labels
/// carry the meaning without them).
pub fn text(report: &Report, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}) — {}, {}",
        paint(BOLD, "Readiness review:"),
        report.service_name,
        report.service,
        report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        match report.mode {
            crate::review::Mode::Full => "full review",
            crate::review::Mode::Offline => "offline: repository and catalog only",
        }
    );
    for score in &report.practices {
        let _ = writeln!(
            out,
            "\n{} {}",
            paint(BOLD, score_title(score.practice)),
            paint(DIM, &format!("{}/{}", score.satisfied, score.applicable))
        );
        for r in items_of(report, score.practice) {
            item_lines(&mut out, r, report, &paint);
        }
    }
    let summary = summary_line(report);
    let _ = writeln!(
        out,
        "\n{}",
        if report.summary.blocking > 0 {
            paint(&format!("{BOLD}{RED}"), &summary)
        } else {
            paint(&format!("{BOLD}{GREEN}"), &summary)
        }
    );
    out
}

fn score_title(practice: Practice) -> &'static str {
    practice.title()
}

fn item_lines(
    out: &mut String,
    r: &ItemResult,
    report: &Report,
    paint: &dyn Fn(&str, &str) -> String,
) {
    let (mark, code) = match &r.verdict {
        Verdict::Pass { .. } => ("✔ pass    ", GREEN),
        Verdict::Fail { .. } => ("✘ FAIL    ", RED),
        Verdict::Unknown { .. } => ("? unknown ", YELLOW),
        Verdict::Attested { .. } if r.verdict.counts_as_pass(report.today) => ("~ attested", BLUE),
        Verdict::Attested { .. } => ("? lapsed  ", YELLOW),
        Verdict::NotApplicable { .. } => ("– n/a     ", DIM),
    };
    let mut tags = String::new();
    if r.item.must {
        tags.push_str(" [must]");
    }
    if r.blocks_launch {
        tags.push_str(" [blocks launch]");
    }
    if r.item.custom {
        tags.push_str(" [team item]");
    }
    let _ = writeln!(
        out,
        "  {} {}{}",
        paint(code, mark),
        r.item.title,
        paint(DIM, &tags)
    );
    let _ = writeln!(
        out,
        "               {}",
        paint(DIM, &format!("{}: {}", r.item.id, explain(&r.verdict)))
    );
    let open = !r.verdict.counts_as_pass(report.today) && !r.verdict.is_not_applicable();
    if open {
        for f in r.findings.iter().filter(|f| !f.verdict.is_pass()) {
            for d in f.details.iter().take(20) {
                let _ = writeln!(out, "               · {d}");
            }
            if f.details.len() > 20 {
                let _ = writeln!(out, "               · … and {} more", f.details.len() - 20);
            }
        }
        let _ = writeln!(out, "               {} {}", paint(BOLD, "fix:"), r.item.fix);
    }
}
