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

/// A model's configuration, enough to rebuild it before loading its weights (`model.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "snake_case")]
pub enum ModelSpec {
    /// An LSTM autoencoder.
    LstmAutoencoder(LstmAutoencoderConfig),
    /// A convolutional VAE.
    ConvVae(ConvVaeConfig),
}

impl Default for ModelSpec {
    /// An LSTM autoencoder with its default configuration.
    fn default() -> Self {
        ModelSpec::LstmAutoencoder(LstmAutoencoderConfig::default())
    }
}

impl ModelSpec {
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
