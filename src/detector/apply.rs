//! Applying a detector to raw windows: normalise, reconstruct in batches, score, calibrate, flag.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::Detector;
use crate::data::batch::WindowDataset;
use crate::preprocess::Normalizer;
use crate::score::BatchScorer;
use crate::{Error, Result};

/// What a detector says about one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The raw anomaly score (higher is more anomalous).
    pub score: f64,
    /// The score's place among normal validation windows, `0..=1`: 0.99 means higher than 99 %
    /// of them.
    pub calibrated: f64,
    /// True when the score is above the threshold.
    pub anomaly: bool,
}

impl Detector {
    /// Judges `windows`: `n` windows of `seq * channels` samples each, time-major, in the units
    /// the detector was trained on (before its normaliser, which is applied here). `device`
    /// must be the one the detector was loaded or built on. Windows go through the model
    /// `batch_size` at a time.
    ///
    /// [`Error::InvalidArgument`] when the length is not a whole number of windows (or zero);
    /// [`Error::Signal`] naming the first non-finite sample.
    pub fn detect(
        &self,
        windows: &[f32],
        batch_size: usize,
        device: &Device,
    ) -> Result<Vec<Verdict>> {
        let (seq, channels) = (self.metadata.seq, self.metadata.channels);
        let width = seq * channels;
        if windows.is_empty() || windows.len() % width != 0 {
            return Err(Error::invalid(
                "windows",
                format!(
                    "{} samples are not a whole number of windows of {seq} x {channels}",
                    windows.len()
                ),
            ));
        }
        if let Some(sample) = windows.iter().position(|v| !v.is_finite()) {
            return Err(Error::Signal {
                sample,
                message: format!("{} is not a finite value", windows[sample]),
            });
        }
        let mut data = windows.to_vec();
        for window in data.chunks_exact_mut(width) {
            self.normalizer.normalize(window);
        }
        let count = data.len() / width;
        let dataset = WindowDataset::new(data, seq, channels, vec![false; count])?;
        let scores = BatchScorer::new(batch_size)?.score(
            &self.model,
            self.score.as_score(),
            &dataset,
            device,
        )?;
        Ok(scores
            .into_iter()
            .map(|score| Verdict {
                score,
                calibrated: self.calibration.calibrate(score),
                anomaly: self.threshold.apply(score),
            })
            .collect())
    }
}
