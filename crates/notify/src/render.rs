//! Rendering a [`Message`] for each destination: email subject and parts,
//! the webhook, Slack and PagerDuty JSON bodies, ntfy and Pushover fields,
//! the short SMS text, and the escaping each of them needs.

use serde_json::{Value, json};

use crate::{Message, MessageKind, Severity};

/// `FIRING #42 benefits-api: home is down`.
pub(crate) fn headline(m: &Message) -> String {
    match m.incident_id {
        Some(id) => format!("{} #{id} {}", m.kind.label(), one_line(&m.title)),
        None => format!("{} {}", m.kind.label(), one_line(&m.title)),
    }
}

/// The email subject: `[Shipshape] FIRING #42 benefits-api: home is down`;
/// a status-page notice's is `[{page title}] {title}`.
pub(crate) fn subject(m: &Message) -> String {
    if is_status(m.kind) {
        let page = m.service.as_deref().map_or("Status".to_owned(), one_line);
        return truncate(&format!("[{page}] {}", one_line(&m.title)), 250);
    }
    truncate(&format!("[Shipshape] {}", headline(m)), 250)
}

/// Whether `kind` is a status-page notice for the public.
pub(crate) fn is_status(kind: MessageKind) -> bool {
    matches!(kind, MessageKind::Status | MessageKind::StatusConfirm)
}

/// The plain-text part of a status-page notice: the title, the public
/// message, the link and the unsubscribe link; nothing internal.
fn status_text(m: &Message) -> String {
    let page = m
        .service
        .as_deref()
        .map_or("the status page".to_owned(), one_line);
    let mut out = String::new();
    out.push_str(&one_line(&m.title));
    out.push_str("\n\n");
    if !m.detail.trim().is_empty() {
        out.push_str(m.detail.trim());
        out.push_str("\n\n");
    }
    if let Some(url) = &m.incident_url {
        let label = if m.kind == MessageKind::StatusConfirm {
            "Confirm your subscription"
        } else {
            "Details"
        };
        out.push_str(&format!("{label}: {}\n", one_line(url)));
    }
    out.push_str(&format!(
        "\n-- \nYou receive this because this address subscribed to updates of {page}.\n"
    ));
    if let Some(url) = &m.unsubscribe_url {
        out.push_str(&format!("Unsubscribe: {}\n", one_line(url)));
    }
    out
}

/// The HTML part of a status-page notice; every value escaped.
fn status_html(m: &Message) -> String {
    let page = m
        .service
        .as_deref()
        .map_or("the status page".to_owned(), one_line);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    out.push_str(&html(&subject(m)));
    out.push_str("</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.4;\">\n");
    out.push_str(&format!(
        "<h2 style=\"margin: 0 0 0.5em;\">{}</h2>\n",
        html(&one_line(&m.title))
    ));
    for para in m
        .detail
        .trim()
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
    {
        out.push_str("<p style=\"white-space: pre-wrap;\">");
        out.push_str(&html(para.trim()));
        out.push_str("</p>\n");
    }
    if let Some(url) = web_url(&m.incident_url) {
        let label = if m.kind == MessageKind::StatusConfirm {
            "Confirm your subscription"
        } else {
            "View on the status page"
        };
        out.push_str(&format!("<p><a href=\"{}\">{label}</a></p>\n", html(&url)));
    }
    out.push_str(&format!(
        "<p style=\"color: #57606a; font-size: 0.8em;\">You receive this because this address \
         subscribed to updates of {}.",
        html(&page)
    ));
    if let Some(url) = web_url(&m.unsubscribe_url) {
        out.push_str(&format!(" <a href=\"{}\">Unsubscribe</a>.", html(&url)));
    }
    out.push_str("</p>\n</body></html>\n");
    out
}

/// The plain-text email part.
pub(crate) fn email_text(m: &Message) -> String {
    if is_status(m.kind) {
        return status_text(m);
    }
    let mut out = String::new();
    out.push_str(&headline(m));
    out.push_str("\n\n");
    out.push_str(&format!("Severity: {}\n", m.severity.as_str()));
    if let Some(service) = &m.service {
        out.push_str(&format!("Service: {}\n", one_line(service)));
    }
    out.push_str(&format!("At: {}\n", m.at));
    if !m.detail.trim().is_empty() {
        out.push('\n');
        out.push_str(m.detail.trim_end());
        out.push('\n');
    }
    if m.ack_url.is_some() || m.incident_url.is_some() {
        out.push('\n');
    }
    if let Some(ack) = &m.ack_url {
        out.push_str(&format!("Acknowledge: {}\n", one_line(ack)));
    }
    if let Some(url) = &m.incident_url {
        out.push_str(&format!("Incident: {}\n", one_line(url)));
    }
    out.push_str(&format!(
        "\n-- \nShipshape, delivery {}\n",
        one_line(&m.key)
    ));
    out
}

