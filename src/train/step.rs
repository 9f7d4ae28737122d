//! What burn-train's `Learner` runs each batch: the model wrapped so any
//! [`ReconstructionModel`] gets `TrainStep` / `InferenceStep`, the training batcher (augmentation
//! and the optimizer-step counter for KL warm-up) and the loss item the metrics read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Device, Tensor, TensorData};
use burn::train::metric::{Adaptor, LossInput};
use burn::train::{InferenceStep, ItemLazy, TrainOutput, TrainStep};

use crate::augment::{Compose, augment_batch_par};
use crate::data::batch::{WindowBatch, WindowItem};
use crate::model::ReconstructionModel;

/// A [`ReconstructionModel`] as burn-train's `Learner` wants it (the trait impls live here
/// because `TrainStep` and the model types belong to other crates or are generic).
#[derive(Module, Debug)]
pub(crate) struct Trainee<M: Module> {
    pub(crate) model: M,
}

/// A training batch: the windows, possibly augmented, and the number of batches before it in
/// this run (the optimizer step, for KL warm-up).
#[derive(Debug, Clone)]
pub(crate) struct TrainBatch {
    pub(crate) inputs: Tensor<3>,
    pub(crate) step: usize,
}

/// The loss of one batch, repeated once per window so burn's `LossMetric` weighs batches by
/// their size when it averages an epoch.
pub(crate) struct LossItem {
    loss: Tensor<1>,
}

impl LossItem {
    fn new(loss: Tensor<1>, batch: usize) -> Self {
        Self {
            loss: loss.detach().expand([batch]),
        }
    }
}

impl Adaptor<LossInput> for LossItem {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

impl ItemLazy for LossItem {
    fn sync(self) -> Result<Self, burn::tensor::ExecutionError> {
        self.loss.device().flush()?;
        Ok(Self {
            loss: self.loss.without_autodiff(),
        })
    }
}

impl<M: ReconstructionModel + Module + ModuleDisplay + 'static> TrainStep for Trainee<M> {
    type Input = TrainBatch;
    type Output = LossItem;

    fn step(&self, batch: TrainBatch) -> TrainOutput<LossItem> {
        let [n, _, _] = batch.inputs.dims();
        let reconstruction = self.model.reconstruct(batch.inputs.clone());
        let loss = self
            .model
            .training_loss(batch.inputs, &reconstruction, batch.step);
        let item = LossItem::new(loss.clone(), n);
        TrainOutput::new(self, loss.backward(), item)
    }
}

impl<M: ReconstructionModel + Module + ModuleDisplay + 'static> InferenceStep for Trainee<M> {
    type Input = WindowBatch;
    type Output = LossItem;

    fn step(&self, batch: WindowBatch) -> LossItem {
        let [n, _, _] = batch.inputs.dims();
        let reconstruction = self.model.reconstruct(batch.inputs.clone());
        LossItem::new(self.model.loss(batch.inputs, &reconstruction), n)
    }
}

/// Stacks training windows, augments them and numbers the batches.
///
/// Batch `k` of the run is augmented with seed `mix(seed, k)` (window `i` of it then with its
/// own stream, [`augment_batch_par`]), so a run is repeatable when batches are made in order,
/// i.e. with at most one data-loader worker.
#[derive(Debug, Clone)]
pub(crate) struct TrainBatcher {
    pub(crate) seq: usize,
    pub(crate) channels: usize,
    pub(crate) seed: u64,
    pub(crate) augment: Option<Arc<Compose>>,
    pub(crate) batches: Arc<AtomicUsize>,
}

impl Batcher<WindowItem, TrainBatch> for TrainBatcher {
    fn batch(&self, items: Vec<WindowItem>, device: &Device) -> TrainBatch {
        let step = self.batches.fetch_add(1, Ordering::SeqCst);
        let width = self.seq * self.channels;
        let mut data = Vec::with_capacity(items.len() * width);
        for item in &items {
            // The dataset guarantees `width` samples per item; pad or cut defensively.
            let take = item.samples.len().min(width);
            data.extend_from_slice(&item.samples[..take]);
            data.resize(data.len() + width - take, 0.0);
        }
        if let Some(augment) = &self.augment {
            // `fit` only allows augmentation of single-channel windows, so a window is a beat.
            let seed = mix(self.seed, step as u64);
            if augment_batch_par(augment.as_ref(), &mut data, width, seed).is_err() {
                unreachable!("width > 0 divides the batch it built");
            }
        }
        let shape = [items.len(), self.seq, self.channels];
        TrainBatch {
            inputs: Tensor::from_data(TensorData::new(data, shape), device),
            step,
        }
    }
}

/// Seed of batch `k`: distinct for every `(seed, k)` pair in practice (a golden-ratio step).
fn mix(seed: u64, k: u64) -> u64 {
    seed ^ k.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
