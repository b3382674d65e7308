//! Flap damping: a monitor that keeps changing state pages once, as
//! "flapping", and then stays quiet until it settles.
//!
//! The method is Nagios's and Icinga's: keep the last [`FlapPolicy::window`]
//! results (21 by default, so 20 transitions), and weigh each change of
//! state between two consecutive results, newer changes more (linearly from
//! 0.8 for the oldest transition to 1.2 for the newest). The weighted share
//! of transitions that were changes is the *flap percentage*, 0 to 100. A
//! monitor starts flapping when it rises above [`FlapPolicy::high`] (30%)
//! and stops when it falls below [`FlapPolicy::low`] (25%) — the gap between
//! the two thresholds (hysteresis) keeps the flag itself from flapping. The
//! defaults are Icinga 2's. Until the window is full no flapping is
//! declared: a handful of results is not a pattern.
//!
//! What the alerting layer does with it: while flapping, state changes are
//! not notified; [`FlapChange::Started`] is notified once; when it settles,
//! [`FlapChange::Stopped`] carries the state it settled in, notified once.

use std::collections::VecDeque;

/// Thresholds of the flap detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlapPolicy {
    /// Results considered (at least 3; default 21).
    pub window: usize,
    /// Flapping starts when the flap percentage rises above this (default 30).
    pub high: f64,
    /// Flapping stops when the flap percentage falls below this (default 25).
    pub low: f64,
}

impl Default for FlapPolicy {
    fn default() -> Self {
        Self {
            window: 21,
            high: 30.0,
            low: 25.0,
        }
    }
}

/// A change of the flapping flag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlapChange {
    /// The monitor started flapping at this flap percentage.
    Started {
        /// The flap percentage that crossed [`FlapPolicy::high`].
        percent: f64,
    },
    /// The monitor settled at this flap percentage, in state `up`.
    Stopped {
        /// The flap percentage that fell below [`FlapPolicy::low`].
        percent: f64,
        /// Whether the latest result, the state it settled in, passed.
        up: bool,
    },
}

/// Flap detection for one monitor.
#[derive(Debug, Clone)]
pub struct FlapDetector {
    policy: FlapPolicy,
    results: VecDeque<bool>,
    flapping: bool,
}

impl FlapDetector {
    /// A detector with `policy` (its window raised to at least 3 and its
    /// thresholds ordered, so any policy behaves).
    pub fn new(policy: FlapPolicy) -> Self {
        let window = policy.window.max(3);
        let high = policy.high.clamp(0.0, 100.0);
        let low = policy.low.clamp(0.0, high);
        Self {
            policy: FlapPolicy { window, high, low },
            results: VecDeque::with_capacity(window),
            flapping: false,
        }
    }

    /// Records a result (`up`: it passed); returns the change of the
    /// flapping flag it caused, if any.
    pub fn observe(&mut self, up: bool) -> Option<FlapChange> {
        if self.results.len() == self.policy.window {
            self.results.pop_front();
        }
        self.results.push_back(up);
        if self.results.len() < self.policy.window {
            return None;
        }
        let percent = self.percent();
        if !self.flapping && percent > self.policy.high {
            self.flapping = true;
            return Some(FlapChange::Started { percent });
        }
        if self.flapping && percent < self.policy.low {
            self.flapping = false;
            return Some(FlapChange::Stopped { percent, up });
        }
        None
    }

    /// Whether the monitor is flapping now.
    pub fn is_flapping(&self) -> bool {
        self.flapping
    }

