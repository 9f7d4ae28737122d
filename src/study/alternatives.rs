//! Other scores from the same fitted model (the ablation's lever 3): does a latent distance or
//! a local peak of the error find what the mean squared error misses?
//!
//! Each detector is fitted once, with its own score; these rows score the same beats with the
//! same model under other rules, each fitted on normal beats only (the Mahalanobis distance on
//! the training beats' latent codes), and put them in context as the model's own score is.

use super::ablation::{AblationRow, Scored, row};
use crate::Result;
use crate::data::beat::AamiClass;
use crate::detector::{Detector, ModelKind};
use crate::score::{
    AnyScore, BeatContext, ContextConfig, CovarianceRegularization, Fusion, KlDivergence,
    Mahalanobis, ReconstructionError,
};
use crate::study::mitbih::BeatSet;
use crate::threshold::ThresholdMethod;

/// Length of the peak-error score's moving average: 50 ms, about a QRS complex's half-width.
pub const PEAK_ERROR_SECONDS: f64 = 0.05;

/// The scores compared with the detector's own, by row name: the latent codes' Mahalanobis
/// distance to those of `train` (normal training beats), the KL divergence (variational models
/// only), and the largest 50 ms moving average of the squared error at `fs` Hz.
pub fn alternative_scores(
    detector: &Detector,
    train: &BeatSet,
    fs: f64,
) -> Result<Vec<(&'static str, AnyScore)>> {
    let codes = detector.latents(train)?;
    let regularization = CovarianceRegularization::default();
    let mut scores = vec![(
        "latent Mahalanobis",
        Mahalanobis::fit(&codes.values, codes.dim, regularization)?.into(),
    )];
    if detector.metadata().model_kind == ModelKind::ConvVae {
        scores.push(("KL", KlDivergence.into()));
    }
    let seq = detector.metadata().seq.max(1);
    let window = ((PEAK_ERROR_SECONDS * fs).round() as usize).clamp(1, seq);
    scores.push((
        "peak error (50 ms)",
        ReconstructionError::MaxMovingAverage { window }.into(),
    ));
    Ok(scores)
}

/// How each alternative score is put in context: alone, then fused with the rhythm (mean and
/// max), all against the normal validation beats.
fn contexts() -> [(&'static str, ContextConfig); 3] {
    let with = |rhythm, fusion| ContextConfig {
        rhythm,
        fusion,
        ..ContextConfig::default()
    };
    [
        ("", with(false, Fusion::Mean)),
        (" + rhythm (mean)", with(true, Fusion::Mean)),
        (" + rhythm (max)", with(true, Fusion::Max)),
    ]
}

/// What the alternative rows are measured on: the validation and the whole test recordings'
/// beats with their context, the test beats' places in `whole` and their classes.
pub struct Beats<'a> {
    /// Normal validation beats.
    pub valid: &'a BeatSet,
    /// Their context.
    pub valid_context: &'a [BeatContext],
    /// Every beat of the test recordings.
    pub whole: &'a BeatSet,
    /// Their context.
    pub whole_context: &'a [BeatContext],
    /// Indices of the test beats in `whole`.
    pub test: &'a [usize],
    /// Class of each test beat.
    pub classes: &'a [AamiClass],
}

/// The ablation rows of `alternatives` on `detector` (one pass of the model over the
/// validation beats and one over the test recordings): each score alone and with the rhythm,
/// thresholded by `rule` on the validation beats' scores in the same context.
pub fn alternative_rows(
    model: &str,
    detector: &Detector,
    alternatives: &[(&'static str, AnyScore)],
    beats: &Beats<'_>,
    rule: ThresholdMethod,
) -> Result<Vec<AblationRow>> {
    let scores: Vec<AnyScore> = alternatives.iter().map(|(_, s)| s.clone()).collect();
    let valid = detector.score_with(&scores, beats.valid)?;
    let whole = detector.score_with(&scores, beats.whole)?;
    let mut rows = Vec::new();
    for (((name, _), valid), whole) in alternatives.iter().zip(&valid).zip(&whole) {
        let scored = Scored {
            valid,
            valid_context: beats.valid_context,
            whole,
            whole_context: beats.whole_context,
            test: beats.test,
        };
        for (suffix, context) in contexts() {
            let (test, threshold) = scored.in_context(context, rule)?;
            let variant = format!("{name}{suffix}");
            rows.push(row(model, &variant, &test, beats.classes, &threshold)?);
        }
    }
    Ok(rows)
}
