//! Health, model description, the 404 fallback, and the middleware every request passes:
//! request id, error bodies, metrics and the access log.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::error::ApiError;
use super::metrics::{IN_FLIGHT, LATENCY, REJECTED, REQUESTS};
use super::{AppState, ServeConfig};
use crate::data::beat::AamiMapping;
use crate::data::input::DEFAULT_WFDB_LEAD;
use crate::detector::Detector;

/// The request's id: the client's `x-request-id` when it is 1 to 128 visible ASCII
/// characters, else a fresh random one. Echoed in the `x-request-id` response header and in
/// every JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-request-id";

fn request_id(headers: &HeaderMap) -> String {
    let given = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok());
    match given {
        Some(id) if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) => {
            id.to_string()
        }
        _ => format!("{:032x}", rand::random::<u128>()),
    }
}

/// Decrements the in-flight count when the request ends, however it ends.
struct InFlight<'a>(&'a AppState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a AppState) -> Self {
        let n = state.in_flight_counter().fetch_add(1, Ordering::SeqCst) + 1;
        metrics::gauge!(IN_FLIGHT).set(n as f64);
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let n = self.0.in_flight_counter().fetch_sub(1, Ordering::SeqCst) - 1;
        metrics::gauge!(IN_FLIGHT).set(n as f64);
    }
}

/// The middleware of every route: gives the request its id, renders error bodies (the
/// handlers' [`ApiError`]s, and axum's own plain-text rejections as JSON), counts and times
/// the request, and logs it.
pub(crate) async fn track(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = request_id(req.headers());
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = req.method().to_string();
    let start = Instant::now();
    let guard = InFlight::enter(&state);
    let mut response = next.run(req).await;
    drop(guard);
    let status = response.status();
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => Some(error),
        None => {
            let json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
            let failed = status.is_client_error() || status.is_server_error();
            (failed && !json).then(|| generic(status))
        }
    };
    let code = error.as_ref().map(|e| e.code);
    if let Some(error) = &error {
        response = error.render(&id);
        metrics::counter!(REJECTED, "reason" => error.code).increment(1);
    }
    let elapsed = start.elapsed().as_secs_f64();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method.clone(),
        "status" => status.as_u16().to_string())
    .increment(1);
    metrics::histogram!(LATENCY, "route" => route.clone()).record(elapsed);
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status = status.as_u16(),
        ms = elapsed * 1e3,
        error = code.unwrap_or(""),
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// An error for a status axum answered by itself (405, a body over the limit, ...).
fn generic(status: StatusCode) -> ApiError {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let reason = status.canonical_reason().unwrap_or("error");
    ApiError::new(status, code, reason.to_lowercase())
}

/// `GET /health/live`: the process answers.
pub(crate) async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "live"}))
}

/// `GET /health/ready`: 200 once the detector is loaded and warmed up, 503 before.
pub(crate) async fn ready(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.detector()?;
    Ok(Json(json!({"status": "ready"})))
}

/// Any other route: 404.
pub(crate) async fn not_found(req: Request) -> ApiError {
    let msg = format!(
        "no route {} {}; see /v1/model, /v1/detect, /v2/models/{{name}}, /metrics",
        req.method(),
        req.uri().path()
    );
    ApiError::new(StatusCode::NOT_FOUND, "not_found", msg)
}

/// The window the pipeline cuts around each R-peak: seconds, and samples at the model's rate
/// (`before` is the R-peak's offset in the window) when the rate is known.
#[derive(Debug, Serialize)]
pub(crate) struct WindowInfo {
    before_s: f64,
    after_s: f64,
    before: Option<usize>,
    after: Option<usize>,
}

/// `GET /v1/model`'s body.
#[derive(Debug, Serialize)]
pub(crate) struct ModelInfo {
    name: String,
    kind: String,
    crate_version: String,
    server_version: &'static str,
    format_version: u32,
    seq: usize,
    channels: usize,
    fs: Option<f64>,
    lead: Option<String>,
    /// The leads a detector fitted on several judges, in channel order (each request must
    /// carry every one, by name); empty for a one-lead detector.
    leads: Vec<String>,
    threshold: f64,
    threshold_method: String,
    expected_flagged_share: f64,
    /// False when `score` is the model's own (non-negative) score; true when it is put in
    /// context (z-scores against the recording and rhythm: often negative).
    score_in_context: bool,
    window: WindowInfo,
    /// The WFDB signal judged when a request names no lead.
    default_wfdb_lead: &'static str,
    /// ANSI/AAMI EC57: the class of each beat label (`"N"`, `"V"`, ...) an `.atr` may give.
    aami_classes: AamiMapping,
    data_fingerprint: String,
    weights_checksum: Option<String>,
    seed: u64,
    max_signal_seconds: f64,
    max_body_bytes: usize,
    max_concurrency: usize,
}

impl ModelInfo {
    pub(crate) fn new(detector: &Detector, config: &ServeConfig) -> Self {
        let meta = detector.metadata();
        let threshold = detector.threshold();
        let pipeline = detector.pipeline();
        let samples = meta.fs.and_then(|fs| pipeline.window(fs).ok());
        Self {
            name: config.name.clone(),
            kind: meta.model_kind.to_string(),
            crate_version: meta.crate_version.clone(),
            server_version: env!("CARGO_PKG_VERSION"),
            format_version: meta.format_version,
            seq: meta.seq,
            channels: meta.channels,
            fs: meta.fs,
            lead: meta.lead.clone(),
            leads: meta.leads.clone(),
            threshold: threshold.value,
            threshold_method: threshold.method.to_string(),
            expected_flagged_share: 1.0 - detector.calibration().calibrate(threshold.value),
            score_in_context: !detector.context().config.is_plain(),
            window: WindowInfo {
                before_s: pipeline.before_s,
                after_s: pipeline.after_s,
                before: samples.map(|w| w.before),
                after: samples.map(|w| w.after),
            },
            default_wfdb_lead: DEFAULT_WFDB_LEAD,
            aami_classes: AamiMapping::aami_ec57(),
            data_fingerprint: meta.data_fingerprint.clone(),
            weights_checksum: meta.weights_checksum.clone(),
            seed: meta.seed,
            max_signal_seconds: config.max_signal_seconds,
            max_body_bytes: config.max_body_bytes,
            max_concurrency: config.max_concurrency,
        }
    }
}

/// `GET /v1/model`: what the server judges with.
pub(crate) async fn model(State(state): State<AppState>) -> Result<Response, ApiError> {
    let detector = state.detector()?;
    Ok(Json(ModelInfo::new(&detector, state.config())).into_response())
}