/// The HTML email part; every value escaped.
pub(crate) fn email_html(m: &Message) -> String {
    if is_status(m.kind) {
        return status_html(m);
    }
    let color = match (m.kind, m.severity) {
        (MessageKind::Resolved | MessageKind::Settled, _) => "#1a7f37",
        (MessageKind::Acknowledged, _) => "#9a6700",
        (MessageKind::Test | MessageKind::Status | MessageKind::StatusConfirm, _) => "#57606a",
        (_, Severity::Critical) => "#cf222e",
        (_, Severity::Warning) => "#bc4c00",
        (_, Severity::Info) => "#0969da",
    };
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    out.push_str(&html(&subject(m)));
    out.push_str("</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.4;\">\n");
    out.push_str(&format!(
        "<h2 style=\"color: {color}; margin: 0 0 0.5em;\">{}</h2>\n",
        html(&headline(m))
    ));
    out.push_str("<p>");
    out.push_str(&format!(
        "<strong>Severity:</strong> {}",
        html(m.severity.as_str())
    ));
    if let Some(service) = &m.service {
        out.push_str(&format!(
            "<br>\n<strong>Service:</strong> {}",
            html(&one_line(service))
        ));
    }
    out.push_str(&format!(
        "<br>\n<strong>At:</strong> {}</p>\n",
        html(&m.at.to_string())
    ));
    if !m.detail.trim().is_empty() {
        out.push_str("<pre style=\"white-space: pre-wrap; font-family: monospace;\">");
        out.push_str(&html(m.detail.trim_end()));
        out.push_str("</pre>\n");
    }
    let (ack_link, incident_link) = (web_url(&m.ack_url), web_url(&m.incident_url));
    if ack_link.is_some() || incident_link.is_some() {
        out.push_str("<p>");
        if let Some(ack) = &ack_link {
            out.push_str(&format!(
                "<a href=\"{}\" style=\"display: inline-block; padding: 0.5em 1em; \
                 background: #cf222e; color: #ffffff; text-decoration: none; \
                 border-radius: 4px;\">Acknowledge</a> ",
                html(ack)
            ));
        }
        if let Some(url) = &incident_link {
            out.push_str(&format!("<a href=\"{}\">Open incident</a>", html(url)));
        }
        out.push_str("</p>\n");
    }
    out.push_str(&format!(
        "<p style=\"color: #57606a; font-size: 0.8em;\">Shipshape, delivery {}</p>\n",
        html(&m.key)
    ));
    out.push_str("</body></html>\n");
    out
}

/// The generic webhook body.
pub(crate) fn webhook_json(m: &Message) -> Value {
    if let Some(body) = &m.body {
        return body.clone();
    }
    json!({
        "version": 1,
        "delivery": m.key,
        "kind": m.kind.as_str(),
        "incident": {
            "id": m.incident_id,
            "dedup_key": m.dedup_key,
            "title": m.title,
            "severity": m.severity.as_str(),
            "service": m.service,
            "url": m.incident_url,
        },
        "detail": m.detail,
        "ack_url": m.ack_url,
        "at": m.at.to_string(),
    })
}

