//! Burn's `Linear` layer on a `[rows, d_input]` input as one backend operation whose output
//! and gradients live in pooled buffers.
//!
//! Flex's `matmul` gives every product a fresh tensor that it allocates zeroed and then copies
//! to realign: in a ConvVae training step the three Linear layers' products (forward and
//! backward, a MiB each) spent more time in that allocation, its copy and their page faults
//! than in the products, all on the calling thread while the other cores waited. Here the
//! forward is the same `gemm` call Flex makes (same operand strides, same threading rule, so
//! the same bits for contiguous operands) into a pooled buffer
//! ([`workspace`](super::workspace)), plus the bias; the backward computes the input gradient
//! and the weight and bias gradients at once on two threads, each as Flex computes it. Tests
//! compare outputs and gradients with Burn's `Linear` bit for bit.
//!
//! A Burn backend extension (`#[backend_extension]`) for Flex and autodiff over Flex, `f32`,
//! with a bias; [`linear`] gives the input back otherwise, and the caller runs Burn's module.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, backend_extension};
use burn::nn::Linear;
use burn::tensor::Tensor;

use super::norm_activation::supports_all;

mod autodiff;
mod flex;
#[cfg(test)]
mod tests;

/// Backends that run a Linear layer as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait LinearBackend: Backend {
    /// `x @ weight + bias` for `x` `[rows, d_input]`, `weight` `[d_input, d_output]` and
    /// `bias` `[d_output]`: `[rows, d_output]`.
    fn linear_pooled(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

impl LinearBackend for burn::backend::Flex {
    fn linear_pooled(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        flex::Dense::new(x, weight).forward(&bias)
    }
}

/// `layer.forward(x)` for `x` `[rows, d_input]` as the pooled operation; gives `x` back where
/// it does not apply (see the module docs).
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub fn linear(layer: &Linear, x: Tensor<2>) -> Result<Tensor<2>, Tensor<2>> {
    let Some(bias) = layer.bias.as_ref().map(|b| b.val()) else {
        return Err(x);
    };
    let weight = layer.weight.val();
    let ([rows, d_input], [d_in, d_output]) = (x.dims(), weight.dims());
    let fits = d_input == d_in && bias.dims() == [d_output] && rows * d_input * d_output > 0;
    let operands = [
        (x.dtype(), x.device()),
        (weight.dtype(), weight.device()),
        (bias.dtype(), bias.device()),
    ];
    if !(fits && supports_all(&operands)) {
        return Err(x);
    }
    let out = <burn::backend::Dispatch as LinearBackend>::linear_pooled(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    );
    Ok(Tensor::from_dispatch(out))
}
