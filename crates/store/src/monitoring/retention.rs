//! Retention: deleting raw results, failure reasons, rollups and old state
//! changes past their keep-for periods, one monitor at a time so no single
//! statement holds the write lock for long.

use jiff::Timestamp;

use super::rollup::{ROLLED_UP, width_s};
use super::{MonitorId, PruneReport, Retention, duration_ms};
use crate::store::col;
use crate::{Result, Store};

impl Store {
    /// Deletes what `retention` no longer keeps at `now`: raw results and
    /// failure reasons from before `now - raw`; rollup periods that ended by
    /// `now - rollups`; and state changes from before `now - rollups`,
    /// except each monitor's latest (its current state).
    ///
    /// Runs as many short statements (one per monitor and table), each
    /// under the store timeout, so it can run beside inserts; call it
    /// periodically (e.g. hourly). A failure leaves the rest for next time.
    pub async fn prune(&self, now: Timestamp, retention: &Retention) -> Result<PruneReport> {
        let now_ms = now.as_millisecond();
        let raw_cutoff = now_ms.saturating_sub(duration_ms(retention.raw));
        let rollup_cutoff = now_ms.saturating_sub(duration_ms(retention.rollups));
        let monitors = self
            .run("prune", async {
                let rows = sqlx::query("SELECT id FROM monitors ORDER BY id")
                    .fetch_all(self.pool())
                    .await?;
                rows.iter()
                    .map(|row| Ok(MonitorId(col(row, "id")?)))
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        let mut report = PruneReport::default();
        for monitor in monitors {
            report.results += self
                .delete(
                    "DELETE FROM check_results WHERE monitor_id = $1 AND at_ms < $2",
                    monitor,
                    &[raw_cutoff],
                )
                .await?;
            report.failures += self
                .delete(
                    "DELETE FROM check_failures WHERE monitor_id = $1 AND at_ms < $2",
                    monitor,
                    &[raw_cutoff],
                )
                .await?;
            for resolution in ROLLED_UP {
                let width = resolution.width_ms();
                // A period is dropped once it ended by the cutoff.
                report.rollups += self
                    .delete(
                        "DELETE FROM check_rollups \
                         WHERE monitor_id = $1 AND width_s = $2 AND start_ms <= $3",
                        monitor,
                        &[width_s(width), rollup_cutoff.saturating_sub(width)],
                    )
                    .await?;
            }
        }
        report.events = self
            .run("prune", async {
                let done = sqlx::query(
                    "DELETE FROM monitor_events WHERE at_ms < $1 AND id NOT IN \
                     (SELECT MAX(id) FROM monitor_events GROUP BY monitor_id)",
                )
                .bind(rollup_cutoff)
                .execute(self.pool())
                .await?;
                Ok(done.rows_affected())
            })
            .await?;
        tracing::debug!(
            results = report.results,
            failures = report.failures,
            rollups = report.rollups,
            events = report.events,
            "pruned monitoring data"
        );
        Ok(report)
    }

    /// Runs one `DELETE` bound to `monitor` (`$1`) and `values` (`$2`…).
    async fn delete(&self, sql: &'static str, monitor: MonitorId, values: &[i64]) -> Result<u64> {
        self.run("prune", async {
            let mut query = sqlx::query(sql).bind(monitor.0);
            for value in values {
                query = query.bind(*value);
            }
            Ok(query.execute(self.pool()).await?.rows_affected())
        })
        .await
    }
}
