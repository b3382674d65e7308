//! Email subscriptions to the public status page, for anyone (no login):
//!
//! - `POST /status/subscribe` (form: `email`, optional repeated
//!   `components`; none means all) checks the address and components,
//!   limits requests per client address and overall, stores the
//!   subscriber and enqueues the confirmation email. The answer is the
//!   same "Check your inbox" page whether or not the address was already
//!   subscribed, so the form tells nobody who subscribes.
//! - `GET /status/subscribe/confirm/{token}` shows a Confirm button,
//!   `POST` confirms (double opt-in: nothing is sent before).
//! - `GET /status/unsubscribe/{token}` shows an Unsubscribe button,
//!   `POST` (any body, including RFC 8058's `List-Unsubscribe=One-Click`)
//!   unsubscribes at once.
//!
//! Tokens are signed by `shipshape_pager::subscriptions` (a confirm link
//! expires after 7 days, an unsubscribe link never); a forged one is 404,
//! an expired one 410. `GET`s change nothing, since mail scanners fetch
//! links. No route lists subscribers. The form itself is added to the
//! live main page by [`subscribe_section`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::{Markup, html};
use shipshape_pager::subscriptions::{self, Purpose, TokenError};
use shipshape_status::slug;
use shipshape_store::SubscriberRecord;

use crate::access::{Access, Routes};
use crate::client::ClientInfo;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Path;
use crate::pages::standalone;
use crate::state::AppState;
use crate::status_snapshot::SnapshotCache;

/// Longest address accepted (RFC 5321's path limit, less the brackets).
pub(crate) const MAX_ADDRESS_LEN: usize = 254;
/// Subscribe requests one client address may make per window.
pub(crate) const PER_CLIENT: u32 = 5;
/// Subscribe requests this server takes per window from everyone.
pub(crate) const OVERALL: u32 = 200;
/// The rate-limit window.
const WINDOW_MS: i64 = 3_600_000;
/// Most client addresses tracked at once; beyond that, new ones wait.
const MAX_TRACKED: usize = 10_000;

/// Registers this area's routes.
pub(super) fn routes(routes: Routes) -> Routes {
    routes
        .post("/status/subscribe", Access::Public, subscribe)
        .get(
            "/status/subscribe/confirm/{token}",
            Access::Capability,
            confirm_page,
        )
        .post(
            "/status/subscribe/confirm/{token}",
            Access::Capability,
            confirm_post,
        )
        .get(
            "/status/unsubscribe/{token}",
            Access::Capability,
            unsubscribe_page,
        )
        .post(
            "/status/unsubscribe/{token}",
            Access::Capability,
            unsubscribe_post,
        )
}

