//! R-peak detection.

mod decide;
mod filter;
mod matching;

pub use matching::{MatchCounts, match_peaks};

use crate::{Error, Result};

/// Which QRS detector [`detect_r_peaks`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RPeakMethod {
    /// Pan & Tompkins (1985) logic on a zero-phase band-pass.
    #[default]
    PanTompkins,
}

/// Lowest sampling frequency accepted, in Hz.
pub const MIN_FS: f64 = 50.0;
/// Highest sampling frequency accepted, in Hz.
pub const MAX_FS: f64 = 10_000.0;

/// Detects R-peaks; returns sorted sample indices.
pub fn detect_r_peaks(signal: &[f32], fs: f64, method: RPeakMethod) -> Result<Vec<usize>> {
    if !(MIN_FS..=MAX_FS).contains(&fs) {
        return Err(Error::invalid(
            "fs",
            format!("{fs} Hz is outside [{MIN_FS}, {MAX_FS}] Hz"),
        ));
    }
    if let Some(sample) = signal.iter().position(|v| !v.is_finite()) {
        return Err(Error::Signal {
            sample,
            message: format!("non-finite value {} in the ECG", signal[sample]),
        });
    }
    match method {
        RPeakMethod::PanTompkins => Ok(pan_tompkins(signal, fs)),
    }
}

fn secs(fs: f64, s: f64) -> usize {
    (fs * s).round() as usize
}

fn pan_tompkins(x: &[f32], fs: f64) -> Vec<usize> {
    let n = x.len();
    if n < 3 {
        return Vec::new();
    }
    let mut bp = x.to_vec();
    filter::band_pass(&mut bp, fs, 5.0, 15.0);
    let mut d = vec![0.0f32; n];
    filter::derivative(&bp, fs, &mut d);
    let mut e: Vec<f32> = d.iter().map(|v| v * v).collect();
    let width = secs(fs, 0.15) | 1;
    let mut env = vec![0.0f32; n];
    filter::moving_average(&e, width, &mut env);
    std::mem::swap(&mut e, &mut env); // e = envelope; env reused below as scratch
    let env = e;
    let refractory = secs(fs, 0.2);
    let mut cands = Vec::new();
    decide::candidates(&env, &d, refractory, &mut cands);
    for c in &mut cands {
        c.height = c.height.sqrt();
    }
    // Typical QRS height: median of the largest envelope peak of each of the first 8 seconds.
    let sec = secs(fs, 1.0).max(1);
    let mut maxima: Vec<f32> = env
        .chunks(sec)
        .take(8)
        .map(|w| w.iter().fold(0.0f32, |m, &v| m.max(v)).sqrt())
        .collect();
    maxima.sort_unstable_by(f32::total_cmp);
    let init = maxima.get(maxima.len() / 2).copied().unwrap_or(0.0);
    let timing = decide::Timing {
        refractory,
        t_wave: secs(fs, 0.36),
        initial_rr: secs(fs, 1.0),
    };
    let params = decide::Params {
        th: 0.3,
        searchback_rr: 1.66,
        searchback_th: 0.5,
        t_slope: 0.5,
    };
    let mut beats = Vec::new();
    decide::decide(&cands, timing, params, init, &mut beats);
    locate(x, fs, &beats)
}

/// Moves each envelope peak to the extremum of `x` minus its local median.
fn locate(x: &[f32], fs: f64, beats: &[usize]) -> Vec<usize> {
    let n = x.len();
    let base_r = secs(fs, 0.3);
    let search_r = secs(fs, 0.08);
    let mut scratch: Vec<f32> = Vec::with_capacity(2 * base_r + 1);
    let mut out: Vec<usize> = Vec::with_capacity(beats.len());
    for &c in beats {
        let lo = c.saturating_sub(base_r);
        let hi = (c + base_r).min(n - 1);
        scratch.clear();
        scratch.extend_from_slice(&x[lo..=hi]);
        let mid = scratch.len() / 2;
        let (_, med, _) = scratch.select_nth_unstable_by(mid, f32::total_cmp);
        let med = *med;
        let lo = c.saturating_sub(search_r);
        let hi = (c + search_r).min(n - 1);
        let mut best = c;
        let mut best_v = -1.0f32;
        for (i, v) in x[lo..=hi].iter().enumerate() {
            let a = (v - med).abs();
            if a > best_v {
                best_v = a;
                best = lo + i;
            }
        }
        if out.last().is_none_or(|&p| p < best) {
            out.push(best);
        }
    }
    out
}
