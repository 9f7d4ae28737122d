//! Changes of timing: shift and smooth time warp.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{Augment, AugmentRng, AugmentState, uniform};
use crate::{Error, Result};

/// What fills the samples a shift uncovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EdgeFill {
    /// Zeros.
    Zero,
    /// The edge sample repeated (the default: no step at the border).
    #[default]
    Edge,
    /// The samples shifted out, wrapped round (circular shift).
    Wrap,
}

/// Delays (positive lag) or advances the beat by a whole number of samples drawn uniformly in
/// `-max_shift..=max_shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeShift {
    max_shift: usize,
    fill: EdgeFill,
}

impl TimeShift {
    /// Shifts of at most `max_shift` samples either way, uncovered samples filled by `fill`.
    pub fn new(max_shift: usize, fill: EdgeFill) -> Result<Self> {
        if max_shift > isize::MAX as usize / 2 {
            return Err(Error::invalid(
                "max_shift",
                format!("{max_shift}: too large"),
            ));
        }
        Ok(Self { max_shift, fill })
    }

    /// The checks of [`new`](Self::new) on a value that may have skipped them (deserialised).
    pub fn validate(&self) -> Result<()> {
        Self::new(self.max_shift, self.fill).map(drop)
    }

    /// Draws a lag uniformly in `-max_shift..=max_shift`; [`Augment::apply`] is
    /// `shift(beat, draw_lag(rng), fill)`.
    pub fn draw_lag(&self, rng: &mut AugmentRng) -> isize {
        // Capped again here: a deserialised value skips `new`'s check.
        let m = self.max_shift.min(isize::MAX as usize / 2) as isize;
        let span = 2.0 * m as f64 + 1.0;
        ((rng.random::<f64>() * span) as isize - m).clamp(-m, m)
    }

    /// Shifts `beat` by `lag` samples in place: `out[i] = in[i - lag]`, uncovered samples filled
    /// by `fill`. No allocation.
    pub fn shift(beat: &mut [f32], lag: isize, fill: EdgeFill) {
        let n = beat.len();
        if n == 0 || lag == 0 {
            return;
        }
        let k = lag.unsigned_abs();
        if fill == EdgeFill::Wrap {
            let k = k % n;
            if lag > 0 {
                beat.rotate_right(k);
            } else {
                beat.rotate_left(k);
            }
            return;
        }
        let k = k.min(n);
        let (value, uncovered) = if lag > 0 {
            let edge = beat[0];
            beat.copy_within(..n - k, k);
            (edge, 0..k)
        } else {
            let edge = beat[n - 1];
            beat.copy_within(k.., 0);
            (edge, n - k..n)
        };
        let value = if fill == EdgeFill::Zero { 0.0 } else { value };
        beat[uncovered].fill(value);
    }
}

impl Augment for TimeShift {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        let lag = self.draw_lag(&mut state.rng);
        Self::shift(beat, lag, self.fill);
    }
}

/// Most knots a [`TimeWarp`] may have.
pub const MAX_WARP_KNOTS: usize = 16;

/// Smooth random time warp, resampled by linear interpolation to the same length.
///
/// The local speed of time is drawn uniformly in `[1 - s, 1 + s]` at `knots` evenly spaced
/// points and joined by raised-cosine segments; integrating it gives a smooth monotone map whose
/// ends are pinned to the beat's first and last samples. The inside of the beat (e.g. the R
/// peak) moves; the length and the end samples stay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeWarp {
    max_stretch: f32,
    knots: usize,
}

impl TimeWarp {
    /// Warp with local speed within `±max_stretch` (0 to 0.9; 0.1 is ±10 %), 4 knots.
    pub fn new(max_stretch: f32) -> Result<Self> {
        if !(max_stretch.is_finite() && (0.0..=0.9).contains(&max_stretch)) {
            let msg = format!("{max_stretch}: must be 0 to 0.9");
            return Err(Error::invalid("max_stretch", msg));
        }
        Ok(Self {
            max_stretch,
            knots: 4,
        })
    }

    /// The checks of [`new`](Self::new) and [`with_knots`](Self::with_knots) on a value that
    /// may have skipped them (deserialised).
    pub fn validate(&self) -> Result<()> {
        Self::new(self.max_stretch)?
            .with_knots(self.knots)
            .map(drop)
    }

    /// Uses `knots` speed knots (2 to [`MAX_WARP_KNOTS`]): more knots, wigglier warps.
    pub fn with_knots(mut self, knots: usize) -> Result<Self> {
        if !(2..=MAX_WARP_KNOTS).contains(&knots) {
            let msg = format!("{knots}: must be 2 to {MAX_WARP_KNOTS}");
            return Err(Error::invalid("knots", msg));
        }
        self.knots = knots;
        Ok(self)
    }
}

impl Augment for TimeWarp {
    fn apply(&self, beat: &mut [f32], state: &mut AugmentState) {
        let mut speed = [1.0f32; MAX_WARP_KNOTS];
        let s = self.max_stretch;
        // Clamped again here: a deserialised value skips `with_knots`'s check.
        let count = self.knots.clamp(2, MAX_WARP_KNOTS);
        for v in &mut speed[..count] {
            *v = uniform(&mut state.rng, 1.0 - s, 1.0 + s);
        }
        let n = beat.len();
        if n < 3 {
            return;
        }
        let last = (n - 1) as f64;
        let knots = &speed[..count];
        // Speed at output position `p` in [0, n - 1], raised-cosine between knots.
        let speed_at = |p: f64| -> f64 {
            let u = p / last * (knots.len() - 1) as f64;
            let j = (u as usize).min(knots.len() - 2);
            let t = (1.0 - (std::f64::consts::PI * (u - j as f64)).cos()) / 2.0;
            f64::from(knots[j]) + f64::from(knots[j + 1] - knots[j]) * t
        };
        // Scratch: the beat's copy, then the n - 1 steps between output samples.
        let AugmentState { scratch, .. } = state;
        scratch.clear();
        scratch.extend_from_slice(beat);
        scratch.extend((0..n - 1).map(|i| speed_at(i as f64 + 0.5) as f32));
        let (source, steps) = scratch.split_at(n);
        let total: f64 = steps.iter().map(|&v| f64::from(v)).sum();
        let scale = last / total;
        let mut pos = 0.0f64;
        for (i, out) in beat.iter_mut().enumerate() {
            // The last position is `last` up to rounding: pin it so the end sample stays.
            let p = if i + 1 == n {
                last
            } else {
                pos.clamp(0.0, last)
            };
            let j = (p as usize).min(n - 2);
            let frac = (p - j as f64) as f32;
            *out = source[j] * (1.0 - frac) + source[j + 1] * frac;
            pos += steps.get(i).map_or(0.0, |&v| f64::from(v)) * scale;
        }
    }
}
