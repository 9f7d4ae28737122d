//! ConvVae at its defaults (one channel, blocks 32-64-128-256, latent 16) on the default device:
//! one training step on a batch of 64 (forward, loss, backward, `FusedAdam` update) and
//! inference on a batch of 256, at 256 and 320 samples per beat. Inputs are random normal
//! (z-scored beats have the same scale; the cost does not depend on the values). Inference is
//! `reconstruct` as a user calls it, which splits the batch over the cores on a CPU as
//! `BatchScorer` does.

use std::hint::black_box;
use std::time::Duration;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ecg_anomaly::model::{ConvVaeConfig, ReconstructionModel};
use ecg_anomaly::train::FusedAdam;

const SEQS: [usize; 2] = [256, 320];

fn training_step(c: &mut Criterion) {
    let device = ecg_anomaly::device::default_device().autodiff();
    let mut group = c.benchmark_group("conv_vae_train_step_batch64");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for seq in SEQS {
        let beats = Tensor::<3>::random([64, seq, 1], Distribution::Normal(0.0, 1.0), &device);
        let mut vae = Some(
            ConvVaeConfig {
                seq,
                ..Default::default()
            }
            .init(&device)
            .unwrap(),
        );
        let mut optimizer = FusedAdam::new(None).init(None);
        group.bench_with_input(BenchmarkId::from_parameter(seq), &beats, |b, beats| {
            b.iter(|| {
                let model = vae.take().unwrap();
                let r = model.reconstruct(beats.clone());
                let loss = model.loss(beats.clone(), &r);
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                vae = Some(optimizer.step(1e-3, model, grads));
            })
        });
    }
    group.finish();
}

fn inference(c: &mut Criterion) {
    let device = ecg_anomaly::device::default_device();
    let mut group = c.benchmark_group("conv_vae_inference_batch256");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    for seq in SEQS {
        let beats = Tensor::<3>::random([256, seq, 1], Distribution::Normal(0.0, 1.0), &device);
        let vae = ConvVaeConfig {
            seq,
            ..Default::default()
        }
        .init(&device)
        .unwrap()
        .valid();
        group.bench_with_input(BenchmarkId::from_parameter(seq), &beats, |b, beats| {
            // Reading the output back forces the computation on lazy backends.
            b.iter(|| black_box(vae.reconstruct(beats.clone()).output.into_data()))
        });
    }
    group.finish();
}

criterion_group!(benches, training_step, inference);
criterion_main!(benches);
