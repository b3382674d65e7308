//! Silences: label matchers in Alertmanager's syntax, and the time they
//! apply — once, or as a recurring maintenance window.
//!
//! A silence quiets every alert whose labels all its [`Matcher`]s match,
//! while its [`Window`] is active. Matchers are written as in Alertmanager
//! and Prometheus, `{service="benefits-api", severity=~"warning|info"}`
//! ([`parse_matchers`]); recurring windows as short text,
//! `Mon-Fri 22:00-06:00 Europe/Berlin` ([`parse_recurrence`]).
//!
//! Recurring windows are civil times in their time zone, so they follow
//! daylight saving time: "Sundays 02:00-04:00 America/New_York" is always
//! 02:00 to 04:00 on the wall clock. A window covers from the first moment
//! its start time occurs to the last moment its end time occurs: on the day
//! a start time is skipped (spring forward) the window starts when the
//! clocks jump, covering what exists of it, and on the day the clocks fall
//! back a window over the repeated hour covers both repetitions. A window
//! whose end is not after its start crosses midnight, and belongs to the
//! day it starts on.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use regex::{Regex, RegexBuilder};

/// Largest compiled size of a matcher regex, in bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How a [`Matcher`] compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: equal to the value.
    Equal,
    /// `!=`: not equal to the value.
    NotEqual,
    /// `=~`: fully matches the regular expression.
    Regex,
    /// `!~`: does not fully match the regular expression.
    NotRegex,
}

impl MatchOp {
    /// The operator as written: `=`, `!=`, `=~` or `!~`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One label matcher, `name="value"`, `name!="value"`, `name=~"regex"` or
/// `name!~"regex"`. Regular expressions are fully anchored, as in
/// Prometheus: `env=~"prod"` does not match `preprod`.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&other.name, other.op, &other.value)
    }
}

impl Eq for Matcher {}

impl Matcher {
    /// A matcher; fails (with the reason) if `name` is not a label name
    /// (`[a-zA-Z_][a-zA-Z0-9_]*`) or a regex `value` is not a valid regular
    /// expression.
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Self, String> {
        if !crate::incoming::is_label_name(name) {
            return Err(format!(
                "{name:?} is not a label name (expected [a-zA-Z_][a-zA-Z0-9_]*)"
            ));
        }
        let regex = match op {
            MatchOp::Equal | MatchOp::NotEqual => None,
            MatchOp::Regex | MatchOp::NotRegex => Some(compile(value)?),
        };
        Ok(Self {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
            regex,
        })
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operator.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The value, or the regular expression as written (unanchored).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether `labels` satisfy the matcher. A missing label is the empty
    /// string, as in Alertmanager: `env!="prod"` matches alerts without
    /// `env`, and `env=""` matches exactly those.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.name).map_or("", String::as_str);
        self.matches_value(value)
    }

    /// Whether a label value satisfies the matcher.
    pub fn matches_value(&self, value: &str) -> bool {
        match (&self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }
}

/// Compiles `pattern` anchored at both ends. The pattern is first checked
/// on its own, so that `a)|(b` cannot escape the anchoring group.
fn compile(pattern: &str) -> Result<Regex, String> {
    let build = |p: &str| {
        RegexBuilder::new(p)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                let text = e.to_string();
                let last = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                format!(
                    "invalid regular expression: {}",
                    last.trim().trim_start_matches("error: ")
                )
            })
    };
    build(pattern)?;
    build(&format!("^(?:{pattern})$"))
}

impl fmt::Display for Matcher {
    /// `name="value"` with `\` `"` and newlines escaped: parses back to the
    /// same matcher.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.op)?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

/// Matchers as one brace list, `{a="b", c=~"d"}`, which
/// [`parse_matchers`] reads back.
pub fn format_matchers(matchers: &[Matcher]) -> String {
    let parts: Vec<String> = matchers.iter().map(Matcher::to_string).collect();
    format!("{{{}}}", parts.join(", "))
}

/// A matcher list that does not parse: where (1-based column, in
/// characters) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError {
    /// 1-based column, in characters, of the problem.
    pub column: usize,
    /// What is wrong, or what was expected there.
    pub message: String,
}

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for MatcherError {}

