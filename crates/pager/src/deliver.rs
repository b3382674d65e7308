//! Delivering the outbox: claim due messages (a lease, so another instance
//! does not take them too), send each concurrently under the sender's
//! deadline, and record the outcome — delivered, retry later with backoff
//! (429, 5xx, timeouts), or failed (other 4xx, attempts exhausted) — with a
//! line on the incident's timeline either way.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use shipshape_alert::ack;
use shipshape_alert::engine::{Notice, NoticeKind, Recipient};
use shipshape_catalog::{Catalog, Channel, Gateway, Setting, Smtp};
use shipshape_clock::SharedClock;
use shipshape_notify::{
    Destination, GatewayTemplate, MAX_ATTEMPTS, Message, MessageKind, Outcome, Sender, Severity,
    retry_delay,
};
use shipshape_store::{Claimer, DeliveryOutcome, OutboxMessage, Store};
use tokio::task::JoinSet;

use crate::{Result, entry};

/// How long a claimed message is reserved for its sender.
pub(crate) const LEASE: Duration = Duration::from_secs(120);
/// Most messages claimed at once (and so sent concurrently).
const BATCH: u32 = 64;

/// What a delivery needs besides the message.
#[derive(Clone)]
pub(crate) struct Courier {
    pub store: Store,
    /// The sender and the `[smtp]` it was built for: rebuilt when a
    /// reloaded catalog changes `[smtp]`.
    pub sender: Arc<std::sync::Mutex<(Option<Smtp>, Arc<Sender>)>>,
    pub ack_key: Arc<Vec<u8>>,
    /// Signs status subscribers' confirm and unsubscribe links.
    pub subscription_key: Arc<Vec<u8>>,
    pub base_url: Option<String>,
    pub clock: SharedClock,
    /// This instance's id and the member TTL, when several instances share
    /// the store ([`Pager::with_instance`](crate::Pager::with_instance)):
    /// who claims outbox messages and who asks for the decider lease.
    pub claimer: Option<(String, Duration)>,
}

