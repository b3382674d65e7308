//! Renderings of a [`Report`]: a terminal report, Markdown for a pull
//! request comment, JSON (the report's own serde shape, see
//! `docs/readiness.md`), JUnit XML and SARIF 2.1.0 for CI systems.

mod junit;
mod markdown;
mod sarif;
mod text;

use std::fmt;
use std::str::FromStr;

use crate::checklist::Practice;
use crate::review::{ItemResult, Report};
use crate::verdict::Verdict;

pub use junit::junit;
pub use markdown::markdown;
pub use sarif::sarif;
pub use text::text;

/// An output format of `shipshape check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A terminal report grouped by practice.
    Text,
    /// The report as JSON.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
    /// JUnit XML: one test suite per practice, one test case per item.
    Junit,
    /// SARIF 2.1.0: one rule per item, one result per open item.
    Sarif,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "junit" => Ok(Format::Junit),
            "sarif" => Ok(Format::Sarif),
            other => Err(format!(
                "unknown format `{other}`: use text, json, markdown, junit or sarif"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
        })
    }
}

/// Renders several reports (one per service) in `format`. Text and
/// Markdown put them one after another; JSON is an array when there is
/// more than one; JUnit and SARIF merge them into one document.
pub fn render(reports: &[Report], format: Format, color: bool) -> String {
    match format {
        Format::Text => reports
            .iter()
            .map(|r| text(r, color))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Markdown => reports
            .iter()
            .map(markdown)
            .collect::<Vec<_>>()
            .join("\n---\n\n"),
        Format::Json => {
            let json = match reports {
                [one] => serde_json::to_string_pretty(one),
                many => serde_json::to_string_pretty(many),
            };
            json.unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
        }
        Format::Junit => junit(reports),
        Format::Sarif => sarif(reports),
    }
}

/// The items of `practice` in `report`.
fn items_of(report: &Report, practice: Practice) -> impl Iterator<Item = &ItemResult> {
    report
        .items
        .iter()
        .filter(move |r| r.item.practice == practice)
}

/// The one-line explanation of a verdict: evidence, reason, attestation.
fn explain(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Pass { evidence } => evidence.clone(),
        Verdict::Fail { reason }
        | Verdict::Unknown { reason }
        | Verdict::NotApplicable { reason } => reason.clone(),
        Verdict::Attested {
            by,
            on,
            link,
            expires,
        } => {
            let mut s = format!("attested by {by} on {on}");
            if let Some(expires) = expires {
                s.push_str(&format!(", until {expires}"));
            }
            if let Some(link) = link {
                s.push_str(&format!(" ({link})"));
            }
            s
        }
    }
}

/// The summary line shared by the text and Markdown reports.
fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let verdict = match s.blocking {
        0 => "no must-have blocks the launch".to_owned(),
        1 => "1 must-have blocks the launch".to_owned(),
        n => format!("{n} must-haves block the launch"),
    };
    format!(
        "{} items: {} pass, {} fail, {} unknown, {} attested, {} n/a — {verdict}",
        s.total, s.pass, s.fail, s.unknown, s.attested, s.not_applicable
    )
}

/// Escapes text for XML content and attribute values.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
