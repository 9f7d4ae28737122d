use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor, TensorData, Tolerance};

use super::*;
use crate::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use crate::preprocess::{BeatWindow, Normalization, Normalizer, segment_beats};

fn random_input(batch: usize, seq: usize, channels: usize, device: &Device) -> Tensor<3> {
    Tensor::random(
        [batch, seq, channels],
        Distribution::Normal(0.0, 1.0),
        device,
    )
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

#[test]
fn output_has_the_input_shape_for_even_and_odd_lengths() {
    let device = crate::device::default_device();
    for seq in [256, 320, 250, 321] {
        for channels in [1, 2] {
            let vae = ConvVaeConfig {
                seq,
                channels,
                ..Default::default()
            }
            .init(&device)
            .unwrap();
            let r = vae.reconstruct(random_input(3, seq, channels, &device));
            assert_eq!(
                r.output.dims(),
                [3, seq, channels],
                "seq {seq}, channels {channels}"
            );
            assert_eq!(r.latent.dims(), [3, 16]);
            assert_eq!(r.log_var.map(|v| v.dims()), Some([3, 16]));
        }
    }
}

#[test]
fn encoder_lengths_halve_rounding_up() {
    // Conv1d, kernel 7, padding 3, stride 2: floor((l + 6 - 7) / 2) + 1 = ceil(l / 2).
    let lengths = |seq| {
        ConvVaeConfig {
            seq,
            ..Default::default()
        }
        .encoder_lengths()
        .unwrap()
    };
    assert_eq!(lengths(320), vec![320, 160, 80, 40, 20]);
    assert_eq!(lengths(256), vec![256, 128, 64, 32, 16]);
    assert_eq!(lengths(321), vec![321, 161, 81, 41, 21]);
    assert_eq!(lengths(250), vec![250, 125, 63, 32, 16]);
    assert!(
        ConvVaeConfig {
            stride: 0,
            ..Default::default()
        }
        .encoder_lengths()
        .is_err()
    );
}

#[test]
fn exact_length_holds_for_other_kernels_and_strides() {
    let device = crate::device::default_device();
    for (kernel, stride) in [(4, 2), (5, 3), (8, 2), (3, 1)] {
        for seq in [97, 100] {
            let vae = ConvVaeConfig {
                seq,
                kernel_size: kernel,
                stride,
                block_channels: vec![4, 8, 8],
                ..Default::default()
            }
            .init(&device)
            .unwrap();
            let out = vae.reconstruct(random_input(2, seq, 1, &device)).output;
            assert_eq!(out.dims(), [2, seq, 1], "kernel {kernel}, stride {stride}");
        }
    }
}

#[test]
fn invalid_settings_and_shapes_are_errors() {
    let device = crate::device::default_device();
    let bad = [
        ConvVaeConfig {
            seq: 0,
            ..Default::default()
        },
        ConvVaeConfig {
            block_channels: vec![],
            ..Default::default()
        },
        ConvVaeConfig {
            block_channels: vec![8, 0],
            ..Default::default()
        },
        ConvVaeConfig {
            dropout: 1.0,
            ..Default::default()
        },
        ConvVaeConfig {
            beta: -1.0,
            ..Default::default()
        },
        ConvVaeConfig {
            latent: 0,
            ..Default::default()
        },
        ConvVaeConfig {
            stride: 0,
            ..Default::default()
        },
        ConvVaeConfig {
            kernel_size: 0,
            ..Default::default()
        },
        ConvVaeConfig {
            leaky_slope: f64::NAN,
            ..Default::default()
        },
    ];
    for config in bad {
        assert!(
            matches!(config.init(&device), Err(Error::InvalidArgument { .. })),
            "{config:?}"
        );
    }
    let vae = ConvVaeConfig {
        seq: 64,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let err = vae
        .try_reconstruct(random_input(2, 65, 1, &device))
        .unwrap_err();
    assert!(err.to_string().contains("[2, 65, 1]"), "{err}");
    assert!(
        vae.try_reconstruct(random_input(2, 64, 2, &device))
            .is_err()
    );
    assert!(vae.try_reconstruct(random_input(2, 64, 1, &device)).is_ok());
}

#[test]
fn inference_is_deterministic_and_training_is_stochastic() {
    let config = ConvVaeConfig {
        seq: 128,
        ..Default::default()
    };
    let plain = crate::device::default_device();
    let input = random_input(4, 128, 1, &plain);

    let vae = config.init(&plain).unwrap();
    assert!(!vae.is_training_on(&plain));
    let (a, b) = (
        vae.reconstruct(input.clone()),
        vae.reconstruct(input.clone()),
    );
    assert_eq!(a.output.to_data(), b.output.to_data());
    // At inference the decoded code is the posterior mean itself.
    assert_eq!(vae.decode(a.latent.clone()).to_data(), a.output.to_data());

    let autodiff = plain.clone().autodiff();
    let trained = config.init(&autodiff).unwrap();
    let input_ad = input.clone().to_device(&autodiff);
    assert!(trained.is_training_on(&autodiff));
    let (a, b) = (
        trained.reconstruct(input_ad.clone()),
        trained.reconstruct(input_ad.clone()),
    );
    assert_ne!(a.output.to_data(), b.output.to_data());

    // `valid` leaves training: the same weights then give the same output twice.
    let valid = trained.valid();
    let (a, b) = (
        valid.reconstruct(input.clone()),
        valid.reconstruct(input.clone()),
    );
    assert_eq!(a.output.to_data(), b.output.to_data());
}

#[test]
fn training_samples_the_latent_even_without_dropout() {
    let device = crate::device::default_device().autodiff();
    let vae = ConvVaeConfig {
        seq: 64,
        dropout: 0.0,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let input = random_input(4, 64, 1, &device);
    let (a, b) = (
        vae.reconstruct(input.clone()),
        vae.reconstruct(input.clone()),
    );
    // No dropout and batch statistics: the encoder is deterministic, the decoded sample is not.
    a.latent
        .to_data()
        .assert_approx_eq::<f32>(&b.latent.to_data(), Tolerance::absolute(1e-6));
    assert_ne!(a.output.to_data(), b.output.to_data());
    // A frozen model decodes the mean even on the autodiff device.
    let frozen = vae.freeze();
    assert!(!frozen.is_training_on(&device));
    let (a, b) = (frozen.reconstruct(input.clone()), frozen.reconstruct(input));
    assert_eq!(a.output.to_data(), b.output.to_data());
}

#[test]
fn kl_matches_hand_computed_values() {
    let device = crate::device::default_device();
    let zeros = Tensor::<2>::zeros([3, 16], &device);
    assert_eq!(values(kl_divergence(zeros.clone(), zeros)), vec![0.0]);

    // Per dimension KL = 0.5 * (mu² + σ² - 1 - ln σ²).
    // Row 1: mu = (1, 2), σ² = (1, 1): 0.5 + 2 = 2.5.
    // Row 2: mu = (0, 0), σ² = (2, 1): 0.5 * (2 - 1 - ln 2) = 0.153426.
    // Mean over the batch: (2.5 + 0.153426) / 2 = 1.326713.
    let mu = Tensor::<2>::from_data(TensorData::from([[1.0f32, 2.0], [0.0, 0.0]]), &device);
    let log_var = Tensor::<2>::from_data(
        TensorData::from([[0.0f32, 0.0], [std::f32::consts::LN_2, 0.0]]),
        &device,
    );
    let kl = values(kl_divergence(mu, log_var))[0];
    assert!((kl - 1.326_713).abs() < 1e-5, "{kl}");
}

#[test]
fn kl_warmup_rises_linearly_to_beta() {
    let warmup = KlWarmup { steps: 4 };
    let weights: Vec<f64> = [0, 1, 2, 4, 10].map(|s| warmup.weight(s)).to_vec();
    assert_eq!(weights, vec![0.0, 0.25, 0.5, 1.0, 1.0]);
    assert_eq!(KlWarmup::default().weight(0), 1.0);

    let vae = ConvVaeConfig {
        seq: 32,
        beta: 0.5,
        kl_warmup: KlWarmup { steps: 10 },
        ..Default::default()
    }
    .init(&crate::device::default_device())
    .unwrap();
    assert_eq!(vae.kl_weight(0), 0.0);
    assert_eq!(vae.kl_weight(5), 0.25);
    assert_eq!(vae.kl_weight(20), 0.5);
}

#[test]
fn loss_is_mse_plus_weighted_kl() {
    let device = crate::device::default_device();
    let vae = ConvVaeConfig {
        seq: 32,
        beta: 2.0,
        kl_warmup: KlWarmup { steps: 4 },
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let input = random_input(3, 32, 1, &device);
    // Output off by 1 everywhere: MSE 1. mu = 1, log_var = 0: KL = 0.5 per dimension, 8 in all.
    let r = Reconstruction {
        output: input.clone().add_scalar(1.0),
        latent: Tensor::ones([3, 16], &device),
        log_var: Some(Tensor::zeros([3, 16], &device)),
    };
    let terms = vae.loss_at(input.clone(), &r, 1);
    assert!((values(terms.reconstruction)[0] - 1.0).abs() < 1e-5);
    assert!((values(terms.kl)[0] - 8.0).abs() < 1e-5);
    assert_eq!(terms.kl_weight, 0.5); // beta 2 at a quarter of the warm-up
    assert!((values(terms.total)[0] - 5.0).abs() < 1e-5);
    // The trait's loss uses the full weight: 1 + 2 * 8.
    assert!((values(vae.loss(input, &r))[0] - 17.0).abs() < 1e-4);
}

/// Hand count of the trainable parameters, layer by layer, for the default blocks and kernel 7,
/// and the BatchNorm running statistics (mean and variance per channel), which
/// `Module::num_params` counts as well.
fn hand_count(seq_after_encoder: usize, channels: usize) -> (usize, usize) {
    let (k, latent) = (7, 16);
    let widths = [channels, 32, 64, 128, 256];
    let conv = |c_in: usize, c_out: usize| c_in * c_out * k + c_out;
    let encoder: usize = (0..4)
        .map(|i| conv(widths[i], widths[i + 1]) + 2 * widths[i + 1])
        .sum();
    let flat = 256 * seq_after_encoder;
    let heads = 2 * (flat * latent + latent);
    let project = latent * flat + flat;
    let decoder: usize = (1..4)
        .map(|i| conv(widths[i + 1], widths[i]) + 2 * widths[i])
        .sum();
    let output = conv(32, channels);
    let running_stats = 2 * (32 + 64 + 128 + 256) + 2 * (128 + 64 + 32);
    (encoder + heads + project + decoder + output, running_stats)
}

#[test]
fn parameter_count_matches_the_layer_arithmetic() {
    let device = crate::device::default_device();
    for (seq, deepest, trainable) in [(320, 20, 855_585), (256, 16, 805_409)] {
        let vae = ConvVaeConfig {
            seq,
            ..Default::default()
        }
        .init(&device)
        .unwrap();
        let n = vae.num_params();
        println!("ConvVae, seq {seq}, 1 channel: {n} parameters ({trainable} trainable)");
        let (hand, running_stats) = hand_count(deepest, 1);
        assert_eq!((hand, running_stats), (trainable, 1408));
        assert_eq!(n, hand + running_stats);
        // 0.60 M in the convolutions (encoder and decoder mirror each other), the rest in the
        // Linear layers, which grow with seq (256 * ceil(seq / 16) inputs to each head): between
        // 0.8 M and 0.9 M for the usual beat lengths.
        assert!((800_000..900_000).contains(&n), "{n}");
    }
    let two = ConvVaeConfig {
        channels: 2,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let (hand, running_stats) = hand_count(20, 2);
    assert_eq!(two.num_params(), hand + running_stats);
}

/// 48 synthetic beats of 320 samples, each z-scored.
fn synthetic_beats(device: &Device) -> Tensor<3> {
    let record = generate(&SyntheticConfig {
        length: SyntheticLength::Beats(60),
        anomaly_rate: 0.0,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let peaks: Vec<usize> = record.beats.iter().map(|b| b.r_peak).collect();
    let window = BeatWindow::for_fs(record.ecg.fs).unwrap();
    let beats = segment_beats(&record.ecg.leads[0], &peaks, window).unwrap();
    assert_eq!(beats.len, 320);
    let mut data: Vec<f32> = beats.data[..48 * 320].to_vec();
    data.chunks_exact_mut(320)
        .for_each(|beat| Normalization::WindowZScore.normalize(beat));
    Tensor::from_data(TensorData::new(data, [48, 320, 1]), device)
}

#[test]
fn adam_lowers_the_loss_on_synthetic_beats() {
    let device = crate::device::default_device().autodiff();
    let beats = synthetic_beats(&device);
    let mut vae = ConvVaeConfig::default().init(&device).unwrap();
    let mut optimizer = AdamConfig::new().init();
    let (mut totals, mut mses) = (Vec::new(), Vec::new());
    let start = std::time::Instant::now();
    for step in 0..20 {
        let r = vae.reconstruct(beats.clone());
        let terms = vae.loss_at(beats.clone(), &r, step);
        totals.push(values(terms.total.clone())[0]);
        mses.push(values(terms.reconstruction)[0]);
        let grads = GradientsParams::from_grads(terms.total.backward(), &vae);
        vae = optimizer.step(1e-3, vae, grads);
    }
    println!(
        "20 Adam steps, batch 48 x 320: {:.2?} per forward/backward/step; totals {totals:?}",
        start.elapsed() / 20
    );
    let tail_mean = |v: &[f32]| v[v.len() - 3..].iter().sum::<f32>() / 3.0;
    assert!(totals.iter().all(|l| l.is_finite()));
    // Both the objective and its reconstruction term fall by more than half (from about 7 and
    // 5 to about 1.5 and 0.7 with this seed).
    assert!(tail_mean(&totals) < 0.5 * totals[0], "total: {totals:?}");
    assert!(tail_mean(&mses) < 0.5 * mses[0], "mse: {mses:?}");
}
