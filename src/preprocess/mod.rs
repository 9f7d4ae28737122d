//! Preprocessing: filters, resampling, R-peaks, segmentation, windows, normalisers, quality.

pub mod rpeak;
