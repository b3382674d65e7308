//! Raw check results: batched inserts (one transaction per batch, which also
//! updates the rollups) and reads of a monitor's results and recent failures,
//! hot rows and packed hours alike (each read in one snapshot).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::pack::{self, Key};
use super::sketch::duration_to_ms;
use super::{HOUR_MS, LocationId, MonitorId, StoredResult, floor_to, rollup};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{col, col_flag, col_time};
use crate::{Backend, Result, Store, StoreError};

/// The PostgreSQL advisory lock serializing result batches, so two
/// instances never read-modify-write the same rollup row at once
/// (`shiprslt` in ASCII).
pub(super) const PG_RESULTS_LOCK: i64 = 0x7368_6970_7273_6c74;

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
    /// (to the millisecond) and location are already stored (also in a
    /// packed hour) is skipped, so retrying a batch after a timeout is safe.
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
            // Results of hours already packed are not in the hot table's key.
            let packed = pack::packed_keys(&mut tx, backend, &rows).await?;
            let rows: Vec<RawRow<'_>> = rows
                .into_iter()
                .filter(|row| !packed.contains(&row.key()))
                .collect();
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
        let after = (from.as_millisecond(), i32::MIN);
        self.run("results", self.page(monitor, from, to, after, limit))
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
        // Without a cursor, "after" is just before `from`.
        let after = after.map_or((from.as_millisecond(), i32::MIN), |(at, l)| {
            (at.as_millisecond(), i32::from(l.0))
        });
        self.run("results_after", self.page(monitor, from, to, after, limit))
            .await
    }

    /// The page behind [`Store::results`] and [`Store::results_after`]:
    /// hot and packed results read in one snapshot and merged.
    async fn page(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
        (after_ms, after_location): (i64, i32),
        limit: u32,
    ) -> Result<Vec<StoredResult>> {
        let (from, to) = (from.as_millisecond(), to.as_millisecond());
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(select_results!(
            "FROM check_results r LEFT JOIN check_failures f \
             ON f.monitor_id = r.monitor_id AND f.at_ms = r.at_ms \
             AND f.location_id = r.location_id \
             WHERE r.monitor_id = $1 AND r.at_ms >= $2 AND r.at_ms < $3 \
             AND (r.at_ms > $4 OR (r.at_ms = $4 AND r.location_id > $5)) \
             ORDER BY r.at_ms, r.location_id LIMIT $6"
        ))
        .bind(monitor.0)
        .bind(from)
        .bind(to)
        .bind(after_ms)
        .bind(after_location)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut results = rows
            .iter()
            .map(result_from_row)
            .collect::<Result<Vec<_>>>()?;
        let packed = pack::packed_page(
            &mut tx,
            monitor,
            (from, to),
            (after_ms, after_location),
            limit as usize,
        )
        .await?;
        if !packed.is_empty() {
            for located in packed {
                results.push(pack::to_stored(monitor, located)?);
            }
            results.sort_by_key(|r| (r.at, r.location));
            results.dedup_by_key(|r| (r.at, r.location));
            results.truncate(limit as usize);
            add_reasons(&mut tx, monitor, &mut results).await?;
        }
        tx.commit().await?;
        Ok(results)
    }

    /// A monitor's newest stored result (from any location), if any.
    pub async fn latest_result(&self, monitor: MonitorId) -> Result<Option<StoredResult>> {
        self.run("latest_result", async {
            let mut tx = self.begin_read().await?;
            let row = sqlx::query(select_results!(
                "FROM check_results r LEFT JOIN check_failures f \
                 ON f.monitor_id = r.monitor_id AND f.at_ms = r.at_ms \
                 AND f.location_id = r.location_id \
                 WHERE r.monitor_id = $1 \
                 ORDER BY r.at_ms DESC, r.location_id DESC LIMIT 1"
            ))
            .bind(monitor.0)
            .fetch_optional(&mut *tx)
            .await?;
            let hot = row.as_ref().map(result_from_row).transpose()?;
            let packed = pack::packed_newest(&mut tx, monitor)
                .await?
                .map(|located| pack::to_stored(monitor, located))
                .transpose()?;
            let newest = match (hot, packed) {
                (Some(hot), Some(packed)) => {
                    if (packed.at, packed.location) > (hot.at, hot.location) {
                        let mut one = vec![packed];
                        add_reasons(&mut tx, monitor, &mut one).await?;
                        one.pop()
                    } else {
                        Some(hot)
                    }
                }
                (None, Some(packed)) => {
                    let mut one = vec![packed];
                    add_reasons(&mut tx, monitor, &mut one).await?;
                    one.pop()
                }
                (hot, None) => hot,
            };
            tx.commit().await?;
            Ok(newest)
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
            let mut tx = self.begin_read().await?;
            let failures = sqlx::query(
                "SELECT at_ms, location_id, reason FROM check_failures WHERE monitor_id = $1 \
                 ORDER BY at_ms DESC, location_id DESC LIMIT $2",
            )
            .bind(monitor.0)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            let mut keys: Vec<(i64, i16, Option<String>)> = Vec::with_capacity(failures.len());
            for row in &failures {
                keys.push((
                    col(row, "at_ms")?,
                    col(row, "location_id")?,
                    col(row, "reason")?,
                ));
            }
            let (Some(newest), Some(oldest)) = (keys.first(), keys.last()) else {
                tx.commit().await?;
                return Ok(Vec::new());
            };
            // The failed results themselves: hot rows, else packed ones.
            let rows = sqlx::query(
                "SELECT monitor_id, at_ms, location_id, latency_ms, ok, status_code, \
                 NULL AS reason FROM check_results \
                 WHERE monitor_id = $1 AND at_ms >= $2 AND at_ms <= $3 AND ok = 0",
            )
            .bind(monitor.0)
            .bind(oldest.0)
            .bind(newest.0)
            .fetch_all(&mut *tx)
            .await?;
            let mut found: HashMap<(i64, i16), StoredResult> = HashMap::new();
            for row in &rows {
                let result = result_from_row(row)?;
                found.insert((result.at.as_millisecond(), result.location.0), result);
            }
            let hours: BTreeSet<i64> = keys
                .iter()
                .filter(|(at, location, _)| !found.contains_key(&(*at, *location)))
                .map(|(at, _, _)| floor_to(*at, HOUR_MS))
                .collect();
            if !hours.is_empty() {
                for located in
                    pack::packed_in_hours(&mut tx, self.backend(), monitor, &hours).await?
                {
                    let result = pack::to_stored(monitor, located)?;
                    found
                        .entry((result.at.as_millisecond(), result.location.0))
                        .or_insert(result);
                }
            }
            tx.commit().await?;
            // As an inner join of reasons and results: a reason whose
            // result is gone is left out.
            Ok(keys
                .into_iter()
                .filter_map(|(at, location, reason)| {
                    let mut result = found.remove(&(at, location))?;
                    result.reason = if result.ok { None } else { reason };
                    Some(result)
                })
                .collect())
        })
        .await
    }
}

