//! How beats are cut from a record: lead, window, class mapping, filter, normalisation and the
//! optional R-peak filter.

use serde::{Deserialize, Serialize};

use crate::data::beat::{AamiClass, AamiMapping};
use crate::preprocess::rpeak::RPeakMethod;
use crate::preprocess::{BandPass, BeatWindow, Normalization};

/// Settings of [`super::load_beats`] and [`super::extract_beats`]; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BeatConfig {
    /// Name of the lead to cut beats from, matched exactly (default `MLII`; MIT-BIH records 102
    /// and 104 have none and give [`crate::Error::Dataset`]).
    pub lead: String,
    /// Samples taken around each annotation, at the record's rate (default 140 before and 180
    /// from the annotation on, 0.39 s + 0.5 s at 360 Hz).
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
            window: BeatWindow::default(),
            mapping: AamiMapping::aami_ec57(),
            filter: Some(BandPass::default()),
            normalization: Normalization::None,
            r_peak_filter: None,
        }
    }
}

/// Keeps a beat of the listed classes only when an R-peak detected on the (filtered) lead lies
/// within `tolerance` samples of its annotation, as BeatGAN's preprocessing does for N beats.
///
/// The default is BeatGAN's: the default detector, 10 samples (28 ms at 360 Hz), N beats only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RPeakFilter {
    /// The detector, run on the lead after [`BeatConfig::filter`].
    pub method: RPeakMethod,
    /// Largest distance in samples between an annotation and its detected peak.
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
