//! Zero-phase Butterworth band-pass, high-pass and low-pass filters.
//!
//! `order` is the Butterworth order N of each band edge, as in `scipy.signal.butter(N, ...)`:
//! a band-pass of order N has 2N poles (N sections). Filters run forward and backward
//! ([`filtfilt`](super::filtfilt)), so the response is `|H|²` with zero phase: each edge is -6 dB (gain 0.5) at
//! its cutoff and rolls off at 40·N dB/decade.

use super::SignalFilter;
use super::sos::{Biquad, filtfilt_at};
use crate::preprocess::check::check_fs;
use crate::{Error, Result};
use sci_rs::signal::filter::design::{DigitalFilter, FilterBandType, FilterOutputType, butter_dyn};
use serde::{Deserialize, Serialize};

/// Highest Butterworth order accepted (higher orders are numerically fragile and never needed).
pub const MAX_ORDER: usize = 8;

/// Zero-phase Butterworth band-pass; default 0.5–40 Hz, order 2 (removes baseline wander and
/// EMG/mains noise while keeping the QRS shape).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandPass {
    /// Lower cutoff in Hz (-6 dB after the zero-phase pass).
    pub low_hz: f64,
    /// Upper cutoff in Hz (-6 dB after the zero-phase pass).
    pub high_hz: f64,
    /// Butterworth order per band edge.
    pub order: usize,
}

impl Default for BandPass {
    fn default() -> Self {
        Self {
            low_hz: 0.5,
            high_hz: 40.0,
            order: 2,
        }
    }
}

impl BandPass {
    /// A band-pass between `low_hz` and `high_hz` with the default order (2).
    pub fn new(low_hz: f64, high_hz: f64) -> Self {
        Self {
            low_hz,
            high_hz,
            ..Self::default()
        }
    }

    /// The same filter with another Butterworth order.
    pub fn with_order(self, order: usize) -> Self {
        Self { order, ..self }
    }

    /// The designed sections for sampling rate `fs` (equal to `butter(order, [low, high],
    /// 'bandpass', output='sos', fs=fs)`).
    pub fn sections(&self, fs: f64) -> Result<Vec<Biquad>> {
        check_cutoff("low_hz", self.low_hz, fs)?;
        check_cutoff("high_hz", self.high_hz, fs)?;
        if self.low_hz >= self.high_hz {
            return Err(Error::invalid(
                "low_hz",
                format!(
                    "{} Hz must be below high_hz {} Hz",
                    self.low_hz, self.high_hz
                ),
            ));
        }
        design(
            self.order,
            vec![self.low_hz, self.high_hz],
            FilterBandType::Bandpass,
            fs,
        )
    }
}

/// Zero-phase Butterworth high-pass; default 0.5 Hz, order 2 (baseline wander removal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HighPass {
    /// Cutoff in Hz (-6 dB after the zero-phase pass).
    pub cutoff_hz: f64,
    /// Butterworth order.
    pub order: usize,
}

impl Default for HighPass {
    fn default() -> Self {
        Self {
            cutoff_hz: 0.5,
            order: 2,
        }
    }
}

impl HighPass {
    /// A high-pass at `cutoff_hz` with the default order (2).
    pub fn new(cutoff_hz: f64) -> Self {
        Self {
            cutoff_hz,
            ..Self::default()
        }
    }

    /// The same filter with another Butterworth order.
    pub fn with_order(self, order: usize) -> Self {
        Self { order, ..self }
    }

    /// The designed sections for sampling rate `fs`.
    pub fn sections(&self, fs: f64) -> Result<Vec<Biquad>> {
        check_cutoff("cutoff_hz", self.cutoff_hz, fs)?;
        design(
            self.order,
            vec![self.cutoff_hz],
            FilterBandType::Highpass,
            fs,
        )
    }
}

/// Zero-phase Butterworth low-pass; default 40 Hz, order 2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LowPass {
    /// Cutoff in Hz (-6 dB after the zero-phase pass).
    pub cutoff_hz: f64,
    /// Butterworth order.
    pub order: usize,
}