/// Parses matchers in Alertmanager's syntax:
/// `{service="benefits-api", severity=~"warning|info", env!="dev"}`.
///
/// The braces are optional; matchers are separated by commas (a trailing
/// comma is fine); values are double-quoted strings with `\"`, `\\`, `\n`
/// and `\t` escapes, or plain words without spaces, quotes, commas, braces
/// or `=!~`. At least one matcher is required.
pub fn parse_matchers(text: &str) -> Result<Vec<Matcher>, MatcherError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        at: 0,
    };
    p.skip_ws();
    let braced = p.eat('{');
    let mut matchers = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            None if braced => return Err(p.error("expected a matcher or '}'")),
            None => break,
            Some('}') if braced => {
                p.at += 1;
                p.skip_ws();
                if p.peek().is_some() {
                    return Err(p.error("expected nothing after '}'"));
                }
                break;
            }
            _ => {}
        }
        matchers.push(p.matcher()?);
        p.skip_ws();
        match p.peek() {
            Some(',') => p.at += 1,
            Some('}') if braced => {}
            None if !braced => {}
            None => return Err(p.error("expected ',' or '}'")),
            Some('}') => return Err(p.error("unexpected '}' without an opening '{'")),
            Some(_) if braced => return Err(p.error("expected ',' or '}' after a matcher")),
            Some(_) => return Err(p.error("expected ',' after a matcher")),
        }
    }
    if matchers.is_empty() {
        return Err(MatcherError {
            column: 1,
            message: "expected at least one matcher, e.g. service=\"api\"".into(),
        });
    }
    Ok(matchers)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let yes = self.peek() == Some(c);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn error(&self, message: impl Into<String>) -> MatcherError {
        self.error_at(self.at, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> MatcherError {
        let found = match self.chars.get(at) {
            Some(c) => format!(", found {c:?}"),
            None => ", found the end".into(),
        };
        MatcherError {
            column: at + 1,
            message: format!("{}{found}", message.into()),
        }
    }

    fn matcher(&mut self) -> Result<Matcher, MatcherError> {
        let name_at = self.at;
        let name = self.name()?;
        self.skip_ws();
        let op_at = self.at;
        let op = match (self.peek(), self.chars.get(self.at + 1).copied()) {
            (Some('='), Some('~')) => MatchOp::Regex,
            (Some('!'), Some('~')) => MatchOp::NotRegex,
            (Some('!'), Some('=')) => MatchOp::NotEqual,
            (Some('='), _) => MatchOp::Equal,
            _ => {
                return Err(self.error_at(
                    op_at,
                    format!("expected one of = != =~ !~ after label name {name:?}"),
                ));
            }
        };
        self.at += op.as_str().len();
        self.skip_ws();
        let value_at = self.at;
        let value = self.value()?;
        Matcher::new(&name, op, &value).map_err(|message| MatcherError {
            column: if op == MatchOp::Equal || op == MatchOp::NotEqual {
                name_at + 1
            } else {
                value_at + 1
            },
            message,
        })
    }

    fn name(&mut self) -> Result<String, MatcherError> {
        let start = self.at;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(self.error("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)"));
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.at += 1;
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    fn value(&mut self) -> Result<String, MatcherError> {
        if self.eat('"') {
            let open = self.at - 1;
            let mut value = String::new();
            loop {
                match self.peek() {
                    None => {
                        return Err(MatcherError {
                            column: open + 1,
                            message: "unterminated string: expected a closing '\"'".into(),
                        });
                    }
                    Some('"') => {
                        self.at += 1;
                        return Ok(value);
                    }
                    Some('\\') => {
                        self.at += 1;
                        match self.peek() {
                            Some('"') => value.push('"'),
                            Some('\\') => value.push('\\'),
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            _ => {
                                return Err(self
                                    .error("expected an escape: \\\" \\\\ \\n or \\t after '\\'"));
                            }
                        }
                        self.at += 1;
                    }
                    Some(c) => {
                        value.push(c);
                        self.at += 1;
                    }
                }
            }
        }
        let start = self.at;
        while self.peek().is_some_and(is_plain) {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error("expected a value: a \"quoted string\" or a plain word"));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }
}

/// Characters of an unquoted matcher value.
fn is_plain(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || matches!(c, ',' | '{' | '}' | '"' | '=' | '!' | '~'))
}

/// A set of days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    /// No day.
    pub const NONE: Weekdays = Weekdays(0);
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    /// Adds `day` to the set.
    pub fn insert(&mut self, day: Weekday) {
        self.0 |= Self::bit(day);
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days in the set, Monday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        (0..7)
            .filter_map(|i| Weekday::from_monday_zero_offset(i).ok())
            .filter(move |d| self.contains(*d))
    }

    fn bit(day: Weekday) -> u8 {
        1 << day.to_monday_zero_offset()
    }
}

