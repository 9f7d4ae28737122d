//! A trained detector: the model, its configuration, the fitted normaliser, the anomaly score
//! with its calibration, the threshold and what it was trained on, saved together as one folder.
//!
//! The folder holds `model.bpk` (the weights, in Burn's own burnpack format), `model.json`
//! ([`ModelSpec`]), `normalizer.json` ([`Normalization`](crate::preprocess::Normalization)),
//! `score.json` ([`AnyScore`](crate::score::AnyScore)), `calibration.json`
//! ([`Calibration`](crate::score::Calibration)), `threshold.json` ([`Threshold`], apart so it
//! can be re-chosen without retraining) and `metadata.json` ([`Metadata`]). [`Detector::load`]
//! checks every file and their agreement; [`Detector::detect`] judges raw windows.

mod apply;
mod artifact;
mod spec;

pub use apply::Verdict;
pub use artifact::{Detector, FORMAT_VERSION, Metadata, Threshold, fingerprint};
pub use spec::{AnyModel, ModelKind, ModelSpec};
