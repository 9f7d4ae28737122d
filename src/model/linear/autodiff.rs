//! The Linear layer under autodiff: the forward keeps its operands in the operation's value,
//! the backward is [`Dense::backward`].

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex};
use burn_flex::FlexTensor;

use super::LinearBackend;
use super::flex::Dense;
use crate::model::flex_op::{Step, ThreeGradients};

impl ThreeGradients for Dense {
    fn gradients(&self, d_out: FlexTensor, [input, ..]: [bool; 3]) -> [FlexTensor; 3] {
        self.backward(d_out, input)
    }
}

impl<C: CheckpointStrategy> LinearBackend for Autodiff<Flex, C> {
    fn linear_pooled(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), weight.node(), bias.node()];
        let bias = bias.into_primitive();
        let dense = Dense::new(x.into_primitive(), weight.into_primitive());
        let out = dense.forward(&bias);
        Step::record::<C>(nodes, dense, out)
    }
}
