//! The MIT-BIH Arrhythmia Database as labelled beats, and its two standard protocols.
//!
//! - [`load_beats`] reads records in parallel and cuts one window per beat annotation from a
//!   chosen lead, after a band-pass, labelled with its AAMI class ([`BeatConfig`]); the result
//!   is a [`BeatSet`] (`[n, len]` samples plus a [`BeatInfo`] per beat) and [`BuildCounts`].
//! - [`Protocol`] names the records, beat settings and division into training, validation and
//!   test sets: [`Protocol::intra_patient`] (P1, BeatGAN-compatible 5 folds of N beats) and
//!   [`Protocol::inter_patient`] (P2, de Chazal's DS1 → DS2).
//!
//! ```no_run
//! use ecg_anomaly::study::mitbih::{Protocol, find_mitdb};
//! let dir = find_mitdb()?; // $ECG_DATA_DIR/mitdb
//! let p1 = Protocol::intra_patient(0, 42).build(&dir)?;
//! println!("train {}, test {}", p1.train.class_counts(), p1.test.class_counts());
//! let train = p1.train.into_window_dataset()?; // Burn dataset, one channel
//! # let _ = train;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Counts on the 44 non-paced records (annotations; MLII, 140 + 180 samples at 360 Hz):
//! BeatGAN mapping N 89,880, S 3,026, V 7,009, F 803, Q 15; EC57 mapping moves the 245 `e`
//! and `j` beats from S to N. `tests/it/mitbih.rs` checks them and prints the later stages.

mod beatset;
mod config;
mod counts;
mod extract;
mod protocol;
pub mod records;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use beatset::{BeatInfo, BeatSet};
pub use config::{BeatConfig, RPeakFilter};
pub use counts::BuildCounts;
pub use extract::{
    LoadedBeats, NO_MLII_FALLBACK_LEAD, extract_beats, load_all_records, load_beats,
    load_record_beats,
};
pub use protocol::{Partition, Protocol, ProtocolData, SplitIndices};
pub use records::{ALL_RECORDS, DS1, DS2, NO_MLII_RECORDS, NON_PACED_RECORDS, PACED_RECORDS};

use crate::data::DATA_DIR_ENV;
use crate::{Error, Result};

/// Sampling rate of every MIT-BIH record, Hz.
pub const MITDB_FS: f64 = 360.0;

/// Name of the MIT-BIH folder inside the data folder.
pub const MITDB_FOLDER: &str = "mitdb";

/// The MIT-BIH folder `$ECG_DATA_DIR/mitdb` (see [`mitdb_in`]); [`Error::Dataset`] saying what
/// to do when the variable is unset or empty.
pub fn find_mitdb() -> Result<PathBuf> {
    let root = std::env::var_os(DATA_DIR_ENV)
        .filter(|root| !root.is_empty())
        .ok_or_else(|| {
            Error::Dataset(format!(
                "{DATA_DIR_ENV} is not set: point it at the folder holding {MITDB_FOLDER}/ \
                 (the 48 MIT-BIH records from physionet.org/content/mitdb)"
            ))
        })?;
    mitdb_in(Path::new(&root))
}

/// `root/mitdb` after checking that it holds `.hea`, `.dat` and `.atr` files for all 48
/// records; [`Error::Dataset`] names the folder and the missing files otherwise.
pub fn mitdb_in(root: &Path) -> Result<PathBuf> {
    let dir = root.join(MITDB_FOLDER);
    if !dir.is_dir() {
        return Err(Error::Dataset(format!(
            "{}: no such folder ({DATA_DIR_ENV} must name the folder holding {MITDB_FOLDER}/)",
            dir.display()
        )));
    }
    let missing: Vec<String> = ALL_RECORDS
        .iter()
        .flat_map(|r| ["hea", "dat", "atr"].map(|ext| format!("{r}.{ext}")))
        .filter(|file| !dir.join(file).is_file())
        .collect();
    if let Some(first) = missing.first() {
        return Err(Error::Dataset(format!(
            "{}: {} of the 48 records' files are missing (first: {first})",
            dir.display(),
            missing.len()
        )));
    }
    Ok(dir)
}
