//! What two or more instances sharing one database need to share the
//! work: a registry of running instances (each refreshed by its heartbeat,
//! marked stopped on a graceful shutdown) and named leases with fencing
//! generations, so exactly one instance does a singleton's work at a time
//! and a successor's writes can be told from a stale holder's.
//!
//! The store never reads the clock: every time is the caller's `now`. All
//! instances compare their own `now` against times other instances wrote,
//! so they are assumed to keep roughly the same time (well within a lease's
//! or a heartbeat's time-to-live).

use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// Longest instance id, location, version, lease name or holder accepted,
/// in bytes.
const MAX_TEXT_LEN: usize = 1000;

/// Fields for [`Store::heartbeat_instance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceBeat {
    /// The instance's id: random, made by the binary at start.
    pub id: String,
    /// The probe location it runs in.
    pub location: String,
    /// The binary's version.
    pub version: String,
    /// When the heartbeat was sent.
    pub now: Timestamp,
}

/// A registered instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    /// The instance's id.
    pub id: String,
    /// The probe location it runs in.
    pub location: String,
    /// The binary's version, as of its last heartbeat.
    pub version: String,
    /// Its first heartbeat.
    pub started_at: Timestamp,
    /// Its last heartbeat.
    pub heartbeat_at: Timestamp,
    /// When it shut down gracefully, if it has (and not heartbeated since).
    pub stopped_at: Option<Timestamp>,
}

/// A lease held after [`Store::try_lease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseGrant {
    /// The fencing token: 1 for the lease's first holder, one more each time
    /// it changes hands, never repeated for one name. A renewal keeps it.
    pub generation: i64,
    /// When the lease lapses unless renewed.
    pub expires_at: Timestamp,
}

