//! Property tests: `parse` never panics on any string or token soup, errors
//! point inside the text, evaluation never panics on any JSON, and text
//! survives a round trip through a quoted literal.

use proptest::prelude::*;
use shipshape_expect::{Expectation, TestSubject, Value};

/// Pieces expectations are made of, right and wrong.
const TOKENS: &[&str] = &[
    "status",
    "response_time",
    "body",
    "body_size",
    "json",
    "header",
    "cert",
    "timing",
    "dns",
    "tls",
    "tcp",
    "datastore",
    "replication_lag",
    "expires_in",
    "content-type",
    "answers",
    "items",
    "id",
    "x",
    ".",
    "[",
    "]",
    "(",
    ")",
    ",",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "!",
    "in",
    "not",
    "contains",
    "matches",
    "starts_with",
    "ends_with",
    "exists",
    "and",
    "or",
    "true",
    "false",
    "null",
    "0",
    "3",
    "-1",
    "200",
    "2.5",
    "1.2.3",
    "800ms",
    "1.5s",
    "14d",
    "1h30m",
    "-2d",
    "10KiB",
    "1MB",
    "5sec",
    "99999999999999999999",
    "\"ok\"",
    "'json'",
    "\"v[0-9]+\"",
    "\"(\"",
    "\"\\u{e9}\"",
    "\"\\d+\"",
    "\"",
    "é",
    "\u{0}",
    "[0]",
    "[\"k\"]",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::bool::ANY), 0..14).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(t, space)| if space { format!("{t} ") } else { t.to_owned() })
                .collect()
        },
    )
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-z0-9 ]{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-c]{1,2}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON path below `json`, such as `.a[0]["b"]`.
fn arb_path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "[a-c]{1,2}".prop_map(|k| format!(".{k}")),
        (0usize..4).prop_map(|i| format!("[{i}]")),
        "[a-c]{1,2}".prop_map(|k| format!("[\"{k}\"]")),
    ];
    prop::collection::vec(segment, 0..4).prop_map(|s| s.concat())
}

/// A test of a JSON field that parses, whatever the field holds.
fn arb_json_test() -> impl Strategy<Value = String> {
    let op = prop::sample::select(
        &[
            "==",
            "!=",
            "<",
            ">=",
            "in",
            "not in",
            "contains",
            "not contains",
            "matches",
            "starts_with",
            "ends_with",
            "exists",
            "not exists",
        ][..],
    );
    let literal = prop::sample::select(
        &[
            "1",
            "-2.5",
            "\"a\"",
            "true",
            "null",
            "3s",
            "1KB",
            "[1, \"a\", null]",
            "\"^a\"",
        ][..],
    );
    (arb_path(), op, literal).prop_map(|(path, op, literal)| {
        let literal = match op {
            "in" | "not in" => "[1, \"a\", null, 2.5]",
            "matches" | "starts_with" | "ends_with" => "\"a\"",
            "<" | ">=" if !["1", "-2.5", "3s", "1KB"].contains(&literal) => "1",
            "exists" | "not exists" => "",
            _ if literal.starts_with('[') && op != "==" && op != "!=" => "\"a\"",
            _ => literal,
        };
        format!("json{path} {op} {literal}")
    })
}

/// A whole expectation that parses: tests combined with `and`, `or`, `not`
/// and parentheses.
fn arb_expectation() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        arb_json_test(),
        prop::sample::select(
            &[
                "status == 200",
                "status in [200, 204]",
                "response_time < 800ms",
                "body contains \"Apply\"",
                "body matches \"v[0-9]+\"",
                "header.content-type contains \"json\"",
                "cert.expires_in > 14d",
                "dns.answers contains \"10.0.0.1\"",
                "body_size <= 1MB",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not ({a})")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn check_error_column(src: &str, result: &Result<Expectation, shipshape_expect::ParseError>) {
    if let Err(e) = result {
        assert!(
            e.column >= 1 && e.column <= src.chars().count() + 1,
            "{src:?}: {e}"
        );
        assert!(!e.message.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_any_string(src in any::<String>()) {
        let result = Expectation::parse(&src);
        check_error_column(&src, &result);
    }

    #[test]
    fn parse_never_panics_on_token_soup(src in soup(), doc in arb_json()) {
        let result = Expectation::parse(&src);
        check_error_column(&src, &result);
        if let Ok(expectation) = result {
            prop_assert_eq!(expectation.as_str(), src.as_str());
            let subject = TestSubject::new()
                .with("status", 200)
                .with("body", "ok")
                .with("header.content-type", "json")
                .with_json(doc);
            let _ = expectation.evaluate(&subject);
            let _ = expectation.evaluate(&TestSubject::new());
        }
    }

    #[test]
    fn evaluation_never_panics_on_any_json(doc in arb_json(), test in arb_json_test()) {
        let expectation = Expectation::parse(&test);
        prop_assert!(expectation.is_ok(), "{test}: {:?}", expectation.err());
        if let Ok(expectation) = expectation {
            let verdict = expectation.evaluate(&TestSubject::new().with_json(doc));
            prop_assert!(verdict.detail.starts_with(&format!("{}: ", test.trim_end())), "{}", verdict.detail);
        }
    }

    #[test]
    fn combined_expectations_parse_and_evaluate(src in arb_expectation(), doc in arb_json(), body in ".{0,200}") {
        let expectation = Expectation::parse(&src);
        prop_assert!(expectation.is_ok(), "{src}: {:?}", expectation.err());
        if let Ok(expectation) = expectation {
            let subject = TestSubject::new()
                .with("status", 204)
                .with("response_time", shipshape_expect::SignedDuration::from_millis(90))
                .with("dns.answers", vec![Value::from("10.0.0.1")])
                .with("body", body)
                .with_json(doc);
            let verdict = expectation.evaluate(&subject);
            prop_assert!(!verdict.detail.is_empty());
        }
    }

    #[test]
    fn exactly_one_of_exists_and_not_exists_holds(doc in arb_json(), path in arb_path()) {
        let subject = TestSubject::new().with_json(doc);
        let verdict = |src: String| Expectation::parse(&src).map(|e| e.evaluate(&subject).passed);
        let exists = verdict(format!("json{path} exists"));
        let missing = verdict(format!("json{path} not exists"));
        prop_assert!(matches!((exists, missing), (Ok(a), Ok(b)) if a != b));
    }

    #[test]
    fn any_text_round_trips_through_a_quoted_literal(text in any::<String>()) {
        let src = format!("tcp.received == {}", Value::from(text.as_str()));
        let parsed = Expectation::parse(&src);
        prop_assert!(parsed.is_ok(), "{src}: {:?}", parsed.err());
        if let Ok(expectation) = parsed {
            let verdict = expectation.evaluate(&TestSubject::new().with("tcp.received", text));
            prop_assert!(verdict.passed, "{}", verdict.detail);
        }
    }
}
