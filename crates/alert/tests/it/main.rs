//! On-call resolution against schedules written as catalog TOML.

mod backtest;
mod engine;
mod incoming;
mod silence;

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::DateTime;
use proptest::prelude::*;
use shipshape_alert::oncall::{
    MAX_RANGE, MAX_TURNS, Shift, ShiftSource, gaps, horizon, ical, on_call_at, resolve,
};
use shipshape_catalog::{Catalog, Schedule};

const PEOPLE: &str = r#"
[[person]]
id = "alice"
name = "Alice Rivera"

[[person]]
id = "bob"
name = "Bob Chen"

[[person]]
id = "carol"
name = "Carol Diaz"
"#;

const SKETCH: &str = r#"
[[schedule]]
id = "benefits-primary"
timezone = "America/New_York"
rotation = { members = ["alice", "bob"], every = "1w", handoff = "monday 09:00", start = "2026-11-30" }
overrides = [
  { person = "bob", from = "2026-12-21", until = "2027-01-04", note = "Alice on leave" },
]
"#;

fn catalog(schedules: &str) -> Catalog {
    let source = format!("{PEOPLE}{schedules}");
    match shipshape_catalog::parse_str(&source, Path::new("shipshape.toml")) {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("{diagnostics:?}"),
    }
}

fn schedule(source: &str) -> Schedule {
    catalog(source).schedules.remove(0)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A civil time in New York as an instant.
fn ny(s: &str) -> Timestamp {
    let dt: DateTime = s.parse().unwrap();
    dt.in_tz("America/New_York").unwrap().timestamp()
}

fn shift(person: &str, start: &str, end: &str, source: ShiftSource) -> Shift {
    Shift {
        person: person.into(),
        start: ts(start),
        end: ts(end),
        source,
    }
}

fn layer(person: &str, start: &str, end: &str, index: usize) -> Shift {
    shift(person, start, end, ShiftSource::Layer(index))
}

/// `(person, start, end)` in UTC, for compact comparisons.
fn people(shifts: &[Shift]) -> Vec<(String, String, String)> {
    shifts
        .iter()
        .map(|s| (s.person.clone(), s.start.to_string(), s.end.to_string()))
        .collect()
}

#[test]
fn sketch_december_and_january() {
    let s = schedule(SKETCH);
    let got = resolve(&s, ny("2026-12-01T00:00"), ny("2027-02-01T00:00"));
    let leave = ShiftSource::Override {
        note: Some("Alice on leave".into()),
    };
    let want = vec![
        layer("alice", "2026-12-01T05:00:00Z", "2026-12-07T14:00:00Z", 0),
        layer("bob", "2026-12-07T14:00:00Z", "2026-12-14T14:00:00Z", 0),
        // The override starts at midnight, in the middle of Alice's turn.
        layer("alice", "2026-12-14T14:00:00Z", "2026-12-21T05:00:00Z", 0),
        shift("bob", "2026-12-21T05:00:00Z", "2027-01-04T05:00:00Z", leave),
        // ... and ends at midnight, before the 09:00 handoff.
        layer("alice", "2027-01-04T05:00:00Z", "2027-01-04T14:00:00Z", 0),
        layer("bob", "2027-01-04T14:00:00Z", "2027-01-11T14:00:00Z", 0),
        layer("alice", "2027-01-11T14:00:00Z", "2027-01-18T14:00:00Z", 0),
        layer("bob", "2027-01-18T14:00:00Z", "2027-01-25T14:00:00Z", 0),
        layer("alice", "2027-01-25T14:00:00Z", "2027-02-01T05:00:00Z", 0),
    ];
    assert_eq!(got, want);
    assert!(gaps(&s, ny("2026-12-01T00:00"), ny("2027-02-01T00:00")).is_empty());
}

#[test]
fn weekly_handoff_stays_at_nine_local_across_spring_forward() {
    let s = schedule(SKETCH);
    let got = resolve(&s, ny("2027-03-08T09:00"), ny("2027-03-22T09:00"));
    assert_eq!(
        people(&got),
        people(&[
            layer("alice", "2027-03-08T14:00:00Z", "2027-03-15T13:00:00Z", 0),
            layer("bob", "2027-03-15T13:00:00Z", "2027-03-22T13:00:00Z", 0),
        ])
    );
    assert_eq!(got[0].end.duration_since(got[0].start).as_hours(), 167);
}

#[test]
fn weekly_handoff_stays_at_nine_local_across_fall_back() {
    let s = schedule(&SKETCH.replace("2026-11-30", "2026-10-26"));
    let got = resolve(&s, ny("2026-10-26T00:00"), ny("2026-11-09T09:00"));
    assert_eq!(
        people(&got),
        people(&[
            layer("alice", "2026-10-26T13:00:00Z", "2026-11-02T14:00:00Z", 0),
            layer("bob", "2026-11-02T14:00:00Z", "2026-11-09T14:00:00Z", 0),
        ])
    );
    assert_eq!(got[0].end.duration_since(got[0].start).as_hours(), 169);
    // Before the first turn nobody is on call.
    assert_eq!(
        gaps(&s, ny("2026-10-26T00:00"), ny("2026-11-09T09:00")),
        vec![(ny("2026-10-26T00:00"), ny("2026-10-26T09:00"))]
    );
}

#[test]
fn handoff_weekday_moves_the_first_turn_to_that_weekday() {
    // 2026-12-02 is a Wednesday; the first turn starts Monday 2026-12-07.
    let s = schedule(&SKETCH.replace("2026-11-30", "2026-12-02"));
    let got = resolve(&s, ny("2026-12-01T00:00"), ny("2026-12-15T00:00"));
    assert_eq!(got[0].start, ny("2026-12-07T09:00"));
    assert_eq!(got[0].person, "alice");
}

const LAYERED: &str = r#"
[[schedule]]
id = "layered"
timezone = "America/New_York"
layers = [
  { name = "24/7", members = ["carol"], every = "1w", handoff = "monday 09:00", start = "2026-11-30" },
  { name = "days", members = ["alice", "bob"], every = "1d", handoff = "09:00", start = "2026-12-03" },
]
overrides = [
  { person = "carol", from = "2026-11-29T12:00", until = "2026-11-29T18:00" },
  { person = "bob", from = "2026-12-04T12:00", until = "2026-12-04T15:00", note = "swap; lunch" },
]
"#;

#[test]
fn later_layer_wins_and_overrides_win_over_layers() {
    let s = schedule(LAYERED);
    let got = resolve(&s, ny("2026-11-29T00:00"), ny("2026-12-06T00:00"));
    let swap = ShiftSource::Override {
        note: Some("swap; lunch".into()),
    };
    let want = vec![
        shift(
            "carol",
            "2026-11-29T17:00:00Z",
            "2026-11-29T23:00:00Z",
            ShiftSource::Override { note: None },
        ),
        // One shift for Carol's single-member layer until the day layer starts.
        layer("carol", "2026-11-30T14:00:00Z", "2026-12-03T14:00:00Z", 0),
        layer("alice", "2026-12-03T14:00:00Z", "2026-12-04T14:00:00Z", 1),
        layer("bob", "2026-12-04T14:00:00Z", "2026-12-04T17:00:00Z", 1),
        shift("bob", "2026-12-04T17:00:00Z", "2026-12-04T20:00:00Z", swap),
        layer("bob", "2026-12-04T20:00:00Z", "2026-12-05T14:00:00Z", 1),
        layer("alice", "2026-12-05T14:00:00Z", "2026-12-06T05:00:00Z", 1),
    ];
    assert_eq!(got, want);
    // Gaps: before the override, and between it and the first turn.
    assert_eq!(
        gaps(&s, ny("2026-11-29T00:00"), ny("2026-12-06T00:00")),
        vec![
            (ny("2026-11-29T00:00"), ny("2026-11-29T12:00")),
            (ny("2026-11-29T18:00"), ny("2026-11-30T09:00")),
        ]
    );
    assert_eq!(on_call_at(&s, ny("2026-11-29T19:00")), None);
    let at = on_call_at(&s, ny("2026-12-04T13:00")).unwrap();
    assert_eq!(
        at,
        shift(
            "bob",
            "2026-12-04T17:00:00Z",
            "2026-12-04T20:00:00Z",
            at.source.clone()
        )
    );
}

#[test]
fn twelve_hour_turns_are_exact_time_across_dst() {
    let s = schedule(
        r#"
[[schedule]]
id = "half"
timezone = "America/New_York"
rotation = { members = ["alice", "bob"], every = "12h", handoff = "09:00", start = "2027-03-13" }
"#,
    );
    let got = resolve(&s, ny("2027-03-13T00:00"), ny("2027-03-15T00:00"));
    assert_eq!(
        people(&got),
        people(&[
            layer("alice", "2027-03-13T14:00:00Z", "2027-03-14T02:00:00Z", 0),
            layer("bob", "2027-03-14T02:00:00Z", "2027-03-14T14:00:00Z", 0),
            // 14:00Z is now 10:00 EDT: sub-day turns keep their length.
            layer("alice", "2027-03-14T14:00:00Z", "2027-03-15T02:00:00Z", 0),
            layer("bob", "2027-03-15T02:00:00Z", "2027-03-15T04:00:00Z", 0),
        ])
    );
}

#[test]
fn absurd_ranges_are_cut() {
    let s = schedule(SKETCH);
    let from = ny("2027-01-01T00:00");
    let far = ts("2100-01-01T00:00:00Z");
    assert_eq!(horizon(&s, from, far), from.checked_add(MAX_RANGE).unwrap());
    let last = resolve(&s, from, far).pop().unwrap();
    assert_eq!(last.end, from.checked_add(MAX_RANGE).unwrap());

    let minutely = schedule(
        r#"
[[schedule]]
id = "minutely"
timezone = "UTC"
rotation = { members = ["alice", "bob"], every = "1m", start = "2000-01-01" }
"#,
    );
    let from = ts("2027-01-01T00:00:00Z");
    let end = horizon(&minutely, from, far);
    assert_eq!(
        end,
        from.checked_add(jiff::SignedDuration::from_mins(MAX_TURNS))
            .unwrap()
    );
    assert_eq!(
        resolve(&minutely, from, far).len(),
        usize::try_from(MAX_TURNS).unwrap()
    );
    assert_eq!(gaps(&minutely, from, far), vec![]);
}

#[test]
fn extreme_instants_do_not_panic() {
    let s = schedule(
        r#"
[[schedule]]
id = "edge"
timezone = "Pacific/Apia"
layers = [
  { members = ["alice"], every = "1d", start = "9999-12-30" },
  { members = ["alice", "bob"], every = "1d", start = "2011-12-28" },
]
overrides = [{ person = "bob", from = "9999-12-31T23:00", until = "9999-12-31T23:59" }]
"#,
    );
    for (from, to) in [
        (Timestamp::MIN, Timestamp::MAX),
        (ts("9999-12-29T00:00:00Z"), Timestamp::MAX),
        (Timestamp::MIN, ts("-009999-01-03T00:00:00Z")),
        (Timestamp::MAX, Timestamp::MIN),
    ] {
        let _ = resolve(&s, from, to);
        let _ = gaps(&s, from, to);
    }
    let _ = on_call_at(&s, Timestamp::MAX);
    let _ = on_call_at(&s, Timestamp::MIN);
    // Samoa skipped 2011-12-30: that turn has no length, the rest go on.
    let got = resolve(&s, ts("2011-12-28T00:00:00Z"), ts("2012-01-03T00:00:00Z"));
    assert!(got.windows(2).all(|w| w[0].end <= w[1].start));
}

#[test]
fn ical_golden() {
    let c = catalog(
        r#"
[[schedule]]
id = "db"
name = "Primary; DB, API \\ storage on-call rotation with a long name"
timezone = "UTC"
rotation = { members = ["alice"], every = "1w", start = "2026-11-30" }
"#,
    );
    let s = &c.schedules[0];
    let shifts = vec![
        layer("alice", "2026-11-30T09:00:00Z", "2026-12-07T09:00:00Z", 0),
        shift(
            "nobody",
            "2026-12-07T09:00:00Z",
            "2026-12-08T09:00:00Z",
            ShiftSource::Override {
                note: Some("covers,\nthe gap".into()),
            },
        ),
    ];
    let got = ical(s, &shifts, &c.people, ts("2026-11-29T01:02:03Z"));
    let want = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Shipshape//On-call//EN\r\n\
CALSCALE:GREGORIAN\r\n\
X-WR-CALNAME:Primary\\; DB\\, API \\\\ storage on-call rotation with a long nam\r\n \
e\r\n\
BEGIN:VEVENT\r\n\
UID:db-20261130T090000Z-alice@shipshape\r\n\
DTSTAMP:20261129T010203Z\r\n\
DTSTART:20261130T090000Z\r\n\
DTEND:20261207T090000Z\r\n\
SUMMARY:On call: Alice Rivera (Primary\\; DB\\, API \\\\ storage on-call rotati\r\n \
on with a long name)\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:db-20261207T090000Z-nobody@shipshape\r\n\
DTSTAMP:20261129T010203Z\r\n\
DTSTART:20261207T090000Z\r\n\
DTEND:20261208T090000Z\r\n\
SUMMARY:On call: nobody (Primary\\; DB\\, API \\\\ storage on-call rotation wit\r\n \
h a long name)\r\n\
DESCRIPTION:Override: covers\\,\\nthe gap\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";
    assert_eq!(got, want);
    assert!(got.split("\r\n").all(|line| line.len() <= 75));
}

fn arb_range() -> impl Strategy<Value = (Timestamp, Timestamp)> {
    let base = ts("2026-10-01T00:00:00Z").as_second();
    (0i64..300 * 86_400, 1i64..90 * 86_400).prop_map(move |(offset, len)| {
        let from = Timestamp::from_second(base + offset).unwrap();
        (from, Timestamp::from_second(base + offset + len).unwrap())
    })
}

proptest! {
    #[test]
    fn resolve_is_sorted_disjoint_and_agrees_with_on_call_at(
        (from, to) in arb_range(),
        which in 0usize..3,
        probes in proptest::collection::vec(0.0f64..1.0, 1..8),
    ) {
        let s = schedule([SKETCH, LAYERED, &SKETCH.replace("1w", "12h")][which]);
        let shifts = resolve(&s, from, to);
        for shift in &shifts {
            prop_assert!(from <= shift.start && shift.start < shift.end && shift.end <= to);
        }
        for pair in shifts.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start);
        }
        let span = to.duration_since(from).as_secs_f64();
        for p in probes {
            let at = from.checked_add(jiff::SignedDuration::from_secs_f64(span * p)).unwrap();
            let covering = shifts.iter().find(|s| s.start <= at && at < s.end);
            let now = on_call_at(&s, at);
            prop_assert_eq!(
                covering.map(|s| (&s.person, &s.source)),
                now.as_ref().map(|s| (&s.person, &s.source))
            );
            if let (Some(covering), Some(now)) = (covering, &now) {
                prop_assert!(now.start <= at && at < now.end);
                // The unchanged stretch lies inside the (merged) shift.
                prop_assert!(covering.start <= now.start.max(from));
                prop_assert!(now.end.min(to) <= covering.end);
            }
        }
    }
}
