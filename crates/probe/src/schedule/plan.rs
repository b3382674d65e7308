//! The plan: when each monitor starts next. A pure, synchronous timer heap
//! keyed by due time (O(log n) per start), with even spread of phases, no
//! drift, skipping of missed slots, heartbeat deadlines, and reload diffs.
//!
//! Rules (the module docs of [`super`] explain why):
//! - **Grid.** A run monitor starts at `phase + k·every` after the Unix
//!   epoch, whatever its checks take, so starts never drift.
//! - **Spread.** Monitors sharing an interval get phases evenly spread over
//!   it: on a fresh plan, `i·every/n` by key order; monitors added by a
//!   reload go into the widest gaps left between existing phases.
//! - **Missed slots.** If the caller falls behind (a stalled process), a
//!   monitor runs once for its latest passed slot and [`Due::missed`] counts
//!   the earlier ones skipped; there is never a burst of catch-up runs.
//! - **Reload.** Unchanged monitors keep phase and slot; changed ones keep
//!   their phase unless their interval changed; removed ones vanish.
//! - **Heartbeats** are never run: their deadline is the last ping (or the
//!   time they were added) plus `every + grace`, then every `every` of
//!   further silence.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::heartbeat::{self, HeartbeatError, Ping};
use super::spec::{MonitorKey, MonitorSpec};
use crate::result::CheckResult;

/// A reloadable schedule of monitors; see the module docs for its rules.
#[derive(Debug, Default)]
pub struct Plan {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    index: HashMap<MonitorKey, usize>,
    heap: BinaryHeap<Reverse<Slot>>,
    generation: u64,
}

/// What a reload changed, by monitor key (each list sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanDiff {
    /// Monitors new in this catalog.
    pub added: Vec<MonitorKey>,
    /// Monitors whose settings changed; they keep their state, and their
    /// phase unless their interval changed.
    pub changed: Vec<MonitorKey>,
    /// Monitors no longer in the catalog (or no longer at this location).
    pub removed: Vec<MonitorKey>,
    /// How many monitors are exactly as before (they keep phase and state).
    pub unchanged: usize,
}

impl PlanDiff {
    /// Whether the reload changed nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// One monitor that is due.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// The monitor.
    pub spec: Arc<MonitorSpec>,
    /// The slot (or deadline) this is for; the schedule lag is the actual
    /// start minus this.
    pub planned: Timestamp,
    /// Earlier slots that passed unserved because the caller fell behind;
    /// they are skipped, not run.
    pub missed: u64,
    /// Whether to run a check or to report a missing heartbeat.
    pub kind: DueKind,
}

/// What a [`Due`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueKind {
    /// Run the monitor's check now.
    Check,
    /// A heartbeat monitor's deadline passed without a ping.
    HeartbeatOverdue {
        /// The last ping, if any arrived since the monitor was added.
        last_beat: Option<Timestamp>,
        /// When the plan started awaiting pings for this monitor.
        since: Timestamp,
    },
}

impl Due {
    /// For a missed heartbeat, the failed result to record (`no heartbeat
    /// since …`); `None` for a check to run.
    pub fn overdue_result(&self) -> Option<CheckResult> {
        match &self.kind {
            DueKind::Check => None,
            DueKind::HeartbeatOverdue { last_beat, since } => Some(heartbeat::overdue_result(
                &self.spec,
                self.planned,
                *last_beat,
                *since,
            )),
        }
    }
}

impl Plan {
    /// A plan of `specs` whose first starts are at or after `now`.
    pub fn new(specs: impl IntoIterator<Item = MonitorSpec>, now: Timestamp) -> Self {
        let mut plan = Self::default();
        plan.apply(specs, now);
        plan
    }

