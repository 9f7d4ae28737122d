//! Which model a detector holds: its serde configuration and the built module.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::{
    ConvVae, ConvVaeConfig, LstmAutoencoder, LstmAutoencoderConfig, Reconstruction,
    ReconstructionModel,
};

/// The kind of model, as written in the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// [`LstmAutoencoder`].
    LstmAutoencoder,
    /// [`ConvVae`].
    ConvVae,
}

impl std::fmt::Display for ModelKind {
    /// As in JSON: `lstm_autoencoder`, `conv_vae`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ModelKind::LstmAutoencoder => "lstm_autoencoder",
            ModelKind::ConvVae => "conv_vae",
        })
    }
}

/// A model's configuration, enough to rebuild it before loading its weights (`model.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "snake_case")]
pub enum ModelSpec {
    /// An LSTM autoencoder.
    LstmAutoencoder(LstmAutoencoderConfig),
    /// A convolutional VAE.
    ConvVae(ConvVaeConfig),
}

/// Largest model a detector folder may describe: a `config.json` beyond these is refused
/// before any weight is allocated. Raise them (struct update syntax) for a bigger model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelLimits {
    /// Most units in any layer (LSTM hidden size, latent size, convolution channels). 4096.
    pub width: usize,
    /// Most stacked LSTM layers or convolution blocks. 16.
    pub depth: usize,
    /// Most input channels (leads). 64.
    pub channels: usize,
    /// Most samples in a window the model is built for. 65,536.
    pub seq: usize,
    /// Most convolution kernel taps. 255.
    pub kernel: usize,
}

impl Default for ModelLimits {
    fn default() -> Self {
        Self {
            width: 4096,
            depth: 16,
            channels: 64,
            seq: 65_536,
            kernel: 255,
        }
    }
}

impl Default for ModelSpec {
    /// A ConvVae with its default configuration, the model of
    /// [`DetectorConfig::default`](super::DetectorConfig).
    fn default() -> Self {
        ModelSpec::ConvVae(ConvVaeConfig::default())
    }
}

