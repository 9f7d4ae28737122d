//! The detector folder: save, load and the checks between its files.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::spec::{AnyModel, ModelKind, ModelSpec};
use crate::json::{load_json, save_json};
use crate::preprocess::Normalization;
use crate::score::{AnyScore, Calibration};
pub use crate::threshold::Threshold;
use crate::{Error, Result};

/// Version of the folder layout; bumped when a file changes meaning. Loading refuses others.
pub const FORMAT_VERSION: u32 = 1;

const WEIGHTS: &str = "model.bpk";
const SPEC: &str = "model.json";
const NORMALIZER: &str = "normalizer.json";
const THRESHOLD: &str = "threshold.json";
const SCORE: &str = "score.json";
const CALIBRATION: &str = "calibration.json";
const METADATA: &str = "metadata.json";

/// What a detector was trained on and by which version (`metadata.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Folder layout version, [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// Version of this crate that wrote the folder.
    pub crate_version: String,
    /// The model kind, which must match `model.json`.
    pub model_kind: ModelKind,
    /// Samples per input window.
    pub seq: usize,
    /// Channels (leads) per sample.
    pub channels: usize,
    /// Sampling rate of the inputs, in Hz.
    pub fs: f64,
    /// Lead the detector was trained on (e.g. `"MLII"`).
    pub lead: String,
    /// Seed of the training run.
    pub seed: u64,
    /// [`fingerprint`] of the training windows.
    pub data_fingerprint: String,
}

impl Metadata {
    /// Metadata for `spec` written by this crate version; channels and kind come from `spec`.
    pub fn new(
        spec: &ModelSpec,
        seq: usize,
        fs: f64,
        lead: impl Into<String>,
        seed: u64,
        data_fingerprint: impl Into<String>,
    ) -> Self {
        Metadata {
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            model_kind: spec.kind(),
            seq,
            channels: spec.channels(),
            fs,
            lead: lead.into(),
            seed,
            data_fingerprint: data_fingerprint.into(),
        }
    }
}

/// 64-bit FNV-1a over the little-endian bytes of `values` and then of their count, as 16 hex
/// digits: identifies a training set without storing it.
pub fn fingerprint(values: &[f32]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let count = (values.len() as u64).to_le_bytes();
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).chain(count);
    let hash = bytes.fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}

/// A trained model with everything needed to score new windows the way it was trained.
#[derive(Debug, Clone)]
pub struct Detector {
    /// The model with its weights.
    pub model: AnyModel,
    /// The model's configuration.
    pub spec: ModelSpec,
    /// The normaliser fitted on the training data.
    pub normalizer: Normalization,
    /// The anomaly score the threshold and calibration apply to (fitted parts included).
    pub score: AnyScore,
    /// The score's distribution on normal validation windows: maps a score to `[0, 1]`.
    pub calibration: Calibration,
    /// The anomaly threshold on the score.
    pub threshold: Threshold,
    /// Provenance and input shape.
    pub metadata: Metadata,
}

impl Detector {
    /// Writes the detector into folder `dir` (created if needed; its files are replaced).
    /// Refuses a detector whose parts disagree, so a saved folder always loads.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.check(dir)?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        save_json(&self.spec, &dir.join(SPEC))?;
        save_json(&self.normalizer, &dir.join(NORMALIZER))?;
        save_json(&self.score, &dir.join(SCORE))?;
        self.calibration.save_json(dir.join(CALIBRATION))?;
        save_json(&self.threshold, &dir.join(THRESHOLD))?;
        save_json(&self.metadata, &dir.join(METADATA))?;
        let weights = dir.join(WEIGHTS);
        let saved = match &self.model {
            AnyModel::LstmAutoencoder(m) => (**m).clone().save_file(&weights),
            AnyModel::ConvVae(m) => (**m).clone().save_file(&weights),
        };
        saved.map_err(|e| artifact(&weights, e.to_string()))
    }

    /// Reads a detector saved by [`save`](Self::save) onto `device`, checking that every file
    /// is there and readable, that the format and crate versions match this build, and that
    /// the weights, configuration and metadata agree. Errors name the file at fault.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Detector> {
        let dir = dir.as_ref();
        for name in [
            METADATA,
            SPEC,
            NORMALIZER,
            SCORE,
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
        let spec: ModelSpec = load_json(&dir.join(SPEC))?;
        let normalizer = load_json(&dir.join(NORMALIZER))?;
        let score = load_json(&dir.join(SCORE))?;
        let calibration = Calibration::load_json(dir.join(CALIBRATION))?;
        let threshold = Threshold::load_json(dir.join(THRESHOLD))?;
        let weights = dir.join(WEIGHTS);
        // Read and apply apart, so a damaged file and a config mismatch read differently.
        let record = ModuleRecord::load(&weights)
            .map_err(|e| artifact(&weights, format!("unreadable weights: {e}")))?;
        let model = match spec.init(device)? {
            AnyModel::LstmAutoencoder(m) => (*m).try_load_record(record).map(AnyModel::from),
            AnyModel::ConvVae(m) => (*m).try_load_record(record).map(AnyModel::from),
        }
        .map_err(|e| artifact(&weights, format!("weights do not fit {SPEC}: {e}")))?;
        let detector = Detector {
            model,
            spec,
            normalizer,
            score,
            calibration,
            threshold,
            metadata,
        };
        detector.check(dir)?;
        Ok(detector)
    }

    /// Checks that the parts agree with each other; `dir` names the files in errors.
    fn check(&self, dir: &Path) -> Result<()> {
        let meta = &self.metadata;
        let spec_path = dir.join(SPEC);
        if self.model.kind() != self.spec.kind() {
            let msg = format!(
                "holds {:?}, the model is {:?}",
                self.spec.kind(),
                self.model.kind()
            );
            return Err(artifact(&spec_path, msg));
        }
        if meta.model_kind != self.spec.kind() {
            let msg = format!(
                "{METADATA} says {:?}, the config is {:?}",
                meta.model_kind,
                self.spec.kind()
            );
            return Err(artifact(&spec_path, msg));
        }
        if meta.channels != self.spec.channels() {
            let msg = format!(
                "{METADATA} says {} channels, the config {}",
                meta.channels,
                self.spec.channels()
            );
            return Err(artifact(&spec_path, msg));
        }
        if let Some(seq) = self.spec.fixed_seq()
            && seq != meta.seq
        {
            let msg = format!(
                "{METADATA} says input length {}, the config {seq}",
                meta.seq
            );
            return Err(artifact(&spec_path, msg));
        }
        if meta.seq == 0 || !(meta.fs.is_finite() && meta.fs > 0.0) {
            let msg = format!(
                "input length {} or sampling rate {} is not positive",
                meta.seq, meta.fs
            );
            return Err(artifact(dir.join(METADATA), msg));
        }
        if !self.threshold.value.is_finite() {
            let msg = format!("threshold {} is not finite", self.threshold.value);
            return Err(artifact(dir.join(THRESHOLD), msg));
        }
        Ok(())
    }
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
