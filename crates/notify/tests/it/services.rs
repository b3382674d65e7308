//! Slack, PagerDuty, ntfy, Pushover and gateway templates: the exact
//! requests each service receives.

use std::time::Duration;

use serde_json::json;
use shipshape_notify::{Destination, GatewayTemplate, MessageKind, Outcome, Severity};

use crate::support::{Answer, decode_word, message, recorder, sender};

#[tokio::test]
async fn slack_gets_escaped_blocks_with_link_buttons() {
    let server = recorder(|_| Answer::status(200).body("ok")).await;
    let mut m = message(MessageKind::Trigger);
    m.title = "benefits-api: <home> & away is down".into();
    let to = Destination::Slack {
        url: server.url("/services/T0/B0/s3cr3t"),
    };
    let outcome = sender(Duration::from_secs(5)).deliver(&m, &to).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let request = server.only();
    assert_eq!(request.path, "/services/T0/B0/s3cr3t");
    assert!(
        request
            .header("content-type")
            .starts_with("application/json")
    );
    assert_eq!(
        request.json(),
        json!({
            "text": ":rotating_light: FIRING #42 benefits-api: &lt;home&gt; &amp; away is down",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": ":rotating_light: *FIRING #42* benefits-api: &lt;home&gt; &amp; away is down\nHTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations",
                    },
                },
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": "Severity: critical · Service: benefits-api"}],
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "style": "danger",
                            "url": "https://status.example/ack/42?t=abc&sig=def",
                        },
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Open incident"},
                            "url": "https://status.example/incidents/42",
                        },
                    ],
                },
            ],
        })
    );
}

#[tokio::test]
async fn slack_refusal_names_the_host_only() {
    let server = recorder(|_| Answer::status(403).body("invalid_token")).await;
    let to = Destination::Slack {
        url: server.url("/services/T0/B0/s3cr3t"),
    };
    let outcome = sender(Duration::from_secs(5))
        .deliver(&message(MessageKind::Test), &to)
        .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: format!("HTTP 403 from {}: invalid_token", server.addr)
        }
    );
}

#[tokio::test]
async fn pagerduty_trigger_acknowledge_resolve_share_the_dedup_key() {
    let server = recorder(|_| {
        Answer::status(202).body(r#"{"status":"success","message":"Event processed"}"#)
    })
    .await;
    let to = Destination::PagerDuty {
        url: server.url("/v2/enqueue"),
        routing_key: "R0UT1NGKEY".into(),
    };
    let sender = sender(Duration::from_secs(5));
    for kind in [
        MessageKind::Trigger,
        MessageKind::Acknowledged,
        MessageKind::Resolved,
        MessageKind::Flapping,
    ] {
        let outcome = sender.deliver(&message(kind), &to).await;
        assert_eq!(
            outcome,
            Outcome::Delivered {
                detail: format!("HTTP 202 from {}", server.addr)
            }
        );
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.path == "/v2/enqueue"));
    assert_eq!(
        requests[0].json(),
        json!({
            "routing_key": "R0UT1NGKEY",
            "event_action": "trigger",
            "dedup_key": "shipshape-incident-42",
            "payload": {
                "summary": "benefits-api: home is down",
                "source": "shipshape",
                "severity": "critical",
                "timestamp": "2026-11-29T01:02:03Z",
                "group": "benefits-api",
                "custom_details": {
                    "detail": "HTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations",
                },
            },
            "links": [
                {"href": "https://status.example/incidents/42", "text": "Incident"},
                {"href": "https://status.example/ack/42?t=abc&sig=def", "text": "Acknowledge"},
            ],
            "client": "Shipshape",
            "client_url": "https://status.example/incidents/42",
        })
    );
    assert_eq!(
        requests[1].json(),
        json!({
            "routing_key": "R0UT1NGKEY",
            "event_action": "acknowledge",
            "dedup_key": "shipshape-incident-42",
        })
    );
    assert_eq!(
        requests[2].json(),
        json!({
            "routing_key": "R0UT1NGKEY",
            "event_action": "resolve",
            "dedup_key": "shipshape-incident-42",
        })
    );
    let flapping = requests[3].json();
    assert_eq!(flapping["event_action"], "trigger");
    assert_eq!(flapping["dedup_key"], "shipshape-incident-42");
    assert_eq!(
        flapping["payload"]["summary"],
        "FLAPPING: benefits-api: home is down"
    );
}

