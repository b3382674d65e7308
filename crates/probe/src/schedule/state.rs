//! The up/down state machine of each monitor: consecutive counts per
//! location (confirm / recover), the quorum across locations, and the typed
//! [`StateChange`] event that alerting and the status page consume.
//!
//! Rules:
//! - **Per location**, a verdict starts `Unknown`. A success makes an
//!   unknown verdict `Up` at once (a healthy new monitor is news to no one);
//!   `confirm` consecutive failures make it `Down`; `recover` consecutive
//!   successes make a down verdict `Up` again.
//! - **Across locations**, the monitor is `Down` when at least `quorum`
//!   live locations say so; `Degraded` when some live locations say `Down`
//!   but fewer than `quorum` while others say `Up` (a partial outage: users
//!   somewhere cannot reach it); else `Up` when any live location says so;
//!   else unchanged. A location is live while its latest result is no older than
//!   [`STALE_AFTER_INTERVALS`] intervals; the quorum is capped at the number
//!   of live locations, so one surviving instance still detects an outage.
//! - A **decisive** failure (a heartbeat ping reporting failure) makes the
//!   location's verdict `Down` at once, skipping `confirm`.
//! - While **paused**, results are counted but the state stays `Paused`;
//!   resuming starts again from `Unknown`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use super::spec::{MonitorKey, MonitorSpec};
use crate::result::CheckResult;

/// A location's verdict goes stale after this many intervals without a
/// result (its instance is presumed gone) and stops counting.
pub const STALE_AFTER_INTERVALS: u32 = 3;

/// The state of a monitor as alerting and the status page see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorState {
    /// No verdict yet (new, resumed, or only unconfirmed failures so far).
    Unknown,
    /// Passing.
    Up,
    /// Failing, confirmed.
    Down,
    /// Failing from some locations, fewer than the quorum.
    Degraded,
    /// Checked, but its state is frozen by an operator.
    Paused,
}

impl MonitorState {
    /// The lowercase name used in the API: `unknown`, `up`, `down`,
    /// `degraded`, `paused`.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorState::Unknown => "unknown",
            MonitorState::Up => "up",
            MonitorState::Down => "down",
            MonitorState::Degraded => "degraded",
            MonitorState::Paused => "paused",
        }
    }
}

impl fmt::Display for MonitorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A monitor changed state: the event stored and consumed by alerting and
/// the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The monitor.
    pub key: MonitorKey,
    /// The state before.
    pub from: MonitorState,
    /// The state now.
    pub to: MonitorState,
    /// When: the start of the check that tipped it.
    pub at: Timestamp,
    /// For `Down`, the failure that confirmed it (user-facing); else `None`.
    pub reason: Option<String>,
    /// The live locations whose verdict is `to`, sorted.
    pub locations: Vec<String>,
}

/// The state machine of one monitor.
#[derive(Debug, Clone)]
pub struct MonitorTracker {
    key: MonitorKey,
    confirm: u32,
    recover: u32,
    quorum: u32,
    stale_after: Duration,
    state: MonitorState,
    paused: bool,
    tallies: BTreeMap<String, Tally>,
}

impl MonitorTracker {
    /// A tracker in state `Unknown` with `spec`'s settings.
    pub fn new(spec: &MonitorSpec) -> Self {
        let mut tracker = Self {
            key: spec.key.clone(),
            confirm: 1,
            recover: 1,
            quorum: 1,
            stale_after: Duration::ZERO,
            state: MonitorState::Unknown,
            paused: false,
            tallies: BTreeMap::new(),
        };
        tracker.update(spec);
        tracker
    }

    /// Takes `spec`'s new settings, keeping state and counts; the new
    /// thresholds apply from the next result.
    pub fn update(&mut self, spec: &MonitorSpec) {
        self.confirm = spec.confirm.max(1);
        self.recover = spec.recover.max(1);
        self.quorum = spec.quorum.max(1);
        self.stale_after = spec.every.saturating_mul(STALE_AFTER_INTERVALS);
    }

    /// The current state.
    pub fn state(&self) -> MonitorState {
        self.state
    }

    /// Records `result` from `location`; returns the change it caused.
    pub fn observe(&mut self, location: &str, result: &CheckResult) -> Option<StateChange> {
        self.record(location, result, false)
    }

