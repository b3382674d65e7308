//! The notification outbox and server keys.
//!
//! Messages are enqueued in the transaction that decides to send them
//! (escalating, acknowledging, resolving), so a crash never loses or
//! doubles one; each has an idempotency key. Senders claim due messages
//! with a lease: claiming moves `next_attempt_at` past the lease, so
//! another claimer (in this or another process) skips them until the
//! sender records the outcome or the lease runs out.

use std::time::Duration;

use jiff::Timestamp;
use rand::TryRngCore;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{
    DeliveryOutcome, NewOutboxMessage, NewTimelineEntry, OutboxMessage, OutboxState, col_enum,
    col_u32, insert_timeline,
};
use crate::store::{col, col_time, col_time_opt};
use crate::{Backend, Result, Store, StoreError};

/// The outbox columns, for `SELECT` and `RETURNING`.
macro_rules! outbox_columns {
    () => {
        "id, key, incident_id, kind, recipient, channel, payload, state, attempts, \
         next_attempt_at_ms, last_error, created_at_ms, delivered_at_ms "
    };
}

/// Claims due messages (`$1` now, `$2` lease end, `$3` limit) for `$4`
/// (an instance id, or NULL), taking over too the messages claimed by
/// another instance that stopped or whose heartbeat is older than `$5`.
/// PostgreSQL skips rows a concurrent claimer has locked; SQLite runs it
/// under the write lock.
macro_rules! claim_outbox {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET next_attempt_at_ms = $2, attempts = attempts + 1, claimed_by = $4 \
             WHERE id IN (SELECT id FROM outbox \
             WHERE state = 'pending' AND (next_attempt_at_ms <= $1 \
             OR (claimed_by <> $4 AND claimed_by IN (SELECT id FROM cluster_instances \
             WHERE stopped_at_ms IS NOT NULL OR heartbeat_at_ms < $5))) \
             ORDER BY next_attempt_at_ms, id LIMIT $3",
            $lock,
            ") RETURNING ",
            outbox_columns!()
        )
    };
}

/// The instance that claims outbox messages, for [`Store::claim_outbox_as`].
#[derive(Debug, Clone, Copy)]
pub struct Claimer<'a> {
    /// This instance's id (`cluster_instances.id`).
    pub instance: &'a str,
    /// How long an instance's heartbeat may be silent before it counts as
    /// gone and its claims are taken over.
    pub member_ttl: Duration,
}

/// Length of a secret made by [`Store::server_key`].
const SERVER_KEY_LEN: usize = 32;

impl Store {
    /// Enqueues messages (a message whose key is already stored is
    /// ignored) and appends timeline entries to the named incidents, in one
    /// transaction; returns how many messages were new. Fails with
    /// [`StoreError::NotFound`] if a timeline names a missing incident.
    pub async fn enqueue(
        &self,
        messages: &[NewOutboxMessage],
        timeline: &[(i64, NewTimelineEntry)],
    ) -> Result<u64> {
        self.run("enqueue", async {
            let mut tx = self.begin_write(None).await?;
            let added = insert_outbox(&mut tx, messages).await?;
            for (incident_id, entry) in timeline {
                insert_timeline(&mut tx, *incident_id, std::slice::from_ref(entry)).await?;
            }
            tx.commit().await?;
            Ok(added)
        })
        .await
    }

    /// Claims up to `limit` pending messages due by `now`, soonest due
    /// first, returned by id: each gets one more attempt and is not due
    /// again until `now + lease`, so no concurrent claimer gets it
    /// meanwhile. The sender then calls [`Store::record_delivery`].
    pub async fn claim_outbox(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        self.claim(None, now, lease, limit).await
    }

    /// [`Store::claim_outbox`] for one of several instances: the claims are
    /// marked as `claimer`'s, and messages another instance claimed are
    /// taken over as soon as that instance stopped or its heartbeat is
    /// older than `claimer.member_ttl`, not only when their lease ends.
    /// Claims of an instance with no heartbeat on record wait for the lease.
    pub async fn claim_outbox_as(
        &self,
        claimer: Claimer<'_>,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        self.claim(Some(claimer), now, lease, limit).await
    }

