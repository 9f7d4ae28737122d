//! Streaming detection: a verdict per beat as a device sends its samples, in chunks of any size.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ecg_anomaly::prelude::*;
//! use ecg_anomaly::stream::{StreamConfig, StreamingDetector};
//! # fn chunks() -> Vec<Vec<f32>> { unimplemented!() }
//! let detector = Arc::new(Detector::load("detector/", &default_device())?);
//! let mut stream = StreamingDetector::new(detector, 360.0, StreamConfig::default())?;
//! for chunk in chunks() {
//!     for judged in stream.push(&chunk)? {
//!         println!("beat at sample {:?}: {}", judged.verdict.position, judged.verdict.anomaly);
//!     }
//! }
//! let last = stream.finish()?; // the beats at the very end
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! **How.** The stream keeps the last [`buffer_s`](StreamConfig::buffer_s) seconds of raw
//! signal. Every [`hop_s`](StreamConfig::hop_s) seconds it runs the detector's own
//! [`BeatPipeline`](crate::preprocess::BeatPipeline) (the same zero-phase filter, R-peak
//! detector, windows and quality check as [`Detector::detect_signal`]) over that buffer (kept
//! at the pipeline's rate when that differs, so that only its newest samples are resampled), and
//! judges the beats that have *settled*: whose window ends at least
//! [`settle_s`](StreamConfig::settle_s) before the newest sample, where the filter's and the
//! peak detector's edge effects have died out, and that come after the last beat judged. So a
//! beat is found and cut as offline, with a delay of at most `after_s + settle_s + hop_s`
//! (3.75 s with the defaults), and memory does not grow with the stream's length: the buffer
//! plus the last few peaks and scores (the RR intervals and a running reference).
//!
//! Offline the first beats' thresholds come from the first 8 s of the recording; a stream has
//! only what it has seen, so its first few seconds may find a beat more or fewer. The RR
//! intervals are the offline ones but for the next interval, unknown when a beat is judged
//! (the rhythm score uses only past intervals). A context judged against the whole recording
//! ([`Reference::Record`], [`Reference::RecordMedian`]) uses the last
//! [`record_beats`](StreamConfig::record_beats) beats instead.
//!
//! **Several leads.** A detector fitted on several leads ([`Metadata::leads`]) takes *frames*:
//! each push gives whole frames of one sample per lead, in the detector's lead order,
//! interleaved (`[t0 lead 0, t0 lead 1, t1 lead 0, ...]`). Each step runs
//! [`BeatPipeline::run_leads`](crate::preprocess::BeatPipeline::run_leads)' steps: R-peaks on
//! the first lead, every lead cleaned the same way and cut at those peaks, a beat usable only
//! when every lead passes the quality check.
//!
//! A stream that ends without a single beat judged (a flat lead, noise, a wrong rate) says so:
//! [`finish`](StreamingDetector::finish) returns [`Error::NoBeats`], as
//! [`Detector::detect_signal`] does.

mod rhythm;

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use self::rhythm::{PeakHistory, ScoreHistory};
use crate::data::batch::WindowDataset;
use crate::detector::{Detector, Metadata, Verdict};
use crate::preprocess::resample::{BufferResampler, resample_index};
use crate::score::{BeatContext, MAX_REFERENCE_BEATS, Reference};
use crate::{Error, NoBeats, Result};

/// Longest [`StreamConfig::buffer_s`], seconds (one hour).
pub const MAX_BUFFER_S: f64 = 3600.0;

/// Settings of a [`StreamingDetector`]; the defaults suit ECG at any rate. Ranges, checked by
/// [`validate`](Self::validate) and again by [`StreamingDetector::new`] against the
/// detector's beat window: `hop_s` and `settle_s` finite and `> 0`, `buffer_s` from two settle
/// margins, a hop and a beat up to [`MAX_BUFFER_S`], `record_beats`
/// `1..=`[`MAX_REFERENCE_BEATS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Seconds of raw signal kept and processed at each step. Default 14: the R-peak
    /// detector's thresholds settle over about 8 s, then two settle margins.
    pub buffer_s: f64,
    /// Seconds of new signal between steps. Default 0.25.
    pub hop_s: f64,
    /// Seconds of signal after a beat's window before it is judged. Default 3.0: the
    /// band-pass's backward pass starts at the buffer's end, and its transient (the 0.5 Hz
    /// high-pass) must die out before the window. On MIT-BIH the model's scores are then
    /// within 0.1 % of the offline ones (1 % with 2 s, 5 % with 1 s: `tests/it/stream.rs`).
    pub settle_s: f64,
    /// Beats that stand for "the recording" when the detector's context reference is a
    /// whole recording, `1..=`[`MAX_REFERENCE_BEATS`]. Default 500 (about 7 minutes at 70
    /// bpm).
    pub record_beats: usize,
}

