//! Tests of `shipshape_alert::silence`: matchers, recurring windows across
//! daylight saving time, and silences.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Time, Weekday};
use proptest::prelude::*;
use shipshape_alert::silence::{
    MatchOp, Matcher, Recurrence, Silence, Weekdays, Window, format_matchers, parse_matchers,
    parse_recurrence, silenced_by,
};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn matchers(text: &str) -> Vec<Matcher> {
    parse_matchers(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn recurrence(text: &str) -> Recurrence {
    parse_recurrence(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

// ---------------------------------------------------------------- matchers

#[test]
fn parses_alertmanager_matchers() {
    let m =
        matchers(r#"{service="benefits-api", severity=~"warning|info", env!="dev", team!~"x.*"}"#);
    let got: Vec<(&str, MatchOp, &str)> = m.iter().map(|m| (m.name(), m.op(), m.value())).collect();
    assert_eq!(
        got,
        vec![
            ("service", MatchOp::Equal, "benefits-api"),
            ("severity", MatchOp::Regex, "warning|info"),
            ("env", MatchOp::NotEqual, "dev"),
            ("team", MatchOp::NotRegex, "x.*"),
        ]
    );
    // Braces optional, unquoted values, spaces, a trailing comma.
    assert_eq!(
        matchers(r#"service = benefits-api,severity=~warning|info , env!="dev",team!~x.*,"#),
        m
    );
    assert_eq!(matchers("  { a = b , }  "), matchers(r#"a="b""#));
    // Escapes.
    let e = matchers(r#"msg="say \"hi\" \\ now\n""#);
    assert_eq!(e[0].value(), "say \"hi\" \\ now\n");
    assert_eq!(matchers(r#"a="""#)[0].value(), "");
}

#[test]
fn matching_is_like_alertmanager() {
    let m =
        matchers(r#"service="benefits-api", severity=~"warning|info", env!="dev", team!~"x.*""#);
    let all = |l: &BTreeMap<String, String>| m.iter().all(|m| m.matches(l));
    assert!(all(&labels(&[
        ("service", "benefits-api"),
        ("severity", "info")
    ])));
    assert!(all(&labels(&[
        ("service", "benefits-api"),
        ("severity", "warning"),
        ("env", "prod"),
        ("team", "payments"),
    ])));
    assert!(!all(&labels(&[
        ("service", "benefits-api"),
        ("severity", "critical")
    ])));
    assert!(!all(&labels(&[
        ("service", "benefits-api"),
        ("severity", "info"),
        ("env", "dev")
    ])));
    assert!(!all(&labels(&[
        ("service", "benefits-api"),
        ("severity", "info"),
        ("team", "xray")
    ])));
    assert!(!all(&labels(&[("severity", "info")])));

    // Regexes are fully anchored.
    let prod = &matchers(r#"env=~"prod""#)[0];
    assert!(prod.matches(&labels(&[("env", "prod")])));
    assert!(!prod.matches(&labels(&[("env", "preprod")])));
    assert!(!prod.matches(&labels(&[("env", "production")])));
    // ... and cannot be escaped from.
    assert!(parse_matchers(r#"env=~"a)|(b""#).is_err());

    // A missing label is the empty string.
    let empty = labels(&[]);
    assert!(matchers(r#"env!="prod""#)[0].matches(&empty));
    assert!(matchers(r#"env="""#)[0].matches(&empty));
    assert!(matchers(r#"env=~"|dev""#)[0].matches(&empty));
    assert!(!matchers(r#"env=~".+""#)[0].matches(&empty));
    assert!(!matchers(r#"env="""#)[0].matches(&labels(&[("env", "prod")])));
}

#[test]
fn matchers_round_trip_through_display() {
    let text = r#"{service="benefits-api", severity=~"warning|info", env!="dev", team!~"x.*", msg="a \"b\" \\ c\nd"}"#;
    let m = matchers(text);
    assert_eq!(format_matchers(&m), text);
    assert_eq!(m[0].to_string(), r#"service="benefits-api""#);
    assert_eq!(m[3].to_string(), r#"team!~"x.*""#);
    assert_eq!(matchers(&format_matchers(&m)), m);
    assert_eq!(matchers("a=b")[0].to_string(), r#"a="b""#);
}

#[test]
fn matcher_errors_have_columns() {
    let cases = [
        ("", 1, "expected at least one matcher, e.g. service=\"api\""),
        (
            "{}",
            1,
            "expected at least one matcher, e.g. service=\"api\"",
        ),
        (r#"{foo="bar""#, 11, "expected ',' or '}', found the end"),
        (
            "foo",
            4,
            "expected one of = != =~ !~ after label name \"foo\", found the end",
        ),
        (
            "foo<3",
            4,
            "expected one of = != =~ !~ after label name \"foo\", found '<'",
        ),
        (
            "foo=",
            5,
            "expected a value: a \"quoted string\" or a plain word, found the end",
        ),
        (
            r#"a="b", 1foo="x""#,
            8,
            "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*), found '1'",
        ),
        (
            r#"foo="bar"#,
            5,
            "unterminated string: expected a closing '\"'",
        ),
        (
            r#"a="b" c="d""#,
            7,
            "expected ',' after a matcher, found 'c'",
        ),
        (
            r#"{a="b" c="d"}"#,
            8,
            "expected ',' or '}' after a matcher, found 'c'",
        ),
        (
            r#"foo="\x""#,
            7,
            "expected an escape: \\\" \\\\ \\n or \\t after '\\', found 'x'",
        ),
        (
            r#"a="b"}"#,
            6,
            "unexpected '}' without an opening '{', found '}'",
        ),
        (r#"{a="b"} x"#, 9, "expected nothing after '}', found 'x'"),
        (
            r#"{é="x"}"#,
            2,
            "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*), found 'é'",
        ),
        (
            "{a=\"é\", b==c}",
            11,
            "expected a value: a \"quoted string\" or a plain word, found '='",
        ),
    ];
    for (text, column, message) in cases {
        let e = parse_matchers(text).expect_err(text);
        assert_eq!((e.column, e.message.as_str()), (column, message), "{text}");
        assert_eq!(e.to_string(), format!("column {column}: {message}"));
    }
    let e = parse_matchers(r#"a="b", foo=~"(""#).unwrap_err();
    assert_eq!(e.column, 13);
    assert!(e.message.starts_with("invalid regular expression: "), "{e}");
}

// ------------------------------------------------------------- recurrences

#[test]
fn parses_recurrences() {
    let sun = [Weekday::Sunday].into_iter().collect::<Weekdays>();
    let r = recurrence("Sundays 02:00-04:00 America/New_York");
    assert_eq!(r.days, sun);
    assert_eq!(
        (r.start, r.end),
        (Time::constant(2, 0, 0, 0), Time::constant(4, 0, 0, 0))
    );
    assert_eq!(r.tz.iana_name(), Some("America/New_York"));
    assert_eq!(r.to_string(), "Sun 02:00-04:00 America/New_York");

    let r = recurrence("Sun 02:00\u{2013}04:00 Europe/Berlin");
    assert_eq!(r.days, sun);
    assert_eq!(r.tz.iana_name(), Some("Europe/Berlin"));

    let r = recurrence("Mon-Fri 22:00-06:00 UTC");
    assert_eq!(r.days.iter().count(), 5);
    assert!(!r.days.contains(Weekday::Saturday));
    assert_eq!(r.to_string(), "Mon-Fri 22:00-06:00 UTC");

    let r = recurrence("daily 03:00-03:30 UTC");
    assert_eq!(r.days, Weekdays::ALL);
    assert_eq!(r.to_string(), "daily 03:00-03:30 UTC");

    let r = recurrence("Sat,Sun 00:00-24:00 UTC");
    assert_eq!((r.start, r.end), (Time::midnight(), Time::midnight()));
    assert_eq!(r.to_string(), "Sat,Sun 00:00-24:00 UTC");

    // Wrapping ranges, spaces, case, long and plural names, H:MM.
    let r = recurrence("  fri - MON ,  Wednesdays   9:00 - 17:30   Europe/Berlin ");
    assert_eq!(
        r.days.iter().collect::<Vec<_>>(),
        vec![
            Weekday::Monday,
            Weekday::Wednesday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday
        ]
    );
    assert_eq!(r.to_string(), "Mon,Wed,Fri-Sun 09:00-17:30 Europe/Berlin");
    assert_eq!(
        recurrence("weekdays 09:00-17:00 UTC").days,
        recurrence("Mon-Fri 09:00-17:00 UTC").days
    );
    assert_eq!(
        recurrence("weekends 09:00-17:00 UTC").days,
        recurrence("Sat,Sun 09:00-17:00 UTC").days
    );
    assert_eq!(
        recurrence("Tues,Thurs 09:00-17:00 UTC").days.iter().count(),
        2
    );
    assert_eq!(recurrence("every day 09:00-17:00 UTC").days, Weekdays::ALL);

    for text in [
        "Sun 02:00-04:00 America/New_York",
        "Mon,Tue 22:00-06:00 UTC",
        "Mon-Fri 00:00-24:00 Europe/Berlin",
        "daily 23:59-00:01 Asia/Kolkata",
    ] {
        assert_eq!(recurrence(text).to_string(), text);
        assert_eq!(text.parse::<Recurrence>().unwrap(), recurrence(text));
    }
}

#[test]
fn recurrence_errors_say_what_is_wrong() {
    let cases = [
        (
            "",
            "empty; expected days, times and a time zone, e.g. \"Sundays 02:00-04:00 UTC\"",
        ),
        (
            "Sun 02:00-04:00",
            "missing time zone after \"02:00-04:00\", e.g. \"UTC\" or \"Europe/Berlin\"",
        ),
        (
            "Sun 02:00-04:00 Mars/Olympus",
            "unknown time zone \"Mars/Olympus\" (expected an IANA name such as \"Europe/Berlin\", or \"UTC\")",
        ),
        (
            "Funday 02:00-04:00 UTC",
            "\"funday\" is not a day of the week (expected e.g. \"Mon\", \"Monday\" or \"Mondays\")",
        ),
        (
            "Su 02:00-04:00 UTC",
            "\"su\" is not a day of the week (expected e.g. \"Mon\", \"Monday\" or \"Mondays\")",
        ),
        (
            "02:00-04:00 UTC",
            "missing days before the times; expected e.g. \"daily\", \"Mon-Fri\" or \"Sundays\"",
        ),
        (
            "Sat,,Sun 02:00-04:00 UTC",
            "days \"Sat,,Sun\": empty item between commas",
        ),
        (
            "Sun UTC",
            "missing times in \"Sun UTC\"; expected START-END such as \"02:00-04:00\"",
        ),
        (
            "Sun 02:00 UTC",
            "times \"02:00\": expected START-END such as \"02:00-04:00\"",
        ),
        (
            "Sun 2-4 UTC",
            "\"2\" is not a time of day; expected HH:MM from 00:00 to 23:59",
        ),
        (
            "Sun 25:00-04:00 UTC",
            "\"25:00\" is not a time of day; expected HH:MM from 00:00 to 23:59",
        ),
        (
            "Sun 24:00-04:00 UTC",
            "\"24:00\" is not a time of day; expected HH:MM from 00:00 to 23:59",
        ),
        (
            "Sun 02:00-04:60 UTC",
            "\"04:60\" is not a time of day; expected HH:MM from 00:00 to 24:00",
        ),
        (
            "Sun 02:00-4:5 UTC",
            "\"4:5\" is not a time of day; expected HH:MM from 00:00 to 24:00",
        ),
    ];
    for (text, want) in cases {
        let e = parse_recurrence(text).expect_err(text);
        assert_eq!(e.to_string(), want, "{text}");
    }
}

// ------------------------------------------------------------------ windows

fn window(text: &str) -> Window {
    Window::Recurring(recurrence(text))
}

/// Checks that `w` is active exactly on `[start, end)` around those instants
/// and that `next_change_after` walks the edges.
fn assert_occurrence(w: &Window, start: &str, end: &str) {
    let (start, end) = (ts(start), ts(end));
    let second = jiff::SignedDuration::from_secs(1);
    let before = start.checked_sub(second).unwrap();
    assert!(!w.contains(before), "active just before {start}");
    assert!(w.contains(start), "inactive at {start}");
    assert!(
        w.contains(end.checked_sub(second).unwrap()),
        "inactive just before {end}"
    );
    assert!(!w.contains(end), "active at {end}");
    assert_eq!(w.next_change_after(before), Some(start));
    assert_eq!(w.next_change_after(start), Some(end));
}

#[test]
fn new_york_spring_forward_covers_what_exists() {
    // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT (07:00Z).
    let w = window("Sundays 02:00-04:00 America/New_York");
    assert_occurrence(&w, "2026-03-01T07:00:00Z", "2026-03-01T09:00:00Z");
    // 03:00-04:00 EDT: the existing part.
    assert_occurrence(&w, "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z");
    assert_occurrence(&w, "2026-03-15T06:00:00Z", "2026-03-15T08:00:00Z");
    assert_eq!(
        w.next_change_after(ts("2026-03-01T09:00:00Z")),
        Some(ts("2026-03-08T07:00:00Z"))
    );

    // A window inside the skipped hour does not happen that day.
    let w = window("Sun 02:15-02:45 America/New_York");
    assert!(!w.contains(ts("2026-03-08T07:00:00Z")));
    assert_eq!(
        w.next_change_after(ts("2026-03-02T00:00:00Z")),
        Some(ts("2026-03-15T06:15:00Z"))
    );
    // A window ending in the skipped hour ends at the jump.
    let w = window("Sun 01:00-02:30 America/New_York");
    assert_occurrence(&w, "2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z");
}

#[test]
fn new_york_fall_back_covers_both_repetitions() {
    // 2026-11-01: clocks fall back from 02:00 EDT to 01:00 EST (06:00Z).
    let w = window("Sun 01:00-02:00 America/New_York");
    // From 01:00 EDT (05:00Z) to 02:00 EST (07:00Z): two hours.
    assert_occurrence(&w, "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z");
    assert!(w.contains(ts("2026-11-01T05:30:00Z"))); // 01:30 EDT
    assert!(w.contains(ts("2026-11-01T06:30:00Z"))); // 01:30 EST
    assert_occurrence(&w, "2026-11-08T06:00:00Z", "2026-11-08T07:00:00Z");

    let w = window("Sundays 02:00-04:00 America/New_York");
    assert_occurrence(&w, "2026-11-01T07:00:00Z", "2026-11-01T09:00:00Z");
}

#[test]
fn berlin_changes() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z.
    let w = window("Sun 02:00\u{2013}04:00 Europe/Berlin");
    assert_occurrence(&w, "2026-03-22T01:00:00Z", "2026-03-22T03:00:00Z");
    assert_occurrence(&w, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
    assert_occurrence(&w, "2026-04-05T00:00:00Z", "2026-04-05T02:00:00Z");
    // 2026-10-25 (Europe falls back in October): 03:00 CEST is 02:00 CET
    // again at 01:00Z; 02:00-03:00 covers both repetitions.
    let w = window("Sun 02:00-03:00 Europe/Berlin");
    assert_occurrence(&w, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z");
    assert_occurrence(&w, "2026-11-01T01:00:00Z", "2026-11-01T02:00:00Z");
    // A daily night window across the November change keeps its wall time.
    let w = window("daily 22:00-06:00 Europe/Berlin");
    assert_occurrence(&w, "2026-11-01T21:00:00Z", "2026-11-02T05:00:00Z");
}

#[test]
fn midnight_crossing_windows_belong_to_their_start_day() {
    // 2026-03-06 is a Friday.
    let w = window("Mon-Fri 22:00-06:00 UTC");
    assert_occurrence(&w, "2026-03-06T22:00:00Z", "2026-03-07T06:00:00Z");
    assert!(!w.contains(ts("2026-03-07T23:00:00Z"))); // Saturday night
    assert!(!w.contains(ts("2026-03-09T05:00:00Z"))); // Sunday night
    assert_occurrence(&w, "2026-03-09T22:00:00Z", "2026-03-10T06:00:00Z");
    assert_eq!(
        w.next_change_after(ts("2026-03-07T06:00:00Z")),
        Some(ts("2026-03-09T22:00:00Z"))
    );

    // Across the spring-forward night in New York: 22:00 EST to 06:00 EDT.
    let w = window("Sat 22:00-06:00 America/New_York");
    assert_occurrence(&w, "2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z");

    // Whole days, merged when adjacent.
    let w = window("Sat,Sun 00:00-24:00 UTC");
    assert_occurrence(&w, "2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z");
    assert!(w.contains(ts("2026-03-08T00:00:00Z")));
    assert_eq!(
        w.next_change_after(ts("2026-03-07T12:00:00Z")),
        Some(ts("2026-03-09T00:00:00Z"))
    );
    let always = window("daily 00:00-24:00 Europe/Berlin");
    for at in [
        "2026-03-29T01:30:00Z",
        "2026-10-25T00:30:00Z",
        "2026-07-01T12:00:00Z",
    ] {
        assert!(always.contains(ts(at)), "{at}");
        assert_eq!(always.next_change_after(ts(at)), None);
    }
}

#[test]
fn once_windows() {
    let w = Window::Once {
        starts: ts("2026-03-08T10:00:00Z"),
        ends: ts("2026-03-08T12:00:00Z"),
    };
    assert_occurrence(&w, "2026-03-08T10:00:00Z", "2026-03-08T12:00:00Z");
    assert_eq!(w.next_change_after(ts("2026-03-08T12:00:00Z")), None);
    let backwards = Window::Once {
        starts: ts("2026-03-08T12:00:00Z"),
        ends: ts("2026-03-08T10:00:00Z"),
    };
    assert!(!backwards.contains(ts("2026-03-08T11:00:00Z")));
    assert_eq!(
        backwards.next_change_after(ts("2026-03-08T00:00:00Z")),
        None
    );
}

#[test]
fn extreme_instants_do_not_panic() {
    for text in [
        "daily 00:00-24:00 Pacific/Apia",
        "Sun 02:00-04:00 America/New_York",
        "Mon-Fri 22:00-06:00 UTC",
        "Fri 23:00-01:00 Pacific/Kiritimati",
    ] {
        let w = window(text);
        for at in [Timestamp::MIN, Timestamp::MAX, ts("2011-12-29T12:00:00Z")] {
            let _ = w.contains(at);
            let _ = w.next_change_after(at);
        }
    }
    // Samoa skipped Friday 2011-12-30 entirely: no occurrence that day.
    let w = window("Fri 10:00-11:00 Pacific/Apia");
    assert_eq!(
        w.next_change_after(ts("2011-12-28T00:00:00Z")),
        Some(ts("2012-01-05T20:00:00Z")) // 10:00 +14
    );
}

// ----------------------------------------------------------------- silences

fn silence(id: &str, m: &str, window: Window) -> Silence {
    Silence {
        id: id.into(),
        matchers: matchers(m),
        window,
        comment: Some("maintenance".into()),
        created_by: Some("alice".into()),
    }
}

#[test]
fn silences_and_silenced_by() {
    let nightly = silence(
        "nightly-db",
        r#"service="benefits-db", severity=~"warning|info""#,
        window("daily 03:00-03:30 UTC"),
    );
    let deploy = silence(
        "deploy",
        r#"{service=~"benefits-.*"}"#,
        Window::Once {
            starts: ts("2026-03-08T12:00:00Z"),
            ends: ts("2026-03-08T12:30:00Z"),
        },
    );
    let all = [nightly.clone(), deploy.clone()];
    let warning = labels(&[("service", "benefits-db"), ("severity", "warning")]);
    let critical = labels(&[("service", "benefits-db"), ("severity", "critical")]);

    assert!(nightly.active_at(ts("2026-03-08T03:10:00Z")));
    assert!(nightly.silences(&warning, ts("2026-03-08T03:10:00Z")));
    assert!(!nightly.silences(&critical, ts("2026-03-08T03:10:00Z")));
    assert!(!nightly.silences(&warning, ts("2026-03-08T03:30:00Z")));

    assert_eq!(
        silenced_by(&all, &warning, ts("2026-03-08T03:10:00Z")).map(|s| s.id.as_str()),
        Some("nightly-db")
    );
    assert_eq!(
        silenced_by(&all, &critical, ts("2026-03-08T12:10:00Z")).map(|s| s.id.as_str()),
        Some("deploy")
    );
    assert_eq!(
        silenced_by(&all, &critical, ts("2026-03-08T03:10:00Z")),
        None
    );
    assert_eq!(
        silenced_by(&[], &critical, ts("2026-03-08T03:10:00Z")),
        None
    );

    // Without matchers a silence silences nothing.
    let mut empty = nightly.clone();
    empty.matchers.clear();
    assert!(!empty.silences(&warning, ts("2026-03-08T03:10:00Z")));
    assert!(empty.validate().is_err());

    assert_eq!(nightly.validate(), Ok(()));
    let everything = silence("x", r#"env=~".*""#, window("daily 03:00-03:30 UTC"));
    assert!(everything.validate().unwrap_err().contains("empty string"));
    let backwards = silence(
        "x",
        "a=b",
        Window::Once {
            starts: ts("2026-03-08T12:00:00Z"),
            ends: ts("2026-03-08T12:00:00Z"),
        },
    );
    assert!(backwards.validate().is_err());
}

// ----------------------------------------------------------------- proptest

fn arb_matcher() -> impl Strategy<Value = Matcher> {
    (
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        prop_oneof![
            Just(MatchOp::Equal),
            Just(MatchOp::NotEqual),
            Just(MatchOp::Regex),
            Just(MatchOp::NotRegex)
        ],
        "\\PC{0,12}|[a-z.*|\\\\\"\n]{0,12}",
    )
        .prop_filter_map("invalid regex", |(name, op, value)| {
            Matcher::new(&name, op, &value).ok()
        })
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = parse_matchers(&text);
        let _ = parse_recurrence(&text);
    }

    #[test]
    fn parsing_matcherish_text_never_panics(text in "[{}a-z_=!~\"\\\\,. |*()é0-9-]{0,30}") {
        if let Ok(m) = parse_matchers(&text) {
            prop_assert_eq!(parse_matchers(&format_matchers(&m)).unwrap(), m);
        }
    }

    #[test]
    fn parsing_recurrenceish_text_never_panics(text in "[A-Za-z,:0-9 \u{2013}/_-]{0,40}") {
        if let Ok(r) = parse_recurrence(&text) {
            prop_assert_eq!(parse_recurrence(&r.to_string()).unwrap(), r);
        }
    }

    #[test]
    fn matchers_round_trip(m in proptest::collection::vec(arb_matcher(), 1..4)) {
        prop_assert_eq!(parse_matchers(&format_matchers(&m)).unwrap(), m.clone());
        for one in &m {
            prop_assert_eq!(&parse_matchers(&one.to_string()).unwrap()[0], one);
        }
    }

    #[test]
    fn next_change_flips_the_state(
        which in 0usize..5,
        offset in 0i64..400 * 86_400,
    ) {
        let text = [
            "Sundays 02:00-04:00 America/New_York",
            "Sun 01:00-02:00 America/New_York",
            "Mon-Fri 22:00-06:00 Europe/Berlin",
            "Sat,Sun 00:00-24:00 UTC",
            "daily 02:30-03:30 Europe/Berlin",
        ][which];
        let w = window(text);
        let at = Timestamp::from_second(ts("2026-01-01T00:00:00Z").as_second() + offset).unwrap();
        let next = w.next_change_after(at).unwrap();
        prop_assert!(next > at);
        let just_before = next.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap();
        prop_assert_eq!(w.contains(at), w.contains(just_before));
        prop_assert_ne!(w.contains(just_before), w.contains(next));
    }
}
