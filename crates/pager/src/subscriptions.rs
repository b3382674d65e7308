//! Email subscriptions to the public status page: the signed links and
//! the notices.
//!
//! - Links: [`confirm_token`] (expires after [`CONFIRM_TTL`]) and
//!   [`unsubscribe_token`] (never expires) are HMAC-SHA256 signed under the
//!   server key [`KEY_NAME`] and bound to their [`Purpose`], so one cannot
//!   stand in for the other; [`verify`] checks them. They are one URL path
//!   segment: `c{ID}.{EXPIRES}.{HEX}` and `u{ID}.0.{HEX}`.
//! - Notices: [`notify_incident_update`] and [`notify_maintenance`] put one
//!   [`NoticeKind::Status`] notice per interested subscriber into the
//!   outbox, keyed `status-update-{UPDATE}:subscriber:{ID}` so calling them
//!   again for the same update enqueues nothing new;
//!   [`send_confirmation`] enqueues the double opt-in email. Recipients are
//!   `subscriber:{ID}`, resolved from the store when delivered: an
//!   unsubscribed (or, for notices, unconfirmed) subscriber is rejected and
//!   not retried.
//! - Webhooks: responders (never the public page) add status webhooks;
//!   each notice above also goes to every webhook following one of the
//!   components, as recipient `webhook:{ID}` keyed
//!   `status-update-{UPDATE}:webhook:{ID}`. Delivery posts the generic
//!   webhook JSON (kind `status`), signed (`X-Shipshape-Signature`) with
//!   [`webhook_secret`]: HMAC-SHA256 of `webhook-{ID}` under the server
//!   key [`WEBHOOK_KEY_NAME`], never stored. A removed webhook is
//!   rejected and not retried.
//! - Links in the emails point at the public page: the catalog's
//!   `[status_page] url` if set, else the server's base URL and `/status`.
//!   The page, confirm and unsubscribe routes live under that prefix
//!   (`/incidents/{id}`, `/maintenance/{id}`, `/subscribe/confirm/{token}`,
//!   `/unsubscribe/{token}`), so a `url` must reach this server's
//!   `/status` for the links to work.

use jiff::{SignedDuration, Timestamp};
use shipshape_alert::engine::{Notice, NoticeKind};
use shipshape_catalog::Catalog;
use shipshape_notify::{Destination, Outcome};
use shipshape_status::{IncidentStatus, MaintenanceStatus, slug};
use shipshape_store::{NewOutboxMessage, Store};

use crate::Result;

/// The name of the server key signing subscription links.
pub const KEY_NAME: &str = "status-subscriptions";
/// How long a confirmation link works.
pub const CONFIRM_TTL: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The recipient prefix of subscribers in the outbox.
pub const RECIPIENT_PREFIX: &str = "subscriber:";
/// The name of the server key the status webhooks' secrets derive from.
pub const WEBHOOK_KEY_NAME: &str = "status-webhooks";
/// The recipient prefix of status webhooks in the outbox.
pub const WEBHOOK_PREFIX: &str = "webhook:";
/// Longest token accepted, so a crafted URL costs nothing to reject.
const MAX_TOKEN: usize = 256;

/// What a subscription link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms a new subscription (double opt-in); expires.
    Confirm,
    /// Ends a subscription; never expires.
    Unsubscribe,
}

impl Purpose {
    fn tag(self) -> char {
        match self {
            Purpose::Confirm => 'c',
            Purpose::Unsubscribe => 'u',
        }
    }
}

/// Why a subscription link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a link this server makes (or one for another purpose).
    Malformed,
    /// The signature does not match: forged or altered.
    BadSignature,
    /// It was valid, but has expired.
    Expired,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenError::Malformed | TokenError::BadSignature => "this link is not valid",
            TokenError::Expired => "this link has expired",
        })
    }
}

impl std::error::Error for TokenError {}

fn signed_text(purpose: Purpose, subscriber: i64) -> String {
    format!(
        "shipshape-status-subscription\n{}\n{subscriber}",
        purpose.tag()
    )
}

fn sign(key: &[u8], purpose: Purpose, subscriber: i64, expires: i64) -> String {
    let signature =
        shipshape_notify::sign(key, expires, signed_text(purpose, subscriber).as_bytes());
    let hex = signature.trim_start_matches("sha256=");
    format!("{}{subscriber}.{expires}.{hex}", purpose.tag())
}

