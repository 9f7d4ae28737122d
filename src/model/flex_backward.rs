//! The backward step shared by the fused operations of three inputs on Flex
//! ([`super::conv`], [`super::norm_activation`]): the forward keeps a state that computes the
//! three input gradients from the output's, and [`Step`] registers them with autodiff.

use std::fmt::Debug;
use std::marker::PhantomData;

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn_flex::FlexTensor;

/// A saved operation of three inputs: their gradients from `d_out`, in input order.
pub(crate) trait ThreeGradients: Clone + Send + Debug + 'static {
    fn gradients(&self, d_out: FlexTensor) -> [FlexTensor; 3];
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
        let gradients = ops.state.gradients(d_out);
        for (parent, gradient) in ops.parents.into_iter().zip(gradients) {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, gradient);
            }
        }
    }
}
