//! The readiness review's records: attestations (a person's word that a
//! checklist item is in place for a service, revocable) and review runs
//! (the counts, the per-practice scores and the whole report of each
//! review, kept for the history chart and pruned by age).
//!
//! The store keeps plain values: item ids, names and dates as text, the
//! scores and the report as JSON it never reads. What an item is and how
//! a report is folded are `shipshape-readiness`'s.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// Longest service id, item id, name or link accepted, in bytes.
const MAX_TEXT_LEN: usize = 2000;
/// Longest note accepted, in bytes.
const MAX_NOTE_LEN: usize = 10_000;

/// Fields for [`Store::record_attestation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttestation {
    /// The service's catalog id.
    pub service: String,
    /// The checklist item vouched for (`practice.slug`).
    pub item: String,
    /// Who vouched.
    pub attested_by: String,
    /// The day they vouched.
    pub attested_on: Date,
    /// Where the supporting record lives.
    pub link: Option<String>,
    /// The day it lapses, if it does; after `attested_on`.
    pub expires_on: Option<Date>,
    /// What they said.
    pub note: Option<String>,
    /// Who typed it in: the signed-in user, or `token:<name>`.
    pub recorded_by: String,
    /// When it was typed in.
    pub recorded_at: Timestamp,
}

/// A stored attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttestation {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The service's catalog id.
    pub service: String,
    /// The checklist item vouched for.
    pub item: String,
    /// Who vouched.
    pub attested_by: String,
    /// The day they vouched.
    pub attested_on: Date,
    /// Where the supporting record lives.
    pub link: Option<String>,
    /// The day it lapses, if it does.
    pub expires_on: Option<Date>,
    /// What they said.
    pub note: Option<String>,
    /// Who typed it in.
    pub recorded_by: String,
    /// When it was typed in.
    pub recorded_at: Timestamp,
    /// When it was revoked; `None` while it stands.
    pub revoked_at: Option<Timestamp>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// Fields for [`Store::record_readiness_run`]: one review of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReadinessRun {
    /// The service's catalog id.
    pub service: String,
    /// When the review ran.
    pub ran_at: Timestamp,
    /// Which collectors ran, e.g. `full` or `offline`.
    pub mode: String,
    /// Items that pass or are attested in force.
    pub satisfied: i64,
    /// Items that are not n/a.
    pub applicable: i64,
    /// Must-haves that block the launch.
    pub blocking: i64,
    /// Items that fail.
    pub fail: i64,
    /// Items nobody could decide.
    pub unknown: i64,
    /// Per-practice scores as JSON, `[{practice, satisfied, applicable}]`.
    pub scores: String,
    /// The whole report as JSON.
    pub report: String,
}

/// A stored review without its report: a row of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessRunSummary {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// The service's catalog id.
    pub service: String,
    /// When the review ran.
    pub ran_at: Timestamp,
    /// Which collectors ran.
    pub mode: String,
    /// Items that pass or are attested in force.
    pub satisfied: i64,
    /// Items that are not n/a.
    pub applicable: i64,
    /// Must-haves that block the launch.
    pub blocking: i64,
    /// Items that fail.
    pub fail: i64,
    /// Items nobody could decide.
    pub unknown: i64,
    /// Per-practice scores as JSON, as recorded.
    pub scores: String,
}

/// A stored review with its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReadinessRun {
    /// The counts and scores.
    pub summary: ReadinessRunSummary,
    /// The whole report as JSON, as recorded.
    pub report: String,
}

/// `SELECT <every readiness_attestations column> <rest>`.
macro_rules! select_attestations {
    ($rest:literal) => {
        concat!(
            "SELECT id, service, item, attested_by, attested_on, link, expires_on, note, \
             recorded_by, recorded_at_ms, revoked_at_ms, revoked_by ",
            $rest
        )
    };
}

/// `SELECT <readiness_runs summary columns> <rest>`.
macro_rules! select_runs {
    ($rest:literal) => {
        concat!(
            "SELECT id, service, ran_at_ms, mode, satisfied, applicable, blocking, fail, \
             unknown, scores ",
            $rest
        )
    };
}

