//! WFDB header (`.hea`) files: the record line, one line per signal, `#` comments.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::Format;
use crate::{Error, Result};

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
        if self.adc_gain == 0.0 { DEFAULT_GAIN } else { self.adc_gain }
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
    /// Reads and parses a header file.
    pub fn read(path: impl AsRef<Path>) -> Result<Header> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Header::parse(&bytes, path)
    }

    /// Parses header text; `path` only names the file in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            parse_err(path, line, "not valid UTF-8")
        })?;
        let mut comments = Vec::new();
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
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
        let (mut header, declared) = parse_record_line(record_line, path, no)?;
        header.comments = comments;
        for (s, &(no, line)) in lines[1..].iter().enumerate() {
            if s == declared {
                let msg = format!("more signal lines than the {declared} the record line declares");
                return Err(parse_err(path, no, msg));
            }
            let spec = parse_signal_line(line, &header.record_name, s, path, no)?;
            check_group(&header.signals, &spec, path, no)?;
            header.signals.push(spec);
        }
        if header.signals.len() < declared {
            let msg = format!("{declared} signals declared, {} found", header.signals.len());
            return Err(parse_err(path, text.lines().count().max(1), msg));
        }
        Ok(header)
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

fn parse_err(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse { path: path.to_path_buf(), line, message: message.into() }
}

fn unsupported(path: &Path, message: impl Into<String>) -> Error {
    Error::Unsupported { path: path.to_path_buf(), message: message.into() }
}

fn num<T: std::str::FromStr>(tok: &str, what: &str, path: &Path, line: usize) -> Result<T> {
    tok.parse().map_err(|_| parse_err(path, line, format!("bad {what} `{tok}`")))
}

fn positive(tok: &str, what: &str, path: &Path, line: usize) -> Result<f64> {
    let v: f64 = num(tok, what, path, line)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(parse_err(path, line, format!("{what} must be positive, got `{tok}`")))
    }
}

/// `name[/segments] nsig [fs[/counter[(base)]] [nsamp [time [date]]]]`
fn parse_record_line(line: &str, path: &Path, no: usize) -> Result<(Header, usize)> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    if let Some((name, segs)) = toks[0].split_once('/') {
        return Err(unsupported(path, format!("record {name} is multi-segment ({segs} segments)")));
    }
    let Some(&nsig) = toks.get(1) else {
        return Err(parse_err(path, no, "record line lacks the number of signals"));
    };
    if toks.len() > 6 {
        return Err(parse_err(path, no, format!("unexpected field `{}`", toks[6])));
    }
    let n_signals: usize = num(nsig, "number of signals", path, no)?;
    if n_signals > 4096 {
        return Err(parse_err(path, no, format!("implausible number of signals {n_signals}")));
    }
    let (mut fs, mut counter_freq, mut base_counter) = (DEFAULT_FS, None, None);
    if let Some(&tok) = toks.get(2) {
        let (f, counter) = tok.split_once('/').map_or((tok, None), |(f, c)| (f, Some(c)));
        fs = positive(f, "sampling frequency", path, no)?;
        if let Some(c) = counter {
            let (cf, base) = match c.split_once('(') {
                Some((cf, b)) => (cf, Some(b.strip_suffix(')').unwrap_or(b))),
                None => (c, None),
            };
            counter_freq = Some(positive(cf, "counter frequency", path, no)?);
            base_counter = base.map(|b| num(b, "base counter", path, no)).transpose()?;
        }
    }
    let n_samples = match toks.get(3) {
        Some(t) => Some(num::<usize>(t, "number of samples", path, no)?).filter(|&n| n > 0),
        None => None,
    };
    let header = Header {
        record_name: toks[0].to_string(),
        fs,
        counter_freq,
        base_counter,
        n_samples,
        base_time: toks.get(4).map(|s| s.to_string()),
        base_date: toks.get(5).map(|s| s.to_string()),
        signals: Vec::with_capacity(n_signals),
        comments: Vec::new(),
    };
    Ok((header, n_signals))
}

