//! Data in: WFDB records, CSV signals, beat matrices ([`matrix`]), synthetic ECG, beat classes, protocols, Burn glue, and
//! [`input`]: a record, a CSV file or a folder of records named by a path.

pub mod batch;
pub mod beat;
pub mod csv;
pub mod input;
pub mod matrix;
pub mod mitbih;
mod signal;
pub mod synthetic;
mod text;
pub mod wfdb;

pub use signal::Ecg;

/// Name of the environment variable that points at the folder holding `mitdb/`.
pub const DATA_DIR_ENV: &str = "ECG_DATA_DIR";
