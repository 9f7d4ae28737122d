//! The VAE objective: reconstruction error plus a weighted KL divergence, with KL warm-up.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// KL divergence of the diagonal Gaussian posterior `N(mu, exp(log_var))` from `N(0, I)`,
/// summed over the latent dimensions and averaged over the batch:
/// `-0.5 * mean_batch(sum_latent(1 + log_var - mu² - exp(log_var)))`.
///
/// Shapes: `mu`, `log_var` `[batch, latent]` → `[1]`. Zero when `mu = 0` and `log_var = 0`.
pub fn kl_divergence(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
    let per_latent = log_var.clone().add_scalar(1.0) - mu.powi_scalar(2) - log_var.exp();
    // [batch, latent] → [batch, 1] → [1]
    per_latent.sum_dim(1).mean().mul_scalar(-0.5)
}

/// Linear KL warm-up ("KL annealing"): the weight of the KL term rises from 0 at step 0 to 1 at
/// `steps`, which keeps the decoder from ignoring the latent code early in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KlWarmup {
    /// Optimizer steps (or epochs, if the caller counts those) to reach full weight; 0 (the
    /// default) means no warm-up.
    pub steps: usize,
}

impl KlWarmup {
    /// Multiplier of `beta` at `step`: `min(1, step / steps)`, or 1 without warm-up.
    pub fn weight(&self, step: usize) -> f64 {
        if self.steps == 0 {
            1.0
        } else {
            (step as f64 / self.steps as f64).min(1.0)
        }
    }
}

/// The terms of the VAE loss for one batch, each a one-element tensor `[1]`.
#[derive(Debug, Clone)]
pub struct VaeLoss {
    /// `reconstruction + kl_weight * kl`, what the optimizer minimises.
    pub total: Tensor<1>,
    /// Mean squared error over every element of the batch.
    pub reconstruction: Tensor<1>,
    /// [`kl_divergence`] of the batch's posterior.
    pub kl: Tensor<1>,
    /// `beta` times the warm-up multiplier used for this batch.
    pub kl_weight: f64,
}

impl VaeLoss {
    /// Combines the terms: `total = reconstruction + kl_weight * kl`.
    pub fn new(reconstruction: Tensor<1>, kl: Tensor<1>, kl_weight: f64) -> Self {
        Self {
            total: reconstruction.clone() + kl.clone().mul_scalar(kl_weight),
            reconstruction,
            kl,
            kl_weight,
        }
    }
}
