//! [`DetectorConfig`]: everything chosen before a detector is fitted, as one serde value.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::spec::{ModelKind, ModelSpec};
use crate::json::{load_json, save_json};
use crate::model::ConvVaeConfig;
use crate::preprocess::{BeatPipeline, Normalization, ZScore};
use crate::score::{ContextConfig, CovarianceRegularization, Fusion, Reference};
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
            NormalizationMethod::GlobalZScore => {
                Normalization::GlobalZScore(ZScore::fit(training)?)
            }
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
/// run, the score and the threshold rule. [`fit`](Self::fit) turns it into a
/// [`Detector`](super::Detector).
///
/// `DetectorConfig::default()` is the configuration that MIT-BIH's inter-patient protocol (P2)
/// chose by record-wise cross-validation inside its training records (DS1), before its test
/// records were judged: a [`ConvVae`](crate::model::ConvVae) on beats resampled to 180 Hz,
/// band-passed 0.5-40 Hz and z-scored, 160 samples each; its mean squared error fused (mean of
/// z-scores) with how early the beat came, both against the median of the beat's own recording;
/// thresholded at the 95th percentile of held-out normal beats. The frozen choice is
/// `examples/studies/p2_design_choice.json` (a test keeps the two equal). Missing JSON fields
/// take these defaults too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectorConfig {
    /// The model and its configuration. Default: a [`ConvVae`](crate::model::ConvVae) with its
    /// defaults for 160-sample windows (fitting sets `seq` to the windows' length).
    pub model: ModelSpec,
    /// How beats are cut from a raw signal ([`fit_signal`](Self::fit_signal) and
    /// [`Detector::detect_signal`](super::Detector::detect_signal)). A fitted detector keeps
    /// it with `resample_to` set to the rate it was trained at. Default: [`BeatPipeline::default`]
    /// resampling to [`DEFAULT_RATE_HZ`](Self::DEFAULT_RATE_HZ).
    pub pipeline: BeatPipeline,
    /// Normalisation of each beat. Default: [`NormalizationMethod::WindowZScore`].
    pub normalization: NormalizationMethod,
    /// The training run: optimiser, epochs, early stopping, seed. Default: [`TrainingConfig::default`].
    pub training: TrainingConfig,
    /// The anomaly score. Default: [`ScoreMethod::Mse`].
    pub score: ScoreMethod,
    /// How the model's score is put in context (the beat's recording, its rhythm) before it is
    /// calibrated and thresholded. Default: the rhythm added, both z-scored against the median
    /// of the beat's recording and averaged.
    pub context: ContextConfig,
    /// How the threshold is set on the held-out normal beats' scores; label-based rules are
    /// refused. Default: the 95th percentile.
    pub threshold: ThresholdMethod,
    /// Share of the normal training beats, taken from the end, held out to stop training early
    /// and to fit the calibration and threshold, in `(0, 1)`. Default: 0.2.
    pub validation_fraction: f64,
    /// The lead the detector is for (e.g. `"MLII"`), recorded in its metadata. Default: none.
    /// A one-lead setting: with [`leads`](Self::leads) set, leave it `None`.
    pub lead: Option<String>,
    /// The leads the detector fits on and judges, by name and in this order (e.g. `["MLII",
    /// "V1"]`): [`fit_ecg`](Self::fit_ecg) picks them from a record, finds the R-peaks on the
    /// first ([`BeatPipeline::run_leads`]) and the model takes one channel per lead. At most
    /// [`MAX_LEADS`](Self::MAX_LEADS), no name twice, none empty. Empty (the default): one lead,
    /// [`lead`](Self::lead) or the record's first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<String>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        let pipeline = BeatPipeline {
            resample_to: Some(Self::DEFAULT_RATE_HZ),
            ..BeatPipeline::default()
        };
        // 70 + 90 samples at 180 Hz; the window is the pipeline's, so this cannot fail.
        let seq = pipeline
            .window(Self::DEFAULT_RATE_HZ)
            .map_or(160, |window| window.len());
        Self {
            model: ModelSpec::ConvVae(ConvVaeConfig {
                seq,
                ..ConvVaeConfig::default()
            }),
            pipeline,
            normalization: NormalizationMethod::default(),
            training: TrainingConfig::default(),
            score: ScoreMethod::default(),
            threshold: ThresholdMethod::default(),
            validation_fraction: 0.2,
            lead: None,
            leads: Vec::new(),
            context: ContextConfig {
                rhythm: true,
                reference: Reference::RecordMedian,
                fusion: Fusion::Mean,
                ..ContextConfig::default()
            },
        }
    }
}

