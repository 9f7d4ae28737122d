//! Amplitude normalisers: a global z-score fitted on training data, and per-window min-max and
//! z-score that need no fitting. [`Normalization`] names whichever one a model was trained with.

use crate::json::{load_json, save_json};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Below this spread (standard deviation, or max - min) a window counts as constant and is set
/// to zeros instead of being divided by ~0; fitting a [`ZScore`] on such data is an error.
pub const NORM_EPS: f32 = 1e-6;

/// Rescales one window in place. Windows are expected finite (the filters and segmenters of this
/// module reject NaN and infinities).
pub trait Normalizer {
    /// Normalises `window` in place.
    fn normalize(&self, window: &mut [f32]);
}

/// Global z-score `(x - mean) / std` with mean and population std fitted on training data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZScore {
    /// Fitted mean.
    pub mean: f32,
    /// Fitted population standard deviation (`>= NORM_EPS`).
    pub std: f32,
}

impl ZScore {
    /// Fits mean and standard deviation on `data`.
    pub fn fit(data: &[f32]) -> Result<Self> {
        Self::fit_all([data])
    }

    /// Fits on several chunks (records, beats, windows) as if they were concatenated.
    ///
    /// Errors: no sample, a non-finite sample ([`Error::Signal`], index within its chunk), or a
    /// standard deviation below [`NORM_EPS`].
    pub fn fit_all<'a>(chunks: impl IntoIterator<Item = &'a [f32]>) -> Result<Self> {
        // Welford's running mean and sum of squared deviations, in f64.
        let (mut n, mut mean, mut m2) = (0u64, 0.0f64, 0.0f64);
        for (chunk_index, chunk) in chunks.into_iter().enumerate() {
            for (sample, &x) in chunk.iter().enumerate() {
                if !x.is_finite() {
                    let message = format!("non-finite value {x} in chunk {chunk_index}");
                    return Err(Error::Signal { sample, message });
                }
                n += 1;
                let delta = f64::from(x) - mean;
                mean += delta / n as f64;
                m2 += delta * (f64::from(x) - mean);
            }
        }
        if n == 0 {
            return Err(Error::invalid("data", "no sample to fit on"));
        }
        let fitted = Self {
            mean: mean as f32,
            std: (m2 / n as f64).sqrt() as f32,
        };
        fitted.validate()?;
        Ok(fitted)
    }

    /// Writes the fitted values as JSON.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Reads values written by [`ZScore::save_json`] (checked like freshly fitted ones).
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self> {
        let fitted: Self = load_json(path.as_ref())?;
        fitted.validate()?;
        Ok(fitted)
    }

    fn validate(&self) -> Result<()> {
        if !(self.mean.is_finite() && self.std.is_finite() && self.std >= NORM_EPS) {
            return Err(Error::invalid(
                "z-score",
                format!(
                    "mean {} / std {} (std must be finite and >= {NORM_EPS})",
                    self.mean, self.std
                ),
            ));
        }
        Ok(())
    }
}

impl Normalizer for ZScore {
    fn normalize(&self, window: &mut [f32]) {
        window
            .iter_mut()
            .for_each(|x| *x = (*x - self.mean) / self.std);
    }
}

/// Per-window min-max scaling to exactly `[-1, 1]` (min to -1, max to 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MinMax;

impl Normalizer for MinMax {
    fn normalize(&self, window: &mut [f32]) {
        let (lo, hi) = window
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let range = hi - lo;
        if range.is_nan() || range < NORM_EPS {
            return window.fill(0.0);
        }
        // `2 (x - lo) / range` is exactly 2 at x = hi, so the maximum maps to exactly 1.
        window
            .iter_mut()
            .for_each(|x| *x = (2.0 * (*x - lo) / range - 1.0).clamp(-1.0, 1.0));
    }
}

/// Per-window z-score: each window to zero mean and unit (population) standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WindowZScore;

impl Normalizer for WindowZScore {
    fn normalize(&self, window: &mut [f32]) {
        let n = window.len().max(1) as f64;
        let mean = window.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = window
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        let std = var.sqrt();
        if std.is_nan() || std < f64::from(NORM_EPS) {
            return window.fill(0.0);
        }
        window
            .iter_mut()
            .for_each(|x| *x = ((f64::from(*x) - mean) / std) as f32);
    }
}

/// The normalisation a model uses, fitted or stateless, to store with it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Normalization {
    /// Leave values as they are.
    None,
    /// Global z-score fitted on training data.
    GlobalZScore(ZScore),
    /// Per-window min-max to `[-1, 1]`.
    MinMax,
    /// Per-window z-score (default: no fitting, robust to gain differences between records).
    #[default]
    WindowZScore,
}

impl Normalization {
    /// Checks a loaded value: a fitted z-score needs a finite mean and a finite std of at
    /// least [`NORM_EPS`] (a std of 0 would turn every sample into NaN).
    pub fn validate(&self) -> Result<()> {
        if let Normalization::GlobalZScore(z) = self
            && !(z.mean.is_finite() && z.std.is_finite() && z.std >= NORM_EPS)
        {
            let msg = format!(
                "z-score mean {} and std {}: need finite values, std >= {NORM_EPS}",
                z.mean, z.std
            );
            return Err(Error::invalid("normalizer", msg));
        }
        Ok(())
    }
}