impl Courier {
    /// Claims due messages and delivers them all; returns how many were
    /// attempted.
    pub async fn deliver_due(&self, catalog: &Arc<Catalog>, now: Timestamp) -> Result<usize> {
        let claimed = match &self.claimer {
            Some((instance, member_ttl)) => {
                let claimer = Claimer {
                    instance,
                    member_ttl: *member_ttl,
                };
                self.store
                    .claim_outbox_as(claimer, now, LEASE, BATCH)
                    .await?
            }
            None => self.store.claim_outbox(now, LEASE, BATCH).await?,
        };
        if claimed.is_empty() {
            return Ok(0);
        }
        let sender = self.sender_for(catalog);
        let count = claimed.len();
        let mut tasks = JoinSet::new();
        for message in claimed {
            let courier = self.clone();
            let catalog = catalog.clone();
            let sender = sender.clone();
            tasks.spawn(async move { courier.deliver_one(&catalog, &sender, message, now).await });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Err(error)) => tracing::warn!(%error, "could not record a delivery"),
                Err(error) => tracing::error!(%error, "a delivery task failed"),
                Ok(Ok(())) => {}
            }
        }
        Ok(count)
    }

    /// The sender for the catalog's `[smtp]`, rebuilt if it changed (a bad
    /// new `[smtp]` keeps the previous sender, with a warning).
    fn sender_for(&self, catalog: &Catalog) -> Arc<Sender> {
        let mut current = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        if current.0 != catalog.smtp {
            match crate::sender_for(catalog) {
                Ok(sender) => *current = (catalog.smtp.clone(), Arc::new(sender)),
                Err(error) => {
                    tracing::warn!(%error, "keeping the previous [smtp] settings");
                }
            }
        }
        current.1.clone()
    }

    /// Why a page being retried must not go out any more: its incident was
    /// resolved meanwhile. This happens when an instance died after sending
    /// but before recording the send: the retry (with the same key) would
    /// arrive after the resolve and reopen the incident at PagerDuty.
    async fn superseded(&self, notice: &Notice) -> Option<String> {
        if !notice.kind.wants_ack() {
            return None;
        }
        let id = notice.incident?;
        match self.store.incident(id).await {
            Ok(Some((incident, _))) if incident.resolved_at.is_some() => Some(format!(
                "not retried: incident {id} was resolved before this page could be sent again"
            )),
            _ => None,
        }
    }

    async fn deliver_one(
        &self,
        catalog: &Catalog,
        sender: &Sender,
        message: OutboxMessage,
        claimed_at: Timestamp,
    ) -> Result<()> {
        let who = Recipient::resolve(&message.recipient, catalog);
        let label = who.as_ref().map_or(message.recipient.clone(), |d| {
            d.person.map_or(message.recipient.clone(), |p| {
                format!("{} ({})", p.name, d.channel.kind())
            })
        });
        let notice = serde_json::from_str::<Notice>(&message.payload);
        let subscriber = match &notice {
            Ok(notice) => {
                crate::subscriptions::destination(&self.store, &message.recipient, notice.kind)
                    .await
            }
            Err(_) => None,
        };
        let superseded = match &notice {
            Ok(notice) if message.attempts > 0 => self.superseded(notice).await,
            _ => None,
        };
        let outcome = match (notice, subscriber, &who) {
            _ if let Some(reason) = superseded => Outcome::Rejected { reason },
            (Err(error), _, _) => Outcome::Rejected {
                reason: format!("unreadable outbox payload: {error}"),
            },
            (Ok(notice), Some(Ok(destination)), _) => {
                let rendered = self.render(catalog, &message, &notice, claimed_at);
                sender.deliver(&rendered, &destination).await
            }
            (Ok(_), Some(Err(outcome)), _) => outcome,
            (Ok(_), None, None) => Outcome::Rejected {
                reason: format!("{} is no longer in the catalog", message.recipient),
            },
            (Ok(notice), None, Some(delivery)) => match destination(catalog, delivery.channel) {
                Err(reason) => Outcome::Rejected { reason },
                Ok(destination) => {
                    let rendered = self.render(catalog, &message, &notice, claimed_at);
                    sender.deliver(&rendered, &destination).await
                }
            },
        };
        let now = self.clock.now().max(claimed_at);
        let kind = &message.kind;
        let (result, text) = match &outcome {
            Outcome::Delivered { .. } => (
                DeliveryOutcome::Delivered { at: now },
                format!("{kind} notice delivered to {label}"),
            ),
            other => match retry_delay(message.attempts, &message.key, other) {
                Some(wait) => {
                    let next = now + SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
                    (
                        DeliveryOutcome::Retry {
                            at: now,
                            next_attempt_at: next,
                            error: other.text().to_owned(),
                        },
                        format!(
                            "{kind} notice to {label} failed (attempt {} of {MAX_ATTEMPTS}): {}; retrying in {}s",
                            message.attempts,
                            other.text(),
                            wait.as_secs()
                        ),
                    )
                }
                None => (
                    DeliveryOutcome::Failed {
                        at: now,
                        error: other.text().to_owned(),
                    },
                    format!(
                        "{kind} notice to {label} failed for good after {} attempt(s): {}",
                        message.attempts,
                        other.text()
                    ),
                ),
            },
        };
        let timeline = message
            .incident_id
            .map(|_| entry(now, "delivery", None, text.clone()));
        if message.incident_id.is_none() {
            tracing::info!(key = %message.key, "{text}");
        }
        self.store
            .record_delivery(message.id, &result, timeline)
            .await?;
        Ok(())
    }

    /// The message a channel renders, with its links.
    fn render(
        &self,
        catalog: &Catalog,
        message: &OutboxMessage,
        notice: &Notice,
        now: Timestamp,
    ) -> Message {
        let incident_url = notice
            .incident
            .and_then(|id| self.link(&format!("incidents/{id}")));
        let ack_url = match notice.incident {
            Some(id) if notice.kind.wants_ack() => {
                let ttl = SignedDuration::try_from(catalog.alerting.ack_link_ttl)
                    .unwrap_or(SignedDuration::from_hours(24));
                let token = ack::sign(&self.ack_key, id, &message.recipient, now + ttl);
                self.link(&format!("ack/{token}"))
            }
            _ => None,
        };
        let (incident_url, unsubscribe_url) = match notice.kind {
            NoticeKind::Status | NoticeKind::StatusConfirm => crate::subscriptions::links(
                catalog,
                self.base_url.as_deref(),
                &self.subscription_key,
                &message.recipient,
                notice,
            ),
            _ => (incident_url, None),
        };
        Message {
            key: message.key.clone(),
            kind: message_kind(notice.kind),
            incident_id: notice.incident,
            dedup_key: notice.dedup_key.clone(),
            title: notice.title.clone(),
            detail: notice.detail.clone(),
            severity: match notice.severity.as_str() {
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                _ => Severity::Critical,
            },
            service: notice.service.clone(),
            incident_url,
            ack_url,
            at: notice.at,
            unsubscribe_url,
            body: notice.payload.clone(),
        }
    }

    fn link(&self, path: &str) -> Option<String> {
        self.base_url
            .as_ref()
            .map(|base| format!("{}/{path}", base.trim_end_matches('/')))
    }
}

