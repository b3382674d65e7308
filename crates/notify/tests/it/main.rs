//! Delivering notifications to real loopback servers: a recording HTTP
//! server for webhooks, Slack, PagerDuty, ntfy, Pushover and gateways, an
//! SMTP sink for email, and servers that never answer.

mod email;
mod http;
mod services;
mod support;

use std::time::Duration;

use shipshape_notify::{
    Destination, MAX_ATTEMPTS, MAX_RETRY_AFTER, MessageKind, Outcome, SmtpSettings, SmtpTls,
    backoff, retry_delay, sign, verify,
};

#[test]
fn backoff_grows_exponentially_with_bounded_jitter() {
    for attempt in 1..=MAX_ATTEMPTS + 3 {
        let base = (5_000u64 << (attempt - 1).min(20)).min(600_000);
        for key in ["a", "delivery-1", "delivery-2", ""] {
            let wait = backoff(attempt, key).as_millis() as u64;
            assert!(
                wait >= base * 8 / 10 && wait <= base * 12 / 10,
                "attempt {attempt} key {key:?}: {wait}ms vs base {base}ms"
            );
            assert_eq!(
                backoff(attempt, key),
                backoff(attempt, key),
                "deterministic"
            );
        }
    }
    assert_eq!(backoff(0, "k"), {
        let w = backoff(0, "k");
        assert!(w >= Duration::from_secs(4) && w <= Duration::from_secs(6));
        w
    });
    assert!(backoff(u32::MAX, "k") <= Duration::from_secs(720));
    // Different keys spread out.
    let waits: std::collections::BTreeSet<_> = (0..20)
        .map(|i| backoff(3, &format!("delivery-{i}")))
        .collect();
    assert!(waits.len() > 10, "{waits:?}");
}

#[test]
fn retry_delay_honours_retry_after_and_gives_up() {
    let retry = |after| Outcome::Retry {
        reason: "x".into(),
        after,
    };
    let wait = backoff(1, "k");
    assert_eq!(retry_delay(1, "k", &retry(None)), Some(wait));
    assert_eq!(
        retry_delay(1, "k", &retry(Some(Duration::from_secs(120)))),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        retry_delay(1, "k", &retry(Some(Duration::from_secs(1)))),
        Some(wait)
    );
    assert_eq!(
        retry_delay(1, "k", &retry(Some(Duration::from_secs(99_999)))),
        Some(MAX_RETRY_AFTER)
    );
    assert_eq!(retry_delay(MAX_ATTEMPTS, "k", &retry(None)), None);
    let delivered = Outcome::Delivered {
        detail: "ok".into(),
    };
    assert_eq!(retry_delay(1, "k", &delivered), None);
}

#[test]
fn signatures_verify_and_reject_tampering() {
    let body = br#"{"version":1}"#;
    let header = sign(b"whsec", 1_700_000_000, body);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), "sha256=".len() + 64);
    assert!(verify(b"whsec", 1_700_000_000, body, &header));
    assert!(!verify(b"other", 1_700_000_000, body, &header));
    assert!(!verify(b"whsec", 1_700_000_001, body, &header));
    assert!(!verify(b"whsec", 1_700_000_000, b"{}", &header));
    assert!(!verify(b"whsec", 1_700_000_000, body, "sha256=zz"));
    assert!(!verify(b"whsec", 1_700_000_000, body, ""));
    assert!(!verify(b"whsec", 1_700_000_000, body, &header[7..]));
    // Known answer, from `printf '1.body' | openssl dgst -sha256 -hmac key`.
    assert_eq!(
        sign(b"key", 1, b"body"),
        "sha256=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let destinations = [
        Destination::Webhook {
            url: "https://hooks.example/T0/secret-path?token=s3cr3t".into(),
            bearer: Some("bearer-s3cr3t".into()),
            secret: Some("hmac-s3cr3t".into()),
            headers: vec![("X-Api-Key".into(), "hdr-s3cr3t".into())],
        },
        Destination::Slack {
            url: "https://hooks.slack.com/services/T0/B0/s3cr3t".into(),
        },
        Destination::PagerDuty {
            url: "https://events.pagerduty.com/v2/enqueue".into(),
            routing_key: "rk-s3cr3t".into(),
        },
        Destination::Ntfy {
            server: "https://ntfy.sh".into(),
            topic: "ops".into(),
            token: Some("tk-s3cr3t".into()),
        },
        Destination::Pushover {
            url: "https://api.pushover.net/1/messages.json".into(),
            user: "u1".into(),
            token: "po-s3cr3t".into(),
        },
        Destination::Gateway {
            gateway: shipshape_notify::GatewayTemplate {
                url: "https://sms.example/send?key=s3cr3t".into(),
                method: "POST".into(),
                headers: vec![("Authorization".into(), "Basic s3cr3t".into())],
                body: String::new(),
                content_type: "text/plain".into(),
            },
            to: "+15550100".into(),
        },
    ];
    for destination in &destinations {
        let debug = format!("{destination:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }
    assert_eq!(destinations[1].host(), "hooks.slack.com");
    let smtp = SmtpSettings {
        host: "smtp.example".into(),
        port: 587,
        tls: SmtpTls::StartTls,
        username: Some("shipshape".into()),
        password: Some("pw-s3cr3t".into()),
        from: "shipshape@example.org".into(),
        extra_root_pem: None,
    };
    assert!(!format!("{smtp:?}").contains("s3cr3t"));
}

#[test]
fn kinds_have_labels() {
    let kinds = [
        (MessageKind::Trigger, "trigger", "FIRING"),
        (MessageKind::Acknowledged, "acknowledged", "ACKNOWLEDGED"),
        (MessageKind::Resolved, "resolved", "RESOLVED"),
        (MessageKind::Flapping, "flapping", "FLAPPING"),
        (MessageKind::Settled, "settled", "SETTLED"),
        (MessageKind::Test, "test", "TEST"),
    ];
    for (kind, name, label) in kinds {
        assert_eq!(kind.as_str(), name);
        assert_eq!(kind.label(), label);
    }
}
