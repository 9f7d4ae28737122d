//! The same model type on every backend compiled in: weights made on the CPU (flex) and moved to
//! another device give the same forward output there, and a few Adam steps train there.
//!
//! The other backends are tested when their features are on (`cargo test --features
//! wgpu,ndarray`, as `.ci/run` does). wgpu then needs a Vulkan, Metal or DX12 driver: CI installs
//! Mesa's software Vulkan (`mesa-vulkan-drivers`, llvmpipe). A missing driver fails the test; it
//! does not skip it.
//!
//! Tolerance: the backends sum in different orders (tiled GPU matmuls, other reduction trees), so
//! outputs of order 1 agree to rounding, not bit for bit. We require max |difference| <= 1e-4 for
//! a forward pass and <= 1e-3 after five Adam steps trained side by side (learning rate 1e-3:
//! each step moves a weight by up to 1e-3, so a differently rounded gradient changes little).
#![cfg(feature = "flex")]

use crate::common::close::values;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::model::{ConvVaeConfig, LstmAutoencoderConfig, ReconstructionModel};
use ecg_anomaly::train::FusedAdam;

const FORWARD_TOLERANCE: f32 = 1e-4;
const TRAINED_TOLERANCE: f32 = 1e-3;

/// The backends to compare with flex in this build.
fn other_devices() -> Vec<(DeviceChoice, Device)> {
    let mut devices = Vec::new();
    if cfg!(feature = "ndarray") {
        devices.push(DeviceChoice::NdArray);
    }
    if cfg!(feature = "wgpu") {
        devices.push("wgpu".parse().unwrap());
    }
    devices
        .into_iter()
        .map(|c| (c, c.device().expect("compiled in")))
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The beats every test here trains on: `n` normal synthetic beats at `fs`, z-scored, flat.
fn beats(n: usize, fs: f64) -> Vec<f32> {
    crate::common::normal_beats(n, fs, 5)
}

fn tensor(data: &[f32], n: usize, device: &Device) -> Tensor<3> {
    let len = data.len() / n;
    Tensor::from_data(TensorData::new(data.to_vec(), [n, len, 1]), device)
}

#[test]
fn lstm_autoencoder_agrees_with_flex_before_and_after_training() {
    let flex = Device::flex();
    let data = beats(8, 90.0);
    let config = LstmAutoencoderConfig {
        hidden: 16,
        latent: 8,
        ..Default::default()
    };
    let model = config.init(&flex).unwrap();
    let reference = values(model.reconstruct(tensor(&data, 8, &flex)).output);

    for (choice, device) in other_devices() {
        let moved = model.clone().to_device(&device);
        let output = values(moved.reconstruct(tensor(&data, 8, &device)).output);
        let diff = max_abs_diff(&reference, &output);
        println!("LSTM-AE forward, flex vs {choice}: max |diff| = {diff:.2e}");
        assert!(diff <= FORWARD_TOLERANCE, "{choice}: {diff}");

        // Five Adam steps side by side, no dropout: deterministic on both devices. `FusedAdam`
        // runs its one-pass update on flex and Burn's `Adam` on the other backend.
        let train = |device: Device| {
            let device = device.autodiff();
            let mut m = model.clone().fork(&device).train();
            let mut optimizer = FusedAdam::new(None).init(None);
            let input = tensor(&data, 8, &device);
            let mut losses = Vec::new();
            for _ in 0..5 {
                let r = m.reconstruct(input.clone());
                let loss = m.loss(input.clone(), &r);
                losses.push(values(loss.clone())[0]);
                let grads = GradientsParams::from_grads(loss.backward(), &m);
                m = optimizer.step(1e-3, m, grads);
            }
            (m.valid(), losses)
        };
        let (on_flex, flex_losses) = train(flex.clone());
        let (on_other, other_losses) = train(device.clone());
        assert!(
            other_losses.iter().all(|l| l.is_finite()) && other_losses[4] < other_losses[0],
            "{choice} did not train: {other_losses:?}"
        );
        let loss_diff = max_abs_diff(&flex_losses, &other_losses);
        assert!(
            loss_diff <= TRAINED_TOLERANCE,
            "{choice} losses: {loss_diff}"
        );
        let a = values(on_flex.reconstruct(tensor(&data, 8, &flex)).output);
        let b = values(on_other.reconstruct(tensor(&data, 8, &device)).output);
        let diff = max_abs_diff(&a, &b);
        println!("LSTM-AE after 5 Adam steps, flex vs {choice}: max |diff| = {diff:.2e}");
        assert!(diff <= TRAINED_TOLERANCE, "{choice}: {diff}");
    }
}

#[test]
fn conv_vae_agrees_with_flex_at_inference() {
    let flex = Device::flex();
    let data = beats(8, 180.0);
    let config = ConvVaeConfig {
        seq: 160,
        ..Default::default()
    };
    let model = config.init(&flex).unwrap();
    let reference = model.reconstruct(tensor(&data, 8, &flex));
    let (out, latent) = (values(reference.output), values(reference.latent));

    for (choice, device) in other_devices() {
        let moved = model.clone().to_device(&device);
        let r = moved.reconstruct(tensor(&data, 8, &device));
        let out_diff = max_abs_diff(&out, &values(r.output));
        let latent_diff = max_abs_diff(&latent, &values(r.latent));
        println!("ConvVae forward, flex vs {choice}: output {out_diff:.2e}, mu {latent_diff:.2e}");
        assert!(out_diff <= FORWARD_TOLERANCE, "{choice}: {out_diff}");
        assert!(latent_diff <= FORWARD_TOLERANCE, "{choice}: {latent_diff}");
    }
}

/// Training samples the latent from each device's own generator, so runs on two backends
/// differ; what must hold is that the VAE trains on each (BatchNorm, dropout, sampling,
/// backward). ndarray is left out: its transposed convolution runs direct loops (about 170x
/// slower than flex), and its forward agreement is checked above.
#[test]
fn conv_vae_trains_on_every_fast_backend() {
    let data = beats(16, 180.0);
    let mut devices = vec![(DeviceChoice::Flex, Device::flex())];
    devices.extend(
        other_devices()
            .into_iter()
            .filter(|(c, _)| *c != DeviceChoice::NdArray),
    );
    for (choice, device) in devices {
        let device = device.autodiff();
        device.seed(2);
        let mut m = ConvVaeConfig {
            seq: 160,
            ..Default::default()
        }
        .init(&device)
        .unwrap();
        let mut optimizer = FusedAdam::new(None).init(None);
        let input = tensor(&data, 16, &device);
        let mut losses = Vec::new();
        for _ in 0..12 {
            let r = m.reconstruct(input.clone());
            let loss = m.loss(input.clone(), &r);
            losses.push(values(loss.clone())[0]);
            let grads = GradientsParams::from_grads(loss.backward(), &m);
            m = optimizer.step(1e-3, m, grads);
        }
        println!("ConvVae losses on {choice}: {losses:?}");
        assert!(losses.iter().all(|l| l.is_finite()), "{choice}: {losses:?}");
        let late = losses[9..].iter().sum::<f32>() / 3.0;
        assert!(late < losses[0], "{choice} did not train: {losses:?}");
    }
}
