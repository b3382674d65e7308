//! Subscribers to the public status page: an email address, the
//! components it follows (none listed: all), and the double opt-in
//! (`confirmed_at`) and opt-out (`unsubscribed_at`) times.
//!
//! At most one active (not unsubscribed) subscription exists per address,
//! compared case-insensitively; subscribing again reuses it. Who may be
//! told what, and the signed links, are the paging engine's job.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{Result, Store, StoreError};

/// Serializes [`Store::add_subscriber`] on PostgreSQL (`shipsubs`).
const PG_SUBSCRIBERS_LOCK: i64 = 0x7368_6970_7375_6273;
/// The only kind of subscriber so far.
const KIND_EMAIL: &str = "email";
/// Longest address accepted (RFC 5321's path limit).
const MAX_ADDRESS_LEN: usize = 254;

/// A stored subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberRecord {
    /// Store-assigned, increasing id.
    pub id: i64,
    /// How they are reached: `email`.
    pub kind: String,
    /// The address, as given (trimmed).
    pub address: String,
    /// The component ids followed; empty for all.
    pub components: Vec<String>,
    /// When they subscribed.
    pub created_at: Timestamp,
    /// When they confirmed; notices go only to confirmed subscribers.
    pub confirmed_at: Option<Timestamp>,
    /// When they unsubscribed; an unsubscribed record is never reused.
    pub unsubscribed_at: Option<Timestamp>,
}

impl SubscriberRecord {
    /// Confirmed and not unsubscribed.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none()
    }

    /// Whether a notice about `components` concerns them: they follow all
    /// components, or one of these.
    pub fn follows_any(&self, components: &[String]) -> bool {
        self.components.is_empty() || self.components.iter().any(|c| components.contains(c))
    }
}

/// `SELECT <every subscribers column> <rest>`.
macro_rules! select_subscribers {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, address, components, created_at_ms, confirmed_at_ms, \
             unsubscribed_at_ms ",
            $rest
        )
    };
}

impl Store {
    /// Subscribes email `address` to `components` (empty: all) at `at`;
    /// returns `(id, is_new)`. An active subscription of the same address
    /// (any case) is reused: while it is unconfirmed its components are
    /// replaced by these; once confirmed they are kept (so nobody can change
    /// another person's choice without their mailbox). Fails with
    /// [`StoreError::InvalidInput`] for an empty or overlong address or a
    /// component id holding a comma.
    pub async fn add_subscriber(
        &self,
        address: &str,
        components: &[String],
        at: Timestamp,
    ) -> Result<(i64, bool)> {
        let address = address.trim();
        if address.is_empty() || address.len() > MAX_ADDRESS_LEN {
            return Err(StoreError::InvalidInput(format!(
                "a subscriber needs an address of 1 to {MAX_ADDRESS_LEN} bytes"
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
        self.run("add_subscriber", async {
            let mut tx = self.begin_write(Some(PG_SUBSCRIBERS_LOCK)).await?;
            let existing = sqlx::query(
                "SELECT id, confirmed_at_ms FROM subscribers WHERE kind = $1 \
                 AND lower(address) = lower($2) AND unsubscribed_at_ms IS NULL",
            )
            .bind(KIND_EMAIL)
            .bind(address)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match existing {
                Some(row) => {
                    let id: i64 = col(&row, "id")?;
                    let confirmed: Option<i64> = col(&row, "confirmed_at_ms")?;
                    if confirmed.is_none() {
                        sqlx::query("UPDATE subscribers SET components = $2 WHERE id = $1")
                            .bind(id)
                            .bind(&list)
                            .execute(&mut *tx)
                            .await?;
                    }
                    (id, false)
                }
                None => {
                    let row = sqlx::query(
                        "INSERT INTO subscribers (kind, address, components, created_at_ms) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(KIND_EMAIL)
                    .bind(address)
                    .bind(&list)
                    .bind(at.as_millisecond())
                    .fetch_one(&mut *tx)
                    .await?;
                    (col(&row, "id")?, true)
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    /// Confirms subscriber `id` at `at`; `false` (changing nothing) if there
    /// is no such subscriber, it is already confirmed, or it unsubscribed.
    pub async fn confirm_subscriber(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.run("confirm_subscriber", async {
            let done = sqlx::query(
                "UPDATE subscribers SET confirmed_at_ms = $2 WHERE id = $1 \
                 AND confirmed_at_ms IS NULL AND unsubscribed_at_ms IS NULL",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Unsubscribes subscriber `id` at `at`; `false` (changing nothing) if
    /// there is no such subscriber or it already unsubscribed.
    pub async fn unsubscribe(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.run("unsubscribe", async {
            let done = sqlx::query(
                "UPDATE subscribers SET unsubscribed_at_ms = $2 WHERE id = $1 \
                 AND unsubscribed_at_ms IS NULL",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Subscriber `id`, whatever its state.
    pub async fn subscriber(&self, id: i64) -> Result<Option<SubscriberRecord>> {
        self.run("subscriber", async {
            let row = sqlx::query(select_subscribers!("FROM subscribers WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(subscriber_from_row).transpose()
        })
        .await
    }

    /// The confirmed, not unsubscribed subscribers following all components
    /// or one of `components`, by id.
    pub async fn subscribers_for(&self, components: &[String]) -> Result<Vec<SubscriberRecord>> {
        self.run("subscribers_for", async {
            let rows = sqlx::query(select_subscribers!(
                "FROM subscribers WHERE confirmed_at_ms IS NOT NULL \
                 AND unsubscribed_at_ms IS NULL ORDER BY id"
            ))
            .fetch_all(self.pool())
            .await?;
            let mut out = Vec::new();
            for row in &rows {
                let subscriber = subscriber_from_row(row)?;
                if subscriber.follows_any(components) {
                    out.push(subscriber);
                }
            }
            Ok(out)
        })
        .await
    }

    /// How many subscribers are active (confirmed, not unsubscribed).
    pub async fn count_subscribers(&self) -> Result<u64> {
        self.run("count_subscribers", async {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM subscribers WHERE confirmed_at_ms IS NOT NULL \
                 AND unsubscribed_at_ms IS NULL",
            )
            .fetch_one(self.pool())
            .await?;
            let n: i64 = col(&row, "n")?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

fn subscriber_from_row(row: &AnyRow) -> Result<SubscriberRecord> {
    let components: String = col(row, "components")?;
    Ok(SubscriberRecord {
        id: col(row, "id")?,
        kind: col(row, "kind")?,
        address: col(row, "address")?,
        components: components
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: col_time(row, "created_at_ms")?,
        confirmed_at: col_time_opt(row, "confirmed_at_ms")?,
        unsubscribed_at: col_time_opt(row, "unsubscribed_at_ms")?,
    })
}
