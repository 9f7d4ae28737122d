//! Preprocessing: filters, resampling, R-peaks, segmentation, windows, normalisers, quality.
//!
//! Everything here works on plain `&[f32]` leads (no tensors): pure functions, or configs with
//! an `apply`-style method, and fitted values (normalisers) kept apart from applying them.
//! Signals are validated on entry: an empty one is [`crate::Error::InvalidArgument`], a NaN or
//! infinite sample is [`crate::Error::Signal`] with its index.
//!
//! [`BeatPipeline`] runs the usual order in one call (and is the one place it is written):
//! [`BandPass::default()`](BandPass) (0.5–40 Hz) → R-peaks → [`segment_beats`] →
//! [`assess_quality`] on each raw segment → [`rr_intervals`]. A [`Normalization`] per beat
//! is the detector's, fitted on its training beats.

mod check;
pub mod filter;
pub mod normalize;
mod pipeline;
pub mod quality;
pub mod resample;
pub mod rhythm;
pub mod rpeak;
pub mod segment;
pub mod template;
pub mod window;

pub use check::{
    MAX_ECG_AMPLITUDE, MAX_ECG_FS, MIN_ECG_FS, check_amplitude, check_ecg_fs, check_fs,
    check_signal,
};
pub use filter::{BandPass, FilterChain, HighPass, LowPass, MedianBaseline, Notch, SignalFilter};
pub use normalize::{MinMax, NORM_EPS, Normalization, Normalizer, WindowZScore, ZScore};
pub use pipeline::{
    BeatPipeline, DEFAULT_MAX_INPUT_SAMPLES, LeadBeats, MAX_WINDOW_S, ProcessedSignal,
};
pub use quality::{Quality, QualityConfig, QualityIssue, assess_quality};
pub use resample::{SincResampler, resample, resample_index, resampled_len};
pub use rhythm::{RrIntervals, rr_intervals};
pub use rpeak::{MatchCounts, RPeakMethod, detect_r_peaks, match_peaks};
pub use segment::{BeatWindow, Beats, segment_beats, segment_labelled};
pub use window::{Tail, Windows, sliding_windows, window_starts, windows};
