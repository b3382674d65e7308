//! Notifiers: rendering one notification and delivering it to one
//! destination (email over SMTP, a generic signed webhook, Slack, PagerDuty
//! Events v2, ntfy, Pushover, or an SMS/voice gateway described by a
//! template), then saying honestly how it went: [`Outcome::Delivered`],
//! [`Outcome::Retry`] (transient: try again later, maybe after a server's
//! `Retry-After`) or [`Outcome::Rejected`] (permanent: retrying won't help).
//!
//! The alerting engine decides who gets what and keeps each notification in
//! an outbox; this crate is what the outbox calls for one attempt, and
//! [`backoff`] with [`MAX_ATTEMPTS`] is how long it waits between attempts.
//!
//! What it must never do: persist anything, read the catalog, hold global
//! state, panic on any input, or let a secret out. Secrets (tokens,
//! passwords, HMAC keys, and the URLs of Slack and generic webhooks, which
//! are credentials themselves) arrive resolved as strings; they are never
//! logged, never printed by `Debug`, and never put into an outcome's text:
//! errors name the host only, and response excerpts have them redacted.
//! Every delivery is bounded by [`SenderOptions::timeout`] as a whole, and
//! deliveries share no lock, so one hanging server never holds up another.

#![warn(missing_docs)]

mod email;
mod http;
mod render;
mod sign;

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub use sign::{derive_secret, sign, verify};

/// How many attempts the outbox makes before it marks a delivery failed.
///
/// With [`backoff`] that spans about an hour of retries.
pub const MAX_ATTEMPTS: u32 = 12;

/// The longest wait the outbox should honour from a server's `Retry-After`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Which moment of an incident a message tells about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// The incident opened (or a page is repeated): someone must look.
    Trigger,
    /// Someone acknowledged the incident.
    Acknowledged,
    /// The incident is over.
    Resolved,
    /// The monitor keeps changing state; paged once, now damped.
    Flapping,
    /// A flapping monitor settled down.
    Settled,
    /// A test message sent from the UI or the command line.
    Test,
    /// A public status-page notice to a subscriber (an incident or
    /// maintenance posted or updated): plain text for the public, with an
    /// unsubscribe link and no acknowledge link.
    Status,
    /// The email asking a new status-page subscriber to confirm
    /// (`incident_url` holds the confirmation link).
    StatusConfirm,
}

impl MessageKind {
    /// The lowercase name used in webhook payloads and templates, e.g.
    /// `trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Trigger => "trigger",
            MessageKind::Acknowledged => "acknowledged",
            MessageKind::Resolved => "resolved",
            MessageKind::Flapping => "flapping",
            MessageKind::Settled => "settled",
            MessageKind::Test => "test",
            MessageKind::Status => "status",
            MessageKind::StatusConfirm => "status_confirm",
        }
    }

    /// The uppercase label put in subjects and titles, e.g. `FIRING`.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::Trigger => "FIRING",
            MessageKind::Acknowledged => "ACKNOWLEDGED",
            MessageKind::Resolved => "RESOLVED",
            MessageKind::Flapping => "FLAPPING",
            MessageKind::Settled => "SETTLED",
            MessageKind::Test => "TEST",
            MessageKind::Status => "STATUS",
            MessageKind::StatusConfirm => "CONFIRM",
        }
    }
}

/// How urgent an incident is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Wake someone up.
    Critical,
    /// Look at it soon.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// The lowercase name (`critical`, `warning`, `info`), also PagerDuty's.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One notification, as the outbox hands it over.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Idempotency key of this delivery, stable across retries; sent as
    /// `Idempotency-Key`, `X-Shipshape-Delivery` and the email `Message-ID`.
    pub key: String,
    /// Which moment of the incident this tells about.
    pub kind: MessageKind,
    /// The incident's number, if the message belongs to one.
    pub incident_id: Option<i64>,
    /// Stable per incident, e.g. `shipshape-incident-42`: PagerDuty's
    /// `dedup_key` and the email thread id.
    pub dedup_key: String,
    /// One line, e.g. `benefits-api: home is down`.
    pub title: String,
    /// Plain text, may be several lines (reason, alerts).
    pub detail: String,
    /// How urgent it is.
    pub severity: Severity,
    /// The service the incident belongs to; for [`MessageKind::Status`]
    /// and [`MessageKind::StatusConfirm`], the status page's title.
    pub service: Option<String>,
    /// Link to the incident page; for [`MessageKind::Status`] the public
    /// incident or maintenance page, for [`MessageKind::StatusConfirm`]
    /// the confirmation link.
    pub incident_url: Option<String>,
    /// Signed one-click acknowledge link (absent for resolved and test
    /// messages). A `GET` shows a confirmation, a `POST` acknowledges.
    pub ack_url: Option<String>,
    /// When the event happened.
    pub at: jiff::Timestamp,
    /// One-click unsubscribe link (RFC 8058) of a status-page notice, sent
    /// as `List-Unsubscribe` with `List-Unsubscribe-Post`; `None` for every
    /// other kind.
    pub unsubscribe_url: Option<String>,
    /// For webhooks: the JSON body to send instead of Shipshape's own
    /// shape (e.g. a Statuspage-style payload); other channels ignore it.
    pub body: Option<serde_json::Value>,
}

