//! Changes of amplitude: gain and baseline wander.

use serde::{Deserialize, Serialize};

use super::{Augment, AugmentState, uniform};
use crate::preprocess::check_fs;
use crate::{Error, Result};

/// Multiplies the beat by a gain drawn uniformly in `[low, high)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AmplitudeScale {
    low: f32,
    high: f32,
}

impl AmplitudeScale {
    /// Gains uniform in `[low, high)`, `0 <= low <= high`, both finite.
    pub fn new(low: f32, high: f32) -> Result<Self> {
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low <= high) {
            let msg = format!("[{low}, {high}): need finite 0 <= low <= high");
            return Err(Error::invalid("gain range", msg));
        }
        Ok(Self { low, high })
    }

    /// The gain range `(low, high)`.
    pub fn range(&self) -> (f32, f32) {
        (self.low, self.high)
    }
}

impl Augment for AmplitudeScale {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        let gain = uniform(&mut state.rng, self.low, self.high);
        beat.iter_mut().for_each(|x| *x *= gain);
    }
}

/// Adds slow sinusoids, as breathing and electrode motion do: each of `components` has an
/// amplitude and a frequency drawn uniformly in their ranges and a uniform random phase, so
/// the beat's mean is unchanged on average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BaselineWander {
    fs: f64,
    amplitude: (f32, f32),
    frequency_hz: (f32, f32),
    components: usize,
}

impl BaselineWander {
    /// One sinusoid of amplitude in `amplitude` (signal units, `0 <= low <= high`) and
    /// frequency in `frequency_hz` (`0 < low <= high <= fs / 2`), for beats sampled at `fs` Hz.
    /// Typical: amplitude up to 0.1–0.3 (mV or normalised units), 0.05–0.5 Hz.
    pub fn new(fs: f64, amplitude: (f32, f32), frequency_hz: (f32, f32)) -> Result<Self> {
        check_fs(fs)?;
        let (a0, a1) = amplitude;
        if !(a0.is_finite() && a1.is_finite() && 0.0 <= a0 && a0 <= a1) {
            let msg = format!("({a0}, {a1}): need finite 0 <= low <= high");
            return Err(Error::invalid("amplitude", msg));
        }
        let (f0, f1) = frequency_hz;
        if !(f0.is_finite() && f1.is_finite() && 0.0 < f0 && f0 <= f1 && f64::from(f1) <= fs / 2.0)
        {
            let msg = format!("({f0}, {f1}) Hz: need 0 < low <= high <= fs/2");
            return Err(Error::invalid("frequency_hz", msg));
        }
        Ok(Self {
            fs,
            amplitude,
            frequency_hz,
            components: 1,
        })
    }

    /// The checks of [`new`](Self::new) and [`with_components`](Self::with_components) on a
    /// value that may have skipped them (deserialised).
    pub fn validate(&self) -> Result<()> {
        Self::new(self.fs, self.amplitude, self.frequency_hz)?
            .with_components(self.components)
            .map(drop)
    }

    /// Sums `components` independent sinusoids (1 to 16) instead of one.
    pub fn with_components(mut self, components: usize) -> Result<Self> {
        if !(1..=16).contains(&components) {
            let msg = format!("{components}: must be 1 to 16");
            return Err(Error::invalid("components", msg));
        }
        self.components = components;
        Ok(self)
    }
}

impl Augment for BaselineWander {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        for _ in 0..self.components {
            let a = uniform(&mut state.rng, self.amplitude.0, self.amplitude.1);
            let f = uniform(&mut state.rng, self.frequency_hz.0, self.frequency_hz.1);
            let phase = uniform(&mut state.rng, 0.0, std::f32::consts::TAU);
            let w = std::f64::consts::TAU * f64::from(f) / self.fs;
            for (i, x) in beat.iter_mut().enumerate() {
                *x += a * (w * i as f64 + f64::from(phase)).sin() as f32;
            }
        }
    }
}