    /// Replaces the monitors with `specs` (a reload) and says what changed.
    /// Monitors added or re-phased start at their first slot at or after
    /// `now`.
    pub fn apply(
        &mut self,
        specs: impl IntoIterator<Item = MonitorSpec>,
        now: Timestamp,
    ) -> PlanDiff {
        let mut incoming: BTreeMap<MonitorKey, MonitorSpec> = specs
            .into_iter()
            .map(|spec| (spec.key.clone(), spec))
            .collect();
        let mut diff = PlanDiff::default();

        let mut gone: Vec<MonitorKey> = self
            .index
            .keys()
            .filter(|key| !incoming.contains_key(*key))
            .cloned()
            .collect();
        gone.sort();
        for key in &gone {
            if let Some(slot) = self.index.remove(key) {
                self.entries[slot] = None;
                self.free.push(slot);
            }
        }
        diff.removed = gone;

        // Monitors needing a new phase, grouped by interval, in key order.
        let mut to_place: BTreeMap<i128, Vec<Arc<MonitorSpec>>> = BTreeMap::new();
        for (key, spec) in std::mem::take(&mut incoming) {
            let Some(&slot) = self.index.get(&key) else {
                diff.added.push(key);
                self.place_later(&mut to_place, spec);
                continue;
            };
            let Some(entry) = self.entries[slot].as_mut() else {
                continue;
            };
            if *entry.spec == spec {
                diff.unchanged += 1;
                continue;
            }
            diff.changed.push(key);
            let same_cadence =
                entry.spec.every == spec.every && entry.spec.is_heartbeat() == spec.is_heartbeat();
            let spec = Arc::new(spec);
            if spec.is_heartbeat() {
                entry.spec = spec;
                let at = entry.heartbeat_deadline();
                self.schedule(slot, at.max(nanos(now)));
            } else if same_cadence {
                entry.spec = spec;
            } else {
                self.index.remove(&entry.spec.key);
                self.entries[slot] = None;
                self.free.push(slot);
                to_place.entry(nanos_of(spec.every)).or_default().push(spec);
            }
        }

        self.place_all(to_place, now);
        self.compact();
        diff
    }

    /// Pops every monitor due at or before `now`, rescheduling each to its
    /// next slot after `now`.
    pub fn due(&mut self, now: Timestamp) -> impl Iterator<Item = Due> + '_ {
        let now = nanos(now);
        std::iter::from_fn(move || self.pop_due(now))
    }

    /// When the earliest monitor is due, if any.
    pub fn next_due(&mut self) -> Option<Timestamp> {
        self.drop_stale_head();
        self.heap.peek().map(|Reverse(slot)| stamp(slot.at))
    }

    /// Records a ping of heartbeat monitor `key` at `at`: `ok = false` is
    /// the job reporting failure (`message` says why). Returns the result to
    /// feed the state machine, and moves the deadline to `at + every +
    /// grace`.
    pub fn heartbeat(
        &mut self,
        key: &MonitorKey,
        at: Timestamp,
        ping: &Ping,
    ) -> Result<CheckResult, HeartbeatError> {
        let slot = *self
            .index
            .get(key)
            .ok_or_else(|| HeartbeatError::UnknownMonitor(key.clone()))?;
        let Some(entry) = self.entries[slot].as_mut() else {
            return Err(HeartbeatError::UnknownMonitor(key.clone()));
        };
        if !entry.spec.is_heartbeat() {
            return Err(HeartbeatError::NotHeartbeat(key.clone()));
        }
        entry.last_beat = Some(entry.last_beat.map_or(at, |last| last.max(at)));
        let deadline = entry.heartbeat_deadline();
        self.schedule(slot, deadline);
        Ok(heartbeat::beat_result(at, ping))
    }

    /// The spec of monitor `key`.
    pub fn spec(&self, key: &MonitorKey) -> Option<&Arc<MonitorSpec>> {
        self.entry(key).map(|entry| &entry.spec)
    }

    /// Every monitor's spec, in no particular order.
    pub fn specs(&self) -> impl Iterator<Item = &Arc<MonitorSpec>> {
        self.entries.iter().flatten().map(|entry| &entry.spec)
    }

    /// The phase of run monitor `key`: its offset within its interval
    /// (slots are at `phase + k·every` after the Unix epoch).
    pub fn phase(&self, key: &MonitorKey) -> Option<Duration> {
        let entry = self.entry(key)?;
        if entry.spec.is_heartbeat() {
            return None;
        }
        u64::try_from(entry.phase).ok().map(Duration::from_nanos)
    }

    /// When monitor `key` is next due.
    pub fn next_for(&self, key: &MonitorKey) -> Option<Timestamp> {
        self.entry(key).map(|entry| stamp(entry.next))
    }

    /// How many monitors the plan holds.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the plan holds no monitor.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// One monitor in the plan.
