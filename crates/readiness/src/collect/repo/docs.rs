//! Support and recovery documents: `repo.contact`, `repo.escalation-doc`,
//! `repo.support-queue`, `repo.recovery-doc`. Found by file name, or by a
//! markdown section whose heading names the topic.

use std::sync::LazyLock;

use regex::Regex;

use crate::Finding;

use super::{Ctx, dir_of, file_name, item_of};

const CONTACT: &str = "repo.contact";
const ESCALATION: &str = "repo.escalation-doc";
const QUEUE: &str = "repo.support-queue";
const RECOVERY: &str = "repo.recovery-doc";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("email pattern compiles")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s)\]>"'`]+"#).expect("url pattern compiles"));
static ISSUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"https?://(?:www\.)?(?:github\.com/[^/\s]+/[^/\s]+/issues|gitlab\.[^/\s]+/[^\s)\]>"']+/-/issues|bitbucket\.org/[^/\s]+/[^/\s]+/issues|[^/\s]+\.atlassian\.net/servicedesk|[^/\s]+\.zendesk\.com|[^/\s]+\.freshdesk\.com)[^\s)\]>"'`]*"#,
    )
    .expect("issues pattern compiles")
});
static RECOVERY_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)restor|recover|disaster").expect("recovery pattern compiles")
});

/// A markdown section: heading line, heading text, and body.
struct Section<'t> {
    line: usize,
    heading: &'t str,
    body: String,
}

/// ATX (`# Heading`) sections of a markdown text.
fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out: Vec<(usize, usize, &str, String)> = Vec::new();
    let mut fence = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        }
        let level = t.chars().take_while(|c| *c == '#').count();
        if !fence && (1..=6).contains(&level) && t[level..].starts_with([' ', '\t']) {
            out.push((
                i + 1,
                level,
                t[level..].trim().trim_end_matches('#').trim(),
                String::new(),
            ));
            continue;
        }
        // Bodies run until the next heading of the same or a higher level:
        // walking back, a section is still open when every later heading
        // is deeper than it.
        let mut min_level = usize::MAX;
        for s in out.iter_mut().rev() {
            if s.1 < min_level {
                s.3.push_str(line);
                s.3.push('\n');
                min_level = s.1;
            }
        }
    }
    out.into_iter()
        .map(|(line, _, heading, body)| Section {
            line,
            heading,
            body,
        })
        .collect()
}

