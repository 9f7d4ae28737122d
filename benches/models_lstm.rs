//! LSTM autoencoder (default config, one channel) on the default device: a training step
//! (forward, backward, Adam) at batch 64 and inference at batch 256, for 256- and 320-sample
//! windows; plus the fused LSTM layer against `burn::nn::Lstm` (forward + backward).
//! Throughput is in windows. Inference is `reconstruct`, which splits the batch over the cores
//! on a CPU.

use std::hint::black_box;
use std::time::Duration;

use burn::nn::LstmConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecg_anomaly::model::{FusedLstmConfig, LstmAutoencoderConfig, ReconstructionModel};
use ecg_anomaly::train::FusedAdam;

const SEQS: [usize; 2] = [256, 320];

fn windows(batch: usize, seq: usize, device: &Device) -> Tensor<3> {
    Tensor::random([batch, seq, 1], Distribution::Normal(0.0, 1.0), device)
}

/// Reads one value back, so lazy backends finish the work inside the timed loop.
fn sync(t: Tensor<1>) -> f32 {
    t.into_data().iter::<f32>().next().unwrap_or(f32::NAN)
}

fn training_step(c: &mut Criterion) {
    let batch = 64;
    let device = ecg_anomaly::device::default_device().autodiff();
    let mut group = c.benchmark_group("lstm_ae_train_step_b64");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(batch as u64));
    for seq in SEQS {
        let input = windows(batch, seq, &device);
        let mut model = Some(LstmAutoencoderConfig::default().init(&device).unwrap());
        let mut optimizer = FusedAdam::new(None).init(None);
        group.bench_function(BenchmarkId::from_parameter(seq), |b| {
            b.iter(|| {
                let current = model.take().unwrap();
                let r = current.reconstruct(input.clone());
                let loss = current.loss(input.clone(), &r);
                let value = sync(loss.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &current);
                model = Some(optimizer.step(1e-3, current, grads));
                black_box(value)
            })
        });
    }
    group.finish();
}

fn inference(c: &mut Criterion) {
    let batch = 256;
    let device = ecg_anomaly::device::default_device();
    let mut group = c.benchmark_group("lstm_ae_inference_b256");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(batch as u64));
    let model = LstmAutoencoderConfig::default().init(&device).unwrap();
    for seq in SEQS {
        let input = windows(batch, seq, &device);
        group.bench_function(BenchmarkId::from_parameter(seq), |b| {
            b.iter(|| {
                let r = model.reconstruct(input.clone());
                black_box(sync(r.output.sum()))
            })
        });
    }
    group.finish();
}

/// One layer, hidden 64, batch 64, 320 steps: forward and backward of the sum of the outputs.
fn fused_vs_burn_nn(c: &mut Criterion) {
    let (batch, seq, hidden) = (64, 320, 64);
    let device = ecg_anomaly::device::default_device().autodiff();
    let input = windows(batch, seq, &device);
    let fused = FusedLstmConfig {
        d_input: 1,
        d_hidden: hidden,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let reference = LstmConfig::new(1, hidden, true).init(&device);
    let mut group = c.benchmark_group("lstm_layer_fwd_bwd_b64_s320_h64");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("fused", |b| {
        b.iter(|| {
            let (out, _) = fused.forward(input.clone(), None);
            black_box(out.sum().backward())
        })
    });
    group.bench_function("burn_nn", |b| {
        b.iter(|| {
            let (out, _) = reference.forward(input.clone(), None);
            black_box(out.sum().backward())
        })
    });
    group.finish();
}

criterion_group!(benches, training_step, inference, fused_vs_burn_nn);
criterion_main!(benches);
