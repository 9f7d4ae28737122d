//! Synthetic ECG with ground-truth beat labels, in the spirit of ECGSYN (McSharry, Clifford,
//! Tarassenko and Smith, "A dynamical model for generating synthetic electrocardiogram signals",
//! IEEE Trans. Biomed. Eng. 50(3), 2003).
//!
//! ECGSYN moves a point round a limit cycle whose phase advances by 2π per RR interval and pushes
//! the ECG by Gaussian events at the P, Q, R, S and T angles. Integrated over one cycle at a
//! steady rate, that is a sum of Gaussians in phase per beat, which is what this generator draws
//! directly (no ODE): every beat adds its Gaussian waves at times and widths scaled by its RR
//! interval. The RR series follows ECGSYN's spectrum (LF peak at 0.1 Hz, HF at 0.25 Hz). Abnormal
//! beats are injected at a chosen rate, each with its label. A 30-minute record at 360 Hz takes
//! a few milliseconds.
//!
//! ```
//! use ecg_anomaly::data::synthetic::{generate, SyntheticConfig};
//! let record = generate(&SyntheticConfig { seed: 7, ..Default::default() })?;
//! assert_eq!(record.ecg.fs, 360.0);
//! let anomalies = record.beats.iter().filter(|b| b.is_anomaly()).count();
//! # let _ = anomalies;
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```

mod morphology;
mod rhythm;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::data::Ecg;
use crate::{Error, Result};

pub use morphology::BeatKind;

/// Name of the one lead of a synthetic record.
pub const LEAD_NAME: &str = "synthetic";

/// Most samples a synthetic record may hold (2·10⁸, about 150 hours at 360 Hz).
pub const MAX_SAMPLES: f64 = 2e8;

/// Length of a synthetic record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SyntheticLength {
    /// Duration in seconds.
    Seconds(f64),
    /// Number of beats; the record ends a little after the last one's T wave.
    Beats(usize),
}

/// Settings of [`generate`]; every field has a documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticConfig {
    /// Sampling frequency in Hz, 50 to 20 000 (default 360, as MIT-BIH).
    pub fs: f64,
    /// Mean heart rate in beats per minute, 30 to 200 (default 70).
    pub heart_rate_bpm: f64,
    /// Standard deviation of the sinus RR intervals in seconds, at most a fifth of the mean RR
    /// (default 0.04).
    pub rr_std_s: f64,
    /// Ratio of low-frequency (0.1 Hz) to high-frequency (0.25 Hz) power of the RR series, > 0
    /// (default 0.5, as ECGSYN).
    pub lf_hf_ratio: f64,
    /// Record length (default 60 s).
    pub length: SyntheticLength,
    /// Standard deviation of the additive white Gaussian noise, in mV (default 0.01).
    pub noise_std_mv: f64,
    /// Amplitude of a respiratory (0.25 Hz) baseline sinusoid, in mV (default 0: none).
    pub baseline_wander_mv: f64,
    /// Relative standard deviation of each wave's amplitude from beat to beat, 0 to 0.5
    /// (default 0.05).
    pub morphology_jitter: f64,
    /// Fraction of beats that are abnormal, 0 to below 0.5 (default 0.05). Abnormal beats never
    /// follow each other.
    pub anomaly_rate: f64,
    /// Kinds of abnormal beat, drawn with equal probability (default [`BeatKind::ANOMALIES`]).
    pub anomaly_kinds: Vec<BeatKind>,
    /// Seed: the same configuration and seed always give the same record (default 0).
    pub seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            fs: 360.0,
            heart_rate_bpm: 70.0,
            rr_std_s: 0.04,
            lf_hf_ratio: 0.5,
            length: SyntheticLength::Seconds(60.0),
            noise_std_mv: 0.01,
            baseline_wander_mv: 0.0,
            morphology_jitter: 0.05,
            anomaly_rate: 0.05,
            anomaly_kinds: BeatKind::ANOMALIES.to_vec(),
            seed: 0,
        }
    }
}

/// One labelled beat of a synthetic record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheticBeat {
    /// Sample of the R-wave apex (the maximum of the clean signal near the beat's R time).
    pub r_peak: usize,
    /// Ground-truth kind.
    pub kind: BeatKind,
}

impl SyntheticBeat {
    /// True when the beat is not [`BeatKind::Normal`].
    pub fn is_anomaly(&self) -> bool {
        self.kind.is_anomaly()
    }
}

/// A generated record: the noisy ECG, the same signal without noise, and the beat labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticEcg {
    /// One lead named [`LEAD_NAME`], in mV, with noise.
    pub ecg: Ecg,
    /// The lead before noise was added (baseline wander included).
    pub clean: Vec<f32>,
    /// Every beat whose R peak lies in the record, in time order.
    pub beats: Vec<SyntheticBeat>,
}

/// Generates a labelled synthetic ECG; [`Error::InvalidArgument`] names a setting out of range.
pub fn generate(config: &SyntheticConfig) -> Result<SyntheticEcg> {
    validate(config)?;
    let fs = config.fs;
    let mut master = Xoshiro256PlusPlus::seed_from_u64(config.seed);
    // Independent streams, so that e.g. changing the noise level keeps the same beats.
    let mut rr_rng = Xoshiro256PlusPlus::from_rng(&mut master);
    let mut kind_rng = Xoshiro256PlusPlus::from_rng(&mut master);
    let mut shape_rng = Xoshiro256PlusPlus::from_rng(&mut master);
    let mut noise_rng = Xoshiro256PlusPlus::from_rng(&mut master);

    let planned = rhythm::plan_beats(config, &mut rr_rng, &mut kind_rng);
    let n = match config.length {
        SyntheticLength::Seconds(d) => (d * fs).round() as usize,
        SyntheticLength::Beats(_) => {
            let last = planned.last().map_or(0.0, |b| b.time_s);
            ((last + 0.6 * 60.0 / config.heart_rate_bpm) * fs).ceil() as usize
        }
    };
    let mut clean = vec![0.0f32; n];
    for beat in &planned {
        for wave in beat.kind.waves() {
            let z: f64 = shape_rng.sample(StandardNormal);
            let gain = (1.0 + config.morphology_jitter * z).clamp(0.5, 1.5);
            let center = beat.time_s + wave.center_s * beat.rr_s.powf(wave.center_exp);
            let sigma = wave.width_s * beat.rr_s.sqrt();
            add_gaussian(&mut clean, fs, center, sigma, wave.amplitude_mv * gain);
        }
    }
    if config.baseline_wander_mv > 0.0 {
        let phase = std::f64::consts::TAU * shape_rng.random::<f64>();
        let w = std::f64::consts::TAU * 0.25 / fs;
        for (i, x) in clean.iter_mut().enumerate() {
            *x += (config.baseline_wander_mv * (w * i as f64 + phase).sin()) as f32;
        }
    }
    let half_window = ((0.01 * fs).round() as usize).max(1);
    let beats = planned
        .iter()
        .filter_map(|b| {
            let nominal = (b.time_s * fs).round() as usize;
            (nominal < n).then(|| SyntheticBeat {
                r_peak: apex(&clean, nominal, half_window),
                kind: b.kind,
            })
        })
        .collect();
    let noise = config.noise_std_mv;
    let noisy = clean
        .iter()
        .map(|&x| {
            let z: f64 = noise_rng.sample(StandardNormal);
            x + (noise * z) as f32
        })
        .collect();
    Ok(SyntheticEcg {
        ecg: Ecg {
            fs,
            lead_names: vec![LEAD_NAME.to_owned()],
            leads: vec![noisy],
        },
        clean,
        beats,
    })
}

/// Adds `amplitude * exp(-(t - center)² / 2σ²)` over ±5σ.
fn add_gaussian(signal: &mut [f32], fs: f64, center: f64, sigma: f64, amplitude: f64) {
    let first = ((center - 5.0 * sigma) * fs).floor().max(0.0) as usize;
    let end = (((center + 5.0 * sigma) * fs).ceil().max(-1.0) + 1.0) as usize;
    let end = end.min(signal.len());
    let Some(span) = signal.get_mut(first..end) else {
        return;
    };
    let scale = -0.5 / (sigma * sigma);
    for (i, x) in (first..).zip(span) {
        let dt = i as f64 / fs - center;
        *x += (amplitude * (scale * dt * dt).exp()) as f32;
    }
}

/// Index of the maximum of `signal` within `half` samples of `around`.
fn apex(signal: &[f32], around: usize, half: usize) -> usize {
    let lo = around.saturating_sub(half);
    let hi = (around + half + 1).min(signal.len());
    (lo..hi)
        .max_by(|&a, &b| signal[a].total_cmp(&signal[b]))
        .unwrap_or(around)
}

fn validate(c: &SyntheticConfig) -> Result<()> {
    let in_range = |v: f64, lo: f64, hi: f64| v.is_finite() && v >= lo && v <= hi;
    if !in_range(c.fs, 50.0, 20_000.0) {
        return Err(Error::invalid(
            "fs",
            format!("{} Hz: must be 50 to 20000", c.fs),
        ));
    }
    if !in_range(c.heart_rate_bpm, 30.0, 200.0) {
        let msg = format!("{} bpm: must be 30 to 200", c.heart_rate_bpm);
        return Err(Error::invalid("heart_rate_bpm", msg));
    }
    let rr_mean = 60.0 / c.heart_rate_bpm;
    if !in_range(c.rr_std_s, 0.0, 0.2 * rr_mean) {
        let msg = format!(
            "{} s: must be 0 to a fifth of the mean RR ({rr_mean:.3} s)",
            c.rr_std_s
        );
        return Err(Error::invalid("rr_std_s", msg));
    }
    if !(c.lf_hf_ratio.is_finite() && c.lf_hf_ratio > 0.0) {
        return Err(Error::invalid(
            "lf_hf_ratio",
            format!("{}: must be > 0", c.lf_hf_ratio),
        ));
    }
    let samples = match c.length {
        SyntheticLength::Seconds(d) if !(d.is_finite() && d >= rr_mean) => {
            let msg = format!("{d} s: must be at least one mean RR interval ({rr_mean:.3} s)");
            return Err(Error::invalid("length", msg));
        }
        SyntheticLength::Seconds(d) => d * c.fs,
        SyntheticLength::Beats(0) => return Err(Error::invalid("length", "0 beats")),
        SyntheticLength::Beats(b) => (b as f64 + 1.0) * 1.5 * rr_mean * c.fs,
    };
    if samples > MAX_SAMPLES {
        let msg = format!("{samples:.0} samples: more than {MAX_SAMPLES:.0}");
        return Err(Error::invalid("length", msg));
    }
    for (name, v) in [
        ("noise_std_mv", c.noise_std_mv),
        ("baseline_wander_mv", c.baseline_wander_mv),
    ] {
        if !in_range(v, 0.0, f64::MAX) {
            return Err(Error::invalid(
                name,
                format!("{v} mV: must be finite and >= 0"),
            ));
        }
    }
    if !in_range(c.morphology_jitter, 0.0, 0.5) {
        let msg = format!("{}: must be 0 to 0.5", c.morphology_jitter);
        return Err(Error::invalid("morphology_jitter", msg));
    }
    if !(c.anomaly_rate.is_finite() && (0.0..0.5).contains(&c.anomaly_rate)) {
        let msg = format!("{}: must be at least 0 and below 0.5", c.anomaly_rate);
        return Err(Error::invalid("anomaly_rate", msg));
    }
    if c.anomaly_rate > 0.0 && c.anomaly_kinds.is_empty() {
        return Err(Error::invalid(
            "anomaly_kinds",
            "empty while anomaly_rate > 0",
        ));
    }
    if c.anomaly_kinds.contains(&BeatKind::Normal) {
        return Err(Error::invalid("anomaly_kinds", "Normal is not an anomaly"));
    }
    Ok(())
}
