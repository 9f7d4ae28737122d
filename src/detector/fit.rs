//! [`DetectorConfig::fit`]: normal beats in, a [`Detector`] out, seeded before anything is built.

use burn::tensor::Device;

use super::apply::normalized;
use super::artifact::{Detector, FORMAT_VERSION, Metadata, fingerprint};
use super::config::{DetectorConfig, ScoreMethod};
use super::source::BeatSource;
use crate::data::Ecg;
use crate::data::batch::WindowDataset;
use crate::preprocess::{BeatPipeline, ProcessedSignal};
use crate::score::{
    AnyScore, BatchScorer, BeatContext, Calibration, ContextScore, KlDivergence, Mahalanobis,
    ReconstructionError,
};
use crate::threshold::Threshold;
use crate::train::Trainer;
use crate::{Error, NoBeats, Result};

impl DetectorConfig {
    /// Fits a detector on `data`: its unlabelled (normal), usable windows, of which the last
    /// [`validation_fraction`](Self::validation_fraction) are held out, in order, to stop
    /// training early and to fit the calibration and threshold. No anomaly label chooses
    /// anything: labelled windows are left out, that is all.
    ///
    /// The device is seeded with [`TrainingConfig::seed`](crate::train::TrainingConfig::seed)
    /// before the model is built, so the same seed, data and device give the same detector
    /// (bit for bit on the CPU, with at most one data-loader worker, while no other thread
    /// draws from the device's generator).
    ///
    /// A ConvVae is built for the windows' length ([`ModelSpec::for_windows`](super::ModelSpec::for_windows): its `seq` is
    /// set to it, and the fitted detector's configuration records it).
    ///
    /// Errors: a bad configuration, fewer than 4 usable normal windows, a model that rejects
    /// the windows (e.g. a ConvVae whose blocks shrink them to nothing), a diverged training
    /// run.
    pub fn fit(&self, data: &impl BeatSource, device: &Device) -> Result<Detector> {
        self.validate()?;
        let (normal, context) = normal_windows(data)?;
        let n = normal.labels().len();
        // `n.max(2)`: a clamp whose upper bound is below 2 panics (0 or 1 windows).
        let held_out = ((n as f64 * self.validation_fraction).round() as usize).clamp(2, n.max(2));
        if n < 4 || held_out >= n - 1 {
            let msg = format!(
                "{n} usable normal windows: too few to train on and hold out {:.0} %",
                self.validation_fraction * 100.0
            );
            return Err(Error::invalid("data", msg));
        }
        let (train, valid) = split(&normal, n - held_out)?;
        let valid_context = context.map(|c| c[n - held_out..].to_vec());
        self.fit_parts(train, (valid, valid_context), data.fs(), device)
    }

    /// Fits a detector on the normal, usable windows of `train`, holding out those of `valid`
    /// (e.g. other records) to stop early and to fit the calibration and threshold.
    pub fn fit_split(
        &self,
        train: &impl BeatSource,
        valid: &impl BeatSource,
        device: &Device,
    ) -> Result<Detector> {
        self.validate()?;
        let (train_windows, _) = normal_windows(train)?;
        let valid_windows = normal_windows(valid)?;
        if valid_windows.0.labels().len() < 2 {
            return Err(Error::invalid(
                "valid",
                "needs at least 2 usable normal windows",
            ));
        }
        self.fit_parts(
            train_windows,
            valid_windows,
            train.fs().or(valid.fs()),
            device,
        )
    }

    /// Runs the [`pipeline`](Self::pipeline) on a raw lead sampled at `fs` Hz and fits on its
    /// usable beats ([`fit`](Self::fit)). Use it on a recording whose beats are mostly normal.
    ///
    /// Errors: [`Error::NoBeats`] when the lead has no beat, or none passed the quality
    /// check; the pipeline's errors ([`BeatPipeline::run`](crate::preprocess::BeatPipeline::run));
    /// those of [`fit`](Self::fit).
    pub fn fit_signal(&self, signal: &[f32], fs: f64, device: &Device) -> Result<Detector> {
        self.validate()?;
        let processed = self.pipeline.run(signal, fs)?;
        usable_beats(&processed)?;
        self.fit(&processed, device)
    }

