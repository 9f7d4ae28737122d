//! The convolutions on plain `f32` slices: 1-d im2col ([`gather`]), its adjoint, an overlap-add
//! ([`scatter`]), layout changes between `[B, C, L]` and channel-major `[C, B * L]`, and one
//! batched GEMM per product (the whole batch is one matrix, so the GEMM has `B * L` columns,
//! not `L`).
//!
//! Conv1d of `x` `[B, Ci, Li]` with `w` `[Co, Ci * K]` is `w x gather(x)` (`[Co, B * Lo]`), its
//! input gradient `scatter(w^T x dy)`; the transposed convolution of `x` `[B, Ci, Li]` with `w`
//! `[Ci, Co * K]` is `scatter(w^T x x)`, its input gradient `w x gather(dy)`. Both pairs share
//! one geometry, [`Frame`]: a long side (the convolution's input, the transposed one's output)
//! and a short side, sample `s` of the short side meeting sample `s * stride + k - pad` of the
//! long side through kernel tap `k`.

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

/// Products with fewer multiply-adds than this run on the calling thread.
const PARALLEL_FLOPS: usize = 1 << 20;

/// The geometry shared by a convolution and its adjoint (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Batch `B`.
    pub batch: usize,
    /// Channels `C` of the long side.
    pub channels: usize,
    /// Kernel taps `K`.
    pub kernel: usize,
    /// Samples of the long side.
    pub long: usize,
    /// Samples of the short side.
    pub short: usize,
    /// Stride on the long side.
    pub stride: usize,
    /// Zero padding before the long side's first sample.
    pub pad: usize,
}

impl Frame {
    /// Columns of the gathered matrix, `B * short`.
    pub fn columns(&self) -> usize {
        self.batch * self.short
    }

    /// Rows of the gathered matrix, `C * K`.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel
    }

    /// The short-side samples `s` whose tap `k` lands inside the long side, and the long-side
    /// sample of the first of them.
    fn taps(&self, k: usize) -> (std::ops::Range<usize>, usize) {
        // s * stride + k - pad in [0, long)  <=>  s in [ceil((pad - k) / stride), ...).
        let first = self.pad.saturating_sub(k).div_ceil(self.stride);
        let end = if self.long + self.pad > k {
            (self.long + self.pad - k).div_ceil(self.stride)
        } else {
            0
        };
        let range = first..end.min(self.short).max(first);
        if range.is_empty() {
            return (0..0, 0);
        }
        (range.clone(), range.start * self.stride + k - self.pad)
    }
}

/// im2col: `long` `[B, C, long]` into `cols` `[C * K, B * short]`, zero where a tap falls on
/// padding. Every value of `cols` is written.
pub fn gather(long: &[f32], frame: Frame, cols: &mut [f32]) {
    let f = frame;
    assert!(long.len() == f.batch * f.channels * f.long && cols.len() == f.rows() * f.columns());
    if cols.is_empty() {
        return;
    }
    cols.par_chunks_mut(f.columns())
        .enumerate()
        .for_each(|(row, out)| {
            let (c, k) = (row / f.kernel, row % f.kernel);
            let (valid, start) = f.taps(k);
            for (b, out) in out.chunks_mut(f.short).enumerate() {
                let src = &long[(b * f.channels + c) * f.long..][..f.long];
                out[..valid.start].fill(0.0);
                out[valid.end..].fill(0.0);
                let out = &mut out[valid.clone()];
                if f.stride == 1 {
                    out.copy_from_slice(&src[start..start + out.len()]);
                } else {
                    for (o, x) in out.iter_mut().zip(src[start..].iter().step_by(f.stride)) {
                        *o = *x;
                    }
                }
            }
        });
}

/// Overlap-add, the adjoint of [`gather`]: adds `cols` `[C * K, B * short]` into `long`
/// `[B, C, long]` (which holds a bias, or zeros).
pub fn scatter(cols: &[f32], frame: Frame, long: &mut [f32]) {
    let f = frame;
    assert!(long.len() == f.batch * f.channels * f.long && cols.len() == f.rows() * f.columns());
    if long.is_empty() {
        return;
    }
    long.par_chunks_mut(f.long)
        .enumerate()
        .for_each(|(i, out)| {
            let (b, c) = (i / f.channels, i % f.channels);
            for k in 0..f.kernel {
                let (valid, start) = f.taps(k);
                let src = &cols[(c * f.kernel + k) * f.columns() + b * f.short..][..f.short];
                let src = &src[valid];
                if f.stride == 1 {
                    for (o, x) in out[start..start + src.len()].iter_mut().zip(src) {
                        *o += *x;
                    }
                } else {
                    for (o, x) in out[start..].iter_mut().step_by(f.stride).zip(src) {
                        *o += *x;
                    }
                }
            }
        });
}

