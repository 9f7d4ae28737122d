//! Calibration: any score mapped to `[0, 1]` by the scores of normal validation beats, so that
//! 0.99 means "higher than 99% of normal beats", whatever the score's own scale.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::json::{load_json, save_json};
use crate::{Error, Result};

/// Most support points kept; larger samples are thinned to this many (exact at every point
/// kept, interpolated between them).
pub const MAX_POINTS: usize = 10_000;

/// The empirical distribution of normal scores, fitted by [`Calibration::fit`].
///
/// Stored as support points: distinct normal scores `values` (ascending) with `below`, the
/// fraction of all normal scores strictly below each one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// How many normal scores were fitted.
    count: usize,
    /// Distinct normal scores, ascending.
    values: Vec<f64>,
    /// Fraction of the normal scores strictly below `values[i]`.
    below: Vec<f64>,
}

impl Calibration {
    /// Fits on scores of normal beats (at least one, all finite).
    pub fn fit(normal_scores: &[f64]) -> Result<Self> {
        if normal_scores.is_empty() {
            return Err(Error::invalid("normal_scores", "need at least one score"));
        }
        if let Some(i) = normal_scores.iter().position(|s| !s.is_finite()) {
            return Err(Error::invalid(
                "normal_scores",
                format!("score {i} is {}", normal_scores[i]),
            ));
        }
        let mut sorted = normal_scores.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mut values = Vec::new();
        let mut below = Vec::new();
        for (i, &v) in sorted.iter().enumerate() {
            if i == 0 || v > sorted[i - 1] {
                values.push(v);
                below.push(i as f64 / n);
            }
        }
        if values.len() > MAX_POINTS {
            let last = values.len() - 1;
            let keep: Vec<usize> = (0..MAX_POINTS)
                .map(|k| k * last / (MAX_POINTS - 1))
                .collect();
            values = keep.iter().map(|&i| values[i]).collect();
            below = keep.iter().map(|&i| below[i]).collect();
        }
        Ok(Self {
            count: sorted.len(),
            values,
            below,
        })
    }

    /// Number of normal scores fitted.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The fraction of normal scores strictly below `score`, in `[0, 1]`, interpolated linearly
    /// between support points: 0 at or below the smallest normal score, 1 above the largest,
    /// never decreasing in `score`. NaN stays NaN.
    pub fn calibrate(&self, score: f64) -> f64 {
        if score.is_nan() {
            return f64::NAN;
        }
        let k = self.values.partition_point(|&v| v < score);
        if k == 0 {
            return 0.0;
        }
        if k == self.values.len() {
            return 1.0;
        }
        let (x0, x1) = (self.values[k - 1], self.values[k]);
        let (y0, y1) = (self.below[k - 1], self.below[k]);
        let t = (score - x0) / (x1 - x0);
        (y0 + t * (y1 - y0)).max(y0).min(y1)
    }

    /// [`calibrate`](Self::calibrate) for every score.
    pub fn calibrate_all(&self, scores: &[f64]) -> Vec<f64> {
        scores.iter().map(|&s| self.calibrate(s)).collect()
    }

    /// The smallest score calibrated to at least `level` (in `[0, 1]`): a threshold that flags
    /// about `1 - level` of normal beats. For a level above every support point's fraction, the
    /// largest normal score (anything above it calibrates to 1).
    pub fn score_at(&self, level: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&level) {
            return Err(Error::invalid("level", format!("{level} is not in [0, 1]")));
        }
        let k = self.below.partition_point(|&b| b < level);
        if k == 0 {
            return Ok(self.values[0]);
        }
        if k == self.below.len() {
            return Ok(self.values[k - 1]);
        }
        let (x0, x1) = (self.values[k - 1], self.values[k]);
        let (y0, y1) = (self.below[k - 1], self.below[k]);
        Ok(x0 + (level - y0) / (y1 - y0) * (x1 - x0))
    }

    /// Writes the calibration as JSON.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Reads a calibration written by [`save_json`](Self::save_json), checking it.
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let calibration: Self = load_json(path)?;
        calibration.check().map_err(|message| Error::Artifact {
            path: path.into(),
            message,
        })?;
        Ok(calibration)
    }

    /// Support points ascending, fractions in `[0, 1]` and non-decreasing, lengths equal.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        let ok = !self.values.is_empty()
            && self.values.len() == self.below.len()
            && self.values.windows(2).all(|w| w[0] < w[1])
            && self.below.windows(2).all(|w| w[0] <= w[1])
            && self.below.iter().all(|b| (0.0..=1.0).contains(b));
        if ok {
            Ok(())
        } else {
            Err("calibration support points are not ascending fractions in [0, 1]".into())
        }
    }
}
