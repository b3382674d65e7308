//! Cross-site request forgery defences.
//!
//! - Signed-in requests that change state must echo the session's CSRF token:
//!   a hidden `csrf` form field, or an `X-CSRF-Token` header (required for
//!   cookie-authenticated API writes). Bearer-token requests are exempt: a
//!   browser never attaches them on its own. [`check_session_request`] is
//!   called by the access guard, so no route can forget it.
//! - The login and set-up forms, used before there is a session, use a
//!   stateless double-submit cookie ([`issue_form_token`], [`check_form_token`]).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};

use crate::auth::{Actor, ActorKind, random_token, secrets_match};
use crate::client::ClientInfo;
use crate::cookies;
use crate::error::{ApiError, ErrorCode, is_api_path};
use crate::state::AppState;

/// Header carrying the session CSRF token on API writes.
pub(crate) const HEADER: &str = "x-csrf-token";
/// Form field carrying a CSRF token.
pub(crate) const FIELD: &str = "csrf";
/// Lifetime of the double-submit cookie of the login and set-up forms.
const FORM_TOKEN_TTL_SECS: i64 = 3600;

/// Whether `method` can change state.
pub(crate) fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks the CSRF token of a state-changing, session-authenticated request.
/// Reads a form body to find the `csrf` field, then puts the body back. API
/// routes accept only the header.
pub(crate) async fn check_session_request(
    request: Request,
    actor: &Actor,
    max_body_bytes: u64,
) -> Result<Request, ApiError> {
    let ActorKind::Session { csrf: expected, .. } = &actor.kind else {
        return Ok(request);
    };
    if !is_unsafe(request.method()) {
        return Ok(request);
    }
    if let Some(sent) = request.headers().get(HEADER) {
        return match sent.to_str() {
            Ok(sent) if secrets_match(sent, expected) => Ok(request),
            _ => Err(ApiError::csrf()),
        };
    }
    if is_api_path(request.uri().path()) || !is_form(request.headers()) {
        return Err(ApiError::new(
            ErrorCode::CsrfFailed,
            "requests signed in with a session cookie must send the session's `X-CSRF-Token` header",
        ));
    }
    let (parts, body) = request.into_parts();
    let limit = usize::try_from(max_body_bytes).unwrap_or(usize::MAX);
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than this server accepts",
        )
    })?;
    let sent = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value.into_owned());
    match sent {
        Some(sent) if secrets_match(&sent, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(ApiError::csrf()),
    }
}

/// A fresh double-submit token and the cookie that carries it.
pub(crate) fn issue_form_token(state: &AppState, client: &ClientInfo) -> (String, HeaderValue) {
    let token = random_token();
    let cookie = cookies::set(
        cookies::FORM_CSRF,
        &token,
        FORM_TOKEN_TTL_SECS,
        "Strict",
        client.secure_cookies(&state.config),
    );
    (token, cookie)
}

/// Checks that the form's `csrf` field equals the double-submit cookie.
pub(crate) fn check_form_token(headers: &HeaderMap, field: &str) -> Result<(), ApiError> {
    match cookies::get(headers, cookies::FORM_CSRF) {
        Some(cookie) if !field.is_empty() && secrets_match(cookie, field) => Ok(()),
        _ => Err(ApiError::csrf()),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use shipshape_store::{Role, User};

    fn session_actor(csrf: &str) -> Actor {
        Actor {
            display: "ada@example.org".into(),
            role: Role::Admin,
            kind: ActorKind::Session {
                user: User {
                    id: 1,
                    email: "ada@example.org".into(),
                    name: "Ada".into(),
                    role: Role::Admin,
                    password_hash: None,
                    created_at: Timestamp::UNIX_EPOCH,
                    disabled: false,
                },
                session_hash: "h".into(),
                csrf: csrf.into(),
            },
        }
    }

    fn form_post(path: &str, body: &str) -> Request {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request")
    }

    #[tokio::test]
    async fn form_field_must_match_and_body_is_preserved() {
        let actor = session_actor("secret");
        let ok =
            check_session_request(form_post("/settings/x", "name=a&csrf=secret"), &actor, 1024)
                .await
                .expect("accepted");
        let body = to_bytes(ok.into_body(), 1024).await.expect("body");
        assert_eq!(&body[..], b"name=a&csrf=secret");
        let wrong =
            check_session_request(form_post("/settings/x", "csrf=nope"), &actor, 1024).await;
        assert_eq!(wrong.map(|_| ()).unwrap_err().code(), ErrorCode::CsrfFailed);
        let missing = check_session_request(form_post("/settings/x", "name=a"), &actor, 1024).await;
        assert!(missing.is_err());
    }

    #[tokio::test]
    async fn api_writes_need_the_header() {
        let actor = session_actor("secret");
        let body_only =
            check_session_request(form_post("/api/v1/tokens", "csrf=secret"), &actor, 1024).await;
        assert!(body_only.is_err());
        let with_header = Request::post("/api/v1/tokens")
            .header(HEADER, "secret")
            .body(Body::empty())
            .expect("request");
        assert!(
            check_session_request(with_header, &actor, 1024)
                .await
                .is_ok()
        );
    }

    #[test]
    fn double_submit_needs_matching_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("shipshape_form_csrf=abc"),
        );
        assert!(check_form_token(&headers, "abc").is_ok());
        assert!(check_form_token(&headers, "abd").is_err());
        assert!(check_form_token(&HeaderMap::new(), "").is_err());
    }
}
