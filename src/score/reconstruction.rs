//! Reconstruction-error scores: how badly the model rebuilt each window.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{AnomalyScore, BatchScores, channel_mean, check_same_shape, to_host};
use crate::model::Reconstruction;
use crate::{Error, Result};

/// Reconstruction error of each window, from `output - input` (`[batch, seq, channels]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconstructionError {
    /// Mean squared error over every sample and channel. Error map: squared error.
    Mse,
    /// Mean absolute error over every sample and channel. Error map: absolute error.
    Mae,
    /// The largest mean, over `window` consecutive samples, of the squared error (channels
    /// averaged): a short, sharp anomaly (a premature beat's QRS) is not diluted by the rest
    /// of the window. `window` must be in `1..=seq`. Error map: squared error.
    MaxMovingAverage {
        /// Samples per moving-average window.
        window: usize,
    },
}

impl ReconstructionError {
    /// Per-sample error `[batch, seq]`, channels averaged: absolute for [`Self::Mae`], squared
    /// otherwise.
    pub fn error_map(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<Tensor<2>> {
        check_same_shape(input, &rec.output)?;
        let diff = rec.output.clone() - input.clone();
        Ok(channel_mean(match self {
            ReconstructionError::Mae => diff.abs(),
            _ => diff.square(),
        }))
    }
}

impl AnomalyScore for ReconstructionError {
    fn name(&self) -> &str {
        match self {
            ReconstructionError::Mse => "mse",
            ReconstructionError::Mae => "mae",
            ReconstructionError::MaxMovingAverage { .. } => "max_moving_average",
        }
    }

    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores> {
        let map = self.error_map(input, rec)?;
        let [batch, seq] = map.dims();
        let scores = match *self {
            ReconstructionError::Mse | ReconstructionError::Mae => {
                to_host(&map.clone().mean_dim(1))?
            }
            ReconstructionError::MaxMovingAverage { window } => {
                if window == 0 || window > seq {
                    return Err(Error::invalid(
                        "window",
                        format!("moving-average window {window} must be in 1..={seq}"),
                    ));
                }
                let errors = to_host(&map)?;
                (0..batch)
                    .map(|b| max_moving_average(&errors[b * seq..(b + 1) * seq], window))
                    .collect()
            }
        };
        Ok(BatchScores {
            scores,
            error_map: Some(map),
        })
    }
}

/// Largest mean of `window` consecutive values (`1 <= window <= values.len()`).
fn max_moving_average(values: &[f64], window: usize) -> f64 {
    let mut sum: f64 = values[..window].iter().sum();
    let mut best = sum;
    for i in window..values.len() {
        sum += values[i] - values[i - window];
        best = best.max(sum);
    }
    best / window as f64
}

#[cfg(test)]
mod tests {
    use super::max_moving_average;

    #[test]
    fn moving_average_finds_the_densest_stretch() {
        let values = [0.0, 1.0, 5.0, 3.0, 0.0, 4.0];
        assert_eq!(max_moving_average(&values, 1), 5.0);
        assert_eq!(max_moving_average(&values, 2), 4.0);
        assert_eq!(max_moving_average(&values, 6), 13.0 / 6.0);
    }
}
