//! `POST /v1/detect`: judge a signal (JSON, CSV or a WFDB upload) or beats, one call into the
//! library on a blocking thread. A detector fitted on several leads judges them together
//! ([`Detector::detect_ecg`]): a JSON `leads` object, CSV columns or a record's signals named
//! as the detector's leads; one lead alone is refused (422 `leads_required`).

use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::input::{self, Input, Kind, Want, check_signal};
use super::leads::{check_leads, leads_required, name_leads, several, shown_lead};
use super::metrics::{BEATS, FLAGGED};
use super::routes::RequestId;
use crate::data::wfdb::Annotation;
use crate::data::wfdb::codes::is_beat;
use crate::detector::{BeatReconstruction, Detector, Verdict};

/// Beat annotations this close to a beat (seconds) label it.
const LABEL_TOLERANCE_S: f64 = 0.15;

/// The query: `fs` and `lead` for CSV and WFDB bodies, `include=signal,reconstruction`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetectQuery {
    fs: Option<String>,
    lead: Option<String>,
    include: Option<String>,
}

/// What `include` asks for.
#[derive(Debug, Clone, Copy, Default)]
struct Include {
    signal: bool,
    reconstruction: bool,
}

fn include(query: &DetectQuery) -> Result<Include, ApiError> {
    let mut include = Include::default();
    for item in query.include.iter().flat_map(|s| s.split(',')) {
        match item.trim() {
            "signal" => include.signal = true,
            "reconstruction" => include.reconstruction = true,
            "" => {}
            other => {
                let msg = format!("include={other:?}: use signal and/or reconstruction");
                return Err(ApiError::bad_request("bad_query", msg));
            }
        }
    }
    Ok(include)
}

/// A query's `fs`: absent, or a number (checked by [`input::check_fs`]).
pub(crate) fn query_fs(fs: Option<&str>) -> Result<Option<f64>, ApiError> {
    match fs {
        None => Ok(None),
        Some(s) => s.trim().parse::<f64>().map(Some).map_err(|_| {
            ApiError::unprocessable("invalid_fs", format!("fs={s:?} is not a number"))
        }),
    }
}

/// `POST /v1/detect`.
pub(crate) async fn detect(
    State(state): State<AppState>,
    Extension(RequestId(id)): Extension<RequestId>,
    req: Request,
) -> Result<Response, ApiError> {
    let detector = state.detector()?;
    let query = Query::<DetectQuery>::try_from_uri(req.uri())
        .map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?
        .0;
    let include = include(&query)?;
    let kind = input::kind(&req)?;
    let limit = state.config().max_body_bytes;
    let lead = query.lead.clone();
    let leads = several(&detector).to_vec();
    input::check_lead_choice(lead.as_deref(), &leads)?;
    // The body is read first, under its own cap and deadline: a slow upload holds no permit.
    let (input, permit) = match kind {
        Kind::Json => {
            let bytes = input::read(&state, req, |req| input::body(req, limit)).await?;
            let permit = state.permit()?;
            (blocking(move || input::json(&bytes)).await?, permit)
        }
        Kind::Csv => {
            let fs = input::check_fs(query_fs(query.fs.as_deref())?, "a CSV body (query `fs`)")?;
            let bytes = input::read(&state, req, |req| input::body(req, limit)).await?;
            let permit = state.permit()?;
            let input = blocking(move || input::csv(&bytes, fs, lead.as_deref(), &leads))
                .await
                .map_err(|e| name_leads(e, &detector))?;
            (input, permit)
        }
        Kind::Multipart => {
            let files = input::read(&state, req, input::multipart).await?;
            let permit = state.permit()?;
            let input = blocking(move || {
                let lead = lead.as_deref();
                input::record(
                    files,
                    Want {
                        lead,
                        leads: &leads,
                    },
                )
            })
            .await
            .map_err(|e| name_leads(e, &detector))?;
            (input, permit)
        }
    };
    let max_seconds = state.config().max_signal_seconds;
    let name = state.config().name.clone();
    let judged = blocking(move || {
        let _permit = permit;
        judge(&detector, input, include, max_seconds, &id, &name)
            .map_err(|e| name_leads(e, &detector))
    })
    .await?;
    metrics::counter!(BEATS).increment(judged.beats as u64);
    metrics::counter!(FLAGGED).increment(judged.flagged as u64);
    state.record_beats(judged.drift);
    Ok(([(header::CONTENT_TYPE, "application/json")], judged.json).into_response())
}

