//! Human-written quantities: durations (`30s`, `1h30m`), byte sizes
//! (`1MiB`), percentages (`99.9%`) and handoff times (`monday 09:00`).
//! Each parser returns the reason as a lowercase message on failure.

use std::time::Duration;

use jiff::civil::{Time, Weekday};

use crate::model::Handoff;

/// Units a duration may use, with their length in milliseconds.
const DURATION_UNITS: [(&str, u64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Hint shown for any malformed duration.
pub(crate) const DURATION_HELP: &str = "write a number and a unit without spaces, e.g. `30s`, `5m` or `1h30m` (units: ms, s, m, h, d, w)";

/// Parses `30s`, `5m`, `1h30m`, `250ms`, `1w`, `0s`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.starts_with('-') {
        return Err(format!("duration `{text}` is negative"));
    }
    if text.is_empty() {
        return Err("duration is empty".into());
    }
    let invalid = || format!("invalid duration `{text}`");
    let mut rest = text;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(digits);
        let number: u64 = number.parse().map_err(|_| invalid())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let (_, millis) = DURATION_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .ok_or_else(invalid)?;
        total = number
            .checked_mul(*millis)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| format!("duration `{text}` is too long"))?;
        rest = tail;
    }
    Ok(Duration::from_millis(total))
}

/// Formats a duration the way it is written, e.g. `1h30m` or `250ms`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, length) in DURATION_UNITS.iter().rev() {
        if millis >= *length {
            out.push_str(&format!("{}{unit}", millis / length));
            millis %= length;
        }
    }
    out
}

/// Units a size may use, with their multiplier.
const SIZE_UNITS: [(&str, u64); 9] = [
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("K", 1_000),
    ("M", 1_000_000),
];

/// Hint shown for any malformed size.
pub(crate) const SIZE_HELP: &str = "write a whole number and a unit, e.g. `512KiB` or `1MiB` (units: B, KB, MB, GB, KiB, MiB, GiB)";

/// Parses `1MiB`, `512 KiB`, `1000B`.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || format!("invalid size `{text}`");
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let unit = unit.trim_start();
    let (_, multiplier) = SIZE_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .ok_or_else(invalid)?;
    number
        .checked_mul(*multiplier)
        .ok_or_else(|| format!("size `{text}` is too large"))
}

/// Parses `99.9%` into `99.9`; must lie in `(0, 100]`.
pub(crate) fn parse_percent(text: &str) -> Result<f64, String> {
    let invalid = || format!("invalid percentage `{text}`");
    let number = text.strip_suffix('%').ok_or_else(invalid)?.trim_end();
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(invalid());
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    if value > 100.0 {
        Err(format!("percentage `{text}` is above 100%"))
    } else if value <= 0.0 {
        Err(format!("percentage `{text}` must be above 0%"))
    } else {
        Ok(value)
    }
}

/// Hint shown for any malformed handoff.
pub(crate) const HANDOFF_HELP: &str =
    "write `HH:MM`, optionally after a weekday, e.g. `\"09:00\"` or `\"monday 09:00\"`";

/// Parses `09:00` or `monday 09:00` (weekday names in English, any case,
/// full or three-letter).
pub(crate) fn parse_handoff(text: &str) -> Result<Handoff, String> {
    let invalid = || format!("invalid handoff `{text}`");
    let mut words = text.split_whitespace();
    let (day, time) = match (words.next(), words.next(), words.next()) {
        (Some(time), None, None) => (None, time),
        (Some(day), Some(time), None) => (Some(parse_weekday(day).ok_or_else(invalid)?), time),
        _ => return Err(invalid()),
    };
    let (hour, minute) = time.split_once(':').ok_or_else(invalid)?;
    let two_digits = |s: &str| s.len() == 2 && s.chars().all(|c| c.is_ascii_digit());
    if !two_digits(hour) || !two_digits(minute) {
        return Err(invalid());
    }
    let hour: i8 = hour.parse().map_err(|_| invalid())?;
    let minute: i8 = minute.parse().map_err(|_| invalid())?;
    let time = Time::new(hour, minute, 0, 0).map_err(|_| invalid())?;
    Ok(Handoff { weekday: day, time })
}

fn parse_weekday(word: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    let word = word.to_ascii_lowercase();
    DAYS.iter()
        .find(|(name, _)| *name == word || (word.len() == 3 && name.starts_with(&word)))
        .map(|(_, day)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("10 minutes").is_err());
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("9999999999999999w").is_err());
    }

    #[test]
    fn durations_format_as_written() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert!(parse_size("1 TiB").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("99.9%"), Ok(99.9));
        assert!(parse_percent("101%").unwrap_err().contains("above 100%"));
        assert!(parse_percent("99.9").is_err());
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("0%").is_err());
    }

    #[test]
    fn handoffs() {
        let monday = parse_handoff("monday 09:00").ok();
        assert_eq!(monday.and_then(|h| h.weekday), Some(Weekday::Monday));
        assert_eq!(
            parse_handoff("Tue 18:30").ok().and_then(|h| h.weekday),
            Some(Weekday::Tuesday)
        );
        assert!(parse_handoff("09:00").is_ok_and(|h| h.weekday.is_none()));
        assert!(parse_handoff("25:00").is_err());
        assert!(parse_handoff("9am").is_err());
        assert!(parse_handoff("someday 09:00").is_err());
    }
}
