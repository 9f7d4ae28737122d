//! Recorded-style noise at a fixed SNR: what ambulatory ECGs suffer, synthesised.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Augment, AugmentState, uniform};
use crate::{Error, Result};

/// The three noises of the MIT-BIH Noise Stress Test Database, synthesised in equal power and
/// added at a fixed signal-to-noise ratio against each beat's variance: baseline wander (two
/// sinusoids of 0.1-0.5 Hz), muscle artefact (white noise) and electrode motion (a random
/// walk: slow drifts and shifts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StressNoise {
    fs: f64,
    snr_db: f32,
}

impl StressNoise {
    /// Noise `snr_db` dB below each beat's variance (finite) for beats sampled at `fs` Hz
    /// (finite, `> 1`).
    pub fn new(fs: f64, snr_db: f32) -> Result<Self> {
        if !(fs.is_finite() && fs > 1.0) {
            return Err(Error::invalid(
                "fs",
                format!("{fs} Hz: must be finite and > 1"),
            ));
        }
        if !snr_db.is_finite() {
            return Err(Error::invalid(
                "snr_db",
                format!("{snr_db}: must be finite"),
            ));
        }
        Ok(Self { fs, snr_db })
    }

    /// The checks of [`new`](Self::new) on a value that may have skipped them (deserialised).
    pub fn validate(&self) -> Result<()> {
        Self::new(self.fs, self.snr_db).map(drop)
    }

    /// The signal-to-noise ratio in dB.
    pub fn snr_db(&self) -> f32 {
        self.snr_db
    }
}

impl Augment for StressNoise {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        let n = beat.len();
        if n < 2 {
            return;
        }
        let power = variance(beat);
        let target = power / 10f64.powf(f64::from(self.snr_db) / 10.0);
        // Scratch holds the noise so far, then the kind being drawn: no allocation per beat.
        let mut scratch = std::mem::take(&mut state.scratch);
        scratch.clear();
        scratch.resize(2 * n, 0.0);
        let (noise, component) = scratch.split_at_mut(n);
        for kind in 0..3 {
            match kind {
                0 => {
                    component.fill(0.0);
                    for _ in 0..2 {
                        let f = uniform(&mut state.rng, 0.1, 0.5);
                        let phase = uniform(&mut state.rng, 0.0, std::f32::consts::TAU);
                        let w = std::f64::consts::TAU * f64::from(f) / self.fs;
                        for (i, c) in component.iter_mut().enumerate() {
                            *c += (w * i as f64 + f64::from(phase)).sin() as f32;
                        }
                    }
                }
                1 => {
                    for c in component.iter_mut() {
                        *c = state.rng.sample(StandardNormal);
                    }
                }
                _ => {
                    let mut walk = 0.0f32;
                    for c in component.iter_mut() {
                        let step: f32 = state.rng.sample(StandardNormal);
                        walk += step;
                        *c = walk;
                    }
                }
            }
            // Each kind a third of the noise power (about its mean, as the beat's variance).
            let scale = (target / 3.0 / variance(component).max(1e-30)).sqrt() as f32;
            for (x, c) in noise.iter_mut().zip(component.iter()) {
                *x += scale * c;
            }
        }
        for (x, e) in beat.iter_mut().zip(noise.iter()) {
            *x += e;
        }
        state.scratch = scratch;
    }
}

/// Variance of `values` about their mean, in f64.
fn variance(values: &[f32]) -> f64 {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    values
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_added_noise_has_the_asked_snr_and_all_three_kinds() {
        let beat: Vec<f32> = (0..360).map(|i| (i as f32 / 20.0).sin()).collect();
        for snr in [12.0f32, 6.0, 0.0] {
            let noise = StressNoise::new(360.0, snr).unwrap();
            let mut noisy = beat.clone();
            noise.apply(&mut noisy, &mut AugmentState::new(7));
            let added: Vec<f32> = noisy.iter().zip(&beat).map(|(a, b)| a - b).collect();
            let measured = 10.0 * (variance(&beat) / variance(&added)).log10();
            // The three kinds are independent, so their powers add up to within a few dB.
            assert!(
                (measured - f64::from(snr)).abs() < 3.0,
                "{snr} dB: {measured}"
            );
            // Not white: the wander and the walk make neighbouring samples alike.
            let lag1: f64 = added
                .windows(2)
                .map(|w| f64::from(w[0] * w[1]))
                .sum::<f64>()
                / added.iter().map(|&x| f64::from(x * x)).sum::<f64>();
            assert!(lag1 > 0.3, "lag-1 correlation {lag1}");
        }
        let mut same = beat.clone();
        StressNoise::new(360.0, 6.0)
            .unwrap()
            .apply(&mut same, &mut AugmentState::new(7));
        let mut again = beat.clone();
        StressNoise::new(360.0, 6.0)
            .unwrap()
            .apply(&mut again, &mut AugmentState::new(7));
        assert_eq!(same, again, "seeded");
        assert!(StressNoise::new(f64::NAN, 6.0).is_err());
        assert!(StressNoise::new(360.0, f32::INFINITY).is_err());
    }
}
