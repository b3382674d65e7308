//! Alert conditions: one row per alert source, upserted as it changes.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::{AlertRecord, AlertState, col_enum, col_labels, labels_json};
use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store};

/// `SELECT <every alerts column> <rest>`, as one `&'static str`.
macro_rules! select_alerts {
    ($rest:literal) => {
        concat!(
            "SELECT key, source, group_key, service, component, severity, labels, summary, \
             state, since_ms, ends_at_ms, link, updated_at_ms ",
            $rest
        )
    };
}

impl Store {
    /// Inserts each alert, or overwrites the stored one with its key, in
    /// one transaction.
    pub async fn upsert_alerts(&self, alerts: &[AlertRecord]) -> Result<()> {
        if alerts.is_empty() {
            return Ok(());
        }
        let labels = alerts
            .iter()
            .map(|a| labels_json(&a.labels))
            .collect::<Result<Vec<_>>>()?;
        self.run("upsert_alerts", async {
            let mut tx = self.begin_write(None).await?;
            for (alert, labels) in alerts.iter().zip(&labels) {
                sqlx::query(
                    "INSERT INTO alerts (key, source, group_key, service, component, severity, \
                     labels, summary, state, since_ms, ends_at_ms, link, updated_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (key) DO UPDATE SET source = excluded.source, \
                     group_key = excluded.group_key, service = excluded.service, \
                     component = excluded.component, severity = excluded.severity, \
                     labels = excluded.labels, summary = excluded.summary, \
                     state = excluded.state, since_ms = excluded.since_ms, \
                     ends_at_ms = excluded.ends_at_ms, link = excluded.link, \
                     updated_at_ms = excluded.updated_at_ms",
                )
                .bind(&alert.key)
                .bind(&alert.source)
                .bind(&alert.group_key)
                .bind(alert.service.as_deref())
                .bind(alert.component.as_deref())
                .bind(&alert.severity)
                .bind(labels)
                .bind(&alert.summary)
                .bind(alert.state.as_str())
                .bind(alert.since.as_millisecond())
                .bind(alert.ends_at.map(|t| t.as_millisecond()))
                .bind(alert.link.as_deref())
                .bind(alert.updated_at.as_millisecond())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Alerts not `ok` and not expired at `now` (no `ends_at`, or one after
    /// `now`), by key.
    pub async fn active_alerts(&self, now: Timestamp) -> Result<Vec<AlertRecord>> {
        self.run("active_alerts", async {
            let rows = sqlx::query(select_alerts!(
                "FROM alerts WHERE state <> 'ok' \
                 AND (ends_at_ms IS NULL OR ends_at_ms > $1) ORDER BY key"
            ))
            .bind(now.as_millisecond())
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(alert_from_row).collect()
        })
        .await
    }

    /// The alert with this key, if any.
    pub async fn alert(&self, key: &str) -> Result<Option<AlertRecord>> {
        self.run("alert", async {
            let row = sqlx::query(select_alerts!("FROM alerts WHERE key = $1"))
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(alert_from_row).transpose()
        })
        .await
    }
}

fn alert_from_row(row: &AnyRow) -> Result<AlertRecord> {
    Ok(AlertRecord {
        key: col(row, "key")?,
        source: col(row, "source")?,
        group_key: col(row, "group_key")?,
        service: col(row, "service")?,
        component: col(row, "component")?,
        severity: col(row, "severity")?,
        labels: col_labels(row, "labels")?,
        summary: col(row, "summary")?,
        state: col_enum(row, "state", AlertState::parse)?,
        since: col_time(row, "since_ms")?,
        ends_at: col_time_opt(row, "ends_at_ms")?,
        link: col(row, "link")?,
        updated_at: col_time(row, "updated_at_ms")?,
    })
}
