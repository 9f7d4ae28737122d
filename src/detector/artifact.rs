//! The detector folder: save, load and the checks between its files.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::store::ModuleRecord;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::config::DetectorConfig;
use super::spec::{AnyModel, ModelKind, ModelLimits};
use crate::json::{load_json, save_json};
use crate::preprocess::{BeatPipeline, Normalization, check_fs};
use crate::score::{AnyScore, Calibration, ContextScore};
use crate::threshold::Threshold;
use crate::train::{HISTORY_JSON, TrainingHistory};
use crate::{Error, Result};

/// Version of the folder layout; bumped when a file changes meaning. Loading refuses others.
pub const FORMAT_VERSION: u32 = 3;

const WEIGHTS: &str = "model.bpk";
const CONFIG: &str = "config.json";
const NORMALIZER: &str = "normalizer.json";
const THRESHOLD: &str = "threshold.json";
const SCORE: &str = "score.json";
const CALIBRATION: &str = "calibration.json";
const CONTEXT: &str = "context.json";
const METADATA: &str = "metadata.json";

/// What a detector was trained on and by which version (`metadata.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Folder layout version, [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// Version of this crate that wrote the folder.
    pub crate_version: String,
    /// The model kind, which must match `config.json`.
    pub model_kind: ModelKind,
    /// Samples per input window.
    pub seq: usize,
    /// Channels (leads) per sample.
    pub channels: usize,
    /// Sampling rate of the windows, in Hz, when known.
    pub fs: Option<f64>,
    /// Lead the detector was trained on (e.g. `"MLII"`), when given.
    pub lead: Option<String>,
    /// The leads it was trained on, in channel order, for a detector fitted on named leads
    /// ([`DetectorConfig::leads`]); then as many as `channels`. Empty otherwise (and in
    /// folders written before it existed).
    #[serde(default)]
    pub leads: Vec<String>,
    /// Seed of the training run.
    pub seed: u64,
    /// [`fingerprint`] of the raw training windows (before normalisation).
    pub data_fingerprint: String,
    /// Windows trained on.
    pub training_windows: usize,
    /// Normal windows held out for early stopping, calibration and the threshold.
    pub validation_windows: usize,
    /// [`fingerprint_bytes`] of `model.bpk`, written by [`Detector::save`] and checked by
    /// [`Detector::load`].
    pub weights_checksum: Option<String>,
}

/// 64-bit FNV-1a over the little-endian bytes of `values` and then of their count, as 16 hex
/// digits: identifies a training set without storing it.
pub fn fingerprint(values: &[f32]) -> String {
    let count = (values.len() as u64).to_le_bytes();
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).chain(count);
    format!("{:016x}", fnv1a(bytes))
}

/// 64-bit FNV-1a of `bytes`, as 16 hex digits: the checksum of a detector's weights file.
pub fn fingerprint_bytes(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a(bytes.iter().copied()))
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .into_iter()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The parts of a [`Detector`], for [`Detector::from_parts`]; [`DetectorConfig::fit`] fills
/// them.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The model with its weights.
    pub model: AnyModel,
    /// The configuration it was fitted with (its pipeline resamples to the training rate).
    pub config: DetectorConfig,
    /// The normaliser fitted on the training beats.
    pub normalizer: Normalization,
    /// The anomaly score, fitted parts included.
    pub score: AnyScore,
    /// How the score is put in context, fitted on held-out normal beats.
    pub context: ContextScore,
    /// The score's distribution on held-out normal beats.
    pub calibration: Calibration,
    /// The anomaly threshold on the score.
    pub threshold: Threshold,
    /// Provenance and input shape.
    pub metadata: Metadata,
    /// The training run's epochs, when the detector was trained in this process or saved with it.
    pub history: Option<TrainingHistory>,
    /// The device the model lives on.
    pub device: Device,
}

/// A fitted anomaly detector: the model with its configuration, the fitted normaliser, the
/// score with its calibration, the threshold and what it was trained on. Made by
/// [`DetectorConfig::fit`], saved and loaded as one folder, applied with
/// [`detect`](Self::detect) and [`detect_signal`](Self::detect_signal).
#[derive(Debug, Clone)]
pub struct Detector {
    pub(super) parts: Parts,
}

impl Detector {
    /// Joins fitted parts, checking that they agree (kinds, shapes, a finite threshold, a
    /// valid configuration whose pipeline cuts beats of the model's input length at the
    /// detector's rate).
    pub fn from_parts(parts: Parts) -> Result<Detector> {
        let detector = Detector { parts };
        detector.check(Path::new(""))?;
        Ok(detector)
    }

