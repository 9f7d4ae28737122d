//! The fused BatchNorm + LeakyReLU + dropout operation (`model::norm_activation`) against its
//! oracle, Burn's plain ops (`batch_norm_train`, `batch_norm`, `leaky_relu`): outputs, batch
//! statistics and gradients of input, `gamma` and `beta` on random data of several shapes;
//! the dropout mask (rate, scale, reproducibility, gradients through it); the inference op; and
//! a small ConvVae on Flex (fused) against the same weights on ndarray (plain ops), running
//! statistics included.

// The fused operation exists only with the flex backend (`model::norm_activation`).
#![cfg(feature = "flex")]

use std::sync::{Mutex, MutexGuard};

use crate::common::close::{self, values};
use burn::module::Module;
use burn::tensor::activation::leaky_relu;
use burn::tensor::module::{batch_norm, batch_norm_train};
use burn::tensor::{Device, Distribution, Tensor};
use ecg_anomaly::model::norm_activation::{
    NormActivation, dropout_seed, norm_leaky_dropout, scale_shift_leaky, supports,
};
use ecg_anomaly::model::{ConvVaeConfig, ReconstructionModel};

const EPS: f64 = 1e-5;
const SLOPE: f64 = 0.2;
/// Relative tolerance, against the largest magnitude compared.
const TOL: f32 = 1e-4;
/// `[batch, channels, length]`: odd sizes, batch 1 with length > 1, length 1, a wide one.
const SHAPES: [[usize; 3]; 6] = [
    [4, 3, 10],
    [1, 5, 7],
    [3, 8, 33],
    [5, 2, 1],
    [2, 1, 19],
    [16, 32, 40],
];

/// Serialises the tests of this file: Burn's CPU generator is process-wide, so a test that
/// seeds it and draws twice would see draws of a test running beside it.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`close::assert_close`] at [`TOL`].
fn assert_close<const D: usize>(what: &str, a: Tensor<D>, b: Tensor<D>) {
    close::assert_close(what, a, b, TOL);
}

fn normal<const D: usize>(shape: [usize; D], mean: f64, std: f64, device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(mean, std), device)
}

/// Burn's ndarray backend: the plain-ops fallback (the fused op does not run there).
fn ndarray_device() -> Device {
    ecg_anomaly::device::DeviceChoice::NdArray.device().unwrap()
}

fn settings(dropout: f64, seed: u64) -> NormActivation {
    NormActivation {
        epsilon: EPS,
        slope: SLOPE,
        dropout,
        seed,
    }
}

/// Leaves `x`, `gamma`, `beta` of a case, and a weight for a non-uniform output gradient.
fn case(shape: [usize; 3], device: &Device) -> [Tensor<3>; 2] {
    [
        normal(shape, 0.5, 2.0, device),
        normal(shape, 0.0, 1.0, device),
    ]
}

fn params(channels: usize, device: &Device) -> [Tensor<1>; 2] {
    [
        normal([channels], 1.0, 0.5, device),
        normal([channels], 0.0, 0.5, device),
    ]
}

/// Gradients of `(out * weight).sum()` with respect to `x`, `gamma`, `beta`.
fn gradients(
    out: Tensor<3>,
    weight: &Tensor<3>,
    leaves: (&Tensor<3>, &Tensor<1>, &Tensor<1>),
) -> (Tensor<3>, Tensor<1>, Tensor<1>) {
    let grads = (out * weight.clone()).sum().backward();
    (
        leaves.0.grad(&grads).unwrap(),
        leaves.1.grad(&grads).unwrap(),
        leaves.2.grad(&grads).unwrap(),
    )
}

#[test]
fn training_pass_matches_plain_ops_without_dropout() {
    let _serial = serial();
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(11);
    for shape in SHAPES {
        let label = format!("{shape:?}");
        let [x, weight] = case(shape, &device);
        let [gamma, beta] = params(shape[1], &device);
        let (x, gamma, beta) = (x.require_grad(), gamma.require_grad(), beta.require_grad());

        let fused = norm_leaky_dropout(x.clone(), gamma.clone(), beta.clone(), settings(0.0, 1))
            .expect("flex autodiff, f32: fused op applies");
        let plain = batch_norm_train(x.clone(), gamma.clone(), beta.clone(), EPS);
        assert_close(&format!("{label} mean"), fused.mean, plain.mean);
        assert_close(&format!("{label} variance"), fused.variance, plain.variance);
        let plain_out = leaky_relu(plain.output, SLOPE);
        assert_close(
            &format!("{label} output"),
            fused.output.clone(),
            plain_out.clone(),
        );

        let f = gradients(fused.output, &weight, (&x, &gamma, &beta));
        let p = gradients(plain_out, &weight, (&x, &gamma, &beta));
        assert_close(&format!("{label} d x"), f.0, p.0);
        assert_close(&format!("{label} d gamma"), f.1, p.1);
        assert_close(&format!("{label} d beta"), f.2, p.2);
    }
}

