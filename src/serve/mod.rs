//! An HTTP inference server over a saved detector (feature `server`): axum on tokio.
//!
//! The server adds transport only: each request is parsed, then judged by one call into the
//! library ([`Detector::detect_signal`], [`Detector::detect_beats`], the CSV and WFDB readers).
//!
//! ```no_run
//! use ecg_anomaly::serve::{ServeConfig, serve};
//! # async fn run() -> ecg_anomaly::Result<()> {
//! let config = ServeConfig { addr: "127.0.0.1:8080".parse().unwrap(), ..ServeConfig::default() };
//! serve(config, "detector/".into(), ecg_anomaly::device::default_device()).await
//! # }
//! ```
//!
//! Routes (the README's "Serving" section has the request and response formats):
//! `GET /health/live`, `GET /health/ready` (503 until the detector is loaded and warmed up),
//! `GET /v1/model`, `POST /v1/detect` (JSON, CSV or a multipart WFDB record), `POST /v1/stream`
//! (a chunked body of samples in, a verdict per beat streamed out as it is decided), the KServe v2
//! protocol (`/v2/health/*`, `GET /v2/models/{name}`, `POST /v2/models/{name}/infer`) and
//! `GET /metrics` (Prometheus text). Every error is
//! `{"error": {"code", "message", "request_id"}}`; bad input is a 4xx, never a 5xx.
//!
//! Limits: a body declared or found over [`ServeConfig::max_body_bytes`] is 413 (a declared one
//! before anything is read, so `Expect: 100-continue` gets no `100 Continue`); a body is read
//! before an inference permit is taken, by at most [`ServeConfig::max_uploads`] requests at once
//! (429 past it) and within [`ServeConfig::body_timeout_s`] (408 past it); signals longer than
//! [`ServeConfig::max_signal_seconds`] are 413; at most [`ServeConfig::max_concurrency`]
//! requests are judged at once (the next is 429 with `Retry-After`, never queued). Request
//! headers are at most [`ServeConfig::max_header_bytes`] (431) and must arrive within
//! [`ServeConfig::header_timeout_s`] (the connection is closed). A shutdown lets the requests in
//! flight finish for at most [`ServeConfig::shutdown_timeout_s`]. Inference runs on tokio's
//! blocking threads, off the threads that serve connections.
//!
//! [`Detector::detect_signal`]: crate::detector::Detector::detect_signal
//! [`Detector::detect_beats`]: crate::detector::Detector::detect_beats

mod dashboard;
mod detect;
mod error;
mod input;
mod kserve;
mod leads;
mod listen;
mod metrics;
mod routes;
mod samples;
mod state;
mod stream;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::routing::{get, post};

pub use error::ApiError;
pub use state::AppState;

use crate::detector::Detector;
use crate::prelude::Device;
use crate::{Error, Result};

/// How the server listens and what it accepts. Every number has a range, checked by
/// [`validate`](Self::validate).
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// The model's name in `/v1/model` and the KServe routes (default `ecg-anomaly`).
    pub name: String,
    /// Requests judged at once; one more is 429 (1 to 4096; default: the available
    /// parallelism).
    pub max_concurrency: usize,
    /// Largest request body in bytes; a larger one is 413 (1 to 1 GiB; default 32 MiB: an hour
    /// of 360 Hz signal as JSON fits, and MIT-BIH's 30-minute records are 2 MB).
    pub max_body_bytes: usize,
    /// Longest signal, in seconds at its own rate; a longer one is 413 (over 0, at most 86400;
    /// default 3600).
    pub max_signal_seconds: f64,
    /// Beats in the drift window of `/metrics` (1 to 1 000 000; default 2000).
    pub drift_window: usize,
    /// Seconds a 429 asks the client to wait (`Retry-After`, 1 to 3600; default 1).
    pub retry_after_s: u64,
    /// Streams (`POST /v1/stream`) open at once; one more is 429 (1 to 4096; default 16). Each
    /// holds a [`StreamingDetector`](crate::stream::StreamingDetector)'s buffer (14 s of signal).
    pub max_streams: usize,
    /// Request bodies being read at once (before judging, which takes an inference permit);
    /// one more is 429 (1 to 4096; default 64). Slow uploads fill these, not the permits.
    pub max_uploads: usize,
    /// Seconds a request body may take to arrive once its headers are in; later is 408
    /// (1 to 3600; default 60). A stream's body has no deadline, but each of its chunks must
    /// come within this many seconds of the last.
    pub body_timeout_s: u64,
    /// Largest request head (request line and headers) in bytes; a larger one is 431
    /// (1 KiB to 256 KiB; default 16 KiB).
    pub max_header_bytes: usize,
    /// Seconds a connection may take to send a request's headers, and may sit idle between
    /// requests; then it is closed (1 to 600; default 10).
    pub header_timeout_s: u64,
    /// Seconds a shutdown waits for the requests in flight before closing their connections
    /// (0 to 3600; default 30).
    pub shutdown_timeout_s: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            name: "ecg-anomaly".into(),
            max_concurrency: crate::model::parallel::default_threads().clamp(1, 4096),
            max_body_bytes: 32 << 20,
            max_signal_seconds: 3600.0,
            drift_window: 2000,
            retry_after_s: 1,
            max_streams: 16,
            max_uploads: 64,
            body_timeout_s: 60,
            max_header_bytes: 16 << 10,
            header_timeout_s: 10,
            shutdown_timeout_s: 30,
        }
    }
}

