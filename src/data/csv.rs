//! ECG signals stored as delimited text: one sample a row, one lead a column.
//!
//! The simplest file has one number a line; others add a header row, several leads and a time
//! column. The sampling rate is not read from the file: the caller gives it.
//!
//! ```no_run
//! use ecg_anomaly::data::csv::{read_csv, CsvOptions};
//! // `time,MLII,V5` with a header: read MLII only.
//! let opts = CsvOptions::default().lead("MLII").time_column("time");
//! let ecg = read_csv("record.csv", 360.0, &opts)?;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::Ecg;
use crate::data::text::{self, COMMA_HINT, TextReader, cell_error, is_number, parse_error};
use crate::input::check_fs;
use crate::limits::{ReadLimits, exceeded, open_regular};
use crate::{Error, Result};

/// A column of the file, by 0-based index or by header name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Column {
    /// 0-based column index.
    Index(usize),
    /// Header name (compared after trimming blanks and surrounding quotes).
    Name(String),
}

impl From<usize> for Column {
    fn from(index: usize) -> Self {
        Column::Index(index)
    }
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Column::Name(name.to_owned())
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        Column::Name(name)
    }
}

/// Whether the first row names the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Header {
    /// A header when none of the first row's cells is a number (the default). `NaN`, `inf`
    /// and `1e39` count as numbers, so such a first row is data (and an error), never a header.
    #[default]
    Auto,
    /// The first row is always a header.
    Present,
    /// There is no header: the first row is data.
    Absent,
}

/// Which columns become leads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Leads {
    /// Every column except the time column (the default; a one-column file gives one lead).
    #[default]
    All,
    /// These columns, in this order.
    Columns(Vec<Column>),
}

/// How to read a CSV signal. `CsvOptions::default()` reads comma-separated text, detects a
/// header, takes every column as a lead, has no time column and keeps to the default
/// [`ReadLimits`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvOptions {
    /// Field separator (default `b','`).
    pub delimiter: u8,
    /// Header row handling (default [`Header::Auto`]).
    pub header: Header,
    /// Rows skipped before the data, after the header if there is one, e.g. a units row
    /// (default 0).
    pub skip_rows: usize,
    /// Columns read as leads (default [`Leads::All`]). Leads take their header names; without
    /// a header they are named `col0`, `col1`, … after their 0-based column index.
    pub leads: Leads,
    /// A time or sample-number column, never read as a lead; its values are not parsed
    /// (default none).
    pub time_column: Option<Column>,
    /// Lines starting with this byte are skipped (default `Some(b'#')`).
    pub comment: Option<u8>,
    /// What the reader accepts at most: [`ReadLimits::max_csv_line_bytes`] per line,
    /// [`ReadLimits::max_csv_rows`] rows, and [`ReadLimits::max_csv_file_bytes`] for a file
    /// or [`ReadLimits::max_csv_stream_bytes`] for a reader (default
    /// [`ReadLimits::default`]; absent from JSON, the default too).
    #[serde(default)]
    pub limits: ReadLimits,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            header: Header::Auto,
            skip_rows: 0,
            leads: Leads::All,
            time_column: None,
            comment: Some(b'#'),
            limits: ReadLimits::default(),
        }
    }
}

impl CsvOptions {
    /// Sets the field separator.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the header handling.
    pub fn header(mut self, header: Header) -> Self {
        self.header = header;
        self
    }

    /// Skips `rows` rows before the data, after the header if any (e.g. a units row).
    pub fn skip_rows(mut self, rows: usize) -> Self {
        self.skip_rows = rows;
        self
    }

    /// Reads one column, by index (`1`) or header name (`"MLII"`), as the only lead.
    pub fn lead(mut self, column: impl Into<Column>) -> Self {
        self.leads = Leads::Columns(vec![column.into()]);
        self
    }

