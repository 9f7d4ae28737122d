//! [`StudyConfig`]: which protocol, which detectors, how many beats, as one serde value; and
//! [`DesignConfig`], the settings of its design step.

use serde::{Deserialize, Serialize};

use super::ablation::variants;
use crate::detector::{DetectorConfig, ModelSpec};
use crate::model::{ConvVaeConfig, LstmAutoencoderConfig};
use crate::preprocess::{BeatPipeline, check_fs};
use crate::score::ContextConfig;
use crate::study::mitbih::{MITDB_FS, Partition, Protocol};
use crate::train::TrainingConfig;
use crate::{Error, Result};

/// Which MIT-BIH protocol a study runs. Serialises as `{"kind": "intra_patient", "fold": 0}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StudyProtocol {
    /// P1, intra-patient ([`Protocol::intra_patient`]), testing on one of its 5 folds.
    IntraPatient {
        /// The test fold, 0-4.
        fold: usize,
    },
    /// P2, inter-patient ([`Protocol::inter_patient`]): DS1 → DS2.
    InterPatient,
}

impl StudyProtocol {
    /// `"P1"` or `"P2"`.
    pub fn name(&self) -> &'static str {
        match self {
            StudyProtocol::IntraPatient { .. } => "P1",
            StudyProtocol::InterPatient => "P2",
        }
    }
}

/// One detector of a study: a name for tables and reports and its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyModel {
    /// Name in tables and reports; lower-cased, the folder its detector is saved in.
    pub name: String,
    /// How it is fitted; see [`StudyConfig::detector`] for what the study sets.
    pub detector: DetectorConfig,
}

impl StudyModel {
    /// The folder name: the name lower-cased, anything but letters, digits and `-` as `_`.
    pub fn folder(&self) -> String {
        let keep = |c: char| c.is_ascii_alphanumeric() || c == '-';
        let name = self.name.to_lowercase();
        name.chars()
            .map(|c| if keep(c) { c } else { '_' })
            .collect()
    }
}

/// One candidate way of scoring a model's beats: a name for tables and its context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedContext {
    /// Name in tables (e.g. `"shape + rhythm (mean)"`).
    pub name: String,
    /// How the model's score is put in context.
    pub context: ContextConfig,
}

/// How the design step picks one candidate from its table. Either rule first keeps the
/// candidates that flag at most [`DesignConfig::max_n_flagged`] of the normal beats in every
/// fold (all of them when none does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignRule {
    /// The highest ROC-AUC averaged over the folds; a tie (within 0.001) goes to the higher
    /// mean average precision. The default.
    #[default]
    MeanRocAuc,
    /// The highest average precision averaged over the folds.
    MeanAveragePrecision,
}

/// Settings of the design step ([`StudyConfig::design`]); missing JSON fields take the
/// defaults: 4 folds, every scoring of the study's ablation ([`variants`]), [`DesignRule::MeanRocAuc`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesignConfig {
    /// Folds of whole training records, `2..=`the number of training records. Default: 4.
    pub folds: usize,
    /// Candidate scorings, each tried on each of [`StudyConfig::models`] (they need no
    /// retraining). Default: the ablation's eleven.
    pub scorings: Vec<NamedContext>,
    /// How the winner is picked.
    pub rule: DesignRule,
    /// Most training beats per fit, evenly spaced through a fold's training pool; `None` (the
    /// default) takes the study's [`max_train_beats`](StudyConfig::max_train_beats). A budget,
    /// not a choice: fewer beats make the step cheaper (the folds' pools are smaller anyway).
    pub max_train_beats: Option<usize>,
    /// Most share of a fold's normal beats a candidate may flag at its threshold, in
    /// `(0, 1]`: a detector whose false alarms on new patients stray far from what its
    /// calibration promises (5 % at the default 95th percentile) is not a candidate. Default:
    /// 0.10, twice that.
    pub max_n_flagged: f64,
}

impl Default for DesignConfig {
    fn default() -> Self {
        Self {
            folds: 4,
            scorings: variants()
                .into_iter()
                .map(|(name, context)| NamedContext {
                    name: name.into(),
                    context,
                })
                .collect(),
            rule: DesignRule::default(),
            max_train_beats: None,
            max_n_flagged: 0.10,
        }
    }
}