    /// Records a failure that needs no confirmation (a heartbeat ping
    /// reporting failure): the location's verdict is `Down` at once. A
    /// success is recorded as by [`Self::observe`].
    pub fn observe_decisive(
        &mut self,
        location: &str,
        result: &CheckResult,
    ) -> Option<StateChange> {
        self.record(location, result, true)
    }

    /// Takes up `state`, last known before a restart, as this location's
    /// verdict at `at`: a monitor that was down stays down until `recover`
    /// successes, one that was up goes down only after `confirm` failures,
    /// and neither emits a change for merely being seen again. `Unknown`
    /// and `Paused` restore nothing.
    pub fn restore(&mut self, state: MonitorState, location: &str, at: Timestamp) {
        let verdict = match state {
            MonitorState::Up => Verdict::Up,
            MonitorState::Down => Verdict::Down,
            MonitorState::Unknown | MonitorState::Degraded | MonitorState::Paused => return,
        };
        self.state = state;
        self.tallies.insert(
            location.to_owned(),
            Tally {
                verdict,
                failures: 0,
                successes: 0,
                last_at: at,
                last_reason: None,
            },
        );
    }

    /// Freezes the state as `Paused`.
    pub fn pause(&mut self, at: Timestamp) -> Option<StateChange> {
        self.paused = true;
        self.transition(MonitorState::Paused, at, None)
    }

    /// Unfreezes: state `Unknown`, counts forgotten.
    pub fn resume(&mut self, at: Timestamp) -> Option<StateChange> {
        self.paused = false;
        self.tallies.clear();
        self.transition(MonitorState::Unknown, at, None)
    }

    fn record(
        &mut self,
        location: &str,
        result: &CheckResult,
        decisive: bool,
    ) -> Option<StateChange> {
        let at = result.started_at;
        let tally = self
            .tallies
            .entry(location.to_owned())
            .or_insert_with(|| Tally {
                verdict: Verdict::Unknown,
                failures: 0,
                successes: 0,
                last_at: at,
                last_reason: None,
            });
        tally.last_at = tally.last_at.max(at);
        if result.is_up() {
            tally.successes = tally.successes.saturating_add(1);
            tally.failures = 0;
            if tally.verdict == Verdict::Unknown
                || (tally.verdict == Verdict::Down && tally.successes >= self.recover)
            {
                tally.verdict = Verdict::Up;
            }
        } else {
            tally.failures = tally.failures.saturating_add(1);
            tally.successes = 0;
            tally.last_reason = result.reason().map(str::to_owned);
            if decisive || tally.failures >= self.confirm {
                tally.verdict = Verdict::Down;
            }
        }
        if self.paused {
            return None;
        }
        let (target, reason) = self.verdict(location, at)?;
        self.transition(target, at, reason)
    }

    /// The state the live verdicts call for (and the down reason), or
    /// `None` to keep the current one.
    fn verdict(&self, location: &str, now: Timestamp) -> Option<(MonitorState, Option<String>)> {
        let live: Vec<(&String, &Tally)> = self
            .tallies
            .iter()
            .filter(|(_, tally)| {
                now.duration_since(tally.last_at).unsigned_abs() <= self.stale_after
            })
            .collect();
        let quorum = usize::try_from(self.quorum)
            .unwrap_or(usize::MAX)
            .min(live.len())
            .max(1);
        let down = live
            .iter()
            .filter(|(_, t)| t.verdict == Verdict::Down)
            .count();
        if down >= quorum {
            let reason = live
                .iter()
                .filter(|(_, t)| t.verdict == Verdict::Down)
                .min_by_key(|(name, _)| name.as_str() != location)
                .and_then(|(_, t)| t.last_reason.clone());
            return Some((MonitorState::Down, reason));
        }
        let any_up = live.iter().any(|(_, t)| t.verdict == Verdict::Up);
        if any_up && down > 0 {
            let reason = live
                .iter()
                .filter(|(_, t)| t.verdict == Verdict::Down)
                .map(|(name, t)| {
                    let why = t.last_reason.as_deref().unwrap_or("failing");
                    format!("from {name}: {why}")
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Some((MonitorState::Degraded, Some(reason)));
        }
        any_up.then_some((MonitorState::Up, None))
    }

    fn transition(
        &mut self,
        to: MonitorState,
        at: Timestamp,
        reason: Option<String>,
    ) -> Option<StateChange> {
        if to == self.state {
            return None;
        }
        let from = std::mem::replace(&mut self.state, to);
        let wanted = match to {
            MonitorState::Up => Some(Verdict::Up),
            MonitorState::Down | MonitorState::Degraded => Some(Verdict::Down),
            MonitorState::Unknown | MonitorState::Paused => None,
        };
        let locations = self
            .tallies
            .iter()
            .filter(|(_, tally)| Some(tally.verdict) == wanted)
            .filter(|(_, tally)| {
                at.duration_since(tally.last_at).unsigned_abs() <= self.stale_after
            })
            .map(|(name, _)| name.clone())
            .collect();
        Some(StateChange {
            key: self.key.clone(),
            from,
            to,
            at,
            reason,
            locations,
        })
    }
}

/// The state machines of every monitor of the plan, by key.
#[derive(Debug, Default)]
pub struct StateBook {
    trackers: HashMap<MonitorKey, MonitorTracker>,
}

impl StateBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows a reload: trackers of new monitors start `Unknown`, those of
    /// kept monitors keep state and counts with the new settings, those of
    /// monitors not in `specs` are dropped.
    pub fn sync<'a>(&mut self, specs: impl IntoIterator<Item = &'a MonitorSpec>) {
        let mut kept = HashMap::with_capacity(self.trackers.len());
        for spec in specs {
            let tracker = match self.trackers.remove(&spec.key) {
                Some(mut tracker) => {
                    tracker.update(spec);
                    tracker
                }
                None => MonitorTracker::new(spec),
            };
            kept.insert(spec.key.clone(), tracker);
        }
        self.trackers = kept;
    }