/// Where one message goes, with its secrets already resolved.
///
/// `Debug` prints no secret (URLs of Slack and generic webhooks count as
/// secrets; only their host is shown).
#[derive(Clone, PartialEq, Eq)]
pub enum Destination {
    /// An email address (or a comma-separated list), through
    /// [`SenderOptions::smtp`].
    Email {
        /// Recipient(s), e.g. `oncall@example.org`.
        to: String,
    },
    /// A generic webhook: a signed JSON `POST`.
    Webhook {
        /// Where to post.
        url: String,
        /// Sent as `Authorization: Bearer …` when set.
        bearer: Option<String>,
        /// HMAC key for `X-Shipshape-Signature` when set.
        secret: Option<String>,
        /// Extra headers; they can't replace the ones this crate sets.
        headers: Vec<(String, String)>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// The incoming-webhook URL (a secret).
        url: String,
    },
    /// PagerDuty Events API v2.
    PagerDuty {
        /// Events endpoint, normally [`PAGERDUTY_EVENTS_URL`].
        url: String,
        /// The integration's routing key (a secret).
        routing_key: String,
    },
    /// An ntfy server (ntfy.sh or self-hosted).
    Ntfy {
        /// Server base URL, e.g. `https://ntfy.sh`.
        server: String,
        /// Topic name.
        topic: String,
        /// Access token, sent as a bearer token when set.
        token: Option<String>,
    },
    /// Pushover.
    Pushover {
        /// Messages endpoint, normally [`PUSHOVER_URL`].
        url: String,
        /// The user (or group) key.
        user: String,
        /// The application token (a secret).
        token: String,
    },
    /// SMS or voice through an HTTP gateway described by a template.
    Gateway {
        /// How to call the gateway.
        gateway: GatewayTemplate,
        /// The phone number (or whatever the gateway addresses), `{{to}}`.
        to: String,
    },
}

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Pushover's messages endpoint.
pub const PUSHOVER_URL: &str = "https://api.pushover.net/1/messages.json";

/// An HTTP request template for an SMS or voice gateway.
///
/// `url`, header values and `body` may hold placeholders, replaced in one
/// pass (a value holding `{{…}}` is not expanded again): `{{to}}`,
/// `{{title}}`, `{{message}}` (at most 160 characters: the title and the
/// acknowledge link, for SMS), `{{detail}}`, `{{ack_url}}`,
/// `{{incident_url}}`, `{{kind}}`, `{{severity}}`, `{{service}}`,
/// `{{incident_id}}` and `{{key}}`. Unknown placeholders are left as they
/// are. Values are percent-encoded in the URL, stripped of line breaks in
/// headers, and in the body escaped by `content_type`: JSON string escaping
/// for `…json`, form encoding for `application/x-www-form-urlencoded`, raw
/// otherwise.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayTemplate {
    /// Request URL (a secret: it often carries an account id or key).
    pub url: String,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request headers (values are secrets: they often carry credentials).
    pub headers: Vec<(String, String)>,
    /// Request body; empty sends none.
    pub body: String,
    /// The body's `Content-Type`, which also picks the escaping.
    pub content_type: String,
}

/// How to talk to the SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local relay).
    None,
    /// `STARTTLS`, required: a server that doesn't offer it is an error.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The SMTP server that sends email.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host name (also the name the certificate must hold).
    pub host: String,
    /// Port, e.g. 25, 587 or 465.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// Password (a secret).
    pub password: Option<String>,
    /// Sender address, e.g. `Shipshape <shipshape@example.org>`.
    pub from: String,
    /// Extra trusted root certificates (PEM), in addition to the webpki
    /// roots; for a private CA or tests.
    pub extra_root_pem: Option<Vec<u8>>,
}

/// The result of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The destination accepted the message.
    Delivered {
        /// What the destination said, e.g. `HTTP 202 from events.pagerduty.com`.
        detail: String,
    },
    /// A transient failure: try again later.
    Retry {
        /// Why, without secrets.
        reason: String,
        /// The server's `Retry-After`, capped at [`MAX_RETRY_AFTER`].
        after: Option<Duration>,
    },
    /// A permanent failure: retrying won't help until someone fixes the
    /// configuration.
    Rejected {
        /// Why, without secrets.
        reason: String,
    },
}

