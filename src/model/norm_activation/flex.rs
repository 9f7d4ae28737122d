//! The operations on Flex tensors: contiguous `f32` views in, new tensors out.

use burn_flex::FlexTensor;

use super::kernel::{self, Activation, Dims};
use crate::model::flex_op::{contiguous, tensor, to_vec, values};
use crate::model::workspace::Buffer;

/// What the training backward reads: the input, `gamma`, the batch statistics and the gain
/// `d out / d z` of every value (LeakyReLU slope times dropout scale).
#[derive(Debug, Clone)]
pub struct TrainSaved {
    dims: Dims,
    x: FlexTensor,
    gamma: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    /// `[B, C, L]`, a tensor so the saved state clones cheaply.
    gain: FlexTensor,
}

/// Training forward: returns the output `[B, C, L]`, the statistics `[2, C]` (mean, then
/// biased variance) and what backward needs.
pub fn forward_train(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    epsilon: f64,
    activation: Activation,
) -> (FlexTensor, FlexTensor, TrainSaved) {
    let (x, dims) = operand3(x);
    let (gamma, beta) = (to_vec(&gamma), to_vec(&beta));
    let (mean, var) = kernel::channel_stats(values(&x), dims);
    let inv_std = kernel::inverse_std(&var, epsilon);
    // Both written whole by the kernel (gain by the dropout mask, then out).
    let mut out = Buffer::take(values(&x).len());
    let mut gain = Buffer::take(out.len());
    kernel::forward_train(
        values(&x),
        dims,
        &gamma,
        &beta,
        &mean,
        &inv_std,
        activation,
        &mut out,
        &mut gain,
    );
    let out = tensor(out, [dims.batch, dims.channels, dims.length]);
    let stats = tensor([mean.as_slice(), &var].concat(), [2, dims.channels]);
    let saved = TrainSaved {
        dims,
        x,
        gamma,
        mean,
        inv_std,
        gain: tensor(gain, [dims.batch, dims.channels, dims.length]),
    };
    (out, stats, saved)
}

/// Gradients of `x`, `gamma` and `beta` of the training forward from `d_out`.
pub fn backward_train(saved: &TrainSaved, d_out: FlexTensor) -> [FlexTensor; 3] {
    let d_out = contiguous(d_out);
    let dims = saved.dims;
    let (d_x, d_gamma, d_beta) = kernel::backward_train(
        values(&saved.x),
        dims,
        &saved.gamma,
        &saved.mean,
        &saved.inv_std,
        values(&saved.gain),
        values(&d_out),
    );
    [
        tensor(d_x, [dims.batch, dims.channels, dims.length]),
        tensor(d_gamma, [dims.channels]),
        tensor(d_beta, [dims.channels]),
    ]
}

/// The inference operation's operands, contiguous.
#[derive(Debug, Clone)]
pub struct Affine {
    dims: Dims,
    x: FlexTensor,
    scale: Vec<f32>,
    shift: Vec<f32>,
    slope: f32,
}

impl Affine {
    /// Takes `x` `[B, C, L]`, `scale` and `shift` `[C]` (checked by the wrapper).
    pub fn new(x: FlexTensor, scale: FlexTensor, shift: FlexTensor, slope: f64) -> Self {
        let (x, dims) = operand3(x);
        Affine {
            dims,
            x,
            scale: to_vec(&scale),
            shift: to_vec(&shift),
            slope: slope as f32,
        }
    }

    /// `leaky(x * scale + shift)`, written over `x` when nothing else holds it (inference).
    pub fn forward_in_place(self) -> FlexTensor {
        let Affine {
            dims,
            mut x,
            scale,
            shift,
            slope,
        } = self;
        let whole = x.layout().contiguous_offsets() == Some((0, x.layout().num_elements()));
        if whole
            && let Some(data) = x.try_storage_mut::<f32>()
            && data.len() == dims.batch * dims.channels * dims.length
        {
            kernel::affine_in_place(data, dims, &scale, &shift, slope);
            return x;
        }
        Affine {
            dims,
            x,
            scale,
            shift,
            slope,
        }
        .forward()
    }

    /// `leaky(x * scale + shift)` into a new tensor.
    pub fn forward(&self) -> FlexTensor {
        let mut out = Buffer::take(values(&self.x).len()); // written whole by the kernel
        let x = values(&self.x);
        kernel::forward_affine(x, self.dims, &self.scale, &self.shift, self.slope, &mut out);
        tensor(out, [self.dims.batch, self.dims.channels, self.dims.length])
    }

    /// Gradients of `x`, `scale` and `shift` from `d_out`.
    pub fn backward(&self, d_out: FlexTensor) -> [FlexTensor; 3] {
        let d_out = contiguous(d_out);
        let dims = self.dims;
        let (d_x, d_scale, d_shift) = kernel::backward_affine(
            values(&self.x),
            dims,
            &self.scale,
            &self.shift,
            self.slope,
            values(&d_out),
        );
        [
            tensor(d_x, [dims.batch, dims.channels, dims.length]),
            tensor(d_scale, [dims.channels]),
            tensor(d_shift, [dims.channels]),
        ]
    }
}

fn operand3(x: FlexTensor) -> (FlexTensor, Dims) {
    let shape = x.layout().shape().clone();
    let dims = Dims {
        batch: shape[0],
        channels: shape[1],
        length: shape[2],
    };
    (contiguous(x), dims)
}
