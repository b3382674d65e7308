//! Persistence for what responders tell the public: status-page incidents
//! ([`StatusIncidentRecord`]) with their affected components and updates,
//! scheduled maintenances ([`MaintenanceRecord`]) likewise, and manual
//! component status overrides ([`ComponentOverride`]).
//!
//! The store keeps text: status names (`investigating`, `in_progress`),
//! impacts (`major`), component ids (`website`) and component statuses
//! (`partial_outage`) are the status crate's vocabulary. The store checks
//! only the incident and maintenance status names and the incident impacts
//! it must reason about (the schema CHECKs them too).
//!
//! Reads load a whole set of records in a fixed number of statements (the
//! rows, then all their components, then all their updates), never one
//! statement per record.
//!
//! Files: `incidents.rs` (status incidents), `maintenances.rs`
//! (maintenances and the engine's [`Store::advance_maintenances`](crate::Store::advance_maintenances))
//! and `overrides.rs` (component overrides and [`Store::prune_status`](crate::Store::prune_status)).

mod incidents;
mod maintenances;
mod overrides;

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::store::{col, col_time};
use crate::{Result, StoreError};

/// Fields for [`Store::create_status_incident`](crate::Store::create_status_incident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatusIncident {
    /// Public title.
    pub name: String,
    /// One of [`StatusIncidentRecord::STATUSES`].
    pub status: String,
    /// One of [`StatusIncidentRecord::IMPACTS`].
    pub impact: String,
    /// The affected component ids (duplicates are ignored).
    pub components: Vec<String>,
    /// The first update's text.
    pub message: String,
    /// The status the first update sets for the affected components, e.g.
    /// `partial_outage`, if any.
    pub component_status: Option<String>,
    /// Who published it.
    pub created_by: String,
    /// When it was published.
    pub at: Timestamp,
    /// The alerting incident it was published from, if any.
    pub alert_incident: Option<i64>,
}

/// A stored status-page incident with its components and updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusIncidentRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// Public title.
    pub name: String,
    /// One of [`StatusIncidentRecord::STATUSES`].
    pub status: String,
    /// One of [`StatusIncidentRecord::IMPACTS`].
    pub impact: String,
    /// When it was published.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When it first entered `monitoring`.
    pub monitoring_at: Option<Timestamp>,
    /// When it was resolved; `None` while ongoing (cleared if reopened).
    pub resolved_at: Option<Timestamp>,
    /// Who published it.
    pub created_by: String,
    /// The alerting incident it was published from, if any.
    pub alert_incident: Option<i64>,
    /// The affected component ids, sorted.
    pub components: Vec<String>,
    /// Its updates, newest first.
    pub updates: Vec<StatusUpdateRecord>,
}

impl StatusIncidentRecord {
    /// The status names an incident may have, in their usual order.
    pub const STATUSES: [&'static str; 5] = [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
        "postmortem",
    ];

    /// The statuses of an incident that is over (it has a `resolved_at`).
    pub const OVER: [&'static str; 2] = ["resolved", "postmortem"];

    /// The impacts an incident may have, least first.
    pub const IMPACTS: [&'static str; 4] = ["none", "minor", "major", "critical"];

    /// The largest page [`Store::status_incidents`](crate::Store::status_incidents) returns.
    pub const MAX_PAGE: u32 = 500;

    /// Whether it is over (resolved, or in post-mortem).
    pub fn is_over(&self) -> bool {
        Self::OVER.contains(&self.status.as_str())
    }
}

/// An update to append to a status incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatusUpdate {
    /// The incident's new status, one of [`StatusIncidentRecord::STATUSES`].
    pub status: String,
    /// The update's text.
    pub message: String,
    /// The status this update sets for the affected components, if any.
    pub component_status: Option<String>,
    /// When `Some`, replaces the affected components.
    pub components: Option<Vec<String>>,
    /// When `Some`, the incident's new impact.
    pub impact: Option<String>,
    /// Who posted it.
    pub created_by: String,
    /// When it was posted.
    pub at: Timestamp,
}

/// A stored update of an incident or a maintenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdateRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The status it moved its incident or maintenance to.
    pub status: String,
    /// Its text.
    pub body: String,
    /// Who posted it (`shipshape` for automatic ones).
    pub created_by: String,
    /// When it was posted.
    pub at: Timestamp,
    /// The status it set for the affected components, if any.
    pub component_status: Option<String>,
}

/// Fields for [`Store::schedule_maintenance`](crate::Store::schedule_maintenance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenance {
    /// Public title.
    pub name: String,
    /// Impact name (text, e.g. `maintenance` or `minor`).
    pub impact: String,
    /// The affected component ids (duplicates are ignored).
    pub components: Vec<String>,
    /// When the window starts.
    pub scheduled_for: Timestamp,
    /// When the window ends; after `scheduled_for`.
    pub scheduled_until: Timestamp,
    /// The first update's text.
    pub message: String,
    /// Who scheduled it.
    pub created_by: String,
    /// When it was scheduled.
    pub at: Timestamp,
}