    /// Fits on a record's leads: [`leads`](Self::leads) picked by name, in that order, run
    /// through [`BeatPipeline::run_leads`](crate::preprocess::BeatPipeline::run_leads)
    /// (R-peaks on the first; a beat usable when usable on every lead) and fitted on with a
    /// model of one channel per lead ([`fit`](Self::fit)). With no `leads`, one lead as
    /// [`fit_signal`](Self::fit_signal): [`lead`](Self::lead) when set, else the record's first
    /// (whose name the fitted detector then records as its `lead`). The detector records its
    /// leads ([`Metadata::leads`]); [`Detector::detect_ecg`] judges a record on the same ones.
    ///
    /// Errors: a lead the record lacks ([`Error::InvalidArgument`] naming it and listing the
    /// record's leads), a record without leads, and those of [`fit_signal`](Self::fit_signal).
    pub fn fit_ecg(&self, ecg: &Ecg, device: &Device) -> Result<Detector> {
        self.validate()?;
        let mut config = self.clone();
        if config.leads.is_empty() {
            let name = self.single_lead(ecg)?;
            let lead = ecg.select_leads(std::slice::from_ref(&name))?[0];
            config.lead = Some(name);
            return config.fit_signal(lead, ecg.fs, device);
        }
        let leads = ecg.select_leads(&config.leads)?;
        let processed = config.pipeline.run_leads(&leads, ecg.fs)?;
        usable_beats(&processed)?;
        config.fit(&processed, device)
    }

    /// [`fit_signal`](Self::fit_signal) over several recordings (`(lead, fs)` pairs): each is
    /// run through the pipeline, resampled to the first one's rate unless the pipeline names
    /// one, and their usable beats are joined in order before the last ones are held out.
    /// A recording without usable beats adds none; when no recording has one, the error is
    /// [`Error::NoBeats`] saying why for the last of them.
    pub fn fit_records(&self, records: &[(&[f32], f64)], device: &Device) -> Result<Detector> {
        self.validate()?;
        let Some(&(_, first_fs)) = records.first() else {
            return Err(Error::invalid("records", "no recording to fit on"));
        };
        let mut pipeline = self.pipeline.clone();
        pipeline.resample_to = pipeline.resample_to.or(Some(first_fs));
        let runs = records.iter().map(|&(lead, fs)| pipeline.run(lead, fs));
        self.fit_runs(&pipeline, runs, device)
    }

    /// [`fit_ecg`](Self::fit_ecg) over several recordings, joined as
    /// [`fit_records`](Self::fit_records) joins them: with [`leads`](Self::leads) each record
    /// gives those leads (a missing one is an error naming it), else its
    /// [`lead`](Self::lead) or, without one, the first record's first lead's name.
    pub fn fit_ecgs(&self, records: &[Ecg], device: &Device) -> Result<Detector> {
        self.validate()?;
        let Some(first) = records.first() else {
            return Err(Error::invalid("records", "no recording to fit on"));
        };
        if self.leads.is_empty() {
            let name = self.single_lead(first)?;
            let leads = (records.iter())
                .map(|e| Ok((e.select_leads(std::slice::from_ref(&name))?[0], e.fs)))
                .collect::<Result<Vec<_>>>()?;
            let config = DetectorConfig {
                lead: Some(name),
                ..self.clone()
            };
            return config.fit_records(&leads, device);
        }
        let mut pipeline = self.pipeline.clone();
        pipeline.resample_to = pipeline.resample_to.or(Some(first.fs));
        let runs = records.iter().map(|ecg| {
            let leads = ecg.select_leads(&self.leads)?;
            pipeline.run_leads(&leads, ecg.fs)
        });
        self.fit_runs(&pipeline, runs, device)
    }

