//! WFDB header (`.hea`) files: the record line, one line per signal, `#` comments. What a
//! header holds; reading and parsing one is in `header_lines`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::Format;

/// WFDB's gain when a header gives none or zero (ADC units per mV).
pub const DEFAULT_GAIN: f64 = 200.0;
/// WFDB's sampling frequency when the record line gives none (Hz).
pub const DEFAULT_FS: f64 = 250.0;

/// A parsed single-segment WFDB header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Record name from the record line (e.g. `100`).
    pub record_name: String,
    /// Sampling frequency in Hz (frames per second).
    pub fs: f64,
    /// Counter frequency in Hz, when given (`fs/counter(base)`).
    pub counter_freq: Option<f64>,
    /// Counter value of sample 0, when given.
    pub base_counter: Option<f64>,
    /// Samples per signal; `None` when absent or 0 (then inferred from the signal file size).
    pub n_samples: Option<usize>,
    /// Base time field as written (e.g. `10:20:30`), when given.
    pub base_time: Option<String>,
    /// Base date field as written (e.g. `01/02/1980`), when given.
    pub base_date: Option<String>,
    /// One entry per signal, in header order.
    pub signals: Vec<SignalSpec>,
    /// Comment lines, without the leading `#` and surrounding blanks.
    pub comments: Vec<String>,
}

/// One signal line of a header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalSpec {
    /// Signal file name, relative to the header's folder.
    pub file_name: String,
    /// Storage format.
    pub format: Format,
    /// Bytes to skip at the start of the file (the format field's `+offset`).
    pub byte_offset: u64,
    /// ADC units per physical unit as written; 0 means uncalibrated (see [`Self::gain`]).
    pub adc_gain: f64,
    /// Digital value of physical zero (defaults to `adc_zero`).
    pub baseline: i32,
    /// Physical units (default `mV`).
    pub units: String,
    /// ADC resolution in bits.
    pub adc_resolution: u32,
    /// ADC value at the middle of its range.
    pub adc_zero: i32,
    /// Value of sample 0 as the header states it (defaults to `adc_zero`).
    pub initial_value: i32,
    /// 16-bit checksum of all samples, signed as WFDB writes it (values up to 65535 wrap).
    pub checksum: Option<i16>,
    /// Block size in bytes (0: not a block device).
    pub block_size: u32,
    /// Description, usually the lead name (`MLII`, `V1`).
    pub description: String,
}

impl SignalSpec {
    /// Gain used for physical conversion: `adc_gain`, or WFDB's 200 when that is 0.
    pub fn gain(&self) -> f64 {
        if self.adc_gain == 0.0 {
            DEFAULT_GAIN
        } else {
            self.adc_gain
        }
    }

    /// Physical value `(digital - baseline) / gain`; the format's invalid sample gives `NaN`.
    pub fn to_physical(&self, digital: i16) -> f32 {
        if digital == self.format.invalid_sample() {
            f32::NAN
        } else {
            ((f64::from(digital) - f64::from(self.baseline)) / self.gain()) as f32
        }
    }
}

/// Signals stored together, interleaved, in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalGroup {
    /// File name, relative to the header's folder.
    pub file_name: String,
    /// Storage format shared by the group.
    pub format: Format,
    /// Bytes before the first frame.
    pub byte_offset: u64,
    /// Indices of the group's signals in [`Header::signals`].
    pub signals: Range<usize>,
}

impl Header {
    /// Index of the first signal whose description is `name` (e.g. `MLII`).
    pub fn signal_index(&self, name: &str) -> Option<usize> {
        self.signals.iter().position(|s| s.description == name)
    }

    /// Signals grouped by file, in header order.
    pub fn groups(&self) -> Vec<SignalGroup> {
        let mut groups: Vec<SignalGroup> = Vec::new();
        for (i, s) in self.signals.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.file_name == s.file_name => g.signals.end = i + 1,
                _ => groups.push(SignalGroup {
                    file_name: s.file_name.clone(),
                    format: s.format,
                    byte_offset: s.byte_offset,
                    signals: i..i + 1,
                }),
            }
        }
        groups
    }
}

/// The header path for a record path given with or without its `.hea` extension.
pub(crate) fn header_path(record: &Path) -> PathBuf {
    if record.extension().is_some_and(|e| e == "hea") {
        record.to_path_buf()
    } else {
        let mut p = record.as_os_str().to_owned();
        p.push(".hea");
        PathBuf::from(p)
    }
}
