//! Hour and day rollups: folding each inserted batch into them (read,
//! merge in Rust, write back, inside the batch's transaction), and the
//! reads built on them: uptime over any period, latency series and the
//! daily availability bar.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::pack;
use super::results::RawRow;
use super::sketch::LatencySketch;
use super::{
    DAY_MS, DayAvailability, HOUR_MS, MonitorId, Resolution, SeriesPoint, Uptime, ceil_to, floor_to,
};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::col;
use crate::{Backend, Result, Store, StoreError};

/// The resolutions kept as rollup rows, maintained on every insert.
pub(super) const ROLLED_UP: [Resolution; 2] = [Resolution::Hour, Resolution::Day];

impl Store {
    /// Checks and failures of a monitor with `from <= at < to`. Whole hours
    /// and days come from rollups, the ragged ends from raw results, so the
    /// figure is exact while raw results are kept and costs a handful of
    /// row reads for any span. Ends older than the raw retention count
    /// only their whole hours.
    pub async fn uptime(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Uptime> {
        self.run("uptime", async {
            let mut total = Uptime::default();
            for span in plan(from.as_millisecond(), to.as_millisecond()) {
                let row = match span {
                    Span::Raw { from, to } => {
                        // Hot rows and packed hours in one snapshot.
                        let mut tx = self.begin_read().await?;
                        let row = sqlx::query(
                            "SELECT COUNT(*) AS checks, \
                             COALESCE(CAST(SUM(1 - ok) AS BIGINT), 0) AS failures \
                             FROM check_results \
                             WHERE monitor_id = $1 AND at_ms >= $2 AND at_ms < $3",
                        )
                        .bind(monitor.0)
                        .bind(from)
                        .bind(to)
                        .fetch_one(&mut *tx)
                        .await?;
                        for (_, result) in pack::packed_between(&mut tx, monitor, from, to).await? {
                            total.checks += 1;
                            total.failures += u64::from(!result.ok);
                        }
                        tx.commit().await?;
                        row
                    }
                    Span::Rollup { width, from, to } => {
                        sqlx::query(
                            "SELECT COALESCE(CAST(SUM(checks) AS BIGINT), 0) AS checks, \
                             COALESCE(CAST(SUM(failures) AS BIGINT), 0) AS failures \
                             FROM check_rollups \
                             WHERE monitor_id = $1 AND width_s = $2 \
                             AND start_ms >= $3 AND start_ms < $4",
                        )
                        .bind(monitor.0)
                        .bind(width_s(width))
                        .bind(from)
                        .bind(to)
                        .fetch_one(self.pool())
                        .await?
                    }
                };
                total += uptime_from_row(&row)?;
            }
            Ok(total)
        })
        .await
    }

    /// A monitor's checks, failures and latency percentiles per period of
    /// `resolution`, for the periods starting in `[from rounded down, to)`,
    /// oldest first. Periods without checks are left out. Minute points
    /// come from raw results; hour and day points from rollups.
    pub async fn latency_series(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
        resolution: Resolution,
    ) -> Result<Vec<SeriesPoint>> {
        let width = resolution.width_ms();
        let from = floor_to(from.as_millisecond(), width);
        let to = to.as_millisecond();
        self.run("latency_series", async {
            let periods = if resolution == Resolution::Minute {
                self.raw_periods(monitor, from, to, width).await?
            } else {
                self.rollup_periods(monitor, width, from, to, width).await?
            };
            points(periods)
        })
        .await
    }

    /// Like [`Store::latency_series`] with periods of any `width` that
    /// divides an hour (computed from raw results, so only as far back as
    /// [`Retention::raw`](super::Retention::raw)) or is a whole number of
    /// hours (merged from hour rollups) or days (from day rollups). Periods
    /// are aligned to multiples of `width` since the epoch (so 6 h periods
    /// start at 00, 06, 12 and 18 UTC). Fails with
    /// [`StoreError::InvalidInput`] for any other width.
    ///
    /// Charts use it to keep the point count near 100–200 for any range:
    /// 10 min over a day, 6 h over a month.
    pub async fn latency_buckets(
        &self,
        monitor: MonitorId,
        from: Timestamp,
        to: Timestamp,
        width: std::time::Duration,
    ) -> Result<Vec<SeriesPoint>> {
        let width = i64::try_from(width.as_millis()).unwrap_or(i64::MAX);
        let source = if width > 0 && HOUR_MS % width == 0 {
            None
        } else if width > 0 && width % DAY_MS == 0 {
            Some(DAY_MS)
        } else if width > 0 && width % HOUR_MS == 0 {
            Some(HOUR_MS)
        } else {
            return Err(StoreError::InvalidInput(format!(
                "a latency period of {width} ms neither divides an hour nor is whole hours or days"
            )));
        };
        let from = floor_to(from.as_millisecond(), width);
        let to = to.as_millisecond();
        self.run("latency_buckets", async {
            let periods = match source {
                None => self.raw_periods(monitor, from, to, width).await?,
                Some(rollup) => {
                    self.rollup_periods(monitor, rollup, from, to, width)
                        .await?
                }
            };
            points(periods)
        })
        .await
    }

    /// Hourly latency series of several monitors at once (for sparklines):
    /// per monitor, the hours starting in `[from rounded down to the hour,
    /// to)` that had checks, oldest first. Monitors without any are absent.
    pub async fn hourly_series(
        &self,
        monitors: &[MonitorId],
        from: Timestamp,
        to: Timestamp,
    ) -> Result<HashMap<MonitorId, Vec<SeriesPoint>>> {
        let from = floor_to(from.as_millisecond(), HOUR_MS);
        let to = to.as_millisecond();
        self.run("hourly_series", async {
            let mut series: HashMap<MonitorId, Vec<SeriesPoint>> = HashMap::new();
            for chunk in monitors.chunks(ROWS_PER_STATEMENT) {
                let mut params = Placeholders::new(self.backend());
                let sql = format!(
                    "SELECT monitor_id, start_ms, checks, failures, sketch FROM check_rollups \
                     WHERE width_s = {} AND start_ms >= {} AND start_ms < {} AND monitor_id IN {} \
                     ORDER BY monitor_id, start_ms",
                    params.one(),
                    params.one(),
                    params.one(),
                    params.tuple(chunk.len())
                );
                let mut query = sqlx::query(AssertSqlSafe(sql))
                    .persistent(false)
                    .bind(width_s(HOUR_MS))
                    .bind(from)
                    .bind(to);
                for monitor in chunk {
                    query = query.bind(monitor.0);
                }
                for row in query.fetch_all(self.pool()).await? {
                    let point = period_from_row(&row)?.point(col(&row, "start_ms")?)?;
                    series
                        .entry(MonitorId(col(&row, "monitor_id")?))
                        .or_default()
                        .push(point);
                }
            }
            Ok(series)
        })
        .await
    }

    /// Raw results (hot and packed) with `from <= at < to` folded into
    /// periods of `width` ms.
    async fn raw_periods(
        &self,
        monitor: MonitorId,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<BTreeMap<i64, Period>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT at_ms, latency_ms, ok FROM check_results \
             WHERE monitor_id = $1 AND at_ms >= $2 AND at_ms < $3",
        )
        .bind(monitor.0)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
        let packed = pack::packed_between(&mut tx, monitor, from, to).await?;
        tx.commit().await?;
        let mut periods: BTreeMap<i64, Period> = BTreeMap::new();
        for row in &rows {
            let at: i64 = col(row, "at_ms")?;
            let latency: i64 = col(row, "latency_ms")?;
            let ok: i64 = col(row, "ok")?;
            let latency = u32::try_from(latency).map_err(|_| {
                StoreError::Corrupt(format!("column `latency_ms`: `{latency}` out of range"))
            })?;
            periods
                .entry(floor_to(at, width))
                .or_default()
                .add(latency, ok != 0);
        }
        for (_, result) in packed {
            periods
                .entry(floor_to(result.at_ms, width))
                .or_default()
                .add(result.latency_ms, result.ok);
        }
        Ok(periods)
    }

