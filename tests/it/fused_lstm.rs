//! The fused LSTM against Burn's reference `burn::nn::Lstm` with the same weights: outputs,
//! final states and gradients (input and every weight), on random data of several shapes.
#![cfg(feature = "burn")]

use burn::module::Param;
use burn::nn::{GateController, Linear, Lstm, LstmConfig, LstmState};
use burn::tensor::{Device, Distribution, Tensor};
use ecg_anomaly::model::{FusedLstm, FusedLstmConfig, FusedLstmLayer};

/// Output tolerance (absolute) between the fused and the reference LSTM.
const OUT_TOL: f32 = 1e-5;
/// Gradient tolerance (absolute).
const GRAD_TOL: f32 = 1e-4;

/// (batch, seq, input, hidden).
const SHAPES: [(usize, usize, usize, usize); 3] = [(2, 5, 3, 4), (3, 17, 1, 8), (4, 33, 6, 16)];

fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    let a = a.into_data().try_to_vec::<f32>().unwrap();
    let b = b.into_data().try_to_vec::<f32>().unwrap();
    assert!(a.iter().all(|v| v.is_finite()), "non-finite values");
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn assert_close<const D: usize>(what: &str, a: Tensor<D>, b: Tensor<D>, tol: f32) {
    let diff = max_abs_diff(a, b);
    assert!(diff <= tol, "{what}: max |diff| {diff:e} > {tol:e}");
}

/// A fresh leaf tensor holding `t`'s values (so the reference has its own gradients).
fn leaf<const D: usize>(t: Tensor<D>, device: &Device) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::from_data(t.into_data(), device))
}

fn linear(weight: Tensor<2>, bias: Tensor<1>, device: &Device) -> Linear {
    Linear {
        weight: leaf(weight, device),
        bias: Some(leaf(bias, device)),
    }
}

/// A `burn::nn::Lstm` whose gates are column blocks `i, f, g, o` of the fused layer; the fused
/// bias goes to the input transforms, the hidden transforms get zero bias.
fn reference(layer: &FusedLstmLayer, device: &Device) -> Lstm {
    let h = layer.d_hidden();
    let [d_in, _] = layer.input_weight.dims();
    let gate = |k: usize| GateController {
        input_transform: linear(
            layer.input_weight.val().narrow(1, k * h, h),
            layer.bias.val().narrow(0, k * h, h),
            device,
        ),
        hidden_transform: linear(
            layer.hidden_weight.val().narrow(1, k * h, h),
            Tensor::zeros([h], device),
            device,
        ),
    };
    let mut lstm = LstmConfig::new(d_in, h, true).init(device);
    lstm.input_gate = gate(0);
    lstm.forget_gate = Some(gate(1));
    lstm.cell_gate = gate(2);
    lstm.output_gate = gate(3);
    lstm
}

fn gates(lstm: &Lstm) -> [&GateController; 4] {
    let forget = lstm.forget_gate.as_ref().unwrap();
    [&lstm.input_gate, forget, &lstm.cell_gate, &lstm.output_gate]
}

/// A scalar loss touching every output and both final states, with random weights so that
/// each element gets a distinct gradient.
struct Probe {
    out: Tensor<3>,
    hidden: Tensor<2>,
    cell: Tensor<2>,
}

impl Probe {
    fn new(batch: usize, seq: usize, h: usize, device: &Device) -> Self {
        let d = Distribution::Normal(0.0, 1.0);
        Self {
            out: Tensor::random([batch, seq, h], d, device),
            hidden: Tensor::random([batch, h], d, device),
            cell: Tensor::random([batch, h], d, device),
        }
    }

    fn loss(&self, out: Tensor<3>, state: LstmState<2>) -> Tensor<1> {
        (out * self.out.clone()).sum()
            + (state.hidden * self.hidden.clone()).sum()
            + (state.cell * self.cell.clone()).sum()
    }
}