#[derive(Debug)]
struct Entry {
    spec: Arc<MonitorSpec>,
    /// Offset of the grid within the interval, in ns (run monitors).
    phase: i128,
    /// When it is next due, in ns since the epoch.
    next: i128,
    /// The heap item that is current for this entry; older ones are stale.
    generation: u64,
    /// When the plan started awaiting this monitor (heartbeats).
    since: Timestamp,
    /// The latest ping (heartbeats).
    last_beat: Option<Timestamp>,
}

impl Entry {
    /// The next heartbeat deadline after the last ping (or `since`).
    fn heartbeat_deadline(&self) -> i128 {
        let window = self
            .spec
            .heartbeat
            .map_or(self.spec.every, |w| w.deadline());
        nanos(self.last_beat.unwrap_or(self.since)).saturating_add(nanos_of(window))
    }
}

/// A heap item: entry `entry` is due at `at` (stale unless `generation`
/// matches the entry's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    at: i128,
    entry: usize,
    generation: u64,
}

impl Plan {
    fn entry(&self, key: &MonitorKey) -> Option<&Entry> {
        let slot = *self.index.get(key)?;
        self.entries.get(slot)?.as_ref()
    }

    fn place_later(&self, to_place: &mut BTreeMap<i128, Vec<Arc<MonitorSpec>>>, spec: MonitorSpec) {
        to_place
            .entry(nanos_of(spec.every))
            .or_default()
            .push(Arc::new(spec));
    }

    /// Gives every spec in `to_place` a phase (run monitors) or a first
    /// deadline (heartbeats) and inserts it.
    fn place_all(&mut self, to_place: BTreeMap<i128, Vec<Arc<MonitorSpec>>>, now: Timestamp) {
        if to_place.is_empty() {
            return;
        }
        let mut existing: HashMap<i128, Vec<i128>> = HashMap::new();
        for entry in self.entries.iter().flatten() {
            let every = nanos_of(entry.spec.every);
            if !entry.spec.is_heartbeat() && to_place.contains_key(&every) {
                existing.entry(every).or_default().push(entry.phase);
            }
        }
        for (every, specs) in to_place {
            let (beats, runs): (Vec<_>, Vec<_>) = specs.into_iter().partition(|s| s.is_heartbeat());
            let phases = spread(
                existing.remove(&every).unwrap_or_default(),
                runs.len(),
                every,
            );
            for (spec, phase) in runs.into_iter().zip(phases) {
                let first = first_slot_at_or_after(nanos(now), phase, every);
                self.insert(spec, phase, now, first);
            }
            for spec in beats {
                let window = spec.heartbeat.map_or(spec.every, |w| w.deadline());
                let first = nanos(now).saturating_add(nanos_of(window));
                self.insert(spec, 0, now, first);
            }
        }
    }

    fn insert(&mut self, spec: Arc<MonitorSpec>, phase: i128, now: Timestamp, first: i128) {
        let key = spec.key.clone();
        let entry = Entry {
            spec,
            phase,
            next: first,
            generation: 0,
            since: now,
            last_beat: None,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.entries[slot] = Some(entry);
                slot
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        };
        self.index.insert(key, slot);
        self.schedule(slot, first);
    }

    /// Makes entry `slot` due at `at`, superseding its earlier heap item.
    fn schedule(&mut self, slot: usize, at: i128) {
        self.generation += 1;
        let generation = self.generation;
        if let Some(entry) = self.entries[slot].as_mut() {
            entry.next = at;
            entry.generation = generation;
            self.heap.push(Reverse(Slot {
                at,
                entry: slot,
                generation,
            }));
        }
    }

    fn is_current(&self, slot: &Slot) -> bool {
        matches!(self.entries.get(slot.entry), Some(Some(entry)) if entry.generation == slot.generation)
    }

    fn drop_stale_head(&mut self) {
        while let Some(Reverse(head)) = self.heap.peek() {
            if self.is_current(head) {
                return;
            }
            self.heap.pop();
        }
    }

