//! Status-page incidents, their affected components and their updates.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use super::{
    NewStatusIncident, NewStatusUpdate, Parent, StatusIncidentRecord, UpdateRow, check_name,
    check_present, component_from_row, distinct_components, fetch_with_children, group_by,
    insert_components, insert_update, select_updates, update_from_row,
};
use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// `SELECT <every status_incidents column> FROM status_incidents <rest>`.
macro_rules! select_incidents {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, name, status, impact, created_at_ms, updated_at_ms, monitoring_at_ms, \
             resolved_at_ms, created_by, alert_incident_id FROM status_incidents ",
            $($rest)*
        )
    };
}

/// `SELECT incident_id, component_id FROM status_incident_components <rest>`.
macro_rules! select_components {
    ($($rest:tt)*) => {
        concat!(
            "SELECT incident_id, component_id FROM status_incident_components ",
            $($rest)*
        )
    };
}

/// The ids of a page: `$1` below this id, `$2` at most this many.
macro_rules! page_ids {
    () => {
        "SELECT id FROM status_incidents WHERE id < $1 ORDER BY id DESC LIMIT $2"
    };
}

/// The ids of the incidents not over yet.
macro_rules! unresolved_ids {
    () => {
        "SELECT id FROM status_incidents WHERE status NOT IN ('resolved', 'postmortem')"
    };
}

/// The newest incident published from alerting incident `$1`.
macro_rules! alert_id {
    () => {
        "(SELECT MAX(id) FROM status_incidents WHERE alert_incident_id = $1)"
    };
}

const INSERT_COMPONENT: &str =
    "INSERT INTO status_incident_components (incident_id, component_id) VALUES ($1, $2)";

/// Which incidents a read loads. Each scope names its incidents, their
/// components and their updates with one static statement apiece, so a
/// read is three statements however many incidents it returns.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The incident with this id.
    One(i64),
    /// The newest published from this alerting incident.
    ForAlert(i64),
    /// Newest first, ids below `before`, at most `limit`.
    Page { before: i64, limit: i64 },
    /// The ones not over, newest first.
    Unresolved,
}

impl Scope {
    /// The statements reading the incidents, their components and their
    /// updates (newest first).
    fn statements(self) -> [&'static str; 3] {
        match self {
            Scope::One(_) => [
                select_incidents!("WHERE id = $1"),
                select_components!("WHERE incident_id = $1 ORDER BY incident_id, component_id"),
                select_updates!("WHERE incident_id = $1 ORDER BY id DESC"),
            ],
            Scope::ForAlert(_) => [
                select_incidents!("WHERE id = ", alert_id!()),
                select_components!(
                    "WHERE incident_id = ",
                    alert_id!(),
                    " ORDER BY incident_id, component_id"
                ),
                select_updates!("WHERE incident_id = ", alert_id!(), " ORDER BY id DESC"),
            ],
            Scope::Page { .. } => [
                select_incidents!("WHERE id < $1 ORDER BY id DESC LIMIT $2"),
                select_components!(
                    "WHERE incident_id IN (",
                    page_ids!(),
                    ") ORDER BY incident_id, component_id"
                ),
                select_updates!("WHERE incident_id IN (", page_ids!(), ") ORDER BY id DESC"),
            ],
            Scope::Unresolved => [
                select_incidents!(
                    "WHERE status NOT IN ('resolved', 'postmortem') ORDER BY id DESC"
                ),
                select_components!(
                    "WHERE incident_id IN (",
                    unresolved_ids!(),
                    ") ORDER BY incident_id, component_id"
                ),
                select_updates!(
                    "WHERE incident_id IN (",
                    unresolved_ids!(),
                    ") ORDER BY id DESC"
                ),
            ],
        }
    }