impl ModelSpec {
    /// Checks every size against `limits` (and that none is 0); [`crate::Error::InvalidArgument`]
    /// names the field.
    pub fn check_limits(&self, limits: &ModelLimits) -> Result<()> {
        let mut sizes: Vec<(&'static str, usize, usize)> = Vec::new();
        match self {
            ModelSpec::LstmAutoencoder(c) => {
                sizes.push(("channels", c.channels, limits.channels));
                sizes.push(("hidden", c.hidden, limits.width));
                sizes.push(("latent", c.latent, limits.width));
                sizes.push(("layers", c.layers, limits.depth));
                if c.time_features > limits.width {
                    sizes.push(("time_features", c.time_features, limits.width));
                }
            }
            ModelSpec::ConvVae(c) => {
                sizes.push(("channels", c.channels, limits.channels));
                sizes.push(("seq", c.seq, limits.seq));
                sizes.push(("latent", c.latent, limits.width));
                sizes.push(("kernel_size", c.kernel_size, limits.kernel));
                sizes.push(("stride", c.stride, limits.kernel));
                sizes.push(("block_channels", c.block_channels.len(), limits.depth));
                for &b in &c.block_channels {
                    sizes.push(("block_channels", b, limits.width));
                }
            }
        }
        for (name, value, max) in sizes {
            if value == 0 || value > max {
                let msg = format!("{value} is not in 1..={max} (see detector::ModelLimits)");
                return Err(crate::Error::invalid(name, msg));
            }
        }
        Ok(())
    }

    /// Checks every setting: the sizes against [`ModelLimits::default`] (as
    /// [`check_limits`](Self::check_limits)), and what the model's own `init` checks (dropout
    /// in `[0, 1)`, a ConvVae's `beta >= 0`, finite slope, and an input length its blocks can
    /// encode), so a configuration that passes builds.
    pub fn validate(&self) -> Result<()> {
        self.check_limits(&ModelLimits::default())?;
        match self {
            ModelSpec::LstmAutoencoder(c) => crate::model::FusedLstmConfig {
                d_input: c.channels,
                d_hidden: c.hidden,
                layers: c.layers,
                dropout: c.dropout,
            }
            .validate(),
            ModelSpec::ConvVae(c) => c.encoder_lengths().map(drop),
        }
    }

    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelSpec::LstmAutoencoder(_) => ModelKind::LstmAutoencoder,
            ModelSpec::ConvVae(_) => ModelKind::ConvVae,
        }
    }

    /// Input channels (leads) the model takes.
    pub fn channels(&self) -> usize {
        match self {
            ModelSpec::LstmAutoencoder(c) => c.channels,
            ModelSpec::ConvVae(c) => c.channels,
        }
    }

    /// The one input length the model is built for, or `None` if it takes any length.
    pub fn fixed_seq(&self) -> Option<usize> {
        match self {
            ModelSpec::LstmAutoencoder(_) => None,
            ModelSpec::ConvVae(c) => Some(c.seq),
        }
    }

    /// This model built for windows of `seq` samples: a ConvVae's `seq` set to it (its layers
    /// depend on the length), any other model as it is.
    pub fn for_windows(&self, seq: usize) -> ModelSpec {
        match self {
            ModelSpec::ConvVae(c) => ModelSpec::ConvVae(ConvVaeConfig { seq, ..c.clone() }),
            other => other.clone(),
        }
    }

    /// This model taking `channels` input channels (leads), every other setting kept.
    pub fn with_channels(&self, channels: usize) -> ModelSpec {
        match self {
            ModelSpec::LstmAutoencoder(c) => ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
                channels,
                ..c.clone()
            }),
            ModelSpec::ConvVae(c) => ModelSpec::ConvVae(ConvVaeConfig {
                channels,
                ..c.clone()
            }),
        }
    }

    /// Builds a freshly initialised model on `device`.
    pub fn init(&self, device: &Device) -> Result<AnyModel> {
        Ok(match self {
            ModelSpec::LstmAutoencoder(c) => AnyModel::LstmAutoencoder(c.init(device)?),
            ModelSpec::ConvVae(c) => AnyModel::ConvVae(c.init(device)?),
        })
    }
}

/// One of the crate's models, as one Burn [`Module`]: trained, saved and loaded like either.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)] // one per detector; boxing would hide it from `Module`
pub enum AnyModel {
    /// An LSTM autoencoder.
    LstmAutoencoder(LstmAutoencoder),
    /// A convolutional VAE.
    ConvVae(ConvVae),
}

impl AnyModel {
    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            AnyModel::LstmAutoencoder(_) => ModelKind::LstmAutoencoder,
            AnyModel::ConvVae(_) => ModelKind::ConvVae,
        }
    }

    fn inner(&self) -> &dyn ReconstructionModel {
        match self {
            AnyModel::LstmAutoencoder(m) => m,
            AnyModel::ConvVae(m) => m,
        }
    }
}

impl ReconstructionModel for AnyModel {
    fn reconstruct(&self, input: Tensor<3>) -> Reconstruction {
        self.inner().reconstruct(input)
    }

    fn loss(&self, input: Tensor<3>, reconstruction: &Reconstruction) -> Tensor<1> {
        self.inner().loss(input, reconstruction)
    }

    fn training_loss(
        &self,
        input: Tensor<3>,
        reconstruction: &Reconstruction,
        step: usize,
    ) -> Tensor<1> {
        self.inner().training_loss(input, reconstruction, step)
    }
}

impl From<LstmAutoencoder> for AnyModel {
    fn from(model: LstmAutoencoder) -> Self {
        AnyModel::LstmAutoencoder(model)
    }
}

impl From<ConvVae> for AnyModel {
    fn from(model: ConvVae) -> Self {
        AnyModel::ConvVae(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_display_as_their_json_names() {
        for kind in [ModelKind::LstmAutoencoder, ModelKind::ConvVae] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }
}
