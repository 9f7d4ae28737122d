//! What the fused operations on Flex share ([`super::conv`], [`super::norm_activation`],
//! [`super::recurrence`]): contiguous `f32` views of Flex tensors in and new tensors out, and,
//! for operations of three inputs, the autodiff step: the forward keeps a state that computes
//! the three input gradients from the output's, and [`Step`] registers them.

use std::fmt::Debug;
use std::marker::PhantomData;

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::tensor::TensorData;
use burn_flex::FlexTensor;

/// A saved operation of three inputs: their gradients from `d_out`, in input order. An input
/// whose `needed` entry is false (a tensor that needs no gradient, like the data a first layer
/// reads) may get zeros instead: its gradient is dropped.
pub(crate) trait ThreeGradients: Clone + Send + Debug + 'static {
    fn gradients(&self, d_out: FlexTensor, needed: [bool; 3]) -> [FlexTensor; 3];
}

/// The autodiff step of an operation whose state is `S`.
#[derive(Debug)]
pub(crate) struct Step<S>(PhantomData<S>);

impl<S> Step<S> {
    pub(crate) fn new() -> Self {
        Step(PhantomData)
    }
}

impl<S: ThreeGradients> Backward<Flex, 3> for Step<S> {
    type State = S;

    fn backward(self, ops: Ops<S, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d_out = grads.consume::<Flex>(&ops.node);
        let needed = ops.parents.each_ref().map(Option::is_some);
        let gradients = ops.state.gradients(d_out, needed);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, gradient);
            }
        }
    }
}

/// `t`, copied into a contiguous layout when it is not.
pub(crate) fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.layout().contiguous_offsets().is_some() {
        t
    } else {
        t.to_contiguous()
    }
}

/// The values of `t`, copied out in order.
pub(crate) fn to_vec(t: &FlexTensor) -> Vec<f32> {
    values(&contiguous(t.clone())).to_vec()
}

/// A contiguous `f32` tensor's values.
pub(crate) fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .unwrap_or_else(|| unreachable!("operands are contiguous f32 (checked by the wrapper)"))
}

/// A new Flex tensor of `values` in `shape`.
pub(crate) fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// A new vector of `runs.iter().sum()` values written on rayon's threads: run `i` (the next
/// `runs[i]` values) is zeroed and handed to `f(i, run)` on the thread that takes it, and the
/// results come back in run order. `vec![0.0; len]` followed by a parallel loop zeroes (and
/// first touches, page by page) the whole output serially on the caller's thread instead.
pub(crate) fn par_zeroed<R: Send>(
    runs: &[usize],
    f: impl Fn(usize, &mut [f32]) -> R + Sync,
) -> (Vec<f32>, Vec<R>) {
    use rayon::prelude::*;
    use std::mem::MaybeUninit;

    let len = runs.iter().sum();
    let mut values: Vec<f32> = Vec::with_capacity(len);
    let mut rest = &mut values.spare_capacity_mut()[..len];
    let mut parts = Vec::with_capacity(runs.len());
    for &run in runs {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(run);
        parts.push(part);
        rest = tail;
    }
    let results = parts
        .into_par_iter()
        .enumerate()
        .map(|(i, part)| {
            part.fill(MaybeUninit::new(0.0));
            // SAFETY: every element of `part` has just been written, and `MaybeUninit<f32>`
            // has the layout of `f32`.
            let part = unsafe { &mut *(part as *mut [MaybeUninit<f32>] as *mut [f32]) };
            f(i, part)
        })
        .collect();
    // SAFETY: the runs cover the first `len` values of the capacity and each was written
    // above; had `f` panicked, the panic would have left through `collect` before this line.
    unsafe { values.set_len(len) };
    (values, results)
}

/// `total` values cut into runs of `run` (the last one shorter): the runs of [`par_zeroed`]
/// for an output processed in blocks.
pub(crate) fn runs_of(total: usize, run: usize) -> Vec<usize> {
    let run = run.max(1);
    (0..total.div_ceil(run))
        .map(|i| run.min(total - i * run))
        .collect()
}