    /// Binds the scope's parameters.
    fn bind(self, query: Query<'_, Any, AnyArguments>) -> Query<'_, Any, AnyArguments> {
        match self {
            Scope::One(id) | Scope::ForAlert(id) => query.bind(id),
            Scope::Page { before, limit } => query.bind(before).bind(limit),
            Scope::Unresolved => query,
        }
    }
}

/// Reads the incidents of `scope` with their components and updates, in
/// three statements. Run it in a transaction so all three see one snapshot.
async fn load(conn: &mut AnyConnection, scope: Scope) -> Result<Vec<StatusIncidentRecord>> {
    let Some([rows, component_rows, update_rows]) =
        fetch_with_children(conn, scope.statements(), |query| scope.bind(query)).await?
    else {
        return Ok(Vec::new());
    };
    let mut components = group_by(&component_rows, "incident_id", component_from_row)?;
    let mut updates = group_by(&update_rows, "incident_id", update_from_row)?;
    rows.iter()
        .map(|row| {
            let mut incident = incident_from_row(row)?;
            incident.components = components.remove(&incident.id).unwrap_or_default();
            incident.updates = updates.remove(&incident.id).unwrap_or_default();
            Ok(incident)
        })
        .collect()
}

impl Store {
    /// Publishes a status incident with its affected components and first
    /// update, in one transaction; returns its id. `monitoring_at` is set
    /// if it starts in `monitoring`, `resolved_at` if it starts over
    /// (`resolved` or `postmortem`). Fails with [`StoreError::InvalidInput`]
    /// for an unknown status or impact, an empty name or a blank component.
    pub async fn create_status_incident(&self, incident: &NewStatusIncident) -> Result<i64> {
        check_present("a status incident's name", &incident.name)?;
        check_name(
            "status incident status",
            &incident.status,
            &StatusIncidentRecord::STATUSES,
        )?;
        check_name(
            "status incident impact",
            &incident.impact,
            &StatusIncidentRecord::IMPACTS,
        )?;
        let components = distinct_components(&incident.components)?;
        self.run("create_status_incident", async {
            let mut tx = self.begin_write(None).await?;
            let at = incident.at.as_millisecond();
            let row = sqlx::query(
                "INSERT INTO status_incidents (name, status, impact, created_at_ms, \
                 updated_at_ms, monitoring_at_ms, resolved_at_ms, created_by, alert_incident_id) \
                 VALUES ($1, $2, $3, $4, $4, \
                 CASE WHEN $2 = 'monitoring' THEN $4 ELSE NULL END, \
                 CASE WHEN $2 IN ('resolved', 'postmortem') THEN $4 ELSE NULL END, $5, $6) \
                 RETURNING id",
            )
            .bind(&incident.name)
            .bind(&incident.status)
            .bind(&incident.impact)
            .bind(at)
            .bind(&incident.created_by)
            .bind(incident.alert_incident)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = col(&row, "id")?;
            insert_components(&mut tx, INSERT_COMPONENT, id, &components).await?;
            insert_update(
                &mut tx,
                Parent::Incident(id),
                UpdateRow {
                    status: &incident.status,
                    body: &incident.message,
                    created_by: &incident.created_by,
                    at: incident.at,
                    component_status: incident.component_status.as_deref(),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        })
        .await
    }

    /// Appends an update to status incident `id` and moves it to the
    /// update's status (and impact and components, when given), in one
    /// transaction; returns the incident as it now stands. `updated_at`
    /// becomes the update's time; `monitoring_at` is set when it first
    /// enters `monitoring`; `resolved_at` is set when it enters `resolved`
    /// (or `postmortem`) and cleared if it is reopened. Fails with
    /// [`StoreError::NotFound`] if there is no such incident and with
    /// [`StoreError::InvalidInput`] for an unknown status or impact or a
    /// blank component.
    pub async fn update_status_incident(
        &self,
        id: i64,
        update: &NewStatusUpdate,
    ) -> Result<StatusIncidentRecord> {
        check_name(
            "status incident status",
            &update.status,
            &StatusIncidentRecord::STATUSES,
        )?;
        if let Some(impact) = &update.impact {
            check_name(
                "status incident impact",
                impact,
                &StatusIncidentRecord::IMPACTS,
            )?;
        }
        let components = update
            .components
            .as_deref()
            .map(distinct_components)
            .transpose()?;
        self.run("update_status_incident", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE status_incidents SET status = $2, impact = COALESCE($3, impact), \
                 updated_at_ms = $4, \
                 monitoring_at_ms = CASE WHEN $2 = 'monitoring' \
                 THEN COALESCE(monitoring_at_ms, $4) ELSE monitoring_at_ms END, \
                 resolved_at_ms = CASE WHEN $2 IN ('resolved', 'postmortem') \
                 THEN COALESCE(resolved_at_ms, $4) ELSE NULL END \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(&update.status)
            .bind(update.impact.as_deref())
            .bind(update.at.as_millisecond())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(not_found(id));
            }
            if let Some(components) = &components {
                sqlx::query("DELETE FROM status_incident_components WHERE incident_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                insert_components(&mut tx, INSERT_COMPONENT, id, components).await?;
            }
            insert_update(
                &mut tx,
                Parent::Incident(id),
                UpdateRow {
                    status: &update.status,
                    body: &update.message,
                    created_by: &update.created_by,
                    at: update.at,
                    component_status: update.component_status.as_deref(),
                },
            )
            .await?;
            let record = load(&mut tx, Scope::One(id))
                .await?
                .pop()
                .ok_or_else(|| not_found(id))?;
            tx.commit().await?;
            Ok(record)
        })
        .await
    }

    /// The status incident with this id, with its components and updates.
    pub async fn status_incident(&self, id: i64) -> Result<Option<StatusIncidentRecord>> {
        self.read_status_incidents("status_incident", Scope::One(id))
            .await
            .map(|mut found| found.pop())
    }

    /// A page of status incidents, newest first: at most `limit` (capped at
    /// [`StatusIncidentRecord::MAX_PAGE`]) with ids below `before_id` (the
    /// last id of the previous page), each with its components and
    /// updates. Three statements, whatever the page size.
    pub async fn status_incidents(
        &self,
        limit: u32,
        before_id: Option<i64>,
    ) -> Result<Vec<StatusIncidentRecord>> {
        let scope = Scope::Page {
            before: before_id.unwrap_or(i64::MAX),
            limit: i64::from(limit.min(StatusIncidentRecord::MAX_PAGE)),
        };
        self.read_status_incidents("status_incidents", scope).await
    }

    /// Every status incident not over yet (neither `resolved` nor
    /// `postmortem`), newest first, with components and updates.
    pub async fn unresolved_status_incidents(&self) -> Result<Vec<StatusIncidentRecord>> {
        self.read_status_incidents("unresolved_status_incidents", Scope::Unresolved)
            .await
    }

    /// The newest status incident published from alerting incident
    /// `alert_incident_id`, if any.
    pub async fn status_incident_for_alert(
        &self,
        alert_incident_id: i64,
    ) -> Result<Option<StatusIncidentRecord>> {
        self.read_status_incidents(
            "status_incident_for_alert",
            Scope::ForAlert(alert_incident_id),
        )
        .await
        .map(|mut found| found.pop())
    }

    async fn read_status_incidents(
        &self,
        op: &'static str,
        scope: Scope,
    ) -> Result<Vec<StatusIncidentRecord>> {
        self.run(op, async {
            let mut tx = self.begin_read().await?;
            let found = load(&mut tx, scope).await?;
            tx.commit().await?;
            Ok(found)
        })
        .await
    }
}

/// The error for a missing status incident.
fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("no status incident with id `{id}`"))
}

fn incident_from_row(row: &AnyRow) -> Result<StatusIncidentRecord> {
    Ok(StatusIncidentRecord {
        id: col(row, "id")?,
        name: col(row, "name")?,
        status: col(row, "status")?,
        impact: col(row, "impact")?,
        created_at: col_time(row, "created_at_ms")?,
        updated_at: col_time(row, "updated_at_ms")?,
        monitoring_at: col_time_opt(row, "monitoring_at_ms")?,
        resolved_at: col_time_opt(row, "resolved_at_ms")?,
        created_by: col(row, "created_by")?,
        alert_incident: col(row, "alert_incident_id")?,
        components: Vec::new(),
        updates: Vec::new(),
    })
}
