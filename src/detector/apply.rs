//! Applying a detector: to windows or beats it is given, or to a raw signal it cuts itself.

use serde::{Deserialize, Serialize};

use super::Detector;
use super::source::BeatSource;
use crate::data::Ecg;
use crate::data::batch::WindowDataset;
use crate::preprocess::{Normalizer, ProcessedSignal};
use crate::score::{AnomalyScore, AnyScore, BatchScorer, Latents};
use crate::{Error, Result};

/// What a detector says about one beat or window. Never holds a NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The beat's index in what was judged.
    pub index: usize,
    /// The beat's R-peak (or window centre) in the input signal's samples, when known.
    pub position: Option<usize>,
    /// The anomaly score (higher is more anomalous): the model's score put in context
    /// ([`ContextScore`](crate::score::ContextScore)); the model's own score when the detector's
    /// context is plain.
    pub score: f64,
    /// The model's own score of the beat, before context.
    pub model_score: f64,
    /// The score's place among held-out normal beats, `0..=1`: 0.99 means higher than 99 %
    /// of them.
    pub calibrated: f64,
    /// True when the score is above the threshold.
    pub anomaly: bool,
    /// False when the beat failed the quality check (flat, clipped or noisy): its verdict is
    /// less trustworthy.
    pub usable: bool,
    /// Per-sample error `[seq]` (channels averaged): where in the beat the score comes from.
    pub error: Vec<f32>,
}

impl Detector {
    /// Judges every window of `data` (raw, in the units the detector was trained on: it
    /// normalises them itself).
    ///
    /// Beats are put in the context the source knows ([`BeatSource::context`]): judged
    /// against their own recording and rhythm when the detector's
    /// [`context`](super::DetectorConfig::context) asks for it.
    ///
    /// Errors: windows of another shape than the detector's, non-finite samples (naming the
    /// window and sample), a non-finite score.
    pub fn detect(&self, data: &impl BeatSource) -> Result<Vec<Verdict>> {
        let windows = data.windows()?;
        let (scores, errors) = self.model_scores(&windows)?;
        self.judge(data, &scores, &errors)
    }

    /// The verdicts on `data`'s windows from their model scores and errors (`[n, seq]`): the
    /// scores put in the context the source knows, calibrated and thresholded.
    pub(super) fn judge(
        &self,
        data: &impl BeatSource,
        scores: &[f64],
        errors: &[f32],
    ) -> Result<Vec<Verdict>> {
        let context = data.context();
        let in_context = self.parts.context.apply(scores, context.as_deref())?;
        let (positions, usable) = (data.positions(), data.usable());
        self.verdicts(
            scores,
            &in_context,
            errors,
            positions.as_deref(),
            usable.as_deref(),
        )
    }

    /// The model's score of each of `windows` (raw, checked and normalised here) and its
    /// per-sample error `[n, seq]`, every value finite.
    pub(crate) fn model_scores(&self, windows: &WindowDataset) -> Result<(Vec<f64>, Vec<f32>)> {
        let normalized = self.normalized(windows)?;
        let seq = normalized.seq();
        let p = &self.parts;
        let (scores, errors) = BatchScorer::default().score_with_errors(
            &p.model,
            p.score.as_score(),
            &normalized,
            &p.device,
        )?;
        check_finite(&scores, &errors, seq)?;
        Ok((scores, errors))
    }