/// Compares one fused layer with the reference on `device`, with the input tracked or not.
fn compare_one_layer(shape: (usize, usize, usize, usize), track_input: bool, seed: u64) {
    let (batch, seq, d_in, h) = shape;
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(seed);
    let fused = FusedLstmConfig {
        d_input: d_in,
        d_hidden: h,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let layer = &fused.layers[0];
    let reference = reference(layer, &device);
    let x = Tensor::<3>::random([batch, seq, d_in], Distribution::Normal(0.0, 1.0), &device);
    let x = if track_input { x.require_grad() } else { x };
    let probe = Probe::new(batch, seq, h, &device);
    let label = format!("shape {shape:?}, tracked input {track_input}");

    let (out_f, states_f) = fused.forward(x.clone(), None);
    let final_f = states_f.into_iter().next().unwrap();
    let (out_r, final_r) = reference.forward(x.clone(), None);
    assert_close(
        &format!("{label}: outputs"),
        out_f.clone(),
        out_r.clone(),
        OUT_TOL,
    );
    assert_close(
        &format!("{label}: final h"),
        final_f.hidden.clone(),
        final_r.hidden.clone(),
        OUT_TOL,
    );
    assert_close(
        &format!("{label}: final c"),
        final_f.cell.clone(),
        final_r.cell.clone(),
        OUT_TOL,
    );

    let grads_f = probe.loss(out_f, final_f).backward();
    let grads_r = probe.loss(out_r, final_r).backward();
    if track_input {
        // Both forwards used the same leaf `x`; each backward gives its own gradient.
        assert_close(
            &format!("{label}: d/dx"),
            x.grad(&grads_f).unwrap(),
            x.grad(&grads_r).unwrap(),
            GRAD_TOL,
        );
    }
    let w_ih = layer.input_weight.grad(&grads_f).unwrap();
    let w_hh = layer.hidden_weight.grad(&grads_f).unwrap();
    let bias = layer.bias.grad(&grads_f).unwrap();
    for (k, gate) in gates(&reference).into_iter().enumerate() {
        let block = |t: Tensor<2>| t.narrow(1, k * h, h);
        let input = &gate.input_transform;
        let hidden = &gate.hidden_transform;
        let gate_label = format!("{label}: gate {k}");
        assert_close(
            &format!("{gate_label} d/dW_ih"),
            block(w_ih.clone()),
            input.weight.grad(&grads_r).unwrap(),
            GRAD_TOL,
        );
        assert_close(
            &format!("{gate_label} d/dW_hh"),
            block(w_hh.clone()),
            hidden.weight.grad(&grads_r).unwrap(),
            GRAD_TOL,
        );
        let bias_r = input.bias.as_ref().unwrap().grad(&grads_r).unwrap();
        assert_close(
            &format!("{gate_label} d/db"),
            bias.clone().narrow(0, k * h, h),
            bias_r,
            GRAD_TOL,
        );
    }
}

#[test]
fn one_layer_matches_burn_lstm_with_tracked_input() {
    for (i, shape) in SHAPES.into_iter().enumerate() {
        compare_one_layer(shape, true, 10 + i as u64);
    }
}

#[test]
fn one_layer_matches_burn_lstm_with_data_input() {
    for (i, shape) in SHAPES.into_iter().enumerate() {
        compare_one_layer(shape, false, 20 + i as u64);
    }
}

/// Two stacked fused layers equal two chained reference LSTMs, outputs and weight gradients.
#[test]
fn two_layers_match_chained_burn_lstms() {
    let (batch, seq, d_in, h) = (3, 12, 2, 6);
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(7);
    let fused = FusedLstmConfig {
        d_input: d_in,
        d_hidden: h,
        layers: 2,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let refs: Vec<Lstm> = fused.layers.iter().map(|l| reference(l, &device)).collect();
    let x = Tensor::<3>::random([batch, seq, d_in], Distribution::Normal(0.0, 1.0), &device);
    let probe = Probe::new(batch, seq, h, &device);

    let (out_f, mut finals_f) = fused.forward(x.clone(), None);
    let (mid, final0_r) = refs[0].forward(x, None);
    let (out_r, final1_r) = refs[1].forward(mid, None);
    assert_eq!(finals_f.len(), 2);
    assert_close(
        "layer 0 final h",
        finals_f[0].hidden.clone(),
        final0_r.hidden,
        OUT_TOL,
    );
    assert_close("outputs", out_f.clone(), out_r.clone(), OUT_TOL);

    let grads_f = probe.loss(out_f, finals_f.pop().unwrap()).backward();
    let grads_r = probe.loss(out_r, final1_r).backward();
    for (layer, reference) in fused.layers.iter().zip(&refs) {
        let w_hh = layer.hidden_weight.grad(&grads_f).unwrap();
        let w_ih = layer.input_weight.grad(&grads_f).unwrap();
        for (k, gate) in gates(reference).into_iter().enumerate() {
            let ih = gate.input_transform.weight.grad(&grads_r).unwrap();
            let hh = gate.hidden_transform.weight.grad(&grads_r).unwrap();
            assert_close("d/dW_ih", w_ih.clone().narrow(1, k * h, h), ih, GRAD_TOL);
            assert_close("d/dW_hh", w_hh.clone().narrow(1, k * h, h), hh, GRAD_TOL);
        }
    }
}

/// The constant-input path equals feeding the repeated vector as a sequence, with gradients.
#[test]
fn constant_input_equals_repeated_sequence() {
    let (batch, seq, d_in, h) = (3, 9, 5, 7);
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(3);
    let fused: FusedLstm = FusedLstmConfig {
        d_input: d_in,
        d_hidden: h,
        layers: 2,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let z =
        Tensor::<2>::random([batch, d_in], Distribution::Normal(0.0, 1.0), &device).require_grad();
    let probe = Probe::new(batch, seq, h, &device);

    let (out_c, mut fin_c) = fused.forward_constant(z.clone(), seq, None);
    let repeated = z.clone().unsqueeze_dim::<3>(1).repeat_dim(1, seq);
    let (out_s, mut fin_s) = fused.forward(repeated, None);
    assert_close("outputs", out_c.clone(), out_s.clone(), OUT_TOL);

    let grads_c = probe.loss(out_c, fin_c.pop().unwrap()).backward();
    let grads_s = probe.loss(out_s, fin_s.pop().unwrap()).backward();
    assert_close(
        "d/dz",
        z.grad(&grads_c).unwrap(),
        z.grad(&grads_s).unwrap(),
        GRAD_TOL,
    );
    let w = &fused.layers[0].input_weight;
    assert_close(
        "d/dW_ih",
        w.grad(&grads_c).unwrap(),
        w.grad(&grads_s).unwrap(),
        GRAD_TOL,
    );
}

/// The constant-plus-shared path (a decoder's code beside a time code) equals feeding the
/// concatenated sequence, outputs and gradients alike.
#[test]
fn constant_with_shared_steps_equals_the_concatenated_sequence() {
    let (batch, seq, d_c, d_s, h) = (3, 11, 4, 3, 6);
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(4);
    let fused: FusedLstm = FusedLstmConfig {
        d_input: d_c + d_s,
        d_hidden: h,
        layers: 2,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let z =
        Tensor::<2>::random([batch, d_c], Distribution::Normal(0.0, 1.0), &device).require_grad();
    let shared = Tensor::<2>::random([seq, d_s], Distribution::Normal(0.0, 1.0), &device);
    let probe = Probe::new(batch, seq, h, &device);

    let (out_c, mut fin_c) = fused.forward_constant_with_shared(z.clone(), shared.clone(), None);
    let repeated = z.clone().unsqueeze_dim::<3>(1).repeat_dim(1, seq);
    let steps = shared.unsqueeze_dim::<3>(0).repeat_dim(0, batch);
    let (out_s, mut fin_s) = fused.forward(Tensor::cat(vec![repeated, steps], 2), None);
    assert_close("outputs", out_c.clone(), out_s.clone(), OUT_TOL);

    let grads_c = probe.loss(out_c, fin_c.pop().unwrap()).backward();
    let grads_s = probe.loss(out_s, fin_s.pop().unwrap()).backward();
    assert_close(
        "d/dz",
        z.grad(&grads_c).unwrap(),
        z.grad(&grads_s).unwrap(),
        GRAD_TOL,
    );
    for (name, layer) in [("layer 0", 0), ("layer 1", 1)] {
        let w = &fused.layers[layer].input_weight;
        let (a, b) = (w.grad(&grads_c).unwrap(), w.grad(&grads_s).unwrap());
        assert_close(name, a, b, GRAD_TOL);
    }
}

/// On a plain (inference) device the projection is one whole-sequence matmul; its result
/// equals the reference LSTM too, and an initial state is honoured.
#[test]
fn inference_path_matches_burn_lstm_with_initial_state() {
    let (batch, seq, d_in, h) = (4, 20, 3, 8);
    let device = ecg_anomaly::device::default_device();
    device.seed(5);
    let fused = FusedLstmConfig {
        d_input: d_in,
        d_hidden: h,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let reference = reference(&fused.layers[0], &device);
    let x = Tensor::<3>::random([batch, seq, d_in], Distribution::Normal(0.0, 1.0), &device);
    let state = || {
        let d = Distribution::Normal(0.0, 0.5);
        let cell = Tensor::random([batch, h], d, &device);
        let hidden = Tensor::random([batch, h], d, &device);
        LstmState::new(cell, hidden)
    };
    let initial = state();
    let (out_f, fin_f) = fused.forward(x.clone(), Some(vec![initial.clone()]));
    let (out_r, fin_r) = reference.forward(x, Some(initial));
    assert_close("outputs", out_f, out_r, OUT_TOL);
    assert_close("final c", fin_f[0].cell.clone(), fin_r.cell, OUT_TOL);
}

/// Saturated gates (huge inputs) stay finite in forward and backward: `exp` is clamped.
#[test]
fn saturated_gates_give_finite_gradients() {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(11);
    let fused = FusedLstmConfig {
        d_input: 2,
        d_hidden: 4,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let x = Tensor::<3>::random([2, 50, 2], Distribution::Normal(0.0, 1.0), &device)
        .mul_scalar(1e4)
        .require_grad();
    let (out, _) = fused.forward(x.clone(), None);
    let grads = out.clone().sum().backward();
    let finite = |t: Tensor<3>| {
        t.into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .iter()
            .all(|v| v.is_finite())
    };
    assert!(finite(out));
    assert!(finite(x.grad(&grads).unwrap()));
}

#[test]
fn invalid_config_is_an_error() {
    let device = ecg_anomaly::device::default_device();
    assert!(
        FusedLstmConfig {
            d_input: 0,
            d_hidden: 4,
            ..Default::default()
        }
        .init(&device)
        .is_err()
    );
    assert!(
        FusedLstmConfig {
            d_input: 1,
            d_hidden: 4,
            layers: 0,
            ..Default::default()
        }
        .init(&device)
        .is_err()
    );
    assert!(
        FusedLstmConfig {
            d_input: 1,
            d_hidden: 4,
            dropout: 1.0,
            ..Default::default()
        }
        .init(&device)
        .is_err()
    );
}

/// An empty sequence gives `[batch, 0, H]` and the initial (zero) state.
#[test]
fn empty_sequence() {
    let device = ecg_anomaly::device::default_device();
    let fused = FusedLstmConfig {
        d_input: 3,
        d_hidden: 5,
        layers: 2,
        ..Default::default()
    }
    .init(&device)
    .unwrap();
    let (out, finals) = fused.forward(Tensor::zeros([2, 0, 3], &device), None);
    assert_eq!(out.dims(), [2, 0, 5]);
    assert_eq!(finals.len(), 2);
    assert_eq!(finals[1].hidden.dims(), [2, 5]);
}