impl DetectorConfig {
    /// The rate the default pipeline resamples every lead to, Hz: half MIT-BIH's 360 Hz, the
    /// rate the protocol that chose the defaults ran at.
    pub const DEFAULT_RATE_HZ: f64 = 180.0;

    /// Most [`leads`](Self::leads) a detector takes: 12, a standard 12-lead ECG.
    pub const MAX_LEADS: usize = 12;
}

impl DetectorConfig {
    /// Reads a configuration from a JSON file and [validates](Self::validate) it. Missing
    /// fields take their defaults, the model's own settings too (`{"model": {"kind":
    /// "lstm_autoencoder", "config": {"hidden": 16}}}` is enough). A field this version does not know, at any depth (a
    /// typo such as `"epoch"`), is an error rather than silently ignored. Errors name the file.
    pub fn load_json(path: impl AsRef<Path>) -> Result<DetectorConfig> {
        let path = path.as_ref();
        let value: serde_json::Value = load_json(path)?;
        let config: DetectorConfig =
            serde_json::from_value(value.clone()).map_err(|source| Error::Json {
                path: path.into(),
                source,
            })?;
        config.checked(&value).map_err(|message| Error::Artifact {
            path: path.into(),
            message,
        })
    }

    /// Reads a configuration from JSON text, as [`load_json`](Self::load_json) reads a file:
    /// missing fields take their defaults, an unknown field at any depth is an error, and the
    /// result is [validated](Self::validate). Errors are [`Error::InvalidArgument`] (`config`).
    pub fn from_json(text: &str) -> Result<DetectorConfig> {
        let bad = |message: String| Error::invalid("config", message);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let config: DetectorConfig =
            serde_json::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;
        config.checked(&value).map_err(bad)
    }

    /// `self`, parsed from `value`, when `value` names no field it lacks and it is valid.
    fn checked(self, value: &serde_json::Value) -> Result<DetectorConfig, String> {
        let known = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        let mut unknown = Vec::new();
        unknown_keys(value, &known, "", &mut unknown);
        if !unknown.is_empty() {
            return Err(format!("unknown field(s) {}: a typo?", unknown.join(", ")));
        }
        self.validate().map_err(|e| e.to_string())?;
        Ok(self)
    }

    /// Writes the configuration as pretty-printed JSON. Errors name the file.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<()> {
        save_json(self, path.as_ref())
    }

    /// Checks every setting against its documented range; [`Error::InvalidArgument`] names
    /// the first one out of range. The parts: [`ModelSpec::validate`],
    /// [`BeatPipeline::validate`], [`TrainingConfig::validate`], [`ThresholdMethod::validate`]
    /// (label-based rules refused), [`ContextConfig::validate`]; then `validation_fraction`
    /// in `(0, 1)`, a moving-average window of `1..=`[`MAX_WINDOW`](super::MAX_WINDOW)
    /// samples, a Mahalanobis regularisation in range (shrinkage in `[0, 1]`, ridge finite and
    /// `>= 0`), the KL score only for a ConvVae, a beat window at the pipeline's rate (360
    /// Hz when it keeps the input's) that is not empty, and `leads` of at most
    /// [`MAX_LEADS`](Self::MAX_LEADS) non-empty, distinct names, not set beside `lead`.
    pub fn validate(&self) -> Result<()> {
        self.validate_leads()?;
        self.model.validate()?;
        self.pipeline.validate()?;
        self.training.validate()?;
        self.threshold.validate()?;
        self.context.validate()?;
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
        if let ScoreMethod::MaxMovingAverage { window } = self.score
            && !(1..=super::MAX_WINDOW).contains(&window)
        {
            let msg = format!(
                "moving-average window of {window} samples is not in 1..={}",
                super::MAX_WINDOW
            );
            return Err(Error::invalid("score", msg));
        }
        if let ScoreMethod::Mahalanobis { regularization } = self.score {
            let ok = match regularization {
                CovarianceRegularization::Shrinkage(a) => (0.0..=1.0).contains(&a),
                CovarianceRegularization::Ridge(r) => r.is_finite() && r >= 0.0,
            };
            if !ok {
                let msg = format!(
                    "{regularization:?}: shrinkage must be in [0, 1], a ridge finite and >= 0"
                );
                return Err(Error::invalid("score.regularization", msg));
            }
        }
        self.pipeline
            .window(self.pipeline.resample_to.unwrap_or(360.0))?;
        Ok(())
    }
}

