//! Adam as burn-optim's `Adam` computes it, in one pass per parameter on Flex.
//!
//! Burn's `Adam` updates a parameter with about a dozen element-wise tensor operations, each
//! writing a fresh tensor: on a 2-core AMD EPYC they took 8 % of a ConvVae training step, on
//! the calling thread while the other cores waited. [`FusedAdam`] runs the same arithmetic in
//! the same order, so it gives the same bits (the tests compare it with Burn's `Adam` step by
//! step), as one pass that updates the parameter and both moments in place, split across
//! rayon's threads, when the parameter is an `f32` tensor on Flex; elsewhere (wgpu, ndarray,
//! other dtypes) it is Burn's `Adam`. Its state is Burn's [`AdamState`], so the two optimizers'
//! records are interchangeable.

#[cfg(feature = "flex")]
mod flex;
#[cfg(all(test, feature = "flex"))]
mod tests;

use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{Adam, AdamConfig, AdamState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{Device, Tensor};

/// Adam's first-moment decay: burn-optim's default.
const BETA_1: f32 = 0.9;
/// Adam's second-moment decay: burn-optim's default.
const BETA_2: f32 = 0.999;
/// Added to the root of the second moment: burn-optim's default.
const EPSILON: f32 = 1e-5;

/// Adam with burn-optim's defaults (`beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-5, no
/// AMSGrad) and an optional L2 penalty on the gradients; see the module docs for how it runs.
/// Wrap it in a [`ModuleOptimizer`] ([`FusedAdam::init`]) to optimise a whole module.
#[derive(Clone)]
pub struct FusedAdam {
    /// The same settings as Burn's optimizer: what runs off Flex.
    burn: Adam,
    /// L2 penalty added to each gradient (`penalty * parameter`), none when `None`.
    weight_decay: Option<f32>,
}

impl std::fmt::Debug for FusedAdam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FusedAdam")
            .field("weight_decay", &self.weight_decay)
            .finish_non_exhaustive()
    }
}

impl FusedAdam {
    /// Adam adding `weight_decay * parameter` to every gradient (Burn's `WeightDecayConfig`);
    /// `None` for plain Adam.
    pub fn new(weight_decay: Option<f32>) -> Self {
        let burn = AdamConfig::new()
            .with_beta_1(BETA_1)
            .with_beta_2(BETA_2)
            .with_epsilon(EPSILON)
            .with_weight_decay(weight_decay.map(WeightDecayConfig::new))
            .build();
        FusedAdam { burn, weight_decay }
    }

    /// The optimizer for a whole module, clipping each parameter's gradient to L2 norm
    /// `clip_norm` first when given (Burn's `GradientClippingConfig::Norm`).
    pub fn init(self, clip_norm: Option<f32>) -> ModuleOptimizer {
        let optimizer = ModuleOptimizer::from(self);
        match clip_norm {
            Some(norm) => optimizer.with_grad_clipping(GradientClippingConfig::Norm(norm).init()),
            None => optimizer,
        }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        #[cfg(feature = "flex")]
        if flex::applies(&tensor, &grad, state.as_ref()) {
            let scalars = flex::Scalars::at(self.weight_decay, state.as_ref(), lr);
            return flex::step(tensor, grad, state, scalars);
        }
        self.burn.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}
