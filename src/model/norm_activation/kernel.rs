//! Batch normalisation, LeakyReLU and dropout on plain `f32` slices of layout
//! `[batch, channels, length]`, forward and backward.
//!
//! Per-channel reductions run channels in parallel on rayon's threads; element-wise passes run
//! rows (one `length`-long row per `(batch, channel)`) in parallel. Dropout masks come from
//! [`super::mask`].

use rayon::prelude::*;

use super::mask::dropout_row;
use crate::model::simd::dispatch;
use crate::model::workspace::Buffer;

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
#[inline(always)]
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

/// `sum f(a[i], b[i], c[i])` in eight `f32` lanes, returned as `f64`: the reference order of
/// [`train_sums_body`]'s second sum.
#[cfg(test)]
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

#[inline(always)]
fn sum_body(row: &[f32]) -> f64 {
    lane_sum(row, row, |v, _| v)
}

#[inline(always)]
fn squares_body(row: &[f32], mean: f32) -> f64 {
    lane_sum(row, row, |v, _| (v - mean) * (v - mean))
}

#[inline(always)]
fn train_row_body(out: &mut [f32], gain: &mut [f32], x: &[f32], a: f32, b: f32, slope: f32) {
    for ((o, g), v) in out.iter_mut().zip(gain.iter_mut()).zip(x) {
        let z = v * a + b;
        *g *= leaky_gain(z, slope);
        *o = z * *g;
    }
}

#[inline(always)]
fn affine_row_body(out: &mut [f32], x: &[f32], a: f32, b: f32, slope: f32) {
    for (o, v) in out.iter_mut().zip(x) {
        let z = v * a + b;
        *o = z * leaky_gain(z, slope);
    }
}

#[inline(always)]
fn affine_in_place_body(values: &mut [f32], a: f32, b: f32, slope: f32) {
    for v in values.iter_mut() {
        let z = *v * a + b;
        *v = z * leaky_gain(z, slope);
    }
}

/// `(sum g d, sum (x - mean) g d)` in one pass over the three rows: each sum in its own eight
/// lanes, in the order [`lane_sum`] and [`lane_sum3`] give it (same bits as two passes).
#[inline(always)]
fn train_sums_body(x: &[f32], gain: &[f32], d_out: &[f32], mean: f32) -> (f64, f64) {
    let (mut dz, mut dz_x) = ([0.0f32; 8], [0.0f32; 8]);
    let (x8, g8, d8) = (
        x.chunks_exact(8),
        gain.chunks_exact(8),
        d_out.chunks_exact(8),
    );
    let (x_rest, g_rest, d_rest) = (x8.remainder(), g8.remainder(), d8.remainder());
    for ((x, g), d) in x8.zip(g8).zip(d8) {
        for i in 0..8 {
            dz[i] += g[i] * d[i];
            dz_x[i] += (x[i] - mean) * g[i] * d[i];
        }
    }
    let tail_dz: f32 = g_rest.iter().zip(d_rest).map(|(g, d)| g * d).sum();
    let tail_dz_x: f32 = (x_rest.iter().zip(g_rest).zip(d_rest))
        .map(|((x, g), d)| (x - mean) * g * d)
        .sum();
    let total = |lanes: [f32; 8], tail: f32| {
        lanes.iter().map(|v| f64::from(*v)).sum::<f64>() + f64::from(tail)
    };
    (total(dz, tail_dz), total(dz_x, tail_dz_x))
}

/// `k * (g d - mean_dz - x_hat mean_dz_xhat)` with `x_hat = (x - mean) inv_std`.
#[inline(always)]
fn train_dx_body(
    dx: &mut [f32],
    x: &[f32],
    gain: &[f32],
    d_out: &[f32],
    [mean, inv_std, k]: [f32; 3],
    [mean_dz, mean_dz_xhat]: [f32; 2],
) {
    for (dx, ((x, g), d)) in dx.iter_mut().zip(x.iter().zip(gain).zip(d_out)) {
        let x_hat = (x - mean) * inv_std;
        *dx = k * (g * d - mean_dz - x_hat * mean_dz_xhat);
    }
}

