//! The MIT-BIH study: detectors fitted on one protocol's normal beats, judged on its test beats
//! per AAMI class, with their rank-mean ensemble. `examples/mitbih.rs` runs it on both
//! protocols and writes its report (`report::study_report`, feature `report`).
//!
//! ```no_run
//! use ecg_anomaly::data::mitbih::find_mitdb;
//! use ecg_anomaly::evaluate::study::{StudyConfig, StudyProtocol, run_study};
//! let config = StudyConfig {
//!     protocol: StudyProtocol::InterPatient,
//!     quick: true,
//!     ..StudyConfig::default()
//! };
//! let device = ecg_anomaly::device::default_device();
//! let result = run_study(&config, &find_mitdb()?, "target/p2".as_ref(), &device)?;
//! println!("{result}");
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Beats are cut around each annotation from the MLII lead resampled to
//! [`StudyConfig::sample_rate`] (180 Hz: 70 + 90 samples), band-passed 0.5-40 Hz, and each
//! detector normalises them itself (per-beat z-score by default). A saved detector's pipeline
//! has the same rate, filter and window, so `detect_signal` on a raw record cuts its beats the
//! same way (around detected R-peaks instead of annotations).

mod ablation;
mod alternatives;
mod config;
mod design;
mod noise;
mod result;
mod run;
mod seeds;

pub use ablation::{ABLATION_COLUMNS, AblationRow, RUNNING_BEATS, Scored, markdown, row, variants};
pub use alternatives::{Beats, PEAK_ERROR_SECONDS, alternative_rows, alternative_scores};
pub use config::{StudyConfig, StudyModel, StudyProtocol};
pub use design::{
    CHOSEN_JSON, DESIGN_JSON, DesignConfig, DesignResult, DesignRow, DesignRule, NamedContext,
    run_design, with_chosen_scorings,
};
pub use noise::{NoiseRow, noise_markdown, with_noise};
pub use result::{BeatCounts, LatentSample, ModelResult, ReconstructionSample, StudyResult};
pub use run::{ABLATION_JSON, RESULTS_JSON, ROBUSTNESS_JSON, STUDY_JSON, run_study};
pub use seeds::{SeedRow, SeedsResult, run_seeds};
