//! Server-rendered charts as inline SVG, so pages need no JavaScript: the
//! latency chart (p50 and p95 over time, optionally with marked stretches
//! such as would-be incidents), the sparkline of the monitors list, the
//! 90-day availability bar, and the readiness score history. Each has a
//! text alternative (an SVG `<title>`/`<desc>`, a `<title>` per point or
//! cell, and a data table), and none relies on colour alone. Built with
//! maud, so every label is escaped. Meant to be reused by the status page.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use maud::{Markup, html};
use shipshape_store::{DayAvailability, SeriesPoint, Uptime};

/// Width and height of the latency chart's coordinate system.
const CHART_W: f64 = 720.0;
const CHART_H: f64 = 220.0;
/// Margins of the plot area: room for the axis labels.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;

/// Width and height of a sparkline.
const SPARK_W: f64 = 120.0;
const SPARK_H: f64 = 28.0;

/// Width of one availability cell and the gap after it.
const CELL_W: f64 = 8.0;
const CELL_GAP: f64 = 2.0;
const BAR_H: f64 = 34.0;

/// How one UTC day of the availability bar is coloured (and named, for
/// those who cannot tell the colours apart: every cell has a tooltip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayGrade {
    /// At least 99.9 % of checks passed.
    Good,
    /// At least 99 %.
    Minor,
    /// At least 95 %.
    Major,
    /// Below 95 %.
    Bad,
    /// No checks that day.
    NoData,
}

impl DayGrade {
    /// The grade of a day's checks.
    pub(crate) fn of(uptime: Uptime) -> DayGrade {
        match uptime.ratio() {
            None => DayGrade::NoData,
            Some(r) if r >= 0.999 => DayGrade::Good,
            Some(r) if r >= 0.99 => DayGrade::Minor,
            Some(r) if r >= 0.95 => DayGrade::Major,
            Some(_) => DayGrade::Bad,
        }
    }

    /// The CSS class suffix: `day-good`, …, `day-none`.
    fn class(self) -> &'static str {
        match self {
            DayGrade::Good => "day-good",
            DayGrade::Minor => "day-minor",
            DayGrade::Major => "day-major",
            DayGrade::Bad => "day-bad",
            DayGrade::NoData => "day-none",
        }
    }

    fn fill(self) -> &'static str {
        match self {
            DayGrade::Good => "#1f883d",
            DayGrade::Minor => "#bf8700",
            DayGrade::Major => "#e16f24",
            DayGrade::Bad => "#cf222e",
            DayGrade::NoData => "#ffffff",
        }
    }

    fn legend(self) -> &'static str {
        match self {
            DayGrade::Good => "≥ 99.9 %",
            DayGrade::Minor => "≥ 99 %",
            DayGrade::Major => "≥ 95 %",
            DayGrade::Bad => "< 95 %",
            DayGrade::NoData => "no data",
        }
    }
}

/// A passing fraction as a percentage that never rounds up to 100 %:
/// `99.999 %` of checks is shown as `99.99%`, only all of them as `100%`.
pub(crate) fn percent(ratio: f64) -> String {
    if ratio >= 1.0 {
        return "100%".to_owned();
    }
    format!("{:.2}%", (ratio * 10_000.0).floor() / 100.0)
}

/// A latency for people: `0 ms`, `87 ms`, `1.24 s`, `12.5 s`.
pub(crate) fn latency_label(ms: f64) -> String {
    if ms < 10.0 && ms.fract() != 0.0 {
        format!("{ms:.1} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 10_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else {
        format!("{:.1} s", ms / 1_000.0)
    }
}

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1_000.0)
}

/// What one point's tooltip and table row say.
fn point_summary(point: &SeriesPoint) -> String {
    let mut text = String::new();
    match (ms(point.p50), ms(point.p95)) {
        (Some(p50), Some(p95)) => {
            let _ = write!(
                text,
                "p50 {}, p95 {}",
                latency_label(p50),
                latency_label(p95)
            );
        }
        _ => text.push_str("no passing check"),
    }
    let _ = write!(text, "; {} check(s)", point.uptime.checks);
    if point.uptime.failures > 0 {
        let _ = write!(text, ", {} failed", point.uptime.failures);
    }
    text
}

