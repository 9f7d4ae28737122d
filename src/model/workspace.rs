//! Large buffers of the fused Flex operations kept from call to call, so a training step
//! writes into pages an earlier step already faulted in.
//!
//! glibc serves a buffer of several MiB with a fresh `mmap` (or grows the heap and trims it
//! again on free), so every step of a training loop would fault in, zero and unmap the same
//! megabytes again: on a 2-core AMD EPYC a quarter of an LSTM autoencoder's training step went
//! to page faults, and a ConvVae's a seventh. A buffer taken here goes back to a process-wide
//! pool when dropped, also when it became the storage of a Flex tensor (the fused operations'
//! outputs and gradients) and Burn drops that tensor; the pool keeps at most
//! [`MAX_POOLED_BYTES`] in [`MAX_POOLED`] buffers and lets the rest go to the allocator, so the
//! memory it holds on to is bounded whatever the model sizes.

use std::fmt;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use burn_std::{AccessError, AccessPolicy, AllocationController, AllocationProperty, Bytes};

/// Bytes the pool keeps at most (256 MiB): a training step of the default models at batch 64
/// holds a tenth of it (the recurrence's saved gates and gradients, the convolutions' and
/// batch norms' outputs and gradients).
pub const MAX_POOLED_BYTES: usize = 256 << 20;

/// Buffers the pool keeps at most.
pub const MAX_POOLED: usize = 64;

/// Buffers smaller than this (256 KiB) come from the allocator and go back to it: the pool is
/// for the ones glibc would map afresh.
pub(super) const MIN_POOLED_BYTES: usize = 256 << 10;

static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// `len` values whose contents are unspecified (zeros or an earlier user's values): every user
/// overwrites them before reading. Dropped, the allocation goes back to the pool.
pub(crate) struct Buffer {
    /// Initialised over its whole length, which may exceed `len`: a pooled allocation is
    /// never written again just to be handed out.
    values: Vec<f32>,
    len: usize,
}

impl Buffer {
    /// A buffer of `len` values, reusing the smallest pooled allocation that holds them.
    pub(crate) fn take(len: usize) -> Self {
        match pooled(len) {
            Some(values) => Buffer { values, len },
            None => vec![0.0; len].into(),
        }
    }

    /// `len` zeros, in the smallest pooled allocation that holds them when there is one.
    pub(crate) fn zeroed(len: usize) -> Self {
        match pooled(len) {
            Some(mut values) => {
                values[..len].fill(0.0);
                Buffer { values, len }
            }
            // A fresh allocation's pages come zeroed from the kernel; no pass over them here.
            None => vec![0.0; len].into(),
        }
    }

    /// The storage of a Flex tensor of these values: Burn reads and writes it in place, and
    /// the allocation goes back to the pool when Burn drops the tensor.
    pub(crate) fn into_bytes(self) -> Bytes {
        let len = self.len * size_of::<f32>();
        // SAFETY: `from_controller` needs the first `len` bytes of the controller's memory
        // initialised: `Pooled` exposes all of `values`, initialised over its whole length
        // (the `Buffer` invariant), and `self.len <= values.len()`.
        unsafe { Bytes::from_controller(Box::new(Pooled(self)), len) }
    }
}

impl From<Vec<f32>> for Buffer {
    /// `values` as a buffer that joins the pool when dropped.
    fn from(values: Vec<f32>) -> Self {
        let len = values.len();
        Buffer { values, len }
    }
}

/// A pooled allocation for `len` values: none for a small buffer or when none fits.
fn pooled(len: usize) -> Option<Vec<f32>> {
    (len * size_of::<f32>() >= MIN_POOLED_BYTES)
        .then(|| take_pooled(len))
        .flatten()
}

/// A [`Buffer`] behind a tensor's [`Bytes`]: the whole allocation, host-resident, owned alone.
struct Pooled(Buffer);

impl AllocationController for Pooled {
    fn alloc_align(&self) -> usize {
        align_of::<f32>()
    }

    fn property(&self) -> AllocationProperty {
        AllocationProperty::Other
    }

    fn memory(&self, _: AccessPolicy) -> Result<&[MaybeUninit<u8>], AccessError> {
        let values = self.0.values.as_slice();
        // SAFETY: `values` is one live allocation of `size_of_val(values)` initialised bytes,
        // borrowed for `self`'s lifetime; `MaybeUninit<u8>` has no alignment or validity needs.
        Ok(unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), size_of_val(values)) })
    }

    unsafe fn memory_mut(
        &mut self,
        _: AccessPolicy,
    ) -> Result<&mut [MaybeUninit<u8>], AccessError> {
        let values = self.0.values.as_mut_slice();
        let bytes = size_of_val(values);
        // SAFETY: as in `memory`, borrowed mutably; the caller writes only initialised bytes
        // (the trait's contract), so `values` stays valid `f32`s (any bit pattern is one).
        Ok(unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), bytes) })
    }
}

/// The smallest pooled allocation of at least `len` values, out of the pool.
fn take_pooled(len: usize) -> Option<Vec<f32>> {
    let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let best = (pool.iter().enumerate())
        .filter(|(_, v)| v.len() >= len)
        .min_by_key(|(_, v)| v.len())
        .map(|(i, _)| i)?;
    Some(pool.swap_remove(best))
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let values = std::mem::take(&mut self.values);
        let bytes = values.capacity() * 4;
        if bytes < MIN_POOLED_BYTES {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let held: usize = pool.iter().map(|v| v.capacity() * 4).sum();
        if pool.len() < MAX_POOLED && held + bytes <= MAX_POOLED_BYTES {
            pool.push(values);
        }
    }
}

impl Deref for Buffer {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        &self.values[..self.len]
    }
}

impl DerefMut for Buffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.values[..self.len]
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Buffer({} values)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_reused_and_keeps_its_values_until_overwritten() {
        let len = MIN_POOLED_BYTES / 4 + 123;
        let mut first = Buffer::take(len);
        first.fill(7.0);
        let address = first.as_ptr();
        drop(first);
        // Another test may take it between the drop and the take; only check when it came back.
        let second = Buffer::take(len - 100);
        assert_eq!(second.len(), len - 100);
        if second.as_ptr() == address {
            assert!(second.iter().all(|&v| v == 7.0));
        }
    }

    #[test]
    fn small_buffers_bypass_the_pool_and_the_pool_stays_bounded() {
        let small = Buffer::take(10);
        assert_eq!(&*small, &[0.0; 10]);
        let big: Vec<Buffer> = (0..MAX_POOLED + 4)
            .map(|_| Buffer::take(MIN_POOLED_BYTES / 4))
            .collect();
        drop(big);
        let pool = POOL.lock().unwrap();
        assert!(pool.len() <= MAX_POOLED);
        assert!(pool.iter().map(|v| v.capacity() * 4).sum::<usize>() <= MAX_POOLED_BYTES);
    }
}
