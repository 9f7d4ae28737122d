//! Inference split over threads (`model::parallel`): the same reconstruction, row for row, as
//! one call, for both models; the batch scorer's scores do not depend on its thread count.
#![cfg(feature = "burn")]

use burn::tensor::{Distribution, Tensor};
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::device::default_device;
use ecg_anomaly::model::parallel::{reconstruct_split, splits_on};
use ecg_anomaly::model::{
    ConvVaeConfig, LstmAutoencoderConfig, Reconstruction, ReconstructionModel,
};
use ecg_anomaly::score::{BatchScorer, ReconstructionError};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_same(a: Reconstruction, b: Reconstruction) {
    for (x, y) in [(a.output, b.output)] {
        assert_eq!(x.dims(), y.dims());
        let diff = values(x)
            .iter()
            .zip(values(y))
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max);
        assert!(diff < 1e-5, "outputs differ by {diff}");
    }
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
    let vae = ConvVaeConfig {
        seq: 64,
        block_channels: vec![8, 16],
        ..Default::default()
    }
    .init(&device)
    .unwrap();
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
