//! The convolutions under autodiff: the forward keeps its operands in the operation's value,
//! and the backward is two GEMMs and a gather or scatter of [`super::kernel`].

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};

use super::ConvBackend;
use super::flex::{Conv, ConvTranspose};

#[derive(Debug)]
struct ConvStep;

impl Backward<Flex, 3> for ConvStep {
    type State = Conv;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d_out = grads.consume::<Flex>(&ops.node);
        let gradients = ops.state.backward(d_out);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, gradient);
            }
        }
    }
}

#[derive(Debug)]
struct ConvTransposeStep;

impl Backward<Flex, 3> for ConvTransposeStep {
    type State = ConvTranspose;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let d_out = grads.consume::<Flex>(&ops.node);
        let gradients = ops.state.backward(d_out);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, gradient);
            }
        }
    }
}

impl<C: CheckpointStrategy> ConvBackend for Autodiff<Flex, C> {
    fn conv1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), weight.node(), bias.node()];
        let bias = bias.into_primitive();
        let conv = Conv::new(
            x.into_primitive(),
            weight.into_primitive(),
            stride,
            [pad_left, pad_right],
        );
        let out = conv.forward(&bias);
        match ConvStep.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish(conv, out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }

    fn conv_transpose1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad: usize,
        pad_out: usize,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), weight.node(), bias.node()];
        let bias = bias.into_primitive();
        let conv = ConvTranspose::new(
            x.into_primitive(),
            weight.into_primitive(),
            stride,
            pad,
            pad_out,
        );
        let out = conv.forward(&bias);
        match ConvTransposeStep
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(conv, out),
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }
}
