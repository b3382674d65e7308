//! The monitor and location registries: catalog names mapped to the small
//! integer ids result rows store. Registering is idempotent and never burns
//! ids for names that already exist.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use sqlx::{AnyPool, AssertSqlSafe};

use super::{LocationId, MonitorId, MonitorName, MonitorRecord};
use crate::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{col, col_flag, col_time};
use crate::{Result, Store, StoreError};

impl Store {
    /// Registers monitors by name (idempotent: known names keep their id)
    /// and returns the id of each. New ones are recorded as created at `now`.
    pub async fn register_monitors(
        &self,
        names: &[MonitorName],
        now: Timestamp,
    ) -> Result<HashMap<MonitorName, MonitorId>> {
        let keys: Vec<[&str; 2]> = names
            .iter()
            .map(|n| [n.service.as_str(), n.monitor.as_str()])
            .collect();
        let ids = self
            .register("register_monitors", &MONITORS, &keys, now)
            .await?;
        names
            .iter()
            .map(|name| {
                let key = [name.service.clone(), name.monitor.clone()];
                let id = registered(&ids, &key, "monitors")?;
                Ok((name.clone(), MonitorId(narrow(id, "monitors.id")?)))
            })
            .collect()
    }

    /// Every registered monitor, by id.
    pub async fn monitors(&self) -> Result<Vec<MonitorRecord>> {
        self.run("monitors", async {
            let rows = sqlx::query(
                "SELECT id, service, monitor, paused, created_at FROM monitors ORDER BY id",
            )
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(MonitorRecord {
                        id: MonitorId(col(row, "id")?),
                        name: MonitorName {
                            service: col(row, "service")?,
                            monitor: col(row, "monitor")?,
                        },
                        paused: col_flag(row, "paused")?,
                        created_at: col_time(row, "created_at")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// The names of the paused monitors: one scan of the small registry
    /// table, cheap enough to poll every few seconds.
    pub async fn paused_monitors(&self) -> Result<Vec<MonitorName>> {
        self.run("paused_monitors", async {
            let rows = sqlx::query("SELECT service, monitor FROM monitors WHERE paused = 1")
                .fetch_all(self.pool())
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(MonitorName {
                        service: col(row, "service")?,
                        monitor: col(row, "monitor")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// Pauses or resumes a monitor. Fails with [`StoreError::NotFound`] if
    /// no monitor has this id.
    pub async fn set_paused(&self, monitor: MonitorId, paused: bool) -> Result<()> {
        self.run("set_paused", async {
            let done = sqlx::query("UPDATE monitors SET paused = $2 WHERE id = $1")
                .bind(monitor.0)
                .bind(i64::from(paused))
                .execute(self.pool())
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!(
                    "no monitor with id `{}`; register it first",
                    monitor.0
                )));
            }
            Ok(())
        })
        .await
    }

    /// Registers probe locations by name (idempotent) and returns the id of each.
    pub async fn register_locations(
        &self,
        names: &[&str],
        now: Timestamp,
    ) -> Result<HashMap<String, LocationId>> {
        let keys: Vec<[&str; 1]> = names.iter().map(|&n| [n]).collect();
        let ids = self
            .register("register_locations", &LOCATIONS, &keys, now)
            .await?;
        names
            .iter()
            .map(|&name| {
                let id = registered(&ids, &[name.to_owned()], "locations")?;
                Ok((name.to_owned(), LocationId(narrow(id, "locations.id")?)))
            })
            .collect()
    }

    /// Every registered location, by id.
    pub async fn locations(&self) -> Result<Vec<(LocationId, String)>> {
        let all = self.run("locations", LOCATIONS.load(self.pool())).await?;
        let mut locations = all
            .into_iter()
            .map(|([name], id)| Ok((LocationId(narrow(id, "locations.id")?), name)))
            .collect::<Result<Vec<_>>>()?;
        locations.sort();
        Ok(locations)
    }

    /// Inserts the keys not yet in `registry`, then returns every key's id.
    async fn register<const N: usize>(
        &self,
        op: &'static str,
        registry: &Registry<N>,
        keys: &[[&str; N]],
        now: Timestamp,
    ) -> Result<HashMap<[String; N], i64>> {
        self.run(op, async {
            let known = registry.load(self.pool()).await?;
            let missing: BTreeSet<&[&str; N]> = keys
                .iter()
                .filter(|key| !known.contains_key(&key.map(str::to_owned)))
                .collect();
            if missing.is_empty() {
                return Ok(known);
            }
            let missing: Vec<_> = missing.into_iter().collect();
            let columns = registry.columns.join(", ");
            for chunk in missing.chunks(ROWS_PER_STATEMENT) {
                // A racing instance may insert the same name first: skip it.
                let sql = format!(
                    "INSERT INTO {} ({columns}, created_at) VALUES {} ON CONFLICT ({columns}) DO NOTHING",
                    registry.table,
                    Placeholders::new(self.backend()).tuples(chunk.len(), N + 1),
                );
                let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(false);
                for key in chunk {
                    for part in key.iter() {
                        query = query.bind(*part);
                    }
                    query = query.bind(now.as_millisecond());
                }
                query.execute(self.pool()).await?;
            }
            registry.load(self.pool()).await
        })
        .await
    }
}

/// A name-to-id table: its name and its key columns (all `TEXT`).
struct Registry<const N: usize> {
    table: &'static str,
    columns: [&'static str; N],
}

const MONITORS: Registry<2> = Registry {
    table: "monitors",
    columns: ["service", "monitor"],
};

const LOCATIONS: Registry<1> = Registry {
    table: "locations",
    columns: ["name"],
};

impl<const N: usize> Registry<N> {
    /// Every key and its id. Registries hold at most a few thousand rows
    /// and are read when the catalog is loaded, so reading all is simplest.
    async fn load(&self, pool: &AnyPool) -> Result<HashMap<[String; N], i64>> {
        let sql = format!("SELECT id, {} FROM {}", self.columns.join(", "), self.table);
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                let mut key: [String; N] = std::array::from_fn(|_| String::new());
                for (part, column) in key.iter_mut().zip(self.columns) {
                    *part = col(row, column)?;
                }
                Ok((key, col(row, "id")?))
            })
            .collect()
    }
}

fn registered<const N: usize>(
    ids: &HashMap<[String; N], i64>,
    key: &[String; N],
    table: &str,
) -> Result<i64> {
    ids.get(key).copied().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "`{}` was registered in `{table}` but cannot be read back",
            key.join("/")
        ))
    })
}

/// Narrows a stored id to its Rust type, reporting an out-of-range value.
fn narrow<T: TryFrom<i64>>(id: i64, column: &str) -> Result<T> {
    T::try_from(id)
        .map_err(|_| StoreError::Corrupt(format!("column `{column}`: `{id}` is out of range")))
}
