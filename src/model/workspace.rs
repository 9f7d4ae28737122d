//! Large buffers of the fused Flex operations kept from call to call, so a training step
//! writes into pages an earlier step already faulted in.
//!
//! glibc serves a buffer of several MiB with a fresh `mmap` (or grows the heap and trims it
//! again on free), so every step of a training loop would fault in, zero and unmap the same
//! megabytes again: on a 2-core AMD EPYC a quarter of an LSTM autoencoder's training step went
//! to page faults. A buffer taken here goes back to a process-wide pool when dropped; the
//! pool keeps at most [`MAX_POOLED_BYTES`] in [`MAX_POOLED`] buffers and lets the rest go to
//! the allocator, so the memory it holds on to is bounded whatever the model sizes.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// Bytes the pool keeps at most (256 MiB): a few training steps' saved gates and gradients
/// of the default models at batch 64 take a tenth of it.
pub const MAX_POOLED_BYTES: usize = 256 << 20;

/// Buffers the pool keeps at most.
pub const MAX_POOLED: usize = 16;

/// Buffers smaller than this (256 KiB) come from the allocator and go back to it: the pool is
/// for the ones glibc would map afresh.
const MIN_POOLED_BYTES: usize = 256 << 10;

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
        let mut values = if len * 4 < MIN_POOLED_BYTES {
            Vec::new()
        } else {
            take_pooled(len).unwrap_or_default()
        };
        if values.len() < len {
            values.resize(len, 0.0);
        }
        Buffer { values, len }
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
