//! The crate's one error type. Every variant says what was wrong and where.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `ecg-anomaly`, with the file, line, byte or sample at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A text file (WFDB header, CSV) has a malformed line.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file at fault.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// A binary file (signal `.dat`, annotation `.atr`) is corrupt or truncated.
    #[error("{path}: byte {offset}: {message}")]
    Corrupt {
        /// The file at fault.
        path: PathBuf,
        /// Byte offset where the problem was found.
        offset: u64,
        /// What was wrong.
        message: String,
    },
    /// An EDF, EDF+ or BDF file is malformed: a header field that does not parse or is out of
    /// range, byte counts that disagree with the file's size, a damaged annotation list (TAL).
    #[error("{path}: byte {offset} ({field}): {message}")]
    Edf {
        /// The file at fault.
        path: PathBuf,
        /// Byte offset of the field or data at fault.
        offset: u64,
        /// The header field (as the EDF specification names it, with the signal's index for a
        /// per-signal field: `signal 2 digital minimum`) or the data part (`data record 3`,
        /// `annotation signal`).
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A valid file that uses a feature this crate does not read (e.g. multi-segment records).
    #[error("{path}: unsupported: {message}")]
    Unsupported {
        /// The file at fault.
        path: PathBuf,
        /// What is not supported.
        message: String,
    },
    /// A signal value is unusable (NaN, infinite) at a given sample.
    #[error("sample {sample}: {message}")]
    Signal {
        /// 0-based sample index.
        sample: usize,
        /// What was wrong.
        message: String,
    },
    /// A caller-supplied argument is out of range or inconsistent.
    #[error("invalid {name}: {message}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
    /// A JSON artifact could not be written or read.
    #[error("{path}: {source}")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A data set folder is missing or incomplete.
    #[error("data set: {0}")]
    Dataset(String),
    /// A saved detector folder is incomplete, from another version, or inconsistent.
    #[error("{path}: {message}")]
    Artifact {
        /// The file (or folder) at fault.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A tensor could not be computed or read back from its device.
    #[error("backend: {0}")]
    Backend(String),
    /// A picture could not be drawn or encoded (empty or non-finite data, bad size, file error).
    #[error("picture: {}{message}", path_prefix(path))]
    Render {
        /// The picture file at fault (empty when rendering in memory).
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Training could not start or did not finish (model rejects the data, diverged run,
    /// unsupported device strategy, failure reported by burn-train).
    #[error("training: {0}")]
    Training(String),
    /// An input is larger than a limit allows: a [`ReadLimits`](crate::limits::ReadLimits)
    /// field (a header with too many lines, a signal with too many samples, a CSV line too
    /// long) or a setting of the processing (a lead longer than
    /// [`BeatPipeline::max_input_samples`](crate::preprocess::BeatPipeline::max_input_samples),
    /// a resampling whose output would be too long). Raise the named limit when the input is
    /// genuine.
    #[error(
        "{}{message} (limit `{}` = {max}; raise it if the input is genuine)",
        path_prefix(path),
        qualified(limit)
    )]
    Limit {
        /// The file at fault (empty for an input in memory).
        path: PathBuf,
        /// The setting that was exceeded: a [`ReadLimits`](crate::limits::ReadLimits) field by
        /// its name (`max_samples`), any other as `Type::field`.
        limit: &'static str,
        /// Its value.
        max: u64,
        /// What exceeded it, and where (line, sample).
        message: String,
    },
    /// A signal gave no beat to judge or fit on; [`NoBeats`] says why.
    #[error("no beat to judge: {0}")]
    NoBeats(NoBeats),
    /// A path that must name a regular file names something else (a FIFO, a device such as
    /// `/dev/zero`, a folder, a socket); found before any read, so nothing blocks.
    #[error("{path}: not a regular file ({kind})")]
    NotRegularFile {
        /// The path at fault.
        path: PathBuf,
        /// What it is instead (`FIFO`, `character device`, `folder`, ...).
        kind: &'static str,
    },
    /// A WFDB header names a signal file outside the header's folder (an absolute path, a `..`
    /// component, or a symbolic link that leads out).
    #[error("{header}:{line}: signal file `{file_name}` is outside the record's folder: {reason}")]
    OutsideFolder {
        /// The header file.
        header: PathBuf,
        /// 1-based line of the signal line naming the file.
        line: usize,
        /// The file name as the header writes it.
        file_name: String,
        /// Why it is rejected.
        reason: String,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(name: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why a signal gave no beat ([`Error::NoBeats`]): the caller can tell "no beats" from
/// "wrong input" and say which.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoBeats {
    /// The beat window is longer than the whole signal.
    #[error(
        "the beat window ({window} samples) is longer than the signal ({samples} samples at \
         {fs} Hz): send a longer lead"
    )]
    WindowLongerThanSignal {
        /// Samples of one beat's window.
        window: usize,
        /// Samples of the signal (at the pipeline's rate).
        samples: usize,
        /// The pipeline's rate, Hz.
        fs: f64,
    },
    /// The R-peak detector found no beat.
    #[error(
        "no R-peak found in {seconds:.1} s of signal at {fs} Hz: a flat lead, noise, the \
         wrong lead, or a wrong sampling rate?"
    )]
    NoPeaks {
        /// Length of the signal, seconds.
        seconds: f64,
        /// The pipeline's rate, Hz.
        fs: f64,
    },
    /// R-peaks were found, but none has its whole window inside the signal.
    #[error("{peaks} R-peak(s) found, but no beat window fits inside the signal")]
    NoCompleteBeat {
        /// R-peaks found.
        peaks: usize,
    },
    /// Beats were cut, but every one failed the quality check (flat, clipped or noisy), so
    /// none can be trained on.
    #[error("{beats} beat(s) found, but none passed the quality check (flat, clipped or noisy)")]
    AllUnusable {
        /// Beats cut.
        beats: usize,
    },
}

/// A limit's name as the user sets it: a bare name is a [`ReadLimits`](crate::limits::ReadLimits)
/// field.
fn qualified(limit: &str) -> std::borrow::Cow<'_, str> {
    match limit.contains("::") {
        true => limit.into(),
        false => format!("ReadLimits::{limit}").into(),
    }
}

/// `"<path>: "` for a picture file, or nothing when the picture was rendered in memory.
fn path_prefix(path: &std::path::Path) -> String {
    if path.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}: ", path.display())
    }
}
