//! Prometheus metrics (`GET /metrics`): requests, latency, beats, rejected inputs, requests in
//! flight, and the drift of the last beats judged beside what calibration expects.

use std::collections::VecDeque;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::{Error, Result};

/// Requests by `route`, `method` and `status`.
pub const REQUESTS: &str = "ecg_http_requests_total";
/// Request latency in seconds by `route` (histogram).
pub const LATENCY: &str = "ecg_http_request_duration_seconds";
/// Requests being handled now.
pub const IN_FLIGHT: &str = "ecg_http_requests_in_flight";
/// Beats judged.
pub const BEATS: &str = "ecg_beats_scored_total";
/// Beats flagged as anomalous.
pub const FLAGGED: &str = "ecg_beats_flagged_total";
/// Requests refused, by `reason` (the error code).
pub const REJECTED: &str = "ecg_inputs_rejected_total";
/// Share of flagged beats among the last `drift_window` beats judged.
pub const DRIFT_FLAGGED: &str = "ecg_drift_flagged_share";
/// Mean calibrated score of the last `drift_window` beats (about 0.5 on normal beats).
pub const DRIFT_CALIBRATED: &str = "ecg_drift_mean_calibrated";
/// Beats in the drift window now.
pub const DRIFT_BEATS: &str = "ecg_drift_window_beats";
/// Share of held-out normal beats above the threshold: what `ecg_drift_flagged_share` should
/// be on normal beats.
pub const EXPECTED_FLAGGED: &str = "ecg_calibration_expected_flagged_share";

const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's Prometheus recorder (one per process: `metrics` has one global recorder).
#[derive(Clone)]
pub(crate) struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the global recorder the first time; later servers in the process share it.
    pub(crate) fn install() -> Result<Self> {
        static HANDLE: OnceLock<std::result::Result<PrometheusHandle, String>> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.into()), &LATENCY_BUCKETS)
                .map_err(|e| e.to_string())?
                .install_recorder()
                .map_err(|e| e.to_string())
        });
        match handle {
            Ok(handle) => Ok(Self {
                handle: handle.clone(),
            }),
            Err(e) => Err(Error::Backend(format!(
                "installing the metrics recorder: {e}"
            ))),
        }
    }

    pub(crate) fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    pub(crate) fn set_expected_flagged_share(&self, share: f64) {
        metrics::gauge!(EXPECTED_FLAGGED).set(share);
    }

    pub(crate) fn publish_drift(&self, drift: &Drift) {
        metrics::gauge!(DRIFT_BEATS).set(drift.beats.len() as f64);
        if let Some((flagged, calibrated)) = drift.means() {
            metrics::gauge!(DRIFT_FLAGGED).set(flagged);
            metrics::gauge!(DRIFT_CALIBRATED).set(calibrated);
        }
    }
}

/// The last `capacity` beats judged: (flagged, calibrated score).
#[derive(Debug)]
pub(crate) struct Drift {
    capacity: usize,
    beats: VecDeque<(bool, f64)>,
}

impl Drift {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            beats: VecDeque::with_capacity(capacity),
        }
    }

    pub(crate) fn extend(&mut self, beats: impl IntoIterator<Item = (bool, f64)>) {
        for beat in beats {
            if self.beats.len() == self.capacity {
                self.beats.pop_front();
            }
            self.beats.push_back(beat);
        }
    }

    /// The flagged share and the mean calibrated score of the window, when it holds a beat.
    pub(crate) fn means(&self) -> Option<(f64, f64)> {
        let n = self.beats.len();
        if n == 0 {
            return None;
        }
        let flagged = self.beats.iter().filter(|b| b.0).count();
        let calibrated: f64 = self.beats.iter().map(|b| b.1).sum();
        Some((flagged as f64 / n as f64, calibrated / n as f64))
    }
}

/// `GET /metrics`: the Prometheus text format.
pub(crate) async fn render(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().handle.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drift_window_keeps_the_last_beats() {
        let mut drift = Drift::new(4);
        assert_eq!(drift.means(), None);
        drift.extend([(true, 1.0), (true, 1.0), (false, 0.5), (false, 0.5)]);
        assert_eq!(drift.means(), Some((0.5, 0.75)));
        drift.extend([(false, 0.0), (false, 0.0)]);
        assert_eq!(
            drift.means(),
            Some((0.0, 0.25)),
            "the two flagged beats left"
        );
    }
}
