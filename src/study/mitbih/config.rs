//! How beats are cut from a record: lead, rate, window, class mapping, filter, normalisation and
//! the optional R-peak filter.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::data::beat::{AamiClass, AamiMapping};
use crate::preprocess::rpeak::RPeakMethod;
use crate::preprocess::{BandPass, BeatPipeline, BeatWindow, Normalization, check_fs};

/// Settings of [`super::load_beats`] and [`super::extract_beats`]; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BeatConfig {
    /// Name of the lead to cut beats from, matched exactly (default `MLII`; MIT-BIH records 102
    /// and 104 have none and give [`crate::Error::Dataset`]).
    pub lead: String,
    /// Rate in Hz the lead is resampled to (windowed sinc,
    /// [`resample`](fn@crate::preprocess::resample)) before it is filtered and cut, as
    /// [`BeatPipeline::resample_to`] does; `None` (the default) keeps the record's rate.
    /// [`BeatConfig::resampled`] sets it with the window.
    pub resample_to: Option<f64>,
    /// Samples taken around each annotation, at the rate beats are cut at (the record's, or
    /// `resample_to`); default 140 before and 180 from the annotation on, 0.39 s + 0.5 s at
    /// 360 Hz.
    pub window: BeatWindow,
    /// Beat symbols to AAMI classes (default [`AamiMapping::aami_ec57`]). Class N is normal,
    /// every other class abnormal: choose the mapping to choose which symbols count as normal
    /// (e.g. [`AamiMapping::beatgan`] makes `e` and `j` abnormal). Beats whose symbol it does
    /// not list are left out and counted as unmapped.
    pub mapping: AamiMapping,
    /// Zero-phase filter applied to the whole lead before cutting (default the 0.5–40 Hz
    /// [`BandPass`]; `None` keeps the raw lead).
    pub filter: Option<BandPass>,
    /// Applied to each beat after cutting (default [`Normalization::None`]: beats stay in mV,
    /// so a model can choose its own normalisation later with [`super::BeatSet::normalize`]).
    pub normalization: Normalization,
    /// Drops beats whose annotation has no detected R-peak nearby (default `None`: keep all).
    pub r_peak_filter: Option<RPeakFilter>,
}

impl Default for BeatConfig {
    fn default() -> Self {
        Self {
            lead: "MLII".into(),
            resample_to: None,
            window: BeatWindow::default(),
            mapping: AamiMapping::aami_ec57(),
            filter: Some(BandPass::default()),
            normalization: Normalization::None,
            r_peak_filter: None,
        }
    }
}

impl BeatConfig {
    /// These settings with the lead resampled from `record_fs` to `to_fs` Hz before it is
    /// cut, the window and the R-peak filter's tolerance rescaled to keep their durations
    /// (rounded to whole samples at `to_fs`). E.g. MIT-BIH's 140 + 180 samples at 360 Hz
    /// become 70 + 90 at 180 Hz.
    pub fn resampled(&self, record_fs: f64, to_fs: f64) -> Result<BeatConfig> {
        check_fs(to_fs)?;
        let from = self.resample_to.unwrap_or(record_fs);
        let mut config = self.clone();
        config.resample_to = Some(to_fs);
        config.window = self.window.rescale(from, to_fs)?;
        if let Some(filter) = &mut config.r_peak_filter {
            filter.tolerance = (filter.tolerance as f64 * to_fs / from).round() as usize;
        }
        Ok(config)
    }

    /// The [`BeatPipeline`] that cleans a lead recorded at `record_fs` Hz and cuts its beats
    /// exactly as these settings do: same rate, filter and window (`run_at` on the annotation
    /// samples gives the same beats as [`super::extract_beats`]). Its R-peak detector and
    /// quality check are the pipeline's defaults; the class mapping, R-peak filter and
    /// per-beat normalisation have no counterpart in it.
    pub fn pipeline(&self, record_fs: f64) -> Result<BeatPipeline> {
        let fs = self.resample_to.unwrap_or(record_fs);
        check_fs(fs)?;
        Ok(BeatPipeline {
            resample_to: Some(fs),
            filter: self.filter,
            before_s: self.window.before as f64 / fs,
            after_s: self.window.after as f64 / fs,
            ..BeatPipeline::default()
        })
    }
}

/// Keeps a beat of the listed classes only when an R-peak detected on the (filtered) lead lies
/// within `tolerance` samples of its annotation, as BeatGAN's preprocessing does for N beats.
///
/// The default is BeatGAN's: the default detector, 10 samples (28 ms at 360 Hz), N beats only.
/// With [`BeatConfig::resample_to`] set, peaks are detected on the resampled lead and the
/// tolerance counts its samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RPeakFilter {
    /// The detector, run on the lead after [`BeatConfig::filter`].
    pub method: RPeakMethod,
    /// Largest distance in samples (at the rate beats are cut at) between an annotation and its
    /// detected peak.
    pub tolerance: usize,
    /// Classes whose beats are dropped without a peak; beats of other classes are always kept.
    pub classes: Vec<AamiClass>,
}

impl Default for RPeakFilter {
    fn default() -> Self {
        Self {
            method: RPeakMethod::default(),
            tolerance: 10,
            classes: vec![AamiClass::N],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_durations_and_the_pipeline_cuts_the_same_window() {
        let at_360 = BeatConfig::default();
        assert_eq!(
            at_360.resample_to, None,
            "published counts are at the record's rate"
        );
        let pipeline = at_360.pipeline(360.0).unwrap();
        assert_eq!(pipeline.window(360.0).unwrap(), at_360.window);

        let p1 = BeatConfig {
            r_peak_filter: Some(RPeakFilter::default()),
            ..BeatConfig::default()
        };
        let at_180 = p1.resampled(360.0, 180.0).unwrap();
        assert_eq!(at_180.resample_to, Some(180.0));
        assert_eq!(at_180.window, BeatWindow::new(70, 90));
        assert_eq!(at_180.r_peak_filter.as_ref().unwrap().tolerance, 5);
        let pipeline = at_180.pipeline(360.0).unwrap();
        assert_eq!(pipeline.resample_to, Some(180.0));
        assert_eq!(pipeline.filter, at_180.filter);
        assert_eq!(pipeline.window(180.0).unwrap(), at_180.window);
        assert!(p1.resampled(360.0, 0.0).is_err());

        let json = serde_json::to_string(&at_180).unwrap();
        assert_eq!(serde_json::from_str::<BeatConfig>(&json).unwrap(), at_180);
        let old: BeatConfig = serde_json::from_str(r#"{"lead": "V5"}"#).unwrap();
        assert_eq!(old.resample_to, None);
    }
}
