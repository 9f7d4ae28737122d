//! The detector: configured ([`DetectorConfig`]), fitted ([`DetectorConfig::fit`]), saved and
//! loaded as one folder, and applied ([`Detector::detect`], [`Detector::detect_signal`]).
//!
//! ```no_run
//! use ecg_anomaly::prelude::*;
//! # fn signal() -> (Vec<f32>, f64) { unimplemented!() }
//! let (ecg, fs) = signal(); // a lead of mostly normal beats
//! let device = default_device();
//! let detector = DetectorConfig::default().fit_signal(&ecg, fs, &device)?;
//! detector.save("detector/")?;
//! let verdicts = Detector::load("detector/", &device)?.detect_signal(&ecg, fs)?;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! The folder holds `model.bpk` (the weights, in Burn's burnpack format, with a checksum in the
//! metadata), `config.json` ([`DetectorConfig`]: the model, the preprocessing pipeline, the
//! training run, the score and threshold rules), `normalizer.json`
//! ([`Normalization`](crate::preprocess::Normalization)), `score.json`
//! ([`AnyScore`](crate::score::AnyScore)), `context.json`
//! ([`ContextScore`](crate::score::ContextScore)), `calibration.json`
//! ([`Calibration`](crate::score::Calibration)), `threshold.json`
//! ([`Threshold`](crate::threshold::Threshold), apart so it can be re-chosen without
//! retraining), `metadata.json` ([`Metadata`]) and `history.json` (the training epochs).
//! [`Detector::load`] checks every file and their agreement.

mod apply;
mod artifact;
mod config;
mod explain;
mod fit;
mod source;
mod spec;

pub use apply::Verdict;
pub use artifact::{
    Detector, FORMAT_VERSION, MAX_WINDOW, Metadata, Parts, fingerprint, fingerprint_bytes,
};
pub use config::{DetectorConfig, NormalizationMethod, ScoreMethod};
pub use explain::BeatReconstruction;
pub use source::BeatSource;
pub use spec::{AnyModel, ModelKind, ModelLimits, ModelSpec};