impl Normalizer for Normalization {
    fn normalize(&self, window: &mut [f32]) {
        match self {
            Normalization::None => {}
            Normalization::GlobalZScore(z) => z.normalize(window),
            Normalization::MinMax => MinMax.normalize(window),
            Normalization::WindowZScore => WindowZScore.normalize(window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ecg-anomaly-{}-{name}", std::process::id()))
    }

    #[test]
    fn zscore_fits_known_mean_and_std() {
        let z = ZScore::fit(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(z.mean, 2.5);
        assert!((z.std - 1.25f32.sqrt()).abs() < 1e-7);
        // 0..n has mean (n - 1) / 2 and population std sqrt((n² - 1) / 12); split in chunks.
        let ramp: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
        let z = ZScore::fit_all(ramp.chunks(777)).unwrap();
        assert!((f64::from(z.mean) - 49_999.5).abs() < 1e-3);
        let want_std = ((1e10f64 - 1.0) / 12.0).sqrt();
        assert!((f64::from(z.std) - want_std).abs() / want_std < 1e-6);
        // Full periods of a sine offset by 3: mean 3, std 1/sqrt(2).
        let sine: Vec<f32> = (0..3600)
            .map(|i| 3.0 + (i as f32 * std::f32::consts::TAU / 360.0).sin())
            .collect();
        let z = ZScore::fit(&sine).unwrap();
        assert!(
            (z.mean - 3.0).abs() < 1e-5 && (z.std - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-5
        );
        let mut w = sine.clone();
        z.normalize(&mut w);
        let refit = ZScore::fit(&w).unwrap();
        assert!(refit.mean.abs() < 1e-5 && (refit.std - 1.0).abs() < 1e-5);
    }

    #[test]
    fn zscore_fit_rejects_bad_data() {
        assert!(matches!(
            ZScore::fit(&[]),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            ZScore::fit(&[2.0; 50]),
            Err(Error::InvalidArgument { .. })
        ));
        let chunks: [&[f32]; 2] = [&[1.0, 2.0], &[3.0, f32::NAN]];
        assert!(matches!(
            ZScore::fit_all(chunks),
            Err(Error::Signal { sample: 1, .. })
        ));
    }

    #[test]
    fn zscore_round_trips_through_json() {
        let path = temp_path("zscore.json");
        let z = ZScore::fit(&[0.1, -0.7, 2.3, 0.05, 1.9]).unwrap();
        z.save_json(&path).unwrap();
        assert_eq!(ZScore::load_json(&path).unwrap(), z);
        std::fs::write(&path, "{\"mean\": 1.0}").unwrap();
        assert!(matches!(ZScore::load_json(&path), Err(Error::Json { .. })));
        std::fs::write(&path, "{\"mean\": 1.0, \"std\": 0.0}").unwrap();
        assert!(matches!(
            ZScore::load_json(&path),
            Err(Error::InvalidArgument { .. })
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(ZScore::load_json(&path), Err(Error::Io { .. })));
    }

    #[test]
    fn minmax_spans_exactly_minus_one_to_one() {
        for window in [
            vec![0.3f32, -1.7, 5.2, 0.0, 2.2],
            vec![1e-3, 2e-3, 1.5e-3],
            vec![-40.0, 900.0],
        ] {
            let mut w = window.clone();
            MinMax.normalize(&mut w);
            let lo = w.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!((lo, hi), (-1.0, 1.0), "{window:?} -> {w:?}");
        }
        let mut w = vec![0.0, 5.0, 10.0];
        MinMax.normalize(&mut w);
        assert_eq!(w, vec![-1.0, 0.0, 1.0]);
    }

    #[test]
    fn constant_windows_become_zeros() {
        for norm in [Normalization::MinMax, Normalization::WindowZScore] {
            let mut w = vec![0.75f32; 64];
            norm.normalize(&mut w);
            assert!(w.iter().all(|&x| x == 0.0), "{norm:?}");
            let mut empty: Vec<f32> = vec![];
            norm.normalize(&mut empty);
        }
    }

    #[test]
    fn window_zscore_and_enum_dispatch() {
        let window: Vec<f32> = (0..100)
            .map(|i| 4.0 + 0.5 * (i as f32 * 0.3).sin())
            .collect();
        let mut w = window.clone();
        Normalization::WindowZScore.normalize(&mut w);
        let z = ZScore::fit(&w).unwrap();
        assert!(z.mean.abs() < 1e-6 && (z.std - 1.0).abs() < 1e-5);
        let mut untouched = window.clone();
        Normalization::None.normalize(&mut untouched);
        assert_eq!(untouched, window);
        let global = ZScore {
            mean: 4.0,
            std: 0.5,
        };
        let (mut a, mut b) = (window.clone(), window.clone());
        Normalization::GlobalZScore(global).normalize(&mut a);
        global.normalize(&mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn normalization_serializes_with_its_method() {
        let n = Normalization::GlobalZScore(ZScore {
            mean: 0.5,
            std: 2.0,
        });
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, r#"{"method":"global_z_score","mean":0.5,"std":2.0}"#);
        assert_eq!(serde_json::from_str::<Normalization>(&json).unwrap(), n);
        let path = temp_path("normalization.json");
        save_json(&Normalization::MinMax, &path).unwrap();
        assert_eq!(
            load_json::<Normalization>(&path).unwrap(),
            Normalization::MinMax
        );
        std::fs::remove_file(&path).unwrap();
    }
}
