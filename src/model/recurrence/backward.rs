//! Backpropagation through time over a whole sequence on plain `f32` slices, from the gate
//! activations and cell states the forward pass saved (layouts in [`super::kernel`]): per step
//! one vectorised pass per row for the gate derivatives and one GEMM for the gradient reaching
//! `[x_t | h_{t-1}]`; then one GEMM for the weights' gradient.

use std::ops::Range;

use rayon::prelude::*;

use super::flush::FlushDenormals;
use super::kernel::{Dims, Inputs, Operand, matmul, row_blocks, split_rows};
use super::math::{self, Strided};
use crate::model::workspace::Buffer;

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
    /// The hidden states: the forward output (`[B, T + 1, H]` or `[B, T, H]`) or, when that
    /// holds only the final state, the saved `[B, T, H]`.
    pub hidden: &'a [f32],
    /// Values per batch row of [`hidden`](Self::hidden).
    pub hidden_row: usize,
    /// Gate activations `[B, T, 4H]`.
    pub gates: &'a [f32],
    /// Cell states `[B, T, H]`.
    pub cells: &'a [f32],
}

/// Backpropagation through time from `d_out`, the gradient of the output (laid out as
/// [`Dims::output`] says).
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
    // `w^T` `[4H, D + H]`, row-major, once for every block.
    let (g4, k) = (dims.gates(), inputs.d + h);
    let mut w_t = vec![0.0f32; g4 * k];
    for (j, w_row) in inputs.w.chunks_exact(g4).enumerate() {
        for (gate, &v) in w_row.iter().enumerate() {
            w_t[gate * k + j] = v;
        }
    }
    let partial: Vec<Vec<f32>> = blocks
        .into_par_iter()
        .zip(gxs.into_par_iter().zip(xs))
        .zip(h0s.into_par_iter().zip(c0s))
        .map(|((rows, (gates, x)), (h0, c0))| {
            let block = BlockGrads { gates, x, h0, c0 };
            backward_rows(dims, rows, inputs, &w_t, forward, d_out, block)
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
/// and returns its part of the gradient of `w`. `w_t` is `w^T` `[4H, D + H]`, row-major.
fn backward_rows(
    dims: Dims,
    rows: Range<usize>,
    inputs: Inputs<'_>,
    w_t: &[f32],
    forward: Forward<'_>,
    d_out: &[f32],
    grads: BlockGrads<'_>,
) -> Vec<f32> {
    let _flush = FlushDenormals::new();
    let Dims { seq, hidden: h, .. } = dims;
    let (n, g4, d) = (rows.len(), dims.gates(), inputs.d);
    let k = d + h;
    let (out_row, output) = (dims.out_row(), dims.output);
    let d_gx = grads.gates;
    // The gradient reaching [x_t | h_{t-1}], and the one reaching c_t.
    let mut d_lhs = vec![0.0f32; n * k];
    let mut dc: Vec<f32> = match output.cell_row(seq) {
        Some(i) => rows
            .clone()
            .flat_map(|row| &d_out[row * out_row + i * h..][..h])
            .copied()
            .collect(),
        None => vec![0.0; n * h],
    };
    let mut dh = vec![0.0f32; n * h];
    let first = rows.start;
    for t in (0..seq).rev() {
        let step = output.hidden_row(t, seq);
        for (r, row) in rows.clone().enumerate() {
            let through_next = &d_lhs[r * k + d..(r + 1) * k];
            let dh = &mut dh[r * h..(r + 1) * h];
            match step {
                Some(i) => {
                    let incoming = &d_out[row * out_row + i * h..][..h];
                    for ((sum, a), b) in dh.iter_mut().zip(incoming).zip(through_next) {
                        *sum = if t + 1 < seq { a + b } else { *a };
                    }
                }
                // Only the last step's hidden state is an output, and this is an earlier one.
                None => dh.copy_from_slice(through_next),
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
        // d[x_t | h_{t-1}] = dG_t w^T: [n, 4H] x [4H, D + H], as one product for the `H`
        // columns of h_{t-1} and one for the `D` of x_t. Reading `w^T` from its row-major copy
        // with a whole number of SIMD rows (`H`) lets `gemm` use it in place; read through
        // `w`'s transposed strides it packed all of `w` again at every step.
        // `d_lhs` is [n, D + H]; step t of `d_gx` is n rows of 4H (row stride T 4H) (checked).
        let d_step = Operand::rows(&d_gx[t * g4..], seq * g4);
        let w_h = Operand::rows(&w_t[d..], k);
        matmul([n, h, g4], &mut d_lhs[d..], k, false, d_step, w_h);
        if d > 0 {
            let w_x = Operand::rows(w_t, k);
            matmul([n, d, g4], &mut d_lhs, k, false, d_step, w_x);
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
    let mut previous = Buffer::take(n * seq * k);
    for (r, row) in rows.clone().enumerate() {
        for t in 0..seq {
            let target = &mut previous[(r * seq + t) * k..][..k];
            target[..d].copy_from_slice(&inputs.x[(row * seq + t) * d..][..d]);
            target[d..].copy_from_slice(if t == 0 {
                &inputs.h0[row * h..][..h]
            } else {
                &forward.hidden[row * forward.hidden_row + (t - 1) * h..][..h]
            });
        }
    }
    let mut d_w = vec![0.0f32; k * g4];
    // `d_w` is [D + H, 4H]; `previous` is [n T, D + H], read transposed (m = feature,
    // k = row); `d_gx` is [n T, 4H] (checked by `matmul`).
    let previous_t = Operand::transposed(&previous, k);
    let d_gates = Operand::rows(d_gx, g4);
    matmul([k, g4, n * seq], &mut d_w, g4, false, previous_t, d_gates);
    d_w
}