/// The "Subscribe to updates" form of the main page: an email field and
/// one checkbox per component (none ticked: all). No script.
pub(crate) fn subscribe_section(components: &[(String, String)]) -> Markup {
    html! {
        section aria-labelledby="subscribe" {
            h2 id="subscribe" { "Subscribe to updates" }
            form method="post" action="/status/subscribe" {
                p {
                    label for="subscribe-email" { "Email address" } " "
                    input id="subscribe-email" type="email" name="email" required
                        maxlength=(MAX_ADDRESS_LEN) autocomplete="email";
                }
                @if !components.is_empty() {
                    fieldset {
                        legend { "Components (leave all unticked to follow everything)" }
                        @for (id, name) in components {
                            label {
                                input type="checkbox" name="components" value=(id);
                                " " bdi { (name) }
                            }
                            br;
                        }
                    }
                }
                p { button type="submit" { "Subscribe" } }
                p class="meta" { "We email you a link to confirm; nothing is sent before you do. Every email has a one-click unsubscribe link." }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Subscribing

/// Why an address is refused, or the trimmed address.
pub(crate) fn valid_address(text: &str) -> Result<String, String> {
    let address = text.trim();
    if address.is_empty() {
        return Err("enter an email address".to_owned());
    }
    if address.len() > MAX_ADDRESS_LEN {
        return Err(format!(
            "the email address is {} characters long; at most {MAX_ADDRESS_LEN} are accepted",
            address.len()
        ));
    }
    let bad = || format!("{address:?} is not an email address such as name@example.org");
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let domain_ok = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(address.to_owned())
    } else {
        Err(bad())
    }
}

/// A fixed-window counter per client address and one overall.
#[derive(Debug, Default)]
struct Limiter {
    clients: HashMap<String, (i64, u32)>,
    overall: (i64, u32),
}

impl Limiter {
    /// Counts one request from `client` at `now_ms`; `false` if over a limit.
    fn admit(&mut self, client: &str, now_ms: i64) -> bool {
        let window = now_ms.div_euclid(WINDOW_MS);
        if self.overall.0 != window {
            self.overall = (window, 0);
        }
        if self.overall.1 >= OVERALL {
            return false;
        }
        if !self.clients.contains_key(client) && self.clients.len() >= MAX_TRACKED {
            self.clients.retain(|_, (w, _)| *w == window);
            if self.clients.len() >= MAX_TRACKED {
                return false;
            }
        }
        let entry = self.clients.entry(client.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= PER_CLIENT {
            return false;
        }
        entry.1 += 1;
        self.overall.1 += 1;
        true
    }
}

/// The limiters of each running app (one per `AppState`, told apart by
/// its snapshot cache, which lives as long as the app); dead ones dropped.
static LIMITERS: Mutex<Vec<(Weak<SnapshotCache>, Limiter)>> = Mutex::new(Vec::new());

fn admit(state: &AppState, client: &str, now: Timestamp) -> bool {
    let mut all = LIMITERS.lock().unwrap_or_else(|e| e.into_inner());
    all.retain(|(owner, _)| owner.strong_count() > 0);
    let me = Arc::downgrade(&state.status);
    let index = match all.iter().position(|(owner, _)| owner.ptr_eq(&me)) {
        Some(index) => index,
        None => {
            all.push((me, Limiter::default()));
            all.len() - 1
        }
    };
    all[index].1.admit(client, now.as_millisecond())
}

/// `POST /status/subscribe`.
async fn subscribe(
    State(state): State<AppState>,
    client: ClientInfo,
    body: Bytes,
) -> Result<Response, ApiError> {
    let catalog = state.catalog();
    let Some(page) = &catalog.status_page else {
        return Err(ApiError::not_found("There is no status page here."));
    };
    let mut email = None;
    let mut chosen: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        match &*key {
            "email" if email.is_none() => email = Some(value.into_owned()),
            "components" => {
                let id = value.trim();
                if !id.is_empty() && !chosen.iter().any(|c| c == id) {
                    chosen.push(id.to_owned());
                }
            }
            _ => {}
        }
    }
    let address = valid_address(email.as_deref().unwrap_or("")).map_err(ApiError::bad_request)?;
    let known: Vec<String> = page.components.iter().map(|c| slug(&c.name)).collect();
    if chosen.len() > known.len() {
        return Err(ApiError::bad_request("too many components"));
    }
    if let Some(unknown) = chosen.iter().find(|c| !known.contains(c)) {
        return Err(ApiError::bad_request(format!(
            "unknown component {:?}; pick components shown on the status page",
            unknown.chars().take(64).collect::<String>()
        )));
    }
    let now = state.now();
    if !admit(&state, &client.source(), now) {
        return Err(ApiError::rate_limited(
            "too many subscription requests; try again in an hour",
            3600,
        ));
    }
    let (id, _) = state
        .store
        .add_subscriber(&address, &chosen, now)
        .await
        .map_err(|error| match error {
            shipshape_store::StoreError::InvalidInput(message) => ApiError::bad_request(message),
            other => other.into(),
        })?;
    // Already confirmed: no email, and the same answer (nothing revealed).
    match subscriptions::send_confirmation(&state.store, &catalog, id, now).await {
        Ok(true) => state.wake_pager(),
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "could not enqueue a subscription confirmation"),
    }
    Ok(page_response(
        StatusCode::OK,
        "Check your inbox",
        html! {
            p role="status" {
                "If the address can receive email, a message with a confirmation link is on its way. "
                "Open it and press Confirm to start receiving updates; the link works for 7 days."
            }
            p { "Nothing is sent until you confirm." }
        },
    ))
}

// ---------------------------------------------------------------------------
// Links

/// The subscriber of `token`, or 404 (not a valid link or no such
/// subscriber) / 410 (expired).
async fn verified(
    state: &AppState,
    token: &str,
    purpose: Purpose,
) -> Result<SubscriberRecord, ApiError> {
    let key = state.store.server_key(subscriptions::KEY_NAME).await?;
    let id =
        subscriptions::verify(&key, token, purpose, state.now()).map_err(|error| match error {
            TokenError::Expired => ApiError::new(
                ErrorCode::Gone,
                "this confirmation link has expired; subscribe again on the status page",
            ),
            TokenError::Malformed | TokenError::BadSignature => {
                ApiError::not_found("this link is not valid")
            }
        })?;
    state
        .store
        .subscriber(id)
        .await?
        .ok_or_else(|| ApiError::not_found("this link is not valid"))
}

fn page_title(state: &AppState) -> String {
    state
        .catalog()
        .status_page
        .as_ref()
        .map_or_else(|| "Status".to_owned(), |p| p.title.clone())
}

fn page_response(status: StatusCode, heading: &str, body: Markup) -> Response {
    let markup = standalone(
        heading,
        html! {
            h1 { (heading) }
            (body)
            p { a href="/status" { "Back to the status page" } }
        },
    );
    (status, markup).into_response()
}

/// `GET /status/subscribe/confirm/{token}`: the Confirm button.
async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let subscriber = verified(&state, &token, Purpose::Confirm).await?;
    let title = page_title(&state);
    Ok(if subscriber.unsubscribed_at.is_some() {
        gone_subscription()
    } else if subscriber.confirmed_at.is_some() {
        page_response(
            StatusCode::OK,
            "Already confirmed",
            html! { p role="status" { "This subscription to " bdi { (title) } " is already confirmed." } },
        )
    } else {
        page_response(
            StatusCode::OK,
            "Confirm your subscription",
            html! {
                form method="post" action={ "/status/subscribe/confirm/" (token) } {
                    p { "Receive email updates about " bdi { (title) } "." }
                    button type="submit" { "Confirm" }
                }
            },
        )
    })
}

fn gone_subscription() -> Response {
    page_response(
        StatusCode::GONE,
        "Subscription ended",
        html! { p role="status" { "This subscription was cancelled. Subscribe again on the status page." } },
    )
}

/// `POST /status/subscribe/confirm/{token}`: confirms.
async fn confirm_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let subscriber = verified(&state, &token, Purpose::Confirm).await?;
    if subscriber.unsubscribed_at.is_some() {
        return Ok(gone_subscription());
    }
    state
        .store
        .confirm_subscriber(subscriber.id, state.now())
        .await?;
    let title = page_title(&state);
    Ok(page_response(
        StatusCode::OK,
        "Subscribed",
        html! {
            p role="status" { "You will receive email updates about " bdi { (title) } ". Every email has a link to unsubscribe." }
        },
    ))
}

