//! Inference on several CPU threads by splitting the batch.
//!
//! Burn's CPU backends thread large matrix products, but a model's many smaller operations
//! (normalisation, activations, reshapes) run on the calling thread. Reconstructing row blocks
//! of the batch on scoped threads keeps every core busy for the whole forward pass; only the
//! outputs (`[batch, seq, channels]`) and codes are concatenated afterwards. Both models'
//! `reconstruct` split themselves this way ([`split_rows`]); a split asked for inside a block runs
//! on that block's thread, so callers that split too (the batch scorer) never start threads
//! twice over.

use std::cell::Cell;
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
    // The model's own split stays off inside: `threads` decides.
    split_rows(input, threads, |block| {
        as_block(|| model.reconstruct(block))
    })
}

/// `f()` with this thread marked as running one block, so a [`split_rows`] inside runs on it.
fn as_block<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the mark, also when `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_BLOCK.set(self.0);
        }
    }
    let _restore = Restore(IN_BLOCK.replace(true));
    f()
}

thread_local! {
    /// Whether this thread reconstructs one block of a split batch.
    static IN_BLOCK: Cell<bool> = const { Cell::new(false) };
}

/// `run(input)` for `input` `[batch, seq, channels]`, with the batch cut into up to `threads`
/// row blocks that `run` reconstructs on scoped threads when the device is a CPU
/// ([`splits_on`]), the batch has at least 16 rows a thread, and this thread is not itself
/// running a block of a split; otherwise `run(input)` on this thread. `run` must treat rows
/// independently (inference mode), so the result is one call's, row for row.
pub fn split_rows<F>(input: Tensor<3>, threads: usize, run: F) -> Reconstruction
where
    F: Fn(Tensor<3>) -> Reconstruction + Sync,
{
    let [batch, ..] = input.dims();
    let parts = threads.min(batch / MIN_ROWS_PER_THREAD).max(1);
    if parts == 1 || IN_BLOCK.get() || !splits_on(&input.device()) {
        return run(input);
    }
    let per = batch.div_ceil(parts);
    let blocks: Vec<Tensor<3>> = input.split(per, 0);
    let run = &run;
    let results: Vec<Reconstruction> = thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .into_iter()
            .map(|block| scope.spawn(move || as_block(|| run(block))))
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