impl Outcome {
    /// Whether the message was delivered.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered { .. })
    }

    /// Whether the outbox should try again.
    pub fn is_retry(&self) -> bool {
        matches!(self, Outcome::Retry { .. })
    }

    /// Whether the destination refused for good.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Outcome::Rejected { .. })
    }

    /// The text of the outcome (detail or reason).
    pub fn text(&self) -> &str {
        match self {
            Outcome::Delivered { detail } => detail,
            Outcome::Retry { reason, .. } | Outcome::Rejected { reason } => reason,
        }
    }
}

/// What a [`Sender`] needs.
#[derive(Clone, Debug)]
pub struct SenderOptions {
    /// The SMTP server for [`Destination::Email`]; without it email is
    /// rejected.
    pub smtp: Option<SmtpSettings>,
    /// Deadline for one whole delivery (connect, TLS, request, reply);
    /// zero means the default, 10 s; at most an hour.
    pub timeout: Duration,
    /// `User-Agent` of HTTP requests.
    pub user_agent: String,
}

impl Default for SenderOptions {
    fn default() -> Self {
        SenderOptions {
            smtp: None,
            timeout: Duration::from_secs(10),
            user_agent: concat!("Shipshape/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Why a [`Sender`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `[smtp]` settings are unusable.
    #[error("invalid [smtp] settings: {0}")]
    Smtp(String),
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
}

/// Delivers messages; cheap to share (`&self`), safe to call concurrently.
pub struct Sender {
    http: reqwest::Client,
    smtp: Option<email::Smtp>,
    timeout: Duration,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("smtp", &self.smtp.as_ref().map(|s| s.target()))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// Sets up the HTTP client and, when configured, the SMTP transport
    /// (which connects per delivery).
    pub fn new(options: SenderOptions) -> Result<Sender, Error> {
        let timeout = if options.timeout.is_zero() {
            Duration::from_secs(10)
        } else {
            options.timeout.min(Duration::from_secs(3600))
        };
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Http(e.to_string()))?;
        let smtp = match &options.smtp {
            Some(settings) => Some(email::Smtp::new(settings, timeout)?),
            None => None,
        };
        Ok(Sender {
            http,
            smtp,
            timeout,
        })
    }

    /// The deadline of one delivery.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Renders `message` for `to` and sends it once, within the timeout.
    pub async fn deliver(&self, message: &Message, to: &Destination) -> Outcome {
        let target = self.target(to);
        let outcome = match tokio::time::timeout(self.timeout, self.deliver_once(message, to)).await
        {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Retry {
                reason: format!("timed out after {} ({target})", human(self.timeout)),
                after: None,
            },
        };
        match &outcome {
            Outcome::Delivered { .. } => tracing::debug!(
                destination = to.kind(),
                target = %target,
                delivery = %message.key,
                "notification delivered"
            ),
            Outcome::Retry { reason, after } => tracing::info!(
                destination = to.kind(),
                target = %target,
                delivery = %message.key,
                reason = %reason,
                after_secs = after.map(|a| a.as_secs()),
                "notification delivery will be retried"
            ),
            Outcome::Rejected { reason } => tracing::warn!(
                destination = to.kind(),
                target = %target,
                delivery = %message.key,
                reason = %reason,
                "notification rejected"
            ),
        }
        outcome
    }

    async fn deliver_once(&self, message: &Message, to: &Destination) -> Outcome {
        match to {
            Destination::Email { to } => match &self.smtp {
                Some(smtp) => smtp.send(message, to).await,
                None => Outcome::Rejected {
                    reason: "no [smtp] server configured".to_owned(),
                },
            },
            Destination::Webhook {
                url,
                bearer,
                secret,
                headers,
            } => {
                http::webhook(
                    &self.http,
                    message,
                    url,
                    bearer.as_deref(),
                    secret.as_deref(),
                    headers,
                )
                .await
            }
            Destination::Slack { url } => http::slack(&self.http, message, url).await,
            Destination::PagerDuty { url, routing_key } => {
                http::pagerduty(&self.http, message, url, routing_key).await
            }
            Destination::Ntfy {
                server,
                topic,
                token,
            } => http::ntfy(&self.http, message, server, topic, token.as_deref()).await,
            Destination::Pushover { url, user, token } => {
                http::pushover(&self.http, message, url, user, token).await
            }
            Destination::Gateway { gateway, to } => {
                http::gateway(&self.http, message, gateway, to).await
            }
        }
    }

    /// What errors name: the SMTP `host:port`, or an HTTP destination's host.
    fn target(&self, to: &Destination) -> String {
        match to {
            Destination::Email { .. } => match &self.smtp {
                Some(smtp) => smtp.target(),
                None => "smtp".to_owned(),
            },
            _ => to.host(),
        }
    }
}

impl Destination {
    /// The destination type, e.g. `webhook`, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Email { .. } => "email",
            Destination::Webhook { .. } => "webhook",
            Destination::Slack { .. } => "slack",
            Destination::PagerDuty { .. } => "pagerduty",
            Destination::Ntfy { .. } => "ntfy",
            Destination::Pushover { .. } => "pushover",
            Destination::Gateway { .. } => "gateway",
        }
    }

