//! Batch normalisation, LeakyReLU and dropout on plain `f32` slices of layout
//! `[batch, channels, length]`, forward and backward.
//!
//! Per-channel reductions run channels in parallel on rayon's threads; element-wise passes run
//! rows (one `length`-long row per `(batch, channel)`) in parallel. Dropout masks come from
//! [`super::mask`].

use rayon::prelude::*;

use super::mask::dropout_row;

/// Fewest rows worth a rayon task of their own in element-wise passes.
const MIN_ROWS_PER_TASK: usize = 16;

/// Sizes of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Batch rows `B`.
    pub batch: usize,
    /// Channels `C`.
    pub channels: usize,
    /// Length `L`.
    pub length: usize,
}

impl Dims {
    /// Values per channel, `B * L`.
    fn per_channel(&self) -> usize {
        self.batch * self.length
    }

    /// The `length`-long rows of channel `c`, over the batch.
    fn channel_rows<'a>(&self, data: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> {
        let (channels, length) = (self.channels, self.length);
        (0..self.batch).map(move |b| &data[(b * channels + c) * length..][..length])
    }
}

/// LeakyReLU slope and dropout of the training pass.
#[derive(Debug, Clone, Copy)]
pub struct Activation {
    /// Negative slope of the LeakyReLU.
    pub slope: f32,
    /// Probability that a value is dropped, in `[0, 1)`.
    pub dropout: f64,
    /// Seed of the dropout mask.
    pub seed: u64,
}

/// The LeakyReLU's derivative at `z`: 1 above zero, `slope` otherwise. A bit select rather
/// than a branch, so loops over it vectorise (signs are random: a branch mispredicts half the
/// time).
#[inline(always)]
fn leaky_gain(z: f32, slope: f32) -> f32 {
    let positive = u32::from(z > 0.0).wrapping_neg();
    f32::from_bits((1.0f32.to_bits() & positive) | (slope.to_bits() & !positive))
}

/// `sum f(a[i], b[i])` in eight `f32` lanes (vectorises), returned as `f64`.
fn lane_sum(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_rest, b_rest) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += f(x[i], y[i]);
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| f(*x, *y)).sum();
    lanes.iter().map(|v| f64::from(*v)).sum::<f64>() + f64::from(tail)
}

/// `sum f(a[i], b[i], c[i])` in eight `f32` lanes, returned as `f64`.
fn lane_sum3(a: &[f32], b: &[f32], c: &[f32], f: impl Fn(f32, f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8, c8) = (a.chunks_exact(8), b.chunks_exact(8), c.chunks_exact(8));
    let rest = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .zip(c8.remainder());
    let tail: f32 = rest.map(|((x, y), z)| f(*x, *y, *z)).sum();
    for ((x, y), z) in a8.zip(b8).zip(c8) {
        for i in 0..8 {
            lanes[i] += f(x[i], y[i], z[i]);
        }
    }
    lanes.iter().map(|v| f64::from(*v)).sum::<f64>() + f64::from(tail)
}

/// Per-channel mean and biased variance of `x`, each `[C]` (two passes, `f64` across rows).
pub fn channel_stats(x: &[f32], dims: Dims) -> (Vec<f32>, Vec<f32>) {
    let n = dims.per_channel() as f64;
    let stats: Vec<(f32, f32)> = (0..dims.channels)
        .into_par_iter()
        .map(|c| {
            let sum: f64 = dims
                .channel_rows(x, c)
                .map(|r| lane_sum(r, r, |v, _| v))
                .sum();
            let mean = (sum / n) as f32;
            let squares: f64 = dims
                .channel_rows(x, c)
                .map(|r| lane_sum(r, r, |v, _| (v - mean) * (v - mean)))
                .sum();
            (mean, (squares / n) as f32)
        })
        .collect();
    stats.into_iter().unzip()
}

/// `1 / sqrt(var + epsilon)` per channel.
pub fn inverse_std(var: &[f32], epsilon: f64) -> Vec<f32> {
    var.iter()
        .map(|v| (1.0 / (f64::from(*v) + epsilon).sqrt()) as f32)
        .collect()
}

/// Training forward: `out = dropout(leaky(gamma * (x - mean) * inv_std + beta))`; `gain`
/// receives `d out / d z` (LeakyReLU slope times dropout scale) for backward. Rows are
/// `(b, c)` pairs in order.
#[allow(clippy::too_many_arguments)]
pub fn forward_train(
    x: &[f32],
    dims: Dims,
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    inv_std: &[f32],
    activation: Activation,
    out: &mut [f32],
    gain: &mut [f32],
) {
    let length = dims.length;
    out.par_chunks_mut(length)
        .zip(gain.par_chunks_mut(length))
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, (out, gain))| {
            let c = row % dims.channels;
            let a = gamma[c] * inv_std[c];
            let b = beta[c] - mean[c] * a;
            dropout_row(gain, activation, row);
            let input = &x[row * length..][..length];
            for ((o, g), v) in out.iter_mut().zip(gain.iter_mut()).zip(input) {
                let z = v * a + b;
                *g *= leaky_gain(z, activation.slope);
                *o = z * *g;
            }
        });
}