impl DesignConfig {
    /// Checks the settings; [`Error::InvalidArgument`] names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        if !(2..=64).contains(&self.folds) {
            let msg = format!("{} is not in 2..=64", self.folds);
            return Err(Error::invalid("design.folds", msg));
        }
        let flagged = self.max_n_flagged;
        if !(flagged > 0.0 && flagged <= 1.0) {
            let msg = format!("{flagged} is not in (0, 1]");
            return Err(Error::invalid("design.max_n_flagged", msg));
        }
        if self.max_train_beats.is_some_and(|n| n < 8) {
            return Err(Error::invalid(
                "design.max_train_beats",
                "must be at least 8",
            ));
        }
        if self.scorings.is_empty() {
            return Err(Error::invalid("design.scorings", "no scoring to compare"));
        }
        for s in &self.scorings {
            s.context.validate()?;
        }
        Ok(())
    }
}

/// Everything a MIT-BIH study ([`run_study`](super::run_study)) chooses; missing JSON fields
/// take the defaults: P1 fold 0, seed 42, 12,000 training beats, beats at 180 Hz, an LSTM-AE
/// (learning rate 3e-3) and a ConvVae (1e-3), both trained until 5 epochs pass without
/// progress on the normal validation beats (at most 100), each beat's score fused with its
/// rhythm ([`ContextConfig`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudyConfig {
    /// The protocol.
    pub protocol: StudyProtocol,
    /// Seed of the protocol's folds and validation draw, and of every model's training (it
    /// replaces their `training.seed`).
    pub seed: u64,
    /// Most training beats, evenly spaced through the protocol's training pool; the normal
    /// validation beats are capped at a quarter of it.
    pub max_train_beats: usize,
    /// Rate in Hz the leads are resampled to before beats are cut (the protocol's 140 + 180
    /// samples at 360 Hz keep their durations: 70 + 90 at the default 180 Hz).
    pub sample_rate: f64,
    /// The detectors, fitted in order; the first one's reconstructions and the first ConvVae's
    /// latent space are pictured. Two or more also give their rank-mean ensemble.
    pub models: Vec<StudyModel>,
    /// SNRs in dB at which the test beats are scored again with recorded-style noise added
    /// ([`StressNoise`](crate::augment::StressNoise)); empty (the default) for none.
    pub noise_snr_db: Vec<f64>,
    /// A check, not a result: 6 records for P1, 3 + 3 for P2, at most 1,500 training and
    /// 3,000 test beats, one epoch per model.
    pub quick: bool,
    /// The cross-validated design step over the training records
    /// ([`run_design`](super::run_design)); `None` (the default) uses the settings above.
    pub design: Option<DesignConfig>,
    /// Also score every model the ablation's and the other scores' ways (one extra pass of
    /// each model per scoring family, and a table of them). Default: true.
    pub ablation: bool,
}

impl Default for StudyConfig {
    fn default() -> Self {
        // Training length decided by the normal validation beats (early stopping, the
        // library's default cap and patience); the LSTM-AE at its faster rate.
        let training = |learning_rate| TrainingConfig {
            learning_rate,
            ..TrainingConfig::default()
        };
        // The shape fused with the rhythm, both against the normal validation beats: the
        // candidate the design step ([`run_design`](super::run_design)) compares the others
        // against.
        let context = ContextConfig {
            rhythm: true,
            ..ContextConfig::default()
        };
        let model = |name: &str, model, training| StudyModel {
            name: name.into(),
            detector: DetectorConfig {
                model,
                training,
                context,
                ..DetectorConfig::default()
            },
        };
        let lstm = ModelSpec::LstmAutoencoder(LstmAutoencoderConfig::default());
        let vae = ModelSpec::ConvVae(ConvVaeConfig {
            seq: 160,
            ..Default::default()
        });
        Self {
            protocol: StudyProtocol::IntraPatient { fold: 0 },
            seed: 42,
            max_train_beats: 12_000,
            sample_rate: 180.0,
            models: vec![
                model("LSTM-AE", lstm, training(3e-3)),
                model("ConvVae", vae, training(1e-3)),
            ],
            noise_snr_db: Vec::new(),
            quick: false,
            design: None,
            ablation: true,
        }
    }
}

/// Records of `--quick`: P1 on six, P2 on three + three (normal and abnormal beats in each).
const QUICK_P1: [&str; 6] = ["100", "105", "106", "119", "208", "233"];
const QUICK_P2: ([&str; 3], [&str; 3]) = (["106", "119", "101"], ["208", "100", "233"]);

