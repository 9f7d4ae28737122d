//! Training on burn-train's `Learner`: losses fall on synthetic beats for both models, early
//! stopping, repeatability, logs, augmentation, several devices and bad inputs.
//!
//! Data: synthetic ECG at 72 Hz, where the default beat window is 64 samples (28 before the R
//! peak, 36 after), each beat z-scored. Models are small so the file runs in seconds.
#![cfg(feature = "flex")]

use crate::common::close::values;
use burn::tensor::{Device, Tensor, TensorData};
use ecg_anomaly::Error;
use ecg_anomaly::augment::{AmplitudeScale, GaussianNoise};
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::model::{
    ConvVae, ConvVaeConfig, KlWarmup, LstmAutoencoder, LstmAutoencoderConfig, ReconstructionModel,
};
use ecg_anomaly::preprocess::{BeatWindow, Normalization, Normalizer, segment_beats};
use ecg_anomaly::train::{
    AugmentStep, HISTORY_JSON, TRAINING_LOG_CSV, TrainedModel, Trainer, TrainingConfig,
    TrainingHistory,
};

const FS: f64 = 72.0;
const SEQ: usize = 64;

/// Normal and abnormal z-scored beats of one synthetic record: `(normal, abnormal)` flat
/// `[n, 64]` buffers.
fn beats(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let record = generate(&SyntheticConfig {
        fs: FS,
        length: SyntheticLength::Beats(n),
        anomaly_rate: 0.2,
        seed,
        ..Default::default()
    })
    .unwrap();
    let window = BeatWindow::for_fs(FS).unwrap();
    assert_eq!(window.len(), SEQ);
    let cut = |abnormal: bool| {
        let centres: Vec<usize> = record
            .beats
            .iter()
            .filter(|b| b.is_anomaly() == abnormal)
            .map(|b| b.r_peak)
            .collect();
        let mut data = Vec::new();
        for beat in segment_beats(&record.ecg.leads[0], &centres, window)
            .unwrap()
            .iter()
        {
            let start = data.len();
            data.extend_from_slice(beat);
            Normalization::WindowZScore.normalize(&mut data[start..]);
        }
        data
    };
    (cut(false), cut(true))
}

/// A training set of normal beats and a validation set of normal and abnormal ones.
fn datasets(n: usize) -> (WindowDataset, WindowDataset) {
    let (train, _) = beats(n, 1);
    let (normal, abnormal) = beats(n, 2);
    let train = WindowDataset::new(train.clone(), SEQ, 1, vec![false; train.len() / SEQ]).unwrap();
    let mut labels = vec![false; normal.len() / SEQ];
    labels.extend(vec![true; abnormal.len() / SEQ]);
    let valid = WindowDataset::new([normal, abnormal].concat(), SEQ, 1, labels).unwrap();
    (train, valid)
}

fn device() -> Device {
    ecg_anomaly::device::default_device()
}

fn lstm() -> LstmAutoencoder {
    LstmAutoencoderConfig {
        hidden: 16,
        latent: 8,
        ..Default::default()
    }
    .init(&device())
    .unwrap()
}

fn quick(epochs: usize) -> TrainingConfig {
    TrainingConfig {
        learning_rate: 1e-2,
        batch_size: 16,
        epochs,
        patience: None,
        quiet: true,
        ..Default::default()
    }
}

/// Mean loss of `model` over the normal windows of `valid`, in one batch.
fn normal_loss<M: ReconstructionModel>(model: &M, valid: &WindowDataset) -> f64 {
    let normal: Vec<f32> = (0..valid.labels().len())
        .filter(|&i| !valid.labels()[i])
        .flat_map(|i| valid.window(i).unwrap().to_vec())
        .collect();
    let n = normal.len() / SEQ;
    let input = Tensor::<3>::from_data(TensorData::new(normal, [n, SEQ, 1]), &device());
    let r = model.reconstruct(input.clone());
    f64::from(values(model.loss(input, &r))[0])
}

fn losses(history: &TrainingHistory) -> (Vec<f64>, Vec<f64>) {
    let train = history.epochs.iter().map(|e| e.train_loss).collect();
    let valid = history.epochs.iter().map(|e| e.valid_loss).collect();
    (train, valid)
}

