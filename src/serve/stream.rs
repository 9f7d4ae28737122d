//! `POST /v1/stream?fs=360`: streaming detection over one long HTTP/1.1 request, for devices.
//!
//! The request body is the lead as it is recorded, sent with chunked transfer encoding for as
//! long as the recording lasts: text (`text/plain` or `text/csv`: numbers separated by
//! newlines, commas or spaces) or `application/octet-stream` (little-endian `f32`). For a
//! detector fitted on several leads the body carries frames of them all: a text line per
//! instant with one value per lead, in the detector's lead order (`/v1/model`'s `leads`) or
//! under a first line naming the columns; or interleaved `f32` frames in that order
//! ([`samples`](super::samples)). The
//! response, `application/x-ndjson`, streams back one JSON line per beat as soon as the
//! [`StreamingDetector`] has judged it — `{"index", "position", "decided_at", "score",
//! "model_score", "calibrated", "anomaly", "usable"}`, `position` and `decided_at` counting
//! the stream's samples — while the body is still coming in. When the body ends, the last
//! beats are judged and the response ends. A chunk that cannot be read (a NaN, a malformed
//! number) ends the stream with one line `{"error": {"code", "message"}}`.
//!
//! Memory per stream is the detector's buffer plus one chunk, however long the stream runs
//! (the body limit of the other routes does not apply here). A stream whose body sends
//! nothing for [`ServeConfig::body_timeout_s`](super::ServeConfig::body_timeout_s) ends with a
//! `body_timeout` error line. At most
//! [`ServeConfig::max_streams`](super::ServeConfig::max_streams) streams run at once: the next
//! is 429 before its body is read.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_core::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::AppState;
use super::detect::{blocking, query_fs};
use super::error::ApiError;
use super::input;
use super::leads::several;
use super::metrics::{BEATS, FLAGGED};
use super::samples::{Encoding, Samples};
use crate::stream::{StreamConfig, StreamVerdict, StreamingDetector};

/// Lines waiting to be sent before reading the body pauses (back-pressure on a slow reader).
const PENDING_LINES: usize = 64;

/// The query: the stream's sampling rate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    fs: Option<String>,
}

/// One judged beat, as one line of the response.
#[derive(Debug, Serialize)]
struct Beat {
    index: usize,
    position: Option<usize>,
    decided_at: usize,
    score: f64,
    model_score: f64,
    calibrated: f64,
    anomaly: bool,
    usable: bool,
}

impl From<&StreamVerdict> for Beat {
    fn from(s: &StreamVerdict) -> Self {
        let v = &s.verdict;
        Self {
            index: v.index,
            position: v.position,
            decided_at: s.decided_at,
            score: v.score,
            model_score: v.model_score,
            calibrated: v.calibrated,
            anomaly: v.anomaly,
            usable: v.usable,
        }
    }
}

/// `POST /v1/stream`: checks the query, the content type and the stream limit, then answers
/// at once with a response that streams the verdicts.
pub(crate) async fn stream(
    State(state): State<AppState>,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, ApiError> {
    let detector = state.detector()?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let fs = input::check_fs(query_fs(query.fs.as_deref())?, "a stream (query `fs`)")?;
    let encoding = encoding(&req)?;
    let samples = Samples::new(encoding, several(&detector).to_vec());
    let detector = StreamingDetector::new(detector, fs, StreamConfig::default())
        .map_err(|e| ApiError::from_library(e, None))?;
    let slot = state.stream_slot()?;
    let (lines, receiver) = mpsc::channel::<Bytes>(PENDING_LINES);
    let body = req.into_body();
    tokio::spawn(async move {
        let _slot = slot;
        if let Err(e) = feed(&state, body, samples, detector, &lines).await {
            let line = serde_json::json!({ "error": { "code": e.code, "message": e.message } });
            let _ = lines.send(Bytes::from(format!("{line}\n"))).await;
        }
    });
    let headers = [(header::CONTENT_TYPE, "application/x-ndjson")];
    Ok((headers, Body::from_stream(Lines(receiver))).into_response())
}

fn encoding(req: &Request) -> Result<Encoding, ApiError> {
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match kind.as_deref() {
        None | Some("text/plain") | Some("text/csv") => Ok(Encoding::Text),
        Some("application/octet-stream") => Ok(Encoding::F32Le),
        Some(other) => Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {other:?}: send text/plain (numbers) or application/octet-stream \
                 (little-endian f32)"
            ),
        )),
    }
}

/// Reads the body chunk by chunk, feeds the samples to the stream and sends each verdict as a
/// line; at the body's end, judges the last beats.
async fn feed(
    state: &AppState,
    body: Body,
    mut samples: Samples,
    detector: StreamingDetector,
    lines: &mpsc::Sender<Bytes>,
) -> Result<(), ApiError> {
    let mut body = body.into_data_stream();
    let mut detector = Some(detector);
    let seconds = state.config().body_timeout_s;
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx));
        let Ok(chunk) = tokio::time::timeout(std::time::Duration::from_secs(seconds), next).await
        else {
            let msg =
                format!("the stream sent nothing for {seconds} s (the server's --body-timeout)");
            return Err(ApiError::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                msg,
            ));
        };
        let Some(chunk) = chunk else { break };
        let chunk = chunk
            .map_err(|e| ApiError::bad_request("bad_body", format!("reading the body: {e}")))?;
        let frames = samples.take(&chunk)?;
        if frames.is_empty() {
            continue;
        }
        let judged = push(state, &mut detector, frames).await?;
        if !send(state, lines, &judged).await {
            return Ok(()); // the client stopped reading
        }
    }
    let last = samples.finish()?;
    let mut judged = match last.is_empty() {
        true => Vec::new(),
        false => push(state, &mut detector, last).await?,
    };
    if let Some(mut d) = detector.take() {
        judged.extend(
            blocking(move || d.finish().map_err(|e| ApiError::from_library(e, None))).await?,
        );
    }
    send(state, lines, &judged).await;
    Ok(())
}

/// Pushes `samples` on a blocking thread, with one of the server's inference permits (waited
/// for: a stream cannot drop what its device sent).
async fn push(
    state: &AppState,
    detector: &mut Option<StreamingDetector>,
    samples: Vec<f32>,
) -> Result<Vec<StreamVerdict>, ApiError> {
    let permit = state.wait_permit().await?;
    let Some(mut d) = detector.take() else {
        return Err(ApiError::internal("the stream's detector was lost"));
    };
    let (d, judged) = blocking(move || {
        let _permit = permit;
        let judged = d.push(&samples);
        Ok((d, judged))
    })
    .await?;
    *detector = Some(d);
    judged.map_err(|e| ApiError::from_library(e, None))
}

/// Sends one line per verdict, counting them in the metrics; false when the client is gone.
async fn send(state: &AppState, lines: &mpsc::Sender<Bytes>, judged: &[StreamVerdict]) -> bool {
    if judged.is_empty() {
        return true;
    }
    let flagged = judged.iter().filter(|s| s.verdict.anomaly).count();
    metrics::counter!(BEATS).increment(judged.len() as u64);
    metrics::counter!(FLAGGED).increment(flagged as u64);
    state.record_beats(
        judged
            .iter()
            .map(|s| (s.verdict.anomaly, s.verdict.calibrated)),
    );
    let mut text = String::new();
    for s in judged {
        if let Ok(line) = serde_json::to_string(&Beat::from(s)) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    lines.send(Bytes::from(text)).await.is_ok()
}

/// The response body: the lines as the stream sends them.
struct Lines(mpsc::Receiver<Bytes>);

impl Stream for Lines {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|line| line.map(Ok))
    }
}