#[inline(always)]
fn affine_dz_body(dz: &mut [f32], x: &[f32], d_out: &[f32], a: f32, b: f32, slope: f32) {
    for (dz, (x, d)) in dz.iter_mut().zip(x.iter().zip(d_out)) {
        let z = x * a + b;
        *dz = d * leaky_gain(z, slope);
    }
}

#[inline(always)]
fn affine_sums_body(dz: &[f32], x: &[f32]) -> (f64, f64) {
    (lane_sum(dz, dz, |d, _| d), lane_sum(dz, x, |d, x| d * x))
}

#[inline(always)]
fn scale_body(values: &mut [f32], s: f32) {
    values.iter_mut().for_each(|v| *v *= s);
}

dispatch!(
    /// Sum of a row.
    row_sum, sum_body, row_sum_avx2, row_sum_avx512, (row: &[f32]) -> f64
);
dispatch!(
    /// Sum of a row's squared distances from `mean`.
    row_squares, squares_body, row_squares_avx2, row_squares_avx512,
    (row: &[f32], mean: f32) -> f64
);
dispatch!(
    /// One row of [`forward_train`] after its dropout gains are drawn.
    train_row, train_row_body, train_row_avx2, train_row_avx512,
    (out: &mut [f32], gain: &mut [f32], x: &[f32], a: f32, b: f32, slope: f32)
);
dispatch!(
    /// One row of [`forward_affine`].
    affine_row, affine_row_body, affine_row_avx2, affine_row_avx512,
    (out: &mut [f32], x: &[f32], a: f32, b: f32, slope: f32)
);
dispatch!(
    /// One row of [`affine_in_place`].
    affine_in_place_row, affine_in_place_body, affine_in_place_avx2, affine_in_place_avx512,
    (values: &mut [f32], a: f32, b: f32, slope: f32)
);
dispatch!(
    /// One row's `(sum d z, sum d z (x - mean))` for [`backward_train`].
    train_sums, train_sums_body, train_sums_avx2, train_sums_avx512,
    (x: &[f32], gain: &[f32], d_out: &[f32], mean: f32) -> (f64, f64)
);
dispatch!(
    /// One row of [`backward_train`]'s input gradient.
    train_dx_row, train_dx_body, train_dx_avx2, train_dx_avx512,
    (dx: &mut [f32], x: &[f32], gain: &[f32], d_out: &[f32], channel: [f32; 3], means: [f32; 2])
);
dispatch!(
    /// One row of [`backward_affine`]'s `d z`.
    affine_dz_row, affine_dz_body, affine_dz_avx2, affine_dz_avx512,
    (dz: &mut [f32], x: &[f32], d_out: &[f32], a: f32, b: f32, slope: f32)
);
dispatch!(
    /// One row's `(sum d z, sum d z x)` for [`backward_affine`].
    affine_sums, affine_sums_body, affine_sums_avx2, affine_sums_avx512,
    (dz: &[f32], x: &[f32]) -> (f64, f64)
);
dispatch!(
    /// A row multiplied by `s`.
    scale_row, scale_body, scale_row_avx2, scale_row_avx512, (values: &mut [f32], s: f32)
);

/// Per-channel mean and biased variance of `x`, each `[C]` (two passes, `f64` across rows).
pub fn channel_stats(x: &[f32], dims: Dims) -> (Vec<f32>, Vec<f32>) {
    let n = dims.per_channel() as f64;
    let stats: Vec<(f32, f32)> = (0..dims.channels)
        .into_par_iter()
        .map(|c| {
            let sum: f64 = dims.channel_rows(x, c).map(row_sum).sum();
            let mean = (sum / n) as f32;
            let squares: f64 = dims.channel_rows(x, c).map(|r| row_squares(r, mean)).sum();
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
            dropout_row(gain, activation.dropout, activation.seed, row);
            let input = &x[row * length..][..length];
            train_row(out, gain, input, a, b, activation.slope);
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
            affine_row(out, &x[row * length..][..length], scale[c], shift[c], slope);
        });
}

