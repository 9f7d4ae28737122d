//! Whole EDF/EDF+/BDF files: data records decoded, annotations read, leads picked.

use std::ops::Range;
use std::path::Path;

use super::annotations::{EdfAnnotation, Place, parse_tals};
use super::header::{EdfHeader, EdfSignal, edf_error, parse_header};
use super::leads::ecg_lead;
use crate::data::Ecg;
use crate::limits::{ReadLimits, exceeded, read_regular};
use crate::{Error, Result};

/// Gaps between EDF+D data records shorter than this (seconds) are rounding, not gaps.
const GAP_TOLERANCE_S: f64 = 1e-6;

/// An EDF, EDF+ or BDF file read whole: its header, every ordinary signal's digital samples,
/// its annotations and the start of each data record.
#[derive(Debug, Clone, PartialEq)]
pub struct EdfRecording {
    /// The parsed header.
    pub header: EdfHeader,
    /// Digital samples, one vector per signal in header order (empty for annotation signals).
    pub digital: Vec<Vec<i32>>,
    /// The annotations of every annotation signal, in file order (time-keeping TALs left out).
    pub annotations: Vec<EdfAnnotation>,
    /// Start of each data record, seconds from the file's start: from the time-keeping TALs in
    /// EDF+/BDF+, `record x duration` in EDF/BDF.
    pub record_starts: Vec<f64>,
}

/// A run of data records without a gap between them (an EDF+D file may hold several).
#[derive(Debug, Clone, PartialEq)]
pub struct EdfSegment {
    /// The data records it spans.
    pub records: Range<usize>,
    /// Its start, seconds from the file's start.
    pub start: f64,
}

/// Reads an EDF, EDF+ or BDF file under the default [`ReadLimits`].
pub fn read_edf(path: impl AsRef<Path>) -> Result<EdfRecording> {
    read_edf_with_limits(path, &ReadLimits::default())
}

