//! [`BeatPipeline`]: the one place where the preprocessing order is written.
//!
//! A raw lead and its sampling rate go in; the cleaned lead, its R-peaks, one beat per peak,
//! each beat's quality and RR intervals come out ([`ProcessedSignal`]), as NeuroKit2's
//! `ecg_process` does. Training, the detector, the command-line tool and the examples all call
//! it, so a beat is cut the same way everywhere.
//!
//! ```
//! use ecg_anomaly::data::synthetic::{SyntheticConfig, generate};
//! use ecg_anomaly::preprocess::BeatPipeline;
//!
//! let ecg = generate(&SyntheticConfig::default())?.ecg;
//! let processed = BeatPipeline::default().run(&ecg.leads[0], ecg.fs)?;
//! println!("{} beats of {} samples", processed.beats.count(), processed.beats.len);
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::check::{check_fs, check_signal};
use super::filter::{BandPass, SignalFilter};
use super::quality::{QualityConfig, assess_quality};
use super::resample::{resample, resample_index};
use super::rhythm::{RrIntervals, rr_intervals};
use super::rpeak::{RPeakMethod, detect_r_peaks};
use super::segment::{BeatWindow, Beats, segment_beats};
use crate::{Error, Result};

/// Clean → find R-peaks → cut beats → check quality → measure RR, with one setting per step.
/// `BeatPipeline::default()` holds the documented defaults; missing JSON fields take them too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BeatPipeline {
    /// Rate the lead is resampled to before anything else, in Hz; `None` keeps the input's
    /// rate. A detector sets it to the rate it was trained at, so that its beats have one
    /// length whatever the input's rate. Default: `None`.
    pub resample_to: Option<f64>,
    /// Band-pass that cleans the lead (baseline wander and high-frequency noise out); `None`
    /// leaves the lead as it is. Default: zero-phase Butterworth 0.5-40 Hz, order 2.
    pub filter: Option<BandPass>,
    /// R-peak detector run on the cleaned lead. Default: [`RPeakMethod::EnergyEnvelope`].
    pub r_peaks: RPeakMethod,
    /// Seconds of signal kept before each R-peak. Default: 140/360 s (0.389 s: the P wave).
    pub before_s: f64,
    /// Seconds kept from the R-peak on. Default: 0.5 s (the T wave).
    pub after_s: f64,
    /// Thresholds of the quality check run on each beat's raw segment (flat line, clipping,
    /// noise); `None` marks every beat usable. Default: [`QualityConfig::default`].
    pub quality: Option<QualityConfig>,
}

impl Default for BeatPipeline {
    fn default() -> Self {
        let window = BeatWindow::default();
        Self {
            resample_to: None,
            filter: Some(BandPass::default()),
            r_peaks: RPeakMethod::default(),
            before_s: window.before as f64 / BeatWindow::REFERENCE_FS,
            after_s: window.after as f64 / BeatWindow::REFERENCE_FS,
            quality: Some(QualityConfig::default()),
        }
    }
}

/// What [`BeatPipeline::run`] found in one lead. Samples, peaks and beats are at [`fs`](Self::fs),
/// the rate after resampling; [`input_position`](Self::input_position) maps a beat back to
/// the input's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedSignal {
    /// Rate of the input lead, Hz.
    pub input_fs: f64,
    /// Rate of everything below, Hz (the input's unless the pipeline resamples).
    pub fs: f64,
    /// The cleaned lead.
    pub clean: Vec<f32>,
    /// Every R-peak found (or given), strictly increasing.
    pub peaks: Vec<usize>,
    /// One beat per peak whose window fits inside the lead (`beats.kept` indexes `peaks`).
    pub beats: Beats,
    /// Per beat: true when its raw segment passed the quality check.
    pub quality: Vec<bool>,
    /// Per beat: its RR intervals (measured over every peak, kept or not).
    pub rr: Vec<RrIntervals>,
}

impl ProcessedSignal {
    /// Number of beats.
    pub fn count(&self) -> usize {
        self.beats.count()
    }

    /// Beat `i`'s R-peak in the input's samples (before resampling), if the beat exists.
    pub fn input_position(&self, i: usize) -> Option<usize> {
        let centre = *self.beats.centres.get(i)?;
        Some(resample_index(centre, self.fs, self.input_fs))
    }

    /// Each beat's [`template_distances`](super::template::template_distances): how unlike
    /// the lead's median beat it is (`None` for leads of fewer than 20 beats).
    pub fn template_distances(&self) -> Result<Vec<Option<f64>>> {
        let groups = vec![0; self.count()];
        super::template::template_distances(&self.beats.data, self.beats.len, &groups)
    }

