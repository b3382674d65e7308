//! On-call shifts as an RFC 5545 iCalendar feed.

use jiff::Timestamp;
use shipshape_catalog::{Person, Schedule};

use super::{Shift, ShiftSource};

/// An RFC 5545 `VCALENDAR` with one `VEVENT` per shift: `UID` stable per
/// schedule, start and person; `DTSTAMP` is `now`; times in UTC; summary
/// `On call: <name> (<schedule name>)` (the person id when `people` does
/// not name them). CRLF line endings, lines folded at 75 octets, text
/// escaped.
pub fn ical(schedule: &Schedule, shifts: &[Shift], people: &[Person], now: Timestamp) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Shipshape//On-call//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("X-WR-CALNAME:{}", escape(&schedule.name)),
    ];
    for shift in shifts {
        let name = people
            .iter()
            .find(|p| p.id == shift.person)
            .map_or(shift.person.as_str(), |p| p.name.as_str());
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!(
            "UID:{}",
            escape(&format!(
                "{}-{}-{}@shipshape",
                schedule.id,
                utc(shift.start),
                shift.person
            ))
        ));
        lines.push(format!("DTSTAMP:{}", utc(now)));
        lines.push(format!("DTSTART:{}", utc(shift.start)));
        lines.push(format!("DTEND:{}", utc(shift.end)));
        lines.push(format!(
            "SUMMARY:{}",
            escape(&format!("On call: {name} ({})", schedule.name))
        ));
        if let ShiftSource::Override { note: Some(note) } = &shift.source {
            lines.push(format!(
                "DESCRIPTION:{}",
                escape(&format!("Override: {note}"))
            ));
        }
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in &lines {
        fold(&mut out, line);
    }
    out
}

/// An instant as an iCalendar UTC date-time, `20261130T140000Z`.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 TEXT escaping: backslash, `;`, `,` and newlines.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` with CRLF, folded so no physical line exceeds 75 octets
/// (continuations start with a space) and no UTF-8 character is split.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(50));
        fold(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{physical:?} is {} octets",
                physical.len()
            );
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a\\b;c,d\ne\r\n"), "a\\\\b\\;c\\,d\\ne\\n");
    }
}
