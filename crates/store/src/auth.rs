//! Accounts and how people get in: users, one-time set-up tokens and browser
//! sessions. Emails are stored lowercased; secrets only as hashes.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::store::{col, col_flag, col_role, col_time};
use crate::{NewUser, Result, Role, Session, SetupGrant, Store, StoreError, User};

/// `SELECT <every users column> <rest>`, as one `&'static str`.
macro_rules! select_users {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, role, password_hash, created_at, disabled ",
            $rest
        )
    };
}

impl Store {
    /// Creates a user. Fails with [`StoreError::Conflict`] if the email is taken.
    pub async fn create_user(&self, user: NewUser) -> Result<User> {
        let email = user.email.to_lowercase();
        let created = self
            .run("create_user", async {
                let row = sqlx::query(
                    "INSERT INTO users (email, name, role, password_hash, created_at, disabled) \
                     VALUES ($1, $2, $3, $4, $5, 0) \
                     RETURNING id, email, name, role, password_hash, created_at, disabled",
                )
                .bind(&email)
                .bind(&user.name)
                .bind(user.role.as_str())
                .bind(&user.password_hash)
                .bind(user.created_at.as_millisecond())
                .fetch_one(self.pool())
                .await?;
                user_from_row(&row)
            })
            .await;
        match created {
            Err(StoreError::Conflict(_)) => Err(StoreError::Conflict(format!(
                "a user with email `{email}` already exists; pick another email or edit that user"
            ))),
            other => other,
        }
    }

    /// Looks a user up by email (case-insensitive).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.to_lowercase();
        self.run("user_by_email", async {
            let row = sqlx::query(select_users!("FROM users WHERE email = $1"))
                .bind(&email)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    /// Looks a user up by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.run("user_by_id", async {
            let row = sqlx::query(select_users!("FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    /// All users, by id.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.run("list_users", async {
            let rows = sqlx::query(select_users!("FROM users ORDER BY id"))
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(user_from_row).collect()
        })
        .await
    }

    /// How many users exist (zero means the first admin has yet to be created).
    pub async fn count_users(&self) -> Result<u64> {
        self.run("count_users", async {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
                .fetch_one(self.pool())
                .await?;
            count(&row)
        })
        .await
    }

    /// Sets (or replaces) a user's password hash.
    pub async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()> {
        self.update_user(
            "set_password_hash",
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            user_id,
            password_hash,
        )
        .await
    }

    /// Changes a user's role.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<()> {
        self.update_user(
            "set_role",
            "UPDATE users SET role = $2 WHERE id = $1",
            user_id,
            role.as_str(),
        )
        .await
    }