impl StudyConfig {
    /// Checks the settings; [`Error::InvalidArgument`] names the first one out of range:
    /// `sample_rate` an ECG rate ([`check_ecg_fs`](crate::preprocess::check_ecg_fs)),
    /// `max_train_beats >= 8`, at most 64 `noise_snr_db` values, each within -60..=120 dB, 1
    /// to 64 models with distinct names, the protocol's own checks, and each model's detector
    /// configuration as the study fits it ([`DetectorConfig::validate`]).
    pub fn validate(&self) -> Result<()> {
        check_fs(self.sample_rate)?;
        crate::preprocess::check_ecg_fs("sample_rate", self.sample_rate)?;
        if self.max_train_beats < 8 {
            return Err(Error::invalid("max_train_beats", "must be at least 8"));
        }
        if self.noise_snr_db.len() > 64 {
            let msg = format!("{} values; at most 64", self.noise_snr_db.len());
            return Err(Error::invalid("noise_snr_db", msg));
        }
        if let Some(db) = self
            .noise_snr_db
            .iter()
            .find(|db| !(-60.0..=120.0).contains(*db))
        {
            return Err(Error::invalid(
                "noise_snr_db",
                format!("{db} dB is not within -60..=120 dB"),
            ));
        }
        if self.models.len() > 64 {
            let msg = format!("{} models; at most 64", self.models.len());
            return Err(Error::invalid("models", msg));
        }
        if self.models.is_empty() {
            return Err(Error::invalid("models", "no model to fit"));
        }
        for (i, model) in self.models.iter().enumerate() {
            if model.name.trim().is_empty() {
                return Err(Error::invalid("models", format!("model {i} has no name")));
            }
            if self.models[..i]
                .iter()
                .any(|m| m.folder() == model.folder())
            {
                let msg = format!("two models would be saved in {:?}", model.folder());
                return Err(Error::invalid("models", msg));
            }
        }
        if let Some(design) = &self.design {
            design.validate()?;
        }
        let protocol = self.protocol()?;
        for model in &self.models {
            self.detector(model, &protocol)?
                .validate()
                .map_err(|e| Error::invalid("models", format!("model {:?}: {e}", model.name)))?;
        }
        Ok(())
    }

    /// Most training and test beats (`usize::MAX`: all of them).
    pub fn limits(&self) -> (usize, usize) {
        match self.quick {
            true => (self.max_train_beats.min(1_500), 3_000),
            false => (self.max_train_beats, usize::MAX),
        }
    }

    /// The MIT-BIH protocol: its records (fewer when [`quick`](Self::quick)), the seed, and
    /// beats resampled to [`sample_rate`](Self::sample_rate).
    pub fn protocol(&self) -> Result<Protocol> {
        let mut protocol = match self.protocol {
            StudyProtocol::IntraPatient { fold } => Protocol::intra_patient(fold, self.seed),
            StudyProtocol::InterPatient => Protocol::inter_patient(self.seed),
        };
        if self.quick {
            let strings = |r: &[&str]| r.iter().map(|s| s.to_string()).collect();
            protocol.partition = match protocol.partition {
                Partition::NormalFolds { folds, fold, .. } => Partition::NormalFolds {
                    records: strings(&QUICK_P1),
                    folds,
                    fold,
                },
                Partition::ByRecord { .. } => Partition::ByRecord {
                    train: strings(&QUICK_P2.0),
                    test: strings(&QUICK_P2.1),
                },
            };
        }
        protocol.beats = protocol.beats.resampled(MITDB_FS, self.sample_rate)?;
        protocol.validate()?;
        Ok(protocol)
    }

