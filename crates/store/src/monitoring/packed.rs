//! The encoding of a packed hour: every result of one monitor from one
//! location in one UTC hour, in one `check_results_packed.data` value.
//!
//! Format: a version byte (`1`), then per result in increasing time order:
//! - the time as a zigzag varint of the *change* of the gap since the
//!   previous result (the first result's gap is its offset from the hour's
//!   start, the gap before it counts as 0): checks on a fixed interval
//!   cost one byte;
//! - a varint of `latency_ms << 3 | flags`, flags being bit 0 passed,
//!   bit 1 has a status code, bit 2 the status code equals the previous
//!   result's (so none follows);
//! - a varint of the status code, when it has one that differs from the
//!   previous result's.
//!
//! A check every 30 s that passes with a latency of 16 ms – 2 s costs 3
//! bytes. Decoding checks every value and fails with
//! [`StoreError::Corrupt`] (never panics) on anything it did not write.

use super::HOUR_MS;
use crate::{Result, StoreError};

/// The format version byte starting every packed hour.
const VERSION: u8 = 1;

const FLAG_OK: u64 = 1;
const FLAG_STATUS: u64 = 2;
const FLAG_SAME_STATUS: u64 = 4;
const FLAG_BITS: u32 = 3;

/// One result as a packed hour holds it (monitor and location are the
/// row's key; the failure reason stays in `check_failures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PackedResult {
    /// When the check started, ms since the epoch, within the hour.
    pub at_ms: i64,
    /// How long it took, in ms.
    pub latency_ms: u32,
    /// Whether it passed.
    pub ok: bool,
    /// Its HTTP status code, if any.
    pub status_code: Option<u16>,
}

/// Encodes `results` (strictly increasing times, all within the hour
/// starting at `hour_ms`). Fails with [`StoreError::InvalidInput`] when
/// they are not.
pub(super) fn encode(hour_ms: i64, results: &[PackedResult]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(1 + results.len() * 4);
    out.push(VERSION);
    let (mut prev_at, mut prev_gap, mut prev_status) = (hour_ms, 0i64, None);
    for (i, result) in results.iter().enumerate() {
        let gap = result.at_ms.wrapping_sub(prev_at);
        let in_hour = result.at_ms >= hour_ms && result.at_ms - hour_ms < HOUR_MS;
        if !in_hour || (i > 0 && gap <= 0) {
            return Err(StoreError::InvalidInput(format!(
                "cannot pack a result at {} ms into the hour starting at {hour_ms} ms \
                 (results must be in increasing time order within the hour)",
                result.at_ms
            )));
        }
        put_varint(&mut out, zigzag(gap - prev_gap));
        let mut head = u64::from(result.latency_ms) << FLAG_BITS;
        if result.ok {
            head |= FLAG_OK;
        }
        let same_status = result.status_code.is_some() && result.status_code == prev_status;
        if result.status_code.is_some() {
            head |= FLAG_STATUS;
        }
        if same_status {
            head |= FLAG_SAME_STATUS;
        }
        put_varint(&mut out, head);
        if let (Some(code), false) = (result.status_code, same_status) {
            put_varint(&mut out, u64::from(code));
        }
        (prev_at, prev_gap, prev_status) = (result.at_ms, gap, result.status_code);
    }
    Ok(out)
}

