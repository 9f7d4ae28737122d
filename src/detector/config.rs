//! [`DetectorConfig`]: everything chosen before a detector is fitted, as one serde value.

use serde::{Deserialize, Serialize};

use super::spec::{ModelKind, ModelSpec};
use crate::preprocess::{BeatPipeline, Normalization, ZScore};
use crate::score::CovarianceRegularization;
use crate::threshold::ThresholdMethod;
use crate::train::TrainingConfig;
use crate::{Error, Result};

/// How each beat is normalised before the model sees it; fitted on the training beats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalizationMethod {
    /// Values as they are.
    None,
    /// One mean and standard deviation fitted on all training samples.
    GlobalZScore,
    /// Each beat to `[-1, 1]` on its own.
    MinMax,
    /// Each beat z-scored on its own (the default: robust to gain differences between records).
    #[default]
    WindowZScore,
}

impl NormalizationMethod {
    /// The normaliser for `training` samples (fitted for [`Self::GlobalZScore`]).
    pub fn fit(self, training: &[f32]) -> Result<Normalization> {
        Ok(match self {
            NormalizationMethod::None => Normalization::None,
            NormalizationMethod::GlobalZScore => Normalization::GlobalZScore(ZScore::fit(training)?),
            NormalizationMethod::MinMax => Normalization::MinMax,
            NormalizationMethod::WindowZScore => Normalization::WindowZScore,
        })
    }
}

/// Which anomaly score the detector computes from the model's reconstruction.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreMethod {
    /// Mean squared reconstruction error (the default).
    #[default]
    Mse,
    /// Mean absolute reconstruction error.
    Mae,
    /// The largest mean squared error over `window` consecutive samples: a short, sharp
    /// anomaly is not diluted by the rest of the beat.
    MaxMovingAverage {
        /// Samples per moving-average window.
        window: usize,
    },
    /// Mahalanobis distance of the latent code from the training beats' codes.
    Mahalanobis {
        /// How the codes' covariance is regularised before it is inverted.
        #[serde(default)]
        regularization: CovarianceRegularization,
    },
    /// KL divergence of the posterior from the prior (the [`ConvVae`](crate::model::ConvVae) only).
    Kl,
}

/// Everything chosen before a detector is fitted: the model, the preprocessing, the training
/// run, the score and the threshold rule. `DetectorConfig::default()` holds the documented
/// defaults (an LSTM autoencoder on 0.5-40 Hz band-passed, z-scored beats, its mean squared
/// error thresholded at the 95th percentile of held-out normal beats); missing JSON fields take
/// them too. [`fit`](Self::fit) turns it into a [`Detector`](super::Detector).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    /// The model and its configuration. Default: an [`LstmAutoencoder`](crate::model::LstmAutoencoder)
    /// with its defaults.
    pub model: ModelSpec,
    /// How beats are cut from a raw signal ([`fit_signal`](Self::fit_signal) and
    /// [`Detector::detect_signal`](super::Detector::detect_signal)). A fitted detector keeps
    /// it with `resample_to` set to the rate it was trained at. Default: [`BeatPipeline::default`].
    pub pipeline: BeatPipeline,
    /// Normalisation of each beat. Default: [`NormalizationMethod::WindowZScore`].
    pub normalization: NormalizationMethod,
    /// The training run: optimiser, epochs, early stopping, seed. Default: [`TrainingConfig::default`].
    pub training: TrainingConfig,
    /// The anomaly score. Default: [`ScoreMethod::Mse`].
    pub score: ScoreMethod,
    /// How the threshold is set on the held-out normal beats' scores; label-based rules are
    /// refused. Default: the 95th percentile.
    pub threshold: ThresholdMethod,
    /// Share of the normal training beats, taken from the end, held out to stop training early
    /// and to fit the calibration and threshold, in `(0, 1)`. Default: 0.2.
    pub validation_fraction: f64,
    /// The lead the detector is for (e.g. `"MLII"`), recorded in its metadata. Default: none.
    pub lead: Option<String>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            model: ModelSpec::default(),
            pipeline: BeatPipeline::default(),
            normalization: NormalizationMethod::default(),
            training: TrainingConfig::default(),
            score: ScoreMethod::default(),
            threshold: ThresholdMethod::default(),
            validation_fraction: 0.2,
            lead: None,
        }
    }
}

impl DetectorConfig {
    /// Checks every setting; [`Error::InvalidArgument`] names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        self.training.validate()?;
        self.threshold.validate()?;
        if matches!(self.threshold, ThresholdMethod::LabelledBestF1) {
            return Err(Error::invalid(
                "threshold",
                "a detector's threshold is set on normal beats only; best-F1 on labels is for \
                 evaluation (evaluate::fit_labelled)",
            ));
        }
        let fraction = self.validation_fraction;
        if !(fraction > 0.0 && fraction < 1.0) {
            let msg = format!("{fraction} must be strictly between 0 and 1");
            return Err(Error::invalid("validation_fraction", msg));
        }
        if self.score == ScoreMethod::Kl && self.model.kind() != ModelKind::ConvVae {
            return Err(Error::invalid(
                "score",
                "the KL score needs a variational model (conv_vae)",
            ));
        }
        if let ScoreMethod::MaxMovingAverage { window: 0 } = self.score {
            return Err(Error::invalid("score", "moving-average window must be at least 1"));
        }
        self.pipeline.window(self.pipeline.resample_to.unwrap_or(360.0))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_missing_fields_takes_the_defaults() {
        let config: DetectorConfig =
            serde_json::from_str(r#"{"score": {"kind": "mahalanobis"}, "training": {"epochs": 3}}"#)
                .unwrap();
        assert_eq!(config.training.epochs, 3);
        assert_eq!(config.training.learning_rate, TrainingConfig::default().learning_rate);
        assert!(matches!(config.score, ScoreMethod::Mahalanobis { .. }));
        assert_eq!(config.validation_fraction, 0.2);
        config.validate().unwrap();
        let back: DetectorConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn validate_names_what_is_wrong() {
        let bad = |config: DetectorConfig, name: &str| {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        };
        bad(
            DetectorConfig {
                validation_fraction: 1.0,
                ..Default::default()
            },
            "validation_fraction",
        );
        bad(
            DetectorConfig {
                score: ScoreMethod::Kl,
                ..Default::default()
            },
            "score",
        );
        bad(
            DetectorConfig {
                threshold: ThresholdMethod::LabelledBestF1,
                ..Default::default()
            },
            "threshold",
        );
    }
}
