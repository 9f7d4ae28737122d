//! Signal quality checks to drop unusable segments: flat line, saturation (clipping), and
//! high-frequency noise. Run them on the raw segment: filtering smears clipped plateaus.

use crate::preprocess::check::{check_fs, check_signal};
use crate::preprocess::filter::{BandPass, HighPass, SignalFilter};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Band holding most QRS energy, the reference of the noise ratio (Hz).
pub const QRS_BAND_HZ: (f64, f64) = (5.0, 15.0);

/// Thresholds of [`assess_quality`]. Amplitudes are in signal units (mV for WFDB records).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityConfig {
    /// Length of the window over which a flat line is sought, seconds (default 1.0; the whole
    /// segment when shorter).
    pub flat_window_s: f64,
    /// A window whose peak-to-peak amplitude is below this is flat (default 0.02 mV).
    pub flat_ptp: f32,
    /// A run of at least this long at the segment's exact minimum or maximum is clipping
    /// (default 0.05 s; a normal R peak stays at its maximum for a few milliseconds).
    pub rail_run_s: f64,
    /// Noise band starts here, Hz (default 40).
    pub noise_hz: f64,
    /// Highest accepted ratio of power above `noise_hz` to power in [`QRS_BAND_HZ`]
    /// (default 0.5); `None` skips the noise check (e.g. when `fs <= 2 * noise_hz`).
    /// On MIT-BIH lead 0 (8640 segments of 10 s) the median ratio is 0.009 and the 99th
    /// percentile 0.18; 0.5 flags 6 segments (records 104 and 114), all with visible EMG bursts.
    pub max_noise_ratio: Option<f64>,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            flat_window_s: 1.0,
            flat_ptp: 0.02,
            rail_run_s: 0.05,
            noise_hz: 40.0,
            max_noise_ratio: Some(0.5),
        }
    }
}

/// One reason a segment is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum QualityIssue {
    /// Peak-to-peak amplitude stays below `flat_ptp` over `len` samples from `start`.
    FlatLine {
        /// First sample of the flat stretch.
        start: usize,
        /// Length of the flat stretch (at least one flat window).
        len: usize,
    },
    /// The longest run at a rail: `len` samples equal to `value` from `start`.
    Saturation {
        /// First sample of the run.
        start: usize,
        /// Run length in samples.
        len: usize,
        /// The rail value (segment minimum or maximum).
        value: f32,
    },
    /// High-frequency power over QRS-band power above the accepted ratio.
    Noise {
        /// The measured ratio.
        ratio: f64,
    },
}

/// Outcome of [`assess_quality`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// True when no issue was found.
    pub ok: bool,
    /// Every issue found, at most one of each kind.
    pub issues: Vec<QualityIssue>,
    /// Smallest peak-to-peak amplitude over any flat-check window.
    pub min_ptp: f32,
    /// Longest run of samples at the segment's minimum or maximum.
    pub longest_rail_run: usize,
    /// Power above `noise_hz` over power in the QRS band (`None` when not checked).
    pub noise_ratio: Option<f64>,
}

/// Checks one segment sampled at `fs` Hz against `config`.
///
/// Errors: non-positive `fs`, empty or non-finite segment, and (noise check only) a segment too
/// short to filter (about 16 samples) or `noise_hz` not below `fs / 2`.
pub fn assess_quality(segment: &[f32], fs: f64, config: &QualityConfig) -> Result<Quality> {
    check_signal(segment)?;
    check_fs(fs)?;
    if !(config.flat_window_s > 0.0 && config.rail_run_s > 0.0) {
        return Err(Error::invalid(
            "config",
            "flat_window_s and rail_run_s must be > 0",
        ));
    }
    let mut issues = Vec::new();
    let window = ((config.flat_window_s * fs).round() as usize).clamp(1, segment.len());
    let ptp = sliding_ptp(segment, window);
    let min_ptp = ptp.iter().copied().fold(f32::INFINITY, f32::min);
    if let Some(first) = ptp.iter().position(|&p| p < config.flat_ptp) {
        let flat_windows = ptp
            .iter()
            .skip(first)
            .take_while(|&&p| p < config.flat_ptp)
            .count();
        issues.push(QualityIssue::FlatLine {
            start: first,
            len: flat_windows + window - 1,
        });
    }
    let (start, len, value) = longest_rail_run(segment);
    // A flat segment sits at both rails: that is reported as a flat line, not clipping.
    let rail_run = ((config.rail_run_s * fs).round() as usize).max(2);
    if len >= rail_run && min_ptp >= config.flat_ptp {
        issues.push(QualityIssue::Saturation { start, len, value });
    }
    let noise_ratio = match config.max_noise_ratio {
        Some(max) => {
            let ratio = noise_ratio(segment, fs, config.noise_hz)?;
            if ratio.is_nan() || ratio > max {
                issues.push(QualityIssue::Noise { ratio });
            }
            Some(ratio)
        }
        None => None,
    };
    Ok(Quality {
        ok: issues.is_empty(),
        issues,
        min_ptp,
        longest_rail_run: len,
        noise_ratio,
    })
}

