//! Data in: WFDB records, CSV signals, synthetic ECG, beat classes, protocols.

pub mod beat;
mod signal;
pub mod wfdb;

pub use signal::Ecg;

/// Name of the environment variable that points at the folder holding `mitdb/`.
pub const DATA_DIR_ENV: &str = "ECG_DATA_DIR";