/// Splits off the first whitespace-delimited token.
fn next_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// `file fmt[xspf][:skew][+offset] [gain[(baseline)][/units] [res [zero [init [cksum
/// [bsize [description]]]]]]]`
fn parse_signal_line(
    line: &str,
    record: &str,
    index: usize,
    path: &Path,
    no: usize,
) -> Result<SignalSpec> {
    let mut rest = line;
    let mut toks: Vec<&str> = Vec::with_capacity(8);
    while toks.len() < 8 {
        let Some((tok, r)) = next_token(rest) else { break };
        toks.push(tok);
        rest = r;
    }
    let Some(&fmt_tok) = toks.get(1) else {
        return Err(parse_err(path, no, "signal line lacks a format"));
    };
    let (format, byte_offset) = parse_format(fmt_tok, path, no)?;
    let (mut adc_gain, mut baseline, mut units) = (0.0f64, None, "mV".to_string());
    if let Some(&tok) = toks.get(2) {
        let end = tok.find(['(', '/']).unwrap_or(tok.len());
        adc_gain = num(&tok[..end], "gain", path, no)?;
        if !adc_gain.is_finite() || adc_gain < 0.0 {
            return Err(parse_err(path, no, format!("bad gain `{tok}`")));
        }
        let mut tail = &tok[end..];
        if let Some(b) = tail.strip_prefix('(') {
            let Some((b, after)) = b.split_once(')') else {
                return Err(parse_err(path, no, format!("unclosed baseline in `{tok}`")));
            };
            baseline = Some(num(b, "baseline", path, no)?);
            tail = after;
        }
        if let Some(u) = tail.strip_prefix('/').filter(|u| !u.is_empty()) {
            units = u.to_string();
        } else if !tail.is_empty() {
            return Err(parse_err(path, no, format!("bad gain field `{tok}`")));
        }
    }
    let adc_resolution = match toks.get(3) {
        Some(t) => num(t, "ADC resolution", path, no)?,
        None => format.default_adc_resolution(),
    };
    let adc_zero = toks.get(4).map(|t| num(t, "ADC zero", path, no)).transpose()?.unwrap_or(0);
    let initial_value = toks.get(5).map(|t| num(t, "initial value", path, no)).transpose()?;
    let checksum = match toks.get(6).map(|t| num::<i64>(t, "checksum", path, no)).transpose()? {
        Some(c @ -32768..=65535) => Some(c as u16 as i16),
        Some(c) => return Err(parse_err(path, no, format!("checksum {c} outside 16 bits"))),
        None => None,
    };
    let block_size = toks.get(7).map(|t| num(t, "block size", path, no)).transpose()?;
    let description = match rest.trim() {
        "" => format!("record {record}, signal {index}"),
        d => d.to_string(),
    };
    Ok(SignalSpec {
        file_name: toks[0].to_string(),
        format,
        byte_offset,
        adc_gain,
        baseline: baseline.unwrap_or(adc_zero),
        units,
        adc_resolution,
        adc_zero,
        initial_value: initial_value.unwrap_or(adc_zero),
        checksum,
        block_size: block_size.unwrap_or(0),
        description,
    })
}

/// `fmt[xspf][:skew][+offset]`; only one sample per frame and no skew are supported.
fn parse_format(tok: &str, path: &Path, no: usize) -> Result<(Format, u64)> {
    let digits = tok.find(|c: char| !c.is_ascii_digit()).unwrap_or(tok.len());
    let code: u32 = num(&tok[..digits], "format", path, no)?;
    let mut byte_offset = 0;
    let mut rest = &tok[digits..];
    while let Some(tag) = rest.chars().next() {
        let body = &rest[tag.len_utf8()..];
        let end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
        let value: u64 = num(&body[..end], "format modifier", path, no)?;
        match tag {
            'x' if value > 1 => {
                return Err(unsupported(path, format!("{value} samples per frame (line {no})")));
            }
            ':' if value != 0 => {
                return Err(unsupported(path, format!("skew {value} (line {no})")));
            }
            '+' => byte_offset = value,
            'x' | ':' => {}
            _ => return Err(parse_err(path, no, format!("bad format field `{tok}`"))),
        }
        rest = &body[end..];
    }
    let format = Format::from_code(code).ok_or_else(|| {
        unsupported(path, format!("signal format {code} (line {no}); supported: 212, 16, 61, 80, 160"))
    })?;
    Ok((format, byte_offset))
}

/// Signals sharing a file must be listed together and agree on format and block size.
fn check_group(previous: &[SignalSpec], spec: &SignalSpec, path: &Path, no: usize) -> Result<()> {
    let Some(last) = previous.last() else { return Ok(()) };
    if last.file_name == spec.file_name {
        if last.format != spec.format || last.block_size != spec.block_size {
            let msg = format!("signals in {} differ in format or block size", spec.file_name);
            return Err(parse_err(path, no, msg));
        }
    } else if previous.iter().any(|s| s.file_name == spec.file_name) {
        let msg = format!("signals of file {} are not listed together", spec.file_name);
        return Err(parse_err(path, no, msg));
    }
    Ok(())
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
