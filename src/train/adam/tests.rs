use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Distribution, Tensor};

use super::*;

/// A linear layer large enough for several update blocks (300 x 250 weights) and a small
/// convolution (rank 3 and 1 parameters).
#[derive(Module, Debug)]
struct Net {
    linear: Linear,
    conv: Conv1d,
}

impl Net {
    fn new(device: &Device) -> Self {
        Net {
            linear: LinearConfig::new(300, 250).init(device),
            conv: Conv1dConfig::new(5, 3, 7).init(device),
        }
    }

    fn loss(&self, x: Tensor<2>, y: Tensor<3>) -> Tensor<1> {
        let a = self.linear.forward(x).tanh().powi_scalar(2).mean();
        let b = self.conv.forward(y).sin().mean();
        (a + b).reshape([1])
    }

    fn bits(&self) -> Vec<u32> {
        let mut bits = Vec::new();
        let mut push = |t: Vec<f32>| bits.extend(t.iter().map(|v| v.to_bits()));
        push(values(self.linear.weight.val()));
        push(values(self.linear.bias.as_ref().unwrap().val()));
        push(values(self.conv.weight.val()));
        push(values(self.conv.bias.as_ref().unwrap().val()));
        bits
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// A network, inputs and targets drawn once: Burn's generator is process-wide, so tests
/// running in parallel must not draw between the runs they compare.
struct Setup {
    net: Net,
    x: Tensor<2>,
    y: Tensor<3>,
}

impl Setup {
    fn new() -> Self {
        let device = crate::device::default_device().autodiff();
        Setup {
            net: Net::new(&device),
            x: Tensor::random([16, 300], Distribution::Normal(0.0, 1.0), &device),
            y: Tensor::random([4, 5, 40], Distribution::Normal(0.0, 1.0), &device),
        }
    }

    /// `steps` optimizer steps from the same start, at a learning rate that changes every
    /// step: the parameters' bits after each step.
    fn trajectory(&self, mut optimizer: ModuleOptimizer, steps: usize) -> Vec<Vec<u32>> {
        let mut net = self.net.clone();
        (0..steps)
            .map(|step| {
                let loss = net.loss(self.x.clone(), self.y.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                let lr = 1e-2 / (1.0 + step as f64);
                net = optimizer.step(lr, net.clone(), grads);
                net.bits()
            })
            .collect()
    }
}

#[test]
fn gives_burns_adam_bits_step_by_step() {
    let setup = Setup::new();
    let fused = setup.trajectory(FusedAdam::new(None).init(None), 6);
    let burn = setup.trajectory(AdamConfig::new().init(), 6);
    for (step, (a, b)) in fused.iter().zip(&burn).enumerate() {
        assert!(
            a == b,
            "step {step}: the fused update differs from Burn's Adam"
        );
    }
    // The parameters moved: each step changed most of them.
    let start = setup.net.bits();
    let moved = start.iter().zip(&fused[5]).filter(|(a, b)| a != b).count();
    assert!(
        moved > start.len() * 9 / 10,
        "{moved} of {} moved",
        start.len()
    );
}

#[test]
fn gives_burns_adam_bits_with_weight_decay_and_clipping() {
    let setup = Setup::new();
    let fused = setup.trajectory(FusedAdam::new(Some(0.05)).init(Some(0.5)), 4);
    let burn = setup.trajectory(
        AdamConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(0.05)))
            .with_grad_clipping(Some(GradientClippingConfig::Norm(0.5)))
            .init(),
        4,
    );
    let plain = setup.trajectory(FusedAdam::new(None).init(None), 4);
    for (step, (a, b)) in fused.iter().zip(&burn).enumerate() {
        assert!(
            a == b,
            "step {step}: the fused update differs from Burn's Adam"
        );
    }
    assert!(
        fused[3] != plain[3],
        "the penalty and clipping changed nothing"
    );
}

#[test]
fn runs_fused_on_flex_parameters_only() {
    let device = crate::device::default_device();
    let t = Tensor::<2>::random([3, 4], Distribution::Default, &device);
    assert!(flex::applies(&t, &t.clone(), None));
    assert!(!flex::applies(&t, &t.clone().reshape([4, 3]), None));
    let tracked = Tensor::<2>::random([3, 4], Distribution::Default, &device.autodiff());
    assert!(tracked.device().is_autodiff());
    assert!(!flex::applies(&tracked, &tracked.clone(), None));
}

#[test]
fn step_updates_moments_in_place_and_counts_time() {
    let device = crate::device::default_device();
    let param = Tensor::<1>::from_floats([1.0, -2.0, 3.0], &device);
    let grad = Tensor::<1>::from_floats([0.5, 0.0, -1.0], &device);
    let optimizer = FusedAdam::new(None);
    let (param, state) = optimizer.step(0.1, param, grad.clone(), None);
    let (param, state) = optimizer.step(0.1, param, grad, state);
    let state = state.unwrap();
    assert_eq!(state.momentum.time, 2);
    // m1 = 0.9 * 0.1 g + 0.1 g = 0.19 g; the update of a constant gradient is lr * sign(g)
    // (bias-corrected, up to epsilon), so each moved by about 0.2 against its gradient.
    let m1 = values(state.momentum.moment_1);
    assert!((m1[0] - 0.095).abs() < 1e-6 && m1[1] == 0.0, "{m1:?}");
    let p = values(param);
    assert!(
        (p[0] - 0.8).abs() < 1e-3 && p[1] == -2.0 && (p[2] - 3.2).abs() < 1e-3,
        "{p:?}"
    );
}
