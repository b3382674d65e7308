//! The public status page, server-rendered with maud and usable without
//! JavaScript: the main page ([`page`]), one page per incident
//! ([`incident_page`]) and per maintenance ([`maintenance_page`]), the
//! incident history ([`history_page`]) and their stylesheet
//! ([`STYLESHEET`]).
//!
//! Every string from the snapshot is HTML-escaped (maud) and shown inside
//! `<bdi>`, so hostile titles and messages render as inert text and
//! bidirectional overrides cannot spill into the rest of the page. Status
//! is always a word and a symbol, never colour alone; times are shown in
//! the page's time zone and UTC, in `<time datetime>`.
//!
//! The live server and the static exporter share these functions; only
//! [`Links`] differs.

mod bar;
mod layout;
mod pages;
mod style;

use jiff::SignedDuration;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::{Markup, html};

use crate::model::{ComponentStatus, Impact, IncidentStatus, MaintenanceStatus, Snapshot};

pub use style::STYLESHEET;

/// Where the pages' links point, and how the page is being published.
///
/// On the live site (`static_copy: false`) links are paths under `base`
/// (`""` when the page is at the host's root, or a prefix such as
/// `"/status"`, no trailing slash): `{base}/`, `{base}/history`,
/// `{base}/incidents/{id}`, `{base}/maintenance/{id}`,
/// `{base}/history.atom`, `{base}/history.rss`,
/// `{base}/api/v2/summary.json`; the server routes those.
///
/// In a static copy (`static_copy: true`) links are file names relative to
/// the page itself, so the site works under any path prefix: `index.html`,
/// `history.html`, `incidents/{id}.html`, `maintenance/{id}.html`,
/// `history.atom`, `history.rss`, `api/v2/summary.json` (pages in a
/// subdirectory prefix them with `../`). A non-empty `base` (ending in
/// `/`, e.g. an absolute URL) replaces that relative prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The prefix of every link (see above).
    pub base: String,
    /// The stylesheet's address: used as is on the live site; in a static
    /// copy a path relative to the site's root (`style.css`), resolved like
    /// every other link.
    pub css: String,
    /// In a static copy, how old the page may get before a small inline
    /// script warns readers that it may be out of date; `None` for no
    /// warning (the live site).
    pub stale_after: Option<SignedDuration>,
    /// Whether links are to the files of a static copy.
    pub static_copy: bool,
}

impl Links {
    /// Links for the live site mounted at `base` (`""` or e.g. `/status`),
    /// with the stylesheet at `{base}/style.css`.
    pub fn live(base: impl Into<String>) -> Links {
        let base = base.into().trim_end_matches('/').to_owned();
        Links {
            css: format!("{base}/style.css"),
            base,
            stale_after: None,
            static_copy: false,
        }
    }

    /// Links for a static copy (relative, stylesheet at `style.css`) that
    /// warns readers once it is older than `stale_after`.
    pub fn static_copy(stale_after: SignedDuration) -> Links {
        Links {
            base: String::new(),
            css: "style.css".into(),
            stale_after: Some(stale_after),
            static_copy: true,
        }
    }

    /// `target`'s address from a page `depth` directories below the site's
    /// root.
    fn href(&self, target: Target, depth: usize) -> String {
        if !self.static_copy {
            let path = match target {
                Target::Home => "/".to_owned(),
                Target::History => "/history".to_owned(),
                Target::Incident(id) => format!("/incidents/{id}"),
                Target::Maintenance(id) => format!("/maintenance/{id}"),
                Target::Atom => "/history.atom".to_owned(),
                Target::Rss => "/history.rss".to_owned(),
                Target::Summary => "/api/v2/summary.json".to_owned(),
                Target::Css => return self.css.clone(),
            };
            return format!("{}{path}", self.base);
        }
        let file = match target {
            Target::Home => "index.html".to_owned(),
            Target::History => "history.html".to_owned(),
            Target::Incident(id) => incident_file(id),
            Target::Maintenance(id) => maintenance_file(id),
            Target::Atom => "history.atom".to_owned(),
            Target::Rss => "history.rss".to_owned(),
            Target::Summary => "api/v2/summary.json".to_owned(),
            // An absolute stylesheet address is kept as it is.
            Target::Css if self.css.starts_with('/') || self.css.contains("://") => {
                return self.css.clone();
            }
            Target::Css => self.css.clone(),
        };
        if self.base.is_empty() {
            format!("{}{file}", "../".repeat(depth))
        } else {
            format!("{}{file}", self.base)
        }
    }
}

/// Where an incident's page is in a static copy, from the site's root.
pub(crate) fn incident_file(id: i64) -> String {
    format!("incidents/{id}.html")
}

/// Where a maintenance's page is in a static copy, from the site's root.
pub(crate) fn maintenance_file(id: i64) -> String {
    format!("maintenance/{id}.html")
}

/// What a link points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Home,
    History,
    Incident(i64),
    Maintenance(i64),
    Atom,
    Rss,
    Summary,
    Css,
}

