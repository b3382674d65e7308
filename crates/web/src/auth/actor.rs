//! The [`Actor`] a request runs as, how it is authenticated (a session cookie
//! or an `Authorization: Bearer` API token), and the [`RequireRole`]
//! extractor that hands it to handlers — so a handler cannot forget to check.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use shipshape_store::{Role, User};

use super::sha256_hex;
use crate::cookies;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Who is making a request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// How to name the actor in the UI and the audit log: the user's email,
    /// or `token:<name>`.
    pub display: String,
    /// What the actor may do.
    pub role: Role,
    /// How the actor authenticated.
    pub kind: ActorKind,
}

/// How an [`Actor`] authenticated.
#[derive(Debug, Clone)]
pub enum ActorKind {
    /// A browser session.
    Session {
        /// The signed-in user.
        user: User,
        /// SHA-256 of the session cookie (the session's key in the store).
        session_hash: String,
        /// The session's CSRF token, which forms must echo.
        csrf: String,
    },
    /// An API token.
    Token {
        /// The token's id.
        id: i64,
        /// The token's name.
        name: String,
    },
}

impl Actor {
    /// The session's CSRF token, for session actors.
    pub fn csrf(&self) -> Option<&str> {
        match &self.kind {
            ActorKind::Session { csrf, .. } => Some(csrf),
            ActorKind::Token { .. } => None,
        }
    }
}

/// Authenticates a request from its headers: a bearer token if an
/// `Authorization` header is present (an invalid one is refused, never
/// silently ignored), else the session cookie. `Ok(None)` means anonymous.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Actor>, ApiError> {
    let now = state.now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        let Some(token) = state.store.api_token_by_hash(&sha256_hex(token)).await? else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "this API token is unknown or revoked",
            ));
        };
        if let Err(error) = state.store.touch_api_token(token.id, now).await {
            tracing::warn!(token_id = token.id, %error, "could not record token use");
        }
        return Ok(Some(Actor {
            display: format!("token:{}", token.name),
            role: token.role,
            kind: ActorKind::Token {
                id: token.id,
                name: token.name,
            },
        }));
    }
    let Some(cookie) = cookies::get(headers, cookies::SESSION) else {
        return Ok(None);
    };
    let session_hash = sha256_hex(cookie);
    let Some(session) = state.store.session(&session_hash, now).await? else {
        return Ok(None);
    };
    let Some(user) = state.store.user_by_id(session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    Ok(Some(Actor {
        display: user.email.clone(),
        role: user.role,
        kind: ActorKind::Session {
            user,
            session_hash,
            csrf: session.csrf_token,
        },
    }))
}

/// 401 for nobody, 403 when `actor`'s role is below `min`.
pub(crate) fn check_role(actor: Option<Actor>, min: Role) -> Result<Actor, ApiError> {
    let actor = actor.ok_or_else(ApiError::unauthenticated)?;
    if actor.role < min {
        return Err(ApiError::forbidden(format!(
            "this needs the `{}` role; `{}` has `{}`",
            min.as_str(),
            actor.display,
            actor.role.as_str()
        )));
    }
    Ok(actor)
}

/// A minimum role, at the type level, for [`RequireRole`].
pub trait MinRole: Send + Sync + 'static {
    /// The least role allowed.
    const ROLE: Role;
}

/// Type-level roles for [`RequireRole`]: `RequireRole<min::Admin>`.
pub mod min {
    use super::{MinRole, Role};

    /// Any signed-in user or token.
    #[derive(Debug)]
    pub struct Viewer;
    /// Responders and admins.
    #[derive(Debug)]
    pub struct Responder;
    /// Admins only.
    #[derive(Debug)]
    pub struct Admin;

    impl MinRole for Viewer {
        const ROLE: Role = Role::Viewer;
    }
    impl MinRole for Responder {
        const ROLE: Role = Role::Responder;
    }
    impl MinRole for Admin {
        const ROLE: Role = Role::Admin;
    }
}

/// Extractor: the request's [`Actor`], who has at least role `R`. Rejects with
/// 401 (nobody) or 403 (role too low). Reuses the actor the route's access
/// guard already authenticated; authenticates itself if there is none.
#[derive(Debug)]
pub struct RequireRole<R: MinRole>(pub Actor, PhantomData<R>);

impl<R: MinRole> std::ops::Deref for RequireRole<R> {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl<R: MinRole> FromRequestParts<AppState> for RequireRole<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let actor = match parts.extensions.get::<Actor>() {
            Some(actor) => Some(actor.clone()),
            None => authenticate(state, &parts.headers).await?,
        };
        check_role(actor, R::ROLE).map(|actor| Self(actor, PhantomData))
    }
}