/// Runs `work` on tokio's blocking threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("the inference task failed: {e}")))?
}

/// A judged request: the response body and what the metrics need.
struct Judged {
    json: Vec<u8>,
    beats: usize,
    flagged: usize,
    drift: Vec<(bool, f64)>,
}

/// Beats as one flat slice, each checked against the detector's window.
pub(crate) fn flatten_beats(
    detector: &Detector,
    beats: Vec<Vec<f32>>,
) -> Result<Vec<f32>, ApiError> {
    let meta = detector.metadata();
    let width = meta.seq * meta.channels;
    if beats.is_empty() {
        return Err(ApiError::unprocessable("no_beats", "`beats` is empty"));
    }
    let mut flat = Vec::with_capacity(beats.len() * width);
    for (i, beat) in beats.into_iter().enumerate() {
        if beat.len() != width {
            let msg = format!(
                "beat {i} has {} samples; this detector takes {} x {} (seq x channels, time-major)",
                beat.len(),
                meta.seq,
                meta.channels
            );
            return Err(ApiError::unprocessable("bad_beat_length", msg));
        }
        if let Some(j) = beat.iter().position(|v| !v.is_finite()) {
            let msg = format!("beat {i}, sample {j} is {}, not a finite number", beat[j]);
            return Err(ApiError::unprocessable("non_finite_sample", msg));
        }
        flat.extend(beat);
    }
    Ok(flat)
}

/// Verdicts (and reconstructions) for `input`: one library call, then the response body.
fn judge(
    detector: &Detector,
    input: Input,
    include: Include,
    max_seconds: f64,
    id: &str,
    name: &str,
) -> Result<Judged, ApiError> {
    let lib = |e| ApiError::from_library(e, None);
    let (verdicts, rebuilt, signal, annotations) = match input {
        Input::Signal { .. } if !several(detector).is_empty() => {
            return Err(leads_required(detector));
        }
        Input::Signal {
            values,
            fs,
            annotations,
        } => {
            check_signal(&values, fs, max_seconds)?;
            let (verdicts, rebuilt) = match include.reconstruction {
                true => {
                    let (v, r) = detector.explain_signal(&values, fs).map_err(lib)?;
                    (v, Some(r))
                }
                false => (detector.detect_signal(&values, fs).map_err(lib)?, None),
            };
            if verdicts.is_empty() {
                let msg = format!(
                    "no complete beat found in {:.2} s of signal at {fs} Hz: send a longer lead (a few seconds at least) at its true rate",
                    values.len() as f64 / fs
                );
                return Err(ApiError::unprocessable("no_beats", msg));
            }
            let values = SignalOut {
                fs,
                lead: None,
                values,
            };
            (verdicts, rebuilt, Some(values), annotations)
        }
        Input::Leads {
            mut ecg,
            annotations,
        } => {
            check_leads(&ecg, max_seconds)?;
            let (verdicts, rebuilt) = match include.reconstruction {
                true => {
                    let (v, r) = detector.explain_ecg(&ecg).map_err(lib)?;
                    (v, Some(r))
                }
                false => (detector.detect_ecg(&ecg).map_err(lib)?, None),
            };
            let shown = shown_lead(detector, &ecg);
            let values = std::mem::take(&mut ecg.leads[shown]);
            let lead = std::mem::take(&mut ecg.lead_names[shown]);
            let values = SignalOut {
                fs: ecg.fs,
                lead: Some(lead),
                values,
            };
            (verdicts, rebuilt, Some(values), annotations)
        }
        Input::Beats(beats) => {
            let flat = flatten_beats(detector, beats)?;
            let (verdicts, rebuilt) = match include.reconstruction {
                true => {
                    let meta = detector.metadata();
                    let n = flat.len() / (meta.seq * meta.channels).max(1);
                    let windows = crate::data::batch::WindowDataset::new(
                        flat,
                        meta.seq,
                        meta.channels,
                        vec![false; n],
                    )
                    .map_err(lib)?;
                    let (v, r) = detector.explain(&windows).map_err(lib)?;
                    (v, Some(r))
                }
                false => (detector.detect_beats(&flat).map_err(lib)?, None),
            };
            (verdicts, rebuilt, None, None)
        }
    };
    let fs = signal.as_ref().map(|s| s.fs);
    let labels = annotations.map(|a| labels(&verdicts, &a, fs.unwrap_or(1.0)));
    let mut body = Body::new(
        detector,
        &verdicts,
        rebuilt.as_ref(),
        labels.as_deref(),
        id,
        name,
        fs,
    );
    if include.signal {
        body.signal = signal;
    }
    let json = serde_json::to_vec(&body)
        .map_err(|e| ApiError::internal(format!("writing the response: {e}")))?;
    Ok(Judged {
        json,
        beats: verdicts.len(),
        flagged: verdicts.iter().filter(|v| v.anomaly).count(),
        drift: verdicts.iter().map(|v| (v.anomaly, v.calibrated)).collect(),
    })
}

