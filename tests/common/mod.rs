//! Shared helpers for integration tests: temporary folders, the MIT-BIH files, synthetic
//! records and beats, small detector configurations, statistics and closeness checks (of
//! numbers here, of tensors in [`close`]).
#![allow(dead_code)]

#[cfg(feature = "burn")]
pub mod close;
pub mod edf_writer;

use std::path::PathBuf;

/// `ecg-<group>-<process id>-<name>` in the system's temporary folder, with whatever an earlier
/// run left there removed; nothing is created (a detector's `save` makes its own folder).
pub fn temp_path(group: &str, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ecg-{group}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    let _ = std::fs::remove_file(&path);
    path
}

/// An empty folder at [`temp_path`]`(group, name)`.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = temp_path(group, name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The mean of `v`.
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The sample standard deviation of `v` (divided by `n - 1`).
pub fn std(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Asserts `|a - b| <= 1e-12 * max(1, |b|)`: equal but for rounding.
#[track_caller]
pub fn assert_near(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} != {b}");
}

/// Asserts equal lengths and `|a - e| <= tol * max(1, |e|)` element-wise.
#[track_caller]
pub fn assert_all_near(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= tol * e.abs().max(1.0),
            "{actual:?} vs {expected:?}"
        );
    }
}

/// The `mitdb/` folder named by `ECG_DATA_DIR`.
///
/// - unset: prints why the test is skipped and returns `None` (a fresh clone passes `cargo test`);
/// - set but wrong (folder or record 100 missing): panics with a clear message, so CI, which
///   always sets it, fails instead of silently skipping.
pub fn mitdb_dir(test: &str) -> Option<PathBuf> {
    let Some(root) = std::env::var_os(ecg_anomaly::data::DATA_DIR_ENV) else {
        eprintln!(
            "skipped {test}: ECG_DATA_DIR is not set (point it at the folder holding mitdb/, \
             see datasets/README.md)"
        );
        return None;
    };
    let dir = PathBuf::from(root).join("mitdb");
    for file in ["100.hea", "100.dat", "100.atr"] {
        assert!(
            dir.join(file).is_file(),
            "ECG_DATA_DIR is set but {} is missing: download MIT-BIH as datasets/README.md says",
            dir.join(file).display()
        );
    }
    Some(dir)
}

/// `seconds` of synthetic ECG at `fs` Hz with a share `anomaly_rate` of abnormal beats.
pub fn synthetic(
    fs: f64,
    seconds: f64,
    anomaly_rate: f64,
    seed: u64,
) -> ecg_anomaly::data::synthetic::SyntheticEcg {
    use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
    generate(&SyntheticConfig {
        fs,
        length: SyntheticLength::Seconds(seconds),
        anomaly_rate,
        seed,
        ..Default::default()
    })
    .expect("the synthetic ECG's settings are valid")
}

/// A two-lead record, leads called `names`: the first synthetic, the second the same heart
/// seen from elsewhere (inverted, scaled, 3 samples later, on a slow baseline wander that the
/// band-pass removes).
pub fn two_leads(fs: f64, seconds: f64, seed: u64, names: [&str; 2]) -> ecg_anomaly::data::Ecg {
    let a = synthetic(fs, seconds, 0.05, seed).ecg.leads[0].clone();
    let b = (0..a.len())
        .map(|i| {
            let wander = 0.2 * (2.0 * std::f64::consts::PI * 0.3 * i as f64 / fs).sin() as f32;
            -0.6 * a[i.saturating_sub(3)] + wander
        })
        .collect();
    ecg_anomaly::data::Ecg {
        fs,
        lead_names: names.iter().map(|n| n.to_string()).collect(),
        leads: vec![a, b],
    }
}

/// `n` normal synthetic beats recorded at `fs` (generator seed `seed`), cut with the default
/// window (0.39 s before the R peak, 0.5 s after) and each z-scored, as a flat `[n, seq]`
/// buffer (seq = 80 at 90 Hz, 160 at 180 Hz).
pub fn normal_beats(n: usize, fs: f64, seed: u64) -> Vec<f32> {
    use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
    use ecg_anomaly::preprocess::{BeatWindow, Normalization, Normalizer, segment_beats};
    let record = generate(&SyntheticConfig {
        fs,
        length: SyntheticLength::Beats(n + 4),
        seed,
        ..Default::default()
    })
    .unwrap();
    let window = BeatWindow::for_fs(fs).unwrap();
    let centres: Vec<usize> = (record.beats.iter())
        .filter(|b| !b.is_anomaly())
        .map(|b| b.r_peak)
        .collect();
    let segments = segment_beats(&record.ecg.leads[0], &centres, window).unwrap();
    assert!(segments.count() >= n, "only {} beats", segments.count());
    let mut data = Vec::with_capacity(n * window.len());
    for beat in segments.iter().take(n) {
        let start = data.len();
        data.extend_from_slice(beat);
        Normalization::WindowZScore.normalize(&mut data[start..]);
    }
    data
}

/// All 48 MIT-BIH Arrhythmia record names (the library's list).
#[allow(unused_imports)] // Not every test binary that includes this module lists the records.
pub use ecg_anomaly::study::mitbih::ALL_RECORDS as MITDB_RECORDS;

/// An LSTM autoencoder of `hidden` units and a latent code of `latent` (the default is 32);
/// the rest default.
#[cfg(feature = "burn")]
pub fn lstm_spec(hidden: usize, latent: usize) -> ecg_anomaly::detector::ModelSpec {
    use ecg_anomaly::prelude::*;
    ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
        hidden,
        latent,
        ..Default::default()
    })
}

/// A quick detector configuration: [`lstm_spec`]`(hidden, latent)` trained `epochs` epochs in
/// batches of 32 at learning rate 3e-3, quiet; the rest default.
#[cfg(feature = "burn")]
pub fn quick_lstm_config(
    hidden: usize,
    latent: usize,
    epochs: usize,
) -> ecg_anomaly::detector::DetectorConfig {
    use ecg_anomaly::prelude::*;
    DetectorConfig {
        model: lstm_spec(hidden, latent),
        training: TrainingConfig {
            epochs,
            batch_size: 32,
            learning_rate: 3e-3,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A small, fast detector configuration for tests that need a fitted detector quickly: LSTM
/// autoencoder, hidden 16, latent 8, 3 epochs, batch 32, learning rate 3e-3, quiet.
#[cfg(feature = "burn")]
pub fn small_detector_config(seed: u64) -> ecg_anomaly::detector::DetectorConfig {
    let mut config = quick_lstm_config(16, 8, 3);
    config.training.seed = seed;
    config
}

/// The smallest detector configuration that fits: LSTM autoencoder, hidden 8, latent 4, one
/// epoch, quiet (for tests of what is refused or of many configurations).
#[cfg(feature = "burn")]
pub fn tiny_detector_config() -> ecg_anomaly::detector::DetectorConfig {
    use ecg_anomaly::prelude::*;
    DetectorConfig {
        model: lstm_spec(8, 4),
        training: TrainingConfig {
            epochs: 1,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    }
}
