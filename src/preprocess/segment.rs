//! Beat segmentation: a fixed window around each beat centre (R-peak or annotation sample).

use crate::preprocess::check::{check_fs, check_signal};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Samples taken before and after a beat centre. The beat is `signal[c - before .. c + after]`,
/// so the centre sits at offset `before`. The default, 140 before and 180 after at 360 Hz
/// (0.39 s + 0.5 s), holds the P wave, QRS and T wave of a normal beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeatWindow {
    /// Samples before the centre.
    pub before: usize,
    /// Samples from the centre on (the centre included).
    pub after: usize,
}

impl Default for BeatWindow {
    fn default() -> Self {
        Self {
            before: 140,
            after: 180,
        }
    }
}

impl BeatWindow {
    /// Rate at which the default window is defined (MIT-BIH).
    pub const REFERENCE_FS: f64 = 360.0;

    /// A window of `before` + `after` samples.
    pub fn new(before: usize, after: usize) -> Self {
        Self { before, after }
    }

    /// Samples per beat.
    pub fn len(&self) -> usize {
        self.before.saturating_add(self.after)
    }

    /// True when the window holds no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The default window (same durations) at sampling rate `fs`.
    pub fn for_fs(fs: f64) -> Result<Self> {
        Self::default().rescale(Self::REFERENCE_FS, fs)
    }

    /// This window, defined at `from_fs`, with the same durations at `to_fs` (rounded).
    pub fn rescale(&self, from_fs: f64, to_fs: f64) -> Result<Self> {
        check_fs(from_fs)?;
        check_fs(to_fs)?;
        let scale = |n: usize| (n as f64 * to_fs / from_fs).round() as usize;
        Ok(Self::new(scale(self.before), scale(self.after)))
    }
}

/// Beats cut from one lead, stored contiguously: beat `i` is `data[i * len .. (i + 1) * len]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Beats {
    /// Samples per beat.
    pub len: usize,
    /// Offset of the centre inside each beat (the window's `before`).
    pub centre_offset: usize,
    /// All beats, one after the other (`count() * len` samples).
    pub data: Vec<f32>,
    /// Centre sample of each kept beat in the signal.
    pub centres: Vec<usize>,
    /// Index into the caller's `centres` of each kept beat (to carry labels or annotations).
    pub kept: Vec<usize>,
}

impl Beats {
    /// Number of beats.
    pub fn count(&self) -> usize {
        self.kept.len()
    }

    /// True when no beat was kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Samples of beat `i`, if it exists.
    pub fn get(&self, i: usize) -> Option<&[f32]> {
        let start = i.checked_mul(self.len)?;
        self.data.get(start..start.checked_add(self.len)?)
    }

    /// Iterator over the beats as slices.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact(self.len.max(1))
    }
}

/// Cuts a `window` around each of `centres` (any order; kept in input order). Beats that would
/// cross either end of the signal are skipped; [`Beats::kept`] says which centres remain.
///
/// Errors: empty window, empty or non-finite signal.
pub fn segment_beats(signal: &[f32], centres: &[usize], window: BeatWindow) -> Result<Beats> {
    check_signal(signal)?;
    if window.is_empty() {
        return Err(Error::invalid("window", "holds no sample"));
    }
    // Capacity hint only: beats longer than the signal never fit.
    let fits = window.len() <= signal.len();
    let capacity = if fits {
        centres.len().checked_mul(window.len()).unwrap_or(0)
    } else {
        0
    };
    let mut beats = Beats {
        len: window.len(),
        centre_offset: window.before,
        data: Vec::with_capacity(capacity),
        centres: Vec::with_capacity(centres.len()),
        kept: Vec::with_capacity(centres.len()),
    };
    for (i, &c) in centres.iter().enumerate() {
        let Some(start) = c.checked_sub(window.before) else {
            continue;
        };
        let Some(end) = c.checked_add(window.after) else {
            continue;
        };
        if let Some(beat) = signal.get(start..end) {
            beats.data.extend_from_slice(beat);
            beats.centres.push(c);
            beats.kept.push(i);
        }
    }
    Ok(beats)
}