    /// Disables or re-enables a user. A disabled user cannot log in, and
    /// [`Store::session`] stops returning their sessions at once.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<()> {
        self.update_user(
            "set_disabled",
            "UPDATE users SET disabled = $2 WHERE id = $1",
            user_id,
            i64::from(disabled),
        )
        .await
    }

    /// Stores a one-time set-up token (hash only). With a `user_id` it lets
    /// that user set a password; without, it lets the visitor create the first
    /// admin account.
    pub async fn create_setup_token(
        &self,
        user_id: Option<i64>,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.run("create_setup_token", async {
            sqlx::query(
                "INSERT INTO setup_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at.as_millisecond())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// Consumes a set-up token: returns what it grants if it exists and has not
    /// expired at `now`, and deletes it either way (one use only).
    pub async fn consume_setup_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SetupGrant>> {
        self.run("consume_setup_token", async {
            // One statement, so two concurrent uses cannot both succeed.
            let row = sqlx::query(
                "DELETE FROM setup_tokens WHERE token_hash = $1 RETURNING user_id, expires_at",
            )
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref()
                .map(|row| live_grant(row, now))
                .transpose()
                .map(Option::flatten)
        })
        .await
    }

    /// Looks a set-up token up without consuming it (to render the form).
    pub async fn peek_setup_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SetupGrant>> {
        self.run("peek_setup_token", async {
            let row =
                sqlx::query("SELECT user_id, expires_at FROM setup_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(self.pool())
                    .await?;
            row.as_ref()
                .map(|row| live_grant(row, now))
                .transpose()
                .map(Option::flatten)
        })
        .await
    }

    /// Whether any set-up token is still valid at `now` (used to decide whether to print a new link).
    pub async fn has_live_setup_token(&self, now: Timestamp) -> Result<bool> {
        self.run("has_live_setup_token", async {
            let row =
                sqlx::query("SELECT 1 AS one FROM setup_tokens WHERE expires_at > $1 LIMIT 1")
                    .bind(now.as_millisecond())
                    .fetch_optional(self.pool())
                    .await?;
            Ok(row.is_some())
        })
        .await
    }

    /// Deletes set-up tokens that expired at or before `now`; returns how many.
    pub async fn delete_expired_setup_tokens(&self, now: Timestamp) -> Result<u64> {
        self.execute_with(
            "delete_expired_setup_tokens",
            "DELETE FROM setup_tokens WHERE expires_at <= $1",
            now.as_millisecond(),
        )
        .await
    }

    /// Stores a new session.
    pub async fn create_session(&self, session: &Session) -> Result<()> {
        self.run("create_session", async {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, ip) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&session.id_hash)
            .bind(session.user_id)
            .bind(&session.csrf_token)
            .bind(session.created_at.as_millisecond())
            .bind(session.expires_at.as_millisecond())
            .bind(&session.ip)
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// The session with this hash, if it exists, has not expired at `now`,
    /// and its user is not disabled.
    pub async fn session(&self, id_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        self.run("session", async {
            let row = sqlx::query(
                "SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.ip \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
            )
            .bind(id_hash)
            .bind(now.as_millisecond())
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(session_from_row).transpose()
        })
        .await
    }

    /// Deletes a session (logout).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.run("delete_session", async {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Deletes every session of a user (e.g. after a password change or
    /// disabling); returns how many.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64> {
        self.execute_with(
            "delete_user_sessions",
            "DELETE FROM sessions WHERE user_id = $1",
            user_id,
        )
        .await
    }

    /// Deletes sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        self.execute_with(
            "delete_expired_sessions",
            "DELETE FROM sessions WHERE expires_at <= $1",
            now.as_millisecond(),
        )
        .await
    }
}

/// Reads a `COUNT(*) AS n` row.
pub(crate) fn count(row: &AnyRow) -> Result<u64> {
    let n: i64 = col(row, "n")?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count `{n}`")))
}

impl Store {
    /// Runs `sql`, an `UPDATE users … WHERE id = $1` setting one column to
    /// `$2`; a missing user is [`StoreError::NotFound`].
    async fn update_user<'q, T>(
        &self,
        op: &'static str,
        sql: &'static str,
        user_id: i64,
        value: T,
    ) -> Result<()>
    where
        T: 'q + Send + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.run(op, async {
            let done = sqlx::query(sql)
                .bind(user_id)
                .bind(value)
                .execute(self.pool())
                .await?;
            expect_user(done.rows_affected(), user_id)
        })
        .await
    }
}

fn expect_user(rows_affected: u64, user_id: i64) -> Result<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound(format!(
            "user `{user_id}` does not exist"
        )));
    }
    Ok(())
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: col(row, "id")?,
        email: col(row, "email")?,
        name: col(row, "name")?,
        role: col_role(row, "role")?,
        password_hash: col(row, "password_hash")?,
        created_at: col_time(row, "created_at")?,
        disabled: col_flag(row, "disabled")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id_hash: col(row, "id_hash")?,
        user_id: col(row, "user_id")?,
        csrf_token: col(row, "csrf_token")?,
        created_at: col_time(row, "created_at")?,
        expires_at: col_time(row, "expires_at")?,
        ip: col(row, "ip")?,
    })
}

/// The grant of a set-up token row, or `None` if it expired at `now`.
fn live_grant(row: &AnyRow, now: Timestamp) -> Result<Option<SetupGrant>> {
    let expires_at = col_time(row, "expires_at")?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some(SetupGrant {
        user_id: col(row, "user_id")?,
    }))
}
