//! The LSTM recurrence over a whole sequence on plain `f32` slices, forward and
//! backpropagation through time: one GEMM per step for the recurrent product and one
//! vectorised pass per row for the gates ([`super::math`]).
//!
//! The batch is cut into row blocks that run on rayon's threads (two blocks on two cores),
//! each with its own scratch, under [`FlushDenormals`]; nothing is allocated per step.
//!
//! Layouts, all row-major: the pre-activations of row `b` at step `t` are `gx[b, t] + gs[t]`,
//! where `gx` is `[B, T, 4H]` or `[B, 1, 4H]` (the same at every step) and `gs` `[T, 4H]` or
//! `[1, 4H]` (the same for every row), gates ordered `i, f, g, o`; so a bias or a decoder's
//! constant input needs no `[B, T, 4H]` copy. `whh` is `[H, 4H]`, `h0` and `c0` `[B, H]`, the output `[B, T + 1, H]` (rows `0..T` are the
//! hidden states, row `T` the final cell state), saved gate activations `[B, T, 4H]` and saved
//! cell states `[B, T, H]`.

use std::ops::Range;

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use super::math::{self, FlushDenormals};

/// Fewest batch rows worth a thread of their own.
const MIN_ROWS_PER_THREAD: usize = 8;

/// Sizes of one recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Rows `B`.
    pub batch: usize,
    /// Steps `T`.
    pub seq: usize,
    /// Hidden size `H`.
    pub hidden: usize,
}

impl Dims {
    fn gates(&self) -> usize {
        4 * self.hidden
    }
}

/// The forward pass's read-only inputs.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// `[B, T, 4H]`, or `[B, 1, 4H]` when [`gx_steps`](Self::gx_steps) is 1.
    pub gx: &'a [f32],
    /// Steps held by `gx`: `T` or 1.
    pub gx_steps: usize,
    /// `[T, 4H]`, or `[1, 4H]` when [`gs_steps`](Self::gs_steps) is 1.
    pub gs: &'a [f32],
    /// Steps held by `gs`: `T` or 1.
    pub gs_steps: usize,
    /// `[H, 4H]`.
    pub whh: &'a [f32],
    /// `[B, H]`.
    pub h0: &'a [f32],
    /// `[B, H]`.
    pub c0: &'a [f32],
}

/// What training keeps for the backward pass.
pub struct Saved<'a> {
    /// Gate activations `[B, T, 4H]`.
    pub gates: &'a mut [f32],
    /// Cell states `[B, T, H]`.
    pub cells: &'a mut [f32],
}

/// The rows each thread takes.
fn row_blocks(batch: usize) -> Vec<Range<usize>> {
    let threads = rayon::current_num_threads()
        .min(batch.div_ceil(MIN_ROWS_PER_THREAD))
        .max(1);
    let per = batch.div_ceil(threads).max(1);
    (0..batch)
        .step_by(per)
        .map(|start| start..(start + per).min(batch))
        .collect()
}

/// Splits `data` (rows of `row_len` values) along `blocks`.
fn split_rows<'a>(
    mut data: &'a mut [f32],
    blocks: &[Range<usize>],
    row_len: usize,
) -> Vec<&'a mut [f32]> {
    blocks
        .iter()
        .map(|rows| {
            let (head, tail) = std::mem::take(&mut data).split_at_mut(rows.len() * row_len);
            data = tail;
            head
        })
        .collect()
}

/// Runs the recurrence; writes `out` `[B, T + 1, H]` and, when given, what backward needs.
pub fn forward(dims: Dims, inputs: Inputs<'_>, out: &mut [f32], saved: Option<Saved<'_>>) {
    let Dims { seq, hidden: h, .. } = dims;
    let blocks = row_blocks(dims.batch);
    let outs = split_rows(out, &blocks, (seq + 1) * h);
    let saved: Vec<Option<Saved<'_>>> = match saved {
        Some(Saved { gates, cells }) => split_rows(gates, &blocks, seq * dims.gates())
            .into_iter()
            .zip(split_rows(cells, &blocks, seq * h))
            .map(|(gates, cells)| Some(Saved { gates, cells }))
            .collect(),
        None => blocks.iter().map(|_| None).collect(),
    };
    blocks
        .into_par_iter()
        .zip(outs)
        .zip(saved)
        .for_each(|((rows, out), saved)| forward_rows(dims, rows, inputs, out, saved));
}

