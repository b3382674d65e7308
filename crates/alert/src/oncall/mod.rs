//! Who is on call: a catalog [`Schedule`] resolved into a timeline of
//! [`Shift`]s, PagerDuty style.
//!
//! - Each layer is a rotation: its members take turns of length `every`,
//!   the first turn starting on the layer's `start` date (or the first
//!   handoff weekday on or after it) at the handoff time, in the schedule's
//!   zone. Before its first turn a layer has nobody.
//! - **DST and turn length**: when `every` is a whole number of days (`1d`,
//!   `1w`, `14d`) turns are added in *civil* time, so a handoff at 09:00
//!   stays at 09:00 local across DST changes (a `1w` turn over the March
//!   change lasts 167 hours). Any other length (`12h`, `90m`, `36h`) is
//!   added as *exact* time from the first handoff, so a `12h` rotation keeps
//!   12-hour turns and its local handoff times shift by an hour at a DST
//!   change. A civil time that falls in a gap or fold is read as jiff's
//!   "compatible" choice (the later instant for a gap, the earlier for a
//!   fold).
//! - Where layers overlap, the layer listed last wins; overrides win over
//!   every layer for `[from, until)` (civil date-times in the zone), and
//!   among overlapping overrides the one listed last wins.
//! - A time when nobody is on call is a gap: no shift covers it.
//! - **Bounded work**: a resolution covers at most [`MAX_RANGE`] and, per
//!   layer, at most [`MAX_TURNS`] turns; [`horizon`] says where a request
//!   is cut. Nothing here panics or loops on a catalog that parses.

mod ical;

use jiff::civil::{Date, DateTime};
use jiff::{SignedDuration, Timestamp};
use shipshape_catalog::{Layer, Override, Schedule};

pub use ical::ical;

/// The longest stretch one call resolves (731 days): [`resolve`] and
/// [`gaps`] stop at `from + MAX_RANGE`.
pub const MAX_RANGE: SignedDuration = SignedDuration::from_hours(24 * 731);

/// The most turns of one layer a call walks (enough for an hourly rotation
/// over two years); a request reaching further is cut at that turn's end.
pub const MAX_TURNS: i64 = 20_000;

/// One stretch of time during which one person is on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// Person id.
    pub person: String,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive).
    pub end: Timestamp,
    /// What put the person on call.
    pub source: ShiftSource,
}

/// Why someone is on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftSource {
    /// Their turn in the schedule's layer at this index (0 is the first).
    Layer(usize),
    /// An override, with its note.
    Override {
        /// The override's `note`.
        note: Option<String>,
    },
}

/// The end actually resolved for a request `[from, to)`: `to`, or earlier
/// when the request exceeds [`MAX_RANGE`] or a layer's [`MAX_TURNS`].
pub fn horizon(schedule: &Schedule, from: Timestamp, to: Timestamp) -> Timestamp {
    let mut end = from.checked_add(MAX_RANGE).map_or(to, |cap| to.min(cap));
    for rotation in schedule
        .layers
        .iter()
        .filter_map(|l| Rotation::new(schedule, l))
    {
        let first = rotation.turn_at(from).map_or(0, |(n, _, _)| n);
        if let Some(cap) = first
            .checked_add(MAX_TURNS)
            .and_then(|n| rotation.boundary(n))
        {
            end = end.min(cap.max(from));
        }
    }
    end
}

/// The on-call timeline in `[from, to)` (cut at [`horizon`]): sorted,
/// non-overlapping shifts clipped to the range, a shift continuing while
/// the same person stays on call from the same source.
pub fn resolve(schedule: &Schedule, from: Timestamp, to: Timestamp) -> Vec<Shift> {
    let resolver = Resolver::new(schedule);
    let end = horizon(schedule, from, to);
    let mut shifts: Vec<Shift> = Vec::new();
    let mut t = from;
    while t < end {
        let next = resolver.next_change(t).map_or(end, |n| n.min(end));
        if let Some((person, source)) = resolver.who_at(t) {
            match shifts.last_mut() {
                Some(last) if last.end == t && last.person == person && last.source == source => {
                    last.end = next;
                }
                _ => shifts.push(Shift {
                    person: person.to_owned(),
                    start: t,
                    end: next,
                    source,
                }),
            }
        }
        t = next;
    }
    shifts
}

/// Who is on call at `at`, with the stretch around `at` during which
/// nothing in the schedule changes (no handoff of any layer, no override
/// starting or ending); `None` in a gap.
pub fn on_call_at(schedule: &Schedule, at: Timestamp) -> Option<Shift> {
    let resolver = Resolver::new(schedule);
    let (person, source) = resolver.who_at(at)?;
    Some(Shift {
        person: person.to_owned(),
        start: resolver.last_change(at).unwrap_or(Timestamp::MIN),
        end: resolver.next_change(at).unwrap_or(Timestamp::MAX),
        source,
    })
}

/// The stretches of `[from, to)` (cut at [`horizon`]) when nobody is on
/// call, sorted.
pub fn gaps(schedule: &Schedule, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let end = horizon(schedule, from, to);
    let mut gaps = Vec::new();
    let mut t = from;
    for shift in resolve(schedule, from, end) {
        if shift.start > t {
            gaps.push((t, shift.start));
        }
        t = shift.end;
    }
    if t < end {
        gaps.push((t, end));
    }
    gaps
}

/// A schedule's layers and overrides, ready to be asked about instants.
struct Resolver<'a> {
    rotations: Vec<Option<Rotation<'a>>>,
    /// Overrides as instants, in catalog order; unrepresentable ones dropped.
    overrides: Vec<(Timestamp, Timestamp, &'a Override)>,
}

