//! Packing closed hours: moving the `check_results` rows of hours that
//! ended into one `check_results_packed` row per monitor, hour and location
//! (see `packed.rs` for the encoding), and the reads and deletes of packed
//! rows that the raw-result readers, inserts and retention share.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::packed::{self, PackedResult};
use super::results::{PG_RESULTS_LOCK, RawRow};
use super::{HOUR_MS, LocationId, MonitorId, StoredResult, floor_to};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{col, col_flag};
use crate::{Backend, Result, Store, StoreError};

/// How long after an hour ends it is packed, so that late batches (a probe
/// that was catching up, a retried insert) still land in the hot table.
pub const PACK_GRACE: Duration = Duration::from_secs(5 * 60);

/// Monitors whose closed hours one packing transaction handles at most.
const MONITORS_PER_PACK: usize = 32;

/// Raw rows one packing transaction moves at most, so it holds the write
/// lock (which inserts wait for) only briefly.
const ROWS_PER_PACK: usize = 8_192;

/// Packed rows read per statement when paging through them.
const PACKED_PER_READ: usize = 64;

/// A result's key: monitor, time in ms, location.
pub(super) type Key = (i32, i64, i16);

/// A result's time in ms and location.
type TimeLocation = (i64, i16);

/// A decoded result with its location (the monitor is the caller's).
pub(super) type Located = (i16, PackedResult);

impl Store {
    /// Packs closed hours: moves the raw results of every hour that ended
    /// at least [`PACK_GRACE`] before `now` from the hot `check_results`
    /// table into `check_results_packed`, one row per monitor, hour and
    /// location, about 3 bytes a check. A result arriving late for a packed
    /// hour goes to the hot table (a duplicate of a packed one is skipped)
    /// and is merged into the packed row by the next call. Returns how
    /// many results were moved.
    ///
    /// Readers see packed and hot results alike, so calling this changes no
    /// read. [`Store::prune`] calls it; it is idempotent, runs as many short
    /// transactions (a few monitors each), and is safe to run from several
    /// instances at once (on PostgreSQL it takes the lock result inserts
    /// take). A failure leaves the rest for the next call.
    pub async fn pack_closed_hours(&self, now: Timestamp) -> Result<u64> {
        let grace = super::duration_ms(PACK_GRACE);
        let before = floor_to(now.as_millisecond().saturating_sub(grace), HOUR_MS);
        let monitors = self.monitor_ids("pack_closed_hours").await?;
        let mut moved = 0;
        let mut next = 0;
        while next < monitors.len() {
            let chunk = &monitors[next..monitors.len().min(next + MONITORS_PER_PACK)];
            let (n, cut_at) = self
                .run("pack_closed_hours", self.pack_some(chunk, before))
                .await?;
            moved += n;
            // A transaction that hit the row cap resumes at the monitor it
            // stopped in (whose moved rows are gone from the hot table).
            next += cut_at.unwrap_or(chunk.len());
        }
        if moved > 0 {
            tracing::debug!(moved, "packed closed hours of raw results");
        }
        Ok(moved)
    }

    /// Every registered monitor's id, in id order.
    pub(super) async fn monitor_ids(&self, op: &'static str) -> Result<Vec<MonitorId>> {
        self.run(op, async {
            let rows = sqlx::query("SELECT id FROM monitors ORDER BY id")
                .fetch_all(self.pool())
                .await?;
            rows.iter()
                .map(|row| Ok(MonitorId(col(row, "id")?)))
                .collect()
        })
        .await
    }

