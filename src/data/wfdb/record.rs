//! Signal files: whole records or sample ranges, as digital values, physical values or [`Ecg`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::decode::{byte_span, check_range, corrupt, decode_group, frame_count, usize_of};
use super::header::{Header, header_path};
use crate::data::Ecg;
use crate::{Error, Result};

/// A record's header and the digital samples of samples `start..start + len()` of each signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The parsed header.
    pub header: Header,
    /// Index of the first sample held (0 for a whole record).
    pub start: usize,
    /// Digital samples, one vector per signal in header order, all the same length.
    pub digital: Vec<Vec<i16>>,
}

impl Record {
    /// Reads a whole record; `record` is its path without extension (e.g. `mitdb/100`) or
    /// its `.hea` file. Each signal file is read in one call.
    pub fn read(record: impl AsRef<Path>) -> Result<Record> {
        let hea = header_path(record.as_ref());
        let header = Header::read(&hea)?;
        let paths = data_paths(&header, &hea)?;
        let mut files = Vec::with_capacity(paths.len());
        for p in &paths {
            files.push(std::fs::read(p).map_err(|e| Error::io(p, e))?);
        }
        let named: Vec<(&Path, &[u8])> = paths
            .iter()
            .map(PathBuf::as_path)
            .zip(files.iter().map(Vec::as_slice))
            .collect();
        let mut digital = Vec::new();
        decode(&header, &named, None, &mut digital)?;
        Ok(Record {
            header,
            start: 0,
            digital,
        })
    }

    /// Reads samples `range` (start inclusive, end exclusive) of every signal, seeking to the
    /// first frame and reading only the bytes that hold the range.
    pub fn read_range(record: impl AsRef<Path>, range: Range<usize>) -> Result<Record> {
        let hea = header_path(record.as_ref());
        let header = Header::read(&hea)?;
        let paths = data_paths(&header, &hea)?;
        let groups = header.groups();
        let mut lens = Vec::with_capacity(paths.len());
        for p in &paths {
            lens.push(std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len());
        }
        let n_frames = frame_count(&header, &groups, &lens, &paths)?;
        check_range(&range, n_frames)?;
        let mut digital = vec![Vec::new(); header.signals.len()];
        for (g, p) in groups.iter().zip(&paths) {
            let (span, skip) = byte_span(g, &range);
            let mut buf = vec![0u8; usize_of(span.end - span.start, p)?];
            let mut file = File::open(p).map_err(|e| Error::io(p, e))?;
            file.seek(SeekFrom::Start(span.start))
                .map_err(|e| Error::io(p, e))?;
            file.read_exact(&mut buf).map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    corrupt(p, span.start, "file shrank while read")
                }
                _ => Error::io(p, e),
            })?;
            let slots = &mut digital[g.signals.clone()];
            decode_group(g, &buf, skip, range.len(), (p, span.start), slots)?;
        }
        Ok(Record {
            header,
            start: range.start,
            digital,
        })
    }

    /// Decodes a whole record from its header and the bytes of its signal files, one slice per
    /// [`Header::groups`] entry (for MIT-BIH, the single `.dat`).
    pub fn from_bytes(header: Header, files: &[&[u8]]) -> Result<Record> {
        let digital = decode_signals(&header, files)?;
        Ok(Record {
            header,
            start: 0,
            digital,
        })
    }

    /// Samples per signal held.
    pub fn len(&self) -> usize {
        self.digital.first().map_or(0, Vec::len)
    }

    /// True when no sample is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Physical values of signal `signal` (`(digital - baseline) / gain`, invalid samples as
    /// `NaN`); `None` when there is no such signal.
    pub fn physical(&self, signal: usize) -> Option<Vec<f32>> {
        let spec = self.header.signals.get(signal)?;
        Some(
            self.digital
                .get(signal)?
                .iter()
                .map(|&d| spec.to_physical(d))
                .collect(),
        )
    }

    /// WFDB checksum of the held samples of `signal`: their sum modulo 2^16, read as `i16`
    /// (equal to the header's checksum for a whole record).
    pub fn checksum(&self, signal: usize) -> Option<i16> {
        let sum = self
            .digital
            .get(signal)?
            .iter()
            .fold(0u16, |a, &d| a.wrapping_add(d as u16));
        Some(sum as i16)
    }

    /// The record in physical units, lead names taken from the signal descriptions.
    pub fn to_ecg(&self) -> Ecg {
        let n = self.header.signals.len().min(self.digital.len());
        Ecg {
            fs: self.header.fs,
            lead_names: self
                .header
                .signals
                .iter()
                .take(n)
                .map(|s| s.description.clone())
                .collect(),
            leads: (0..n).filter_map(|i| self.physical(i)).collect(),
        }
    }
}

