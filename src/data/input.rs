//! Signals named by a path, as a command line names them: a WFDB record, an EDF/EDF+/BDF file,
//! a CSV file, or a folder of records, and the one lead of each that a detector reads.
//!
//! ```no_run
//! use ecg_anomaly::data::input::SignalPath;
//! // `mitdb/100`, `mitdb/100.hea`, `holter.edf`, `my.csv`, or a folder of records.
//! for input in SignalPath::expand("mitdb")? {
//!     let lead = input.read_lead(None, None)?; // MLII of each record
//!     println!("{}: {} samples of {} at {} Hz", input, lead.samples.len(), lead.name, lead.fs);
//! }
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Reading is one input at a time, so a caller that handles each before reading the next holds
//! one record in memory, whatever the number of records.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Ecg;
use super::csv::{Column, CsvOptions, read_csv};
use super::edf::read_edf_with_limits;
use super::wfdb::{Annotation, read_annotations_with_limits};
use crate::limits::ReadLimits;
use crate::{Error, Result};

/// The lead read from a WFDB record when none is named.
pub const DEFAULT_WFDB_LEAD: &str = "MLII";

/// How a [`SignalPath`] is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A WFDB record: a `.hea` header and its signal files.
    Wfdb,
    /// An EDF, EDF+ or BDF file (`.edf`, `.bdf`, any case; see [`edf`](super::edf)).
    Edf,
    /// Delimited text, one sample a row, one lead a column (see [`read_csv`]); it has no
    /// sampling rate of its own.
    Csv,
}

/// One input signal: a path and how to read it. For a WFDB record the path has no `.hea`
/// extension (`mitdb/100`), so the signal and annotation files sit beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalPath {
    /// The file (CSV, EDF) or the record's path without extension (WFDB).
    pub path: PathBuf,
    /// How it is read.
    pub kind: InputKind,
}

/// One lead of an input, in physical units, sampled at `fs` Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// The lead's name: the WFDB signal description (`MLII`), the EDF lead its label names
    /// (`II` for `ECG II`, see [`ecg_lead`](super::edf::ecg_lead)), the CSV header name, or
    /// `colN` for the `N`-th (0-based) column of a CSV file without a header.
    pub name: String,
    /// Sampling rate, Hz.
    pub fs: f64,
    /// The samples.
    pub samples: Vec<f32>,
}

