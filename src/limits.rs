//! Limits on what the readers accept, as one documented policy, and the file checks every
//! reader shares.
//!
//! A detector runs inside services and devices that read files users bring, so every reader
//! bounds what a file can make it do: how many lines, signals, samples, annotations, CSV rows
//! or CSV bytes it reads, and how long one line may be. A file over a limit gives
//! [`Error::Limit`] naming the file, the place and the [`ReadLimits`] field, before the memory
//! is allocated (or, for a stream, as soon as it is read past the limit); a reader never
//! allocates more than a constant factor of what the file holds (see the README's
//! "Reliability" section for the factors). The defaults are far above any real ECG recording
//! (a week of 1 kHz ECG fits a WFDB record, a day a CSV file), and each one can be raised by a
//! user who needs more:
//!
//! ```no_run
//! use ecg_anomaly::data::wfdb::Record;
//! use ecg_anomaly::limits::ReadLimits;
//! // A month-long record: allow 2^31 samples per signal.
//! let limits = ReadLimits { max_samples: 1 << 31, ..ReadLimits::default() };
//! let record = Record::read_with_limits("holter/month", &limits)?;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! The plain readers ([`read_csv`](crate::data::csv::read_csv),
//! [`Record::read`](crate::data::wfdb::Record::read),
//! [`read_annotations`](crate::data::wfdb::read_annotations), ...) use
//! [`ReadLimits::default`]; the WFDB readers each have a `*_with_limits` variant that takes
//! the limits, and CSV signals and beat matrices take them in their options
//! ([`CsvOptions::limits`](crate::data::csv::CsvOptions::limits),
//! [`MatrixOptions::limits`](crate::data::matrix::MatrixOptions::limits)).
//!
//! Whatever the limits, readers open only regular files (a FIFO, a device such as `/dev/zero`,
//! a socket or a folder is [`Error::NotRegularFile`], found before anything is opened, so
//! nothing blocks), and the signal files a WFDB header names must lie inside the header's
//! folder ([`Error::OutsideFolder`]).

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// What the readers accept at most. `ReadLimits::default()` is the policy of the plain readers;
/// change a field to accept more (or less).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReadLimits {
    /// Bytes of a WFDB header file (default 1 MiB; MIT-BIH headers hold under 1 KiB).
    pub max_header_bytes: u64,
    /// Lines of a WFDB header, comments and blank lines included (default 10 000).
    pub max_header_lines: usize,
    /// Signals one WFDB header or EDF/BDF file may declare (default 4096; EDF's 4-character
    /// field allows up to 9999).
    pub max_signals: usize,
    /// Samples per signal of a WFDB record or an EDF/BDF file (data records x samples per
    /// record), declared by its header or held by its signal files
    /// (default 2^28 = 268 435 456: 8.6 days at 360 Hz, 3.1 days at 1 kHz; 512 MiB per signal
    /// as digital `i16`, 1 GiB as `f32`).
    pub max_samples: usize,
    /// Bytes of a WFDB annotation file (default 64 MiB; MIT-BIH's largest `.atr` is 12 KiB).
    pub max_annotation_bytes: u64,
    /// Annotations in one annotation file (default 8 000 000; each costs about 40 bytes).
    pub max_annotations: usize,
    /// Bytes of one CSV line, its line break excluded (default 64 KiB).
    pub max_csv_line_bytes: usize,
    /// Data rows (samples per lead) of a CSV file or beat matrix (default 2^28, as
    /// `max_samples`).
    pub max_csv_rows: usize,
    /// Bytes of a CSV file or beat matrix read from a path (default 4 GiB: a day of 1 kHz ECG
    /// with a time column and two leads fits), checked against the file's size before reading
    /// and counted while reading (a file that grows).
    pub max_csv_file_bytes: u64,
    /// Bytes of CSV text or a beat matrix read from a reader (`read_csv_from`,
    /// `parse_beat_matrix`), whose length is known only once read: counted as read (default
    /// 64 MiB, so an endless stream stops within seconds holding at most 32 Mi samples).
    pub max_csv_stream_bytes: u64,
    /// Bytes of an EDF or BDF file, checked against the file's size before it is read (default
    /// 4 GiB: a day of twelve 1 kHz EDF leads is 2 GiB). The file is read whole; decoding adds
    /// 4 bytes per sample of the signals kept.
    pub max_edf_file_bytes: u64,
    /// Whether a whole-record WFDB read compares each signal's samples with the checksum its
    /// header gives (default `true`; a mismatch is [`Error::Corrupt`]). Not a size limit:
    /// [`ReadLimits::unlimited`] keeps it on; set it to `false` to read a record whose header
    /// carries wrong checksums.
    pub verify_checksums: bool,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_header_bytes: 1 << 20,
            max_header_lines: 10_000,
            max_signals: 4096,
            max_samples: 1 << 28,
            max_annotation_bytes: 64 << 20,
            max_annotations: 8_000_000,
            max_csv_line_bytes: 64 << 10,
            max_csv_rows: 1 << 28,
            max_csv_file_bytes: 4 << 30,
            max_csv_stream_bytes: 64 << 20,
            max_edf_file_bytes: 4 << 30,
            verify_checksums: true,
        }
    }
}