    async fn claim(
        &self,
        claimer: Option<Claimer<'_>>,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>> {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let now_ms = now.as_millisecond();
        let until = now_ms.saturating_add(millis(lease));
        // Without a claimer nothing is taken over early: `claimed_by <> NULL`
        // is never true.
        let (instance, silent_since) = match claimer {
            Some(c) => (
                Some(c.instance),
                now_ms.saturating_sub(millis(c.member_ttl)),
            ),
            None => (None, i64::MIN),
        };
        self.run("claim_outbox", async {
            let sql = match self.backend() {
                Backend::Postgres => claim_outbox!(" FOR UPDATE SKIP LOCKED"),
                Backend::Sqlite => claim_outbox!(""),
            };
            let mut tx = self.begin_write(None).await?;
            let rows = sqlx::query(sql)
                .bind(now_ms)
                .bind(until)
                .bind(i64::from(limit))
                .bind(instance)
                .bind(silent_since)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let mut claimed = rows
                .iter()
                .map(outbox_from_row)
                .collect::<Result<Vec<_>>>()?;
            claimed.sort_by_key(|m| m.id);
            Ok(claimed)
        })
        .await
    }

    /// Records how sending message `id` went, and appends `timeline` (if
    /// any) to the message's incident, in one transaction:
    /// [`DeliveryOutcome::Delivered`] marks it delivered (unless it already
    /// is); [`DeliveryOutcome::Retry`] keeps a pending message pending until
    /// `next_attempt_at`; [`DeliveryOutcome::Failed`] gives a pending message
    /// up. Returns whether the message changed: `false` (nothing written)
    /// when it was no longer in a state the outcome applies to, e.g. a late
    /// retry after another sender delivered it. The timeline entry is
    /// skipped if the incident has been pruned. Fails with
    /// [`StoreError::NotFound`] if there is no such message.
    pub async fn record_delivery(
        &self,
        id: i64,
        outcome: &DeliveryOutcome,
        timeline: Option<NewTimelineEntry>,
    ) -> Result<bool> {
        self.run("record_delivery", async {
            let mut tx = self.begin_write(None).await?;
            let query = match outcome {
                DeliveryOutcome::Delivered { at } => sqlx::query(
                    "UPDATE outbox SET state = 'delivered', delivered_at_ms = $2 \
                     WHERE id = $1 AND state <> 'delivered' RETURNING incident_id",
                )
                .bind(id)
                .bind(at.as_millisecond()),
                DeliveryOutcome::Retry {
                    at: _,
                    next_attempt_at,
                    error,
                } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at_ms = $2, last_error = $3, claimed_by = NULL \
                     WHERE id = $1 AND state = 'pending' RETURNING incident_id",
                )
                .bind(id)
                .bind(next_attempt_at.as_millisecond())
                .bind(error.as_str()),
                DeliveryOutcome::Failed { at: _, error } => sqlx::query(
                    "UPDATE outbox SET state = 'failed', last_error = $2 \
                     WHERE id = $1 AND state = 'pending' RETURNING incident_id",
                )
                .bind(id)
                .bind(error.as_str()),
            };
            let Some(row) = query.fetch_optional(&mut *tx).await? else {
                let exists = sqlx::query("SELECT id FROM outbox WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                tx.rollback().await?;
                return if exists {
                    Ok(false)
                } else {
                    Err(StoreError::NotFound(format!(
                        "no outbox message with id `{id}`"
                    )))
                };
            };
            let incident_id: Option<i64> = col(&row, "incident_id")?;
            if let (Some(incident_id), Some(entry)) = (incident_id, timeline) {
                sqlx::query(
                    "INSERT INTO incident_events (incident_id, at_ms, kind, actor, text) \
                     SELECT $1, $2, $3, $4, $5 \
                     WHERE EXISTS (SELECT 1 FROM incidents WHERE id = $1)",
                )
                .bind(incident_id)
                .bind(entry.at.as_millisecond())
                .bind(&entry.kind)
                .bind(entry.actor.as_deref())
                .bind(&entry.text)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Incident `id`'s messages, oldest first.
    pub async fn outbox_for_incident(&self, id: i64) -> Result<Vec<OutboxMessage>> {
        self.run("outbox_for_incident", async {
            let rows = sqlx::query(concat!(
                "SELECT ",
                outbox_columns!(),
                "FROM outbox WHERE incident_id = $1 ORDER BY id"
            ))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(outbox_from_row).collect()
        })
        .await
    }

    /// The message with this idempotency key, if any.
    pub async fn outbox_message(&self, key: &str) -> Result<Option<OutboxMessage>> {
        self.run("outbox_message", async {
            let row = sqlx::query(concat!(
                "SELECT ",
                outbox_columns!(),
                "FROM outbox WHERE key = $1"
            ))
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(outbox_from_row).transpose()
        })
        .await
    }

    /// The distinct recipients of incident `incident_id`'s `trigger`
    /// messages, whatever their state, in the order first enqueued.
    pub async fn notified_recipients(&self, incident_id: i64) -> Result<Vec<String>> {
        self.run("notified_recipients", async {
            let rows = sqlx::query(
                "SELECT recipient, MIN(id) AS first_id FROM outbox \
                 WHERE incident_id = $1 AND kind = 'trigger' \
                 GROUP BY recipient ORDER BY first_id",
            )
            .bind(incident_id)
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(|row| col(row, "recipient")).collect()
        })
        .await
    }

    /// The secret named `name`: 32 random bytes from the OS, made and
    /// stored on first use. Instances asking at once agree on one secret.
    pub async fn server_key(&self, name: &str) -> Result<Vec<u8>> {
        let mut fresh = vec![0u8; SERVER_KEY_LEN];
        rand::rngs::OsRng.try_fill_bytes(&mut fresh).map_err(|e| {
            StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
                "the OS random number generator failed: {e}"
            ))))
        })?;
        // Bookkeeping only: nothing schedules on `created_at_ms`.
        let now = Timestamp::now().as_millisecond();
        self.run("server_key", async {
            sqlx::query(
                "INSERT INTO server_keys (name, secret, created_at_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh)
            .bind(now)
            .execute(self.pool())
            .await?;
            let row = sqlx::query("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(self.pool())
                .await?;
            col(&row, "secret")
        })
        .await
    }
}

/// Inserts `messages` on `conn`, due at their creation, skipping keys
/// already stored; returns how many were new.
pub(super) async fn insert_outbox(
    conn: &mut AnyConnection,
    messages: &[NewOutboxMessage],
) -> Result<u64> {
    let mut added = 0;
    for message in messages {
        let done = sqlx::query(
            "INSERT INTO outbox (key, incident_id, kind, recipient, channel, payload, state, \
             attempts, next_attempt_at_ms, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&message.key)
        .bind(message.incident_id)
        .bind(&message.kind)
        .bind(&message.recipient)
        .bind(&message.channel)
        .bind(&message.payload)
        .bind(message.created_at.as_millisecond())
        .execute(&mut *conn)
        .await?;
        added += done.rows_affected();
    }
    Ok(added)
}

fn outbox_from_row(row: &AnyRow) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: col(row, "id")?,
        key: col(row, "key")?,
        incident_id: col(row, "incident_id")?,
        kind: col(row, "kind")?,
        recipient: col(row, "recipient")?,
        channel: col(row, "channel")?,
        payload: col(row, "payload")?,
        state: col_enum(row, "state", OutboxState::parse)?,
        attempts: col_u32(row, "attempts")?,
        next_attempt_at: col_time(row, "next_attempt_at_ms")?,
        last_error: col(row, "last_error")?,
        created_at: col_time(row, "created_at_ms")?,
        delivered_at: col_time_opt(row, "delivered_at_ms")?,
    })
}
