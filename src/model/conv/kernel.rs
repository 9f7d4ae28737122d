//! The convolutions on plain `f32` slices, for one block of samples on the calling thread: 1-d
//! im2col ([`gather`]), its adjoint, an overlap-add ([`scatter`]), layout changes between
//! `[B, C, L]` and channel-major `[C, B * L]`; the GEMM over the block (its samples side by
//! side, so it has `B * L` columns, not `L`) is [`crate::model::gemm`]'s. The caller ([`super::flex`]) cuts the batch
//! into blocks whose im2col matrix stays in the core's cache and runs them on rayon's threads.
//!
//! Conv1d of `x` `[B, Ci, Li]` with `w` `[Co, Ci * K]` is `w x gather(x)` (`[Co, B * Lo]`), its
//! input gradient `scatter(w^T x dy)`; the transposed convolution of `x` `[B, Ci, Li]` with `w`
//! `[Ci, Co * K]` is `scatter(w^T x x)`, its input gradient `w x gather(dy)`. Both pairs share
//! one geometry, [`Frame`]: a long side (the convolution's input, the transposed one's output)
//! and a short side, sample `s` of the short side meeting sample `s * stride + k - pad` of the
//! long side through kernel tap `k`.

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

    /// Samples of one phase of the padded long side: tap `k` of short sample `s` reads
    /// sample `s + k / stride` of phase `k % stride` (see [`gather`]).
    pub fn phase_len(&self) -> usize {
        self.short + (self.kernel - 1) / self.stride
    }

    /// The first sample `q` of phase `r` that lies inside the row, and its long-side index
    /// `q * stride + r - pad`.
    fn first_in_row(&self, r: usize) -> (usize, usize) {
        let q = self.pad.saturating_sub(r).div_ceil(self.stride);
        (q, q * self.stride + r - self.pad)
    }
}

/// Splits one long-side row (`long` samples) into its `stride` phases of the zero-padded row:
/// `phases[r * n + q]` is padded sample `q * stride + r`, i.e. long sample
/// `q * stride + r - pad`, 0 outside the row; `n` is [`Frame::phase_len`].
fn split_phases(row: &[f32], f: &Frame, phases: &mut [f32]) {
    let n = f.phase_len();
    for (r, phase) in phases.chunks_mut(n).enumerate() {
        let (first, j) = f.first_in_row(r);
        phase[..first.min(n)].fill(0.0);
        let mut q = first;
        if first < n && j < f.long {
            for (v, x) in phase[first..]
                .iter_mut()
                .zip(row[j..].iter().step_by(f.stride))
            {
                *v = *x;
                q += 1;
            }
        }
        phase[q.min(n)..].fill(0.0);
    }
}

/// im2col: `long` `[B, C, long]` into `cols` `[C * K, B * short]`, zero where a tap falls on
/// padding. Every value of `cols` is written. Each row of `long` is split into its stride
/// phases first (in `phases`, `stride * phase_len` values), so every tap is one contiguous copy.
pub fn gather(long: &[f32], f: Frame, cols: &mut [f32], phases: &mut [f32]) {
    assert!(long.len() == f.batch * f.channels * f.long && cols.len() == f.rows() * f.columns());
    let n = f.phase_len();
    for (i, row) in long.chunks_exact(f.long.max(1)).enumerate() {
        let (b, c) = (i / f.channels, i % f.channels);
        split_phases(row, &f, phases);
        for k in 0..f.kernel {
            let tap = &phases[(k % f.stride) * n + k / f.stride..][..f.short];
            cols[(c * f.kernel + k) * f.columns() + b * f.short..][..f.short].copy_from_slice(tap);
        }
    }
}

/// Overlap-add, the adjoint of [`gather`]: adds `cols` `[C * K, B * short]` into `long`
/// `[B, C, long]` (which holds a bias, or zeros). Each row is summed in its stride phases
/// (`phases`, `stride * phase_len` values), one contiguous add per tap, then interleaved once.
pub fn scatter(cols: &[f32], f: Frame, long: &mut [f32], phases: &mut [f32]) {
    assert!(long.len() == f.batch * f.channels * f.long && cols.len() == f.rows() * f.columns());
    let n = f.phase_len();
    for (i, out) in long.chunks_exact_mut(f.long.max(1)).enumerate() {
        let (b, c) = (i / f.channels, i % f.channels);
        phases.fill(0.0);
        for k in 0..f.kernel {
            let src = &cols[(c * f.kernel + k) * f.columns() + b * f.short..][..f.short];
            let dst = &mut phases[(k % f.stride) * n + k / f.stride..][..f.short];
            for (o, x) in dst.iter_mut().zip(src) {
                *o += *x;
            }
        }
        for (r, phase) in phases.chunks(n).enumerate() {
            let (first, j) = f.first_in_row(r);
            if first < n && j < f.long {
                for (o, v) in out[j..].iter_mut().step_by(f.stride).zip(&phase[first..]) {
                    *o += *v;
                }
            }
        }
    }
}

/// `[B, C, L]` into channel-major `[C, B * L]`.
pub fn to_channel_major(x: &[f32], [batch, channels, length]: [usize; 3], out: &mut [f32]) {
    assert!(x.len() == batch * channels * length && out.len() == x.len());
    for (i, src) in x.chunks_exact(length.max(1)).enumerate() {
        let (b, c) = (i / channels, i % channels);
        out[(c * batch + b) * length..][..length].copy_from_slice(src);
    }
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
    for (i, dst) in out.chunks_exact_mut(length.max(1)).enumerate() {
        let (b, c) = (i / channels, i % channels);
        let src = &y[(c * batch + b) * length..][..length];
        let shift = bias.map_or(0.0, |bias| bias[c]);
        for (o, v) in dst.iter_mut().zip(src) {
            *o = v + shift;
        }
    }
}

/// `sums[c] += sum over b, l of x[b, c, l]` for `x` `[B, C, L]`.
pub fn add_channel_sums(x: &[f32], [_, channels, length]: [usize; 3], sums: &mut [f32]) {
    assert_eq!(sums.len(), channels);
    for (i, row) in x.chunks_exact(length.max(1)).enumerate() {
        sums[i % channels] += row.iter().sum::<f32>();
    }
}
