//! [`BeatSet`]: labelled beats of one lead, stored contiguously as `[n, len]`.

#[cfg(feature = "burn")]
use std::borrow::Cow;
#[cfg(feature = "burn")]
use std::collections::HashMap;
use std::sync::Arc;

use crate::data::batch::WindowDataset;
use crate::data::beat::{AamiClass, ClassCounts};
#[cfg(feature = "burn")]
use crate::detector::BeatSource;
#[cfg(feature = "burn")]
use crate::preprocess::template::template_distances;
use crate::preprocess::{BeatWindow, Normalizer, RrIntervals};
#[cfg(feature = "burn")]
use crate::score::BeatContext;
use crate::{Error, Result};

/// Where a beat comes from and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatInfo {
    /// Record name (e.g. `"100"`), shared by all beats of the record.
    pub record: Arc<str>,
    /// Sample of the beat's annotation in the record, at the record's rate: the window's
    /// centre (mapped to the new rate when the beats were resampled).
    pub sample: usize,
    /// Annotation symbol (e.g. `N`, `V`, `e`).
    pub symbol: &'static str,
    /// AAMI class of the symbol under the mapping the set was built with.
    pub class: AamiClass,
    /// The detected R-peak nearest to `sample` within the R-peak filter's tolerance, in the
    /// record's samples; `None` when no peak is that close or the set was built without
    /// R-peak detection.
    pub r_peak: Option<usize>,
    /// Its RR intervals among all beat annotations of the record (whatever their class, and
    /// whether or not they were kept), in seconds.
    pub rr: RrIntervals,
}

impl BeatInfo {
    /// True when the class is not N: the label an anomaly detector is scored on.
    pub fn is_abnormal(&self) -> bool {
        self.class.is_abnormal()
    }
}

/// Fixed-length beats with their [`BeatInfo`]: beat `i` is `data()[i * len .. (i + 1) * len]`
/// with its annotation at offset [`BeatSet::centre_offset`].
#[derive(Debug, Clone, PartialEq)]
pub struct BeatSet {
    window: BeatWindow,
    data: Vec<f32>,
    beats: Vec<BeatInfo>,
}

impl BeatSet {
    /// An empty set of beats cut with `window`.
    pub fn new(window: BeatWindow) -> Self {
        Self {
            window,
            data: Vec::new(),
            beats: Vec::new(),
        }
    }

    /// A set from contiguous samples (`beats.len() * window.len()` of them) and their infos.
    pub fn from_parts(window: BeatWindow, data: Vec<f32>, beats: Vec<BeatInfo>) -> Result<Self> {
        if window.is_empty() {
            return Err(Error::invalid("window", "holds no sample"));
        }
        if Some(data.len()) != beats.len().checked_mul(window.len()) {
            return Err(Error::invalid(
                "data",
                format!(
                    "{} samples for {} beats of {}",
                    data.len(),
                    beats.len(),
                    window.len()
                ),
            ));
        }
        Ok(Self {
            window,
            data,
            beats,
        })
    }

    /// The samples and infos, in beat order.
    pub fn into_parts(self) -> (Vec<f32>, Vec<BeatInfo>) {
        (self.data, self.beats)
    }

    /// The window the beats were cut with.
    pub fn window(&self) -> BeatWindow {
        self.window
    }

    /// Samples per beat.
    pub fn beat_len(&self) -> usize {
        self.window.len()
    }

    /// Offset of the annotation sample inside each beat (the window's `before`).
    pub fn centre_offset(&self) -> usize {
        self.window.before
    }

    /// Number of beats.
    pub fn count(&self) -> usize {
        self.beats.len()
    }

    /// True when the set holds no beat.
    pub fn is_empty(&self) -> bool {
        self.beats.is_empty()
    }

    /// All samples, `[count, beat_len]` row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// All infos, in beat order.
    pub fn beats(&self) -> &[BeatInfo] {
        &self.beats
    }

    /// Samples of beat `i`.
    pub fn samples(&self, i: usize) -> Option<&[f32]> {
        let start = i.checked_mul(self.beat_len())?;
        self.data.get(start..start.checked_add(self.beat_len())?)
    }

    /// Info and samples of beat `i`.
    pub fn get(&self, i: usize) -> Option<(&BeatInfo, &[f32])> {
        Some((self.beats.get(i)?, self.samples(i)?))
    }