/// Reads a whole record as an [`Ecg`] in physical units (see [`Record::read`]).
pub fn read_ecg(record: impl AsRef<Path>) -> Result<Ecg> {
    Ok(Record::read(record)?.to_ecg())
}

/// Decodes every signal of a record from the bytes of its signal files (one slice per
/// [`Header::groups`] entry), after checking their sizes against the header. Errors name the
/// header's file names.
pub fn decode_signals(header: &Header, files: &[&[u8]]) -> Result<Vec<Vec<i16>>> {
    let mut out = Vec::new();
    decode_signals_into(header, files, &mut out)?;
    Ok(out)
}

/// Like [`decode_signals`], refilling `out` (one vector per signal) and reusing its vectors'
/// capacity: decoding many records this way allocates nothing once capacities suffice.
pub fn decode_signals_into(
    header: &Header,
    files: &[&[u8]],
    out: &mut Vec<Vec<i16>>,
) -> Result<()> {
    decode(header, &name_files(header, files)?, None, out)
}

/// Like [`decode_signals`] but decodes only samples `range`.
pub fn decode_signals_range(
    header: &Header,
    files: &[&[u8]],
    range: Range<usize>,
) -> Result<Vec<Vec<i16>>> {
    let mut out = Vec::new();
    decode(header, &name_files(header, files)?, Some(range), &mut out)?;
    Ok(out)
}

fn name_files<'a>(header: &'a Header, files: &[&'a [u8]]) -> Result<Vec<(&'a Path, &'a [u8])>> {
    let groups = header.groups();
    if groups.len() != files.len() {
        let msg = format!(
            "the header names {} signal files, {} given",
            groups.len(),
            files.len()
        );
        return Err(Error::invalid("files", msg));
    }
    let names = groups
        .iter()
        .map(|g| Path::new(&header.signals[g.signals.start].file_name));
    Ok(names.zip(files.iter().copied()).collect())
}

fn decode(
    header: &Header,
    files: &[(&Path, &[u8])],
    range: Option<Range<usize>>,
    out: &mut Vec<Vec<i16>>,
) -> Result<()> {
    let groups = header.groups();
    let lens: Vec<u64> = files.iter().map(|(_, b)| b.len() as u64).collect();
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.to_path_buf()).collect();
    let n_frames = frame_count(header, &groups, &lens, &paths)?;
    let range = range.unwrap_or(0..n_frames);
    check_range(&range, n_frames)?;
    out.resize_with(header.signals.len(), Vec::new);
    for (g, (path, bytes)) in groups.iter().zip(files) {
        let (span, skip) = byte_span(g, &range);
        let (a, b) = (usize_of(span.start, path)?, usize_of(span.end, path)?);
        let bytes = bytes
            .get(a..b)
            .ok_or_else(|| corrupt(path, bytes.len() as u64, "truncated"))?;
        let slots = &mut out[g.signals.clone()];
        decode_group(g, bytes, skip, range.len(), (path, span.start), slots)?;
    }
    Ok(())
}

/// Paths of the record's signal files, next to its header.
fn data_paths(header: &Header, hea: &Path) -> Result<Vec<PathBuf>> {
    let dir = hea.parent().unwrap_or(Path::new(""));
    let mut paths = Vec::new();
    for g in header.groups() {
        if g.file_name == "~" {
            let msg = "null signal file `~` (signals without data)";
            return Err(Error::Unsupported {
                path: hea.to_path_buf(),
                message: msg.into(),
            });
        }
        paths.push(dir.join(&g.file_name));
    }
    Ok(paths)
}