#[tokio::test]
async fn pagerduty_refusal_redacts_the_routing_key() {
    let server = recorder(|r| {
        let key = r.json()["routing_key"].as_str().unwrap_or_default().to_owned();
        Answer::status(400).body(format!(
            r#"{{"status":"invalid event","message":"Event object is invalid","errors":["bad routing key {key}"]}}"#
        ))
    })
    .await;
    let to = Destination::PagerDuty {
        url: server.url("/v2/enqueue"),
        routing_key: "R0UT1NGKEY".into(),
    };
    let outcome = sender(Duration::from_secs(5))
        .deliver(&message(MessageKind::Trigger), &to)
        .await;
    let Outcome::Rejected { reason } = outcome else {
        panic!("400 is rejected: {outcome:?}")
    };
    assert!(reason.starts_with("HTTP 400 from"), "{reason}");
    assert!(reason.contains("bad routing key ***"), "{reason}");
    assert!(!reason.contains("R0UT1NGKEY"), "{reason}");
}

#[tokio::test]
async fn ntfy_gets_title_priority_tags_click_and_ack_action() {
    let server = recorder(|_| Answer::status(200).body("{}")).await;
    let to = Destination::Ntfy {
        server: server.url("/"),
        topic: "ops-alerts".into(),
        token: Some("tk_s3cr3t".into()),
    };
    let sender = sender(Duration::from_secs(5));
    let outcome = sender.deliver(&message(MessageKind::Trigger), &to).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let request = server.only();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/ops-alerts");
    assert_eq!(
        request.header("title"),
        "FIRING #42 benefits-api: home is down"
    );
    assert_eq!(request.header("priority"), "5");
    assert_eq!(request.header("tags"), "rotating_light,critical");
    assert_eq!(
        request.header("click"),
        "https://status.example/incidents/42"
    );
    assert_eq!(
        request.header("actions"),
        "http, Acknowledge, https://status.example/ack/42?t=abc&sig=def, method=POST, clear=true"
    );
    assert_eq!(request.header("authorization"), "Bearer tk_s3cr3t");
    assert_eq!(
        request.text(),
        "HTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations"
    );

    // Good news is quiet, has no action; a non-ASCII title is encoded.
    let mut resolved = message(MessageKind::Resolved);
    resolved.title = "bénéfices: accueil rétabli".into();
    let to = Destination::Ntfy {
        server: server.url(""),
        topic: "ops-alerts".into(),
        token: None,
    };
    assert!(sender.deliver(&resolved, &to).await.is_delivered());
    let request = server.requests().pop().expect("second request");
    assert_eq!(request.path, "/ops-alerts");
    assert_eq!(request.header("priority"), "3");
    assert_eq!(request.header("tags"), "white_check_mark,critical");
    assert!(!request.has("actions"));
    assert!(!request.has("authorization"));
    assert_eq!(
        decode_word(request.header("title")),
        "RESOLVED #42 bénéfices: accueil rétabli"
    );
}

