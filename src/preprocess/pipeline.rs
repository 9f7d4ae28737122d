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

use super::check::{check_amplitude, check_ecg_fs, check_signal};
use super::filter::{BandPass, SignalFilter};
use super::quality::{QualityConfig, assess_quality};
use super::resample::{SincResampler, resample_index};
use super::rhythm::{RrIntervals, rr_intervals};
use super::rpeak::{RPeakMethod, detect_r_peaks};
use super::segment::{BeatWindow, Beats, segment_beats};
use crate::{Error, NoBeats, Result};

/// What [`BeatPipeline::find_peaks`] gives: the lead at the pipeline's rate (borrowed when it
/// already was), the cleaned lead, that rate and the R-peaks.
type FoundPeaks<'a> = (Cow<'a, [f32]>, Vec<f32>, f64, Vec<usize>);

/// Most seconds of signal kept before or after an R-peak ([`BeatPipeline::before_s`],
/// [`BeatPipeline::after_s`]): 2 s, a whole beat at 30 bpm.
pub const MAX_WINDOW_S: f64 = 2.0;

/// Default of [`BeatPipeline::max_input_samples`]: 48 hours at 1 kHz (172 800 000 samples,
/// 691 MB as `f32`; the pipeline holds a few copies of the lead).
pub const DEFAULT_MAX_INPUT_SAMPLES: usize = 48 * 3600 * 1000;

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
    /// Most samples of a lead the pipeline takes, before and after resampling; a longer one is
    /// [`Error::Limit`] naming this setting, before anything is allocated. At least 1.
    /// Default: [`DEFAULT_MAX_INPUT_SAMPLES`] (48 h at 1 kHz).
    pub max_input_samples: usize,
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
            max_input_samples: DEFAULT_MAX_INPUT_SAMPLES,
        }
    }
}

/// What [`BeatPipeline::run`] found in one lead (or [`BeatPipeline::run_leads`] in several).
/// Samples, peaks and beats are at [`fs`](Self::fs), the rate after resampling;
/// [`input_position`](Self::input_position) maps a beat back to the input's samples.
///
/// With several leads, `clean`, `peaks`, `beats` and `rr` are the first lead's (the one the
/// R-peaks were found on); [`other_leads`](Self::other_leads) holds the others, cut at the
/// same centres, and [`window`](Self::window) gives a beat of every lead, channels last.
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
    /// The leads after the first, in order, when several were run
    /// ([`BeatPipeline::run_leads`]): each cleaned and cut at the centres of
    /// [`beats`](Self::beats). Empty for one lead.
    pub other_leads: Vec<LeadBeats>,
}

/// One more lead of a [`ProcessedSignal`]: cleaned as the first, its beats cut at the first
/// lead's centres (so `beats.centres` and `beats.kept` equal the first lead's).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadBeats {
    /// The cleaned lead, at the signal's [`fs`](ProcessedSignal::fs).
    pub clean: Vec<f32>,
    /// Its beats, one per beat of the first lead.
    pub beats: Beats,
}

impl ProcessedSignal {
    /// Number of beats.
    pub fn count(&self) -> usize {
        self.beats.count()
    }

    /// Leads (channels) per beat: 1, or as many as [`BeatPipeline::run_leads`] was given.
    pub fn channels(&self) -> usize {
        1 + self.other_leads.len()
    }

    /// The beats of lead `k` (0 is the first lead, [`beats`](Self::beats)), if there is one.
    pub fn lead_beats(&self, k: usize) -> Option<&Beats> {
        match k {
            0 => Some(&self.beats),
            _ => self.other_leads.get(k - 1).map(|l| &l.beats),
        }
    }