impl Store {
    /// Stores an attestation; returns its id. Fails with
    /// [`StoreError::InvalidInput`] for an empty service, item or name, an
    /// expiry not after the day attested, or overlong text. Whether the
    /// item exists is the caller's to check.
    pub async fn record_attestation(&self, new: &NewAttestation) -> Result<i64> {
        for (what, value) in [
            ("service", new.service.as_str()),
            ("item", new.item.as_str()),
            ("attested_by", new.attested_by.as_str()),
            ("recorded_by", new.recorded_by.as_str()),
        ] {
            if value.trim().is_empty() || value.len() > MAX_TEXT_LEN {
                return Err(StoreError::InvalidInput(format!(
                    "an attestation needs `{what}` of 1 to {MAX_TEXT_LEN} bytes"
                )));
            }
        }
        if new.link.as_ref().is_some_and(|l| l.len() > MAX_TEXT_LEN) {
            return Err(StoreError::InvalidInput(format!(
                "an attestation's `link` is longer than {MAX_TEXT_LEN} bytes"
            )));
        }
        if new.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE_LEN) {
            return Err(StoreError::InvalidInput(format!(
                "an attestation's `note` is longer than {MAX_NOTE_LEN} bytes"
            )));
        }
        if let Some(expires) = new.expires_on.filter(|e| *e <= new.attested_on) {
            return Err(StoreError::InvalidInput(format!(
                "an attestation must expire after it is given (on {}, expires {expires})",
                new.attested_on
            )));
        }
        self.run("record_attestation", async {
            let row = sqlx::query(
                "INSERT INTO readiness_attestations (service, item, attested_by, attested_on, \
                 link, expires_on, note, recorded_by, recorded_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&new.service)
            .bind(&new.item)
            .bind(&new.attested_by)
            .bind(new.attested_on.to_string())
            .bind(new.link.as_deref())
            .bind(new.expires_on.map(|d| d.to_string()))
            .bind(new.note.as_deref())
            .bind(&new.recorded_by)
            .bind(new.recorded_at.as_millisecond())
            .fetch_one(self.pool())
            .await?;
            col(&row, "id")
        })
        .await
    }

    /// The attestations of `service` not revoked, oldest first (so the
    /// last one of an item is the one a review uses).
    pub async fn attestations(&self, service: &str) -> Result<Vec<StoredAttestation>> {
        self.run("attestations", async {
            let rows = sqlx::query(select_attestations!(
                "FROM readiness_attestations WHERE service = $1 AND revoked_at_ms IS NULL \
                 ORDER BY id"
            ))
            .bind(service)
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(attestation_from_row).collect()
        })
        .await
    }

