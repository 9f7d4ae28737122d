//! Scoring 100k beats of 256 samples on the default device: reconstruction errors from
//! precomputed inputs and reconstructions (25 batches of 4000), Mahalanobis distances of 100k
//! precomputed 32-dimensional codes, calibration of 100k scores; and the whole path
//! ([`BatchScorer`]: batching, LSTM autoencoder forward, MSE) on 2048 windows.
//! Throughput is in beats.

use std::hint::black_box;
use std::time::Duration;

use burn::tensor::{Distribution, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::device::default_device;
use ecg_anomaly::model::{LstmAutoencoderConfig, Reconstruction};
use ecg_anomaly::score::{
    AnomalyScore, BatchScorer, Calibration, CovarianceRegularization, Mahalanobis,
    ReconstructionError,
};

const BEATS: usize = 100_000;
const BATCH: usize = 4_000;
const SEQ: usize = 256;
const LATENT: usize = 32;

/// Deterministic pseudo-random values in `[-1, 1)`.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn reconstruction_errors(c: &mut Criterion) {
    let device = default_device();
    let input = Tensor::<3>::random([BATCH, SEQ, 1], Distribution::Normal(0.0, 1.0), &device);
    let rec = Reconstruction {
        output: input.clone()
            + Tensor::random([BATCH, SEQ, 1], Distribution::Normal(0.0, 0.1), &device),
        latent: Tensor::zeros([BATCH, LATENT], &device),
        log_var: None,
    };
    let mut group = c.benchmark_group("score_100k_reconstruction");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BEATS as u64));
    for score in [
        ReconstructionError::Mse,
        ReconstructionError::MaxMovingAverage { window: 16 },
    ] {
        group.bench_function(score.name(), |b| {
            b.iter(|| {
                let mut total = 0.0;
                for _ in 0..BEATS / BATCH {
                    total += score.score(&input, &rec).unwrap().scores[0];
                }
                black_box(total)
            })
        });
    }
    group.finish();
}

fn latent_and_calibration(c: &mut Criterion) {
    let train = values(10_000 * LATENT, 1);
    let codes = values(BEATS * LATENT, 2);
    let m = Mahalanobis::fit(&train, LATENT, CovarianceRegularization::default()).unwrap();
    let scores = m.distances(&codes).unwrap();
    let calibration = Calibration::fit(&m.distances(&train).unwrap()).unwrap();
    let mut group = c.benchmark_group("score_100k_host");
    group.throughput(Throughput::Elements(BEATS as u64));
    group.bench_function("mahalanobis_d32", |b| {
        b.iter(|| black_box(m.distances(black_box(&codes)).unwrap()))
    });
    group.bench_function("calibrate", |b| {
        b.iter(|| black_box(calibration.calibrate_all(black_box(&scores))))
    });
    group.finish();
}

fn batch_scorer(c: &mut Criterion) {
    let device = default_device();
    let n = 2048;
    let data: Vec<f32> = values(n * SEQ, 3).into_iter().map(|v| v as f32).collect();
    let data = WindowDataset::new(data, SEQ, 1, vec![false; n]).unwrap();
    let model = LstmAutoencoderConfig::default().init(&device).unwrap();
    let scorer = BatchScorer::default();
    let mut group = c.benchmark_group("batch_scorer_lstm_mse");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("2048x256", |b| {
        b.iter(|| {
            black_box(
                scorer
                    .score(&model, &ReconstructionError::Mse, &data, &device)
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    reconstruction_errors,
    latent_and_calibration,
    batch_scorer
);
criterion_main!(benches);
