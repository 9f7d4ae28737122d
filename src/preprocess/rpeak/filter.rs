//! The private signal chain of the detector: zero-phase Butterworth band-pass, derivative,
//! squaring and moving-window integration. Every pass is O(n) and writes into caller buffers.

use std::f64::consts::PI;

/// One second-order section `y = (b0 x + b1 x1 + b2 x2) - a1 y1 - a2 y2` (a0 = 1).
#[derive(Debug, Clone, Copy)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
}

impl Biquad {
    /// Second-order Butterworth low-pass at `fc` Hz (bilinear transform, pre-warped).
    fn low_pass(fc: f64, fs: f64) -> Self {
        let k = (PI * fc / fs).tan();
        let norm = 1.0 / (1.0 + std::f64::consts::SQRT_2 * k + k * k);
        let b0 = k * k * norm;
        Self {
            b: [b0, 2.0 * b0, b0],
            a: [
                2.0 * (k * k - 1.0) * norm,
                (1.0 - std::f64::consts::SQRT_2 * k + k * k) * norm,
            ],
        }
    }

    /// Second-order Butterworth high-pass at `fc` Hz (bilinear transform, pre-warped).
    fn high_pass(fc: f64, fs: f64) -> Self {
        let k = (PI * fc / fs).tan();
        let norm = 1.0 / (1.0 + std::f64::consts::SQRT_2 * k + k * k);
        Self {
            b: [norm, -2.0 * norm, norm],
            a: [
                2.0 * (k * k - 1.0) * norm,
                (1.0 - std::f64::consts::SQRT_2 * k + k * k) * norm,
            ],
        }
    }

    /// Filters `buf` in place, forward (`reverse == false`) or backward, from the steady state
    /// of a constant input equal to the first sample (so an offset causes no start-up step).
    fn run(&self, buf: &mut [f32], reverse: bool) {
        let [b0, b1, b2] = self.b;
        let [a1, a2] = self.a;
        // Transposed direct form II, in f64 (low cut-offs at high fs need the precision).
        let first = if reverse { buf.last() } else { buf.first() };
        let x0 = f64::from(first.copied().unwrap_or(0.0));
        let dc_gain = (b0 + b1 + b2) / (1.0 + a1 + a2);
        let y0 = dc_gain * x0;
        let mut s1 = y0 - b0 * x0;
        let mut s2 = b2 * x0 - a2 * y0;
        let mut step = |v: &mut f32| {
            let x = f64::from(*v);
            let y = b0 * x + s1;
            s1 = b1 * x - a1 * y + s2;
            s2 = b2 * x - a2 * y;
            *v = y as f32;
        };
        if reverse {
            buf.iter_mut().rev().for_each(&mut step);
        } else {
            buf.iter_mut().for_each(&mut step);
        }
    }

    /// Zero-phase filtering: forward then backward (squared magnitude response).
    fn filtfilt(&self, buf: &mut [f32]) {
        self.run(buf, false);
        self.run(buf, true);
    }
}

/// Zero-phase band-pass `[low, high]` Hz of `x`: Butterworth high-pass then low-pass, each run
/// forward and backward. As in SciPy's `filtfilt`, `x` is first extended at both ends by an odd
/// reflection, `pad` samples long, so a trend or a slope at an end does not ring into the output.
/// The reflection pivots on the second sample from each end (`x[-k] = 2 x[1] - x[2 + k]`): a
/// glitch in the very first or last sample, as at the end of MIT-BIH records, is not doubled.
/// Returns `x.len()` samples.
pub(super) fn band_pass(x: &[f32], fs: f64, low: f64, high: f64, pad: usize) -> Vec<f32> {
    let n = x.len();
    let pad = pad.min(n.saturating_sub(3));
    let mut buf = Vec::with_capacity(n + 2 * pad);
    if pad > 0 {
        let (head, tail) = (x[1], x[n - 2]);
        buf.extend((1..=pad).rev().map(|k| 2.0 * head - x[2 + k]));
        buf.extend_from_slice(x);
        buf.extend((1..=pad).map(|k| 2.0 * tail - x[n - 3 - k]));
    } else {
        buf.extend_from_slice(x);
    }
    Biquad::high_pass(low, fs).filtfilt(&mut buf);
    Biquad::low_pass(high, fs).filtfilt(&mut buf);
    buf.truncate(pad + n);
    buf.drain(..pad);
    buf
}