/// Decodes a packed hour starting at `hour_ms`, oldest first.
pub(super) fn decode(hour_ms: i64, data: &[u8]) -> Result<Vec<PackedResult>> {
    let corrupt = |what: &str| {
        StoreError::Corrupt(format!(
            "column `check_results_packed.data` of the hour starting at {hour_ms} ms: {what}"
        ))
    };
    let (&version, mut rest) = data.split_first().ok_or_else(|| corrupt("empty value"))?;
    if version != VERSION {
        return Err(corrupt(&format!("unknown format version {version}")));
    }
    let hour_end = hour_ms
        .checked_add(HOUR_MS)
        .ok_or_else(|| corrupt("hour out of range"))?;
    let mut results = Vec::with_capacity(rest.len() / 3);
    let (mut prev_at, mut prev_gap, mut prev_status) = (hour_ms, 0i64, None);
    while !rest.is_empty() {
        let change = unzigzag(take_varint(&mut rest).ok_or_else(|| corrupt("truncated time"))?);
        let gap = prev_gap
            .checked_add(change)
            .filter(|&gap| gap > 0 || (results.is_empty() && gap == 0))
            .ok_or_else(|| corrupt("times not increasing"))?;
        let at_ms = prev_at
            .checked_add(gap)
            .filter(|&at| at < hour_end)
            .ok_or_else(|| corrupt("time outside the hour"))?;
        let head = take_varint(&mut rest).ok_or_else(|| corrupt("truncated latency"))?;
        let latency_ms =
            u32::try_from(head >> FLAG_BITS).map_err(|_| corrupt("latency out of range"))?;
        let status_code = match (head & FLAG_STATUS != 0, head & FLAG_SAME_STATUS != 0) {
            (false, false) => None,
            (false, true) => return Err(corrupt("same status without a status")),
            (true, true) => Some(prev_status.ok_or_else(|| corrupt("no previous status"))?),
            (true, false) => {
                let code = take_varint(&mut rest).ok_or_else(|| corrupt("truncated status"))?;
                Some(u16::try_from(code).map_err(|_| corrupt("status out of range"))?)
            }
        };
        results.push(PackedResult {
            at_ms,
            latency_ms,
            ok: head & FLAG_OK != 0,
            status_code,
        });
        (prev_at, prev_gap, prev_status) = (at_ms, gap, status_code);
    }
    Ok(results)
}

