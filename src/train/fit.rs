//! [`Trainer::fit`]: checks its inputs, then runs burn-train's `Learner` with [`FusedAdam`], the
//! monitor's hooks and the progress bar, and hands back the best-validation weights.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::module::{Module, ModuleDisplay};
use burn::optim::lr_scheduler::LrSchedulerConfig;
use burn::optim::lr_scheduler::constant::ConstantLr;
use burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::optim::lr_scheduler::linear::LinearLrSchedulerConfig;
use burn::optim::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::lr_scheduler::sequential::SequentialLrSchedulerConfig;
use burn::tensor::Device;
use burn::train::logger::InMemoryMetricLogger;
use burn::train::metric::LossMetric;
use burn::train::{ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining};

use super::adam::FusedAdam;
use super::config::{LrSchedule, TrainingConfig};
use super::log::{CsvLog, TrainingHistory};
use super::monitor::{
    Discard, KeepBest, ModelCheckpoints, Monitor, MonitorSettings, StopOnPlateau,
};
use super::progress::ProgressBar;
use super::step::{TrainBatcher, Trainee};
use super::{TrainedModel, Trainer};
use crate::data::batch::{WindowBatcher, WindowDataset};
use crate::model::ReconstructionModel;
use crate::{Error, Result};

impl Trainer {
    /// Trains `model` on `train` (every window, labels unused) and validates each epoch on the
    /// windows of `valid` labelled normal, keeping the weights of the best validation epoch.
    ///
    /// Errors: an empty training set or no normal validation window, windows of different
    /// shapes in the two sets, a model that rejects the windows (e.g. a [`ConvVae`] built for
    /// another length, [`Error::Training`]), augmentation of multi-channel windows, and I/O
    /// errors on the output folder.
    ///
    /// [`ConvVae`]: crate::model::ConvVae
    pub fn fit<M>(
        &self,
        model: M,
        train: &WindowDataset,
        valid: &WindowDataset,
    ) -> Result<TrainedModel<M>>
    where
        M: ReconstructionModel + Module + ModuleDisplay + 'static,
    {
        let started = Instant::now();
        let config = &self.config;
        let (seq, channels) = (train.seq(), train.channels());
        let valid = normal_windows(valid)?;
        self.check_inputs(train, &valid)?;
        let main = self.devices[0].clone();
        let inference = if main.is_autodiff() {
            main.clone().inner()
        } else {
            main.clone()
        };
        let autodiff = inference.clone().autodiff();
        probe(&model, train, &inference)?;

        let csv = match self.output_dir.as_ref().or(config.log_dir.as_ref()) {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                Some(CsvLog::create(dir)?)
            }
            None => None,
        };
        autodiff.seed(config.seed);
        let batcher = TrainBatcher {
            seq,
            channels,
            seed: config.seed,
            augment: config.pipeline()?.map(Arc::new),
            batches: Arc::new(AtomicUsize::new(0)),
        };
        let train_loader = DataLoaderBuilder::new(batcher)
            .batch_size(config.batch_size)
            .shuffle(config.seed)
            .num_workers(config.num_workers)
            .build(train.clone());
        let valid_loader = DataLoaderBuilder::new(WindowBatcher { seq, channels })
            .batch_size(config.batch_size)
            .num_workers(config.num_workers)
            .build(valid);

