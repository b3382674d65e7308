//! Anomaly detection: a monitor's latency (or error rate) is "out of the
//! norm" when it leaves the band learned from its own history.
//!
//! The method is deliberately simple and robust (no model fitting):
//!
//! * **Scale.** Values are compared on a [`Scale`]: by default
//!   [`Scale::Log`], `ln(1 + v)`, so a band is a ratio (latency noise is
//!   multiplicative) and a zero error rate is still a value.
//! * **Baseline.** Seasonal by hour of week: 168 slots (Monday 00:00 is
//!   slot 0, in UTC or a fixed [`AnomalyPolicy::offset`]). Each slot keeps
//!   its last [`AnomalyPolicy::slot_capacity`] values (72 by default: six
//!   weeks of 5-minute samples), so memory is bounded. The centre is the
//!   slot's median and the spread its MAD scaled by 1.4826 (a standard
//!   deviation for Gaussian noise). A slot with fewer than
//!   [`AnomalyPolicy::min_slot_points`] values falls back to the median and
//!   MAD of the last [`AnomalyPolicy::global_capacity`] values of any slot.
//! * **Band.** centre ± k·spread, k from [`Sensitivity`] (low 5, medium 4,
//!   high 3). The spread has a floor, [`AnomalyPolicy::min_spread`] (0.05 on
//!   the log scale: 5%), so a perfectly flat series does not alarm on tiny
//!   noise.
//! * **Trigger.** An anomaly fires when [`AnomalyPolicy::trigger`] of the
//!   last [`AnomalyPolicy::window`] observations (3 of 5) are outside the
//!   band, once per excursion; it re-arms once `window` consecutive
//!   observations are back inside. Nothing fires until
//!   [`AnomalyPolicy::warmup`] (a week) has passed since the first value.
//! * **Learning.** During warm-up every value is learned. After it, only
//!   values inside the band are learned, so spikes and excursions (firing
//!   or not) never widen the band. A *persistent* change is adopted
//!   instead. The residuals (value − centre) of the last
//!   [`AnomalyPolicy::adopt_after`] (2 days) are kept; when they span at
//!   least half of it and at least 75% of them lie beyond half the band
//!   (k/2 spreads) on the same side, their median is added to every stored
//!   value (the seasonal shape is kept, moved to the new level) and they
//!   are forgotten. The same is done per hour of the day over twice that
//!   time, moving that hour's 7 slots (and the fallback by a 24th), which
//!   adopts a moved daily peak; and per slot over two weeks, moving that
//!   slot, which adopts a changed weekly pattern. So a level shift or a
//!   drift becomes the new normal once it has persisted for about 1–1½
//!   days, a changed daily pattern after 2–3 days, a changed weekly one
//!   after a week; a spike of an hour or less never does. (Residuals are
//!   kept bounded: by age and by count.)
//!
//! Like the rest of the crate: no IO, no clock; times are passed in.

use std::collections::VecDeque;

use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

/// Slots of the seasonal baseline: 7 weekdays × 24 hours.
pub const SLOTS: usize = 168;

/// Horizon of the per-slot departures: two weeks, in seconds.
const WEEKS_2: i64 = 14 * 24 * 3600;

/// Scaling of a MAD into a standard deviation for Gaussian noise.
const MAD_SCALE: f64 = 1.4826;

/// How wide the band is: centre ± k·spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sensitivity {
    /// k = 5: only gross departures.
    Low,
    /// k = 4 (default).
    #[default]
    Medium,
    /// k = 3: more detections, more false alarms.
    High,
}

impl Sensitivity {
    /// The band's half-width in spreads.
    pub fn k(self) -> f64 {
        match self {
            Sensitivity::Low => 5.0,
            Sensitivity::Medium => 4.0,
            Sensitivity::High => 3.0,
        }
    }
}

/// The scale values are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// `ln(1 + v)`, for non-negative values (negative ones are ignored):
    /// bands are ratios. The default, for latency.
    #[default]
    Log,
    /// The values themselves; [`AnomalyPolicy::min_spread`] is then in the
    /// values' unit.
    Linear,
}

