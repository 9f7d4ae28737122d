//! Training settings: optimiser, batches, epochs, early stopping and augmentation, as one serde
//! value with documented defaults.

use serde::{Deserialize, Serialize};

use crate::augment::{
    AmplitudeScale, Augment, BaselineWander, Compose, GaussianNoise, StressNoise, TimeShift,
    TimeWarp,
};
use crate::{Error, Result};

/// One of the crate's augmentations, as a serde value (`{"AmplitudeScale": {...}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Transform {
    /// Random gain, [`AmplitudeScale`].
    AmplitudeScale(AmplitudeScale),
    /// Slow added sinusoids, [`BaselineWander`].
    BaselineWander(BaselineWander),
    /// Additive white noise, [`GaussianNoise`].
    GaussianNoise(GaussianNoise),
    /// Whole-sample shift, [`TimeShift`].
    TimeShift(TimeShift),
    /// Smooth time warp, [`TimeWarp`].
    TimeWarp(TimeWarp),
    /// Recorded-style noise at a fixed SNR, [`StressNoise`].
    StressNoise(StressNoise),
}

impl Transform {
    fn boxed(&self) -> Box<dyn Augment> {
        match *self {
            Transform::AmplitudeScale(t) => Box::new(t),
            Transform::BaselineWander(t) => Box::new(t),
            Transform::GaussianNoise(t) => Box::new(t),
            Transform::TimeShift(t) => Box::new(t),
            Transform::TimeWarp(t) => Box::new(t),
            Transform::StressNoise(t) => Box::new(t),
        }
    }
}

impl From<AmplitudeScale> for Transform {
    fn from(t: AmplitudeScale) -> Self {
        Transform::AmplitudeScale(t)
    }
}

impl From<BaselineWander> for Transform {
    fn from(t: BaselineWander) -> Self {
        Transform::BaselineWander(t)
    }
}

impl From<GaussianNoise> for Transform {
    fn from(t: GaussianNoise) -> Self {
        Transform::GaussianNoise(t)
    }
}

impl From<TimeShift> for Transform {
    fn from(t: TimeShift) -> Self {
        Transform::TimeShift(t)
    }
}

impl From<StressNoise> for Transform {
    fn from(t: StressNoise) -> Self {
        Transform::StressNoise(t)
    }
}

impl From<TimeWarp> for Transform {
    fn from(t: TimeWarp) -> Self {
        Transform::TimeWarp(t)
    }
}

/// A transformation and the probability (0 to 1) it is applied to each training window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentStep {
    /// What is done to the window.
    pub transform: Transform,
    /// Chance that it is done, drawn per window.
    pub probability: f64,
}

impl AugmentStep {
    /// `transform`, applied with `probability`.
    pub fn new(transform: impl Into<Transform>, probability: f64) -> Self {
        Self {
            transform: transform.into(),
            probability,
        }
    }
}

/// Largest [`TrainingConfig::learning_rate`]: 10 (Adam's steps are about this size per
/// parameter; 1e-3 is usual).
pub const MAX_LEARNING_RATE: f64 = 10.0;
/// Largest [`TrainingConfig::weight_decay`]: 1.
pub const MAX_WEIGHT_DECAY: f64 = 1.0;
/// Largest [`TrainingConfig::batch_size`]: 65 536 windows.
pub const MAX_BATCH_SIZE: usize = 1 << 16;
/// Most [`TrainingConfig::epochs`] (and [`TrainingConfig::patience`]): 100 000.
pub const MAX_EPOCHS: usize = 100_000;
/// Most [`TrainingConfig::num_workers`]: 256 threads.
pub const MAX_WORKERS: usize = 256;
/// Most [`TrainingConfig::augmentation`] steps: 64.
pub const MAX_AUGMENT_STEPS: usize = 64;

