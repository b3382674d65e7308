//! SVG badges for READMEs and dashboards, in the flat style of shields.io:
//! a grey label box and a coloured value box, e.g. `API | partial outage`
//! or `API uptime 30d | 99.95%`. Each is a self-contained image with
//! `role="img"`, an `aria-label` and a `<title>` saying the same thing as
//! the picture; white text on colours with a contrast ratio of at least
//! 4.5:1; all text escaped. Widths come from a per-character estimate of
//! Verdana at 11px, so no font is needed to draw them.

use std::fmt::Write;

use crate::feed::escape;
use crate::model::{Component, ComponentStatus, Impact, Snapshot};

/// What a status badge shows: a component's status, or the page's overall
/// indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeStatus {
    /// A component's status.
    Component(ComponentStatus),
    /// The page's overall indicator (see [`Snapshot::indicator`]), and
    /// whether maintenance is in progress (shown when nothing is worse).
    Overall {
        /// The worst impact on the page.
        indicator: Impact,
        /// Whether maintenance is in progress.
        maintenance: bool,
    },
}

impl From<ComponentStatus> for BadgeStatus {
    fn from(status: ComponentStatus) -> Self {
        BadgeStatus::Component(status)
    }
}

/// The label box's colour.
const LABEL: &str = "#555555";
const GREEN: &str = "#2e7d32";
const BLUE: &str = "#1f5fa8";
const AMBER: &str = "#8a5a00";
const ORANGE: &str = "#b54708";
const RED: &str = "#b42318";
const GREY: &str = "#595959";

/// Every colour a badge's text is drawn on (white text), for contrast
/// checks.
pub const BACKGROUNDS: [&str; 7] = [LABEL, GREEN, BLUE, AMBER, ORANGE, RED, GREY];

impl BadgeStatus {
    /// The value shown, e.g. `operational`, `partial outage`.
    pub fn text(self) -> &'static str {
        match self {
            BadgeStatus::Component(s) => match s {
                ComponentStatus::Operational => "operational",
                ComponentStatus::UnderMaintenance => "maintenance",
                ComponentStatus::DegradedPerformance => "degraded",
                ComponentStatus::PartialOutage => "partial outage",
                ComponentStatus::MajorOutage => "major outage",
            },
            BadgeStatus::Overall {
                indicator,
                maintenance,
            } => match indicator {
                Impact::None if maintenance => "maintenance",
                Impact::None => "operational",
                Impact::Minor => "minor outage",
                Impact::Major => "partial outage",
                Impact::Critical => "major outage",
            },
        }
    }

    /// The value box's colour.
    pub fn colour(self) -> &'static str {
        match self {
            BadgeStatus::Component(s) => match s {
                ComponentStatus::Operational => GREEN,
                ComponentStatus::UnderMaintenance => BLUE,
                ComponentStatus::DegradedPerformance => AMBER,
                ComponentStatus::PartialOutage => ORANGE,
                ComponentStatus::MajorOutage => RED,
            },
            BadgeStatus::Overall {
                indicator,
                maintenance,
            } => match indicator {
                Impact::None if maintenance => BLUE,
                Impact::None => GREEN,
                Impact::Minor => AMBER,
                Impact::Major => ORANGE,
                Impact::Critical => RED,
            },
        }
    }
}

/// A badge with `label` and a status.
pub fn status_badge(label: &str, status: impl Into<BadgeStatus>) -> String {
    let status = status.into();
    render(label, status.text(), status.colour())
}

/// A badge with `label` and an uptime ratio (`0.0..=1.0`) as a percentage
/// with two decimals, rounded down so an outage never reads `100%`; `no
/// data` for `None`. Green from 99.9%, amber from 99%, orange from 95%,
/// red below.
pub fn uptime_badge(label: &str, ratio: Option<f64>) -> String {
    let (text, colour) = match ratio {
        None => ("no data".to_owned(), GREY),
        Some(r) => {
            let r = r.clamp(0.0, 1.0);
            let colour = if r >= 0.999 {
                GREEN
            } else if r >= 0.99 {
                AMBER
            } else if r >= 0.95 {
                ORANGE
            } else {
                RED
            };
            (percent(r), colour)
        }
    };
    render(label, &text, colour)
}