impl Scale {
    fn forward(self, v: f64) -> Option<f64> {
        let x = match self {
            Scale::Log if v < 0.0 => return None,
            Scale::Log => v.ln_1p(),
            Scale::Linear => v,
        };
        x.is_finite().then_some(x)
    }

    fn back(self, x: f64) -> f64 {
        match self {
            Scale::Log => x.exp_m1(),
            Scale::Linear => x,
        }
    }
}

/// Parameters of the anomaly detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalyPolicy {
    /// Width of the band (default medium, k = 4).
    pub sensitivity: Sensitivity,
    /// Scale values are compared on (default log).
    pub scale: Scale,
    /// Floor of the spread, in scale units (default 0.05: 5% on the log
    /// scale), so a flat series does not alarm on tiny noise.
    pub min_spread: f64,
    /// Fixed offset of the hour-of-week slots (default UTC).
    pub offset: Offset,
    /// Values kept per slot (default 72: six weeks of 5-minute samples).
    pub slot_capacity: usize,
    /// Fewer values than this in a slot use the global fallback (default 6).
    pub min_slot_points: usize,
    /// Recent values of any slot kept for the fallback (default 2016: a
    /// week of 5-minute samples).
    pub global_capacity: usize,
    /// Observations outside the band, of the last `window`, that fire
    /// (default 3).
    pub trigger: usize,
    /// Observations considered (default 5); also the run back inside that
    /// re-arms.
    pub window: usize,
    /// Time after the first value before anything fires (default 7 days).
    pub warmup: SignedDuration,
    /// How long a departure must persist, per hour of the day, to be
    /// adopted as the new normal (default 2 days; see the module doc).
    pub adopt_after: SignedDuration,
}

impl Default for AnomalyPolicy {
    fn default() -> Self {
        Self {
            sensitivity: Sensitivity::Medium,
            scale: Scale::Log,
            min_spread: 0.05,
            offset: Offset::UTC,
            slot_capacity: 72,
            min_slot_points: 6,
            global_capacity: 2016,
            trigger: 3,
            window: 5,
            warmup: SignedDuration::from_hours(7 * 24),
            adopt_after: SignedDuration::from_hours(48),
        }
    }
}

/// The band of normal values at one time, in the values' unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Lower bound.
    pub lower: f64,
    /// Expected value (the median).
    pub expected: f64,
    /// Upper bound.
    pub upper: f64,
}

/// An anomaly: the observation that made the trigger fire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anomaly {
    /// When the observation was made.
    pub at: Timestamp,
    /// The observed value.
    pub value: f64,
    /// The band it was compared with.
    pub band: Band,
    /// Whether it was above the band (else below).
    pub above: bool,
    /// Observations outside the band in the window.
    pub outside: usize,
}

/// Robust centre and spread of a band, in scale units.
#[derive(Debug, Clone, Copy)]
struct Stats {
    centre: f64,
    spread: f64,
}

/// The seasonal baseline: bounded recent values per hour-of-week slot.
#[derive(Debug, Clone)]
pub struct Baseline {
    slots: Vec<VecDeque<f64>>,
    global: VecDeque<f64>,
    slot_capacity: usize,
    global_capacity: usize,
    min_slot_points: usize,
    offset: Offset,
}

impl Baseline {
    fn new(policy: &AnomalyPolicy) -> Self {
        Self {
            slots: vec![VecDeque::new(); SLOTS],
            global: VecDeque::new(),
            slot_capacity: policy.slot_capacity.max(1),
            global_capacity: policy.global_capacity.max(1),
            min_slot_points: policy.min_slot_points.max(1),
            offset: policy.offset,
        }
    }

    /// The hour-of-week slot of `at`: 0 is Monday 00:00–01:00 at the offset.
    pub fn slot(&self, at: Timestamp) -> usize {
        let seconds = at.as_second() + i64::from(self.offset.seconds());
        // 1970-01-01 was a Thursday: three days after a Monday.
        (seconds.div_euclid(3600) + 3 * 24).rem_euclid(SLOTS as i64) as usize
    }

