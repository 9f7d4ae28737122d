//! The KServe open inference protocol (v2), where it fits a detector: health, model metadata
//! and `infer` with one input, `signal` (`[N]`, with `parameters.fs`) or `beats`
//! (`[n, seq]` or `[n, seq, channels]`).

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::detect::blocking;
use super::error::ApiError;
use super::input::{self, Kind, check_signal};
use super::leads::several;
use super::metrics::{BEATS, FLAGGED};
use super::routes::RequestId;
use crate::detector::Verdict;

/// `GET /v2/health/live`.
pub(crate) async fn live() -> Json<Value> {
    Json(json!({"live": true}))
}

/// `GET /v2/health/ready`: 503 until the detector is warmed up.
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.detector()?;
    Ok(Json(json!({"ready": true})))
}

fn check_name(state: &AppState, name: &str) -> Result<(), ApiError> {
    if name == state.config().name {
        return Ok(());
    }
    let msg = format!(
        "no model {name:?}; this server has {:?}",
        state.config().name
    );
    Err(ApiError::new(StatusCode::NOT_FOUND, "unknown_model", msg))
}

/// `GET /v2/models/{name}/ready`.
pub(crate) async fn model_ready(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_name(&state, &name)?;
    state.detector()?;
    Ok(Json(json!({"name": name, "ready": true})))
}

/// `GET /v2/models/{name}`: inputs and outputs with their datatypes and shapes.
pub(crate) async fn metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_name(&state, &name)?;
    let detector = state.detector()?;
    let meta = detector.metadata();
    let beats_shape = match meta.channels {
        1 => json!([-1, meta.seq]),
        c => json!([-1, meta.seq, c]),
    };
    Ok(Json(json!({
        "name": name,
        "versions": [env!("CARGO_PKG_VERSION")],
        "platform": "ecg-anomaly/burn",
        "inputs": [
            {"name": "signal", "datatype": "FP32", "shape": [-1],
             "parameters": {"fs": "sampling rate in Hz (request parameter, required)"}},
            {"name": "beats", "datatype": "FP32", "shape": beats_shape},
        ],
        "outputs": [
            {"name": "score", "datatype": "FP64", "shape": [-1]},
            {"name": "calibrated", "datatype": "FP64", "shape": [-1]},
            {"name": "anomaly", "datatype": "BOOL", "shape": [-1]},
            {"name": "position", "datatype": "INT64", "shape": [-1]},
        ],
        "parameters": {"fs": meta.fs, "seq": meta.seq, "channels": meta.channels,
                       "leads": meta.leads, "threshold": detector.threshold().value},
    })))
}

#[derive(Debug, Deserialize)]
struct InferRequest {
    id: Option<String>,
    inputs: Vec<Tensor>,
    #[serde(default)]
    parameters: Parameters,
}

#[derive(Debug, Deserialize)]
struct Tensor {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    data: Vec<f32>,
    #[serde(default)]
    parameters: Parameters,
}

#[derive(Debug, Default, Deserialize)]
struct Parameters {
    fs: Option<f64>,
}

