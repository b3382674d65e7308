//! Incidents, the alerts grouped under them and their timelines.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::{
    Incident, IncidentAlert, IncidentFilter, IncidentStatus, NewEscalation, NewIncident,
    NewIncidentAlert, NewTimelineEntry, TimelineEntry, col_enum, col_labels, insert_timeline,
    labels_json, not_found, require_incident,
};
use crate::store::{col, col_flag, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// `SELECT <every incidents column> <rest>`, as one `&'static str`.
macro_rules! select_incidents {
    ($($rest:tt)*) => {
        concat!(
            "SELECT id, key, service, title, severity, status, labels, opened_at_ms, \
             acked_at_ms, acked_by, resolved_at_ms, resolved_by, parent_id, suppressed, \
             flapping, updated_at_ms ",
            $($rest)*
        )
    };
}

/// `SELECT <every incident_alerts column> <rest>`, as one `&'static str`.
macro_rules! select_incident_alerts {
    ($rest:literal) => {
        concat!(
            "SELECT incident_id, alert_key, summary, severity, started_at_ms, cleared_at_ms ",
            $rest
        )
    };
}

/// The `WHERE` clause of an [`IncidentFilter`]: `$1` status (or NULL),
/// `$2` open only (0 or 1), `$3` service (or NULL).
macro_rules! incident_filter {
    ($rest:literal) => {
        concat!(
            "WHERE ($1 IS NULL OR status = $1) AND ($2 = 0 OR status <> 'resolved') \
             AND ($3 IS NULL OR service = $3) ",
            $rest
        )
    };
}

impl Store {
    /// Opens an incident with its first alerts, escalations (each
    /// `waiting` at step 0, round 0, due at its `next_at`) and timeline
    /// entries, in one transaction; returns its id. Returns `None`, writing
    /// nothing, when an open or acknowledged incident with the same key
    /// exists: of concurrent callers (also in other processes) exactly one
    /// opens it.
    pub async fn open_incident(
        &self,
        incident: &NewIncident,
        alerts: &[NewIncidentAlert],
        escalations: &[NewEscalation],
        timeline: &[NewTimelineEntry],
    ) -> Result<Option<i64>> {
        let labels = labels_json(&incident.labels)?;
        self.run("open_incident", async {
            let mut tx = self.begin_write(None).await?;
            let opened = incident.opened_at.as_millisecond();
            // The unique index on unresolved keys decides who wins: a
            // loser's insert waits for the winner's commit, then does nothing.
            let row = sqlx::query(
                "INSERT INTO incidents (key, service, title, severity, status, labels, \
                 opened_at_ms, parent_id, suppressed, flapping, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, 0, $6) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&incident.key)
            .bind(incident.service.as_deref())
            .bind(&incident.title)
            .bind(&incident.severity)
            .bind(&labels)
            .bind(opened)
            .bind(incident.parent)
            .bind(incident.suppressed.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return Ok(None);
            };
            let id: i64 = col(&row, "id")?;
            for alert in alerts {
                sqlx::query(
                    "INSERT INTO incident_alerts \
                     (incident_id, alert_key, summary, severity, started_at_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(&alert.alert_key)
                .bind(&alert.summary)
                .bind(&alert.severity)
                .bind(alert.started_at.as_millisecond())
                .execute(&mut *tx)
                .await?;
            }
            for escalation in escalations {
                sqlx::query(
                    "INSERT INTO escalations (incident_id, policy, step, round, next_at_ms, state) \
                     VALUES ($1, $2, 0, 0, $3, 'waiting')",
                )
                .bind(id)
                .bind(&escalation.policy)
                .bind(escalation.next_at.as_millisecond())
                .execute(&mut *tx)
                .await?;
            }
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(Some(id))
        })
        .await
    }

    /// Every open or acknowledged incident with its alerts, oldest first.
    pub async fn open_incidents(&self) -> Result<Vec<(Incident, Vec<IncidentAlert>)>> {
        self.run("open_incidents", async {
            let mut tx = self.begin_read().await?;
            let rows = sqlx::query(select_incidents!(
                "FROM incidents WHERE status <> 'resolved' ORDER BY id"
            ))
            .fetch_all(&mut *tx)
            .await?;
            let alert_rows = sqlx::query(select_incident_alerts!(
                "FROM incident_alerts WHERE incident_id IN \
                 (SELECT id FROM incidents WHERE status <> 'resolved') \
                 ORDER BY incident_id, started_at_ms, alert_key"
            ))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut alerts: HashMap<i64, Vec<IncidentAlert>> = HashMap::new();
            for row in &alert_rows {
                let alert = incident_alert_from_row(row)?;
                alerts.entry(alert.incident_id).or_default().push(alert);
            }
            rows.iter()
                .map(|row| {
                    let incident = incident_from_row(row)?;
                    let its = alerts.remove(&incident.id).unwrap_or_default();
                    Ok((incident, its))
                })
                .collect()
        })
        .await
    }

    /// The incident with this id and its alerts, if any.
    pub async fn incident(&self, id: i64) -> Result<Option<(Incident, Vec<IncidentAlert>)>> {
        self.run("incident", async {
            let mut tx = self.begin_read().await?;
            let row = sqlx::query(select_incidents!("FROM incidents WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                tx.commit().await?;
                return Ok(None);
            };
            let alert_rows = sqlx::query(select_incident_alerts!(
                "FROM incident_alerts WHERE incident_id = $1 ORDER BY started_at_ms, alert_key"
            ))
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let alerts = alert_rows
                .iter()
                .map(incident_alert_from_row)
                .collect::<Result<_>>()?;
            Ok(Some((incident_from_row(&row)?, alerts)))
        })
        .await
    }

    /// Incidents matching `filter`, newest first: a page of at most
    /// `filter.limit` (capped at [`IncidentFilter::MAX_LIMIT`]) with ids
    /// below `filter.before_id`.
    pub async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let limit = filter.limit.min(IncidentFilter::MAX_LIMIT);
        self.run("incidents", async {
            let rows = sqlx::query(select_incidents!(
                "FROM incidents ",
                incident_filter!("AND id < $4 ORDER BY id DESC LIMIT $5")
            ))
            .bind(filter.status.map(IncidentStatus::as_str))
            .bind(i64::from(filter.open_only))
            .bind(filter.service.as_deref())
            .bind(filter.before_id.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(incident_from_row).collect()
        })
        .await
    }

    /// Incidents acknowledged at or after `since`, newest acknowledgement
    /// first, at most `limit`: the readiness review's proof that pages
    /// reach a person.
    pub async fn acknowledged_since(&self, since: Timestamp, limit: u32) -> Result<Vec<Incident>> {
        self.run("acknowledged_since", async {
            let rows = sqlx::query(select_incidents!(
                "FROM incidents WHERE acked_at_ms >= $1 ORDER BY acked_at_ms DESC LIMIT $2"
            ))
            .bind(since.as_millisecond())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(incident_from_row).collect()
        })
        .await
    }

    /// How many incidents match `filter` (its `before_id` and `limit`
    /// aside).
    pub async fn count_incidents(&self, filter: &IncidentFilter) -> Result<u64> {
        self.run("count_incidents", async {
            let row = sqlx::query(concat!(
                "SELECT COUNT(*) AS n FROM incidents ",
                incident_filter!("")
            ))
            .bind(filter.status.map(IncidentStatus::as_str))
            .bind(i64::from(filter.open_only))
            .bind(filter.service.as_deref())
            .fetch_one(self.pool())
            .await?;
            let n: i64 = col(&row, "n")?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// An incident's timeline, oldest first (empty for an unknown id).
    pub async fn incident_timeline(&self, id: i64) -> Result<Vec<TimelineEntry>> {
        self.run("incident_timeline", async {
            let rows = sqlx::query(
                "SELECT id, incident_id, at_ms, kind, actor, text FROM incident_events \
                 WHERE incident_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(TimelineEntry {
                        id: col(row, "id")?,
                        incident_id: col(row, "incident_id")?,
                        at: col_time(row, "at_ms")?,
                        kind: col(row, "kind")?,
                        actor: col(row, "actor")?,
                        text: col(row, "text")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// Adds alerts to incident `id` with timeline entries, in one
    /// transaction. An alert already on the incident is reactivated: its
    /// `cleared_at` goes back to `None` and its summary and severity are
    /// updated (its start stays). Fails with [`StoreError::NotFound`] if
    /// there is no such incident.
    pub async fn add_incident_alerts(
        &self,
        id: i64,
        alerts: &[NewIncidentAlert],
        timeline: &[NewTimelineEntry],
    ) -> Result<()> {
        self.run("add_incident_alerts", async {
            let mut tx = self.begin_write(None).await?;
            require_incident(&mut tx, id).await?;
            for alert in alerts {
                sqlx::query(
                    "INSERT INTO incident_alerts \
                     (incident_id, alert_key, summary, severity, started_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (incident_id, alert_key) DO UPDATE SET \
                     cleared_at_ms = NULL, summary = excluded.summary, \
                     severity = excluded.severity",
                )
                .bind(id)
                .bind(&alert.alert_key)
                .bind(&alert.summary)
                .bind(&alert.severity)
                .bind(alert.started_at.as_millisecond())
                .execute(&mut *tx)
                .await?;
            }
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Sets (`Some`) or clears (`None`) when an incident's alert cleared,
    /// with timeline entries, in one transaction. Fails with
    /// [`StoreError::NotFound`] if the incident has no such alert.
    pub async fn set_alert_cleared(
        &self,
        id: i64,
        alert_key: &str,
        cleared_at: Option<Timestamp>,
        timeline: &[NewTimelineEntry],
    ) -> Result<()> {
        self.run("set_alert_cleared", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE incident_alerts SET cleared_at_ms = $3 \
                 WHERE incident_id = $1 AND alert_key = $2",
            )
            .bind(id)
            .bind(alert_key)
            .bind(cleared_at.map(|t| t.as_millisecond()))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!(
                    "incident `{id}` has no alert `{alert_key}`"
                )));
            }
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Marks an incident flapping or not, with timeline entries, in one
    /// transaction. Fails with [`StoreError::NotFound`] if there is no such
    /// incident.
    pub async fn set_incident_flapping(
        &self,
        id: i64,
        flapping: bool,
        at: Timestamp,
        timeline: &[NewTimelineEntry],
    ) -> Result<()> {
        self.run("set_incident_flapping", async {
            let mut tx = self.begin_write(None).await?;
            let done =
                sqlx::query("UPDATE incidents SET flapping = $2, updated_at_ms = $3 WHERE id = $1")
                    .bind(id)
                    .bind(i64::from(flapping))
                    .bind(at.as_millisecond())
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(not_found(id));
            }
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Sets the upstream incident an incident is linked under and why its
    /// pages are suppressed (`None`s clear them), with timeline entries, in
    /// one transaction. Fails with [`StoreError::NotFound`] if there is no
    /// such incident.
    pub async fn set_incident_suppressed(
        &self,
        id: i64,
        parent: Option<i64>,
        suppressed: Option<String>,
        at: Timestamp,
        timeline: &[NewTimelineEntry],
    ) -> Result<()> {
        self.run("set_incident_suppressed", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE incidents SET parent_id = $2, suppressed = $3, updated_at_ms = $4 \
                 WHERE id = $1",
            )
            .bind(id)
            .bind(parent)
            .bind(suppressed.as_deref())
            .bind(at.as_millisecond())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(not_found(id));
            }
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Updates an incident's severity and title. Fails with
    /// [`StoreError::NotFound`] if there is no such incident.
    pub async fn set_incident_severity_title(
        &self,
        id: i64,
        severity: &str,
        title: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.run("set_incident_severity_title", async {
            let done = sqlx::query(
                "UPDATE incidents SET severity = $2, title = $3, updated_at_ms = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(severity)
            .bind(title)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 0 {
                return Err(not_found(id));
            }
            Ok(())
        })
        .await
    }

    /// Acknowledges an open incident: records who and when, stops its
    /// waiting escalations and appends the timeline entries, in one
    /// transaction. Returns `false`, writing nothing, if the incident is
    /// not open (already acknowledged, resolved, or missing).
    pub async fn acknowledge_incident(
        &self,
        id: i64,
        by: &str,
        at: Timestamp,
        timeline: &[NewTimelineEntry],
    ) -> Result<bool> {
        self.run("acknowledge_incident", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE incidents SET status = 'acknowledged', acked_at_ms = $2, acked_by = $3, \
                 updated_at_ms = $2 WHERE id = $1 AND status = 'open'",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .bind(by)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            stop_escalations(&mut tx, id).await?;
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Resolves an open or acknowledged incident (`by` is `None` when it
    /// resolved by itself), stops its waiting escalations and appends the
    /// timeline entries, in one transaction. Returns `false`, writing
    /// nothing, if it is already resolved or missing.
    pub async fn resolve_incident(
        &self,
        id: i64,
        by: Option<&str>,
        at: Timestamp,
        timeline: &[NewTimelineEntry],
    ) -> Result<bool> {
        self.run("resolve_incident", async {
            let mut tx = self.begin_write(None).await?;
            let done = sqlx::query(
                "UPDATE incidents SET status = 'resolved', resolved_at_ms = $2, \
                 resolved_by = $3, updated_at_ms = $2 WHERE id = $1 AND status <> 'resolved'",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .bind(by)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            stop_escalations(&mut tx, id).await?;
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Appends entries to an incident's timeline. Fails with
    /// [`StoreError::NotFound`] if there is no such incident.
    pub async fn append_timeline(&self, id: i64, timeline: &[NewTimelineEntry]) -> Result<()> {
        self.run("append_timeline", async {
            let mut tx = self.begin_write(None).await?;
            require_incident(&mut tx, id).await?;
            insert_timeline(&mut tx, id, timeline).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}

/// Stops incident `id`'s waiting escalations.
async fn stop_escalations(conn: &mut sqlx::AnyConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE escalations SET state = 'stopped', next_at_ms = NULL \
         WHERE incident_id = $1 AND state = 'waiting'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn incident_from_row(row: &AnyRow) -> Result<Incident> {
    Ok(Incident {
        id: col(row, "id")?,
        key: col(row, "key")?,
        service: col(row, "service")?,
        title: col(row, "title")?,
        severity: col(row, "severity")?,
        status: col_enum(row, "status", IncidentStatus::parse)?,
        labels: col_labels(row, "labels")?,
        opened_at: col_time(row, "opened_at_ms")?,
        acked_at: col_time_opt(row, "acked_at_ms")?,
        acked_by: col(row, "acked_by")?,
        resolved_at: col_time_opt(row, "resolved_at_ms")?,
        resolved_by: col(row, "resolved_by")?,
        parent_id: col(row, "parent_id")?,
        suppressed: col(row, "suppressed")?,
        flapping: col_flag(row, "flapping")?,
        updated_at: col_time(row, "updated_at_ms")?,
    })
}

fn incident_alert_from_row(row: &AnyRow) -> Result<IncidentAlert> {
    Ok(IncidentAlert {
        incident_id: col(row, "incident_id")?,
        alert_key: col(row, "alert_key")?,
        summary: col(row, "summary")?,
        severity: col(row, "severity")?,
        started_at: col_time(row, "started_at_ms")?,
        cleared_at: col_time_opt(row, "cleared_at_ms")?,
    })
}
