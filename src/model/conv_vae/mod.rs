//! A 1-D convolutional variational autoencoder for fixed-length beats or windows.
//!
//! Encoder: `block_channels.len()` blocks of Conv1d (stride 2, padding `kernel / 2`), BatchNorm,
//! LeakyReLU and Dropout, each halving the length (rounding up), then flatten and two Linear
//! heads to the posterior mean `mu` and log-variance. Decoder: a Linear layer back to the
//! flattened encoder shape and the mirrored ConvTranspose1d blocks, the last one linear (no
//! norm, activation or dropout) so outputs can take any sign and scale. Each transposed block's
//! output padding is chosen from the encoder's recorded lengths, so the output has exactly the
//! configured `seq` samples, odd or even.

mod blocks;
#[cfg(feature = "flex")]
mod fused;
mod loss;
#[cfg(test)]
mod tests;

use burn::module::{Flag, Module, Param};
use burn::nn::conv::ConvTranspose1d;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor};
use serde::{Deserialize, Serialize};

use self::blocks::{BlockShape, DecoderBlock, EncoderBlock, dense};
pub use self::loss::{KlWarmup, VaeLoss, kl_divergence};
use super::parallel::{default_threads, split_rows};
use super::{Reconstruction, ReconstructionModel};
use crate::{Error, Result};

/// Settings of [`ConvVae`]. `ConvVaeConfig::default()` holds the documented defaults; missing
/// fields in JSON take them too. Change a few with struct update syntax:
/// `ConvVaeConfig { seq: 160, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvVaeConfig {
    /// Input channels (leads). Default: 1.
    pub channels: usize,
    /// Samples per window. The flattened encoder shape, hence the Linear layers, depend on it:
    /// a model is built for one window length. Default: 320 (140 + 180 samples around the R
    /// peak at 360 Hz, [`BeatWindow::for_fs`](crate::preprocess::BeatWindow::for_fs)).
    pub seq: usize,
    /// Output channels of the encoder blocks, in order; the decoder mirrors them.
    /// Default: `[32, 64, 128, 256]`.
    pub block_channels: Vec<usize>,
    /// Kernel size of every (transposed) convolution; padding is `kernel_size / 2`. Default: 7
    /// (about 20 ms at 360 Hz in the first block, a QRS-wide view by the last).
    pub kernel_size: usize,
    /// Stride of every (transposed) convolution. Default: 2 (each block halves the length).
    pub stride: usize,
    /// Dropout probability after every block but the decoder's last, in `[0, 1)`. Acts only in
    /// training (autodiff device, module not frozen or made `valid`). Default: 0.1, light
    /// regularisation that leaves the reconstruction of normal beats sharp.
    pub dropout: f64,
    /// Dimensions of the latent code. Default: 16.
    pub latent: usize,
    /// Weight of the KL term in the loss (β-VAE), finite and `>= 0`. Default: 1.0 (the plain
    /// VAE evidence lower bound, with the MSE as reconstruction term).
    pub beta: f64,
    /// Linear KL warm-up applied by [`ConvVae::loss_at`]. Default: none (`steps = 0`).
    pub kl_warmup: KlWarmup,
    /// Negative slope of every LeakyReLU, finite. Default: 0.2, the usual choice for
    /// convolutional autoencoders: it keeps gradients alive below zero, where ECG deflections
    /// (Q, S, inverted T) carry as much information as positive ones.
    pub leaky_slope: f64,
}

impl Default for ConvVaeConfig {
    fn default() -> Self {
        Self {
            channels: 1,
            seq: 320,
            block_channels: vec![32, 64, 128, 256],
            kernel_size: 7,
            stride: 2,
            dropout: 0.1,
            latent: 16,
            beta: 1.0,
            kl_warmup: KlWarmup { steps: 0 },
            leaky_slope: 0.2,
        }
    }
}

impl ConvVaeConfig {
    /// Length after each encoder block, starting with `seq`: `block_channels.len() + 1` values;
    /// an [`Error::InvalidArgument`] for a configuration [`init`](Self::init) would reject.
    pub fn encoder_lengths(&self) -> Result<Vec<usize>> {
        self.validate()?;
        let shape = self.block_shape();
        let mut length = self.seq;
        let mut lengths = vec![length];
        for _ in &self.block_channels {
            length = shape.encoded_length(length);
            lengths.push(length);
        }
        Ok(lengths)
    }

