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
//! constant input needs no `[B, T, 4H]` copy; `gx` may be absent. A sequence input `x`
//! `[B, T, D]` (`D` may be 0) is projected inside the step's GEMM: `[x_t | h_{t-1}]` times the
//! stacked weights `w` `[D + H, 4H]` (`W_ih` over `W_hh`), so no `[B, T, 4H]` projection is
//! built either. `h0` and `c0` `[B, H]`, the output `[B, T + 1, H]` (rows `0..T` are the
//! hidden states, row `T` the final cell state), saved gate activations `[B, T, 4H]` and saved
//! cell states `[B, T, H]`.

use std::ops::Range;

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use super::math::{self, FlushDenormals, Strided};

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
    /// Steps held by `gx`: `T`, 1, or 0 when there is no `gx`.
    pub gx_steps: usize,
    /// `[B, T, D]`, projected by the first `D` rows of `w`.
    pub x: &'a [f32],
    /// Features `D` of `x` (0: none).
    pub d: usize,
    /// `[T, 4H]`, or `[1, 4H]` when [`gs_steps`](Self::gs_steps) is 1.
    pub gs: &'a [f32],
    /// Steps held by `gs`: `T` or 1.
    pub gs_steps: usize,
    /// `[D + H, 4H]`: `W_ih` then `W_hh`.
    pub w: &'a [f32],
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
    let (n, g4, d) = (rows.len(), dims.gates(), inputs.d);
    let k = d + h;
    let out_row = (seq + 1) * h;
    let mut gates = vec![0.0f32; n * g4];
    // [x_t | h_{t-1}] for each row of the block.
    let mut lhs = vec![0.0f32; n * k];
    let mut cell = inputs.c0[rows.start * h..rows.end * h].to_vec();
    let mut hidden = vec![0.0f32; n * h];
    for t in 0..seq {
        let shared = &inputs.gs[t.min(inputs.gs_steps - 1) * g4..][..g4];
        for (r, row) in gates.chunks_exact_mut(g4).enumerate() {
            let b = rows.start + r;
            if inputs.gx_steps == 0 {
                row.copy_from_slice(shared);
            } else {
                let own = b * inputs.gx_steps + t.min(inputs.gx_steps - 1);
                let own = &inputs.gx[own * g4..][..g4];
                for ((pre, a), s) in row.iter_mut().zip(own).zip(shared) {
                    *pre = a + s;
                }
            }
            let lhs = &mut lhs[r * k..(r + 1) * k];
            lhs[..d].copy_from_slice(&inputs.x[(b * seq + t) * d..][..d]);
            lhs[d..].copy_from_slice(if t == 0 {
                &inputs.h0[b * h..][..h]
            } else {
                &hidden[r * h..(r + 1) * h]
            });
        }
        // SAFETY: `gates` is [n, 4H], `lhs` [n, D + H], `w` [D + H, 4H], all row-major.
        unsafe {
            gemm(
                n,
                g4,
                k,
                gates.as_mut_ptr(),
                1,
                g4 as isize,
                true,
                lhs.as_ptr(),
                1,
                k as isize,
                inputs.w.as_ptr(),
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
        if saved.is_some() {
            math::forward_rows(h, &mut gates, &mut cell, &mut hidden);
        } else {
            math::infer_rows(h, &gates, &mut cell, &mut hidden);
        }
        for r in 0..n {
            let hidden = &hidden[r * h..(r + 1) * h];
            out[r * out_row + t * h..][..h].copy_from_slice(hidden);
            if let Some(saved) = saved.as_mut() {
                saved.gates[(r * seq + t) * g4..][..g4].copy_from_slice(&gates[r * g4..][..g4]);
                saved.cells[(r * seq + t) * h..][..h].copy_from_slice(&cell[r * h..][..h]);
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
    /// `[B, T, D]`, of `x`.
    pub x: &'a mut [f32],
    /// `[D + H, 4H]`, of `w` (overwritten).
    pub w: &'a mut [f32],
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
    let xs = split_rows(grads.x, &blocks, seq * inputs.d);
    let h0s = split_rows(grads.h0, &blocks, h);
    let c0s = split_rows(grads.c0, &blocks, h);
    let partial: Vec<Vec<f32>> = blocks
        .into_par_iter()
        .zip(gxs.into_par_iter().zip(xs))
        .zip(h0s.into_par_iter().zip(c0s))
        .map(|((rows, (gates, x)), (h0, c0))| {
            let block = BlockGrads { gates, x, h0, c0 };
            backward_rows(dims, rows, inputs, forward, d_out, block)
        })
        .collect();
    grads.w.fill(0.0);
    for block in partial {
        grads.w.iter_mut().zip(block).for_each(|(sum, v)| *sum += v);
    }
}

/// One row block's share of [`Grads`].
struct BlockGrads<'a> {
    gates: &'a mut [f32],
    x: &'a mut [f32],
    h0: &'a mut [f32],
    c0: &'a mut [f32],
}

/// Backward for one row block; writes its gradients of the pre-activations, `x`, `h0` and `c0`
/// and returns its part of the gradient of `w`.
fn backward_rows(
    dims: Dims,
    rows: Range<usize>,
    inputs: Inputs<'_>,
    forward: Forward<'_>,
    d_out: &[f32],
    grads: BlockGrads<'_>,
) -> Vec<f32> {
    let _flush = FlushDenormals::new();
    let Dims { seq, hidden: h, .. } = dims;
    let (n, g4, d) = (rows.len(), dims.gates(), inputs.d);
    let k = d + h;
    let out_row = (seq + 1) * h;
    let d_gx = grads.gates;
    // The gradient reaching [x_t | h_{t-1}], and the one reaching c_t.
    let mut d_lhs = vec![0.0f32; n * k];
    let mut dc: Vec<f32> = rows
        .clone()
        .flat_map(|row| &d_out[row * out_row + seq * h..][..h])
        .copied()
        .collect();
    let mut dh = vec![0.0f32; n * h];
    let first = rows.start;
    for t in (0..seq).rev() {
        for (r, row) in rows.clone().enumerate() {
            let incoming = &d_out[row * out_row + t * h..][..h];
            let through_next = &d_lhs[r * k + d..(r + 1) * k];
            let dh = &mut dh[r * h..(r + 1) * h];
            for ((sum, a), b) in dh.iter_mut().zip(incoming).zip(through_next) {
                *sum = if t + 1 < seq { a + b } else { *a };
            }
        }
        let cell_prev = if t == 0 {
            Strided {
                values: &inputs.c0[first * h..],
                stride: h,
            }
        } else {
            Strided {
                values: &forward.cells[(first * seq + t - 1) * h..],
                stride: seq * h,
            }
        };
        let saved = [
            Strided {
                values: &forward.gates[(first * seq + t) * g4..],
                stride: seq * g4,
            },
            cell_prev,
            Strided {
                values: &forward.cells[(first * seq + t) * h..],
                stride: seq * h,
            },
        ];
        math::backward_rows(h, saved, &dh, &mut dc, &mut d_gx[t * g4..], seq * g4);
        // d[x_t | h_{t-1}] = dG_t w^T: [n, 4H] x [4H, D + H], `w` read transposed through its
        // strides (element (gate, j) sits at j 4H + gate).
        // SAFETY: `d_lhs` is [n, D + H]; step t of `d_gx` is n rows of 4H (row stride T 4H).
        unsafe {
            gemm(
                n,
                k,
                g4,
                d_lhs.as_mut_ptr(),
                1,
                k as isize,
                false,
                d_gx[t * g4..].as_ptr(),
                1,
                (seq * g4) as isize,
                inputs.w.as_ptr(),
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
        for r in 0..n {
            grads.x[(r * seq + t) * d..][..d].copy_from_slice(&d_lhs[r * k..r * k + d]);
        }
    }
    for r in 0..n {
        grads.h0[r * h..(r + 1) * h].copy_from_slice(&d_lhs[r * k + d..(r + 1) * k]);
    }
    grads.c0.copy_from_slice(&dc);
    // d w = sum over rows and steps of [x_t | h_{t-1}]^T dG_t: one GEMM over a [n T, D + H]
    // copy of the step inputs.
    let mut previous = vec![0.0f32; n * seq * k];
    for (r, row) in rows.clone().enumerate() {
        for t in 0..seq {
            let target = &mut previous[(r * seq + t) * k..][..k];
            target[..d].copy_from_slice(&inputs.x[(row * seq + t) * d..][..d]);
            target[d..].copy_from_slice(if t == 0 {
                &inputs.h0[row * h..][..h]
            } else {
                &forward.out[row * out_row + (t - 1) * h..][..h]
            });
        }
    }
    let mut d_w = vec![0.0f32; k * g4];
    // SAFETY: `d_w` is [D + H, 4H]; `previous` is [n T, D + H], read transposed (m = feature,
    // k = row); `d_gx` is [n T, 4H].
    unsafe {
        gemm(
            k,
            g4,
            n * seq,
            d_w.as_mut_ptr(),
            1,
            g4 as isize,
            false,
            previous.as_ptr(),
            k as isize,
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
    d_w
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
