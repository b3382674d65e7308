//! The append-only audit log: who did what, when, from where; read newest
//! first with keyset paging on the increasing id.

use sqlx::any::AnyRow;

use crate::store::{col, col_time};
use crate::{AuditEntry, AuditRecord, Result, Store};

impl Store {
    /// Appends to the audit log.
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord> {
        self.run("append_audit", async {
            let row = sqlx::query(
                "INSERT INTO audit_log (at, actor, action, target, detail, source) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(entry.at.as_millisecond())
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(&entry.detail)
            .bind(&entry.source)
            .fetch_one(self.pool())
            .await?;
            Ok(AuditRecord {
                id: col(&row, "id")?,
                entry: entry.clone(),
            })
        })
        .await
    }

    /// Audit records newest first, at most `limit`, with ids below `before` when given.
    pub async fn list_audit(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRecord>> {
        self.run("list_audit", async {
            let rows = sqlx::query(
                "SELECT id, at, actor, action, target, detail, source FROM audit_log \
                 WHERE id < $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(audit_from_row).collect()
        })
        .await
    }
}

fn audit_from_row(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: col(row, "id")?,
        entry: AuditEntry {
            at: col_time(row, "at")?,
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            target: col(row, "target")?,
            detail: col(row, "detail")?,
            source: col(row, "source")?,
        },
    })
}