fn is_markdown(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

fn is_readme(rel: &str) -> bool {
    !rel.contains('/') && file_name(rel).to_ascii_lowercase().starts_with("readme")
}

/// Root, `.github/` or `docs/`.
fn top_level(rel: &str) -> bool {
    matches!(dir_of(rel), "" | ".github" | "docs")
}

/// `repo.contact`.
pub(crate) fn contact(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(CONTACT);
    let mut found = Vec::new();
    for rel in &ctx.inv.files {
        let lower = file_name(rel).to_ascii_lowercase();
        let named = rel == ".well-known/security.txt"
            || rel == "security.txt"
            || (top_level(rel)
                && (lower == "security.md"
                    || lower == "support.md"
                    || lower.starts_with("contact")));
        if named {
            found.push(format!("{rel}:1: {}", file_name(rel)));
        }
        if is_readme(rel)
            && let Some(Ok(text)) = ctx.inv.text(rel)
        {
            for s in sections(text) {
                let h = s.heading.to_ascii_lowercase();
                if (h.contains("contact") || h.contains("support"))
                    && (EMAIL.is_match(&s.body) || URL.is_match(&s.body))
                {
                    found.push(format!("{rel}:{}: section \"{}\"", s.line, s.heading));
                }
            }
        }
    }
    if found.is_empty() {
        return vec![Finding::fail(
            item,
            CONTACT,
            "no contact entry point documented (looked for .well-known/security.txt, \
             security.txt, SECURITY.md, SUPPORT.md, CONTACT*, and a README section headed \
             contact or support with an email address or URL)",
        )];
    }
    vec![pass(item, CONTACT, "contact entry point", found)]
}

fn pass(item: &str, collector: &str, what: &str, found: Vec<String>) -> Finding {
    let first = found[0].clone();
    let subject = first.split(':').next().unwrap_or("").to_owned();
    let what_found = first.split_once(": ").map_or(first.as_str(), |(_, w)| w);
    Finding::pass(item, collector, format!("{what}: {subject} ({what_found})"))
        .about(subject)
        .with_details(found)
}

/// Whether a file name (lowercase) is a document: Markdown, reStructured
/// text, AsciiDoc, plain text, or no extension at all (`RUNBOOK`).
fn is_document(lower_name: &str) -> bool {
    [".md", ".markdown", ".rst", ".adoc", ".txt"]
        .iter()
        .any(|ext| lower_name.ends_with(ext))
        || !lower_name.contains('.')
}

/// `repo.escalation-doc`.
pub(crate) fn escalation(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(ESCALATION);
    let mut found = Vec::new();
    for rel in &ctx.inv.files {
        let lower_rel = rel.to_ascii_lowercase();
        let lower = file_name(rel).to_ascii_lowercase();
        let in_docs = lower_rel.starts_with("docs/");
        // Documents only: `escalations.rs` is code about escalations, not
        // a document of the team's escalation paths.
        let named = is_document(&lower)
            && (lower.starts_with("escalation")
                || lower.starts_with("runbook")
                || (in_docs
                    && [
                        "escalation",
                        "runbook",
                        "on-call",
                        "oncall",
                        "on_call",
                        "incident",
                    ]
                    .iter()
                    .any(|w| lower_rel[5..].contains(w))));
        if named {
            found.push(format!("{rel}:1: {}", file_name(rel)));
        } else if is_readme(rel)
            && let Some(Ok(text)) = ctx.inv.text(rel)
        {
            for s in sections(text) {
                let h = s.heading.to_ascii_lowercase();
                if h.contains("escalat") || h.contains("on-call") || h.contains("on call") {
                    found.push(format!("{rel}:{}: section \"{}\"", s.line, s.heading));
                }
            }
        }
    }
    if found.is_empty() {
        return vec![Finding::fail(
            item,
            ESCALATION,
            "no escalation document (looked for ESCALATION*, RUNBOOK*, docs/*escalation*, \
             docs/runbook*, docs/on-call*, docs/incident*, and a README section on escalation \
             or on-call)",
        )];
    }
    vec![pass(item, ESCALATION, "escalation paths documented", found)]
}

/// `repo.support-queue`.
pub(crate) fn support_queue(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(QUEUE);
    let mut found = Vec::new();
    for rel in &ctx.inv.files {
        let lower = file_name(rel).to_ascii_lowercase();
        let wanted = is_readme(rel)
            || (top_level(rel) && (lower == "support.md" || lower == "contributing.md"));
        if !wanted {
            continue;
        }
        let Some(Ok(text)) = ctx.inv.text(rel) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if let Some(m) = ISSUES.find(line) {
                found.push(format!("{rel}:{}: {}", i + 1, m.as_str()));
            }
        }
        if found.is_empty() {
            for s in sections(text) {
                if !s.heading.to_ascii_lowercase().contains("support") {
                    continue;
                }
                if let Some((n, m)) = s
                    .body
                    .lines()
                    .enumerate()
                    .find_map(|(n, l)| URL.find(l).map(|m| (n, m)))
                {
                    found.push(format!("{rel}:{}: {}", s.line + 1 + n, m.as_str()));
                }
            }
        }
    }
    if found.is_empty() {
        return vec![Finding::fail(
            item,
            QUEUE,
            "no public support queue linked (looked in README, SUPPORT.md and CONTRIBUTING.md \
             for an issues URL or a URL in a support section)",
        )];
    }
    vec![pass(item, QUEUE, "public support queue", found)]
}

/// `repo.recovery-doc`.
pub(crate) fn recovery(ctx: &Ctx<'_>) -> Vec<Finding> {
    let item = item_of(RECOVERY);
    let mut found = Vec::new();
    for rel in &ctx.inv.files {
        let lower = rel.to_ascii_lowercase();
        let doc = is_document(&lower) && lower.contains('.');
        if doc && RECOVERY_WORD.is_match(file_name(rel)) {
            found.push(format!("{rel}:1: {}", file_name(rel)));
            continue;
        }
        if !is_markdown(rel) {
            continue;
        }
        if let Some(Ok(text)) = ctx.inv.text(rel) {
            for s in sections(text) {
                if RECOVERY_WORD.is_match(s.heading) {
                    found.push(format!("{rel}:{}: section \"{}\"", s.line, s.heading));
                }
            }
        }
    }
    if found.is_empty() {
        return vec![Finding::fail(
            item,
            RECOVERY,
            "no recovery document (looked for files named *restore*, *recovery*, *disaster* \
             and markdown headings about restore, recovery or disaster recovery)",
        )];
    }
    vec![pass(item, RECOVERY, "recovery documented", found)]
}
