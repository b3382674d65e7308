//! Measures the status page's static export and the weight of its main
//! page, against the status page issue's targets (export < 1 s; main page
//! ≤ 50 KB gzipped with 20 components).
//!
//! 1. **Export**: a seeded, deterministic snapshot far above a normal page —
//!    50 components (in 7 groups) × 400 days of availability, 200 public
//!    incidents of 3 updates each, 6 maintenances — is exported with
//!    [`export`] to a temporary directory: one untimed export creates the
//!    copy, then 7 timed exports each replace it as the publisher does
//!    (build beside it, swap in, remove the old copy). Prints the median,
//!    min and max wall time, the files and the bytes, and the time to
//!    render the same files in memory only (rendering vs file system).
//! 2. **Page weight**: a realistic page — 20 components in 4 groups with
//!    90 days of availability, 9 incidents over those 90 days (one still
//!    open), one maintenance in progress, one upcoming, one completed — has
//!    its main page rendered as the live server does
//!    (`html::page` with `Links::live("/status")`) and its Statuspage
//!    `summary.json` serialised as served (compact), and prints each one's
//!    raw and gzip size (flate2, default level 6, as a web server or
//!    reverse proxy would compress it), plus the stylesheet's for scale.
//!
//! ```text
//! cargo run --release -p shipshape-status --example export_bench [-- DIR]
//! ```
//!
//! `DIR` is where the temporary export directory is made (default: the
//! system's temporary directory); e.g. `/dev/shm` to leave the disk out.

use std::io::Write as _;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::civil::Date;
use jiff::{SignedDuration, Span, Timestamp};
use shipshape_status::export::{ExportOptions, export};
use shipshape_status::html::{self, Links};
use shipshape_status::*;

/// How many timed exports.
const RUNS: usize = 7;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    export_bench()?;
    println!();
    page_weight();
    Ok(())
}

// ---------------------------------------------------------------- export