    /// The beats whose quality check passed, as indices.
    pub fn usable(&self) -> Vec<usize> {
        (0..self.count()).filter(|&i| self.quality[i]).collect()
    }
}

impl BeatPipeline {
    /// The window cut around each peak at `fs` Hz.
    pub fn window(&self, fs: f64) -> Result<BeatWindow> {
        check_fs(fs)?;
        for (name, seconds) in [("before_s", self.before_s), ("after_s", self.after_s)] {
            if !(seconds.is_finite() && seconds >= 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("{seconds} s must be finite and >= 0"),
                ));
            }
        }
        let window = BeatWindow::new(
            (self.before_s * fs).round() as usize,
            (self.after_s * fs).round() as usize,
        );
        if window.is_empty() {
            return Err(Error::invalid(
                "window",
                format!("holds no sample at {fs} Hz"),
            ));
        }
        Ok(window)
    }

    /// The rate beats come out at for an input at `fs` Hz.
    pub fn output_fs(&self, fs: f64) -> f64 {
        self.resample_to.unwrap_or(fs)
    }

    /// Runs every step on `signal` sampled at `fs` Hz, finding the R-peaks itself.
    ///
    /// Errors: empty or non-finite signal (naming the sample), bad rate or filter, a rate the
    /// R-peak detector does not take.
    pub fn run(&self, signal: &[f32], fs: f64) -> Result<ProcessedSignal> {
        let (raw, clean, rate, peaks) = self.find_peaks(signal, fs)?;
        self.finish(&raw, clean, fs, rate, peaks)
    }

    /// The first steps of [`run`](Self::run): the lead at the pipeline's rate, cleaned, its
    /// rate and its R-peaks.
    pub(crate) fn find_peaks<'a>(
        &self,
        signal: &'a [f32],
        fs: f64,
    ) -> Result<(Cow<'a, [f32]>, Vec<f32>, f64, Vec<usize>)> {
        let (raw, rate) = self.resampled(signal, fs)?;
        let (clean, peaks) = self.find_peaks_at_rate(&raw, rate)?;
        Ok((raw, clean, rate, peaks))
    }

    /// [`find_peaks`](Self::find_peaks) on a lead already at the pipeline's rate `rate`: the
    /// lead cleaned, and its R-peaks.
    pub(crate) fn find_peaks_at_rate(
        &self,
        raw: &[f32],
        rate: f64,
    ) -> Result<(Vec<f32>, Vec<usize>)> {
        let clean = self.clean(raw, rate)?;
        let peaks = detect_r_peaks(&clean, rate, self.r_peaks)?;
        Ok((clean, peaks))
    }

    /// Runs every step but R-peak detection: beats are cut around `centres` (samples of the
    /// input, e.g. annotated beats), which must be strictly increasing.
    pub fn run_at(&self, signal: &[f32], fs: f64, centres: &[usize]) -> Result<ProcessedSignal> {
        let (raw, rate) = self.resampled(signal, fs)?;
        let clean = self.clean(&raw, rate)?;
        let peaks: Vec<usize> = centres
            .iter()
            .map(|&c| resample_index(c, fs, rate))
            .collect();
        if let Some(i) = peaks.windows(2).position(|w| w[1] <= w[0]) {
            let msg = format!(
                "centre {} (sample {}) does not come after centre {i} (sample {}) at {rate} Hz",
                i + 1,
                centres[i + 1],
                centres[i]
            );
            return Err(Error::invalid("centres", msg));
        }
        self.finish(&raw, clean, fs, rate, peaks)
    }

    /// The lead at the pipeline's rate, and that rate.
    fn resampled<'a>(&self, signal: &'a [f32], fs: f64) -> Result<(Cow<'a, [f32]>, f64)> {
        check_signal(signal)?;
        check_fs(fs)?;
        match self.resample_to {
            Some(to) if to != fs => Ok((Cow::Owned(resample(signal, fs, to)?), to)),
            _ => Ok((Cow::Borrowed(signal), fs)),
        }
    }

    fn clean(&self, raw: &[f32], fs: f64) -> Result<Vec<f32>> {
        match &self.filter {
            Some(filter) => filter.apply(raw, fs),
            None => Ok(raw.to_vec()),
        }
    }

    /// The last steps of [`run`](Self::run), for `peaks` (some or all of those
    /// [`find_peaks`](Self::find_peaks) found): beats cut from `clean`, their quality checked
    /// on `raw`, RR intervals measured over `peaks`.
    pub(crate) fn finish(
        &self,
        raw: &[f32],
        clean: Vec<f32>,
        input_fs: f64,
        fs: f64,
        peaks: Vec<usize>,
    ) -> Result<ProcessedSignal> {
        let window = self.window(fs)?;
        let beats = segment_beats(&clean, &peaks, window)?;
        let all_rr = rr_intervals(&peaks, fs)?;
        let rr = beats.kept.iter().map(|&k| all_rr[k]).collect();
        let quality = match &self.quality {
            Some(config) => beats
                .centres
                .iter()
                .map(|&c| {
                    let segment = &raw[c - window.before..c + window.after];
                    assess_quality(segment, fs, config).map(|q| q.ok)
                })
                .collect::<Result<_>>()?,
            None => vec![true; beats.count()],
        };
        Ok(ProcessedSignal {
            input_fs,
            fs,
            clean,
            peaks,
            beats,
            quality,
            rr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic::{SyntheticConfig, SyntheticLength, generate};

    fn ecg(fs: f64) -> crate::data::synthetic::SyntheticEcg {
        generate(&SyntheticConfig {
            fs,
            length: SyntheticLength::Seconds(60.0),
            anomaly_rate: 0.0,
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn finds_the_generated_beats_and_cuts_default_windows() {
        let record = ecg(360.0);
        let out = BeatPipeline::default()
            .run(&record.ecg.leads[0], 360.0)
            .unwrap();
        assert_eq!(out.beats.len, 320, "140 + 180 samples at 360 Hz");
        let truth: Vec<usize> = record.beats.iter().map(|b| b.r_peak).collect();
        let matched = crate::preprocess::match_peaks(&truth, &out.peaks, 54);
        assert!(matched.sensitivity() > 0.98, "{matched:?}");
        assert_eq!(out.quality.len(), out.count());
        assert_eq!(out.rr.len(), out.count());
        assert!(
            out.usable().len() > out.count() * 9 / 10,
            "clean synthetic beats are usable"
        );
    }

    #[test]
    fn resampling_gives_one_beat_length_and_maps_positions_back() {
        let record = ecg(250.0);
        let pipeline = BeatPipeline {
            resample_to: Some(180.0),
            ..Default::default()
        };
        let out = pipeline.run(&record.ecg.leads[0], 250.0).unwrap();
        assert_eq!((out.fs, out.input_fs), (180.0, 250.0));
        assert_eq!(out.beats.len, 70 + 90);
        let truth: Vec<usize> = record.beats.iter().map(|b| b.r_peak).collect();
        let back: Vec<usize> = (0..out.count())
            .filter_map(|i| out.input_position(i))
            .collect();
        let matched = crate::preprocess::match_peaks(&truth, &back, 38);
        assert!(matched.sensitivity() > 0.95, "{matched:?}");
    }

    #[test]
    fn run_at_cuts_around_given_centres_and_rejects_unordered_ones() {
        let record = ecg(360.0);
        let lead = &record.ecg.leads[0];
        let centres = [1000, 1400, 1800];
        let out = BeatPipeline::default()
            .run_at(lead, 360.0, &centres)
            .unwrap();
        assert_eq!(out.beats.centres, centres);
        assert_eq!(out.rr[1].previous_s, Some(400.0 / 360.0));
        assert!(
            BeatPipeline::default()
                .run_at(lead, 360.0, &[10, 5])
                .is_err()
        );
    }

    #[test]
    fn rejects_bad_input_with_typed_errors() {
        let pipeline = BeatPipeline::default();
        assert!(matches!(
            pipeline.run(&[], 360.0),
            Err(Error::InvalidArgument { .. })
        ));
        let mut lead = ecg(360.0).ecg.leads[0].clone();
        lead[77] = f32::NAN;
        assert!(matches!(
            pipeline.run(&lead, 360.0),
            Err(Error::Signal { sample: 77, .. })
        ));
        let bad = BeatPipeline {
            before_s: -1.0,
            ..Default::default()
        };
        assert!(bad.window(360.0).is_err());
    }

    #[test]
    fn serde_defaults_fill_missing_fields() {
        let pipeline: BeatPipeline = serde_json::from_str(r#"{"resample_to": 180.0}"#).unwrap();
        assert_eq!(pipeline.resample_to, Some(180.0));
        assert_eq!(pipeline.filter, Some(BandPass::default()));
    }
}
