//! The fused recurrence operation (`model::recurrence`) against its oracle, the plain-ops
//! layer (`RecurrenceKernel::PlainOps`), with the same weights: outputs, final states and every
//! gradient (weights, biases, input, initial state) on random data of several shapes, stacks
//! and input kinds; plus where the operation applies.

// The fused operation exists only with the flex backend (`model::recurrence`).
#![cfg(feature = "flex")]

use crate::common::close::assert_close;
#[cfg(feature = "ndarray")]
use burn::module::Module;
use burn::nn::LstmState;
use burn::tensor::{DType, Device, Distribution, Gradients, Tensor};
use ecg_anomaly::model::recurrence::{Output, lstm_recurrence, lstm_sequence, supports};
use ecg_anomaly::model::{FusedLstm, FusedLstmConfig, LstmInput, RecurrenceKernel};

/// Relative tolerance on outputs and on gradients, against the largest magnitude compared.
const OUT_TOL: f32 = 2e-5;
const GRAD_TOL: f32 = 1e-4;

fn normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// One comparison: a stack of `layers`, hidden `h`, fed `input` from `state`.
struct Case {
    label: String,
    lstm: FusedLstm,
    input: LstmInput,
    /// Leaf tensors whose gradients are compared (the input and the initial state, if tracked).
    leaves: Vec<Tensor<2>>,
    leaves3: Vec<Tensor<3>>,
    state: Option<Vec<LstmState<2>>>,
}

impl Case {
    fn run(&self, kernel: RecurrenceKernel) -> (Tensor<3>, Vec<LstmState<2>>) {
        self.lstm
            .forward_with(self.input.clone(), self.state.clone(), kernel)
    }

    /// Outputs, final states and every gradient, fused against plain ops.
    fn check(&self) {
        let device = self.lstm.layers[0].hidden_weight.val().device();
        let (out_f, fin_f) = self.run(RecurrenceKernel::Auto);
        let (out_p, fin_p) = self.run(RecurrenceKernel::PlainOps);
        let [batch, seq, h] = out_p.dims();
        let label = &self.label;
        assert_close(
            &format!("{label}: outputs"),
            out_f.clone(),
            out_p.clone(),
            OUT_TOL,
        );
        // A loss touching every output and every final state with distinct random weights.
        let probe_out = normal([batch, seq, h], &device);
        let probes: Vec<(Tensor<2>, Tensor<2>)> = fin_p
            .iter()
            .map(|_| (normal([batch, h], &device), normal([batch, h], &device)))
            .collect();
        let finals_loss = |finals: Vec<LstmState<2>>| {
            let terms = finals.into_iter().zip(&probes).map(|(state, (ph, pc))| {
                (state.hidden * ph.clone()).sum() + (state.cell * pc.clone()).sum()
            });
            terms
                .reduce(|a, b| a + b)
                .expect("a stack has at least one layer")
        };
        let hidden_loss = |out: Tensor<3>| (out * probe_out.clone()).sum();
        let loss = |out, finals| hidden_loss(out) + finals_loss(finals);
        for (l, (f, p)) in fin_f.iter().zip(&fin_p).enumerate() {
            assert_close(
                &format!("{label}: layer {l} final h"),
                f.hidden.clone(),
                p.hidden.clone(),
                OUT_TOL,
            );
            assert_close(
                &format!("{label}: layer {l} final c"),
                f.cell.clone(),
                p.cell.clone(),
                OUT_TOL,
            );
        }
        // The whole output, then the final states alone (`final_states`: the top layer's fused
        // operation outputs only `[B, 2, H]`), then the hidden states alone (`hidden_states`:
        // no final cell), each with its own gradients.
        let finals_f = self
            .lstm
            .final_states(self.input.clone(), self.state.clone());
        let hidden_f = self
            .lstm
            .hidden_states(self.input.clone(), self.state.clone());
        assert_close(
            &format!("{label}: hidden_states"),
            hidden_f.clone(),
            out_p.clone(),
            OUT_TOL,
        );
        assert_eq!(
            finals_f.len(),
            fin_p.len(),
            "{label}: final_states per layer"
        );
        for (l, (f, p)) in finals_f.iter().zip(&fin_p).enumerate() {
            let pairs = [("h", &f.hidden, &p.hidden), ("c", &f.cell, &p.cell)];
            for (name, f, p) in pairs {
                let what = format!("{label}: final_states, layer {l} {name}");
                assert_close(&what, f.clone(), p.clone(), OUT_TOL);
            }
        }
        // Burn keeps no graph after a backward pass: each plain-ops loss gets its own forward.
        let plain = || self.run(RecurrenceKernel::PlainOps);
        let grads_finals_f = finals_loss(finals_f).backward();
        let grads_finals_p = finals_loss(plain().1).backward();
        let grads_hidden_f = hidden_loss(hidden_f).backward();
        let grads_hidden_p = hidden_loss(plain().0).backward();
        let grads_f = loss(out_f, fin_f).backward();
        let grads_p = loss(out_p, fin_p).backward();
        self.compare_grads("", &grads_f, &grads_p);
        self.compare_grads(" (final_states)", &grads_finals_f, &grads_finals_p);
        self.compare_grads(" (hidden_states)", &grads_hidden_f, &grads_hidden_p);
    }