#[test]
fn lstm_autoencoder_learns_and_keeps_its_best_epoch() {
    let (train, valid) = datasets(80);
    let config = TrainingConfig {
        batch_size: 8,
        ..quick(12)
    };
    let trained = Trainer::new(config)
        .unwrap()
        .fit(lstm(), &train, &valid)
        .unwrap();
    let (train_losses, valid_losses) = losses(&trained.history);
    println!("LSTM train {train_losses:?}\nLSTM valid {valid_losses:?}");
    assert_eq!(trained.history.epochs.len(), 12);
    assert!(!trained.history.stopped_early);
    let best = *trained.history.best().unwrap();
    assert!(valid_losses.iter().all(|&l| l >= best.valid_loss));
    // With the decoder's time code the small LSTM goes from about 0.65 to 0.1 of the z-scored
    // beats' variance in 12 epochs (without it, it stalled near 0.92).
    assert!(best.valid_loss < 0.4 * valid_losses[0], "{valid_losses:?}");
    assert!(train_losses[11] < 0.4 * train_losses[0], "{train_losses:?}");
    // The returned weights are the best epoch's, in evaluation mode on the CPU: their loss on
    // the normal validation windows is the logged one (which averaged over batches).
    let again = normal_loss(&trained.model, &valid);
    assert!(
        (again - best.valid_loss).abs() <= 1e-4 * best.valid_loss.max(1e-3),
        "{again} vs {}",
        best.valid_loss
    );
    assert!(trained.wall_time.as_secs_f64() >= best.seconds);
}

#[test]
fn conv_vae_learns_with_kl_warm_up() {
    let (train, valid) = datasets(80);
    let vae = ConvVaeConfig {
        seq: SEQ,
        block_channels: vec![8, 16],
        latent: 8,
        dropout: 0.0,
        kl_warmup: KlWarmup { steps: 10 },
        ..Default::default()
    }
    .init(&device())
    .unwrap();
    let trained: TrainedModel<ConvVae> = Trainer::new(quick(8))
        .unwrap()
        .fit(vae, &train, &valid)
        .unwrap();
    let (train_losses, valid_losses) = losses(&trained.history);
    println!("VAE train {train_losses:?}\nVAE valid {valid_losses:?}");
    let best = trained.history.best().unwrap().valid_loss;
    assert!(best < 0.8 * valid_losses[0], "{valid_losses:?}");
    assert!(!trained.model.is_training_on(&device()));
    let again = normal_loss(&trained.model, &valid);
    assert!((again - best).abs() <= 1e-4 * best, "{again} vs {best}");
}

#[test]
fn early_stopping_ends_a_run_that_cannot_improve() {
    let (train, valid) = datasets(24);
    // Learning rate 0: the validation loss is the same every epoch, never an improvement.
    let config = TrainingConfig {
        learning_rate: 0.0,
        patience: Some(2),
        ..quick(10)
    };
    let trained = Trainer::new(config.clone())
        .unwrap()
        .fit(lstm(), &train, &valid)
        .unwrap();
    let h = &trained.history;
    assert_eq!(h.epochs.len(), 3, "{h:?}");
    assert!(h.stopped_early);
    assert_eq!(h.best_epoch, 1);
    assert_eq!(h.epochs[0].valid_loss, h.epochs[2].valid_loss);

    // Without patience the same run goes to the end.
    let config = TrainingConfig {
        patience: None,
        epochs: 3,
        ..config
    };
    let h = Trainer::new(config)
        .unwrap()
        .fit(lstm(), &train, &valid)
        .unwrap()
        .history;
    assert_eq!((h.epochs.len(), h.stopped_early), (3, false));
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let (train, valid) = datasets(40);
    let model = lstm();
    let run = |seed| {
        let config = TrainingConfig { seed, ..quick(3) };
        let t = Trainer::new(config)
            .unwrap()
            .fit(model.clone(), &train, &valid)
            .unwrap();
        let input = Tensor::<3>::from_data(
            TensorData::new(valid.window(0).unwrap().to_vec(), [1, SEQ, 1]),
            &device(),
        );
        (
            values(t.model.reconstruct(input).output),
            losses(&t.history),
        )
    };
    let (a, la) = run(7);
    let (b, lb) = run(7);
    assert_eq!(a, b, "same seed, different weights");
    assert_eq!(la, lb);
    let (c, _) = run(8);
    assert_ne!(a, c, "the seed (shuffling) had no effect");
}

