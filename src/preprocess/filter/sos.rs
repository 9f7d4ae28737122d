//! Second-order sections and zero-phase (forward-backward) filtering.
//!
//! Coefficients and state are `f64` even though signals are `f32`: Butterworth poles at 0.5 Hz
//! and 360 Hz sit within 0.01 of the unit circle, where single precision loses the response.

use crate::preprocess::check::{check_fs, check_signal};
use crate::{Error, Result};
use sci_rs::signal::filter::{design::Sos, sosfiltfilt_dyn};
use serde::{Deserialize, Serialize};

/// One second-order IIR section in SciPy's layout: `b = [b0, b1, b2]`, `a = [1, a1, a2]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Biquad {
    /// Numerator (feed-forward) coefficients.
    pub b: [f64; 3],
    /// Denominator (feedback) coefficients, `a[0] == 1`.
    pub a: [f64; 3],
}

impl Biquad {
    /// Magnitude of the section's response `|H(e^{jω})|` at `freq_hz` for sampling rate `fs`.
    ///
    /// Errors: `fs` not finite and `> 0`, `freq_hz` not finite and `>= 0`, or a response that
    /// is not finite (non-finite coefficients, a pole on the unit circle at `freq_hz`).
    pub fn magnitude(&self, freq_hz: f64, fs: f64) -> Result<f64> {
        check_fs(fs)?;
        if !(freq_hz.is_finite() && freq_hz >= 0.0) {
            return Err(Error::invalid(
                "freq_hz",
                format!("{freq_hz} Hz must be finite and >= 0"),
            ));
        }
        let w = 2.0 * std::f64::consts::PI * freq_hz / fs;
        let eval = |c: &[f64; 3]| {
            let re = c[0] + c[1] * w.cos() + c[2] * (2.0 * w).cos();
            let im = -c[1] * w.sin() - c[2] * (2.0 * w).sin();
            re.hypot(im)
        };
        let magnitude = eval(&self.b) / eval(&self.a);
        if !magnitude.is_finite() {
            let msg = format!("the response at {freq_hz} Hz (fs {fs} Hz) is {magnitude}");
            return Err(Error::invalid("sections", msg));
        }
        Ok(magnitude)
    }
}

/// Magnitude of a cascade of sections at `freq_hz` (one pass; a zero-phase pass squares it).
/// Errors as [`Biquad::magnitude`]; an empty cascade is an error too.
pub fn cascade_magnitude(sections: &[Biquad], freq_hz: f64, fs: f64) -> Result<f64> {
    if sections.is_empty() {
        return Err(Error::invalid("sections", "no filter section"));
    }
    sections.iter().map(|s| s.magnitude(freq_hz, fs)).product()
}

/// Number of samples SciPy's `sosfiltfilt` adds at each end (odd extension): `3 * ntaps`,
/// with `ntaps = 2 * sections + 1` minus the trailing zero coefficients of first-order sections.
pub fn filtfilt_padlen(sections: &[Biquad]) -> usize {
    let b_zeros = sections.iter().filter(|s| s.b[2] == 0.0).count();
    let a_zeros = sections.iter().filter(|s| s.a[2] == 0.0).count();
    3 * (2 * sections.len() + 1 - b_zeros.min(a_zeros))
}

/// Zero-phase filtering with a cascade of sections, equal to SciPy's
/// `sosfiltfilt(sos, x, padtype='odd')`: odd extension by [`filtfilt_padlen`] samples at both
/// ends, steady-state initial conditions (`sosfilt_zi`), forward then backward pass.
///
/// The effective magnitude response is the square of the cascade's, with no phase shift.
/// Errors: empty signal or one not longer than the padding ([`Error::InvalidArgument`]),
/// NaN/infinite sample ([`Error::Signal`]), no section, non-finite coefficients or `a[0] == 0`,
/// and a non-finite output (an unstable or degenerate cascade, or a signal so large that the
/// result overflows `f32`): [`Error::InvalidArgument`] for `sections`, naming the sample, never
/// `Ok` with a NaN.
pub fn filtfilt(sections: &[Biquad], signal: &[f32]) -> Result<Vec<f32>> {
    check_signal(signal)?;
    if sections.is_empty() {
        return Err(Error::invalid("sections", "no filter section"));
    }
    let padlen = filtfilt_padlen(sections);
    if signal.len() <= padlen {
        return Err(Error::invalid(
            "signal",
            format!(
                "{} samples; zero-phase filtering with {} sections needs more than {padlen}",
                signal.len(),
                sections.len()
            ),
        ));
    }
    let mut sos = Vec::with_capacity(sections.len());
    for s in sections {
        let a0 = s.a[0];
        if a0 == 0.0 || !s.b.iter().chain(&s.a).all(|c| c.is_finite()) {
            return Err(Error::invalid(
                "sections",
                format!("{s:?}: needs finite coefficients, a[0] != 0"),
            ));
        }
        // sci-rs's recursion assumes a[0] == 1.
        sos.push(Sos::new(s.b.map(|c| c / a0), s.a.map(|c| c / a0)));
    }
    let out: Vec<f32> = sosfiltfilt_dyn(signal.iter().map(|&x| f64::from(x)), &sos)
        .into_iter()
        .map(|y| y as f32)
        .collect();
    match out.iter().position(|y| !y.is_finite()) {
        None => Ok(out),
        Some(i) => Err(Error::invalid(
            "sections",
            format!(
                "filtering gives the non-finite value {} at sample {i}",
                out[i]
            ),
        )),
    }
}

/// [`filtfilt`] with sections designed for sampling rate `fs`: a design that is unusable at
/// that rate (non-finite coefficients or output, e.g. `fs = 1e300` with a 0.5 Hz cutoff) is
/// reported as an invalid `fs`.
pub(super) fn filtfilt_at(sections: &[Biquad], signal: &[f32], fs: f64) -> Result<Vec<f32>> {
    filtfilt(sections, signal).map_err(|e| match e {
        Error::InvalidArgument {
            name: "sections",
            message,
        } => Error::invalid(
            "fs",
            format!("{fs} Hz: the filter designed for this rate is unusable: {message}"),
        ),
        other => other,
    })
}
