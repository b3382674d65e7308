//! The generic webhook (exact body, headers, signature) and how HTTP
//! answers, refusals, hangs and dead ports become outcomes.

use std::time::{Duration, Instant};

use serde_json::json;
use shipshape_notify::{Destination, MessageKind, Outcome, verify};

use crate::support::{Answer, closed_port, hanging_server, message, recorder, sender};

fn webhook(url: String) -> Destination {
    Destination::Webhook {
        url,
        bearer: None,
        secret: None,
        headers: Vec::new(),
    }
}

#[tokio::test]
async fn webhook_posts_signed_json_with_idempotency_headers() {
    let server = recorder(|_| Answer::status(200)).await;
    let to = Destination::Webhook {
        url: server.url("/hooks/abc?token=s3cr3t"),
        bearer: Some("tok-123".into()),
        secret: Some("whsec-1".into()),
        headers: vec![
            ("X-Team".into(), "ops".into()),
            ("Content-Type".into(), "text/plain".into()),
            ("X-Shipshape-Delivery".into(), "forged".into()),
        ],
    };
    let m = message(MessageKind::Trigger);
    let before = jiff::Timestamp::now().as_second();
    let outcome = sender(Duration::from_secs(5)).deliver(&m, &to).await;
    assert_eq!(
        outcome,
        Outcome::Delivered {
            detail: format!("HTTP 200 from {}", server.addr)
        }
    );

    let request = server.only();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/abc");
    assert_eq!(request.query.as_deref(), Some("token=s3cr3t"));
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("x-shipshape-delivery"), m.key);
    assert_eq!(request.header("idempotency-key"), m.key);
    assert_eq!(request.header("authorization"), "Bearer tok-123");
    assert_eq!(request.header("x-team"), "ops");
    assert!(request.header("user-agent").starts_with("Shipshape/"));
    let timestamp: i64 = request
        .header("x-shipshape-timestamp")
        .parse()
        .expect("unix seconds");
    assert!(timestamp >= before && timestamp <= before + 60);
    let signature = request.header("x-shipshape-signature");
    assert!(verify(b"whsec-1", timestamp, &request.body, signature));
    assert!(!verify(b"whsec-2", timestamp, &request.body, signature));
    assert!(!verify(b"whsec-1", timestamp + 1, &request.body, signature));

    assert_eq!(
        request.json(),
        json!({
            "version": 1,
            "delivery": "delivery-trigger-7",
            "kind": "trigger",
            "incident": {
                "id": 42,
                "dedup_key": "shipshape-incident-42",
                "title": "benefits-api: home is down",
                "severity": "critical",
                "service": "benefits-api",
                "url": "https://status.example/incidents/42",
            },
            "detail": "HTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations",
            "ack_url": "https://status.example/ack/42?t=abc&sig=def",
            "at": "2026-11-29T01:02:03Z",
        })
    );
}

#[tokio::test]
async fn webhook_without_secret_or_bearer_sends_nulls_for_missing_fields() {
    let server = recorder(|_| Answer::status(204)).await;
    let mut m = message(MessageKind::Resolved);
    m.incident_id = None;
    m.service = None;
    m.incident_url = None;
    let outcome = sender(Duration::from_secs(5))
        .deliver(&m, &webhook(server.url("/")))
        .await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let request = server.only();
    assert!(!request.has("x-shipshape-signature"));
    assert!(!request.has("authorization"));
    let body = request.json();
    assert_eq!(body["kind"], "resolved");
    assert_eq!(body["ack_url"], serde_json::Value::Null);
    assert_eq!(body["incident"]["id"], serde_json::Value::Null);
    assert_eq!(body["incident"]["service"], serde_json::Value::Null);
}

