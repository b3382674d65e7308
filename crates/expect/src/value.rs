//! Values: what a subject reports for a field and what a literal in an
//! expectation denotes, the comparisons between them, and the short
//! rendering (`got 503`, `got 3d 4h`) used in verdicts.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use jiff::SignedDuration;

/// A value a [`Subject`](crate::Subject) reports for a field, or a literal
/// written in an expectation.
///
/// Text and JSON may borrow from the subject (`'a`), so looking up a large
/// body or a parsed JSON document copies nothing. Integers, floats and sizes
/// compare with each other as numbers; durations compare only with
/// durations.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// No value: `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number, such as an HTTP status.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text, such as a body or a header value.
    Str(Cow<'a, str>),
    /// A signed length of time; negative for a certificate that has expired.
    Duration(SignedDuration),
    /// A number of bytes.
    Size(u64),
    /// Several values, such as DNS answers.
    List(Vec<Value<'a>>),
    /// A node of a JSON document; scalars inside compare like the other
    /// variants (a JSON number like a number, a JSON string like text).
    Json(Cow<'a, serde_json::Value>),
}

impl Value<'_> {
    /// A copy that owns all its data, to keep beyond the subject's lifetime.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(x) => Value::Float(x),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Duration(d) => Value::Duration(d),
            Value::Size(n) => Value::Size(n),
            Value::List(items) => Value::List(items.into_iter().map(Value::into_owned).collect()),
            Value::Json(j) => Value::Json(Cow::Owned(j.into_owned())),
        }
    }

    /// A view of this value that borrows its text and JSON instead of
    /// copying them (lists are rebuilt).
    pub fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Str(s) => Value::Str(Cow::Borrowed(s)),
            Value::Json(j) => Value::Json(Cow::Borrowed(j)),
            Value::List(items) => Value::List(items.iter().map(Value::borrowed).collect()),
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(x) => Value::Float(*x),
            Value::Duration(d) => Value::Duration(*d),
            Value::Size(n) => Value::Size(*n),
        }
    }

    /// What kind of value this is, for messages: `a number`, `text`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Size(_) => "a size",
            _ => self.view().kind(),
        }
    }

    /// The comparable view of this value.
    pub(crate) fn view(&self) -> View<'_> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Int(i) => View::Num(Num::Int(i128::from(*i))),
            Value::Float(x) => View::Num(Num::Float(*x)),
            Value::Str(s) => View::Str(s),
            Value::Duration(d) => View::Duration(*d),
            Value::Size(n) => View::Num(Num::Int(i128::from(*n))),
            Value::List(items) => View::List(Items::Values(items)),
            Value::Json(j) => View::of_json(j),
        }
    }
}

/// Renders the value as it would be written in an expectation: text quoted
/// and escaped, durations as `3d 4h`, sizes in bytes, JSON compact.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write_quoted(f, s),
            Value::Duration(d) => write_duration(f, *d),
            Value::Size(n) => write_size(f, *n),
            Value::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Json(j) => write!(f, "{j}"),
        }
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value<'_> {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u16> for Value<'_> {
    fn from(i: u16) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value<'_> {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Str(Cow::Owned(s))
    }
}

impl From<SignedDuration> for Value<'_> {
    fn from(d: SignedDuration) -> Self {
        Value::Duration(d)
    }
}

/// Saturates at the largest [`SignedDuration`].
impl From<std::time::Duration> for Value<'_> {
    fn from(d: std::time::Duration) -> Self {
        Value::Duration(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
    }
}

impl<'a> From<&'a serde_json::Value> for Value<'a> {
    fn from(j: &'a serde_json::Value) -> Self {
        Value::Json(Cow::Borrowed(j))
    }
}

impl From<serde_json::Value> for Value<'_> {
    fn from(j: serde_json::Value) -> Self {
        Value::Json(Cow::Owned(j))
    }
}

impl<'a> From<Vec<Value<'a>>> for Value<'a> {
    fn from(items: Vec<Value<'a>>) -> Self {
        Value::List(items)
    }
}

