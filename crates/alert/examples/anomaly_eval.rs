//! Evaluation of [`shipshape_alert::anomaly`] on synthetic latency series.
//!
//! A fixed, seeded generator (SplitMix64) makes 8 weeks of 5-minute
//! latency samples with a daily and a weekly pattern and log-normal noise
//! (plus rare isolated blips), and injects one anomaly per series, starting
//! uniformly in days 21–49:
//!
//! * spike: 15–60 minutes at ×3–×10; detected if an alarm comes within
//!   2 hours of its start;
//! * shift: a persistent +60% level; within 2 hours;
//! * drift: +100% over 3 days, then held; within the 3 days;
//! * season: the daily peak moves 6 hours, persistently; within 3 days.
//!
//! Clean series have none. For each sensitivity it prints, per kind, the
//! detection rate, the median and 90th percentile time to detect, and
//! false alarms per week (after the one-week warm-up; on injected series,
//! alarms outside the detection window). Figures only, nothing asserted.
//!
//! Run with `cargo run --release -p shipshape-alert --example anomaly_eval`.

use jiff::Timestamp;
use shipshape_alert::anomaly::{AnomalyDetector, AnomalyPolicy, Sensitivity};

const STEP: i64 = 300;
const HOUR: i64 = 12;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
const SAMPLES: i64 = 8 * WEEK;
const SERIES: u64 = 50;

/// SplitMix64: tiny, seeded, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Clean,
    Spike,
    Shift,
    Drift,
    Season,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Clean => "clean",
            Kind::Spike => "spike",
            Kind::Shift => "shift",
            Kind::Drift => "drift",
            Kind::Season => "season",
        }
    }
}

/// One generated series with its injected anomaly's detection window
/// (sample indices, start inclusive, end exclusive).
struct Series {
    values: Vec<f64>,
    window: Option<(i64, i64)>,
}

fn generate(kind: Kind, seed: u64) -> Series {
    let mut rng = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ kind as u64);
    let base = rng.range(40.0, 400.0_f64).ln();
    let daily_amp = rng.range(0.2, 0.5);
    let weekend_dip = rng.range(0.0, 0.3);
    let peak = rng.range(10.0, 18.0);
    let sigma = rng.range(0.05, 0.15);
    let start = (rng.range(21.0, 49.0) * DAY as f64) as i64;
    let spike_len = rng.range(3.0, 13.0) as i64;
    let spike_factor = rng.range(3.0, 10.0_f64).ln();
    let window = match kind {
        Kind::Clean => None,
        Kind::Spike | Kind::Shift => Some((start, start + 2 * HOUR)),
        Kind::Drift | Kind::Season => Some((start, start + 3 * DAY)),
    };
    let values = (0..SAMPLES)
        .map(|i| {
            let hours = (i * STEP) as f64 / 3600.0;
            let hour = hours % 24.0;
            let weekend = (i / DAY) % 7 >= 5;
            let peak_now = if kind == Kind::Season && i >= start {
                peak + 6.0
            } else {
                peak
            };
            let mut x = base + daily_amp * ((hour - peak_now) / 24.0 * std::f64::consts::TAU).cos()
                - if weekend { weekend_dip } else { 0.0 }
                + sigma * rng.normal();
            if rng.unit() < 0.003 {
                x += rng.range(0.3, 0.9);
            }
            let since = i - start;
            x += match kind {
                Kind::Spike if (0..spike_len).contains(&since) => spike_factor,
                Kind::Shift if since >= 0 => 1.6_f64.ln(),
                Kind::Drift if since >= 0 => {
                    (1.0 + (since as f64 / (3 * DAY) as f64).min(1.0)).ln()
                }
                _ => 0.0,
            };
            x.exp()
        })
        .collect();
    Series { values, window }
}

#[derive(Default)]
struct Tally {
    series: usize,
    detected: usize,
    delays: Vec<f64>,
    false_alarms: usize,
    weeks: f64,
}

fn evaluate(kind: Kind, sensitivity: Sensitivity) -> Tally {
    let t0: Timestamp = "2026-01-05T00:00:00Z".parse().unwrap();
    let mut tally = Tally::default();
    for seed in 0..SERIES {
        let series = generate(kind, seed);
        let mut detector = AnomalyDetector::new(AnomalyPolicy {
            sensitivity,
            ..AnomalyPolicy::default()
        });
        let mut first_in_window = None;
        for (i, &value) in series.values.iter().enumerate() {
            let i = i as i64;
            let at = Timestamp::from_second(t0.as_second() + i * STEP).unwrap();
            if detector.observe(at, value).is_none() {
                continue;
            }
            match series.window {
                Some((s, e)) if (s..e).contains(&i) => {
                    first_in_window.get_or_insert(i - s);
                }
                _ => tally.false_alarms += 1,
            }
        }
        let outside = match series.window {
            Some((s, e)) => SAMPLES - WEEK - (e - s),
            None => SAMPLES - WEEK,
        };
        tally.weeks += outside as f64 / WEEK as f64;
        tally.series += 1;
        if let Some(delay) = first_in_window {
            tally.detected += 1;
            tally.delays.push((delay * STEP) as f64 / 60.0);
        }
    }
    tally
}

fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    Some(values[index])
}

fn minutes(value: Option<f64>) -> String {
    match value {
        Some(m) if m >= 120.0 => format!("{:.1} h", m / 60.0),
        Some(m) => format!("{m:.0} min"),
        None => "-".to_string(),
    }
}

fn main() {
    println!(
        "{SERIES} series per kind, 8 weeks of 5-minute samples, warm-up 1 week, trigger 3 of 5"
    );
    for sensitivity in [Sensitivity::Low, Sensitivity::Medium, Sensitivity::High] {
        println!();
        println!("sensitivity {sensitivity:?} (k = {})", sensitivity.k());
        println!(
            "{:<8} {:>9} {:>11} {:>11} {:>16}",
            "kind", "detected", "median TTD", "p90 TTD", "false alarms/wk"
        );
        for kind in [
            Kind::Spike,
            Kind::Shift,
            Kind::Drift,
            Kind::Season,
            Kind::Clean,
        ] {
            let mut tally = evaluate(kind, sensitivity);
            let detected = if kind == Kind::Clean {
                "-".to_string()
            } else {
                format!(
                    "{:.0}%",
                    100.0 * tally.detected as f64 / tally.series as f64
                )
            };
            println!(
                "{:<8} {:>9} {:>11} {:>11} {:>16.3}",
                kind.name(),
                detected,
                minutes(quantile(&mut tally.delays, 0.5)),
                minutes(quantile(&mut tally.delays, 0.9)),
                tally.false_alarms as f64 / tally.weeks
            );
        }
    }
}