/// Power of `segment` above `noise_hz` over its power in [`QRS_BAND_HZ`], both measured after
/// zero-phase Butterworth filtering (order 4 high-pass, order 2 band-pass).
pub fn noise_ratio(segment: &[f32], fs: f64, noise_hz: f64) -> Result<f64> {
    let power = |x: Vec<f32>| x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
    let high = power(HighPass::new(noise_hz).with_order(4).apply(segment, fs)?);
    let qrs = power(BandPass::new(QRS_BAND_HZ.0, QRS_BAND_HZ.1).apply(segment, fs)?);
    Ok(if qrs > 0.0 {
        high / qrs
    } else if high > 0.0 {
        f64::INFINITY
    } else {
        0.0
    })
}

/// Peak-to-peak amplitude of every window of `w` samples (`n - w + 1` values), in O(n) with
/// monotonic queues of indices.
fn sliding_ptp(x: &[f32], w: usize) -> Vec<f32> {
    let (mut maxq, mut minq) = (VecDeque::<usize>::new(), VecDeque::<usize>::new());
    let mut out = Vec::with_capacity(x.len().saturating_sub(w) + 1);
    for (i, &v) in x.iter().enumerate() {
        while maxq.back().is_some_and(|&j| x[j] <= v) {
            maxq.pop_back();
        }
        while minq.back().is_some_and(|&j| x[j] >= v) {
            minq.pop_back();
        }
        maxq.push_back(i);
        minq.push_back(i);
        if i + 1 >= w {
            let first = i + 1 - w;
            while maxq.front().is_some_and(|&j| j < first) {
                maxq.pop_front();
            }
            while minq.front().is_some_and(|&j| j < first) {
                minq.pop_front();
            }
            if let (Some(&hi), Some(&lo)) = (maxq.front(), minq.front()) {
                out.push(x[hi] - x[lo]);
            }
        }
    }
    out
}

