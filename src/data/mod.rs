//! Data in: WFDB records, EDF/EDF+/BDF files, CSV signals, beat matrices ([`matrix`]), synthetic ECG, beat classes,
//! Burn glue, and [`input`]: a record, a CSV file or a folder of records named by a path.
//!
//! The ground floor above `error` and `limits`: it reads and generates signals and imports no
//! other layer. Cutting beats is [`preprocess`](crate::preprocess)'s; the MIT-BIH protocols are
//! the study's ([`study::mitbih`](crate::study::mitbih)).

pub mod batch;
pub mod beat;
pub mod csv;
pub mod edf;
pub mod input;
pub mod matrix;
mod signal;
pub mod synthetic;
mod text;
pub mod wfdb;

pub use input::{read_ecg, read_ecg_with_limits};
pub use signal::Ecg;

/// Name of the environment variable that points at the folder holding `mitdb/`.
pub const DATA_DIR_ENV: &str = "ECG_DATA_DIR";
