//! What the model saw and what it rebuilt, per beat: the picture behind a score.

use burn::tensor::Tensor;

use super::apply::{EcgLeads, check_finite};
use super::source::BeatSource;
use super::{Detector, Verdict};
use crate::data::Ecg;
use crate::model::Reconstruction;
use crate::score::{BatchScorer, scores_and_errors};
use crate::{Error, Result};

/// The normalised windows a detector's model was given and their reconstructions, channels
/// averaged: two row-major `[n, seq]` arrays, never NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatReconstruction {
    /// Samples per window.
    pub seq: usize,
    /// The normalised inputs, `[n, seq]`.
    pub inputs: Vec<f32>,
    /// The model's reconstructions of them, `[n, seq]`.
    pub outputs: Vec<f32>,
}

impl BeatReconstruction {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.inputs.len().checked_div(self.seq).unwrap_or(0)
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Window `i`'s normalised input, `[seq]`.
    pub fn input(&self, i: usize) -> Option<&[f32]> {
        self.inputs.get(i * self.seq..(i + 1) * self.seq)
    }

    /// Window `i`'s reconstruction, `[seq]`.
    pub fn output(&self, i: usize) -> Option<&[f32]> {
        self.outputs.get(i * self.seq..(i + 1) * self.seq)
    }
}

impl Detector {
    /// [`detect_signal`](Self::detect_signal) and [`reconstruct`](Self::reconstruct) of the
    /// same beats, from one pass of the pipeline and one of the model. Errors as
    /// `detect_signal`, [`Error::NoBeats`](crate::Error::NoBeats) included.
    pub fn explain_signal(
        &self,
        signal: &[f32],
        fs: f64,
    ) -> Result<(Vec<Verdict>, BeatReconstruction)> {
        let processed = self.pipeline().run(signal, fs)?;
        processed.check_beats()?;
        self.explain(&processed)
    }

    /// [`detect_ecg`](Self::detect_ecg) and [`reconstruct`](Self::reconstruct) of the same
    /// beats, as [`explain_signal`](Self::explain_signal) is for one lead; a beat of several
    /// leads is rebuilt with its channels averaged ([`BeatReconstruction`]). Errors as
    /// `detect_ecg`.
    pub fn explain_ecg(&self, ecg: &Ecg) -> Result<(Vec<Verdict>, BeatReconstruction)> {
        match self.ecg_leads(ecg)? {
            EcgLeads::One(lead) => self.explain_signal(lead, ecg.fs),
            EcgLeads::Several(processed) => self.explain(processed.as_ref()),
        }
    }

    /// [`detect`](Self::detect) and [`reconstruct`](Self::reconstruct) of `data` from one pass
    /// of the model: the same verdicts and reconstructions, bit for bit, at the cost of one.
    pub fn explain(&self, data: &impl BeatSource) -> Result<(Vec<Verdict>, BeatReconstruction)> {
        let p = &self.parts;
        let (mut scores, mut errors) = (Vec::new(), Vec::new());
        let rebuilt = self.each_batch(data, |input, rec| {
            let (batch, map) = scores_and_errors(p.score.as_score(), input, rec)?;
            scores.extend(batch);
            errors.extend(map);
            Ok(())
        })?;
        check_finite(&scores, &errors, rebuilt.seq)?;
        let verdicts = self.judge(data, &scores, &errors)?;
        Ok((verdicts, rebuilt))
    }

    /// The normalised windows of `data` and the model's reconstructions of them, in batches,
    /// as [`detect`](Self::detect) computes them before scoring (same checks, same normalisation), channels
    /// averaged. Window `i` is the one [`Verdict`](super::Verdict) `i` judges.
    ///
    /// Errors: as `detect`'s; a non-finite reconstruction is [`Error::Backend`].
    pub fn reconstruct(&self, data: &impl BeatSource) -> Result<BeatReconstruction> {
        self.each_batch(data, |_, _| Ok(()))
    }

    /// Runs the model over `data`'s normalised windows in the detector scorer's batches
    /// ([`BatchScorer::default`], so the numbers are `detect`'s), calling `visit` with each
    /// batch and its reconstruction, and gives what it saw and rebuilt.
    fn each_batch(
        &self,
        data: &impl BeatSource,
        mut visit: impl FnMut(&Tensor<3>, &Reconstruction) -> Result<()>,
    ) -> Result<BeatReconstruction> {
        let windows = data.windows()?;
        let normalized = self.normalized(&windows)?;
        let (seq, channels) = (normalized.seq(), normalized.channels());
        let mut inputs = Vec::with_capacity(normalized.data().len() / channels.max(1));
        let mut outputs = Vec::with_capacity(normalized.data().len() / channels.max(1));
        let p = &self.parts;
        BatchScorer::default().for_each_batch(&p.model, &normalized, &p.device, |input, rec| {
            if rec.output.dims() != input.dims() {
                let msg = format!(
                    "the model rebuilt {:?} from {:?}",
                    rec.output.dims(),
                    input.dims()
                );
                return Err(Error::Backend(msg));
            }
            visit(&input, &rec)?;
            inputs.extend(channel_mean(input)?);
            outputs.extend(channel_mean(rec.output)?);
            Ok(())
        })?;
        if let Some(i) = outputs.iter().position(|v| !v.is_finite()) {
            let msg = format!(
                "window {}: the reconstruction is not finite",
                i / seq.max(1)
            );
            return Err(Error::Backend(msg));
        }
        Ok(BeatReconstruction {
            seq,
            inputs,
            outputs,
        })
    }
}

/// `[n, seq, channels]` → the mean over channels, row-major `[n, seq]` on the host.
fn channel_mean(t: Tensor<3>) -> Result<Vec<f32>> {
    let mean: Tensor<2> = t.mean_dim(2).squeeze_dim::<2>(2);
    mean.try_to_vec_as::<f32>()
        .map_err(|e| Error::Backend(format!("reading a reconstruction back: {e}")))
}