/// Per verdict: the symbol of the nearest beat annotation within 150 ms, if any.
fn labels(verdicts: &[Verdict], annotations: &[Annotation], fs: f64) -> Vec<Option<&'static str>> {
    let beats: Vec<&Annotation> = annotations.iter().filter(|a| is_beat(a.code)).collect();
    let tolerance = (LABEL_TOLERANCE_S * fs).round() as usize;
    verdicts
        .iter()
        .map(|v| {
            let p = v.position?;
            let k = beats.partition_point(|a| a.sample < p);
            let near = [k.checked_sub(1), Some(k)]
                .into_iter()
                .flatten()
                .filter_map(|i| beats.get(i))
                .min_by_key(|a| a.sample.abs_diff(p))?;
            (near.sample.abs_diff(p) <= tolerance).then(|| near.symbol())
        })
        .collect()
}

/// The 200 response.
#[derive(Serialize)]
struct Body<'a> {
    request_id: &'a str,
    model: ModelRef<'a>,
    threshold: f64,
    fs: Option<f64>,
    beats: Vec<BeatOut<'a>>,
    summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<SignalOut>,
}

#[derive(Serialize)]
struct ModelRef<'a> {
    name: &'a str,
    kind: String,
    fs: Option<f64>,
    seq: usize,
    /// The leads of a detector fitted on several, in channel order; absent otherwise.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    leads: &'a [String],
}

#[derive(Serialize)]
struct BeatOut<'a> {
    index: usize,
    position: Option<usize>,
    score: f64,
    model_score: f64,
    calibrated: f64,
    anomaly: bool,
    usable: bool,
    error: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a [f32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reconstruction: Option<&'a [f32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<Option<&'static str>>,
}

#[derive(Serialize)]
struct Summary {
    beats: usize,
    flagged: usize,
    unusable: usize,
}

/// `include=signal`: the lead judged as it was read. With several leads, the first of the
/// detector's leads (the one R-peaks are found on, where `position`s point), named by `lead`.
#[derive(Serialize)]
struct SignalOut {
    fs: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lead: Option<String>,
    values: Vec<f32>,
}

impl<'a> Body<'a> {
    fn new(
        detector: &'a Detector,
        verdicts: &'a [Verdict],
        rebuilt: Option<&'a BeatReconstruction>,
        labels: Option<&[Option<&'static str>]>,
        request_id: &'a str,
        name: &'a str,
        fs: Option<f64>,
    ) -> Self {
        let meta = detector.metadata();
        let beats = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| BeatOut {
                index: v.index,
                position: v.position,
                score: v.score,
                model_score: v.model_score,
                calibrated: v.calibrated,
                anomaly: v.anomaly,
                usable: v.usable,
                error: &v.error,
                input: rebuilt.and_then(|r| r.input(i)),
                reconstruction: rebuilt.and_then(|r| r.output(i)),
                label: labels.map(|l| l.get(i).copied().flatten()),
            })
            .collect();
        Body {
            request_id,
            model: ModelRef {
                name,
                kind: meta.model_kind.to_string(),
                fs: meta.fs,
                seq: meta.seq,
                leads: &meta.leads,
            },
            threshold: detector.threshold().value,
            fs,
            beats,
            summary: Summary {
                beats: verdicts.len(),
                flagged: verdicts.iter().filter(|v| v.anomaly).count(),
                unusable: verdicts.iter().filter(|v| !v.usable).count(),
            },
            signal: None,
        }
    }
}