/// `POST /v2/models/{name}/infer`.
pub(crate) async fn infer(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    req: Request,
) -> Result<Response, ApiError> {
    check_name(&state, &name)?;
    let detector = state.detector()?;
    if input::kind(&req)? != Kind::Json {
        let msg = "the v2 protocol takes application/json";
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            msg,
        ));
    }
    // The body is read first, under its own cap and deadline: a slow upload holds no permit.
    let limit = state.config().max_body_bytes;
    let bytes = input::read(&state, req, |req| input::body(req, limit)).await?;
    let permit = state.permit()?;
    let request: InferRequest = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("bad_json", format!("the inference request: {e}")))?;
    drop(bytes);
    let [tensor] = <[Tensor; 1]>::try_from(request.inputs).map_err(|inputs| {
        let msg = format!(
            "{} inputs given; send one, `signal` or `beats`",
            inputs.len()
        );
        ApiError::unprocessable("bad_inputs", msg)
    })?;
    if !matches!(tensor.datatype.as_str(), "FP32" | "FP64") {
        let msg = format!("datatype {:?}: send FP32", tensor.datatype);
        return Err(ApiError::unprocessable("bad_datatype", msg));
    }
    let product = tensor
        .shape
        .iter()
        .try_fold(1i64, |p, &d| (d >= 0).then(|| p.saturating_mul(d)));
    if product != Some(tensor.data.len() as i64) {
        let msg = format!(
            "shape {:?} does not hold the {} values given",
            tensor.shape,
            tensor.data.len()
        );
        return Err(ApiError::unprocessable("bad_shape", msg));
    }
    let fs = tensor.parameters.fs.or(request.parameters.fs);
    let max_seconds = state.config().max_signal_seconds;
    let verdicts = match tensor.name.as_str() {
        "signal" if !several(&detector).is_empty() => {
            let msg = format!(
                "input `signal` is one lead; this detector judges the leads {} together: send \
                 `beats` of [n, {}, {}], or the leads to /v1/detect",
                detector.metadata().leads.join(", "),
                detector.metadata().seq,
                detector.metadata().channels
            );
            return Err(ApiError::unprocessable("leads_required", msg));
        }
        "signal" => {
            let fs = input::check_fs(fs, "input `signal` (parameters.fs)")?;
            let values = tensor.data;
            blocking(move || {
                let _permit = permit;
                check_signal(&values, fs, max_seconds)?;
                let verdicts = detector
                    .detect_signal(&values, fs)
                    .map_err(|e| ApiError::from_library(e, None))?;
                if verdicts.is_empty() {
                    let msg =
                        "no complete beat found in the signal: send a longer lead at its true rate";
                    return Err(ApiError::unprocessable("no_beats", msg));
                }
                Ok(verdicts)
            })
            .await?
        }
        "beats" => {
            let meta = detector.metadata();
            let want = [meta.seq as i64, meta.channels as i64];
            let fits = match tensor.shape.as_slice() {
                [_, seq] => meta.channels == 1 && *seq == want[0],
                [_, seq, channels] => [*seq, *channels] == want,
                _ => false,
            };
            if !fits {
                let msg = format!(
                    "shape {:?}: this detector takes [n, {}, {}]",
                    tensor.shape, want[0], want[1]
                );
                return Err(ApiError::unprocessable("bad_shape", msg));
            }
            let values = tensor.data;
            blocking(move || {
                let _permit = permit;
                if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                    let msg = format!("value {i} is not a finite number");
                    return Err(ApiError::unprocessable("non_finite_sample", msg));
                }
                detector
                    .detect_beats(&values)
                    .map_err(|e| ApiError::from_library(e, None))
            })
            .await?
        }
        other => {
            let msg = format!("input {other:?}: send `signal` or `beats`");
            return Err(ApiError::unprocessable("bad_inputs", msg));
        }
    };
    metrics::counter!(BEATS).increment(verdicts.len() as u64);
    metrics::counter!(FLAGGED).increment(verdicts.iter().filter(|v| v.anomaly).count() as u64);
    state.record_beats(verdicts.iter().map(|v| (v.anomaly, v.calibrated)));
    let body = response(&name, request.id.unwrap_or(request_id), &verdicts);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

fn response(name: &str, id: String, verdicts: &[Verdict]) -> Value {
    let n = verdicts.len();
    let output = |name: &str, datatype: &str, data: Value| json!({"name": name, "datatype": datatype, "shape": [n], "data": data});
    let positions: Vec<i64> = verdicts
        .iter()
        .map(|v| v.position.map_or(-1, |p| p as i64))
        .collect();
    json!({
        "model_name": name,
        "model_version": env!("CARGO_PKG_VERSION"),
        "id": id,
        "outputs": [
            output("score", "FP64", json!(verdicts.iter().map(|v| v.score).collect::<Vec<_>>())),
            output("calibrated", "FP64", json!(verdicts.iter().map(|v| v.calibrated).collect::<Vec<_>>())),
            output("anomaly", "BOOL", json!(verdicts.iter().map(|v| v.anomaly).collect::<Vec<_>>())),
            output("position", "INT64", json!(positions)),
        ],
    })
}