impl Default for LowPass {
    fn default() -> Self {
        Self {
            cutoff_hz: 40.0,
            order: 2,
        }
    }
}

impl LowPass {
    /// A low-pass at `cutoff_hz` with the default order (2).
    pub fn new(cutoff_hz: f64) -> Self {
        Self {
            cutoff_hz,
            ..Self::default()
        }
    }

    /// The same filter with another Butterworth order.
    pub fn with_order(self, order: usize) -> Self {
        Self { order, ..self }
    }

    /// The designed sections for sampling rate `fs`.
    pub fn sections(&self, fs: f64) -> Result<Vec<Biquad>> {
        check_cutoff("cutoff_hz", self.cutoff_hz, fs)?;
        design(
            self.order,
            vec![self.cutoff_hz],
            FilterBandType::Lowpass,
            fs,
        )
    }
}

macro_rules! zero_phase_filter {
    ($($t:ty),*) => {$(
        impl SignalFilter for $t {
            fn apply(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>> {
                filtfilt_at(&self.sections(fs)?, signal, fs)
            }
        }
    )*};
}
zero_phase_filter!(BandPass, HighPass, LowPass);

/// A cutoff must lie strictly between 0 and the Nyquist frequency.
fn check_cutoff(name: &'static str, hz: f64, fs: f64) -> Result<()> {
    check_fs(fs)?;
    if hz.is_finite() && hz > 0.0 && hz < fs / 2.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            format!("{hz} Hz is not inside (0, fs/2 = {} Hz)", fs / 2.0),
        ))
    }
}

/// Smallest cutoff, as a fraction of the Nyquist frequency, that a Butterworth design accepts
/// (and the closest it may come to Nyquist): nearer, the poles sit within `f64` rounding of the
/// unit circle, the design degenerates (`sci-rs` then panics or returns non-finite sections),
/// e.g. a 0.5 Hz cutoff at `fs = 1e300`. At 360 Hz this still allows cutoffs from 0.18 mHz.
pub const MIN_RELATIVE_CUTOFF: f64 = 1e-6;

/// Butterworth design through `sci-rs` (arguments are validated first: it panics on bad ones).
fn design(order: usize, wn: Vec<f64>, band: FilterBandType, fs: f64) -> Result<Vec<Biquad>> {
    if !(1..=MAX_ORDER).contains(&order) {
        return Err(Error::invalid(
            "order",
            format!("{order} is not in 1..={MAX_ORDER}"),
        ));
    }
    let nyquist = fs / 2.0;
    for &hz in &wn {
        let relative = hz / nyquist;
        if !(MIN_RELATIVE_CUTOFF..=1.0 - MIN_RELATIVE_CUTOFF).contains(&relative) {
            return Err(Error::invalid(
                "fs",
                format!(
                    "{fs} Hz: a {hz} Hz cutoff is {relative:e} of Nyquist; a Butterworth design \
                     needs between {MIN_RELATIVE_CUTOFF:e} and 1 - {MIN_RELATIVE_CUTOFF:e}"
                ),
            ));
        }
    }
    // The checks above keep sci-rs's design inside what it handles; should it still panic on
    // some corner, that becomes an error rather than a crash of the caller.
    let filter = std::panic::catch_unwind(|| {
        butter_dyn(
            order,
            wn,
            Some(band),
            Some(false),
            Some(FilterOutputType::Sos),
            Some(fs),
        )
    })
    .map_err(|_| {
        Error::invalid(
            "fs",
            format!("{fs} Hz: the order-{order} Butterworth design failed at this rate"),
        )
    })?;
    match filter {
        DigitalFilter::Sos(sos) => Ok(sos.sos.iter().map(|s| Biquad { b: s.b, a: s.a }).collect()),
        _ => Err(Error::invalid(
            "order",
            "filter design did not return sections",
        )),
    }
}
