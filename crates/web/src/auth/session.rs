//! Starting and ending browser sessions: a random 32-byte cookie value whose
//! SHA-256 is the session's key in the store, with its own CSRF token.

use axum::http::HeaderValue;
use jiff::SignedDuration;
use shipshape_store::{Session, User};

use super::{random_token, sha256_hex};
use crate::client::ClientInfo;
use crate::cookies;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a session lasts.
pub(crate) const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);

/// Creates a session for `user` and returns the `Set-Cookie` value.
pub(crate) async fn start_session(
    state: &AppState,
    user: &User,
    client: &ClientInfo,
) -> Result<HeaderValue, ApiError> {
    let token = random_token();
    let now = state.now();
    let session = Session {
        id_hash: sha256_hex(&token),
        user_id: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now.saturating_add(SESSION_TTL).unwrap_or(now),
        ip: client.ip.map(|ip| ip.to_string()),
    };
    state.store.create_session(&session).await?;
    Ok(cookies::set(
        cookies::SESSION,
        &token,
        SESSION_TTL.as_secs(),
        "Lax",
        client.secure_cookies(&state.config),
    ))
}

/// Deletes the session with this hash and returns the cookie that clears it.
pub(crate) async fn end_session(
    state: &AppState,
    session_hash: &str,
    client: &ClientInfo,
) -> Result<HeaderValue, ApiError> {
    state.store.delete_session(session_hash).await?;
    Ok(cookies::set(
        cookies::SESSION,
        "",
        0,
        "Lax",
        client.secure_cookies(&state.config),
    ))
}