/// `[B, C, L]` into channel-major `[C, B * L]`.
pub fn to_channel_major(x: &[f32], [batch, channels, length]: [usize; 3], out: &mut [f32]) {
    assert!(x.len() == batch * channels * length && out.len() == x.len());
    if out.is_empty() {
        return;
    }
    out.par_chunks_mut(batch * length)
        .enumerate()
        .for_each(|(c, row)| {
            for (b, dst) in row.chunks_mut(length).enumerate() {
                dst.copy_from_slice(&x[(b * channels + c) * length..][..length]);
            }
        });
}

/// Channel-major `[C, B * L]` back into `[B, C, L]`, plus `bias[c]` when given.
pub fn from_channel_major(
    y: &[f32],
    [batch, channels, length]: [usize; 3],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    assert!(y.len() == batch * channels * length && out.len() == y.len());
    assert!(bias.is_none_or(|b| b.len() == channels));
    if out.is_empty() {
        return;
    }
    out.par_chunks_mut(length).enumerate().for_each(|(i, dst)| {
        let (b, c) = (i / channels, i % channels);
        let src = &y[(c * batch + b) * length..][..length];
        let shift = bias.map_or(0.0, |bias| bias[c]);
        for (o, v) in dst.iter_mut().zip(src) {
            *o = v + shift;
        }
    });
}

/// `out[c] = sum over b, l of x[b, c, l]` for `x` `[B, C, L]`.
pub fn channel_sums(x: &[f32], [batch, channels, length]: [usize; 3]) -> Vec<f32> {
    assert_eq!(x.len(), batch * channels * length);
    let mut sums = vec![0.0f32; channels];
    for (i, row) in x.chunks(length.max(1)).enumerate() {
        if length > 0 {
            sums[i % channels] += row.iter().sum::<f32>();
        }
    }
    sums
}

/// A matrix operand: values, and how far apart consecutive rows and columns are.
#[derive(Clone, Copy)]
pub struct Matrix<'a> {
    values: &'a [f32],
    row: usize,
    column: usize,
}

impl<'a> Matrix<'a> {
    /// `values` as a row-major matrix of rows `row` values long.
    pub fn rows(values: &'a [f32], row: usize) -> Self {
        Matrix {
            values,
            row,
            column: 1,
        }
    }

    /// The transpose of the row-major matrix `values` whose rows are `row` values long.
    pub fn transposed(values: &'a [f32], row: usize) -> Self {
        Matrix {
            values,
            row: 1,
            column: row,
        }
    }

    fn holds(&self, [rows, columns]: [usize; 2]) -> bool {
        rows == 0
            || columns == 0
            || (rows - 1)
                .checked_mul(self.row)
                .zip((columns - 1).checked_mul(self.column))
                .and_then(|(a, b)| a.checked_add(b))
                .is_some_and(|last| last < self.values.len())
    }
}

/// `dst = lhs x rhs` for sizes `[m, n, k]`, `dst` row-major `m x n`; rayon's threads share
/// large products.
///
/// # Panics
/// When an operand does not hold its `m x k` or `k x n` values at its strides, or `dst` is not
/// `m * n` long: a broken internal invariant, caught before the unsafe product.
pub fn matmul([m, n, k]: [usize; 3], dst: &mut [f32], lhs: Matrix<'_>, rhs: Matrix<'_>) {
    let fits = |s: usize| isize::try_from(s).is_ok();
    assert!(
        dst.len() == m * n
            && lhs.holds([m, k])
            && rhs.holds([k, n])
            && [lhs.row, lhs.column, rhs.row, rhs.column, n]
                .into_iter()
                .all(fits),
        "convolution: a {m}x{k} by {k}x{n} product does not fit its buffers"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst.fill(0.0);
        return;
    }
    let parallelism = if m * n * k >= PARALLEL_FLOPS {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    };
    let s = |v: usize| v as isize;
    // SAFETY: the assert above proves that every element gemm reads (lhs m x k, rhs k x n)
    // through these strides lies inside its slice, that dst holds m x n values row-major, and
    // that every stride fits isize; dst is a unique borrow, so it overlaps neither operand.
    // With read_dst false gemm writes dst = lhs rhs without reading it, and keeps no pointer
    // past the call.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            s(n),
            false,
            lhs.values.as_ptr(),
            s(lhs.column),
            s(lhs.row),
            rhs.values.as_ptr(),
            s(rhs.column),
            s(rhs.row),
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}