    /// Infos and samples, in beat order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&BeatInfo, &[f32])> {
        self.beats
            .iter()
            .zip(self.data.chunks_exact(self.beat_len().max(1)))
    }

    /// Appends one beat; `samples` must hold [`BeatSet::beat_len`] values.
    pub fn push(&mut self, info: BeatInfo, samples: &[f32]) -> Result<()> {
        if samples.len() != self.beat_len() {
            return Err(Error::invalid(
                "samples",
                format!("{} samples for beats of {}", samples.len(), self.beat_len()),
            ));
        }
        self.data.extend_from_slice(samples);
        self.beats.push(info);
        Ok(())
    }

    /// Moves every beat of `other` to the end of this set; the windows must be equal.
    pub fn append(&mut self, mut other: BeatSet) -> Result<()> {
        if other.window != self.window {
            return Err(Error::invalid(
                "window",
                format!(
                    "cannot append beats cut with {:?} to beats cut with {:?}",
                    other.window, self.window
                ),
            ));
        }
        self.data.append(&mut other.data);
        self.beats.append(&mut other.beats);
        Ok(())
    }

    /// Beats per class.
    pub fn class_counts(&self) -> ClassCounts {
        self.beats.iter().map(|b| b.class).collect()
    }

    /// Names of the records the beats come from, in order of first appearance.
    pub fn records(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for b in &self.beats {
            if names.last() != Some(&&*b.record) && !names.contains(&&*b.record) {
                names.push(&b.record);
            }
        }
        names
    }

    /// The beats at `indices` (in that order, repeats allowed); an index past the end is an
    /// [`Error::InvalidArgument`].
    pub fn select(&self, indices: &[usize]) -> Result<BeatSet> {
        let mut out = BeatSet::new(self.window);
        out.data.reserve(indices.len() * self.beat_len());
        out.beats.reserve(indices.len());
        for &i in indices {
            let (info, samples) = self.get(i).ok_or_else(|| {
                Error::invalid("indices", format!("beat {i} of {} beats", self.count()))
            })?;
            out.data.extend_from_slice(samples);
            out.beats.push(info.clone());
        }
        Ok(out)
    }

    /// A new set with the beats whose info satisfies `keep`.
    pub fn filter(&self, mut keep: impl FnMut(&BeatInfo) -> bool) -> BeatSet {
        let mut out = BeatSet::new(self.window);
        for (info, samples) in self.iter().filter(|(info, _)| keep(info)) {
            out.data.extend_from_slice(samples);
            out.beats.push(info.clone());
        }
        out
    }

    /// Keeps the beats whose info satisfies `keep`, in place and in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&BeatInfo) -> bool) {
        let len = self.beat_len();
        let mut kept = 0;
        for i in 0..self.beats.len() {
            if keep(&self.beats[i]) {
                if kept != i {
                    self.data.copy_within(i * len..(i + 1) * len, kept * len);
                    self.beats.swap(kept, i);
                }
                kept += 1;
            }
        }
        self.beats.truncate(kept);
        self.data.truncate(kept * len);
    }

    /// Normalises every beat in place (e.g. with a [`crate::preprocess::Normalization`]).
    pub fn normalize(&mut self, normalizer: &impl Normalizer) {
        self.data
            .chunks_exact_mut(self.window.len().max(1))
            .for_each(|beat| normalizer.normalize(beat));
    }

    /// One label per beat: true when abnormal (class other than N).
    pub fn anomaly_labels(&self) -> Vec<bool> {
        self.beats.iter().map(BeatInfo::is_abnormal).collect()
    }

    /// The beats as a one-channel Burn dataset (`seq` = [`BeatSet::beat_len`]), labelled
    /// anomalous when their class is not N. Copies the samples.
    pub fn to_window_dataset(&self) -> Result<WindowDataset> {
        WindowDataset::new(self.data.clone(), self.beat_len(), 1, self.anomaly_labels())
    }

    /// As [`BeatSet::to_window_dataset`], without copying the samples.
    pub fn into_window_dataset(self) -> Result<WindowDataset> {
        let labels = self.anomaly_labels();
        WindowDataset::new(self.data, self.window.len(), 1, labels)
    }
}

/// What a detector is fitted on and judges: the beats, their positions in the records, and per
/// beat its record (a group) and RR intervals.
#[cfg(feature = "burn")]
impl BeatSource for BeatSet {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        self.to_window_dataset().map(Cow::Owned)
    }

    fn positions(&self) -> Option<Vec<usize>> {
        Some(self.beats().iter().map(|b| b.sample).collect())
    }

    /// Beats of one record share a group, numbered in order of first appearance; each beat's
    /// template distance is to its record's median beat.
    fn context(&self) -> Option<Vec<BeatContext>> {
        let mut records: HashMap<&str, usize> = HashMap::new();
        let groups: Vec<usize> = self
            .beats()
            .iter()
            .map(|b| {
                let next = records.len();
                *records.entry(&b.record).or_insert(next)
            })
            .collect();
        let templates = template_distances(self.data(), self.beat_len(), &groups)
            .unwrap_or_else(|_| vec![None; groups.len()]);
        let context = self.beats().iter().zip(groups).zip(templates);
        let context = context.map(|((b, group), template)| BeatContext {
            group,
            rr: Some(b.rr),
            template,
        });
        Some(context.collect())
    }
}