#[tokio::test]
async fn statuses_are_classified() {
    let server = recorder(|r| match r.path.as_str() {
        "/ok" => Answer::status(200).body("ok"),
        "/accepted" => Answer::status(202),
        "/bad" => Answer::status(400).body(format!(
            "invalid payload\n\tfor token s3cr3t {}",
            "x".repeat(400)
        )),
        "/gone" => Answer::status(404).body("no_service"),
        "/slow-down" => Answer::status(429).header("retry-after", "30"),
        "/too-long" => Answer::status(429).header("retry-after", "86400"),
        "/date" => {
            let when = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
            let date = jiff::fmt::rfc2822::DateTimePrinter::new()
                .timestamp_to_rfc9110_string(&when)
                .expect("http date");
            Answer::status(503).header("retry-after", date)
        }
        "/down" => Answer::status(503).body("maintenance"),
        "/timeout" => Answer::status(408),
        "/early" => Answer::status(425),
        "/moved" => Answer::status(301).header("location", "http://elsewhere.example/"),
        _ => Answer::status(500),
    })
    .await;
    let sender = sender(Duration::from_secs(5));
    let m = message(MessageKind::Trigger);
    let host = server.addr.to_string();
    let deliver = |path: &str| {
        let to = webhook(server.url(&format!("{path}?token=s3cr3t")));
        let sender = &sender;
        let m = &m;
        async move { sender.deliver(m, &to).await }
    };

    assert_eq!(
        deliver("/ok").await,
        Outcome::Delivered {
            detail: format!("HTTP 200 from {host}")
        }
    );
    assert_eq!(
        deliver("/accepted").await,
        Outcome::Delivered {
            detail: format!("HTTP 202 from {host}")
        }
    );

    let Outcome::Rejected { reason } = deliver("/bad").await else {
        panic!("400 is rejected")
    };
    assert!(
        reason.starts_with(&format!(
            "HTTP 400 from {host}: invalid payload for token *** xxx"
        )),
        "{reason}"
    );
    assert!(!reason.contains("s3cr3t"), "{reason}");
    assert!(reason.chars().count() <= 200 + 40, "{reason}");

    assert_eq!(
        deliver("/gone").await,
        Outcome::Rejected {
            reason: format!("HTTP 404 from {host}: no_service")
        }
    );
    assert_eq!(
        deliver("/slow-down").await,
        Outcome::Retry {
            reason: format!("HTTP 429 from {host}"),
            after: Some(Duration::from_secs(30))
        }
    );
    assert_eq!(
        deliver("/too-long").await,
        Outcome::Retry {
            reason: format!("HTTP 429 from {host}"),
            after: Some(Duration::from_secs(3600))
        }
    );
    let Outcome::Retry {
        after: Some(after), ..
    } = deliver("/date").await
    else {
        panic!("503 with a date is retried after it")
    };
    assert!(
        after >= Duration::from_secs(115) && after <= Duration::from_secs(120),
        "{after:?}"
    );
    assert_eq!(
        deliver("/down").await,
        Outcome::Retry {
            reason: format!("HTTP 503 from {host}: maintenance"),
            after: None
        }
    );
    assert!(deliver("/timeout").await.is_retry());
    assert!(deliver("/early").await.is_retry());
    assert!(deliver("/other").await.is_retry());
    let moved = deliver("/moved").await;
    assert!(moved.is_rejected(), "{moved:?}");
    assert!(moved.text().contains("redirects are not followed"));
    assert!(!moved.text().contains("elsewhere"));
    // The recorder saw every attempt once: no redirect was followed.
    assert_eq!(server.requests().len(), 12);
}