    /// Every gradient the fused run gave (`grads_f`) against the plain-ops one (`grads_p`).
    fn compare_grads(&self, what: &str, grads_f: &Gradients, grads_p: &Gradients) {
        let label = format!("{}{what}", self.label);
        for (l, layer) in self.lstm.layers.iter().enumerate() {
            let pairs = [
                (
                    "W_ih",
                    layer.input_weight.grad(grads_f),
                    layer.input_weight.grad(grads_p),
                ),
                (
                    "W_hh",
                    layer.hidden_weight.grad(grads_f),
                    layer.hidden_weight.grad(grads_p),
                ),
            ];
            for (name, f, p) in pairs {
                // One step from a zero state never reads W_hh: plain ops leave it out of the
                // graph (no gradient), the fused operation gives zeros.
                let p = p.unwrap_or_else(|| f.clone().unwrap().zeros_like());
                assert_close(
                    &format!("{label}: layer {l} d/d{name}"),
                    f.unwrap(),
                    p,
                    GRAD_TOL,
                );
            }
            let (f, p) = (layer.bias.grad(grads_f), layer.bias.grad(grads_p));
            assert_close(
                &format!("{label}: layer {l} d/db"),
                f.unwrap(),
                p.unwrap(),
                GRAD_TOL,
            );
        }
        for (k, leaf) in self.leaves.iter().enumerate() {
            let (f, p) = (leaf.grad(grads_f), leaf.grad(grads_p));
            assert_close(
                &format!("{label}: leaf {k}"),
                f.unwrap(),
                p.unwrap(),
                GRAD_TOL,
            );
        }
        for leaf in &self.leaves3 {
            let (f, p) = (leaf.grad(grads_f), leaf.grad(grads_p));
            assert_close(&format!("{label}: input"), f.unwrap(), p.unwrap(), GRAD_TOL);
        }
    }
}

fn autodiff_device(seed: u64) -> Device {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(seed);
    device
}

fn stack(d_in: usize, h: usize, layers: usize, device: &Device) -> FusedLstm {
    FusedLstmConfig {
        d_input: d_in,
        d_hidden: h,
        layers,
        ..Default::default()
    }
    .init(device)
    .unwrap()
}

/// (batch, seq, input, hidden): one row, odd sizes, and batches that split over threads.
const SHAPES: [(usize, usize, usize, usize); 5] = [
    (1, 1, 1, 1),
    (2, 5, 3, 4),
    (3, 17, 1, 8),
    (9, 33, 6, 16),
    (20, 12, 2, 5),
];

#[test]
fn sequence_input_matches_plain_ops_for_every_shape_and_stack() {
    for (seed, &(batch, seq, d_in, h)) in SHAPES.iter().enumerate() {
        for layers in [1, 2] {
            for tracked in [false, true] {
                let device = autodiff_device(seed as u64);
                let x = normal([batch, seq, d_in], &device);
                let x = if tracked { x.require_grad() } else { x };
                Case {
                    label: format!(
                        "shape {:?}, {layers} layers, tracked {tracked}",
                        SHAPES[seed]
                    ),
                    lstm: stack(d_in, h, layers, &device),
                    input: LstmInput::Sequence(x.clone()),
                    leaves: Vec::new(),
                    leaves3: if tracked { vec![x] } else { Vec::new() },
                    state: None,
                }
                .check();
            }
        }
    }
}

#[test]
fn initial_state_gradients_match_plain_ops() {
    let (batch, seq, d_in, h) = (6, 21, 3, 7);
    let device = autodiff_device(40);
    let states: Vec<LstmState<2>> = (0..2)
        .map(|_| {
            let cell = normal([batch, h], &device).mul_scalar(0.5).require_grad();
            let hidden = normal([batch, h], &device).mul_scalar(0.5).require_grad();
            LstmState::new(cell, hidden)
        })
        .collect();
    let leaves = states
        .iter()
        .flat_map(|s| [s.cell.clone(), s.hidden.clone()])
        .collect();
    Case {
        label: "initial state".into(),
        lstm: stack(d_in, h, 2, &device),
        input: LstmInput::Sequence(normal([batch, seq, d_in], &device)),
        leaves,
        leaves3: Vec::new(),
        state: Some(states),
    }
    .check();
}

#[test]
fn constant_inputs_match_plain_ops() {
    let (batch, seq, d_c, d_s, h) = (10, 19, 4, 6, 9);
    let device = autodiff_device(41);
    let z = normal([batch, d_c], &device).require_grad();
    let shared = normal([seq, d_s], &device).require_grad();
    Case {
        label: "constant".into(),
        lstm: stack(d_c, h, 1, &device),
        input: LstmInput::Constant(z.clone(), seq),
        leaves: vec![z.clone()],
        leaves3: Vec::new(),
        state: None,
    }
    .check();
    Case {
        label: "constant with shared steps".into(),
        lstm: stack(d_c + d_s, h, 2, &device),
        input: LstmInput::ConstantWithShared(z.clone(), shared.clone()),
        leaves: vec![z, shared],
        leaves3: Vec::new(),
        state: None,
    }
    .check();
}