/// [`forward_affine`] in place: `data = leaky(data * scale + shift)` per channel.
pub fn affine_in_place(data: &mut [f32], dims: Dims, scale: &[f32], shift: &[f32], slope: f32) {
    data.par_chunks_mut(dims.length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, values)| {
            let c = row % dims.channels;
            affine_in_place_row(values, scale[c], shift[c], slope);
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
) -> (Buffer, Vec<f32>, Vec<f32>) {
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
                let (row_dz, row_dz_x) = train_sums(x, g, d, m);
                dz += row_dz;
                dz_x += row_dz_x;
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
    let mut d_x = Buffer::take(x.len()); // every row written whole below
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
            let (x, g, d) = (
                &x[at..][..length],
                &gain[at..][..length],
                &d_out[at..][..length],
            );
            train_dx_row(dx, x, g, d, [m, s, k], [mean_dz, mean_dz_xhat]);
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
) -> (Buffer, Vec<f32>, Vec<f32>) {
    let length = dims.length;
    let mut d_z = Buffer::take(x.len()); // every row written whole below
    d_z.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, dz)| {
            let c = row % dims.channels;
            let at = row * length;
            let (x, d) = (&x[at..][..length], &d_out[at..][..length]);
            affine_dz_row(dz, x, d, scale[c], shift[c], slope);
        });
    let sums: Vec<(f32, f32)> = (0..dims.channels)
        .into_par_iter()
        .map(|c| {
            let rows = dims.channel_rows(&d_z, c).zip(dims.channel_rows(x, c));
            let (mut d_shift, mut d_scale) = (0.0f64, 0.0f64);
            for (dz, x) in rows {
                let (row_shift, row_scale) = affine_sums(dz, x);
                d_shift += row_shift;
                d_scale += row_scale;
            }
            (d_scale as f32, d_shift as f32)
        })
        .collect();
    d_z.par_chunks_mut(length)
        .enumerate()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|(row, dz)| {
            scale_row(dz, scale[row % dims.channels]);
        });
    let (d_scale, d_shift) = sums.into_iter().unzip();
    (d_z, d_scale, d_shift)
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Values of both signs, a length that is not a multiple of any vector width.
    fn row(n: usize, phase: usize) -> Vec<f32> {
        (0..n)
            .map(|k| (((k * 37 + phase) % 101) as f32 - 50.0) * 0.031)
            .collect()
    }

    #[test]
    fn one_pass_train_sums_give_the_two_pass_bits() {
        for n in [1, 7, 8, 16, 19, 128, 157] {
            let (x, g, d) = (row(n, 1), row(n, 2), row(n, 3));
            let two = (
                lane_sum(&g, &d, |g, d| g * d),
                lane_sum3(&x, &g, &d, |x, g, d| (x - 0.1) * g * d),
            );
            let one = train_sums_body(&x, &g, &d, 0.1);
            let bits = |(a, b): (f64, f64)| (a.to_bits(), b.to_bits());
            assert_eq!(bits(one), bits(two), "row of {n}");
            assert!(one.0 != 0.0 && one.1 != 0.0, "row of {n}: {one:?}");
        }
    }

    /// Runs `f` plain, through the dispatcher, and in each variant the CPU has.
    fn each_variant<T: PartialEq + std::fmt::Debug>(
        plain: impl Fn() -> T,
        variants: [&dyn Fn() -> T; 3],
        features: [bool; 3],
    ) {
        let expected = plain();
        for (variant, available) in variants.iter().zip(features) {
            if available {
                assert_eq!(variant(), expected);
            }
        }
    }

    #[test]
    fn every_instruction_set_gives_the_plain_kernels_bits() {
        let avx2 = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        let avx512 = std::arch::is_x86_feature_detected!("avx512f");
        let features = [true, avx2, avx512];
        let (x, g, d) = (row(157, 0), row(157, 11), row(157, 29));
        // `each_variant` calls a variant only where `features` says the CPU has its instruction
        // set (the SAFETY comments below).
        each_variant(
            || (sum_body(&x), squares_body(&x, 0.3)),
            [
                &|| (row_sum(&x), row_squares(&x, 0.3)),
                // SAFETY: run only where `features[1]` says the CPU has AVX2 and FMA.
                &|| unsafe { (row_sum_avx2(&x), row_squares_avx2(&x, 0.3)) },
                // SAFETY: run only where `features[2]` says the CPU has AVX-512F.
                &|| unsafe { (row_sum_avx512(&x), row_squares_avx512(&x, 0.3)) },
            ],
            features,
        );
        let train = |f: &dyn Fn(&mut [f32], &mut [f32])| {
            let (mut out, mut gain) = (vec![0.0; 157], g.clone());
            f(&mut out, &mut gain);
            (out, gain)
        };
        each_variant(
            || train(&|o, gn| train_row_body(o, gn, &x, 1.3, -0.2, 0.2)),
            [
                &|| train(&|o, gn| train_row(o, gn, &x, 1.3, -0.2, 0.2)),
                // SAFETY: run only where `features[1]` says the CPU has AVX2 and FMA.
                &|| train(&|o, gn| unsafe { train_row_avx2(o, gn, &x, 1.3, -0.2, 0.2) }),
                // SAFETY: run only where `features[2]` says the CPU has AVX-512F.
                &|| train(&|o, gn| unsafe { train_row_avx512(o, gn, &x, 1.3, -0.2, 0.2) }),
            ],
            features,
        );
        let dx = |f: &dyn Fn(&mut [f32])| {
            let mut out = vec![0.0; 157];
            f(&mut out);
            out
        };
        let (channel, means) = ([0.1, 1.7, 0.9], [0.05, -0.02]);
        each_variant(
            || dx(&|o| train_dx_body(o, &x, &g, &d, channel, means)),
            [
                &|| dx(&|o| train_dx_row(o, &x, &g, &d, channel, means)),
                // SAFETY: run only where `features[1]` says the CPU has AVX2 and FMA.
                &|| dx(&|o| unsafe { train_dx_avx2(o, &x, &g, &d, channel, means) }),
                // SAFETY: run only where `features[2]` says the CPU has AVX-512F.
                &|| dx(&|o| unsafe { train_dx_avx512(o, &x, &g, &d, channel, means) }),
            ],
            features,
        );
        each_variant(
            || train_sums_body(&x, &g, &d, 0.1),
            [
                &|| train_sums(&x, &g, &d, 0.1),
                // SAFETY: run only where `features[1]` says the CPU has AVX2 and FMA.
                &|| unsafe { train_sums_avx2(&x, &g, &d, 0.1) },
                // SAFETY: run only where `features[2]` says the CPU has AVX-512F.
                &|| unsafe { train_sums_avx512(&x, &g, &d, 0.1) },
            ],
            features,
        );
        each_variant(
            || dx(&|o| affine_dz_body(o, &x, &d, 0.8, 0.1, 0.2)),
            [
                &|| dx(&|o| affine_dz_row(o, &x, &d, 0.8, 0.1, 0.2)),
                // SAFETY: run only where `features[1]` says the CPU has AVX2 and FMA.
                &|| dx(&|o| unsafe { affine_dz_avx2(o, &x, &d, 0.8, 0.1, 0.2) }),
                // SAFETY: run only where `features[2]` says the CPU has AVX-512F.
                &|| dx(&|o| unsafe { affine_dz_avx512(o, &x, &d, 0.8, 0.1, 0.2) }),
            ],
            features,
        );
    }
}