    fn pop_due(&mut self, now: i128) -> Option<Due> {
        self.drop_stale_head();
        let Reverse(head) = *self.heap.peek()?;
        if head.at > now {
            return None;
        }
        self.heap.pop();
        let entry = self.entries[head.entry].as_ref()?;
        let spec = Arc::clone(&entry.spec);
        let every = nanos_of(spec.every);
        // The latest slot at or before `now`, stepping on the grid from the
        // one that fell due.
        let behind = (now - head.at).div_euclid(every);
        let planned = head.at + behind * every;
        let kind = if spec.is_heartbeat() {
            DueKind::HeartbeatOverdue {
                last_beat: entry.last_beat,
                since: entry.since,
            }
        } else {
            DueKind::Check
        };
        self.schedule(head.entry, planned + every);
        Some(Due {
            spec,
            planned: stamp(planned),
            missed: u64::try_from(behind).unwrap_or(u64::MAX),
            kind,
        })
    }

    /// Rebuilds the heap when stale items outnumber live ones.
    fn compact(&mut self) {
        if self.heap.len() <= 2 * self.index.len() + 64 {
            return;
        }
        self.heap = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(slot, entry)| {
                entry.as_ref().map(|entry| {
                    Reverse(Slot {
                        at: entry.next,
                        entry: slot,
                        generation: entry.generation,
                    })
                })
            })
            .collect();
    }
}

/// Phases for `count` new monitors of interval `every` (ns) among the
/// `existing` phases: evenly from 0 when there are none, otherwise into the
/// widest gaps, each gap split evenly among the monitors it receives.
fn spread(mut existing: Vec<i128>, count: usize, every: i128) -> Vec<i128> {
    if count == 0 {
        return Vec::new();
    }
    let count_i = i128::try_from(count).unwrap_or(i128::MAX);
    if existing.is_empty() {
        return (0..count_i).map(|i| i * every / count_i).collect();
    }
    existing.sort_unstable();
    existing.dedup();
    // Gap i runs from existing[i] to the next phase (the last wraps around).
    let gaps: Vec<(i128, i128)> = existing
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = existing.get(i + 1).copied().unwrap_or(existing[0] + every);
            (start, end - start)
        })
        .collect();
    let mut shares = vec![0i128; gaps.len()];
    // Max-heap of gaps by the sub-gap length they would leave: len/(k+1).
    let mut heap: BinaryHeap<GapShare> = gaps
        .iter()
        .enumerate()
        .map(|(gap, &(_, len))| GapShare { len, parts: 1, gap })
        .collect();
    for _ in 0..count {
        let Some(mut best) = heap.pop() else { break };
        shares[best.gap] += 1;
        best.parts += 1;
        heap.push(best);
    }
    let mut phases = Vec::with_capacity(count);
    for (&(start, len), &k) in gaps.iter().zip(&shares) {
        for j in 1..=k {
            phases.push((start + len * j / (k + 1)).rem_euclid(every));
        }
    }
    phases.sort_unstable();
    phases
}

/// A gap that would be split into `parts` equal parts.
#[derive(Debug, PartialEq, Eq)]
struct GapShare {
    len: i128,
    parts: i128,
    gap: usize,
}

impl Ord for GapShare {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // len/parts compared exactly; ties go to the earlier gap.
        (self.len * other.parts)
            .cmp(&(other.len * self.parts))
            .then_with(|| other.gap.cmp(&self.gap))
    }
}

