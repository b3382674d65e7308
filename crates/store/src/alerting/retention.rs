//! Retention for alerting: dropping what is over and old.

use jiff::Timestamp;

use crate::{Result, Store};

/// The statements of [`Store::prune_alerting`], in order (children before
/// the incidents they name), each bound to the cutoff in ms.
const PRUNE: [&str; 7] = [
    "DELETE FROM alerts WHERE state = 'ok' AND updated_at_ms < $1",
    "DELETE FROM outbox WHERE state <> 'pending' AND created_at_ms < $1",
    "DELETE FROM incident_alerts WHERE incident_id IN \
     (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at_ms < $1)",
    "DELETE FROM incident_events WHERE incident_id IN \
     (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at_ms < $1)",
    "DELETE FROM escalations WHERE incident_id IN \
     (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at_ms < $1)",
    "DELETE FROM outbox WHERE state <> 'pending' AND incident_id IN \
     (SELECT id FROM incidents WHERE status = 'resolved' AND resolved_at_ms < $1)",
    "DELETE FROM incidents WHERE status = 'resolved' AND resolved_at_ms < $1",
];

impl Store {
    /// Deletes `ok` alerts last updated before `before`, delivered and
    /// failed outbox messages created before it, and incidents resolved
    /// before it with their alerts, timelines, escalations and sent
    /// messages, in one transaction; returns how many rows went. Pending
    /// messages stay until sent or given up.
    pub async fn prune_alerting(&self, before: Timestamp) -> Result<u64> {
        let cutoff = before.as_millisecond();
        self.run("prune_alerting", async {
            let mut tx = self.begin_write(None).await?;
            let mut deleted = 0;
            for sql in PRUNE {
                let done = sqlx::query(sql).bind(cutoff).execute(&mut *tx).await?;
                deleted += done.rows_affected();
            }
            tx.commit().await?;
            tracing::debug!(deleted, "pruned alerting data");
            Ok(deleted)
        })
        .await
    }
}