impl SignalPath {
    /// A CSV file.
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        SignalPath {
            path: path.into(),
            kind: InputKind::Csv,
        }
    }

    /// A WFDB record, named with or without its `.hea` extension.
    pub fn wfdb(path: impl AsRef<Path>) -> Self {
        SignalPath {
            path: record_stem(path.as_ref()),
            kind: InputKind::Wfdb,
        }
    }

    /// An EDF, EDF+ or BDF file.
    pub fn edf(path: impl Into<PathBuf>) -> Self {
        SignalPath {
            path: path.into(),
            kind: InputKind::Edf,
        }
    }

    /// A record named on a command line's record option (`--wfdb`): an EDF/BDF file when
    /// `path` ends in `.edf` or `.bdf` (any case), else a WFDB record.
    pub fn record(path: impl AsRef<Path>) -> Self {
        match is_edf(path.as_ref()) {
            true => SignalPath::edf(path.as_ref()),
            false => SignalPath::wfdb(path),
        }
    }

    /// Reads what `path` names: a path ending in `.edf` or `.bdf` (any case) is an EDF file; a
    /// path ending in `.hea`, or one beside which `<path>.hea` exists, is a WFDB record;
    /// anything else is read as CSV (so a missing file is reported by the CSV reader, naming
    /// it). A folder is not a signal: see [`expand`](Self::expand).
    pub fn classify(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        if is_edf(path) {
            return SignalPath::edf(path);
        }
        let is_hea = path.extension().is_some_and(|e| e == "hea");
        if is_hea || with_extension(path, "hea").is_file() {
            SignalPath::wfdb(path)
        } else {
            SignalPath::csv(path)
        }
    }

    /// The inputs `path` names: for a folder, every WFDB record (each `*.hea` file) and every
    /// EDF/BDF file (`*.edf`, `*.bdf`, any case) in it, in name order, not descending into
    /// sub-folders; otherwise [`classify`](Self::classify)'s one input. Errors: a path that
    /// names nothing ([`Error::Io`], not found), an unreadable folder, or one that holds no
    /// record.
    pub fn expand(path: impl AsRef<Path>) -> Result<Vec<SignalPath>> {
        let path = path.as_ref();
        if !path.exists() && !with_extension(path, "hea").is_file() {
            let msg = "no such file, folder or WFDB record";
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, msg);
            return Err(Error::io(path, source));
        }
        if path.is_dir() {
            let mut inputs: Vec<SignalPath> = records_in(path)?
                .into_iter()
                .map(SignalPath::wfdb)
                .collect();
            inputs.extend(edf_files_in(path)?.into_iter().map(SignalPath::edf));
            if inputs.is_empty() {
                let msg = "a folder input must hold WFDB records (*.hea files) or EDF/BDF files \
                           (*.edf, *.bdf); it holds none";
                return Err(Error::Dataset(format!("{}: {msg}", path.display())));
            }
            inputs.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(inputs)
        } else {
            Ok(vec![SignalPath::classify(path)])
        }
    }

    /// Reads one lead.
    ///
    /// - WFDB: the signal called `lead` (default [`DEFAULT_WFDB_LEAD`]) at the header's rate;
    ///   `fs` is ignored. Errors name the record and its leads when there is no such signal.
    /// - EDF/EDF+/BDF: the signal whose lead (`II` for `ECG II`) or label is `lead` (default
    ///   `II`, else `MLII`, else the first ECG signal), in mV at its own rate; `fs` is ignored.
    ///   See [`EdfRecording::to_ecg`](super::edf::EdfRecording::to_ecg).
    /// - CSV: the column called `lead`, or the `lead`-th (0-based) when it is all digits
    ///   (default the first column), at `fs` Hz, which must be given.
    pub fn read_lead(&self, lead: Option<&str>, fs: Option<f64>) -> Result<Lead> {
        self.read_lead_with_limits(lead, fs, &ReadLimits::default())
    }

    /// [`read_lead`](Self::read_lead) under `limits` (see [`crate::limits`]).
    pub fn read_lead_with_limits(
        &self,
        lead: Option<&str>,
        fs: Option<f64>,
        limits: &ReadLimits,
    ) -> Result<Lead> {
        match self.kind {
            InputKind::Wfdb => {
                let ecg = super::wfdb::read_ecg_with_limits(&self.path, limits)?;
                let name = lead.unwrap_or(DEFAULT_WFDB_LEAD);
                let index = ecg.lead_index(name).ok_or_else(|| {
                    let msg = format!(
                        "record has no lead {name:?} (its leads: {})",
                        ecg.lead_names.join(", ")
                    );
                    Error::Dataset(format!("{}: {msg}", self.path.display()))
                })?;
                let fs = ecg.fs;
                let samples = ecg.leads.into_iter().nth(index).unwrap_or_default();
                Ok(Lead {
                    name: name.to_string(),
                    fs,
                    samples,
                })
            }
            InputKind::Edf => {
                let file = read_edf_with_limits(&self.path, limits)?;
                let name = match lead {
                    Some(name) => name.to_string(),
                    None => file.default_lead().unwrap_or_default(),
                };
                let lead = (!name.is_empty()).then_some(name.as_str());
                let ecg = file.to_ecg(&self.path, lead)?;
                Ok(Lead {
                    name: ecg.lead_names.into_iter().next().unwrap_or_default(),
                    fs: ecg.fs,
                    samples: ecg.leads.into_iter().next().unwrap_or_default(),
                })
            }
            InputKind::Csv => {
                let Some(fs) = fs else {
                    let msg = format!(
                        "{}: a CSV file has no sampling rate of its own; give it",
                        self.path.display()
                    );
                    return Err(Error::invalid("fs", msg));
                };
                let opts = CsvOptions::default().lead(csv_column(lead)).limits(*limits);
                let ecg = read_csv(&self.path, fs, &opts).map_err(|e| name_file(e, &self.path))?;
                Ok(Lead {
                    name: ecg.lead_names.into_iter().next().unwrap_or_default(),
                    fs,
                    samples: ecg.leads.into_iter().next().unwrap_or_default(),
                })
            }
        }
    }

    /// The leads named `leads`, in that order, as one [`Ecg`]: a WFDB record read once and its
    /// signals picked by name; an EDF or CSV file's leads each read as
    /// [`read_lead`](Self::read_lead) reads it (once per lead), all at one rate and length,
    /// else [`Error::InvalidArgument`] naming the lead that differs. A missing lead is an
    /// error naming it; so is an empty list.
    pub fn read_leads(&self, leads: &[String], fs: Option<f64>) -> Result<Ecg> {
        if leads.is_empty() {
            let msg = format!("{}: no lead named to read", self.path.display());
            return Err(Error::invalid("leads", msg));
        }
        if self.kind == InputKind::Wfdb {
            // A record's signals share its rate and length.
            let record = super::wfdb::read_ecg_with_limits(&self.path, &ReadLimits::default())?;
            let picked = (record.select_leads(leads)).map_err(|e| name_file(e, &self.path))?;
            return Ok(Ecg {
                fs: record.fs,
                lead_names: leads.to_vec(),
                leads: picked.into_iter().map(<[f32]>::to_vec).collect(),
            });
        }
        let mut ecg = Ecg {
            fs: 0.0,
            lead_names: Vec::with_capacity(leads.len()),
            leads: Vec::with_capacity(leads.len()),
        };
        for name in leads {
            let lead = self.read_lead(Some(name), fs)?;
            if let Some(first) = ecg.leads.first()
                && (lead.fs != ecg.fs || lead.samples.len() != first.len())
            {
                let msg = format!(
                    "{}: lead {name:?} has {} samples at {} Hz, lead {:?} {} at {} Hz",
                    self.path.display(),
                    lead.samples.len(),
                    lead.fs,
                    ecg.lead_names[0],
                    first.len(),
                    ecg.fs
                );
                return Err(Error::invalid("leads", msg));
            }
            ecg.fs = lead.fs;
            ecg.lead_names.push(name.clone());
            ecg.leads.push(lead.samples);
        }
        Ok(ecg)
    }

    /// The record's annotations by `annotator` (e.g. `"atr"` for MIT-BIH's reference beat
    /// labels): the file `<record>.<annotator>`. Errors for a CSV input.
    pub fn annotations(&self, annotator: &str) -> Result<Vec<Annotation>> {
        self.annotations_with_limits(annotator, &ReadLimits::default())
    }

    /// [`annotations`](Self::annotations) under `limits` (see [`crate::limits`]).
    pub fn annotations_with_limits(
        &self,
        annotator: &str,
        limits: &ReadLimits,
    ) -> Result<Vec<Annotation>> {
        match self.kind {
            InputKind::Wfdb => {
                read_annotations_with_limits(with_extension(&self.path, annotator), limits)
            }
            InputKind::Csv => Err(Error::Unsupported {
                path: self.path.clone(),
                message: "a CSV file has no WFDB annotations".into(),
            }),
            InputKind::Edf => Err(Error::Unsupported {
                path: self.path.clone(),
                message: "an EDF file has no WFDB annotations (its EDF+ annotations are \
                          events: read them with data::edf::read_edf)"
                    .into(),
            }),
        }
    }
}

