//! Additive white Gaussian noise.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Augment, AugmentState};
use crate::{Error, Result};

/// How strong the added noise is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NoiseLevel {
    /// Fixed standard deviation, in the signal's units.
    Std(f32),
    /// Signal-to-noise ratio in dB, against the beat's variance (power about its mean).
    SnrDb(f32),
}

/// Adds white Gaussian noise of a fixed standard deviation or a fixed SNR.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GaussianNoise {
    level: NoiseLevel,
}

impl GaussianNoise {
    /// Noise of standard deviation `std` (finite, >= 0).
    pub fn std(std: f32) -> Result<Self> {
        if !(std.is_finite() && std >= 0.0) {
            return Err(Error::invalid(
                "std",
                format!("{std}: must be finite and >= 0"),
            ));
        }
        Ok(Self {
            level: NoiseLevel::Std(std),
        })
    }

    /// Noise `snr_db` dB below each beat's variance (finite).
    pub fn snr_db(snr_db: f32) -> Result<Self> {
        if !snr_db.is_finite() {
            return Err(Error::invalid(
                "snr_db",
                format!("{snr_db}: must be finite"),
            ));
        }
        Ok(Self {
            level: NoiseLevel::SnrDb(snr_db),
        })
    }

    /// The checks of [`std`](Self::std) and [`snr_db`](Self::snr_db) on a value that may
    /// have skipped them (deserialised).
    pub fn validate(&self) -> Result<()> {
        match self.level {
            NoiseLevel::Std(std) => Self::std(std).map(drop),
            NoiseLevel::SnrDb(db) => Self::snr_db(db).map(drop),
        }
    }

    /// The configured level.
    pub fn level(&self) -> NoiseLevel {
        self.level
    }

    /// Standard deviation of the noise this augmentation adds to `beat`.
    pub fn noise_std(&self, beat: &[f32]) -> f32 {
        match self.level {
            NoiseLevel::Std(std) => std,
            NoiseLevel::SnrDb(db) => {
                let n = beat.len().max(1) as f64;
                let mean = beat.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
                let var = beat
                    .iter()
                    .map(|&x| (f64::from(x) - mean).powi(2))
                    .sum::<f64>()
                    / n;
                (var.sqrt() / 10f64.powf(f64::from(db) / 20.0)) as f32
            }
        }
    }
}

impl Augment for GaussianNoise {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        let std = self.noise_std(beat);
        for x in beat.iter_mut() {
            let z: f32 = state.rng.sample(StandardNormal);
            *x += std * z;
        }
    }
}
