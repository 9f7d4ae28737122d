//! Signal files: whole records or sample ranges, as digital values, physical values or [`Ecg`].

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use super::decode::{byte_span, check_range, corrupt, decode_group, frame_count, usize_of};
use super::header::{Header, header_path};
use super::header_lines::read_lines;
use crate::data::Ecg;
use crate::limits::{ReadLimits, check_regular, exceeded, open_regular, read_regular};
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
    /// Reads a whole record under the default [`ReadLimits`]; `record` is its path without
    /// extension (e.g. `mitdb/100`) or its `.hea` file. Each signal file is read in one call.
    pub fn read(record: impl AsRef<Path>) -> Result<Record> {
        Record::read_with_limits(record, &ReadLimits::default())
    }

    /// Reads a whole record under `limits`. The header and its signal files must be regular
    /// files ([`Error::NotRegularFile`]), the signal files inside the header's folder
    /// ([`Error::OutsideFolder`]), and the record at most `limits.max_samples` samples per
    /// signal ([`Error::Limit`]), checked from the file sizes before anything is read: memory is
    /// the signal files' bytes plus the decoded samples. With `limits.verify_checksums` (the
    /// default), each signal's samples are compared with its header checksum
    /// ([`verify_checksums`](Self::verify_checksums)).
    pub fn read_with_limits(record: impl AsRef<Path>, limits: &ReadLimits) -> Result<Record> {
        let hea = header_path(record.as_ref());
        let (header, paths, lens) = open_record(&hea, limits)?;
        let groups = header.groups();
        let n_frames = frame_count(&header, &groups, &lens, &paths)?;
        check_samples(&paths, n_frames, limits)?;
        let mut digital = Vec::new();
        {
            let mut files = Vec::with_capacity(paths.len());
            for (p, &len) in paths.iter().zip(&lens) {
                // The size was checked against the header: a file that grew since is cut at
                // one byte more and then found inconsistent by the decoder.
                files.push(read_regular(p, len, "max_samples").map_err(|e| match e {
                    Error::Limit { .. } => corrupt(p, len, "file grew while read"),
                    other => other,
                })?);
            }
            let named: Vec<(&Path, &[u8])> = paths
                .iter()
                .map(PathBuf::as_path)
                .zip(files.iter().map(Vec::as_slice))
                .collect();
            decode(&header, &named, None, &mut digital)?;
        }
        let record = Record {
            header,
            start: 0,
            digital,
        };
        if limits.verify_checksums {
            record.compare_checksums(hea.parent().unwrap_or(Path::new("")))?;
        }
        Ok(record)
    }

    /// Reads samples `range` (start inclusive, end exclusive) of every signal, seeking to the
    /// first frame and reading only the bytes that hold the range (default [`ReadLimits`]).
    pub fn read_range(record: impl AsRef<Path>, range: Range<usize>) -> Result<Record> {
        Record::read_range_with_limits(record, range, &ReadLimits::default())
    }

    /// [`read_range`](Self::read_range) under `limits`, checked as in
    /// [`read_with_limits`](Self::read_with_limits) (the range, not the whole record, must fit
    /// `max_samples`).
    pub fn read_range_with_limits(
        record: impl AsRef<Path>,
        range: Range<usize>,
        limits: &ReadLimits,
    ) -> Result<Record> {
        let (header, paths, lens) = open_record(record.as_ref(), limits)?;
        let groups = header.groups();
        let n_frames = frame_count(&header, &groups, &lens, &paths)?;
        check_range(&range, n_frames)?;
        check_samples(&paths, range.len(), limits)?;
        let mut digital = vec![Vec::new(); header.signals.len()];
        for (g, p) in groups.iter().zip(&paths) {
            let (span, skip) = byte_span(g, &range);
            let mut buf = vec![0u8; usize_of(span.end - span.start, p)?];
            let (mut file, _) = open_regular(p)?;
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
    /// [`Header::groups`] entry (for MIT-BIH, the single `.dat`). The checksums are not compared:
    /// call [`verify_checksums`](Self::verify_checksums) for that.
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

    /// Compares each signal's samples with the checksum its header gives (signals whose header
    /// line has none are skipped): [`Error::Corrupt`] at the first mismatch, naming the signal
    /// file, the signal and both sums. [`Record::read`] does this itself
    /// ([`ReadLimits::verify_checksums`]). Checksums cover whole signals: a record that starts
    /// past sample 0 or holds fewer samples than its header declares is
    /// [`Error::InvalidArgument`] (a header that declares none cannot tell a range from the
    /// whole).
    pub fn verify_checksums(&self) -> Result<()> {
        let whole = self.start == 0 && self.header.n_samples.is_none_or(|n| n == self.len());
        if !whole {
            let (a, b) = (self.start, self.start.saturating_add(self.len()));
            let msg = format!("holds samples {a}..{b}: checksums cover whole signals");
            return Err(Error::invalid("record", msg));
        }
        self.compare_checksums(Path::new(""))
    }

    /// [`verify_checksums`](Self::verify_checksums) for a whole record, naming signal files in
    /// `dir`.
    fn compare_checksums(&self, dir: &Path) -> Result<()> {
        for (s, spec) in self.header.signals.iter().enumerate() {
            let (Some(want), Some(got)) = (spec.checksum, self.checksum(s)) else {
                continue;
            };
            if want != got {
                let msg = format!(
                    "signal {s} ({}): its samples sum to {got} (mod 2^16, signed), the header's \
                     checksum is {want}: the signal file is damaged or not this header's \
                     (`ReadLimits::verify_checksums = false` reads it anyway)",
                    spec.description
                );
                return Err(corrupt(&dir.join(&spec.file_name), spec.byte_offset, msg));
            }
        }
        Ok(())
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

/// [`read_ecg`] under `limits` (see [`Record::read_with_limits`]).
pub fn read_ecg_with_limits(record: impl AsRef<Path>, limits: &ReadLimits) -> Result<Ecg> {
    Ok(Record::read_with_limits(record, limits)?.to_ecg())
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

/// The record's header, its signal files' paths (checked to be inside the header's folder
/// and regular files) and their sizes.
fn open_record(record: &Path, limits: &ReadLimits) -> Result<(Header, Vec<PathBuf>, Vec<u64>)> {
    let hea = header_path(record);
    let (header, lines) = read_lines(&hea, limits)?;
    let paths = data_paths(&header, &lines, &hea)?;
    let mut lens = Vec::with_capacity(paths.len());
    for p in &paths {
        lens.push(check_regular(p)?.len());
    }
    Ok((header, paths, lens))
}

/// [`Error::Limit`] when a read would hold more than `max_samples` samples per signal.
fn check_samples(paths: &[PathBuf], n: usize, limits: &ReadLimits) -> Result<()> {
    match paths.first() {
        Some(p) if n > limits.max_samples => {
            let msg = format!("{n} samples per signal");
            Err(exceeded(p, "max_samples", limits.max_samples, msg))
        }
        _ => Ok(()),
    }
}

/// Paths of the record's signal files, each confined to the header's folder: no absolute path,
/// no `..`, and no symbolic link that resolves outside the folder. `lines` holds the header
/// line of each signal, for errors.
fn data_paths(header: &Header, lines: &[usize], hea: &Path) -> Result<Vec<PathBuf>> {
    let dir = hea.parent().unwrap_or(Path::new(""));
    let mut paths = Vec::new();
    for g in header.groups() {
        let line = lines.get(g.signals.start).copied().unwrap_or(0);
        let outside = |reason: String| Error::OutsideFolder {
            header: hea.to_path_buf(),
            line,
            file_name: g.file_name.clone(),
            reason,
        };
        if g.file_name == "~" {
            let msg = "null signal file `~` (signals without data)";
            return Err(Error::Unsupported {
                path: hea.to_path_buf(),
                message: msg.into(),
            });
        }
        let name = Path::new(&g.file_name);
        for part in name.components() {
            match part {
                Component::Normal(_) | Component::CurDir => {}
                Component::ParentDir => return Err(outside("it has a `..` component".into())),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(outside("it is an absolute path".into()));
                }
            }
        }
        let path = dir.join(name);
        // A symbolic link (the file, or a folder on the way) must not lead out of the folder.
        let folder = canonical(dir, hea)?;
        let target = canonical(&path, &path)?;
        if !target.starts_with(&folder) {
            let msg = format!(
                "it resolves to {}, outside {}",
                target.display(),
                folder.display()
            );
            return Err(outside(msg));
        }
        paths.push(path);
    }
    Ok(paths)
}

/// `path` with every symbolic link resolved; errors name `at`.
fn canonical(path: &Path, at: &Path) -> Result<PathBuf> {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    std::fs::canonicalize(path).map_err(|e| Error::io(at, e))
}