    /// The weighted share of transitions in the window that were changes,
    /// 0 to 100 (0 while fewer than two results are known).
    pub fn percent(&self) -> f64 {
        let transitions = self.results.len().saturating_sub(1);
        if transitions == 0 {
            return 0.0;
        }
        let step = if transitions > 1 {
            0.4 / (transitions - 1) as f64
        } else {
            0.0
        };
        let (mut changed, mut total) = (0.0, 0.0);
        for (i, (a, b)) in self
            .results
            .iter()
            .zip(self.results.iter().skip(1))
            .enumerate()
        {
            let weight = 0.8 + step * i as f64;
            total += weight;
            if a != b {
                changed += weight;
            }
        }
        100.0 * changed / total
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Feeds `pattern` ('+' up, '-' down); returns the changes with the
    /// index of the result that caused each.
    fn feed(detector: &mut FlapDetector, pattern: &str) -> Vec<(usize, FlapChange)> {
        pattern
            .chars()
            .enumerate()
            .filter_map(|(i, c)| detector.observe(c == '+').map(|change| (i, change)))
            .collect()
    }

    #[test]
    fn a_steady_monitor_or_a_clean_outage_never_flaps() {
        let mut steady = FlapDetector::new(FlapPolicy::default());
        assert!(feed(&mut steady, &"+".repeat(100)).is_empty());
        let mut outage = FlapDetector::new(FlapPolicy::default());
        let pattern = format!("{}{}{}", "+".repeat(30), "-".repeat(40), "+".repeat(30));
        assert!(
            feed(&mut outage, &pattern).is_empty(),
            "two changes are 10%"
        );
        assert_eq!(outage.percent(), 0.0);
    }

    #[test]
    fn alternating_results_start_flapping_once_then_settle_once_with_the_final_state() {
        let mut detector = FlapDetector::new(FlapPolicy::default());
        let pattern = format!("{}{}{}", "+".repeat(21), "+-".repeat(20), "-".repeat(30));
        let changes = feed(&mut detector, &pattern);
        assert_eq!(changes.len(), 2, "{changes:?}");
        let (started_at, started) = changes[0];
        let (stopped_at, stopped) = changes[1];
        assert!(matches!(started, FlapChange::Started { percent } if percent > 30.0));
        assert!(
            (21..41).contains(&started_at),
            "starts while alternating: {started_at}"
        );
        assert!(matches!(stopped, FlapChange::Stopped { percent, up: false } if percent < 25.0));
        assert!(
            stopped_at > 61,
            "settles only once the window calms: {stopped_at}"
        );
        assert!(!detector.is_flapping());
    }

    #[test]
    fn newer_changes_weigh_more() {
        let mut old = FlapDetector::new(FlapPolicy::default());
        feed(&mut old, &format!("+-+-{}", "+".repeat(17)));
        let mut new = FlapDetector::new(FlapPolicy::default());
        feed(&mut new, &format!("{}+-+-", "+".repeat(17)));
        assert!(new.percent() > old.percent());
        // Four changes at the oldest transitions: (4 × 0.8 + (0+1+2+3) × 0.4/19)
        // of a total weight of 20.
        let expected = 100.0 * (3.2 + 6.0 * 0.4 / 19.0) / 20.0;
        assert!((old.percent() - expected).abs() < 1e-9, "{}", old.percent());
    }

    #[test]
    fn hysteresis_keeps_the_flag_from_flapping() {
        let policy = FlapPolicy {
            window: 21,
            high: 30.0,
            low: 10.0,
        };
        let mut detector = FlapDetector::new(policy);
        feed(&mut detector, &"+-".repeat(11));
        assert!(detector.is_flapping());
        // About 20% changes: below high, above low — still flapping.
        let changes = feed(&mut detector, &"++++-".repeat(8));
        assert!(changes.is_empty(), "{changes:?}");
        assert!(detector.is_flapping());
    }

    proptest! {
        #[test]
        fn changes_alternate_and_percent_stays_in_range(results in proptest::collection::vec(any::<bool>(), 0..300)) {
            let mut detector = FlapDetector::new(FlapPolicy::default());
            let mut flapping = false;
            for up in results {
                match detector.observe(up) {
                    Some(FlapChange::Started { .. }) => { prop_assert!(!flapping); flapping = true; }
                    Some(FlapChange::Stopped { up: settled, .. }) => { prop_assert!(flapping); prop_assert_eq!(settled, up); flapping = false; }
                    None => {}
                }
                prop_assert_eq!(detector.is_flapping(), flapping);
                let percent = detector.percent();
                prop_assert!((0.0..=100.0).contains(&percent));
            }
        }
    }
}
