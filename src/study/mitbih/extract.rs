//! Cutting labelled beats out of records: one in memory, or many read from a folder in parallel.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::beatset::{BeatInfo, BeatSet};
use super::config::BeatConfig;
use super::counts::BuildCounts;
use super::records::{ALL_RECORDS, NO_MLII_RECORDS};
use crate::data::Ecg;
use crate::data::wfdb::{Annotation, Record, read_annotations};
use crate::preprocess::rpeak::detect_r_peaks;
use crate::preprocess::{SignalFilter, resample, resample_index, rr_intervals, segment_beats};
use crate::{Error, Result};

/// The beats of one or several records and what happened to their annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedBeats {
    /// The kept beats, record after record (in the order asked for), each in annotation order.
    pub beats: BeatSet,
    /// Annotated, segmentable and kept beats per class, summed over the records.
    pub counts: BuildCounts,
}

/// Beats of lead `config.lead` of `ecg`, one per beat annotation the mapping lists.
///
/// Steps, in the order of [`BeatPipeline::run_at`](crate::preprocess::BeatPipeline::run_at):
/// resample the lead when [`BeatConfig::resample_to`] is set; filter it
/// ([`BeatConfig::filter`]); when [`BeatConfig::r_peak_filter`] is set, detect R-peaks on the
/// filtered lead; cut a window around each annotation sample (mapped to the new rate) whose
/// window lies inside the lead; drop the beats the R-peak filter rejects; normalise each beat.
/// The beats are centred on the annotation, not on the detected peak; [`BeatInfo`]'s samples
/// stay the record's. `record` names the beats and the errors. Errors: [`Error::Dataset`] when
/// the lead is absent or holds NaN or infinite values, [`Error::InvalidArgument`] for a bad
/// filter or window.
pub fn extract_beats(
    record: &str,
    ecg: &Ecg,
    annotations: &[Annotation],
    config: &BeatConfig,
) -> Result<LoadedBeats> {
    let lead = ecg
        .lead(&config.lead)
        .ok_or_else(|| missing_lead(record, &config.lead, &ecg.lead_names))?;
    extract_from_lead(record, lead, ecg.fs, annotations, config)
}

/// Reads record `record` (`NNN.hea`, `NNN.dat`, `NNN.atr`) from `dir` and cuts its beats as
/// [`extract_beats`] does. Errors also name a missing or broken file.
pub fn load_record_beats(dir: &Path, record: &str, config: &BeatConfig) -> Result<LoadedBeats> {
    let signals = Record::read(dir.join(record))?;
    let names: Vec<&str> = signals
        .header
        .signals
        .iter()
        .map(|s| s.description.as_str())
        .collect();
    let lead = signals
        .header
        .signal_index(&config.lead)
        .and_then(|i| signals.physical(i))
        .ok_or_else(|| missing_lead(record, &config.lead, &names))?;
    let annotations = read_annotations(dir.join(format!("{record}.atr")))?;
    extract_from_lead(record, &lead, signals.header.fs, &annotations, config)
}

/// [`load_record_beats`] for every record of `records`, in parallel (rayon), concatenated in
/// the order of `records`. [`Error::Dataset`] when `dir` is not a folder; otherwise the first
/// record's error.
pub fn load_beats<S: AsRef<str> + Sync>(
    dir: &Path,
    records: &[S],
    config: &BeatConfig,
) -> Result<LoadedBeats> {
    if !dir.is_dir() {
        return Err(Error::Dataset(format!(
            "{}: no such folder (expected the MIT-BIH records NNN.hea, NNN.dat, NNN.atr)",
            dir.display()
        )));
    }
    let parts = records
        .par_iter()
        .map(|r| load_record_beats(dir, r.as_ref(), config))
        .collect::<Result<Vec<_>>>()?;
    concat(parts, config)
}

/// Lead used for records 102 and 104, which have no MLII, by [`load_all_records`].
pub const NO_MLII_FALLBACK_LEAD: &str = "V5";