/// A Slack incoming-webhook body: fallback text and blocks.
pub(crate) fn slack_json(m: &Message) -> Value {
    let emoji = match (m.kind, m.severity) {
        (MessageKind::Trigger, Severity::Critical) => ":rotating_light:",
        (MessageKind::Trigger, Severity::Warning) => ":warning:",
        (MessageKind::Trigger, Severity::Info) => ":information_source:",
        (MessageKind::Acknowledged, _) => ":eyes:",
        (MessageKind::Resolved, _) => ":white_check_mark:",
        (MessageKind::Flapping, _) => ":repeat:",
        (MessageKind::Settled, _) => ":ballot_box_with_check:",
        (MessageKind::Test, _) => ":test_tube:",
        (MessageKind::Status | MessageKind::StatusConfirm, _) => ":information_source:",
    };
    let label = match m.incident_id {
        Some(id) => format!("{} #{id}", m.kind.label()),
        None => m.kind.label().to_owned(),
    };
    let mut section = format!(
        "{emoji} *{}* {}",
        mrkdwn(&label),
        mrkdwn(&one_line(&m.title))
    );
    if !m.detail.trim().is_empty() {
        section.push('\n');
        section.push_str(&mrkdwn(m.detail.trim_end()));
    }
    let mut context = format!("Severity: {}", m.severity.as_str());
    if let Some(service) = &m.service {
        context.push_str(&format!(" · Service: {}", mrkdwn(&one_line(service))));
    }
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&section, 2900)}}),
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&context, 2900)}]}),
    ];
    let mut buttons = Vec::new();
    if let Some(ack) = web_url(&m.ack_url) {
        buttons.push(json!({
            "type": "button",
            "text": {"type": "plain_text", "text": "Acknowledge"},
            "style": "danger",
            "url": ack,
        }));
    }
    if let Some(url) = web_url(&m.incident_url) {
        buttons.push(json!({
            "type": "button",
            "text": {"type": "plain_text", "text": "Open incident"},
            "url": url,
        }));
    }
    if !buttons.is_empty() {
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    json!({
        "text": truncate(&format!("{emoji} {}", mrkdwn(&headline(m))), 2900),
        "blocks": blocks,
    })
}

/// A PagerDuty Events v2 body. Only a trigger carries a payload.
pub(crate) fn pagerduty_json(m: &Message, routing_key: &str) -> Value {
    let action = match m.kind {
        MessageKind::Acknowledged => "acknowledge",
        MessageKind::Resolved => "resolve",
        MessageKind::Trigger
        | MessageKind::Flapping
        | MessageKind::Settled
        | MessageKind::Test
        | MessageKind::Status
        | MessageKind::StatusConfirm => "trigger",
    };
    let mut body = json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": truncate(&m.dedup_key, 255),
    });
    if action == "trigger" {
        let summary = match m.kind {
            MessageKind::Trigger => one_line(&m.title),
            other => format!("{}: {}", other.label(), one_line(&m.title)),
        };
        let mut payload = json!({
            "summary": truncate(&summary, 1024),
            "source": "shipshape",
            "severity": m.severity.as_str(),
            "timestamp": m.at.to_string(),
            "custom_details": {"detail": m.detail},
        });
        if let Some(service) = &m.service {
            payload["group"] = json!(service);
        }
        body["payload"] = payload;
        let mut links = Vec::new();
        if let Some(url) = web_url(&m.incident_url) {
            links.push(json!({"href": url, "text": "Incident"}));
        }
        if let Some(ack) = web_url(&m.ack_url) {
            links.push(json!({"href": ack, "text": "Acknowledge"}));
        }
        if !links.is_empty() {
            body["links"] = json!(links);
        }
        body["client"] = json!("Shipshape");
        if let Some(url) = web_url(&m.incident_url) {
            body["client_url"] = json!(url);
        }
    }
    body
}

/// ntfy's priority: 5 for a critical trigger, 3 otherwise.
pub(crate) fn ntfy_priority(m: &Message) -> u8 {
    if m.kind == MessageKind::Trigger && m.severity == Severity::Critical {
        5
    } else {
        3
    }
}

/// ntfy's tags: an emoji shortcode and the severity.
pub(crate) fn ntfy_tags(m: &Message) -> String {
    let emoji = match m.kind {
        MessageKind::Trigger => "rotating_light",
        MessageKind::Acknowledged => "eyes",
        MessageKind::Resolved => "white_check_mark",
        MessageKind::Flapping => "repeat",
        MessageKind::Settled => "ballot_box_with_check",
        MessageKind::Test => "test_tube",
        MessageKind::Status | MessageKind::StatusConfirm => "information_source",
    };
    format!("{emoji},{}", m.severity.as_str())
}

/// ntfy's message body: the detail, or the headline when there is none.
pub(crate) fn ntfy_body(m: &Message) -> String {
    let text = if m.detail.trim().is_empty() {
        headline(m)
    } else {
        m.detail.trim_end().to_owned()
    };
    truncate(&text, 3900)
}

/// ntfy's `Actions` header: a POST to the acknowledge link.
pub(crate) fn ntfy_actions(ack_url: &str) -> String {
    let url = one_line(ack_url);
    let url = if url.contains([',', ';', '"', '\'']) {
        format!("\"{}\"", url.replace('"', "%22"))
    } else {
        url
    };
    format!("http, Acknowledge, {url}, method=POST, clear=true")
}