/// Inference forward: `out = leaky(x * scale + shift)` per channel.
pub fn forward_affine(
    x: &[f32],
    dims: Dims,
    scale: &[f32],
    shift: &[f32],
    slope: f32,
    out: &mut [f32],
) {
    let length = dims.length;
    out.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, out)| {
            let c = row % dims.channels;
            let (a, b) = (scale[c], shift[c]);
            for (o, v) in out.iter_mut().zip(&x[row * length..][..length]) {
                let z = v * a + b;
                *o = z * leaky_gain(z, slope);
            }
        });
}

/// [`forward_affine`] in place: `data = leaky(data * scale + shift)` per channel.
pub fn affine_in_place(data: &mut [f32], dims: Dims, scale: &[f32], shift: &[f32], slope: f32) {
    data.par_chunks_mut(dims.length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, values)| {
            let c = row % dims.channels;
            let (a, b) = (scale[c], shift[c]);
            for v in values.iter_mut() {
                let z = *v * a + b;
                *v = z * leaky_gain(z, slope);
            }
        });
}

/// Gradients of [`forward_train`]: `(d x, d gamma, d beta)` from `d_out`, through the saved
/// `gain`; the standard batch-norm backward, with batch statistics.
#[allow(clippy::too_many_arguments)]
pub fn backward_train(
    x: &[f32],
    dims: Dims,
    gamma: &[f32],
    mean: &[f32],
    inv_std: &[f32],
    gain: &[f32],
    d_out: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let length = dims.length;
    // Per channel: sum of d z and of d z * x; d gamma = inv_std * (sum dz x - mean sum dz).
    let sums: Vec<(f64, f64)> = (0..dims.channels)
        .into_par_iter()
        .map(|c| {
            let rows = dims
                .channel_rows(x, c)
                .zip(dims.channel_rows(gain, c))
                .zip(dims.channel_rows(d_out, c));
            let (mut dz, mut dz_x) = (0.0, 0.0);
            let m = mean[c];
            for ((x, g), d) in rows {
                dz += lane_sum(g, d, |g, d| g * d);
                dz_x += lane_sum3(x, g, d, |x, g, d| (x - m) * g * d);
            }
            (dz, dz_x)
        })
        .collect();
    let n = dims.per_channel() as f64;
    let d_beta: Vec<f32> = sums.iter().map(|s| s.0 as f32).collect();
    let d_gamma: Vec<f32> = sums
        .iter()
        .zip(inv_std)
        .map(|(s, i)| (s.1 * f64::from(*i)) as f32)
        .collect();
    let mut d_x = vec![0.0f32; x.len()];
    d_x.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, dx)| {
            let c = row % dims.channels;
            let (m, s) = (mean[c], inv_std[c]);
            let k = gamma[c] * s;
            let mean_dz = (f64::from(d_beta[c]) / n) as f32;
            let mean_dz_xhat = (f64::from(d_gamma[c]) / n) as f32;
            let at = row * length;
            let inputs = x[at..][..length]
                .iter()
                .zip(&gain[at..][..length])
                .zip(&d_out[at..][..length]);
            for (dx, ((x, g), d)) in dx.iter_mut().zip(inputs) {
                let x_hat = (x - m) * s;
                *dx = k * (g * d - mean_dz - x_hat * mean_dz_xhat);
            }
        });
    (d_x, d_gamma, d_beta)
}

/// Gradients of [`forward_affine`]: `(d x, d scale, d shift)` from `d_out`.
pub fn backward_affine(
    x: &[f32],
    dims: Dims,
    scale: &[f32],
    shift: &[f32],
    slope: f32,
    d_out: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let length = dims.length;
    let mut d_z = vec![0.0f32; x.len()];
    d_z.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, dz)| {
            let c = row % dims.channels;
            let at = row * length;
            let (a, b) = (scale[c], shift[c]);
            let inputs = x[at..][..length].iter().zip(&d_out[at..][..length]);
            for (dz, (x, d)) in dz.iter_mut().zip(inputs) {
                let z = x * a + b;
                *dz = d * leaky_gain(z, slope);
            }
        });
    let sums: Vec<(f32, f32)> = (0..dims.channels)
        .into_par_iter()
        .map(|c| {
            let rows = dims.channel_rows(&d_z, c).zip(dims.channel_rows(x, c));
            let (mut d_shift, mut d_scale) = (0.0f64, 0.0f64);
            for (dz, x) in rows {
                d_shift += lane_sum(dz, dz, |d, _| d);
                d_scale += lane_sum(dz, x, |d, x| d * x);
            }
            (d_scale as f32, d_shift as f32)
        })
        .collect();
    d_z.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, dz)| {
            let s = scale[row % dims.channels];
            dz.iter_mut().for_each(|d| *d *= s);
        });
    let (d_scale, d_shift) = sums.into_iter().unzip();
    (d_z, d_scale, d_shift)
}