/// Reads an EDF, EDF+ or BDF file under `limits`: a regular file of at most
/// `max_edf_file_bytes`, read whole, then [`parse_edf`].
pub fn read_edf_with_limits(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<EdfRecording> {
    let path = path.as_ref();
    let bytes = read_regular(path, limits.max_edf_file_bytes, "max_edf_file_bytes")?;
    parse_edf(&bytes, path, limits)
}

/// Parses the bytes of a whole EDF, EDF+ or BDF file; `path` names it in errors.
///
/// The header's byte counts must match `bytes.len()` exactly (a count of -1 data records takes
/// as many whole records as the file holds); at most `limits.max_signals` signals,
/// `limits.max_samples` samples per signal and `limits.max_annotations` annotations, checked
/// before their memory is allocated. Errors: [`Error::Edf`] naming the byte offset and the
/// header field (or data record), [`Error::Limit`].
pub fn parse_edf(bytes: &[u8], path: &Path, limits: &ReadLimits) -> Result<EdfRecording> {
    let header = parse_header(bytes, path, limits)?;
    let n = header.records;
    let sample_bytes = header.kind.sample_bytes();
    let record_bytes = header.record_bytes();
    // Byte offset of each signal inside a data record.
    let mut offsets = Vec::with_capacity(header.signals.len());
    let mut at = 0;
    for s in &header.signals {
        offsets.push(at);
        at += s.samples_per_record * sample_bytes;
    }
    let mut digital: Vec<Vec<i32>> = header
        .signals
        .iter()
        .map(|s| match s.is_annotation() {
            true => Vec::new(),
            // Within max_samples: checked by the header.
            false => Vec::with_capacity(s.samples_per_record * n),
        })
        .collect();
    let plus = header.kind.is_plus();
    let first_annotation = header.signals.iter().position(EdfSignal::is_annotation);
    let mut annotations = Vec::new();
    let mut record_starts = Vec::with_capacity(n);
    for r in 0..n {
        let base = header.header_bytes + r * record_bytes;
        let record = &bytes[base..base + record_bytes];
        let mut start = None;
        for (i, s) in header.signals.iter().enumerate() {
            let chunk = &record[offsets[i]..offsets[i] + s.samples_per_record * sample_bytes];
            if s.is_annotation() {
                if !plus {
                    continue;
                }
                let place = Place {
                    path,
                    offset: base + offsets[i],
                    record: r,
                };
                let keeps_time = Some(i) == first_annotation;
                let got = parse_tals(chunk, &place, keeps_time, &mut annotations)?;
                if keeps_time {
                    start = got;
                }
                if annotations.len() > limits.max_annotations {
                    let msg = format!(
                        "more than {} annotations by data record {r}",
                        limits.max_annotations
                    );
                    return Err(exceeded(
                        path,
                        "max_annotations",
                        limits.max_annotations,
                        msg,
                    ));
                }
            } else {
                decode(chunk, sample_bytes, &mut digital[i]);
            }
        }
        record_starts.push(start.unwrap_or(r as f64 * header.record_duration));
    }
    let recording = EdfRecording {
        header,
        digital,
        annotations,
        record_starts,
    };
    recording.check_starts(path)?;
    Ok(recording)
}

/// Appends the little-endian 16-bit (EDF) or 24-bit (BDF) samples of `chunk` to `out`.
fn decode(chunk: &[u8], sample_bytes: usize, out: &mut Vec<i32>) {
    match sample_bytes {
        2 => out.extend(
            chunk
                .chunks_exact(2)
                .map(|b| i32::from(i16::from_le_bytes([b[0], b[1]]))),
        ),
        _ => out.extend(
            chunk
                .chunks_exact(3)
                .map(|b| i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8),
        ),
    }
}

impl EdfRecording {
    /// Samples per signal held by signal `i` (0 for an annotation signal).
    pub fn len(&self, i: usize) -> usize {
        self.digital.get(i).map_or(0, Vec::len)
    }

    /// Sampling rate of signal `i`, Hz.
    pub fn fs(&self, i: usize) -> Option<f64> {
        self.header.fs(i)
    }

    /// Physical values of signal `i` in its own unit (`None` for no such signal; empty for an
    /// annotation signal).
    pub fn physical(&self, i: usize) -> Option<Vec<f32>> {
        let s = self.header.signals.get(i)?;
        Some(
            self.digital
                .get(i)?
                .iter()
                .map(|&d| s.to_physical(d) as f32)
                .collect(),
        )
    }

    /// The signals that carry ECG, as `(signal index, lead name)`: a label that names a lead
    /// (see [`ecg_lead`](super::ecg_lead)) and a unit that is a voltage. Non-ECG signals
    /// (respiration, EEG, status channels, annotations) are left out.
    pub fn ecg_signals(&self) -> Vec<(usize, String)> {
        self.header
            .signals
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_annotation() && s.millivolts_per_unit().is_some())
            .filter_map(|(i, s)| Some((i, ecg_lead(&s.label)?)))
            .collect()
    }

    /// The lead read when none is named: `II`, else `MLII`, else the first ECG signal.
    pub fn default_lead(&self) -> Option<String> {
        let ecg = self.ecg_signals();
        ["II", "MLII"]
            .iter()
            .find(|l| ecg.iter().any(|(_, n)| n == *l))
            .map(|l| l.to_string())
            .or_else(|| ecg.first().map(|(_, n)| n.clone()))
    }

    /// The runs of data records without a gap (one for EDF, EDF+C and BDF; one per piece of an
    /// EDF+D file). Gaps under a microsecond are taken for rounding.
    pub fn segments(&self) -> Vec<EdfSegment> {
        let mut out: Vec<EdfSegment> = Vec::new();
        let d = self.header.record_duration;
        for (r, &start) in self.record_starts.iter().enumerate() {
            match out.last_mut() {
                Some(seg) if (start - (self.record_starts[r - 1] + d)).abs() <= GAP_TOLERANCE_S => {
                    seg.records.end = r + 1;
                }
                _ => out.push(EdfSegment {
                    records: r..r + 1,
                    start,
                }),
            }
        }
        out
    }

    /// The file as an [`Ecg`] in millivolts: the signal named `lead` alone, or every ECG signal
    /// ([`ecg_signals`](Self::ecg_signals)) when `None`. A lead is found by its lead name
    /// (`II`, as [`ecg_lead`](super::ecg_lead) maps labels), else by its label, exactly, then
    /// ignoring case. The leads read must share a sampling rate (else [`Error::Unsupported`],
    /// naming each lead's rate: pick one with `lead`); signals of other rates that are not read
    /// do not matter. An EDF+D file with a gap between data records is
    /// [`Error::Unsupported`] (read its pieces with [`segment_ecg`](Self::segment_ecg)).
    pub fn to_ecg(&self, path: &Path, lead: Option<&str>) -> Result<Ecg> {
        let segments = self.segments();
        if segments.len() > 1 {
            let r = segments[1].records.start;
            let gap =
                self.record_starts[r] - self.record_starts[r - 1] - self.header.record_duration;
            let msg = format!(
                "EDF+D data record {r} starts {gap} s after the previous one ends: a gap in the \
                 signal ({} contiguous pieces); read a piece with EdfRecording::segment_ecg",
                segments.len()
            );
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                message: msg,
            });
        }
        self.ecg_of(path, lead, 0..self.header.records)
    }

    /// Piece `segment` of [`segments`](Self::segments) as an [`Ecg`] (see
    /// [`to_ecg`](Self::to_ecg)); [`Error::InvalidArgument`] for no such piece.
    pub fn segment_ecg(&self, path: &Path, lead: Option<&str>, segment: usize) -> Result<Ecg> {
        let segments = self.segments();
        let seg = segments.get(segment).ok_or_else(|| {
            let msg = format!("piece {segment} of {} contiguous pieces", segments.len());
            Error::invalid("segment", msg)
        })?;
        self.ecg_of(path, lead, seg.records.clone())
    }

    fn ecg_of(&self, path: &Path, lead: Option<&str>, records: Range<usize>) -> Result<Ecg> {
        let ecg = self.ecg_signals();
        let picked: Vec<(usize, String)> = match lead {
            None if ecg.is_empty() => {
                let msg = format!("no ECG signal among {}", self.describe());
                return Err(Error::Dataset(format!("{}: {msg}", path.display())));
            }
            None => ecg,
            Some(name) => vec![self.find(path, name, &ecg)?],
        };
        let fs = self.fs(picked[0].0).unwrap_or(0.0);
        if picked.iter().any(|&(i, _)| self.fs(i) != Some(fs)) {
            let rates: Vec<String> = picked
                .iter()
                .map(|(i, n)| format!("{n} {} Hz", self.fs(*i).unwrap_or(0.0)))
                .collect();
            let msg = format!(
                "its ECG leads have different sampling rates ({}): name one lead to read it \
                 alone (`--lead`); leads are not resampled",
                rates.join(", ")
            );
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                message: msg,
            });
        }
        let mut leads = Vec::with_capacity(picked.len());
        for (i, _) in &picked {
            let s = &self.header.signals[*i];
            let mv = self.millivolts(path, *i)?;
            let spr = s.samples_per_record;
            let digital = &self.digital[*i][records.start * spr..records.end * spr];
            let (gain, pmin, dmin) = (s.gain() * mv, s.physical_min * mv, f64::from(s.digital_min));
            leads.push(
                digital
                    .iter()
                    .map(|&d| (pmin + (f64::from(d) - dmin) * gain) as f32)
                    .collect(),
            );
        }
        Ok(Ecg {
            fs,
            lead_names: picked.into_iter().map(|(_, n)| n).collect(),
            leads,
        })
    }

    /// The factor from signal `i`'s unit to mV, or an error naming its physical dimension.
    fn millivolts(&self, path: &Path, i: usize) -> Result<f64> {
        let s = &self.header.signals[i];
        s.millivolts_per_unit().ok_or_else(|| {
            let ns = self.header.signals.len();
            let offset = 256 + ns * (16 + 80) + i * 8;
            let msg = format!(
                "{:?} is not a voltage (uV, mV or V): signal {:?} is not read as ECG",
                s.unit, s.label
            );
            edf_error(path, offset, format!("signal {i} physical dimension"), msg)
        })
    }

    /// The signal `name` names: a lead name of `ecg`, else a label, exact then ignoring case.
    fn find(&self, path: &Path, name: &str, ecg: &[(usize, String)]) -> Result<(usize, String)> {
        if let Some(hit) = ecg.iter().find(|(_, n)| n == name) {
            return Ok(hit.clone());
        }
        let signals = &self.header.signals;
        let ordinary = |i: &usize| !signals[*i].is_annotation();
        let by_label = (0..signals.len())
            .filter(ordinary)
            .find(|&i| signals[i].label == name)
            .or_else(|| {
                (0..signals.len())
                    .filter(ordinary)
                    .find(|&i| signals[i].label.eq_ignore_ascii_case(name.trim()))
            });
        match by_label {
            Some(i) => {
                self.millivolts(path, i)?;
                let lead = ecg_lead(&signals[i].label).unwrap_or_else(|| signals[i].label.clone());
                Ok((i, lead))
            }
            None => {
                let msg = format!(
                    "no lead or signal {name:?} (its signals: {})",
                    self.describe()
                );
                Err(Error::Dataset(format!("{}: {msg}", path.display())))
            }
        }
    }

    /// `label (lead, rate Hz, unit)` for every ordinary signal.
    fn describe(&self) -> String {
        let parts: Vec<String> = (0..self.header.signals.len())
            .filter(|&i| !self.header.signals[i].is_annotation())
            .map(|i| {
                let s = &self.header.signals[i];
                let lead = ecg_lead(&s.label).map_or("not ECG".into(), |l| format!("lead {l}"));
                format!(
                    "{:?} ({lead}, {} Hz, {:?})",
                    s.label,
                    self.fs(i).unwrap_or(0.0),
                    s.unit
                )
            })
            .collect();
        match parts.is_empty() {
            true => "no ordinary signal".into(),
            false => parts.join(", "),
        }
    }

    /// EDF+C/BDF+C: each record must start where the previous one ends; EDF+D: records must not
    /// go back in time or overlap.
    fn check_starts(&self, path: &Path) -> Result<()> {
        if !self.header.kind.is_plus() {
            return Ok(());
        }
        let d = self.header.record_duration;
        let record_bytes = self.header.record_bytes();
        for r in 1..self.record_starts.len() {
            let (prev, start) = (self.record_starts[r - 1], self.record_starts[r]);
            let gap = start - (prev + d);
            let bad = match self.header.kind.is_discontinuous() {
                true => (gap < -GAP_TOLERANCE_S).then_some("overlaps the previous one"),
                false => (gap.abs() > GAP_TOLERANCE_S)
                    .then_some("does not follow the previous one in an EDF+C (continuous) file"),
            };
            if let Some(what) = bad {
                let msg = format!(
                    "starts at {start} s, the previous at {prev} s (records of {d} s): it {what}"
                );
                let offset = self.header.header_bytes + r * record_bytes;
                return Err(edf_error(
                    path,
                    offset,
                    format!("data record {r} time-keeping TAL"),
                    msg,
                ));
            }
        }
        Ok(())
    }
}

/// Reads an EDF/EDF+/BDF file's ECG leads as an [`Ecg`] in mV (every ECG signal, which must
/// share a rate; see [`EdfRecording::to_ecg`]), under the default [`ReadLimits`].
pub fn read_ecg(path: impl AsRef<Path>) -> Result<Ecg> {
    read_ecg_with_limits(path, &ReadLimits::default())
}

/// [`read_ecg`] under `limits`.
pub fn read_ecg_with_limits(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<Ecg> {
    let path = path.as_ref();
    read_edf_with_limits(path, limits)?.to_ecg(path, None)
}
