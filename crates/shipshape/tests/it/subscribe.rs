//! Email subscriptions to the public status page end to end, through a
//! real SMTP server (aiosmtpd, plain, storing mail in a maildir): two
//! readers subscribe on the public page and confirm through the link in
//! their email (GET shows a button, POST confirms); a responder posts a
//! public incident and both get a notice carrying RFC 8058's
//! `List-Unsubscribe` and `List-Unsubscribe-Post`; one reader unsubscribes
//! with a one-click POST; the responder's next update reaches only the
//! other reader.

use std::time::Duration;

use serde_json::{Value, json};

use crate::util::{Running, SmtpSink, create_token, eventually, http};

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let head = mail.split("\n\n").next().unwrap_or("");
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// The first URL in `text` starting with `prefix`.
fn link(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/:.-_".contains(*c))
        .collect();
    Some(url)
}

const READER: &str = "reader@example.gov";
const OTHER: &str = "other@example.gov";

#[test]
fn subscribers_confirm_get_notices_and_unsubscribe_in_one_click() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path(), None);
    let catalog = format!(
        r#"
[store]
url = "sqlite://shipshape.db"

[smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
from = "Example status <status@example.gov>"

[status_page]
title = "Example status"
components = [
  {{ name = "Website" }},
  {{ name = "Login" }},
]
"#,
        port = smtp.port
    );
    std::fs::write(dir.path().join("shipshape.toml"), catalog).unwrap();
    let server = Running::start(dir.path(), &["serve", "--listen", "127.0.0.1:0"], &[]);
    let client = http();

    // The public page offers the form.
    let page = client
        .get(format!("{}/status", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("Subscribe to updates"), "{page}");

    // Both readers subscribe (the reader to the website only) and confirm.
    for (address, body) in [
        (READER, "email=reader%40example.gov&components=website"),
        (OTHER, "email=other%40example.gov"),
    ] {
        let response = client
            .post(format!("{}/status/subscribe", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().unwrap().contains("Check your inbox"));
        assert!(
            eventually(Duration::from_secs(20), || !smtp
                .mail_to(address)
                .is_empty()),
            "no confirmation email for {address}\n{}",
            server.output()
        );
        let mail = smtp.mail_to(address).remove(0);
        let confirm = link(&mail, &format!("{}/status/subscribe/confirm/", server.base))
            .unwrap_or_else(|| panic!("a confirm link in\n{mail}"));
        assert!(header(&mail, "List-Unsubscribe").is_none(), "{mail}");
        let shown = client.get(&confirm).send().unwrap();
        assert_eq!(shown.status(), 200);
        assert!(shown.text().unwrap().contains("Confirm"));
        let confirmed = client.post(&confirm).send().unwrap();
        assert_eq!(confirmed.status(), 200);
        assert!(confirmed.text().unwrap().contains("Subscribed"));
    }

    // A responder posts a public incident on the website.
    let token = create_token(dir.path(), "responder");
    let created: Value = client
        .post(format!("{}/api/v1/status/incidents", server.base))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Slow pages",
            "status": "investigating",
            "impact": "minor",
            "components": ["website"],
            "message": "We are investigating slow pages.",
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let incident = created["id"].as_i64().expect("incident id");
    assert!(
        eventually(Duration::from_secs(20), || smtp.mail_to(READER).len() == 2
            && smtp.mail_to(OTHER).len() == 2),
        "notices did not arrive\n{}",
        server.output()
    );
    let notice = smtp.mail_to(READER).remove(1);
    assert!(
        header(&notice, "Subject").is_some_and(|s| s.contains("Example status")),
        "{notice}"
    );
    assert!(
        notice.contains("We are investigating slow pages."),
        "{notice}"
    );
    assert!(
        notice.contains(&format!("{}/status/incidents/{incident}", server.base)),
        "{notice}"
    );
    assert!(!notice.contains("/ack/"), "no acknowledge link: {notice}");
    assert_eq!(
        header(&notice, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click"),
        "{notice}"
    );
    let unsubscribe = header(&notice, "List-Unsubscribe")
        .and_then(|v| v.strip_prefix('<'))
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or_else(|| panic!("a List-Unsubscribe header in\n{notice}"))
        .to_owned();
    assert!(
        unsubscribe.starts_with(&format!("{}/status/unsubscribe/", server.base)),
        "{unsubscribe}"
    );

    // One click, as a mail client does it (RFC 8058).
    let response = client
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().unwrap().contains("Unsubscribed"));

    // The next update reaches the other reader only.
    let response = client
        .post(format!(
            "{}/api/v1/status/incidents/{incident}/updates",
            server.base
        ))
        .bearer_auth(&token)
        .json(&json!({"status": "resolved", "message": "Pages are fast again."}))
        .send()
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().unwrap()
    );
    assert!(
        eventually(Duration::from_secs(20), || smtp.mail_to(OTHER).len() == 3),
        "the update did not reach the other reader\n{}",
        server.output()
    );
    assert!(smtp.mail_to(OTHER)[2].contains("Pages are fast again."));
    // The update was handed out together; give a straggler a moment.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        smtp.mail_to(READER).len(),
        2,
        "no email after unsubscribing"
    );
}