    /// Values stored in `slot` (at most the slot capacity).
    pub fn slot_len(&self, slot: usize) -> usize {
        self.slots.get(slot).map_or(0, VecDeque::len)
    }

    /// Values stored in all, slots and fallback (bounded by
    /// 168 × slot capacity + global capacity).
    pub fn stored(&self) -> usize {
        self.slots.iter().map(VecDeque::len).sum::<usize>() + self.global.len()
    }

    fn learn(&mut self, slot: usize, x: f64) {
        let values = &mut self.slots[slot];
        if values.len() == self.slot_capacity {
            values.pop_front();
        }
        values.push_back(x);
        if self.global.len() == self.global_capacity {
            self.global.pop_front();
        }
        self.global.push_back(x);
    }

    /// Moves every stored value by `delta`.
    fn shift(&mut self, delta: f64) {
        for x in self
            .slots
            .iter_mut()
            .flatten()
            .chain(self.global.iter_mut())
        {
            *x += delta;
        }
    }

    /// Moves the values of `slot` by `delta`.
    fn shift_slot(&mut self, slot: usize, delta: f64) {
        for x in self.slots[slot].iter_mut() {
            *x += delta;
        }
    }

    /// Moves the 7 slots of hour of the day `hour` by `delta`, and the
    /// fallback by a 24th of it.
    fn shift_hour(&mut self, hour: usize, delta: f64) {
        for day in 0..7 {
            for x in self.slots[day * 24 + hour].iter_mut() {
                *x += delta;
            }
        }
        for x in self.global.iter_mut() {
            *x += delta / 24.0;
        }
    }

    /// Median and scaled MAD of the slot, or of the fallback if the slot is
    /// short; `None` if both are.
    fn stats(&self, slot: usize, scratch: &mut Vec<f64>) -> Option<(f64, f64)> {
        let values = if self.slots[slot].len() >= self.min_slot_points {
            &self.slots[slot]
        } else if self.global.len() >= self.min_slot_points {
            &self.global
        } else {
            return None;
        };
        scratch.clear();
        scratch.extend(values.iter().copied());
        let centre = median(scratch);
        for x in scratch.iter_mut() {
            *x = (*x - centre).abs();
        }
        Some((centre, MAD_SCALE * median(scratch)))
    }
}

/// Median of a non-empty slice (reordered).
fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Anomaly detection for one monitor's series.
#[derive(Debug, Clone)]
pub struct AnomalyDetector {
    policy: AnomalyPolicy,
    baseline: Baseline,
    first: Option<Timestamp>,
    recent: VecDeque<bool>,
    firing: bool,
    inside_run: usize,
    /// Recent residuals, all hours.
    level: Departures,
    /// Recent residuals per hour of the day.
    hours: Vec<Departures>,
    /// Recent residuals per slot.
    weekly: Vec<Departures>,
    scratch: Vec<f64>,
}

impl AnomalyDetector {
    /// A detector with `policy` (window at least 1, trigger within 1 ..=
    /// window, capacities at least 1, so any policy behaves).
    pub fn new(policy: AnomalyPolicy) -> Self {
        let window = policy.window.max(1);
        let policy = AnomalyPolicy {
            window,
            trigger: policy.trigger.clamp(1, window),
            min_spread: policy.min_spread.max(0.0),
            ..policy
        };
        Self {
            baseline: Baseline::new(&policy),
            policy,
            first: None,
            recent: VecDeque::with_capacity(window),
            firing: false,
            inside_run: 0,
            level: Departures::new(policy.adopt_after.as_secs(), policy.global_capacity),
            hours: vec![
                Departures::new(
                    2 * policy.adopt_after.as_secs(),
                    policy.global_capacity / 12
                );
                24
            ],
            weekly: vec![Departures::new(WEEKS_2, policy.slot_capacity); SLOTS],
            scratch: Vec::new(),
        }
    }

    /// The band width this detector was made with.
    pub fn sensitivity(&self) -> Sensitivity {
        self.policy.sensitivity
    }

