//! The fixed 256-byte header and the per-signal headers of EDF, EDF+ and BDF files.

use std::path::Path;

use crate::limits::{ReadLimits, exceeded};
use crate::{Error, Result};

/// Which of the EDF family a file is, from its version field and its `reserved` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EdfKind {
    /// EDF (1992): 16-bit samples, no annotations.
    Edf,
    /// EDF+ continuous (`reserved` starts with `EDF+C`).
    EdfPlusC,
    /// EDF+ discontinuous (`EDF+D`): data records may have gaps between them.
    EdfPlusD,
    /// BDF (BioSemi): 24-bit samples, version `0xFF BIOSEMI`.
    Bdf,
    /// BDF+ continuous (`BDF+C`).
    BdfPlusC,
    /// BDF+ discontinuous (`BDF+D`).
    BdfPlusD,
}

impl EdfKind {
    /// Bytes per sample: 2 for EDF, 3 for BDF.
    pub fn sample_bytes(self) -> usize {
        match self {
            EdfKind::Edf | EdfKind::EdfPlusC | EdfKind::EdfPlusD => 2,
            EdfKind::Bdf | EdfKind::BdfPlusC | EdfKind::BdfPlusD => 3,
        }
    }

    /// True for EDF+ and BDF+ (time-keeping annotations in every data record).
    pub fn is_plus(self) -> bool {
        !matches!(self, EdfKind::Edf | EdfKind::Bdf)
    }

    /// True for EDF+D and BDF+D.
    pub fn is_discontinuous(self) -> bool {
        matches!(self, EdfKind::EdfPlusD | EdfKind::BdfPlusD)
    }

    /// The digital range a sample can hold.
    fn digital_range(self) -> (i64, i64) {
        match self.sample_bytes() {
            2 => (-32768, 32767),
            _ => (-(1 << 23), (1 << 23) - 1),
        }
    }
}

/// One signal's header.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EdfSignal {
    /// The label, trimmed (`ECG II`, `EKG`, `EDF Annotations`).
    pub label: String,
    /// The transducer type, trimmed.
    pub transducer: String,
    /// The physical dimension (unit), trimmed (`uV`, `mV`).
    pub unit: String,
    /// Physical value of `digital_min`.
    pub physical_min: f64,
    /// Physical value of `digital_max`.
    pub physical_max: f64,
    /// The smallest digital value.
    pub digital_min: i32,
    /// The largest digital value.
    pub digital_max: i32,
    /// The prefiltering, trimmed.
    pub prefilter: String,
    /// Samples in each data record.
    pub samples_per_record: usize,
}

impl EdfSignal {
    /// True for an EDF+ (`EDF Annotations`) or BDF+ (`BDF Annotations`) annotation signal.
    pub fn is_annotation(&self) -> bool {
        self.label == "EDF Annotations" || self.label == "BDF Annotations"
    }

    /// Physical units per digital step: `(physical_max - physical_min) / (digital_max -
    /// digital_min)`.
    pub fn gain(&self) -> f64 {
        (self.physical_max - self.physical_min)
            / (f64::from(self.digital_max) - f64::from(self.digital_min))
    }

    /// The physical value of digital value `d`.
    pub fn to_physical(&self, d: i32) -> f64 {
        self.physical_min + (f64::from(d) - f64::from(self.digital_min)) * self.gain()
    }

    /// The factor from this signal's unit to millivolts (`uV` 0.001, `mV` 1, `V` 1000; `µV`
    /// in Latin-1 or UTF-8, and any case, accepted), or `None` for a unit that is not a voltage.
    pub fn millivolts_per_unit(&self) -> Option<f64> {
        let unit = self.unit.trim().to_ascii_lowercase();
        match unit.as_str() {
            // `µ` as a Latin-1 byte, or as UTF-8 read as Latin-1.
            "uv" | "µv" | "\u{ce}\u{bc}v" | "microvolt" | "microvolts" => Some(1e-3),
            "mv" | "millivolt" | "millivolts" => Some(1.0),
            "v" | "volt" | "volts" => Some(1e3),
            "nv" => Some(1e-6),
            _ => None,
        }
    }
}

/// The parsed header of an EDF, EDF+ or BDF file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EdfHeader {
    /// The file's kind.
    pub kind: EdfKind,
    /// The local patient identification, trimmed.
    pub patient: String,
    /// The local recording identification, trimmed.
    pub recording: String,
    /// The start date as written (`dd.mm.yy`).
    pub start_date: String,
    /// The start time as written (`hh.mm.ss`).
    pub start_time: String,
    /// Bytes of the header: 256 x (signals + 1).
    pub header_bytes: usize,
    /// Data records (the header's count, or the count the file's size gives when it says -1).
    pub records: usize,
    /// Seconds of one data record.
    pub record_duration: f64,
    /// The signals, in file order, annotation signals included.
    pub signals: Vec<EdfSignal>,
}

impl EdfHeader {
    /// Bytes of one data record (all signals).
    pub fn record_bytes(&self) -> usize {
        let samples: usize = self.signals.iter().map(|s| s.samples_per_record).sum();
        samples * self.kind.sample_bytes()
    }

