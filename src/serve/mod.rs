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
//! Limits: bodies over [`ServeConfig::max_body_bytes`] are 413, signals longer than
//! [`ServeConfig::max_signal_seconds`] are 413, and at most [`ServeConfig::max_concurrency`]
//! requests are judged at once (the next is 429 with `Retry-After`, never queued). Inference
//! runs on tokio's blocking threads, off the threads that serve connections.
//!
//! [`Detector::detect_signal`]: crate::detector::Detector::detect_signal
//! [`Detector::detect_beats`]: crate::detector::Detector::detect_beats

mod dashboard;
mod detect;
mod error;
mod input;
mod kserve;
mod metrics;
mod routes;
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

/// How the server listens and what it accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// The model's name in `/v1/model` and the KServe routes (default `ecg-anomaly`).
    pub name: String,
    /// Requests judged at once; one more is 429 (default: the available parallelism).
    pub max_concurrency: usize,
    /// Largest request body in bytes; a larger one is 413 (default 32 MiB: an hour of 360 Hz
    /// signal as JSON fits, and MIT-BIH's 30-minute records are 2 MB).
    pub max_body_bytes: usize,
    /// Longest signal, in seconds at its own rate; a longer one is 413 (default 3600).
    pub max_signal_seconds: f64,
    /// Beats in the drift window of `/metrics` (default 2000).
    pub drift_window: usize,
    /// Seconds a 429 asks the client to wait (`Retry-After`, default 1).
    pub retry_after_s: u64,
    /// Streams (`POST /v1/stream`) open at once; one more is 429 (default 16). Each holds
    /// a [`StreamingDetector`](crate::stream::StreamingDetector)'s buffer (14 s of signal).
    pub max_streams: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            name: "ecg-anomaly".into(),
            max_concurrency: crate::model::parallel::default_threads(),
            max_body_bytes: 32 << 20,
            max_signal_seconds: 3600.0,
            drift_window: 2000,
            retry_after_s: 1,
            max_streams: 16,
        }
    }
}

impl ServeConfig {
    /// Checks that every limit is positive.
    pub fn validate(&self) -> Result<()> {
        if self.max_concurrency == 0 {
            return Err(Error::invalid("max_concurrency", "must be at least 1"));
        }
        if self.max_body_bytes == 0 {
            return Err(Error::invalid("max_body_bytes", "must be at least 1"));
        }
        if !(self.max_signal_seconds > 0.0 && self.max_signal_seconds.is_finite()) {
            let msg = format!("{} is not a positive number", self.max_signal_seconds);
            return Err(Error::invalid("max_signal_seconds", msg));
        }
        if self.max_streams == 0 {
            return Err(Error::invalid("max_streams", "must be at least 1"));
        }
        if self.drift_window == 0 {
            return Err(Error::invalid("drift_window", "must be at least 1"));
        }
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

/// Serves `state` on `listener` until `shutdown` resolves, then stops accepting connections
/// and finishes the requests in flight.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("listener", e))?;
    let upkeep = state.spawn_upkeep();
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served.map_err(|e| Error::io(format!("http://{addr}"), e))
}

/// Listens on `config.addr`, loads the detector folder `dir` on `device` and warms it up (the
/// server answers `/health/live` meanwhile, and `/health/ready` with 503), then serves until
/// SIGTERM or Ctrl-C, finishing the requests in flight.
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