        let directory = self.output_dir.clone().unwrap_or_else(std::env::temp_dir);
        let training =
            SupervisedTraining::<Trainee<M>>::new(&directory, train_loader, valid_loader);
        let monitor = Monitor::new(
            MonitorSettings {
                epochs: config.epochs,
                patience: config.patience,
                min_delta: config.min_delta,
                quiet: config.quiet,
            },
            csv,
            training.interrupter(),
        );
        let checkpoints = match &self.output_dir {
            Some(dir) => ModelCheckpoints::with_files(&dir.join("checkpoint")),
            None => ModelCheckpoints::default(),
        };
        let strategy = if self.devices.len() > 1 {
            ExecutionStrategy::multi(self.devices.clone(), MultiDeviceOptim::OptimMainDevice)
        } else {
            ExecutionStrategy::single(autodiff.clone())
        };
        let training = training
            .metric_train_numeric(LossMetric::new())
            .metric_valid_numeric(LossMetric::new())
            .with_metric_logger(InMemoryMetricLogger::new())
            .with_application_logger(None)
            .renderer(Box::new(ProgressBar::new(config.quiet)))
            .num_epochs(config.epochs)
            .with_custom_checkpointers(checkpoints.clone(), Discard, Discard)
            .with_checkpointing_strategy(KeepBest {
                monitor: monitor.clone(),
                saved: None,
            })
            .early_stopping(StopOnPlateau(monitor.clone()))
            .with_training_strategy(strategy.into());

        let weight_decay = (config.weight_decay > 0.0).then_some(config.weight_decay as f32);
        let clip_norm = config.gradient_clip_norm.map(|n| n as f32);
        let optimizer = FusedAdam::new(weight_decay).init(clip_norm);
        let trainee = Trainee { model }.fork(&autodiff).train();
        let steps_per_epoch = train.labels().len().div_ceil(config.batch_size);
        let learner = Learner::new(trainee, optimizer, scheduler(config, steps_per_epoch)?);
        let result = training.launch(learner);

        if let Some(error) = result.error {
            return Err(Error::Training(format!("burn-train stopped: {error}")));
        }
        let mut state = monitor.lock();
        if let Some(error) = state.error.take() {
            return Err(error);
        }
        let Some((best_epoch, _)) = state.best else {
            return Err(Error::Training(format!(
                "the validation loss was never finite in {} epochs (diverged?)",
                state.history.len()
            )));
        };
        let record = checkpoints.take(best_epoch).ok_or_else(|| {
            Error::Training(format!(
                "the weights of best epoch {best_epoch} were not kept"
            ))
        })?;
        let trained = result
            .model
            .try_load_record(record)
            .map_err(|e| Error::Training(format!("restoring epoch {best_epoch}: {e:?}")))?
            .valid()
            .to_device(&inference);
        let history = TrainingHistory {
            epochs: std::mem::take(&mut state.history),
            best_epoch,
            stopped_early: state.stopped_early,
        };
        if let Some(dir) = &self.output_dir {
            history.save_json(dir)?;
        }
        if !self.config.quiet {
            eprintln!("{}", history.ending());
        }
        Ok(TrainedModel {
            model: trained.model,
            history,
            wall_time: started.elapsed(),
        })
    }

    fn check_inputs(&self, train: &WindowDataset, valid: &WindowDataset) -> Result<()> {
        if train.labels().is_empty() {
            return Err(Error::invalid("train", "the training set has no window"));
        }
        let (shape, valid_shape) = (
            (train.seq(), train.channels()),
            (valid.seq(), valid.channels()),
        );
        if shape != valid_shape {
            let msg = format!(
                "training windows are {shape:?} (seq, channels), validation windows {valid_shape:?}"
            );
            return Err(Error::invalid("valid", msg));
        }
        if train.channels() > 1 && !self.config.augmentation.is_empty() {
            return Err(Error::invalid(
                "augmentation",
                "augmenting multi-channel windows is not supported (transforms act on one lead)",
            ));
        }
        Ok(())
    }
}

/// The windows of `valid` labelled normal, or an error when there is none.
fn normal_windows(valid: &WindowDataset) -> Result<WindowDataset> {
    let (seq, channels) = (valid.seq(), valid.channels());
    let mut data = Vec::new();
    let mut count = 0;
    for (i, _) in valid.labels().iter().enumerate().filter(|(_, a)| !**a) {
        data.extend_from_slice(valid.window(i).unwrap_or_default());
        count += 1;
    }
    if count == 0 {
        let msg = format!(
            "none of its {} windows is labelled normal",
            valid.labels().len()
        );
        return Err(Error::invalid("valid", msg));
    }
    WindowDataset::new(data, seq, channels, vec![false; count])
}