/// `GET /status/unsubscribe/{token}`: the Unsubscribe button.
async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let subscriber = verified(&state, &token, Purpose::Unsubscribe).await?;
    let title = page_title(&state);
    Ok(if subscriber.unsubscribed_at.is_some() {
        unsubscribed(&title)
    } else {
        page_response(
            StatusCode::OK,
            "Unsubscribe",
            html! {
                form method="post" action={ "/status/unsubscribe/" (token) } {
                    p { "Stop email updates about " bdi { (title) } "?" }
                    button type="submit" { "Unsubscribe" }
                }
            },
        )
    })
}

fn unsubscribed(title: &str) -> Response {
    page_response(
        StatusCode::OK,
        "Unsubscribed",
        html! { p role="status" { "You will no longer receive email updates about " bdi { (title) } "." } },
    )
}

/// `POST /status/unsubscribe/{token}`: unsubscribes at once (RFC 8058
/// one-click; the body is ignored).
async fn unsubscribe_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let subscriber = verified(&state, &token, Purpose::Unsubscribe).await?;
    if subscriber.unsubscribed_at.is_none() {
        state.store.unsubscribe(subscriber.id, state.now()).await?;
        tracing::info!(subscriber = subscriber.id, "status subscriber unsubscribed");
    }
    Ok(unsubscribed(&page_title(&state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            valid_address(" ada@example.org ").as_deref(),
            Ok("ada@example.org")
        );
        assert!(valid_address("a.b+tag@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "ada@@example.org",
            "a da@example.org",
            "ada@exa mple.org",
            "\"ada\"@example.org",
            "ada@example.org\r\nBcc: x@y.z",
            "<ada@example.org>",
            ".ada@example.org",
            "ada@-example.org",
        ] {
            assert!(valid_address(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(valid_address(&long).is_err());
    }

    #[test]
    fn the_limiter_counts_per_client_and_overall() {
        let mut limiter = Limiter::default();
        for _ in 0..PER_CLIENT {
            assert!(limiter.admit("1.2.3.4", 0));
        }
        assert!(!limiter.admit("1.2.3.4", 1_000));
        assert!(limiter.admit("5.6.7.8", 1_000));
        assert!(limiter.admit("1.2.3.4", WINDOW_MS), "a new window");
        let mut limiter = Limiter::default();
        for i in 0..OVERALL {
            assert!(limiter.admit(&format!("10.0.{}.{}", i / 256, i % 256), 0));
        }
        assert!(!limiter.admit("10.9.9.9", 0));
    }
}