/// A link confirming subscriber `subscriber` until `expires`.
pub fn confirm_token(key: &[u8], subscriber: i64, expires: Timestamp) -> String {
    sign(key, Purpose::Confirm, subscriber, expires.as_second())
}

/// A link unsubscribing subscriber `subscriber`, for good.
pub fn unsubscribe_token(key: &[u8], subscriber: i64) -> String {
    sign(key, Purpose::Unsubscribe, subscriber, 0)
}

/// Checks `token` for `purpose` at `now`; the subscriber id it names.
pub fn verify(
    key: &[u8],
    token: &str,
    purpose: Purpose,
    now: Timestamp,
) -> Result<i64, TokenError> {
    if token.len() > MAX_TOKEN {
        return Err(TokenError::Malformed);
    }
    let rest = token
        .strip_prefix(purpose.tag())
        .ok_or(TokenError::Malformed)?;
    let mut parts = rest.split('.');
    let (Some(id), Some(expires), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let id: i64 = id.parse().map_err(|_| TokenError::Malformed)?;
    let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::Malformed);
    }
    if !shipshape_notify::verify(
        key,
        expires,
        signed_text(purpose, id).as_bytes(),
        &format!("sha256={signature}"),
    ) {
        return Err(TokenError::BadSignature);
    }
    match purpose {
        Purpose::Unsubscribe if expires != 0 => Err(TokenError::Malformed),
        Purpose::Unsubscribe => Ok(id),
        Purpose::Confirm => {
            let expires = Timestamp::from_second(expires).map_err(|_| TokenError::Malformed)?;
            if now >= expires {
                Err(TokenError::Expired)
            } else {
                Ok(id)
            }
        }
    }
}

/// The signing secret of status webhook `id` under the server key
/// [`WEBHOOK_KEY_NAME`]: lowercase hex of HMAC-SHA256(key, `webhook-{id}`).
/// Shown once when the webhook is added; the receiver checks
/// `X-Shipshape-Signature` with it ([`shipshape_notify::verify`]).
pub fn webhook_secret(key: &[u8], id: i64) -> String {
    shipshape_notify::derive_secret(key, format!("webhook-{id}").as_bytes())
}

/// Where the public page is reached, without a trailing slash: the
/// catalog's `[status_page] url`, else `{server_base}/status`; `None`
/// without a status page or any base.
pub fn page_base(catalog: &Catalog, server_base: Option<&str>) -> Option<String> {
    let page = catalog.status_page.as_ref()?;
    match &page.url {
        Some(url) => Some(url.as_str().trim_end_matches('/').to_owned()),
        None => server_base.map(|base| format!("{}/status", base.trim_end_matches('/'))),
    }
}

/// Enqueues a notice of update `update_id` of public incident
/// `incident_id` to every confirmed subscriber following one of its
/// components (everyone, for an incident naming none); returns how many
/// were new. Nothing without a `[status_page]`, or when the incident or
/// update is not found.
pub async fn notify_incident_update(
    store: &Store,
    catalog: &Catalog,
    incident_id: i64,
    update_id: i64,
    now: Timestamp,
) -> Result<u64> {
    let Some(page) = &catalog.status_page else {
        return Ok(0);
    };
    let Some(incident) = store.status_incident(incident_id).await? else {
        return Ok(0);
    };
    let Some(update) = incident.updates.iter().find(|u| u.id == update_id) else {
        return Ok(0);
    };
    let label = IncidentStatus::parse(&update.status).map_or(update.status.as_str(), |s| s.label());
    let notice = Notice {
        kind: NoticeKind::Status,
        incident: None,
        dedup_key: format!("shipshape-status-incident-{incident_id}"),
        title: format!("{} — {label}", incident.name),
        detail: update.body.clone(),
        severity: "info".to_owned(),
        service: Some(page.title.clone()),
        at: update.at,
        payload: None,
    };
    enqueue_for(
        store,
        catalog,
        &incident.components,
        update_id,
        &notice,
        Subject::Incident(incident_id),
        now,
    )
    .await
}

