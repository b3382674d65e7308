//! Building notices and putting them in the outbox, and the operations
//! people perform on incidents (acknowledge, resolve), which notify
//! everyone already paged for the incident.

use jiff::Timestamp;
use shipshape_alert::engine::{Notice, NoticeKind, Recipient};
use shipshape_catalog::Catalog;
use shipshape_store::{Incident, IncidentAlert, NewOutboxMessage, Store};

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
    }
    Ok(true)
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
