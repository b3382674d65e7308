//! Silences: label matchers and the time they apply, created by responders
//! at run time and read by the paging engine on every pass.
//!
//! The store keeps text: matchers as written by the alerting crate
//! (Alertmanager syntax) and recurring windows as their recurrence text
//! (`Sun 02:00-04:00 America/New_York`). Parsing and deciding what a
//! silence silences is the alerting crate's job.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// When a silence applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceWindow {
    /// Once, from `starts` (inclusive) to `ends` (exclusive).
    Once {
        /// First instant of the window.
        starts: Timestamp,
        /// First instant after the window; after `starts`.
        ends: Timestamp,
    },
    /// A recurring window as text, e.g. `Sun 02:00-04:00 America/New_York`.
    Recurring(String),
}

/// Fields for [`Store::create_silence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    /// Matchers in Alertmanager syntax, e.g. `{service="api", env!="dev"}`.
    pub matchers: String,
    /// When it applies.
    pub window: SilenceWindow,
    /// Why, for humans.
    pub comment: String,
    /// Who created it (the actor's display name).
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// Matchers in Alertmanager syntax.
    pub matchers: String,
    /// When it applies.
    pub window: SilenceWindow,
    /// Why, for humans.
    pub comment: String,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When someone expired it early; `None` while it stands.
    pub expired_at: Option<Timestamp>,
}

impl SilenceRecord {
    /// Whether the silence is over at `at`: expired by then, or a one-off
    /// window that ended by then. A recurring silence is over only once
    /// expired.
    pub fn is_over_at(&self, at: Timestamp) -> bool {
        self.expired_at.is_some_and(|expired| expired <= at)
            || matches!(self.window, SilenceWindow::Once { ends, .. } if ends <= at)
    }
}

/// `SELECT <every silences column> <rest>`, as one `&'static str`.
macro_rules! select_silences {
    ($rest:literal) => {
        concat!(
            "SELECT id, matchers, starts_at_ms, ends_at_ms, recurrence, comment, created_by, \
             created_at_ms, expired_at_ms ",
            $rest
        )
    };
}

impl Store {
    /// Stores a new silence; returns its id. Fails with
    /// [`StoreError::InvalidInput`] for empty matchers, an empty
    /// recurrence, or a one-off window that does not end after it starts.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<i64> {
        if silence.matchers.trim().is_empty() {
            return Err(StoreError::InvalidInput(
                "a silence needs matchers".to_owned(),
            ));
        }
        let (starts, ends, recurrence) = match &silence.window {
            SilenceWindow::Once { starts, ends } => {
                if ends <= starts {
                    return Err(StoreError::InvalidInput(format!(
                        "a silence must end after it starts (starts {starts}, ends {ends})"
                    )));
                }
                (
                    Some(starts.as_millisecond()),
                    Some(ends.as_millisecond()),
                    None,
                )
            }
            SilenceWindow::Recurring(text) => {
                if text.trim().is_empty() {
                    return Err(StoreError::InvalidInput(
                        "a recurring silence needs its recurrence".to_owned(),
                    ));
                }
                (None, None, Some(text.as_str()))
            }
        };
        self.run("create_silence", async {
            let row = sqlx::query(
                "INSERT INTO silences (matchers, starts_at_ms, ends_at_ms, recurrence, comment, \
                 created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&silence.matchers)
            .bind(starts)
            .bind(ends)
            .bind(recurrence)
            .bind(&silence.comment)
            .bind(&silence.created_by)
            .bind(silence.created_at.as_millisecond())
            .fetch_one(self.pool())
            .await?;
            col(&row, "id")
        })
        .await
    }

    /// The silence with this id, expired or over ones included.
    pub async fn silence(&self, id: i64) -> Result<Option<SilenceRecord>> {
        self.run("silence", async {
            let row = sqlx::query(select_silences!("FROM silences WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(silence_from_row).transpose()
        })
        .await
    }

    /// The silences that still stand at `now`, oldest first: not expired
    /// by then and, for one-off windows, ending after `now` (upcoming ones
    /// included). The paging engine reads this on every pass.
    pub async fn silences(&self, now: Timestamp) -> Result<Vec<SilenceRecord>> {
        self.run("silences", async {
            let rows = sqlx::query(select_silences!(
                "FROM silences WHERE (expired_at_ms IS NULL OR expired_at_ms > $1) \
                 AND (ends_at_ms IS NULL OR ends_at_ms > $1) ORDER BY id"
            ))
            .bind(now.as_millisecond())
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(silence_from_row).collect()
        })
        .await
    }

    /// The latest `limit` silences, newest first, expired and past ones
    /// included (for the history).
    pub async fn all_silences(&self, limit: u32) -> Result<Vec<SilenceRecord>> {
        self.run("all_silences", async {
            let rows = sqlx::query(select_silences!("FROM silences ORDER BY id DESC LIMIT $1"))
                .bind(i64::from(limit))
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(silence_from_row).collect()
        })
        .await
    }

    /// Expires silence `id` at `at`; `false` (changing nothing) if there is
    /// no such silence, it is already expired, or its one-off window ended
    /// by `at`.
    pub async fn expire_silence(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.run("expire_silence", async {
            let done = sqlx::query(
                "UPDATE silences SET expired_at_ms = $2 WHERE id = $1 \
                 AND expired_at_ms IS NULL AND (ends_at_ms IS NULL OR ends_at_ms > $2)",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Deletes silences expired, or one-off ones ended, before `before`;
    /// returns how many.
    pub async fn prune_silences(&self, before: Timestamp) -> Result<u64> {
        self.run("prune_silences", async {
            let done =
                sqlx::query("DELETE FROM silences WHERE expired_at_ms < $1 OR ends_at_ms < $1")
                    .bind(before.as_millisecond())
                    .execute(self.pool())
                    .await?;
            tracing::debug!(deleted = done.rows_affected(), "pruned silences");
            Ok(done.rows_affected())
        })
        .await
    }
}

fn silence_from_row(row: &AnyRow) -> Result<SilenceRecord> {
    let id: i64 = col(row, "id")?;
    let recurrence: Option<String> = col(row, "recurrence")?;
    let starts = col_time_opt(row, "starts_at_ms")?;
    let ends = col_time_opt(row, "ends_at_ms")?;
    let window = match (recurrence, starts, ends) {
        (Some(text), None, None) => SilenceWindow::Recurring(text),
        (None, Some(starts), Some(ends)) => SilenceWindow::Once { starts, ends },
        _ => {
            return Err(StoreError::Corrupt(format!(
                "silence `{id}`: expected either a recurrence or both starts_at_ms and ends_at_ms"
            )));
        }
    };
    Ok(SilenceRecord {
        id,
        matchers: col(row, "matchers")?,
        window,
        comment: col(row, "comment")?,
        created_by: col(row, "created_by")?,
        created_at: col_time(row, "created_at_ms")?,
        expired_at: col_time_opt(row, "expired_at_ms")?,
    })
}
