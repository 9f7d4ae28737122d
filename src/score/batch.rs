//! Scoring a whole [`WindowDataset`] in batches.

use burn::tensor::{Device, Tensor, TensorData};

use super::{AnomalyScore, BatchScores, squared_error_map, to_host};
use crate::data::batch::WindowDataset;
use crate::model::parallel::{default_threads, reconstruct_split};
use crate::model::{Reconstruction, ReconstructionModel};
use crate::{Error, Result};

/// Latent codes of a data set, row-major `[n, dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Latents {
    /// `n * dim` values, code `i` at `i * dim..(i + 1) * dim`.
    pub values: Vec<f64>,
    /// Latent size.
    pub dim: usize,
}

impl Latents {
    /// Number of codes.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.dim).unwrap_or(0)
    }

    /// True when there are no codes.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Runs a model over a data set `batch_size` windows at a time, for inference only.
///
/// Inputs are built on `device` without autodiff; give it a model made for inference (created
/// on a plain device, or `valid()`), so no gradient graph is recorded. Each batch copies its
/// windows into one host buffer, and only scores (or codes) come back to the host. On a CPU
/// device each batch is split over `threads` threads ([`reconstruct_split`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchScorer {
    /// Windows per forward pass (default 256).
    pub batch_size: usize,
    /// Threads one batch is split over on a CPU device (default: the available parallelism;
    /// 1 runs every batch on the calling thread).
    pub threads: usize,
}

impl Default for BatchScorer {
    fn default() -> Self {
        Self {
            batch_size: 256,
            threads: default_threads(),
        }
    }
}

impl BatchScorer {
    /// A scorer with `batch_size` windows per batch (at least 1), on the default threads.
    pub fn new(batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        Ok(Self {
            batch_size,
            ..Self::default()
        })
    }

    /// The same scorer splitting each batch over `threads` threads (at least 1).
    pub fn with_threads(self, threads: usize) -> Result<Self> {
        if threads == 0 {
            return Err(Error::invalid("threads", "must be at least 1"));
        }
        Ok(Self { threads, ..self })
    }

    /// One score per window of `data`, in order.
    pub fn score(
        &self,
        model: &(impl ReconstructionModel + Sync),
        score: &dyn AnomalyScore,
        data: &WindowDataset,
        device: &Device,
    ) -> Result<Vec<f64>> {
        let mut scores = Vec::with_capacity(data.len());
        self.for_each_batch(model, data, device, |input, rec| {
            let batch = score.score(&input, &rec)?;
            scores.extend(batch.scores);
            Ok(())
        })?;
        if scores.len() != data.len() {
            return Err(Error::invalid(
                "score",
                format!(
                    "`{}` gave {} scores for {} windows",
                    score.name(),
                    scores.len(),
                    data.len()
                ),
            ));
        }
        Ok(scores)
    }

    /// Several scores of every window of `data` from one pass of the model: `out[k][i]` is
    /// `scores[k]`'s score of window `i` (to compare scores without running the model once
    /// per score).
    pub fn score_many(
        &self,
        model: &(impl ReconstructionModel + Sync),
        scores: &[&dyn AnomalyScore],
        data: &WindowDataset,
        device: &Device,
    ) -> Result<Vec<Vec<f64>>> {
        let mut out: Vec<Vec<f64>> = scores
            .iter()
            .map(|_| Vec::with_capacity(data.len()))
            .collect();
        self.for_each_batch(model, data, device, |input, rec| {
            for (score, values) in scores.iter().zip(out.iter_mut()) {
                values.extend(score.score(&input, &rec)?.scores);
            }
            Ok(())
        })?;
        if let Some((score, values)) =
            (scores.iter().zip(&out)).find(|(_, v)| v.len() != data.len())
        {
            let msg = format!(
                "`{}` gave {} scores for {} windows",
                score.name(),
                values.len(),
                data.len()
            );
            return Err(Error::invalid("score", msg));
        }
        Ok(out)
    }