    /// One packing transaction over `monitors`' rows from before `before`;
    /// returns the rows moved and, if it stopped at the row cap, the index
    /// in `monitors` of the monitor it stopped in.
    async fn pack_some(&self, monitors: &[MonitorId], before: i64) -> Result<(u64, Option<usize>)> {
        let backend = self.backend();
        let mut tx = self.begin_write(Some(PG_RESULTS_LOCK)).await?;
        let mut params = Placeholders::new(backend);
        let sql = format!(
            "SELECT monitor_id, at_ms, location_id, latency_ms, ok, status_code \
             FROM check_results WHERE at_ms < {} AND monitor_id IN {} \
             ORDER BY monitor_id, at_ms, location_id LIMIT {}",
            params.one(),
            params.tuple(monitors.len()),
            params.one()
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .persistent(false)
            .bind(before);
        for monitor in monitors {
            query = query.bind(monitor.0);
        }
        let rows = query.bind(ROWS_PER_PACK as i64).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok((0, None));
        }
        let full = rows.len() == ROWS_PER_PACK;

        // (monitor, hour, location) → the hot results of that packed row;
        // and per monitor, the first and last (time, location) read.
        let mut groups: BTreeMap<(i32, i64, i16), Vec<PackedResult>> = BTreeMap::new();
        let mut spans: BTreeMap<i32, (TimeLocation, TimeLocation)> = BTreeMap::new();
        for row in &rows {
            let monitor: i32 = col(row, "monitor_id")?;
            let location: i16 = col(row, "location_id")?;
            let result = hot_result(row)?;
            let key = (result.at_ms, location);
            spans
                .entry(monitor)
                .and_modify(|span| span.1 = key)
                .or_insert((key, key));
            groups
                .entry((monitor, floor_to(result.at_ms, HOUR_MS), location))
                .or_default()
                .push(result);
        }

        // Merge with the packed rows already there (late results).
        let hours: BTreeSet<i64> = groups.keys().map(|&(_, hour, _)| hour).collect();
        let (first_hour, last_hour) = match (hours.first(), hours.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => return Ok((0, None)),
        };
        let present: Vec<i32> = spans.keys().copied().collect();
        for chunk in present.chunks(ROWS_PER_STATEMENT) {
            let mut params = Placeholders::new(backend);
            let sql = format!(
                "SELECT monitor_id, hour_ms, location_id, data FROM check_results_packed \
                 WHERE hour_ms >= {} AND hour_ms <= {} AND monitor_id IN {}",
                params.one(),
                params.one(),
                params.tuple(chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .persistent(false)
                .bind(first_hour)
                .bind(last_hour);
            for monitor in chunk {
                query = query.bind(*monitor);
            }
            for row in query.fetch_all(&mut *tx).await? {
                let hour: i64 = col(&row, "hour_ms")?;
                let key = (
                    col::<i32>(&row, "monitor_id")?,
                    hour,
                    col::<i16>(&row, "location_id")?,
                );
                if let Some(group) = groups.get_mut(&key) {
                    let data: Vec<u8> = col(&row, "data")?;
                    // Stored results first: a stable sort and dedup keep them.
                    let mut merged = packed::decode(hour, &data)?;
                    merged.append(group);
                    merged.sort_by_key(|r| r.at_ms);
                    merged.dedup_by_key(|r| r.at_ms);
                    *group = merged;
                }
            }
        }

        let encoded: Vec<((i32, i64, i16), Vec<u8>)> = groups
            .iter()
            .map(|(&(monitor, hour, location), results)| {
                Ok(((monitor, hour, location), packed::encode(hour, results)?))
            })
            .collect::<Result<_>>()?;
        for chunk in encoded.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO check_results_packed (monitor_id, hour_ms, location_id, data) \
                 VALUES {} ON CONFLICT (monitor_id, hour_ms, location_id) \
                 DO UPDATE SET data = excluded.data",
                Placeholders::new(backend).tuples(chunk.len(), 4)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
            for ((monitor, hour, location), data) in chunk {
                query = query
                    .bind(*monitor)
                    .bind(*hour)
                    .bind(*location)
                    .bind(data.clone());
            }
            query.execute(&mut *tx).await?;
        }

        // Delete exactly the rows read: per monitor, from its first to its
        // last (time, location); nothing else writes them meanwhile.
        let mut deleted = 0;
        for (monitor, ((first_at, _), (last_at, last_location))) in &spans {
            deleted += sqlx::query(
                "DELETE FROM check_results WHERE monitor_id = $1 AND at_ms >= $2 \
                 AND (at_ms < $3 OR (at_ms = $3 AND location_id <= $4))",
            )
            .bind(*monitor)
            .bind(*first_at)
            .bind(*last_at)
            .bind(*last_location)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if deleted != rows.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "packing read {} raw results but would delete {deleted}; nothing was changed",
                rows.len()
            )));
        }
        tx.commit().await?;
        let cut_at = full
            .then(|| spans.keys().next_back())
            .flatten()
            .and_then(|last| monitors.iter().position(|m| m.0 == *last));
        Ok((deleted, cut_at))
    }
}

