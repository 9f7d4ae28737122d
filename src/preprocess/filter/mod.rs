//! Filters: zero-phase Butterworth band-pass/high-pass/low-pass, mains notch, median baseline
//! removal, and a chain to run several in order.

mod butterworth;
mod median;
mod notch;
mod sos;

#[cfg(test)]
#[rustfmt::skip]
mod scipy_ref;
#[cfg(test)]
mod tests;

pub use butterworth::{BandPass, HighPass, LowPass, MAX_ORDER, MIN_RELATIVE_CUTOFF};
pub use median::{MedianBaseline, moving_median};
pub use notch::Notch;
pub use sos::{Biquad, cascade_magnitude, filtfilt, filtfilt_padlen};

use crate::Result;

/// A filter over one lead sampled at `fs` Hz; returns a new signal of the same length.
///
/// Implementations validate their arguments (cutoff below Nyquist, `fs > 0`) and the signal
/// (non-empty, finite: a NaN gives [`crate::Error::Signal`] with its sample index).
pub trait SignalFilter: std::fmt::Debug + Send + Sync {
    /// Filters `signal` sampled at `fs` Hz.
    fn apply(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>>;
}

/// Filters applied one after the other (e.g. notch, then band-pass).
#[derive(Debug, Default)]
pub struct FilterChain {
    filters: Vec<Box<dyn SignalFilter>>,
}

impl FilterChain {
    /// An empty chain (applying it returns a copy of the signal).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `filter` to the chain.
    pub fn then(mut self, filter: impl SignalFilter + 'static) -> Self {
        self.filters.push(Box::new(filter));
        self
    }

    /// Appends an already boxed filter.
    pub fn push(&mut self, filter: Box<dyn SignalFilter>) {
        self.filters.push(filter);
    }

    /// Number of filters in the chain.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    /// True when the chain holds no filter.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }
}

impl SignalFilter for FilterChain {
    fn apply(&self, signal: &[f32], fs: f64) -> Result<Vec<f32>> {
        crate::preprocess::check::check_signal(signal)?;
        crate::preprocess::check::check_fs(fs)?;
        let mut out = signal.to_vec();
        for filter in &self.filters {
            out = filter.apply(&out, fs)?;
        }
        Ok(out)
    }
}