impl StreamConfig {
    /// Checks each setting on its own (see the ranges above); [`Error::InvalidArgument`] names
    /// the first one out of range. [`StreamingDetector::new`] also checks that the buffer
    /// holds two settle margins, a hop and the detector's beat.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("hop_s", self.hop_s), ("settle_s", self.settle_s)] {
            if !(value.is_finite() && value > 0.0 && value < MAX_BUFFER_S) {
                let msg = format!("{value} s must be finite, > 0 and < {MAX_BUFFER_S} s");
                return Err(Error::invalid(name, msg));
            }
        }
        if !(self.buffer_s.is_finite() && self.buffer_s > 0.0 && self.buffer_s <= MAX_BUFFER_S) {
            let msg = format!("{} s is not in (0, {MAX_BUFFER_S}] s", self.buffer_s);
            return Err(Error::invalid("buffer_s", msg));
        }
        if !(1..=MAX_REFERENCE_BEATS).contains(&self.record_beats) {
            let msg = format!(
                "{} beats is not in 1..={MAX_REFERENCE_BEATS}",
                self.record_beats
            );
            return Err(Error::invalid("record_beats", msg));
        }
        Ok(())
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            buffer_s: 14.0,
            hop_s: 0.25,
            settle_s: 3.0,
            record_beats: 500,
        }
    }
}

/// One beat judged by a [`StreamingDetector`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamVerdict {
    /// The verdict; `index` counts the stream's beats, `position` is the R-peak's sample
    /// counted from the stream's first sample.
    pub verdict: Verdict,
    /// Samples the stream had received when the beat was judged: `decided_at - position` is
    /// the delay in samples.
    pub decided_at: usize,
}

/// A [`Detector`] fed a lead (or frames of several leads) in chunks: see the
/// [module documentation](self).
#[derive(Debug)]
pub struct StreamingDetector {
    detector: Arc<Detector>,
    config: StreamConfig,
    /// The input's sampling rate, Hz.
    fs: f64,
    /// The newest raw samples of each lead (the detector's order), `buffers[k][0]` being the
    /// stream's sample `start`; never empty.
    buffers: Vec<Vec<f32>>,
    start: usize,
    /// Samples received since the last step.
    pending: usize,
    /// Step, buffer and settle lengths in input samples.
    hop: usize,
    capacity: usize,
    settle: usize,
    /// Fewest buffered samples worth a step: a beat's window and a settle margin.
    min_len: usize,
    /// Samples of a beat's window after its R-peak, at the pipeline's rate.
    after: usize,
    /// The buffer is trimmed by multiples of this, so that its start falls on the
    /// pipeline-rate grid when the rates are whole numbers.
    align: usize,
    /// Two peaks closer than this (in pipeline samples) are one beat seen twice.
    min_gap: usize,
    /// Each lead's buffer at the pipeline's rate, when that differs and both rates are whole
    /// numbers (so the buffer is trimmed by whole output samples): each step resamples only
    /// the newest samples, not the whole buffer. Empty otherwise.
    resampled: Vec<BufferResampler>,
    /// The last peak judged or passed over, at the pipeline's rate from the stream's start.
    last_peak: Option<usize>,
    peaks: PeakHistory,
    scores: ScoreHistory,
    judged: usize,
    /// The most R-peaks one step found (to say why a stream judged no beat).
    most_peaks: usize,
    finished: bool,
}

