//! SVG badges: well-formed, accessible, escaped, coloured by status with
//! enough contrast.

use shipshape_status::badge::{
    BACKGROUNDS, BadgeStatus, component_badge, overall_badge, status_badge, uptime, uptime_badge,
    uptime_badge_for,
};
use shipshape_status::*;

use crate::feed::{Element, well_formed};
use crate::support;

fn svg(doc: &str) -> Element {
    let root = well_formed(doc);
    assert_eq!(root.name, "svg");
    assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
    assert_eq!(root.attr("role"), Some("img"));
    root
}

/// The texts drawn, in order.
fn texts(root: &Element) -> Vec<String> {
    root.all("g")
        .iter()
        .flat_map(|g| g.all("text"))
        .map(|t| t.text())
        .collect()
}

fn rects(root: &Element) -> Vec<Element> {
    root.all("g")
        .iter()
        .flat_map(|g| g.all("rect"))
        .cloned()
        .collect()
}

fn width(e: &Element) -> f64 {
    e.attr("width").unwrap().parse().unwrap()
}

#[test]
fn a_status_badge_says_what_it_shows() {
    let doc = status_badge("API", ComponentStatus::PartialOutage);
    let root = svg(&doc);
    assert_eq!(root.attr("aria-label"), Some("API: partial outage"));
    assert_eq!(root.one("title").text(), "API: partial outage");
    assert_eq!(texts(&root), ["API", "partial outage"]);
    let rects = rects(&root);
    assert_eq!(rects.len(), 2);
    assert_eq!(width(&rects[0]) + width(&rects[1]), width(&root));
    assert!(
        width(&rects[1]) > width(&rects[0]),
        "longer text, wider box"
    );
}

#[test]
fn every_status_has_its_own_colour_and_text() {
    let mut seen = Vec::new();
    for s in ComponentStatus::ALL {
        let b = BadgeStatus::from(s);
        assert!(!seen.contains(&(b.text(), b.colour())), "{s:?}");
        seen.push((b.text(), b.colour()));
        let root = svg(&status_badge("x", s));
        assert_eq!(rects(&root)[1].attr("fill"), Some(b.colour()));
    }
}

fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let v = u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

#[test]
fn white_text_has_enough_contrast_on_every_colour() {
    for colour in BACKGROUNDS {
        let ratio = 1.05 / (luminance(colour) + 0.05);
        assert!(ratio >= 4.5, "{colour}: {ratio:.2}");
    }
}

#[test]
fn labels_are_escaped() {
    let label = "<script>alert('x')</script> & \"q\" \u{202E}\u{1}";
    let doc = status_badge(label, ComponentStatus::Operational);
    assert!(!doc.contains("<script>"), "{doc}");
    assert!(!doc.contains('\u{202E}') && !doc.contains('\u{1}'));
    let root = svg(&doc);
    let shown = "<script>alert('x')</script> & \"q\" ";
    assert_eq!(texts(&root)[0], shown);
    assert_eq!(
        root.attr("aria-label").unwrap(),
        format!("{shown}: operational")
    );
}

#[test]
fn the_overall_badge_follows_the_indicator() {
    let snapshot = support::snapshot();
    let root = svg(&overall_badge(&snapshot));
    assert_eq!(
        root.attr("aria-label"),
        Some("Benefits status: partial outage")
    );

    let mut calm = support::snapshot();
    for c in &mut calm.components {
        c.status = ComponentStatus::Operational;
    }
    calm.incidents.retain(|i| i.status.is_resolved());
    let root = svg(&overall_badge(&calm));
    assert_eq!(
        root.attr("aria-label"),
        Some("Benefits status: maintenance")
    );
    calm.maintenances.clear();
    let root = svg(&overall_badge(&calm));
    assert_eq!(
        root.attr("aria-label"),
        Some("Benefits status: operational")
    );
}

#[test]
fn component_badges_by_id() {
    let snapshot = support::snapshot();
    let root = svg(&component_badge(&snapshot, "login").unwrap());
    assert_eq!(root.attr("aria-label"), Some("Login: maintenance"));
    assert!(component_badge(&snapshot, "nope").is_none());
    assert!(uptime_badge_for(&snapshot, "nope", 30).is_none());
}

#[test]
fn uptime_badges_round_down() {
    let label = |ratio| {
        svg(&uptime_badge("up", ratio))
            .attr("aria-label")
            .unwrap()
            .to_owned()
    };
    assert_eq!(label(Some(1.0)), "up: 100%");
    assert_eq!(label(Some(0.99999)), "up: 99.99%");
    assert_eq!(label(Some(0.9995)), "up: 99.95%");
    assert_eq!(label(Some(0.5)), "up: 50.00%");
    assert_eq!(label(Some(0.0)), "up: 0.00%");
    assert_eq!(label(None), "up: no data");
}

#[test]
fn uptime_over_the_last_days() {
    let snapshot = support::snapshot();
    let api = snapshot.component("api").unwrap();
    let last = |n: usize| &api.days[api.days.len() - n..];
    let mean = |days: &[Day]| {
        let checked: Vec<f64> = days.iter().filter_map(|d| d.uptime).collect();
        checked.iter().sum::<f64>() / checked.len() as f64
    };
    assert_eq!(uptime(api, 30), Some(mean(last(30))));
    assert_eq!(uptime(api, 1000), Some(mean(&api.days)));
    assert_eq!(uptime(api, 0), None);
    let mut unchecked = api.clone();
    for d in &mut unchecked.days {
        d.uptime = None;
    }
    assert_eq!(uptime(&unchecked, 30), None);

    let doc = uptime_badge_for(&snapshot, "api", 30).unwrap();
    let root = svg(&doc);
    let aria = root.attr("aria-label").unwrap();
    assert!(aria.starts_with("API uptime 30d: "), "{aria}");
    assert!(aria.ends_with('%'), "{aria}");
}