    /// Sampling rate of signal `i`, Hz (samples per record / record duration).
    pub fn fs(&self, i: usize) -> Option<f64> {
        let s = self.signals.get(i)?;
        Some(s.samples_per_record as f64 / self.record_duration)
    }
}

/// [`Error::Edf`] for `path`.
pub(super) fn edf_error(
    path: &Path,
    offset: usize,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Error {
    Error::Edf {
        path: path.to_path_buf(),
        offset: offset as u64,
        field: field.into(),
        message: message.into(),
    }
}

/// A field of the header: its bytes, where they start and its name.
struct Field<'a> {
    bytes: &'a [u8],
    offset: usize,
    name: String,
}

impl Field<'_> {
    fn error(&self, message: impl Into<String>) -> Error {
        edf_error(Path::new(""), self.offset, self.name.clone(), message)
    }

    /// The field as text, trimmed: printable ASCII (and, in free-text fields, any byte above
    /// 127, read as Latin-1, which files in the wild use for `µV`).
    fn text(&self) -> String {
        let s: String = self.bytes.iter().map(|&b| char::from(b)).collect();
        s.trim_matches(|c: char| c == ' ' || c == '\0').to_string()
    }

    /// The field as a number (ASCII digits, sign, point, exponent).
    fn number(&self) -> Result<f64> {
        let text = self.text();
        let shown = text.escape_debug().to_string();
        if text.is_empty() {
            return Err(self.error("empty, a number is required"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        {
            return Err(self.error(format!("{shown:?} is not a number")));
        }
        let v: f64 = text
            .parse()
            .map_err(|_| self.error(format!("{shown:?} is not a number")))?;
        if !v.is_finite() {
            return Err(self.error(format!("{shown:?} is not finite")));
        }
        Ok(v)
    }

    /// The field as an integer in `min..=max`.
    fn integer(&self, min: i64, max: i64) -> Result<i64> {
        let text = self.text();
        let shown = text.escape_debug().to_string();
        let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(format!("{shown:?} is not an integer")));
        }
        // At most 8 characters: always fits an i64.
        let v: i64 = text
            .parse()
            .map_err(|_| self.error(format!("{shown:?} is not an integer")))?;
        if v < min || v > max {
            return Err(self.error(format!("{v} is outside {min}..={max}")));
        }
        Ok(v)
    }
}

/// Widths of the per-signal fields, in the order they follow each other (all signals' labels,
/// then all transducers, ...), with their names.
const SIGNAL_FIELDS: [(usize, &str); 10] = [
    (16, "label"),
    (80, "transducer type"),
    (8, "physical dimension"),
    (8, "physical minimum"),
    (8, "physical maximum"),
    (8, "digital minimum"),
    (8, "digital maximum"),
    (80, "prefiltering"),
    (8, "number of samples in each data record"),
    (32, "reserved"),
];

/// Parses the header at the start of `bytes` (the whole file: its size is checked against the
/// header's byte counts). Errors name `path`, the byte offset and the field.
pub(super) fn parse_header(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<EdfHeader> {
    parse(bytes, limits).map_err(|e| match e {
        Error::Edf {
            offset,
            field,
            message,
            ..
        } => Error::Edf {
            path: path.to_path_buf(),
            offset,
            field,
            message,
        },
        Error::Limit {
            limit,
            max,
            message,
            ..
        } => exceeded(path, limit, max, message),
        other => other,
    })
}

fn field(bytes: &[u8], offset: usize, width: usize, name: impl Into<String>) -> Result<Field<'_>> {
    let name = name.into();
    let field = bytes.get(offset..offset + width).ok_or_else(|| {
        let msg = format!(
            "the file ends at byte {} inside the header (this {width}-byte field starts at byte \
             {offset})",
            bytes.len()
        );
        edf_error(Path::new(""), offset, name.clone(), msg)
    })?;
    Ok(Field {
        bytes: field,
        offset,
        name,
    })
}

