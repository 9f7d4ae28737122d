//! Inference on several CPU threads by splitting the batch.
//!
//! Burn's CPU backends thread large matrix products, but a model's many smaller operations
//! (normalisation, activations, reshapes) run on the calling thread. Reconstructing row blocks
//! of the batch on scoped threads keeps every core busy for the whole forward pass; only the
//! outputs (`[batch, seq, channels]`) and codes are concatenated afterwards.

use std::thread;

use burn::tensor::{Device, Tensor};

use super::{Reconstruction, ReconstructionModel};

/// Fewest windows worth a thread of their own.
const MIN_ROWS_PER_THREAD: usize = 16;

/// Threads [`reconstruct_split`] uses by default: the machine's available parallelism.
pub fn default_threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether splitting helps on `device`: a CPU backend (Flex or ndarray) without autodiff.
/// GPU backends already spread one batch over the whole device.
pub fn splits_on(device: &Device) -> bool {
    #[cfg(any(feature = "flex", feature = "ndarray"))]
    use burn::backend::DispatchDevice;
    if device.is_autodiff() {
        return false;
    }
    match device.as_dispatch() {
        #[cfg(feature = "flex")]
        DispatchDevice::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        DispatchDevice::NdArray(_) => true,
        _ => false,
    }
}

/// [`ReconstructionModel::reconstruct`] of `input` `[batch, seq, channels]`, with the batch
/// cut into up to `threads` row blocks reconstructed on scoped threads when the device is a
/// CPU ([`splits_on`]) and the batch is large enough; otherwise one call on this thread. The
/// result equals one call's, row for row.
pub fn reconstruct_split<M>(model: &M, input: Tensor<3>, threads: usize) -> Reconstruction
where
    M: ReconstructionModel + Sync,
{
    let [batch, ..] = input.dims();
    let parts = threads.min(batch / MIN_ROWS_PER_THREAD).max(1);
    if parts == 1 || !splits_on(&input.device()) {
        return model.reconstruct(input);
    }
    let per = batch.div_ceil(parts);
    let blocks: Vec<Tensor<3>> = input.split(per, 0);
    let results: Vec<Reconstruction> = thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .into_iter()
            .map(|block| scope.spawn(move || model.reconstruct(block)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    concat(results)
}

/// Joins reconstructions of consecutive row blocks.
fn concat(parts: Vec<Reconstruction>) -> Reconstruction {
    let mut outputs = Vec::with_capacity(parts.len());
    let mut latents = Vec::with_capacity(parts.len());
    let mut log_vars = Vec::with_capacity(parts.len());
    for part in parts {
        outputs.push(part.output);
        latents.push(part.latent);
        log_vars.push(part.log_var);
    }
    let log_var = log_vars
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .map(|parts| Tensor::cat(parts, 0));
    Reconstruction {
        output: Tensor::cat(outputs, 0),
        latent: Tensor::cat(latents, 0),
        log_var,
    }
}
