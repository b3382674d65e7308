//! The rendered page: sections, statuses, landmarks, heading order, text
//! alternatives of the availability bar, hostile strings, size.

use jiff::SignedDuration;
use shipshape_status::html::{self, Links};
use shipshape_status::*;

use crate::support::{now, snapshot};

fn live() -> Links {
    Links::live("")
}

/// The levels of the headings in `page`, in order.
fn headings(page: &str) -> Vec<u8> {
    let bytes = page.as_bytes();
    (0..bytes.len().saturating_sub(2))
        .filter(|&i| {
            bytes[i] == b'<' && bytes[i + 1] == b'h' && (b'1'..=b'6').contains(&bytes[i + 2])
        })
        .filter(|&i| matches!(bytes.get(i + 3), Some(b'>' | b' ')))
        .map(|i| bytes[i + 2] - b'0')
        .collect()
}

/// Landmarks, `lang`, one `<h1>` first and no skipped heading level.
fn assert_accessible_shell(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"), "doctype");
    assert!(page.contains("<html lang=\"en\">"), "lang");
    for landmark in ["<header", "<main", "<footer", "<nav"] {
        assert_eq!(page.matches(landmark).count(), 1, "one {landmark}");
    }
    let levels = headings(page);
    assert_eq!(levels.iter().filter(|l| **l == 1).count(), 1, "{levels:?}");
    assert_eq!(levels.first(), Some(&1), "{levels:?}");
    for pair in levels.windows(2) {
        assert!(pair[1] <= pair[0] + 1, "heading skips a level: {levels:?}");
    }
}

/// The raw tags of `page` (maud escapes every `<` of text, so each `<` in
/// the output starts a real tag).
fn tags(page: &str) -> Vec<&str> {
    page.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .collect()
}