impl StreamingDetector {
    /// A stream sampled at `fs` Hz, judged by `detector`: of one lead, or of frames of the
    /// detector's leads ([`channels`](Self::channels) samples each) for a detector fitted on
    /// several.
    ///
    /// Errors: `fs` not an ECG rate ([`check_ecg_fs`](crate::preprocess::check_ecg_fs)), a
    /// setting out of range ([`StreamConfig::validate`], a buffer too short to hold two settle
    /// margins, a beat and a hop), a detector of several channels that names no leads (one
    /// fitted on beat matrices: a stream cannot know which leads it takes).
    pub fn new(detector: Arc<Detector>, fs: f64, config: StreamConfig) -> Result<Self> {
        crate::preprocess::check_ecg_fs("fs", fs)?;
        config.validate()?;
        let channels = stream_channels(detector.metadata())?;
        let pipeline = detector.pipeline();
        let rate = pipeline.output_fs(fs);
        let window = pipeline.window(fs)?;
        let samples = |s: f64| (s * fs).round() as usize;
        for (name, value) in [("hop_s", config.hop_s), ("settle_s", config.settle_s)] {
            if !(value.is_finite() && value > 0.0) {
                let msg = format!("{value} s must be finite and > 0");
                return Err(Error::invalid(name, msg));
            }
        }
        let needed = 2.0 * config.settle_s + config.hop_s + window.len() as f64 / fs;
        if !(config.buffer_s.is_finite()
            && config.buffer_s >= needed
            && config.buffer_s <= MAX_BUFFER_S)
        {
            let msg = format!(
                "{} s; between {needed:.2} s (two settle margins, a hop and a beat) and 1 hour",
                config.buffer_s
            );
            return Err(Error::invalid("buffer_s", msg));
        }
        let capacity = samples(config.buffer_s);
        let history = match detector.context().config.reference {
            Reference::Normal => 0,
            Reference::Running { beats } => beats,
            Reference::Record | Reference::RecordMedian => config.record_beats,
        };
        Ok(Self {
            config,
            fs,
            buffers: (0..channels)
                .map(|_| Vec::with_capacity(capacity + samples(config.hop_s)))
                .collect(),
            start: 0,
            pending: 0,
            hop: samples(config.hop_s).max(1),
            capacity,
            settle: samples(config.settle_s),
            min_len: window.len() + samples(config.settle_s).max(1),
            after: pipeline.window(rate)?.after,
            align: grid_step(fs, rate).unwrap_or(1),
            min_gap: (0.15 * rate).round() as usize,
            resampled: match grid_step(fs, rate) {
                Some(_) if rate != fs => (0..channels)
                    .map(|_| BufferResampler::new(fs, rate))
                    .collect::<Result<_>>()?,
                _ => Vec::new(),
            },
            last_peak: None,
            peaks: PeakHistory::default(),
            scores: ScoreHistory::new(history),
            judged: 0,
            most_peaks: 0,
            finished: false,
            detector,
        })
    }

    /// The settings.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Samples (frames, for several leads) received so far.
    pub fn received(&self) -> usize {
        self.start + self.buffers[0].len()
    }

    /// Samples per frame: the detector's leads ([`Metadata::leads`]), or 1.
    pub fn channels(&self) -> usize {
        self.buffers.len()
    }

    /// Beats judged so far.
    pub fn judged(&self) -> usize {
        self.judged
    }

    /// The longest a beat waits for its verdict, in seconds after its R-peak: the window
    /// after the peak, the settle margin and a hop.
    pub fn max_delay_s(&self) -> f64 {
        self.detector.pipeline().after_s + self.config.settle_s + self.config.hop_s
    }

    /// Feeds the next samples: whole frames of [`channels`](Self::channels) samples, one per
    /// lead in the detector's order, interleaved (for one lead, the samples themselves).
    /// Returns the beats judged meanwhile, in order.
    ///
    /// Memory: the buffer, plus what the returned verdicts hold (proportional to `chunk`).
    /// Errors: a NaN or infinite sample (naming its sample and lead in the stream), a chunk
    /// that is not whole frames, a stream already [finished](Self::finish); the stream is
    /// unchanged by a chunk it rejects.
    pub fn push(&mut self, chunk: &[f32]) -> Result<Vec<StreamVerdict>> {
        if self.finished {
            return Err(Error::invalid("stream", "push after finish"));
        }
        let channels = self.channels();
        if !chunk.len().is_multiple_of(channels) {
            let msg = format!(
                "{} samples are not whole frames of {channels} leads",
                chunk.len()
            );
            return Err(Error::invalid("chunk", msg));
        }
        if let Some(i) = chunk.iter().position(|v| !v.is_finite()) {
            let lead = match channels {
                1 => String::new(),
                _ => format!(" of lead {}", self.detector.metadata().leads[i % channels]),
            };
            return Err(Error::Signal {
                sample: self.received() + i / channels,
                message: format!("{}{lead} in the stream", chunk[i]),
            });
        }
        let mut found = Found::default();
        let mut rest = chunk;
        while !rest.is_empty() {
            let take = (self.hop - self.pending).min(rest.len() / channels);
            let (frames, after) = rest.split_at(take * channels);
            match channels {
                1 => self.buffers[0].extend_from_slice(frames),
                _ => {
                    for (k, buffer) in self.buffers.iter_mut().enumerate() {
                        buffer.extend(frames.iter().skip(k).step_by(channels));
                    }
                }
            }
            self.pending += take;
            rest = after;
            if self.pending == self.hop {
                self.pending = 0;
                self.step(false, &mut found)?;
                self.trim();
            }
        }
        self.judge(found)
    }