impl Store {
    /// Records that instance `beat.id` is alive at `beat.now`: registers it
    /// (its start is this first heartbeat) or refreshes its heartbeat,
    /// location and version, clearing any stop (an instance heartbeating
    /// after a stop is alive again). A heartbeat no later than the one
    /// already stored, or than the recorded stop, changes nothing, so a
    /// delayed write (e.g. one that outlived its timeout) can neither move
    /// the heartbeat back nor revive a stopped instance. Fails with
    /// [`StoreError::InvalidInput`] for an empty or overlong id, or an
    /// overlong location or version.
    pub async fn heartbeat_instance(&self, beat: &InstanceBeat) -> Result<()> {
        check_text("an instance id", &beat.id, false)?;
        check_text("an instance location", &beat.location, true)?;
        check_text("an instance version", &beat.version, true)?;
        let now = beat.now.as_millisecond();
        self.run("heartbeat_instance", async {
            sqlx::query(
                "INSERT INTO cluster_instances \
                     (id, location, version, started_at_ms, heartbeat_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET \
                     location = excluded.location, \
                     version = excluded.version, \
                     heartbeat_at_ms = excluded.heartbeat_at_ms, \
                     stopped_at_ms = NULL \
                 WHERE excluded.heartbeat_at_ms > cluster_instances.heartbeat_at_ms \
                   AND (cluster_instances.stopped_at_ms IS NULL \
                        OR excluded.heartbeat_at_ms > cluster_instances.stopped_at_ms)",
            )
            .bind(beat.id.as_str())
            .bind(beat.location.as_str())
            .bind(beat.version.as_str())
            .bind(now)
            .bind(now)
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// Marks instance `id` stopped at `now` (a graceful shutdown), so
    /// [`Store::live_instances`] leaves it out at once rather than after its
    /// heartbeat's time-to-live and its work is handed over without delay.
    /// Its leases are the caller's to release. An unknown or already stopped
    /// instance is left as it is.
    pub async fn stop_instance(&self, id: &str, now: Timestamp) -> Result<()> {
        self.run("stop_instance", async {
            sqlx::query(
                "UPDATE cluster_instances SET stopped_at_ms = $2 \
                 WHERE id = $1 AND stopped_at_ms IS NULL",
            )
            .bind(id)
            .bind(now.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// The instances alive at `now`: not stopped, with a heartbeat later
    /// than `now - ttl`. Ordered by id (byte order, the same on both
    /// backends), so every instance that reads the same rows sees the same
    /// list.
    pub async fn live_instances(
        &self,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Vec<InstanceRecord>> {
        let since = now.as_millisecond().saturating_sub(duration_ms(ttl));
        self.run("live_instances", async {
            let rows = sqlx::query(
                "SELECT id, location, version, started_at_ms, heartbeat_at_ms, stopped_at_ms \
                 FROM cluster_instances \
                 WHERE stopped_at_ms IS NULL AND heartbeat_at_ms > $1",
            )
            .bind(since)
            .fetch_all(self.pool())
            .await?;
            let mut live = rows
                .iter()
                .map(instance_from_row)
                .collect::<Result<Vec<_>>>()?;
            live.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(live)
        })
        .await
    }

    /// Forgets the instances whose last heartbeat is before `older_than`
    /// (stopped, or silent that long); returns how many. One that
    /// heartbeats again afterwards is registered anew.
    pub async fn prune_instances(&self, older_than: Timestamp) -> Result<u64> {
        self.execute_with(
            "prune_instances",
            "DELETE FROM cluster_instances WHERE heartbeat_at_ms < $1",
            older_than.as_millisecond(),
        )
        .await
    }

    /// Takes or renews lease `name` for `holder` at `now`, until `now + ttl`,
    /// in one atomic statement. The lease is granted when it is new, has
    /// lapsed (its expiry is at or before `now`), or was released, or
    /// `holder` already holds it (a renewal: the expiry moves, the
    /// generation stays). Returns the grant when `holder` holds the lease
    /// after the call, `None` (changing nothing) when another holder does.
    /// Whenever the lease changes hands its generation goes up by one, so
    /// of any concurrent callers at most one is granted a given generation,
    /// and work fenced by it can refuse a former holder's. Fails with
    /// [`StoreError::InvalidInput`] for a zero `ttl` or an empty or overlong
    /// name or holder.
    pub async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Option<LeaseGrant>> {
        check_text("a lease name", name, false)?;
        check_text("a lease holder", holder, false)?;
        let ttl_ms = duration_ms(ttl);
        if ttl_ms == 0 {
            return Err(StoreError::InvalidInput(
                "a lease needs a time-to-live of at least 1 ms".to_owned(),
            ));
        }
        let now_ms = now.as_millisecond();
        let until = now_ms.saturating_add(ttl_ms);
        self.run("try_lease", async {
            // The SET expressions read the row as it was before the update.
            // On PostgreSQL the upsert either inserts or locks the existing
            // row and judges the WHERE on its latest committed version; on
            // SQLite the statement runs under the database's write lock.
            let row = sqlx::query(
                "INSERT INTO cluster_leases \
                     (name, holder, acquired_at_ms, expires_at_ms, generation) \
                 VALUES ($1, $2, $3, $4, 1) \
                 ON CONFLICT (name) DO UPDATE SET \
                     generation = CASE WHEN cluster_leases.holder = excluded.holder \
                         THEN cluster_leases.generation \
                         ELSE cluster_leases.generation + 1 END, \
                     acquired_at_ms = CASE WHEN cluster_leases.holder = excluded.holder \
                         THEN cluster_leases.acquired_at_ms \
                         ELSE excluded.acquired_at_ms END, \
                     holder = excluded.holder, \
                     expires_at_ms = excluded.expires_at_ms \
                 WHERE cluster_leases.holder = excluded.holder \
                    OR cluster_leases.expires_at_ms <= excluded.acquired_at_ms \
                 RETURNING holder, generation, expires_at_ms",
            )
            .bind(name)
            .bind(holder)
            .bind(now_ms)
            .bind(until)
            .fetch_optional(self.pool())
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let granted_to: String = col(&row, "holder")?;
            if granted_to != holder {
                return Err(StoreError::Corrupt(format!(
                    "lease `{name}` was written for `{granted_to}`, not `{holder}`"
                )));
            }
            Ok(Some(LeaseGrant {
                generation: col(&row, "generation")?,
                expires_at: col_time(&row, "expires_at_ms")?,
            }))
        })
        .await
    }

    /// Releases lease `name` if `holder` holds it (lapsed or not), so anyone
    /// may take it at once; `false` (changing nothing) if another holder has
    /// it, it was already released, or there is no such lease. The lease
    /// keeps its row, so its next holder's generation is still the next.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<bool> {
        self.run("release_lease", async {
            let done = sqlx::query(
                "UPDATE cluster_leases SET expires_at_ms = 0 \
                 WHERE name = $1 AND holder = $2 AND expires_at_ms > 0",
            )
            .bind(name)
            .bind(holder)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Who holds lease `name` at `now`, and until when; `None` if it is
    /// free (never taken, lapsed or released). For status pages and metrics:
    /// by the time the answer is read it may have changed, so work is
    /// decided by [`Store::try_lease`], never by this.
    pub async fn lease_holder(
        &self,
        name: &str,
        now: Timestamp,
    ) -> Result<Option<(String, Timestamp)>> {
        self.run("lease_holder", async {
            let row = sqlx::query(
                "SELECT holder, expires_at_ms FROM cluster_leases \
                 WHERE name = $1 AND expires_at_ms > $2",
            )
            .bind(name)
            .bind(now.as_millisecond())
            .fetch_optional(self.pool())
            .await?;
            row.map(|row| Ok((col(&row, "holder")?, col_time(&row, "expires_at_ms")?)))
                .transpose()
        })
        .await
    }
}

fn instance_from_row(row: &AnyRow) -> Result<InstanceRecord> {
    Ok(InstanceRecord {
        id: col(row, "id")?,
        location: col(row, "location")?,
        version: col(row, "version")?,
        started_at: col_time(row, "started_at_ms")?,
        heartbeat_at: col_time(row, "heartbeat_at_ms")?,
        stopped_at: col_time_opt(row, "stopped_at_ms")?,
    })
}

/// Refuses text over [`MAX_TEXT_LEN`] bytes, or empty unless `may_be_empty`.
fn check_text(what: &str, text: &str, may_be_empty: bool) -> Result<()> {
    if (text.is_empty() && !may_be_empty) || text.len() > MAX_TEXT_LEN {
        let least = if may_be_empty { 0 } else { 1 };
        return Err(StoreError::InvalidInput(format!(
            "{what} must be {least} to {MAX_TEXT_LEN} bytes"
        )));
    }
    Ok(())
}

/// A duration in whole milliseconds, saturating.
fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
