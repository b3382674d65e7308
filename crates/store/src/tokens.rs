//! API bearer tokens (stored as hashes, revocable, with last use recorded)
//! and the login-failure counter that throttles password guessing.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::auth::count;
use crate::store::{col, col_role, col_time, col_time_opt};
use crate::{ApiToken, NewApiToken, Result, Store, StoreError};

/// `SELECT <every api_tokens column> <rest>`, as one `&'static str`.
macro_rules! select_tokens {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, role, token_hash, created_by, created_at, last_used_at, revoked_at ",
            $rest
        )
    };
}

impl Store {
    /// Stores a new API token.
    pub async fn create_api_token(&self, token: NewApiToken) -> Result<ApiToken> {
        let created = self
            .run("create_api_token", async {
                let row = sqlx::query(
                    "INSERT INTO api_tokens (name, role, token_hash, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, name, role, token_hash, created_by, created_at, last_used_at, revoked_at",
                )
                .bind(&token.name)
                .bind(token.role.as_str())
                .bind(&token.token_hash)
                .bind(&token.created_by)
                .bind(token.created_at.as_millisecond())
                .fetch_one(self.pool())
                .await?;
                token_from_row(&row)
            })
            .await;
        match created {
            Err(StoreError::Conflict(_)) => Err(StoreError::Conflict(format!(
                "an api token with the same hash as `{}` already exists; generate a new token",
                token.name
            ))),
            other => other,
        }
    }

    /// The unrevoked token with this hash.
    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        self.run("api_token_by_hash", async {
            let row = sqlx::query(select_tokens!(
                "FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
            ))
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(token_from_row).transpose()
        })
        .await
    }

    /// The token with this id, revoked or not.
    pub async fn api_token_by_id(&self, id: i64) -> Result<Option<ApiToken>> {
        self.run("api_token_by_id", async {
            let row = sqlx::query(select_tokens!("FROM api_tokens WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(token_from_row).transpose()
        })
        .await
    }

    /// All tokens, revoked ones included, newest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        self.run("list_api_tokens", async {
            let rows = sqlx::query(select_tokens!(
                "FROM api_tokens ORDER BY created_at DESC, id DESC"
            ))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(token_from_row).collect()
        })
        .await
    }

    /// Revokes a token; `false` if it did not exist or was already revoked.
    pub async fn revoke_api_token(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.run("revoke_api_token", async {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Records a successful use of a token. Touching a token that does not
    /// exist (e.g. deleted meanwhile) is not an error: there is nothing to record.
    pub async fn touch_api_token(&self, id: i64, at: Timestamp) -> Result<()> {
        self.run("touch_api_token", async {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at.as_millisecond())
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Records one failed login for `key` (e.g. `ip:1.2.3.4` or `user:a@b`).
    pub async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<()> {
        self.run("record_login_failure", async {
            sqlx::query("INSERT INTO login_failures (failure_key, at) VALUES ($1, $2)")
                .bind(key)
                .bind(at.as_millisecond())
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// How many failures `key` has had since `since` (inclusive).
    pub async fn login_failures_since(&self, key: &str, since: Timestamp) -> Result<u64> {
        self.run("login_failures_since", async {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM login_failures WHERE failure_key = $1 AND at >= $2",
            )
            .bind(key)
            .bind(since.as_millisecond())
            .fetch_one(self.pool())
            .await?;
            count(&row)
        })
        .await
    }

    /// Forgets failures of `key` (after a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        self.run("clear_login_failures", async {
            sqlx::query("DELETE FROM login_failures WHERE failure_key = $1")
                .bind(key)
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Deletes failures of every key recorded before `before` (retention);
    /// returns how many.
    pub async fn prune_login_failures(&self, before: Timestamp) -> Result<u64> {
        self.execute_with(
            "prune_login_failures",
            "DELETE FROM login_failures WHERE at < $1",
            before.as_millisecond(),
        )
        .await
    }
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: col(row, "id")?,
        name: col(row, "name")?,
        role: col_role(row, "role")?,
        token_hash: col(row, "token_hash")?,
        created_by: col(row, "created_by")?,
        created_at: col_time(row, "created_at")?,
        last_used_at: col_time_opt(row, "last_used_at")?,
        revoked_at: col_time_opt(row, "revoked_at")?,
    })
}