/// Runs the model once on the first training window, outside autodiff, so a model built for
/// other windows fails here with an error rather than panicking inside the training loop.
fn probe<M: ReconstructionModel + Module>(
    model: &M,
    train: &WindowDataset,
    device: &Device,
) -> Result<()> {
    use burn::data::dataset::Dataset;
    let (seq, channels) = (train.seq(), train.channels());
    let items = train
        .get(0)
        .map(|item| vec![item])
        .map_err(|e| Error::Training(e.to_string()))?;
    let input = WindowBatcher { seq, channels }.batch(items, device).inputs;
    let model = model.valid().to_device(device);
    let outcome = catch_unwind(AssertUnwindSafe(|| model.reconstruct(input).output.dims()));
    match outcome {
        Ok(dims) if dims == [1, seq, channels] => Ok(()),
        Ok(dims) => Err(Error::Training(format!(
            "the model turns a [1, {seq}, {channels}] window into {dims:?}"
        ))),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Error::Training(format!(
                "the model rejects windows of {seq} samples x {channels} channels: {why}"
            )))
        }
    }
}

/// The learning-rate scheduler of `config` for `steps_per_epoch` optimizer steps an epoch.
fn scheduler(config: &TrainingConfig, steps_per_epoch: usize) -> Result<ModuleLrScheduler> {
    let lr = config.learning_rate;
    let LrSchedule::WarmupCosine {
        warmup_epochs,
        final_factor,
    } = config.lr_schedule
    else {
        return Ok(ConstantLr::new(lr).into());
    };
    let steps = steps_per_epoch.max(1);
    let warmup = warmup_epochs * steps;
    let decay = (config.epochs - warmup_epochs).max(1) * steps;
    let cosine = CosineAnnealingLrSchedulerConfig::new(lr, decay).with_min_lr(lr * final_factor);
    let built = match warmup {
        0 => cosine.init(),
        _ => SequentialLrSchedulerConfig::new(
            vec![
                LrSchedulerConfig::Linear(LinearLrSchedulerConfig::new(lr / 10.0, lr, warmup)),
                LrSchedulerConfig::Cosine(cosine),
            ],
            vec![warmup],
        )
        .init(),
    };
    built.map_err(|e| Error::invalid("lr_schedule", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(config: &TrainingConfig, steps_per_epoch: usize) -> Vec<f64> {
        let mut scheduler = scheduler(config, steps_per_epoch).unwrap();
        let steps = config.epochs * steps_per_epoch;
        (0..steps).map(|_| scheduler.step().base()).collect()
    }

    #[test]
    fn warm_up_then_cosine_decay_over_the_run() {
        let config = TrainingConfig {
            learning_rate: 1e-2,
            epochs: 5,
            lr_schedule: LrSchedule::WarmupCosine {
                warmup_epochs: 1,
                final_factor: 0.1,
            },
            ..TrainingConfig::default()
        };
        config.validate().unwrap();
        let lr = rates(&config, 10);
        assert_eq!(lr.len(), 50);
        // Warm-up: from a tenth of the rate, rising every step of the first epoch.
        assert!((lr[0] - 1e-3).abs() < 1e-12, "{}", lr[0]);
        assert!(lr[..10].windows(2).all(|w| w[1] > w[0]), "{:?}", &lr[..10]);
        // Then the full rate, decaying along a cosine to a tenth of it at the last step.
        assert!((lr[10] - 1e-2).abs() < 1e-9, "{}", lr[10]);
        assert!(lr[10..].windows(2).all(|w| w[1] <= w[0]));
        assert!((lr[49] - 1e-3).abs() < 1e-4, "{}", lr[49]);
        // Halfway through the decay the cosine is at its mean.
        assert!((lr[30] - 5.5e-3).abs() < 5e-4, "{}", lr[30]);
    }

    #[test]
    fn the_default_rate_is_constant() {
        let config = TrainingConfig {
            learning_rate: 3e-3,
            epochs: 2,
            ..TrainingConfig::default()
        };
        assert!(rates(&config, 4).iter().all(|&lr| lr == 3e-3));
    }
}