fn parse(bytes: &[u8], limits: &ReadLimits) -> Result<EdfHeader> {
    let version = field(bytes, 0, 8, "version")?;
    let bdf = version.bytes == b"\xFFBIOSEMI";
    if !bdf && version.text() != "0" {
        let shown = String::from_utf8_lossy(version.bytes)
            .escape_debug()
            .to_string();
        let msg = format!(
            "{shown:?}: an EDF file starts with `0` and seven spaces, a BDF file with byte 255 and \
             `BIOSEMI`"
        );
        return Err(version.error(msg));
    }
    let patient = field(bytes, 8, 80, "local patient identification")?.text();
    let recording = field(bytes, 88, 80, "local recording identification")?.text();
    let start_date = field(bytes, 168, 8, "startdate of recording")?.text();
    let start_time = field(bytes, 176, 8, "starttime of recording")?.text();
    let header_field = field(bytes, 184, 8, "number of bytes in header record")?;
    let header_bytes = header_field.integer(256, 256 * 10_000)?;
    let reserved = field(bytes, 192, 44, "reserved")?;
    let kind = match (bdf, reserved.bytes.get(..5)) {
        (false, Some(b"EDF+C")) => EdfKind::EdfPlusC,
        (false, Some(b"EDF+D")) => EdfKind::EdfPlusD,
        (true, Some(b"BDF+C")) => EdfKind::BdfPlusC,
        (true, Some(b"BDF+D")) => EdfKind::BdfPlusD,
        (false, _) => EdfKind::Edf,
        (true, _) => EdfKind::Bdf,
    };
    let records_field = field(bytes, 236, 8, "number of data records")?;
    let declared_records = records_field.integer(-1, 99_999_999)?;
    let duration_field = field(bytes, 244, 8, "duration of a data record")?;
    let record_duration = duration_field.number()?;
    if record_duration < 0.0 {
        return Err(duration_field.error(format!("{record_duration} s is negative")));
    }
    let ns_field = field(bytes, 252, 4, "number of signals")?;
    let ns = ns_field.integer(1, 9999)? as usize;
    if ns > limits.max_signals {
        let msg = format!("{ns} signals (byte 252, number of signals)");
        return Err(exceeded(
            Path::new(""),
            "max_signals",
            limits.max_signals,
            msg,
        ));
    }
    if header_bytes != 256 * (ns as i64 + 1) {
        let msg = format!(
            "{header_bytes} bytes, but {ns} signals make a header of 256 x {} = {} bytes",
            ns + 1,
            256 * (ns + 1)
        );
        return Err(header_field.error(msg));
    }
    let header_bytes = header_bytes as usize;
    if bytes.len() < header_bytes {
        let msg = format!(
            "the header is {header_bytes} bytes ({ns} signals), the file only {}",
            bytes.len()
        );
        return Err(header_field.error(msg));
    }
    let (dig_lo, dig_hi) = kind.digital_range();
    let mut signals = Vec::with_capacity(ns);
    for i in 0..ns {
        let mut at = 256;
        let mut f = Vec::with_capacity(SIGNAL_FIELDS.len());
        for (width, name) in SIGNAL_FIELDS {
            f.push(field(
                bytes,
                at + i * width,
                width,
                format!("signal {i} {name}"),
            )?);
            at += ns * width;
        }
        let digital_min = f[5].integer(dig_lo, dig_hi)?;
        let digital_max = f[6].integer(dig_lo, dig_hi)?;
        if digital_max <= digital_min {
            let msg = format!("{digital_max} is not above the digital minimum {digital_min}");
            return Err(f[6].error(msg));
        }
        let physical_min = f[3].number()?;
        let physical_max = f[4].number()?;
        if physical_max == physical_min {
            let msg = format!("{physical_max} equals the physical minimum: no scale");
            return Err(f[4].error(msg));
        }
        let spr = f[8].integer(1, 99_999_999)? as usize;
        signals.push(EdfSignal {
            label: f[0].text(),
            transducer: f[1].text(),
            unit: f[2].text(),
            physical_min,
            physical_max,
            digital_min: digital_min as i32,
            digital_max: digital_max as i32,
            prefilter: f[7].text(),
            samples_per_record: spr,
        });
    }
    let mut header = EdfHeader {
        kind,
        patient,
        recording,
        start_date,
        start_time,
        header_bytes,
        records: 0,
        record_duration,
        signals,
    };
    if kind.is_plus() && !header.signals.iter().any(EdfSignal::is_annotation) {
        let msg = "an EDF+/BDF+ file must hold an `EDF Annotations` signal; this one has none";
        return Err(reserved.error(msg));
    }
    // Fits: at most 9999 signals of at most 10^8 samples of 3 bytes.
    let record_bytes = header.record_bytes();
    let data = (bytes.len() - header_bytes) as u64;
    let records = if declared_records < 0 {
        // Unknown (a recording still being written): as many whole records as the file holds.
        data / record_bytes as u64
    } else {
        declared_records as u64
    };
    let need = records.saturating_mul(record_bytes as u64);
    if need != data {
        let msg = format!(
            "{records} data records of {record_bytes} bytes need {need} bytes after the \
             {header_bytes}-byte header; the file has {data}{}",
            if need > data {
                " (truncated)"
            } else {
                " (bytes left over)"
            }
        );
        if declared_records >= 0 || need > data {
            return Err(records_field.error(msg));
        }
    }
    if record_duration == 0.0 && header.signals.iter().any(|s| !s.is_annotation()) {
        let msg = "0 s, allowed only in a file of annotations alone: signals need a duration";
        return Err(duration_field.error(msg));
    }
    header.records = usize::try_from(records).unwrap_or(usize::MAX);
    for (i, s) in header.signals.iter().enumerate() {
        let total = (s.samples_per_record as u64).saturating_mul(records);
        if !s.is_annotation() && total > limits.max_samples as u64 {
            let msg = format!("signal {i} ({}): {total} samples", s.label);
            return Err(exceeded(
                Path::new(""),
                "max_samples",
                limits.max_samples,
                msg,
            ));
        }
    }
    Ok(header)
}
