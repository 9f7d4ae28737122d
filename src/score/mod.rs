//! Anomaly scores: how far a window is from the normal beats a model learned to rebuild.
//!
//! Every score implements [`AnomalyScore`]: it reads a batch of inputs `[batch, seq, channels]`
//! and the model's [`Reconstruction`] and gives one number per window (higher is more
//! anomalous) plus a per-sample error map `[batch, seq]` that shows where in the beat the
//! anomaly is. Scores that are fitted on normal data ([`Mahalanobis`], [`Ensemble`],
//! [`Calibration`]) are plain serde values, saved with the detector; [`AnyScore`] names a chosen
//! score so it can be saved too. [`BatchScorer`] runs a model over a whole [`WindowDataset`].
//!
//! [`WindowDataset`]: crate::data::batch::WindowDataset

use burn::tensor::Tensor;

use crate::model::Reconstruction;
use crate::{Error, Result};

mod any;
mod batch;
mod calibration;
mod context;
mod ensemble;
mod kl;
mod mahalanobis;
mod reconstruction;

pub use any::AnyScore;
pub(crate) use batch::scores_and_errors;
pub use batch::{BatchScorer, Latents};
pub use calibration::Calibration;
pub use context::{
    BeatContext, ContextConfig, ContextScore, Fusion, MAX_REFERENCE_BEATS, MIN_REFERENCE_BEATS,
    Reference, RobustScale, rhythm_component, shape_component, standardize,
};
pub use ensemble::{Ensemble, EnsembleMethod, majority_vote};
pub use kl::KlDivergence;
pub use mahalanobis::{CovarianceRegularization, Mahalanobis};
pub use reconstruction::ReconstructionError;

/// The scores of one batch.
#[derive(Debug, Clone)]
pub struct BatchScores {
    /// One score per window; higher is more anomalous.
    pub scores: Vec<f64>,
    /// Per-sample error `[batch, seq]` (channels averaged): where in the window the score comes
    /// from. Scores computed in the latent space give the squared reconstruction error here.
    pub error_map: Option<Tensor<2>>,
}

/// A rule that turns a batch and its reconstruction into one anomaly score per window.
pub trait AnomalyScore {
    /// A short, stable name for reports (`"mse"`, `"mahalanobis"`, ...).
    fn name(&self) -> &str;

    /// Scores `input` `[batch, seq, channels]` given the model's reconstruction of it.
    /// [`Error::InvalidArgument`] when shapes disagree or the score needs something the
    /// reconstruction lacks (e.g. `log_var`).
    fn score(&self, input: &Tensor<3>, rec: &Reconstruction) -> Result<BatchScores>;
}

/// Squared error `(output - input)^2` averaged over channels, `[batch, seq]`; an error when
/// the two shapes differ.
pub fn squared_error_map(input: &Tensor<3>, rec: &Reconstruction) -> Result<Tensor<2>> {
    check_same_shape(input, &rec.output)?;
    Ok(channel_mean((rec.output.clone() - input.clone()).square()))
}

/// `[batch, seq, channels]` → mean over channels, `[batch, seq]`.
fn channel_mean(t: Tensor<3>) -> Tensor<2> {
    t.mean_dim(2).squeeze_dim::<2>(2)
}

fn check_same_shape(input: &Tensor<3>, output: &Tensor<3>) -> Result<()> {
    if input.dims() != output.dims() {
        return Err(Error::invalid(
            "reconstruction",
            format!(
                "output shape {:?} differs from input shape {:?}",
                output.dims(),
                input.dims()
            ),
        ));
    }
    Ok(())
}

/// Copies a tensor to the host as `f64`, row-major.
pub(crate) fn to_host<const D: usize>(t: &Tensor<D>) -> Result<Vec<f64>> {
    t.try_to_vec_as::<f64>()
        .map_err(|e| Error::Backend(format!("reading a {:?} tensor back: {e}", t.dims())))
}
