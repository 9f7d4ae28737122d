//! Seeded training-time augmentation of beats and windows.
//!
//! Every transformation implements [`Augment`]: it changes one beat (or window) in place and
//! draws its randomness from an [`AugmentState`], a seeded portable generator plus a reusable
//! buffer, so a batch is augmented without allocating per beat. The trait is object-safe;
//! [`Compose`] chains boxed transformations, each applied with its own probability.
//!
//! ```
//! use ecg_anomaly::augment::*;
//! let pipeline = Compose::new()
//!     .then(AmplitudeScale::new(0.8, 1.2)?)
//!     .then_with_probability(0.5, TimeWarp::new(0.1)?)?
//!     .then(GaussianNoise::snr_db(20.0)?);
//! let mut state = AugmentState::new(42);
//! let mut batch = vec![0.5f32; 4 * 256]; // 4 beats of 256 samples
//! pipeline.apply_batch(&mut batch, 256, &mut state)?;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```

mod amplitude;
mod noise;
mod stress;
mod time;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

use crate::{Error, Result};

pub use amplitude::{AmplitudeScale, BaselineWander};
pub use noise::{GaussianNoise, NoiseLevel};
pub use stress::StressNoise;
pub use time::{EdgeFill, MAX_WARP_KNOTS, TimeShift, TimeWarp};

/// The generator augmentations draw from: xoshiro256++, whose output is the same on every
/// platform and `rand` release.
pub type AugmentRng = Xoshiro256PlusPlus;

/// What an augmentation needs besides the beat: randomness and a scratch buffer that keeps its
/// capacity from one beat to the next.
#[derive(Debug, Clone)]
pub struct AugmentState {
    /// The seeded generator.
    pub rng: AugmentRng,
    /// Reusable buffer (e.g. a copy of the beat for resampling); its content is not kept.
    pub scratch: Vec<f32>,
}

impl AugmentState {
    /// A state seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: AugmentRng::seed_from_u64(seed),
            scratch: Vec::new(),
        }
    }

    /// Reseeds the generator for item `index` of a run seeded with `seed`, keeping the buffer.
    /// Items reseeded this way get independent streams whatever order they are visited in.
    pub fn reseed(&mut self, seed: u64, index: u64) {
        self.rng = AugmentRng::seed_from_u64(splitmix64(seed ^ splitmix64(index)));
    }
}

/// A random transformation of one beat or window, in place, keeping its length.
pub trait Augment: Send + Sync + std::fmt::Debug {
    /// Transforms `beat`, drawing randomness from `state`.
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState);

    /// Transforms each consecutive `beat_len` samples of `batch` in turn.
    ///
    /// [`Error::InvalidArgument`] when `beat_len` is 0 or does not divide the batch length.
    fn apply_batch(
        &self,
        batch: &mut [f32],
        beat_len: usize,
        state: &mut AugmentState,
    ) -> Result<()> {
        check_batch(batch.len(), beat_len)?;
        for beat in batch.chunks_exact_mut(beat_len) {
            self.apply(beat, state);
        }
        Ok(())
    }
}

impl<A: Augment + ?Sized> Augment for Box<A> {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        (**self).apply(beat, state);
    }
}

/// Transforms the beats of `batch` on all cores. Beat `i` draws from a stream seeded by
/// `(seed, i)`, so the result does not depend on the number of threads.
pub fn augment_batch_par(
    augment: &dyn Augment,
    batch: &mut [f32],
    beat_len: usize,
    seed: u64,
) -> Result<()> {
    check_batch(batch.len(), beat_len)?;
    batch
        .par_chunks_exact_mut(beat_len)
        .enumerate()
        .for_each_init(
            || AugmentState::new(seed),
            |state, (i, beat)| {
                state.reseed(seed, i as u64);
                augment.apply(beat, state);
            },
        );
    Ok(())
}

/// A pipeline of augmentations, each applied with its own probability, in order.
#[derive(Debug, Default)]
pub struct Compose {
    steps: Vec<(f64, Box<dyn Augment>)>,
}

impl Compose {
    /// An empty pipeline (the identity).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `augment`, always applied.
    pub fn then(mut self, augment: impl Augment + 'static) -> Self {
        self.steps.push((1.0, Box::new(augment)));
        self
    }

    /// Appends `augment`, applied with probability `p` (0 to 1).
    pub fn then_with_probability(
        mut self,
        p: f64,
        augment: impl Augment + 'static,
    ) -> Result<Self> {
        self.push(p, Box::new(augment))?;
        Ok(self)
    }

    /// Appends a boxed augmentation applied with probability `p` (0 to 1).
    pub fn push(&mut self, p: f64, augment: Box<dyn Augment>) -> Result<()> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::invalid("p", format!("{p}: must be 0 to 1")));
        }
        self.steps.push((p, augment));
        Ok(())
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the pipeline has no step.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Augment for Compose {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        for (p, augment) in &self.steps {
            // One draw per step whatever `p`, so a step's decision never shifts the others.
            if state.rng.random::<f64>() < *p {
                augment.apply(beat, state);
            }
        }
    }
}

fn check_batch(len: usize, beat_len: usize) -> Result<()> {
    if beat_len == 0 || !len.is_multiple_of(beat_len) {
        let msg = format!("{beat_len}: must be > 0 and divide the batch length {len}");
        return Err(Error::invalid("beat_len", msg));
    }
    Ok(())
}

/// Uniform draw in `[lo, hi)`; never panics (a reversed or NaN range gives `lo` or NaN).
pub(crate) fn uniform(rng: &mut AugmentRng, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

/// SplitMix64 finaliser: spreads nearby seeds and indices over the whole 64-bit range.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
