//! The convolutions under autodiff: the forward keeps its operands in the operation's value,
//! and the backward is two GEMMs and a gather or scatter of [`super::kernel`].

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};
use burn_flex::FlexTensor;

use super::ConvBackend;
use super::flex::{Conv, ConvTranspose};
use crate::model::flex_op::{Step, ThreeGradients};

impl ThreeGradients for Conv {
    fn gradients(&self, d_out: FlexTensor, [input, ..]: [bool; 3]) -> [FlexTensor; 3] {
        self.backward(d_out, input)
    }
}

impl ThreeGradients for ConvTranspose {
    fn gradients(&self, d_out: FlexTensor, [input, ..]: [bool; 3]) -> [FlexTensor; 3] {
        self.backward(d_out, input)
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
        Step::record::<C>(nodes, conv, out)
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
        Step::record::<C>(nodes, conv, out)
    }
}