#[test]
fn dropout_drops_about_p_scales_the_rest_and_follows_the_seed() {
    let _serial = serial();
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(3);
    let p = 0.3;
    let [x, weight] = case([8, 16, 500], &device);
    let [gamma, beta] = params(16, &device);
    let (x, gamma, beta) = (x.require_grad(), gamma.require_grad(), beta.require_grad());
    let run = |dropout, seed| {
        norm_leaky_dropout(
            x.clone(),
            gamma.clone(),
            beta.clone(),
            settings(dropout, seed),
        )
        .unwrap()
        .output
    };
    let kept_all = values(run(0.0, 1));
    let dropped = run(p, 42);
    let masked = values(dropped.clone());
    let mut zeros = 0;
    for (y, z) in masked.iter().zip(&kept_all) {
        if *y == 0.0 {
            zeros += 1;
        } else {
            let expected = z / (1.0 - p as f32);
            assert!(
                (y - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                "{y} vs {z}"
            );
        }
    }
    let rate = zeros as f64 / masked.len() as f64;
    assert!(
        (rate - p).abs() < 0.01,
        "dropped {rate}, expected about {p}"
    );
    assert_eq!(masked, values(run(p, 42)), "same seed, different mask");
    assert_ne!(masked, values(run(p, 43)), "the seed had no effect");

    // Gradients through the mask: the plain ops times the same mask, as a constant.
    let mask: Vec<f32> = masked
        .iter()
        .map(|y| {
            if *y == 0.0 {
                0.0
            } else {
                1.0 / (1.0 - p as f32)
            }
        })
        .collect();
    let mask = Tensor::<1>::from_floats(mask.as_slice(), &device).reshape([8, 16, 500]);
    let plain = leaky_relu(
        batch_norm_train(x.clone(), gamma.clone(), beta.clone(), EPS).output,
        SLOPE,
    ) * mask;
    let f = gradients(dropped, &weight, (&x, &gamma, &beta));
    let o = gradients(plain, &weight, (&x, &gamma, &beta));
    assert_close("dropout d x", f.0, o.0);
    assert_close("dropout d gamma", f.1, o.1);
    assert_close("dropout d beta", f.2, o.2);
}

#[test]
fn dropout_seed_follows_the_device_seed() {
    let _serial = serial();
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(5);
    let a = (dropout_seed(&device), dropout_seed(&device));
    device.seed(5);
    let b = (dropout_seed(&device), dropout_seed(&device));
    assert_eq!(a, b);
    assert_ne!(a.0, a.1, "two draws gave the same seed");
}

#[test]
fn inference_pass_matches_plain_batch_norm_and_its_gradients() {
    let _serial = serial();
    let inner = ecg_anomaly::device::default_device();
    for device in [inner.clone(), inner.autodiff()] {
        device.seed(9);
        for shape in SHAPES {
            let label = format!("{shape:?} on {device:?}");
            let channels = shape[1];
            let [x, weight] = case(shape, &device);
            let [gamma, beta] = params(channels, &device);
            let mean = normal([channels], 0.3, 0.5, &device);
            let var = normal([channels], 0.0, 1.0, &device).abs() + 0.1;
            let scale = gamma.clone() / var.clone().add_scalar(EPS).sqrt();
            let shift = beta.clone() - mean.clone() * scale.clone();
            let plain = |x, scale: Tensor<1>, shift: Tensor<1>| {
                let per_channel = |t: Tensor<1>| t.reshape([1, channels, 1]);
                leaky_relu(x * per_channel(scale) + per_channel(shift), SLOPE)
            };
            let before = values(x.clone());
            let fused = scale_shift_leaky(x.clone(), scale.clone(), shift.clone(), SLOPE).unwrap();
            let reference = leaky_relu(batch_norm(x.clone(), gamma, beta, mean, var, EPS), SLOPE);
            assert_close(&format!("{label} output"), fused.clone(), reference.clone());
            if !device.is_autodiff() {
                // `x` was shared above, so left alone; held by nothing else, it is overwritten.
                assert_eq!(values(x), before, "{label}: a shared input was overwritten");
                let x = normal(shape, 0.0, 1.0, &device);
                let expected = plain(x.clone(), scale.clone(), shift.clone());
                let in_place = scale_shift_leaky(x, scale, shift, SLOPE).unwrap();
                assert_close(&format!("{label} in place"), in_place, expected);
                continue;
            }
            let (x, scale, shift) = (x.require_grad(), scale.require_grad(), shift.require_grad());
            let fused = scale_shift_leaky(x.clone(), scale.clone(), shift.clone(), SLOPE).unwrap();
            let f = gradients(fused, &weight, (&x, &scale, &shift));
            let o = gradients(
                plain(x.clone(), scale.clone(), shift.clone()),
                &weight,
                (&x, &scale, &shift),
            );
            assert_close(&format!("{label} d x"), f.0, o.0);
            assert_close(&format!("{label} d scale"), f.1, o.1);
            assert_close(&format!("{label} d shift"), f.2, o.2);
        }
    }
}

#[test]
fn applies_on_flex_f32_only() {
    let _serial = serial();
    let flex = ecg_anomaly::device::default_device();
    assert!(supports(&flex, burn::tensor::DType::F32));
    assert!(supports(&flex.clone().autodiff(), burn::tensor::DType::F32));
    assert!(!supports(&flex, burn::tensor::DType::F64));
    let ndarray = ndarray_device();
    assert!(!supports(&ndarray, burn::tensor::DType::F32));
    let x = normal([2, 3, 4], 0.0, 1.0, &ndarray);
    let [gamma, beta] = params(3, &ndarray);
    assert!(norm_leaky_dropout(x.clone(), gamma.clone(), beta.clone(), settings(0.1, 1)).is_err());
    // Mismatched channels and dropout out of range fall back too.
    let x = normal([2, 3, 4], 0.0, 1.0, &flex);
    let [gamma, beta] = params(4, &flex);
    assert!(norm_leaky_dropout(x.clone(), gamma, beta, settings(0.0, 1)).is_err());
    let [gamma, beta] = params(3, &flex);
    assert!(norm_leaky_dropout(x, gamma, beta, settings(1.0, 1)).is_err());
}

/// A small VAE trained one forward on Flex (fused blocks) and on ndarray (Burn's modules, the
/// fallback) from the same weights: training-mode codes and reconstructions, input gradients,
/// and inference after the running statistics moved.
#[test]
fn conv_vae_on_flex_matches_plain_modules_on_ndarray() {
    let _serial = serial();
    let flex = ecg_anomaly::device::default_device().autodiff();
    let ndarray = ndarray_device().autodiff();
    flex.seed(21);
    let config = ConvVaeConfig {
        seq: 40,
        block_channels: vec![4, 8],
        kernel_size: 5,
        dropout: 0.0,
        ..Default::default()
    };
    let vae = config.init(&flex).unwrap();
    // A fresh module on ndarray with the same weights (a clone would share running statistics).
    let twin = config
        .init(&ndarray)
        .unwrap()
        .load_record(vae.clone().into_record())
        .to_device(&ndarray);
    let beats = normal([3, 40, 1], 0.0, 1.0, &flex);
    let run = |vae: &ecg_anomaly::model::ConvVae, device: &Device| {
        let x = beats.clone().to_device(device).require_grad();
        let (mu, log_var) = vae.encode(x.clone());
        let z = Tensor::<2>::ones([3, 16], device).mul_scalar(0.5);
        let out = vae.decode(mu.clone() + z);
        let grads = (out.clone().powi_scalar(2).sum() + log_var.clone().sum()).backward();
        let d_x = x.grad(&grads).unwrap();
        [mu, log_var, out.flatten(1, 2), d_x.flatten(1, 2)]
            .map(|t| t.to_device(&flex.clone().inner()))
    };
    flex.seed(22);
    let fused = run(&vae, &flex);
    flex.seed(22);
    let plain = run(&twin, &ndarray);
    for (what, (f, p)) in ["mu", "log_var", "output", "d input"]
        .iter()
        .zip(fused.into_iter().zip(plain))
    {
        assert_close(what, f, p);
    }
    // Inference reads the running statistics the training forwards updated.
    let infer = |vae: ecg_anomaly::model::ConvVae, device: &Device| {
        let out = vae
            .valid()
            .reconstruct(beats.clone().inner().to_device(device))
            .output;
        out.flatten::<2>(1, 2).to_device(&flex.clone().inner())
    };
    let inner = flex.clone().inner();
    assert_close(
        "inference output",
        infer(vae, &inner),
        infer(twin, &ndarray.clone().inner()),
    );
}
