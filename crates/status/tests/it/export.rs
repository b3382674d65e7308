//! The static export: every file, links that resolve, atomic replacement,
//! a large site.

use std::path::Path;
use std::time::Instant;

use jiff::{SignedDuration, Span};
use shipshape_status::export::{ExportOptions, export};
use shipshape_status::*;

use crate::support::{now, snapshot};

fn options() -> ExportOptions {
    ExportOptions {
        stale_after: SignedDuration::from_mins(15),
    }
}

/// Every `href="…"` and `src="…"` of `page`.
fn links(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (at, _) in page.match_indices(attr) {
            let rest = &page[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].replace("&amp;", "&"));
            }
        }
    }
    out
}

/// Checks that every local link of the page at `page_path` (relative to
/// `root`) resolves to a file under `root`; returns how many were checked.
fn assert_links_resolve(root: &Path, page_path: &str) -> usize {
    let page = std::fs::read_to_string(root.join(page_path)).unwrap();
    let dir = Path::new(page_path).parent().unwrap_or(Path::new(""));
    let mut checked = 0;
    for link in links(&page) {
        assert!(
            !link.starts_with('/'),
            "absolute link {link} in {page_path}"
        );
        assert!(!link.contains("://"), "external link {link} in {page_path}");
        let link = link.split(['#', '?']).next().unwrap();
        if link.is_empty() {
            continue; // a fragment of the same page
        }
        // Resolve `..` lexically, staying inside the site.
        let mut parts: Vec<String> = dir
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        for part in link.split('/') {
            match part {
                ".." => assert!(parts.pop().is_some(), "{link} leaves the site"),
                "." | "" => {}
                part => parts.push(part.to_owned()),
            }
        }
        let target = parts.join("/");
        assert!(
            root.join(&target).is_file(),
            "{page_path} links to {link}, which is missing"
        );
        checked += 1;
    }
    checked
}

#[test]
fn export_writes_a_complete_site() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let report = export(&snapshot(), &out, &options()).unwrap();

    let expected = [
        "index.html",
        "history.html",
        "style.css",
        "incidents/1.html",
        "incidents/2.html",
        "maintenance/7.html",
        "maintenance/8.html",
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "history.atom",
        "history.rss",
        "badge/status.svg",
        "badge/components/website.svg",
        "badge/uptime/api.svg",
    ];
    for file in expected {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![out.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += entry.metadata().unwrap().len();
            }
        }
    }
    assert_eq!(report.files, files);
    assert_eq!(report.bytes, bytes);

    // The JSON is the JSON API's.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("api/v2/summary.json")).unwrap()).unwrap();
    assert!(summary.is_object());

    // Nothing left next to the site.
    let siblings: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1, "staging directory left behind");

    // The static copy warns when stale and links relatively.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains(r#"data-stale-after="900""#));
    assert!(index.contains(r#"href="style.css""#));
}

#[test]
fn links_resolve_to_exported_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deep").join("prefix").join("status");
    export(&snapshot(), &out, &options()).unwrap();
    let checked = assert_links_resolve(&out, "index.html");
    assert!(checked >= 8, "only {checked} links checked");
    assert_links_resolve(&out, "history.html");
    assert_links_resolve(&out, "incidents/2.html");
    assert_links_resolve(&out, "maintenance/7.html");
}

#[test]
fn a_second_export_replaces_the_first_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    export(&snapshot(), &out, &options()).unwrap();
    // Something the new export will not write, and an incident that goes.
    std::fs::write(out.join("leftover.txt"), "old").unwrap();
    assert!(out.join("incidents/1.html").is_file());

    let mut next = snapshot();
    next.incidents.retain(|i| i.id != 1);
    next.page.name = "Renamed status".into();
    let report = export(&next, &out, &options()).unwrap();
    assert!(report.files > 0);

    assert!(!out.join("leftover.txt").exists(), "old copy not replaced");
    assert!(!out.join("incidents/1.html").exists());
    assert!(out.join("incidents/2.html").is_file());
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("Renamed status"));
    let siblings: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1, "previous copy or staging left behind");
}

#[test]
fn a_failed_export_keeps_the_previous_copy() {
    let dir = tempfile::tempdir().unwrap();
    // `out` has no name to stage next to: rejected before anything is
    // touched.
    assert!(export(&snapshot(), Path::new("/"), &options()).is_err());

    let out = dir.path().join("site");
    export(&snapshot(), &out, &options()).unwrap();
    let before = std::fs::read_to_string(out.join("index.html")).unwrap();
    // The parent is a file: staging fails, the copy stays as it was.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").unwrap();
    assert!(export(&snapshot(), &blocked.join("site"), &options()).is_err());
    assert_eq!(
        std::fs::read_to_string(out.join("index.html")).unwrap(),
        before
    );
}

#[test]
fn a_large_site_exports() {
    let mut s = snapshot();
    let template = s.components[0].clone();
    let today = now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    s.components = (0..50)
        .map(|i| {
            let mut c = template.clone();
            c.id = format!("component-{i}");
            c.name = format!("Component {i}");
            c.group = (i % 3 != 0).then(|| format!("Group {}", i % 7));
            c.position = i;
            c.days = (0..400)
                .map(|d| Day {
                    date: today - Span::new().days(399 - d),
                    uptime: match (d + i64::from(i)) % 23 {
                        0 => None,
                        1 => Some(0.9),
                        _ => Some(1.0),
                    },
                    incidents: if d % 50 == 0 { vec![d] } else { Vec::new() },
                })
                .collect();
            c
        })
        .collect();
    let incident = s.incidents[0].clone();
    s.incidents = (0..200)
        .map(|i| {
            let mut incident = incident.clone();
            incident.id = 1000 + i;
            incident.created_at = now() - SignedDuration::from_hours(i * 30);
            incident.status = if i < 3 {
                IncidentStatus::Investigating
            } else {
                IncidentStatus::Resolved
            };
            incident.components = vec![format!("component-{}", i % 50)];
            incident
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let started = Instant::now();
    let report = export(&s, &out, &options()).unwrap();
    println!(
        "exported 50 components × 400 days, 200 incidents: {} files, {} bytes in {:?}",
        report.files,
        report.bytes,
        started.elapsed()
    );
    assert!(out.join("incidents/1199.html").is_file());
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    // The bar shows the newest 90 days only.
    assert_eq!(index.matches("<rect ").count(), 50 * 90);
    assert_links_resolve(&out, "index.html");
}
