//! Webhooks told about the public status page's updates: a URL, the
//! components it follows (none listed: all), who added it and when, and
//! when it was removed. Responders manage them; the public page never adds
//! one (that would let anyone make the server POST anywhere). The signing
//! secret is derived from a server key by the paging engine, never stored.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// Longest URL accepted, in bytes.
const MAX_URL_LEN: usize = 2000;

/// A stored status webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusWebhookRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// Where notices are posted (a secret of sorts: never shown publicly).
    pub url: String,
    /// The component ids followed; empty for all.
    pub components: Vec<String>,
    /// Who added it.
    pub created_by: String,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it was removed; a removed webhook gets nothing more.
    pub removed_at: Option<Timestamp>,
}

impl StatusWebhookRecord {
    /// Not removed.
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }

    /// Whether a notice about `components` concerns it: it follows all
    /// components, or one of these.
    pub fn follows_any(&self, components: &[String]) -> bool {
        self.components.is_empty() || self.components.iter().any(|c| components.contains(c))
    }
}

/// `SELECT <every status_webhooks column> <rest>`.
macro_rules! select_webhooks {
    ($rest:literal) => {
        concat!(
            "SELECT id, url, components, created_by, created_at_ms, removed_at_ms ",
            $rest
        )
    };
}

impl Store {
    /// Adds a webhook posting to `url` about `components` (empty: all),
    /// added by `by` at `at`; returns its id. Fails with
    /// [`StoreError::InvalidInput`] for an empty or overlong URL or a
    /// component id that is empty or holds a comma. The URL's scheme and
    /// host are the caller's to check.
    pub async fn add_status_webhook(
        &self,
        url: &str,
        components: &[String],
        by: &str,
        at: Timestamp,
    ) -> Result<i64> {
        let url = url.trim();
        if url.is_empty() || url.len() > MAX_URL_LEN {
            return Err(StoreError::InvalidInput(format!(
                "a status webhook needs a URL of 1 to {MAX_URL_LEN} bytes"
            )));
        }
        if components
            .iter()
            .any(|c| c.contains(',') || c.trim().is_empty())
        {
            return Err(StoreError::InvalidInput(
                "component ids must be non-empty and hold no comma".to_owned(),
            ));
        }
        let mut list: Vec<&str> = components.iter().map(|c| c.trim()).collect();
        list.sort_unstable();
        list.dedup();
        let list = list.join(",");
        self.run("add_status_webhook", async {
            let row = sqlx::query(
                "INSERT INTO status_webhooks (url, components, created_by, created_at_ms) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(url)
            .bind(&list)
            .bind(by)
            .bind(at.as_millisecond())
            .fetch_one(self.pool())
            .await?;
            col(&row, "id")
        })
        .await
    }

    /// Removes webhook `id` at `at`; `false` (changing nothing) if there is
    /// no such webhook or it was already removed.
    pub async fn remove_status_webhook(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.run("remove_status_webhook", async {
            let done = sqlx::query(
                "UPDATE status_webhooks SET removed_at_ms = $2 WHERE id = $1 \
                 AND removed_at_ms IS NULL",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// The webhooks not removed, by id.
    pub async fn status_webhooks(&self) -> Result<Vec<StatusWebhookRecord>> {
        self.run("status_webhooks", async {
            let rows = sqlx::query(select_webhooks!(
                "FROM status_webhooks WHERE removed_at_ms IS NULL ORDER BY id"
            ))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(webhook_from_row).collect()
        })
        .await
    }

    /// Webhook `id`, removed or not.
    pub async fn status_webhook(&self, id: i64) -> Result<Option<StatusWebhookRecord>> {
        self.run("status_webhook", async {
            let row = sqlx::query(select_webhooks!("FROM status_webhooks WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(webhook_from_row).transpose()
        })
        .await
    }

    /// The webhooks not removed that follow all components or one of
    /// `components`, by id.
    pub async fn status_webhooks_for(
        &self,
        components: &[String],
    ) -> Result<Vec<StatusWebhookRecord>> {
        let all = self.status_webhooks().await?;
        Ok(all
            .into_iter()
            .filter(|w| w.follows_any(components))
            .collect())
    }
}

fn webhook_from_row(row: &AnyRow) -> Result<StatusWebhookRecord> {
    let components: String = col(row, "components")?;
    Ok(StatusWebhookRecord {
        id: col(row, "id")?,
        url: col(row, "url")?,
        components: components
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        created_by: col(row, "created_by")?,
        created_at: col_time(row, "created_at_ms")?,
        removed_at: col_time_opt(row, "removed_at_ms")?,
    })
}
