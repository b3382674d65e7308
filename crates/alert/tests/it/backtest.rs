//! Backtests: replaying series through a monitor's alerting.

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use shipshape_alert::backtest::{
    BacktestError, CsvKind, EventKind, Sample, latency_limit, parse_csv, run,
};
use shipshape_catalog::{Catalog, MonitorRef};

fn catalog(monitor_extra: &str) -> Catalog {
    let source = format!(
        r#"
[[service]]
id = "api"
name = "API"

  [[service.monitor]]
  id = "health"
  http = {{ url = "https://api.example.org/health" }}
  every = "1m"
{monitor_extra}

  [[service.monitor]]
  id = "other"
  http = {{ url = "https://api.example.org/other" }}
"#
    );
    match shipshape_catalog::parse_str(&source, Path::new("shipshape.toml")) {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("{diagnostics:?}"),
    }
}

fn start() -> Timestamp {
    // A Monday.
    "2026-11-02T00:00:00Z".parse().unwrap()
}

fn minute(i: i64) -> Timestamp {
    start() + SignedDuration::from_mins(i)
}

/// One sample a minute, `ok(i)` deciding each.
fn series(n: i64, ok: impl Fn(i64) -> bool) -> Vec<Sample> {
    (0..n)
        .map(|i| Sample {
            at: minute(i),
            ok: ok(i),
            latency_ms: Some(50.0),
            reason: (!ok(i)).then(|| "status == 200: got 503".to_owned()),
        })
        .collect()
}