    /// One score per window of `data` and its per-sample error (`[n, seq]`, channels
    /// averaged, row-major: the score's own error map, or the squared error for scores
    /// computed elsewhere), in order.
    pub fn score_with_errors(
        &self,
        model: &(impl ReconstructionModel + Sync),
        score: &dyn AnomalyScore,
        data: &WindowDataset,
        device: &Device,
    ) -> Result<(Vec<f64>, Vec<f32>)> {
        let mut scores = Vec::with_capacity(data.len());
        let mut errors = Vec::with_capacity(data.len() * data.seq());
        self.for_each_batch(model, data, device, |input, rec| {
            let (batch, map) = scores_and_errors(score, &input, &rec)?;
            scores.extend(batch);
            errors.extend(map);
            Ok(())
        })?;
        if scores.len() != data.len() || errors.len() != data.len() * data.seq() {
            return Err(Error::invalid(
                "score",
                format!(
                    "`{}` gave {} scores and {} error samples for {} windows of {}",
                    score.name(),
                    scores.len(),
                    errors.len(),
                    data.len(),
                    data.seq()
                ),
            ));
        }
        Ok((scores, errors))
    }

    /// The latent code of every window of `data`, e.g. to fit a
    /// [`Mahalanobis`](super::Mahalanobis) score on normal training beats.
    pub fn latents(
        &self,
        model: &(impl ReconstructionModel + Sync),
        data: &WindowDataset,
        device: &Device,
    ) -> Result<Latents> {
        let mut latents = Latents {
            values: Vec::new(),
            dim: 0,
        };
        self.for_each_batch(model, data, device, |_, rec| {
            let [_, dim] = rec.latent.dims();
            if latents.values.is_empty() {
                latents.dim = dim;
                latents.values.reserve(data.len() * dim);
            }
            latents.values.extend(to_host(&rec.latent)?);
            Ok(())
        })?;
        Ok(latents)
    }

    fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        if self.threads == 0 {
            return Err(Error::invalid("threads", "must be at least 1"));
        }
        Ok(())
    }

    /// Calls `visit` with each batch `[n, seq, channels]` and its reconstruction.
    pub(crate) fn for_each_batch(
        &self,
        model: &(impl ReconstructionModel + Sync),
        data: &WindowDataset,
        device: &Device,
        mut visit: impl FnMut(Tensor<3>, Reconstruction) -> Result<()>,
    ) -> Result<()> {
        self.check()?;
        let device = device.clone().without_autodiff();
        let (seq, channels) = (data.seq(), data.channels());
        let width = seq * channels;
        for start in (0..data.len()).step_by(self.batch_size) {
            let end = (start + self.batch_size).min(data.len());
            let mut buffer = Vec::with_capacity((end - start) * width);
            for i in start..end {
                // `window` is Some for every index below `len`.
                buffer.extend_from_slice(data.window(i).unwrap_or_default());
            }
            let input: Tensor<3> = Tensor::from_data(
                TensorData::new(buffer, [end - start, seq, channels]),
                &device,
            );
            let rec = reconstruct_split(model, input.clone(), self.threads);
            visit(input, rec)?;
        }
        Ok(())
    }
}

/// `score`'s scores of one batch and its per-sample error on the host (`[n, seq]` row-major:
/// the score's own error map, or the squared error for scores computed elsewhere).
pub(crate) fn scores_and_errors(
    score: &dyn AnomalyScore,
    input: &Tensor<3>,
    rec: &Reconstruction,
) -> Result<(Vec<f64>, Vec<f32>)> {
    let BatchScores { scores, error_map } = score.score(input, rec)?;
    let map = match error_map {
        Some(map) => map,
        None => squared_error_map(input, rec)?,
    };
    let errors = map.try_to_vec_as::<f32>();
    Ok((
        scores,
        errors.map_err(|e| Error::Backend(format!("error map: {e}")))?,
    ))
}