/// Longest run of consecutive samples equal to the minimum or the maximum: `(start, len, value)`.
fn longest_rail_run(x: &[f32]) -> (usize, usize, f32) {
    let lo = x.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut best = (0, 0, hi);
    let mut run_start = 0;
    for i in 0..=x.len() {
        let same_run = i > 0 && i < x.len() && x[i] == x[i - 1];
        if !same_run {
            if let Some(&v) = x.get(run_start)
                && (v == lo || v == hi)
                && i - run_start > best.1
            {
                best = (run_start, i - run_start, v);
            }
            run_start = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    const FS: f64 = 360.0;

    /// ECG-like: 1.2 mV narrow R every 0.8 s, a 0.3 mV T wave, 0.02 mV of 1 Hz sway.
    fn clean(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = (i % 288) as f32;
                let bump = |c: f32, w: f32, a: f32| a * (-((t - c) / w).powi(2)).exp();
                bump(100.0, 4.0, 1.2)
                    + bump(190.0, 25.0, 0.3)
                    + 0.02 * (2.0 * PI * i as f32 / 360.0).sin()
            })
            .collect()
    }

    /// Deterministic white noise in [-a, a] (linear congruential generator).
    fn noise(n: usize, a: f32) -> Vec<f32> {
        let mut state = 12345u64;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                a * ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn clean_segment_passes() {
        let q = assess_quality(&clean(3600), FS, &QualityConfig::default()).unwrap();
        assert!(q.ok, "{q:?}");
        assert!(q.longest_rail_run < 5 && q.min_ptp > 1.0 && q.noise_ratio.unwrap() < 0.05);
    }

    #[test]
    fn flat_stretch_is_found_where_it_is() {
        let mut x = clean(3600);
        // Lead off from 1.0 s to 3.5 s: constant plus quantisation-size jitter.
        for (i, v) in x.iter_mut().enumerate().take(1260).skip(360) {
            *v = 0.4 + if i % 2 == 0 { 0.005 } else { 0.0 };
        }
        let q = assess_quality(
            &x,
            FS,
            &QualityConfig {
                max_noise_ratio: None,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!q.ok);
        match q.issues.as_slice() {
            // Windows of 360 samples lying inside the 900-sample stretch: starts 360..=900.
            [QualityIssue::FlatLine { start, len }] => assert_eq!((*start, *len), (360, 900)),
            other => panic!("{other:?}"),
        }
        let all_flat = assess_quality(&[0.1; 200], FS, &QualityConfig::default()).unwrap();
        assert!(matches!(
            all_flat.issues[..],
            [QualityIssue::FlatLine { start: 0, len: 200 }, ..]
        ));
    }

    #[test]
    fn clipping_is_saturation() {
        let x: Vec<f32> = clean(3600).iter().map(|v| (v * 3.0).min(2.0)).collect();
        // Tall sine clipped at both rails: long runs at exactly -1 and 1.
        let sine: Vec<f32> = (0..3600)
            .map(|i| (3.0 * (2.0 * PI * i as f32 / 360.0).sin()).clamp(-1.0, 1.0))
            .collect();
        let q = assess_quality(&sine, FS, &QualityConfig::default()).unwrap();
        assert!(
            matches!(
                q.issues[..],
                [QualityIssue::Saturation { len: 141..=142, .. }]
            ),
            "{q:?}"
        );
        // R peaks cut at 2 mV for a few samples only: not long enough to count.
        let q = assess_quality(&x, FS, &QualityConfig::default()).unwrap();
        assert!(q.ok && q.longest_rail_run < 18, "{q:?}");
    }

    #[test]
    fn broadband_noise_is_noise() {
        let x: Vec<f32> = clean(3600)
            .iter()
            .zip(noise(3600, 0.5))
            .map(|(a, b)| a + b)
            .collect();
        let q = assess_quality(&x, FS, &QualityConfig::default()).unwrap();
        assert!(
            matches!(q.issues[..], [QualityIssue::Noise { ratio }] if ratio > 0.5),
            "{q:?}"
        );
        let mild: Vec<f32> = clean(3600)
            .iter()
            .zip(noise(3600, 0.02))
            .map(|(a, b)| a + b)
            .collect();
        assert!(
            assess_quality(&mild, FS, &QualityConfig::default())
                .unwrap()
                .ok
        );
    }

    #[test]
    fn sliding_ptp_matches_brute_force() {
        let x = noise(500, 1.0);
        for w in [1, 2, 7, 100, 500] {
            let got = sliding_ptp(&x, w);
            assert_eq!(got.len(), x.len() - w + 1);
            for (i, p) in got.iter().enumerate() {
                let win = &x[i..i + w];
                let want = win.iter().copied().fold(f32::NEG_INFINITY, f32::max)
                    - win.iter().copied().fold(f32::INFINITY, f32::min);
                assert_eq!(*p, want);
            }
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        let cfg = QualityConfig::default();
        assert!(assess_quality(&[], FS, &cfg).is_err());
        assert!(assess_quality(&clean(100), 0.0, &cfg).is_err());
        assert!(matches!(
            assess_quality(&[0.0, f32::NAN], FS, &cfg),
            Err(Error::Signal { sample: 1, .. })
        ));
        // 40 Hz is above Nyquist at 50 Hz: the noise check cannot run unless disabled.
        assert!(assess_quality(&clean(500), 50.0, &cfg).is_err());
        assert!(
            assess_quality(
                &clean(500),
                50.0,
                &QualityConfig {
                    max_noise_ratio: None,
                    ..cfg
                }
            )
            .is_ok()
        );
        assert!(
            assess_quality(
                &clean(500),
                FS,
                &QualityConfig {
                    flat_window_s: 0.0,
                    ..cfg
                }
            )
            .is_err()
        );
    }
}
