//! [`AnyScore`]: one serde value for whichever score a detector uses.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{AnomalyScore, BatchScores, Ensemble, KlDivergence, Mahalanobis, ReconstructionError};
use crate::Result;
use crate::model::Reconstruction;

/// Any of this module's scores, fitted state included, so a chosen score is saved with the
/// detector and reloaded as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnyScore {
    /// MSE, MAE or the largest moving average of the squared error.
    Reconstruction(ReconstructionError),
    /// Distance of the latent code from the normal codes.
    Mahalanobis(Mahalanobis),
    /// KL divergence of the posterior from the prior (variational models).
    KlDivergence(KlDivergence),
    /// Several scores combined.
    Ensemble(Ensemble),
}

impl AnyScore {
    /// Checks a loaded score against windows of `seq` samples (a moving-average window inside
    /// them, a Mahalanobis fit of consistent shape, finite values); the message says what is wrong.
    pub fn validate(&self, seq: usize) -> std::result::Result<(), String> {
        match self {
            AnyScore::Reconstruction(ReconstructionError::MaxMovingAverage { window })
                if *window == 0 || *window > seq =>
            {
                Err(format!(
                    "moving-average window {window} is not in 1..={seq}"
                ))
            }
            AnyScore::Mahalanobis(m) => m.validate(),
            AnyScore::Ensemble(e) => e.validate(seq),
            _ => Ok(()),
        }
    }

    /// The score as a trait object.
    pub fn as_score(&self) -> &dyn AnomalyScore {
        match self {
            AnyScore::Reconstruction(s) => s,
            AnyScore::Mahalanobis(s) => s,
            AnyScore::KlDivergence(s) => s,
            AnyScore::Ensemble(s) => s,
        }
    }
}

impl AnomalyScore for AnyScore {
    fn name(&self) -> &str {
        self.as_score().name()
    }

    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores> {
        self.as_score().score(input, rec)
    }
}

impl From<ReconstructionError> for AnyScore {
    fn from(s: ReconstructionError) -> Self {
        AnyScore::Reconstruction(s)
    }
}

impl From<Mahalanobis> for AnyScore {
    fn from(s: Mahalanobis) -> Self {
        AnyScore::Mahalanobis(s)
    }
}

impl From<KlDivergence> for AnyScore {
    fn from(s: KlDivergence) -> Self {
        AnyScore::KlDivergence(s)
    }
}

impl From<Ensemble> for AnyScore {
    fn from(s: Ensemble) -> Self {
        AnyScore::Ensemble(s)
    }
}
