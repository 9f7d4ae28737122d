//! The batched-GEMM convolutions (`model::conv`) against their oracle, Burn's own `Conv1d` and
//! `ConvTranspose1d` modules: outputs and the gradients of input, weight and bias, on random
//! shapes (batch 1 to 5, odd lengths, kernels 1 to 7, strides 1 to 3, padding on either side,
//! output padding) and on the ConvVae's own layers; and the cases where the operation must not
//! apply (groups, dilation, no bias) give the input back.

// The operations exist only with the flex backend (`model::conv`).
#![cfg(feature = "flex")]

use crate::common::close;
use burn::nn::PaddingConfig1d;
use burn::nn::conv::{Conv1d, Conv1dConfig, ConvTranspose1d, ConvTranspose1dConfig};
use burn::tensor::{Device, Distribution, Tensor};
use ecg_anomaly::model::conv::{conv_transpose1d, conv1d};

/// Relative tolerance, against the largest magnitude compared.
const TOL: f32 = 1e-4;

/// A small deterministic generator for the shapes (the values come from Burn's seeded RNG).
struct Shapes(u64);

impl Shapes {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

/// Output, and gradients of `(out * weight).sum()` for input, weight and bias.
fn run(
    out: Tensor<3>,
    probe: &Tensor<3>,
    x: &Tensor<3>,
    w: &Tensor<3>,
    b: &Tensor<1>,
) -> (Tensor<3>, Tensor<3>, Tensor<3>, Tensor<1>) {
    let grads = (out.clone() * probe.clone()).sum().backward();
    (
        out,
        x.grad(&grads).expect("input gradient"),
        w.grad(&grads).expect("weight gradient"),
        b.grad(&grads).expect("bias gradient"),
    )
}

fn compare(
    label: &str,
    fused: (Tensor<3>, Tensor<3>, Tensor<3>, Tensor<1>),
    stock: (Tensor<3>, Tensor<3>, Tensor<3>, Tensor<1>),
) {
    close::assert_close(&format!("{label} output"), fused.0, stock.0, TOL);
    close::assert_close(&format!("{label} d input"), fused.1, stock.1, TOL);
    close::assert_close(&format!("{label} d weight"), fused.2, stock.2, TOL);
    close::assert_close(&format!("{label} d bias"), fused.3, stock.3, TOL);
}

fn check_conv(conv: &Conv1d, shape: [usize; 3], device: &Device, label: &str) {
    let x = normal(shape, device).require_grad();
    let (w, b) = (conv.weight.val(), conv.bias.as_ref().unwrap().val());
    let fused = conv1d(conv, x.clone()).unwrap_or_else(|_| panic!("{label}: conv1d applies"));
    let probe = normal(fused.dims(), device);
    let fused = run(fused, &probe, &x, &w, &b);
    let stock = run(conv.forward(x.clone()), &probe, &x, &w, &b);
    compare(label, fused, stock);
}

fn check_transposed(conv: &ConvTranspose1d, shape: [usize; 3], device: &Device, label: &str) {
    let x = normal(shape, device).require_grad();
    let (w, b) = (conv.weight.val(), conv.bias.as_ref().unwrap().val());
    let fused = conv_transpose1d(conv, x.clone())
        .unwrap_or_else(|_| panic!("{label}: conv_transpose1d applies"));
    let probe = normal(fused.dims(), device);
    let fused = run(fused, &probe, &x, &w, &b);
    let stock = run(conv.forward(x.clone()), &probe, &x, &w, &b);
    compare(label, fused, stock);
}

#[test]
fn conv1d_matches_burn_on_random_shapes() {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(3);
    let mut shapes = Shapes(7);
    for case in 0..60 {
        let (batch, c_in, c_out) = (
            1 + shapes.below(5),
            1 + shapes.below(9),
            1 + shapes.below(9),
        );
        let (kernel, stride) = (1 + shapes.below(7), 1 + shapes.below(3));
        let pad = [shapes.below(4), shapes.below(4)];
        let length = (kernel.saturating_sub(pad[0] + pad[1])).max(1) + shapes.below(40);
        let conv = Conv1dConfig::new(c_in, c_out, kernel)
            .with_stride(stride)
            .with_padding(PaddingConfig1d::Explicit(pad[0], pad[1]))
            .init(&device);
        let label = format!(
            "case {case}: [{batch}, {c_in}, {length}] -> {c_out}, k {kernel}, s {stride}, pad {pad:?}"
        );
        check_conv(&conv, [batch, c_in, length], &device, &label);
    }
}

#[test]
fn conv_transpose1d_matches_burn_on_random_shapes() {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(4);
    let mut shapes = Shapes(8);
    let mut cases = 0;
    while cases < 60 {
        let (batch, c_in, c_out) = (
            1 + shapes.below(5),
            1 + shapes.below(9),
            1 + shapes.below(9),
        );
        let (kernel, stride) = (1 + shapes.below(7), 1 + shapes.below(3));
        let (pad, pad_out) = (shapes.below(4), shapes.below(stride));
        let length = 1 + shapes.below(30);
        if (length - 1) * stride + kernel + pad_out <= 2 * pad {
            continue;
        }
        let conv = ConvTranspose1dConfig::new([c_in, c_out], kernel)
            .with_stride(stride)
            .with_padding(pad)
            .with_padding_out(pad_out)
            .init(&device);
        let label = format!(
            "case {cases}: [{batch}, {c_in}, {length}] -> {c_out}, k {kernel}, s {stride}, \
             pad {pad}, out {pad_out}"
        );
        check_transposed(&conv, [batch, c_in, length], &device, &label);
        cases += 1;
    }
}

#[test]
fn the_conv_vae_layers_match_burn() {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(5);
    // The default ConvVae at seq 320: kernel 7, stride 2, padding 3, batch 16.
    let lengths = [320, 160, 80, 40, 20];
    let widths = [1, 32, 64, 128, 256];
    for i in 0..4 {
        let conv = Conv1dConfig::new(widths[i], widths[i + 1], 7)
            .with_stride(2)
            .with_padding(PaddingConfig1d::Explicit(3, 3))
            .init(&device);
        check_conv(
            &conv,
            [16, widths[i], lengths[i]],
            &device,
            &format!("encoder {i}"),
        );
        let conv = ConvTranspose1dConfig::new([widths[i + 1], widths[i]], 7)
            .with_stride(2)
            .with_padding(3)
            .with_padding_out(1)
            .init(&device);
        let label = format!("decoder {i}");
        check_transposed(&conv, [16, widths[i + 1], lengths[i + 1]], &device, &label);
    }
}

/// A first layer reads data that needs no gradient: the operation then skips the input's
/// gradient, and the weight's and bias's still equal Burn's.
#[test]
fn weight_gradients_hold_when_the_input_needs_none() {
    let device = ecg_anomaly::device::default_device().autodiff();
    device.seed(8);
    let conv = Conv1dConfig::new(1, 8, 7)
        .with_stride(2)
        .with_padding(PaddingConfig1d::Explicit(3, 3))
        .init(&device);
    let transposed = ConvTranspose1dConfig::new([8, 1], 7)
        .with_stride(2)
        .with_padding(3)
        .with_padding_out(1)
        .init(&device);
    let x = normal([5, 1, 41], &device);
    let gradients = |out: Tensor<3>, probe: &Tensor<3>, w: &Tensor<3>, b: &Tensor<1>| {
        let grads = (out.clone() * probe.clone()).sum().backward();
        assert!(x.grad(&grads).is_none(), "the data needs no gradient");
        (w.grad(&grads).unwrap(), b.grad(&grads).unwrap())
    };
    let (w, b) = (conv.weight.val(), conv.bias.as_ref().unwrap().val());
    let fused = conv1d(&conv, x.clone()).unwrap_or_else(|_| panic!("conv1d applies"));
    let probe = normal(fused.dims(), &device);
    let (fw, fb) = gradients(fused, &probe, &w, &b);
    let (sw, sb) = gradients(conv.forward(x.clone()), &probe, &w, &b);
    close::assert_close("first layer d weight", fw, sw, TOL);
    close::assert_close("first layer d bias", fb, sb, TOL);
    // A transposed layer fed by data (a decoder's first layer fed its code directly).
    let x = normal([5, 8, 21], &device);
    let (w, b) = (
        transposed.weight.val(),
        transposed.bias.as_ref().unwrap().val(),
    );
    let fused = conv_transpose1d(&transposed, x.clone()).unwrap_or_else(|_| panic!("applies"));
    let probe = normal(fused.dims(), &device);
    let grads = (fused * probe.clone()).sum().backward();
    assert!(x.grad(&grads).is_none());
    let (fw, fb) = (w.grad(&grads).unwrap(), b.grad(&grads).unwrap());
    let grads = (transposed.forward(x.clone()) * probe).sum().backward();
    let (sw, sb) = (w.grad(&grads).unwrap(), b.grad(&grads).unwrap());
    close::assert_close("transposed d weight", fw, sw, TOL);
    close::assert_close("transposed d bias", fb, sb, TOL);
}

#[test]
fn inference_without_autodiff_matches_burn() {
    let device = ecg_anomaly::device::default_device();
    device.seed(6);
    let conv = Conv1dConfig::new(3, 5, 7)
        .with_stride(2)
        .with_padding(PaddingConfig1d::Explicit(3, 3))
        .init(&device);
    let x = normal([4, 3, 33], &device);
    let fused = conv1d(&conv, x.clone()).expect("applies on flex");
    close::assert_close("conv1d", fused, conv.forward(x), TOL);
    let conv = ConvTranspose1dConfig::new([5, 3], 7)
        .with_stride(2)
        .with_padding(3)
        .with_padding_out(1)
        .init(&device);
    let x = normal([4, 5, 17], &device);
    let fused = conv_transpose1d(&conv, x.clone()).expect("applies on flex");
    close::assert_close("conv_transpose1d", fused, conv.forward(x), TOL);
}

#[test]
fn settings_it_does_not_cover_give_the_input_back() {
    let device = ecg_anomaly::device::default_device();
    let x = normal([2, 4, 16], &device);
    let grouped = Conv1dConfig::new(4, 4, 3).with_groups(2).init(&device);
    let dilated = Conv1dConfig::new(4, 4, 3).with_dilation(2).init(&device);
    let no_bias = Conv1dConfig::new(4, 4, 3).with_bias(false).init(&device);
    let same = Conv1dConfig::new(4, 4, 3)
        .with_padding(PaddingConfig1d::Same)
        .init(&device);
    for (name, conv) in [
        ("groups", grouped),
        ("dilation", dilated),
        ("no bias", no_bias),
        ("same", same),
    ] {
        let back = conv1d(&conv, x.clone()).expect_err(name);
        close::assert_close(name, back, x.clone(), 0.0);
    }
    let grouped = ConvTranspose1dConfig::new([4, 4], 3)
        .with_groups(2)
        .init(&device);
    let back = conv_transpose1d(&grouped, x.clone()).expect_err("transposed groups");
    close::assert_close("transposed groups", back, x, 0.0);
}
