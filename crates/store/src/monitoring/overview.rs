//! Reads of many monitors at once, for the monitors list and its API:
//! [`Store::uptime_many`] and [`Store::latest_results`]. Each costs a fixed
//! number of statements per [`ROWS_PER_STATEMENT`] monitors instead of
//! several per monitor, and reads hot and packed results in one snapshot
//! like the per-monitor reads do.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::rollup::{Span, plan, width_s};
use super::{HOUR_MS, MonitorId, StoredResult, Uptime, floor_to, pack, packed, results};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::col;
use crate::{Backend, Result, Store, StoreError};

impl Store {
    /// Checks and failures of each of `monitors` with `from <= at < to`:
    /// for every monitor exactly what [`Store::uptime`] returns (whole
    /// hours and days from rollups, the ragged ends from raw results, hot
    /// and packed), including a zero [`Uptime`] for monitors without
    /// checks. Costs a handful of statements per
    /// 500 monitors, whatever the span, all in one snapshot.
    pub async fn uptime_many(
        &self,
        monitors: &[MonitorId],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<HashMap<MonitorId, Uptime>> {
        let tiles = plan(from.as_millisecond(), to.as_millisecond());
        let ids = distinct(monitors);
        self.run("uptime_many", async {
            let mut totals: HashMap<MonitorId, Uptime> =
                ids.iter().map(|&id| (id, Uptime::default())).collect();
            if ids.is_empty() || tiles.is_empty() {
                return Ok(totals);
            }
            let backend = self.backend();
            // Packing moves rows from the hot table to packed ones: read both
            // in one snapshot so that none is counted twice or missed.
            let mut tx = self.begin_read().await?;
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                for tile in &tiles {
                    match *tile {
                        Span::Raw { from, to } => {
                            hot_counts(&mut tx, backend, chunk, from, to, &mut totals).await?;
                            packed_counts(&mut tx, backend, chunk, from, to, &mut totals).await?;
                        }
                        Span::Rollup { width, from, to } => {
                            rollup_counts(&mut tx, backend, chunk, width, from, to, &mut totals)
                                .await?;
                        }
                    }
                }
            }
            tx.commit().await?;
            Ok(totals)
        })
        .await
    }

    /// The newest stored result (from any location, with its failure
    /// reason) of each of `monitors` that has one: for every monitor what
    /// [`Store::latest_result`] returns, monitors without results being
    /// absent. Costs two statements per 500 monitors, plus one or two
    /// more when some newest results are in packed hours.
    pub async fn latest_results(
        &self,
        monitors: &[MonitorId],
    ) -> Result<HashMap<MonitorId, StoredResult>> {
        let ids = distinct(monitors);
        self.run("latest_results", async {
            let mut newest = HashMap::new();
            if ids.is_empty() {
                return Ok(newest);
            }
            let backend = self.backend();
            let mut tx = self.begin_read().await?;
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                latest_of_chunk(&mut tx, backend, chunk, &mut newest).await?;
            }
            tx.commit().await?;
            Ok(newest)
        })
        .await
    }
}

