//! Baseline removal with two cascaded moving medians (de Chazal et al., 2004).

use super::SignalFilter;
use crate::preprocess::check::{check_fs, check_signal};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Baseline wander removal: a `first_ms` median (removes QRS and P waves) followed by a
/// `second_ms` median (removes T waves) estimates the baseline, which is subtracted.
/// Defaults 200 ms and 600 ms. Window lengths are `round(ms * fs / 1000)` made odd.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MedianBaseline {
    /// First median window in milliseconds.
    pub first_ms: f64,
    /// Second median window in milliseconds.
    pub second_ms: f64,
}

impl Default for MedianBaseline {
    fn default() -> Self {
        Self {
            first_ms: 200.0,
            second_ms: 600.0,
        }
    }
}

impl MedianBaseline {
    /// The estimated baseline (same length as `signal`).
    pub fn baseline(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>> {
        let first = window_samples("first_ms", self.first_ms, fs)?;
        let second = window_samples("second_ms", self.second_ms, fs)?;
        moving_median(&moving_median(signal, first)?, second)
    }
}

impl SignalFilter for MedianBaseline {
    fn apply(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>> {
        let baseline = self.baseline(signal, fs)?;
        let out: Vec<f32> = signal.iter().zip(&baseline).map(|(x, b)| x - b).collect();
        // Finite in, finite baseline; only a difference beyond f32's range is not.
        match out.iter().position(|y| !y.is_finite()) {
            None => Ok(out),
            Some(sample) => Err(Error::Signal {
                sample,
                message: format!(
                    "{} minus its baseline {} overflows a 32-bit float",
                    signal[sample], baseline[sample]
                ),
            }),
        }
    }
}

/// Odd window length in samples for a duration in milliseconds.
fn window_samples(name: &'static str, ms: f64, fs: f64) -> Result<usize> {
    check_fs(fs)?;
    let samples = (ms * fs / 1000.0).round();
    if !(1.0..1e9).contains(&samples) {
        return Err(Error::invalid(
            name,
            format!("{ms} ms is under one sample at {fs} Hz"),
        ));
    }
    Ok(samples as usize | 1)
}

/// Centred moving median over `window` samples (an even `window` acts as `window + 1`).
///
/// Near the edges the window is truncated to the samples that exist (no padding), so a signal
/// shorter than the window is handled; an even count takes the mean of the two middle values.
/// A sorted buffer is updated by binary search, so each step costs O(log w) comparisons plus a
/// `memmove` of at most w floats: far from the O(w log w) of re-sorting each window.
pub fn moving_median(signal: &[f32], window: usize) -> Result<Vec<f32>> {
    check_signal(signal)?;
    if window == 0 {
        return Err(Error::invalid("window", "must be at least 1 sample"));
    }
    let half = window / 2;
    let n = signal.len();
    let mut sorted: Vec<f32> = Vec::with_capacity(2 * half + 1);
    let mut out = Vec::with_capacity(n);
    for &x in signal.iter().take(half) {
        insert(&mut sorted, x);
    }
    for i in 0..n {
        if let Some(&incoming) = signal.get(i + half) {
            insert(&mut sorted, incoming);
        }
        if let Some(outgoing) = i.checked_sub(half + 1).and_then(|j| signal.get(j)) {
            remove(&mut sorted, *outgoing);
        }
        out.push(median_of_sorted(&sorted));
    }
    Ok(out)
}

fn insert(sorted: &mut Vec<f32>, x: f32) {
    let at = sorted.partition_point(|v| *v < x);
    sorted.insert(at, x);
}

/// Removes one element equal to `x` (values are finite, so `x` is found).
fn remove(sorted: &mut Vec<f32>, x: f32) {
    let at = sorted.partition_point(|v| *v < x);
    if at < sorted.len() {
        sorted.remove(at);
    }
}

fn median_of_sorted(sorted: &[f32]) -> f32 {
    let m = sorted.len() / 2;
    match (sorted.get(m), m.checked_sub(1).and_then(|i| sorted.get(i))) {
        // Halved before the sum, which cannot then overflow.
        (Some(&hi), Some(&lo)) if sorted.len().is_multiple_of(2) => 0.5 * lo + 0.5 * hi,
        (Some(&mid), _) => mid,
        _ => 0.0,
    }
}