/// Over 300 steps the gradient reaching early steps shrinks towards the subnormal range,
/// which the fused kernel flushes to zero; it still equals the plain-ops gradient.
#[test]
fn long_sequences_match_plain_ops() {
    let device = autodiff_device(42);
    let x = normal([4, 300, 1], &device);
    Case {
        label: "300 steps".into(),
        lstm: stack(1, 12, 1, &device),
        input: LstmInput::Sequence(x),
        leaves: Vec::new(),
        leaves3: Vec::new(),
        state: None,
    }
    .check();
}

#[test]
fn inference_on_flex_matches_plain_ops() {
    let device = ecg_anomaly::device::default_device();
    device.seed(43);
    let lstm = stack(3, 10, 2, &device);
    let x = normal([17, 25, 3], &device);
    let input = LstmInput::Sequence(x);
    let (out_f, fin_f) = lstm.forward_with(input.clone(), None, RecurrenceKernel::Auto);
    let hidden_f = lstm.hidden_states(input.clone(), None);
    let finals_f = lstm.final_states(input.clone(), None);
    let (out_p, fin_p) = lstm.forward_with(input, None, RecurrenceKernel::PlainOps);
    assert_close("inference outputs", out_f, out_p.clone(), OUT_TOL);
    assert_close("inference hidden_states", hidden_f, out_p, OUT_TOL);
    for (what, fin) in [("forward_with", &fin_f), ("final_states", &finals_f)] {
        for (name, f, p) in [
            ("h", &fin[1].hidden, &fin_p[1].hidden),
            ("c", &fin[1].cell, &fin_p[1].cell),
        ] {
            let what = format!("inference {what}: final {name}");
            assert_close(&what, f.clone(), p.clone(), OUT_TOL);
        }
    }
}

#[test]
#[allow(deprecated)] // Device::ndarray: the backend is deprecated, still supported here
fn the_operation_applies_to_flex_f32_only() {
    let flex = ecg_anomaly::device::default_device();
    assert!(supports(&flex, DType::F32));
    assert!(supports(&flex.clone().autodiff(), DType::F32));
    assert!(!supports(&flex, DType::F64));
    #[cfg(feature = "ndarray")]
    let ndarray = Device::ndarray();
    #[cfg(feature = "ndarray")]
    assert!(!supports(&ndarray, DType::F32));
    let (b, t, h) = (2, 3, 4);
    let op = |device: &Device, whh_rows: usize| {
        lstm_recurrence(
            normal([b, t, 4 * h], device),
            normal([1, 4 * h], device),
            normal([whh_rows, 4 * h], device),
            Tensor::zeros([b, h], device),
            Tensor::zeros([b, h], device),
            t,
            Output::All,
        )
    };
    // Elsewhere, or with shapes that disagree, the caller is told to fall back.
    #[cfg(feature = "ndarray")]
    assert!(op(&ndarray, h).is_none());
    assert!(op(&flex, h + 1).is_none());
    let out = op(&flex, h).expect("flex runs the fused recurrence");
    assert_eq!(out.dims(), [b, t + 1, h]);
    let sequence = |device: &Device, wih_rows: usize| {
        lstm_sequence(
            normal([b, t, 3], device),
            normal([wih_rows, 4 * h], device),
            normal([1, 4 * h], device),
            normal([h, 4 * h], device),
            Tensor::zeros([b, h], device),
            Tensor::zeros([b, h], device),
            Output::Final,
        )
    };
    #[cfg(feature = "ndarray")]
    assert!(sequence(&ndarray, 3).is_none());
    assert!(sequence(&flex, 2).is_none());
    assert_eq!(sequence(&flex, 3).expect("flex").dims(), [b, 2, h]);
}

/// On ndarray, `Auto` falls back to plain ops and gives the same numbers as on flex.
#[cfg(feature = "ndarray")]
#[test]
#[allow(deprecated)] // Device::ndarray: the backend is deprecated, still supported here
fn other_backends_fall_back_to_plain_ops() {
    let flex = ecg_anomaly::device::default_device();
    flex.seed(44);
    let lstm = stack(2, 6, 1, &flex);
    let x = normal([5, 9, 2], &flex);
    let (out_flex, _) = lstm.forward(x.clone(), None);
    let ndarray = Device::ndarray();
    let lstm = lstm.to_device(&ndarray);
    let x = Tensor::<3>::from_data(x.into_data(), &ndarray);
    let (out_nd, _) = lstm.forward(x, None);
    let out_nd = Tensor::<3>::from_data(out_nd.into_data(), &flex);
    assert_close("ndarray against flex", out_nd, out_flex, OUT_TOL);
}
