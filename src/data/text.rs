//! The text policy the CSV reader ([`csv`](super::csv)) and the beat-matrix reader
//! ([`matrix`](super::matrix)) share, so that they read the same text the same way:
//!
//! - a UTF-8 byte-order mark before the first line is dropped ([`TextReader`]);
//! - a line longer than [`ReadLimits::max_csv_line_bytes`], or more input than the byte limit
//!   ([`ReadLimits::max_csv_file_bytes`] for a file, [`ReadLimits::max_csv_stream_bytes`] for
//!   a reader), stops the read as it happens ([`TextReader`], [`overrun`]);
//! - a cell is a number when Rust's `f64` parser reads it, or, with a decimal comma allowed
//!   (the columns are not separated by commas), when it has one comma and no point ([`number`]);
//! - a value must be a finite `f32`: `NaN`, `inf` and `1e39` (which overflows) are errors, and
//!   with commas separating columns, an integer with a leading zero (`05`, the tail of `0,05`)
//!   is refused as a split decimal comma ([`value`]); errors name the line and the column
//!   ([`cell_error`]).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::limits::{ReadLimits, exceeded};

/// The UTF-8 byte-order mark.
const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// A limit a [`TextReader`] found exceeded, carried inside an `io::Error` through the CSV
/// parser or `BufRead`, and turned into [`Error::Limit`] by [`overrun`].
#[derive(Debug)]
struct Overrun {
    limit: &'static str,
    max: u64,
    message: String,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (limit {} = {})", self.message, self.limit, self.max)
    }
}

impl std::error::Error for Overrun {}

/// The [`Error::Limit`] for `path` that a [`TextReader`] raised, if `error` is one.
pub(crate) fn overrun(error: &std::io::Error, path: &Path) -> Option<Error> {
    let o = error.get_ref()?.downcast_ref::<Overrun>()?;
    Some(exceeded(path, o.limit, o.max, o.message.clone()))
}

/// Reads text input for the CSV and beat-matrix readers: drops a UTF-8 byte-order mark at the
/// start, and fails (see [`overrun`]) once a line (bytes between `\n` or `\r`) runs past
/// `max_line` bytes or the input past `max_bytes`, so that neither one huge line, nor an
/// endless stream without line breaks (`/dev/zero`), nor an endless stream of short rows
/// makes a reader's buffers grow without bound or its caller wait long.
pub(crate) struct TextReader<R> {
    inner: R,
    max_line: usize,
    max_bytes: u64,
    bytes_limit: &'static str,
    /// The first bytes, read ahead to look for a byte-order mark, not yet handed out.
    head: [u8; 3],
    head_range: std::ops::Range<usize>,
    started: bool,
    /// Bytes of the current line so far.
    line: usize,
    /// Line breaks (`\n`) seen.
    breaks: u64,
    /// Bytes handed out.
    total: u64,
}

impl<R: Read> TextReader<R> {
    /// A reader of a file (`file`: bytes bounded by `max_csv_file_bytes`) or of a stream
    /// (`max_csv_stream_bytes`), lines bounded by `max_csv_line_bytes`.
    pub(crate) fn new(inner: R, limits: &ReadLimits, file: bool) -> Self {
        let (max_bytes, bytes_limit) = if file {
            (limits.max_csv_file_bytes, "max_csv_file_bytes")
        } else {
            (limits.max_csv_stream_bytes, "max_csv_stream_bytes")
        };
        Self {
            inner,
            max_line: limits.max_csv_line_bytes,
            max_bytes,
            bytes_limit,
            head: [0; 3],
            head_range: 0..0,
            started: false,
            line: 0,
            breaks: 0,
            total: 0,
        }
    }