    /// The model's scores of `data` under other `scores` than the detector's own, from one
    /// pass of the model: `out[k][i]` is `scores[k]` of window `i`, before context. For
    /// comparing scores (a latent distance beside the reconstruction error) on one fitted
    /// model; errors as [`detect`](Self::detect), and for a score the model cannot give (KL
    /// of a model that is not variational).
    pub fn score_with(&self, scores: &[AnyScore], data: &impl BeatSource) -> Result<Vec<Vec<f64>>> {
        let normalized = self.normalized(&*data.windows()?)?;
        let p = &self.parts;
        let dyn_scores: Vec<&dyn AnomalyScore> = scores.iter().map(AnyScore::as_score).collect();
        let out =
            BatchScorer::default().score_many(&p.model, &dyn_scores, &normalized, &p.device)?;
        for (score, values) in scores.iter().zip(&out) {
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::Backend(format!(
                    "window {i}: score `{}` is {}",
                    score.name(),
                    values[i]
                )));
            }
        }
        Ok(out)
    }

    /// The latent code of every window of `data` (normalised as the detector does), e.g. to
    /// fit a [`Mahalanobis`](crate::score::Mahalanobis) score on normal beats.
    pub fn latents(&self, data: &impl BeatSource) -> Result<Latents> {
        let normalized = self.normalized(&*data.windows()?)?;
        let p = &self.parts;
        BatchScorer::default().latents(&p.model, &normalized, &p.device)
    }

    /// One verdict per beat from its model score, its score in context and its error
    /// (`[n, seq]`); `positions` and `usable` index like the scores.
    pub(crate) fn verdicts(
        &self,
        scores: &[f64],
        in_context: &[f64],
        errors: &[f32],
        positions: Option<&[usize]>,
        usable: Option<&[bool]>,
    ) -> Result<Vec<Verdict>> {
        let p = &self.parts;
        let seq = p.metadata.seq.max(1);
        scores
            .iter()
            .zip(in_context)
            .zip(errors.chunks_exact(seq))
            .enumerate()
            .map(|(index, ((&model_score, &score), error))| {
                if !score.is_finite() {
                    return Err(Error::Backend(format!(
                        "window {index}: the score in context is {score}"
                    )));
                }
                Ok(Verdict {
                    index,
                    position: positions.and_then(|p| p.get(index).copied()),
                    score,
                    model_score,
                    calibrated: p.calibration.calibrate(score),
                    anomaly: p.threshold.apply(score),
                    usable: usable.is_none_or(|u| u.get(index).copied().unwrap_or(true)),
                    error: error.to_vec(),
                })
            })
            .collect()
    }

    /// Judges beats given as one flat slice of `n * seq * channels` samples, time-major.
    pub fn detect_beats(&self, beats: &[f32]) -> Result<Vec<Verdict>> {
        let meta = &self.parts.metadata;
        let width = meta.seq * meta.channels;
        if beats.is_empty() || !beats.len().is_multiple_of(width) {
            let msg = format!(
                "{} samples are not a whole number of beats of {} x {}",
                beats.len(),
                meta.seq,
                meta.channels
            );
            return Err(Error::invalid("beats", msg));
        }
        let n = beats.len() / width;
        let windows = WindowDataset::new(beats.to_vec(), meta.seq, meta.channels, vec![false; n])?;
        self.detect(&windows)
    }

    /// Cleans a raw lead sampled at `fs` Hz, finds its beats and judges each, exactly as the
    /// training beats were prepared ([`pipeline`](Self::pipeline)). Positions are samples of
    /// `signal`; the result is never empty.
    ///
    /// Errors: [`Error::NoBeats`] saying why no beat could be judged (no R-peak found, the
    /// window longer than the signal, no window inside it); the pipeline's errors
    /// ([`BeatPipeline::run`](crate::preprocess::BeatPipeline::run)): a rate that is not an
    /// ECG rate, a sample out of range or not finite, a signal longer than the pipeline's
    /// [`max_input_samples`](crate::preprocess::BeatPipeline::max_input_samples)
    /// ([`Error::Limit`]).
    ///
    /// A detector of several leads refuses one lead: give it a record ([`detect_ecg`](Self::detect_ecg)).
    pub fn detect_signal(&self, signal: &[f32], fs: f64) -> Result<Vec<Verdict>> {
        let meta = &self.parts.metadata;
        if meta.channels > 1 {
            let msg = format!(
                "this detector takes {} leads ({}): judge a record with detect_ecg",
                meta.channels,
                meta.leads.join(", ")
            );
            return Err(Error::invalid("signal", msg));
        }
        let processed = self.pipeline().run(signal, fs)?;
        processed.check_beats()?;
        self.detect(&processed)
    }

    /// Judges a record on the leads the detector was fitted on, in the same order
    /// ([`Metadata::leads`](super::Metadata::leads)), prepared as the training beats were
    /// ([`BeatPipeline::run_leads`](crate::preprocess::BeatPipeline::run_leads): R-peaks on
    /// the first of them). A one-lead detector judges its [`lead`](super::Metadata::lead) when
    /// the record has it, else the record's first lead. Positions are samples of the record;
    /// the result is never empty.
    ///
    /// Errors: a lead the record lacks ([`Error::InvalidArgument`] naming it and listing the
    /// record's leads), a record without leads, and those of
    /// [`detect_signal`](Self::detect_signal).
    pub fn detect_ecg(&self, ecg: &Ecg) -> Result<Vec<Verdict>> {
        match self.ecg_leads(ecg)? {
            EcgLeads::One(lead) => self.detect_signal(lead, ecg.fs),
            EcgLeads::Several(processed) => self.detect(processed.as_ref()),
        }
    }

    /// What [`detect_ecg`](Self::detect_ecg) judges in `ecg`: a one-lead detector's lead, or
    /// the detector's leads run through the pipeline (with beats, else [`Error::NoBeats`]).
    pub(super) fn ecg_leads<'a>(&self, ecg: &'a Ecg) -> Result<EcgLeads<'a>> {
        let meta = &self.parts.metadata;
        if meta.leads.is_empty() {
            let lead = match meta.lead.as_deref().and_then(|name| ecg.lead(name)) {
                Some(lead) => lead,
                None => ecg
                    .leads
                    .first()
                    .ok_or_else(|| Error::invalid("ecg", "the record has no lead"))?,
            };
            return Ok(EcgLeads::One(lead));
        }
        let leads = ecg.select_leads(&meta.leads)?;
        let processed = self.pipeline().run_leads(&leads, ecg.fs)?;
        processed.check_beats()?;
        Ok(EcgLeads::Several(Box::new(processed)))
    }

    /// `windows` checked against the detector's shape and normalised.
    pub(super) fn normalized(&self, windows: &WindowDataset) -> Result<WindowDataset> {
        let meta = &self.parts.metadata;
        if (windows.seq(), windows.channels()) != (meta.seq, meta.channels) {
            let msg = format!(
                "windows of {} x {} (samples x channels); this detector takes {} x {}",
                windows.seq(),
                windows.channels(),
                meta.seq,
                meta.channels
            );
            return Err(Error::invalid("windows", msg));
        }
        let width = meta.seq * meta.channels;
        for (index, window) in windows.data().chunks_exact(width).enumerate() {
            if let Some(sample) = window.iter().position(|v| !v.is_finite()) {
                return Err(Error::Signal {
                    sample: index * width + sample,
                    message: format!(
                        "window {index}, sample {sample}: {} is not a finite value",
                        window[sample]
                    ),
                });
            }
        }
        normalized(windows, &self.parts.normalizer)
    }
}