    /// The configuration `model` is fitted with on `protocol`'s beats: its own, with the
    /// study's seed, one epoch when quick, the protocol's lead, a ConvVae's input length set to
    /// the beat length, and the pipeline's rate, filter and window set to the protocol's, so
    /// that the saved detector's [`detect_signal`](crate::detector::Detector::detect_signal)
    /// cuts a raw record's beats as the study did (its R-peak detector and quality check stay).
    pub fn detector(&self, model: &StudyModel, protocol: &Protocol) -> Result<DetectorConfig> {
        let mut config = model.detector.clone();
        let beats = protocol.beats.pipeline(MITDB_FS)?;
        config.pipeline = BeatPipeline {
            resample_to: beats.resample_to,
            filter: beats.filter,
            before_s: beats.before_s,
            after_s: beats.after_s,
            ..config.pipeline
        };
        config.training.seed = self.seed;
        if self.quick {
            config.training.epochs = 1;
        }
        config.lead = Some(protocol.beats.lead.clone());
        if let ModelSpec::ConvVae(vae) = &mut config.model {
            vae.seq = protocol.beats.window.len();
        }
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::ModelKind;

    #[test]
    fn defaults_cut_160_samples_at_180_hz_for_both_models() {
        let config = StudyConfig::default();
        config.validate().unwrap();
        let protocol = config.protocol().unwrap();
        assert_eq!(protocol.beats.window.len(), 160);
        assert_eq!(protocol.beats.resample_to, Some(180.0));
        for model in &config.models {
            let detector = config.detector(model, &protocol).unwrap();
            assert_eq!(detector.pipeline.resample_to, Some(180.0));
            assert_eq!(
                detector.pipeline.window(180.0).unwrap(),
                protocol.beats.window
            );
            assert_eq!(detector.pipeline.filter, protocol.beats.filter);
            assert_eq!(detector.lead.as_deref(), Some("MLII"));
            assert_eq!(detector.training.seed, 42);
        }
        let folders: Vec<String> = config.models.iter().map(StudyModel::folder).collect();
        assert_eq!(folders, ["lstm-ae", "convvae"]);
    }

    #[test]
    fn quick_mode_shrinks_records_beats_and_epochs() {
        let config = StudyConfig {
            protocol: StudyProtocol::InterPatient,
            quick: true,
            sample_rate: 120.0,
            ..StudyConfig::default()
        };
        let protocol = config.protocol().unwrap();
        assert_eq!(protocol.records().len(), 6);
        assert_eq!(config.limits(), (1_500, 3_000));
        let vae = config.detector(&config.models[1], &protocol).unwrap();
        assert_eq!(vae.training.epochs, 1);
        let ModelSpec::ConvVae(c) = &vae.model else {
            panic!("{vae:?}")
        };
        assert_eq!(c.seq, protocol.beats.window.len());
        assert_eq!(c.seq, 47 + 60);
    }

    /// The study configurations the README's lever tables were run with still load, and
    /// differ from the default study only where they say.
    #[test]
    fn the_example_study_configs_load_and_validate() {
        let default = StudyConfig::default();
        for (name, text) in [
            (
                "training_levers",
                include_str!("../../examples/studies/training_levers.json"),
            ),
            (
                "vae_epochs",
                include_str!("../../examples/studies/vae_epochs.json"),
            ),
        ] {
            let config: StudyConfig = serde_json::from_str(text).unwrap();
            config.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                (config.seed, config.max_train_beats, config.sample_rate),
                (default.seed, default.max_train_beats, default.sample_rate),
                "{name}"
            );
            for model in &config.models {
                let base = match model.detector.model.kind() {
                    ModelKind::LstmAutoencoder => &default.models[0].detector,
                    ModelKind::ConvVae => &default.models[1].detector,
                };
                let d = &model.detector;
                // The rate is the study's (`StudyConfig::detector` sets it from the protocol).
                let cut = |p: &BeatPipeline| BeatPipeline {
                    resample_to: None,
                    ..p.clone()
                };
                assert_eq!(
                    (cut(&d.pipeline), &d.context, &d.score, &d.threshold),
                    (
                        cut(&base.pipeline),
                        &base.context,
                        &base.score,
                        &base.threshold
                    ),
                    "{name}: {}",
                    model.name
                );
            }
        }
    }

    #[test]
    fn json_round_trips_and_takes_defaults_and_bad_settings_are_named() {
        let config: StudyConfig =
            serde_json::from_str(r#"{"protocol": {"kind": "inter_patient"}, "seed": 7}"#).unwrap();
        assert_eq!(
            (config.protocol, config.seed),
            (StudyProtocol::InterPatient, 7)
        );
        assert_eq!(config.models.len(), 2);
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<StudyConfig>(&json).unwrap(), config);

        let bad = |config: StudyConfig, name: &str| {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        };
        let mut twice = StudyConfig::default();
        twice.models[1].name = "lstm-ae".into();
        bad(twice, "models");
        bad(
            StudyConfig {
                models: vec![],
                ..Default::default()
            },
            "models",
        );
        let fold = StudyProtocol::IntraPatient { fold: 5 };
        bad(
            StudyConfig {
                protocol: fold,
                ..Default::default()
            },
            "fold",
        );
    }

    #[test]
    fn the_design_settings_are_checked() {
        DesignConfig::default().validate().unwrap();
        assert_eq!(DesignConfig::default().scorings.len(), variants().len());
        let bad = DesignConfig {
            folds: 1,
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("design.folds")
        );
        let none = DesignConfig {
            scorings: vec![],
            ..Default::default()
        };
        assert!(none.validate().is_err());
    }
}
