//! Batch normalisation, LeakyReLU and dropout of a `[batch, channels, length]` tensor as one
//! backend operation.
//!
//! [`norm_leaky_dropout`] (training) normalises each channel with the mean and biased variance
//! of the batch, applies `gamma` and `beta`, a LeakyReLU and dropout in one pass, and returns
//! the batch statistics for the running averages; its backward is the standard batch-norm
//! backward through the saved activation and dropout gains, one pass per channel.
//! [`scale_shift_leaky`] (inference) is `leaky(x * scale + shift)` with `scale` and `shift`
//! folded from running statistics. Burn's plain ops would record about a dozen autodiff nodes
//! and draw the dropout mask with ChaCha, element by element; here the mask comes from a
//! counter-based generator seeded by one draw of Burn's own RNG ([`dropout_seed`]), so
//! `device.seed(s)` still makes runs reproducible.
//!
//! A Burn backend extension (`#[backend_extension]`) for Flex and autodiff over Flex, `f32`
//! only; [`supports`] says when it applies, and the wrappers give the input back otherwise, so
//! callers fall back to plain tensor ops (wgpu, ndarray, other dtypes).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, DispatchDevice, backend_extension};
use burn::tensor::{DType, Device, Distribution, Tensor};

mod autodiff;
mod flex;
mod kernel;
mod mask;

/// Backends that run batch norm, LeakyReLU and dropout as one operation.
#[backend_extension(Flex, Autodiff)]
pub trait NormActivationBackend: Backend {
    /// Training pass over `x` `[B, C, L]` with `gamma`, `beta` `[C]`: returns the output
    /// `[B, C, L]` and the batch statistics `[2, C]` (mean, then biased variance).
    fn norm_leaky_dropout(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        slope: f64,
        dropout: f64,
        seed: u64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);

    /// `leaky(x * scale + shift)` per channel, `x` `[B, C, L]`, `scale`, `shift` `[C]`.
    fn scale_shift_leaky(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        slope: f64,
    ) -> FloatTensor<Self>;
}

impl NormActivationBackend for burn::backend::Flex {
    fn norm_leaky_dropout(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        slope: f64,
        dropout: f64,
        seed: u64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let activation = kernel::Activation {
            slope: slope as f32,
            dropout,
            seed,
        };
        let (out, stats, _) = flex::forward_train(x, gamma, beta, epsilon, activation);
        (out, stats)
    }

    fn scale_shift_leaky(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        slope: f64,
    ) -> FloatTensor<Self> {
        flex::Affine::new(x, scale, shift, slope).forward_in_place()
    }
}

/// Settings of the training pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormActivation {
    /// Added to the variance before its square root (BatchNorm's epsilon).
    pub epsilon: f64,
    /// Negative slope of the LeakyReLU.
    pub slope: f64,
    /// Dropout probability in `[0, 1)`; 0 for none.
    pub dropout: f64,
    /// Seed of the dropout mask ([`dropout_seed`]).
    pub seed: u64,
}

/// What [`norm_leaky_dropout`] returns.
#[derive(Debug, Clone)]
pub struct NormActivationOutput {
    /// `dropout(leaky(batch_norm(x)))`, `[batch, channels, length]`.
    pub output: Tensor<3>,
    /// Batch mean per channel `[channels]`, detached.
    pub mean: Tensor<1>,
    /// Biased batch variance per channel `[channels]`, detached.
    pub variance: Tensor<1>,
}

/// Whether the operations run on `device` for tensors of `dtype`: Flex, with or without
/// autodiff, and `f32`.
pub fn supports(device: &Device, dtype: DType) -> bool {
    let inner = device.clone().inner();
    matches!(inner.as_dispatch(), DispatchDevice::Flex(_)) && dtype == DType::F32
}

/// Whether every operand, given as its `(dtype, device)`, is `f32` on the first one's device
/// (autodiff or not alike) and the operations run there ([`supports`]).
pub(crate) fn supports_all(operands: &[(DType, Device)]) -> bool {
    let Some((_, first)) = operands.first() else {
        return false;
    };
    let device = first.clone().inner();
    operands
        .iter()
        .all(|(dtype, d)| *dtype == DType::F32 && d.clone().inner() == device)
        && supports(&device, DType::F32)
}

/// A dropout seed drawn from Burn's RNG on `device`, so `device.seed(s)` fixes the masks.
pub fn dropout_seed(device: &Device) -> u64 {
    let draws = Tensor::<1>::random([2], Distribution::Default, device)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    draws
        .iter()
        .fold(0u64, |seed, v| (seed << 32) | u64::from(v.to_bits()))
}

/// Whether `x` `[B, C, L]` and the per-channel tensors agree and the operations run on them.
fn applies(x: &Tensor<3>, per_channel: [&Tensor<1>; 2]) -> bool {
    let [batch, channels, length] = x.dims();
    let device = x.device().inner();
    batch * length > 0
        && per_channel.iter().all(|t| {
            t.dims() == [channels] && t.dtype() == DType::F32 && t.device().inner() == device
        })
        && supports(&device, x.dtype())
}

/// Training pass: batch norm of `x` `[batch, channels, length]` with the batch's own mean and
/// biased variance, `gamma` and `beta` `[channels]`, then LeakyReLU and dropout (see the module
/// docs). Gives `x` back as the error when the device or dtype is not supported, shapes
/// disagree, the batch is empty or the dropout probability is outside `[0, 1)`, so the caller
/// can fall back to plain ops without holding a second reference to `x`.
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub fn norm_leaky_dropout(
    x: Tensor<3>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    settings: NormActivation,
) -> Result<NormActivationOutput, Tensor<3>> {
    let valid = (0.0..1.0).contains(&settings.dropout) && settings.epsilon > 0.0;
    if !valid || !applies(&x, [&gamma, &beta]) {
        return Err(x);
    }
    let (out, stats) = <burn::backend::Dispatch as NormActivationBackend>::norm_leaky_dropout(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        settings.epsilon,
        settings.slope,
        settings.dropout,
        settings.seed,
    );
    let stats = Tensor::<2>::from_dispatch(stats);
    let channels = stats.dims()[1];
    #[allow(
        clippy::single_range_in_vec_init,
        reason = "Burn's `slice` takes one range a dimension: rows 0..1 and 1..2 of `stats`"
    )]
    let (mean, variance) = (stats.clone().slice([0..1]), stats.slice([1..2]));
    Ok(NormActivationOutput {
        output: Tensor::from_dispatch(out),
        mean: mean.reshape([channels]),
        variance: variance.reshape([channels]),
    })
}

/// Inference pass: `leaky(x * scale + shift)` per channel, `x` `[batch, channels, length]`,
/// `scale` and `shift` `[channels]`; differentiable. On Flex without autodiff, `x` is
/// overwritten when nothing else holds it. Gives `x` back as the error when the device or dtype
/// is not supported, shapes disagree or the batch is empty.
#[allow(
    clippy::result_large_err,
    reason = "the error gives the input tensor back for the plain-ops fallback, no larger \
              than the output: boxing it would not shrink the Result, only add an allocation"
)]
pub fn scale_shift_leaky(
    x: Tensor<3>,
    scale: Tensor<1>,
    shift: Tensor<1>,
    slope: f64,
) -> Result<Tensor<3>, Tensor<3>> {
    if !applies(&x, [&scale, &shift]) {
        return Err(x);
    }
    let out = <burn::backend::Dispatch as NormActivationBackend>::scale_shift_leaky(
        x.into_dispatch(),
        scale.into_dispatch(),
        shift.into_dispatch(),
        slope,
    );
    Ok(Tensor::from_dispatch(out))
}