/// Round numbers for an axis from 0 to at least `max` (and at least 4, as
/// latencies are whole milliseconds): `(top, step)`.
fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max.is_finite() { max.max(4.0) } else { 4.0 };
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// Time ticks (UTC-aligned) between `from` and `to`, about six of them,
/// each with its label.
fn time_ticks(from: Timestamp, to: Timestamp) -> Vec<(Timestamp, String)> {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let span = (to.as_millisecond() - from.as_millisecond()).max(1);
    let step = [
        HOUR,
        2 * HOUR,
        3 * HOUR,
        4 * HOUR,
        6 * HOUR,
        12 * HOUR,
        DAY,
        2 * DAY,
        7 * DAY,
        14 * DAY,
        30 * DAY,
    ]
    .into_iter()
    .find(|step| span / step <= 7)
    .unwrap_or(30 * DAY);
    let format = if step < DAY { "%H:%M" } else { "%b %-d" };
    let mut at = from.as_millisecond().div_euclid(step) * step + step;
    let mut ticks = Vec::new();
    while at < to.as_millisecond() {
        if let Ok(time) = Timestamp::from_millisecond(at) {
            ticks.push((time, time.strftime(format).to_string()));
        }
        at += step;
    }
    ticks
}

/// A stretch of time marked on a chart: a shaded band with a line at its
/// start, and `label` as its tooltip (e.g. when a backtest's incident
/// would have been open).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    /// Where it starts.
    pub from: Timestamp,
    /// Where it ends.
    pub to: Timestamp,
    /// What it means, one line.
    pub label: String,
}