    /// Ends the stream: judges the beats still waiting for their settle margin (those whose
    /// window fits before the last sample).
    ///
    /// Errors: [`Error::NoBeats`] when the whole stream gave no beat to judge, saying why (a
    /// stream shorter than one beat window, no R-peak found, no window inside the stream).
    pub fn finish(&mut self) -> Result<Vec<StreamVerdict>> {
        if self.finished {
            return Ok(Vec::new());
        }
        self.finished = true;
        let mut found = Found::default();
        self.step(true, &mut found)?;
        let judged = self.judge(found)?;
        if self.judged == 0 {
            let pipeline = self.detector.pipeline();
            let window = pipeline.window(self.fs)?.len();
            let received = self.received();
            let reason = if received < window {
                NoBeats::WindowLongerThanSignal {
                    window,
                    samples: received,
                    fs: self.fs,
                }
            } else if self.most_peaks == 0 {
                NoBeats::NoPeaks {
                    seconds: received as f64 / self.fs,
                    fs: self.fs,
                }
            } else {
                NoBeats::NoCompleteBeat {
                    peaks: self.most_peaks,
                }
            };
            return Err(Error::NoBeats(reason));
        }
        Ok(judged)
    }

    /// Runs the pipeline over the buffer and collects the beats that have settled.
    fn step(&mut self, last: bool, found: &mut Found) -> Result<()> {
        let pipeline = self.detector.pipeline();
        let buffered = self.buffers[0].len();
        if buffered < self.min_len && !last {
            return Ok(());
        }
        let (first_resampler, other_resamplers) = match self.resampled.split_first_mut() {
            Some((first, others)) => (Some(first), others),
            None => (None, &mut [][..]),
        };
        let at_rate = match first_resampler {
            Some(resampler) => {
                let rate = pipeline.output_fs(self.fs);
                resampler.update(&self.buffers[0]).and_then(|raw| {
                    let (clean, peaks) = pipeline.find_peaks_at_rate(raw, rate)?;
                    Ok((Cow::Borrowed(raw), clean, rate, peaks))
                })
            }
            None => pipeline.find_peaks(&self.buffers[0], self.fs),
        };
        let (raw, clean, rate, peaks) = match at_rate {
            Ok(at_rate) => at_rate,
            // Too short for the filter yet: wait for more signal (at the end: no beat).
            Err(Error::InvalidArgument { .. }) if buffered < self.capacity => {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.most_peaks = self.most_peaks.max(peaks.len());
        let offset = resample_index(self.start, self.fs, rate);
        let settle = resample_index(self.settle, self.fs, rate);
        let settled_end = clean.len().saturating_sub(settle);
        let first = if self.start == 0 { 0 } else { settle };
        // The peaks seen for the first time and settled, with their RR intervals.
        let mut new = Vec::new();
        let mut rr = Vec::new();
        for &peak in &peaks {
            let settled = last || peak + self.after <= settled_end;
            if peak < first || !settled {
                continue;
            }
            let absolute = offset + peak;
            if self.last_peak.is_some_and(|p| absolute <= p + self.min_gap) {
                continue; // seen at the last step, located a few samples apart
            }
            self.last_peak = Some(absolute);
            new.push(peak);
            rr.push(self.peaks.push(absolute, rate));
        }
        if new.is_empty() {
            return Ok(());
        }
        // Cut and check only these: the beats judged at earlier steps are not cut again.
        let mut processed = pipeline.finish(&raw, clean, self.fs, rate, new)?;
        // The other leads, as `run_leads` does: cleaned alike, cut at the first lead's peaks.
        for k in 1..self.buffers.len() {
            let lead = match other_resamplers.get_mut(k - 1) {
                Some(resampler) => Cow::Borrowed(resampler.update(&self.buffers[k])?),
                None => pipeline.resampled(&self.buffers[k], self.fs)?.0,
            };
            pipeline.add_lead_at_rate(&mut processed, &lead)?;
        }
        let beats = &processed.beats;
        for (b, &k) in beats.kept.iter().enumerate() {
            match processed.window(b) {
                Some(window) => found.windows.extend(window),
                None => return Err(Error::invalid("stream", format!("beat {b} has no window"))),
            }
            let absolute = offset + beats.centres[b];
            found
                .positions
                .push(resample_index(absolute, rate, self.fs));
            found.usable.push(processed.quality[b]);
            found.context.push(BeatContext {
                group: 0,
                rr: Some(rr[k]),
                template: None,
            });
            found.decided_at.push(self.received());
        }
        Ok(())
    }

    /// Drops the oldest samples past the buffer's capacity, by whole grid steps.
    fn trim(&mut self) {
        let excess = self.buffers[0].len().saturating_sub(self.capacity);
        let drop = excess.div_ceil(self.align) * self.align;
        if drop > 0 && drop <= self.buffers[0].len() {
            for buffer in &mut self.buffers {
                buffer.drain(..drop);
            }
            self.start += drop;
            let rate = self.detector.pipeline().output_fs(self.fs);
            for resampler in &mut self.resampled {
                resampler.drop_front(resample_index(drop, self.fs, rate));
            }
        }
    }

    /// Scores the beats found, puts them in context with the remembered ones.
    fn judge(&mut self, found: Found) -> Result<Vec<StreamVerdict>> {
        let n = found.positions.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let channels = self.channels();
        let seq = found.windows.len() / (n * channels);
        let windows = WindowDataset::new(found.windows, seq, channels, vec![false; n])?;
        let (scores, errors) = self.detector.model_scores(&windows)?;
        let (all_scores, all_context) = self.scores.with(&scores, &found.context);
        let in_context = self
            .detector
            .context()
            .apply(&all_scores, Some(&all_context))?;
        let in_context = &in_context[in_context.len() - n..];
        let verdicts = self.detector.verdicts(
            &scores,
            in_context,
            &errors,
            Some(&found.positions),
            Some(&found.usable),
        )?;
        self.scores.extend(&scores, &found.context);
        let first = self.judged;
        self.judged += n;
        Ok(verdicts
            .into_iter()
            .zip(found.decided_at)
            .map(|(mut verdict, decided_at)| {
                verdict.index += first;
                StreamVerdict {
                    verdict,
                    decided_at,
                }
            })
            .collect())
    }
}

/// The beats a push found, waiting to be scored together.
#[derive(Debug, Default)]
struct Found {
    windows: Vec<f32>,
    positions: Vec<usize>,
    usable: Vec<bool>,
    context: Vec<BeatContext>,
    decided_at: Vec<usize>,
}

/// Samples per frame of a stream judged by a detector with `meta`: its leads, or 1.
fn stream_channels(meta: &Metadata) -> Result<usize> {
    match (meta.channels, meta.leads.len()) {
        (1, _) => Ok(1),
        (channels, leads) if leads == channels => Ok(channels),
        (channels, _) => {
            let msg = format!(
                "the detector takes {channels} channels but names no leads (fitted on beat \
                 matrices?): a stream needs to know which leads it carries"
            );
            Err(Error::invalid("detector", msg))
        }
    }
}

/// The smallest step of input samples that is a whole number of pipeline samples, `fs / gcd`,
/// when both rates are whole numbers.
fn grid_step(fs: f64, rate: f64) -> Option<usize> {
    let whole = |x: f64| x.fract() == 0.0 && x > 0.0 && x <= 1e6;
    if !(whole(fs) && whole(rate)) {
        return None;
    }
    let (mut a, mut b) = (fs as u64, rate as u64);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    Some((fs as u64 / a) as usize)
}

#[cfg(test)]
mod tests {
    use super::grid_step;

    #[test]
    fn the_grid_step_makes_the_buffer_start_a_whole_pipeline_sample() {
        assert_eq!(grid_step(360.0, 360.0), Some(1));
        assert_eq!(grid_step(250.0, 360.0), Some(25));
        assert_eq!(grid_step(360.0, 125.0), Some(72));
        assert_eq!(grid_step(360.5, 125.0), None);
    }
}