/// How many characters of a seen value a verdict shows before cutting it
/// with `…`; text longer than this (in bytes) is described by its length.
pub(crate) const SHOW_LIMIT: usize = 80;

/// Appends `value` to `out`, cut after [`SHOW_LIMIT`] characters (on a
/// character boundary) with `…`. Stops rendering at the cut, so showing a
/// slice of a megabyte body costs no more than showing a short one.
pub(crate) fn write_short(out: &mut String, value: &dyn fmt::Display) {
    let mut limited = Limited {
        out,
        left: SHOW_LIMIT,
        cut: false,
    };
    // An error here only means the limit was reached.
    let _ = write!(limited, "{value}");
    if limited.cut {
        out.push('…');
    }
}

/// A borrowed, comparable form of a [`Value`] or of a JSON node, so both
/// compare through one set of rules.
#[derive(Debug, Clone, Copy)]
pub(crate) enum View<'v> {
    Null,
    Bool(bool),
    Num(Num),
    Duration(SignedDuration),
    Str(&'v str),
    List(Items<'v>),
    Object,
}

/// A number, exact while it is whole.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

/// The elements of a list, whichever kind of list holds them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Items<'v> {
    Values(&'v [Value<'v>]),
    Json(&'v [serde_json::Value]),
}

impl<'v> View<'v> {
    /// The view of a JSON node.
    pub(crate) fn of_json(j: &'v serde_json::Value) -> Self {
        match j {
            serde_json::Value::Null => View::Null,
            serde_json::Value::Bool(b) => View::Bool(*b),
            serde_json::Value::Number(n) => View::Num(json_number(n)),
            serde_json::Value::String(s) => View::Str(s),
            serde_json::Value::Array(items) => View::List(Items::Json(items)),
            serde_json::Value::Object(_) => View::Object,
        }
    }

    /// What kind of value this is, for messages.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            View::Null => "null",
            View::Bool(_) => "a boolean",
            View::Num(_) => "a number",
            View::Duration(_) => "a duration",
            View::Str(_) => "text",
            View::List(_) => "a list",
            View::Object => "an object",
        }
    }
}

impl<'v> Items<'v> {
    fn len(self) -> usize {
        match self {
            Items::Values(v) => v.len(),
            Items::Json(v) => v.len(),
        }
    }

    fn views(self) -> impl Iterator<Item = View<'v>> {
        let (values, json) = match self {
            Items::Values(v) => (Some(v.iter().map(Value::view)), None),
            Items::Json(v) => (None, Some(v.iter().map(View::of_json))),
        };
        values
            .into_iter()
            .flatten()
            .chain(json.into_iter().flatten())
    }
}

