//! Conv1d and ConvTranspose1d as one batched GEMM each, forward and backward.
//!
//! Flex's own convolutions run a GEMM per sample (the transposed one with a general 3-d
//! col2im); here a block of samples is one matrix of `B * L` columns, the convolution is
//! `W x im2col(x)` and the transposed one an overlap-add of `W^T x x` (a 1-d col2im over
//! stride phases), each backward two GEMMs and the adjoint gather or scatter. Blocks are as
//! large as the core's cache allows and run on rayon's threads. The layers'
//! geometry is Burn's (`conv1d`, `conv_transpose1d`), checked against them by
//! `tests/conv_gemm.rs`: outputs and gradients of input, weight and bias on random shapes.
//!
//! A Burn backend extension (`#[backend_extension]`) for Flex and autodiff over Flex, `f32`,
//! one group, no dilation, explicit or no padding, with a bias; the wrappers give the input back otherwise, and the
//! caller runs Burn's module (wgpu, ndarray, other settings).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, backend_extension};
use burn::nn::PaddingConfig1d;
use burn::nn::conv::{Conv1d, ConvTranspose1d};
use burn::tensor::{DType, Tensor};

use super::norm_activation::supports;

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
pub fn conv1d(conv: &Conv1d, x: Tensor<3>) -> Result<Tensor<3>, Tensor<3>> {
    let Some(bias) = &conv.bias else {
        return Err(x);
    };
    let weight = conv.weight.val();
    let bias = bias.val();
    let [batch, channels, length] = x.dims();
    let [_, weight_in, kernel] = weight.dims();
    let (left, right) = match conv.padding {
        PaddingConfig1d::Valid => (0, 0),
        PaddingConfig1d::Explicit(left, right) => (left, right),
        _ => return Err(x),
    };
    let sizes = [batch, channels, length, kernel, weight.dims()[0]];
    let fits = length + left + right >= kernel && conv.stride > 0 && !sizes.contains(&0);
    if conv.groups != 1 || conv.dilation != 1 || weight_in != channels || batch == 0 || !fits {
        return Err(x);
    }
    if !applies(&x, &weight, &bias) {
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
pub fn conv_transpose1d(conv: &ConvTranspose1d, x: Tensor<3>) -> Result<Tensor<3>, Tensor<3>> {
    let Some(bias) = &conv.bias else {
        return Err(x);
    };
    let weight = conv.weight.val();
    let bias = bias.val();
    let [batch, channels, length] = x.dims();
    let [weight_in, _, kernel] = weight.dims();
    let full = length
        .saturating_sub(1)
        .saturating_mul(conv.stride)
        .saturating_add(kernel + conv.padding_out);
    let sizes = [batch, channels, length, kernel, weight.dims()[1]];
    let fits = conv.stride > 0 && full > 2 * conv.padding && !sizes.contains(&0);
    if conv.groups != 1 || conv.dilation != 1 || weight_in != channels || batch == 0 || !fits {
        return Err(x);
    }
    if !applies(&x, &weight, &bias) {
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

/// Whether the operands share a supported device and are all `f32`.
fn applies(x: &Tensor<3>, weight: &Tensor<3>, bias: &Tensor<1>) -> bool {
    let device = x.device().inner();
    let f32s = [x.dtype(), weight.dtype(), bias.dtype()]
        .iter()
        .all(|d| *d == DType::F32);
    f32s && weight.device().inner() == device
        && bias.device().inner() == device
        && supports(&device, x.dtype())
}
