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
//! hidden states, row `T` the final cell state; [`Output`] can keep less), saved gate
//! activations `[B, T, 4H]` and saved cell states `[B, T, H]`.

use std::ops::Range;

use rayon::prelude::*;

use super::flush::FlushDenormals;
use super::math;
pub(super) use crate::model::gemm::{Operand, matmul};

/// Fewest batch rows worth a thread of their own.
const MIN_ROWS_PER_THREAD: usize = 8;

/// Sizes of one recurrence, and what its output keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Rows `B`.
    pub batch: usize,
    /// Steps `T`.
    pub seq: usize,
    /// Hidden size `H`.
    pub hidden: usize,
    /// What the output holds per row.
    pub output: Output,
}

impl Dims {
    pub(super) fn gates(&self) -> usize {
        4 * self.hidden
    }

    /// Output values per batch row.
    pub(super) fn out_row(&self) -> usize {
        self.output.steps(self.seq) * self.hidden
    }
}

/// What the output of a recurrence holds for each batch row. A caller that reads only the
/// final state (an encoder) or only the hidden states (a decoder) asks for just that, so that
/// no slice of a larger output zero-fills a full-size gradient in backward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// `[T + 1, H]`: the hidden states `h_1..h_T`, then the final cell state `c_T`.
    All,
    /// `[T, H]`: the hidden states.
    Hidden,
    /// `[2, H]`: the final hidden state `h_T`, then the final cell state `c_T`.
    Final,
}

impl Output {
    /// Rows of `H` values per batch row over `seq` steps.
    pub fn steps(self, seq: usize) -> usize {
        match self {
            Output::All => seq + 1,
            Output::Hidden => seq,
            Output::Final => 2,
        }
    }

    /// The output row that holds the hidden state of step `t`, if one does.
    pub(super) fn hidden_row(self, t: usize, seq: usize) -> Option<usize> {
        match self {
            Output::All | Output::Hidden => Some(t),
            Output::Final => (t + 1 == seq).then_some(0),
        }
    }

    /// The output row that holds the final cell state, if one does.
    pub(super) fn cell_row(self, seq: usize) -> Option<usize> {
        match self {
            Output::All => Some(seq),
            Output::Hidden => None,
            Output::Final => Some(1),
        }
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
    /// Hidden states `[B, T, H]` when the output does not hold them ([`Output::Final`]);
    /// empty otherwise.
    pub hidden: &'a mut [f32],
}

/// The rows each thread takes.
pub(super) fn row_blocks(batch: usize) -> Vec<Range<usize>> {
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
pub(super) fn split_rows<'a>(
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
    let outs = split_rows(out, &blocks, dims.out_row());
    let saved: Vec<Option<Saved<'_>>> = match saved {
        Some(Saved {
            gates,
            cells,
            hidden,
        }) => {
            let hidden_row = if hidden.is_empty() { 0 } else { seq * h };
            split_rows(gates, &blocks, seq * dims.gates())
                .into_iter()
                .zip(split_rows(cells, &blocks, seq * h))
                .zip(split_rows(hidden, &blocks, hidden_row))
                .map(|((gates, cells), hidden)| {
                    Some(Saved {
                        gates,
                        cells,
                        hidden,
                    })
                })
                .collect()
        }
        None => blocks.iter().map(|_| None).collect(),
    };
    blocks
        .into_par_iter()
        .zip(outs)
        .zip(saved)
        .for_each(|((rows, out), saved)| forward_rows(dims, rows, inputs, out, saved));
}

