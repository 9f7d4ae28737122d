//! Same seed, same detector: two fits through the public path the examples use
//! (`DetectorConfig::fit_signal`, then `save` and `load`) give bit-identical saved weights and
//! equal scores, for the LSTM autoencoder and for the ConvVae (whose convolutions sum weight
//! gradients over blocks of samples on several threads); a different seed gives different
//! weights, so the comparison can fail. (The
//! weight files themselves differ: burnpack stores each parameter's id, drawn per process run.)
//!
//! One test in its own binary: Burn's CPU generator is process-wide, so a test running in
//! parallel in the same process would draw from it between the two fits.
#![cfg(feature = "burn")]

mod common;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use ecg_anomaly::prelude::*;

/// The bits of every float parameter, in the module's visiting order.
#[derive(Default)]
struct Bits(Vec<u32>);

impl ModuleVisitor for Bits {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let values = param.val().try_to_vec_as::<f32>().unwrap();
        self.0.extend(values.iter().map(|v| v.to_bits()));
    }
}

fn lstm() -> ModelSpec {
    common::lstm_spec(16, 8)
}

fn conv_vae() -> ModelSpec {
    // 112 samples: the default beat window at 125 Hz.
    ModelSpec::ConvVae(ConvVaeConfig {
        seq: 112,
        block_channels: vec![8, 16, 32],
        latent: 8,
        ..Default::default()
    })
}

fn config(model: ModelSpec, seed: u64) -> DetectorConfig {
    DetectorConfig {
        model,
        training: TrainingConfig {
            epochs: 2,
            batch_size: 32,
            seed,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn signal() -> (Vec<f32>, f64) {
    let record = common::synthetic(125.0, 150.0, 0.0, 5);
    (record.ecg.leads[0].clone(), record.ecg.fs)
}

/// Fits, saves, loads, and gives the loaded weights' bits and the scores of the training signal.
fn fit(model: ModelSpec, seed: u64, name: &str) -> (Vec<u32>, Vec<f64>) {
    let device = default_device();
    let (lead, fs) = signal();
    let detector = config(model, seed).fit_signal(&lead, fs, &device).unwrap();
    let dir = common::temp_path("determinism", name);
    detector.save(&dir).unwrap();
    let loaded = Detector::load(&dir, &device).unwrap();
    let mut bits = Bits::default();
    loaded.model().visit(&mut bits);
    assert!(bits.0.len() > 1000, "{} parameters", bits.0.len());
    let scores = loaded
        .detect_signal(&lead, fs)
        .unwrap()
        .iter()
        .map(|v| v.score)
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    (bits.0, scores)
}

#[test]
fn same_seed_gives_identical_weights_and_scores_and_another_seed_does_not() {
    for (name, model) in [("lstm", lstm as fn() -> ModelSpec), ("conv-vae", conv_vae)] {
        let (weights_a, scores_a) = fit(model(), 7, &format!("{name}-a"));
        let (weights_b, scores_b) = fit(model(), 7, &format!("{name}-b"));
        assert!(
            weights_a == weights_b,
            "{name}: same seed, different saved weights"
        );
        assert_eq!(scores_a, scores_b, "{name}: same seed, different scores");
        assert!(
            scores_a.len() > 100,
            "{name}: {} beats scored",
            scores_a.len()
        );
        let (weights_c, scores_c) = fit(model(), 8, &format!("{name}-c"));
        assert!(
            weights_c != weights_a,
            "{name}: another seed gave the same weights"
        );
        assert_ne!(scores_c, scores_a, "{name}");
    }
}
