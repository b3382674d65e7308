//! Authentication: password hashing, API tokens, one-time set-up links,
//! sessions and the [`Actor`] a request runs as. The CLI reuses the helpers
//! here (`hash_password`, `issue_api_token`, `issue_setup_token`,
//! `ensure_setup_link`). Plain tokens and passwords are returned to the caller
//! once and never logged; the store keeps only SHA-256 hashes (argon2id for
//! passwords).

mod actor;
mod session;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shipshape_store::{
    ApiToken, HeartbeatToken, MonitorName, NewApiToken, Role, Store, StoreError,
};

pub use actor::{Actor, ActorKind, MinRole, RequireRole, min};
pub(crate) use actor::{authenticate, check_role};
pub(crate) use session::{end_session, start_session};

/// Prefix of every API token, so leaked tokens are easy to spot and scan for.
pub const API_TOKEN_PREFIX: &str = "ssk_";
/// Prefix of every heartbeat ping token (`shb_…`), for secret scanners.
pub const HEARTBEAT_TOKEN_PREFIX: &str = "shb_";
/// How long a first-admin set-up link stays valid.
pub const FIRST_ADMIN_SETUP_TTL: SignedDuration = SignedDuration::from_hours(24);

/// What can go wrong in the authentication helpers.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Hashing a password failed (should not happen with valid parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuthError> for crate::error::ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            other => Self::internal(other),
        }
    }
}

/// Hashes a password with argon2id (19 MiB, 2 passes, 1 lane: the OWASP
/// baseline) and a random salt; returns the PHC string.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|error| AuthError::Hash(error.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hash(error.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::warn!("stored password hash is not a valid PHC string");
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Creates an API token with `role`, recorded as created by `created_by`.
/// Returns the stored record and the plain token, which is shown once: the
/// store keeps only its SHA-256.
pub async fn issue_api_token(
    store: &Store,
    name: &str,
    role: Role,
    created_by: &str,
    now: Timestamp,
) -> Result<(ApiToken, String), AuthError> {
    let plain = format!("{API_TOKEN_PREFIX}{}", random_token());
    let token = store
        .create_api_token(NewApiToken {
            name: name.to_owned(),
            role,
            token_hash: sha256_hex(&plain),
            created_by: created_by.to_owned(),
            created_at: now,
        })
        .await?;
    Ok((token, plain))
}

/// Creates a ping token for heartbeat `monitor`, recorded as created by
/// `created_by`. Returns the record and the plain token, which is shown
/// once (the store keeps its SHA-256); the ping URL is
/// `/api/v1/heartbeat/<token>`.
pub async fn issue_heartbeat_token(
    store: &Store,
    monitor: &MonitorName,
    created_by: &str,
    now: Timestamp,
) -> Result<(HeartbeatToken, String), AuthError> {
    let plain = format!("{HEARTBEAT_TOKEN_PREFIX}{}", random_token());
    let token = store
        .create_heartbeat_token(monitor, &sha256_hex(&plain), created_by, now)
        .await?;
    Ok((token, plain))
}

/// The ping path of heartbeat token `token`.
pub fn heartbeat_path(token: &str) -> String {
    format!("/api/v1/heartbeat/{token}")
}

/// Creates a one-time set-up token valid for `ttl`: for `user_id` to set a
/// password, or (with `None`) for the first admin to create an account.
/// Returns the plain token; the link is `/setup/<token>`.
pub async fn issue_setup_token(
    store: &Store,
    user_id: Option<i64>,
    now: Timestamp,
    ttl: SignedDuration,
) -> Result<String, AuthError> {
    let plain = random_token();
    let expires_at = now.saturating_add(ttl).unwrap_or(now);
    store
        .create_setup_token(user_id, &sha256_hex(&plain), expires_at)
        .await?;
    Ok(plain)
}

/// On first start: if no enabled admin exists and no set-up token is live,
/// creates a first-admin set-up token (valid for
/// [`FIRST_ADMIN_SETUP_TTL`]) and returns it, for the binary to print as
/// `<public_url>/setup/<token>`. Otherwise `None`.
pub async fn ensure_setup_link(store: &Store, now: Timestamp) -> Result<Option<String>, AuthError> {
    let has_admin = store
        .list_users()
        .await?
        .iter()
        .any(|user| user.role == Role::Admin && !user.disabled);
    if has_admin || store.has_live_setup_token(now).await? {
        return Ok(None);
    }
    issue_setup_token(store, None, now, FIRST_ADMIN_SETUP_TTL)
        .await
        .map(Some)
}

/// 32 random bytes, base64url without padding (43 characters).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lowercase hex SHA-256 of `secret`: how tokens are stored and looked up.
pub(crate) fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two secrets.
pub(crate) fn secrets_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_wrong_ones_fail() {
        let hash = hash_password("correct horse battery staple").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("Correct horse battery staple", &hash));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(secrets_match("abc", "abc"));
        assert!(!secrets_match("abc", "abd"));
        assert!(!secrets_match("abc", "abcd"));
    }
}
