//! KL divergence of a variational model's posterior from its standard-normal prior.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{AnomalyScore, BatchScores, squared_error_map, to_host};
use crate::model::Reconstruction;
use crate::{Error, Result};

/// `KL(N(μ, σ²) ‖ N(0, I)) = -½ Σ (1 + log σ² - μ² - σ²)` per window, summed over the latent:
/// a code far from the prior, or unusually certain, is unlike the training beats. Needs a
/// variational model (a [`Reconstruction`] with `log_var`); error map: squared reconstruction
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KlDivergence;

impl KlDivergence {
    /// Per-window KL `[batch]` from `mu` and `log_var` (`[batch, latent]` each).
    pub fn per_window(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
        let per_latent = log_var.clone().add_scalar(1.0) - mu.square() - log_var.exp();
        per_latent.sum_dim(1).squeeze_dim::<1>(1).mul_scalar(-0.5)
    }
}

impl AnomalyScore for KlDivergence {
    fn name(&self) -> &str {
        "kl_divergence"
    }

    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores> {
        let log_var = rec.log_var.clone().ok_or_else(|| {
            Error::invalid(
                "reconstruction",
                "the KL-divergence score needs a variational model (a reconstruction with \
                 log_var); this model gives none",
            )
        })?;
        if log_var.dims() != rec.latent.dims() {
            return Err(Error::invalid(
                "reconstruction",
                format!(
                    "log_var shape {:?} differs from latent shape {:?}",
                    log_var.dims(),
                    rec.latent.dims()
                ),
            ));
        }
        let kl = Self::per_window(rec.latent.clone(), log_var);
        Ok(BatchScores {
            scores: to_host(&kl)?,
            error_map: Some(squared_error_map(input, rec)?),
        })
    }
}