/// Enqueues a notice of update `update_id` of maintenance
/// `maintenance_id` (scheduled, started, completed, …) like
/// [`notify_incident_update`]. The status publisher calls it for the
/// updates `Store::advance_maintenances` adds (each moved maintenance's
/// newest update).
pub async fn notify_maintenance(
    store: &Store,
    catalog: &Catalog,
    maintenance_id: i64,
    update_id: i64,
    now: Timestamp,
) -> Result<u64> {
    let Some(page) = &catalog.status_page else {
        return Ok(0);
    };
    let Some(maintenance) = store.maintenance(maintenance_id).await? else {
        return Ok(0);
    };
    let Some(update) = maintenance.updates.iter().find(|u| u.id == update_id) else {
        return Ok(0);
    };
    let label =
        MaintenanceStatus::parse(&update.status).map_or(update.status.as_str(), |s| s.label());
    let window = format!(
        "Scheduled from {} until {} (UTC).",
        maintenance.scheduled_for.strftime("%b %-d, %Y, %H:%M"),
        maintenance.scheduled_until.strftime("%b %-d, %Y, %H:%M")
    );
    let notice = Notice {
        kind: NoticeKind::Status,
        incident: None,
        dedup_key: format!("shipshape-status-maintenance-{maintenance_id}"),
        title: format!("{} — {label}", maintenance.name),
        detail: format!("{}\n\n{window}", update.body.trim_end()),
        severity: "info".to_owned(),
        service: Some(page.title.clone()),
        at: update.at,
        payload: None,
    };
    enqueue_for(
        store,
        catalog,
        &maintenance.components,
        update_id,
        &notice,
        Subject::Maintenance(maintenance_id),
        now,
    )
    .await
}

/// Notifies subscribers of what `Store::advance_maintenances` returned,
/// `(maintenance id, new status)`: for each, the newest update of that
/// maintenance with that status (so a maintenance that started and
/// completed in one pass gets both notices). Failures are logged and
/// skipped; returns how many notices were new.
pub async fn notify_maintenance_changes(
    store: &Store,
    catalog: &Catalog,
    changes: &[(i64, String)],
    now: Timestamp,
) -> u64 {
    let mut added = 0;
    for (id, status) in changes {
        let update = match store.maintenance(*id).await {
            Ok(Some(record)) => record
                .updates
                .iter()
                .find(|u| &u.status == status)
                .map(|u| u.id),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, maintenance = id, "could not notify status subscribers");
                None
            }
        };
        let Some(update) = update else { continue };
        match notify_maintenance(store, catalog, *id, update, now).await {
            Ok(n) => added += n,
            Err(error) => {
                tracing::warn!(%error, maintenance = id, "could not notify status subscribers");
            }
        }
    }
    added
}

/// Enqueues `notice` for the subscribers and webhooks of `components`
/// (all, if empty).
/// What a status notice is about, for the webhooks' Statuspage-style body.
#[derive(Debug, Clone, Copy)]
enum Subject {
    Incident(i64),
    Maintenance(i64),
}

async fn enqueue_for(
    store: &Store,
    catalog: &Catalog,
    components: &[String],
    update_id: i64,
    notice: &Notice,
    subject: Subject,
    now: Timestamp,
) -> Result<u64> {
    let everything: Vec<String>;
    let components = if components.is_empty() {
        everything = catalog
            .status_page
            .iter()
            .flat_map(|p| p.components.iter().map(|c| slug(&c.name)))
            .collect();
        &everything
    } else {
        components
    };
    let everyone = store.subscribers_for(components).await?;
    let webhooks = store.status_webhooks_for(components).await?;
    if everyone.is_empty() && webhooks.is_empty() {
        return Ok(0);
    }
    let encode = |notice: &Notice| {
        serde_json::to_string(notice).map_err(|e| {
            shipshape_store::StoreError::InvalidInput(format!("cannot encode a notice: {e}"))
        })
    };
    let payload = encode(notice)?;
    // Webhooks get Statuspage's payload: the incident (or maintenance) as
    // the public page shows it now.
    let webhook_payload = if webhooks.is_empty() {
        payload.clone()
    } else {
        let body = match crate::status_snapshot::build(store, catalog, now).await? {
            Some(snapshot) => match subject {
                Subject::Incident(id) => shipshape_status::json::webhook_incident(&snapshot, id),
                Subject::Maintenance(id) => {
                    shipshape_status::json::webhook_maintenance(&snapshot, id)
                }
            },
            None => None,
        };
        encode(&Notice {
            payload: body,
            ..notice.clone()
        })?
    };
    let messages: Vec<NewOutboxMessage> = everyone
        .iter()
        .map(|s| NewOutboxMessage {
            key: format!("status-update-{update_id}:{RECIPIENT_PREFIX}{}", s.id),
            incident_id: None,
            kind: NoticeKind::Status.as_str().to_owned(),
            recipient: format!("{RECIPIENT_PREFIX}{}", s.id),
            channel: "email".to_owned(),
            payload: payload.clone(),
            created_at: now,
        })
        .chain(webhooks.iter().map(|w| NewOutboxMessage {
            key: format!("status-update-{update_id}:{WEBHOOK_PREFIX}{}", w.id),
            incident_id: None,
            kind: NoticeKind::Status.as_str().to_owned(),
            recipient: format!("{WEBHOOK_PREFIX}{}", w.id),
            channel: "webhook".to_owned(),
            payload: webhook_payload.clone(),
            created_at: now,
        }))
        .collect();
    let added = store.enqueue(&messages, &[]).await?;
    if added > 0 {
        tracing::info!(update = update_id, added, "status notices enqueued");
    }
    Ok(added)
}