/// Centred first difference `out[i] = (x[i+1] - x[i-1]) * fs / 2`, one-sided at the ends, in
/// units per second.
pub(super) fn derivative(x: &[f32], fs: f64, out: &mut [f32]) {
    let n = x.len();
    let fs = fs as f32;
    for (i, o) in out.iter_mut().enumerate().take(n) {
        let (prev, next) = (i.saturating_sub(1), (i + 1).min(n - 1));
        let span = (next - prev).max(1) as f32;
        *o = (x[next] - x[prev]) * fs / span;
    }
}

/// Centred moving mean of `x²` over `width` samples (odd), `x` being zero outside its ends (so
/// a complex cut by an end still peaks inside): the moving-window integration of Pan & Tompkins
/// applied to the squared derivative.
pub(super) fn moving_mean_square(x: &[f32], width: usize, out: &mut [f32]) {
    let n = x.len();
    let half = width / 2;
    let sq = |v: f32| f64::from(v) * f64::from(v);
    // Window of sample i is [i - half, i + half] clipped to [0, n).
    let mut sum: f64 = x.iter().take(half).map(|&v| sq(v)).sum();
    for i in 0..n {
        if let Some(&v) = x.get(i + half) {
            sum += sq(v);
        }
        if i > half {
            sum -= sq(x[i - half - 1]);
        }
        out[i] = (sum.max(0.0) / width as f64) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * PI * freq * i as f64 / fs).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn band_pass_keeps_the_qrs_band_and_drops_baseline_and_mains() {
        let fs = 360.0;
        let n = 7200;
        let mid = 1000..6200; // away from the edges
        let pass = band_pass(&sine(10.0, fs, n), fs, 5.0, 15.0, 180);
        let wander = band_pass(&sine(0.3, fs, n), fs, 5.0, 15.0, 180);
        let mains = band_pass(&sine(60.0, fs, n), fs, 5.0, 15.0, 180);
        let in_rms = std::f64::consts::FRAC_1_SQRT_2;
        assert!(rms(&pass[mid.clone()]) > 0.6 * in_rms);
        assert!(rms(&wander[mid.clone()]) < 1e-3);
        assert!(rms(&mains[mid]) < 1e-2);
    }

    #[test]
    fn band_pass_of_a_constant_or_a_ramp_is_zero_up_to_the_ends() {
        let constant = band_pass(&[3.5f32; 500], 250.0, 5.0, 15.0, 125);
        assert_eq!(constant.len(), 500);
        assert!(
            constant.iter().all(|v| v.abs() < 1e-5),
            "{:?}",
            &constant[..5]
        );
        let ramp: Vec<f32> = (0..500).map(|i| 1.0 + 0.01 * i as f32).collect();
        let out = band_pass(&ramp, 250.0, 5.0, 15.0, 125);
        assert!(out.iter().all(|v| v.abs() < 1e-4), "{:?}", &out[..5]);
    }

    #[test]
    fn band_pass_of_tiny_inputs_keeps_their_length() {
        for n in 0..5 {
            let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
            assert_eq!(band_pass(&x, 360.0, 5.0, 15.0, 180).len(), n);
        }
    }

    #[test]
    fn moving_mean_square_matches_a_naive_sum() {
        let x: Vec<f32> = (0..50).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let mut out = vec![0.0; 50];
        moving_mean_square(&x, 5, &mut out);
        for (i, o) in out.iter().enumerate() {
            let lo = i.saturating_sub(2);
            let hi = (i + 2).min(49);
            let mean = x[lo..=hi].iter().map(|v| v * v).sum::<f32>() / 5.0;
            assert!((o - mean).abs() < 1e-5, "at {i}");
        }
    }

    #[test]
    fn derivative_of_a_ramp_is_its_slope() {
        let fs = 100.0;
        let x: Vec<f32> = (0..10).map(|i| 0.5 * i as f32).collect();
        let mut out = vec![0.0; 10];
        derivative(&x, fs, &mut out);
        assert!(out.iter().all(|d| (d - 50.0).abs() < 1e-3), "{out:?}");
    }
}
