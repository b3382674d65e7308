//! Escalation progress: per incident and policy, the next step, the round
//! and when it is due. Advancing is a conditional update, so two instances
//! racing to run the same step run it once.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::outbox::insert_outbox;
use super::{
    EscalationRecord, EscalationState, NewEscalation, NewOutboxMessage, NewTimelineEntry, col_enum,
    col_u32, insert_timeline, require_incident,
};
use crate::store::{col, col_time_opt};
use crate::{Result, Store};

/// `SELECT <every escalations column> <rest>`, as one `&'static str`.
macro_rules! select_escalations {
    ($rest:literal) => {
        concat!(
            "SELECT e.incident_id, e.policy, e.step, e.round, e.next_at_ms, e.state ",
            $rest
        )
    };
}

impl Store {
    /// Starts escalation policies for incident `id`, each `waiting` at step
    /// 0, round 0, due at its `next_at`; a policy already there is reset to
    /// that. Fails with [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// if there is no such incident.
    pub async fn start_escalations(&self, id: i64, escalations: &[NewEscalation]) -> Result<()> {
        self.run("start_escalations", async {
            let mut tx = self.begin_write(None).await?;
            require_incident(&mut tx, id).await?;
            for escalation in escalations {
                sqlx::query(
                    "INSERT INTO escalations (incident_id, policy, step, round, next_at_ms, state) \
                     VALUES ($1, $2, 0, 0, $3, 'waiting') \
                     ON CONFLICT (incident_id, policy) DO UPDATE SET step = 0, round = 0, \
                     next_at_ms = excluded.next_at_ms, state = 'waiting'",
                )
                .bind(id)
                .bind(&escalation.policy)
                .bind(escalation.next_at.as_millisecond())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Waiting escalations due by `now` whose incident is open (not
    /// acknowledged or resolved), soonest first, at most `limit`.
    pub async fn due_escalations(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<EscalationRecord>> {
        self.run("due_escalations", async {
            let rows = sqlx::query(select_escalations!(
                "FROM escalations e JOIN incidents i ON i.id = e.incident_id \
                 WHERE e.state = 'waiting' AND e.next_at_ms <= $1 AND i.status = 'open' \
                 ORDER BY e.next_at_ms, e.incident_id, e.policy LIMIT $2"
            ))
            .bind(now.as_millisecond())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(escalation_from_row).collect()
        })
        .await
    }

    /// Moves an escalation on from `current`: to `next` = (step, round,
    /// due at), or to `done` when `next` is `None`; and, in the same
    /// transaction, enqueues `outbox` (keys already stored are ignored) and
    /// appends `timeline` to the incident. Only if the stored escalation
    /// still is `current` (same step and round, still waiting): otherwise
    /// returns `false` and writes nothing, so of two instances running the
    /// same step, one does.
    pub async fn advance_escalation(
        &self,
        current: &EscalationRecord,
        next: Option<(u32, u32, Timestamp)>,
        outbox: &[NewOutboxMessage],
        timeline: &[NewTimelineEntry],
    ) -> Result<bool> {
        self.run("advance_escalation", async {
            let mut tx = self.begin_write(None).await?;
            let query = match next {
                Some((step, round, next_at)) => sqlx::query(
                    "UPDATE escalations SET step = $5, round = $6, next_at_ms = $7 \
                     WHERE incident_id = $1 AND policy = $2 AND step = $3 AND round = $4 \
                     AND state = 'waiting'",
                )
                .bind(current.incident_id)
                .bind(&current.policy)
                .bind(i64::from(current.step))
                .bind(i64::from(current.round))
                .bind(i64::from(step))
                .bind(i64::from(round))
                .bind(next_at.as_millisecond()),
                None => sqlx::query(
                    "UPDATE escalations SET state = 'done', next_at_ms = NULL \
                     WHERE incident_id = $1 AND policy = $2 AND step = $3 AND round = $4 \
                     AND state = 'waiting'",
                )
                .bind(current.incident_id)
                .bind(&current.policy)
                .bind(i64::from(current.step))
                .bind(i64::from(current.round)),
            };
            let done = query.execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_outbox(&mut tx, outbox).await?;
            insert_timeline(&mut tx, current.incident_id, timeline).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Incident `incident_id`'s escalations, by policy.
    pub async fn escalations(&self, incident_id: i64) -> Result<Vec<EscalationRecord>> {
        self.run("escalations", async {
            let rows = sqlx::query(select_escalations!(
                "FROM escalations e WHERE e.incident_id = $1 ORDER BY e.policy"
            ))
            .bind(incident_id)
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(escalation_from_row).collect()
        })
        .await
    }
}

fn escalation_from_row(row: &AnyRow) -> Result<EscalationRecord> {
    Ok(EscalationRecord {
        incident_id: col(row, "incident_id")?,
        policy: col(row, "policy")?,
        step: col_u32(row, "step")?,
        round: col_u32(row, "round")?,
        next_at: col_time_opt(row, "next_at_ms")?,
        state: col_enum(row, "state", EscalationState::parse)?,
    })
}