/// `monitors` sorted, without duplicates.
fn distinct(monitors: &[MonitorId]) -> Vec<MonitorId> {
    let mut ids = monitors.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Adds the hot results of `chunk` with `from <= at < to` to `totals`.
async fn hot_counts(
    conn: &mut AnyConnection,
    backend: Backend,
    chunk: &[MonitorId],
    from: i64,
    to: i64,
    totals: &mut HashMap<MonitorId, Uptime>,
) -> Result<()> {
    let mut params = Placeholders::new(backend);
    let sql = format!(
        "SELECT monitor_id, COUNT(*) AS checks, \
         COALESCE(CAST(SUM(1 - ok) AS BIGINT), 0) AS failures \
         FROM check_results WHERE at_ms >= {} AND at_ms < {} AND monitor_id IN {} \
         GROUP BY monitor_id",
        params.one(),
        params.one(),
        params.tuple(chunk.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .bind(from)
        .bind(to);
    for monitor in chunk {
        query = query.bind(monitor.0);
    }
    for row in query.fetch_all(&mut *conn).await? {
        *totals
            .entry(MonitorId(col(&row, "monitor_id")?))
            .or_default() += counts(&row)?;
    }
    Ok(())
}

/// Adds the packed results of `chunk` with `from <= at < to` to `totals`.
async fn packed_counts(
    conn: &mut AnyConnection,
    backend: Backend,
    chunk: &[MonitorId],
    from: i64,
    to: i64,
    totals: &mut HashMap<MonitorId, Uptime>,
) -> Result<()> {
    let mut params = Placeholders::new(backend);
    let sql = format!(
        "SELECT monitor_id, hour_ms, data FROM check_results_packed \
         WHERE hour_ms >= {} AND hour_ms < {} AND monitor_id IN {}",
        params.one(),
        params.one(),
        params.tuple(chunk.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .bind(floor_to(from, HOUR_MS))
        .bind(to);
    for monitor in chunk {
        query = query.bind(monitor.0);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let hour: i64 = col(&row, "hour_ms")?;
        let data: Vec<u8> = col(&row, "data")?;
        let total = totals
            .entry(MonitorId(col(&row, "monitor_id")?))
            .or_default();
        for result in packed::decode(hour, &data)? {
            if result.at_ms >= from && result.at_ms < to {
                total.checks += 1;
                total.failures += u64::from(!result.ok);
            }
        }
    }
    Ok(())
}

/// Adds the rollups of `width` ms of `chunk` starting in `[from, to)` to
/// `totals`.
async fn rollup_counts(
    conn: &mut AnyConnection,
    backend: Backend,
    chunk: &[MonitorId],
    width: i64,
    from: i64,
    to: i64,
    totals: &mut HashMap<MonitorId, Uptime>,
) -> Result<()> {
    let mut params = Placeholders::new(backend);
    let sql = format!(
        "SELECT monitor_id, COALESCE(CAST(SUM(checks) AS BIGINT), 0) AS checks, \
         COALESCE(CAST(SUM(failures) AS BIGINT), 0) AS failures FROM check_rollups \
         WHERE width_s = {} AND start_ms >= {} AND start_ms < {} AND monitor_id IN {} \
         GROUP BY monitor_id",
        params.one(),
        params.one(),
        params.one(),
        params.tuple(chunk.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .persistent(false)
        .bind(width_s(width))
        .bind(from)
        .bind(to);
    for monitor in chunk {
        query = query.bind(monitor.0);
    }
    for row in query.fetch_all(&mut *conn).await? {
        *totals
            .entry(MonitorId(col(&row, "monitor_id")?))
            .or_default() += counts(&row)?;
    }
    Ok(())
}

/// The `checks` and `failures` columns of `row`.
fn counts(row: &AnyRow) -> Result<Uptime> {
    let count = |name: &str| {
        let n: i64 = col(row, name)?;
        u64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("column `{name}`: negative count `{n}`")))
    };
    Ok(Uptime {
        checks: count("checks")?,
        failures: count("failures")?,
    })
}

/// Adds the newest result of each monitor of `chunk` that has one to
/// `newest`: the newest hot row, or the newest packed result where that
/// is newer (ties broken by location, as [`Store::latest_result`] does).
async fn latest_of_chunk(
    conn: &mut AnyConnection,
    backend: Backend,
    chunk: &[MonitorId],
    newest: &mut HashMap<MonitorId, StoredResult>,
) -> Result<()> {
    // Per monitor: the time of its newest hot row and the hour of its
    // newest packed row, each one index seek.
    let mut params = Placeholders::new(backend);
    let sql = format!(
        "SELECT m.id AS monitor_id, \
         (SELECT MAX(r.at_ms) FROM check_results r WHERE r.monitor_id = m.id) AS hot_ms, \
         (SELECT MAX(p.hour_ms) FROM check_results_packed p WHERE p.monitor_id = m.id) \
         AS packed_hour \
         FROM monitors m WHERE m.id IN {}",
        params.tuple(chunk.len())
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
    for monitor in chunk {
        query = query.bind(monitor.0);
    }
    let mut hot_keys: Vec<(i32, i64)> = Vec::new();
    let mut packed_keys: Vec<(i32, i64)> = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let monitor: i32 = col(&row, "monitor_id")?;
        let hot: Option<i64> = col(&row, "hot_ms")?;
        let packed_hour: Option<i64> = col(&row, "packed_hour")?;
        if let Some(at) = hot {
            hot_keys.push((monitor, at));
        }
        // A packed hour can only hold a newer result if it ends after the
        // newest hot row (hot rows are mostly the current hour).
        if let Some(hour) = packed_hour
            && hot.is_none_or(|at| at < hour + HOUR_MS)
        {
            packed_keys.push((monitor, hour));
        }
    }

    // The hot rows at those times, from every location, with reasons.
    if !hot_keys.is_empty() {
        let mut params = Placeholders::new(backend);
        let sql = format!(
            "SELECT r.monitor_id, r.at_ms, r.location_id, r.latency_ms, r.ok, r.status_code, \
             f.reason FROM check_results r \
             JOIN (VALUES {}) AS k ON r.monitor_id = k.column1 AND r.at_ms = k.column2 \
             LEFT JOIN check_failures f ON f.monitor_id = r.monitor_id \
             AND f.at_ms = r.at_ms AND f.location_id = r.location_id",
            params.tuples(hot_keys.len(), 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (monitor, at) in &hot_keys {
            query = query.bind(*monitor).bind(*at);
        }
        for row in query.fetch_all(&mut *conn).await? {
            keep_newer(newest, results::result_from_row(&row)?);
        }
    }

    // The newest packed hours that may hold something newer.
    if !packed_keys.is_empty() {
        let mut params = Placeholders::new(backend);
        let sql = format!(
            "SELECT p.monitor_id, p.hour_ms, p.location_id, p.data \
             FROM check_results_packed p \
             JOIN (VALUES {}) AS k ON p.monitor_id = k.column1 AND p.hour_ms = k.column2",
            params.tuples(packed_keys.len(), 2)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (monitor, hour) in &packed_keys {
            query = query.bind(*monitor).bind(*hour);
        }
        let mut from_packed: Vec<StoredResult> = Vec::new();
        for row in query.fetch_all(&mut *conn).await? {
            let monitor = MonitorId(col(&row, "monitor_id")?);
            let hour: i64 = col(&row, "hour_ms")?;
            let location: i16 = col(&row, "location_id")?;
            let data: Vec<u8> = col(&row, "data")?;
            let best = packed::decode(hour, &data)?
                .into_iter()
                .max_by_key(|r| r.at_ms);
            if let Some(best) = best {
                from_packed.push(pack::to_stored(monitor, (location, best))?);
            }
        }
        let mut needs_reason: Vec<(i32, i64, i16)> = Vec::new();
        for result in from_packed {
            let key = (
                result.monitor.0,
                result.at.as_millisecond(),
                result.location.0,
            );
            if keep_newer(newest, result) && newest.get(&MonitorId(key.0)).is_some_and(|r| !r.ok) {
                needs_reason.push(key);
            }
        }
        add_reasons(conn, backend, &needs_reason, newest).await?;
    }
    Ok(())
}

/// Stores `result` in `newest` unless its monitor's entry is at least as
/// new (by time, then location); returns whether it was stored.
fn keep_newer(newest: &mut HashMap<MonitorId, StoredResult>, result: StoredResult) -> bool {
    match newest.get(&result.monitor) {
        Some(have) if (have.at, have.location) >= (result.at, result.location) => false,
        _ => {
            newest.insert(result.monitor, result);
            true
        }
    }
}

/// Fills in the failure reasons of the packed results at `keys` that are
/// still the newest of their monitor.
async fn add_reasons(
    conn: &mut AnyConnection,
    backend: Backend,
    keys: &[(i32, i64, i16)],
    newest: &mut HashMap<MonitorId, StoredResult>,
) -> Result<()> {
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut params = Placeholders::new(backend);
        let sql = format!(
            "SELECT f.monitor_id, f.at_ms, f.location_id, f.reason FROM check_failures f \
             JOIN (VALUES {}) AS k ON f.monitor_id = k.column1 AND f.at_ms = k.column2 \
             AND f.location_id = k.column3",
            params.tuples(chunk.len(), 3)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
        for (monitor, at, location) in chunk {
            query = query.bind(*monitor).bind(*at).bind(*location);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let monitor = MonitorId(col(&row, "monitor_id")?);
            let at: i64 = col(&row, "at_ms")?;
            let location: i16 = col(&row, "location_id")?;
            if let Some(result) = newest.get_mut(&monitor)
                && result.at.as_millisecond() == at
                && result.location.0 == location
                && !result.ok
            {
                result.reason = col(&row, "reason")?;
            }
        }
    }
    Ok(())
}