impl<'a> Resolver<'a> {
    fn new(schedule: &'a Schedule) -> Self {
        let instant = |dt: DateTime| {
            schedule
                .timezone
                .to_ambiguous_timestamp(dt)
                .compatible()
                .ok()
        };
        Resolver {
            rotations: schedule
                .layers
                .iter()
                .map(|l| Rotation::new(schedule, l))
                .collect(),
            overrides: schedule
                .overrides
                .iter()
                .filter_map(|o| Some((instant(o.from)?, instant(o.until)?, o)))
                .filter(|(from, until, _)| from < until)
                .collect(),
        }
    }

    /// Who is on call at `t`: the last override covering it, else the last
    /// layer with someone on.
    fn who_at(&self, t: Timestamp) -> Option<(&'a str, ShiftSource)> {
        if let Some((_, _, o)) = self
            .overrides
            .iter()
            .rev()
            .find(|(f, u, _)| *f <= t && t < *u)
        {
            let source = ShiftSource::Override {
                note: o.note.clone(),
            };
            return Some((o.person.as_str(), source));
        }
        self.rotations
            .iter()
            .enumerate()
            .rev()
            .find_map(|(index, rotation)| {
                let rotation = rotation.as_ref()?;
                let (n, _, _) = rotation.turn_at(t)?;
                Some((rotation.member(n)?, ShiftSource::Layer(index)))
            })
    }

    /// The first instant after `t` at which anything changes.
    fn next_change(&self, t: Timestamp) -> Option<Timestamp> {
        let layers = self
            .rotations
            .iter()
            .flatten()
            .filter_map(|r| match r.turn_at(t) {
                Some((_, _, end)) => end,
                None => Some(r.first),
            });
        let overrides = self
            .overrides
            .iter()
            .flat_map(|(f, u, _)| [*f, *u])
            .filter(|x| *x > t);
        layers.chain(overrides).filter(|x| *x > t).min()
    }

    /// The last instant at or before `t` at which anything changed.
    fn last_change(&self, t: Timestamp) -> Option<Timestamp> {
        let layers = self
            .rotations
            .iter()
            .flatten()
            .filter_map(|r| Some(r.turn_at(t)?.1));
        let overrides = self
            .overrides
            .iter()
            .flat_map(|(f, u, _)| [*f, *u])
            .filter(|x| *x <= t);
        layers.chain(overrides).max()
    }
}

/// One layer's turns as instants.
struct Rotation<'a> {
    layer: &'a Layer,
    zone: &'a jiff::tz::TimeZone,
    /// The first handoff, civil and as an instant.
    first_civil: DateTime,
    first: Timestamp,
    /// Turn length in nanoseconds, and whether it is added in civil time.
    step: i128,
    civil: bool,
}

const DAY_NANOS: i128 = 86_400 * 1_000_000_000;

impl<'a> Rotation<'a> {
    /// `None` when the layer has no members or its first handoff cannot be
    /// represented.
    fn new(schedule: &'a Schedule, layer: &'a Layer) -> Option<Self> {
        if layer.members.is_empty() {
            return None;
        }
        let start: Date = match layer.handoff.weekday {
            None => layer.start,
            Some(weekday) => {
                let ahead = (weekday.to_monday_zero_offset()
                    - layer.start.weekday().to_monday_zero_offset())
                .rem_euclid(7);
                layer
                    .start
                    .checked_add(SignedDuration::from_hours(24 * i64::from(ahead)))
                    .ok()?
            }
        };
        let first_civil = start.to_datetime(layer.handoff.time);
        let first = schedule
            .timezone
            .to_ambiguous_timestamp(first_civil)
            .compatible()
            .ok()?;
        let step = i128::try_from(layer.every.as_nanos())
            .ok()
            .filter(|s| *s > 0)?;
        Some(Rotation {
            layer,
            zone: &schedule.timezone,
            first_civil,
            first,
            step,
            civil: step % DAY_NANOS == 0,
        })
    }

    /// Where turn `n` starts (turn 0 at the first handoff); `None` beyond
    /// the representable range.
    fn boundary(&self, n: i64) -> Option<Timestamp> {
        let offset = SignedDuration::try_from_nanos_i128(self.step.checked_mul(i128::from(n))?)?;
        if self.civil {
            let civil = self.first_civil.checked_add(offset).ok()?;
            self.zone.to_ambiguous_timestamp(civil).compatible().ok()
        } else {
            self.first.checked_add(offset).ok()
        }
    }

    /// The turn covering `t`: its number, start and end (`None` as end when
    /// the next handoff cannot be represented); `None` before the first turn.
    fn turn_at(&self, t: Timestamp) -> Option<(i64, Timestamp, Option<Timestamp>)> {
        if t < self.first {
            return None;
        }
        // Civil days differ from exact ones by an offset change at most, so
        // the estimate is within a turn or two; walk the rest.
        let estimate = t.duration_since(self.first).as_nanos() / self.step - 1;
        let mut n = i64::try_from(estimate.max(0)).ok()?;
        for _ in 0..64 {
            match self.boundary(n) {
                Some(start) if start > t && n > 0 => n -= 1,
                _ => break,
            }
        }
        for _ in 0..64 {
            match self.boundary(n + 1) {
                Some(next) if next <= t => n += 1,
                _ => break,
            }
        }
        let start = self.boundary(n)?;
        (start <= t).then(|| (n, start, self.boundary(n + 1)))
    }

    /// Who holds turn `n`.
    fn member(&self, n: i64) -> Option<&'a str> {
        let len = i64::try_from(self.layer.members.len()).ok()?;
        let index = usize::try_from(n.rem_euclid(len)).ok()?;
        self.layer.members.get(index).map(String::as_str)
    }
}
