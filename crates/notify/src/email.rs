//! Email over SMTP (lettre's tokio transport, one connection per delivery
//! so concurrent deliveries never wait on each other): a multipart
//! text + HTML message whose `Message-ID` is the delivery key and whose
//! every message `References` the incident's dedup key (follow-ups also
//! `In-Reply-To` it), so the page and its follow-ups thread
//! under the incident. SMTP 4xx and network trouble are retried, 5xx is
//! rejected.

use std::time::{Duration, SystemTime};

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::render;
use crate::{Error, Message, MessageKind, Outcome, SmtpSettings, SmtpTls};

/// A configured SMTP server.
pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
    timeout: Duration,
    password: Option<String>,
}

impl Smtp {
    pub(crate) fn new(settings: &SmtpSettings, timeout: Duration) -> Result<Smtp, Error> {
        let host = settings.host.trim().to_owned();
        if host.is_empty() {
            return Err(Error::Smtp("`host` is empty".to_owned()));
        }
        let from: Mailbox = settings.from.trim().parse().map_err(|_| {
            Error::Smtp(format!(
                "`from` = `{}` is not an email address",
                settings.from
            ))
        })?;
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters(settings, &host)?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters(settings, &host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(username) = &settings.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Smtp {
            transport: builder.build(),
            from,
            host,
            port: settings.port,
            timeout,
            password: settings.password.clone(),
        })
    }

    /// `smtp.example.org:587`, for messages.
    pub(crate) fn target(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub(crate) async fn send(&self, message: &Message, to: &str) -> Outcome {
        let email = match self.build(message, to) {
            Ok(email) => email,
            Err(outcome) => return outcome,
        };
        match self.transport.send(email).await {
            Ok(response) => {
                let said = render::one_line(&response.message().collect::<Vec<_>>().join(" "));
                let said = render::truncate(&said, 200);
                let code = response.code();
                Outcome::Delivered {
                    detail: if said.is_empty() {
                        format!("accepted by {} ({code})", self.target())
                    } else {
                        format!("accepted by {} ({code} {said})", self.target())
                    },
                }
            }
            Err(error) => self.classify(&error),
        }
    }

    fn build(&self, m: &Message, to: &str) -> Result<lettre::Message, Outcome> {
        let recipients: Mailboxes = to.trim().parse().map_err(|_| Outcome::Rejected {
            reason: format!(
                "`{}` is not an email address",
                render::truncate(&render::one_line(to), 200)
            ),
        })?;
        if recipients.iter().next().is_none() {
            return Err(Outcome::Rejected {
                reason: "no email recipient".to_owned(),
            });
        }
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(render::subject(m))
            .date(SystemTime::now())
            .message_id(Some(format!("<{}@shipshape>", msg_id(&m.key))));
        for recipient in recipients {
            builder = builder.to(recipient);
        }
        // Every message of an incident references the same thread id, so
        // mail clients group the page, its repeats and follow-ups.
        let thread = format!("<{}@shipshape>", msg_id(&m.dedup_key));
        if !matches!(m.kind, MessageKind::Trigger | MessageKind::StatusConfirm) {
            builder = builder.in_reply_to(thread.clone());
        }
        builder = builder.references(thread);
        let mut headers = vec![
            ("X-Shipshape-Delivery", render::one_line(&m.key)),
            ("Auto-Submitted", "auto-generated".to_owned()),
        ];
        // RFC 8058 one-click unsubscribe: a POST of
        // `List-Unsubscribe=One-Click` to the URL unsubscribes.
        if let Some(url) = render::web_url(&m.unsubscribe_url) {
            headers.push(("List-Unsubscribe", format!("<{url}>")));
            headers.push((
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ));
        }
        for (name, value) in headers {
            if let Ok(name) = HeaderName::new_from_ascii(name.to_owned()) {
                builder = builder.raw_header(HeaderValue::new(name, value));
            }
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                render::email_text(m),
                render::email_html(m),
            ))
            .map_err(|e| Outcome::Rejected {
                reason: format!("cannot build the email: {e}"),
            })
    }

    fn classify(&self, error: &lettre::transport::smtp::Error) -> Outcome {
        let mut secrets = Vec::new();
        secrets.extend(self.password.as_deref());
        let text = crate::http::excerpt(error.to_string().as_bytes(), &secrets);
        let reason = format!("SMTP {}: {text}", self.target());
        if error.is_permanent() {
            Outcome::Rejected { reason }
        } else if error.is_timeout() {
            Outcome::Retry {
                reason: format!(
                    "timed out after {} ({})",
                    crate::human(self.timeout),
                    self.target()
                ),
                after: None,
            }
        } else if error.is_client() {
            // The server lacks what the settings require (STARTTLS, an
            // authentication mechanism): a configuration to fix.
            Outcome::Rejected { reason }
        } else {
            Outcome::Retry {
                reason,
                after: None,
            }
        }
    }
}

fn tls_parameters(settings: &SmtpSettings, host: &str) -> Result<TlsParameters, Error> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(pem) = &settings.extra_root_pem {
        if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(Error::Smtp(
                "`extra_root_pem` holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                    .to_owned(),
            ));
        }
        let certificate = Certificate::from_pem(pem)
            .map_err(|e| Error::Smtp(format!("`extra_root_pem` is not a PEM certificate: {e}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| Error::Smtp(format!("cannot set up TLS for `{host}`: {e}")))
}

/// The left part of a `Message-ID`: characters that need no quoting.
fn msg_id(s: &str) -> String {
    let id: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '=') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('.').replace("..", ".");
    if id.is_empty() { "none".to_owned() } else { id }
}
