//! [`LatencySketch`]: a mergeable log-bucket latency histogram, the value
//! kept in every rollup row. Quantiles come back within
//! [`LatencySketch::RELATIVE_ERROR`] of the exact ones, sketches of two
//! periods merge by adding counts, and only non-empty buckets are stored.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{Result, StoreError};

/// Ratio between the bounds of consecutive buckets.
const GAMMA: f64 = 1.1;

/// The first byte of every serialized sketch.
const FORMAT_V1: u8 = 1;

/// The largest bucket index: the bucket holding `u32::MAX` ms (49 days).
const MAX_INDEX: u8 = 233;

/// A histogram of latencies in whole milliseconds over logarithmic buckets.
///
/// Bucket 0 holds 0 ms; bucket `k ≥ 1` holds `[γ^(k-1), γ^k)` ms with
/// γ = 1.1, so 233 buckets cover 1 ms to 49 days and every value reported
/// for a bucket (its harmonic midpoint) is within 4.8 % of any latency in
/// it. Merging adds counts, so an hour's sketch merged with the next is
/// exactly the sketch of both hours.
///
/// Serialized form: a format byte, then for each non-empty bucket in
/// increasing order its index (one byte) and its count (LEB128). A typical
/// hour of one monitor takes 20–60 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencySketch {
    buckets: BTreeMap<u8, u64>,
}

impl LatencySketch {
    /// The most a reported quantile differs from the exact one (of the
    /// latencies rounded to whole milliseconds), relative to the exact one.
    pub const RELATIVE_ERROR: f64 = (GAMMA - 1.0) / (GAMMA + 1.0);

    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one latency (rounded to the nearest millisecond).
    pub fn record(&mut self, latency: Duration) {
        self.record_ms(duration_to_ms(latency));
    }

    /// Counts one latency given in whole milliseconds.
    pub fn record_ms(&mut self, ms: u32) {
        *self.buckets.entry(bucket_of(ms)).or_default() += 1;
    }

    /// Adds every latency counted in `other`.
    pub fn merge(&mut self, other: &LatencySketch) {
        for (&index, &count) in &other.buckets {
            *self.buckets.entry(index).or_default() += count;
        }
    }

    /// How many latencies were counted.
    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The `q`-quantile (`0.0..=1.0`, e.g. `0.95`) by nearest rank: the
    /// value of the bucket holding the `⌈q·n⌉`-th smallest latency. `None`
    /// when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // Rank in 1..=total; the casts are exact for any realistic count.
        let wanted = (q.clamp(0.0, 1.0) * total as f64).ceil() as u64;
        let rank = wanted.clamp(1, total);
        let mut seen = 0;
        for (&index, &count) in &self.buckets {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_secs_f64(representative_ms(index) / 1_000.0));
            }
        }
        None
    }

    /// The compact serialized form (see the type's documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.buckets.len() * 3);
        out.push(FORMAT_V1);
        for (&index, &count) in &self.buckets {
            out.push(index);
            write_varint(&mut out, count);
        }
        out
    }

    /// Reads the form written by [`LatencySketch::to_bytes`]. Fails with
    /// [`StoreError::Corrupt`] on anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<LatencySketch> {
        let corrupt = |why: &str| StoreError::Corrupt(format!("latency sketch: {why}"));
        let (&format, mut rest) = bytes.split_first().ok_or_else(|| corrupt("empty"))?;
        if format != FORMAT_V1 {
            return Err(corrupt(&format!("unknown format `{format}`")));
        }
        let mut buckets = BTreeMap::new();
        let mut last: Option<u8> = None;
        while let Some((&index, after)) = rest.split_first() {
            if index > MAX_INDEX || last.is_some_and(|last| index <= last) {
                return Err(corrupt(&format!("bucket `{index}` out of order or range")));
            }
            let (count, after) = read_varint(after).ok_or_else(|| corrupt("truncated count"))?;
            if count == 0 {
                return Err(corrupt(&format!("bucket `{index}` has a zero count")));
            }
            buckets.insert(index, count);
            last = Some(index);
            rest = after;
        }
        Ok(LatencySketch { buckets })
    }
}

/// A latency in whole milliseconds, rounded to nearest, saturating at
/// `u32::MAX` (49 days): the unit raw rows and sketches use.
pub(crate) fn duration_to_ms(latency: Duration) -> u32 {
    let ms = latency.as_micros().saturating_add(500) / 1_000;
    u32::try_from(ms).unwrap_or(u32::MAX)
}

/// The bucket holding `ms`.
fn bucket_of(ms: u32) -> u8 {
    if ms == 0 {
        return 0;
    }
    let k = (f64::from(ms).ln() / GAMMA.ln()).floor() as u32 + 1;
    u8::try_from(k).unwrap_or(MAX_INDEX).min(MAX_INDEX)
}

/// The value reported for bucket `index`: for `[a, γa)`, `2γa / (1 + γ)`,
/// whose relative distance to either end is `(γ-1)/(γ+1)`.
fn representative_ms(index: u8) -> f64 {
    if index == 0 {
        return 0.0;
    }
    2.0 * GAMMA.powi(i32::from(index)) / (1.0 + GAMMA)
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The nearest-rank quantile of `values`, exactly.
    fn exact(values: &mut [u32], q: f64) -> u32 {
        values.sort_unstable();
        let n = values.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        values[rank - 1]
    }

    #[test]
    fn empty_sketch_has_no_quantiles() {
        let sketch = LatencySketch::new();
        assert_eq!(sketch.quantile(0.5), None);
        assert_eq!(
            LatencySketch::from_bytes(&sketch.to_bytes()).unwrap(),
            sketch
        );
    }

    #[test]
    fn every_value_maps_into_range() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 1);
        assert_eq!(bucket_of(u32::MAX), MAX_INDEX);
    }

    #[test]
    fn bad_bytes_are_corrupt_not_panics() {
        for bad in [
            &[][..],
            &[9],
            &[1, 3],
            &[1, 3, 0],
            &[1, 5, 1, 4, 1],
            &[1, 250, 1],
        ] {
            assert!(
                matches!(LatencySketch::from_bytes(bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn quantiles_are_within_the_error_bound(
            mut values in proptest::collection::vec(0u32..120_000, 1..400),
            q in 0.0f64..=1.0,
        ) {
            let mut sketch = LatencySketch::new();
            for &v in &values {
                sketch.record_ms(v);
            }
            let want = f64::from(exact(&mut values, q));
            let got = sketch.quantile(q).unwrap().as_secs_f64() * 1_000.0;
            prop_assert!(
                (got - want).abs() <= want * LatencySketch::RELATIVE_ERROR + 1e-6,
                "q={q} exact={want} sketch={got}"
            );
        }

        #[test]
        fn merge_equals_recording_everything(
            a in proptest::collection::vec(any::<u32>(), 0..100),
            b in proptest::collection::vec(any::<u32>(), 0..100),
        ) {
            let mut left = LatencySketch::new();
            a.iter().for_each(|&v| left.record_ms(v));
            let mut right = LatencySketch::new();
            b.iter().for_each(|&v| right.record_ms(v));
            let mut all = LatencySketch::new();
            a.iter().chain(&b).for_each(|&v| all.record_ms(v));
            left.merge(&right);
            prop_assert_eq!(&left, &all);
            prop_assert_eq!(LatencySketch::from_bytes(&left.to_bytes()).unwrap(), all);
        }
    }
}