/// Settings of a [`Trainer`](super::Trainer). `TrainingConfig::default()` holds the documented
/// defaults; missing fields in JSON take them too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingConfig {
    /// Adam's learning rate, `0..=`[`MAX_LEARNING_RATE`]. Default: `1e-3` (Adam's usual step size).
    pub learning_rate: f64,
    /// L2 penalty added to Adam's gradients, `0..=`[`MAX_WEIGHT_DECAY`]. Default: `0.0` (none).
    pub weight_decay: f64,
    /// Windows per batch, `1..=`[`MAX_BATCH_SIZE`]. Default: 64.
    pub batch_size: usize,
    /// Most epochs to run, `1..=`[`MAX_EPOCHS`]: a cap that early stopping should reach first
    /// (the run says which ended it, [`TrainingHistory::ending`](super::TrainingHistory::ending)).
    /// Default: 100.
    pub epochs: usize,
    /// Seeds shuffling, augmentation and the device's generator (dropout, VAE sampling).
    /// Default: 42.
    pub seed: u64,
    /// Stop after this many epochs without a validation-loss improvement; `None` never stops
    /// early; at most [`MAX_EPOCHS`]. Default: `Some(5)`: the validation loss of normal beats
    /// decides how long a run is, on a few hundred beats as on tens of thousands.
    pub patience: Option<usize>,
    /// How much the validation loss must fall below the best so far to count as an
    /// improvement, finite and `>= 0`. Default: `0.0` (any decrease).
    pub min_delta: f64,
    /// Background threads that batch the training data. 0 batches on the training thread;
    /// runs are bit-for-bit repeatable only with 0 or 1 (several threads deliver batches in
    /// whatever order they finish). At most [`MAX_WORKERS`]. Default: 1.
    pub num_workers: usize,
    /// Augmentation of training batches (never validation ones), applied in order, each step
    /// with its own probability; at most [`MAX_AUGMENT_STEPS`] steps. Default: none.
    pub augmentation: Vec<AugmentStep>,
    /// No progress bar or per-epoch lines on the terminal. Default: false.
    pub quiet: bool,
    /// How the learning rate changes over the run. Default: constant.
    pub lr_schedule: LrSchedule,
    /// Gradients whose L2 norm exceeds this are scaled down to it before each step, finite and
    /// `> 0`; `None` never clips. Default: `None`.
    pub gradient_clip_norm: Option<f64>,
    /// A folder (created) where `training_log.csv` gets a row as each epoch ends, so a long or
    /// interrupted run can be followed from a file. A property of the run, not of the model:
    /// never saved with the configuration nor read from JSON. Default: none.
    #[serde(skip)]
    pub log_dir: Option<std::path::PathBuf>,
}

/// How the learning rate changes over a training run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// [`TrainingConfig::learning_rate`] throughout (the default).
    #[default]
    Constant,
    /// A linear warm-up from a tenth of the learning rate over `warmup_epochs`, then a cosine
    /// decay to `final_factor` times it at the last of [`TrainingConfig::epochs`]. Needs a
    /// learning rate in `(0, 1]`.
    WarmupCosine {
        /// Epochs of warm-up, fewer than the run's epochs (0: none).
        warmup_epochs: usize,
        /// Final learning rate as a share of the initial one, `0..=1`.
        final_factor: f64,
    },
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            weight_decay: 0.0,
            batch_size: 64,
            epochs: 100,
            seed: 42,
            patience: Some(5),
            min_delta: 0.0,
            num_workers: 1,
            augmentation: Vec::new(),
            quiet: false,
            lr_schedule: LrSchedule::Constant,
            gradient_clip_norm: None,
            log_dir: None,
        }
    }
}

