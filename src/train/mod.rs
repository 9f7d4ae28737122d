//! Training reconstruction models on burn-train's `Learner`.
//!
//! A [`Trainer`] takes a [`TrainingConfig`] (Adam, batches, epochs, early stopping on the
//! validation loss of normal windows, seeded augmentation of training batches) and fits any
//! [`ReconstructionModel`](crate::model::ReconstructionModel) to a training and a validation
//! [`WindowDataset`](crate::data::batch::WindowDataset). It returns a [`TrainedModel`]: the
//! weights of the best validation epoch, in evaluation mode, with the [`TrainingHistory`].
//!
//! ```no_run
//! use ecg_anomaly::model::LstmAutoencoderConfig;
//! use ecg_anomaly::train::{Trainer, TrainingConfig};
//! # fn data() -> ecg_anomaly::data::batch::WindowDataset { unimplemented!() }
//! let (train, valid) = (data(), data());
//! let device = ecg_anomaly::device::default_device();
//! let model = LstmAutoencoderConfig::default().init(&device)?;
//! let trained = Trainer::new(TrainingConfig { epochs: 20, ..Default::default() })?
//!     .with_output_dir("runs/lstm")
//!     .fit(model, &train, &valid)?;
//! println!("best epoch {}", trained.history.best_epoch);
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Repeatability: with the same seed, data, device and at most one data-loader worker, two runs
//! on the CPU give identical weights. Burn's flex generator (dropout, VAE sampling) is
//! process-wide, so runs in parallel threads draw from one stream.

mod adam;
mod config;
mod fit;
mod log;
mod monitor;
mod progress;
mod step;

use std::path::PathBuf;
use std::time::Duration;

use burn::tensor::Device;

pub use adam::FusedAdam;
pub use config::{
    AugmentStep, LrSchedule, MAX_AUGMENT_STEPS, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE,
    MAX_WEIGHT_DECAY, MAX_WORKERS, TrainingConfig, Transform,
};
pub use log::{EpochLog, HISTORY_JSON, TRAINING_LOG_CSV, TrainingHistory};

use crate::Result;

/// Runs trainings with one configuration; see [`Trainer::fit`].
#[derive(Debug, Clone)]
pub struct Trainer {
    config: TrainingConfig,
    output_dir: Option<PathBuf>,
    devices: Vec<Device>,
}

impl Trainer {
    /// A trainer on [`default_device`](crate::device::default_device), writing no files;
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the configuration is out of range.
    pub fn new(config: TrainingConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            output_dir: None,
            devices: vec![crate::device::default_device()],
        })
    }

    /// Writes `training_log.csv` (a row per epoch, as it ends), `history.json` and the best
    /// weights so far (`checkpoint/model-<epoch>.bpk`) into `dir`, created if needed.
    pub fn with_output_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.output_dir = Some(dir.into());
        self
    }

    /// Trains on these devices: one runs alone, several run burn-train's multi-device strategy
    /// (one worker thread per device computes a batch's gradients, the gradients are moved to
    /// the first device, and the optimizer steps there). The model is returned on the first
    /// device, without autodiff. An empty list is ignored. The README's "Several GPUs" section
    /// says how this relates to Burn's distributed data parallel strategy.
    pub fn with_devices(mut self, devices: Vec<Device>) -> Self {
        if !devices.is_empty() {
            self.devices = devices;
        }
        self
    }

    /// The configuration.
    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// The training devices.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }
}

/// The outcome of [`Trainer::fit`].
#[derive(Debug, Clone)]
pub struct TrainedModel<M> {
    /// Weights of the best validation epoch, on the first training device without autodiff,
    /// in evaluation mode (no dropout, deterministic VAE output).
    pub model: M,
    /// Losses and durations of every epoch run.
    pub history: TrainingHistory,
    /// Wall-clock time of the whole call.
    pub wall_time: Duration,
}
