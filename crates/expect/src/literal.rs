//! Number literals: plain numbers (`200`, `-1.5`), durations (`800ms`,
//! `1.5s`, `1h30m`, `14d`) and sizes (`10KiB`, `1MB`), read exactly with
//! integer arithmetic.

use jiff::SignedDuration;

use crate::value::Value;

/// Duration units and their length in nanoseconds.
const DURATION_UNITS: [(&str, u128); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
];

/// Size units and their length in bytes.
const SIZE_UNITS: [(&str, u128); 9] = [
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Why a number literal is not valid: a message and an optional hint.
pub(crate) type Invalid = (String, Option<String>);

/// Reads a number token (sign, digits, optional fraction, optional unit).
pub(crate) fn number(text: &str) -> Result<Value<'static>, Invalid> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (digits, rest) = split_digits(unsigned);
    if !is_decimal(digits) {
        return Err(invalid(text));
    }
    if rest.is_empty() {
        return plain(text, digits);
    }
    let unit = rest
        .split(|c: char| c.is_ascii_digit() || c == '.')
        .next()
        .unwrap_or_default();
    if let Some(bytes) = unit_of(&SIZE_UNITS, unit) {
        if rest.len() != unit.len() {
            return Err(invalid(text));
        }
        if negative {
            return Err((
                format!("size `{text}` is negative"),
                Some("sizes count bytes, from `0B` up".into()),
            ));
        }
        let size = scaled(digits, bytes).and_then(|n| u64::try_from(n).ok());
        return size
            .map(Value::Size)
            .ok_or_else(|| (format!("size `{text}` is too large"), None));
    }
    if unit_of(&DURATION_UNITS, unit).is_none() {
        return Err((
            format!("unknown unit `{unit}` in `{text}`"),
            Some(
                "durations take `ns`, `us`, `ms`, `s`, `m`, `h`, `d` or `w` (`1h30m` combines them); \
                 sizes take `B`, `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB` or `TiB`"
                    .into(),
            ),
        ));
    }
    duration(text, negative, unsigned)
}

/// Reads a plain number: an `i64` or, with a fraction, an `f64`.
fn plain(text: &str, digits: &str) -> Result<Value<'static>, Invalid> {
    if digits.contains('.') {
        return text.parse().map(Value::Float).map_err(|_| invalid(text));
    }
    text.parse()
        .map(Value::Int)
        .map_err(|_| (format!("number `{text}` is too large"), None))
}

/// Reads a duration made of one or more `<number><unit>` parts.
fn duration(text: &str, negative: bool, mut rest: &str) -> Result<Value<'static>, Invalid> {
    let too_large = || (format!("duration `{text}` is too large"), None);
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (digits, after) = split_digits(rest);
        let unit = after
            .split(|c: char| c.is_ascii_digit() || c == '.')
            .next()
            .unwrap_or_default();
        let Some(nanos) = unit_of(&DURATION_UNITS, unit) else {
            return Err(invalid(text));
        };
        if !is_decimal(digits) {
            return Err(invalid(text));
        }
        let part = scaled(digits, nanos).ok_or_else(too_large)?;
        total = total.checked_add(part).ok_or_else(too_large)?;
        rest = after.get(unit.len()..).unwrap_or_default();
    }
    let nanos = i128::try_from(total).map_err(|_| too_large())?;
    let nanos = if negative { -nanos } else { nanos };
    SignedDuration::try_from_nanos_i128(nanos)
        .map(Value::Duration)
        .ok_or_else(too_large)
}

fn invalid(text: &str) -> Invalid {
    (format!("invalid number `{text}`"), None)
}

/// Splits leading digits and dots from the rest.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (
        s.get(..end).unwrap_or_default(),
        s.get(end..).unwrap_or_default(),
    )
}

/// Whether `s` is `digits` or `digits.digits`.
fn is_decimal(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    parts.next().is_some_and(all_digits) && parts.next().is_none_or(all_digits)
}

fn unit_of(units: &[(&str, u128)], unit: &str) -> Option<u128> {
    units
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
}

/// `digits` (a decimal) times `scale`, cut to a whole number; `None` on
/// overflow. Fraction digits beyond the 18th are ignored.
fn scaled(digits: &str, scale: u128) -> Option<u128> {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: u128 = whole.parse().ok()?;
    let fraction = fraction.get(..fraction.len().min(18)).unwrap_or_default();
    let mut value = whole.checked_mul(scale)?;
    if !fraction.is_empty() {
        let numerator: u128 = fraction.parse().ok()?;
        let denominator = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        value = value.checked_add(numerator.checked_mul(scale)? / denominator)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value<'static> {
        number(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    fn err(text: &str) -> String {
        number(text).err().map(|(m, _)| m).unwrap_or_default()
    }

    #[test]
    fn reads_plain_numbers() {
        assert_eq!(ok("200"), Value::Int(200));
        assert_eq!(ok("-7"), Value::Int(-7));
        assert_eq!(ok("0.25"), Value::Float(0.25));
        assert_eq!(ok("9223372036854775807"), Value::Int(i64::MAX));
        assert_eq!(
            err("9223372036854775808"),
            "number `9223372036854775808` is too large"
        );
        assert_eq!(err("1.2.3"), "invalid number `1.2.3`");
        assert_eq!(err("1."), "invalid number `1.`");
    }

    #[test]
    fn reads_durations_exactly() {
        let d = |text| match ok(text) {
            Value::Duration(d) => d,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(d("800ms"), SignedDuration::from_millis(800));
        assert_eq!(d("1.5s"), SignedDuration::from_millis(1500));
        assert_eq!(d("14d"), SignedDuration::from_hours(14 * 24));
        assert_eq!(d("2h"), SignedDuration::from_hours(2));
        assert_eq!(d("1w"), SignedDuration::from_hours(7 * 24));
        assert_eq!(d("1h30m"), SignedDuration::from_mins(90));
        assert_eq!(d("250us"), SignedDuration::from_micros(250));
        assert_eq!(d("250µs"), SignedDuration::from_micros(250));
        assert_eq!(d("-1d"), SignedDuration::from_hours(-24));
        assert_eq!(d("0.1ns"), SignedDuration::ZERO);
        assert_eq!(
            err("99999999999999999999w"),
            "duration `99999999999999999999w` is too large"
        );
        assert_eq!(err("5sec"), "unknown unit `sec` in `5sec`");
        assert_eq!(err("1h30"), "invalid number `1h30`");
        assert_eq!(err("1h30KB"), "invalid number `1h30KB`");
    }

    #[test]
    fn reads_sizes_exactly() {
        assert_eq!(ok("10KiB"), Value::Size(10_240));
        assert_eq!(ok("1MB"), Value::Size(1_000_000));
        assert_eq!(ok("1.5KB"), Value::Size(1500));
        assert_eq!(ok("0B"), Value::Size(0));
        assert_eq!(err("-1KB"), "size `-1KB` is negative");
        assert_eq!(err("1KB5"), "invalid number `1KB5`");
        assert_eq!(err("99999999999TiB"), "size `99999999999TiB` is too large");
    }
}