impl ReadLimits {
    /// No limit at all (every size field at its type's maximum; checksums still verified):
    /// for trusted files only.
    pub fn unlimited() -> Self {
        Self {
            max_header_bytes: u64::MAX,
            max_header_lines: usize::MAX,
            max_signals: usize::MAX,
            max_samples: usize::MAX,
            max_annotation_bytes: u64::MAX,
            max_annotations: usize::MAX,
            max_csv_line_bytes: usize::MAX,
            max_csv_rows: usize::MAX,
            max_csv_file_bytes: u64::MAX,
            max_csv_stream_bytes: u64::MAX,
            max_edf_file_bytes: u64::MAX,
            verify_checksums: true,
        }
    }
}

/// [`Error::Limit`] for `path`.
pub(crate) fn exceeded(
    path: &Path,
    limit: &'static str,
    max: impl TryInto<u64>,
    message: impl Into<String>,
) -> Error {
    Error::Limit {
        path: path.to_path_buf(),
        limit,
        max: max.try_into().unwrap_or(u64::MAX),
        message: message.into(),
    }
}

/// What a file that is not regular is, for [`Error::NotRegularFile`].
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn regular(path: &Path, meta: Metadata) -> Result<Metadata> {
    if meta.file_type().is_file() {
        Ok(meta)
    } else {
        Err(Error::NotRegularFile {
            path: path.to_path_buf(),
            kind: kind_of(&meta),
        })
    }
}

/// The metadata of `path` (symbolic links followed) when it is a regular file; checked without
/// opening it, so a FIFO gives an error instead of blocking.
pub(crate) fn check_regular(path: &Path) -> Result<Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    regular(path, meta)
}

/// Opens `path` for reading after [`check_regular`], and checks the opened file again (a path
/// swapped between the two checks is caught).
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata)> {
    check_regular(path)?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    Ok((file, regular(path, meta)?))
}

/// The bytes of regular file `path`, at most `max` of them (else [`Error::Limit`] for `limit`):
/// the size is checked before reading, the buffer takes the file's size at once, and a file
/// that grows while read is cut at `max + 1` bytes.
pub(crate) fn read_regular(path: &Path, max: u64, limit: &'static str) -> Result<Vec<u8>> {
    let (file, meta) = open_regular(path)?;
    let too_big = |len: u64| {
        let msg = format!("{len} bytes");
        exceeded(path, limit, max, msg)
    };
    if meta.len() > max {
        return Err(too_big(meta.len()));
    }
    let capacity = usize::try_from(meta.len()).map_err(|_| too_big(meta.len()))?;
    let mut bytes = Vec::with_capacity(capacity);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_folders_are_not_regular_files() {
        let err = read_regular(Path::new("/dev/zero"), 10, "max_header_bytes").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::NotRegularFile {
                    kind: "a character device",
                    ..
                }
            ),
            "{err}"
        );
        let dir = std::env::temp_dir();
        let err = read_regular(&dir, 10, "max_header_bytes").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::NotRegularFile {
                    kind: "a folder",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_it_is_read() {
        let path = std::env::temp_dir().join(format!("ecg-limits-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_regular(&path, 10, "x").unwrap(), b"0123456789");
        let err = read_regular(&path, 9, "max_annotation_bytes").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Limit {
                    limit: "max_annotation_bytes",
                    max: 9,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("10 bytes"), "{err}");
        let _ = std::fs::remove_file(&path);
    }
}