impl PartialOrd for GapShare {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The first slot `phase + k·every` at or after `t` (all in ns).
fn first_slot_at_or_after(t: i128, phase: i128, every: i128) -> i128 {
    let k = (t - phase + every - 1).div_euclid(every);
    phase + k * every
}

/// Nanoseconds since the Unix epoch.
pub(crate) fn nanos(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

/// A duration in nanoseconds.
pub(crate) fn nanos_of(d: Duration) -> i128 {
    i128::try_from(d.as_nanos()).unwrap_or(i128::MAX)
}

/// The timestamp `n` ns after the epoch, clamped to the representable range.
pub(crate) fn stamp(n: i128) -> Timestamp {
    Timestamp::from_nanosecond(n).unwrap_or(if n < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::super::spec::tests::{heartbeat_spec, tcp_spec};
    use super::*;

    fn t0() -> Timestamp {
        // On a minute boundary, so phases read as offsets from it.
        "2026-11-30T09:00:00Z".parse().expect("valid timestamp")
    }

    fn at(secs: f64) -> Timestamp {
        t0() + SignedDuration::from_secs_f64(secs)
    }

    fn key(id: &str) -> MonitorKey {
        MonitorKey::new("svc", id)
    }

    fn fleet(n: usize, every: u64) -> Vec<MonitorSpec> {
        (0..n)
            .map(|i| tcp_spec(&format!("m{i:05}"), &format!("h{i}"), every))
            .collect()
    }

    /// Runs the plan from `from` to `to` (seconds after t0) in steps of
    /// `step`, returning every due item with the time it was popped.
    fn run(plan: &mut Plan, from: f64, to: f64, step: f64) -> Vec<(Timestamp, Due)> {
        let mut out = Vec::new();
        let mut now = from;
        while now <= to {
            let stamp = at(now);
            out.extend(plan.due(stamp).map(|due| (stamp, due)));
            now += step;
        }
        out
    }

    #[test]
    fn starts_are_spread_evenly_over_the_interval() {
        let mut plan = Plan::new(fleet(1000, 30), t0());
        let dues = run(&mut plan, 0.0, 29.999, 0.001);
        assert_eq!(dues.len(), 1000, "every monitor starts once per interval");
        let mut per_second = [0u32; 30];
        for (_, due) in &dues {
            let offset = due.planned.duration_since(t0()).as_secs_f64();
            per_second[offset as usize] += 1;
        }
        for (second, &count) in per_second.iter().enumerate() {
            assert!(
                (32..=35).contains(&count),
                "second {second}: {count} starts, want ~33 (±5%)"
            );
        }
    }

    #[test]
    fn added_monitors_fill_the_widest_gaps() {
        let mut plan = Plan::new(fleet(10, 10), t0());
        let mut specs = fleet(10, 10);
        specs.extend((0..10).map(|i| tcp_spec(&format!("n{i}"), "h", 10)));
        let diff = plan.apply(specs, t0());
        assert_eq!(diff.added.len(), 10);
        let mut phases: Vec<f64> = plan
            .specs()
            .filter_map(|spec| plan.phase(&spec.key))
            .map(|phase| phase.as_secs_f64())
            .collect();
        phases.sort_by(f64::total_cmp);
        let expected: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.5).collect();
        assert_eq!(phases, expected, "20 monitors every 10s, one every 0.5s");
    }

    #[test]
    fn starts_stay_on_the_grid_whenever_they_are_served() {
        let mut plan = Plan::new(vec![tcp_spec("a", "h", 10)], t0());
        // Served late each time (the caller was slow): slots do not move.
        let planned: Vec<Timestamp> = [0.0, 13.0, 26.5, 30.1, 47.0]
            .into_iter()
            .filter_map(|secs| plan.due(at(secs)).next().map(|due| due.planned))
            .collect();
        assert_eq!(planned, [at(0.0), at(10.0), at(20.0), at(30.0), at(40.0)]);
        assert_eq!(plan.next_due(), Some(at(50.0)));
    }

    #[test]
    fn missed_slots_are_skipped_not_burst() {
        let mut plan = Plan::new(vec![tcp_spec("a", "h", 10)], t0());
        assert_eq!(plan.due(at(0.0)).count(), 1);
        // The process stalls for 65 s: one run for the latest slot (60 s),
        // the five slots before it skipped.
        let dues: Vec<Due> = plan.due(at(65.0)).collect();
        assert_eq!(dues.len(), 1);
        assert_eq!(dues[0].planned, at(60.0));
        assert_eq!(dues[0].missed, 5);
        assert_eq!(plan.next_due(), Some(at(70.0)));
    }

    #[test]
    fn reload_reports_the_diff_and_unchanged_monitors_keep_their_slot() {
        let mut plan = Plan::new(fleet(4, 30), t0());
        let phases: Vec<_> = (0..4)
            .map(|i| plan.phase(&key(&format!("m{i:05}"))))
            .collect();
        run(&mut plan, 0.0, 12.0, 1.0);

        let mut specs = fleet(4, 30);
        specs.remove(3); // m00003 removed
        specs[1].confirm = 3; // m00001: same interval, new confirm
        specs[2].every = Duration::from_secs(60); // m00002: new interval
        specs.push(tcp_spec("new", "h", 30));
        let diff = plan.apply(specs, at(12.5));

        assert_eq!(diff.added, [key("new")]);
        assert_eq!(diff.changed, [key("m00001"), key("m00002")]);
        assert_eq!(diff.removed, [key("m00003")]);
        assert_eq!(diff.unchanged, 1);
        assert_eq!(plan.phase(&key("m00000")), phases[0]);
        assert_eq!(
            plan.phase(&key("m00001")),
            phases[1],
            "same interval keeps phase"
        );
        assert_eq!(plan.next_for(&key("m00000")), Some(at(30.0)));
        assert_eq!(plan.next_for(&key("m00001")), Some(at(37.5)));
        assert_eq!(plan.spec(&key("m00001")).map(|s| s.confirm), Some(3));
        assert!(plan.spec(&key("m00003")).is_none());
        assert_eq!(plan.len(), 4);
        // The removed monitor never comes due again.
        let later = run(&mut plan, 13.0, 200.0, 0.5);
        assert!(later.iter().all(|(_, due)| due.spec.key != key("m00003")));
    }

    #[test]
    fn heavy_reloading_keeps_the_heap_bounded() {
        let mut plan = Plan::new(fleet(10, 30), t0());
        for round in 0..200u64 {
            let mut specs = fleet(10, 30);
            for spec in &mut specs {
                spec.timeout = Duration::from_millis(100 + round);
            }
            plan.apply(specs, t0());
        }
        assert!(plan.heap.len() <= 2 * plan.len() + 64 + 10);
        assert_eq!(run(&mut plan, 0.0, 29.9, 0.1).len(), 10);
    }

    #[test]
    fn heartbeat_silence_past_every_plus_grace_is_overdue() {
        let mut plan = Plan::new(vec![heartbeat_spec("beat", 60, 10)], t0());
        assert_eq!(plan.due(at(69.0)).count(), 0);
        let due = plan.due(at(70.0)).next().expect("overdue at 70s");
        let result = due.overdue_result().expect("a heartbeat result");
        assert!(!result.is_up());
        assert_eq!(
            result.reason(),
            Some("no heartbeat received since 2026-11-30T09:00:00Z (expected every 1m, grace 10s)")
        );
        // Further silence fails again every interval.
        assert_eq!(plan.next_due(), Some(at(130.0)));
    }

    #[test]
    fn heartbeat_pings_push_the_deadline() {
        let mut plan = Plan::new(vec![heartbeat_spec("beat", 60, 10)], t0());
        for secs in [50.0, 110.0, 170.0] {
            assert_eq!(plan.due(at(secs)).count(), 0);
            let result = plan.heartbeat(&key("beat"), at(secs), &Ping::success());
            assert!(result.is_ok_and(|r| r.is_up()));
        }
        assert_eq!(plan.due(at(239.0)).count(), 0);
        let due = plan.due(at(240.0)).next().expect("overdue");
        assert_eq!(
            due.overdue_result()
                .and_then(|r| r.reason().map(str::to_owned))
                .as_deref(),
            Some("no heartbeat since 2026-11-30T09:02:50Z (expected every 1m, grace 10s)")
        );
    }

    #[test]
    fn a_failing_ping_is_a_failure_and_unknown_keys_are_refused() {
        let mut plan = Plan::new(
            vec![heartbeat_spec("beat", 60, 0), tcp_spec("tcp", "h", 30)],
            t0(),
        );
        let result = plan.heartbeat(&key("beat"), at(5.0), &Ping::failure("backup exited 2"));
        assert_eq!(
            result
                .ok()
                .and_then(|r| r.reason().map(str::to_owned))
                .as_deref(),
            Some("backup exited 2")
        );
        assert!(matches!(
            plan.heartbeat(&key("nope"), at(5.0), &Ping::success()),
            Err(HeartbeatError::UnknownMonitor(_))
        ));
        assert!(matches!(
            plan.heartbeat(&key("tcp"), at(5.0), &Ping::success()),
            Err(HeartbeatError::NotHeartbeat(_))
        ));
    }
}