    /// Beat `i` of every lead, time-major and channels last (`[seq, channels]`: sample `t`
    /// of lead `c` at `t * channels + c`), as a [`WindowDataset`](crate::data::batch::WindowDataset)
    /// window; for one lead, the beat itself. `None` past the end.
    pub fn window(&self, i: usize) -> Option<Vec<f32>> {
        let first = self.beats.get(i)?;
        if self.other_leads.is_empty() {
            return Some(first.to_vec());
        }
        let others: Vec<&[f32]> = self
            .other_leads
            .iter()
            .map(|l| l.beats.get(i))
            .collect::<Option<_>>()?;
        let mut window = Vec::with_capacity(first.len() * self.channels());
        for (t, &v) in first.iter().enumerate() {
            window.push(v);
            window.extend(others.iter().map(|lead| lead[t]));
        }
        Some(window)
    }

    /// Every beat's [`window`](Self::window), one after the other (`[n, seq, channels]`).
    pub fn windows_data(&self) -> Vec<f32> {
        if self.other_leads.is_empty() {
            return self.beats.data.clone();
        }
        let mut data = Vec::with_capacity(self.beats.data.len() * self.channels());
        for i in 0..self.count() {
            data.extend(self.window(i).unwrap_or_default());
        }
        data
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

    /// Why no beat was cut, when none was: the window is longer than the lead, no R-peak was
    /// found, or no peak's window fits inside the lead. `None` when there are beats.
    pub fn no_beats(&self) -> Option<NoBeats> {
        if self.count() > 0 {
            return None;
        }
        Some(if self.beats.len > self.clean.len() {
            NoBeats::WindowLongerThanSignal {
                window: self.beats.len,
                samples: self.clean.len(),
                fs: self.fs,
            }
        } else if self.peaks.is_empty() {
            NoBeats::NoPeaks {
                seconds: self.clean.len() as f64 / self.fs,
                fs: self.fs,
            }
        } else {
            NoBeats::NoCompleteBeat {
                peaks: self.peaks.len(),
            }
        })
    }

    /// [`Error::NoBeats`] when no beat was cut ([`no_beats`](Self::no_beats) says why).
    pub fn check_beats(&self) -> Result<()> {
        match self.no_beats() {
            Some(reason) => Err(Error::NoBeats(reason)),
            None => Ok(()),
        }
    }
}

impl BeatPipeline {
    /// Checks every setting against its documented range: `resample_to` an ECG rate
    /// ([`MIN_ECG_FS`](super::MIN_ECG_FS)..=[`MAX_ECG_FS`](super::MAX_ECG_FS) Hz), `before_s`
    /// and `after_s` within `0..=`[`MAX_WINDOW_S`] s and not both 0, the band-pass's cutoffs `0 < low_hz < high_hz`
    /// (below the Nyquist frequency of `resample_to` when set) and its order
    /// `1..=`[`MAX_ORDER`](super::filter::MAX_ORDER), the quality check's durations within
    /// `(0, 60]` s, its amplitude and ratio finite and `>= 0`, its noise band `> 0` Hz, and
    /// `max_input_samples >= 1`. [`Error::InvalidArgument`] names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        if let Some(to) = self.resample_to {
            check_ecg_fs("pipeline.resample_to", to)?;
        }
        self.window_seconds()?;
        if self.before_s + self.after_s <= 0.0 {
            return Err(Error::invalid(
                "window",
                "before_s and after_s are both 0 s",
            ));
        }
        if let Some(filter) = &self.filter {
            let (low, high) = (filter.low_hz, filter.high_hz);
            let nyquist = self.resample_to.map_or(f64::INFINITY, |fs| fs / 2.0);
            if !(low.is_finite() && high.is_finite() && 0.0 < low && low < high && high < nyquist) {
                let msg = format!(
                    "{low}..{high} Hz: needs 0 < low_hz < high_hz < {nyquist} Hz (the Nyquist \
                     frequency)"
                );
                return Err(Error::invalid("pipeline.filter", msg));
            }
            if !(1..=super::filter::MAX_ORDER).contains(&filter.order) {
                let msg = format!(
                    "order {} is not in 1..={}",
                    filter.order,
                    super::filter::MAX_ORDER
                );
                return Err(Error::invalid("pipeline.filter", msg));
            }
        }
        if let Some(q) = &self.quality {
            let seconds = [
                ("flat_window_s", q.flat_window_s),
                ("rail_run_s", q.rail_run_s),
            ];
            for (name, value) in seconds {
                if !(value > 0.0 && value <= 60.0) {
                    let msg = format!("{name} = {value} s is not in (0, 60]");
                    return Err(Error::invalid("pipeline.quality", msg));
                }
            }
            let ratio = q.max_noise_ratio.unwrap_or(0.0);
            let ok = q.flat_ptp.is_finite()
                && q.flat_ptp >= 0.0
                && q.noise_hz.is_finite()
                && q.noise_hz > 0.0
                && ratio.is_finite()
                && ratio >= 0.0;
            if !ok {
                let msg = format!(
                    "flat_ptp {}, noise_hz {} and max_noise_ratio {:?}: each must be finite, \
                     noise_hz > 0 and the others >= 0",
                    q.flat_ptp, q.noise_hz, q.max_noise_ratio
                );
                return Err(Error::invalid("pipeline.quality", msg));
            }
        }
        if self.max_input_samples == 0 {
            return Err(Error::invalid(
                "pipeline.max_input_samples",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// `before_s` and `after_s` each finite and within `0..=`[`MAX_WINDOW_S`].
    fn window_seconds(&self) -> Result<()> {
        for (name, seconds) in [("before_s", self.before_s), ("after_s", self.after_s)] {
            if !(seconds.is_finite() && (0.0..=MAX_WINDOW_S).contains(&seconds)) {
                return Err(Error::invalid(
                    name,
                    format!("{seconds} s must be finite and within 0..={MAX_WINDOW_S} s"),
                ));
            }
        }
        Ok(())
    }

    /// The window cut around each peak at `fs` Hz, an ECG rate ([`check_ecg_fs`]).
    pub fn window(&self, fs: f64) -> Result<BeatWindow> {
        check_ecg_fs("fs", fs)?;
        self.window_seconds()?;
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
    /// A lead with no beat is not an error here: [`ProcessedSignal::no_beats`] says why.
    ///
    /// Errors: empty or non-finite signal (naming the sample), a sample beyond
    /// [`MAX_ECG_AMPLITUDE`](super::MAX_ECG_AMPLITUDE), a rate outside
    /// [`MIN_ECG_FS`](super::MIN_ECG_FS)..=[`MAX_ECG_FS`](super::MAX_ECG_FS) Hz
    /// ([`check_ecg_fs`]), a bad filter, and
    /// [`Error::Limit`] for a lead (or the lead resampled) longer than
    /// [`max_input_samples`](Self::max_input_samples).
    pub fn run(&self, signal: &[f32], fs: f64) -> Result<ProcessedSignal> {
        let (raw, clean, rate, peaks) = self.find_peaks(signal, fs)?;
        self.finish(&raw, clean, fs, rate, peaks)
    }

    /// Runs every step on several leads of one recording, all sampled at `fs` Hz and of one
    /// length: the R-peaks are found on the **first** lead (put the lead whose QRS stands out
    /// best first, e.g. MLII), every lead is resampled and cleaned the same way, and beats are
    /// cut at the same centres from each ([`ProcessedSignal::other_leads`],
    /// [`ProcessedSignal::window`] for a beat of every lead, channels last). A beat is usable
    /// only when its raw segment passes the quality check on every lead. RR intervals and
    /// templates are the first lead's. One lead gives exactly what [`run`](Self::run) gives.
    ///
    /// Errors: no lead, leads of different lengths ([`Error::InvalidArgument`] naming the
    /// lead), and those of [`run`](Self::run) for any lead.
    pub fn run_leads(&self, leads: &[&[f32]], fs: f64) -> Result<ProcessedSignal> {
        let Some((first, rest)) = leads.split_first() else {
            return Err(Error::invalid("leads", "no lead to run"));
        };
        if let Some(k) = rest.iter().position(|lead| lead.len() != first.len()) {
            let msg = format!(
                "lead {} has {} samples, lead 0 has {}: the leads of one recording have one length",
                k + 1,
                rest[k].len(),
                first.len()
            );
            return Err(Error::invalid("leads", msg));
        }
        let (raw, clean, rate, peaks) = self.find_peaks(first, fs)?;
        let mut out = self.finish(&raw, clean, fs, rate, peaks)?;
        for lead in rest {
            let (raw, _) = self.resampled(lead, fs)?;
            self.add_lead_at_rate(&mut out, &raw)?;
        }
        Ok(out)
    }

    /// The step of [`run_leads`](Self::run_leads) for each lead after the first: `raw`, a lead
    /// already at `out`'s rate and of its length, cleaned and cut at `out`'s peaks, its
    /// quality joined to `out`'s, pushed to [`ProcessedSignal::other_leads`].
    pub(crate) fn add_lead_at_rate(&self, out: &mut ProcessedSignal, raw: &[f32]) -> Result<()> {
        let rate = out.fs;
        let k = out.channels();
        if raw.len() != out.clean.len() {
            let msg = format!(
                "lead {k} has {} samples at {rate} Hz, lead 0 has {}",
                raw.len(),
                out.clean.len()
            );
            return Err(Error::invalid("leads", msg));
        }
        let window = self.window(rate)?;
        let clean = self.clean(raw, rate)?;
        let beats = segment_beats(&clean, &out.peaks, window)?;
        if beats.kept != out.beats.kept {
            // Equal lengths in give equal lengths out: a bug if this happens.
            let msg = format!(
                "lead {k} kept {} beats, lead 0 kept {}",
                beats.count(),
                out.count()
            );
            return Err(Error::invalid("leads", msg));
        }
        let quality = self.quality(raw, &beats, window, rate)?;
        for (ok, lead_ok) in out.quality.iter_mut().zip(quality) {
            *ok &= lead_ok;
        }
        out.other_leads.push(LeadBeats { clean, beats });
        Ok(())
    }

    /// The first steps of [`run`](Self::run): the lead at the pipeline's rate, cleaned, its
    /// rate and its R-peaks.
    pub(crate) fn find_peaks<'a>(&self, signal: &'a [f32], fs: f64) -> Result<FoundPeaks<'a>> {
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

    /// The lead at the pipeline's rate, and that rate, after checking the lead (finite, in
    /// range, not too long) and both rates.
    pub(crate) fn resampled<'a>(
        &self,
        signal: &'a [f32],
        fs: f64,
    ) -> Result<(Cow<'a, [f32]>, f64)> {
        const LIMIT: &str = "BeatPipeline::max_input_samples";
        check_ecg_fs("fs", fs)?;
        if let Some(to) = self.resample_to {
            check_ecg_fs("pipeline.resample_to", to)?;
        }
        if signal.len() > self.max_input_samples {
            let msg = format!("a lead of {} samples", signal.len());
            let path = std::path::Path::new("");
            return Err(crate::limits::exceeded(
                path,
                LIMIT,
                self.max_input_samples,
                msg,
            ));
        }
        check_signal(signal)?;
        check_amplitude(signal)?;
        match self.resample_to {
            Some(to) if to != fs => {
                let resampled = SincResampler::default().resample_bounded(
                    signal,
                    (fs, to),
                    self.max_input_samples,
                    LIMIT,
                )?;
                Ok((Cow::Owned(resampled), to))
            }
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
        let quality = self.quality(raw, &beats, window, fs)?;
        Ok(ProcessedSignal {
            input_fs,
            fs,
            clean,
            peaks,
            beats,
            quality,
            rr,
            other_leads: Vec::new(),
        })
    }

    /// Per beat of `beats` (cut from `raw` with `window`, at `fs` Hz): true when its raw
    /// segment passes the quality check (always, without one).
    fn quality(
        &self,
        raw: &[f32],
        beats: &Beats,
        window: BeatWindow,
        fs: f64,
    ) -> Result<Vec<bool>> {
        match &self.quality {
            Some(config) => beats
                .centres
                .iter()
                .map(|&c| {
                    let segment = &raw[c - window.before..c + window.after];
                    assess_quality(segment, fs, config).map(|q| q.ok)
                })
                .collect(),
            None => Ok(vec![true; beats.count()]),
        }
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
    fn run_leads_cuts_every_lead_at_the_first_leads_peaks() {
        let record = ecg(360.0);
        let a = record.ecg.leads[0].clone();
        // A second lead: the first inverted, scaled and shifted by a few samples.
        let b: Vec<f32> = (0..a.len())
            .map(|i| -0.6 * a[i.saturating_sub(3)])
            .collect();
        let pipeline = BeatPipeline::default();
        let one = pipeline.run_leads(&[&a], 360.0).unwrap();
        assert_eq!(
            one,
            pipeline.run(&a, 360.0).unwrap(),
            "one lead: run's output"
        );
        assert_eq!(one.windows_data(), one.beats.data);
        let two = pipeline.run_leads(&[&a, &b], 360.0).unwrap();
        assert_eq!(two.channels(), 2);
        assert_eq!(two.peaks, one.peaks, "peaks from the first lead");
        assert_eq!(two.beats, one.beats);
        let at = pipeline.run_at(&b, 360.0, &two.peaks).unwrap();
        assert_eq!(
            two.lead_beats(1),
            Some(&at.beats),
            "lead 1 cut at lead 0's peaks"
        );
        for (i, ok) in two.quality.iter().enumerate() {
            assert_eq!(*ok, one.quality[i] && at.quality[i], "beat {i}");
        }
        let w = two.window(5).unwrap();
        let (b0, b1) = (one.beats.get(5).unwrap(), at.beats.get(5).unwrap());
        assert_eq!(w.len(), 2 * b0.len());
        for t in 0..b0.len() {
            assert_eq!((w[2 * t], w[2 * t + 1]), (b0[t], b1[t]), "sample {t}");
        }
        assert_eq!(two.windows_data().len(), two.count() * 2 * two.beats.len);
        assert_eq!(&two.windows_data()[5 * w.len()..6 * w.len()], &w[..]);
        let err = pipeline
            .run_leads(&[&a, &b[1..]], 360.0)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("lead 1") && err.contains("one length"),
            "{err}"
        );
        assert!(pipeline.run_leads(&[], 360.0).is_err());
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
    fn a_lead_without_beats_says_why() {
        let pipeline = BeatPipeline::default();
        let lead = ecg(360.0).ecg.leads[0].clone();
        let short = pipeline.run(&lead[..200], 360.0).unwrap();
        assert!(
            matches!(
                short.no_beats(),
                Some(NoBeats::WindowLongerThanSignal {
                    window: 320,
                    samples: 200,
                    ..
                })
            ),
            "{:?}",
            short.no_beats()
        );
        let flat = pipeline.run(&vec![0.1; 3600], 360.0).unwrap();
        assert!(matches!(flat.no_beats(), Some(NoBeats::NoPeaks { .. })));
        let err = flat.check_beats().unwrap_err().to_string();
        assert!(err.contains("no R-peak found in 10.0 s"), "{err}");
        let full = pipeline.run(&lead, 360.0).unwrap();
        assert_eq!(full.no_beats(), None);
        full.check_beats().unwrap();
    }

    #[test]
    fn rates_amplitudes_and_lengths_out_of_range_are_errors_and_valid_ones_unchanged() {
        let pipeline = BeatPipeline::default();
        let lead = ecg(360.0).ecg.leads[0].clone();
        // A rate given in kHz, and one no ECG has: errors at once, the first with a hint.
        let err = pipeline.run(&lead, 0.36).unwrap_err().to_string();
        assert!(
            err.contains("not an ECG sampling rate") && err.contains("kHz"),
            "{err}"
        );
        let err = pipeline.run(&lead, 0.25).unwrap_err().to_string();
        assert!(err.contains("not an ECG sampling rate"), "{err}");
        let resampling = BeatPipeline {
            resample_to: Some(360.0),
            ..BeatPipeline::default()
        };
        assert!(resampling.run(&lead, 0.36).is_err());
        // A lead scaled to 1e20 is refused; one scaled by 1e6 (uV) finds the same beats.
        let huge: Vec<f32> = lead.iter().map(|v| v * 1e20).collect();
        assert!(matches!(
            pipeline.run(&huge, 360.0),
            Err(Error::Signal { .. })
        ));
        let micro: Vec<f32> = lead.iter().map(|v| v * 1e6).collect();
        let (a, b) = (
            pipeline.run(&lead, 360.0).unwrap(),
            pipeline.run(&micro, 360.0).unwrap(),
        );
        assert_eq!(a.peaks, b.peaks);
        // Longer than max_input_samples, before or after resampling: a limit naming it.
        let bounded = BeatPipeline {
            max_input_samples: 10_000,
            ..BeatPipeline::default()
        };
        bounded.run(&lead[..10_000], 360.0).unwrap();
        for (signal, fs) in [(&lead[..10_001], 360.0), (&lead[..6_000], 180.0)] {
            let upsampling = BeatPipeline {
                resample_to: Some(360.0),
                ..bounded.clone()
            };
            let err = upsampling.run(signal, fs).unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::Limit {
                        limit: "BeatPipeline::max_input_samples",
                        max: 10_000,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(
                err.to_string().contains("BeatPipeline::max_input_samples"),
                "{err}"
            );
        }
        assert_eq!(
            BeatPipeline::default().max_input_samples,
            48 * 3600 * 1000,
            "48 h at 1 kHz"
        );
    }

    #[test]
    fn validate_bounds_every_setting() {
        BeatPipeline::default().validate().unwrap();
        let bad = [
            BeatPipeline {
                before_s: 1e300,
                ..Default::default()
            },
            BeatPipeline {
                after_s: 2.5,
                ..Default::default()
            },
            BeatPipeline {
                resample_to: Some(0.25),
                ..Default::default()
            },
            BeatPipeline {
                resample_to: Some(1e12),
                ..Default::default()
            },
            BeatPipeline {
                filter: Some(BandPass::new(40.0, 0.5)),
                ..Default::default()
            },
            BeatPipeline {
                resample_to: Some(60.0),
                ..Default::default()
            },
            BeatPipeline {
                quality: Some(QualityConfig {
                    flat_window_s: 1e300,
                    ..Default::default()
                }),
                ..Default::default()
            },
            BeatPipeline {
                max_input_samples: 0,
                ..Default::default()
            },
            BeatPipeline {
                before_s: 0.0,
                after_s: 0.0,
                ..Default::default()
            },
        ];
        for pipeline in bad {
            assert!(pipeline.validate().is_err(), "{pipeline:?}");
        }
        let err = BeatPipeline {
            before_s: 1e300,
            ..Default::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(err.contains("before_s"), "{err}");
    }

    #[test]
    fn serde_defaults_fill_missing_fields() {
        let pipeline: BeatPipeline = serde_json::from_str(r#"{"resample_to": 180.0}"#).unwrap();
        assert_eq!(pipeline.resample_to, Some(180.0));
        assert_eq!(pipeline.filter, Some(BandPass::default()));
    }
}
