//! Inference split over threads (`model::parallel`): the same reconstruction, row for row, as
//! one call, for both models; the batch scorer's scores do not depend on its thread count.
#![cfg(feature = "burn")]

use crate::common::close::values;
use burn::tensor::{Distribution, Tensor};
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::device::default_device;
use ecg_anomaly::model::parallel::{reconstruct_split, split_rows, splits_on};
use ecg_anomaly::model::{
    ConvVaeConfig, LstmAutoencoderConfig, Reconstruction, ReconstructionModel,
};
use ecg_anomaly::score::{BatchScorer, ReconstructionError};

fn assert_same(a: Reconstruction, b: Reconstruction) {
    let (x, y) = (a.output, b.output);
    assert_eq!(x.dims(), y.dims());
    let diff = values(x)
        .iter()
        .zip(values(y))
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-5, "outputs differ by {diff}");
    assert_eq!(
        values(a.latent.clone()).len(),
        values(b.latent.clone()).len()
    );
    let diff = values(a.latent)
        .iter()
        .zip(values(b.latent))
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-5, "latents differ by {diff}");
    assert_eq!(a.log_var.is_some(), b.log_var.is_some());
    if let (Some(x), Some(y)) = (a.log_var, b.log_var) {
        assert_eq!(values(x).len(), values(y).len());
    }
}

/// A ConvVae for 64-sample windows with two small blocks.
fn small_vae(device: &burn::tensor::Device) -> ecg_anomaly::model::ConvVae {
    ConvVaeConfig {
        seq: 64,
        block_channels: vec![8, 16],
        ..Default::default()
    }
    .init(device)
    .unwrap()
}

#[test]
fn a_split_batch_gives_the_same_reconstruction() {
    let device = default_device();
    assert!(splits_on(&device));
    assert!(!splits_on(&device.clone().autodiff()));
    device.seed(3);
    // 70 rows: blocks of 24, 23, 23 on three threads (uneven on purpose).
    let input: Tensor<3> = Tensor::random([70, 64, 1], Distribution::Normal(0.0, 1.0), &device);
    let lstm = LstmAutoencoderConfig {
        hidden: 16,
        latent: 8,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    assert_same(
        reconstruct_split(&lstm, input.clone(), 3),
        lstm.reconstruct(input.clone()),
    );
    let vae = small_vae(&device);
    let split = reconstruct_split(&vae, input.clone(), 2);
    assert!(split.log_var.is_some());
    assert_same(split, vae.reconstruct(input.clone()));
    // Too few rows to split: one call.
    let small = input.slice([0..10, 0..64, 0..1]);
    assert_same(
        reconstruct_split(&lstm, small.clone(), 2),
        lstm.reconstruct(small),
    );
}

#[test]
fn scores_do_not_depend_on_the_thread_count() {
    let device = default_device();
    device.seed(4);
    let model = LstmAutoencoderConfig {
        hidden: 8,
        latent: 4,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let (n, seq) = (90, 32);
    let data = (0..n * seq)
        .map(|i| ((i % seq) as f32 * 0.3 + (i / seq) as f32).sin())
        .collect();
    let data = WindowDataset::new(data, seq, 1, vec![false; n]).unwrap();
    let score = ReconstructionError::Mse;
    let one = BatchScorer::new(64).unwrap().with_threads(1).unwrap();
    let two = one.with_threads(2).unwrap();
    let a = one.score(&model, &score, &data, &device).unwrap();
    let b = two.score(&model, &score, &data, &device).unwrap();
    assert_eq!(a.len(), n);
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6));
    assert!(one.with_threads(0).is_err());
}

/// A model that reconstructs through [`split_rows`] and notes the threads it ran on.
struct Recording {
    threads: std::sync::Mutex<Vec<std::thread::ThreadId>>,
}

impl ReconstructionModel for Recording {
    fn reconstruct(&self, input: Tensor<3>) -> Reconstruction {
        split_rows(input, 2, |block| {
            self.threads
                .lock()
                .unwrap()
                .push(std::thread::current().id());
            // A split inside a block runs on the block's thread.
            split_rows(block.clone(), 2, |inner| {
                self.threads
                    .lock()
                    .unwrap()
                    .push(std::thread::current().id());
                let [n, ..] = inner.dims();
                Reconstruction {
                    latent: Tensor::zeros([n, 1], &inner.device()),
                    output: inner,
                    log_var: None,
                }
            })
        })
    }

    fn loss(&self, input: Tensor<3>, _: &Reconstruction) -> Tensor<1> {
        input.sum().reshape([1])
    }
}

/// How many threads `seen` names, when it names each exactly twice (a block and the split
/// inside it on one thread); 0 otherwise.
fn twice_each(seen: &[std::thread::ThreadId]) -> usize {
    let mut distinct = seen.to_vec();
    distinct.sort_by_key(|id| format!("{id:?}"));
    distinct.dedup();
    let twice = distinct
        .iter()
        .all(|id| seen.iter().filter(|s| *s == id).count() == 2);
    if twice { distinct.len() } else { 0 }
}

#[test]
fn models_split_themselves_once_and_the_callers_thread_count_wins() {
    let device = default_device();
    let input: Tensor<3> = Tensor::random([64, 8, 1], Distribution::Normal(0.0, 1.0), &device);
    let model = Recording {
        threads: Default::default(),
    };
    let here = std::thread::current().id();
    let threads = |model: &Recording| std::mem::take(&mut *model.threads.lock().unwrap());

    // Alone: two blocks on two new threads, each block's inner split on its own thread.
    let rec = model.reconstruct(input.clone());
    assert_eq!(values(rec.output), values(input.clone()));
    let seen = threads(&model);
    assert!(seen.iter().all(|id| *id != here));
    assert_eq!(twice_each(&seen), 2, "{seen:?}");

    // Through reconstruct_split with one thread: everything on the caller's thread.
    reconstruct_split(&model, input.clone(), 1);
    assert!(threads(&model).iter().all(|id| *id == here));
    // With two: the caller's split only; the model's own runs inline in each block.
    reconstruct_split(&model, input.clone(), 2);
    assert_eq!(twice_each(&threads(&model)), 2);
    // And the mark is gone again: the model splits itself on the next call.
    model.reconstruct(input);
    assert!(threads(&model).iter().all(|id| *id != here));
}

#[test]
fn a_whole_batch_reconstruction_is_the_scorers() {
    let device = default_device();
    device.seed(5);
    let input: Tensor<3> = Tensor::random([96, 64, 1], Distribution::Normal(0.0, 1.0), &device);
    let vae = small_vae(&device);
    // The model splits itself over the machine's threads, as the scorer does by default.
    let threads = ecg_anomaly::model::parallel::default_threads();
    let (a, b) = (
        vae.reconstruct(input.clone()),
        reconstruct_split(&vae, input, threads),
    );
    assert_eq!(values(a.output), values(b.output));
    assert_eq!(values(a.latent), values(b.latent));
}