#[test]
fn main_page_has_every_section_and_status() {
    let page = html::page(&snapshot(), &live());
    for text in [
        "Benefits status",
        "Partial System Outage",
        "Active incidents",
        "Slow responses from the API",
        "A database replica is lagging; we are failing over.",
        "Maintenance in progress",
        "Login provider upgrade",
        "Upcoming maintenance",
        "Database migration",
        "Components",
        "Public services",
        "Website",
        "Login",
        "Operational",
        "Partial outage",
        "Under maintenance",
        "Past incidents",
        "Website unavailable",
        "No incidents reported.",
        "Full incident history",
        "Generated at",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
    // The indicator: a symbol and words, not colour alone.
    assert!(page.contains(r#"<p class="indicator ind-major"><span aria-hidden="true">◆</span> Partial System Outage</p>"#));
    // Links on the live site.
    for href in [
        r#"href="/incidents/2""#,
        r#"href="/incidents/1""#,
        r#"href="/maintenance/7""#,
        r#"href="/history""#,
        r#"href="/history.atom""#,
        r#"href="/history.rss""#,
        r#"href="/api/v2/summary.json""#,
        r#"href="/style.css""#,
    ] {
        assert!(page.contains(href), "missing {href}");
    }
    // Times in the page's zone and UTC, machine-readable.
    assert!(page.contains(
        r#"<time datetime="2026-11-30T12:00:00Z">Nov 30, 2026, 07:00 EST (12:00 UTC)</time>"#
    ));
    // The live page needs no script.
    assert!(!page.contains("<script"));
    assert!(!page.contains("id=\"stale\""));
}

#[test]
fn pages_are_accessible() {
    let s = snapshot();
    assert_accessible_shell(&html::page(&s, &live()));
    assert_accessible_shell(&html::history_page(&s, &live()));
    assert_accessible_shell(&html::incident_page(&s, 2, &live()).unwrap());
    assert_accessible_shell(&html::maintenance_page(&s, 8, &live()).unwrap());
    let static_copy = Links::static_copy(SignedDuration::from_mins(15));
    assert_accessible_shell(&html::page(&s, &static_copy));
}

#[test]
fn every_bar_cell_has_a_text_alternative() {
    let s = snapshot();
    let page = html::page(&s, &live());
    let cells: Vec<&str> = page.split("<rect ").skip(1).collect();
    assert_eq!(cells.len(), 3 * 90);
    for cell in &cells {
        let title = cell
            .split_once("><title>")
            .and_then(|(_, rest)| rest.split_once("</title></rect>"))
            .map(|(title, _)| title)
            .unwrap_or_else(|| panic!("cell without a title: {cell:.80}"));
        assert!(title.len() > "2026-11-21: ".len(), "{title}");
        assert!(
            title.starts_with("2026-") || title.starts_with("2025-"),
            "{title}"
        );
    }
    // Day 80 of the sample (2026-11-21): incident 1, every check passed.
    assert!(page.contains("<title>2026-11-21: 100% uptime, 1 incident</title>"));
    assert!(page.contains(": no data</title>"));
    assert!(page.contains(": 97.00% uptime</title>"));
    // Overall uptime per component, as text.
    assert_eq!(
        page.matches("% uptime</span><span>Today</span>").count(),
        3,
        "uptime per component"
    );
}

#[test]
fn incident_and_maintenance_pages_show_their_timeline() {
    let s = snapshot();
    let page = html::incident_page(&s, 2, &live()).unwrap();
    assert!(page.contains("<h1><bdi>Slow responses from the API</bdi></h1>"));
    assert!(page.contains(r#"<ol class="timeline">"#));
    let identified = page.find("A database replica is lagging").unwrap();
    let investigating = page
        .find("We are looking into errors from the API.")
        .unwrap();
    assert!(identified < investigating, "newest first");
    assert!(page.contains(r#"<span class="lbl">Identified</span>"#));
    assert!(page.contains(r#"<span class="lbl">Investigating</span>"#));
    assert!(page.contains("Affects <bdi>API</bdi>"));
    assert!(page.contains("<title>Slow responses from the API · Benefits status</title>"));

    let page = html::incident_page(&s, 1, &live()).unwrap();
    assert!(page.contains("Resolved"));
    assert!(page.contains("The website is back."));

    let page = html::maintenance_page(&s, 8, &live()).unwrap();
    assert!(page.contains("Database migration"));
    assert!(page.contains("Two hours of read-only mode."));
    assert!(page.contains("Affects <bdi>API</bdi>, <bdi>Website</bdi>"));
    assert!(page.contains("Scheduled <time"));

    assert!(html::incident_page(&s, 999, &live()).is_none());
    assert!(html::maintenance_page(&s, 999, &live()).is_none());
}

#[test]
fn history_lists_every_incident_by_month() {
    let page = html::history_page(&snapshot(), &live());
    assert!(page.contains("<h1>Incident history</h1>"));
    assert!(page.contains("<h2>November 2026</h2>"));
    assert!(page.contains(r#"<a href="/incidents/2">"#));
    assert!(page.contains(r#"<a href="/incidents/1">"#));
    assert!(page.contains(r#"<a href="/maintenance/7">"#));
    assert!(page.contains(r#"aria-current="page">Incident history"#));
}

#[test]
fn messages_keep_their_line_breaks() {
    let mut s = snapshot();
    s.incidents[0].updates[0].body = "First line\nsecond line\r\n\r\nNew paragraph".into();
    let page = html::incident_page(&s, 2, &live()).unwrap();
    assert!(
        page.contains("<p><bdi>First line<br>second line</bdi></p><p><bdi>New paragraph</bdi></p>"),
        "{page}"
    );
}

#[test]
fn links_under_a_prefix_and_in_a_static_copy() {
    let s = snapshot();
    let page = html::page(&s, &Links::live("/status/"));
    assert!(page.contains(r#"href="/status/incidents/2""#));
    assert!(page.contains(r#"href="/status/style.css""#));

    let links = Links::static_copy(SignedDuration::from_mins(15));
    let page = html::page(&s, &links);
    assert!(page.contains(r#"href="incidents/2.html""#));
    assert!(page.contains(r#"href="history.html""#));
    assert!(page.contains(r#"href="style.css""#));
    assert!(page.contains(r#"href="api/v2/summary.json""#));
    // The stale notice: hidden until the script shows it.
    assert!(page.contains(r#"data-generated-at="2026-11-30T12:00:00Z""#));
    assert!(page.contains(r#"data-stale-after="900""#));
    assert!(page.contains("and may be out of date."));
    assert_eq!(page.matches("<script>").count(), 1);

    let page = html::incident_page(&s, 2, &links).unwrap();
    assert!(page.contains(r#"href="../index.html""#));
    assert!(page.contains(r#"href="../style.css""#));
    assert!(page.contains(r#"href="../history.rss""#));
}

#[test]
fn times_fall_back_to_utc_for_an_unknown_zone() {
    let mut s = snapshot();
    s.page.time_zone = "Not/AZone".into();
    let page = html::page(&s, &live());
    assert!(
        page.contains(r#"<time datetime="2026-11-30T12:00:00Z">Nov 30, 2026, 12:00 UTC</time>"#)
    );
}

#[test]
fn hostile_strings_render_inert() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "\"><img src=x onerror=alert(1)>";
    const RTL: &str = "\u{202E}gpj.exe";
    let hostile = format!("{SCRIPT}{IMG}{RTL}");
    let mut s = snapshot();
    s.page.name = hostile.clone();
    for c in &mut s.components {
        c.name = hostile.clone();
        c.group = c.group.as_ref().map(|_| hostile.clone());
    }
    for i in &mut s.incidents {
        i.name = hostile.clone();
        for u in &mut i.updates {
            u.body = format!("{hostile}\n{hostile}");
            u.status = hostile.clone();
        }
    }
    for m in &mut s.maintenances {
        m.name = hostile.clone();
        m.components.push(hostile.clone());
        for u in &mut m.updates {
            u.body = hostile.clone();
        }
    }
    let static_copy = Links::static_copy(SignedDuration::from_mins(15));
    let pages = [
        (html::page(&s, &live()), 0),
        (html::page(&s, &static_copy), 1),
        (html::history_page(&s, &live()), 0),
        (html::incident_page(&s, 2, &live()).unwrap(), 0),
        (html::maintenance_page(&s, 8, &static_copy).unwrap(), 1),
    ];
    for (page, scripts) in &pages {
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        let tags = tags(page);
        assert_eq!(
            tags.iter().filter(|t| t.starts_with("script")).count(),
            *scripts,
            "only our own script"
        );
        for tag in &tags {
            assert!(!tag.starts_with("img"), "raw <img>: {tag}");
            // Attribute values are quoted (and their quotes escaped), so
            // what is left outside the quotes are the attribute names.
            let names: String = tag.split('"').step_by(2).collect();
            assert!(!names.contains("onerror"), "event handler in a tag: {tag}");
        }
        // Every bidi override stays inside a <bdi>.
        for (at, _) in page.match_indices('\u{202E}') {
            let before = &page[..at];
            let open = before.rfind("<bdi>").expect("override outside <bdi>");
            assert!(
                before.rfind("</bdi>").is_none_or(|close| close < open),
                "override outside <bdi>"
            );
        }
    }
}

/// `n` components in four groups, a few incidents.
fn big_snapshot(n: usize) -> Snapshot {
    let mut s = snapshot();
    let template = s.components.clone();
    s.components = (0..n)
        .map(|i| {
            let mut c = template[i % template.len()].clone();
            c.id = format!("component-{i}");
            c.name = format!("Component number {i}");
            c.group = (i % 5 != 0).then(|| format!("Group {}", i % 4));
            c.position = i as u32;
            c
        })
        .collect();
    let extra: Vec<Incident> = (10..16)
        .map(|id| {
            let mut incident = s.incidents[0].clone();
            incident.id = id;
            incident.created_at = now() - SignedDuration::from_hours(id * 20);
            incident
        })
        .collect();
    s.incidents.extend(extra);
    s
}

#[test]
fn twenty_components_stay_small() {
    let s = big_snapshot(20);
    let page = html::page(&s, &live());
    // flate2 is not in the workspace, so the raw size stands in for the
    // 50 KB gzip budget (the bar cells are highly repetitive).
    println!("main page, 20 components: {} bytes raw", page.len());
    assert!(page.len() <= 250 * 1024, "{} bytes", page.len());
    assert_eq!(page.matches("<rect ").count(), 20 * 90);
    assert_accessible_shell(&page);
}

#[test]
fn the_stylesheet_has_no_external_assets() {
    assert!(!html::STYLESHEET.contains("url("));
    assert!(!html::STYLESHEET.contains("@import"));
    assert!(html::STYLESHEET.contains("system-ui"));
}

#[test]
fn a_bar_lists_its_troubled_days_for_hover_and_keyboard_focus() {
    let snapshot = crate::support::snapshot();
    let page =
        shipshape_status::html::page(&snapshot, &shipshape_status::html::Links::live("/status"));
    assert!(page.contains(r#"class="bar-wrap" tabindex="0""#));
    assert!(page.contains(r#"class="trouble""#));
    assert!(page.contains("97.00% uptime"), "a day below 100% is listed");
    assert!(
        page.contains("1 incident"),
        "a day with an incident is listed"
    );
}