    /// Takes up the states last known before a restart (see
    /// [`MonitorTracker::restore`]) for the monitors in the book that are
    /// still `Unknown`.
    pub fn restore(
        &mut self,
        states: &HashMap<MonitorKey, MonitorState>,
        location: &str,
        at: Timestamp,
    ) {
        for (key, &state) in states {
            if let Some(tracker) = self.trackers.get_mut(key)
                && tracker.state == MonitorState::Unknown
            {
                tracker.restore(state, location, at);
            }
        }
    }

    /// Records `result` of monitor `key` from `location` (ignored for a
    /// monitor not in the book, e.g. one removed while its check ran).
    pub fn observe(
        &mut self,
        key: &MonitorKey,
        location: &str,
        result: &CheckResult,
    ) -> Option<StateChange> {
        self.trackers.get_mut(key)?.observe(location, result)
    }

    /// Like [`Self::observe`], for a decisive result (see
    /// [`MonitorTracker::observe_decisive`]).
    pub fn observe_decisive(
        &mut self,
        key: &MonitorKey,
        location: &str,
        result: &CheckResult,
    ) -> Option<StateChange> {
        self.trackers
            .get_mut(key)?
            .observe_decisive(location, result)
    }

    /// The state of monitor `key`.
    pub fn state(&self, key: &MonitorKey) -> Option<MonitorState> {
        self.trackers.get(key).map(MonitorTracker::state)
    }

    /// The tracker of monitor `key`, e.g. to pause it.
    pub fn tracker_mut(&mut self, key: &MonitorKey) -> Option<&mut MonitorTracker> {
        self.trackers.get_mut(key)
    }

    /// Every monitor's state, in no particular order.
    pub fn states(&self) -> impl Iterator<Item = (&MonitorKey, MonitorState)> {
        self.trackers
            .iter()
            .map(|(key, tracker)| (key, tracker.state))
    }

    /// How many monitors are tracked.
    pub fn len(&self) -> usize {
        self.trackers.len()
    }

    /// Whether no monitor is tracked.
    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }
}

/// One location's view of a monitor.
#[derive(Debug, Clone)]
struct Tally {
    verdict: Verdict,
    failures: u32,
    successes: u32,
    last_at: Timestamp,
    last_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Unknown,
    Up,
    Down,
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::super::spec::tests::tcp_spec;
    use super::*;
    use crate::result::Outcome;