    /// Attestation `id`, revoked or not.
    pub async fn attestation(&self, id: i64) -> Result<Option<StoredAttestation>> {
        self.run("attestation", async {
            let row = sqlx::query(select_attestations!(
                "FROM readiness_attestations WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(attestation_from_row).transpose()
        })
        .await
    }

    /// Revokes attestation `id` of `service`, by `by` at `at`; `false`
    /// (changing nothing) if there is no such attestation of that service
    /// or it was already revoked.
    pub async fn revoke_attestation(
        &self,
        service: &str,
        id: i64,
        by: &str,
        at: Timestamp,
    ) -> Result<bool> {
        self.run("revoke_attestation", async {
            let done = sqlx::query(
                "UPDATE readiness_attestations SET revoked_at_ms = $3, revoked_by = $4 \
                 WHERE id = $1 AND service = $2 AND revoked_at_ms IS NULL",
            )
            .bind(id)
            .bind(service)
            .bind(at.as_millisecond())
            .bind(by)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Stores one review of one service; returns its id. Fails with
    /// [`StoreError::InvalidInput`] for an empty service or mode, or a
    /// negative count.
    pub async fn record_readiness_run(&self, run: &NewReadinessRun) -> Result<i64> {
        if run.service.trim().is_empty() || run.mode.trim().is_empty() {
            return Err(StoreError::InvalidInput(
                "a readiness run needs a service and a mode".to_owned(),
            ));
        }
        if [
            run.satisfied,
            run.applicable,
            run.blocking,
            run.fail,
            run.unknown,
        ]
        .iter()
        .any(|n| *n < 0)
        {
            return Err(StoreError::InvalidInput(
                "a readiness run's counts must not be negative".to_owned(),
            ));
        }
        self.run("record_readiness_run", async {
            let row = sqlx::query(
                "INSERT INTO readiness_runs (service, ran_at_ms, mode, satisfied, applicable, \
                 blocking, fail, unknown, scores, report) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(&run.service)
            .bind(run.ran_at.as_millisecond())
            .bind(&run.mode)
            .bind(run.satisfied)
            .bind(run.applicable)
            .bind(run.blocking)
            .bind(run.fail)
            .bind(run.unknown)
            .bind(&run.scores)
            .bind(&run.report)
            .fetch_one(self.pool())
            .await?;
            col(&row, "id")
        })
        .await
    }

    /// The latest review of `service` (by when it ran, then by id), with
    /// its report.
    pub async fn latest_readiness_run(&self, service: &str) -> Result<Option<StoredReadinessRun>> {
        self.run("latest_readiness_run", async {
            let row = sqlx::query(select_runs!(
                ", report FROM readiness_runs WHERE service = $1 \
                 ORDER BY ran_at_ms DESC, id DESC LIMIT 1"
            ))
            .bind(service)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref()
                .map(|row| {
                    Ok(StoredReadinessRun {
                        summary: run_from_row(row)?,
                        report: col(row, "report")?,
                    })
                })
                .transpose()
        })
        .await
    }

    /// When each reviewed service was last reviewed: what a newly elected
    /// reviewer reads to carry on the schedule instead of starting over.
    pub async fn last_readiness_runs(&self) -> Result<BTreeMap<String, Timestamp>> {
        self.run("last_readiness_runs", async {
            let rows = sqlx::query(
                "SELECT service, MAX(ran_at_ms) AS ran_at_ms FROM readiness_runs GROUP BY service",
            )
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| Ok((col(row, "service")?, col_time(row, "ran_at_ms")?)))
                .collect()
        })
        .await
    }

    /// The reviews of `service` that ran at or after `since`, without
    /// their reports, oldest first: the latest `limit` of them.
    pub async fn readiness_history(
        &self,
        service: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<ReadinessRunSummary>> {
        self.run("readiness_history", async {
            let rows = sqlx::query(select_runs!(
                "FROM readiness_runs WHERE service = $1 AND ran_at_ms >= $2 \
                 ORDER BY ran_at_ms DESC, id DESC LIMIT $3"
            ))
            .bind(service)
            .bind(since.as_millisecond())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            let mut runs = rows.iter().map(run_from_row).collect::<Result<Vec<_>>>()?;
            runs.reverse();
            Ok(runs)
        })
        .await
    }

    /// Deletes reviews that ran before `older_than`, except each service's
    /// latest (so every reviewed service keeps a report to show); returns
    /// how many.
    pub async fn prune_readiness_runs(&self, older_than: Timestamp) -> Result<u64> {
        self.run("prune_readiness_runs", async {
            let done = sqlx::query(
                "DELETE FROM readiness_runs WHERE ran_at_ms < $1 AND ran_at_ms < (\
                 SELECT MAX(l.ran_at_ms) FROM readiness_runs l \
                 WHERE l.service = readiness_runs.service)",
            )
            .bind(older_than.as_millisecond())
            .execute(self.pool())
            .await?;
            tracing::debug!(deleted = done.rows_affected(), "pruned readiness runs");
            Ok(done.rows_affected())
        })
        .await
    }
}

/// Reads a `YYYY-MM-DD` text column.
fn col_date_opt(row: &AnyRow, name: &str) -> Result<Option<Date>> {
    col::<Option<String>>(row, name)?
        .map(|text| {
            text.parse::<Date>().map_err(|e| {
                StoreError::Corrupt(format!("column `{name}`: `{text}` is not a date: {e}"))
            })
        })
        .transpose()
}

fn attestation_from_row(row: &AnyRow) -> Result<StoredAttestation> {
    let id: i64 = col(row, "id")?;
    Ok(StoredAttestation {
        id,
        service: col(row, "service")?,
        item: col(row, "item")?,
        attested_by: col(row, "attested_by")?,
        attested_on: col_date_opt(row, "attested_on")?.ok_or_else(|| {
            StoreError::Corrupt(format!("attestation `{id}`: `attested_on` is empty"))
        })?,
        link: col(row, "link")?,
        expires_on: col_date_opt(row, "expires_on")?,
        note: col(row, "note")?,
        recorded_by: col(row, "recorded_by")?,
        recorded_at: col_time(row, "recorded_at_ms")?,
        revoked_at: col_time_opt(row, "revoked_at_ms")?,
        revoked_by: col(row, "revoked_by")?,
    })
}

fn run_from_row(row: &AnyRow) -> Result<ReadinessRunSummary> {
    Ok(ReadinessRunSummary {
        id: col(row, "id")?,
        service: col(row, "service")?,
        ran_at: col_time(row, "ran_at_ms")?,
        mode: col(row, "mode")?,
        satisfied: col(row, "satisfied")?,
        applicable: col(row, "applicable")?,
        blocking: col(row, "blocking")?,
        fail: col(row, "fail")?,
        unknown: col(row, "unknown")?,
        scores: col(row, "scores")?,
    })
}
