//! Scheduled maintenances, their affected components and their updates,
//! and the engine's pass moving them along as their windows start and end.

use jiff::Timestamp;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

use super::{
    MaintenanceRecord, NewMaintenance, Parent, SYSTEM_ACTOR, UpdateRow, check_name, check_present,
    component_from_row, distinct_components, fetch_with_children, group_by, insert_components,
    insert_update, select_updates, update_from_row,
};
use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// The PostgreSQL advisory lock serializing [`Store::advance_maintenances`]
/// passes of several instances, so they never lock the same rows in a
/// different order (`shipmnts` in ASCII). The conditional updates alone
/// already make each move happen once.
const PG_MAINTENANCE_LOCK: i64 = 0x7368_6970_6d6e_7473;

/// `SELECT <every maintenances column> FROM maintenances <rest>`.
macro_rules! select_maintenances {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, name, status, impact, scheduled_for_ms, scheduled_until_ms, \
             created_at_ms, updated_at_ms, created_by, cancelled_at_ms FROM maintenances ",
            $($rest)*
        )
    };
}

/// `SELECT maintenance_id, component_id FROM maintenance_components <rest>`.
macro_rules! select_components {
    ($($rest:tt)*) => {
        concat!(
            "SELECT maintenance_id, component_id FROM maintenance_components ",
            $($rest)*
        )
    };
}

/// The maintenances not cancelled whose window overlaps `[$1, $2)`.
macro_rules! window_filter {
    () => {
        "WHERE cancelled_at_ms IS NULL AND scheduled_for_ms < $2 AND scheduled_until_ms > $1"
    };
}

const INSERT_COMPONENT: &str =
    "INSERT INTO maintenance_components (maintenance_id, component_id) VALUES ($1, $2)";

/// Which maintenances a read loads; three statements apiece, as for
/// status incidents.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The maintenance with this id.
    One(i64),
    /// Not cancelled, window overlapping `[from, to)` (ms), soonest first.
    Window { from: i64, to: i64 },
}

impl Scope {
    fn statements(self) -> [&'static str; 3] {
        match self {
            Scope::One(_) => [
                select_maintenances!("WHERE id = $1"),
                select_components!(
                    "WHERE maintenance_id = $1 ORDER BY maintenance_id, component_id"
                ),
                select_updates!("WHERE maintenance_id = $1 ORDER BY id DESC"),
            ],
            Scope::Window { .. } => [
                select_maintenances!(window_filter!(), " ORDER BY scheduled_for_ms, id"),
                select_components!(
                    "WHERE maintenance_id IN (SELECT id FROM maintenances ",
                    window_filter!(),
                    ") ORDER BY maintenance_id, component_id"
                ),
                select_updates!(
                    "WHERE maintenance_id IN (SELECT id FROM maintenances ",
                    window_filter!(),
                    ") ORDER BY id DESC"
                ),
            ],
        }
    }

