//! # ecg-anomaly
//!
//! Unsupervised detection of abnormal heartbeats in ECG signals. The crate reads as the
//! pipeline it implements:
//!
//! - [`data`]: signals in (WFDB records and annotations, CSV, beat matrices, a synthetic ECG
//!   generator), beat classes and Burn dataset glue;
//! - [`preprocess`]: filters, resampling, R-peak detection, beat segmentation, sliding windows,
//!   normalisers and quality checks;
//! - [`augment`]: seeded training-time transformations;
//! - [`model`]: reconstruction models on Burn (`[batch, seq, channels]` in and out);
//! - [`train`]: fitting a model on burn-train's `Learner` (Adam, early stopping on normal
//!   validation windows, seeded augmentation, CSV/JSON logs, several devices);
//! - [`score`]: anomaly scores over reconstructions (reconstruction error, Mahalanobis, KL,
//!   ensembles), calibration to `[0, 1]` on normal beats, and batched scoring of data sets;
//! - [`threshold`]: the anomaly threshold on scores (percentile, mean + k·std, contamination,
//!   fixed or best F1 on labels), fitted apart from applied and saved as JSON;
//! - [`evaluate`]: metrics against labels (confusion matrix, ROC/PR curves, AUC, average
//!   precision, recall at a false-alarm budget, per-class recall) as one report;
//! - `report` (feature `report`, default): ROC/PR, confusion, score histogram, training,
//!   reconstruction and latent-space pictures (SVG/PNG, embedded font) and a self-contained
//!   HTML/Markdown report;
//! - [`detector`]: [`DetectorConfig`](detector::DetectorConfig) → `fit` → a
//!   [`Detector`](detector::Detector) (model, normaliser, score, calibration, threshold), saved
//!   as one folder, that judges windows, beats or a raw signal;
//! - [`device`]: which backend runs the models (flex, ndarray, wgpu or cuda), chosen at run time;
//! - [`limits`]: what the readers accept at most (lines, samples, annotations, CSV rows),
//!   in one overridable policy;
//! - `serve` (feature `server`): an HTTP inference server over a saved detector (axum);
//! - [`study`]: the benchmark on top: the MIT-BIH protocols ([`study::mitbih`]), the study that
//!   fits detectors on them and judges them per AAMI class, its design, seeds and ablation, and
//!   its report.
//!
//! Each layer imports only layers below it (`ARCHITECTURE.md`, checked by `scripts/layers.sh`).
//!
//! `model`, `train`, `score`, `detector`, `stream`, `device` and the study's runner run on Burn
//! and need a backend feature (`flex`, the default, `ndarray`, `wgpu` or `cuda`); without one
//! (`default-features = false`) the crate is its data half alone, without Burn.

pub mod augment;
pub mod data;
#[cfg(feature = "burn")]
pub mod detector;
#[cfg(feature = "burn")]
pub mod device;
pub mod error;
pub mod evaluate;
mod input;
mod json;
pub mod limits;
#[cfg(feature = "burn")]
pub mod model;
pub mod preprocess;
#[cfg(feature = "report")]
pub mod report;
#[cfg(feature = "burn")]
pub mod score;
#[cfg(feature = "server")]
pub mod serve;
#[cfg(feature = "burn")]
pub mod stream;
pub mod study;
pub mod threshold;
#[cfg(feature = "burn")]
pub mod train;

pub use error::{Error, NoBeats, Result};

/// What most programs need, in one `use ecg_anomaly::prelude::*;`: signals in, the beat
/// pipeline, the detector's configuration, the fitted detector and its verdicts, devices.
pub mod prelude {
    pub use crate::data::Ecg;
    #[cfg(feature = "burn")]
    pub use crate::data::batch::WindowDataset;
    pub use crate::data::csv::{CsvOptions, read_csv};
    pub use crate::data::read_ecg;
    pub use crate::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
    pub use crate::data::wfdb::read_annotations;
    #[cfg(feature = "burn")]
    pub use crate::detector::{
        BeatSource, Detector, DetectorConfig, ModelSpec, NormalizationMethod, ScoreMethod, Verdict,
    };
    #[cfg(feature = "burn")]
    pub use crate::device::{DeviceChoice, default_device};
    #[cfg(feature = "burn")]
    pub use crate::model::{ConvVaeConfig, LstmAutoencoderConfig};
    pub use crate::preprocess::{BeatPipeline, ProcessedSignal};
    pub use crate::threshold::ThresholdMethod;
    #[cfg(feature = "burn")]
    pub use crate::train::TrainingConfig;
    pub use crate::{Error, NoBeats, Result};
    #[cfg(feature = "burn")]
    pub use burn::tensor::Device;
}

/// The README's code examples, compiled as doc tests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The guide's chapters (`docs/src/`, built with `mdbook build docs`), compiled as doctests
/// (`cargo test --doc`) so their `rust` code blocks stay true. Every chapter is listed, so a
/// code block added to any of them is tested; a new chapter needs its line here. Tables pulled
/// in with `{{#include}}` are not expanded by rustdoc, so Rust code stays inline in chapters.
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../docs/src/introduction.md")]
    mod introduction {}
    #[doc = include_str!("../docs/src/data.md")]
    mod data {}
    #[doc = include_str!("../docs/src/pipeline.md")]
    mod pipeline {}
    #[doc = include_str!("../docs/src/models.md")]
    mod models {}
    #[doc = include_str!("../docs/src/training.md")]
    mod training {}
    #[doc = include_str!("../docs/src/scoring.md")]
    mod scoring {}
    #[doc = include_str!("../docs/src/detector.md")]
    mod detector {}
    #[doc = include_str!("../docs/src/cli.md")]
    mod cli {}
    #[doc = include_str!("../docs/src/serving.md")]
    mod serving {}
    #[doc = include_str!("../docs/src/dashboard.md")]
    mod dashboard {}
    #[doc = include_str!("../docs/src/streaming.md")]
    mod streaming {}
    #[doc = include_str!("../docs/src/python.md")]
    mod python {}
    #[doc = include_str!("../docs/src/results.md")]
    mod results {}
    #[doc = include_str!("../docs/src/results-p2.md")]
    mod results_p2 {}
    #[doc = include_str!("../docs/src/results-p2-exploration.md")]
    mod results_p2_exploration {}
    #[doc = include_str!("../docs/src/results-p1.md")]
    mod results_p1 {}
    #[doc = include_str!("../docs/src/results-levers.md")]
    mod results_levers {}
    #[doc = include_str!("../docs/src/results-data.md")]
    mod results_data {}
    #[doc = include_str!("../docs/src/speed.md")]
    mod speed {}
    #[doc = include_str!("../docs/src/speed-zen4.md")]
    mod speed_zen4 {}
    #[doc = include_str!("../docs/src/speed-zen3.md")]
    mod speed_zen3 {}
    #[doc = include_str!("../docs/src/speed-xeon.md")]
    mod speed_xeon {}
    #[doc = include_str!("../docs/src/features.md")]
    mod features {}
    #[doc = include_str!("../docs/src/gpus.md")]
    mod gpus {}
    #[doc = include_str!("../docs/src/dependencies.md")]
    mod dependencies {}
    #[doc = include_str!("../docs/src/reliability.md")]
    mod reliability {}
    #[doc = include_str!("../docs/src/development.md")]
    mod development {}
}