    /// The model with its weights.
    pub fn model(&self) -> &AnyModel {
        &self.parts.model
    }

    /// The configuration it was fitted with.
    pub fn config(&self) -> &DetectorConfig {
        &self.parts.config
    }

    /// The preprocessing [`detect_signal`](Self::detect_signal) runs.
    pub fn pipeline(&self) -> &BeatPipeline {
        &self.parts.config.pipeline
    }

    /// The fitted normaliser.
    pub fn normalizer(&self) -> &Normalization {
        &self.parts.normalizer
    }

    /// The anomaly score.
    pub fn score(&self) -> &AnyScore {
        &self.parts.score
    }

    /// How the model's score is put in context (recording, rhythm).
    pub fn context(&self) -> &ContextScore {
        &self.parts.context
    }

    /// The score's calibration on held-out normal beats.
    pub fn calibration(&self) -> &Calibration {
        &self.parts.calibration
    }

    /// The anomaly threshold.
    pub fn threshold(&self) -> &Threshold {
        &self.parts.threshold
    }

    /// Provenance and input shape.
    pub fn metadata(&self) -> &Metadata {
        &self.parts.metadata
    }

    /// The training run's epochs, when known.
    pub fn history(&self) -> Option<&TrainingHistory> {
        self.parts.history.as_ref()
    }

    /// The device the model runs on.
    pub fn device(&self) -> &Device {
        &self.parts.device
    }

    /// Replaces the threshold (e.g. re-chosen on new normal data); an error when it is not finite.
    pub fn set_threshold(&mut self, threshold: Threshold) -> Result<()> {
        if !threshold.value.is_finite() {
            let msg = format!("{} is not finite", threshold.value);
            return Err(Error::invalid("threshold", msg));
        }
        self.parts.threshold = threshold;
        Ok(())
    }

    /// Gives back the parts.
    pub fn into_parts(self) -> Parts {
        self.parts
    }

