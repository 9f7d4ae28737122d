//! [`BeatSource`]: what a detector is fitted on and judges.

use std::borrow::Cow;

use crate::Result;
use crate::data::batch::WindowDataset;
use crate::data::matrix::BeatMatrix;
use crate::preprocess::{Beats, ProcessedSignal};
use crate::score::BeatContext;

/// Equal-length beats or windows in the signal's own units (the detector normalises them),
/// with what is known about them. Implemented for [`WindowDataset`], [`Beats`],
/// [`ProcessedSignal`] (a [`BeatPipeline`](crate::preprocess::BeatPipeline)'s output) and a
/// [`BeatMatrix`]; MIT-BIH's [`BeatSet`](crate::study::mitbih::BeatSet) implements it in the
/// study layer.
pub trait BeatSource {
    /// The windows, `[n, seq, channels]`, labelled anomalous where that is known (all false
    /// otherwise). Fitting uses the unlabelled ones only.
    fn windows(&self) -> Result<Cow<'_, WindowDataset>>;

    /// Per window: true when it passed the quality check. Fitting skips the others.
    fn usable(&self) -> Option<Vec<bool>> {
        None
    }

    /// Per window: its centre in the input signal's samples, when known.
    fn positions(&self) -> Option<Vec<usize>> {
        None
    }

    /// Sampling rate of the windows in Hz, when known.
    fn fs(&self) -> Option<f64> {
        None
    }

    /// Per window: its recording and RR intervals, when known (what
    /// [`ContextScore`](crate::score::ContextScore) judges it in).
    fn context(&self) -> Option<Vec<BeatContext>> {
        None
    }
}

impl BeatSource for WindowDataset {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        Ok(Cow::Borrowed(self))
    }
}

impl BeatSource for Beats {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        let labels = vec![false; self.count()];
        WindowDataset::new(self.data.clone(), self.len, 1, labels).map(Cow::Owned)
    }

    fn positions(&self) -> Option<Vec<usize>> {
        Some(self.centres.clone())
    }
}

/// Its windows hold every lead it was run on ([`ProcessedSignal::channels`]), channels last.
impl BeatSource for ProcessedSignal {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        if self.other_leads.is_empty() {
            return self.beats.windows();
        }
        let labels = vec![false; self.count()];
        let data = self.windows_data();
        WindowDataset::new(data, self.beats.len, self.channels(), labels).map(Cow::Owned)
    }

    fn usable(&self) -> Option<Vec<bool>> {
        Some(self.quality.clone())
    }

    fn positions(&self) -> Option<Vec<usize>> {
        (0..self.count()).map(|i| self.input_position(i)).collect()
    }

    fn fs(&self) -> Option<f64> {
        Some(self.fs)
    }

    fn context(&self) -> Option<Vec<BeatContext>> {
        let templates = self
            .template_distances()
            .unwrap_or_else(|_| vec![None; self.count()]);
        let context = self
            .rr
            .iter()
            .zip(templates)
            .map(|(&rr, template)| BeatContext {
                group: 0,
                rr: Some(rr),
                template,
            });
        Some(context.collect())
    }
}

/// A [`BeatMatrix`] judged as it is: unlabelled windows (the labels only measure).
impl BeatSource for BeatMatrix {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        self.to_windows(None).map(Cow::Owned)
    }
}

impl<T: BeatSource + ?Sized> BeatSource for &T {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        (**self).windows()
    }

    fn usable(&self) -> Option<Vec<bool>> {
        (**self).usable()
    }

    fn positions(&self) -> Option<Vec<usize>> {
        (**self).positions()
    }

    fn fs(&self) -> Option<f64> {
        (**self).fs()
    }

    fn context(&self) -> Option<Vec<BeatContext>> {
        (**self).context()
    }
}