impl FromIterator<Weekday> for Weekdays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(iter: I) -> Self {
        let mut days = Weekdays::NONE;
        for day in iter {
            days.insert(day);
        }
        days
    }
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn short_name(day: Weekday) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day.to_monday_zero_offset() as usize]
}

impl fmt::Display for Weekdays {
    /// `daily`, or runs of days Monday first: `Mon-Fri`, `Sat,Sun`,
    /// `Mon,Wed,Fri`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Weekdays::ALL {
            return f.write_str("daily");
        }
        let days: Vec<i8> = self.iter().map(Weekday::to_monday_zero_offset).collect();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < days.len() {
            let mut j = i;
            while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
                j += 1;
            }
            let name = |k: usize| {
                short_name(Weekday::from_monday_zero_offset(days[k]).unwrap_or(Weekday::Monday))
            };
            if j >= i + 2 {
                parts.push(format!("{}-{}", name(i), name(j)));
                i = j + 1;
            } else {
                parts.push(name(i).to_owned());
                i += 1;
            }
        }
        f.write_str(&parts.join(","))
    }
}

/// A weekly recurring window: on each of `days`, from `start` to `end`
/// wall-clock time in `tz`. An `end` not after `start` is on the next day
/// (`22:00-06:00`; `00:00-24:00` is the whole day, stored as `00:00` to
/// `00:00`), and the occurrence belongs to the day it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Days on which the window starts.
    pub days: Weekdays,
    /// Wall-clock start.
    pub start: Time,
    /// Wall-clock end; not after `start` means the next day.
    pub end: Time,
    /// Time zone of the wall clock.
    pub tz: TimeZone,
}

/// A recurrence that does not parse, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceError {
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RecurrenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecurrenceError {}

fn rec_err(message: impl Into<String>) -> RecurrenceError {
    RecurrenceError {
        message: message.into(),
    }
}