    /// The learned baseline.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Whether an anomaly is firing (not yet re-armed).
    pub fn is_firing(&self) -> bool {
        self.firing
    }

    /// The band at `at`, if enough has been learned for one.
    pub fn band(&mut self, at: Timestamp) -> Option<Band> {
        let slot = self.baseline.slot(at);
        self.stats(slot).map(|s| self.to_band(s))
    }

    fn stats(&mut self, slot: usize) -> Option<Stats> {
        let (centre, mad) = self.baseline.stats(slot, &mut self.scratch)?;
        Some(Stats {
            centre,
            spread: mad.max(self.policy.min_spread),
        })
    }

    fn to_band(&self, s: Stats) -> Band {
        let k = self.policy.sensitivity.k();
        let scale = self.policy.scale;
        Band {
            lower: scale.back(s.centre - k * s.spread),
            expected: scale.back(s.centre),
            upper: scale.back(s.centre + k * s.spread),
        }
    }

    /// Records `value` observed at `at`; returns the anomaly it completed,
    /// if any. Values that are not finite (or negative on the log scale)
    /// are ignored.
    pub fn observe(&mut self, at: Timestamp, value: f64) -> Option<Anomaly> {
        let x = self.policy.scale.forward(value)?;
        let first = *self.first.get_or_insert(at);
        let slot = self.baseline.slot(at);
        let warm = at.as_second() - first.as_second() >= self.policy.warmup.as_secs();
        let stats = if warm { self.stats(slot) } else { None };
        let Some(stats) = stats else {
            self.baseline.learn(slot, x);
            return None;
        };
        let k = self.policy.sensitivity.k();
        let residual = x - stats.centre;
        let outside = residual.abs() > k * stats.spread;
        if self.recent.len() == self.policy.window {
            self.recent.pop_front();
        }
        self.recent.push_back(outside);
        if !outside {
            self.baseline.learn(slot, x);
        }
        self.adopt(slot, at.as_second(), residual, residual / stats.spread);
        if self.firing {
            self.inside_run = if outside { 0 } else { self.inside_run + 1 };
            if self.inside_run >= self.policy.window {
                self.firing = false;
            }
            return None;
        }
        let count = self.recent.iter().filter(|&&o| o).count();
        if !outside || count < self.policy.trigger {
            return None;
        }
        self.firing = true;
        self.inside_run = 0;
        Some(Anomaly {
            at,
            value,
            band: self.to_band(stats),
            above: residual > 0.0,
            outside: count,
        })
    }
}

impl AnomalyDetector {
    /// Records a residual and adopts a persistent departure, if any (see
    /// the module doc).
    fn adopt(&mut self, slot: usize, second: i64, residual: f64, z: f64) {
        let hour = slot % 24;
        let half = self.policy.sensitivity.k() / 2.0;
        let side = if z > half {
            1
        } else if z < -half {
            -1
        } else {
            0
        };
        self.level.push(second, residual, side);
        self.hours[hour].push(second, residual, side);
        self.weekly[slot].push(second, residual, side);
        if self.level.persistent(second) {
            let delta = self.level.take_median(&mut self.scratch);
            self.baseline.shift(delta);
            for pending in self.hours.iter_mut().chain(self.weekly.iter_mut()) {
                pending.clear();
            }
        } else if self.hours[hour].persistent(second) {
            let delta = self.hours[hour].take_median(&mut self.scratch);
            self.baseline.shift_hour(hour, delta);
            self.level.clear();
            for day in 0..7 {
                self.weekly[day * 24 + hour].clear();
            }
        } else if self.weekly[slot].persistent(second) {
            let delta = self.weekly[slot].take_median(&mut self.scratch);
            self.baseline.shift_slot(slot, delta);
        }
    }
}

/// Recent residuals, bounded by age and count, with how many lie beyond
/// half the band on each side.
#[derive(Debug, Clone)]
struct Departures {
    horizon: i64,
    cap: usize,
    entries: VecDeque<(i64, f64, i8)>,
    above: usize,
    below: usize,
}

