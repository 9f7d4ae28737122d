//! Preprocessing: filters, resampling, R-peaks, segmentation, windows, normalisers, quality.

pub mod rpeak;

pub use rpeak::{MatchCounts, RPeakMethod, detect_r_peaks, match_peaks};