#[test]
fn logs_are_written_one_row_per_epoch() {
    let (train, valid) = datasets(24);
    let dir = crate::common::temp_path("train", "logs");
    // Not quiet: the progress bar and epoch lines run too (captured by the test harness).
    let config = TrainingConfig {
        quiet: false,
        ..quick(3)
    };
    let trained = Trainer::new(config)
        .unwrap()
        .with_output_dir(&dir)
        .fit(lstm(), &train, &valid)
        .unwrap();
    let csv = std::fs::read_to_string(dir.join(TRAINING_LOG_CSV)).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "epoch,train_loss,valid_loss,seconds");
    assert_eq!(lines.len(), 4, "{csv}");
    for (line, log) in lines[1..].iter().zip(&trained.history.epochs) {
        let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields[0] as usize, log.epoch);
        assert_eq!(fields[1], log.train_loss);
        assert_eq!(fields[2], log.valid_loss);
    }
    let json = std::fs::read_to_string(dir.join(HISTORY_JSON)).unwrap();
    let history: TrainingHistory = serde_json::from_str(&json).unwrap();
    assert_eq!(history, trained.history);
    let best = dir.join(format!("checkpoint/model-{}.bpk", history.best_epoch));
    assert!(best.is_file(), "{best:?} missing");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn augmentation_changes_training_and_is_repeatable() {
    let (train, valid) = datasets(40);
    let model = lstm();
    let augmented = TrainingConfig {
        augmentation: vec![
            AugmentStep::new(AmplitudeScale::new(0.7, 1.3).unwrap(), 1.0),
            AugmentStep::new(GaussianNoise::std(0.2).unwrap(), 0.5),
        ],
        ..quick(2)
    };
    let run = |config: &TrainingConfig| {
        let t = Trainer::new(config.clone()).unwrap();
        losses(&t.fit(model.clone(), &train, &valid).unwrap().history)
    };
    let plain = run(&quick(2));
    let a = run(&augmented);
    let b = run(&augmented);
    assert_eq!(a, b, "augmented runs differ");
    assert_ne!(
        a.0, plain.0,
        "augmentation left the training loss unchanged"
    );
}

#[test]
fn trains_on_two_cpu_devices_with_the_multi_device_strategy() {
    let (train, valid) = datasets(40);
    let trained = Trainer::new(quick(3))
        .unwrap()
        .with_devices(vec![Device::flex(), Device::flex()])
        .fit(lstm(), &train, &valid)
        .unwrap();
    let (t, v) = losses(&trained.history);
    println!("two devices: train {t:?} valid {v:?}");
    assert_eq!(t.len(), 3);
    assert!(t.iter().chain(&v).all(|l| l.is_finite()));
    assert!(v[2] < v[0], "{v:?}");
    let again = normal_loss(&trained.model, &valid);
    assert!((again - trained.history.best().unwrap().valid_loss).abs() < 1e-4);
}

#[test]
fn bad_inputs_are_errors() {
    let bad = TrainingConfig {
        batch_size: 0,
        ..quick(1)
    };
    assert!(matches!(
        Trainer::new(bad),
        Err(Error::InvalidArgument {
            name: "batch_size",
            ..
        })
    ));

    let (train, valid) = datasets(24);
    let trainer = Trainer::new(quick(1)).unwrap();
    let empty = WindowDataset::new(Vec::new(), SEQ, 1, Vec::new()).unwrap();
    let err = trainer.fit(lstm(), &empty, &valid).unwrap_err();
    assert!(err.to_string().contains("no window"), "{err}");

    let abnormal_only: Vec<bool> = vec![true; valid.labels().len()];
    let all_abnormal = WindowDataset::new(
        (0..valid.labels().len())
            .flat_map(|i| valid.window(i).unwrap().to_vec())
            .collect(),
        SEQ,
        1,
        abnormal_only,
    )
    .unwrap();
    let err = trainer.fit(lstm(), &train, &all_abnormal).unwrap_err();
    assert!(err.to_string().contains("normal"), "{err}");

    let vae = ConvVaeConfig {
        seq: 128,
        block_channels: vec![4],
        ..Default::default()
    }
    .init(&device())
    .unwrap();
    let err = trainer.fit(vae, &train, &valid).unwrap_err();
    assert!(matches!(err, Error::Training(_)), "{err}");
    assert!(err.to_string().contains("64 samples"), "{err}");
}

/// The trainer's per-step loss: the VAE's KL weight ramps up with the optimizer step, other
/// models keep their plain loss.
#[test]
fn training_loss_follows_the_kl_warm_up() {
    let (train, _) = datasets(24);
    let input = Tensor::<3>::from_data(
        TensorData::new(train.window(0).unwrap().to_vec(), [1, SEQ, 1]),
        &device(),
    );
    let vae = ConvVaeConfig {
        seq: SEQ,
        block_channels: vec![4],
        kl_warmup: KlWarmup { steps: 10 },
        ..Default::default()
    }
    .init(&device())
    .unwrap();
    let r = vae.reconstruct(input.clone());
    let at = |step| f64::from(values(vae.training_loss(input.clone(), &r, step))[0]);
    let terms = vae.loss_at(input.clone(), &r, 5);
    let (mse, kl) = (values(terms.reconstruction)[0], values(terms.kl)[0]);
    assert!(kl > 0.0);
    assert!((at(0) - f64::from(mse)).abs() < 1e-6);
    assert!((at(5) - f64::from(mse + 0.5 * kl)).abs() < 1e-5);
    assert_eq!(at(10), f64::from(values(vae.loss(input.clone(), &r))[0]));

    let model = lstm();
    let r = model.reconstruct(input.clone());
    let plain = values(model.loss(input.clone(), &r));
    assert_eq!(values(model.training_loss(input, &r, 3)), plain);
}
