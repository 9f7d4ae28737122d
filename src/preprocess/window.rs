//! Sliding windows (length, stride) over a continuous lead.

use crate::preprocess::check::check_signal;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What to do with samples after the last full window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tail {
    /// Ignore them (default): every window is real signal, some trailing samples go unseen.
    #[default]
    Drop,
    /// Add one window ending on the last sample (it overlaps the previous one more than
    /// `stride`). Nothing is added when the signal is shorter than a window.
    AlignEnd,
    /// Add one window at the next stride position (when it falls inside the signal), filled up
    /// by repeating the last sample.
    PadEdge,
}

/// Windows copied into one contiguous buffer: window `i` is `data[i * len .. (i + 1) * len]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    /// Samples per window.
    pub len: usize,
    /// Start sample of each window in the signal.
    pub starts: Vec<usize>,
    /// All windows, one after the other.
    pub data: Vec<f32>,
}

impl Windows {
    /// Number of windows.
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// True when there is no window.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Iterator over the windows as slices.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact(self.len.max(1))
    }
}

/// Full windows of `len` samples every `stride` samples, borrowed from `signal` (no copy); the
/// tail is dropped. Yields `(start, window)`. Errors when `len` or `stride` is 0.
pub fn sliding_windows(
    signal: &[f32],
    len: usize,
    stride: usize,
) -> Result<impl Iterator<Item = (usize, &[f32])>> {
    check_shape(len, stride)?;
    Ok(signal
        .windows(len)
        .step_by(stride)
        .enumerate()
        .map(move |(i, w)| (i * stride, w)))
}

/// Start samples of the windows [`windows`] would cut from `n` samples.
pub fn window_starts(n: usize, len: usize, stride: usize, tail: Tail) -> Result<Vec<usize>> {
    check_shape(len, stride)?;
    let full = if n >= len { (n - len) / stride + 1 } else { 0 };
    let mut starts: Vec<usize> = (0..full).map(|i| i * stride).collect();
    let covered = starts.last().map_or(0, |s| s + len);
    if covered < n {
        match tail {
            Tail::Drop => {}
            Tail::AlignEnd if n >= len => starts.push(n - len),
            Tail::AlignEnd => {}
            Tail::PadEdge => match full.checked_mul(stride) {
                Some(next) if next < n => starts.push(next),
                _ => {}
            },
        }
    }
    Ok(starts)
}

/// Windows of `len` samples every `stride` samples, copied into one buffer, with the `tail`
/// policy for trailing samples. Errors: `len` or `stride` 0, empty or non-finite signal.
pub fn windows(signal: &[f32], len: usize, stride: usize, tail: Tail) -> Result<Windows> {
    check_signal(signal)?;
    let starts = window_starts(signal.len(), len, stride, tail)?;
    let total = starts
        .len()
        .checked_mul(len)
        .filter(|t| *t <= isize::MAX as usize / 4);
    let Some(total) = total else {
        return Err(Error::invalid(
            "len",
            format!(
                "{} windows of {len} samples do not fit in memory",
                starts.len()
            ),
        ));
    };
    let mut data = Vec::with_capacity(total);
    let last = signal.last().copied().unwrap_or(0.0);
    for &s in &starts {
        let part = signal
            .get(s..s.saturating_add(len).min(signal.len()))
            .unwrap_or(&[]);
        data.extend_from_slice(part);
        data.resize(data.len() + len - part.len(), last);
    }
    Ok(Windows { len, starts, data })
}

fn check_shape(len: usize, stride: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::invalid("len", "a window needs at least one sample"));
    }
    if stride == 0 {
        return Err(Error::invalid("stride", "must be at least one sample"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| i as f32).collect()
    }

    #[test]
    fn tail_policies() {
        let x = ramp(10);
        let drop = windows(&x, 4, 3, Tail::Drop).unwrap();
        assert_eq!(drop.starts, vec![0, 3, 6]);
        assert_eq!(drop.data, [0., 1., 2., 3., 3., 4., 5., 6., 6., 7., 8., 9.]);
        // 10 samples, windows of 4 every 4: samples 8 and 9 are left over.
        let align = windows(&x, 4, 4, Tail::AlignEnd).unwrap();
        assert_eq!(align.starts, vec![0, 4, 6]);
        assert_eq!(align.iter().last().unwrap(), &[6., 7., 8., 9.]);
        let pad = windows(&x, 4, 4, Tail::PadEdge).unwrap();
        assert_eq!(pad.starts, vec![0, 4, 8]);
        assert_eq!(pad.iter().last().unwrap(), &[8., 9., 9., 9.]);
        assert_eq!(pad.data.len(), pad.count() * 4);
        // Exact fit: no tail window under any policy.
        for tail in [Tail::Drop, Tail::AlignEnd, Tail::PadEdge] {
            assert_eq!(window_starts(12, 4, 4, tail).unwrap(), vec![0, 4, 8]);
        }
    }

    #[test]
    fn signal_shorter_than_a_window() {
        let x = ramp(3);
        assert!(windows(&x, 5, 1, Tail::Drop).unwrap().is_empty());
        assert!(windows(&x, 5, 1, Tail::AlignEnd).unwrap().is_empty());
        let pad = windows(&x, 5, 1, Tail::PadEdge).unwrap();
        assert_eq!(pad.data, [0., 1., 2., 2., 2.]);
    }

    #[test]
    fn borrowed_windows_match_copied_ones() {
        let x = ramp(1000);
        let copied = windows(&x, 250, 125, Tail::Drop).unwrap();
        let borrowed: Vec<(usize, &[f32])> = sliding_windows(&x, 250, 125).unwrap().collect();
        assert_eq!(borrowed.len(), copied.count());
        assert_eq!(borrowed.len(), 7);
        for ((start, w), (s, c)) in borrowed.iter().zip(copied.starts.iter().zip(copied.iter())) {
            assert_eq!((start, *w), (s, c));
            assert_eq!(w[0], *start as f32);
        }
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(windows(&ramp(10), 0, 1, Tail::Drop).is_err());
        assert!(windows(&ramp(10), 2, 0, Tail::Drop).is_err());
        assert!(sliding_windows(&ramp(10), 2, 0).is_err());
        assert!(windows(&[], 2, 1, Tail::Drop).is_err());
        assert!(windows(&ramp(10), usize::MAX, 1, Tail::PadEdge).is_err());
        assert_eq!(
            window_starts(10, 4, usize::MAX, Tail::PadEdge).unwrap(),
            vec![0]
        );
    }
}