    /// Rollup rows of width `rollup` starting in `[from, to)`, merged into
    /// periods of `width` ms (a multiple of `rollup`).
    async fn rollup_periods(
        &self,
        monitor: MonitorId,
        rollup: i64,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<BTreeMap<i64, Period>> {
        let rows = sqlx::query(
            "SELECT start_ms, checks, failures, sketch FROM check_rollups \
             WHERE monitor_id = $1 AND width_s = $2 AND start_ms >= $3 AND start_ms < $4 \
             ORDER BY start_ms",
        )
        .bind(monitor.0)
        .bind(width_s(rollup))
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut periods: BTreeMap<i64, Period> = BTreeMap::new();
        for row in &rows {
            let start: i64 = col(row, "start_ms")?;
            periods
                .entry(floor_to(start, width))
                .or_default()
                .merge(&period_from_row(row)?);
        }
        Ok(periods)
    }

    /// Availability per UTC day for the `days` days ending with the one
    /// holding `now` (today, so far), oldest first; days without checks are
    /// included with zero checks, so the result always has `days` entries.
    pub async fn daily_availability(
        &self,
        monitor: MonitorId,
        days: u32,
        now: Timestamp,
    ) -> Result<Vec<DayAvailability>> {
        let end = floor_to(now.as_millisecond(), DAY_MS) + DAY_MS;
        let start = end - i64::from(days) * DAY_MS;
        self.run("daily_availability", async {
            let rows = sqlx::query(
                "SELECT start_ms, checks, failures FROM check_rollups \
                 WHERE monitor_id = $1 AND width_s = $2 AND start_ms >= $3 AND start_ms < $4",
            )
            .bind(monitor.0)
            .bind(width_s(DAY_MS))
            .bind(start)
            .bind(end)
            .fetch_all(self.pool())
            .await?;
            let mut by_day = BTreeMap::new();
            for row in &rows {
                by_day.insert(col::<i64>(row, "start_ms")?, uptime_from_row(row)?);
            }
            (0..i64::from(days))
                .map(|i| {
                    let day_ms = start + i * DAY_MS;
                    Ok(DayAvailability {
                        day: to_time(day_ms)?,
                        uptime: by_day.get(&day_ms).copied().unwrap_or_default(),
                    })
                })
                .collect()
        })
        .await
    }
}

/// Folds newly inserted results into their hour and day rollups.
pub(super) async fn fold(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[&RawRow<'_>],
) -> Result<()> {
    // (width, period start) → monitor → what this batch adds.
    let mut deltas: BTreeMap<(i64, i64), BTreeMap<i32, Period>> = BTreeMap::new();
    for row in rows {
        for resolution in ROLLED_UP {
            let width = resolution.width_ms();
            deltas
                .entry((width, floor_to(row.at_ms, width)))
                .or_default()
                .entry(row.monitor)
                .or_default()
                .add(row.latency_ms, row.ok);
        }
    }
    for ((width, start), mut by_monitor) in deltas {
        let monitors: Vec<i32> = by_monitor.keys().copied().collect();
        for chunk in monitors.chunks(ROWS_PER_STATEMENT) {
            let mut params = Placeholders::new(backend);
            let sql = format!(
                "SELECT monitor_id, checks, failures, sketch FROM check_rollups \
                 WHERE width_s = {} AND start_ms = {} AND monitor_id IN {}",
                params.one(),
                params.one(),
                params.tuple(chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .persistent(false)
                .bind(width_s(width))
                .bind(start);
            for monitor in chunk {
                query = query.bind(*monitor);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let stored = period_from_row(&row)?;
                if let Some(period) = by_monitor.get_mut(&col(&row, "monitor_id")?) {
                    period.merge(&stored);
                }
            }
        }
        let merged: Vec<(i32, Period)> = by_monitor.into_iter().collect();
        for chunk in merged.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO check_rollups \
                 (monitor_id, width_s, start_ms, checks, failures, sketch) VALUES {} \
                 ON CONFLICT (monitor_id, width_s, start_ms) DO UPDATE SET \
                 checks = excluded.checks, failures = excluded.failures, sketch = excluded.sketch",
                Placeholders::new(backend).tuples(chunk.len(), 6)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
            for (monitor, period) in chunk {
                query = query
                    .bind(*monitor)
                    .bind(width_s(width))
                    .bind(start)
                    .bind(to_i64(period.uptime.checks))
                    .bind(to_i64(period.uptime.failures))
                    .bind(period.sketch.to_bytes());
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Series points of `periods`, oldest first.
fn points(periods: BTreeMap<i64, Period>) -> Result<Vec<SeriesPoint>> {
    periods
        .into_iter()
        .map(|(start, period)| period.point(start))
        .collect()
}

/// The rollup `width_s` column for a width in milliseconds.
pub(super) fn width_s(width_ms: i64) -> i64 {
    width_ms / 1_000
}

/// One period's counts and the latencies of its successful checks.
#[derive(Debug, Default)]
struct Period {
    uptime: Uptime,
    sketch: LatencySketch,
}

impl Period {
    fn add(&mut self, latency_ms: u32, ok: bool) {
        self.uptime.checks += 1;
        if ok {
            self.sketch.record_ms(latency_ms);
        } else {
            self.uptime.failures += 1;
        }
    }

    fn merge(&mut self, other: &Period) {
        self.uptime += other.uptime;
        self.sketch.merge(&other.sketch);
    }

    fn point(&self, start_ms: i64) -> Result<SeriesPoint> {
        Ok(SeriesPoint {
            start: to_time(start_ms)?,
            uptime: self.uptime,
            p50: self.sketch.quantile(0.50),
            p95: self.sketch.quantile(0.95),
            p99: self.sketch.quantile(0.99),
        })
    }
}

/// A part of an uptime query: raw rows, or whole rollup periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Span {
    /// Raw results with `from <= at < to`.
    Raw { from: i64, to: i64 },
    /// Rollups of `width` ms starting in `[from, to)`.
    Rollup { width: i64, from: i64, to: i64 },
}

/// Splits `[from, to)` into raw ends, whole hours and whole days.
pub(super) fn plan(from: i64, to: i64) -> Vec<Span> {
    let mut spans = Vec::new();
    let (first_hour, last_hour) = (ceil_to(from, HOUR_MS), floor_to(to, HOUR_MS));
    if from >= to {
        return spans;
    }
    if first_hour >= last_hour {
        spans.push(Span::Raw { from, to });
        return spans;
    }
    if from < first_hour {
        spans.push(Span::Raw {
            from,
            to: first_hour,
        });
    }
    let (first_day, last_day) = (ceil_to(first_hour, DAY_MS), floor_to(last_hour, DAY_MS));
    let mut rollup = |width, from, to| {
        if from < to {
            spans.push(Span::Rollup { width, from, to });
        }
    };
    if first_day < last_day {
        rollup(HOUR_MS, first_hour, first_day);
        rollup(DAY_MS, first_day, last_day);
        rollup(HOUR_MS, last_day, last_hour);
    } else {
        rollup(HOUR_MS, first_hour, last_hour);
    }
    if last_hour < to {
        spans.push(Span::Raw {
            from: last_hour,
            to,
        });
    }
    spans
}

fn period_from_row(row: &AnyRow) -> Result<Period> {
    let bytes: Vec<u8> = col(row, "sketch")?;
    Ok(Period {
        uptime: uptime_from_row(row)?,
        sketch: LatencySketch::from_bytes(&bytes)?,
    })
}

fn uptime_from_row(row: &AnyRow) -> Result<Uptime> {
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

fn to_time(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::InvalidInput(format!("`{ms}` ms is not a time: {e}")))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(span: Span) -> (i64, i64) {
        match span {
            Span::Raw { from, to } | Span::Rollup { from, to, .. } => (from, to),
        }
    }

    #[test]
    fn plan_tiles_the_range_with_whole_periods() {
        let cases = [
            (0, 0),
            (5, 10),
            (HOUR_MS - 1, HOUR_MS + 1),
            (0, HOUR_MS),
            (1, 3 * HOUR_MS + 7),
            (DAY_MS - 5, 3 * DAY_MS + HOUR_MS + 5),
            (-3 * DAY_MS - 17, 40 * DAY_MS + 123),
            (2 * DAY_MS, 4 * DAY_MS),
        ];
        for (from, to) in cases {
            let spans = plan(from, to);
            let mut at = from;
            for span in &spans {
                let (a, b) = bounds(*span);
                assert_eq!(a, at, "contiguous: {spans:?}");
                assert!(a < b, "non-empty: {spans:?}");
                if let Span::Rollup { width, .. } = span {
                    assert!(a % width == 0 && b % width == 0, "aligned: {spans:?}");
                }
                at = b;
            }
            assert_eq!(at, from.max(to), "ends at `to`: {spans:?}");
        }
        assert_eq!(
            plan(DAY_MS - 5, 3 * DAY_MS + HOUR_MS + 5),
            vec![
                Span::Raw {
                    from: DAY_MS - 5,
                    to: DAY_MS
                },
                Span::Rollup {
                    width: DAY_MS,
                    from: DAY_MS,
                    to: 3 * DAY_MS
                },
                Span::Rollup {
                    width: HOUR_MS,
                    from: 3 * DAY_MS,
                    to: 3 * DAY_MS + HOUR_MS
                },
                Span::Raw {
                    from: 3 * DAY_MS + HOUR_MS,
                    to: 3 * DAY_MS + HOUR_MS + 5
                },
            ]
        );
    }
}
