//! What every handler shares: the detector (once loaded and warmed up), the concurrency
//! permits, the metrics and the drift window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ServeConfig;
use super::error::ApiError;
use super::metrics::{Drift, Metrics};
use crate::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use crate::detector::Detector;
use crate::{Error, Result};

/// The server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServeConfig,
    detector: OnceLock<Arc<Detector>>,
    permits: Arc<Semaphore>,
    uploads: Arc<Semaphore>,
    streams: Arc<Semaphore>,
    metrics: Metrics,
    drift: Mutex<Drift>,
    in_flight: AtomicUsize,
}

// Handlers move the detector onto blocking threads and share it there.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<Detector>();
};

impl AppState {
    /// A state with no detector yet (`/health/ready` answers 503 until [`install`](Self::install)).
    pub fn new(config: ServeConfig) -> Result<Self> {
        config.validate()?;
        let metrics = Metrics::install()?;
        Ok(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrency)),
                uploads: Arc::new(Semaphore::new(config.max_uploads)),
                streams: Arc::new(Semaphore::new(config.max_streams)),
                drift: Mutex::new(Drift::new(config.drift_window)),
                config,
                detector: OnceLock::new(),
                metrics,
                in_flight: AtomicUsize::new(0),
            }),
        })
    }

    /// Warms `detector` up (ten seconds of synthetic ECG judged end to end, on each of its
    /// leads for a detector of several, so the first request pays no first-call cost) and
    /// makes it the one the server uses: the server is then ready. Blocking; an error when a
    /// detector is already installed or the warm-up fails.
    pub fn install(&self, detector: Detector) -> Result<()> {
        let fs = detector.metadata().fs.unwrap_or(360.0);
        let mut ecg = generate(&SyntheticConfig {
            fs,
            length: SyntheticLength::Seconds(10.0),
            ..SyntheticConfig::default()
        })?
        .ecg;
        let leads = &detector.metadata().leads;
        if !leads.is_empty() {
            let lead = ecg.leads.first().cloned().unwrap_or_default();
            ecg.leads = vec![lead; leads.len()];
            ecg.lead_names.clone_from(leads);
        }
        detector.detect_ecg(&ecg)?;
        let expected = 1.0 - detector.calibration().calibrate(detector.threshold().value);
        self.inner
            .detector
            .set(Arc::new(detector))
            .map_err(|_| Error::invalid("detector", "the server already has one"))?;
        self.inner.metrics.set_expected_flagged_share(expected);
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
    }

    /// The detector, or 503 while it is loading.
    pub fn detector(&self) -> Result<Arc<Detector>, ApiError> {
        self.inner.detector.get().cloned().ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the detector is still loading or warming up; retry when /health/ready is 200",
            )
        })
    }

    /// True once a detector is installed and warmed up.
    pub fn is_ready(&self) -> bool {
        self.inner.detector.get().is_some()
    }

    /// A permit to judge one request, or 429 when `max_concurrency` requests are being judged.
    /// Hold it until the judging is done (it moves onto the blocking thread with the work).
    pub fn permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner.permits.clone().try_acquire_owned().map_err(|_| {
            let n = self.inner.config.max_concurrency;
            let msg = format!(
                "{n} request(s) are being judged, the most this server takes at once; retry later"
            );
            let mut e = ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "busy", msg);
            e.retry_after = Some(self.inner.config.retry_after_s);
            e
        })
    }

    /// A slot to read one request body, or 429 when `max_uploads` bodies are being read. Taken
    /// before the body is read and given back once it is in, before the inference permit.
    pub(crate) fn upload_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner.uploads.clone().try_acquire_owned().map_err(|_| {
            let n = self.inner.config.max_uploads;
            let msg = format!(
                "{n} request bodies are being read, the most this server takes at once; retry later"
            );
            let mut e = ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "busy", msg);
            e.retry_after = Some(self.inner.config.retry_after_s);
            e
        })
    }

    /// A permit to judge one chunk of a stream: waits for one (a stream cannot drop what its
    /// device sent; the number of streams waiting is bounded by `max_streams`).
    pub(crate) async fn wait_permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the server is shutting down"))
    }

    /// A slot for one open stream, or 429 when `max_streams` are open.
    pub(crate) fn stream_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.inner.streams.clone().try_acquire_owned().map_err(|_| {
            let n = self.inner.config.max_streams;
            let msg = format!("{n} stream(s) are open, the most this server takes; retry later");
            let mut e = ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "busy", msg);
            e.retry_after = Some(self.inner.config.retry_after_s);
            e
        })
    }

    /// Requests being handled now (all routes).
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn in_flight_counter(&self) -> &AtomicUsize {
        &self.inner.in_flight
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Adds judged beats (flagged, calibrated score) to the drift window and publishes it.
    pub(crate) fn record_beats(&self, beats: impl IntoIterator<Item = (bool, f64)>) {
        let mut drift = match self.inner.drift.lock() {
            Ok(d) => d,
            Err(poisoned) => poisoned.into_inner(),
        };
        drift.extend(beats);
        self.inner.metrics.publish_drift(&drift);
    }

    /// Runs the metrics' upkeep every 5 s until the task is aborted.
    pub(crate) fn spawn_upkeep(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                state.inner.metrics.upkeep();
            }
        })
    }
}
