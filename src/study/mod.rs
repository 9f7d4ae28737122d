//! The benchmark layer, on top of the library: the MIT-BIH study, detectors fitted on one
//! protocol's normal beats, judged on its test beats per AAMI class, with their rank-mean
//! ensemble. It is the only place labels meet detectors, and there only to measure.
//!
//! - [`mitbih`]: the MIT-BIH Arrhythmia Database as labelled beats and its two protocols (P1,
//!   P2); no backend needed, so the crate's data half has it too;
//! - [`StudyConfig`] → [`run_study`], [`run_design`] (choices by record-wise cross-validation
//!   inside DS1), [`run_seeds`], the ablation ([`variants`]) and noise rows (feature `burn`);
//! - [`study_report`]: the study's report (features `burn` and `report`).
//!
//! `examples/mitbih.rs` runs it on both protocols and writes its report; [`run_study`] shows
//! the few lines it takes.
//!
//! Beats are cut around each annotation from the MLII lead resampled to
//! [`StudyConfig::sample_rate`] (180 Hz: 70 + 90 samples), band-passed 0.5-40 Hz, and each
//! detector normalises them itself (per-beat z-score by default). A saved detector's pipeline
//! has the same rate, filter and window, so `detect_signal` on a raw record cuts its beats the
//! same way (around detected R-peaks instead of annotations).

#[cfg(feature = "burn")]
mod ablation;
#[cfg(feature = "burn")]
mod alternatives;
#[cfg(feature = "burn")]
mod config;
#[cfg(feature = "burn")]
mod design;
pub mod mitbih;
#[cfg(feature = "burn")]
mod noise;
mod printout;
#[cfg(all(feature = "burn", feature = "report"))]
mod report;
#[cfg(feature = "burn")]
mod result;
#[cfg(feature = "burn")]
mod run;
#[cfg(feature = "burn")]
mod seeds;
#[cfg(feature = "burn")]
mod table;

#[cfg(feature = "burn")]
pub use ablation::{ABLATION_COLUMNS, AblationRow, RUNNING_BEATS, Scored, markdown, row, variants};
#[cfg(feature = "burn")]
pub use alternatives::{Beats, PEAK_ERROR_SECONDS, alternative_rows, alternative_scores};
#[cfg(feature = "burn")]
pub use config::{DesignConfig, DesignRule, NamedContext, StudyConfig, StudyModel, StudyProtocol};
#[cfg(feature = "burn")]
pub use design::{
    CHOSEN_JSON, DESIGN_JSON, DesignResult, DesignRow, run_design, with_chosen_scorings,
};
#[cfg(feature = "burn")]
pub use noise::{NoiseRow, noise_markdown, with_noise};
pub use printout::{Printout, machine, today};
#[cfg(all(feature = "burn", feature = "report"))]
pub use report::study_report;
#[cfg(feature = "burn")]
pub use result::{BeatCounts, LatentSample, ModelResult, ReconstructionSample, StudyResult};
#[cfg(feature = "burn")]
pub use run::{ABLATION_JSON, RESULTS_JSON, ROBUSTNESS_JSON, STUDY_JSON, run_study};
#[cfg(feature = "burn")]
pub use seeds::{SeedRow, SeedsResult, run_seeds};
