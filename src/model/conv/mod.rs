//! Conv1d and ConvTranspose1d as one batched GEMM each, forward and backward.
//!
//! Flex's own convolutions run a GEMM per sample (the transposed one with a general 3-d
//! col2im); here a block of samples is one matrix of `B * L` columns, the convolution is
//! `W x im2col(x)` and the transposed one an overlap-add of `W^T x x` (a 1-d col2im over
//! stride phases), each backward two GEMMs and the adjoint gather or scatter. Blocks are as
//! large as the core's cache allows and run on rayon's threads. The layers'
//! geometry is Burn's (`conv1d`, `conv_transpose1d`), checked against them by
//! `tests/it/conv_gemm.rs`: outputs and gradients of input, weight and bias on random shapes.
//!
//! A Burn backend extension (`#[backend_extension]`) for Flex and autodiff over Flex, `f32`,
//! one group, no dilation, explicit or no padding, with a bias; the wrappers give the input back otherwise, and the
//! caller runs Burn's module (wgpu, ndarray, other settings).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, backend_extension};
use burn::module::Param;
use burn::nn::PaddingConfig1d;
use burn::nn::conv::{Conv1d, ConvTranspose1d};
use burn::tensor::Tensor;

use super::norm_activation::supports_all;

mod autodiff;
mod flex;
mod kernel;

/// Backends that run the batched-GEMM convolutions.
#[backend_extension(Flex, Autodiff)]
pub trait ConvBackend: Backend {
    /// Conv1d of `x` `[B, Ci, Li]` with `weight` `[Co, Ci, K]` and `bias` `[Co]`, stride and
    /// zero padding on each side: `[B, Co, (Li + pad_left + pad_right - K) / stride + 1]`.
    fn conv1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self>;

    /// ConvTranspose1d of `x` `[B, Ci, Li]` with `weight` `[Ci, Co, K]` and `bias` `[Co]`:
    /// `[B, Co, (Li - 1) * stride + K + pad_out - 2 * pad]`.
    fn conv_transpose1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad: usize,
        pad_out: usize,
    ) -> FloatTensor<Self>;
}

impl ConvBackend for burn::backend::Flex {
    fn conv1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad_left: usize,
        pad_right: usize,
    ) -> FloatTensor<Self> {
        flex::Conv::new(x, weight, stride, [pad_left, pad_right]).forward(&bias)
    }

    fn conv_transpose1d_gemm(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        pad: usize,
        pad_out: usize,
    ) -> FloatTensor<Self> {
        flex::ConvTranspose::new(x, weight, stride, pad, pad_out).forward(&bias)
    }
}

/// `conv.forward(x)` for `x` `[batch, channels_in, length]` as the batched-GEMM operation;
/// gives `x` back where it does not apply (see the module docs).
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub fn conv1d(conv: &Conv1d, x: Tensor<3>) -> Result<Tensor<3>, Tensor<3>> {
    let layer = [conv.groups, conv.dilation, conv.stride];
    let Some((weight, bias)) = covered(&conv.weight, conv.bias.as_ref(), layer, &x, 1) else {
        return Err(x);
    };
    let (left, right) = match conv.padding {
        PaddingConfig1d::Valid => (0, 0),
        PaddingConfig1d::Explicit(left, right) => (left, right),
        _ => return Err(x),
    };
    let padded = x.dims()[2]
        .checked_add(left)
        .and_then(|l| l.checked_add(right));
    if padded.is_none_or(|padded| padded < weight.dims()[2]) {
        return Err(x);
    }
    let out = <burn::backend::Dispatch as ConvBackend>::conv1d_gemm(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        conv.stride,
        left,
        right,
    );
    Ok(Tensor::from_dispatch(out))
}

/// `conv.forward(x)` for `x` `[batch, channels_in, length]` as the batched-GEMM operation;
/// gives `x` back where it does not apply (see the module docs).
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub fn conv_transpose1d(conv: &ConvTranspose1d, x: Tensor<3>) -> Result<Tensor<3>, Tensor<3>> {
    let layer = [conv.groups, conv.dilation, conv.stride];
    let Some((weight, bias)) = covered(&conv.weight, conv.bias.as_ref(), layer, &x, 0) else {
        return Err(x);
    };
    // (length - 1) * stride + kernel + padding_out - 2 * padding, at least 1.
    let output = (x.dims()[2] - 1)
        .checked_mul(conv.stride)
        .and_then(|l| l.checked_add(weight.dims()[2]))
        .and_then(|l| l.checked_add(conv.padding_out))
        .zip(conv.padding.checked_mul(2))
        .and_then(|(full, cut)| full.checked_sub(cut));
    if output.is_none_or(|output| output == 0) {
        return Err(x);
    }
    let out = <burn::backend::Dispatch as ConvBackend>::conv_transpose1d_gemm(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        conv.stride,
        conv.padding,
        conv.padding_out,
    );
    Ok(Tensor::from_dispatch(out))
}

/// The weight and bias of a layer the operation covers for `x`: one group, no dilation, a
/// positive stride (`layer` holds the three), a bias, input channels on the weight's axis
/// `in_axis` equal to `x`'s, no empty size, and every operand `f32` on one supported device.
fn covered(
    weight: &Param<Tensor<3>>,
    bias: Option<&Param<Tensor<1>>>,
    [groups, dilation, stride]: [usize; 3],
    x: &Tensor<3>,
    in_axis: usize,
) -> Option<(Tensor<3>, Tensor<1>)> {
    let bias = bias?.val();
    let weight = weight.val();
    let [dims, weight_dims] = [x.dims(), weight.dims()];
    let layer = groups == 1 && dilation == 1 && stride > 0 && weight_dims[in_axis] == dims[1];
    let sizes = !dims.contains(&0) && !weight_dims.contains(&0);
    let operands = [
        (x.dtype(), x.device()),
        (weight.dtype(), weight.device()),
        (bias.dtype(), bias.device()),
    ];
    (layer && sizes && supports_all(&operands)).then_some((weight, bias))
}