/// The keys among `rows` that are already stored in packed rows, so an
/// insert skips them like the hot table's own duplicates.
pub(super) async fn packed_keys(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[RawRow<'_>],
) -> Result<HashSet<Key>> {
    let mut by_hour: BTreeMap<i64, BTreeSet<i32>> = BTreeMap::new();
    for row in rows {
        by_hour
            .entry(floor_to(row.at_ms, HOUR_MS))
            .or_default()
            .insert(row.monitor);
    }
    let mut found = HashSet::new();
    for (hour, monitors) in by_hour {
        let monitors: Vec<i32> = monitors.into_iter().collect();
        for chunk in monitors.chunks(ROWS_PER_STATEMENT) {
            let mut params = Placeholders::new(backend);
            let sql = format!(
                "SELECT monitor_id, location_id, data FROM check_results_packed \
                 WHERE hour_ms = {} AND monitor_id IN {}",
                params.one(),
                params.tuple(chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false).bind(hour);
            for monitor in chunk {
                query = query.bind(*monitor);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let monitor: i32 = col(&row, "monitor_id")?;
                let location: i16 = col(&row, "location_id")?;
                let data: Vec<u8> = col(&row, "data")?;
                for result in packed::decode(hour, &data)? {
                    found.insert((monitor, result.at_ms, location));
                }
            }
        }
    }
    Ok(found)
}

/// Decodes packed rows (`hour_ms`, `location_id`, `data`) into results.
fn decode_rows(rows: &[AnyRow]) -> Result<Vec<Located>> {
    let mut out = Vec::new();
    for row in rows {
        let hour: i64 = col(row, "hour_ms")?;
        let location: i16 = col(row, "location_id")?;
        let data: Vec<u8> = col(row, "data")?;
        out.extend(
            packed::decode(hour, &data)?
                .into_iter()
                .map(|r| (location, r)),
        );
    }
    Ok(out)
}

/// A monitor's packed results with `from <= at < to`, in no order.
pub(super) async fn packed_between(
    conn: &mut AnyConnection,
    monitor: MonitorId,
    from: i64,
    to: i64,
) -> Result<Vec<Located>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT hour_ms, location_id, data FROM check_results_packed \
         WHERE monitor_id = $1 AND hour_ms >= $2 AND hour_ms < $3",
    )
    .bind(monitor.0)
    .bind(floor_to(from, HOUR_MS))
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut results = decode_rows(&rows)?;
    results.retain(|(_, r)| r.at_ms >= from && r.at_ms < to);
    Ok(results)
}

/// The first `limit` of a monitor's packed results with `from <= at < to`
/// that come after `after` (time, location), ordered by time then location.
/// Reads whole hours, in hour order, only until it has `limit`.
pub(super) async fn packed_page(
    conn: &mut AnyConnection,
    monitor: MonitorId,
    (from, to): (i64, i64),
    after: (i64, i32),
    limit: usize,
) -> Result<Vec<Located>> {
    let mut out: Vec<Located> = Vec::new();
    let mut next_hour = floor_to(from.max(after.0), HOUR_MS);
    let wanted = |location: i16, r: &PackedResult| {
        r.at_ms >= from
            && r.at_ms < to
            && (r.at_ms > after.0 || (r.at_ms == after.0 && i32::from(location) > after.1))
    };
    while next_hour < to && out.len() < limit {
        let mut rows = sqlx::query(
            "SELECT hour_ms, location_id, data FROM check_results_packed \
             WHERE monitor_id = $1 AND hour_ms >= $2 AND hour_ms < $3 \
             ORDER BY hour_ms, location_id LIMIT $4",
        )
        .bind(monitor.0)
        .bind(next_hour)
        .bind(to)
        .bind(PACKED_PER_READ as i64)
        .fetch_all(&mut *conn)
        .await?;
        let hour_of = |row: &AnyRow| col::<i64>(row, "hour_ms");
        let (first, last) = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => (hour_of(first)?, hour_of(last)?),
            _ => break,
        };
        if rows.len() < PACKED_PER_READ {
            next_hour = to;
        } else if first == last {
            // One hour with that many locations: read it whole.
            rows = sqlx::query(
                "SELECT hour_ms, location_id, data FROM check_results_packed \
                 WHERE monitor_id = $1 AND hour_ms = $2",
            )
            .bind(monitor.0)
            .bind(last)
            .fetch_all(&mut *conn)
            .await?;
            next_hour = last.saturating_add(HOUR_MS);
        } else {
            // The last hour read may be cut short: read it again next time.
            let mut whole = Vec::with_capacity(rows.len());
            for row in rows {
                if hour_of(&row)? < last {
                    whole.push(row);
                }
            }
            rows = whole;
            next_hour = last;
        }
        // Whole hours only, so everything after them is later.
        out.extend(
            decode_rows(&rows)?
                .into_iter()
                .filter(|(location, r)| wanted(*location, r)),
        );
    }
    out.sort_by_key(|(location, r)| (r.at_ms, *location));
    out.truncate(limit);
    Ok(out)
}