/// Enqueues the email asking subscriber `subscriber_id` to confirm; its
/// link works for [`CONFIRM_TTL`] from `now`. Returns whether one was
/// enqueued: not for a missing, unsubscribed or already confirmed
/// subscriber, nor without a `[status_page]`.
pub async fn send_confirmation(
    store: &Store,
    catalog: &Catalog,
    subscriber_id: i64,
    now: Timestamp,
) -> Result<bool> {
    let Some(page) = &catalog.status_page else {
        return Ok(false);
    };
    let Some(subscriber) = store.subscriber(subscriber_id).await? else {
        return Ok(false);
    };
    if subscriber.unsubscribed_at.is_some() || subscriber.confirmed_at.is_some() {
        return Ok(false);
    }
    let following = if subscriber.components.is_empty() {
        "every component".to_owned()
    } else {
        let names: Vec<String> = subscriber
            .components
            .iter()
            .map(|id| {
                page.components
                    .iter()
                    .find(|c| slug(&c.name) == *id)
                    .map_or_else(|| id.clone(), |c| c.name.clone())
            })
            .collect();
        names.join(", ")
    };
    let notice = Notice {
        kind: NoticeKind::StatusConfirm,
        incident: None,
        dedup_key: format!("shipshape-status-subscriber-{subscriber_id}"),
        title: "Confirm your subscription".to_owned(),
        detail: format!(
            "Someone, hopefully you, asked to receive email updates about {} ({following}).\n\n\
             To start receiving them, open the link below and press Confirm within 7 days. \
             If it was not you, ignore this email: nothing will be sent.",
            page.title
        ),
        severity: "info".to_owned(),
        service: Some(page.title.clone()),
        at: now,
        payload: None,
    };
    let payload = serde_json::to_string(&notice).map_err(|e| {
        shipshape_store::StoreError::InvalidInput(format!("cannot encode a notice: {e}"))
    })?;
    let added = store
        .enqueue(
            &[NewOutboxMessage {
                key: format!(
                    "status-confirm-{}:{RECIPIENT_PREFIX}{subscriber_id}",
                    now.as_millisecond()
                ),
                incident_id: None,
                kind: NoticeKind::StatusConfirm.as_str().to_owned(),
                recipient: format!("{RECIPIENT_PREFIX}{subscriber_id}"),
                channel: "email".to_owned(),
                payload,
                created_at: now,
            }],
            &[],
        )
        .await?;
    Ok(added > 0)
}

/// The subscriber id of an outbox recipient `subscriber:{ID}`.
fn subscriber_id(recipient: &str) -> Option<i64> {
    recipient.strip_prefix(RECIPIENT_PREFIX)?.parse().ok()
}

/// The status webhook id of an outbox recipient `webhook:{ID}`.
fn webhook_id(recipient: &str) -> Option<i64> {
    recipient.strip_prefix(WEBHOOK_PREFIX)?.parse().ok()
}

