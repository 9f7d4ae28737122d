//! `POST /v1/detect`'s body, read into a signal, several named leads or beats by content
//! type: JSON, CSV (the library's CSV reader) or a multipart upload of a WFDB record or an
//! EDF/EDF+/BDF file (the library's readers, on a fresh temporary folder). For a detector
//! fitted on several leads, CSV columns and uploaded records are read by the detector's lead
//! names ([`SignalPath::read_leads`]).

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::AppState;
use super::error::ApiError;
use crate::data::Ecg;
use crate::data::csv::{Column, CsvOptions, read_csv_from};
use crate::data::input::{SignalPath, csv_column, is_edf};
use crate::data::wfdb::{Annotation, read_annotations_with_limits};
use crate::limits::ReadLimits;

/// What a request asks to judge.
#[derive(Debug)]
pub(crate) enum Input {
    /// A raw lead at `fs` Hz, with the uploaded record's annotations when an `.atr` came with it.
    Signal {
        values: Vec<f32>,
        fs: f64,
        annotations: Option<Vec<Annotation>>,
    },
    /// Named leads of one recording (in the order given; a detector picks its own by name),
    /// with the uploaded record's annotations when an `.atr` came with it.
    Leads {
        ecg: Ecg,
        annotations: Option<Vec<Annotation>>,
    },
    /// Windows at the detector's length and rate, flattened time-major.
    Beats(Vec<Vec<f32>>),
}

/// Most leads a JSON body may name (a 12-lead ECG and more fit).
pub(crate) const MAX_JSON_LEADS: usize = 64;

/// `{"signal": [...], "fs": 360}`, `{"leads": {"MLII": [...], "V1": [...]}, "fs": 360}` or
/// `{"beats": [[...], ...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBody {
    signal: Option<Vec<f32>>,
    leads: Option<NamedLeads>,
    fs: Option<f64>,
    beats: Option<Vec<Vec<f32>>>,
}

/// A JSON object of lead names to samples, in the order sent: at most [`MAX_JSON_LEADS`],
/// each name once.
#[derive(Debug)]
struct NamedLeads(Vec<(String, Vec<f32>)>);

impl<'de> Deserialize<'de> for NamedLeads {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Leads;
        impl<'de> Visitor<'de> for Leads {
            type Value = NamedLeads;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of lead names to arrays of samples")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedLeads, A::Error> {
                let mut leads: Vec<(String, Vec<f32>)> = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if leads.iter().any(|(n, _)| *n == name) {
                        return Err(A::Error::custom(format!("lead {name:?} is given twice")));
                    }
                    if leads.len() == MAX_JSON_LEADS {
                        let msg = format!("more than {MAX_JSON_LEADS} leads");
                        return Err(A::Error::custom(msg));
                    }
                    leads.push((name, map.next_value()?));
                }
                Ok(NamedLeads(leads))
            }
        }
        deserializer.deserialize_map(Leads)
    }
}

/// The body's kind, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Json,
    Csv,
    Multipart,
}

/// The kind named by `Content-Type`, or 415.
pub(crate) fn kind(req: &Request) -> Result<Kind, ApiError> {
    let value = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Kind::Json),
        "text/csv" => Ok(Kind::Csv),
        "multipart/form-data" => Ok(Kind::Multipart),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {value:?} is not application/json, text/csv or multipart/form-data"
            ),
        )),
    }
}

/// Reads `req`'s body with `reader`, before any inference permit is taken. A body that declares
/// a `Content-Length` over `max_body_bytes` is 413 before a byte is read (so a client that sent
/// `Expect: 100-continue` gets no `100 Continue`); the read holds one of the `max_uploads` slots
/// (429 when none is free) and must end within `body_timeout_s` (408 past it).
pub(crate) async fn read<T, F>(
    state: &AppState,
    req: Request,
    reader: impl FnOnce(Request) -> F,
) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let limit = state.config().max_body_bytes;
    let declared = req.body().size_hint().lower();
    if declared > limit as u64 {
        return Err(ApiError::too_large(format!(
            "the body declares {declared} bytes, over the server's {limit} (--max-body-bytes)"
        )));
    }
    let _slot = state.upload_slot()?;
    let seconds = state.config().body_timeout_s;
    tokio::time::timeout(Duration::from_secs(seconds), reader(req))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the body did not arrive within {seconds} s of its headers (the server's --body-timeout)"
                ),
            )
        })?
}

/// The whole body, at most the router's body limit (else 413).
pub(crate) async fn body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "the body is over {limit} bytes (the server's --max-body-bytes)"
            ))
        } else {
            ApiError::bad_request("bad_body", format!("reading the body: {}", e.body_text()))
        }
    })
}

