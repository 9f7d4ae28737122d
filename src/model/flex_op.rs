//! What the fused operations on Flex share ([`super::conv`], [`super::norm_activation`],
//! [`super::recurrence`]): contiguous `f32` views of Flex tensors in and new tensors out, and,
//! for operations of three inputs, the autodiff step: the forward keeps a state that computes
//! the three input gradients from the output's, and [`Step`] registers them.

use std::fmt::Debug;
use std::marker::PhantomData;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, NodeGuard, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};
use burn::tensor::{DType, Shape};
use burn_flex::{FlexTensor, Layout};

use super::workspace::Buffer;

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

impl<S: ThreeGradients> Step<S> {
    /// `out`, computed from the three inputs behind `nodes`, as an autodiff tensor whose
    /// backward is `state`'s (kept only when an input is tracked).
    pub(crate) fn record<C: CheckpointStrategy>(
        nodes: [NodeGuard; 3],
        state: S,
        out: FlexTensor,
    ) -> FloatTensor<Autodiff<Flex, C>> {
        match Step::<S>::new()
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(state, out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
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

/// A new Flex tensor of `values` in `shape`, whose allocation goes back to
/// [`super::workspace`]'s pool when Burn drops it.
///
/// # Panics
/// When `values` does not hold `shape`'s number of values: a broken internal invariant.
pub(crate) fn tensor<const D: usize>(values: impl Into<Buffer>, shape: [usize; D]) -> FlexTensor {
    let values = values.into();
    assert_eq!(
        values.len(),
        shape.iter().product::<usize>(),
        "values for {shape:?}"
    );
    FlexTensor::new(
        values.into_bytes(),
        Layout::contiguous(Shape::from(shape)),
        DType::F32,
    )
}

/// A new buffer of `runs.iter().sum()` values (a pooled one when it fits) written on rayon's
/// threads: run `i` (the next `runs[i]` values) is zeroed and handed to `f(i, run)` on the
/// thread that takes it, and the results come back in run order.
pub(crate) fn par_zeroed<R: Send>(
    runs: &[usize],
    f: impl Fn(usize, &mut [f32]) -> R + Sync,
) -> (Buffer, Vec<R>) {
    use rayon::prelude::*;

    let mut values = Buffer::take(runs.iter().sum());
    let mut rest: &mut [f32] = &mut values;
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
            part.fill(0.0);
            f(i, part)
        })
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workspace::MIN_POOLED_BYTES;

    #[test]
    fn a_tensor_over_a_buffer_is_read_and_written_in_place_and_copied_out_whole() {
        use burn::tensor::TensorData;
        let len = MIN_POOLED_BYTES / 4 + 17;
        let values: Vec<f32> = (0..len).map(|i| i as f32).collect();
        let moved = values.clone();
        let address = moved.as_ptr();
        let mut t = tensor(moved, [len]);
        assert_eq!(t.layout().shape().as_slice(), &[len]);
        let read = t.as_slice::<f32>().unwrap();
        assert!(read.as_ptr() == address && read == values, "read in place");
        // Burn's in-place path on a tensor it holds alone: the same allocation, written.
        let written = t
            .try_storage_mut::<f32>()
            .expect("a unique tensor is writable");
        assert_eq!(written.as_ptr(), address);
        written[3] = -1.0;
        // A shared tensor is copied out; a unique one too (the pool keeps the allocation).
        let shared = t.clone().into_data();
        assert_eq!(
            shared.as_slice::<f32>().unwrap()[..5],
            [0.0, 1.0, 2.0, -1.0, 4.0]
        );
        let data: TensorData = t.into_data();
        let copied = data.try_to_vec::<f32>().unwrap();
        assert_eq!(
            (copied.len(), copied[3], copied[len - 1]),
            (len, -1.0, (len - 1) as f32)
        );
        drop(data);
        // Dropped, the allocation is back in the pool, unless a parallel test took it first.
        let again = Buffer::take(len);
        if again.as_ptr() == address {
            assert_eq!((again[3], again[len - 1]), (-1.0, (len - 1) as f32));
        }
    }
}