impl DetectorConfig {
    /// The [`leads`](Self::leads) checks of [`validate`](Self::validate).
    fn validate_leads(&self) -> Result<()> {
        let leads = &self.leads;
        if leads.len() > Self::MAX_LEADS {
            let msg = format!("{} leads; at most {}", leads.len(), Self::MAX_LEADS);
            return Err(Error::invalid("leads", msg));
        }
        for (i, name) in leads.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(Error::invalid("leads", format!("lead {i} has no name")));
            }
            if leads[..i].contains(name) {
                let msg = format!("lead \"{name}\" is named twice");
                return Err(Error::invalid("leads", msg));
            }
        }
        if !leads.is_empty() && self.lead.is_some() {
            return Err(Error::invalid(
                "leads",
                "`lead` and `leads` are both set: name the leads in `leads` only",
            ));
        }
        Ok(())
    }
}

/// Appends to `out` the dotted path of every object key of `given` that `known` (the same
/// value parsed and written back, so holding every field it has) lacks at the same place.
fn unknown_keys(
    given: &serde_json::Value,
    known: &serde_json::Value,
    at: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(given), Value::Object(known)) => {
            for (key, value) in given {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                match known.get(key) {
                    Some(k) => unknown_keys(value, k, &path, out),
                    None => out.push(format!("`{path}`")),
                }
            }
        }
        (Value::Array(given), Value::Array(known)) => {
            for (i, (g, k)) in given.iter().zip(known).enumerate() {
                unknown_keys(g, k, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's default is the configuration P2's design step froze: a user who writes
    /// `DetectorConfig::default()` gets what the protocol chose, and a change to either side
    /// (a retuned default, a new frozen choice) fails here until the other follows.
    #[test]
    fn the_default_is_the_frozen_design_choice() {
        let frozen: DetectorConfig =
            serde_json::from_str(include_str!("../../examples/studies/p2_design_choice.json"))
                .unwrap();
        assert_eq!(DetectorConfig::default(), frozen);
        DetectorConfig::default().validate().unwrap();
    }

    #[test]
    fn json_with_missing_fields_takes_the_defaults() {
        let config: DetectorConfig = serde_json::from_str(
            r#"{"score": {"kind": "mahalanobis"}, "training": {"epochs": 3}}"#,
        )
        .unwrap();
        assert_eq!(config.training.epochs, 3);
        assert_eq!(
            config.training.learning_rate,
            TrainingConfig::default().learning_rate
        );
        assert!(matches!(config.score, ScoreMethod::Mahalanobis { .. }));
        assert_eq!(config.validation_fraction, 0.2);
        config.validate().unwrap();
        let back: DetectorConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn json_files_round_trip_and_bad_ones_name_the_file() {
        let dir = std::env::temp_dir().join(format!("ecg-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.json");
        let config = DetectorConfig {
            validation_fraction: 0.3,
            ..Default::default()
        };
        config.save_json(&path).unwrap();
        assert_eq!(DetectorConfig::load_json(&path).unwrap(), config);
        std::fs::write(&path, r#"{"validation_fraction": 2.0}"#).unwrap();
        let err = DetectorConfig::load_json(&path).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("validation_fraction"),
            "{err}"
        );
        std::fs::write(&path, r#"{"epochs": 3}"#).unwrap();
        let err = DetectorConfig::load_json(&path).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("`epochs`"),
            "{err}"
        );
        let typo = r#"{"training": {"epoch": 3}, "model": {"kind": "lstm_autoencoder",
            "config": {"hidden": 16, "hiden": 8}}, "threshold": {"kind": "percentile", "q": 99}}"#;
        std::fs::write(&path, typo).unwrap();
        let err = DetectorConfig::load_json(&path).unwrap_err().to_string();
        assert!(
            err.contains("`training.epoch`") && err.contains("`model.config.hiden`"),
            "{err}"
        );
        assert!(
            !err.contains("hidden`") && !err.contains("`threshold"),
            "{err}"
        );
        std::fs::write(
            &path,
            "{\"model\": {\"kind\": \"lstm_autoencoder\", \"config\": {\"hidden\": 16}}}",
        )
        .unwrap();
        let config = DetectorConfig::load_json(&path).unwrap();
        assert!(
            matches!(&config.model, ModelSpec::LstmAutoencoder(c) if c.hidden == 16 && c.latent == 32)
        );
        let vae = r#"{"model": {"kind": "conv_vae", "config": {"seq": 222}}}"#;
        std::fs::write(&path, vae).unwrap();
        let config = DetectorConfig::load_json(&path).unwrap();
        let want = ModelSpec::ConvVae(ConvVaeConfig {
            seq: 222,
            ..Default::default()
        });
        assert_eq!(config.model, want);
    }

    #[test]
    fn json_text_is_checked_as_a_file_is() {
        let config = DetectorConfig::from_json(r#"{"training": {"epochs": 3}}"#).unwrap();
        assert_eq!(config.training.epochs, 3);
        assert_eq!(config.model, DetectorConfig::default().model);
        let err = |text: &str| DetectorConfig::from_json(text).unwrap_err().to_string();
        let typo = err(r#"{"training": {"epoch": 3}}"#);
        assert!(
            typo.contains("config") && typo.contains("`training.epoch`"),
            "{typo}"
        );
        let range = err(r#"{"validation_fraction": 2.0}"#);
        assert!(range.contains("validation_fraction"), "{range}");
        let syntax = err("{\"training\": ");
        assert!(syntax.starts_with("invalid config:"), "{syntax}");
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
        // KL needs a posterior: the ConvVae has one, the LSTM autoencoder does not.
        DetectorConfig {
            score: ScoreMethod::Kl,
            ..Default::default()
        }
        .validate()
        .unwrap();
        bad(
            DetectorConfig {
                model: ModelSpec::LstmAutoencoder(Default::default()),
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

    #[test]
    fn leads_are_distinct_named_bounded_and_not_beside_lead() {
        let with = |leads: &[&str]| DetectorConfig {
            leads: leads.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        with(&["MLII", "V1"]).validate().unwrap();
        let err = with(&["MLII", "V1", "MLII"])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("leads") && err.contains("\"MLII\" is named twice"),
            "{err}"
        );
        let err = with(&["MLII", " "]).validate().unwrap_err().to_string();
        assert!(err.contains("lead 1 has no name"), "{err}");
        let names: Vec<String> = (0..13).map(|i| format!("L{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let err = with(&refs).validate().unwrap_err().to_string();
        assert!(err.contains("13 leads; at most 12"), "{err}");
        with(&refs[..12]).validate().unwrap();
        let both = DetectorConfig {
            lead: Some("MLII".into()),
            ..with(&["MLII", "V1"])
        };
        assert!(
            both.validate()
                .unwrap_err()
                .to_string()
                .contains("both set")
        );
        // Written only when set: the default's JSON has no `leads`, and one with them reads back.
        let json = serde_json::to_string(&DetectorConfig::default()).unwrap();
        assert!(!json.contains("\"leads\""), "{json}");
        let config = with(&["MLII", "V1"]);
        let back: DetectorConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(back, config);
    }
}
