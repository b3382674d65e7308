//! What the public status page knows: a [`Snapshot`] of the page, its
//! components with their status and 90 days of availability, the incidents
//! posted for the public (with their updates) and planned maintenance.
//! Built by the binary from the catalog and the store; rendered as HTML,
//! Statuspage-compatible JSON, feeds and badges by the rest of this crate.
//!
//! Only public data enters a snapshot: component names (never monitor
//! names or URLs), and what responders wrote for the public.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A component's status, with Statuspage's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// `operational`.
    Operational,
    /// `under_maintenance`.
    UnderMaintenance,
    /// `degraded_performance`.
    DegradedPerformance,
    /// `partial_outage`.
    PartialOutage,
    /// `major_outage`.
    MajorOutage,
}

impl ComponentStatus {
    /// Every status, from best to worst.
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Operational,
        ComponentStatus::UnderMaintenance,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
    ];

    /// Statuspage's name: `operational`, `degraded_performance`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    /// Parses a name produced by [`ComponentStatus::as_str`].
    pub fn parse(name: &str) -> Option<ComponentStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// For people: `Operational`, `Degraded performance`, …
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::UnderMaintenance => "Under maintenance",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }
}

/// An incident's impact, and the page's overall indicator (Statuspage's
/// `none`, `minor`, `major`, `critical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// `none`.
    None,
    /// `minor`.
    Minor,
    /// `major`.
    Major,
    /// `critical`.
    Critical,
}

impl Impact {
    /// Every impact, from least to worst.
    pub const ALL: [Impact; 4] = [Impact::None, Impact::Minor, Impact::Major, Impact::Critical];

    /// Statuspage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// Parses a name produced by [`Impact::as_str`].
    pub fn parse(name: &str) -> Option<Impact> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Where an incident stands, with Statuspage's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// `investigating`.
    Investigating,
    /// `identified`.
    Identified,
    /// `monitoring`.
    Monitoring,
    /// `resolved`.
    Resolved,
    /// `postmortem`.
    Postmortem,
}

impl IncidentStatus {
    /// Every status, in the order an incident moves through them.
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
        IncidentStatus::Postmortem,
    ];

    /// Statuspage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Postmortem => "postmortem",
        }
    }

    /// Parses a name produced by [`IncidentStatus::as_str`].
    pub fn parse(name: &str) -> Option<IncidentStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// For people: `Investigating`, …
    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Identified => "Identified",
            IncidentStatus::Monitoring => "Monitoring",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Postmortem => "Postmortem",
        }
    }

    /// Whether the incident is over.
    pub fn is_resolved(self) -> bool {
        matches!(self, IncidentStatus::Resolved | IncidentStatus::Postmortem)
    }
}

/// Where a planned maintenance stands, with Statuspage's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStatus {
    /// `scheduled`: announced, not started.
    Scheduled,
    /// `in_progress`.
    InProgress,
    /// `verifying`.
    Verifying,
    /// `completed`.
    Completed,
}

impl MaintenanceStatus {
    /// Statuspage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "scheduled",
            MaintenanceStatus::InProgress => "in_progress",
            MaintenanceStatus::Verifying => "verifying",
            MaintenanceStatus::Completed => "completed",
        }
    }

    /// Parses a name produced by [`MaintenanceStatus::as_str`].
    pub fn parse(name: &str) -> Option<MaintenanceStatus> {
        [
            MaintenanceStatus::Scheduled,
            MaintenanceStatus::InProgress,
            MaintenanceStatus::Verifying,
            MaintenanceStatus::Completed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// For people: `Scheduled`, `In progress`, …
    pub fn label(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "Scheduled",
            MaintenanceStatus::InProgress => "In progress",
            MaintenanceStatus::Verifying => "Verifying",
            MaintenanceStatus::Completed => "Completed",
        }
    }
}

/// The page itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// A stable id (a slug of the title).
    pub id: String,
    /// The title, e.g. "Benefits status".
    pub name: String,
    /// Where the page is published (absolute, no trailing slash), if known.
    pub url: Option<String>,
    /// The IANA zone times are shown in (default `UTC`).
    pub time_zone: String,
    /// When anything on it last changed.
    pub updated_at: Timestamp,
}

/// One day of a component's availability bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// The day (in UTC).
    pub date: Date,
    /// Share of passing checks of the component's monitors, `0.0..=1.0`;
    /// `None` when nothing was checked.
    pub uptime: Option<f64>,
    /// Ids of public incidents that touched the component that day.
    pub incidents: Vec<i64>,
}

/// A component shown on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// A stable id (a slug of the name; see [`slug`]).
    pub id: String,
    /// The name shown.
    pub name: String,
    /// The group it is shown under, if any.
    pub group: Option<String>,
    /// Its status now.
    pub status: ComponentStatus,
    /// Its order on the page (0 first).
    pub position: u32,
    /// When its status last changed.
    pub updated_at: Timestamp,
    /// When it was first watched (its oldest monitor's registration), if
    /// known.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// The availability bar, oldest day first (normally 90 days).
    pub days: Vec<Day>,
}

/// One update of an incident or a maintenance, as posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// Its id.
    pub id: i64,
    /// The status it set: an [`IncidentStatus`] or [`MaintenanceStatus`] name.
    pub status: String,
    /// The message, plain text (rendered escaped, line breaks kept).
    pub body: String,
    /// When it was posted.
    pub at: Timestamp,
}

/// An incident posted for the public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: i64,
    /// The title.
    pub name: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// How bad it is.
    pub impact: Impact,
    /// When it was posted.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When it entered `monitoring`, if it did.
    pub monitoring_at: Option<Timestamp>,
    /// When it was resolved, if it was.
    pub resolved_at: Option<Timestamp>,
    /// Ids of the components it affects.
    pub components: Vec<String>,
    /// Its updates, newest first.
    pub updates: Vec<Update>,
}