/// The latency chart: p50 (solid) and p95 (dashed) of each period between
/// `from` and `to`, periods `width` long; a gap where a period had no
/// passing check; a red tick under periods with failures. `id` must be
/// unique on the page (it ties the SVG to its title and description).
/// Followed by a collapsible table of the same numbers.
/// `markers` are shaded behind the lines (at least 2 px wide, so a short
/// one stays visible), counted in the description and named in the legend
/// when there are any.
pub(crate) fn latency_chart(
    id: &str,
    points: &[SeriesPoint],
    from: Timestamp,
    to: Timestamp,
    width: Duration,
    markers: &[Marker],
) -> Markup {
    let span_ms = (to.as_millisecond() - from.as_millisecond()).max(1) as f64;
    let half = SignedDuration::try_from(width / 2).unwrap_or(SignedDuration::ZERO);
    let plot_w = CHART_W - LEFT - RIGHT;
    let plot_h = CHART_H - TOP - BOTTOM;
    let x_of = |t: Timestamp| {
        let offset = (t.as_millisecond() - from.as_millisecond()) as f64;
        LEFT + (offset / span_ms).clamp(0.0, 1.0) * plot_w
    };
    let max = points
        .iter()
        .filter_map(|p| ms(p.p95))
        .fold(0.0f64, f64::max);
    let (top, step) = nice_axis(max * 1.05);
    let y_of = |v: f64| TOP + plot_h - (v / top).clamp(0.0, 1.0) * plot_h;
    let centre = |p: &SeriesPoint| p.start.saturating_add(half).unwrap_or(p.start);
    // Consecutive periods join; a missing period (or one where nothing
    // passed) breaks the line.
    let gap_ms = i64::try_from(width.as_millis())
        .unwrap_or(i64::MAX)
        .saturating_mul(3)
        / 2;
    let segments = |pick: fn(&SeriesPoint) -> Option<Duration>| -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut last: Option<Timestamp> = None;
        for point in points {
            let Some(value) = ms(pick(point)) else {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                last = None;
                continue;
            };
            if let Some(last) = last
                && point.start.as_millisecond() - last.as_millisecond() > gap_ms
                && !line.is_empty()
            {
                lines.push(std::mem::take(&mut line));
            }
            let _ = write!(
                line,
                "{}{:.1},{:.1}",
                if line.is_empty() { "" } else { " " },
                x_of(centre(point)),
                y_of(value)
            );
            last = Some(point.start);
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    };
    let p50_lines = segments(|p| p.p50);
    let p95_lines = segments(|p| p.p95);
    let checks: u64 = points.iter().map(|p| p.uptime.checks).sum();
    let failures: u64 = points.iter().map(|p| p.uptime.failures).sum();
    let p50_max = points
        .iter()
        .filter_map(|p| ms(p.p50))
        .fold(0.0f64, f64::max);
    let description = format!(
        "{} period(s) from {} to {}; {checks} check(s), {failures} failed; highest p50 {}, highest p95 {}.",
        points.len(),
        super::when(from),
        super::when(to),
        latency_label(p50_max),
        latency_label(max),
    );
    let description = if markers.is_empty() {
        description
    } else {
        format!(
            "{description} {} marked stretch(es): {}.",
            markers.len(),
            markers
                .iter()
                .map(|m| m.label.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let y_ticks: Vec<f64> = (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= top + step / 2.0)
        .collect();
    html! {
        figure class="chart" {
            svg class="chart" viewBox={ "0 0 " (CHART_W) " " (CHART_H) } role="img"
                aria-labelledby={ (id) "-title " (id) "-desc" } {
                title id={ (id) "-title" } { "Latency p50 and p95" }
                desc id={ (id) "-desc" } { (description) }
                g class="grid" stroke="#d0d7de" stroke-width="1" {
                    @for v in &y_ticks {
                        line x1=(LEFT) x2=(CHART_W - RIGHT) y1=(y_of(*v)) y2=(y_of(*v)) {}
                    }
                }
                g class="y-labels" font-size="11" fill="#57606a" text-anchor="end" {
                    @for v in &y_ticks {
                        text x=(LEFT - 6.0) y=(y_of(*v) + 4.0) { (latency_label(*v)) }
                    }
                }
                g class="x-labels" font-size="11" fill="#57606a" text-anchor="middle" {
                    @for (at, label) in time_ticks(from, to) {
                        line x1=(x_of(at)) x2=(x_of(at)) y1=(TOP + plot_h) y2=(TOP + plot_h + 4.0) stroke="#8c959f" {}
                        text x=(x_of(at)) y=(CHART_H - 8.0) { (label) }
                    }
                }
                @if !markers.is_empty() {
                    g class="markers" {
                        @for marker in markers {
                            @let x = x_of(marker.from);
                            g class="marker" {
                                title { (marker.label) }
                                rect x=(x) y=(TOP) width=((x_of(marker.to) - x).max(2.0)) height=(plot_h)
                                    fill="#cf222e" fill-opacity="0.12" {}
                                line x1=(x) x2=(x) y1=(TOP) y2=(TOP + plot_h) stroke="#cf222e"
                                    stroke-width="1.5" stroke-dasharray="2 2" {}
                            }
                        }
                    }
                }
                g class="failures" fill="#cf222e" {
                    @for point in points.iter().filter(|p| p.uptime.failures > 0) {
                        rect class="failure-mark" x=(x_of(centre(point)) - 1.5) y=(TOP + plot_h - 6.0) width="3" height="6" {
                            title { (super::when(point.start)) ": " (point.uptime.failures) " of " (point.uptime.checks) " check(s) failed" }
                        }
                    }
                }
                g class="p95" fill="none" stroke="#8250df" stroke-width="1.5" stroke-dasharray="5 3" {
                    @for line in &p95_lines { polyline points=(line) {} }
                }
                g class="p50" fill="none" stroke="#0b5cad" stroke-width="2" {
                    @for line in &p50_lines { polyline points=(line) {} }
                }
                @for point in points {
                    @if let (Some(p50), Some(p95)) = (ms(point.p50), ms(point.p95)) {
                        g class="point" {
                            title { (super::when(point.start)) ": " (point_summary(point)) }
                            circle cx=(x_of(centre(point))) cy=(y_of(p95)) r="2.5" fill="#8250df" {}
                            circle cx=(x_of(centre(point))) cy=(y_of(p50)) r="2.5" fill="#0b5cad" {}
                        }
                    }
                }
            }
            figcaption class="legend" {
                span class="key key-p50" { "p50 (median), solid" }
                span class="key key-p95" { "p95, dashed" }
                span class="key key-fail" { "red tick: some checks failed" }
                @if !markers.is_empty() {
                    span class="key key-marker" { "shaded, dotted start: a backtest incident would have been open" }
                }
            }
            details {
                summary { "Latency as a table" }
                table {
                    thead { tr {
                        th scope="col" { "Period (UTC)" } th scope="col" { "p50" } th scope="col" { "p95" }
                        th scope="col" { "Checks" } th scope="col" { "Failed" }
                    } }
                    tbody {
                        @for point in points {
                            tr {
                                td { (super::when(point.start)) }
                                td { (ms(point.p50).map_or_else(|| "—".to_owned(), latency_label)) }
                                td { (ms(point.p95).map_or_else(|| "—".to_owned(), latency_label)) }
                                td { (point.uptime.checks) }
                                td { (point.uptime.failures) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A small p50 line of `points` between `from` and `to`, with red dots on
/// periods that had failures; its accessible name summarises it. `what`
/// names the series, e.g. `api/health`.
pub(crate) fn sparkline(
    what: &str,
    points: &[SeriesPoint],
    from: Timestamp,
    to: Timestamp,
) -> Markup {
    let values: Vec<(Timestamp, f64)> = points
        .iter()
        .filter_map(|p| ms(p.p50).map(|v| (p.start, v)))
        .collect();
    if values.is_empty() {
        let failed = points.iter().any(|p| p.uptime.failures > 0);
        return html! {
            span class="muted sparkline-empty" {
                @if failed { "no passing check" } @else { "no data" }
            }
        };
    }
    let span_ms = (to.as_millisecond() - from.as_millisecond()).max(1) as f64;
    let x_of = |t: Timestamp| {
        let offset = (t.as_millisecond() - from.as_millisecond()) as f64;
        1.0 + (offset / span_ms).clamp(0.0, 1.0) * (SPARK_W - 2.0)
    };
    let max = values.iter().map(|(_, v)| *v).fold(0.0f64, f64::max);
    let min = values.iter().map(|(_, v)| *v).fold(f64::MAX, f64::min);
    // Scaled to its own range to show the shape, but never magnifying
    // jitter smaller than a quarter of the peak.
    let span = (max - min).max(max * 0.25).max(1.0);
    let low = max - span;
    let y_of = |v: f64| 2.0 + (1.0 - (v - low) / span) * (SPARK_H - 6.0);
    let line = values
        .iter()
        .map(|(t, v)| format!("{:.1},{:.1}", x_of(*t), y_of(*v)))
        .collect::<Vec<_>>()
        .join(" ");
    let latest = values.last().map_or(0.0, |(_, v)| *v);
    let label = format!(
        "{what}: p50 latency {} to {}, latest {}",
        latency_label(min),
        latency_label(max),
        latency_label(latest)
    );
    html! {
        svg class="sparkline" viewBox={ "0 0 " (SPARK_W) " " (SPARK_H) } role="img" aria-label=(label) {
            title { (label) }
            @if values.len() == 1 {
                circle cx=(x_of(values[0].0)) cy=(y_of(values[0].1)) r="2" fill="#0b5cad" {}
            } @else {
                polyline points=(line) fill="none" stroke="#0b5cad" stroke-width="1.5" {}
            }
            @for point in points.iter().filter(|p| p.uptime.failures > 0) {
                circle class="failure-mark" cx=(x_of(point.start)) cy=(SPARK_H - 2.0) r="1.5" fill="#cf222e" {}
            }
        }
    }
}

/// The availability bar: one cell per UTC day of `days` (oldest first),
/// coloured by the share of passing checks, with a tooltip giving the
/// figure; days without checks are outlined, not filled. Followed by a
/// legend and a table of the days that had failures.
pub(crate) fn availability_bar(id: &str, days: &[DayAvailability]) -> Markup {
    let mut total = Uptime::default();
    for day in days {
        total += day.uptime;
    }
    let with_data = days.iter().filter(|d| d.uptime.checks > 0).count();
    let imperfect: Vec<&DayAvailability> = days
        .iter()
        .filter(|d| d.uptime.failures > 0)
        .rev()
        .collect();
    let summary = match total.ratio() {
        Some(ratio) => format!(
            "{} over {} day(s): {} of {} days had checks, {} had failures.",
            percent(ratio),
            days.len(),
            with_data,
            days.len(),
            imperfect.len()
        ),
        None => format!("No checks in the last {} day(s).", days.len()),
    };
    let width = days.len() as f64 * (CELL_W + CELL_GAP) - CELL_GAP;
    html! {
        figure class="availability" {
            svg class="availability" viewBox={ "0 0 " (width.max(1.0)) " " (BAR_H) } role="img"
                aria-labelledby={ (id) "-title " (id) "-desc" } preserveAspectRatio="none" {
                title id={ (id) "-title" } { "Availability per UTC day" }
                desc id={ (id) "-desc" } { (summary) }
                @for (i, day) in days.iter().enumerate() {
                    @let grade = DayGrade::of(day.uptime);
                    rect class={ "day " (grade.class()) } x=(i as f64 * (CELL_W + CELL_GAP)) y="1"
                        width=(CELL_W) height=(BAR_H - 2.0) rx="1.5" fill=(grade.fill())
                        stroke=(if grade == DayGrade::NoData { "#8c959f" } else { "none" })
                        stroke-dasharray=(if grade == DayGrade::NoData { "2 2" } else { "none" }) {
                        title { (day_label(day)) }
                    }
                }
            }
            figcaption {
                p class="bar-ends muted" {
                    span { (days.first().map(|d| d.day.strftime("%b %-d").to_string()).unwrap_or_default()) }
                    strong { (summary) }
                    span { "today" }
                }
                p class="legend" {
                    @for grade in [DayGrade::Good, DayGrade::Minor, DayGrade::Major, DayGrade::Bad, DayGrade::NoData] {
                        span class="key" {
                            svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" {
                                rect x="0.5" y="0.5" width="9" height="9" fill=(grade.fill())
                                    stroke=(if grade == DayGrade::NoData { "#8c959f" } else { "none" })
                                    stroke-dasharray="2 1" {}
                            }
                            (grade.legend())
                        }
                    }
                }
            }
            @if !imperfect.is_empty() {
                details {
                    summary { "Days with failures (" (imperfect.len()) ")" }
                    table {
                        thead { tr { th scope="col" { "Day (UTC)" } th scope="col" { "Availability" } th scope="col" { "Failed / checks" } } }
                        tbody {
                            @for day in &imperfect {
                                tr {
                                    td { (day.day.strftime("%Y-%m-%d")) }
                                    td { (day.uptime.ratio().map(percent).unwrap_or_default()) }
                                    td { (day.uptime.failures) " / " (day.uptime.checks) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A day's tooltip: `2026-11-30: 99.93% (2 of 2880 checks failed)`.
fn day_label(day: &DayAvailability) -> String {
    let date = day.day.strftime("%Y-%m-%d");
    match day.uptime.ratio() {
        None => format!("{date}: no data"),
        Some(ratio) => format!(
            "{date}: {} ({} of {} checks failed)",
            percent(ratio),
            day.uptime.failures,
            day.uptime.checks
        ),
    }
}

/// Width and height of one row of the score history.
const SCORE_W: f64 = 360.0;
const SCORE_H: f64 = 36.0;

/// One row of [`score_history`]: a name (a practice, or "Overall") and its
/// scores, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScoreSeries {
    /// What is scored, e.g. `Backups`.
    pub name: String,
    /// `(when, satisfied, applicable)` per review, oldest first.
    pub points: Vec<(Timestamp, i64, i64)>,
}

/// `3 of 5 (60%)`, or `nothing applicable`.
pub(crate) fn score_label(satisfied: i64, applicable: i64) -> String {
    if applicable <= 0 {
        return "nothing applicable".to_owned();
    }
    let ratio = satisfied as f64 / applicable as f64;
    format!(
        "{satisfied} of {applicable} ({:.0}%)",
        (ratio * 100.0).floor()
    )
}

/// The score history: one row per series with a step chart of the share
/// of applicable items satisfied between `from` and `to` (full height is
/// all of them), each an image whose name says where it started, where it
/// is now and its range, and a `<title>` per review; then the latest
/// score as text. Followed by a collapsible table of every review.
pub(crate) fn score_history(
    id: &str,
    series: &[ScoreSeries],
    from: Timestamp,
    to: Timestamp,
) -> Markup {
    let span_ms = (to.as_millisecond() - from.as_millisecond()).max(1) as f64;
    let x_of = |t: Timestamp| {
        let offset = (t.as_millisecond() - from.as_millisecond()) as f64;
        2.0 + (offset / span_ms).clamp(0.0, 1.0) * (SCORE_W - 4.0)
    };
    let y_of = |s: i64, a: i64| {
        let ratio = if a > 0 { s as f64 / a as f64 } else { 0.0 };
        3.0 + (1.0 - ratio.clamp(0.0, 1.0)) * (SCORE_H - 6.0)
    };
    // Every review time, for the table.
    let mut times: Vec<Timestamp> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    times.sort_unstable();
    times.dedup();
    html! {
        figure class="score-history" {
            table class="score-history" aria-describedby={ (id) "-caption" } {
                thead { tr {
                    th scope="col" { "Practice" }
                    th scope="col" { "Satisfied over time (" (super::when(from)) " to now)" }
                    th scope="col" { "Latest" }
                } }
                tbody {
                    @for (i, row) in series.iter().enumerate() {
                        @let applicable: Vec<&(Timestamp, i64, i64)> = row.points.iter().filter(|p| p.2 > 0).collect();
                        tr {
                            th scope="row" { (row.name) }
                            td {
                                @if applicable.is_empty() {
                                    span class="muted" { "nothing applicable" }
                                } @else {
                                    @let label = step_label(&row.name, &applicable);
                                    @let path = step_path(&applicable, to, &x_of, &y_of);
                                    svg class="score-step" viewBox={ "0 0 " (SCORE_W) " " (SCORE_H) } role="img"
                                        aria-labelledby={ (id) "-" (i) "-title" } {
                                        title id={ (id) "-" (i) "-title" } { (label) }
                                        line x1="2" x2=(SCORE_W - 2.0) y1="3" y2="3" stroke="#d0d7de" stroke-dasharray="3 3" {}
                                        line x1="2" x2=(SCORE_W - 2.0) y1=(SCORE_H - 3.0) y2=(SCORE_H - 3.0) stroke="#d0d7de" {}
                                        path d=(path) fill="none" stroke="#0b5cad" stroke-width="2" {}
                                        @for (at, s, a) in &applicable {
                                            circle cx=(x_of(*at)) cy=(y_of(*s, *a)) r="2.5" fill="#0b5cad" {
                                                title { (super::when(*at)) ": " (score_label(*s, *a)) }
                                            }
                                        }
                                    }
                                }
                            }
                            td {
                                @if let Some((_, s, a)) = row.points.last() {
                                    (score_label(*s, *a))
                                }
                            }
                        }
                    }
                }
            }
            figcaption id={ (id) "-caption" } class="legend" {
                "Each line steps up when more of the practice's applicable items pass or are attested; "
                "the dashed line on top is all of them."
            }
            details {
                summary { "Every review as a table (" (times.len()) ")" }
                table {
                    thead { tr {
                        th scope="col" { "Reviewed (UTC)" }
                        @for row in series { th scope="col" { (row.name) } }
                    } }
                    tbody {
                        @for at in &times {
                            tr {
                                td { (super::when(*at)) }
                                @for row in series {
                                    td {
                                        @match row.points.iter().find(|p| p.0 == *at) {
                                            Some((_, s, a)) if *a > 0 => { (s) "/" (a) }
                                            Some(_) => { "n/a" }
                                            None => { "—" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A step line through `points` (each holds until the next), carried on
/// to `to`.
fn step_path(
    points: &[&(Timestamp, i64, i64)],
    to: Timestamp,
    x_of: &dyn Fn(Timestamp) -> f64,
    y_of: &dyn Fn(i64, i64) -> f64,
) -> String {
    let mut path = String::new();
    for (i, (at, s, a)) in points.iter().map(|p| **p).enumerate() {
        let (x, y) = (x_of(at), y_of(s, a));
        if i == 0 {
            let _ = write!(path, "M{x:.1},{y:.1}");
        } else {
            let _ = write!(path, " H{x:.1} V{y:.1}");
        }
    }
    let _ = write!(path, " H{:.1}", x_of(to));
    path
}

/// The accessible name of one row: first, latest, lowest and highest.
fn step_label(name: &str, points: &[&(Timestamp, i64, i64)]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return format!("{name}: no reviews");
    };
    let ratio = |p: &&(Timestamp, i64, i64)| p.1 as f64 / p.2 as f64;
    let low = points
        .iter()
        .min_by(|a, b| ratio(a).total_cmp(&ratio(b)))
        .unwrap_or(first);
    let high = points
        .iter()
        .max_by(|a, b| ratio(a).total_cmp(&ratio(b)))
        .unwrap_or(last);
    format!(
        "{name}: {} on {}, now {} ({} review(s); lowest {}, highest {})",
        score_label(first.1, first.2),
        first.0.strftime("%Y-%m-%d"),
        score_label(last.1, last.2),
        points.len(),
        score_label(low.1, low.2),
        score_label(high.1, high.2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn point(start: &str, p50: u64, p95: u64, failures: u64) -> SeriesPoint {
        SeriesPoint {
            start: at(start),
            uptime: Uptime {
                checks: 10,
                failures,
            },
            p50: Some(Duration::from_millis(p50)),
            p95: Some(Duration::from_millis(p95)),
            p99: Some(Duration::from_millis(p95)),
        }
    }

    #[test]
    fn percentages_never_round_up_to_a_hundred() {
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.99999), "99.99%");
        assert_eq!(percent(0.5), "50.00%");
        assert_eq!(percent(0.0), "0.00%");
    }

    #[test]
    fn axes_use_round_numbers() {
        assert_eq!(nice_axis(0.0), (4.0, 1.0));
        assert_eq!(nice_axis(9.0), (10.0, 2.5));
        assert_eq!(latency_label(2.5), "2.5 ms");
        assert_eq!(latency_label(1_240.0), "1.24 s");
        assert_eq!(nice_axis(340.0), (400.0, 100.0));
        assert_eq!(nice_axis(1_900.0), (2_000.0, 500.0));
        let ticks = time_ticks(at("2026-11-29T09:00:00Z"), at("2026-11-30T09:00:00Z"));
        assert_eq!(ticks.first().map(|t| t.1.as_str()), Some("12:00"));
        assert!(ticks.len() <= 7);
        let days = time_ticks(at("2026-11-23T09:00:00Z"), at("2026-11-30T09:00:00Z"));
        assert_eq!(days.first().map(|t| t.1.as_str()), Some("Nov 24"));
    }

    #[test]
    fn gaps_break_the_line() {
        let points = [
            point("2026-11-30T00:00:00Z", 100, 200, 0),
            point("2026-11-30T00:10:00Z", 110, 210, 1),
            point("2026-11-30T01:00:00Z", 120, 220, 0),
        ];
        let html = latency_chart(
            "c",
            &points,
            at("2026-11-29T09:00:00Z"),
            at("2026-11-30T09:00:00Z"),
            Duration::from_secs(600),
            &[],
        )
        .into_string();
        assert_eq!(html.matches("<polyline").count(), 4, "two segments each");
        assert_eq!(html.matches(r#"<g class="point">"#).count(), 3);
        assert_eq!(html.matches(r#"class="failure-mark""#).count(), 1);
        assert!(html.contains("p50 110 ms, p95 210 ms; 10 check(s), 1 failed"));
        assert!(!html.contains(r#"class="marker""#));
    }

    #[test]
    fn markers_are_shaded_and_described() {
        let points = [point("2026-11-30T00:00:00Z", 100, 200, 0)];
        let markers = [Marker {
            from: at("2026-11-30T00:00:00Z"),
            to: at("2026-11-30T00:00:10Z"),
            label: "would <page>".into(),
        }];
        let html = latency_chart(
            "c",
            &points,
            at("2026-11-29T09:00:00Z"),
            at("2026-11-30T09:00:00Z"),
            Duration::from_secs(600),
            &markers,
        )
        .into_string();
        assert_eq!(html.matches(r#"<g class="marker">"#).count(), 1);
        assert!(html.contains("<title>would &lt;page&gt;</title>"));
        assert!(
            html.contains(r#"width="2""#),
            "a short stretch stays visible"
        );
        assert!(html.contains("1 marked stretch(es): would &lt;page&gt;."));
    }

    #[test]
    fn availability_cells_say_their_figure() {
        let day = |d: &str, checks, failures| DayAvailability {
            day: at(d),
            uptime: Uptime { checks, failures },
        };
        let days = [
            day("2026-11-28T00:00:00Z", 0, 0),
            day("2026-11-29T00:00:00Z", 1000, 20),
            day("2026-11-30T00:00:00Z", 1000, 0),
        ];
        let html = availability_bar("a", &days).into_string();
        assert!(html.contains("2026-11-28: no data"));
        assert!(html.contains("2026-11-29: 98.00% (20 of 1000 checks failed)"));
        assert!(html.contains(r#"class="day day-none""#));
        assert!(html.contains(r#"class="day day-major""#));
        assert!(html.contains(r#"class="day day-good""#));
        assert!(html.contains("Days with failures (1)"));
    }

    #[test]
    fn an_empty_sparkline_says_so() {
        let html = sparkline(
            "a/b",
            &[],
            at("2026-11-29T09:00:00Z"),
            at("2026-11-30T09:00:00Z"),
        )
        .into_string();
        assert!(html.contains("no data"));
    }
}
