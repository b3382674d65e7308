//! Webhooks told about the public status page's updates, managed by
//! responders through the JSON API only: a public "add any URL" form would
//! let anyone make the server POST to internal addresses. Every route is
//! for responders; writes are audited; a problem answers 400 naming the
//! field.
//!
//! - `GET /api/v1/status/webhooks`: the active webhooks (no secrets).
//! - `POST /api/v1/status/webhooks` `{url, components?}` → 201 `{id, url,
//!   components, secret}`: `url` is http or https, at most
//!   [`MAX_URL_CHARS`] characters; `components` are ids of the catalog's
//!   status page (none: all). `secret` signs the notices
//!   (`X-Shipshape-Signature`); it is derived, never stored, and shown in
//!   this answer only.
//! - `DELETE /api/v1/status/webhooks/{id}` → 204, or 404 if there is no
//!   such active webhook.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipshape_pager::subscriptions::{WEBHOOK_KEY_NAME, webhook_secret};
use shipshape_store::StatusWebhookRecord;

use super::{components, valid_components, write_error};
use crate::audit;
use crate::auth::{RequireRole, min};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{self, Path};
use crate::state::AppState;

/// Longest webhook URL, in characters.
pub(super) const MAX_URL_CHARS: usize = 2000;

/// A webhook as listed (never with its secret).
#[derive(Debug, Serialize)]
pub(super) struct WebhookView {
    id: i64,
    url: String,
    components: Vec<String>,
    created_by: String,
    created_at: Timestamp,
}

impl From<StatusWebhookRecord> for WebhookView {
    fn from(record: StatusWebhookRecord) -> Self {
        WebhookView {
            id: record.id,
            url: record.url,
            components: record.components,
            created_by: record.created_by,
            created_at: record.created_at,
        }
    }
}

/// `GET /api/v1/status/webhooks` answers this.
#[derive(Debug, Serialize)]
pub(super) struct WebhookList {
    webhooks: Vec<WebhookView>,
}

/// `GET /api/v1/status/webhooks`.
pub(super) async fn webhooks_api(
    State(state): State<AppState>,
    _actor: RequireRole<min::Responder>,
) -> Result<Json<WebhookList>, ApiError> {
    let webhooks = state.store.status_webhooks().await?;
    Ok(Json(WebhookList {
        webhooks: webhooks.into_iter().map(WebhookView::from).collect(),
    }))
}

/// The body of `POST /api/v1/status/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateWebhookBody {
    #[serde(default)]
    url: String,
    #[serde(default)]
    components: Vec<String>,
}

/// What `POST /api/v1/status/webhooks` answers: the only time the secret
/// is shown.
#[derive(Debug, Serialize)]
pub(super) struct CreatedWebhook {
    id: i64,
    url: String,
    components: Vec<String>,
    secret: String,
}

/// An http or https URL with a host, of at most [`MAX_URL_CHARS`]
/// characters; the trimmed text and its host.
fn valid_url(text: &str) -> Result<(String, String), ApiError> {
    let problem = |message: String| ApiError::bad_request(format!("`url`: {message}"));
    let text = text.trim();
    if text.is_empty() {
        return Err(problem("required; it is empty".to_owned()));
    }
    let chars = text.chars().count();
    if chars > MAX_URL_CHARS {
        return Err(problem(format!(
            "{chars} characters; at most {MAX_URL_CHARS} are accepted"
        )));
    }
    let url = url::Url::parse(text).map_err(|e| problem(format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem(format!(
            "unsupported scheme `{}`; use http or https",
            url.scheme()
        )));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(problem("a URL with a host is needed".to_owned()));
    };
    Ok((text.to_owned(), host.to_owned()))
}

/// `POST /api/v1/status/webhooks`.
pub(super) async fn create_webhook_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    extract::Json(body): extract::Json<CreateWebhookBody>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let (url, host) = valid_url(&body.url)?;
    let known = components(&state.catalog()).unwrap_or_default();
    let wanted = valid_components(&known, &body.components)?;
    let key = state.store.server_key(WEBHOOK_KEY_NAME).await?;
    let id = state
        .store
        .add_status_webhook(&url, &wanted, &actor.display, state.now())
        .await
        .map_err(write_error)?;
    audit::record(
        &state,
        &client,
        &actor.display,
        "status.webhook.create",
        &format!("status-webhook:{id}"),
        &host,
    )
    .await;
    let record = state
        .store
        .status_webhook(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("status webhook #{id} vanished")))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            id,
            url: record.url,
            components: record.components,
            secret: webhook_secret(&key, id),
        }),
    ))
}

/// `DELETE /api/v1/status/webhooks/{id}`.
pub(super) async fn remove_webhook_api(
    State(state): State<AppState>,
    client: ClientInfo,
    actor: RequireRole<min::Responder>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if !state.store.remove_status_webhook(id, state.now()).await? {
        return Err(ApiError::not_found(format!("no status webhook #{id}")));
    }
    audit::record(
        &state,
        &client,
        &actor.display,
        "status.webhook.remove",
        &format!("status-webhook:{id}"),
        "",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert_eq!(
            valid_url(" https://hooks.example.org/x?y=1 ").expect("ok"),
            (
                "https://hooks.example.org/x?y=1".to_owned(),
                "hooks.example.org".to_owned()
            )
        );
        assert!(valid_url("http://10.0.0.1:8080/").is_ok());
        let long = format!("https://example.org/{}", "x".repeat(MAX_URL_CHARS));
        for bad in [
            "",
            "  ",
            "ftp://example.org/",
            "file:///etc/passwd",
            "nope",
            &long,
        ] {
            assert!(valid_url(bad).is_err(), "{bad}");
        }
    }
}
