//! Component overrides, and retention for everything status.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::{ComponentOverride, check_present};
use crate::store::{col, col_time};
use crate::{Result, Store};

/// The ids of status incidents over before `$1`.
macro_rules! old_incidents {
    () => {
        "SELECT id FROM status_incidents WHERE status IN ('resolved', 'postmortem') \
         AND resolved_at_ms < $1"
    };
}

/// The ids of maintenances that ended before `$1`: cancelled by then, or
/// completed with their window and last change before it.
macro_rules! old_maintenances {
    () => {
        "SELECT id FROM maintenances WHERE cancelled_at_ms < $1 \
         OR (status = 'completed' AND scheduled_until_ms < $1 AND updated_at_ms < $1)"
    };
}

/// The statements of [`Store::prune_status`], in order (children before
/// their parents), each bound to the cutoff in ms.
const PRUNE: [&str; 6] = [
    concat!(
        "DELETE FROM status_updates WHERE incident_id IN (",
        old_incidents!(),
        ")"
    ),
    concat!(
        "DELETE FROM status_incident_components WHERE incident_id IN (",
        old_incidents!(),
        ")"
    ),
    concat!(
        "DELETE FROM status_incidents WHERE id IN (",
        old_incidents!(),
        ")"
    ),
    concat!(
        "DELETE FROM status_updates WHERE maintenance_id IN (",
        old_maintenances!(),
        ")"
    ),
    concat!(
        "DELETE FROM maintenance_components WHERE maintenance_id IN (",
        old_maintenances!(),
        ")"
    ),
    concat!(
        "DELETE FROM maintenances WHERE id IN (",
        old_maintenances!(),
        ")"
    ),
];

impl Store {
    /// Sets (`Some((status, note))`) or clears (`None`) the manual status
    /// of component `component_id`, by `by` at `at`. Setting replaces any
    /// earlier override; clearing a component without one does nothing.
    /// Fails with [`crate::StoreError::InvalidInput`] for a blank
    /// component id or status.
    pub async fn set_component_override(
        &self,
        component_id: &str,
        value: Option<(&str, Option<&str>)>,
        by: &str,
        at: Timestamp,
    ) -> Result<()> {
        check_present("a component id", component_id)?;
        if let Some((status, _)) = value {
            check_present("a component override's status", status)?;
        }
        self.run("set_component_override", async {
            match value {
                Some((status, note)) => {
                    sqlx::query(
                        "INSERT INTO component_overrides \
                         (component_id, status, set_by, set_at_ms, note) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (component_id) DO UPDATE SET status = excluded.status, \
                         set_by = excluded.set_by, set_at_ms = excluded.set_at_ms, \
                         note = excluded.note",
                    )
                    .bind(component_id)
                    .bind(status)
                    .bind(by)
                    .bind(at.as_millisecond())
                    .bind(note)
                    .execute(self.pool())
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM component_overrides WHERE component_id = $1")
                        .bind(component_id)
                        .execute(self.pool())
                        .await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Every component override, by component id.
    pub async fn component_overrides(&self) -> Result<Vec<ComponentOverride>> {
        self.run("component_overrides", async {
            let rows = sqlx::query(
                "SELECT component_id, status, set_by, set_at_ms, note FROM component_overrides \
                 ORDER BY component_id",
            )
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(override_from_row).collect()
        })
        .await
    }

    /// Deletes status incidents resolved (or put in post-mortem) before
    /// `before`, and maintenances cancelled before it or completed with
    /// their window and last change before it, with their updates and
    /// components, in one transaction; returns how many rows went.
    /// Component overrides stay until cleared.
    pub async fn prune_status(&self, before: Timestamp) -> Result<u64> {
        let cutoff = before.as_millisecond();
        self.run("prune_status", async {
            let mut tx = self.begin_write(None).await?;
            let mut deleted = 0;
            for sql in PRUNE {
                let done = sqlx::query(sql).bind(cutoff).execute(&mut *tx).await?;
                deleted += done.rows_affected();
            }
            tx.commit().await?;
            tracing::debug!(deleted, "pruned status data");
            Ok(deleted)
        })
        .await
    }
}

fn override_from_row(row: &AnyRow) -> Result<ComponentOverride> {
    Ok(ComponentOverride {
        component_id: col(row, "component_id")?,
        status: col(row, "status")?,
        set_by: col(row, "set_by")?,
        set_at: col_time(row, "set_at_ms")?,
        note: col(row, "note")?,
    })
}