/// The main page: overall indicator, active incidents, maintenance in
/// progress and upcoming, components with their 90-day availability, the
/// last 14 days of incidents.
pub fn page(snapshot: &Snapshot, links: &Links) -> String {
    let cx = Cx::new(snapshot, links, 0);
    pages::main(&cx).into_string()
}

/// The page of incident `id` with its whole timeline; `None` if the
/// snapshot has no such incident.
pub fn incident_page(snapshot: &Snapshot, id: i64, links: &Links) -> Option<String> {
    let incident = snapshot.incidents.iter().find(|i| i.id == id)?;
    let cx = Cx::new(snapshot, links, 1);
    Some(pages::incident(&cx, incident).into_string())
}

/// The page of maintenance `id` with its window and updates; `None` if the
/// snapshot has no such maintenance.
pub fn maintenance_page(snapshot: &Snapshot, id: i64, links: &Links) -> Option<String> {
    let maintenance = snapshot.maintenances.iter().find(|m| m.id == id)?;
    let cx = Cx::new(snapshot, links, 1);
    Some(pages::maintenance(&cx, maintenance).into_string())
}

/// Every incident and maintenance in the snapshot, by month, newest first.
pub fn history_page(snapshot: &Snapshot, links: &Links) -> String {
    let cx = Cx::new(snapshot, links, 0);
    pages::history(&cx).into_string()
}

/// What a page is rendered with.
struct Cx<'a> {
    snapshot: &'a Snapshot,
    links: &'a Links,
    /// How many directories below the site's root the page is.
    depth: usize,
    /// The page's time zone (UTC if unknown).
    tz: TimeZone,
}

impl<'a> Cx<'a> {
    fn new(snapshot: &'a Snapshot, links: &'a Links, depth: usize) -> Cx<'a> {
        let tz = TimeZone::get(&snapshot.page.time_zone).unwrap_or(TimeZone::UTC);
        Cx {
            snapshot,
            links,
            depth,
            tz,
        }
    }

    fn href(&self, target: Target) -> String {
        self.links.href(target, self.depth)
    }

    fn is_utc(&self) -> bool {
        self.tz == TimeZone::UTC || matches!(self.tz.iana_name(), Some("UTC" | "Etc/UTC"))
    }

    /// `at` as `Nov 30, 2026, 06:00 EST (11:00 UTC)` in a `<time>`.
    fn time(&self, at: Timestamp) -> Markup {
        let local = at.to_zoned_datetime(self.tz.clone());
        let utc = at.to_zoned_datetime(TimeZone::UTC);
        let text = if self.is_utc() {
            utc.strftime("%b %-d, %Y, %H:%M UTC").to_string()
        } else if local.date() == utc.date() {
            format!(
                "{} ({} UTC)",
                local.strftime("%b %-d, %Y, %H:%M %Z"),
                utc.strftime("%H:%M")
            )
        } else {
            format!(
                "{} ({} UTC)",
                local.strftime("%b %-d, %Y, %H:%M %Z"),
                utc.strftime("%b %-d, %H:%M")
            )
        };
        html! { time datetime=(at.to_string()) { (text) } }
    }

    /// The local calendar day of `at`.
    fn local_date(&self, at: Timestamp) -> jiff::civil::Date {
        at.to_zoned_datetime(self.tz.clone()).date()
    }
}

/// Text from the snapshot for attributes and `<title>`, where `<bdi>`
/// cannot contain it: without bidirectional embedding, override and
/// isolate controls.
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// Text from the snapshot inside `<bdi>`, so its direction stays its own.
fn user(text: &str) -> Markup {
    html! { bdi { (text) } }
}

/// A message: paragraphs at blank lines, line breaks kept.
fn message(body: &str) -> Markup {
    let body = body.replace("\r\n", "\n");
    html! {
        div class="body" {
            @for para in body.split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.trim().is_empty()) {
                p { bdi {
                    @for (i, line) in para.split('\n').enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                } }
            }
        }
    }
}

/// A component status as symbol and word.
fn component_status(status: ComponentStatus) -> Markup {
    let symbol = match status {
        ComponentStatus::Operational => "✓",
        ComponentStatus::UnderMaintenance => "◐",
        ComponentStatus::DegradedPerformance => "▲",
        ComponentStatus::PartialOutage => "◆",
        ComponentStatus::MajorOutage => "✕",
    };
    html! {
        span class={ "st st-" (status.as_str()) } {
            span aria-hidden="true" { (symbol) } " " (status.label())
        }
    }
}

/// An impact's symbol and word.
fn impact_parts(impact: Impact) -> (&'static str, &'static str) {
    match impact {
        Impact::None => ("✓", "None"),
        Impact::Minor => ("▲", "Minor"),
        Impact::Major => ("◆", "Major"),
        Impact::Critical => ("✕", "Critical"),
    }
}

/// An update's status for people, whichever kind it is.
fn update_label(status: &str) -> String {
    if let Some(s) = IncidentStatus::parse(status) {
        s.label().to_owned()
    } else if let Some(s) = MaintenanceStatus::parse(status) {
        s.label().to_owned()
    } else {
        plain(status)
    }
}
