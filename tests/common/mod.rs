//! Shared helpers for integration tests: the MIT-BIH files, and comparing tensors.
#![allow(dead_code)]

#[cfg(feature = "burn")]
pub mod close;

use std::path::PathBuf;

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

/// All 48 MIT-BIH Arrhythmia record names (the library's list).
#[allow(unused_imports)] // Not every test binary that includes this module lists the records.
pub use ecg_anomaly::study::mitbih::ALL_RECORDS as MITDB_RECORDS;

/// A small, fast detector configuration for tests that need a fitted detector quickly: LSTM
/// autoencoder, hidden 16, latent 8, 3 epochs, batch 32, learning rate 3e-3, quiet.
#[cfg(feature = "burn")]
pub fn small_detector_config(seed: u64) -> ecg_anomaly::detector::DetectorConfig {
    use ecg_anomaly::prelude::*;
    DetectorConfig {
        model: ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
            hidden: 16,
            latent: 8,
            ..Default::default()
        }),
        training: TrainingConfig {
            epochs: 3,
            batch_size: 32,
            learning_rate: 3e-3,
            seed,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The smallest detector configuration that fits: LSTM autoencoder, hidden 8, latent 4, one
/// epoch, quiet (for tests of what is refused or of many configurations).
#[cfg(feature = "burn")]
pub fn tiny_detector_config() -> ecg_anomaly::detector::DetectorConfig {
    use ecg_anomaly::prelude::*;
    DetectorConfig {
        model: ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
            hidden: 8,
            latent: 4,
            ..Default::default()
        }),
        training: TrainingConfig {
            epochs: 1,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    }
}