/// Pushover's priority: 1 (high) for a critical trigger, -1 (quiet) for
/// good news, 0 otherwise.
pub(crate) fn pushover_priority(m: &Message) -> i8 {
    match (m.kind, m.severity) {
        (MessageKind::Trigger, Severity::Critical) => 1,
        (MessageKind::Acknowledged | MessageKind::Resolved | MessageKind::Settled, _) => -1,
        _ => 0,
    }
}

/// Pushover's message: the detail and the acknowledge link.
pub(crate) fn pushover_message(m: &Message) -> String {
    let mut text = if m.detail.trim().is_empty() {
        headline(m)
    } else {
        m.detail.trim_end().to_owned()
    };
    let ack = m
        .ack_url
        .as_ref()
        .map(|a| format!("\n\nAcknowledge: {}", one_line(a)));
    let room = 1024 - ack.as_ref().map_or(0, |a| a.chars().count()).min(512);
    text = truncate(&text, room);
    if let Some(ack) = ack {
        text.push_str(&ack);
    }
    truncate(&text, 1024)
}

/// The short text for SMS and voice: the headline and the acknowledge
/// link, at most 160 characters (the headline is cut to make room).
pub(crate) fn short_text(m: &Message) -> String {
    const MAX: usize = 160;
    let head = headline(m);
    match &m.ack_url {
        Some(ack) => {
            let tail = format!(" Ack: {}", one_line(ack));
            let tail_len = tail.chars().count();
            if tail_len + 20 <= MAX {
                format!("{}{tail}", truncate(&head, MAX - tail_len))
            } else {
                truncate(&head, MAX)
            }
        }
        None => truncate(&head, MAX),
    }
}

/// How a gateway template's body is escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Escape {
    Url,
    Header,
    Json,
    Form,
    Raw,
}

impl Escape {
    pub(crate) fn for_content_type(content_type: &str) -> Escape {
        let ct = content_type.to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence == "application/json" || essence.ends_with("+json") || essence.ends_with("/json")
        {
            Escape::Json
        } else if essence == "application/x-www-form-urlencoded" {
            Escape::Form
        } else {
            Escape::Raw
        }
    }

    fn apply(self, value: &str) -> String {
        match self {
            Escape::Url => percent_encoding::utf8_percent_encode(value, URL_COMPONENT).to_string(),
            Escape::Header => value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
            Escape::Json => {
                let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned());
                quoted[1..quoted.len() - 1].to_owned()
            }
            Escape::Form => url::form_urlencoded::byte_serialize(value.as_bytes()).collect(),
            Escape::Raw => value.to_owned(),
        }
    }
}

/// Everything but unreserved characters (RFC 3986) is encoded.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Replaces `{{name}}` placeholders in one pass; unknown ones stay.
pub(crate) fn substitute(template: &str, m: &Message, to: &str, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match placeholder(name, m, to) {
            Some(value) => {
                out.push_str(&escape.apply(&value));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn placeholder(name: &str, m: &Message, to: &str) -> Option<String> {
    Some(match name {
        "to" => to.to_owned(),
        "title" => one_line(&m.title),
        "message" => short_text(m),
        "detail" => m.detail.clone(),
        "ack_url" => m.ack_url.clone().unwrap_or_default(),
        "incident_url" => m.incident_url.clone().unwrap_or_default(),
        "kind" => m.kind.as_str().to_owned(),
        "severity" => m.severity.as_str().to_owned(),
        "service" => m.service.clone().unwrap_or_default(),
        "incident_id" => m.incident_id.map(|i| i.to_string()).unwrap_or_default(),
        "key" => m.key.clone(),
        _ => return None,
    })
}

/// The link if it is an absolute `http`/`https` URL (so no `javascript:`
/// ends up behind a button), on one line.
pub(crate) fn web_url(link: &Option<String>) -> Option<String> {
    let link = one_line(link.as_deref()?);
    let parsed = url::Url::parse(&link).ok()?;
    matches!(parsed.scheme(), "http" | "https").then_some(link)
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Slack mrkdwn (`&`, `<`, `>`).
pub(crate) fn mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Collapses line breaks and other control characters into spaces.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = c == ' ';
        }
    }
    out
}

/// Cuts `s` to at most `max` characters, ending with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}