    /// Reads the first three bytes (fewer at the end of the input) and keeps them unless they
    /// are a byte-order mark.
    fn start(&mut self) -> std::io::Result<()> {
        let mut n = 0;
        while n < BOM.len() {
            match self.inner.read(&mut self.head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.head_range = if self.head[..n] == BOM[..] {
            0..0
        } else {
            0..n
        };
        self.started = true;
        Ok(())
    }

    fn fail(&self, limit: &'static str, max: u64, message: String) -> std::io::Error {
        let o = Overrun {
            limit,
            max,
            message,
        };
        std::io::Error::new(std::io::ErrorKind::InvalidData, o)
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.start()?;
        }
        let n = if self.head_range.is_empty() {
            self.inner.read(buf)?
        } else {
            let head = &self.head[self.head_range.clone()];
            let n = head.len().min(buf.len());
            buf[..n].copy_from_slice(&head[..n]);
            self.head_range.start += n;
            n
        };
        // Bytes of this read within the byte limit.
        let allowed = self.max_bytes.saturating_sub(self.total);
        self.total = self.total.saturating_add(n as u64);
        for (i, &b) in buf[..n].iter().enumerate() {
            if i as u64 >= allowed {
                let msg = format!(
                    "more than {} bytes (line {})",
                    self.max_bytes,
                    self.breaks + 1
                );
                return Err(self.fail(self.bytes_limit, self.max_bytes, msg));
            }
            if b == b'\n' || b == b'\r' {
                self.breaks += u64::from(b == b'\n');
                self.line = 0;
            } else {
                self.line += 1;
                if self.line > self.max_line {
                    let msg = format!("line {} is longer than the limit", self.breaks + 1);
                    let max = self.max_line as u64;
                    return Err(self.fail("max_csv_line_bytes", max, msg));
                }
            }
        }
        Ok(n)
    }
}

/// The number a cell holds, in `f64` (so that `1e39` is seen to overflow `f32`), ASCII blanks
/// around it ignored: anything Rust's float parser reads, `NaN` and `inf` included; with
/// `decimal_comma`, a cell with one comma and no point is read with the comma as the point.
pub(crate) fn number(cell: &[u8], decimal_comma: bool) -> Option<f64> {
    let text = std::str::from_utf8(cell.trim_ascii()).ok()?;
    if let Ok(v) = text.parse::<f64>() {
        return Some(v);
    }
    let commas = text.bytes().filter(|&b| b == b',').count();
    if decimal_comma && commas == 1 && !text.contains('.') {
        return text.replacen(',', ".", 1).parse().ok();
    }
    None
}

/// Whether a cell reads as a number at all, finite or not (so `NaN`, `inf` and `1e39` are
/// numbers, never header names).
pub(crate) fn is_number(cell: &[u8], decimal_comma: bool) -> bool {
    number(cell, decimal_comma).is_some()
}

/// Why a row's field count differs, when commas separate the columns.
pub(crate) const COMMA_HINT: &str = " (a decimal comma? `,` separates columns here: write \
                                      decimal points, or separate columns with `;`)";

/// The finite `f32` value of a cell (ASCII blanks around it ignored), or what is wrong with it
/// (to go after `column N:`). With `decimal_comma` false (commas separate the columns), an
/// integer cell with a leading zero is refused: it is what `0,05` leaves once split.
pub(crate) fn value(cell: &[u8], decimal_comma: bool) -> Result<f32, String> {
    let cell = cell.trim_ascii();
    let shown = || String::from_utf8_lossy(cell);
    let v = match number(cell, decimal_comma) {
        Some(v) if v.is_finite() && (v as f32).is_finite() => v as f32,
        Some(v) if v.is_finite() => return Err(format!("{:?} overflows a 32-bit float", shown())),
        Some(_) => return Err(format!("{:?} is not a finite number", shown())),
        None if cell.is_empty() => return Err("empty cell".into()),
        None => return Err(format!("{:?} is not a number", shown())),
    };
    if !decimal_comma && split_decimal(cell) {
        return Err(format!(
            "{:?} looks like the tail of a decimal comma (`0,05` read as two columns); `,` \
             separates columns here: write decimal points, or separate columns with `;`",
            shown()
        ));
    }
    Ok(v)
}

/// An integer cell no one writes as an integer: digits with a leading zero (`05`, `-007`), what
/// a decimal comma leaves behind when `,` splits columns. (`-0` is not one: `f32`'s `Display`
/// writes negative zero so, and the CSV writer with it.)
fn split_decimal(cell: &[u8]) -> bool {
    let digits = cell.strip_prefix(b"-").unwrap_or(cell);
    let integer = !digits.is_empty() && digits.iter().all(u8::is_ascii_digit);
    integer && digits.len() > 1 && digits[0] == b'0'
}

/// [`Error::Parse`] for the cell at 0-based `column` of `line`: `column N (index N-1): what`.
pub(crate) fn cell_error(path: &Path, line: usize, column: usize, what: &str) -> Error {
    parse_error(
        path,
        line,
        format!("column {} (index {column}): {what}", column + 1),
    )
}

/// [`Error::Parse`] at `line` of `path`.
pub(crate) fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Parse {
        path: PathBuf::from(path),
        line,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8], limits: &ReadLimits) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        TextReader::new(text, limits, false).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_byte_order_mark_is_dropped_at_the_start_only() {
        let limits = ReadLimits::default();
        assert_eq!(read_all(b"\xEF\xBB\xBF1,2\n", &limits).unwrap(), b"1,2\n");
        assert_eq!(read_all(b"\xEF\xBB\xBF", &limits).unwrap(), b"");
        assert_eq!(
            read_all(b"1\n\xEF\xBB\xBF", &limits).unwrap(),
            b"1\n\xEF\xBB\xBF"
        );
        assert_eq!(read_all(b"\xEF\xBB", &limits).unwrap(), b"\xEF\xBB");
        assert_eq!(read_all(b"12", &limits).unwrap(), b"12");
        // Handed out one byte at a time, the read-ahead bytes come first.
        let mut reader = TextReader::new(&b"12345"[..], &limits, false);
        let mut one = [0u8; 1];
        let mut got = Vec::new();
        while reader.read(&mut one).unwrap() == 1 {
            got.push(one[0]);
        }
        assert_eq!(got, b"12345");
    }

    #[test]
    fn lines_and_bytes_over_their_limits_fail_naming_the_limit() {
        let limits = ReadLimits {
            max_csv_line_bytes: 3,
            max_csv_stream_bytes: 8,
            ..ReadLimits::default()
        };
        assert!(read_all(b"123\r\n456\n", &limits).is_err(), "10 bytes");
        assert_eq!(read_all(b"123\n456\n", &limits).unwrap(), b"123\n456\n");
        let err = read_all(b"12\n1234\n", &limits).unwrap_err();
        let err = overrun(&err, Path::new("x.csv")).unwrap();
        assert!(
            matches!(
                &err,
                Error::Limit {
                    limit: "max_csv_line_bytes",
                    max: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("line 2 is longer"), "{err}");
        let err = read_all(b"1\n2\n3\n4\n5\n", &limits).unwrap_err();
        let err = overrun(&err, Path::new("x.csv")).unwrap();
        assert!(
            matches!(
                &err,
                Error::Limit {
                    limit: "max_csv_stream_bytes",
                    max: 8,
                    ..
                }
            ),
            "{err}"
        );
        // A file's bytes have their own limit.
        let file = ReadLimits {
            max_csv_file_bytes: 2,
            ..ReadLimits::default()
        };
        let mut out = Vec::new();
        let err = TextReader::new(&b"1\n2\n"[..], &file, true)
            .read_to_end(&mut out)
            .unwrap_err();
        let err = overrun(&err, Path::new("x.csv")).unwrap();
        assert!(err.to_string().contains("max_csv_file_bytes"), "{err}");
        let other = std::io::Error::other("disk on fire");
        assert!(overrun(&other, Path::new("x.csv")).is_none());
    }

    #[test]
    fn values_follow_one_policy() {
        assert_eq!(value(b"0.5", false), Ok(0.5));
        assert_eq!(value(b"-1e-3", false), Ok(-1e-3));
        assert_eq!(value(b"0,5", true), Ok(0.5));
        assert_eq!(value(b"-0", false), Ok(-0.0));
        assert_eq!(value(b"0", false), Ok(0.0));
        assert_eq!(value(b" \t0.25 \r", false), Ok(0.25));
        assert_eq!(
            value(b"05", true),
            Ok(5.0),
            "no split decimal without comma columns"
        );
        for (cell, what) in [
            (&b"1e39"[..], "overflows a 32-bit float"),
            (b"-1e39", "overflows a 32-bit float"),
            (b"NaN", "not a finite number"),
            (b"inf", "not a finite number"),
            (b"1e400", "not a finite number"),
            (b"", "empty cell"),
            (b"  ", "empty cell"),
            (b" 05 ", "\"05\" looks like the tail of a decimal comma"),
            (b"x", "not a number"),
            (b"0,5", "not a number"),
            (b"05", "decimal comma"),
            (b"-007", "decimal comma"),
            (b"\xff", "not a number"),
        ] {
            let err = value(cell, false).unwrap_err();
            assert!(err.contains(what), "{cell:?}: {err}");
        }
        assert!(is_number(b"NaN", false) && is_number(b"1e39", false));
        assert!(is_number(b"0,5", true) && !is_number(b"0,5", false));
        assert!(!is_number(b"MLII", true) && !is_number(b"1,2,3", true));
        let err = cell_error(Path::new("a.csv"), 3, 1, "empty cell").to_string();
        assert_eq!(err, "a.csv:3: column 2 (index 1): empty cell");
    }
}
