//! Email through a real SMTP sink on loopback: the message's subject,
//! threading headers, both parts and links; 4xx, 5xx and silent servers;
//! STARTTLS and implicit TLS against a test CA.

use std::time::{Duration, Instant};

use shipshape_notify::{Destination, MessageKind, Outcome, SmtpTls};

use crate::support::{
    Email, SinkMode, SinkTls, message, smtp_sender, smtp_settings, smtp_sink, test_pki,
};

fn oncall() -> Destination {
    Destination::Email {
        to: "On Call <oncall@example.org>".into(),
    }
}

#[tokio::test]
async fn trigger_email_has_subject_parts_links_and_ids() {
    let (addr, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    let mut m = message(MessageKind::Trigger);
    m.title = "benefits-api: <script>alert(1)</script> is down".into();
    m.detail = "reason: HTTP 503 & <b>timeout</b>\nsecond line".into();

    let outcome = sender.deliver(&m, &oncall()).await;
    let Outcome::Delivered { detail } = &outcome else {
        panic!("delivered: {outcome:?}")
    };
    assert!(
        detail.starts_with(&format!("accepted by {addr} (250")),
        "{detail}"
    );

    let received = inbox.recv().await.expect("one message");
    assert_eq!(received.mail_from, "<shipshape@example.org>");
    assert_eq!(received.rcpt_to, vec!["<oncall@example.org>".to_owned()]);
    assert!(!received.tls);
    let email = Email::parse(&received.data);
    assert_eq!(
        email.header("Subject").as_deref(),
        Some("[Shipshape] FIRING #42 benefits-api: <script>alert(1)</script> is down")
    );
    assert_eq!(
        email.header("Message-ID").as_deref(),
        Some("<delivery-trigger-7@shipshape>")
    );
    assert_eq!(
        email.header("X-Shipshape-Delivery").as_deref(),
        Some("delivery-trigger-7")
    );
    assert_eq!(
        email.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert!(email.header("In-Reply-To").is_none());
    assert!(
        email
            .header("References")
            .is_some_and(|r| r.contains("@shipshape>")),
        "the page starts the incident's thread"
    );
    assert!(
        email
            .header("From")
            .is_some_and(|f| f.contains("shipshape@example.org"))
    );
    assert!(
        email
            .header("To")
            .is_some_and(|t| t.contains("oncall@example.org"))
    );
    assert!(email.header("Date").is_some());
    assert!(
        email
            .header("Content-Type")
            .is_some_and(|ct| ct.starts_with("multipart/alternative"))
    );

    let text = email.part("text/plain");
    assert!(
        text.contains("FIRING #42 benefits-api: <script>alert(1)</script> is down"),
        "{text}"
    );
    assert!(
        text.contains("reason: HTTP 503 & <b>timeout</b>\r\nsecond line")
            || text.contains("reason: HTTP 503 & <b>timeout</b>\nsecond line"),
        "{text}"
    );
    assert!(
        text.contains("Acknowledge: https://status.example/ack/42?t=abc&sig=def"),
        "{text}"
    );
    assert!(
        text.contains("Incident: https://status.example/incidents/42"),
        "{text}"
    );
    assert!(text.contains("Severity: critical"), "{text}");
    assert!(text.contains("Service: benefits-api"), "{text}");

    let html = email.part("text/html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>timeout"), "{html}");
    assert!(
        html.contains("benefits-api: &lt;script&gt;alert(1)&lt;/script&gt; is down"),
        "{html}"
    );
    assert!(
        html.contains("reason: HTTP 503 &amp; &lt;b&gt;timeout&lt;/b&gt;"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://status.example/ack/42?t=abc&amp;sig=def\""),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://status.example/incidents/42\""),
        "{html}"
    );
}

#[tokio::test]
async fn follow_ups_thread_under_the_incident() {
    let (addr, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    for (kind, label) in [
        (MessageKind::Acknowledged, "ACKNOWLEDGED"),
        (MessageKind::Resolved, "RESOLVED"),
        (MessageKind::Flapping, "FLAPPING"),
        (MessageKind::Settled, "SETTLED"),
        (MessageKind::Test, "TEST"),
    ] {
        let m = message(kind);
        let outcome = sender.deliver(&m, &oncall()).await;
        assert!(outcome.is_delivered(), "{kind:?}: {outcome:?}");
        let email = Email::parse(&inbox.recv().await.expect("message").data);
        assert_eq!(
            email.header("Subject"),
            Some(format!(
                "[Shipshape] {label} #42 benefits-api: home is down"
            ))
        );
        assert_eq!(
            email.header("Message-ID"),
            Some(format!("<{}@shipshape>", m.key))
        );
        assert_eq!(
            email.header("In-Reply-To").as_deref(),
            Some("<shipshape-incident-42@shipshape>")
        );
        assert_eq!(
            email.header("References").as_deref(),
            Some("<shipshape-incident-42@shipshape>")
        );
        let text = email.part("text/plain");
        assert_eq!(text.contains("Acknowledge:"), m.ack_url.is_some(), "{text}");
        assert!(text.contains("Incident: https://status.example/incidents/42"));
    }
}

#[tokio::test]
async fn several_recipients_get_one_message() {
    let (addr, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    let to = Destination::Email {
        to: "a@example.org, B <b@example.org>".into(),
    };
    assert!(
        sender
            .deliver(&message(MessageKind::Test), &to)
            .await
            .is_delivered()
    );
    let received = inbox.recv().await.expect("message");
    assert_eq!(
        received.rcpt_to,
        vec!["<a@example.org>".to_owned(), "<b@example.org>".to_owned()]
    );
}

#[tokio::test]
async fn smtp_4xx_is_retried_and_5xx_rejected() {
    let (busy, _inbox) = smtp_sink(SinkMode::Busy, SinkTls::None).await;
    let outcome = smtp_sender(
        smtp_settings(busy, SmtpTls::None, None),
        Duration::from_secs(5),
    )
    .deliver(&message(MessageKind::Trigger), &oncall())
    .await;
    let Outcome::Retry { reason, after } = &outcome else {
        panic!("451 is retried: {outcome:?}")
    };
    assert!(after.is_none());
    assert!(reason.starts_with(&format!("SMTP {busy}:")), "{reason}");
    assert!(reason.contains("451"), "{reason}");

    let (strict, _inbox) = smtp_sink(SinkMode::NoSuchUser, SinkTls::None).await;
    let outcome = smtp_sender(
        smtp_settings(strict, SmtpTls::None, None),
        Duration::from_secs(5),
    )
    .deliver(&message(MessageKind::Trigger), &oncall())
    .await;
    let Outcome::Rejected { reason } = &outcome else {
        panic!("550 is rejected: {outcome:?}")
    };
    assert!(reason.contains("550"), "{reason}");
}

#[tokio::test]
async fn a_server_that_never_greets_times_out() {
    let (addr, _inbox) = smtp_sink(SinkMode::Silent, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_millis(500),
    );
    let started = Instant::now();
    let outcome = sender
        .deliver(&message(MessageKind::Trigger), &oncall())
        .await;
    let took = started.elapsed();
    assert_eq!(
        outcome,
        Outcome::Retry {
            reason: format!("timed out after 500ms ({addr})"),
            after: None
        }
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_silent_smtp_server_does_not_hold_up_a_good_one() {
    let (silent, _quiet) = smtp_sink(SinkMode::Silent, SinkTls::None).await;
    let (good, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let slow = smtp_sender(
        smtp_settings(silent, SmtpTls::None, None),
        Duration::from_millis(800),
    );
    let fast = smtp_sender(
        smtp_settings(good, SmtpTls::None, None),
        Duration::from_millis(800),
    );
    let m = message(MessageKind::Trigger);
    let started = Instant::now();
    let (slow_outcome, fast_outcome) = tokio::join!(
        async {
            let outcome = slow.deliver(&m, &oncall()).await;
            (outcome, started.elapsed())
        },
        async {
            let outcome = fast.deliver(&m, &oncall()).await;
            (outcome, started.elapsed())
        }
    );
    assert!(slow_outcome.0.is_retry(), "{slow_outcome:?}");
    assert!(fast_outcome.0.is_delivered(), "{fast_outcome:?}");
    assert!(
        fast_outcome.1 < Duration::from_millis(600),
        "{fast_outcome:?}"
    );
    assert!(inbox.recv().await.is_some());
}

#[tokio::test]
async fn an_invalid_recipient_is_rejected() {
    let (addr, _inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    let outcome = sender
        .deliver(
            &message(MessageKind::Trigger),
            &Destination::Email {
                to: "not an address".into(),
            },
        )
        .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "`not an address` is not an email address".into()
        }
    );
}

#[tokio::test]
async fn starttls_is_required_and_verified_against_the_extra_root() {
    let pki = test_pki();
    let (addr, mut inbox) =
        smtp_sink(SinkMode::Accept, SinkTls::StartTls(pki.acceptor.clone())).await;
    let trusted = smtp_sender(
        smtp_settings(
            addr,
            SmtpTls::StartTls,
            Some(pki.ca_pem.clone().into_bytes()),
        ),
        Duration::from_secs(5),
    );
    let outcome = trusted
        .deliver(&message(MessageKind::Trigger), &oncall())
        .await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let received = inbox.recv().await.expect("message");
    assert!(received.tls, "came over TLS");

    // Without the CA the certificate is not trusted: nothing is sent.
    let untrusted = smtp_sender(
        smtp_settings(addr, SmtpTls::StartTls, None),
        Duration::from_secs(5),
    );
    let outcome = untrusted
        .deliver(&message(MessageKind::Trigger), &oncall())
        .await;
    assert!(outcome.is_retry(), "{outcome:?}");
    assert!(outcome.text().contains("certificate"), "{outcome:?}");
    assert!(inbox.try_recv().is_err());

    // A server that doesn't offer STARTTLS gets nothing in plain text.
    let (plain, mut plain_inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let required = smtp_sender(
        smtp_settings(
            plain,
            SmtpTls::StartTls,
            Some(pki.ca_pem.clone().into_bytes()),
        ),
        Duration::from_secs(5),
    );
    let outcome = required
        .deliver(&message(MessageKind::Trigger), &oncall())
        .await;
    assert!(outcome.is_rejected(), "{outcome:?}");
    assert!(outcome.text().contains("STARTTLS"), "{outcome:?}");
    assert!(plain_inbox.try_recv().is_err());
}

#[tokio::test]
async fn implicit_tls_works() {
    let pki = test_pki();
    let (addr, mut inbox) =
        smtp_sink(SinkMode::Accept, SinkTls::Implicit(pki.acceptor.clone())).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::Tls, Some(pki.ca_pem.into_bytes())),
        Duration::from_secs(5),
    );
    let outcome = sender
        .deliver(&message(MessageKind::Resolved), &oncall())
        .await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let received = inbox.recv().await.expect("message");
    assert!(received.tls);
    let email = Email::parse(&received.data);
    assert_eq!(
        email.header("Subject").as_deref(),
        Some("[Shipshape] RESOLVED #42 benefits-api: home is down")
    );
}

#[test]
fn bad_smtp_settings_fail_to_build() {
    let addr = "127.0.0.1:25".parse().expect("addr");
    let mut settings = smtp_settings(addr, SmtpTls::StartTls, Some(b"not pem".to_vec()));
    let error = shipshape_notify::Sender::new(shipshape_notify::SenderOptions {
        smtp: Some(settings.clone()),
        ..Default::default()
    })
    .expect_err("bad PEM");
    assert!(error.to_string().contains("extra_root_pem"), "{error}");
    settings.extra_root_pem = None;
    settings.from = "nobody".into();
    let error = shipshape_notify::Sender::new(shipshape_notify::SenderOptions {
        smtp: Some(settings),
        ..Default::default()
    })
    .expect_err("bad from");
    assert!(error.to_string().contains("`from`"), "{error}");
}

#[tokio::test]
async fn odd_input_is_sent_safely() {
    let (addr, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    let mut m = message(MessageKind::Acknowledged);
    m.key = "key with spaces <and> @ brackets".into();
    m.dedup_key = "\r\n".into();
    m.title = "line one\r\nBcc: victim@example.org\r\n\u{0}ünïcode ".repeat(10);
    m.detail = ".\r\n.\r\nQUIT\r\n".repeat(100);
    m.ack_url = Some("javascript:alert(1)".into());
    m.incident_url = Some("https://status.example/incidents/42\"><script>".into());
    let outcome = sender.deliver(&m, &oncall()).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let received = inbox.recv().await.expect("message");
    assert_eq!(received.rcpt_to, vec!["<oncall@example.org>".to_owned()]);
    let email = Email::parse(&received.data);
    assert!(email.header("Bcc").is_none());
    assert_eq!(
        email.header("Message-ID").as_deref(),
        Some("<key-with-spaces--and----brackets@shipshape>")
    );
    let html = email.part("text/html");
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(email.part("text/plain").contains("QUIT"));
}

#[tokio::test]
async fn status_notice_is_plain_with_one_click_unsubscribe() {
    let (addr, mut inbox) = smtp_sink(SinkMode::Accept, SinkTls::None).await;
    let sender = smtp_sender(
        smtp_settings(addr, SmtpTls::None, None),
        Duration::from_secs(5),
    );
    let mut m = message(MessageKind::Status);
    m.incident_id = None;
    m.dedup_key = "shipshape-status-incident-7".into();
    m.title = "Slow <logins> - Investigating".into();
    m.detail = "We are looking into <b>slow</b> logins.".into();
    m.service = Some("Benefits status".into());
    m.severity = shipshape_notify::Severity::Info;
    m.ack_url = None;
    m.incident_url = Some("https://status.example/incidents/7".into());
    m.unsubscribe_url = Some("https://status.example/unsubscribe/abc.def".into());

    let outcome = sender.deliver(&m, &oncall()).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let received = inbox.recv().await.expect("one message");
    let email = Email::parse(&received.data);
    assert_eq!(
        email.header("Subject").as_deref(),
        Some("[Benefits status] Slow <logins> - Investigating")
    );
    assert_eq!(
        email.header("List-Unsubscribe").as_deref(),
        Some("<https://status.example/unsubscribe/abc.def>")
    );
    assert_eq!(
        email.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let text = email.part("text/plain");
    assert!(
        text.contains("We are looking into <b>slow</b> logins."),
        "{text}"
    );
    assert!(
        text.contains("Details: https://status.example/incidents/7"),
        "{text}"
    );
    assert!(
        text.contains("Unsubscribe: https://status.example/unsubscribe/abc.def"),
        "{text}"
    );
    assert!(!text.contains("Severity"), "{text}");
    assert!(!text.contains("Acknowledge"), "{text}");
    let html = email.part("text/html");
    assert!(html.contains("&lt;b&gt;slow&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("href=\"https://status.example/unsubscribe/abc.def\""),
        "{html}"
    );

    // Other kinds carry no unsubscribe headers.
    sender
        .deliver(&message(MessageKind::Trigger), &oncall())
        .await;
    let received = inbox.recv().await.expect("second message");
    let email = Email::parse(&received.data);
    assert!(email.header("List-Unsubscribe").is_none());
    assert!(email.header("List-Unsubscribe-Post").is_none());
}
