//! The LSTM's element-wise work on one batch row: gate activations and cell update forward
//! (for training, or a cheaper form for inference), their derivatives backward.
//!
//! `exp` is a branch-free polynomial (Cephes' `expf`, relative error about 2e-7) built from
//! multiplies, adds and integer bit tricks only, so each loop below compiles to SIMD code with
//! no call per element; inference uses its fused multiply-add form (`exp_fused`). On x86-64
//! each row function is compiled three times, plain, AVX2 + FMA and AVX-512, and the widest
//! the CPU has is picked at run time; the plain variant (for x86-64 CPUs older than 2013)
//! calls libm's `fmaf` for `exp_fused`, which rounds as the FMA instruction does, so all
//! three give the same bits.

use crate::model::simd::dispatch;

/// Inputs beyond `±EXP_LIMIT` saturate: `exp(-87)` is still a normal `f32`, `exp(88)` finite.
const EXP_LIMIT: f32 = 87.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `ln 2` split in two so that `x - n ln 2` keeps its low bits (Cody-Waite).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// `1.5 * 2^23`: adding it rounds to an integer held in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for `x` clamped to `[-87, 87]`, from plain multiplies and adds: what training and
/// backpropagation use, so trained weights keep the bits they had before [`exp_fused`]
/// existed (the published figures are reproducible to the last digit).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-EXP_LIMIT, EXP_LIMIT);
    let shifted = x * LOG2_E + ROUND_MAGIC;
    let n = shifted - ROUND_MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1; // the fit's 5.000_000_1e-1, the same f32
    let e = p * r * r + r + 1.0;
    two_to(shifted, e)
}

/// [`exp`] from fused multiply-adds: half the dependent steps, for the inference step, whose
/// dependency chain (gates, cell, `tanh` of the cell) sets its speed. Differs from [`exp`] in
/// the last bit now and then.
#[inline(always)]
pub fn exp_fused(x: f32) -> f32 {
    let x = x.clamp(-EXP_LIMIT, EXP_LIMIT);
    let shifted = x.mul_add(LOG2_E, ROUND_MAGIC);
    let n = shifted - ROUND_MAGIC;
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    p = p.mul_add(r, 1.398_199_9e-3);
    p = p.mul_add(r, 8.333_452e-3);
    p = p.mul_add(r, 4.166_579_6e-2);
    p = p.mul_add(r, 1.666_666_5e-1);
    p = p.mul_add(r, 5e-1); // the fit's 5.000_000_1e-1, the same f32
    let e = (p * r).mul_add(r, r) + 1.0;
    two_to(shifted, e)
}