/// Fills in the reasons of the failed `results` (all of `monitor`) that
/// have none yet, from `check_failures`.
async fn add_reasons(
    conn: &mut AnyConnection,
    monitor: MonitorId,
    results: &mut [StoredResult],
) -> Result<()> {
    let missing = || results.iter().filter(|r| !r.ok && r.reason.is_none());
    let (Some(first), Some(last)) = (
        missing().map(|r| r.at.as_millisecond()).min(),
        missing().map(|r| r.at.as_millisecond()).max(),
    ) else {
        return Ok(());
    };
    let rows = sqlx::query(
        "SELECT at_ms, location_id, reason FROM check_failures \
         WHERE monitor_id = $1 AND at_ms >= $2 AND at_ms <= $3",
    )
    .bind(monitor.0)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let mut reasons: HashMap<(i64, i16), Option<String>> = HashMap::new();
    for row in &rows {
        reasons.insert(
            (col(row, "at_ms")?, col(row, "location_id")?),
            col(row, "reason")?,
        );
    }
    for result in results.iter_mut().filter(|r| !r.ok && r.reason.is_none()) {
        result.reason = reasons
            .remove(&(result.at.as_millisecond(), result.location.0))
            .flatten();
    }
    Ok(())
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
    pub(super) fn key(&self) -> Key {
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

/// A `check_results` row joined with its failure reason (`reason`).
pub(super) fn result_from_row(row: &AnyRow) -> Result<StoredResult> {
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