impl Departures {
    fn new(horizon: i64, cap: usize) -> Self {
        Self {
            horizon,
            cap: cap.max(2),
            entries: VecDeque::new(),
            above: 0,
            below: 0,
        }
    }

    fn push(&mut self, second: i64, residual: f64, side: i8) {
        self.entries.push_back((second, residual, side));
        self.count(side, true);
        while let Some(&(t, _, old)) = self.entries.front() {
            if second - t <= self.horizon && self.entries.len() <= self.cap {
                break;
            }
            self.entries.pop_front();
            self.count(old, false);
        }
    }

    fn count(&mut self, side: i8, add: bool) {
        let counter = match side {
            1 => &mut self.above,
            -1 => &mut self.below,
            _ => return,
        };
        if add {
            *counter += 1;
        } else {
            *counter -= 1;
        }
    }

    /// Whether the residuals span half the horizon and 75% of them depart
    /// on the same side.
    fn persistent(&self, second: i64) -> bool {
        let Some(&(oldest, _, _)) = self.entries.front() else {
            return false;
        };
        self.entries.len() >= 2
            && second - oldest >= self.horizon / 2
            && 4 * self.above.max(self.below) >= 3 * self.entries.len()
    }

    /// The median residual; forgets them all.
    fn take_median(&mut self, scratch: &mut Vec<f64>) -> f64 {
        scratch.clear();
        scratch.extend(self.entries.iter().map(|e| e.1));
        self.clear();
        median(scratch)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.above = 0;
        self.below = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: i64 = 300;

    fn start() -> Timestamp {
        // A Monday, 00:00 UTC.
        "2026-01-05T00:00:00Z".parse().unwrap()
    }

    fn at(i: i64) -> Timestamp {
        Timestamp::from_second(start().as_second() + i * STEP).unwrap()
    }

    /// Deterministic noise in −1 ..= 1.
    fn noise(i: i64) -> f64 {
        let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// A seasonal latency around 100 ms: daily peak at 14:00, quieter
    /// weekends, ±5% noise.
    fn clean(i: i64) -> f64 {
        let hours = (i * STEP) as f64 / 3600.0;
        let hour = hours % 24.0;
        let weekend = (hours / 24.0) as i64 % 7 >= 5;
        let daily = 0.4 * ((hour - 14.0) / 24.0 * std::f64::consts::TAU).cos();
        let weekly = if weekend { -0.2 } else { 0.0 };
        100.0 * (daily + weekly + 0.05 * noise(i)).exp()
    }

    const WEEK: i64 = 7 * 24 * 12;
    const DAY: i64 = 24 * 12;

    fn run(
        detector: &mut AnomalyDetector,
        range: std::ops::Range<i64>,
        f: impl Fn(i64) -> f64,
    ) -> Vec<(i64, Anomaly)> {
        range
            .filter_map(|i| detector.observe(at(i), f(i)).map(|a| (i, a)))
            .collect()
    }

    #[test]
    fn slots_are_hours_of_the_week() {
        let detector = AnomalyDetector::new(AnomalyPolicy::default());
        assert_eq!(detector.baseline().slot(start()), 0);
        assert_eq!(detector.baseline().slot(at(12)), 1);
        assert_eq!(detector.baseline().slot(at(WEEK - 1)), 167);
        let east = AnomalyDetector::new(AnomalyPolicy {
            offset: Offset::constant(2),
            ..AnomalyPolicy::default()
        });
        assert_eq!(east.baseline().slot(start()), 2);
    }

    #[test]
    fn a_clean_seasonal_series_raises_no_alarm() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let alarms = run(&mut detector, 0..6 * WEEK, clean);
        assert!(alarms.is_empty(), "{alarms:?}");
        let band = detector.band(at(6 * WEEK + 14 * 12)).unwrap();
        assert!(band.lower < 149.0 && 149.0 < band.upper, "{band:?}");
    }

    #[test]
    fn nothing_fires_during_warm_up() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let alarms = run(&mut detector, 0..WEEK, |i| {
            if i % 100 < 50 {
                clean(i) * 10.0
            } else {
                clean(i)
            }
        });
        assert!(alarms.is_empty(), "{alarms:?}");
        assert!(detector.band(at(WEEK)).is_some());
    }