    /// The one lead a detector without [`leads`](Self::leads) fits on: its
    /// [`lead`](Self::lead), else `ecg`'s first.
    fn single_lead(&self, ecg: &Ecg) -> Result<String> {
        match &self.lead {
            Some(name) => Ok(name.clone()),
            None => (ecg.lead_names.first().cloned())
                .ok_or_else(|| Error::invalid("ecg", "the record has no lead")),
        }
    }

    /// Joins the usable beats of each processed recording (every lead of each, channels last),
    /// each recording its own context group, and fits on them with `pipeline`.
    fn fit_runs(
        &self,
        pipeline: &BeatPipeline,
        runs: impl Iterator<Item = Result<ProcessedSignal>>,
        device: &Device,
    ) -> Result<Detector> {
        let (mut data, mut seq, mut channels, mut context) = (Vec::new(), 0, 1, Vec::new());
        let mut why = None;
        for (group, processed) in runs.enumerate() {
            let processed = processed?;
            if let Err(e) = usable_beats(&processed) {
                why = Some(e);
                continue;
            }
            seq = processed.beats.len;
            channels = processed.channels();
            let templates = processed.template_distances()?;
            for i in processed.usable() {
                data.extend(processed.window(i).unwrap_or_default());
                let rr = processed.rr.get(i).copied();
                let template = templates.get(i).copied().flatten();
                context.push(BeatContext {
                    group,
                    rr,
                    template,
                });
            }
        }
        let count = context.len();
        if let (0, Some(why)) = (count, why) {
            return Err(why);
        }
        let windows = WindowDataset::new(data, seq, channels, vec![false; count])?;
        let config = DetectorConfig {
            pipeline: pipeline.clone(),
            ..self.clone()
        };
        let fs = config.pipeline.resample_to;
        let data = WithRate {
            windows,
            fs,
            context,
        };
        config.fit(&data, device)
    }

    fn fit_parts(
        &self,
        train_raw: WindowDataset,
        (valid_raw, valid_context): (WindowDataset, Option<Vec<BeatContext>>),
        fs: Option<f64>,
        device: &Device,
    ) -> Result<Detector> {
        if (train_raw.seq(), train_raw.channels()) != (valid_raw.seq(), valid_raw.channels()) {
            let msg = format!(
                "training windows are {} x {}, held-out ones {} x {}",
                train_raw.seq(),
                train_raw.channels(),
                valid_raw.seq(),
                valid_raw.channels()
            );
            return Err(Error::invalid("valid", msg));
        }
        let normalizer = self.normalization.fit(train_raw.data())?;
        let train = normalized(&train_raw, &normalizer)?;
        let valid = normalized(&valid_raw, &normalizer)?;

        if !self.leads.is_empty() && self.leads.len() != train.channels() {
            let msg = format!(
                "the configuration names {} leads ({}), the windows have {} channels \
                 (fit_ecg picks the leads from a record)",
                self.leads.len(),
                self.leads.join(", "),
                train.channels()
            );
            return Err(Error::invalid("leads", msg));
        }
        // Built for the windows: their length and their channels (leads).
        let spec = self
            .model
            .for_windows(train.seq())
            .with_channels(train.channels());
        // Seed first: initial weights, dropout masks and VAE samples all draw from it.
        device.seed(self.training.seed);
        let model = spec.init(device)?;
        let trained = Trainer::new(self.training.clone())?
            .with_devices(vec![device.clone()])
            .fit(model, &train, &valid)?;
        let model = trained.model;

        let scorer = BatchScorer::default();
        let score: AnyScore = match self.score {
            ScoreMethod::Mse => ReconstructionError::Mse.into(),
            ScoreMethod::Mae => ReconstructionError::Mae.into(),
            ScoreMethod::MaxMovingAverage { window } => {
                ReconstructionError::MaxMovingAverage { window }.into()
            }
            ScoreMethod::Mahalanobis { regularization } => {
                let codes = scorer.latents(&model, &train, device)?;
                Mahalanobis::fit(&codes.values, codes.dim, regularization)?.into()
            }
            ScoreMethod::Kl => KlDivergence.into(),
        };
        let valid_scores = scorer.score(&model, score.as_score(), &valid, device)?;
        if let Some(i) = valid_scores.iter().position(|s| !s.is_finite()) {
            let msg = format!(
                "held-out window {i} scored {} (diverged model?)",
                valid_scores[i]
            );
            return Err(Error::Training(msg));
        }
        let context = ContextScore::fit(self.context, &valid_scores, valid_context.as_deref())?;
        let valid_scores = context.apply(&valid_scores, valid_context.as_deref())?;
        let calibration = Calibration::fit(&valid_scores)?;
        let threshold = Threshold::fit(self.threshold, &valid_scores)?;

        let mut config = self.clone();
        config.model = spec;
        config.pipeline.resample_to = config.pipeline.resample_to.or(fs);
        let metadata = Metadata {
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            model_kind: self.model.kind(),
            seq: train.seq(),
            channels: train.channels(),
            fs: config.pipeline.resample_to,
            lead: self.lead.clone(),
            leads: self.leads.clone(),
            seed: self.training.seed,
            data_fingerprint: fingerprint(train_raw.data()),
            training_windows: train.labels().len(),
            validation_windows: valid.labels().len(),
            weights_checksum: None,
        };
        Detector::from_parts(super::artifact::Parts {
            model,
            config,
            normalizer,
            score,
            context,
            calibration,
            threshold,
            metadata,
            history: Some(trained.history),
            device: device.clone(),
        })
    }
}