fn export_bench() -> Result<(), Box<dyn std::error::Error>> {
    let snapshot = large_snapshot();
    let updates: usize = snapshot.incidents.iter().map(|i| i.updates.len()).sum();
    println!(
        "export: {} components × {} days, {} incidents ({} updates), {} maintenances",
        snapshot.components.len(),
        snapshot.components[0].days.len(),
        snapshot.incidents.len(),
        updates,
        snapshot.maintenances.len(),
    );

    // Optional first argument: the directory to export under (default:
    // the system's temporary directory), e.g. `/dev/shm` for tmpfs.
    let dir = match std::env::args_os().nth(1) {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let out = dir.path().join("site");
    let options = ExportOptions::default();
    // The first export creates the copy; the timed ones replace it.
    let first = export(&snapshot, &out, &options)?;
    let mut times = Vec::with_capacity(RUNS);
    let mut report = first;
    for _ in 0..RUNS {
        let started = Instant::now();
        report = export(&snapshot, &out, &options)?;
        times.push(started.elapsed());
    }
    assert_eq!(report, first, "exports of one snapshot differ");
    let in_order: Vec<String> = times.iter().map(|t| ms(*t)).collect();
    times.sort();
    println!(
        "  export to {} ({RUNS} runs, each replacing the previous copy):",
        dir.path().display()
    );
    println!(
        "  wall median {} (min {}, max {})",
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1]),
    );
    println!("  runs in order: {}", in_order.join(", "));
    println!(
        "  {} files, {} bytes ({:.1} MiB)",
        report.files,
        report.bytes,
        report.bytes as f64 / (1024.0 * 1024.0)
    );
    // The same content rendered in memory only, to tell rendering from
    // file system work (the disk is shared with other jobs).
    let mut render = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let (files, bytes) = render_site(&snapshot, &options);
        render.push(started.elapsed());
        assert_eq!((files, bytes), (report.files, report.bytes));
    }
    render.sort();
    println!(
        "  rendering alone (in memory, same files): median {} (min {}, max {})",
        ms(render[RUNS / 2]),
        ms(render[0]),
        ms(render[RUNS - 1]),
    );
    let index = std::fs::metadata(out.join("index.html"))?.len();
    let history = std::fs::metadata(out.join("history.html"))?.len();
    println!("  index.html {index} bytes, history.html {history} bytes");
    let target = Duration::from_secs(1);
    println!(
        "  target < 1 s: {}",
        if times[RUNS / 2] < target {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

/// Renders every file the export writes, without writing: `(files, bytes)`.
fn render_site(snapshot: &Snapshot, options: &ExportOptions) -> (usize, u64) {
    let links = Links::static_copy(options.stale_after);
    let mut bodies: Vec<Vec<u8>> = vec![
        html::page(snapshot, &links).into_bytes(),
        html::history_page(snapshot, &links).into_bytes(),
        html::STYLESHEET.as_bytes().to_vec(),
        feed::atom(snapshot).into_bytes(),
        feed::rss(snapshot).into_bytes(),
        badge::overall_badge(snapshot).into_bytes(),
    ];
    for incident in &snapshot.incidents {
        bodies.extend(html::incident_page(snapshot, incident.id, &links).map(String::into_bytes));
    }
    for m in &snapshot.maintenances {
        bodies.extend(html::maintenance_page(snapshot, m.id, &links).map(String::into_bytes));
    }
    for (_, render) in json::ENDPOINTS {
        bodies.push(serde_json::to_vec(&render(snapshot)).expect("JSON serialises"));
    }
    for c in &snapshot.components {
        bodies.extend(badge::component_badge(snapshot, &c.id).map(String::into_bytes));
        bodies.extend(badge::uptime_badge_for(snapshot, &c.id, 90).map(String::into_bytes));
    }
    (bodies.len(), bodies.iter().map(|b| b.len() as u64).sum())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

// ----------------------------------------------------------- page weight

fn page_weight() {
    let snapshot = realistic_snapshot();
    let updates: usize = snapshot.incidents.iter().map(|i| i.updates.len()).sum();
    println!(
        "main page: {} components × {} days, {} incidents ({} open, {} updates), {} maintenances",
        snapshot.components.len(),
        snapshot.components[0].days.len(),
        snapshot.incidents.len(),
        snapshot.unresolved().count(),
        updates,
        snapshot.maintenances.len(),
    );
    let links = Links::live("/status");
    let page = html::page(&snapshot, &links);
    let mut render = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let again = html::page(&snapshot, &links);
        render.push(started.elapsed());
        assert_eq!(again, page);
    }
    render.sort();
    let summary = serde_json::to_vec(&json::summary(&snapshot)).expect("summary serialises");

    println!("  {:<34} {:>18} {:>18}", "", "raw", "gzip");
    for (name, body) in [
        ("/status (html::page, live links)", page.as_bytes()),
        ("/api/v2/summary.json (compact)", summary.as_slice()),
        ("/status/style.css", html::STYLESHEET.as_bytes()),
    ] {
        println!(
            "  {name:<34} {:>18} {:>18}",
            kb(body.len()),
            kb(gzip(body).len())
        );
    }
    println!(
        "  render of the main page: median {} (min {}, max {}, {RUNS} runs)",
        ms(render[RUNS / 2]),
        ms(render[0]),
        ms(render[RUNS - 1]),
    );
    let gz = gzip(page.as_bytes()).len();
    println!(
        "  target main page ≤ 50 KB gzip: {}",
        if gz <= 50 * 1000 { "met" } else { "NOT met" }
    );
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(body).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

fn kb(bytes: usize) -> String {
    format!("{bytes} B ({:.1} KB)", bytes as f64 / 1000.0)
}

// ------------------------------------------------------------- snapshots

/// SplitMix64: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// 2026-11-29 12:00 UTC.
fn now() -> Timestamp {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

fn today() -> Date {
    "2026-11-29".parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// A day's share of passing checks as a 1-minute monitor would give it:
/// mostly all passing, sometimes a few failed checks, rarely a bad day.
fn uptime(rng: &mut Rng) -> Option<f64> {
    let roll = rng.unit();
    if roll < 0.01 {
        None
    } else if roll < 0.85 {
        Some(1.0)
    } else if roll < 0.96 {
        // 1–3 failed checks of 1,440.
        Some(1.0 - (1 + rng.below(3)) as f64 / 1440.0)
    } else if roll < 0.99 {
        Some(1.0 - (5 + rng.below(60)) as f64 / 1440.0)
    } else {
        Some(1.0 - (60 + rng.below(400)) as f64 / 1440.0)
    }
}

const GROUPS: [&str; 7] = [
    "Public website",
    "Applications",
    "Identity",
    "Payments",
    "Partner APIs",
    "Notifications",
    "Internal tools",
];

const NAMES: [&str; 10] = [
    "Website",
    "Search",
    "Sign-in",
    "Document upload",
    "Payments API",
    "Case status",
    "Email delivery",
    "SMS delivery",
    "Reports",
    "Scheduling",
];

const TITLES: [&str; 8] = [
    "Elevated error rates",
    "Slow page loads",
    "Sign-in failures for some users",
    "Delayed email notifications",
    "Document uploads failing",
    "Payments not confirming",
    "Search results out of date",
    "Intermittent timeouts",
];

const BODIES: [&str; 6] = [
    "We are investigating reports of errors for some users. We will post an update within 30 minutes.",
    "We have identified the cause: a database replica fell behind after a configuration change, and requests routed to it timed out. We are moving traffic to healthy replicas.",
    "A fix has been deployed and error rates are back to normal. We are monitoring the service closely.",
    "This incident has been resolved. Requests made during the incident may need to be retried; no data was lost.",
    "Our upstream provider is experiencing an outage that affects message delivery. Messages are queued and will be sent once the provider recovers.",
    "Response times are higher than usual during peak hours.\n\nWe are adding capacity and will update this page when the work is complete.",
];

fn update(id: i64, status: &str, body: &str, at: Timestamp) -> Update {
    Update {
        id,
        status: status.into(),
        body: body.into(),
        at,
    }
}

fn components(rng: &mut Rng, count: u32, groups: usize, days: i64) -> Vec<Component> {
    let today = today();
    (0..count)
        .map(|i| {
            let name = format!(
                "{} {}",
                NAMES[i as usize % NAMES.len()],
                i / NAMES.len() as u32 + 1
            );
            Component {
                created_at: None,
                id: slug(&name),
                name,
                group: Some(GROUPS[i as usize % groups].to_owned()),
                status: ComponentStatus::Operational,
                position: i,
                updated_at: now() - hours(24 * (1 + rng.below(30) as i64)),
                days: (0..days)
                    .map(|d| Day {
                        date: today - Span::new().days(days - 1 - d),
                        uptime: uptime(rng),
                        incidents: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// An incident `created_hours_ago`, with `n` updates (newest first);
/// resolved unless `open`. Marks the affected components' days.
fn incident(
    rng: &mut Rng,
    id: i64,
    created_hours_ago: i64,
    n: usize,
    open: bool,
    components: &mut [Component],
) -> Incident {
    let created_at = now() - hours(created_hours_ago);
    let affected = 1 + rng.below(2) as usize;
    let mut ids = Vec::new();
    for _ in 0..affected {
        let c = rng.below(components.len() as u64) as usize;
        let component = &mut components[c];
        if !ids.contains(&component.id) {
            ids.push(component.id.clone());
        }
        let date = created_at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        if let Some(day) = component.days.iter_mut().find(|d| d.date == date) {
            day.incidents.push(id);
        }
    }
    let statuses: &[&str] = if open {
        &["investigating", "identified", "monitoring"]
    } else {
        &["investigating", "identified", "monitoring", "resolved"]
    };
    let n = n.min(statuses.len());
    // Spread the updates over up to three hours; the last one sets the
    // status (resolved ones end on `resolved`).
    let chosen: Vec<&str> = if open {
        statuses[..n].to_vec()
    } else {
        let mut s = statuses[..n - 1].to_vec();
        s.push("resolved");
        s
    };
    let mut updates: Vec<Update> = chosen
        .iter()
        .enumerate()
        .map(|(k, status)| {
            let at = created_at + SignedDuration::from_mins(k as i64 * (20 + rng.below(40) as i64));
            let body = match *status {
                "investigating" => BODIES[0],
                "identified" => rng.pick(&[BODIES[1], BODIES[4], BODIES[5]]),
                "monitoring" => BODIES[2],
                _ => BODIES[3],
            };
            update(id * 10 + k as i64, status, body, at)
        })
        .collect();
    let last = updates.last().unwrap().at;
    let status = IncidentStatus::parse(chosen[chosen.len() - 1]).unwrap();
    updates.reverse();
    Incident {
        id,
        name: rng.pick(&TITLES).to_owned(),
        status,
        impact: [
            Impact::Minor,
            Impact::Minor,
            Impact::Major,
            Impact::Critical,
        ][rng.below(4) as usize],
        created_at,
        updated_at: last,
        monitoring_at: chosen
            .iter()
            .position(|s| *s == "monitoring")
            .map(|k| updates[updates.len() - 1 - k].at),
        resolved_at: (!open).then_some(last),
        components: ids,
        updates,
    }
}

fn maintenance(
    id: i64,
    name: &str,
    status: MaintenanceStatus,
    starts_in_hours: i64,
    components: Vec<String>,
) -> Maintenance {
    let scheduled_for = now() + hours(starts_in_hours);
    let scheduled_until = scheduled_for + hours(2);
    let created_at = scheduled_for - hours(24 * 5);
    let mut updates = vec![update(
        id * 10,
        "scheduled",
        "We will upgrade the database cluster. The service will be read-only for up to two hours; no action is needed from you.",
        created_at,
    )];
    if status != MaintenanceStatus::Scheduled {
        updates.push(update(
            id * 10 + 1,
            "in_progress",
            "The maintenance has started.",
            scheduled_for,
        ));
    }
    if status == MaintenanceStatus::Completed {
        updates.push(update(
            id * 10 + 2,
            "completed",
            "The maintenance is complete.",
            scheduled_until,
        ));
    }
    let updated_at = updates.last().unwrap().at;
    updates.reverse();
    Maintenance {
        id,
        name: name.into(),
        status,
        impact: Impact::Minor,
        scheduled_for,
        scheduled_until,
        created_at,
        updated_at,
        components,
        updates,
    }
}

fn page() -> Page {
    Page {
        id: "benefits-status".into(),
        name: "Benefits status".into(),
        url: Some("https://status.example.gov".into()),
        time_zone: "America/New_York".into(),
        updated_at: now() - hours(1),
    }
}

/// 50 components × 400 days, 200 incidents of 3 updates (the newest three
/// open), 6 maintenances.
fn large_snapshot() -> Snapshot {
    let mut rng = Rng(0x5eed_0001);
    let mut components = components(&mut rng, 50, GROUPS.len(), 400);
    let incidents: Vec<Incident> = (0..200)
        .map(|i| {
            let ago = 2 + i * 46 + rng.below(20) as i64;
            incident(&mut rng, 2000 - i, ago, 3, i < 3, &mut components)
        })
        .collect();
    let ids = |a: usize, b: usize| vec![components[a].id.clone(), components[b].id.clone()];
    let maintenances = vec![
        maintenance(
            1,
            "Database upgrade",
            MaintenanceStatus::InProgress,
            -1,
            ids(0, 1),
        ),
        maintenance(
            2,
            "Network changes",
            MaintenanceStatus::Scheduled,
            48,
            ids(2, 3),
        ),
        maintenance(
            3,
            "Storage migration",
            MaintenanceStatus::Scheduled,
            24 * 7,
            ids(4, 5),
        ),
        maintenance(
            4,
            "Certificate rotation",
            MaintenanceStatus::Completed,
            -24 * 3,
            ids(6, 7),
        ),
        maintenance(
            5,
            "Kernel updates",
            MaintenanceStatus::Completed,
            -24 * 10,
            ids(8, 9),
        ),
        maintenance(
            6,
            "Search reindex",
            MaintenanceStatus::Completed,
            -24 * 20,
            ids(10, 11),
        ),
    ];
    for m in &maintenances {
        if m.status == MaintenanceStatus::InProgress {
            for c in components
                .iter_mut()
                .filter(|c| m.components.contains(&c.id))
            {
                c.status = ComponentStatus::UnderMaintenance;
            }
        }
    }
    finish(components, incidents, maintenances)
}

/// 20 components in 4 groups × 90 days; 9 incidents over the 90 days (the
/// newest open, with 2 updates; the others resolved with 2–4 updates);
/// a maintenance in progress, one upcoming, one completed.
fn realistic_snapshot() -> Snapshot {
    let mut rng = Rng(0x5eed_0002);
    let mut components = components(&mut rng, 20, 4, 90);
    let ago = [3, 30, 100, 260, 500, 800, 1200, 1600, 2000];
    let incidents: Vec<Incident> = ago
        .iter()
        .enumerate()
        .map(|(i, &h)| {
            let n = if i == 0 { 2 } else { 2 + rng.below(3) as usize };
            incident(&mut rng, 40 - i as i64, h, n, i == 0, &mut components)
        })
        .collect();
    if let Some(c) = components
        .iter_mut()
        .find(|c| c.id == incidents[0].components[0])
    {
        c.status = ComponentStatus::PartialOutage;
    }
    let ids = |a: usize| vec![components[a].id.clone()];
    let maintenances = vec![
        maintenance(
            7,
            "Sign-in provider upgrade",
            MaintenanceStatus::InProgress,
            -1,
            ids(2),
        ),
        maintenance(
            8,
            "Database migration",
            MaintenanceStatus::Scheduled,
            48,
            ids(4),
        ),
        maintenance(
            6,
            "Certificate rotation",
            MaintenanceStatus::Completed,
            -24 * 4,
            ids(0),
        ),
    ];
    components[2].status = ComponentStatus::UnderMaintenance;
    finish(components, incidents, maintenances)
}

fn finish(
    components: Vec<Component>,
    incidents: Vec<Incident>,
    mut maintenances: Vec<Maintenance>,
) -> Snapshot {
    maintenances.sort_by_key(|m| m.scheduled_for);
    Snapshot {
        page: page(),
        components,
        incidents,
        maintenances,
        generated_at: now(),
    }
}