/// `value` within `range`, else an error naming the field and its range.
fn in_range<T: PartialOrd + std::fmt::Display>(
    name: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<()> {
    if range.contains(&value) {
        return Ok(());
    }
    let (lo, hi) = range.into_inner();
    Err(Error::invalid(
        name,
        format!("{value} is outside {lo} to {hi}"),
    ))
}

impl ServeConfig {
    /// Checks that every number lies in its documented range.
    pub fn validate(&self) -> Result<()> {
        in_range("max_concurrency", self.max_concurrency, 1..=4096)?;
        in_range("max_body_bytes", self.max_body_bytes, 1..=1 << 30)?;
        let seconds = self.max_signal_seconds;
        if !(seconds > 0.0 && seconds <= 86400.0) {
            let msg = format!("{seconds} is not a number of seconds over 0 and at most 86400");
            return Err(Error::invalid("max_signal_seconds", msg));
        }
        in_range("drift_window", self.drift_window, 1..=1_000_000)?;
        in_range("retry_after_s", self.retry_after_s, 1..=3600)?;
        in_range("max_streams", self.max_streams, 1..=4096)?;
        in_range("max_uploads", self.max_uploads, 1..=4096)?;
        in_range("body_timeout_s", self.body_timeout_s, 1..=3600)?;
        in_range(
            "max_header_bytes",
            self.max_header_bytes,
            1 << 10..=256 << 10,
        )?;
        in_range("header_timeout_s", self.header_timeout_s, 1..=600)?;
        in_range("shutdown_timeout_s", self.shutdown_timeout_s, 0..=3600)?;
        Ok(())
    }
}

/// Every route of the server, over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/live", get(routes::live))
        .route("/health/ready", get(routes::ready))
        .route("/v1/model", get(routes::model))
        .route("/v1/detect", post(detect::detect))
        .route("/v1/stream", post(stream::stream))
        .route("/v2/health/live", get(kserve::live))
        .route("/v2/health/ready", get(kserve::ready))
        .route("/v2/models/{name}", get(kserve::metadata))
        .route("/v2/models/{name}/ready", get(kserve::model_ready))
        .route("/v2/models/{name}/infer", post(kserve::infer))
        .route("/metrics", get(metrics::render))
        .merge(dashboard::routes())
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config().max_body_bytes,
        ))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves; then stops accepting connections,
/// lets the requests in flight finish for at most [`ServeConfig::shutdown_timeout_s`], closes
/// the connections still open and returns.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("listener", e))?;
    let config = state.config().clone();
    let upkeep = state.spawn_upkeep();
    let served = listen::serve(listener, router(state), &config, shutdown).await;
    upkeep.abort();
    served.map_err(|e| Error::io(format!("http://{addr}"), e))
}

/// Listens on `config.addr`, loads the detector folder `dir` on `device` and warms it up (the
/// server answers `/health/live` meanwhile, and `/health/ready` with 503), then serves until
/// SIGTERM or Ctrl-C, finishing the requests in flight within
/// [`ServeConfig::shutdown_timeout_s`].
pub async fn serve(config: ServeConfig, dir: PathBuf, device: Device) -> Result<()> {
    config.validate()?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| Error::io(format!("{}", config.addr), e))?;
    let state = AppState::new(config)?;
    tracing::info!(addr = %listener.local_addr().map_err(|e| Error::io("listener", e))?, "listening");
    let loading = state.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let detector = Detector::load(&dir, &device)?;
        loading.install(detector)
    });
    let server = tokio::spawn(run(listener, state, shutdown_signal()));
    match loaded.await {
        Ok(Ok(())) => tracing::info!("detector loaded and warmed up: ready"),
        Ok(Err(e)) => {
            server.abort();
            return Err(e);
        }
        Err(e) => {
            server.abort();
            return Err(Error::Backend(format!("loading the detector: {e}")));
        }
    }
    server
        .await
        .map_err(|e| Error::Backend(format!("the server task: {e}")))?
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
