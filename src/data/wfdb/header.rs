//! WFDB header (`.hea`) files: the record line, one line per signal, `#` comments.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::header_lines::{check_group, parse_err, parse_record_line, parse_signal_line};
use crate::Result;
use crate::limits::{ReadLimits, exceeded, read_regular};

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
    /// Reads and parses a header file under the default [`ReadLimits`].
    pub fn read(path: impl AsRef<Path>) -> Result<Header> {
        Header::read_with_limits(path, &ReadLimits::default())
    }

    /// Reads and parses a header file: a regular file (else [`Error::NotRegularFile`](crate::Error::NotRegularFile)) of at
    /// most `limits.max_header_bytes` bytes, parsed as [`parse_with_limits`](Self::parse_with_limits).
    pub fn read_with_limits(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<Header> {
        Ok(read_lines(path.as_ref(), limits)?.0)
    }

    /// Parses header text (LF or CRLF; `#` lines are comments, blank lines skipped) under the
    /// default [`ReadLimits`]; `path` only names the file in errors. More signal lines than
    /// declared is an error.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        Header::parse_with_limits(bytes, path, &ReadLimits::default())
    }

    /// [`parse`](Self::parse) with explicit limits: at most `max_header_bytes` bytes and
    /// `max_header_lines` lines, `max_signals` signals, `max_samples` samples per signal
    /// (else [`Error::Limit`](crate::Error::Limit) naming the line).
    pub fn parse_with_limits(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<Header> {
        Ok(parse_lines(bytes, path, limits)?.0)
    }

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

/// Reads a header file and the 1-based line of each signal line.
pub(crate) fn read_lines(path: &Path, limits: &ReadLimits) -> Result<(Header, Vec<usize>)> {
    let bytes = read_regular(path, limits.max_header_bytes, "max_header_bytes")?;
    parse_lines(&bytes, path, limits)
}

/// Parses a header, returning the 1-based line of each signal line with it.
fn parse_lines(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<(Header, Vec<usize>)> {
    if bytes.len() as u64 > limits.max_header_bytes {
        let msg = format!("{} bytes", bytes.len());
        return Err(exceeded(
            path,
            "max_header_bytes",
            limits.max_header_bytes,
            msg,
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        parse_err(path, line, "not valid UTF-8")
    })?;
    let mut comments = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if i >= limits.max_header_lines {
            let msg = format!("line {} is past the limit", i + 1);
            return Err(exceeded(
                path,
                "max_header_lines",
                limits.max_header_lines,
                msg,
            ));
        }
        let line = raw.trim();
        if let Some(c) = line.strip_prefix('#') {
            comments.push(c.trim().to_string());
        } else if !line.is_empty() {
            lines.push((i + 1, line));
        }
    }
    let Some(&(no, record_line)) = lines.first() else {
        return Err(parse_err(path, 1, "no record line"));
    };
    let (mut header, declared) = parse_record_line(record_line, path, no, limits)?;
    header.comments = comments;
    let mut signal_lines = Vec::with_capacity(declared);
    for (s, &(no, line)) in lines[1..].iter().enumerate() {
        if s == declared {
            let msg = format!("more signal lines than the {declared} the record line declares");
            return Err(parse_err(path, no, msg));
        }
        let spec = parse_signal_line(line, &header.record_name, s, path, no)?;
        check_group(&header.signals, &spec, path, no)?;
        header.signals.push(spec);
        signal_lines.push(no);
    }
    if header.signals.len() < declared {
        let msg = format!(
            "{declared} signals declared, {} found",
            header.signals.len()
        );
        return Err(parse_err(path, text.lines().count().max(1), msg));
    }
    Ok((header, signal_lines))
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