fn kinds(events: &[shipshape_alert::backtest::BacktestEvent]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

#[test]
fn a_clean_outage_opens_once_and_resolves_after_the_hold() {
    let catalog = catalog("");
    let samples = series(130, |i| !(60..70).contains(&i));
    let got = run(&catalog, "api", "health", &samples).unwrap();
    assert_eq!(
        kinds(&got.events),
        [EventKind::Opened, EventKind::Resolved],
        "{got:#?}"
    );
    assert_eq!(got.events[0].at, minute(60));
    assert_eq!(
        got.events[0].detail,
        "api/health is down: status == 200: got 503"
    );
    // Clear at minute 70; the hold is max(1m, 2 × 1m) = 2m.
    assert_eq!(got.events[1].at, minute(72));
    assert_eq!(got.summary.pages, 1);
    assert_eq!(got.summary.notifications, 1);
    assert_eq!(got.summary.flapping_episodes, 0);
    assert_eq!(got.summary.time_in_alert, SignedDuration::from_mins(12));
    assert_eq!(got.summary.samples, 130);
    assert_eq!(got.summary.from, Some(minute(0)));
    assert_eq!(got.summary.to, Some(minute(129)));
    assert_eq!(got.incidents.len(), 1);
    assert_eq!(got.incidents[0].resolved, Some(minute(72)));
    let json = serde_json::to_value(&got).unwrap();
    assert_eq!(json["events"][0]["kind"], "opened");
    assert_eq!(json["summary"]["pages"], 1);
    assert_eq!(json["summary"]["time_in_alert_secs"], 720);
}

#[test]
fn a_failure_back_within_the_hold_does_not_page_again() {
    let catalog = catalog("");
    let samples = series(60, |i| !(10..13).contains(&i) && i != 14);
    let got = run(&catalog, "api", "health", &samples).unwrap();
    assert_eq!(kinds(&got.events), [EventKind::Opened, EventKind::Resolved]);
    assert_eq!(got.events[1].at, minute(17));
}

#[test]
fn alternating_every_check_for_two_hours_pages_once_and_flaps_once() {
    let catalog = catalog("");
    let samples = series(120, |i| i % 2 == 0);
    let got = run(&catalog, "api", "health", &samples).unwrap();
    assert_eq!(
        kinds(&got.events),
        [EventKind::Opened, EventKind::Flapping],
        "{got:#?}"
    );
    assert!(got.events[1].detail.contains("is flapping"));
    assert_eq!(got.summary.pages, 1);
    assert_eq!(got.summary.flapping_episodes, 1);
    assert_eq!(got.summary.notifications, 2);
    // Still open at the end: time in alert runs to the last sample.
    assert_eq!(got.incidents[0].resolved, None);
    assert_eq!(got.summary.time_in_alert, SignedDuration::from_mins(118));
}

#[test]
fn confirm_three_hides_single_blips() {
    let blips = |i: i64| i % 10 != 5;
    let got = run(
        &catalog("  confirm = 3"),
        "api",
        "health",
        &series(300, blips),
    )
    .unwrap();
    assert!(got.events.is_empty(), "{got:#?}");
    assert_eq!(got.summary.pages, 0);
    // Without confirmation every blip pages.
    let got = run(&catalog(""), "api", "health", &series(300, blips)).unwrap();
    assert_eq!(got.summary.pages, 30);
}

#[test]
fn recover_needs_consecutive_successes() {
    // Down at 10..13, one success at 13, down at 14, then up: with
    // recover = 2 the single success does not clear.
    let got = run(
        &catalog("  recover = 2"),
        "api",
        "health",
        &series(40, |i| !(10..13).contains(&i) && i != 14),
    )
    .unwrap();
    assert_eq!(kinds(&got.events), [EventKind::Opened, EventKind::Resolved]);
    // Up again after minutes 15 and 16; clear at 16, resolved 2m later.
    assert_eq!(got.events[1].at, minute(18));
}

#[test]
fn latency_bound_judges_a_latency_series() {
    let catalog = catalog(r#"  expect = ["status == 200", "response_time < 500ms"]"#);
    let monitor = catalog
        .monitor(&MonitorRef {
            service: "api".into(),
            monitor: "health".into(),
        })
        .unwrap();
    assert_eq!(
        latency_limit(monitor),
        Some((500.0, false, "response_time < 500ms".into()))
    );
    let csv: String = (0..30)
        .map(|i| {
            let ms = if (10..15).contains(&i) { 900 } else { 120 };
            format!("{},{ms}\n", minute(i).as_second())
        })
        .collect();
    let samples = parse_csv(&csv, CsvKind::Auto).unwrap();
    assert!(samples.iter().all(|s| s.ok && s.latency_ms.is_some()));
    let got = run(&catalog, "api", "health", &samples).unwrap();
    assert_eq!(kinds(&got.events), [EventKind::Opened, EventKind::Resolved]);
    assert_eq!(
        got.events[0].detail,
        "api/health is down: response_time < 500ms: got 900ms"
    );
}

#[test]
fn unknown_monitors_name_close_ones() {
    let err = run(&catalog(""), "api", "helth", &[]).unwrap_err();
    let BacktestError::UnknownMonitor { close, .. } = &err;
    assert_eq!(close.first().map(String::as_str), Some("api/health"));
    assert!(
        err.to_string().contains("did you mean `api/health`"),
        "{err}"
    );
}

#[test]
fn an_empty_series_is_quiet() {
    let got = run(&catalog(""), "api", "health", &[]).unwrap();
    assert!(got.events.is_empty());
    assert_eq!(got.summary.samples, 0);
    assert_eq!(got.summary.from, None);
}

/// Deterministic noise in −1 ..= 1.
fn noise(i: i64) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[test]
fn a_level_shift_in_week_three_fires_the_anomaly_rule() {
    let catalog = catalog(r#"  anomaly = { metric = "latency_p95" }"#);
    const STEP: i64 = 300;
    const WEEK: i64 = 7 * 24 * 12;
    let shift_at = 2 * WEEK + 2 * 24 * 12; // Wednesday of week 3.
    let samples: Vec<Sample> = (0..3 * WEEK)
        .map(|i| {
            let hours = (i * STEP) as f64 / 3600.0;
            let hour = hours % 24.0;
            let weekend = (hours / 24.0) as i64 % 7 >= 5;
            let daily = 0.4 * ((hour - 14.0) / 24.0 * std::f64::consts::TAU).cos();
            let weekly = if weekend { -0.2 } else { 0.0 };
            let mut ms = 100.0 * (daily + weekly + 0.05 * noise(i)).exp();
            if i >= shift_at {
                ms *= 3.0;
            }
            Sample::new(
                start() + SignedDuration::from_secs(i * STEP),
                true,
                Some(ms),
            )
        })
        .collect();
    let before = run(&catalog, "api", "health", &samples[..shift_at as usize]).unwrap();
    assert!(before.events.is_empty(), "{before:#?}");
    let got = run(&catalog, "api", "health", &samples).unwrap();
    let fired: Vec<_> = got
        .events
        .iter()
        .filter(|e| e.kind == EventKind::AnomalyFired)
        .collect();
    assert!(!fired.is_empty(), "{got:#?}");
    let shift = start() + SignedDuration::from_secs(shift_at * STEP);
    assert!(fired[0].at >= shift, "{:?}", fired[0]);
    assert!(
        fired[0].at <= shift + SignedDuration::from_hours(1),
        "{:?}",
        fired[0]
    );
    assert!(
        fired[0].detail.contains("latency p95"),
        "{}",
        fired[0].detail
    );
    // The anomaly signal opens an incident like any other.
    assert!(got.events.iter().any(|e| e.kind == EventKind::Opened));
    assert_eq!(got.summary.anomalies, fired.len() as u32);
}

#[test]
fn csv_reads_headers_both_time_forms_and_auto_detects() {
    let text = "timestamp,value\n\
                2026-11-20T03:12:00Z,1\n\
                # a comment\n\
                \n\
                1795144380, 0\n\
                \"1795144440.5\",\"1\"\n";
    let samples = parse_csv(text, CsvKind::Auto).unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].at, "2026-11-20T03:12:00Z".parse().unwrap());
    assert!(samples[0].ok && samples[0].latency_ms.is_none());
    assert!(!samples[1].ok);
    assert_eq!(
        samples[2].at,
        Timestamp::from_millisecond(1_795_144_440_500).unwrap()
    );
    // Forced latency: 0 and 1 are milliseconds.
    let latency = parse_csv(text, CsvKind::Latency).unwrap();
    assert!(latency.iter().all(|s| s.ok));
    assert_eq!(latency[1].latency_ms, Some(0.0));
    // Any other value is latency.
    let mixed = parse_csv("1795144380,1\n1795144440,250.5\n", CsvKind::Auto).unwrap();
    assert_eq!(mixed[1].latency_ms, Some(250.5));
}

#[test]
fn csv_errors_name_line_and_column() {
    let err = parse_csv("1795144380,1\n1795144440,abc\n", CsvKind::Auto).unwrap_err();
    assert_eq!((err.line, err.column), (2, 12), "{err}");
    let err = parse_csv("1795144380,1\nyesterday,1\n", CsvKind::Auto).unwrap_err();
    assert_eq!((err.line, err.column), (2, 1), "{err}");
    assert!(err.message.contains("RFC 3339"), "{err}");
    let err = parse_csv("1795144380,1,2\n", CsvKind::Auto).unwrap_err();
    assert_eq!((err.line, err.column), (1, 14), "{err}");
    let err = parse_csv("1795144440,1\n1795144380,1\n", CsvKind::Auto).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.contains("time order"), "{err}");
    let err = parse_csv("1795144380,2\n", CsvKind::UpDown).unwrap_err();
    assert_eq!((err.line, err.column), (1, 12), "{err}");
    let err = parse_csv("1795144380,-5\n", CsvKind::Auto).unwrap_err();
    assert_eq!(err.line, 1);
    assert_eq!(
        err.to_string(),
        "line 1, column 12: `-5` is not a value: write milliseconds (e.g. `120.5`) or 0/1 for down/up"
    );
}