    /// The host an HTTP destination talks to (safe to show); for email,
    /// the recipient's domain.
    pub fn host(&self) -> String {
        match self {
            Destination::Email { to } => match to.rsplit_once('@') {
                Some((_, domain)) => domain.trim_end_matches('>').trim().to_owned(),
                None => "email".to_owned(),
            },
            Destination::Webhook { url, .. }
            | Destination::Slack { url }
            | Destination::PagerDuty { url, .. }
            | Destination::Pushover { url, .. } => http::host_of(url),
            Destination::Ntfy { server, .. } => http::host_of(server),
            Destination::Gateway { gateway, .. } => http::host_of(&gateway.url),
        }
    }
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<String>| s.as_ref().map(|_| "***");
        match self {
            Destination::Email { to } => f.debug_struct("Email").field("to", to).finish(),
            Destination::Webhook {
                bearer,
                secret: key,
                headers,
                ..
            } => f
                .debug_struct("Webhook")
                .field("host", &self.host())
                .field("bearer", &secret(bearer))
                .field("secret", &secret(key))
                .field(
                    "headers",
                    &headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
                )
                .finish(),
            Destination::Slack { .. } => f
                .debug_struct("Slack")
                .field("host", &self.host())
                .finish_non_exhaustive(),
            Destination::PagerDuty { url, .. } => f
                .debug_struct("PagerDuty")
                .field("url", url)
                .field("routing_key", &"***")
                .finish(),
            Destination::Ntfy {
                server,
                topic,
                token,
            } => f
                .debug_struct("Ntfy")
                .field("server", server)
                .field("topic", topic)
                .field("token", &secret(token))
                .finish(),
            Destination::Pushover { url, user, .. } => f
                .debug_struct("Pushover")
                .field("url", url)
                .field("user", user)
                .field("token", &"***")
                .finish(),
            Destination::Gateway { gateway, to } => f
                .debug_struct("Gateway")
                .field("gateway", gateway)
                .field("to", to)
                .finish(),
        }
    }
}

impl fmt::Debug for GatewayTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayTemplate")
            .field("host", &http::host_of(&self.url))
            .field("method", &self.method)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field(
                "extra_root_pem",
                &self.extra_root_pem.as_ref().map(Vec::len),
            )
            .finish()
    }
}

/// How long the outbox waits before attempt `attempt + 1`, after attempt
/// `attempt` (1-based) failed with [`Outcome::Retry`].
///
/// Exponential, 5 s · 2^(attempt−1) capped at 10 minutes, times a jitter
/// factor in [0.8, 1.2] derived from `attempt` and the delivery `key`: the
/// same delivery always waits the same, different deliveries spread out.
/// Attempt 0 counts as 1.
pub fn backoff(attempt: u32, key: &str) -> Duration {
    const BASE_MS: u64 = 5_000;
    const CAP_MS: u64 = 600_000;
    let exponent = attempt.max(1) - 1;
    let base = if exponent >= 20 {
        CAP_MS
    } else {
        (BASE_MS << exponent).min(CAP_MS)
    };
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(attempt.to_le_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 0..=4000 in ten-thousandths: factor 0.8..=1.2.
    let spread = u64::from_le_bytes(first) % 4001;
    Duration::from_millis(base * (8_000 + spread) / 10_000)
}

/// The wait before the next attempt after `outcome`: the larger of
/// [`backoff`] and the server's `Retry-After`; `None` unless `outcome` is a
/// [`Outcome::Retry`] and `attempt` < [`MAX_ATTEMPTS`].
pub fn retry_delay(attempt: u32, key: &str, outcome: &Outcome) -> Option<Duration> {
    match outcome {
        Outcome::Retry { after, .. } if attempt < MAX_ATTEMPTS => {
            let wait = backoff(attempt, key);
            Some(after.map_or(wait, |after| after.min(MAX_RETRY_AFTER).max(wait)))
        }
        _ => None,
    }
}

/// `10s`, `500ms`, `1.5s`: durations as people write them.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