    fn t0() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().expect("valid timestamp")
    }

    fn result(step: i64, up: bool) -> CheckResult {
        CheckResult {
            started_at: t0() + SignedDuration::from_secs(30 * step),
            duration: Duration::from_millis(20),
            outcome: if up {
                Outcome::Up
            } else {
                Outcome::Down {
                    reasons: vec![format!("connect: connection refused (#{step})")],
                }
            },
            details: Default::default(),
        }
    }

    fn tracker(confirm: u32, recover: u32, quorum: u32) -> MonitorTracker {
        let mut spec = tcp_spec("m", "h", 30);
        spec.confirm = confirm;
        spec.recover = recover;
        spec.quorum = quorum;
        MonitorTracker::new(&spec)
    }

    /// Feeds `pattern` ('+' up, '-' down) from one location; returns the
    /// state after each result.
    fn feed(tracker: &mut MonitorTracker, pattern: &str) -> String {
        pattern
            .chars()
            .enumerate()
            .map(|(i, c)| {
                tracker.observe("here", &result(i64::try_from(i).unwrap_or(0), c == '+'));
                match tracker.state() {
                    MonitorState::Unknown => '?',
                    MonitorState::Up => 'U',
                    MonitorState::Down => 'D',
                    MonitorState::Degraded => 'd',
                    MonitorState::Paused => 'P',
                }
            })
            .collect()
    }

    #[test]
    fn a_restored_state_holds_until_confirm_or_recover_says_otherwise() {
        let mut down = tracker(3, 2, 1);
        down.restore(MonitorState::Down, "here", t0());
        assert_eq!(down.state(), MonitorState::Down);
        assert!(
            down.observe("here", &result(0, false)).is_none(),
            "still down: no news"
        );
        assert_eq!(
            feed(&mut down, "++"),
            "DU",
            "recover = 2 applies after a restart"
        );

        let mut up = tracker(3, 2, 1);
        up.restore(MonitorState::Up, "here", t0());
        assert!(
            up.observe("here", &result(0, true)).is_none(),
            "still up: no news"
        );
        assert_eq!(
            feed(&mut up, "---"),
            "UUD",
            "confirm = 3 applies after a restart"
        );

        let mut paused = tracker(3, 2, 1);
        paused.restore(MonitorState::Paused, "here", t0());
        assert_eq!(paused.state(), MonitorState::Unknown);
    }

    #[test]
    fn first_success_is_up_at_once_but_failures_need_confirm() {
        assert_eq!(feed(&mut tracker(3, 2, 1), "+"), "U");
        assert_eq!(feed(&mut tracker(3, 2, 1), "--+"), "??U");
        assert_eq!(feed(&mut tracker(3, 2, 1), "---"), "??D");
    }

    #[test]
    fn confirm_and_recover_count_consecutive_results() {
        let mut t = tracker(3, 2, 1);
        assert_eq!(feed(&mut t, "+--+---++-++"), "UUUUUUDDUUUU");
        let mut t = tracker(2, 3, 1);
        assert_eq!(feed(&mut t, "+--++-+++"), "UUDDDDDDU");
    }

    #[test]
    fn a_state_change_says_why_and_when() {
        let mut t = tracker(2, 1, 1);
        assert!(
            t.observe("ams", &result(0, true))
                .is_some_and(|c| c.from == MonitorState::Unknown)
        );
        assert_eq!(t.observe("ams", &result(1, false)), None);
        let change = t.observe("ams", &result(2, false)).expect("confirmed down");
        assert_eq!(
            change,
            StateChange {
                key: MonitorKey::new("svc", "m"),
                from: MonitorState::Up,
                to: MonitorState::Down,
                at: result(2, false).started_at,
                reason: Some("connect: connection refused (#2)".into()),
                locations: vec!["ams".into()],
            }
        );
    }

    #[test]
    fn a_decisive_failure_skips_confirm() {
        let mut t = tracker(3, 1, 1);
        t.observe("here", &result(0, true));
        let change = t.observe_decisive("here", &result(1, false));
        assert_eq!(change.map(|c| c.to), Some(MonitorState::Down));
    }

    #[test]
    fn quorum_of_two_among_three_locations() {
        let mut t = tracker(1, 1, 2);
        for loc in ["ams", "fra", "nyc"] {
            t.observe(loc, &result(0, true));
        }
        assert_eq!(t.state(), MonitorState::Up);
        // One location failing is below the quorum: not an outage, but a
        // partial one — degraded, saying where and why.
        let change = t.observe("ams", &result(1, false)).expect("partial outage");
        assert_eq!(
            (change.to, change.locations.clone()),
            (MonitorState::Degraded, vec!["ams".to_owned()])
        );
        assert_eq!(
            change.reason.as_deref(),
            Some("from ams: connect: connection refused (#1)")
        );
        assert_eq!(t.observe("fra", &result(1, true)), None);
        // A second location agreeing takes it down.
        let change = t.observe("nyc", &result(1, false)).expect("quorum reached");
        assert_eq!(change.to, MonitorState::Down);
        assert_eq!(change.locations, ["ams", "nyc"]);
        assert_eq!(
            change.reason.as_deref(),
            Some("connect: connection refused (#1)")
        );
        // One recovering brings the down count below quorum: degraded
        // while nyc still fails, up once it recovers too.
        let change = t.observe("ams", &result(2, true)).expect("below quorum");
        assert_eq!(
            (change.to, change.locations),
            (MonitorState::Degraded, vec!["nyc".into()])
        );
        let change = t.observe("nyc", &result(2, true)).expect("all up");
        assert_eq!(
            (change.to, change.locations),
            (
                MonitorState::Up,
                vec!["ams".into(), "fra".into(), "nyc".into()]
            )
        );
    }

    #[test]
    fn a_silent_location_stops_counting_towards_quorum() {
        let mut t = tracker(1, 1, 2);
        t.observe("ams", &result(0, true));
        t.observe("fra", &result(0, true));
        // fra's instance dies; ams alone, more than 3 intervals later, can
        // still declare the outage (at first fra still counts: degraded).
        assert_eq!(
            t.observe("ams", &result(1, false)).map(|c| c.to),
            Some(MonitorState::Degraded)
        );
        let change = t.observe("ams", &result(5, false)).expect("fra is stale");
        assert_eq!(
            (change.to, change.locations),
            (MonitorState::Down, vec!["ams".into()])
        );
    }

    #[test]
    fn paused_monitors_do_not_change_and_resume_unknown() {
        let mut t = tracker(1, 1, 1);
        t.observe("here", &result(0, true));
        assert_eq!(t.pause(t0()).map(|c| c.to), Some(MonitorState::Paused));
        assert_eq!(t.observe("here", &result(1, false)), None);
        assert_eq!(t.resume(t0()).map(|c| c.to), Some(MonitorState::Unknown));
        assert_eq!(
            t.observe("here", &result(2, true)).map(|c| c.to),
            Some(MonitorState::Up)
        );
    }

    #[test]
    fn the_book_keeps_state_across_reloads_and_drops_removed_monitors() {
        let a = tcp_spec("a", "h", 30);
        let b = tcp_spec("b", "h", 30);
        let mut book = StateBook::new();
        book.sync([&a, &b]);
        book.observe(&a.key, "here", &result(0, true));
        let mut a2 = a.clone();
        a2.confirm = 2;
        book.sync([&a2]);
        assert_eq!(book.state(&a.key), Some(MonitorState::Up));
        assert_eq!(book.state(&b.key), None);
        assert_eq!(book.observe(&b.key, "here", &result(1, false)), None);
        // The new confirm applies: one failure is not enough any more.
        assert_eq!(book.observe(&a.key, "here", &result(1, false)), None);
        assert_eq!(book.len(), 1);
    }

    proptest! {
        /// Against a reference model of one location: the state is Down
        /// exactly when the verdict is, which only `confirm` trailing
        /// failures set and only `recover` trailing successes clear.
        #[test]
        fn state_follows_consecutive_counts(
            confirm in 1u32..5,
            recover in 1u32..5,
            results in proptest::collection::vec(any::<bool>(), 0..80),
        ) {
            let mut t = tracker(confirm, recover, 1);
            let mut state = MonitorState::Unknown;
            let (mut fails, mut passes) = (0u32, 0u32);
            for (i, &up) in results.iter().enumerate() {
                let change = t.observe("here", &result(i64::try_from(i).unwrap_or(0), up));
                if up { passes += 1; fails = 0; } else { fails += 1; passes = 0; }
                let expected = match state {
                    MonitorState::Unknown if up => MonitorState::Up,
                    MonitorState::Down if up && passes >= recover => MonitorState::Up,
                    _ if !up && fails >= confirm => MonitorState::Down,
                    other => other,
                };
                prop_assert_eq!(t.state(), expected);
                if expected == MonitorState::Down {
                    prop_assert!(fails >= confirm || (state == MonitorState::Down && passes < recover));
                }
                match change {
                    Some(change) => {
                        prop_assert_eq!(change.from, state);
                        prop_assert_eq!(change.to, expected);
                        prop_assert_eq!(change.reason.is_some(), expected == MonitorState::Down);
                    }
                    None => prop_assert_eq!(state, expected),
                }
                state = expected;
            }
        }
    }
}
