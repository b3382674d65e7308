//! [`ApiError`]: the one error type of the web layer. It maps a code to a
//! status and a JSON body `{message, code, link}`; 5xx errors hide their cause
//! from the client and log it instead. [`normalize`] is the middleware that
//! gives every error response — ours, axum's, tower-http's — that shape, and
//! turns it into an HTML page (or a redirect to the login form) for browser
//! routes.

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use shipshape_store::StoreError;

use crate::pages;

/// What went wrong, as a stable machine-readable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request is malformed (bad JSON, missing field, invalid value).
    BadRequest,
    /// No valid session or token.
    Unauthenticated,
    /// Authenticated, but the role is too low.
    Forbidden,
    /// A state-changing request without the right CSRF token.
    CsrfFailed,
    /// Nothing here.
    NotFound,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// The thing already exists or the change would break an invariant.
    Conflict,
    /// It was here, and is no longer (an expired link).
    Gone,
    /// The body is larger than `max_body_bytes`.
    PayloadTooLarge,
    /// The body is not in a format this route accepts.
    UnsupportedMediaType,
    /// Too many attempts; retry later.
    RateLimited,
    /// Something broke on our side.
    Internal,
    /// A dependency (the store) is not available.
    Unavailable,
    /// Handling took longer than `request_timeout`.
    Timeout,
}

impl ErrorCode {
    /// The HTTP status for this code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Gone => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `code` field of the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::CsrfFailed => "csrf_failed",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
        }
    }

    fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthenticated,
            StatusCode::FORBIDDEN => Self::Forbidden,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::GONE => Self::Gone,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited,
            StatusCode::REQUEST_TIMEOUT => Self::Timeout,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            status if status.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }
}

/// A field of a form or JSON body that a validation error can name.
pub(crate) trait FormField: Copy {
    /// The field's name in the JSON API.
    fn api_name(self) -> &'static str;
    /// The field's label on the form.
    fn label(self) -> &'static str;
}

/// What is wrong with what was sent, and in which field: a 400 naming the
/// field for the API, a message next to the field on a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid<F> {
    pub(crate) field: F,
    pub(crate) message: String,
}

/// An [`Invalid`] of `field`.
pub(crate) fn invalid<F>(field: F, message: impl Into<String>) -> Invalid<F> {
    Invalid {
        field,
        message: message.into(),
    }
}

impl<F: FormField> From<Invalid<F>> for ApiError {
    fn from(invalid: Invalid<F>) -> Self {
        ApiError::bad_request(format!(
            "`{}`: {}",
            invalid.field.api_name(),
            invalid.message
        ))
    }
}

/// An error answer: code, user-facing message, optional documentation link.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    link: Option<String>,
    retry_after_secs: Option<u64>,
}

/// The JSON body of an error, also kept in the response extensions so the
/// [`normalize`] middleware can render it as a page.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// What went wrong and what to do, for a human.
    pub message: String,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Where to read more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl ApiError {
    /// An error with this code and message. For 5xx codes the message is
    /// logged and replaced by a generic one in the response.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            link: None,
            retry_after_secs: None,
        }
    }

    /// Attaches a documentation link.
    pub fn with_link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// 400 with this message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// 401: sign in or present a token.
    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "sign in, or send `Authorization: Bearer <token>` with an API token",
        )
    }

    /// 403 with this message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 403 for a missing or wrong CSRF token.
    pub fn csrf() -> Self {
        Self::new(
            ErrorCode::CsrfFailed,
            "the form's security token is missing or stale; reload the page and try again",
        )
    }

    /// 404 with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// 409 with this message.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// 429 with a `Retry-After` of `retry_after_secs`.
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut error = Self::new(ErrorCode::RateLimited, message);
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    /// 500: `cause` is logged, never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, cause.to_string())
    }

    /// 503: a dependency is down; the message is shown (it must hold no secret).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message as given (for 5xx, not what the client sees).
    pub fn message(&self) -> &str {
        &self.message
    }

    fn body(&self) -> ErrorBody {
        let message = match self.code {
            ErrorCode::Internal => "internal error; the details are in the server log".to_owned(),
            ErrorCode::Timeout => "the request took too long; try again".to_owned(),
            _ => self.message.clone(),
        };
        ErrorBody {
            message,
            code: self.code.as_str(),
            link: self.link.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(code = self.code.as_str(), cause = %self.message, "request failed");
        }
        let body = self.body();
        let mut response = (status, Json(body.clone())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ErrorCode::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="shipshape""#),
            );
        }
        response.extensions_mut().insert(body);
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::conflict(what),
            StoreError::Timeout { .. } => {
                Self::unavailable("the store did not answer in time; try again")
            }
            other => Self::internal(other),
        }
    }
}

/// Maps an extractor rejection (which already carries the right status and a
/// message naming the offending field or position) into an [`ApiError`].
fn from_rejection(status: StatusCode, text: String) -> ApiError {
    ApiError::new(ErrorCode::from_status(status), text)
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        from_rejection(rejection.status(), rejection.body_text())
    }
}

/// Marker on a response that a handler rendered itself (a form shown again
/// with its problems); [`normalize`] leaves such responses alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rendered;

/// Whether `path` is for machines (the API, metrics, health probes) and so
/// answers errors in JSON rather than HTML.
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/metrics" | "/healthz" | "/readyz")
}

/// Middleware: gives every error response the [`ErrorBody`] shape (JSON under
/// `/api`, an HTML page elsewhere), and turns a 401 on a page into a redirect
/// to the login form that comes back afterwards.
pub(crate) async fn normalize(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let rendered = response.extensions().get::<Rendered>().is_some();
    if rendered || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let response = if response.extensions().get::<ErrorBody>().is_some() {
        response
    } else {
        // An error from axum routing or a tower layer (body limit, panic):
        // replace its body, which may be plain text or reveal internals.
        let code = ErrorCode::from_status(status);
        let message = match code {
            ErrorCode::NotFound => "nothing here; check the address".to_owned(),
            ErrorCode::PayloadTooLarge => {
                "the request body is larger than this server accepts".to_owned()
            }
            ErrorCode::MethodNotAllowed => "this address does not accept that method".to_owned(),
            _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
        };
        let mut replaced = ApiError::new(code, message).into_response();
        *replaced.status_mut() = status;
        copy_header(&response, &mut replaced, header::ALLOW);
        replaced
    };
    if is_api_path(&path) {
        return response;
    }
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to(&pages::login_link(&path_and_query)).into_response();
    }
    let Some(body) = response.extensions().get::<ErrorBody>().cloned() else {
        return response;
    };
    let mut page = (status, pages::error_page(status, &body)).into_response();
    copy_header(&response, &mut page, header::RETRY_AFTER);
    copy_header(&response, &mut page, header::ALLOW);
    page.extensions_mut().insert(body);
    page
}

fn copy_header(from: &Response, to: &mut Response, name: header::HeaderName) {
    if let Some(value) = from.headers().get(&name) {
        to.headers_mut().insert(name, value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::internal("disk /var/lib/secret is full");
        let body = error.body();
        assert_eq!(body.code, "internal");
        assert!(!body.message.contains("secret"));
    }

    #[test]
    fn rate_limit_sets_retry_after() {
        let response = ApiError::rate_limited("slow down", 900).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "900");
    }

    #[test]
    fn api_paths_are_recognised() {
        assert!(is_api_path("/api/v1/me"));
        assert!(is_api_path("/metrics"));
        assert!(is_api_path("/readyz"));
        assert!(!is_api_path("/apiary"));
        assert!(!is_api_path("/settings/tokens"));
    }
}