impl TrainingConfig {
    /// Checks every setting; [`Error::InvalidArgument`] names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let non_negative = [
            ("learning_rate", self.learning_rate),
            ("weight_decay", self.weight_decay),
            ("min_delta", self.min_delta),
        ];
        for (name, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                let msg = format!("{value}: must be finite and >= 0");
                return Err(Error::invalid(name, msg));
            }
        }
        let upper = [
            ("learning_rate", self.learning_rate, MAX_LEARNING_RATE),
            ("weight_decay", self.weight_decay, MAX_WEIGHT_DECAY),
        ];
        for (name, value, max) in upper {
            if value > max {
                return Err(Error::invalid(name, format!("{value}: at most {max}")));
            }
        }
        let positive = [
            ("batch_size", self.batch_size, MAX_BATCH_SIZE),
            ("epochs", self.epochs, MAX_EPOCHS),
        ];
        for (name, value, max) in positive {
            if !(1..=max).contains(&value) {
                return Err(Error::invalid(name, format!("{value} is not in 1..={max}")));
            }
        }
        if self.patience.is_some_and(|p| p > MAX_EPOCHS) {
            let msg = format!("{:?}: at most {MAX_EPOCHS} epochs", self.patience);
            return Err(Error::invalid("patience", msg));
        }
        if self.num_workers > MAX_WORKERS {
            let msg = format!("{}: at most {MAX_WORKERS}", self.num_workers);
            return Err(Error::invalid("num_workers", msg));
        }
        if self.augmentation.len() > MAX_AUGMENT_STEPS {
            let msg = format!(
                "{} steps: at most {MAX_AUGMENT_STEPS}",
                self.augmentation.len()
            );
            return Err(Error::invalid("augmentation", msg));
        }
        if self.patience == Some(0) {
            return Err(Error::invalid(
                "patience",
                "must be at least 1 epoch (None disables early stopping)",
            ));
        }
        if let Some(norm) = self.gradient_clip_norm
            && !(norm.is_finite() && norm > 0.0)
        {
            let msg = format!("{norm}: must be finite and > 0 (None does not clip)");
            return Err(Error::invalid("gradient_clip_norm", msg));
        }
        if let LrSchedule::WarmupCosine {
            warmup_epochs,
            final_factor,
        } = self.lr_schedule
        {
            if warmup_epochs >= self.epochs {
                let msg = format!("{warmup_epochs} warm-up epochs of {} in all", self.epochs);
                return Err(Error::invalid("lr_schedule.warmup_epochs", msg));
            }
            if !(0.0..=1.0).contains(&final_factor) {
                let msg = format!("{final_factor} is not in [0, 1]");
                return Err(Error::invalid("lr_schedule.final_factor", msg));
            }
            if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
                let msg = format!("{}: a schedule needs it in (0, 1]", self.learning_rate);
                return Err(Error::invalid("learning_rate", msg));
            }
        }
        for (i, step) in self.augmentation.iter().enumerate() {
            if !(0.0..=1.0).contains(&step.probability) {
                let msg = format!("step {i}: probability {} must be 0 to 1", step.probability);
                return Err(Error::invalid("augmentation", msg));
            }
            let checked = match step.transform {
                Transform::AmplitudeScale(t) => {
                    let (low, high) = t.range();
                    AmplitudeScale::new(low, high).map(drop)
                }
                Transform::BaselineWander(t) => t.validate(),
                Transform::GaussianNoise(t) => t.validate(),
                Transform::TimeShift(t) => t.validate(),
                Transform::TimeWarp(t) => t.validate(),
                Transform::StressNoise(t) => t.validate(),
            };
            checked.map_err(|e| Error::invalid("augmentation", format!("step {i}: {e}")))?;
        }
        Ok(())
    }

    /// The augmentation pipeline, or `None` when there is no step.
    pub(crate) fn pipeline(&self) -> Result<Option<Compose>> {
        if self.augmentation.is_empty() {
            return Ok(None);
        }
        let mut compose = Compose::new();
        for step in &self.augmentation {
            compose.push(step.probability, step.transform.boxed())?;
        }
        Ok(Some(compose))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_fill_missing_json_fields() {
        let config: TrainingConfig = serde_json::from_str(r#"{"epochs": 3}"#).unwrap();
        assert_eq!(config.epochs, 3);
        assert_eq!(config.learning_rate, 1e-3);
        assert_eq!(config.batch_size, 64);
        assert_eq!(config.patience, Some(5));
        assert_eq!(TrainingConfig::default().epochs, 100);
        assert_eq!(config.num_workers, 1);
        assert!(config.augmentation.is_empty() && !config.quiet);
        config.validate().unwrap();
    }

    #[test]
    fn augmentation_round_trips_through_json() {
        let config = TrainingConfig {
            augmentation: vec![
                AugmentStep::new(AmplitudeScale::new(0.9, 1.1).unwrap(), 0.5),
                AugmentStep::new(GaussianNoise::std(0.01).unwrap(), 1.0),
            ],
            ..Default::default()
        };
        let json = serde_json::to_string(&config).unwrap();
        let back: TrainingConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.pipeline().unwrap().unwrap().len(), 2);
    }

    #[test]
    fn sizes_have_upper_bounds_and_deserialised_augmentations_are_checked() {
        let huge = 1_000_000_000_000usize;
        let cases: [(&str, TrainingConfig); 6] = [
            (
                "batch_size",
                TrainingConfig {
                    batch_size: huge,
                    ..Default::default()
                },
            ),
            (
                "epochs",
                TrainingConfig {
                    epochs: huge,
                    ..Default::default()
                },
            ),
            (
                "patience",
                TrainingConfig {
                    patience: Some(huge),
                    ..Default::default()
                },
            ),
            (
                "num_workers",
                TrainingConfig {
                    num_workers: huge,
                    ..Default::default()
                },
            ),
            (
                "learning_rate",
                TrainingConfig {
                    learning_rate: 1e300,
                    ..Default::default()
                },
            ),
            (
                "weight_decay",
                TrainingConfig {
                    weight_decay: 2.0,
                    ..Default::default()
                },
            ),
        ];
        for (name, config) in cases {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
        TrainingConfig {
            batch_size: MAX_BATCH_SIZE,
            epochs: MAX_EPOCHS,
            ..Default::default()
        }
        .validate()
        .unwrap();
        // A transform's fields read from JSON skip its constructor's checks: validate() has them.
        let config = TrainingConfig {
            augmentation: vec![AugmentStep::new(GaussianNoise::std(0.01).unwrap(), 1.0)],
            ..Default::default()
        };
        let json = serde_json::to_string(&config).unwrap();
        assert!(json.contains("0.01"), "{json}");
        let bad: TrainingConfig = serde_json::from_str(&json.replace("0.01", "-5.0")).unwrap();
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("augmentation") && err.contains("std"), "{err}");
    }

    #[test]
    fn out_of_range_settings_are_named() {
        let cases: [(&str, TrainingConfig); 8] = [
            (
                "gradient_clip_norm",
                TrainingConfig {
                    gradient_clip_norm: Some(0.0),
                    ..Default::default()
                },
            ),
            (
                "warmup_epochs",
                TrainingConfig {
                    epochs: 3,
                    lr_schedule: LrSchedule::WarmupCosine {
                        warmup_epochs: 3,
                        final_factor: 0.1,
                    },
                    ..Default::default()
                },
            ),
            (
                "final_factor",
                TrainingConfig {
                    lr_schedule: LrSchedule::WarmupCosine {
                        warmup_epochs: 1,
                        final_factor: 1.5,
                    },
                    ..Default::default()
                },
            ),
            (
                "batch_size",
                TrainingConfig {
                    batch_size: 0,
                    ..Default::default()
                },
            ),
            (
                "epochs",
                TrainingConfig {
                    epochs: 0,
                    ..Default::default()
                },
            ),
            (
                "learning_rate",
                TrainingConfig {
                    learning_rate: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "patience",
                TrainingConfig {
                    patience: Some(0),
                    ..Default::default()
                },
            ),
            (
                "augmentation",
                TrainingConfig {
                    augmentation: vec![AugmentStep::new(TimeWarp::new(0.1).unwrap(), 1.5)],
                    ..Default::default()
                },
            ),
        ];
        for (name, config) in cases {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{name}: {err}");
        }
    }
}