/// [`segment_beats`] that also returns the label of each kept beat (`labels[i]` belongs to
/// `centres[i]`). Errors as `segment_beats`, or when the two slices differ in length.
pub fn segment_labelled<L: Clone>(
    signal: &[f32],
    centres: &[usize],
    labels: &[L],
    window: BeatWindow,
) -> Result<(Beats, Vec<L>)> {
    if labels.len() != centres.len() {
        return Err(Error::invalid(
            "labels",
            format!("{} labels for {} centres", labels.len(), centres.len()),
        ));
    }
    let beats = segment_beats(signal, centres, window)?;
    let kept_labels = beats
        .kept
        .iter()
        .filter_map(|&i| labels.get(i).cloned())
        .collect();
    Ok((beats, kept_labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_are_cut_around_centres_and_edges_skipped() {
        let signal: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let window = BeatWindow::new(3, 4);
        let centres = [2, 3, 500, 996, 997, usize::MAX, 100];
        let beats = segment_beats(&signal, &centres, window).unwrap();
        assert_eq!(beats.kept, vec![1, 2, 3, 6]);
        assert_eq!(beats.centres, vec![3, 500, 996, 100]);
        assert_eq!(beats.count(), 4);
        assert_eq!(beats.data.len(), 4 * 7);
        assert_eq!(beats.get(0).unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            beats.get(2).unwrap(),
            &[993.0, 994.0, 995.0, 996.0, 997.0, 998.0, 999.0]
        );
        for (beat, &c) in beats.iter().zip(&beats.centres) {
            assert_eq!(beat[beats.centre_offset], c as f32);
        }
        assert!(beats.get(4).is_none() && beats.get(usize::MAX).is_none());
    }

    #[test]
    fn labels_follow_kept_beats() {
        let signal = vec![0.5f32; 400];
        let centres = [10, 150, 390, 200];
        let labels = ['N', 'V', 'A', 'L'];
        let (beats, kept) =
            segment_labelled(&signal, &centres, &labels, BeatWindow::new(20, 20)).unwrap();
        assert_eq!(kept, vec!['V', 'L']);
        assert_eq!(beats.kept, vec![1, 3]);
        assert!(segment_labelled(&signal, &centres, &labels[..3], BeatWindow::default()).is_err());
    }

    #[test]
    fn window_scales_with_fs() {
        assert_eq!(BeatWindow::default().len(), 320);
        assert_eq!(BeatWindow::for_fs(360.0).unwrap(), BeatWindow::default());
        assert_eq!(BeatWindow::for_fs(250.0).unwrap(), BeatWindow::new(97, 125));
        assert_eq!(
            BeatWindow::new(10, 20).rescale(100.0, 300.0).unwrap(),
            BeatWindow::new(30, 60)
        );
        assert!(BeatWindow::for_fs(0.0).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(segment_beats(&[1.0; 10], &[5], BeatWindow::new(0, 0)).is_err());
        let huge = BeatWindow::new(usize::MAX, usize::MAX);
        assert!(
            segment_beats(&[1.0; 10], &[5, usize::MAX], huge)
                .unwrap()
                .is_empty()
        );
        assert!(segment_beats(&[], &[5], BeatWindow::default()).is_err());
        let mut x = vec![0.0f32; 10];
        x[7] = f32::INFINITY;
        assert!(matches!(
            segment_beats(&x, &[5], BeatWindow::new(1, 1)),
            Err(Error::Signal { sample: 7, .. })
        ));
        let none = segment_beats(&[1.0; 10], &[], BeatWindow::new(2, 2)).unwrap();
        assert!(none.is_empty() && none.iter().next().is_none());
    }
}
