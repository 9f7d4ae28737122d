//! Reconstruction models: tensors in, tensors out; no files, scores or HTTP.
//!
//! Every model implements [`ReconstructionModel`], so training, scoring and serving treat them
//! the same and a new model can be added without touching them. Shapes are
//! `[batch, seq, channels]` for beats and windows, `[batch, latent]` for codes.

use burn::tensor::Tensor;

#[cfg(feature = "flex")]
pub mod conv;
mod conv_vae;
#[cfg(feature = "flex")]
pub(crate) mod flex_op;
mod fused_lstm;
#[cfg(feature = "flex")]
mod gemm;
#[cfg(feature = "flex")]
pub mod linear;
mod lstm_autoencoder;
#[cfg(feature = "flex")]
pub mod norm_activation;
pub mod parallel;
#[cfg(feature = "flex")]
pub mod recurrence;
#[cfg(feature = "flex")]
pub(crate) mod simd;
#[cfg(feature = "flex")]
pub mod workspace;

pub use conv_vae::{ConvVae, ConvVaeConfig, KlWarmup, VaeLoss, kl_divergence};
pub use fused_lstm::{FusedLstm, FusedLstmConfig, FusedLstmLayer, LstmInput, RecurrenceKernel};
pub use lstm_autoencoder::{LstmAutoencoder, LstmAutoencoderConfig, time_code};

/// What a model gives back for a batch.
#[derive(Debug, Clone)]
pub struct Reconstruction {
    /// The rebuilt input, `[batch, seq, channels]`.
    pub output: Tensor<3>,
    /// The latent code, `[batch, latent]`: the encoder's output, or the posterior mean `mu` of a
    /// variational model.
    pub latent: Tensor<2>,
    /// Log-variance of the posterior, `[batch, latent]`, for variational models only.
    pub log_var: Option<Tensor<2>>,
}

/// A model trained to rebuild normal beats, whose failure to rebuild marks an anomaly.
pub trait ReconstructionModel {
    /// Encodes and rebuilds `input` (`[batch, seq, channels]`). Stochastic parts (dropout,
    /// sampling of the latent) act only when the device tracks gradients and the module is in
    /// training mode; otherwise the output is deterministic (the posterior mean for a VAE).
    fn reconstruct(&self, input: Tensor<3>) -> Reconstruction;

    /// Training loss for `input` and its reconstruction, a one-element tensor `[1]`: the mean
    /// squared error, plus the model's own regulariser (e.g. `beta * KL` for a VAE).
    fn loss(&self, input: Tensor<3>, reconstruction: &Reconstruction) -> Tensor<1>;

    /// The loss minimised at optimizer step `step` (0-based) of a training run, `[1]`. Defaults
    /// to [`loss`](Self::loss); a model whose objective changes during training (e.g. a VAE's
    /// KL warm-up) overrides it.
    fn training_loss(
        &self,
        input: Tensor<3>,
        reconstruction: &Reconstruction,
        step: usize,
    ) -> Tensor<1> {
        let _ = step;
        self.loss(input, reconstruction)
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    /// The JSON keys of a config, sorted.
    fn keys(value: impl serde::Serialize) -> Vec<String> {
        let mut keys: Vec<String> = match serde_json::to_value(value).unwrap() {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("expected a JSON object, got {other}"),
        };
        keys.sort();
        keys
    }

    #[test]
    fn missing_json_fields_take_the_documented_defaults() {
        let lstm: LstmAutoencoderConfig = serde_json::from_str(r#"{"hidden": 8}"#).unwrap();
        let expected = LstmAutoencoderConfig {
            hidden: 8,
            ..Default::default()
        };
        assert_eq!(lstm, expected);
        assert_eq!((lstm.channels, lstm.latent, lstm.time_features), (1, 32, 8));

        let vae: ConvVaeConfig = serde_json::from_str(r#"{"seq": 160}"#).unwrap();
        assert_eq!(vae.block_channels, vec![32, 64, 128, 256]);
        assert_eq!((vae.seq, vae.latent, vae.kl_warmup.steps), (160, 16, 0));
        assert_eq!((vae.dropout, vae.beta, vae.leaky_slope), (0.1, 1.0, 0.2));

        let fused: FusedLstmConfig = serde_json::from_str(r#"{"d_input": 3}"#).unwrap();
        assert_eq!((fused.d_input, fused.d_hidden, fused.layers), (3, 64, 1));
        assert_eq!(fused.dropout, 0.0);
    }

    /// `model.json` files written while these were Burn `Config`s keep loading: same keys.
    #[test]
    fn json_field_names_are_stable() {
        let lstm = [
            "channels",
            "dropout",
            "hidden",
            "latent",
            "layers",
            "time_features",
        ];
        assert_eq!(keys(LstmAutoencoderConfig::default()), lstm);
        let vae = [
            "beta",
            "block_channels",
            "channels",
            "dropout",
            "kernel_size",
            "kl_warmup",
            "latent",
            "leaky_slope",
            "seq",
            "stride",
        ];
        assert_eq!(keys(ConvVaeConfig::default()), vae);
        let fused = ["d_hidden", "d_input", "dropout", "layers"];
        assert_eq!(keys(FusedLstmConfig::default()), fused);
    }
}
