//! Preprocessing: filters, resampling, R-peaks, segmentation, windows, normalisers, quality.
//!
//! Everything here works on plain `&[f32]` leads (no tensors): pure functions, or configs with
//! an `apply`-style method, and fitted values (normalisers) kept apart from applying them.

mod check;
pub mod filter;
pub mod resample;

pub use check::{check_fs, check_signal};
pub use filter::{BandPass, FilterChain, HighPass, LowPass, MedianBaseline, Notch, SignalFilter};
pub use resample::{SincResampler, resample, resample_index, resampled_len};
pub mod segment;
pub mod window;
pub use segment::{BeatWindow, Beats, segment_beats, segment_labelled};
pub use window::{Tail, Windows, sliding_windows, window_starts, windows};
pub mod normalize;
pub use normalize::{MinMax, NORM_EPS, Normalization, Normalizer, WindowZScore, ZScore};
pub mod quality;
pub use quality::{Quality, QualityConfig, QualityIssue, assess_quality};
