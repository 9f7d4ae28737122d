//! R-peak (QRS) detection, and beat-by-beat evaluation of detectors against reference beats.
//!
//! ```
//! use ecg_anomaly::preprocess::rpeak::{RPeakMethod, detect_r_peaks, match_peaks};
//! let fs = 360.0;
//! // Ten seconds of a synthetic ECG: a narrow 1 mV "QRS" every 0.8 s.
//! let truth: Vec<usize> = (0..12).map(|k| 200 + k * 288).collect();
//! let ecg: Vec<f32> = (0..3600)
//!     .map(|i| truth.iter().map(|&r| (-((i as f32 - r as f32) / 4.0).powi(2)).exp()).sum())
//!     .collect();
//! let peaks = detect_r_peaks(&ecg, fs, RPeakMethod::default())?;
//! let counts = match_peaks(&truth, &peaks, (0.15 * fs) as usize);
//! assert_eq!((counts.sensitivity(), counts.positive_predictivity()), (1.0, 1.0));
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```

mod decide;
mod filter;
mod locate;
mod matching;

pub use matching::{MatchCounts, match_peaks};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which QRS detector [`detect_r_peaks`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RPeakMethod {
    /// Pan & Tompkins' chain with Hamilton & Tompkins' median thresholds, run offline:
    ///
    /// 1. zero-phase Butterworth band-pass 5–15 Hz (2nd-order high- and low-pass, each run
    ///    forward and backward, after a 300 ms odd reflection at each end), derivative,
    ///    squaring, centred 150 ms moving-window integration;
    /// 2. candidates: envelope maxima that are the largest within ±200 ms (refractory period);
    /// 3. decision: threshold at 25 % from the median of the last 8 noise peaks to the median
    ///    of the last 8 QRS peaks (peak heights are `sqrt` of the envelope, so linear in mV);
    ///    within 360 ms of a beat a candidate whose slope is below 40 % of the median QRS slope
    ///    is a T wave; after 1.66 median RR intervals without a beat, the highest candidate of
    ///    the gap above 65 % of the threshold (and with 20 % of the QRS slope) is taken;
    /// 4. a beat whose band-passed amplitude is below 0.5 % of the input's 1st–99th percentile
    ///    range is dropped (only flat or wander-only inputs have such);
    /// 5. location: see [`detect_r_peaks`].
    ///
    /// Features are squared, so inverted QRS complexes are detected like upright ones.
    /// On the 44 non-paced MIT-BIH records (lead MLII, 150 ms tolerance, whole records):
    /// Se 99.89 %, +P 99.88 % (99.55 % counting the flutter waves of record 207 as false
    /// positives); 15–20 ms per 30-minute record at 360 Hz on one core in the dev profile
    /// (see `tests/it/rpeak_mitdb.rs`).
    #[default]
    EnergyEnvelope,
}

/// Lowest sampling frequency accepted by [`detect_r_peaks`], in Hz.
pub const MIN_FS: f64 = 50.0;
/// Highest sampling frequency accepted by [`detect_r_peaks`], in Hz.
pub const MAX_FS: f64 = 10_000.0;

/// Half-width of the window, around the QRS energy peak, where the R-peak is located (s).
pub const LOCATE_RADIUS_S: f64 = 0.08;
/// Half-width of the window whose median is the baseline for locating the R-peak (s).
pub const BASELINE_RADIUS_S: f64 = 0.3;

/// Detects the R-peaks of one ECG lead sampled at `fs` Hz.
///
/// Returns sample indices into `signal`, strictly increasing. Each is the sample of largest
/// `|signal - baseline|` within ±[`LOCATE_RADIUS_S`] (80 ms) of the detected QRS energy peak,
/// `baseline` being the median of `signal` within ±[`BASELINE_RADIUS_S`] (300 ms): the R wave
/// of an upright complex, the deepest point of an inverted one (QS, large S, inverted PVC).
/// A complex cut by either end of `signal` (extremum on the first or last sample) is left out.
///
/// Signals shorter than 3 samples, flat or constant signals, and signals without a QRS-like
/// deflection give an empty vector. Errors: [`Error::InvalidArgument`] when `fs` is not in
/// [`MIN_FS`]..=[`MAX_FS`]; [`Error::Signal`] with the index of the first NaN or infinite
/// sample.
///
/// O(n) time; allocates three `Vec<f32>` of `signal.len()` and small per-beat vectors.
pub fn detect_r_peaks(signal: &[f32], fs: f64, method: RPeakMethod) -> Result<Vec<usize>> {
    if !(MIN_FS..=MAX_FS).contains(&fs) {
        return Err(Error::invalid(
            "fs",
            format!("{fs} Hz is outside [{MIN_FS}, {MAX_FS}] Hz"),
        ));
    }
    if let Some((sample, value)) = signal.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::Signal {
            sample,
            message: format!("{value} in the ECG given to R-peak detection"),
        });
    }
    match method {
        RPeakMethod::EnergyEnvelope => Ok(energy_envelope(signal, fs)),
    }
}

/// `s` seconds in samples.
fn secs(fs: f64, s: f64) -> usize {
    (fs * s).round() as usize
}

/// Band edges (Hz) of the QRS band-pass.
const BAND: (f64, f64) = (5.0, 15.0);
/// Length of the odd reflection added at each end before band-passing (s): about ten time
/// constants of the 5 Hz high-pass.
const EDGE_PAD_S: f64 = 0.3;
/// Moving-window integration width (s).
const INTEGRATION_S: f64 = 0.15;
/// Minimum band-passed amplitude of a beat, as a fraction of the input's robust range.
const MIN_RELATIVE_AMPLITUDE: f32 = 0.005;

fn energy_envelope(x: &[f32], fs: f64) -> Vec<usize> {
    let n = x.len();
    if n < 3 {
        return Vec::new();
    }
    let band = filter::band_pass(x, fs, BAND.0, BAND.1, secs(fs, EDGE_PAD_S));
    let mut slope = vec![0.0f32; n];
    filter::derivative(&band, fs, &mut slope);
    let width = secs(fs, INTEGRATION_S) | 1;
    let mut env = vec![0.0f32; n];
    filter::moving_mean_square(&slope, width, &mut env);

    let rules = decide::Rules {
        refractory: secs(fs, 0.2),
        t_wave: secs(fs, 0.36),
        initial_rr: secs(fs, 1.0),
        threshold: 0.25,
        searchback_rr: 1.66,
        searchback_threshold: 0.65,
        searchback_slope: 0.2,
        t_wave_slope: 0.4,
    };
    let mut cands = Vec::new();
    decide::candidates(&env, &slope, rules.refractory, width / 2, &mut cands);
    let mut beats = Vec::new();
    decide::decide(&cands, rules, initial_qrs_height(&env, fs), &mut beats);

    // Drop beats without a real deflection (flat or wander-only input).
    let half = width / 2;
    let amplitude = |b: usize| {
        band[b.saturating_sub(half)..=(b + half).min(n - 1)]
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()))
    };
    let mut scratch = env; // no longer needed
    let min_amplitude = MIN_RELATIVE_AMPLITUDE * robust_range(x, &mut scratch);
    beats.retain(|&b| {
        let a = amplitude(b);
        a > 0.0 && a >= min_amplitude
    });
    locate::locate(
        x,
        &beats,
        secs(fs, LOCATE_RADIUS_S),
        secs(fs, BASELINE_RADIUS_S),
        &mut scratch,
    )
}

/// Typical QRS height to start from: the median over the first 8 seconds of each second's
/// largest envelope value (in `sqrt` units like the candidates).
fn initial_qrs_height(env: &[f32], fs: f64) -> f32 {
    let mut maxima = [0.0f32; 8];
    let mut count = 0;
    for (m, second) in maxima.iter_mut().zip(env.chunks(secs(fs, 1.0).max(1))) {
        *m = second.iter().fold(0.0f32, |a, &v| a.max(v)).sqrt();
        count += 1;
    }
    let seen = &mut maxima[..count];
    seen.sort_unstable_by(f32::total_cmp);
    seen.get(count / 2).copied().unwrap_or(0.0)
}

/// 99th minus 1st percentile of `x`, estimated on at most 2^16 evenly spaced samples
/// (`scratch` is overwritten).
fn robust_range(x: &[f32], scratch: &mut Vec<f32>) -> f32 {
    scratch.clear();
    scratch.extend(x.iter().step_by((x.len() >> 16).max(1)));
    let Some(last) = scratch.len().checked_sub(1) else {
        return 0.0;
    };
    let k = scratch.len() / 100;
    let hi = *scratch.select_nth_unstable_by(last - k, f32::total_cmp).1;
    let lo = *scratch.select_nth_unstable_by(k, f32::total_cmp).1;
    hi - lo
}

#[cfg(test)]
mod tests;