/// A monitor's newest packed result (by time, then location), if any.
pub(super) async fn packed_newest(
    conn: &mut AnyConnection,
    monitor: MonitorId,
) -> Result<Option<Located>> {
    let newest = sqlx::query(
        "SELECT hour_ms FROM check_results_packed WHERE monitor_id = $1 \
         ORDER BY hour_ms DESC LIMIT 1",
    )
    .bind(monitor.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let hour: i64 = col(&newest, "hour_ms")?;
    let rows = sqlx::query(
        "SELECT hour_ms, location_id, data FROM check_results_packed \
         WHERE monitor_id = $1 AND hour_ms = $2",
    )
    .bind(monitor.0)
    .bind(hour)
    .fetch_all(&mut *conn)
    .await?;
    Ok(decode_rows(&rows)?
        .into_iter()
        .max_by_key(|(location, r)| (r.at_ms, *location)))
}

/// A monitor's packed results in the hours starting at `hours`, in no order.
pub(super) async fn packed_in_hours(
    conn: &mut AnyConnection,
    backend: Backend,
    monitor: MonitorId,
    hours: &BTreeSet<i64>,
) -> Result<Vec<Located>> {
    let hours: Vec<i64> = hours.iter().copied().collect();
    let mut out = Vec::new();
    for chunk in hours.chunks(ROWS_PER_STATEMENT) {
        let mut params = Placeholders::new(backend);
        let sql = format!(
            "SELECT hour_ms, location_id, data FROM check_results_packed \
             WHERE monitor_id = {} AND hour_ms IN {}",
            params.one(),
            params.tuple(chunk.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .persistent(false)
            .bind(monitor.0);
        for hour in chunk {
            query = query.bind(*hour);
        }
        out.extend(decode_rows(&query.fetch_all(&mut *conn).await?)?);
    }
    Ok(out)
}

/// Deletes a monitor's packed results from before `cutoff`: the rows of
/// hours that ended by then whole, and the older results of the hour
/// holding it. Returns how many results were deleted. A row that cannot be
/// decoded is deleted if its hour is over (counting nothing) and left alone
/// otherwise, with a warning either way.
pub(super) async fn prune_packed(
    conn: &mut AnyConnection,
    monitor: MonitorId,
    cutoff: i64,
) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT hour_ms, location_id, data FROM check_results_packed \
         WHERE monitor_id = $1 AND hour_ms < $2",
    )
    .bind(monitor.0)
    .bind(cutoff)
    .fetch_all(&mut *conn)
    .await?;
    let mut deleted = 0;
    for row in &rows {
        let hour: i64 = col(row, "hour_ms")?;
        let location: i16 = col(row, "location_id")?;
        let data: Vec<u8> = col(row, "data")?;
        let whole = hour.saturating_add(HOUR_MS) <= cutoff;
        let results = match packed::decode(hour, &data) {
            Ok(results) => results,
            Err(error) => {
                tracing::warn!(monitor = monitor.0, hour, location, %error, whole, "undecodable packed results; deleting it only once its hour is past retention");
                if whole {
                    delete_packed(conn, monitor, hour, location).await?;
                }
                continue;
            }
        };
        let kept: Vec<PackedResult> = results
            .iter()
            .copied()
            .filter(|r| r.at_ms >= cutoff)
            .collect();
        if kept.len() == results.len() {
            continue;
        }
        deleted += (results.len() - kept.len()) as u64;
        if kept.is_empty() {
            delete_packed(conn, monitor, hour, location).await?;
        } else {
            sqlx::query(
                "UPDATE check_results_packed SET data = $1 \
                 WHERE monitor_id = $2 AND hour_ms = $3 AND location_id = $4",
            )
            .bind(packed::encode(hour, &kept)?)
            .bind(monitor.0)
            .bind(hour)
            .bind(location)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(deleted)
}

async fn delete_packed(
    conn: &mut AnyConnection,
    monitor: MonitorId,
    hour: i64,
    location: i16,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM check_results_packed \
         WHERE monitor_id = $1 AND hour_ms = $2 AND location_id = $3",
    )
    .bind(monitor.0)
    .bind(hour)
    .bind(location)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A packed result as a [`StoredResult`] of `monitor`, without its reason.
pub(super) fn to_stored(monitor: MonitorId, (location, r): Located) -> Result<StoredResult> {
    Ok(StoredResult {
        monitor,
        at: Timestamp::from_millisecond(r.at_ms)
            .map_err(|e| StoreError::Corrupt(format!("packed result at `{}` ms: {e}", r.at_ms)))?,
        latency: Duration::from_millis(u64::from(r.latency_ms)),
        ok: r.ok,
        status_code: r.status_code,
        location: LocationId(location),
        reason: None,
    })
}

/// A hot `check_results` row (its `at_ms`, `latency_ms`, `ok` and
/// `status_code`) as a packed result.
fn hot_result(row: &AnyRow) -> Result<PackedResult> {
    let latency: i64 = col(row, "latency_ms")?;
    let status = col::<Option<i64>>(row, "status_code")?;
    Ok(PackedResult {
        at_ms: col(row, "at_ms")?,
        latency_ms: u32::try_from(latency).map_err(|_| {
            StoreError::Corrupt(format!("column `latency_ms`: `{latency}` out of range"))
        })?,
        ok: col_flag(row, "ok")?,
        status_code: status
            .map(|code| {
                u16::try_from(code).map_err(|_| {
                    StoreError::Corrupt(format!("column `status_code`: `{code}` is not a status"))
                })
            })
            .transpose()?,
    })
}
