//! The convolutional blocks of [`ConvVae`](super::ConvVae): one per entry of
//! `block_channels`, halving (encoder) or doubling (decoder) the sequence length, and the
//! fused operations they and the Linear layers run on Flex.

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig, ConvTranspose1d, ConvTranspose1dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, LeakyRelu, LeakyReluConfig, Linear,
    PaddingConfig1d,
};
use burn::tensor::{Device, Tensor};

/// Sizes shared by the blocks of one model.
#[derive(Debug, Clone, Copy)]
pub(super) struct BlockShape {
    pub kernel_size: usize,
    pub stride: usize,
    pub dropout: f64,
    pub leaky_slope: f64,
}

impl BlockShape {
    /// Padding on each side, `kernel_size / 2`, as in the reference design.
    pub fn padding(&self) -> usize {
        self.kernel_size / 2
    }

    /// Length after one encoder convolution of a sequence of `length` samples.
    pub fn encoded_length(&self, length: usize) -> usize {
        (length + 2 * self.padding() - self.kernel_size) / self.stride + 1
    }

    /// Output padding that makes a transposed convolution of `encoded` samples give back
    /// exactly `length`, where `encoded == self.encoded_length(length)`; always below the stride.
    pub fn output_padding(&self, length: usize, encoded: usize) -> usize {
        let base = (encoded - 1) * self.stride + self.kernel_size - 2 * self.padding();
        length - base
    }
}

/// Conv1d (stride, padding `kernel / 2`) → BatchNorm → LeakyReLU → Dropout.
#[derive(Module, Debug)]
pub(super) struct EncoderBlock {
    conv: Conv1d,
    norm: BatchNorm,
    activation: LeakyRelu,
    dropout: Dropout,
}

impl EncoderBlock {
    pub fn new(channels: [usize; 2], shape: BlockShape, device: &Device) -> Self {
        let padding = shape.padding();
        Self {
            conv: Conv1dConfig::new(channels[0], channels[1], shape.kernel_size)
                .with_stride(shape.stride)
                .with_padding(PaddingConfig1d::Explicit(padding, padding))
                .init(device),
            norm: BatchNormConfig::new(channels[1]).init(device),
            activation: LeakyReluConfig::new()
                .with_negative_slope(shape.leaky_slope)
                .init(),
            dropout: DropoutConfig::new(shape.dropout).init(),
        }
    }

    /// `[batch, c_in, length]` → `[batch, c_out, encoded_length(length)]`.
    pub fn forward(&self, input: Tensor<3>) -> Tensor<3> {
        let x = convolve(&self.conv, input);
        norm_activation(&self.norm, &self.activation, &self.dropout, x)
    }
}

/// ConvTranspose1d (stride, padding `kernel / 2`, output padding chosen for an exact length)
/// → BatchNorm → LeakyReLU → Dropout.
#[derive(Module, Debug)]
pub(super) struct DecoderBlock {
    conv: ConvTranspose1d,
    norm: BatchNorm,
    activation: LeakyRelu,
    dropout: Dropout,
}

impl DecoderBlock {
    pub fn new(
        channels: [usize; 2],
        padding_out: usize,
        shape: BlockShape,
        device: &Device,
    ) -> Self {
        Self {
            conv: transposed(channels, padding_out, shape, device),
            norm: BatchNormConfig::new(channels[1]).init(device),
            activation: LeakyReluConfig::new()
                .with_negative_slope(shape.leaky_slope)
                .init(),
            dropout: DropoutConfig::new(shape.dropout).init(),
        }
    }

    /// `[batch, c_in, encoded]` → `[batch, c_out, length]`.
    pub fn forward(&self, input: Tensor<3>) -> Tensor<3> {
        let x = convolve_transposed(&self.conv, input);
        norm_activation(&self.norm, &self.activation, &self.dropout, x)
    }
}

/// `conv.forward(x)`: one batched GEMM on Flex ([`crate::model::conv`]), Burn's module
/// elsewhere.
fn convolve(conv: &Conv1d, x: Tensor<3>) -> Tensor<3> {
    #[cfg(feature = "flex")]
    let x = match crate::model::conv::conv1d(conv, x) {
        Ok(out) => return out,
        Err(x) => x,
    };
    conv.forward(x)
}

/// `layer.forward(x)` for `x` `[batch, features]`: the pooled operation of
/// [`crate::model::linear`] on Flex, Burn's module elsewhere (the same bits).
pub(super) fn dense(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    #[cfg(feature = "flex")]
    let x = match crate::model::linear::linear(layer, x) {
        Ok(out) => return out,
        Err(x) => x,
    };
    layer.forward(x)
}

/// `conv.forward(x)` of a transposed convolution, as [`convolve`].
pub(super) fn convolve_transposed(conv: &ConvTranspose1d, x: Tensor<3>) -> Tensor<3> {
    #[cfg(feature = "flex")]
    let x = match crate::model::conv::conv_transpose1d(conv, x) {
        Ok(out) => return out,
        Err(x) => x,
    };
    conv.forward(x)
}

/// BatchNorm → LeakyReLU → Dropout of a block: one fused operation on Flex
/// ([`crate::model::norm_activation`]), Burn's modules one after the other elsewhere.
fn norm_activation(
    norm: &BatchNorm,
    activation: &LeakyRelu,
    dropout: &Dropout,
    x: Tensor<3>,
) -> Tensor<3> {
    #[cfg(feature = "flex")]
    let x = match super::fused::norm_activation(norm, activation, dropout, x) {
        Ok(out) => return out,
        Err(x) => x,
    };
    dropout.forward(activation.forward(norm.forward(x)))
}

/// The transposed convolution of a decoder block; alone, it is the decoder's linear output layer.
pub(super) fn transposed(
    channels: [usize; 2],
    padding_out: usize,
    shape: BlockShape,
    device: &Device,
) -> ConvTranspose1d {
    ConvTranspose1dConfig::new(channels, shape.kernel_size)
        .with_stride(shape.stride)
        .with_padding(shape.padding())
        .with_padding_out(padding_out)
        .init(device)
}