fn forward_rows(
    dims: Dims,
    rows: Range<usize>,
    inputs: Inputs<'_>,
    out: &mut [f32],
    mut saved: Option<Saved<'_>>,
) {
    let _flush = FlushDenormals::new();
    let Dims { seq, hidden: h, .. } = dims;
    let (n, g4) = (rows.len(), dims.gates());
    let out_row = (seq + 1) * h;
    let mut gates = vec![0.0f32; n * g4];
    let mut cell = inputs.c0[rows.start * h..rows.end * h].to_vec();
    for t in 0..seq {
        let shared = &inputs.gs[t.min(inputs.gs_steps - 1) * g4..][..g4];
        for (r, row) in gates.chunks_exact_mut(g4).enumerate() {
            let own = (rows.start + r) * inputs.gx_steps + t.min(inputs.gx_steps - 1);
            let own = &inputs.gx[own * g4..][..g4];
            for ((pre, a), b) in row.iter_mut().zip(own).zip(shared) {
                *pre = a + b;
            }
        }
        let (previous, previous_rs) = if t == 0 {
            (inputs.h0[rows.start * h..].as_ptr(), h)
        } else {
            (out[(t - 1) * h..].as_ptr(), out_row)
        };
        // SAFETY: `gates` is [n, 4H] (row stride 4H); `previous` points at n rows of H values
        // (h0's rows, or hidden states t - 1 in `out`, row stride (T + 1) H); `whh` is [H, 4H].
        // `out` is not written while gemm runs.
        unsafe {
            gemm(
                n,
                g4,
                h,
                gates.as_mut_ptr(),
                1,
                g4 as isize,
                true,
                previous,
                1,
                previous_rs as isize,
                inputs.whh.as_ptr(),
                1,
                g4 as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
        for (r, row) in gates.chunks_exact_mut(g4).enumerate() {
            let cell = &mut cell[r * h..(r + 1) * h];
            math::step_forward(row, cell, &mut out[r * out_row + t * h..][..h]);
            if let Some(saved) = saved.as_mut() {
                saved.gates[(r * seq + t) * g4..][..g4].copy_from_slice(row);
                saved.cells[(r * seq + t) * h..][..h].copy_from_slice(cell);
            }
        }
    }
    for r in 0..n {
        out[r * out_row + seq * h..][..h].copy_from_slice(&cell[r * h..(r + 1) * h]);
    }
}

/// Gradients of one recurrence.
pub struct Grads<'a> {
    /// `[B, T, 4H]`, of the pre-activations (reduce it over steps or rows for a `gx` or `gs`
    /// that holds one step).
    pub gates: &'a mut [f32],
    /// `[H, 4H]`, of `whh` (overwritten).
    pub whh: &'a mut [f32],
    /// `[B, H]`, of `h0`.
    pub h0: &'a mut [f32],
    /// `[B, H]`, of `c0`.
    pub c0: &'a mut [f32],
}

/// What the forward pass produced and kept, read by backward.
#[derive(Clone, Copy)]
pub struct Forward<'a> {
    /// The forward output `[B, T + 1, H]`.
    pub out: &'a [f32],
    /// Gate activations `[B, T, 4H]`.
    pub gates: &'a [f32],
    /// Cell states `[B, T, H]`.
    pub cells: &'a [f32],
}

/// Backpropagation through time from `d_out` `[B, T + 1, H]`, the gradient of the output.
pub fn backward(
    dims: Dims,
    inputs: Inputs<'_>,
    forward: Forward<'_>,
    d_out: &[f32],
    grads: Grads<'_>,
) {
    let Dims { seq, hidden: h, .. } = dims;
    let blocks = row_blocks(dims.batch);
    let gxs = split_rows(grads.gates, &blocks, seq * dims.gates());
    let h0s = split_rows(grads.h0, &blocks, h);
    let c0s = split_rows(grads.c0, &blocks, h);
    let partial: Vec<Vec<f32>> = blocks
        .into_par_iter()
        .zip(gxs)
        .zip(h0s.into_par_iter().zip(c0s))
        .map(|((rows, gx), (h0, c0))| backward_rows(dims, rows, inputs, forward, d_out, gx, h0, c0))
        .collect();
    grads.whh.fill(0.0);
    for block in partial {
        grads
            .whh
            .iter_mut()
            .zip(block)
            .for_each(|(sum, v)| *sum += v);
    }
}