    /// Reads these columns as leads, in this order.
    pub fn leads<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.leads = Leads::Columns(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Reads every column except the time column as a lead.
    pub fn all_leads(mut self) -> Self {
        self.leads = Leads::All;
        self
    }

    /// Names the time column, which is excluded from the leads.
    pub fn time_column(mut self, column: impl Into<Column>) -> Self {
        self.time_column = Some(column.into());
        self
    }

    /// Sets the comment byte (`None`: no comment lines).
    pub fn comment(mut self, comment: Option<u8>) -> Self {
        self.comment = comment;
        self
    }

    /// Reads under `limits` instead of [`ReadLimits::default`].
    pub fn limits(mut self, limits: ReadLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// Reads the CSV file at `path`, sampled at `fs` Hz, under `opts.limits`
/// ([`CsvOptions::limits`]; the default [`ReadLimits`] unless set).
///
/// Errors: [`Error::Io`] when the file cannot be read, [`Error::NotRegularFile`] for a FIFO,
/// device or folder (before opening it), [`Error::Parse`] (1-based line, column in the message)
/// for a non-numeric, empty, NaN, infinite or `f32`-overflowing cell (`1e39`), a short row or a
/// missing column, [`Error::Limit`] for a line longer than `max_csv_line_bytes`, more rows
/// than `max_csv_rows` or a file larger than `max_csv_file_bytes` (checked before reading),
/// [`Error::InvalidArgument`] for a non-positive `fs` or a column name without a header.
///
/// Numbers: a cell is a number when Rust's `f64` parser reads it (`0.5`, `-1e-3`, `NaN`, `inf`,
/// `1e39`); with [`Header::Auto`] the first row is a header only when *none* of its cells is a
/// number, so a first row of `NaN` or `1e39` is data, and an error. Decimal commas: with a
/// delimiter other than `,` (e.g. `;`), a cell `0,5` is read as 0.5; with the default `,`
/// delimiter a decimal comma cannot be told from a column break, so a row whose field count
/// differs from the first row's, or an integer cell written with a leading zero (`05`,
/// the tail of `0,05`), is an error that says so, instead of being read as two columns. A UTF-8
/// byte-order mark before the first line is dropped. The beat-matrix reader
/// ([`read_beat_matrix`](crate::data::matrix::read_beat_matrix)) follows the same rules.
pub fn read_csv(path: impl AsRef<Path>, fs: f64, opts: &CsvOptions) -> Result<Ecg> {
    let path = path.as_ref();
    let (file, meta) = open_regular(path)?;
    check_file_size(path, meta.len(), &opts.limits)?;
    // The csv reader buffers itself.
    read(TextReader::new(file, &opts.limits, true), path, fs, opts)
}

/// [`Error::Limit`] when a CSV or beat-matrix file of `len` bytes is over `max_csv_file_bytes`.
pub(crate) fn check_file_size(path: &Path, len: u64, limits: &ReadLimits) -> Result<()> {
    let max = limits.max_csv_file_bytes;
    if len > max {
        let msg = format!("{len} bytes");
        return Err(exceeded(path, "max_csv_file_bytes", max, msg));
    }
    Ok(())
}

/// Reads CSV text from any reader (a byte slice, a socket) under `opts.limits`; errors name
/// the source `<reader>`. An endless stream ends in [`Error::Limit`] once past
/// `max_csv_stream_bytes` (64 MiB by default: within seconds).
pub fn read_csv_from<R: Read>(reader: R, fs: f64, opts: &CsvOptions) -> Result<Ecg> {
    let reader = TextReader::new(reader, &opts.limits, false);
    read(reader, Path::new("<reader>"), fs, opts)
}

/// Writes `ecg` to `path`: a header row of lead names, then one column per lead.
pub fn write_csv(path: impl AsRef<Path>, ecg: &Ecg) -> Result<()> {
    let path = path.as_ref();
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    write(file, path, ecg) // the csv writer buffers itself
}

/// Writes `ecg` as CSV to any writer (see [`write_csv`]).
pub fn write_csv_to<W: Write>(writer: W, ecg: &Ecg) -> Result<()> {
    write(writer, Path::new("<writer>"), ecg)
}

fn read<R: Read>(reader: TextReader<R>, path: &Path, fs: f64, opts: &CsvOptions) -> Result<Ecg> {
    let limits = &opts.limits;
    check_fs(fs)?;
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        // Cells are trimmed where they are read (`text::value`, `clean_name`): the csv crate's
        // trimming copies every record, which took 60 % of the time of a stream of short rows.
        .trim(::csv::Trim::None)
        .comment(opts.comment)
        .from_reader(reader);
    let decimal_comma = opts.delimiter != b',';
    let mut record = ::csv::ByteRecord::new();
    if !next_record(&mut rdr, &mut record, path)? {
        return Err(parse_error(path, 1, "no data rows"));
    }
    let width = record.len();
    let header_line = line_of(&record);
    let has_header = match opts.header {
        Header::Present => true,
        Header::Absent => false,
        Header::Auto => record.iter().all(|cell| !is_number(cell, decimal_comma)),
    };
    let names: Option<Vec<String>> = has_header.then(|| record.iter().map(clean_name).collect());
    let time = opts
        .time_column
        .as_ref()
        .map(|c| resolve(c, names.as_deref(), width, path, header_line))
        .transpose()?;
    if opts.leads == Leads::Columns(Vec::new()) {
        return Err(Error::invalid("leads", "no column selected"));
    }
    let columns: Vec<usize> = match &opts.leads {
        Leads::All => (0..width).filter(|&c| Some(c) != time).collect(),
        Leads::Columns(cols) => cols
            .iter()
            .map(|c| resolve(c, names.as_deref(), width, path, header_line))
            .collect::<Result<_>>()?,
    };
    if columns.is_empty() {
        return Err(parse_error(
            path,
            header_line,
            "no lead column left to read",
        ));
    }
    if let Some(t) = time.filter(|t| columns.contains(t)) {
        return Err(Error::invalid(
            "leads",
            format!("column index {t} is both a lead and the time column"),
        ));
    }
    let lead_names = columns
        .iter()
        .map(|&c| match &names {
            Some(n) if !n[c].is_empty() => n[c].clone(),
            _ => format!("col{c}"),
        })
        .collect();
    let mut leads = vec![Vec::new(); columns.len()];
    let mut have_row = !has_header;
    let mut to_skip = opts.skip_rows;
    let row = Row {
        width,
        columns: &columns,
        decimal_comma,
        path,
    };
    loop {
        if have_row {
            if to_skip > 0 {
                to_skip -= 1;
            } else if leads[0].len() >= limits.max_csv_rows {
                let msg = format!("line {}: more data rows", line_of(&record));
                return Err(exceeded(path, "max_csv_rows", limits.max_csv_rows, msg));
            } else {
                row.push(&record, &mut leads)?;
            }
        }
        if !next_record(&mut rdr, &mut record, path)? {
            break;
        }
        have_row = true;
    }
    if leads[0].is_empty() {
        return Err(parse_error(path, header_line, "no data rows"));
    }
    Ok(Ecg {
        fs,
        lead_names,
        leads,
    })
}

/// How the data rows are read.
struct Row<'a> {
    /// Fields of the first row: every row has as many.
    width: usize,
    /// The lead columns.
    columns: &'a [usize],
    /// Whether a cell `0,5` is 0.5 (the delimiter is not a comma).
    decimal_comma: bool,
    path: &'a Path,
}

impl Row<'_> {
    /// Parses the selected cells of one data row onto the ends of `leads`.
    fn push(&self, record: &::csv::ByteRecord, leads: &mut [Vec<f32>]) -> Result<()> {
        let (path, line) = (self.path, line_of(record));
        if record.len() != self.width {
            let mut msg = format!("expected {} fields, found {}", self.width, record.len());
            if !self.decimal_comma {
                msg.push_str(COMMA_HINT);
            }
            return Err(parse_error(path, line, msg));
        }
        for (lead, &c) in leads.iter_mut().zip(self.columns) {
            let cell = record.get(c).unwrap_or_default();
            let value = text::value(cell, self.decimal_comma)
                .map_err(|what| cell_error(path, line, c, &what))?;
            lead.push(value);
        }
        Ok(())
    }
}

/// A header cell without surrounding blanks and quotes (`'MLII'` → `MLII`).
fn clean_name(cell: &[u8]) -> String {
    let s = String::from_utf8_lossy(cell);
    let s = s.trim();
    let s = s
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(s);
    s.trim().to_owned()
}

/// 0-based index of `column`, checked against the file.
fn resolve(
    column: &Column,
    names: Option<&[String]>,
    width: usize,
    path: &Path,
    line: usize,
) -> Result<usize> {
    match column {
        Column::Index(i) if *i < width => Ok(*i),
        Column::Index(i) => Err(parse_error(
            path,
            line,
            format!("column index {i} out of range: the file has {width} columns"),
        )),
        Column::Name(name) => {
            let names = names.ok_or_else(|| {
                Error::invalid(
                    "column",
                    format!("{name:?} is a name but the file has no header row"),
                )
            })?;
            names.iter().position(|n| n == name).ok_or_else(|| {
                parse_error(
                    path,
                    line,
                    format!("no column named {name:?} (header: {})", names.join(", ")),
                )
            })
        }
    }
}

fn next_record<R: Read>(
    rdr: &mut ::csv::Reader<R>,
    record: &mut ::csv::ByteRecord,
    path: &Path,
) -> Result<bool> {
    rdr.read_byte_record(record).map_err(|e| {
        let line = e.position().map_or(0, |p| p.line() as usize);
        match e.into_kind() {
            ::csv::ErrorKind::Io(source) => {
                text::overrun(&source, path).unwrap_or_else(|| Error::io(path, source))
            }
            other => parse_error(path, line, format!("{other:?}")),
        }
    })
}

fn line_of(record: &::csv::ByteRecord) -> usize {
    record.position().map_or(0, |p| p.line() as usize)
}

fn write<W: Write>(writer: W, path: &Path, ecg: &Ecg) -> Result<()> {
    let n = ecg.len();
    if ecg.leads.is_empty() || ecg.lead_names.len() != ecg.leads.len() {
        return Err(Error::invalid(
            "ecg",
            format!(
                "{} lead names for {} leads (need at least one lead)",
                ecg.lead_names.len(),
                ecg.leads.len()
            ),
        ));
    }
    if let Some(bad) = ecg.leads.iter().position(|l| l.len() != n) {
        return Err(Error::invalid(
            "ecg",
            format!(
                "lead {bad} has {} samples, lead 0 has {n}",
                ecg.leads[bad].len()
            ),
        ));
    }
    let io = |e: ::csv::Error| match e.into_kind() {
        ::csv::ErrorKind::Io(source) => Error::io(path, source),
        other => Error::io(path, std::io::Error::other(format!("{other:?}"))),
    };
    let mut wtr = ::csv::Writer::from_writer(writer);
    wtr.write_record(&ecg.lead_names).map_err(io)?;
    let mut cell = String::new();
    for i in 0..n {
        for lead in &ecg.leads {
            let v = lead[i];
            if !v.is_finite() {
                let msg = format!("{v} cannot be written as CSV");
                return Err(Error::Signal {
                    sample: i,
                    message: msg,
                });
            }
            cell.clear();
            // Display prints the shortest text that parses back to the same f32.
            let _ = write!(cell, "{v}");
            wtr.write_field(&cell).map_err(io)?;
        }
        wtr.write_record(None::<&[u8]>).map_err(io)?;
    }
    wtr.flush().map_err(|e| Error::io(path, e))
}