    /// Builds the model on `device` (`device.autodiff()` to train it); an
    /// [`Error::InvalidArgument`] names any setting out of range.
    pub fn init(&self, device: &Device) -> Result<ConvVae> {
        let lengths = self.encoder_lengths()?;
        let shape = self.block_shape();
        let mut widths = vec![self.channels];
        widths.extend_from_slice(&self.block_channels);
        let blocks = self.block_channels.len();
        let deepest = widths[blocks];
        let flat = deepest * lengths[blocks];

        let encoder = (0..blocks)
            .map(|i| EncoderBlock::new([widths[i], widths[i + 1]], shape, device))
            .collect();
        // Decoder block i undoes encoder block i: widths[i + 1] → widths[i], lengths[i + 1] →
        // lengths[i]; the last one (i = 0) is the linear output layer.
        let padding_out = |i: usize| shape.output_padding(lengths[i], lengths[i + 1]);
        let decoder = (1..blocks)
            .rev()
            .map(|i| DecoderBlock::new([widths[i + 1], widths[i]], padding_out(i), shape, device))
            .collect();
        let output = blocks::transposed([widths[1], widths[0]], padding_out(0), shape, device);

        Ok(ConvVae {
            encoder,
            mu: LinearConfig::new(flat, self.latent).init(device),
            log_var: LinearConfig::new(flat, self.latent).init(device),
            project: LinearConfig::new(self.latent, flat).init(device),
            decoder,
            output,
            training: Param::from_bool(true),
            channels: self.channels,
            seq: self.seq,
            deepest: [deepest, lengths[blocks]],
            beta: self.beta,
            kl_warmup_steps: self.kl_warmup.steps,
        })
    }

    fn block_shape(&self) -> BlockShape {
        BlockShape {
            kernel_size: self.kernel_size,
            stride: self.stride,
            dropout: self.dropout,
            leaky_slope: self.leaky_slope,
        }
    }

    fn validate(&self) -> Result<()> {
        let positive = [
            ("channels", self.channels),
            ("seq", self.seq),
            ("kernel_size", self.kernel_size),
            ("stride", self.stride),
            ("latent", self.latent),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(Error::invalid(name, "must be at least 1"));
            }
        }
        if self.block_channels.is_empty() || self.block_channels.contains(&0) {
            return Err(Error::invalid(
                "block_channels",
                format!(
                    "needs at least one block, each of at least 1 channel; got {:?}",
                    self.block_channels
                ),
            ));
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            return Err(Error::invalid(
                "dropout",
                format!("must lie in [0, 1); got {}", self.dropout),
            ));
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(Error::invalid(
                "beta",
                format!("must be finite and >= 0; got {}", self.beta),
            ));
        }
        if !self.leaky_slope.is_finite() {
            return Err(Error::invalid("leaky_slope", "must be finite"));
        }
        Ok(())
    }
}

/// Convolutional VAE over `[batch, seq, channels]` windows of one fixed length, built by
/// [`ConvVaeConfig::init`].
///
/// Encoder: one block per entry of `block_channels` (Conv1d with padding `kernel / 2`,
/// BatchNorm, LeakyReLU, Dropout), flatten, Linear heads to `mu` and `log_var`. Decoder: Linear
/// back to the flattened shape, the mirrored ConvTranspose1d blocks, the last one linear. Each
/// transposed block's output padding is chosen from the encoder's lengths
/// ([`ConvVaeConfig::encoder_lengths`]), so the output has exactly `seq` samples.
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// use ecg_anomaly::model::{ConvVaeConfig, ReconstructionModel};
/// let device = ecg_anomaly::device::default_device();
/// let vae = ConvVaeConfig { seq: 256, ..Default::default() }.init(&device)?;
/// let beats = Tensor::<3>::zeros([4, 256, 1], &device);      // [batch, seq, channels]
/// let r = vae.reconstruct(beats);
/// assert_eq!(r.output.dims(), [4, 256, 1]);
/// assert_eq!(r.latent.dims(), [4, 16]);
/// # Ok::<(), ecg_anomaly::Error>(())
/// ```
///
/// Training mode (dropout, batch statistics, sampling of the latent) is on when the input lives
/// on an autodiff device and the module is not [`valid`](Module::valid) or
/// [`freeze`](Module::freeze)d, the rule Burn's `Dropout` and `BatchNorm` follow; otherwise the
/// model is deterministic and decodes the posterior mean.
#[derive(Module, Debug)]
pub struct ConvVae {
    encoder: Vec<EncoderBlock>,
    mu: Linear,
    log_var: Linear,
    project: Linear,
    decoder: Vec<DecoderBlock>,
    output: ConvTranspose1d,
    /// Whether the latent is sampled on an autodiff device; cleared by `valid` and `freeze`.
    training: Param<Flag>,
    channels: usize,
    seq: usize,
    /// `[channels, length]` of the deepest encoder feature map.
    deepest: [usize; 2],
    beta: f64,
    kl_warmup_steps: usize,
}

impl ConvVae {
    /// Samples per window this model was built for.
    pub fn seq(&self) -> usize {
        self.seq
    }

    /// Channels per window this model was built for.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Whether a forward pass on `device` samples the latent and applies dropout.
    pub fn is_training_on(&self, device: &Device) -> bool {
        device.is_autodiff() && self.training.is_enabled()
    }

    /// Posterior mean and log-variance of `input`.
    ///
    /// Shapes: `input` `[batch, seq, channels]` → (`mu`, `log_var`), each `[batch, latent]`.
    pub fn encode(&self, input: Tensor<3>) -> (Tensor<2>, Tensor<2>) {
        // [batch, seq, channels] → [batch, channels, seq]
        let mut x = input.swap_dims(1, 2);
        for block in &self.encoder {
            x = block.forward(x); // [batch, c_i, l_i]
        }
        let x: Tensor<2> = x.flatten(1, 2); // [batch, c_last * l_last]
        (dense(&self.mu, x.clone()), dense(&self.log_var, x))
    }