/// Parses `DAYS START-END TIME_ZONE`:
///
/// - `DAYS`: `daily` (or `every day`), `weekdays`, `weekends`, or a comma
///   list of days and ranges of days: `Sundays`, `Sun`, `Mon-Fri`,
///   `Sat,Sun`, `Fri-Mon` (names in any case, singular or plural, three
///   letters or more).
/// - `START-END`: `HH:MM` 24-hour times joined by `-` or an en dash `–`;
///   `END` may be `24:00`, and may be earlier than `START` to cross midnight.
/// - `TIME_ZONE`: an IANA name such as `Europe/Berlin`, or `UTC`.
///
/// For example `"Mon-Fri 22:00-06:00 UTC"` or
/// `"Sundays 02:00–04:00 America/New_York"`.
pub fn parse_recurrence(text: &str) -> Result<Recurrence, RecurrenceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(rec_err(
            "empty; expected days, times and a time zone, e.g. \"Sundays 02:00-04:00 UTC\"",
        ));
    }
    let (rest, zone) = text.rsplit_once(char::is_whitespace).unwrap_or(("", text));
    if zone.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(rec_err(format!(
            "missing time zone after {zone:?}, e.g. \"UTC\" or \"Europe/Berlin\""
        )));
    }
    let tz = TimeZone::get(zone).map_err(|_| {
        rec_err(format!(
            "unknown time zone {zone:?} (expected an IANA name such as \"Europe/Berlin\", or \"UTC\")"
        ))
    })?;
    let Some(times_at) = rest.find(|c: char| c.is_ascii_digit()) else {
        return Err(rec_err(format!(
            "missing times in {text:?}; expected START-END such as \"02:00-04:00\""
        )));
    };
    let (days_text, times_text) = rest.split_at(times_at);
    let days = parse_days(days_text)?;
    let times: String = times_text.chars().filter(|c| !c.is_whitespace()).collect();
    let Some((start, end)) = times.split_once(is_dash) else {
        return Err(rec_err(format!(
            "times {times:?}: expected START-END such as \"02:00-04:00\""
        )));
    };
    let start = parse_time(start, false)?;
    let end = parse_time(end, true)?;
    Ok(Recurrence {
        days,
        start,
        end,
        tz,
    })
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}' | '\u{2212}')
}

fn parse_days(text: &str) -> Result<Weekdays, RecurrenceError> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    match compact.as_str() {
        "" => {
            return Err(rec_err(
                "missing days before the times; expected e.g. \"daily\", \"Mon-Fri\" or \"Sundays\"",
            ));
        }
        "daily" | "everyday" => return Ok(Weekdays::ALL),
        "weekdays" => {
            return Ok((0..5)
                .filter_map(|i| Weekday::from_monday_zero_offset(i).ok())
                .collect());
        }
        "weekends" | "weekend" => {
            return Ok([Weekday::Saturday, Weekday::Sunday].into_iter().collect());
        }
        _ => {}
    }
    let mut days = Weekdays::NONE;
    for part in compact.split(',') {
        if part.is_empty() {
            return Err(rec_err(format!(
                "days {:?}: empty item between commas",
                text.trim()
            )));
        }
        match part.split_once(is_dash) {
            Some((from, to)) => {
                let (mut day, to) = (parse_day(from)?, parse_day(to)?);
                days.insert(day);
                while day != to {
                    day = day.next();
                    days.insert(day);
                }
            }
            None => days.insert(parse_day(part)?),
        }
    }
    Ok(days)
}

fn parse_day(text: &str) -> Result<Weekday, RecurrenceError> {
    let find = |name: &str| {
        (name.len() >= 3)
            .then(|| DAY_NAMES.iter().position(|full| full.starts_with(name)))
            .flatten()
    };
    let index = find(text).or_else(|| text.strip_suffix('s').and_then(find));
    index
        .and_then(|i| Weekday::from_monday_zero_offset(i as i8).ok())
        .ok_or_else(|| {
            rec_err(format!(
                "{text:?} is not a day of the week (expected e.g. \"Mon\", \"Monday\" or \"Mondays\")"
            ))
        })
}

fn parse_time(text: &str, is_end: bool) -> Result<Time, RecurrenceError> {
    let bad = || {
        rec_err(format!(
            "{text:?} is not a time of day; expected HH:MM from 00:00 to {}",
            if is_end { "24:00" } else { "23:59" }
        ))
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let number = |s: &str, max_len: usize| -> Option<i8> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if m.len() != 2 {
        return Err(bad());
    }
    let (h, m) = (number(h, 2).ok_or_else(bad)?, number(m, 2).ok_or_else(bad)?);
    if is_end && h == 24 && m == 0 {
        return Ok(Time::midnight());
    }
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

impl FromStr for Recurrence {
    type Err = RecurrenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_recurrence(s)
    }
}

impl fmt::Display for Recurrence {
    /// `Mon-Fri 22:00-06:00 Europe/Berlin`; an end at midnight is `24:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = if self.end == Time::midnight() {
            "24:00".to_owned()
        } else {
            hhmm(self.end)
        };
        write!(
            f,
            "{} {}-{} {}",
            self.days,
            hhmm(self.start),
            end,
            self.tz.iana_name().unwrap_or("Etc/Unknown")
        )
    }
}

