//! Raw check results: batched inserts (one transaction per batch, which also
//! updates the rollups) and reads of a monitor's results and recent failures.

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::sketch::duration_to_ms;
use super::{LocationId, MonitorId, StoredResult, rollup};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{col, col_flag, col_time};
use crate::{Backend, Result, Store, StoreError};

/// The PostgreSQL advisory lock serializing result batches, so two
/// instances never read-modify-write the same rollup row at once
/// (`shiprslt` in ASCII).
const PG_RESULTS_LOCK: i64 = 0x7368_6970_7273_6c74;

/// `SELECT <result columns with the failure reason> <rest>`; `<rest>` names
/// `check_results r` and `check_failures f`.
macro_rules! select_results {
    ($rest:literal) => {
        concat!(
            "SELECT r.monitor_id, r.at_ms, r.location_id, r.latency_ms, r.ok, r.status_code, ",
            "f.reason ",
            $rest
        )
    };
}

impl Store {
    /// Stores a batch of results in one transaction, with their failure
    /// reasons, and folds them into the hour and day rollups in the same
    /// transaction. Returns how many were new: a result whose monitor, time
    /// (to the millisecond) and location are already stored is skipped, so
    /// retrying a batch after a timeout is safe.
    ///
    /// Batch results (every second, or every few hundred) rather than
    /// calling this per check: the cost is mostly per transaction.
    pub async fn insert_results(&self, results: &[StoredResult]) -> Result<u64> {
        if results.is_empty() {
            return Ok(0);
        }
        let rows: Vec<RawRow<'_>> = results.iter().map(RawRow::from).collect();
        self.run("insert_results", async {
            let mut tx = self.begin_write(Some(PG_RESULTS_LOCK)).await?;
            let backend = self.backend();
            let mut inserted = insert_rows(&mut tx, backend, &rows).await?;
            // The first of duplicate rows within the batch is the one stored.
            let new: Vec<&RawRow<'_>> = rows
                .iter()
                .filter(|row| inserted.remove(&row.key()))
                .collect();
            let failed: Vec<&RawRow<'_>> = new.iter().copied().filter(|row| !row.ok).collect();
            insert_failures(&mut tx, backend, &failed).await?;
            rollup::fold(&mut tx, backend, &new).await?;
            tx.commit().await?;
            Ok(new.len() as u64)
        })
        .await
    }

    /// A monitor's results with `from <= at < to`, oldest first (by time,
    /// then location), at most `limit`. Several results can share a time
    /// (one per location), so to page without skipping any use
    /// [`Store::results_after`] with the last one's time and location.
    pub async fn results(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredResult>> {
        self.run("results", async {
            let rows = sqlx::query(select_results!(
                "FROM check_results r LEFT JOIN check_failures f \
                 ON f.monitor_id = r.monitor_id AND f.at_ms = r.at_ms \
                 AND f.location_id = r.location_id \
                 WHERE r.monitor_id = $1 AND r.at_ms >= $2 AND r.at_ms < $3 \
                 ORDER BY r.at_ms, r.location_id LIMIT $4"
            ))
            .bind(monitor.0)
            .bind(from.as_millisecond())
            .bind(to.as_millisecond())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(result_from_row).collect()
        })
        .await
    }

    /// A page of a monitor's results with `from <= at < to` that come after
    /// `after` (a previous page's last result's time and location) in the
    /// order of [`Store::results`], oldest first, at most `limit`. Keyset
    /// paging: no result is skipped or repeated, also when many share one
    /// millisecond.
    pub async fn results_after(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
        after: Option<(Timestamp, LocationId)>,
        limit: u32,
    ) -> Result<Vec<StoredResult>> {
        // Without a cursor, "after" is just before `from`: location ids are
        // positive, so `(from, -1)` admits every result at `from`.
        let (after_ms, after_location) = after.map_or((from.as_millisecond(), -1), |(at, l)| {
            (at.as_millisecond(), i32::from(l.0))
        });
        self.run("results_after", async {
            let rows = sqlx::query(select_results!(
                "FROM check_results r LEFT JOIN check_failures f \
                 ON f.monitor_id = r.monitor_id AND f.at_ms = r.at_ms \
                 AND f.location_id = r.location_id \
                 WHERE r.monitor_id = $1 AND r.at_ms >= $2 AND r.at_ms < $3 \
                 AND (r.at_ms > $4 OR (r.at_ms = $4 AND r.location_id > $5)) \
                 ORDER BY r.at_ms, r.location_id LIMIT $6"
            ))
            .bind(monitor.0)
            .bind(from.as_millisecond())
            .bind(to.as_millisecond())
            .bind(after_ms)
            .bind(after_location)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(result_from_row).collect()
        })
        .await
    }

    /// A monitor's newest stored result (from any location), if any.
    pub async fn latest_result(&self, monitor: MonitorId) -> Result<Option<StoredResult>> {
        self.run("latest_result", async {
            let row = sqlx::query(select_results!(
                "FROM check_results r LEFT JOIN check_failures f \
                 ON f.monitor_id = r.monitor_id AND f.at_ms = r.at_ms \
                 AND f.location_id = r.location_id \
                 WHERE r.monitor_id = $1 \
                 ORDER BY r.at_ms DESC, r.location_id DESC LIMIT 1"
            ))
            .bind(monitor.0)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(result_from_row).transpose()
        })
        .await
    }

    /// A monitor's most recent failed results with their reasons, newest
    /// first, at most `limit` (only as far back as raw results are kept).
    pub async fn recent_failures(
        &self,
        monitor: MonitorId,
        limit: u32,
    ) -> Result<Vec<StoredResult>> {
        self.run("recent_failures", async {
            let rows = sqlx::query(select_results!(
                "FROM check_failures f JOIN check_results r \
                 ON r.monitor_id = f.monitor_id AND r.at_ms = f.at_ms \
                 AND r.location_id = f.location_id \
                 WHERE f.monitor_id = $1 \
                 ORDER BY f.at_ms DESC, f.location_id DESC LIMIT $2"
            ))
            .bind(monitor.0)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(result_from_row).collect()
        })
        .await
    }
}

/// A result as its row stores it.
pub(super) struct RawRow<'a> {
    pub monitor: i32,
    pub at_ms: i64,
    pub location: i16,
    pub latency_ms: u32,
    pub ok: bool,
    status_code: Option<i32>,
    reason: Option<&'a str>,
}

