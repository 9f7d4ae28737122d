//! A block's BatchNorm → LeakyReLU → Dropout as the fused operation of
//! [`crate::model::norm_activation`], with the modes and running statistics of Burn's modules.

use burn::nn::{BatchNorm, Dropout, LeakyRelu};
use burn::tensor::Tensor;

use crate::model::norm_activation::{
    NormActivation, dropout_seed, norm_leaky_dropout, scale_shift_leaky, supports,
};

/// `dropout(leaky(norm(x)))` for `x` `[batch, channels, length]` in one operation, with the
/// modes Burn's modules use: batch statistics (updating the running ones) when the device is
/// autodiff and `norm` is training, dropout when the device is autodiff and `dropout` is
/// training. Gives `x` back where the fused operation does not apply (then nothing is updated).
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub(super) fn norm_activation(
    norm: &BatchNorm,
    activation: &LeakyRelu,
    dropout: &Dropout,
    x: Tensor<3>,
) -> Result<Tensor<3>, Tensor<3>> {
    let device = x.device();
    if !supports(&device, x.dtype()) {
        return Err(x);
    }
    let autodiff = device.is_autodiff();
    let drop = if autodiff && dropout.training.is_enabled() {
        dropout.prob
    } else {
        0.0
    };
    if !(autodiff && norm.training.is_enabled()) {
        if drop > 0.0 {
            return Err(x);
        }
        let mean = norm.running_mean.value().to_device(&device);
        let var = norm.running_var.value().to_device(&device);
        let scale = norm.gamma.val() / var.add_scalar(norm.epsilon).sqrt();
        let shift = norm.beta.val() - mean * scale.clone();
        return scale_shift_leaky(x, scale, shift, activation.negative_slope);
    }
    let settings = NormActivation {
        epsilon: norm.epsilon,
        slope: activation.negative_slope,
        dropout: drop,
        seed: if drop > 0.0 { dropout_seed(&device) } else { 0 },
    };
    let result = norm_leaky_dropout(x, norm.gamma.val(), norm.beta.val(), settings)?;
    let momentum = norm.momentum;
    let running = |state: Tensor<1>, batch: Tensor<1>| {
        state
            .to_device(&device)
            .mul_scalar(1.0 - momentum)
            .add(batch.mul_scalar(momentum))
            .detach()
    };
    norm.running_mean
        .update(running(norm.running_mean.value_sync(), result.mean));
    norm.running_var
        .update(running(norm.running_var.value_sync(), result.variance));
    Ok(result.output)
}