/// `e * 2^n`, `n` read from `shifted`'s bits: its bit pattern is ROUND_MAGIC's plus n.
#[inline(always)]
fn two_to(shifted: f32, e: f32) -> f32 {
    let n_bits = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    e * f32::from_bits(n_bits.wrapping_add(127) << 23)
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x = 2 sigmoid(2x) - 1`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp(-2.0 * x)) - 1.0
}

/// The four gate blocks `i, f, g, o` of a row of `4H` values, each exactly `h` long (so the
/// loops over them need no bounds checks).
#[inline(always)]
fn blocks(row: &[f32], h: usize) -> [&[f32]; 4] {
    let (i, rest) = row.split_at(h);
    let (f, rest) = rest.split_at(h);
    let (g, o) = rest.split_at(h);
    [i, f, g, &o[..h]]
}

/// [`blocks`], mutable.
#[inline(always)]
fn blocks_mut(row: &mut [f32], h: usize) -> [&mut [f32]; 4] {
    let (i, rest) = row.split_at_mut(h);
    let (f, rest) = rest.split_at_mut(h);
    let (g, o) = rest.split_at_mut(h);
    [i, f, g, &mut o[..h]]
}

/// What a row's matrix product is short of to be its pre-activations: `own` (the row's own
/// input projection, `4H`, or empty when there is none) plus `shared` (`4H`: a bias, a step's
/// projection), added as `(own + shared) + product`.
#[derive(Clone, Copy)]
pub struct Addend<'a> {
    /// `4H` values, or none.
    pub own: &'a [f32],
    /// `4H` values.
    pub shared: &'a [f32],
}

/// Applies `f` to each pre-activation of `block` (a gate block of the matrix product, see
/// [`Addend`]), with `own` and `shared` its slices of the addend, in place.
#[inline(always)]
fn map_inputs(block: &mut [f32], own: &[f32], shared: &[f32], f: impl Fn(f32) -> f32) {
    let shared = &shared[..block.len()];
    if own.is_empty() {
        for (x, s) in block.iter_mut().zip(shared) {
            *x = f(s + *x);
        }
    } else {
        let own = &own[..block.len()];
        for ((x, a), s) in block.iter_mut().zip(own).zip(shared) {
            *x = f((a + s) + *x);
        }
    }
}

/// [`map_inputs`] on the four gate blocks `i, f, g, o`, `f` on `i, f, o` and `g_map` on `g`.
/// One pass over independent values, so the loop runs at the SIMD units' throughput; the
/// dependent part of a step (the cell, then its `tanh`) follows in a loop of its own.
#[inline(always)]
fn map_gates(
    gates: &mut [f32],
    addend: Addend<'_>,
    h: usize,
    f: impl Fn(f32) -> f32 + Copy,
    g_map: impl Fn(f32) -> f32,
) {
    for (q, block) in gates.chunks_exact_mut(h).enumerate() {
        let own = if addend.own.is_empty() {
            &[][..]
        } else {
            &addend.own[q * h..]
        };
        let shared = &addend.shared[q * h..];
        if q == 2 {
            map_inputs(block, own, shared, &g_map);
        } else {
            map_inputs(block, own, shared, f);
        }
    }
}

/// One row's forward step for training. `gates` holds the pre-activations `[i | f | g | o]`
/// (`4H`) and is overwritten with the activations; `cell` holds `c_{t-1}` (`H`) and receives
/// `c_t`; `hidden` and `next` both receive `h_t = o * tanh(c_t)` (the output, and the next
/// step's matrix operand).
#[inline(always)]
fn step_forward_body(gates: &mut [f32], cell: &mut [f32], hidden: &mut [f32], next: &mut [f32]) {
    let h = cell.len();
    for (q, block) in gates.chunks_exact_mut(h).enumerate() {
        if q == 2 {
            block.iter_mut().for_each(|x| *x = tanh(*x));
        } else {
            block.iter_mut().for_each(|x| *x = sigmoid(*x));
        }
    }
    let [i, f, g, o] = blocks(gates, h);
    let (hidden, next) = (&mut hidden[..h], &mut next[..h]);
    for j in 0..h {
        let c = f[j] * cell[j] + i[j] * g[j];
        cell[j] = c;
        let hj = o[j] * tanh(c);
        hidden[j] = hj;
        next[j] = hj;
    }
}

/// Inputs beyond these saturate the gates in `f32` (`sigmoid(25) = 1 - 1.4e-11`, `tanh(12.5)`
/// rounds to 1) and keep the products of `1 + e^-x` in [`step_infer_body`] finite.
const SIGMOID_LIMIT: f32 = 25.0;
const TANH_LIMIT: f32 = 12.5;

/// One row's forward step for inference, where the gate activations need not be kept: the
/// same `c_t` and `h_t` as [`step_forward_body`] from five `exp` but two divisions instead of
/// five, by putting each update over one common denominator:
/// `c = c_prev / (1 + e_f) + (1 - e_g) / ((1 + e_i)(1 + e_g))` and
/// `h = (1 - e_c) / ((1 + e_o)(1 + e_c))`, with `e_x = e^-x` (`e^-2x` for the tanh inputs).
/// `gates` is scratch: it is left holding the gates' `e_x`.
#[inline(always)]
fn step_infer_body(
    gates: &mut [f32],
    addend: Addend<'_>,
    cell: &mut [f32],
    hidden: &mut [f32],
    next: &mut [f32],
) {
    let h = cell.len();
    let neg_exp = |x: f32, limit: f32, scale: f32| exp_fused(-scale * x.clamp(-limit, limit));
    map_gates(
        gates,
        addend,
        h,
        |x| neg_exp(x, SIGMOID_LIMIT, 1.0),
        |x| neg_exp(x, TANH_LIMIT, 2.0),
    );
    let [ei, ef, eg, eo] = blocks(gates, h);
    let (hidden, next) = (&mut hidden[..h], &mut next[..h]);
    for j in 0..h {
        let (pi, pf, pg) = (1.0 + ei[j], 1.0 + ef[j], 1.0 + eg[j]);
        let c = (cell[j] * pi * pg + (1.0 - eg[j]) * pf) / (pf * pi * pg);
        let po = 1.0 + eo[j];
        let ec = neg_exp(c, TANH_LIMIT, 2.0);
        cell[j] = c;
        let hj = (1.0 - ec) / (po * (1.0 + ec));
        hidden[j] = hj;
        next[j] = hj;
    }
}

/// Backward of one row's step. Reads the saved activations `gates` (`4H`), `c_{t-1}` and `c_t`,
/// and `dh` (the gradient reaching `h_t`, `H`); updates `dc` from the gradient reaching `c_t` to
/// the one reaching `c_{t-1}`, and writes the pre-activation gradients to `d_gates` (`4H`).
#[inline(always)]
fn step_backward_body(
    gates: &[f32],
    cell_prev: &[f32],
    cell: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    d_gates: &mut [f32],
) {
    let h = dc.len();
    let [i, f, g, o] = blocks(gates, h);
    let (cell_prev, cell, dh) = (&cell_prev[..h], &cell[..h], &dh[..h]);
    let [di, df, dg, d_o] = blocks_mut(d_gates, h);
    for j in 0..h {
        let tc = tanh(cell[j]);
        let dcj = dh[j] * o[j] * (1.0 - tc * tc) + dc[j];
        d_o[j] = dh[j] * tc * o[j] * (1.0 - o[j]);
        di[j] = dcj * g[j] * i[j] * (1.0 - i[j]);
        df[j] = dcj * cell_prev[j] * f[j] * (1.0 - f[j]);
        dg[j] = dcj * i[j] * (1.0 - g[j] * g[j]);
        dc[j] = dcj * f[j];
    }
}

/// Where one step's rows sit for [`backward_rows`]: row `r` of a buffer starts at
/// `r * stride`.
#[derive(Clone, Copy)]
pub struct Strided<'a> {
    /// The values, row 0 first.
    pub values: &'a [f32],
    /// Distance between rows.
    pub stride: usize,
}

impl<'a> Strided<'a> {
    #[inline(always)]
    fn row(&self, r: usize, len: usize) -> &'a [f32] {
        &self.values[r * self.stride..][..len]
    }
}

dispatch!(
    /// One row's inference step (see [`step_infer_body`]), on the widest SIMD the CPU has.
    step_infer, step_infer_body, step_infer_avx2, step_infer_avx512,
    (gates: &mut [f32], addend: Addend<'_>, cell: &mut [f32], hidden: &mut [f32], next: &mut [f32])
);

/// The signature of [`step_backward`].
type BackwardRow = fn(&[f32], &[f32], &[f32], &[f32], &mut [f32], &mut [f32]);

/// The backward step of `n = dh.len() / H` rows: saved `gates` (`4H` a row), `cell_prev` and
/// `cell` (`H` a row) at their strides; `dh` and `dc` `[n, H]` contiguous; `d_gates` rows of
/// `4H` at `d_stride`; each row through `row` (see [`step_backward_body`]).
#[inline(always)]
fn backward_rows_with(
    h: usize,
    saved: [Strided<'_>; 3],
    dh: &[f32],
    dc: &mut [f32],
    d_gates: &mut [f32],
    d_stride: usize,
    row: BackwardRow,
) {
    let [gates, cell_prev, cell] = saved;
    for (r, (dh, dc)) in dh.chunks_exact(h).zip(dc.chunks_exact_mut(h)).enumerate() {
        row(
            gates.row(r, 4 * h),
            cell_prev.row(r, h),
            cell.row(r, h),
            dh,
            dc,
            &mut d_gates[r * d_stride..][..4 * h],
        );
    }
}

dispatch!(
    /// One row's forward step (see [`step_forward_body`]), on the widest SIMD the CPU has.
    step_forward, step_forward_body, step_forward_avx2, step_forward_avx512,
    (gates: &mut [f32], cell: &mut [f32], hidden: &mut [f32], next: &mut [f32])
);

dispatch!(
    /// One row's backward step (see [`step_backward_body`]), on the widest SIMD the CPU has.
    step_backward, step_backward_body, step_backward_avx2, step_backward_avx512,
    (gates: &[f32], cell_prev: &[f32], cell: &[f32], dh: &[f32], dc: &mut [f32], d_gates: &mut [f32])
);

/// The backward step of a block of rows (see [`backward_rows_body`]), one SIMD call a row.
pub fn backward_rows(
    h: usize,
    saved: [Strided<'_>; 3],
    dh: &[f32],
    dc: &mut [f32],
    d_gates: &mut [f32],
    d_stride: usize,
) {
    backward_rows_with(h, saved, dh, dc, d_gates, d_stride, step_backward);
}

#[cfg(test)]
mod tests;
