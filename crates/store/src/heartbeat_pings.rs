//! Heartbeat pings relayed between instances: whichever instance a job's
//! ping reaches records it here, and the instance running that heartbeat
//! monitor reads what it has not seen yet.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time};
use crate::{MonitorName, Result, Store};

/// One ping as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatPing {
    /// Store-assigned id, increasing: readers keep the last one they saw.
    pub id: i64,
    /// The heartbeat monitor pinged.
    pub monitor: MonitorName,
    /// When the ping arrived.
    pub at: Timestamp,
    /// `false` when the job reported a failure.
    pub ok: bool,
    /// What the job said.
    pub message: Option<String>,
    /// How long the job ran, in milliseconds, when it said.
    pub runtime_ms: Option<i64>,
    /// The id of the instance that took the ping.
    pub origin: String,
}

impl Store {
    /// Records a ping; returns its id.
    pub async fn record_heartbeat_ping(&self, ping: &HeartbeatPing) -> Result<i64> {
        self.run("record_heartbeat_ping", async {
            let row = sqlx::query(
                "INSERT INTO heartbeat_pings (service, monitor, at_ms, ok, message, runtime_ms, origin) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&ping.monitor.service)
            .bind(&ping.monitor.monitor)
            .bind(ping.at.as_millisecond())
            .bind(i64::from(ping.ok))
            .bind(ping.message.as_deref())
            .bind(ping.runtime_ms)
            .bind(&ping.origin)
            .fetch_one(self.pool())
            .await?;
            col(&row, "id")
        })
        .await
    }

    /// Pings with an id above `after`, oldest first, at most `limit`.
    pub async fn heartbeat_pings_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<HeartbeatPing>> {
        self.run("heartbeat_pings_after", async {
            let rows = sqlx::query(
                "SELECT id, service, monitor, at_ms, ok, message, runtime_ms, origin \
                 FROM heartbeat_pings WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(ping_from_row).collect()
        })
        .await
    }

    /// The id of the newest ping (0 when there is none): where a reader
    /// that starts now begins.
    pub async fn last_heartbeat_ping_id(&self) -> Result<i64> {
        self.run("last_heartbeat_ping_id", async {
            let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM heartbeat_pings")
                .fetch_one(self.pool())
                .await?;
            col(&row, "id")
        })
        .await
    }

    /// Deletes pings that arrived before `before`; returns how many.
    pub async fn prune_heartbeat_pings(&self, before: Timestamp) -> Result<u64> {
        self.run("prune_heartbeat_pings", async {
            let done = sqlx::query("DELETE FROM heartbeat_pings WHERE at_ms < $1")
                .bind(before.as_millisecond())
                .execute(self.pool())
                .await?;
            Ok(done.rows_affected())
        })
        .await
    }
}

fn ping_from_row(row: &AnyRow) -> Result<HeartbeatPing> {
    let ok: i64 = col(row, "ok")?;
    Ok(HeartbeatPing {
        id: col(row, "id")?,
        monitor: MonitorName {
            service: col(row, "service")?,
            monitor: col(row, "monitor")?,
        },
        at: col_time(row, "at_ms")?,
        ok: ok != 0,
        message: col(row, "message")?,
        runtime_ms: col(row, "runtime_ms")?,
        origin: col(row, "origin")?,
    })
}