/// Beats of all 48 records, in parallel, in record order. With `config.lead` = `MLII`, records
/// 102 and 104 (which have none) use [`NO_MLII_FALLBACK_LEAD`] instead.
pub fn load_all_records(dir: &Path, config: &BeatConfig) -> Result<LoadedBeats> {
    if !dir.is_dir() {
        return load_beats(dir, &ALL_RECORDS, config);
    }
    let fallback = BeatConfig {
        lead: NO_MLII_FALLBACK_LEAD.into(),
        ..config.clone()
    };
    let parts = ALL_RECORDS
        .par_iter()
        .map(|&r| {
            let lacks_lead = config.lead == "MLII" && NO_MLII_RECORDS.contains(&r);
            load_record_beats(dir, r, if lacks_lead { &fallback } else { config })
        })
        .collect::<Result<Vec<_>>>()?;
    concat(parts, config)
}

/// Joins per-record results in order, reserving the samples once.
fn concat(parts: Vec<LoadedBeats>, config: &BeatConfig) -> Result<LoadedBeats> {
    let samples = parts.iter().map(|p| p.beats.data().len()).sum();
    let count = parts.iter().map(|p| p.beats.count()).sum();
    let mut data = Vec::with_capacity(samples);
    let mut beats = Vec::with_capacity(count);
    let mut counts = BuildCounts::default();
    for part in parts {
        counts += part.counts;
        let (d, b) = part.beats.into_parts();
        data.extend_from_slice(&d);
        beats.extend(b);
    }
    let beats = BeatSet::from_parts(config.window, data, beats)?;
    Ok(LoadedBeats { beats, counts })
}

fn extract_from_lead(
    record: &str,
    lead: &[f32],
    fs: f64,
    annotations: &[Annotation],
    config: &BeatConfig,
) -> Result<LoadedBeats> {
    // The order of BeatPipeline::run_at: resample, filter, cut around the mapped centres.
    let rate = config.resample_to.unwrap_or(fs);
    let resampled;
    let lead = match config.resample_to {
        Some(to) if to != fs => {
            resampled = resample(lead, fs, to).map_err(|e| in_record(record, e))?;
            &resampled[..]
        }
        _ => lead,
    };
    let filtered;
    let signal = match &config.filter {
        Some(f) => {
            filtered = f.apply(lead, rate).map_err(|e| in_record(record, e))?;
            &filtered[..]
        }
        None => lead,
    };
    let peaks = match &config.r_peak_filter {
        Some(f) => detect_r_peaks(signal, rate, f.method).map_err(|e| in_record(record, e))?,
        None => Vec::new(),
    };
    let name: Arc<str> = record.into();
    let window = config.window;
    // Rhythm among all beat annotations, at the record's rate (any class, kept or not).
    let mut beat_samples: Vec<usize> = (annotations.iter())
        .filter(|a| a.is_beat())
        .map(|a| a.sample)
        .collect();
    beat_samples.sort_unstable();
    beat_samples.dedup();
    let rhythm = rr_intervals(&beat_samples, fs).map_err(|e| in_record(record, e))?;
    let mut counts = BuildCounts::default();
    let mut centres = Vec::with_capacity(annotations.len());
    let mut infos = Vec::with_capacity(annotations.len());
    for a in annotations.iter().filter(|a| a.is_beat()) {
        let Some(class) = config.mapping.classify(a) else {
            counts.unmapped += 1;
            continue;
        };
        counts.annotated.add(class);
        let centre = resample_index(a.sample, fs, rate);
        let fits = centre >= window.before
            && centre
                .checked_add(window.after)
                .is_some_and(|end| end <= signal.len());
        if !fits {
            continue;
        }
        counts.segmentable.add(class);
        let r_peak = config
            .r_peak_filter
            .as_ref()
            .and_then(|f| nearest_within(&peaks, centre, f.tolerance))
            .map(|p| resample_index(p, rate, fs));
        let rejected = config
            .r_peak_filter
            .as_ref()
            .is_some_and(|f| r_peak.is_none() && f.classes.contains(&class));
        if rejected {
            continue;
        }
        counts.kept.add(class);
        centres.push(centre);
        infos.push(BeatInfo {
            record: Arc::clone(&name),
            sample: a.sample,
            symbol: a.symbol(),
            class,
            r_peak,
            rr: rhythm[beat_samples.partition_point(|&s| s < a.sample)],
        });
    }
    let cut = segment_beats(signal, &centres, window).map_err(|e| in_record(record, e))?;
    let mut beats = BeatSet::from_parts(window, cut.data, infos)?;
    beats.normalize(&config.normalization);
    Ok(LoadedBeats { beats, counts })
}