    /// Writes the detector into folder `dir` (created if needed; its files are replaced).
    /// Refuses a detector whose parts disagree, so a saved folder always loads.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.check(dir)?;
        let p = &self.parts;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        save_json(&p.config, &dir.join(CONFIG))?;
        save_json(&p.normalizer, &dir.join(NORMALIZER))?;
        save_json(&p.score, &dir.join(SCORE))?;
        save_json(&p.context, &dir.join(CONTEXT))?;
        p.calibration.save_json(dir.join(CALIBRATION))?;
        save_json(&p.threshold, &dir.join(THRESHOLD))?;
        if let Some(history) = &p.history {
            history.save_json(dir)?;
        }
        let weights = dir.join(WEIGHTS);
        p.model
            .clone()
            .save_file(&weights)
            .map_err(|e| artifact(&weights, e.to_string()))?;
        let bytes = std::fs::read(&weights).map_err(|e| Error::io(&weights, e))?;
        let metadata = Metadata {
            weights_checksum: Some(fingerprint_bytes(&bytes)),
            ..p.metadata.clone()
        };
        save_json(&metadata, &dir.join(METADATA))
    }

    /// Reads a detector saved by [`save`](Self::save) onto `device`, checking that every file
    /// is there and readable, that the format and crate versions match this build, that the
    /// weights match their checksum, that the configuration is valid
    /// ([`DetectorConfig::validate`]: every setting in its documented range), and that the
    /// weights, configuration and metadata agree: the model's input length is the pipeline's
    /// beat window at the detector's rate, and that rate is the one the pipeline resamples to;
    /// the leads recorded in the metadata are the configuration's, one per channel.
    /// Errors name the file at fault.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Detector> {
        let dir = dir.as_ref();
        for name in [
            METADATA,
            CONFIG,
            NORMALIZER,
            SCORE,
            CONTEXT,
            CALIBRATION,
            THRESHOLD,
            WEIGHTS,
        ] {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(artifact(&path, "missing file of the detector folder"));
            }
        }
        let metadata = load_metadata(&dir.join(METADATA))?;
        let config: DetectorConfig = load_json(&dir.join(CONFIG))?;
        let normalizer: Normalization = load_json(&dir.join(NORMALIZER))?;
        let score: AnyScore = load_json(&dir.join(SCORE))?;
        let context: ContextScore = load_json(&dir.join(CONTEXT))?;
        let calibration = Calibration::load_json(dir.join(CALIBRATION))?;
        let threshold = Threshold::load_json(dir.join(THRESHOLD))?;
        let history_path = dir.join(HISTORY_JSON);
        let history = match history_path.is_file() {
            true => Some(load_json(&history_path)?),
            false => None,
        };
        let config_path = dir.join(CONFIG);
        config
            .model
            .check_limits(&ModelLimits::default())
            .map_err(|e| artifact(&config_path, e.to_string()))?;
        config
            .validate()
            .map_err(|e| artifact(&config_path, e.to_string()))?;
        normalizer
            .validate()
            .map_err(|e| artifact(dir.join(NORMALIZER), e.to_string()))?;
        let seq = metadata.seq;
        if metadata
            .seq
            .checked_mul(metadata.channels)
            .is_none_or(|w| w == 0 || w > MAX_WINDOW)
        {
            let msg = format!(
                "input of {} samples x {} channels is empty or over {MAX_WINDOW} values",
                metadata.seq, metadata.channels
            );
            return Err(artifact(dir.join(METADATA), msg));
        }
        score
            .validate(seq)
            .map_err(|m| artifact(dir.join(SCORE), m))?;
        check_window(&config, &metadata).map_err(|m| artifact(&config_path, m))?;
        let weights = dir.join(WEIGHTS);
        let bytes = std::fs::read(&weights).map_err(|e| Error::io(&weights, e))?;
        let checksum = fingerprint_bytes(&bytes);
        if metadata.weights_checksum.as_deref() != Some(checksum.as_str()) {
            let msg = format!(
                "checksum {checksum} differs from {METADATA}'s {:?}: the weights were changed or damaged",
                metadata.weights_checksum
            );
            return Err(artifact(&weights, msg));
        }
        // Read and apply apart, so a damaged file and a config mismatch read differently.
        let record = ModuleRecord::load(&weights)
            .map_err(|e| artifact(&weights, format!("unreadable weights: {e}")))?;
        let model = config
            .model
            .init(device)?
            .try_load_record(record)
            .map_err(|e| artifact(&weights, format!("weights do not fit {CONFIG}: {e}")))?;
        if let Some(name) = non_finite_parameter(&model) {
            return Err(artifact(
                &weights,
                format!("parameter {name} holds a NaN or infinite value"),
            ));
        }
        let detector = Detector {
            parts: Parts {
                model,
                config,
                normalizer,
                score,
                context,
                calibration,
                threshold,
                metadata,
                history,
                device: device.clone(),
            },
        };
        detector.check(dir)?;
        Ok(detector)
    }

    /// Checks that the parts agree with each other; `dir` names the files in errors.
    fn check(&self, dir: &Path) -> Result<()> {
        let p = &self.parts;
        let meta = &p.metadata;
        let spec = &p.config.model;
        let config_path = dir.join(CONFIG);
        // What load refuses, save and from_parts refuse too: a saved folder always loads.
        p.config
            .validate()
            .map_err(|e| artifact(&config_path, e.to_string()))?;
        check_window(&p.config, meta).map_err(|m| artifact(&config_path, m))?;
        if p.model.kind() != spec.kind() {
            let msg = format!("holds {:?}, the model is {:?}", spec.kind(), p.model.kind());
            return Err(artifact(&config_path, msg));
        }
        if meta.model_kind != spec.kind() {
            let msg = format!(
                "{METADATA} says {:?}, the config is {:?}",
                meta.model_kind,
                spec.kind()
            );
            return Err(artifact(&config_path, msg));
        }
        if meta.channels != spec.channels() {
            let msg = format!(
                "{METADATA} says {} channels, the config {}",
                meta.channels,
                spec.channels()
            );
            return Err(artifact(&config_path, msg));
        }
        if !meta.leads.is_empty() && meta.leads.len() != meta.channels {
            let msg = format!(
                "{} leads ({}) for {} channels",
                meta.leads.len(),
                meta.leads.join(", "),
                meta.channels
            );
            return Err(artifact(dir.join(METADATA), msg));
        }
        if meta.leads != p.config.leads {
            let msg = format!(
                "{METADATA} says leads [{}], the config [{}]",
                meta.leads.join(", "),
                p.config.leads.join(", ")
            );
            return Err(artifact(&config_path, msg));
        }
        if let Some(seq) = spec.fixed_seq()
            && seq != meta.seq
        {
            let msg = format!(
                "{METADATA} says input length {}, the config {seq}",
                meta.seq
            );
            return Err(artifact(&config_path, msg));
        }
        let fs_ok = meta.fs.is_none_or(|fs| check_fs(fs).is_ok());
        let width = meta.seq.checked_mul(meta.channels);
        if width.is_none_or(|w| w == 0 || w > MAX_WINDOW) || !fs_ok {
            let msg = format!(
                "input length {}, channels {} or sampling rate {:?} is not positive",
                meta.seq, meta.channels, meta.fs
            );
            return Err(artifact(dir.join(METADATA), msg));
        }
        if !p.threshold.value.is_finite() {
            let msg = format!("threshold {} is not finite", p.threshold.value);
            return Err(artifact(dir.join(THRESHOLD), msg));
        }
        if p.context.config != p.config.context {
            let msg = format!("{CONTEXT} differs from the config's context settings");
            return Err(artifact(dir.join(CONTEXT), msg));
        }
        p.context
            .validate()
            .map_err(|m| artifact(dir.join(CONTEXT), m))?;
        Ok(())
    }
}