/// Whether two values are equal: numbers by value (`200 == 200.0`), text
/// exactly, lists element by element; different kinds are never equal.
pub(crate) fn equals(a: View<'_>, b: View<'_>) -> bool {
    match (a, b) {
        (View::Null, View::Null) => true,
        (View::Bool(x), View::Bool(y)) => x == y,
        (View::Num(x), View::Num(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (View::Duration(x), View::Duration(y)) => x == y,
        (View::Str(x), View::Str(y)) => x == y,
        (View::List(x), View::List(y)) => {
            x.len() == y.len() && x.views().zip(y.views()).all(|(p, q)| equals(p, q))
        }
        _ => false,
    }
}

/// How two values order: numbers with numbers, durations with durations;
/// `None` for anything else (and for NaN).
pub(crate) fn order(a: View<'_>, b: View<'_>) -> Option<Ordering> {
    match (a, b) {
        (View::Num(x), View::Num(y)) => compare_numbers(x, y),
        (View::Duration(x), View::Duration(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

/// Whether `haystack` contains `needle`: a substring of text, or an element
/// of a list equal to it; `None` when `haystack` is neither.
pub(crate) fn contains(haystack: View<'_>, needle: View<'_>) -> Option<bool> {
    match (haystack, needle) {
        (View::Str(h), View::Str(n)) => Some(h.contains(n)),
        (View::List(items), needle) => Some(items.views().any(|item| equals(item, needle))),
        _ => None,
    }
}

/// Whether `regex` matches the text, or any text element of a list; `None`
/// when the value is neither.
pub(crate) fn matches(value: View<'_>, regex: &regex::Regex) -> Option<bool> {
    match value {
        View::Str(s) => Some(regex.is_match(s)),
        View::List(items) => Some(
            items
                .views()
                .any(|item| matches!(item, View::Str(s) if regex.is_match(s))),
        ),
        _ => None,
    }
}

fn compare_numbers(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    }
}

impl Num {
    #[allow(clippy::cast_precision_loss)] // comparing against a float is approximate anyway
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(x) => x,
        }
    }
}

fn json_number(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i128::from(i))
    } else if let Some(u) = n.as_u64() {
        Num::Int(i128::from(u))
    } else {
        Num::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Writes `s` in double quotes with `"`, `\` and control characters escaped
/// the way the expectation language reads them back.
pub(crate) fn write_quoted(f: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut plain = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if c.is_control() => "",
            _ => continue,
        };
        f.write_str(s.get(plain..i).unwrap_or_default())?;
        if escape.is_empty() {
            write!(f, "\\u{{{:x}}}", u32::from(c))?;
        } else {
            f.write_str(escape)?;
        }
        plain = i + c.len_utf8();
    }
    f.write_str(s.get(plain..).unwrap_or_default())?;
    f.write_char('"')
}

const NANOS_PER_MICRO: u128 = 1_000;
const NANOS_PER_MILLI: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;
const NANOS_PER_MIN: u128 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u128 = 60 * NANOS_PER_MIN;
const NANOS_PER_DAY: u128 = 24 * NANOS_PER_HOUR;

/// Writes a duration for people: `812ms`, `1.5s`, `5m 3s`, `3d 4h`.
///
/// Below a minute it keeps three decimals of the unit shown; from a minute
/// on it shows the two largest units, cut (not rounded).
fn write_duration(f: &mut fmt::Formatter<'_>, d: SignedDuration) -> fmt::Result {
    let nanos = d.as_nanos();
    if nanos < 0 {
        f.write_char('-')?;
    }
    let n = nanos.unsigned_abs();
    if n == 0 {
        return f.write_str("0s");
    }
    if n < NANOS_PER_MICRO {
        return write!(f, "{n}ns");
    }
    if n < NANOS_PER_MILLI {
        return write_decimal(f, n, NANOS_PER_MICRO, "µs");
    }
    if n < NANOS_PER_SEC {
        return write_decimal(f, n, NANOS_PER_MILLI, "ms");
    }
    if n < NANOS_PER_MIN {
        return write_decimal(f, n, NANOS_PER_SEC, "s");
    }
    let units = [
        (NANOS_PER_DAY, "d"),
        (NANOS_PER_HOUR, "h"),
        (NANOS_PER_MIN, "m"),
        (NANOS_PER_SEC, "s"),
    ];
    let Some(first) = units.iter().position(|(unit, _)| n >= *unit) else {
        return write!(f, "{n}ns");
    };
    let (unit, name) = units[first];
    write!(f, "{}{name}", n / unit)?;
    if let Some((next, next_name)) = units.get(first + 1) {
        let rest = (n % unit) / next;
        if rest > 0 {
            write!(f, " {rest}{next_name}")?;
        }
    }
    Ok(())
}

/// Writes `n / unit` with up to three decimals, trailing zeros dropped.
fn write_decimal(f: &mut fmt::Formatter<'_>, n: u128, unit: u128, name: &str) -> fmt::Result {
    let whole = n / unit;
    let thousandths = (n % unit) * 1000 / unit;
    if thousandths == 0 {
        return write!(f, "{whole}{name}");
    }
    let digits = format!("{thousandths:03}");
    write!(f, "{whole}.{}{name}", digits.trim_end_matches('0'))
}

/// Writes a size in bytes, with a binary-unit reading once it is large:
/// `5321 B`, `1048576 B (1.0 MiB)`.
fn write_size(f: &mut fmt::Formatter<'_>, n: u64) -> fmt::Result {
    write!(f, "{n} B")?;
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    match units.iter().find(|(unit, _)| n >= 10 * 1024 && n >= *unit) {
        #[allow(clippy::cast_precision_loss)] // one decimal is shown
        Some((unit, name)) => write!(f, " ({:.1} {name})", n as f64 / *unit as f64),
        None => Ok(()),
    }
}

/// A writer that keeps at most `left` more characters and then refuses.
struct Limited<'o> {
    out: &'o mut String,
    left: usize,
    cut: bool,
}

impl fmt::Write for Limited<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = s.char_indices().nth(self.left).map_or(s.len(), |(i, _)| i);
        let kept = s.get(..end).unwrap_or_default();
        self.out.push_str(kept);
        self.left = self.left.saturating_sub(kept.chars().count());
        if end < s.len() {
            self.cut = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(value: &Value<'_>) -> String {
        let mut out = String::new();
        write_short(&mut out, value);
        out
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let cases = [
            (SignedDuration::ZERO, "0s"),
            (SignedDuration::from_nanos(250), "250ns"),
            (SignedDuration::from_micros(1500), "1.5ms"),
            (SignedDuration::from_nanos(12_345), "12.345µs"),
            (SignedDuration::from_millis(812), "812ms"),
            (SignedDuration::from_micros(800_400), "800.4ms"),
            (SignedDuration::from_millis(1500), "1.5s"),
            (SignedDuration::from_secs(59), "59s"),
            (SignedDuration::from_secs(5 * 60 + 3), "5m 3s"),
            (SignedDuration::from_secs(2 * 3600), "2h"),
            (
                SignedDuration::from_secs(3 * 86_400 + 4 * 3600 + 59),
                "3d 4h",
            ),
            (SignedDuration::from_secs(-3 * 86_400), "-3d"),
            (SignedDuration::MAX, "106751991167300d 15h"),
            (SignedDuration::MIN, "-106751991167300d 15h"),
        ];
        for (d, want) in cases {
            assert_eq!(Value::Duration(d).to_string(), want, "{d:?}");
        }
    }

    #[test]
    fn sizes_show_bytes_and_a_binary_reading_when_large() {
        assert_eq!(Value::Size(5321).to_string(), "5321 B");
        assert_eq!(Value::Size(1 << 20).to_string(), "1048576 B (1.0 MiB)");
        assert_eq!(
            Value::Size(u64::MAX).to_string(),
            "18446744073709551615 B (16777216.0 TiB)"
        );
    }

    #[test]
    fn text_is_quoted_and_escaped() {
        assert_eq!(
            Value::from("a\"b\\c\nd\u{1}").to_string(),
            r#""a\"b\\c\nd\u{1}""#
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let body = "é".repeat(500);
        let shown = short(&Value::from(body.as_str()));
        assert_eq!(shown.chars().count(), SHOW_LIMIT + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(short(&Value::from("ok")), "\"ok\"");
        let exact = "x".repeat(SHOW_LIMIT - 2);
        assert_eq!(short(&Value::from(exact.as_str())), format!("\"{exact}\""));
    }

    #[test]
    fn numbers_of_every_kind_compare_by_value() {
        let json = serde_json::json!([200, 200.0, 18_446_744_073_709_551_615u64]);
        let items = json.as_array().map(Vec::as_slice).unwrap_or_default();
        let int = Value::Int(200);
        assert!(equals(int.view(), View::of_json(&items[0])));
        assert!(equals(int.view(), View::of_json(&items[1])));
        assert!(equals(
            Value::Size(u64::MAX).view(),
            View::of_json(&items[2])
        ));
        assert_eq!(order(Value::Float(f64::NAN).view(), int.view()), None);
        assert!(!equals(Value::from("200").view(), int.view()));
    }

    #[test]
    fn lists_compare_element_by_element() {
        let json = serde_json::json!(["a", "b"]);
        let list = Value::List(vec![Value::from("a"), Value::from("b")]);
        assert!(equals(list.view(), View::of_json(&json)));
        assert_eq!(
            contains(View::of_json(&json), Value::from("b").view()),
            Some(true)
        );
        assert_eq!(
            contains(Value::Int(3).view(), Value::from("b").view()),
            None
        );
    }
}
