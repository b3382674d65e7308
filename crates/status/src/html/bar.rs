//! The availability bar: one inline-SVG cell per UTC day, coloured by grade
//! and each with a `<title>` (tooltip and text alternative) saying what the
//! colour means, plus the component's uptime over the bar as text.

use std::fmt::Write as _;

use maud::{Markup, PreEscaped, html};

use crate::model::{Component, Day};

/// How many days the bar shows (the newest ones).
pub(crate) const BAR_DAYS: usize = 90;

/// Width of one cell and the gap after it, in SVG units.
const CELL_W: usize = 8;
const CELL_STEP: usize = 10;
const BAR_H: usize = 34;

/// A day's grade: its CSS class and the legend's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grade {
    /// At least 99.9 % of checks passed.
    Good,
    /// At least 99 %.
    Minor,
    /// At least 95 %.
    Major,
    /// Below 95 %.
    Bad,
    /// Nothing was checked.
    NoData,
}

impl Grade {
    pub(crate) const ALL: [Grade; 5] = [
        Grade::Good,
        Grade::Minor,
        Grade::Major,
        Grade::Bad,
        Grade::NoData,
    ];

    fn of(uptime: Option<f64>) -> Grade {
        match uptime {
            None => Grade::NoData,
            Some(r) if r.is_nan() => Grade::NoData,
            Some(r) if r >= 0.999 => Grade::Good,
            Some(r) if r >= 0.99 => Grade::Minor,
            Some(r) if r >= 0.95 => Grade::Major,
            Some(_) => Grade::Bad,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Grade::Good => "d0",
            Grade::Minor => "d1",
            Grade::Major => "d2",
            Grade::Bad => "d3",
            Grade::NoData => "dn",
        }
    }

    pub(crate) fn key_class(self) -> &'static str {
        match self {
            Grade::Good => "key k0",
            Grade::Minor => "key k1",
            Grade::Major => "key k2",
            Grade::Bad => "key k3",
            Grade::NoData => "key kn",
        }
    }

    pub(crate) fn legend(self) -> &'static str {
        match self {
            Grade::Good => "≥ 99.9% uptime",
            Grade::Minor => "≥ 99%",
            Grade::Major => "≥ 95%",
            Grade::Bad => "< 95%",
            Grade::NoData => "no data",
        }
    }
}

/// A passing share as a percentage that never rounds up to 100 %: only all
/// checks passing reads `100%`.
pub(crate) fn percent(ratio: f64) -> String {
    if ratio >= 1.0 {
        return "100%".to_owned();
    }
    let ratio = ratio.max(0.0);
    format!("{:.2}%", (ratio * 10_000.0).floor() / 100.0)
}

/// The days the bar shows: the newest [`BAR_DAYS`].
pub(crate) fn shown(component: &Component) -> &[Day] {
    let days = &component.days;
    &days[days.len().saturating_sub(BAR_DAYS)..]
}

/// The mean uptime of the days with data, if any.
pub(crate) fn uptime(days: &[Day]) -> Option<f64> {
    let (sum, n) = days
        .iter()
        .filter_map(|d| d.uptime.filter(|u| !u.is_nan()))
        .fold((0.0, 0usize), |(s, n), u| (s + u.clamp(0.0, 1.0), n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// What one cell says: `2026-11-21: 99.97% uptime, 1 incident`.
pub(crate) fn day_label(day: &Day) -> String {
    let mut text = day.date.to_string();
    match day.uptime.filter(|u| !u.is_nan()) {
        Some(u) => {
            let _ = write!(text, ": {} uptime", percent(u));
        }
        None => text.push_str(": no data"),
    }
    match day.incidents.len() {
        0 => {}
        1 => text.push_str(", 1 incident"),
        n => {
            let _ = write!(text, ", {n} incidents");
        }
    }
    text
}

/// The bar for `component`, with the uptime over it as text.
pub(crate) fn bar(component: &Component) -> Markup {
    let days = shown(component);
    // Right-aligned: today is always the last cell, even with fewer days.
    let offset = BAR_DAYS.saturating_sub(days.len());
    let width = BAR_DAYS * CELL_STEP - (CELL_STEP - CELL_W);
    // Built by hand: 90 cells per component is most of the page, so every
    // byte counts. Only dates, numbers and fixed words go in; the label is
    // escaped anyway.
    let mut cells = String::with_capacity(days.len() * 90);
    for (i, day) in days.iter().enumerate() {
        let grade = Grade::of(day.uptime);
        let _ = write!(
            cells,
            r#"<rect x="{}" width="{CELL_W}" height="{BAR_H}" class="{}"><title>"#,
            (offset + i) * CELL_STEP,
            grade.class()
        );
        maud::Escaper::new(&mut cells)
            .write_str(&day_label(day))
            .ok();
        cells.push_str("</title></rect>");
    }
    let total = match uptime(days) {
        Some(u) => format!("{} uptime", percent(u)),
        None => "No data".to_owned(),
    };
    // Days worth a look: below 100% or with an incident. They show when
    // the bar is hovered or focused (keyboard users tab to it), so the
    // details are not reachable by mouse alone.
    let trouble: Vec<String> = days
        .iter()
        .filter(|d| d.uptime.is_some_and(|u| u < 1.0) || !d.incidents.is_empty())
        .map(day_label)
        .collect();
    html! {
        div class="bar-wrap" tabindex="0" {
            svg class="bar" viewBox={ "0 0 " (width) " " (BAR_H) } preserveAspectRatio="none"
                aria-label={ "Availability per day (UTC), last " (days.len()) " days" } role="group" {
                (PreEscaped(cells))
            }
            div class="trouble" {
                @if trouble.is_empty() {
                    p { "No day below 100% and no incidents in this period." }
                } @else {
                    ul { @for label in &trouble { li { (label) } } }
                }
            }
        }
        p class="ends" {
            span { (days.len()) " days ago" }
            span { (total) }
            span { "Today" }
        }
    }
}