impl RawRow<'_> {
    fn key(&self) -> (i32, i64, i16) {
        (self.monitor, self.at_ms, self.location)
    }
}

impl<'a> From<&'a StoredResult> for RawRow<'a> {
    fn from(result: &'a StoredResult) -> Self {
        RawRow {
            monitor: result.monitor.0,
            at_ms: result.at.as_millisecond(),
            location: result.location.0,
            latency_ms: duration_to_ms(result.latency),
            ok: result.ok,
            status_code: result.status_code.map(i32::from),
            reason: result.reason.as_deref(),
        }
    }
}

/// Inserts `rows`, skipping keys already stored; returns the keys inserted.
async fn insert_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[RawRow<'_>],
) -> Result<HashSet<(i32, i64, i16)>> {
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO check_results \
             (monitor_id, at_ms, location_id, latency_ms, ok, status_code) VALUES {} \
             ON CONFLICT DO NOTHING RETURNING monitor_id, at_ms, location_id",
            Placeholders::new(backend).tuples(chunk.len(), 6)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for row in chunk {
            query = query
                .bind(row.monitor)
                .bind(row.at_ms)
                .bind(row.location)
                .bind(i64::from(row.latency_ms))
                .bind(i64::from(row.ok))
                .bind(row.status_code);
        }
        for row in query.fetch_all(&mut *conn).await? {
            inserted.insert((
                col(&row, "monitor_id")?,
                col(&row, "at_ms")?,
                col(&row, "location_id")?,
            ));
        }
    }
    Ok(inserted)
}

/// Stores the reasons of newly inserted failed results.
async fn insert_failures(
    conn: &mut AnyConnection,
    backend: Backend,
    failed: &[&RawRow<'_>],
) -> Result<()> {
    for chunk in failed.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO check_failures (monitor_id, at_ms, location_id, reason) VALUES {} \
             ON CONFLICT DO NOTHING",
            Placeholders::new(backend).tuples(chunk.len(), 4)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for row in chunk {
            query = query
                .bind(row.monitor)
                .bind(row.at_ms)
                .bind(row.location)
                .bind(row.reason);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn result_from_row(row: &AnyRow) -> Result<StoredResult> {
    let latency_ms: i64 = col(row, "latency_ms")?;
    let latency_ms = u64::try_from(latency_ms).map_err(|_| {
        StoreError::Corrupt(format!(
            "column `latency_ms`: negative value `{latency_ms}`"
        ))
    })?;
    let status_code = col::<Option<i64>>(row, "status_code")?
        .map(|code| {
            u16::try_from(code).map_err(|_| {
                StoreError::Corrupt(format!("column `status_code`: `{code}` is not a status"))
            })
        })
        .transpose()?;
    let ok = col_flag(row, "ok")?;
    Ok(StoredResult {
        monitor: MonitorId(col(row, "monitor_id")?),
        at: col_time(row, "at_ms")?,
        latency: Duration::from_millis(latency_ms),
        ok,
        status_code,
        location: LocationId(col(row, "location_id")?),
        reason: if ok { None } else { col(row, "reason")? },
    })
}
