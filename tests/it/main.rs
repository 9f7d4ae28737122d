//! The integration tests, one binary: each file a module, so the crate and Burn are linked
//! once rather than once per file. Tests with a reason to run alone have their own binaries:
//! `cli`, `server` and `browser` (they need their features, spawn processes and measure
//! timeouts in seconds, which the training tests here would starve), `memory` and
//! `detector_corruption` (each installs its own global allocator), and `determinism` (Burn's
//! CPU generator is process-wide: a fit running beside it would draw from it between its two
//! fits).

#[path = "../common/mod.rs"]
mod common;
#[path = "../wfdb_support/mod.rs"]
mod wfdb_support;

mod augment;
mod backends;
mod conv_gemm;
mod conv_vae_fused_norm;
mod csv;
mod csv_signal_example;
mod demo_csv;
mod detector_artifact;
mod detector_fit;
mod edf;
mod evaluate;
mod fused_lstm;
mod leads;
mod lstm_autoencoder;
mod lstm_recurrence;
mod mitbih;
mod mitbih_example;
mod parallel_inference;
mod parser_fuzz;
mod reliability;
mod report;
mod rpeak_mitdb;
mod score;
mod stream;
mod synthetic;
mod threshold;
mod training;
mod wfdb_files;
mod wfdb_header;
mod wfdb_mitdb;