#[tokio::test]
async fn pushover_gets_a_form() {
    let server = recorder(|_| Answer::status(200).body(r#"{"status":1}"#)).await;
    let to = Destination::Pushover {
        url: server.url("/1/messages.json"),
        user: "uQiRzpo4DXghDmr9QzzfQu27cmVRsG".into(),
        token: "azGDORePK8gMaC0QOYAMyEEuzJnyUi".into(),
    };
    let outcome = sender(Duration::from_secs(5))
        .deliver(&message(MessageKind::Trigger), &to)
        .await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let request = server.only();
    assert_eq!(
        request.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    let form = request.form();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("field {name} missing"))
    };
    assert_eq!(field("token"), "azGDORePK8gMaC0QOYAMyEEuzJnyUi");
    assert_eq!(field("user"), "uQiRzpo4DXghDmr9QzzfQu27cmVRsG");
    assert_eq!(field("title"), "FIRING #42 benefits-api: home is down");
    assert_eq!(
        field("message"),
        "HTTP 503 from https://benefits.example/health\nconfirmed by 3 of 3 locations\n\n\
         Acknowledge: https://status.example/ack/42?t=abc&sig=def"
    );
    assert_eq!(field("url"), "https://status.example/incidents/42");
    assert_eq!(field("priority"), "1");
    assert_eq!(field("timestamp"), "1795914123");
}

fn gateway(url: String, body: &str, content_type: &str) -> GatewayTemplate {
    GatewayTemplate {
        url,
        method: "post".into(),
        headers: vec![
            ("X-Api-Key".into(), "key-{{key}}".into()),
            ("X-Kind".into(), "{{kind}}\r\nInjected: yes".into()),
        ],
        body: body.into(),
        content_type: content_type.into(),
    }
}

#[tokio::test]
async fn gateway_templates_substitute_and_escape_by_content_type() {
    let server = recorder(|_| Answer::status(201)).await;
    let sender = sender(Duration::from_secs(5));
    let mut m = message(MessageKind::Trigger);
    m.title = "db \"main\" {{to}} & <down>".into();
    let to_number = "+1 555 0100";
    let short =
        "FIRING #42 db \"main\" {{to}} & <down> Ack: https://status.example/ack/42?t=abc&sig=def";

    // JSON body.
    let to = Destination::Gateway {
        gateway: gateway(
            server.url("/sms/{{to}}?kind={{kind}}&id={{incident_id}}"),
            r#"{"to":"{{to}}","text":"{{message}}","title":"{{title}}","unknown":"{{nope}}"}"#,
            "application/json",
        ),
        to: to_number.into(),
    };
    let outcome = sender.deliver(&m, &to).await;
    assert!(outcome.is_delivered(), "{outcome:?}");
    let request = server.only();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/sms/%2B1%20555%200100");
    assert_eq!(request.query.as_deref(), Some("kind=trigger&id=42"));
    assert_eq!(request.header("x-api-key"), "key-delivery-trigger-7");
    assert_eq!(request.header("x-kind"), "trigger  Injected: yes");
    assert!(!request.has("injected"));
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(
        request.json(),
        json!({
            "to": "+1 555 0100",
            "text": short,
            "title": "db \"main\" {{to}} & <down>",
            "unknown": "{{nope}}",
        })
    );

    // Form body.
    let to = Destination::Gateway {
        gateway: gateway(
            server.url("/form"),
            "To={{to}}&Body={{message}}",
            "application/x-www-form-urlencoded",
        ),
        to: to_number.into(),
    };
    assert!(sender.deliver(&m, &to).await.is_delivered());
    let request = server.requests().pop().expect("form request");
    assert_eq!(
        request.form(),
        vec![
            ("To".to_owned(), to_number.to_owned()),
            ("Body".to_owned(), short.to_owned()),
        ]
    );

    // Raw body, GET without body.
    let to = Destination::Gateway {
        gateway: gateway(server.url("/raw"), "{{title}}|{{ack_url}}", "text/plain"),
        to: to_number.into(),
    };
    assert!(sender.deliver(&m, &to).await.is_delivered());
    let request = server.requests().pop().expect("raw request");
    assert_eq!(
        request.text(),
        "db \"main\" {{to}} & <down>|https://status.example/ack/42?t=abc&sig=def"
    );
    let mut voice = gateway(server.url("/call?to={{to}}&say={{message}}"), "", "");
    voice.method = "GET".into();
    let to = Destination::Gateway {
        gateway: voice,
        to: to_number.into(),
    };
    assert!(sender.deliver(&m, &to).await.is_delivered());
    let request = server.requests().pop().expect("voice request");
    assert_eq!(request.method, "GET");
    assert!(request.body.is_empty());
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    assert_eq!(
        query,
        vec![
            ("to".to_owned(), to_number.to_owned()),
            ("say".to_owned(), short.to_owned()),
        ]
    );
}

#[tokio::test]
async fn gateway_sms_text_fits_160_characters_and_keeps_the_ack_link() {
    let server = recorder(|_| Answer::status(200)).await;
    let mut m = message(MessageKind::Trigger);
    m.title = "very long title ".repeat(30);
    m.severity = Severity::Warning;
    let to = Destination::Gateway {
        gateway: GatewayTemplate {
            url: server.url("/sms"),
            method: "POST".into(),
            headers: Vec::new(),
            body: "{{message}}".into(),
            content_type: "text/plain".into(),
        },
        to: "+15550100".into(),
    };
    assert!(
        sender(Duration::from_secs(5))
            .deliver(&m, &to)
            .await
            .is_delivered()
    );
    let text = server.only().text();
    assert!(text.chars().count() <= 160, "{text}");
    assert!(text.starts_with("FIRING #42 very long title"), "{text}");
    assert!(
        text.ends_with("… Ack: https://status.example/ack/42?t=abc&sig=def"),
        "{text}"
    );
}

#[tokio::test]
async fn gateway_with_a_bad_method_is_rejected() {
    let to = Destination::Gateway {
        gateway: GatewayTemplate {
            url: "http://127.0.0.1:9/sms".into(),
            method: "SEND IT".into(),
            headers: Vec::new(),
            body: String::new(),
            content_type: String::new(),
        },
        to: "+15550100".into(),
    };
    let outcome = sender(Duration::from_secs(5))
        .deliver(&message(MessageKind::Trigger), &to)
        .await;
    assert_eq!(
        outcome,
        Outcome::Rejected {
            reason: "invalid gateway method `SEND IT`".into()
        }
    );
}