    #[test]
    fn a_tenfold_spike_raises_exactly_one_alarm() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let spike = 3 * WEEK + 100..3 * WEEK + 106;
        let alarms = run(&mut detector, 0..5 * WEEK, |i| {
            if spike.contains(&i) {
                clean(i) * 10.0
            } else {
                clean(i)
            }
        });
        assert_eq!(alarms.len(), 1, "{alarms:?}");
        let (i, anomaly) = alarms[0];
        assert_eq!(i, spike.start + 2, "the third point outside fires");
        assert!(anomaly.above && anomaly.outside == 3);
        assert!(anomaly.value > anomaly.band.upper);
        assert!(!detector.is_firing(), "re-armed");
    }

    #[test]
    fn a_level_shift_raises_one_alarm_and_is_learned() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let shift = 3 * WEEK + 7;
        let level = |i: i64| if i >= shift { clean(i) * 1.6 } else { clean(i) };
        let alarms = run(&mut detector, 0..shift + 3 * DAY, level);
        assert_eq!(alarms.len(), 1, "{alarms:?}");
        assert!((shift..shift + 12).contains(&alarms[0].0), "{alarms:?}");
        assert!(!detector.is_firing(), "the new level is normal");
        let later = run(&mut detector, shift + 3 * DAY..shift + 3 * WEEK, level);
        assert!(later.is_empty(), "{later:?}");
        let band = detector.band(at(shift + 3 * WEEK)).unwrap();
        let expected = clean(shift + 3 * WEEK) * 1.6;
        assert!(band.lower < expected && expected < band.upper, "{band:?}");
    }

    #[test]
    fn a_moved_daily_peak_and_weekend_are_learned_within_two_weeks() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let change = 3 * WEEK;
        let moved = |i: i64| {
            if i >= change {
                clean(i + 6 * 12)
            } else {
                clean(i)
            }
        };
        let alarms = run(&mut detector, 0..change + 2 * WEEK, moved);
        assert!(!alarms.is_empty(), "detected");
        assert!(alarms.iter().all(|(i, _)| *i >= change), "{alarms:?}");
        let later = run(&mut detector, change + 2 * WEEK..change + 4 * WEEK, moved);
        assert!(later.is_empty(), "{later:?}");
    }

    #[test]
    fn a_flat_series_does_not_alarm_on_tiny_noise() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        let alarms = run(&mut detector, 0..2 * WEEK, |i| {
            if i < WEEK {
                100.0
            } else {
                100.0 + 5.0 * noise(i)
            }
        });
        assert!(alarms.is_empty(), "{alarms:?}");
    }

    #[test]
    fn non_finite_and_negative_values_are_ignored() {
        let mut detector = AnomalyDetector::new(AnomalyPolicy::default());
        run(&mut detector, 0..2 * WEEK, clean);
        let stored = detector.baseline().stored();
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
            for i in 0..10 {
                assert!(detector.observe(at(2 * WEEK + i), value).is_none());
            }
        }
        assert_eq!(detector.baseline().stored(), stored);
        assert!(!detector.is_firing());
        let mut linear = AnomalyDetector::new(AnomalyPolicy {
            scale: Scale::Linear,
            ..AnomalyPolicy::default()
        });
        assert!(linear.observe(start(), f64::NAN).is_none());
        assert_eq!(linear.baseline().stored(), 0);
    }

    #[test]
    fn memory_stays_bounded() {
        let policy = AnomalyPolicy::default();
        let mut detector = AnomalyDetector::new(policy);
        run(&mut detector, 0..10 * WEEK, clean);
        for slot in 0..SLOTS {
            assert_eq!(detector.baseline().slot_len(slot), policy.slot_capacity);
        }
        assert_eq!(
            detector.baseline().stored(),
            SLOTS * policy.slot_capacity + policy.global_capacity
        );
    }
}
