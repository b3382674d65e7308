//! Retention: deleting raw results (hot and packed), failure reasons,
//! rollups and old state changes past their keep-for periods, one monitor
//! at a time so no single statement holds the write lock for long; then
//! packing the hours that closed.

use jiff::Timestamp;

use super::pack;
use super::results::PG_RESULTS_LOCK;
use super::rollup::{ROLLED_UP, width_s};
use super::{MonitorId, PruneReport, Retention, duration_ms};
use crate::{Result, Store};

impl Store {
    /// Deletes what `retention` no longer keeps at `now`: raw results
    /// (hot rows and packed hours alike) and failure reasons from before
    /// `now - raw`; rollup periods that ended by `now - rollups`; and state
    /// changes from before `now - rollups`, except each monitor's latest
    /// (its current state). Then packs the hours that closed
    /// ([`Store::pack_closed_hours`]).
    ///
    /// Runs as many short statements and transactions (one per monitor and
    /// table), each under the store timeout, so it can run beside inserts;
    /// call it periodically (e.g. hourly). A failure leaves the rest for
    /// next time.
    pub async fn prune(&self, now: Timestamp, retention: &Retention) -> Result<PruneReport> {
        let now_ms = now.as_millisecond();
        let raw_cutoff = now_ms.saturating_sub(duration_ms(retention.raw));
        let rollup_cutoff = now_ms.saturating_sub(duration_ms(retention.rollups));
        let monitors = self.monitor_ids("prune").await?;
        let mut report = PruneReport::default();
        for monitor in monitors {
            let (results, failures) = self
                .run("prune", self.prune_raw(monitor, raw_cutoff))
                .await?;
            report.results += results;
            report.failures += failures;
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
        report.packed = self.pack_closed_hours(now).await?;
        tracing::debug!(
            results = report.results,
            packed = report.packed,
            failures = report.failures,
            rollups = report.rollups,
            events = report.events,
            "pruned monitoring data"
        );
        Ok(report)
    }

    /// Deletes a monitor's raw results (hot and packed) and failure
    /// reasons from before `cutoff`, in one transaction that takes the lock
    /// inserts and packing take, so a packing transaction never moves a row
    /// this deletes. Returns (results, failure reasons) deleted.
    async fn prune_raw(&self, monitor: MonitorId, cutoff: i64) -> Result<(u64, u64)> {
        let mut tx = self.begin_write(Some(PG_RESULTS_LOCK)).await?;
        let mut results =
            sqlx::query("DELETE FROM check_results WHERE monitor_id = $1 AND at_ms < $2")
                .bind(monitor.0)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        results += pack::prune_packed(&mut tx, monitor, cutoff).await?;
        let failures =
            sqlx::query("DELETE FROM check_failures WHERE monitor_id = $1 AND at_ms < $2")
                .bind(monitor.0)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok((results, failures))
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
