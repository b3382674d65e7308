//! A sample snapshot shared by the tests: three components in two groups,
//! a resolved and an unresolved incident, maintenance in progress and
//! upcoming, 90 days of availability.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use shipshape_status::*;

/// 2026-11-30 12:00 UTC.
pub fn now() -> Timestamp {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn days(seed: u64) -> Vec<Day> {
    let today: Date = "2026-11-30".parse().unwrap();
    (0..90)
        .map(|i| {
            let date = today - jiff::Span::new().days(89 - i);
            let uptime = match (i as u64 * 31 + seed) % 17 {
                0 => Some(0.97),
                1 => None,
                _ => Some(1.0),
            };
            Day {
                date,
                uptime,
                incidents: if i == 80 { vec![1] } else { Vec::new() },
            }
        })
        .collect()
}

fn update(id: i64, status: &str, body: &str, at: Timestamp) -> Update {
    Update {
        id,
        status: status.into(),
        body: body.into(),
        at,
    }
}

/// The sample snapshot.
pub fn snapshot() -> Snapshot {
    let now = now();
    let hours = |h: i64| now - SignedDuration::from_hours(h);
    Snapshot {
        page: Page {
            id: "benefits-status".into(),
            name: "Benefits status".into(),
            url: Some("https://status.example.gov".into()),
            time_zone: "America/New_York".into(),
            updated_at: hours(1),
        },
        components: vec![
            Component {
                created_at: None,
                id: "website".into(),
                name: "Website".into(),
                group: Some("Public services".into()),
                status: ComponentStatus::Operational,
                position: 0,
                updated_at: hours(30),
                days: days(1),
            },
            Component {
                created_at: None,
                id: "api".into(),
                name: "API".into(),
                group: Some("Public services".into()),
                status: ComponentStatus::PartialOutage,
                position: 1,
                updated_at: hours(1),
                days: days(2),
            },
            Component {
                created_at: None,
                id: "login".into(),
                name: "Login".into(),
                group: None,
                status: ComponentStatus::UnderMaintenance,
                position: 2,
                updated_at: hours(2),
                days: days(3),
            },
        ],
        incidents: vec![
            Incident {
                id: 2,
                name: "Slow responses from the API".into(),
                status: IncidentStatus::Identified,
                impact: Impact::Major,
                created_at: hours(3),
                updated_at: hours(1),
                monitoring_at: None,
                resolved_at: None,
                components: vec!["api".into()],
                updates: vec![
                    update(
                        4,
                        "identified",
                        "A database replica is lagging; we are failing over.",
                        hours(1),
                    ),
                    update(
                        3,
                        "investigating",
                        "We are looking into errors from the API.",
                        hours(3),
                    ),
                ],
            },
            Incident {
                id: 1,
                name: "Website unavailable".into(),
                status: IncidentStatus::Resolved,
                impact: Impact::Critical,
                created_at: hours(24 * 10),
                updated_at: hours(24 * 10 - 2),
                monitoring_at: Some(hours(24 * 10 - 1)),
                resolved_at: Some(hours(24 * 10 - 2)),
                components: vec!["website".into()],
                updates: vec![
                    update(2, "resolved", "The website is back.", hours(24 * 10 - 2)),
                    update(
                        1,
                        "investigating",
                        "The website does not load.",
                        hours(24 * 10),
                    ),
                ],
            },
        ],
        maintenances: vec![
            Maintenance {
                id: 7,
                name: "Login provider upgrade".into(),
                status: MaintenanceStatus::InProgress,
                impact: Impact::Minor,
                scheduled_for: hours(2),
                scheduled_until: now + SignedDuration::from_hours(1),
                created_at: hours(24 * 3),
                updated_at: hours(2),
                components: vec!["login".into()],
                updates: vec![update(9, "in_progress", "Upgrade started.", hours(2))],
            },
            Maintenance {
                id: 8,
                name: "Database migration".into(),
                status: MaintenanceStatus::Scheduled,
                impact: Impact::Major,
                scheduled_for: now + SignedDuration::from_hours(48),
                scheduled_until: now + SignedDuration::from_hours(50),
                created_at: hours(5),
                updated_at: hours(5),
                components: vec!["api".into(), "website".into()],
                updates: vec![update(
                    10,
                    "scheduled",
                    "Two hours of read-only mode.",
                    hours(5),
                )],
            },
        ],
        generated_at: now,
    }
}