fn hhmm(time: Time) -> String {
    if time.second() == 0 && time.subsec_nanosecond() == 0 {
        format!("{:02}:{:02}", time.hour(), time.minute())
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            time.hour(),
            time.minute(),
            time.second()
        )
    }
}

/// Which moment a civil time stands for when the clocks repeat it.
#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

impl Recurrence {
    /// The occurrence starting on `date`, as instants `[start, end)`, if
    /// `date` is one of the days. It may be empty (a window entirely inside
    /// a skipped hour).
    pub fn occurrence_on(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.days.contains(date.weekday()) {
            return None;
        }
        let end_date = if self.end <= self.start {
            date.tomorrow().ok()?
        } else {
            date
        };
        let start = self.instant(date.to_datetime(self.start), Edge::Start)?;
        let end = self.instant(end_date.to_datetime(self.end), Edge::End)?;
        Some((start, end.max(start)))
    }

    /// The instant of a wall-clock time: in a gap, when the clocks jump
    /// over it; in a fold, the first repetition for a start and the last
    /// for an end.
    fn instant(&self, dt: DateTime, edge: Edge) -> Option<Timestamp> {
        match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
            AmbiguousOffset::Gap { before, after } => {
                // `dt` read with the later offset lies before the jump; the
                // next transition from there is the jump itself.
                let early = after.to_timestamp(dt).ok()?;
                self.tz
                    .following(early)
                    .next()
                    .map(|t| t.timestamp())
                    .or_else(|| before.to_timestamp(dt).ok())
            }
            AmbiguousOffset::Fold { before, after } => match edge {
                Edge::Start => before.to_timestamp(dt).ok(),
                Edge::End => after.to_timestamp(dt).ok(),
            },
        }
    }

    /// Days from two before `at`'s civil date onwards, as far as the
    /// calendar goes.
    fn days_from(&self, at: Timestamp) -> impl Iterator<Item = Date> {
        let mut first = self.tz.to_datetime(at).date();
        for _ in 0..2 {
            first = first.yesterday().unwrap_or(first);
        }
        std::iter::successors(Some(first), |d| d.tomorrow().ok())
    }

    /// Whether the window is active at `at`.
    pub fn contains(&self, at: Timestamp) -> bool {
        // An occurrence lasts about a day, so one starting more than two
        // days before `at`'s date, or after the next day, cannot hold it.
        self.days_from(at)
            .take(4)
            .filter_map(|d| self.occurrence_on(d))
            .any(|(s, e)| s <= at && at < e)
    }

    /// When the window next starts or ends after `at`; `None` if it never
    /// changes (no days, only empty occurrences, or active all the time).
    /// Occurrences that overlap or touch are one stretch: `Sat,Sun
    /// 00:00-24:00` ends on Monday, not at Sunday's midnight.
    pub fn next_change_after(&self, at: Timestamp) -> Option<Timestamp> {
        let edge = |(s, e): (Timestamp, Timestamp)| {
            if s > at {
                Some(s)
            } else if e > at {
                Some(e)
            } else {
                None
            }
        };
        // The stretch being merged, and the date after which nothing can
        // extend it any more.
        let mut current: Option<(Timestamp, Timestamp)> = None;
        let mut settled: Option<Date> = None;
        for day in self.days_from(at).take(MAX_SCAN_DAYS) {
            if let (Some(stretch), Some(settled)) = (current, settled)
                && day > settled
            {
                if let Some(change) = edge(stretch) {
                    return Some(change);
                }
                current = None;
            }
            let Some((s, e)) = self.occurrence_on(day).filter(|(s, e)| s < e) else {
                continue;
            };
            current = Some(match current {
                Some((cs, ce)) if s <= ce => (cs.min(s), ce.max(e)),
                Some(stretch) => {
                    if let Some(change) = edge(stretch) {
                        return Some(change);
                    }
                    (s, e)
                }
                None => (s, e),
            });
            let end = current.map_or(e, |(_, ce)| ce);
            let end_date = self.tz.to_datetime(end).date();
            settled = Some(end_date.tomorrow().unwrap_or(end_date));
        }
        // Still open at the end of the scan: only its start is known.
        current.and_then(|(s, _)| (s > at).then_some(s))
    }
}