/// A positive, finite sampling rate from a query or JSON value named `what`.
pub(crate) fn check_fs(fs: Option<f64>, what: &str) -> Result<f64, ApiError> {
    match fs {
        None => Err(ApiError::bad_request(
            "missing_fs",
            format!("{what} needs a sampling rate `fs` in Hz"),
        )),
        Some(fs) if crate::preprocess::check_fs(fs).is_ok() => Ok(fs),
        Some(fs) => Err(ApiError::unprocessable(
            "invalid_fs",
            format!("fs = {fs} is not a positive sampling rate in Hz"),
        )),
    }
}

/// Checks a signal: not empty, not longer than `max_seconds`, every sample finite.
pub(crate) fn check_signal(values: &[f32], fs: f64, max_seconds: f64) -> Result<(), ApiError> {
    if values.is_empty() {
        return Err(ApiError::unprocessable(
            "empty_signal",
            "the signal has no sample",
        ));
    }
    let seconds = values.len() as f64 / fs;
    if seconds > max_seconds {
        let msg = format!(
            "{} samples at {fs} Hz are {seconds:.0} s, over the server's {max_seconds} s; split the signal",
            values.len()
        );
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "signal_too_long",
            msg,
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        let msg = format!("sample {i} is {}, not a finite number", values[i]);
        return Err(ApiError::unprocessable("non_finite_sample", msg));
    }
    Ok(())
}

/// A JSON body.
pub(crate) fn json(bytes: &[u8]) -> Result<Input, ApiError> {
    let body: JsonBody = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("bad_json", format!("the JSON body: {e}")))?;
    match (body.signal, body.leads, body.beats) {
        (Some(values), None, None) => {
            let fs = check_fs(body.fs, "a `signal`")?;
            Ok(Input::Signal {
                values,
                fs,
                annotations: None,
            })
        }
        (None, Some(NamedLeads(leads)), None) => {
            let fs = check_fs(body.fs, "`leads`")?;
            let (lead_names, leads) = leads.into_iter().unzip();
            let ecg = Ecg {
                fs,
                lead_names,
                leads,
            };
            Ok(Input::Leads {
                ecg,
                annotations: None,
            })
        }
        (None, None, Some(beats)) => Ok(Input::Beats(beats)),
        _ => Err(ApiError::unprocessable(
            "bad_json",
            "the JSON body needs exactly one of `signal` (with `fs`), `leads` (with `fs`) or \
             `beats`",
        )),
    }
}

/// A one-lead choice (`lead`) for a detector of several `leads`: 422, it takes them all.
pub(crate) fn check_lead_choice(lead: Option<&str>, leads: &[String]) -> Result<(), ApiError> {
    match lead {
        Some(lead) if !leads.is_empty() => {
            let msg = format!(
                "lead={lead:?}: this detector judges the leads {} together, each found by its \
                 name; leave `lead` out",
                leads.join(", ")
            );
            Err(ApiError::unprocessable("bad_query", msg))
        }
        _ => Ok(()),
    }
}

/// A CSV body at `fs` Hz: for a detector of several `leads`, the columns named so in the
/// header row; else column `lead` (a header name or a 0-based index; default the first).
pub(crate) fn csv(
    bytes: &[u8],
    fs: f64,
    lead: Option<&str>,
    leads: &[String],
) -> Result<Input, ApiError> {
    if !leads.is_empty() {
        let opts = CsvOptions::default().leads(leads.iter().cloned().map(Column::Name));
        let ecg = read_csv_from(bytes, fs, &opts).map_err(|e| ApiError::from_library(e, None))?;
        return Ok(Input::Leads {
            ecg,
            annotations: None,
        });
    }
    let opts = CsvOptions::default().lead(csv_column(lead));
    let ecg = read_csv_from(bytes, fs, &opts).map_err(|e| ApiError::from_library(e, None))?;
    let values = ecg.leads.into_iter().next().unwrap_or_default();
    Ok(Input::Signal {
        values,
        fs,
        annotations: None,
    })
}

/// The file parts of a multipart body, by file name (parts without one are ignored).
pub(crate) async fn multipart(req: Request) -> Result<Vec<(String, Bytes)>, ApiError> {
    let mut parts = Multipart::from_request(req, &())
        .await
        .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
    let mut files = Vec::new();
    loop {
        let field = parts.next_field().await.map_err(multipart_error)?;
        let Some(field) = field else { break };
        let Some(name) = field.file_name().map(str::to_string) else {
            continue;
        };
        check_file_name(&name)?;
        let bytes = field.bytes().await.map_err(multipart_error)?;
        files.push((name, bytes));
    }
    Ok(files)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("the upload: {}", e.body_text()))
    } else {
        ApiError::bad_request("bad_multipart", e.body_text())
    }
}

/// A plain file name: letters, digits, `.`, `_`, `-` and `+`, not starting with a dot.
fn check_file_name(name: &str) -> Result<(), ApiError> {
    let plain = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b));
    if plain {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "bad_file_name",
            format!(
                "file name {name:?} is not a plain name (letters, digits, . _ - +; no folder, no leading dot)"
            ),
        ))
    }
}