/// Backward for one row block; writes its gradients of the pre-activations, `h0`, `c0` and returns its part
/// of the gradient of `whh`.
#[allow(clippy::too_many_arguments)]
fn backward_rows(
    dims: Dims,
    rows: Range<usize>,
    inputs: Inputs<'_>,
    forward: Forward<'_>,
    d_out: &[f32],
    d_gx: &mut [f32],
    d_h0: &mut [f32],
    d_c0: &mut [f32],
) -> Vec<f32> {
    let _flush = FlushDenormals::new();
    let Dims { seq, hidden: h, .. } = dims;
    let (n, g4) = (rows.len(), dims.gates());
    let out_row = (seq + 1) * h;
    // The gradient reaching h_t through step t + 1, and the one reaching c_t.
    let mut dh_next = vec![0.0f32; n * h];
    let mut dc: Vec<f32> = rows
        .clone()
        .flat_map(|row| &d_out[row * out_row + seq * h..][..h])
        .copied()
        .collect();
    let mut dh = vec![0.0f32; h];
    for t in (0..seq).rev() {
        for (r, row) in rows.clone().enumerate() {
            let incoming = &d_out[row * out_row + t * h..][..h];
            for ((d, a), b) in dh
                .iter_mut()
                .zip(incoming)
                .zip(&dh_next[r * h..(r + 1) * h])
            {
                *d = a + b;
            }
            let cell_prev = if t == 0 {
                &inputs.c0[row * h..][..h]
            } else {
                &forward.cells[(row * seq + t - 1) * h..][..h]
            };
            math::step_backward(
                &forward.gates[(row * seq + t) * g4..][..g4],
                cell_prev,
                &forward.cells[(row * seq + t) * h..][..h],
                &dh,
                &mut dc[r * h..(r + 1) * h],
                &mut d_gx[(r * seq + t) * g4..][..g4],
            );
        }
        // dh_next = dG_t whh^T: [n, 4H] x [4H, H], whh read transposed through its strides.
        // SAFETY: `dh_next` is [n, H]; step t of `d_gx` is n rows of 4H (row stride T 4H);
        // `whh` is [H, 4H], so element (k = gate, col = h) sits at h 4H + gate.
        unsafe {
            gemm(
                n,
                h,
                g4,
                dh_next.as_mut_ptr(),
                1,
                h as isize,
                false,
                d_gx[t * g4..].as_ptr(),
                1,
                (seq * g4) as isize,
                inputs.whh.as_ptr(),
                g4 as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }
    d_h0.copy_from_slice(&dh_next);
    d_c0.copy_from_slice(&dc);
    // d whh = sum over rows and steps of h_{t-1}^T dG_t, one GEMM over a [n T, H] copy of h_{t-1}.
    let mut previous = vec![0.0f32; n * seq * h];
    for (r, row) in rows.clone().enumerate() {
        for t in 0..seq {
            let source = if t == 0 {
                &inputs.h0[row * h..][..h]
            } else {
                &forward.out[row * out_row + (t - 1) * h..][..h]
            };
            previous[(r * seq + t) * h..][..h].copy_from_slice(source);
        }
    }
    let mut d_whh = vec![0.0f32; h * g4];
    // SAFETY: `d_whh` is [H, 4H]; `previous` is [n T, H], read transposed (m = h, k = row);
    // `d_gx` is [n T, 4H].
    unsafe {
        gemm(
            h,
            g4,
            n * seq,
            d_whh.as_mut_ptr(),
            1,
            g4 as isize,
            false,
            previous.as_ptr(),
            h as isize,
            1,
            d_gx.as_ptr(),
            1,
            g4 as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    d_whh
}

/// `[B, T, G]` summed over steps to `[B, G]` (`steps` 1) or over rows to `[T, G]` (`rows` 1),
/// or over both to `[G]`; `keep_steps`/`keep_rows` say which axes survive.
pub fn reduce(d: &[f32], dims: Dims, keep_rows: bool, keep_steps: bool) -> Vec<f32> {
    let Dims { batch, seq, .. } = dims;
    let g4 = dims.gates();
    let mut sum =
        vec![0.0f32; if keep_rows { batch } else { 1 } * if keep_steps { seq } else { 1 } * g4];
    for b in 0..batch {
        for t in 0..seq {
            let target = (if keep_rows { b } else { 0 }) * if keep_steps { seq } else { 1 }
                + if keep_steps { t } else { 0 };
            let target = &mut sum[target * g4..][..g4];
            for (s, v) in target.iter_mut().zip(&d[(b * seq + t) * g4..][..g4]) {
                *s += v;
            }
        }
    }
    sum
}
