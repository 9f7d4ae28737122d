//! Zero-phase IIR notch for mains interference (50 or 60 Hz).

use super::SignalFilter;
use super::sos::{Biquad, filtfilt_at};
use crate::preprocess::check::check_fs;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Second-order IIR notch (SciPy's `iirnotch`), run forward and backward.
///
/// The -3 dB stop band of one pass is `freq_hz / quality` wide; default 50 Hz, quality 30
/// (a 1.7 Hz band). Use [`Notch::us`] for 60 Hz mains.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Notch {
    /// Frequency to remove, Hz.
    pub freq_hz: f64,
    /// Quality factor: centre frequency over -3 dB bandwidth.
    pub quality: f64,
}

impl Default for Notch {
    fn default() -> Self {
        Self {
            freq_hz: 50.0,
            quality: 30.0,
        }
    }
}

impl Notch {
    /// A notch at `freq_hz` with the default quality (30).
    pub fn new(freq_hz: f64) -> Self {
        Self {
            freq_hz,
            ..Self::default()
        }
    }

    /// A 60 Hz notch (North American mains, MIT-BIH).
    pub fn us() -> Self {
        Self::new(60.0)
    }

    /// The same notch with another quality factor.
    pub fn with_quality(self, quality: f64) -> Self {
        Self { quality, ..self }
    }

    /// The designed section for sampling rate `fs` (equal to `scipy.signal.iirnotch`).
    pub fn section(&self, fs: f64) -> Result<Biquad> {
        check_fs(fs)?;
        if !(self.freq_hz.is_finite() && self.freq_hz > 0.0 && self.freq_hz < fs / 2.0) {
            return Err(Error::invalid(
                "freq_hz",
                format!(
                    "{} Hz is not inside (0, fs/2 = {} Hz)",
                    self.freq_hz,
                    fs / 2.0
                ),
            ));
        }
        if !(self.quality.is_finite() && self.quality > 0.0) {
            return Err(Error::invalid(
                "quality",
                format!("{} must be > 0", self.quality),
            ));
        }
        let w0 = 2.0 * std::f64::consts::PI * self.freq_hz / fs;
        let bandwidth = w0 / self.quality;
        // With the -3 dB gain 1/sqrt(2), SciPy's beta = sqrt(1 - g²)/g * tan(bw/2) = tan(bw/2).
        let gain = 1.0 / (1.0 + (bandwidth / 2.0).tan());
        let c = -2.0 * w0.cos();
        Ok(Biquad {
            b: [gain, gain * c, gain],
            a: [1.0, gain * c, 2.0 * gain - 1.0],
        })
    }
}

impl SignalFilter for Notch {
    fn apply(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>> {
        filtfilt_at(&[self.section(fs)?], signal, fs)
    }
}
