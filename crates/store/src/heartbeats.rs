//! The secret ping URLs of heartbeat monitors: stored as SHA-256 hashes,
//! looked up on every ping, revocable per monitor.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_time, col_time_opt};
use crate::{MonitorName, Result, Store};

/// A heartbeat ping token. The store keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatToken {
    /// Store-assigned id.
    pub id: i64,
    /// The heartbeat monitor the token pings.
    pub monitor: MonitorName,
    /// Who created it (user email, or `cli`).
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// The last ping that used it, if any.
    pub last_used_at: Option<Timestamp>,
    /// Set once revoked; a revoked token is refused.
    pub revoked_at: Option<Timestamp>,
}

/// `SELECT <every heartbeat_tokens column but the hash> <rest>`, as one
/// `&'static str`.
macro_rules! select_heartbeat_tokens {
    ($rest:literal) => {
        concat!(
            "SELECT id, service, monitor, created_by, created_at, last_used_at, revoked_at ",
            $rest
        )
    };
}

impl Store {
    /// Stores the hash of a new ping token for `monitor`.
    pub async fn create_heartbeat_token(
        &self,
        monitor: &MonitorName,
        token_hash: &str,
        created_by: &str,
        now: Timestamp,
    ) -> Result<HeartbeatToken> {
        self.run("create_heartbeat_token", async {
            let row = sqlx::query(
                "INSERT INTO heartbeat_tokens (token_hash, service, monitor, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, service, monitor, created_by, created_at, last_used_at, revoked_at",
            )
            .bind(token_hash)
            .bind(&monitor.service)
            .bind(&monitor.monitor)
            .bind(created_by)
            .bind(now.as_millisecond())
            .fetch_one(self.pool())
            .await?;
            heartbeat_token_from_row(&row)
        })
        .await
    }

    /// The monitor pinged by the unrevoked token with this hash, recording
    /// the use at `now`; `None` for an unknown or revoked token.
    pub async fn use_heartbeat_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<MonitorName>> {
        self.run("use_heartbeat_token", async {
            let row = sqlx::query(
                "UPDATE heartbeat_tokens SET last_used_at = $2 \
                 WHERE token_hash = $1 AND revoked_at IS NULL \
                 RETURNING service, monitor",
            )
            .bind(token_hash)
            .bind(now.as_millisecond())
            .fetch_optional(self.pool())
            .await?;
            row.map(|row| {
                Ok(MonitorName {
                    service: col(&row, "service")?,
                    monitor: col(&row, "monitor")?,
                })
            })
            .transpose()
        })
        .await
    }

    /// Every token, revoked ones included, newest first; only `monitor`'s
    /// when given.
    pub async fn heartbeat_tokens(
        &self,
        monitor: Option<&MonitorName>,
    ) -> Result<Vec<HeartbeatToken>> {
        self.run("heartbeat_tokens", async {
            let rows =
                match monitor {
                    Some(name) => sqlx::query(select_heartbeat_tokens!(
                        "FROM heartbeat_tokens WHERE service = $1 AND monitor = $2 ORDER BY id DESC"
                    ))
                    .bind(&name.service)
                    .bind(&name.monitor)
                    .fetch_all(self.pool())
                    .await?,
                    None => {
                        sqlx::query(select_heartbeat_tokens!(
                            "FROM heartbeat_tokens ORDER BY id DESC"
                        ))
                        .fetch_all(self.pool())
                        .await?
                    }
                };
            rows.iter().map(heartbeat_token_from_row).collect()
        })
        .await
    }

    /// Revokes every live token of `monitor`; returns how many.
    pub async fn revoke_heartbeat_tokens(
        &self,
        monitor: &MonitorName,
        at: Timestamp,
    ) -> Result<u64> {
        self.run("revoke_heartbeat_tokens", async {
            let done = sqlx::query(
                "UPDATE heartbeat_tokens SET revoked_at = $3 \
                 WHERE service = $1 AND monitor = $2 AND revoked_at IS NULL",
            )
            .bind(&monitor.service)
            .bind(&monitor.monitor)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected())
        })
        .await
    }
}

fn heartbeat_token_from_row(row: &AnyRow) -> Result<HeartbeatToken> {
    Ok(HeartbeatToken {
        id: col(row, "id")?,
        monitor: MonitorName {
            service: col(row, "service")?,
            monitor: col(row, "monitor")?,
        },
        created_by: col(row, "created_by")?,
        created_at: col_time(row, "created_at")?,
        last_used_at: col_time_opt(row, "last_used_at")?,
        revoked_at: col_time_opt(row, "revoked_at")?,
    })
}
