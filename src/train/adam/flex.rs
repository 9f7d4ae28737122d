//! The Adam update on Flex: a backend extension whose one pass updates the parameter and both
//! moments, in place when Burn holds their storage alone (copied into pooled buffers when not).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate};
use burn::tensor::{DType, Tensor};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{BETA_1, BETA_2, EPSILON};
use crate::model::flex_op::{contiguous, tensor, values};
use crate::model::norm_activation::supports;
use crate::model::simd::dispatch;
use crate::model::workspace::Buffer;

/// Values per block of the update on one thread: 128 KiB of each of the four arrays.
const BLOCK: usize = 1 << 15;

/// Backends that run Adam's update as one operation.
#[backend_extension(Flex)]
pub trait AdamBackend: Backend {
    /// The first Adam step of `param` with `grad` (same shape): the new parameter and moments.
    fn adam_first(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        scalars: Scalars,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// A later Adam step, from the moments of the step before: the new parameter and moments.
    fn adam_update(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        scalars: Scalars,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl AdamBackend for burn::backend::Flex {
    fn adam_first(
        param: FlexTensor,
        grad: FlexTensor,
        scalars: Scalars,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let len = param.layout().num_elements();
        flex_step(param, grad, true, scalars, [fresh(len), fresh(len)])
    }

    fn adam_update(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        scalars: Scalars,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let len = param.layout().num_elements();
        let moments = [owned(moment_1, len), owned(moment_2, len)];
        flex_step(param, grad, false, scalars, moments)
    }
}

/// The step on Flex tensors: `moments` are unique tensors of the parameter's length, read
/// unless this is the `first` step, and overwritten.
fn flex_step(
    param: FlexTensor,
    grad: FlexTensor,
    first: bool,
    scalars: Scalars,
    [mut moment_1, mut moment_2]: [FlexTensor; 2],
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let shape = param.layout().shape().clone();
    let len = shape.num_elements();
    let grad = contiguous(grad);
    let mut param = owned(param, len);
    let [p, m1, m2] = [&mut param, &mut moment_1, &mut moment_2].map(|t| {
        t.try_storage_mut::<f32>()
            .unwrap_or_else(|| unreachable!("`owned` and `fresh` give unique tensors"))
    });
    update(p, values(&grad), m1, m2, &scalars, first);
    let reshape = |t: FlexTensor| t.reshape(shape.clone());
    (reshape(param), reshape(moment_1), reshape(moment_2))
}

/// Whether [`step`] runs for this parameter: `f32` on Flex, and a gradient and moments of its
/// shape.
pub(super) fn applies<const D: usize>(
    tensor: &Tensor<D>,
    grad: &Tensor<D>,
    state: Option<&AdamState<D>>,
) -> bool {
    let dims = tensor.dims();
    let device = tensor.device();
    let same = |t: &Tensor<D>| t.dims() == dims && t.dtype() == DType::F32 && t.device() == device;
    supports(&device, tensor.dtype())
        && !device.is_autodiff()
        && same(grad)
        && state.is_none_or(|s| {
            s.momentum.max_moment_2.is_none()
                && same(&s.momentum.moment_1)
                && same(&s.momentum.moment_2)
        })
}

/// Burn's Adam step as one [`AdamBackend`] operation (check [`applies`] first).
pub(super) fn step<const D: usize>(
    tensor: Tensor<D>,
    grad: Tensor<D>,
    state: Option<AdamState<D>>,
    scalars: Scalars,
) -> (Tensor<D>, Option<AdamState<D>>) {
    let (param, moment_1, moment_2) = match state {
        None => <Dispatch as AdamBackend>::adam_first(
            tensor.into_dispatch(),
            grad.into_dispatch(),
            scalars,
        ),
        Some(state) => <Dispatch as AdamBackend>::adam_update(
            tensor.into_dispatch(),
            grad.into_dispatch(),
            state.momentum.moment_1.into_dispatch(),
            state.momentum.moment_2.into_dispatch(),
            scalars,
        ),
    };
    let momentum = AdaptiveMomentumState::new(
        scalars.time,
        Tensor::from_dispatch(moment_1),
        Tensor::from_dispatch(moment_2),
    );
    (Tensor::from_dispatch(param), Some(AdamState::new(momentum)))
}

/// `t` as a contiguous tensor of `len` values at offset 0 whose storage nothing else holds:
/// itself when it is one, else its values copied into a pooled buffer.
fn owned(t: FlexTensor, len: usize) -> FlexTensor {
    let alone = t.is_unique()
        && t.layout().contiguous_offsets() == Some((0, len))
        && t.bytes().len() == len * size_of::<f32>();
    if alone && t.dtype() == DType::F32 {
        return t;
    }
    let t = contiguous(t);
    let mut copy = Buffer::take(len);
    copy.copy_from_slice(values(&t));
    tensor(copy, [len])
}

/// A new tensor of `len` values for moments that start on this step (all overwritten).
fn fresh(len: usize) -> FlexTensor {
    tensor(Buffer::take(len), [len])
}

/// One Adam step over every value, in blocks of [`BLOCK`] on rayon's threads.
fn update(
    param: &mut [f32],
    grad: &[f32],
    m1: &mut [f32],
    m2: &mut [f32],
    s: &Scalars,
    first: bool,
) {
    if param.len() <= BLOCK {
        // Most parameters (biases, norms, small kernels): no hand-off to the pool.
        return update_block(param, grad, m1, m2, s, first);
    }
    param
        .par_chunks_mut(BLOCK)
        .zip(grad.par_chunks(BLOCK))
        .zip(m1.par_chunks_mut(BLOCK))
        .zip(m2.par_chunks_mut(BLOCK))
        .for_each(|(((p, g), m1), m2)| update_block(p, g, m1, m2, s, first));
}

dispatch! {
    /// [`update`] on one block, in the CPU's widest instruction set.
    update_block, update_body, update_avx2, update_avx512,
    (p: &mut [f32], g: &[f32], m1: &mut [f32], m2: &mut [f32], s: &Scalars, first: bool)
}

/// The four variants of the loop (first step or not, penalty or not), each without branches.
#[inline(always)]
fn update_body(p: &mut [f32], g: &[f32], m1: &mut [f32], m2: &mut [f32], s: &Scalars, first: bool) {
    match (first, s.weight_decay) {
        (true, None) => run::<true, false>(p, g, m1, m2, s, 0.0),
        (true, Some(decay)) => run::<true, true>(p, g, m1, m2, s, decay),
        (false, None) => run::<false, false>(p, g, m1, m2, s, 0.0),
        (false, Some(decay)) => run::<false, true>(p, g, m1, m2, s, decay),
    }
}

/// Burn's Adam, value by value and operation by operation (each rounded to `f32`, no fused
/// multiply-adds): `g = p * decay + g` with a penalty; `m1 = m1 * beta_1 + g * (1 - beta_1)`
/// and `m2 = m2 * beta_2 + (g * g) * (1 - beta_2)` (only the second terms on the first step);
/// `p = p - (m1 * combined) / (sqrt(m2) + epsilon) * lr`.
#[inline(always)]
fn run<const FIRST: bool, const DECAY: bool>(
    p: &mut [f32],
    g: &[f32],
    m1: &mut [f32],
    m2: &mut [f32],
    s: &Scalars,
    decay: f32,
) {
    let n = p.len().min(g.len()).min(m1.len()).min(m2.len());
    let (p, g, m1, m2) = (&mut p[..n], &g[..n], &mut m1[..n], &mut m2[..n]);
    for i in 0..n {
        let grad = if DECAY { p[i] * decay + g[i] } else { g[i] };
        let first = grad * s.factor_1;
        let second = (grad * grad) * s.factor_2;
        let (a, b) = if FIRST {
            (first, second)
        } else {
            (m1[i] * s.beta_1 + first, m2[i] * s.beta_2 + second)
        };
        m1[i] = a;
        m2[i] = b;
        let delta = (a * s.combined) / (b.sqrt() + s.epsilon) * s.lr;
        p[i] -= delta;
    }
}

/// The numbers of one Adam step, computed as burn-optim computes them (in `f32`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scalars {
    /// The step's number, from 1: the state's `time`.
    pub(crate) time: usize,
    pub(crate) beta_1: f32,
    pub(crate) beta_2: f32,
    /// `1 - beta_1`, the new gradient's weight in the first moment.
    pub(crate) factor_1: f32,
    /// `1 - beta_2`, the squared gradient's weight in the second moment.
    pub(crate) factor_2: f32,
    /// `sqrt(1 - beta_2^t) / (1 - beta_1^t)`: both bias corrections in one factor.
    pub(crate) combined: f32,
    /// `epsilon * sqrt(1 - beta_2^t)`, added to the second moment's root.
    pub(crate) epsilon: f32,
    /// The learning rate as the `f32` Burn's `mul_scalar` multiplies by.
    pub(crate) lr: f32,
    /// The L2 penalty, if any.
    pub(crate) weight_decay: Option<f32>,
}

impl Scalars {
    /// The numbers of the step after `state` (the first one without).
    pub(super) fn at<const D: usize>(
        weight_decay: Option<f32>,
        state: Option<&AdamState<D>>,
        lr: LearningRate,
    ) -> Self {
        let time = state.map_or(1, |s| s.momentum.time + 1);
        // `as i32`, as burn-optim converts it.
        let t = time as i32;
        let bias_correction_2 = (1.0 - BETA_2.powi(t)).sqrt();
        Scalars {
            time,
            beta_1: BETA_1,
            beta_2: BETA_2,
            factor_1: 1.0 - BETA_1,
            factor_2: 1.0 - BETA_2,
            combined: bias_correction_2 / (1.0 - BETA_1.powi(t)),
            epsilon: EPSILON * bias_correction_2,
            lr: lr as f32,
            weight_decay,
        }
    }
}