/// The recurrence of one block of rows. Per step: one GEMM of `[x_t | h_{t-1}]` into the gate
/// buffer (the saved gates when training, in place), then one SIMD call per row that runs the
/// gates and writes `h_t` both to the output and into the next step's GEMM operand; the
/// inference step also adds `gx` and `gs` as it reads the product, so no row is copied. (One
/// call per row, not one loop nest over the block: compiled as a nest, LLVM paired scalars
/// across rows instead of vectorising along the row, 4x slower.)
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
    let (out_row, output) = (dims.out_row(), dims.output);
    // Where a hidden state goes that the output does not keep: the saved hidden states when
    // training, else one row per batch row, overwritten each step.
    let mut spare = match &saved {
        Some(saved) if !saved.hidden.is_empty() => Vec::new(),
        _ if output == Output::Final => vec![0.0f32; n * h],
        _ => Vec::new(),
    };
    // Inference's gate buffer; training writes into the saved gates instead.
    let mut scratch = if saved.is_some() {
        Vec::new()
    } else {
        vec![0.0f32; n * g4]
    };
    // [x_t | h_{t-1}] for each row of the block.
    let mut lhs = vec![0.0f32; n * k];
    for (r, lhs) in lhs.chunks_exact_mut(k).enumerate() {
        lhs[d..].copy_from_slice(&inputs.h0[(rows.start + r) * h..][..h]);
    }
    let mut cell = inputs.c0[rows.start * h..rows.end * h].to_vec();
    for t in 0..seq {
        if d > 0 {
            for (r, lhs) in lhs.chunks_exact_mut(k).enumerate() {
                let x = &inputs.x[((rows.start + r) * seq + t) * d..][..d];
                if d == 1 {
                    lhs[0] = x[0];
                } else {
                    lhs[..d].copy_from_slice(x);
                }
            }
        }
        let shared = &inputs.gs[t.min(inputs.gs_steps - 1) * g4..][..g4];
        let own = |r: usize| match inputs.gx_steps {
            0 => &[][..],
            steps => &inputs.gx[((rows.start + r) * steps + t.min(steps - 1)) * g4..][..g4],
        };
        let (a, w) = (Operand::rows(&lhs, k), Operand::rows(inputs.w, g4));
        if let Some(saved) = saved.as_mut() {
            // Training: the pre-activations `(gx + gs) + [x_t | h_{t-1}] w`, summed in the
            // order the published figures were trained with, straight into the saved gates.
            let stride = seq * g4;
            let gates = &mut saved.gates[t * g4..];
            for r in 0..n {
                let row = &mut gates[r * stride..][..g4];
                let own = own(r);
                if own.is_empty() {
                    row.copy_from_slice(shared);
                } else {
                    for ((pre, a), s) in row.iter_mut().zip(own).zip(shared) {
                        *pre = a + s;
                    }
                }
            }
            matmul([n, g4, k], gates, stride, true, a, w);
            let rows = lhs.chunks_exact_mut(k).zip(cell.chunks_exact_mut(h));
            for (r, (lhs, cell)) in rows.enumerate() {
                let hidden = match output.hidden_row(t, seq) {
                    Some(i) => &mut out[r * out_row + i * h..][..h],
                    None if saved.hidden.is_empty() => &mut spare[r * h..][..h],
                    None => &mut saved.hidden[(r * seq + t) * h..][..h],
                };
                math::step_forward(&mut gates[r * stride..][..g4], cell, hidden, &mut lhs[d..]);
            }
        } else {
            // Inference: the product alone, `gx` and `gs` added by the step as it reads it.
            matmul([n, g4, k], &mut scratch, g4, false, a, w);
            let rows = lhs.chunks_exact_mut(k).zip(cell.chunks_exact_mut(h));
            for (r, (lhs, cell)) in rows.enumerate() {
                let addend = math::Addend {
                    own: own(r),
                    shared,
                };
                let hidden = match output.hidden_row(t, seq) {
                    Some(i) => &mut out[r * out_row + i * h..][..h],
                    None => &mut spare[r * h..][..h],
                };
                let gates = &mut scratch[r * g4..][..g4];
                math::step_infer(gates, addend, cell, hidden, &mut lhs[d..]);
            }
        }
        if let Some(saved) = saved.as_mut() {
            for (r, cell) in cell.chunks_exact(h).enumerate() {
                saved.cells[(r * seq + t) * h..][..h].copy_from_slice(cell);
            }
        }
    }
    if let Some(i) = output.cell_row(seq) {
        for (r, cell) in cell.chunks_exact(h).enumerate() {
            out[r * out_row + i * h..][..h].copy_from_slice(cell);
        }
    }
}

/// `[B, T, G]` summed over steps to `[B, G]` (`steps` 1) or over rows to `[T, G]` (`rows` 1),
/// or over both to `[G]`; `keep_steps`/`keep_rows` say which axes survive. The gates are split
/// into column ranges summed on rayon's threads; each value is summed in the same order (rows,
/// then steps) whatever the split, so the result does not depend on the thread count.
pub fn reduce(d: &[f32], dims: Dims, keep_rows: bool, keep_steps: bool) -> Vec<f32> {
    let Dims { batch, seq, .. } = dims;
    let g4 = dims.gates();
    let out_rows = if keep_rows { batch } else { 1 } * if keep_steps { seq } else { 1 };
    // Column ranges of whole cache lines, one per thread.
    let width = g4
        .div_ceil(rayon::current_num_threads().max(1))
        .next_multiple_of(16);
    let ranges: Vec<Range<usize>> = (0..g4)
        .step_by(width)
        .map(|start| start..(start + width).min(g4))
        .collect();
    let parts: Vec<Vec<f32>> = ranges
        .par_iter()
        .map(|columns| {
            let mut part = vec![0.0f32; out_rows * columns.len()];
            for b in 0..batch {
                for t in 0..seq {
                    let target = (if keep_rows { b } else { 0 }) * if keep_steps { seq } else { 1 }
                        + if keep_steps { t } else { 0 };
                    let target = &mut part[target * columns.len()..][..columns.len()];
                    let source = &d[(b * seq + t) * g4..][columns.clone()];
                    for (s, v) in target.iter_mut().zip(source) {
                        *s += v;
                    }
                }
            }
            part
        })
        .collect();
    let mut sum = vec![0.0f32; out_rows * g4];
    for (columns, part) in ranges.iter().zip(parts) {
        for (row, values) in part.chunks_exact(columns.len()).enumerate() {
            sum[row * g4..][columns.clone()].copy_from_slice(values);
        }
    }
    sum
}