/// A stored maintenance with its components and updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// Public title.
    pub name: String,
    /// One of [`MaintenanceRecord::STATUSES`].
    pub status: String,
    /// Impact name.
    pub impact: String,
    /// When the window starts.
    pub scheduled_for: Timestamp,
    /// When the window ends.
    pub scheduled_until: Timestamp,
    /// When it was scheduled.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Who scheduled it.
    pub created_by: String,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
    /// The affected component ids, sorted.
    pub components: Vec<String>,
    /// Its updates, newest first.
    pub updates: Vec<StatusUpdateRecord>,
}

impl MaintenanceRecord {
    /// The status names a maintenance may have, in order.
    pub const STATUSES: [&'static str; 4] = ["scheduled", "in_progress", "verifying", "completed"];
}

/// A responder's manual status for a component, over what monitors say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentOverride {
    /// The component id.
    pub component_id: String,
    /// The status it shows, e.g. `major_outage`.
    pub status: String,
    /// Who set it.
    pub set_by: String,
    /// When it was set.
    pub set_at: Timestamp,
    /// Why, for humans.
    pub note: Option<String>,
}

/// Who automatic updates are by.
const SYSTEM_ACTOR: &str = "shipshape";

/// What an update belongs to.
#[derive(Debug, Clone, Copy)]
enum Parent {
    Incident(i64),
    Maintenance(i64),
}

/// An update to insert.
struct UpdateRow<'a> {
    status: &'a str,
    body: &'a str,
    created_by: &'a str,
    at: Timestamp,
    component_status: Option<&'a str>,
}

/// `SELECT <every status_updates column> FROM status_updates <rest>`.
macro_rules! select_updates {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, incident_id, maintenance_id, status, body, created_by, at_ms, \
             component_status FROM status_updates ",
            $($rest)*
        )
    };
}
use select_updates;

/// Fails with [`StoreError::InvalidInput`] unless `value` is one of `allowed`.
fn check_name(what: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "unknown {what} `{value}`: expected one of {}",
            allowed.join(", ")
        )))
    }
}

/// Fails with [`StoreError::InvalidInput`] if `value` is blank.
fn check_present(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(StoreError::InvalidInput(format!(
            "{what} must not be empty"
        )))
    } else {
        Ok(())
    }
}

/// The distinct component ids, sorted; fails on a blank one.
fn distinct_components(components: &[String]) -> Result<BTreeSet<&str>> {
    components
        .iter()
        .map(|c| {
            check_present("a component id", c)?;
            Ok(c.as_str())
        })
        .collect()
}

/// Inserts one update; returns its id.
async fn insert_update(
    conn: &mut AnyConnection,
    parent: Parent,
    update: UpdateRow<'_>,
) -> Result<i64> {
    let (incident, maintenance) = match parent {
        Parent::Incident(id) => (Some(id), None),
        Parent::Maintenance(id) => (None, Some(id)),
    };
    let row = sqlx::query(
        "INSERT INTO status_updates (incident_id, maintenance_id, status, body, created_by, \
         at_ms, component_status) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(incident)
    .bind(maintenance)
    .bind(update.status)
    .bind(update.body)
    .bind(update.created_by)
    .bind(update.at.as_millisecond())
    .bind(update.component_status)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// Inserts `(parent, component)` rows with `sql` (two placeholders).
async fn insert_components(
    conn: &mut AnyConnection,
    sql: &'static str,
    parent: i64,
    components: &BTreeSet<&str>,
) -> Result<()> {
    for component in components {
        sqlx::query(sql)
            .bind(parent)
            .bind(*component)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Runs a record set's three statements (the records, their components,
/// their updates), each bound by `bind`, on one connection; `None` when
/// there are no records (the child statements are then skipped).
pub(super) async fn fetch_with_children(
    conn: &mut AnyConnection,
    statements: [&'static str; 3],
    bind: impl Fn(
        sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>,
) -> Result<Option<[Vec<AnyRow>; 3]>> {
    let [records, components, updates] = statements;
    let rows = bind(sqlx::query(records)).fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let component_rows = bind(sqlx::query(components)).fetch_all(&mut *conn).await?;
    let update_rows = bind(sqlx::query(updates)).fetch_all(&mut *conn).await?;
    Ok(Some([rows, component_rows, update_rows]))
}

/// Groups child rows (already in the wanted order) by the parent id in
/// column `parent`.
fn group_by<T>(
    rows: &[AnyRow],
    parent: &str,
    read: fn(&AnyRow) -> Result<T>,
) -> Result<HashMap<i64, Vec<T>>> {
    let mut groups: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        let id: i64 = col(row, parent)?;
        groups.entry(id).or_default().push(read(row)?);
    }
    Ok(groups)
}

fn update_from_row(row: &AnyRow) -> Result<StatusUpdateRecord> {
    Ok(StatusUpdateRecord {
        id: col(row, "id")?,
        status: col(row, "status")?,
        body: col(row, "body")?,
        created_by: col(row, "created_by")?,
        at: col_time(row, "at_ms")?,
        component_status: col(row, "component_status")?,
    })
}

fn component_from_row(row: &AnyRow) -> Result<String> {
    col(row, "component_id")
}