/// Where a `subscriber:{ID}` or `webhook:{ID}` recipient's `kind` notice
/// goes, read from the store; `None` for other recipients. Unknown,
/// unsubscribed and (for notices) unconfirmed subscribers, and unknown or
/// removed webhooks, are rejected; a store failure is retried.
pub(crate) async fn destination(
    store: &Store,
    recipient: &str,
    kind: NoticeKind,
) -> Option<Result<Destination, Outcome>> {
    if recipient.starts_with(WEBHOOK_PREFIX) {
        return Some(webhook_destination(store, recipient, kind).await);
    }
    if !recipient.starts_with(RECIPIENT_PREFIX) {
        return None;
    }
    let rejected = |reason: &str| {
        Some(Err(Outcome::Rejected {
            reason: reason.to_owned(),
        }))
    };
    let Some(id) = subscriber_id(recipient) else {
        return rejected("not a subscriber id");
    };
    let subscriber = match store.subscriber(id).await {
        Ok(Some(subscriber)) => subscriber,
        Ok(None) => return rejected("no such subscriber"),
        Err(error) => {
            return Some(Err(Outcome::Retry {
                reason: format!("cannot read the subscriber: {error}"),
                after: None,
            }));
        }
    };
    if subscriber.unsubscribed_at.is_some() {
        return rejected("unsubscribed");
    }
    if kind == NoticeKind::Status && subscriber.confirmed_at.is_none() {
        return rejected("subscription not confirmed");
    }
    if !matches!(kind, NoticeKind::Status | NoticeKind::StatusConfirm) {
        return rejected("subscribers get status notices only");
    }
    Some(Ok(Destination::Email {
        to: subscriber.address,
    }))
}

/// Where a `webhook:{ID}` recipient's notice goes: its URL, signed with
/// [`webhook_secret`].
async fn webhook_destination(
    store: &Store,
    recipient: &str,
    kind: NoticeKind,
) -> Result<Destination, Outcome> {
    let rejected = |reason: &str| Outcome::Rejected {
        reason: reason.to_owned(),
    };
    let retry = |reason: String| Outcome::Retry {
        reason,
        after: None,
    };
    let id = webhook_id(recipient).ok_or_else(|| rejected("not a webhook id"))?;
    if kind != NoticeKind::Status {
        return Err(rejected("status webhooks get status notices only"));
    }
    let webhook = match store.status_webhook(id).await {
        Ok(Some(webhook)) => webhook,
        Ok(None) => return Err(rejected("no such status webhook")),
        Err(error) => return Err(retry(format!("cannot read the status webhook: {error}"))),
    };
    if !webhook.is_active() {
        return Err(rejected("status webhook removed"));
    }
    let key = store
        .server_key(WEBHOOK_KEY_NAME)
        .await
        .map_err(|error| retry(format!("cannot read the status webhook key: {error}")))?;
    Ok(Destination::Webhook {
        url: webhook.url,
        bearer: None,
        secret: Some(webhook_secret(&key, id)),
        headers: Vec::new(),
    })
}

/// The links of a status notice to `recipient`: the page (or, for a
/// confirmation, the confirm link) and the unsubscribe link; a webhook
/// gets the page only.
pub(crate) fn links(
    catalog: &Catalog,
    server_base: Option<&str>,
    key: &[u8],
    recipient: &str,
    notice: &Notice,
) -> (Option<String>, Option<String>) {
    let Some(base) = page_base(catalog, server_base) else {
        return (None, None);
    };
    let subscriber = subscriber_id(recipient);
    if subscriber.is_none() && webhook_id(recipient).is_none() {
        return (None, None);
    }
    match notice.kind {
        NoticeKind::StatusConfirm => {
            let Some(id) = subscriber else {
                return (None, None);
            };
            let token = confirm_token(key, id, notice.at + CONFIRM_TTL);
            (Some(format!("{base}/subscribe/confirm/{token}")), None)
        }
        _ => {
            let page = notice
                .dedup_key
                .strip_prefix("shipshape-status-")
                .and_then(|rest| rest.rsplit_once('-'))
                .and_then(|(what, n)| {
                    let n: i64 = n.parse().ok()?;
                    match what {
                        "incident" => Some(format!("{base}/incidents/{n}")),
                        "maintenance" => Some(format!("{base}/maintenance/{n}")),
                        _ => None,
                    }
                })
                .unwrap_or_else(|| format!("{base}/"));
            let unsubscribe = subscriber.map(|id| {
                let token = unsubscribe_token(key, id);
                format!("{base}/unsubscribe/{token}")
            });
            (Some(page), unsubscribe)
        }
    }
}