    fn bind(self, query: Query<'_, Any, AnyArguments>) -> Query<'_, Any, AnyArguments> {
        match self {
            Scope::One(id) => query.bind(id),
            Scope::Window { from, to } => query.bind(from).bind(to),
        }
    }
}

/// Reads the maintenances of `scope` with their components and updates.
async fn load(conn: &mut AnyConnection, scope: Scope) -> Result<Vec<MaintenanceRecord>> {
    let Some([rows, component_rows, update_rows]) =
        fetch_with_children(conn, scope.statements(), |query| scope.bind(query)).await?
    else {
        return Ok(Vec::new());
    };
    let mut components = group_by(&component_rows, "maintenance_id", component_from_row)?;
    let mut updates = group_by(&update_rows, "maintenance_id", update_from_row)?;
    rows.iter()
        .map(|row| {
            let mut maintenance = maintenance_from_row(row)?;
            maintenance.components = components.remove(&maintenance.id).unwrap_or_default();
            maintenance.updates = updates.remove(&maintenance.id).unwrap_or_default();
            Ok(maintenance)
        })
        .collect()
}

/// Runs a conditional `UPDATE … RETURNING id`; the ids it moved, sorted.
async fn moved(conn: &mut AnyConnection, sql: &'static str, now: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(sql).bind(now).fetch_all(&mut *conn).await?;
    let mut ids = rows
        .iter()
        .map(|row| col(row, "id"))
        .collect::<Result<Vec<i64>>>()?;
    ids.sort_unstable();
    Ok(ids)
}

impl Store {
    /// Schedules a maintenance (status `scheduled`) with its affected
    /// components and first update, in one transaction; returns its id.
    /// Fails with [`StoreError::InvalidInput`] for an empty name, a blank
    /// component or a window that does not end after it starts.
    pub async fn schedule_maintenance(&self, maintenance: &NewMaintenance) -> Result<i64> {
        check_present("a maintenance's name", &maintenance.name)?;
        check_present("a maintenance's impact", &maintenance.impact)?;
        if maintenance.scheduled_until <= maintenance.scheduled_for {
            return Err(StoreError::InvalidInput(format!(
                "a maintenance must end after it starts (starts {}, ends {})",
                maintenance.scheduled_for, maintenance.scheduled_until
            )));
        }
        let components = distinct_components(&maintenance.components)?;
        self.run("schedule_maintenance", async {
            let mut tx = self.begin_write(None).await?;
            let row = sqlx::query(
                "INSERT INTO maintenances (name, status, impact, scheduled_for_ms, \
                 scheduled_until_ms, created_at_ms, updated_at_ms, created_by) \
                 VALUES ($1, 'scheduled', $2, $3, $4, $5, $5, $6) RETURNING id",
            )
            .bind(&maintenance.name)
            .bind(&maintenance.impact)
            .bind(maintenance.scheduled_for.as_millisecond())
            .bind(maintenance.scheduled_until.as_millisecond())
            .bind(maintenance.at.as_millisecond())
            .bind(&maintenance.created_by)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = col(&row, "id")?;
            insert_components(&mut tx, INSERT_COMPONENT, id, &components).await?;
            insert_update(
                &mut tx,
                Parent::Maintenance(id),
                UpdateRow {
                    status: "scheduled",
                    body: &maintenance.message,
                    created_by: &maintenance.created_by,
                    at: maintenance.at,
                    component_status: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(id)
        })
        .await
    }

    /// Moves maintenance `id` to `status` with an update saying `message`,
    /// in one transaction; returns the maintenance as it now stands. Fails
    /// with [`StoreError::NotFound`] if there is no such maintenance and
    /// with [`StoreError::InvalidInput`] for an unknown status or a
    /// cancelled maintenance.
    pub async fn update_maintenance(
        &self,
        id: i64,
        status: &str,
        message: &str,
        created_by: &str,
        at: Timestamp,
    ) -> Result<MaintenanceRecord> {
        check_name("maintenance status", status, &MaintenanceRecord::STATUSES)?;
        self.run("update_maintenance", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE maintenances SET status = $2, updated_at_ms = $3 \
                 WHERE id = $1 AND cancelled_at_ms IS NULL",
            )
            .bind(id)
            .bind(status)
            .bind(at.as_millisecond())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let exists = sqlx::query("SELECT id FROM maintenances WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                return Err(if exists {
                    StoreError::InvalidInput(format!(
                        "maintenance `{id}` was cancelled; it cannot be updated"
                    ))
                } else {
                    not_found(id)
                });
            }
            insert_update(
                &mut tx,
                Parent::Maintenance(id),
                UpdateRow {
                    status,
                    body: message,
                    created_by,
                    at,
                    component_status: None,
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

    /// Cancels maintenance `id` at `at`, with an update ("Maintenance
    /// cancelled", keeping its status) by `by`, in one transaction.
    /// Returns `false`, writing nothing, if there is no such maintenance or
    /// it is already cancelled or completed.
    pub async fn cancel_maintenance(&self, id: i64, by: &str, at: Timestamp) -> Result<bool> {
        self.run("cancel_maintenance", async {
            let mut tx = self.begin_write(None).await?;
            let row = sqlx::query(
                "UPDATE maintenances SET cancelled_at_ms = $2, updated_at_ms = $2 \
                 WHERE id = $1 AND cancelled_at_ms IS NULL AND status <> 'completed' \
                 RETURNING status",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return Ok(false);
            };
            let status: String = col(&row, "status")?;
            insert_update(
                &mut tx,
                Parent::Maintenance(id),
                UpdateRow {
                    status: &status,
                    body: "Maintenance cancelled",
                    created_by: by,
                    at,
                    component_status: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// The maintenance with this id (cancelled ones included), with its
    /// components and updates.
    pub async fn maintenance(&self, id: i64) -> Result<Option<MaintenanceRecord>> {
        self.read_maintenances("maintenance", Scope::One(id))
            .await
            .map(|mut found| found.pop())
    }

    /// The maintenances not cancelled whose window overlaps `[from, to)`,
    /// soonest first, with components and updates.
    pub async fn maintenances(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<MaintenanceRecord>> {
        let scope = Scope::Window {
            from: from.as_millisecond(),
            to: to.as_millisecond(),
        };
        self.read_maintenances("maintenances", scope).await
    }

    /// Moves maintenances along by the clock, in one transaction:
    /// `scheduled` ones whose window started by `now` to `in_progress`,
    /// then `in_progress` and `verifying` ones whose window ended by `now`
    /// to `completed` (so one whose whole window passed moves twice), each
    /// with an automatic update by `shipshape`. Cancelled ones stay.
    /// Returns what moved, `(id, new status)`, starts before completions,
    /// each by id. Idempotent, and safe to run from several instances at
    /// once: every move is a conditional update, so it happens once.
    pub async fn advance_maintenances(&self, now: Timestamp) -> Result<Vec<(i64, String)>> {
        let now_ms = now.as_millisecond();
        self.run("advance_maintenances", async {
            let mut tx = self.begin_write(Some(PG_MAINTENANCE_LOCK)).await?;
            let started = moved(
                &mut tx,
                "UPDATE maintenances SET status = 'in_progress', updated_at_ms = $1 \
                 WHERE status = 'scheduled' AND cancelled_at_ms IS NULL \
                 AND scheduled_for_ms <= $1 RETURNING id",
                now_ms,
            )
            .await?;
            for &id in &started {
                insert_update(
                    &mut tx,
                    Parent::Maintenance(id),
                    UpdateRow {
                        status: "in_progress",
                        body: "Maintenance started",
                        created_by: SYSTEM_ACTOR,
                        at: now,
                        component_status: None,
                    },
                )
                .await?;
            }
            let completed = moved(
                &mut tx,
                "UPDATE maintenances SET status = 'completed', updated_at_ms = $1 \
                 WHERE status IN ('in_progress', 'verifying') AND cancelled_at_ms IS NULL \
                 AND scheduled_until_ms <= $1 RETURNING id",
                now_ms,
            )
            .await?;
            for &id in &completed {
                insert_update(
                    &mut tx,
                    Parent::Maintenance(id),
                    UpdateRow {
                        status: "completed",
                        body: "Maintenance completed",
                        created_by: SYSTEM_ACTOR,
                        at: now,
                        component_status: None,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            let changes: Vec<(i64, String)> = started
                .into_iter()
                .map(|id| (id, "in_progress".to_owned()))
                .chain(completed.into_iter().map(|id| (id, "completed".to_owned())))
                .collect();
            if !changes.is_empty() {
                tracing::debug!(?changes, "advanced maintenances");
            }
            Ok(changes)
        })
        .await
    }

    async fn read_maintenances(
        &self,
        op: &'static str,
        scope: Scope,
    ) -> Result<Vec<MaintenanceRecord>> {
        self.run(op, async {
            let mut tx = self.begin_read().await?;
            let found = load(&mut tx, scope).await?;
            tx.commit().await?;
            Ok(found)
        })
        .await
    }
}

/// The error for a missing maintenance.
fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("no maintenance with id `{id}`"))
}

fn maintenance_from_row(row: &AnyRow) -> Result<MaintenanceRecord> {
    Ok(MaintenanceRecord {
        id: col(row, "id")?,
        name: col(row, "name")?,
        status: col(row, "status")?,
        impact: col(row, "impact")?,
        scheduled_for: col_time(row, "scheduled_for_ms")?,
        scheduled_until: col_time(row, "scheduled_until_ms")?,
        created_at: col_time(row, "created_at_ms")?,
        updated_at: col_time(row, "updated_at_ms")?,
        created_by: col(row, "created_by")?,
        cancelled_at: col_time_opt(row, "cancelled_at_ms")?,
        components: Vec::new(),
        updates: Vec::new(),
    })
}