/// Planned maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {
    /// Its id.
    pub id: i64,
    /// The title.
    pub name: String,
    /// Where it stands.
    pub status: MaintenanceStatus,
    /// Its expected impact.
    pub impact: Impact,
    /// When it starts.
    pub scheduled_for: Timestamp,
    /// When it ends.
    pub scheduled_until: Timestamp,
    /// When it was announced.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Ids of the components it affects.
    pub components: Vec<String>,
    /// Its updates, newest first.
    pub updates: Vec<Update>,
}

/// Everything the public page shows at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The page.
    pub page: Page,
    /// Its components, in page order.
    pub components: Vec<Component>,
    /// Public incidents, newest first (the page's history; bounded by the
    /// builder).
    pub incidents: Vec<Incident>,
    /// Planned maintenance, soonest first (upcoming, in progress and recent).
    pub maintenances: Vec<Maintenance>,
    /// When the snapshot was taken.
    pub generated_at: Timestamp,
}

/// What a component's monitors say, as the status page needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorHealth {
    /// No verdict yet.
    Unknown,
    /// Passing.
    Up,
    /// Failing from fewer locations than the quorum.
    Degraded,
    /// Failing.
    Down,
    /// Paused by an operator (ignored).
    Paused,
}

/// A component's status from its monitors: an operator's override wins;
/// then maintenance; then every monitor down is a major outage, some down a
/// partial outage, any degraded (failing from some locations) degraded
/// performance; no verdict is operational.
pub fn derive_status(
    monitors: &[MonitorHealth],
    in_maintenance: bool,
    manual: Option<ComponentStatus>,
) -> ComponentStatus {
    if let Some(status) = manual {
        return status;
    }
    if in_maintenance {
        return ComponentStatus::UnderMaintenance;
    }
    let judged: Vec<MonitorHealth> = monitors
        .iter()
        .copied()
        .filter(|h| !matches!(h, MonitorHealth::Paused | MonitorHealth::Unknown))
        .collect();
    let down = judged.iter().filter(|h| **h == MonitorHealth::Down).count();
    if down > 0 && down == judged.len() {
        ComponentStatus::MajorOutage
    } else if down > 0 {
        ComponentStatus::PartialOutage
    } else if judged.contains(&MonitorHealth::Degraded) {
        ComponentStatus::DegradedPerformance
    } else {
        ComponentStatus::Operational
    }
}

impl Snapshot {
    /// The overall indicator and its description, as Statuspage gives
    /// them: the worst of the unresolved incidents' impacts and of the
    /// components (major outage → critical, partial → major, degraded →
    /// minor); maintenance alone reads "Service Under Maintenance" with
    /// `none`... unless something is worse.
    pub fn indicator(&self) -> (Impact, &'static str) {
        let from_components = self
            .components
            .iter()
            .map(|c| match c.status {
                ComponentStatus::MajorOutage => Impact::Critical,
                ComponentStatus::PartialOutage => Impact::Major,
                ComponentStatus::DegradedPerformance => Impact::Minor,
                _ => Impact::None,
            })
            .max()
            .unwrap_or(Impact::None);
        let from_incidents = self
            .unresolved()
            .map(|i| i.impact)
            .max()
            .unwrap_or(Impact::None);
        let worst = from_components.max(from_incidents);
        let description = match worst {
            Impact::None if self.active_maintenances().next().is_some() => {
                "Service Under Maintenance"
            }
            Impact::None => "All Systems Operational",
            Impact::Minor => "Minor Service Outage",
            Impact::Major => "Partial System Outage",
            Impact::Critical => "Major Service Outage",
        };
        (worst, description)
    }

    /// Incidents not yet resolved, newest first.
    pub fn unresolved(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|i| !i.status.is_resolved())
    }

    /// Maintenance in progress or verifying.
    pub fn active_maintenances(&self) -> impl Iterator<Item = &Maintenance> {
        self.maintenances.iter().filter(|m| {
            matches!(
                m.status,
                MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
            )
        })
    }

    /// Maintenance announced and not started.
    pub fn upcoming_maintenances(&self) -> impl Iterator<Item = &Maintenance> {
        self.maintenances
            .iter()
            .filter(|m| m.status == MaintenanceStatus::Scheduled)
    }

    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }
}

/// A stable id for a name: lowercase ASCII letters and digits, other runs
/// as one `-` (`"Website (EU)"` → `website-eu`); `component` if nothing
/// is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "component".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_monitors_unless_overridden() {
        use MonitorHealth::*;
        assert_eq!(
            derive_status(&[Up, Up], false, None),
            ComponentStatus::Operational
        );
        assert_eq!(
            derive_status(&[Up, Down], false, None),
            ComponentStatus::PartialOutage
        );
        assert_eq!(
            derive_status(&[Down, Down, Paused], false, None),
            ComponentStatus::MajorOutage
        );
        assert_eq!(
            derive_status(&[Up, Degraded], false, None),
            ComponentStatus::DegradedPerformance
        );
        assert_eq!(
            derive_status(&[Unknown], false, None),
            ComponentStatus::Operational
        );
        assert_eq!(
            derive_status(&[Down], true, None),
            ComponentStatus::UnderMaintenance
        );
        assert_eq!(
            derive_status(&[Down], true, Some(ComponentStatus::Operational)),
            ComponentStatus::Operational
        );
    }

    #[test]
    fn slugs_are_stable_ids() {
        assert_eq!(slug("Website (EU)"), "website-eu");
        assert_eq!(slug("  API  "), "api");
        assert_eq!(slug("☃"), "component");
    }
}