/// The page's overall status, labelled with the page's name.
pub fn overall_badge(snapshot: &Snapshot) -> String {
    let (indicator, _) = snapshot.indicator();
    let maintenance = snapshot.active_maintenances().next().is_some();
    status_badge(
        &snapshot.page.name,
        BadgeStatus::Overall {
            indicator,
            maintenance,
        },
    )
}

/// A component's status, labelled with its name; `None` for an unknown id.
pub fn component_badge(snapshot: &Snapshot, id: &str) -> Option<String> {
    let c = snapshot.component(id)?;
    Some(status_badge(&c.name, c.status))
}

/// A component's uptime over its last `days` days (see [`uptime`]),
/// labelled `{name} uptime {days}d`; `None` for an unknown id.
pub fn uptime_badge_for(snapshot: &Snapshot, id: &str, days: usize) -> Option<String> {
    let c = snapshot.component(id)?;
    Some(uptime_badge(
        &format!("{} uptime {days}d", c.name),
        uptime(c, days),
    ))
}

/// A component's uptime over the last `days` days of its availability bar:
/// the mean of the days that were checked (each day counts the same);
/// `None` when none was.
pub fn uptime(component: &Component, days: usize) -> Option<f64> {
    let skip = component.days.len().saturating_sub(days);
    let checked: Vec<f64> = component.days[skip..]
        .iter()
        .filter_map(|d| d.uptime)
        .collect();
    if checked.is_empty() {
        None
    } else {
        Some(checked.iter().sum::<f64>() / checked.len() as f64)
    }
}

/// `99.95%`, rounded down; `100%` only when nothing failed.
fn percent(ratio: f64) -> String {
    if ratio >= 1.0 {
        return "100%".into();
    }
    let hundredths = ((ratio * 10_000.0).floor() as u32).min(9_999);
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

/// The estimated width in pixels of `text` in Verdana 11px.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '|' | '!' | '\'' | 'I' => 3.5,
            ' ' | 'f' | 'r' | 't' | '(' | ')' | '[' | ']' | '-' | '/' => 4.5,
            'm' | 'w' | 'M' | 'W' | '%' => 10.5,
            c if c.is_ascii_uppercase() || c.is_ascii_digit() => 7.5,
            c if c.is_ascii() => 6.5,
            // Wide scripts (CJK, emoji) take about a full em.
            c if c as u32 >= 0x1100 => 11.0,
            _ => 7.0,
        })
        .sum()
}

/// Padding each side of a text, in pixels.
const PAD: f64 = 6.0;

fn render(label: &str, value: &str, colour: &str) -> String {
    let label_width = (text_width(label) + 2.0 * PAD).ceil();
    let value_width = (text_width(value) + 2.0 * PAD).ceil();
    let width = label_width + value_width;
    let label_text = escape(label);
    let value_text = escape(value);
    let spoken = format!("{label_text}: {value_text}");
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"20\" \
         viewBox=\"0 0 {width} 20\" role=\"img\" aria-label=\"{spoken}\">\
         <title>{spoken}</title>\
         <g shape-rendering=\"crispEdges\">\
         <rect width=\"{label_width}\" height=\"20\" fill=\"{LABEL}\"/>\
         <rect x=\"{label_width}\" width=\"{value_width}\" height=\"20\" fill=\"{colour}\"/>\
         </g>\
         <g fill=\"#ffffff\" text-anchor=\"middle\" \
         font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">\
         <text x=\"{lx}\" y=\"14\">{label_text}</text>\
         <text x=\"{vx}\" y=\"14\">{value_text}</text>\
         </g></svg>",
        lx = label_width / 2.0,
        vx = label_width + value_width / 2.0,
    );
    svg
}
