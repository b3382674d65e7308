//! The page's history as feeds: Atom ([`atom`], served at `/history.atom`)
//! and RSS 2.0 ([`rss`], at `/history.rss`). One entry per public incident
//! and per maintenance, the most recently changed first, each linking to its
//! page (`/incidents/{id}`, `/maintenance/{id}`, absolute when the page's
//! URL is known) and carrying its updates, newest first, as escaped HTML.
//!
//! Everything written is escaped for XML, and characters XML 1.0 forbids
//! (most C0 controls, U+FFFE, U+FFFF) are dropped, as are C1 controls and
//! the bidirectional embedding, override and isolate controls (U+202A–U+202E,
//! U+2066–U+2069), which would let a title reorder the text shown after it.
//!
//! An entry's time is when it last changed (Atom `updated`, RSS
//! `pubDate`); Atom's `published` is when it was posted.
//!
//! Ids are stable URNs that do not depend on where the page is published:
//! `urn:shipshape:status:{page id}` for the feed,
//! `…:incident:{id}` and `…:maintenance:{id}` for entries.

use std::fmt::Write;

use jiff::Timestamp;

use crate::model::{IncidentStatus, MaintenanceStatus, Snapshot, Update};

/// The Atom feed's path on the page.
pub const ATOM_PATH: &str = "/history.atom";
/// The RSS feed's path on the page.
pub const RSS_PATH: &str = "/history.rss";

/// One entry of the history, as both feeds show it.
struct Entry {
    id: String,
    title: String,
    link: String,
    published: Timestamp,
    updated: Timestamp,
    /// HTML, not yet escaped for XML.
    content: String,
}

/// The history as an Atom 1.0 feed.
pub fn atom(snapshot: &Snapshot) -> String {
    let entries = entries(snapshot);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
    let _ = writeln!(out, "  <id>{}</id>", escape(&feed_id(snapshot)));
    let _ = writeln!(out, "  <title>{}</title>", escape(&title(snapshot)));
    let _ = writeln!(
        out,
        "  <updated>{}</updated>",
        atom_time(updated(snapshot, &entries))
    );
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape(&url(snapshot, ATOM_PATH))
    );
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape(&url(snapshot, "/"))
    );
    let _ = writeln!(
        out,
        "  <author><name>{}</name></author>",
        escape(&snapshot.page.name)
    );
    for e in &entries {
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", escape(&e.id));
        let _ = writeln!(out, "    <title>{}</title>", escape(&e.title));
        let _ = writeln!(out, "    <published>{}</published>", atom_time(e.published));
        let _ = writeln!(out, "    <updated>{}</updated>", atom_time(e.updated));
        let _ = writeln!(
            out,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape(&e.link)
        );
        let _ = writeln!(
            out,
            "    <content type=\"html\">{}</content>",
            escape(&e.content)
        );
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// The history as an RSS 2.0 feed.
pub fn rss(snapshot: &Snapshot) -> String {
    let entries = entries(snapshot);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str("  <channel>\n");
    let _ = writeln!(out, "    <title>{}</title>", escape(&title(snapshot)));
    let _ = writeln!(out, "    <link>{}</link>", escape(&url(snapshot, "/")));
    let _ = writeln!(
        out,
        "    <description>{}</description>",
        escape(&format!(
            "Incidents and maintenance on {}",
            snapshot.page.name
        ))
    );
    out.push_str("    <language>en</language>\n");
    let _ = writeln!(
        out,
        "    <lastBuildDate>{}</lastBuildDate>",
        rss_time(updated(snapshot, &entries))
    );
    let _ = writeln!(
        out,
        "    <atom:link rel=\"self\" type=\"application/rss+xml\" href=\"{}\"/>",
        escape(&url(snapshot, RSS_PATH))
    );
    for e in &entries {
        out.push_str("    <item>\n");
        let _ = writeln!(out, "      <title>{}</title>", escape(&e.title));
        let _ = writeln!(out, "      <link>{}</link>", escape(&e.link));
        let _ = writeln!(
            out,
            "      <guid isPermaLink=\"false\">{}</guid>",
            escape(&e.id)
        );
        let _ = writeln!(out, "      <pubDate>{}</pubDate>", rss_time(e.updated));
        let _ = writeln!(
            out,
            "      <description>{}</description>",
            escape(&e.content)
        );
        out.push_str("    </item>\n");
    }
    out.push_str("  </channel>\n");
    out.push_str("</rss>\n");
    out
}

/// Text made safe for XML content and attribute values: `&`, `<`, `>`,
/// `"` and `'` escaped; characters XML 1.0 forbids, C1 controls and
/// bidirectional controls dropped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Characters left out of anything written: those XML 1.0 forbids, the
/// discouraged controls (DEL and C1) and the bidirectional controls.
fn is_dropped(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}'
        | '\u{7F}'..='\u{9F}'
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{FFFE}' | '\u{FFFF}')
}

