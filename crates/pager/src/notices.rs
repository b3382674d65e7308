//! Building notices and putting them in the outbox, and the operations
//! people perform on incidents (acknowledge, resolve), which notify
//! everyone already paged for the incident.

use jiff::Timestamp;
use std::collections::BTreeMap;

use shipshape_alert::engine::{Notice, NoticeKind, Recipient, TEST_PAGE_PREFIX, test_page_policy};
use shipshape_catalog::Catalog;
use shipshape_store::{
    Incident, IncidentAlert, NewEscalation, NewIncident, NewOutboxMessage, Store,
};

use crate::{Result, entry};

/// The notice of `kind` about `incident`.
pub(crate) fn notice_for(
    incident: &Incident,
    alerts: &[IncidentAlert],
    kind: NoticeKind,
    at: Timestamp,
) -> Notice {
    let mut detail: Vec<String> = alerts
        .iter()
        .map(|a| {
            let state = if a.cleared_at.is_some() {
                "cleared"
            } else {
                "firing"
            };
            format!("[{state}] {}", a.summary)
        })
        .collect();
    if let Some(reason) = &incident.suppressed {
        detail.push(format!("Pages suppressed: {reason}"));
    }
    Notice {
        kind,
        incident: Some(incident.id),
        dedup_key: Notice::incident_dedup_key(incident.id),
        title: incident.title.clone(),
        detail: detail.join("\n"),
        severity: incident.severity.clone(),
        service: incident.service.clone(),
        at,
        payload: None,
    }
}

/// The outbox row carrying `notice` to `recipient`.
pub(crate) fn outbox_message(
    notice: &Notice,
    discriminator: &str,
    recipient: &str,
    channel: &str,
    now: Timestamp,
) -> Option<NewOutboxMessage> {
    let payload = serde_json::to_string(notice).ok()?;
    Some(NewOutboxMessage {
        key: notice.delivery_key(discriminator, recipient),
        incident_id: notice.incident,
        kind: notice.kind.as_str().into(),
        recipient: recipient.into(),
        channel: channel.into(),
        payload,
        created_at: now,
    })
}

/// Sends a notice of `kind` to every recipient already paged for
/// `incident` (whose contact still exists in the catalog), recording
/// `text` on the timeline. The decision time makes the idempotency key.
pub(crate) async fn follow_up(
    store: &Store,
    catalog: &Catalog,
    incident: &Incident,
    kind: NoticeKind,
    now: Timestamp,
    text: &str,
) -> Result<u64> {
    let recipients = store.notified_recipients(incident.id).await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let alerts = store
        .incident(incident.id)
        .await?
        .map(|(_, alerts)| alerts)
        .unwrap_or_default();
    let mut notice = notice_for(incident, &alerts, kind, now);
    if !text.is_empty() {
        notice.detail = format!("{text}\n{}", notice.detail);
    }
    let discriminator = now.as_millisecond().to_string();
    let messages: Vec<NewOutboxMessage> = recipients
        .iter()
        .filter_map(|id| {
            let delivery = Recipient::resolve(id, catalog)?;
            outbox_message(&notice, &discriminator, id, delivery.channel.kind(), now)
        })
        .collect();
    let timeline = [(
        incident.id,
        entry(
            now,
            "notified",
            None,
            format!(
                "{} notice queued for {} recipient(s)",
                kind.as_str(),
                messages.len()
            ),
        ),
    )];
    Ok(store.enqueue(&messages, &timeline).await?)
}

/// Acknowledges incident `id` for `by` (a user or a recipient id): its
/// escalations stop and everyone paged hears who took it. `false` if it
/// was not open.
pub async fn acknowledge(
    store: &Store,
    catalog: &Catalog,
    id: i64,
    by: &str,
    now: Timestamp,
) -> Result<bool> {
    let text = format!("acknowledged by {by}");
    let timeline = [entry(now, "acked", Some(by), text.clone())];
    if !store.acknowledge_incident(id, by, now, &timeline).await? {
        return Ok(false);
    }
    if let Some((incident, _)) = store.incident(id).await? {
        follow_up(
            store,
            catalog,
            &incident,
            NoticeKind::Acknowledged,
            now,
            &text,
        )
        .await?;
        if incident.key.starts_with(TEST_PAGE_PREFIX) {
            let done = [entry(
                now,
                "resolved",
                None,
                "test page acknowledged: the path works",
            )];
            store.resolve_incident(id, Some(by), now, &done).await?;
        }
    }
    Ok(true)
}

/// Why a test page was not sent.
#[derive(Debug, thiserror::Error)]
pub enum TestPageError {
    /// The target names nothing in the catalog.
    #[error(
        "`{0}` is not a person, team, schedule or notifier of the catalog (write e.g. `person:alice`)"
    )]
    UnknownTarget(String),
    /// A test page to this target is still waiting for its acknowledgement.
    #[error("a test page to `{target}` is still open (incident #{incident}); acknowledge it first")]
    AlreadyOpen {
        /// The target.
        target: String,
        /// The open test page.
        incident: i64,
    },
    /// The store failed.
    #[error(transparent)]
    Pager(#[from] crate::PagerError),
}

/// Sends a test page to `target` (`person:ID`, `team:ID`, `schedule:ID`,
/// `notifier:ID`) on behalf of `by`: an incident of its own that pages
/// the target through the usual path (outbox, channels, ack link) and
/// resolves when acknowledged, so the readiness review can see that a page
/// reached someone who answered. Returns the incident id; the next pass
/// sends it.
pub async fn test_page(
    store: &Store,
    catalog: &Catalog,
    target: &str,
    by: &str,
    now: Timestamp,
) -> Result<i64, TestPageError> {
    let policy = test_page_policy(catalog, target)
        .ok_or_else(|| TestPageError::UnknownTarget(target.to_owned()))?;
    let key = format!("{TEST_PAGE_PREFIX}{target}");
    let new = NewIncident {
        key: key.clone(),
        service: None,
        title: format!("Test page for {target}, sent by {by}"),
        severity: "info".into(),
        labels: BTreeMap::from([("test".to_owned(), "true".to_owned())]),
        opened_at: now,
        parent: None,
        suppressed: None,
    };
    let escalation = [NewEscalation {
        policy,
        next_at: now,
    }];
    let timeline = [entry(
        now,
        "opened",
        Some(by),
        format!("test page to {target} sent by {by}; acknowledge it to prove the path works"),
    )];
    let store_error = |e: shipshape_store::StoreError| TestPageError::Pager(e.into());
    match store
        .open_incident(&new, &[], &escalation, &timeline)
        .await
        .map_err(store_error)?
    {
        Some(id) => Ok(id),
        None => {
            let open = store.open_incidents().await.map_err(store_error)?;
            let incident = open
                .iter()
                .find(|(i, _)| i.key == key)
                .map_or(0, |(i, _)| i.id);
            Err(TestPageError::AlreadyOpen {
                target: target.to_owned(),
                incident,
            })
        }
    }
}

/// Resolves incident `id` by hand; everyone paged hears it. `false` if it
/// was already resolved.
pub async fn resolve(
    store: &Store,
    catalog: &Catalog,
    id: i64,
    by: &str,
    now: Timestamp,
) -> Result<bool> {
    let text = format!("resolved by {by}");
    let timeline = [entry(now, "resolved", Some(by), text.clone())];
    if !store.resolve_incident(id, Some(by), now, &timeline).await? {
        return Ok(false);
    }
    if let Some((incident, _)) = store.incident(id).await? {
        follow_up(store, catalog, &incident, NoticeKind::Resolved, now, &text).await?;
    }
    Ok(true)
}
