//! The operations under autodiff: each forward saves what its backward reads, and the
//! backward is one pass of [`super::kernel`] (per-channel sums, then the input gradient).

use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Flex};

use burn_flex::FlexTensor;

use super::NormActivationBackend;
use super::flex::{self, Affine, TrainSaved};
use super::kernel::Activation;
use crate::model::flex_op::{Step, ThreeGradients};

impl ThreeGradients for TrainSaved {
    fn gradients(&self, d_out: FlexTensor, _: [bool; 3]) -> [FlexTensor; 3] {
        flex::backward_train(self, d_out)
    }
}

impl ThreeGradients for Affine {
    fn gradients(&self, d_out: FlexTensor, _: [bool; 3]) -> [FlexTensor; 3] {
        self.backward(d_out)
    }
}

impl<C: CheckpointStrategy> NormActivationBackend for Autodiff<Flex, C> {
    fn norm_leaky_dropout(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        slope: f64,
        dropout: f64,
        seed: u64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let nodes = [x.node(), gamma.node(), beta.node()];
        let activation = Activation {
            slope: slope as f32,
            dropout,
            seed,
        };
        let (out, stats, saved) = flex::forward_train(
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
            epsilon,
            activation,
        );
        let out = Step::record::<C>(nodes, saved, out);
        (out, Self::from_inner(stats))
    }

    fn scale_shift_leaky(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        slope: f64,
    ) -> FloatTensor<Self> {
        let nodes = [x.node(), scale.node(), shift.node()];
        let affine = Affine::new(
            x.into_primitive(),
            scale.into_primitive(),
            shift.into_primitive(),
            slope,
        );
        let out = affine.forward();
        Step::record::<C>(nodes, affine, out)
    }
}