impl fmt::Display for SignalPath {
    /// The path as given (a record without its `.hea`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())
    }
}

/// The CSV column a `--lead` or `lead=` names: a 0-based index when it is all digits, else a
/// header name; the first column when none is given.
pub fn csv_column(lead: Option<&str>) -> Column {
    match lead {
        None => Column::Index(0),
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Column::Index(s.parse().unwrap_or(usize::MAX))
        }
        Some(s) => Column::Name(s.to_string()),
    }
}

/// The WFDB records in folder `dir`: one path without extension per `*.hea` file, sorted by
/// name. Sub-folders are not searched.
pub fn records_in(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "hea") && path.is_file() {
            records.push(path.with_extension(""));
        }
    }
    records.sort();
    Ok(records)
}

/// The EDF and BDF files (`*.edf`, `*.bdf`, any case) in folder `dir`, sorted by name.
/// Sub-folders are not searched.
pub fn edf_files_in(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if is_edf(&path) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// True when `path` ends in `.edf` or `.bdf`, in any case.
pub fn is_edf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("edf") || e.eq_ignore_ascii_case("bdf"))
}

/// Reads a record as an [`Ecg`] by its extension, under the default [`ReadLimits`]: an EDF,
/// EDF+ or BDF file (`.edf`, `.bdf`, any case) by [`edf::read_ecg`](super::edf::read_ecg)
/// (every ECG lead, in mV), anything else as a WFDB record by
/// [`wfdb::read_ecg`](super::wfdb::read_ecg) (its path without extension or its `.hea`). A
/// CSV file needs a sampling rate: read it with [`read_csv`].
pub fn read_ecg(path: impl AsRef<Path>) -> Result<Ecg> {
    read_ecg_with_limits(path, &ReadLimits::default())
}