/// What to read from an uploaded record: the detector's `leads` when it names several, else
/// `lead` (or the reader's default).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want<'a> {
    pub(crate) lead: Option<&'a str>,
    pub(crate) leads: &'a [String],
}

impl Want<'_> {
    /// The leads wanted read from `path` as the library reads them; `scratch` is cut from
    /// error messages.
    fn read(&self, path: &SignalPath, scratch: &Path) -> Result<Read, ApiError> {
        let error = |e| ApiError::from_library(e, Some(scratch));
        if self.leads.is_empty() {
            let lead = path
                .read_lead_with_limits(self.lead, None, &ReadLimits::default())
                .map_err(error)?;
            return Ok(Read::Lead(lead.samples, lead.fs));
        }
        Ok(Read::Leads(
            path.read_leads(self.leads, None).map_err(error)?,
        ))
    }
}

/// A record's lead, or leads.
enum Read {
    Lead(Vec<f32>, f64),
    Leads(Ecg),
}

impl Read {
    fn input(self, annotations: Option<Vec<Annotation>>) -> Input {
        match self {
            Read::Lead(values, fs) => Input::Signal {
                values,
                fs,
                annotations,
            },
            Read::Leads(ecg) => Input::Leads { ecg, annotations },
        }
    }
}

/// A recording from uploaded files: one EDF, EDF+ or BDF file (`.edf`, `.bdf`, any case)
/// alone, else a WFDB record ([`wfdb`]). Blocking.
pub(crate) fn record(files: Vec<(String, Bytes)>, want: Want<'_>) -> Result<Input, ApiError> {
    let edf = files.iter().filter(|(n, _)| is_edf(Path::new(n))).count();
    match (edf, files.len()) {
        (0, _) => wfdb(files, want),
        (1, 1) => edf_file(files, want),
        _ => {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            let msg = format!(
                "uploaded files {names:?}: send one EDF/BDF file alone, or one WFDB record"
            );
            Err(ApiError::unprocessable("mixed_upload", msg))
        }
    }
}

/// An EDF, EDF+ or BDF file, written to a fresh temporary folder and read by the library; its
/// leads as `want` says (one lead: by `lead`, else the file's default ECG lead). EDF+
/// annotations are events, not beat labels: none are returned.
fn edf_file(files: Vec<(String, Bytes)>, want: Want<'_>) -> Result<Input, ApiError> {
    let dir = tempfile::tempdir()
        .map_err(|e| ApiError::internal(format!("creating a temporary folder: {e}")))?;
    let mut path = dir.path().to_path_buf();
    for (name, bytes) in &files {
        path = dir.path().join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| ApiError::internal(format!("writing the upload: {e}")))?;
    }
    drop(files);
    let read = want.read(&SignalPath::edf(&path), dir.path())?;
    close(dir)?;
    Ok(read.input(None))
}

/// A WFDB record from uploaded files: exactly one `NAME.hea`, the signal files it names and
/// optionally `NAME.atr`, written to a fresh temporary folder and read by the library (which
/// keeps signal files inside that folder). Blocking.
fn wfdb(files: Vec<(String, Bytes)>, want: Want<'_>) -> Result<Input, ApiError> {
    let headers: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.ends_with(".hea"))
        .collect();
    let header = match headers.as_slice() {
        [one] => one.to_string(),
        [] => {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            let msg = format!(
                "no WFDB header (NAME.hea) among the uploaded files {names:?}; send NAME.hea and its signal files as file parts, or one EDF/BDF file"
            );
            return Err(ApiError::unprocessable("missing_header", msg));
        }
        many => {
            let msg = format!(
                "{} headers uploaded ({many:?}); send one record",
                many.len()
            );
            return Err(ApiError::unprocessable("several_headers", msg));
        }
    };
    let dir = tempfile::tempdir()
        .map_err(|e| ApiError::internal(format!("creating a temporary folder: {e}")))?;
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes)
            .map_err(|e| ApiError::internal(format!("writing the upload: {e}")))?;
    }
    drop(files);
    let stem = header.trim_end_matches(".hea");
    let record = dir.path().join(stem);
    let scratch = Some(dir.path());
    let read = want.read(&SignalPath::wfdb(&record), dir.path())?;
    let atr = dir.path().join(format!("{stem}.atr"));
    let annotations = match atr.is_file() {
        true => Some(
            read_annotations_with_limits(&atr, &ReadLimits::default())
                .map_err(|e| ApiError::from_library(e, scratch))?,
        ),
        false => None,
    };
    close(dir)?;
    Ok(read.input(annotations))
}

fn close(dir: tempfile::TempDir) -> Result<(), ApiError> {
    let path = dir.path().to_path_buf();
    dir.close()
        .map_err(|e| ApiError::internal(format!("removing {}: {e}", Path::new(&path).display())))
}