fn feed_id(snapshot: &Snapshot) -> String {
    format!("urn:shipshape:status:{}", snapshot.page.id)
}

fn title(snapshot: &Snapshot) -> String {
    format!("{} history", snapshot.page.name)
}

/// `path` under the page: absolute when the page's URL is known.
fn url(snapshot: &Snapshot, path: &str) -> String {
    match &snapshot.page.url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

/// When the feed last changed: its newest entry, or the page.
fn updated(snapshot: &Snapshot, entries: &[Entry]) -> Timestamp {
    entries
        .iter()
        .map(|e| e.updated)
        .max()
        .map_or(snapshot.page.updated_at, |t| {
            t.max(snapshot.page.updated_at)
        })
}

fn entries(snapshot: &Snapshot) -> Vec<Entry> {
    let urn = feed_id(snapshot);
    let mut entries: Vec<Entry> = Vec::new();
    for i in &snapshot.incidents {
        let mut content = String::new();
        updates_html(&mut content, &i.updates, |s| {
            IncidentStatus::parse(s).map(IncidentStatus::label)
        });
        entries.push(Entry {
            id: format!("{urn}:incident:{}", i.id),
            title: i.name.clone(),
            link: url(snapshot, &format!("/incidents/{}", i.id)),
            published: i.created_at,
            updated: i.updated_at,
            content,
        });
    }
    for m in &snapshot.maintenances {
        let mut content = format!(
            "<p><strong>{}</strong>: scheduled from {} until {}</p>",
            html(m.status.label()),
            display_time(m.scheduled_for),
            display_time(m.scheduled_until)
        );
        updates_html(&mut content, &m.updates, |s| {
            MaintenanceStatus::parse(s).map(MaintenanceStatus::label)
        });
        entries.push(Entry {
            id: format!("{urn}:maintenance:{}", m.id),
            title: format!("Maintenance: {}", m.name),
            link: url(snapshot, &format!("/maintenance/{}", m.id)),
            published: m.created_at,
            updated: m.updated_at,
            content,
        });
    }
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then(b.id.cmp(&a.id)));
    entries
}

/// The updates, newest first, one paragraph each: when, the status it set
/// and the message, line breaks kept.
fn updates_html(
    out: &mut String,
    updates: &[Update],
    label: impl Fn(&str) -> Option<&'static str>,
) {
    for u in updates {
        let status = label(&u.status).map_or_else(|| u.status.clone(), str::to_owned);
        let body = html(u.body.replace("\r\n", "\n").trim()).replace('\n', "<br>");
        let _ = write!(
            out,
            "<p><small>{}</small><br><strong>{}</strong> - {}</p>",
            display_time(u.at),
            html(&status),
            body
        );
    }
}

/// Text for the HTML inside an entry (escaped again for XML when written).
fn html(text: &str) -> String {
    escape(text)
}

fn display_time(at: Timestamp) -> String {
    at.strftime("%b %-d, %Y %H:%M UTC").to_string()
}

fn atom_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn rss_time(at: Timestamp) -> String {
    at.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}