/// Tells the webhooks following a component that its status changed
/// between two snapshots of the page (Statuspage's "component update"
/// payload). Email subscribers hear about posted updates only, not about
/// every automatic change. Returns how many notices were new.
pub async fn notify_component_changes(
    store: &Store,
    before: &shipshape_status::Snapshot,
    after: &shipshape_status::Snapshot,
    now: Timestamp,
) -> u64 {
    let mut added = 0;
    for component in &after.components {
        let Some(old) = before.component(&component.id).map(|c| c.status) else {
            continue;
        };
        if old == component.status {
            continue;
        }
        let webhooks = match store
            .status_webhooks_for(std::slice::from_ref(&component.id))
            .await
        {
            Ok(webhooks) => webhooks,
            Err(error) => {
                tracing::warn!(%error, component = %component.id, "could not read status webhooks");
                continue;
            }
        };
        if webhooks.is_empty() {
            continue;
        }
        let notice = Notice {
            kind: NoticeKind::Status,
            incident: None,
            dedup_key: format!("shipshape-status-component-{}", component.id),
            title: format!("{}: {}", component.name, component.status.label()),
            detail: format!(
                "{} changed from {} to {}.",
                component.name,
                old.label(),
                component.status.label()
            ),
            severity: "info".to_owned(),
            service: Some(after.page.name.clone()),
            at: after.generated_at,
            payload: shipshape_status::json::webhook_component_update(
                after,
                &component.id,
                old,
                after.generated_at,
            ),
        };
        let Ok(payload) = serde_json::to_string(&notice) else {
            continue;
        };
        let change = format!(
            "component-{}-{}@{}",
            component.id,
            component.status.as_str(),
            after.generated_at.as_millisecond()
        );
        let messages: Vec<NewOutboxMessage> = webhooks
            .iter()
            .map(|w| NewOutboxMessage {
                key: format!("{change}:{WEBHOOK_PREFIX}{}", w.id),
                incident_id: None,
                kind: NoticeKind::Status.as_str().to_owned(),
                recipient: format!("{WEBHOOK_PREFIX}{}", w.id),
                channel: "webhook".to_owned(),
                payload: payload.clone(),
                created_at: now,
            })
            .collect();
        match store.enqueue(&messages, &[]).await {
            Ok(n) => added += n,
            Err(error) => {
                tracing::warn!(%error, component = %component.id, "could not enqueue component notices");
            }
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn confirm_tokens_verify_until_they_expire() {
        let token = confirm_token(KEY, 42, at(2_000));
        assert_eq!(verify(KEY, &token, Purpose::Confirm, at(1_000)), Ok(42));
        assert_eq!(
            verify(KEY, &token, Purpose::Confirm, at(2_000)),
            Err(TokenError::Expired)
        );
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        );
    }

    #[test]
    fn unsubscribe_tokens_never_expire() {
        let token = unsubscribe_token(KEY, 7);
        assert_eq!(verify(KEY, &token, Purpose::Unsubscribe, at(0)), Ok(7));
        assert_eq!(
            verify(KEY, &token, Purpose::Unsubscribe, at(4_000_000_000)),
            Ok(7)
        );
        assert_eq!(token, unsubscribe_token(KEY, 7), "stable per subscriber");
    }

    #[test]
    fn purposes_cannot_be_swapped() {
        let confirm = confirm_token(KEY, 7, at(2_000));
        let unsubscribe = unsubscribe_token(KEY, 7);
        assert!(verify(KEY, &confirm, Purpose::Unsubscribe, at(1_000)).is_err());
        assert!(verify(KEY, &unsubscribe, Purpose::Confirm, at(1_000)).is_err());
        // Re-tagging keeps the signature, which binds the purpose.
        let retagged = format!("u{}", &confirm[1..]);
        assert!(verify(KEY, &retagged, Purpose::Unsubscribe, at(1_000)).is_err());
        let retagged = format!("c{}", &unsubscribe[1..]);
        assert_eq!(
            verify(KEY, &retagged, Purpose::Confirm, at(0)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let token = confirm_token(KEY, 42, at(2_000));
        let other = token.replacen("c42.", "c43.", 1);
        assert_eq!(
            verify(KEY, &other, Purpose::Confirm, at(1_000)),
            Err(TokenError::BadSignature)
        );
        let longer = token.replacen(".2000.", ".9000.", 1);
        assert_eq!(
            verify(KEY, &longer, Purpose::Confirm, at(1_000)),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(b"another key", &token, Purpose::Confirm, at(1_000)),
            Err(TokenError::BadSignature)
        );
        let truncated = &token[..token.len() - 2];
        assert!(verify(KEY, truncated, Purpose::Confirm, at(1_000)).is_err());
        for bad in ["", "c", "c1.2", "c1.2.3.4", "cx.2.00", &"c9".repeat(200)] {
            assert!(
                verify(KEY, bad, Purpose::Confirm, at(1_000)).is_err(),
                "{bad}"
            );
        }
    }
}