fn message_kind(kind: NoticeKind) -> MessageKind {
    match kind {
        NoticeKind::Trigger => MessageKind::Trigger,
        NoticeKind::Acknowledged => MessageKind::Acknowledged,
        NoticeKind::Resolved => MessageKind::Resolved,
        NoticeKind::Flapping => MessageKind::Flapping,
        NoticeKind::Settled => MessageKind::Settled,
        NoticeKind::Test => MessageKind::Test,
        NoticeKind::Status => MessageKind::Status,
        NoticeKind::StatusConfirm => MessageKind::StatusConfirm,
    }
}

/// Where a catalog channel delivers, with its secrets resolved.
pub(crate) fn destination(catalog: &Catalog, channel: &Channel) -> Result<Destination, String> {
    let value = |s: &Setting| -> Result<String, String> {
        s.value()
            .map(str::to_owned)
            .ok_or_else(|| "a secret of this contact was not resolved".to_owned())
    };
    let optional = |s: &Option<Setting>| s.as_ref().map(value).transpose();
    Ok(match channel {
        Channel::Email { to } => Destination::Email { to: value(to)? },
        Channel::Webhook {
            url,
            token,
            headers,
            secret,
        } => Destination::Webhook {
            url: value(url)?,
            bearer: optional(token)?,
            secret: optional(secret)?,
            headers: headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), value(v)?)))
                .collect::<Result<_, String>>()?,
        },
        Channel::Slack { url } => Destination::Slack { url: value(url)? },
        Channel::Pagerduty { routing_key, url } => Destination::PagerDuty {
            url: value(url)?,
            routing_key: value(routing_key)?,
        },
        Channel::Ntfy {
            server,
            topic,
            token,
        } => Destination::Ntfy {
            server: value(server)?,
            topic: value(topic)?,
            token: optional(token)?,
        },
        Channel::Pushover { user, token } => Destination::Pushover {
            url: shipshape_notify::PUSHOVER_URL.into(),
            user: value(user)?,
            token: value(token)?,
        },
        Channel::Sms { to } => Destination::Gateway {
            gateway: template(catalog.sms_gateway.as_ref(), "[sms_gateway]")?,
            to: value(to)?,
        },
        Channel::Phone { to } => Destination::Gateway {
            gateway: template(catalog.voice_gateway.as_ref(), "[voice_gateway]")?,
            to: value(to)?,
        },
    })
}

fn template(gateway: Option<&Gateway>, name: &str) -> Result<GatewayTemplate, String> {
    let gateway = gateway.ok_or_else(|| format!("no {name} is configured"))?;
    let value = |s: &Setting| {
        s.value()
            .map(str::to_owned)
            .ok_or_else(|| format!("a secret of {name} was not resolved"))
    };
    Ok(GatewayTemplate {
        url: value(&gateway.url)?,
        method: gateway.method.clone(),
        headers: gateway
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), value(v)?)))
            .collect::<Result<_, String>>()?,
        body: gateway.body.clone(),
        content_type: gateway.content_type.clone(),
    })
}