    /// Rebuilds windows from latent codes.
    ///
    /// Shapes: `z` `[batch, latent]` → `[batch, seq, channels]`.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<3> {
        let [batch, _] = z.dims();
        let [deep_channels, deep_length] = self.deepest;
        let mut x = dense(&self.project, z) // [batch, c_last * l_last]
            .reshape([batch, deep_channels, deep_length]);
        for block in &self.decoder {
            x = block.forward(x); // [batch, c_i, l_i]
        }
        // [batch, channels, seq] → [batch, seq, channels]
        blocks::convolve_transposed(&self.output, x).swap_dims(1, 2)
    }

    /// `z = mu + exp(0.5 * log_var) * eps`, `eps ~ N(0, I)`, in training mode; `mu` otherwise.
    ///
    /// Shapes: `mu`, `log_var` `[batch, latent]` → `[batch, latent]`.
    pub fn sample_latent(&self, mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<2> {
        if !self.is_training_on(&mu.device()) {
            return mu;
        }
        let eps = mu.random_like(Distribution::Normal(0.0, 1.0));
        mu + log_var.mul_scalar(0.5).exp() * eps
    }

    /// [`reconstruct`](ReconstructionModel::reconstruct) with the input's shape checked first:
    /// an [`Error::InvalidArgument`] when it is not `[batch >= 1, seq, channels]`.
    pub fn try_reconstruct(&self, input: Tensor<3>) -> Result<Reconstruction> {
        let [batch, seq, channels] = input.dims();
        if batch == 0 || seq != self.seq || channels != self.channels {
            return Err(Error::invalid(
                "input",
                format!(
                    "shape [{batch}, {seq}, {channels}]; this model takes [batch >= 1, {}, {}]",
                    self.seq, self.channels
                ),
            ));
        }
        Ok(self.reconstruct(input))
    }

    /// KL weight at optimizer step `step`: `beta` times the configured warm-up multiplier.
    pub fn kl_weight(&self, step: usize) -> f64 {
        self.beta
            * KlWarmup {
                steps: self.kl_warmup_steps,
            }
            .weight(step)
    }

    /// The loss terms of `reconstruction` of `input` at optimizer step `step` (for the KL
    /// warm-up): MSE averaged over every element, plus [`kl_weight`](Self::kl_weight)`(step)`
    /// times [`kl_divergence`] of the posterior.
    ///
    /// Shapes: `input` and `reconstruction.output` `[batch, seq, channels]`; every term `[1]`.
    pub fn loss_at(
        &self,
        input: Tensor<3>,
        reconstruction: &Reconstruction,
        step: usize,
    ) -> VaeLoss {
        let mse = (reconstruction.output.clone() - input)
            .powi_scalar(2)
            .mean();
        let mu = reconstruction.latent.clone();
        // A Reconstruction made by this model always has a log-variance; without one (a
        // deterministic code), the posterior is taken as unit-variance.
        let log_var = match &reconstruction.log_var {
            Some(log_var) => log_var.clone(),
            None => mu.zeros_like(),
        };
        VaeLoss::new(mse, kl_divergence(mu, log_var), self.kl_weight(step))
    }
}

impl ConvVae {
    /// [`reconstruct`](ReconstructionModel::reconstruct) of the whole batch on this thread.
    fn reconstruct_block(&self, input: Tensor<3>) -> Reconstruction {
        let (mu, log_var) = self.encode(input);
        let z = self.sample_latent(mu.clone(), log_var.clone());
        Reconstruction {
            output: self.decode(z),
            latent: mu,
            log_var: Some(log_var),
        }
    }
}

impl ReconstructionModel for ConvVae {
    /// Shapes: `input` `[batch, seq, channels]` → output `[batch, seq, channels]`, latent (`mu`)
    /// and log-variance `[batch, latent]`. Panics (in Burn) when `seq` or `channels` differ from
    /// the configuration; [`ConvVae::try_reconstruct`] checks them instead. Inference on a CPU
    /// splits the batch over the cores ([`split_rows`]).
    fn reconstruct(&self, input: Tensor<3>) -> Reconstruction {
        split_rows(input, default_threads(), |block| {
            self.reconstruct_block(block)
        })
    }

    /// `MSE + beta * KL` with the full KL weight (warm-up over); see [`ConvVae::loss_at`].
    fn loss(&self, input: Tensor<3>, reconstruction: &Reconstruction) -> Tensor<1> {
        self.loss_at(input, reconstruction, usize::MAX).total
    }

    /// `MSE + beta * KL` with the KL weight of [`KlWarmup`] at `step`.
    fn training_loss(
        &self,
        input: Tensor<3>,
        reconstruction: &Reconstruction,
        step: usize,
    ) -> Tensor<1> {
        self.loss_at(input, reconstruction, step).total
    }
}