/// An error naming the first window whose score or per-sample error (`[n, seq]`) is not
/// finite.
pub(super) fn check_finite(scores: &[f64], errors: &[f32], seq: usize) -> Result<()> {
    let windows = scores.iter().zip(errors.chunks_exact(seq.max(1)));
    for (index, (score, error)) in windows.enumerate() {
        if !score.is_finite() || error.iter().any(|e| !e.is_finite()) {
            return Err(Error::Backend(format!(
                "window {index}: the model gave a non-finite score or error"
            )));
        }
    }
    Ok(())
}

/// A copy of `windows` with `normalizer` applied to each window.
pub(super) fn normalized(
    windows: &WindowDataset,
    normalizer: &impl Normalizer,
) -> Result<WindowDataset> {
    let mut data = windows.data().to_vec();
    let width = windows.seq() * windows.channels();
    for window in data.chunks_exact_mut(width) {
        normalizer.normalize(window);
    }
    WindowDataset::new(
        data,
        windows.seq(),
        windows.channels(),
        windows.labels().to_vec(),
    )
}

/// The part of a record a detector judges ([`Detector::ecg_leads`]).
pub(super) enum EcgLeads<'a> {
    /// A one-lead detector's lead, raw.
    One(&'a [f32]),
    /// The detector's leads, processed.
    Several(Box<ProcessedSignal>),
}