/// [`read_ecg`] under `limits`.
pub fn read_ecg_with_limits(path: impl AsRef<Path>, limits: &ReadLimits) -> Result<Ecg> {
    let path = path.as_ref();
    match is_edf(path) {
        true => super::edf::read_ecg_with_limits(path, limits),
        false => super::wfdb::read_ecg_with_limits(path, limits),
    }
}

/// `path` without a trailing `.hea`.
fn record_stem(path: &Path) -> PathBuf {
    if path.extension().is_some_and(|e| e == "hea") {
        path.with_extension("")
    } else {
        path.to_path_buf()
    }
}

/// `path` with `.ext` appended (not replacing an extension: `mitdb/100` → `mitdb/100.atr`,
/// `data/rec.v2` → `data/rec.v2.hea`).
fn with_extension(path: &Path, ext: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".");
    p.push(ext);
    PathBuf::from(p)
}

/// Prefixes the file to an error that does not name it (e.g. a bad sampling rate).
fn name_file(error: Error, path: &Path) -> Error {
    match error {
        Error::InvalidArgument { name, message } => Error::InvalidArgument {
            name,
            message: format!("{}: {message}", path.display()),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_no_lead_is_an_error_not_an_empty_record() {
        let err = SignalPath::csv("any.csv")
            .read_leads(&[], Some(250.0))
            .unwrap_err();
        assert!(err.to_string().contains("no lead named"), "{err}");
    }

    /// A fresh folder under the system's temporary folder.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ecg-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A two-signal format-16 record `rec` in `dir`: 4 samples, gain 200, leads MLII and V5.
    fn write_record(dir: &Path) {
        // Checksums: MLII 200 + 400 + 0 + 100, V5 -200 + 0 + 200 + 100.
        let hea = "rec 2 100 4\nrec.dat 16 200 16 0 0 700 0 MLII\nrec.dat 16 200 16 0 0 100 0 V5\n";
        std::fs::write(dir.join("rec.hea"), hea).unwrap();
        let samples: [i16; 8] = [200, -200, 400, 0, 0, 200, 100, 100];
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(dir.join("rec.dat"), bytes).unwrap();
    }

    #[test]
    fn classify_tells_records_from_csv_files() {
        let dir = scratch("classify");
        write_record(&dir);
        let record = SignalPath::classify(dir.join("rec"));
        assert_eq!(record.kind, InputKind::Wfdb);
        assert_eq!(SignalPath::classify(dir.join("rec.hea")), record);
        assert_eq!(record.path, dir.join("rec"));
        let csv = SignalPath::classify(dir.join("signal.csv"));
        assert_eq!(csv.kind, InputKind::Csv);
        assert_eq!(
            SignalPath::classify(dir.join("missing")).kind,
            InputKind::Csv
        );
    }

    #[test]
    fn reads_the_named_wfdb_lead_and_names_the_leads_it_lacks() {
        let dir = scratch("wfdb");
        write_record(&dir);
        let record = SignalPath::wfdb(dir.join("rec.hea"));
        let mlii = record.read_lead(None, Some(1.0)).unwrap();
        assert_eq!(
            (mlii.name.as_str(), mlii.fs),
            ("MLII", 100.0),
            "fs comes from the header"
        );
        assert_eq!(mlii.samples, [1.0, 2.0, 0.0, 0.5]);
        let v5 = record.read_lead(Some("V5"), None).unwrap();
        assert_eq!(v5.samples, [-1.0, 0.0, 1.0, 0.5]);
        let err = record.read_lead(Some("V1"), None).unwrap_err().to_string();
        assert!(
            err.contains("rec") && err.contains("V1") && err.contains("MLII, V5"),
            "{err}"
        );
    }

    #[test]
    fn reads_a_csv_column_by_name_or_index_and_needs_a_rate() {
        let dir = scratch("csv");
        let path = dir.join("two.csv");
        std::fs::write(&path, "time,II\n0,0.5\n1,0.25\n").unwrap();
        let input = SignalPath::csv(&path);
        let first = input.read_lead(None, Some(250.0)).unwrap();
        assert_eq!(
            (first.name.as_str(), first.samples.as_slice()),
            ("time", &[0.0, 1.0][..])
        );
        let by_name = input.read_lead(Some("II"), Some(250.0)).unwrap();
        assert_eq!(by_name.samples, [0.5, 0.25]);
        assert_eq!(input.read_lead(Some("1"), Some(250.0)).unwrap(), by_name);
        let err = input.read_lead(None, None).unwrap_err().to_string();
        assert!(
            err.contains("two.csv") && err.contains("sampling rate"),
            "{err}"
        );
        let err = input.read_lead(None, Some(0.0)).unwrap_err().to_string();
        assert!(err.contains("two.csv") && err.contains("fs"), "{err}");
        let err = SignalPath::csv(dir.join("none.csv"))
            .read_lead(None, Some(1.0))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path.ends_with("none.csv")),
            "{err}"
        );
    }

    #[test]
    fn a_folder_expands_to_its_records_in_name_order() {
        let dir = scratch("folder");
        write_record(&dir);
        std::fs::copy(dir.join("rec.hea"), dir.join("a.hea")).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a record").unwrap();
        let inputs = SignalPath::expand(&dir).unwrap();
        let names: Vec<String> = inputs.iter().map(|i| i.to_string()).collect();
        let want = [dir.join("a"), dir.join("rec")].map(|p| p.display().to_string());
        assert_eq!(names, want);
        assert!(inputs.iter().all(|i| i.kind == InputKind::Wfdb));
        let empty = scratch("empty");
        let err = SignalPath::expand(&empty).unwrap_err().to_string();
        assert!(
            err.contains("ecg-input-empty") && err.contains("*.hea"),
            "{err}"
        );
        std::fs::write(dir.join("x.csv"), "1\n2\n").unwrap();
        let csv = SignalPath::expand(dir.join("x.csv")).unwrap();
        assert_eq!(csv, [SignalPath::csv(dir.join("x.csv"))]);
        assert_eq!(
            SignalPath::expand(dir.join("rec")).unwrap(),
            [SignalPath::wfdb(dir.join("rec"))]
        );
        let err = SignalPath::expand(dir.join("nothing")).unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path.ends_with("nothing")),
            "{err}"
        );
    }

    #[test]
    fn annotations_sit_beside_the_record() {
        let dir = scratch("atr");
        write_record(&dir);
        // One N beat at sample 2 (code 1, interval 2), then the end-of-file word.
        std::fs::write(dir.join("rec.atr"), [2u8, 4, 0, 0]).unwrap();
        let annotations = SignalPath::wfdb(dir.join("rec"))
            .annotations("atr")
            .unwrap();
        assert_eq!(annotations.len(), 1);
        assert_eq!((annotations[0].sample, annotations[0].symbol()), (2, "N"));
        assert!(SignalPath::csv("x.csv").annotations("atr").is_err());
    }
}