/// Windows whose rate and context are known.
struct WithRate {
    windows: WindowDataset,
    fs: Option<f64>,
    context: Vec<BeatContext>,
}

impl BeatSource for WithRate {
    fn windows(&self) -> Result<std::borrow::Cow<'_, WindowDataset>> {
        Ok(std::borrow::Cow::Borrowed(&self.windows))
    }

    fn fs(&self) -> Option<f64> {
        self.fs
    }

    fn context(&self) -> Option<Vec<BeatContext>> {
        Some(self.context.clone())
    }
}

/// The unlabelled windows of `data` that passed its quality check, in order, with their
/// context when known.
fn normal_windows(data: &impl BeatSource) -> Result<(WindowDataset, Option<Vec<BeatContext>>)> {
    let windows = data.windows()?;
    let usable = data.usable();
    let keep: Vec<usize> = (0..windows.labels().len())
        .filter(|&i| !windows.labels()[i] && usable.as_ref().is_none_or(|u| u[i]))
        .collect();
    let context = match data.context() {
        Some(c) if c.len() == windows.labels().len() => Some(keep.iter().map(|&i| c[i]).collect()),
        Some(c) => {
            let msg = format!(
                "{} beats of context for {} windows",
                c.len(),
                windows.labels().len()
            );
            return Err(Error::invalid("data", msg));
        }
        None => None,
    };
    Ok((windows.select(&keep)?, context))
}

/// [`Error::NoBeats`] when `processed` has no beat, or no usable one.
fn usable_beats(processed: &ProcessedSignal) -> Result<()> {
    processed.check_beats()?;
    if processed.usable().is_empty() {
        let beats = processed.count();
        return Err(Error::NoBeats(NoBeats::AllUnusable { beats }));
    }
    Ok(())
}

/// Windows `..at` and `at..`.
fn split(windows: &WindowDataset, at: usize) -> Result<(WindowDataset, WindowDataset)> {
    let n = windows.labels().len();
    let first: Vec<usize> = (0..at).collect();
    let second: Vec<usize> = (at..n).collect();
    Ok((windows.select(&first)?, windows.select(&second)?))
}