/// The element of sorted `peaks` nearest to `sample`, if within `tolerance` (earlier on ties).
pub(super) fn nearest_within(peaks: &[usize], sample: usize, tolerance: usize) -> Option<usize> {
    let i = peaks.partition_point(|&p| p < sample);
    let after = peaks.get(i).copied().filter(|&p| p - sample <= tolerance);
    let before = i
        .checked_sub(1)
        .and_then(|j| peaks.get(j))
        .copied()
        .filter(|&p| sample - p <= tolerance);
    match (before, after) {
        (Some(b), Some(a)) => Some(if sample - b <= a - sample { b } else { a }),
        (b, a) => b.or(a),
    }
}

fn missing_lead(record: &str, lead: &str, leads: &[impl AsRef<str>]) -> Error {
    let leads: Vec<&str> = leads.iter().map(AsRef::as_ref).collect();
    Error::Dataset(format!(
        "record {record} has no lead {lead:?} (its leads: {})",
        leads.join(", ")
    ))
}

/// Names the record in signal errors, which only carry a sample index.
fn in_record(record: &str, error: Error) -> Error {
    match error {
        Error::Signal { .. } => Error::Dataset(format!("record {record}: {error}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::mitbih::tests::{annotations, config, synthetic};

    #[test]
    fn resampled_beats_are_the_pipelines_beats_at_the_annotations() {
        let record = synthetic(7, 30.0);
        let anns = annotations(&record);
        let cfg = config().resampled(360.0, 180.0).unwrap();
        assert_eq!((cfg.window.before, cfg.window.after), (70, 90));
        let set = extract_beats("syn", &record.ecg, &anns, &cfg)
            .unwrap()
            .beats;
        assert_eq!(set.beat_len(), 160);
        let samples: Vec<usize> = set.beats().iter().map(|b| b.sample).collect();
        assert!(samples.iter().all(|s| anns.iter().any(|a| a.sample == *s)));
        let pipeline = cfg.pipeline(360.0).unwrap();
        let processed = pipeline
            .run_at(&record.ecg.leads[0], 360.0, &samples)
            .unwrap();
        assert_eq!(processed.fs, 180.0);
        assert_eq!(processed.beats.len, 160);
        assert_eq!(processed.beats.data, set.data(), "one preprocessing path");
    }

    #[test]
    fn the_r_peak_filter_reports_peaks_in_record_samples_after_resampling() {
        let record = synthetic(8, 30.0);
        let mut cfg = config();
        cfg.r_peak_filter = Some(super::super::RPeakFilter::default());
        let cfg = cfg.resampled(360.0, 180.0).unwrap();
        assert_eq!(cfg.r_peak_filter.as_ref().unwrap().tolerance, 5);
        let set = extract_beats("syn", &record.ecg, &annotations(&record), &cfg)
            .unwrap()
            .beats;
        let peaks: Vec<_> = set
            .beats()
            .iter()
            .filter_map(|b| b.r_peak.map(|p| (p, b.sample)))
            .collect();
        assert!(peaks.len() > set.count() * 9 / 10);
        assert!(peaks.iter().all(|(p, s)| p.abs_diff(*s) <= 11), "{peaks:?}");
    }
}