/// That the pipeline cuts beats of the model's input length at the detector's rate, when the
/// rate is known: else `detect_signal` would cut windows the model cannot take (or none).
fn check_window(config: &DetectorConfig, meta: &Metadata) -> std::result::Result<(), String> {
    let Some(fs) = meta.fs else {
        return Ok(()); // fitted on windows of unknown rate: only `detect` applies
    };
    let pipeline = &config.pipeline;
    if pipeline.resample_to != Some(fs) {
        return Err(format!(
            "the pipeline resamples to {:?} Hz, but {METADATA} says the detector's rate is {fs} Hz",
            pipeline.resample_to
        ));
    }
    let window = pipeline.window(fs).map_err(|e| e.to_string())?;
    if window.len() != meta.seq {
        return Err(format!(
            "the pipeline's beat window (before_s {} s + after_s {} s) is {} samples at {fs} Hz, \
             but the model's input length is {} ({METADATA})",
            pipeline.before_s,
            pipeline.after_s,
            window.len(),
            meta.seq
        ));
    }
    Ok(())
}

/// Most values in one input window (`seq * channels`) a loaded detector may take.
pub const MAX_WINDOW: usize = 1 << 20;

/// The first float parameter of `model` holding a NaN or infinity, by its index in visiting order.
fn non_finite_parameter(model: &AnyModel) -> Option<String> {
    struct Finite {
        index: usize,
        bad: Option<usize>,
    }
    impl ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.bad.is_none() {
                let finite = param
                    .val()
                    .try_to_vec_as::<f32>()
                    .is_ok_and(|v| v.iter().all(|x| x.is_finite()));
                if !finite {
                    self.bad = Some(self.index);
                }
            }
            self.index += 1;
        }
    }
    let mut visitor = Finite {
        index: 0,
        bad: None,
    };
    model.visit(&mut visitor);
    visitor.bad.map(|i| format!("#{i}"))
}

/// Reads `metadata.json`, checking the format and crate versions before the other fields so a
/// folder from another version is named as such rather than as malformed.
fn load_metadata(path: &Path) -> Result<Metadata> {
    let json_err = |source| Error::Json {
        path: path.into(),
        source,
    };
    let value: serde_json::Value = load_json(path)?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        let found = version.map_or("none".to_string(), |v| v.to_string());
        let msg = format!("format version {found}, this build reads {FORMAT_VERSION}");
        return Err(artifact(path, msg));
    }
    let crate_version = value
        .get("crate_version")
        .and_then(serde_json::Value::as_str);
    let ours = env!("CARGO_PKG_VERSION");
    if crate_version.map(major_minor) != Some(major_minor(ours)) {
        let found = crate_version.unwrap_or("none");
        let msg = format!("written by ecg-anomaly {found}, this is {ours} (major.minor differ)");
        return Err(artifact(path, msg));
    }
    serde_json::from_value(value).map_err(json_err)
}

/// `"1.2.3"` → `"1.2"`.
fn major_minor(version: &str) -> &str {
    match version.match_indices('.').nth(1) {
        Some((i, _)) => &version[..i],
        None => version,
    }
}

fn artifact(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
    Error::Artifact {
        path: path.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_known_answer_and_sees_the_count() {
        // FNV-1a 64 of the 4 bytes of 0.0f32 followed by 1u64 LE, computed by hand in Python:
        // h = 0xcbf29ce484222325; for b in bytes(4) + (1).to_bytes(8, 'little'):
        //     h = ((h ^ b) * 0x100000001b3) % 2**64
        assert_eq!(fingerprint(&[0.0]), PY_FNV_ZERO_ONE);
        assert_ne!(fingerprint(&[1.0, 2.0]), fingerprint(&[2.0, 1.0]));
        assert_ne!(fingerprint(&[]), fingerprint(&[0.0]));
    }

    const PY_FNV_ZERO_ONE: &str = "356ce9d112211a74";

    #[test]
    fn major_minor_cuts_the_patch() {
        assert_eq!(major_minor("0.1.7"), "0.1");
        assert_eq!(major_minor("1.2"), "1.2");
        assert_eq!(major_minor("1.2.3-rc.1"), "1.2");
    }
}