/// How many days [`Recurrence::next_change_after`] looks ahead: a year,
/// so that a window skipped for a while (a day a time zone dropped) is
/// still found.
const MAX_SCAN_DAYS: usize = 400;

/// When a silence applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Once, from `starts` (inclusive) to `ends` (exclusive).
    Once {
        /// First instant of the window.
        starts: Timestamp,
        /// First instant after the window.
        ends: Timestamp,
    },
    /// Every week on the given days, in civil time.
    Recurring(Recurrence),
}

impl Window {
    /// Whether the window is active at `at`.
    pub fn contains(&self, at: Timestamp) -> bool {
        match self {
            Window::Once { starts, ends } => *starts <= at && at < *ends,
            Window::Recurring(r) => r.contains(at),
        }
    }

    /// When the window next starts or ends, strictly after `at`; `None`
    /// if it never changes again (a one-off window that is over).
    pub fn next_change_after(&self, at: Timestamp) -> Option<Timestamp> {
        match self {
            Window::Once { starts, ends } if starts >= ends => None,
            Window::Once { starts, .. } if at < *starts => Some(*starts),
            Window::Once { ends, .. } if at < *ends => Some(*ends),
            Window::Once { .. } => None,
            Window::Recurring(r) => r.next_change_after(at),
        }
    }
}

/// A silence: alerts whose labels all `matchers` match are not notified
/// while `window` is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// Identifier.
    pub id: String,
    /// All must match. A silence without matchers silences nothing.
    pub matchers: Vec<Matcher>,
    /// When it applies.
    pub window: Window,
    /// Why, for humans.
    pub comment: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
}

impl Silence {
    /// Whether the window is active at `at`.
    pub fn active_at(&self, at: Timestamp) -> bool {
        self.window.contains(at)
    }

    /// Whether an alert with `labels` is silenced at `at`: the window is
    /// active and every matcher (at least one) matches.
    pub fn silences(&self, labels: &BTreeMap<String, String>, at: Timestamp) -> bool {
        !self.matchers.is_empty()
            && self.active_at(at)
            && self.matchers.iter().all(|m| m.matches(labels))
    }

    /// Problems that make the silence useless or dangerous, as Alertmanager
    /// checks them: no matchers; only matchers that match the empty string
    /// (they would silence every alert, e.g. `env=~".*"`); a one-off window
    /// that ends before it starts; a recurrence without days.
    pub fn validate(&self) -> Result<(), String> {
        if self.matchers.is_empty() {
            return Err("at least one matcher is required".into());
        }
        if self.matchers.iter().all(|m| m.matches_value("")) {
            return Err(
                "at least one matcher must not match the empty string (this silence would match every alert)"
                    .into(),
            );
        }
        match &self.window {
            Window::Once { starts, ends } if ends <= starts => {
                Err("the window must end after it starts".into())
            }
            Window::Recurring(r) if r.days.is_empty() => Err("the recurrence has no days".into()),
            _ => Ok(()),
        }
    }
}

/// The first of `silences` that silences an alert with `labels` at `at`.
pub fn silenced_by<'a>(
    silences: &'a [Silence],
    labels: &BTreeMap<String, String>,
    at: Timestamp,
) -> Option<&'a Silence> {
    silences.iter().find(|s| s.silences(labels, at))
}