proptest! {
    #[test]
    fn csv_parsing_never_panics(text in "\\PC{0,200}", kind in 0usize..3) {
        let kind = [CsvKind::Auto, CsvKind::Latency, CsvKind::UpDown][kind];
        let _ = parse_csv(&text, kind);
    }

    #[test]
    fn csv_like_lines_never_panic(
        rows in proptest::collection::vec(("[0-9.eE+-]{0,22}|2026-11-[0-9]{2}T[0-9:]{8}Z", "[0-9.eE+-]{0,12}|NaN|inf"), 0..12),
    ) {
        let text: String = rows.iter().map(|(a, b)| format!("{a},{b}\n")).collect();
        if let Ok(samples) = parse_csv(&text, CsvKind::Auto) {
            prop_assert!(samples.windows(2).all(|w| w[0].at <= w[1].at));
            let _ = run(&catalog(""), "api", "health", &samples);
        }
    }

    #[test]
    fn replay_never_panics_and_pages_add_up(
        pattern in proptest::collection::vec(any::<bool>(), 0..300),
        confirm in 1u32..4,
    ) {
        let samples: Vec<Sample> = pattern
            .iter()
            .enumerate()
            .map(|(i, ok)| Sample::new(minute(i as i64), *ok, Some(10.0)))
            .collect();
        let got = run(&catalog(&format!("  confirm = {confirm}")), "api", "health", &samples).unwrap();
        let opened = got.events.iter().filter(|e| e.kind == EventKind::Opened).count();
        prop_assert_eq!(opened as u32, got.summary.pages);
        prop_assert_eq!(got.incidents.len(), opened);
        prop_assert!(got.events.windows(2).all(|w| w[0].at <= w[1].at));
        prop_assert!(got.summary.time_in_alert >= SignedDuration::ZERO);
    }
}
