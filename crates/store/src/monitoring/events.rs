//! Monitor state changes: appended by the probe (and by pausing and
//! resuming, [`Store::set_paused_with_event`]), consumed in id order by
//! alerting and the status page (which remember the last id they handled
//! and resume after it), and read back per monitor or as each monitor's
//! current state.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::{MonitorEvent, MonitorEventRecord, MonitorId, MonitorState};
use crate::store::{col, col_flag, col_time};
use crate::{Result, Store, StoreError};

/// The PostgreSQL advisory lock serializing appends, so ids commit in
/// increasing order and a consumer reading "after id N" never skips a
/// smaller id that commits later (`shipevnt` in ASCII).
const PG_EVENTS_LOCK: i64 = 0x7368_6970_6576_6e74;

/// `SELECT <every monitor_events column> <rest>`, as one `&'static str`.
macro_rules! select_events {
    ($rest:literal) => {
        concat!(
            "SELECT id, monitor_id, at_ms, from_state, to_state, reason, locations ",
            $rest
        )
    };
}

impl Store {
    /// Appends a state change. Fails with [`StoreError::InvalidInput`] if
    /// a location name is empty or holds a comma, and with [`StoreError::NotFound`] if
    /// the monitor is not registered.
    pub async fn append_monitor_event(&self, event: &MonitorEvent) -> Result<MonitorEventRecord> {
        let mut records = self
            .append_monitor_events(std::slice::from_ref(event))
            .await?;
        records
            .pop()
            .ok_or_else(|| StoreError::Corrupt("an appended event got no id".into()))
    }

    /// Appends state changes in one transaction, in order (ids increase in
    /// slice order): a burst of changes — every monitor at start, or all of
    /// them failing together — costs one commit, not one each. All or
    /// nothing; fails as [`Store::append_monitor_event`] does.
    pub async fn append_monitor_events(
        &self,
        events: &[MonitorEvent],
    ) -> Result<Vec<MonitorEventRecord>> {
        if let Some(bad) = events
            .iter()
            .flat_map(|event| &event.locations)
            .find(|l| l.is_empty() || l.contains(','))
        {
            return Err(StoreError::InvalidInput(format!(
                "location name `{bad}` is empty or contains a comma; location names are identifiers"
            )));
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.run("append_monitor_events", async {
            let mut tx = self.begin_write(Some(PG_EVENTS_LOCK)).await?;
            let mut records = Vec::with_capacity(events.len());
            for event in events {
                let row = sqlx::query(
                    "INSERT INTO monitor_events \
                     (monitor_id, at_ms, from_state, to_state, reason, locations) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(event.monitor.0)
                .bind(event.at.as_millisecond())
                .bind(event.from.as_str())
                .bind(event.to.as_str())
                .bind(event.reason.as_deref())
                .bind(event.locations.join(","))
                .fetch_one(&mut *tx)
                .await?;
                records.push(MonitorEventRecord {
                    id: col(&row, "id")?,
                    event: event.clone(),
                });
            }
            tx.commit().await?;
            Ok(records)
        })
        .await
    }

    /// Pauses (`paused = true`) or resumes a monitor and records the change
    /// as a state event in one transaction: pausing appends
    /// `<current state> → paused`, resuming `paused → unknown` (its next
    /// checks decide). Returns the event, or `None` when the monitor already
    /// was in the asked state (nothing is written, so retries and double
    /// clicks are harmless). Fails with [`StoreError::NotFound`] if no
    /// monitor has this id.
    pub async fn set_paused_with_event(
        &self,
        monitor: MonitorId,
        paused: bool,
        at: Timestamp,
        reason: Option<String>,
    ) -> Result<Option<MonitorEventRecord>> {
        self.run("set_paused_with_event", async {
            let mut tx = self.begin_write(Some(PG_EVENTS_LOCK)).await?;
            let row = sqlx::query("SELECT paused FROM monitors WHERE id = $1")
                .bind(monitor.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "no monitor with id `{}`; register it first",
                        monitor.0
                    ))
                })?;
            if col_flag(&row, "paused")? == paused {
                return Ok(None);
            }
            sqlx::query("UPDATE monitors SET paused = $2 WHERE id = $1")
                .bind(monitor.0)
                .bind(i64::from(paused))
                .execute(&mut *tx)
                .await?;
            let from = if paused {
                let latest = sqlx::query(
                    "SELECT to_state FROM monitor_events WHERE monitor_id = $1 \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(monitor.0)
                .fetch_optional(&mut *tx)
                .await?;
                match latest {
                    Some(row) => col_state(&row, "to_state")?,
                    None => MonitorState::Unknown,
                }
            } else {
                MonitorState::Paused
            };
            let event = MonitorEvent {
                monitor,
                at,
                from,
                to: if paused {
                    MonitorState::Paused
                } else {
                    MonitorState::Unknown
                },
                reason,
                locations: Vec::new(),
            };
            let row = sqlx::query(
                "INSERT INTO monitor_events \
                 (monitor_id, at_ms, from_state, to_state, reason, locations) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(event.monitor.0)
            .bind(event.at.as_millisecond())
            .bind(event.from.as_str())
            .bind(event.to.as_str())
            .bind(event.reason.as_deref())
            .bind("")
            .fetch_one(&mut *tx)
            .await?;
            let id = col(&row, "id")?;
            tx.commit().await?;
            Ok(Some(MonitorEventRecord { id, event }))
        })
        .await
    }

    /// Events with ids above `after_id`, oldest first, at most `limit`:
    /// a consumer passes the last id it handled (0 at first).
    pub async fn monitor_events_since(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<MonitorEventRecord>> {
        self.run("monitor_events_since", async {
            let rows = sqlx::query(select_events!(
                "FROM monitor_events WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    /// A monitor's state history, newest first, at most `limit`, with ids
    /// below `before` when given (to page back).
    pub async fn monitor_events_for(
        &self,
        monitor: MonitorId,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<MonitorEventRecord>> {
        self.run("monitor_events_for", async {
            let rows = sqlx::query(select_events!(
                "FROM monitor_events WHERE monitor_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ))
            .bind(monitor.0)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }

    /// Each monitor's latest event (so its current state), by monitor id.
    /// Monitors without events are absent: their state is unknown.
    pub async fn current_states(&self) -> Result<Vec<MonitorEventRecord>> {
        self.run("current_states", async {
            let rows = sqlx::query(select_events!(
                "FROM monitor_events WHERE id IN \
                 (SELECT MAX(id) FROM monitor_events GROUP BY monitor_id) \
                 ORDER BY monitor_id"
            ))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(event_from_row).collect()
        })
        .await
    }
}

fn event_from_row(row: &AnyRow) -> Result<MonitorEventRecord> {
    let locations: String = col(row, "locations")?;
    Ok(MonitorEventRecord {
        id: col(row, "id")?,
        event: MonitorEvent {
            monitor: MonitorId(col(row, "monitor_id")?),
            at: col_time(row, "at_ms")?,
            from: col_state(row, "from_state")?,
            to: col_state(row, "to_state")?,
            reason: col(row, "reason")?,
            locations: if locations.is_empty() {
                Vec::new()
            } else {
                locations.split(',').map(str::to_owned).collect()
            },
        },
    })
}

fn col_state(row: &AnyRow, name: &str) -> Result<MonitorState> {
    let text: String = col(row, name)?;
    MonitorState::parse(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("column `{name}`: unknown state `{text}`")))
}