#[tokio::test]
async fn hanging_server_is_retried_within_the_timeout() {
    let addr = hanging_server().await;
    let sender = sender(Duration::from_millis(500));
    let m = message(MessageKind::Trigger);
    let started = Instant::now();
    let outcome = sender
        .deliver(&m, &webhook(format!("http://{addr}/hooks/s3cr3t")))
        .await;
    let took = started.elapsed();
    assert_eq!(
        outcome,
        Outcome::Retry {
            reason: format!("timed out after 500ms ({addr})"),
            after: None
        }
    );
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_hanging_destination_does_not_hold_up_another() {
    let hang = hanging_server().await;
    let server = recorder(|_| Answer::status(200)).await;
    let sender = sender(Duration::from_millis(800));
    let m = message(MessageKind::Trigger);
    let slow_to = webhook(format!("http://{hang}/"));
    let fast_to = webhook(server.url("/"));
    let started = Instant::now();
    let timed = |to| {
        let (sender, m) = (&sender, &m);
        async move {
            let outcome = sender.deliver(m, to).await;
            (outcome, started.elapsed())
        }
    };
    let ((slow, slow_took), (fast, fast_took)) = tokio::join!(timed(&slow_to), timed(&fast_to));
    assert!(slow.is_retry(), "{slow:?}");
    assert!(fast.is_delivered(), "{fast:?}");
    assert!(slow_took >= Duration::from_millis(750), "{slow_took:?}");
    assert!(fast_took < Duration::from_millis(500), "{fast_took:?}");
}

#[tokio::test]
async fn connection_errors_are_retried_and_name_the_host_only() {
    let addr = closed_port().await;
    let outcome = sender(Duration::from_secs(5))
        .deliver(
            &message(MessageKind::Trigger),
            &webhook(format!("http://{addr}/services/T0/B0/s3cr3t")),
        )
        .await;
    let Outcome::Retry { reason, after } = outcome else {
        panic!("a refused connection is retried: {outcome:?}")
    };
    assert!(after.is_none());
    assert!(reason.contains(&addr.to_string()), "{reason}");
    assert!(!reason.contains("s3cr3t"), "{reason}");
    assert!(!reason.contains("/services"), "{reason}");
}

#[tokio::test]
async fn bad_configuration_is_rejected_without_echoing_secrets() {
    let sender = sender(Duration::from_secs(5));
    let m = message(MessageKind::Trigger);
    for (to, expected) in [
        (webhook("not a url s3cr3t".into()), "invalid URL"),
        (
            webhook("ftp://files.example/s3cr3t".into()),
            "unsupported URL scheme `ftp` (http or https)",
        ),
        (
            Destination::Webhook {
                url: "http://127.0.0.1:9/".into(),
                bearer: Some("line\nbreak s3cr3t".into()),
                secret: None,
                headers: Vec::new(),
            },
            "the bearer token holds characters not allowed in a header",
        ),
        (
            Destination::Webhook {
                url: "http://127.0.0.1:9/".into(),
                bearer: None,
                secret: None,
                headers: vec![("bad header".into(), "s3cr3t".into())],
            },
            "invalid header name `bad header`",
        ),
        (
            Destination::Email {
                to: "oncall@example.org".into(),
            },
            "no [smtp] server configured",
        ),
    ] {
        assert_eq!(
            sender.deliver(&m, &to).await,
            Outcome::Rejected {
                reason: expected.into()
            }
        );
    }
}

#[tokio::test]
async fn odd_input_never_panics() {
    let server = recorder(|_| Answer::status(200)).await;
    let sender = sender(Duration::from_secs(5));
    let mut m = message(MessageKind::Flapping);
    m.key = "key with spaces\r\nand <brackets> ünïcode".into();
    m.title = "\u{0}\u{1b}[31m<b>\"quoted\"</b>\n\n".repeat(50);
    m.detail = "é".repeat(10_000);
    m.dedup_key = String::new();
    m.ack_url = Some("javascript:alert(1)".into());
    m.incident_url = Some(String::new());
    m.incident_id = Some(i64::MIN);
    m.service = Some("\n".into());
    let outcome = sender.deliver(&m, &webhook(server.url("/"))).await;
    assert!(
        outcome.is_rejected() || outcome.is_delivered(),
        "{outcome:?}"
    );
    for to in [
        Destination::Slack {
            url: server.url("/slack"),
        },
        Destination::PagerDuty {
            url: server.url("/pd"),
            routing_key: "rk".into(),
        },
        Destination::Ntfy {
            server: server.url(""),
            topic: "ops".into(),
            token: None,
        },
        Destination::Pushover {
            url: server.url("/po"),
            user: "u".into(),
            token: "t".into(),
        },
    ] {
        let outcome = sender.deliver(&m, &to).await;
        assert!(outcome.is_delivered(), "{to:?}: {outcome:?}");
    }
}