/// Appends `value` as a LEB128 varint (7 bits a byte, low first).
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Takes a varint off the front of `input`; `None` when truncated or
/// longer than a `u64`.
fn take_varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &byte) in input.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        if i == 9 && bits > 1 {
            return None;
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(value);
        }
    }
    None
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// 2025-01-01T00:00:00Z.
    const HOUR: i64 = 1_735_689_600_000;

    fn every_30s() -> Vec<PackedResult> {
        (0..120)
            .map(|i| PackedResult {
                at_ms: HOUR + 12 + i * 30_000,
                latency_ms: 40 + (i as u32 % 7),
                ok: i % 50 != 49,
                status_code: if i % 50 == 49 { Some(503) } else { Some(200) },
            })
            .collect()
    }

    #[test]
    fn a_regular_hour_costs_about_three_bytes_a_check() {
        let results = every_30s();
        let data = encode(HOUR, &results).unwrap();
        assert!(data.len() <= 1 + 120 * 3 + 16, "{} bytes", data.len());
        assert_eq!(decode(HOUR, &data).unwrap(), results);
    }

    #[test]
    fn extremes_round_trip() {
        let results = vec![
            PackedResult {
                at_ms: HOUR,
                latency_ms: u32::MAX,
                ok: false,
                status_code: None,
            },
            PackedResult {
                at_ms: HOUR + 1,
                latency_ms: 0,
                ok: true,
                status_code: Some(u16::MAX),
            },
            PackedResult {
                at_ms: HOUR + HOUR_MS - 1,
                latency_ms: 0,
                ok: true,
                status_code: Some(0),
            },
        ];
        let data = encode(HOUR, &results).unwrap();
        assert_eq!(decode(HOUR, &data).unwrap(), results);
        assert_eq!(decode(HOUR, &encode(HOUR, &[]).unwrap()).unwrap(), vec![]);
        // Before 1970 too.
        let before = [PackedResult {
            at_ms: -HOUR_MS + 5,
            ..results[0]
        }];
        let data = encode(-HOUR_MS, &before).unwrap();
        assert_eq!(decode(-HOUR_MS, &data).unwrap(), before);
    }

    #[test]
    fn encoding_rejects_unordered_or_foreign_times() {
        let mut results = every_30s();
        results.swap(3, 4);
        assert!(matches!(
            encode(HOUR, &results),
            Err(StoreError::InvalidInput(_))
        ));
        let mut results = every_30s();
        results[5].at_ms = results[4].at_ms;
        assert!(encode(HOUR, &results).is_err(), "duplicate time");
        assert!(encode(HOUR + HOUR_MS, &every_30s()).is_err(), "wrong hour");
        assert!(encode(HOUR - HOUR_MS, &every_30s()).is_err(), "wrong hour");
    }

    #[test]
    fn corrupt_values_are_reported() {
        let data = encode(HOUR, &every_30s()).unwrap();
        for bad in [
            &[][..],
            &[2][..],
            &data[..data.len() - 1],
            &[1, 0x80][..],
            &[1, 0, 0x80, 0x80][..],
            &[1; 12][..],
            &[1, 0, 0b110][..],
            &[1, 0, 0b111][..],
            &[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0,
            ][..],
        ] {
            assert!(
                matches!(decode(HOUR, bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
        // A time past the hour's end, and a second result at the same time.
        let past = encode(HOUR + HOUR_MS, &[every_30s()[0]]);
        assert!(past.is_err());
        let mut same = vec![1];
        put_varint(&mut same, zigzag(10));
        put_varint(&mut same, 0);
        put_varint(&mut same, zigzag(-10));
        put_varint(&mut same, 0);
        assert!(matches!(decode(HOUR, &same), Err(StoreError::Corrupt(_))));
        let mut over = vec![1];
        put_varint(&mut over, zigzag(HOUR_MS));
        put_varint(&mut over, 0);
        assert!(matches!(decode(HOUR, &over), Err(StoreError::Corrupt(_))));
        let mut latency = vec![1, 0];
        put_varint(&mut latency, (u64::from(u32::MAX) + 1) << FLAG_BITS);
        assert!(matches!(
            decode(HOUR, &latency),
            Err(StoreError::Corrupt(_))
        ));
        assert!(decode(i64::MAX, &[1, 0, 0]).is_err(), "no such hour");
    }

    #[test]
    fn varints_round_trip() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut input = &out[..];
            assert_eq!(take_varint(&mut input), Some(value));
            assert!(input.is_empty());
        }
        for n in [0, 1, -1, i64::MAX, i64::MIN, HOUR_MS, -HOUR_MS] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }

    fn arb_hour() -> impl Strategy<Value = (i64, Vec<PackedResult>)> {
        let hour = (-1_000_000i64..1_000_000).prop_map(|h| h * HOUR_MS);
        let results = proptest::collection::btree_map(
            0..HOUR_MS,
            (
                any::<u32>(),
                any::<bool>(),
                prop_oneof![Just(None), Just(Some(200)), any::<u16>().prop_map(Some)],
            ),
            0..300,
        );
        (hour, results).prop_map(|(hour, results)| {
            let results = results
                .into_iter()
                .map(|(offset, (latency_ms, ok, status_code))| PackedResult {
                    at_ms: hour + offset,
                    latency_ms,
                    ok,
                    status_code,
                })
                .collect();
            (hour, results)
        })
    }

    proptest! {
        #[test]
        fn any_hour_round_trips((hour, results) in arb_hour()) {
            let data = encode(hour, &results).unwrap();
            prop_assert_eq!(decode(hour, &data).unwrap(), results);
        }

        #[test]
        fn garbage_never_panics(hour in any::<i64>(), data in proptest::collection::vec(any::<u8>(), 0..200)) {
            match decode(hour, &data) {
                Ok(results) => {
                    // Whatever decodes is a valid hour, and encodes back to
                    // something that decodes the same.
                    let again = encode(hour, &results).unwrap();
                    prop_assert_eq!(decode(hour, &again).unwrap(), results);
                }
                Err(error) => prop_assert!(matches!(error, StoreError::Corrupt(_))),
            }
        }

        #[test]
        fn damaged_hours_never_panic((hour, results) in arb_hour(), at in any::<usize>(), byte in any::<u8>()) {
            let mut data = encode(hour, &results).unwrap();
            if !data.is_empty() {
                let i = at % data.len();
                data[i] = byte;
                let _ = decode(hour, &data);
                data.truncate(i);
                let _ = decode(hour, &data);
            }
        }
    }
}
