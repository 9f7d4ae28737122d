//! Beat timing: ECGSYN's RR process (LF and HF spectral peaks) and injected premature beats.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::StandardNormal;

use super::{BeatKind, SyntheticConfig, SyntheticLength};

/// Centre and spread (Hz) of the low-frequency (Mayer wave) peak of the RR spectrum.
const LF_HZ: (f64, f64) = (0.1, 0.01);
/// Centre and spread (Hz) of the high-frequency (respiratory) peak of the RR spectrum.
const HF_HZ: (f64, f64) = (0.25, 0.01);
/// Sinusoids summed to build the RR process.
const COMPONENTS: usize = 128;

/// A beat placed in time, before its waves are drawn.
#[derive(Debug, Clone, Copy)]
pub(super) struct PlannedBeat {
    /// Time of the R wave, in seconds.
    pub time_s: f64,
    /// Ground truth.
    pub kind: BeatKind,
    /// Sinus RR interval (s) that scales the beat's waves.
    pub rr_s: f64,
}

/// RR tachogram with ECGSYN's bimodal spectrum, as a function of the beat index `k`.
///
/// Sum of cosines at frequencies drawn from the spectrum (a two-Gaussian mixture whose weights
/// give the LF/HF power ratio) with random phases, evaluated at `t = k * mean RR`, then
/// normalised to the wanted mean and standard deviation over the expected number of beats,
/// as ECGSYN rescales its RR series.
struct RrProcess {
    /// Angular frequency per beat and phase of each cosine.
    components: Vec<(f64, f64)>,
    rr_mean: f64,
    rr_std: f64,
    z_mean: f64,
    z_std: f64,
}

impl RrProcess {
    fn new(cfg: &SyntheticConfig, expected_beats: usize, rng: &mut Xoshiro256PlusPlus) -> Self {
        let rr_mean = 60.0 / cfg.heart_rate_bpm;
        let p_lf = cfg.lf_hf_ratio / (1.0 + cfg.lf_hf_ratio);
        let components = (0..COMPONENTS)
            .map(|_| {
                let (centre, spread) = if rng.random::<f64>() < p_lf {
                    LF_HZ
                } else {
                    HF_HZ
                };
                let z: f64 = rng.sample(StandardNormal);
                let freq = centre + spread * z;
                let phase = std::f64::consts::TAU * rng.random::<f64>();
                (std::f64::consts::TAU * freq * rr_mean, phase)
            })
            .collect();
        let mut process = Self {
            components,
            rr_mean,
            rr_std: cfg.rr_std_s,
            z_mean: 0.0,
            z_std: 1.0,
        };
        let n = expected_beats.max(2);
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for k in 0..n {
            let z = process.raw(k);
            sum += z;
            sum_sq += z * z;
        }
        let mean = sum / n as f64;
        let var = (sum_sq / n as f64 - mean * mean).max(0.0);
        process.z_mean = mean;
        process.z_std = if var > 1e-12 { var.sqrt() } else { 1.0 };
        process
    }

    fn raw(&self, k: usize) -> f64 {
        let k = k as f64;
        self.components
            .iter()
            .map(|&(w, p)| (w * k + p).cos())
            .sum()
    }

    /// RR interval (s) of sinus beat `k`, kept within half and 1.5 times the mean.
    fn rr(&self, k: usize) -> f64 {
        if self.rr_std == 0.0 {
            return self.rr_mean;
        }
        let z = (self.raw(k) - self.z_mean) / self.z_std;
        (self.rr_mean + self.rr_std * z).clamp(0.5 * self.rr_mean, 1.5 * self.rr_mean)
    }
}

/// Places every beat of the record: sinus rhythm from the RR process, and with probability
/// `anomaly_rate` an abnormal beat (never two in a row) from `anomaly_kinds`.
///
/// A PVC does not reset the sinus node: the next sinus beat keeps its time, which gives the
/// full compensatory pause. Atrial and junctional premature beats reset it.
pub(super) fn plan_beats(
    cfg: &SyntheticConfig,
    rr_rng: &mut Xoshiro256PlusPlus,
    kind_rng: &mut Xoshiro256PlusPlus,
) -> Vec<PlannedBeat> {
    let rr_mean = 60.0 / cfg.heart_rate_bpm;
    let (expected, max_beats, end_s) = match cfg.length {
        SyntheticLength::Seconds(d) => ((d / rr_mean).ceil() as usize, usize::MAX, d),
        SyntheticLength::Beats(n) => (n, n, f64::INFINITY),
    };
    let process = RrProcess::new(cfg, expected, rr_rng);
    // With no two anomalies in a row, drawing at r / (1 - r) after a normal beat makes the
    // stationary fraction of anomalies equal r.
    let rate = cfg.anomaly_rate;
    let p_draw = if rate > 0.0 { rate / (1.0 - rate) } else { 0.0 };
    let mut beats: Vec<PlannedBeat> = Vec::with_capacity(expected.min(1 << 24) + 1);
    // First R half a mean RR in, so that its P wave fits in the record.
    let mut time = 0.5 * rr_mean;
    let mut sinus = time;
    beats.push(PlannedBeat {
        time_s: time,
        kind: BeatKind::Normal,
        rr_s: process.rr(0),
    });
    let mut k = 1;
    while beats.len() < max_beats {
        let rr = process.rr(k);
        k += 1;
        let previous_normal = beats.last().is_some_and(|b| !b.kind.is_anomaly());
        let kind = if previous_normal && !cfg.anomaly_kinds.is_empty() && chance(kind_rng, p_draw) {
            let i = (kind_rng.random::<f64>() * cfg.anomaly_kinds.len() as f64) as usize;
            cfg.anomaly_kinds[i.min(cfg.anomaly_kinds.len() - 1)]
        } else {
            BeatKind::Normal
        };
        let (lo, hi) = kind.coupling();
        let coupling = lo + (hi - lo) * kind_rng.random::<f64>();
        time = sinus + coupling * rr;
        sinus = match kind {
            BeatKind::Pvc => sinus + rr,
            _ => time,
        };
        if time >= end_s {
            break;
        }
        beats.push(PlannedBeat {
            time_s: time,
            kind,
            rr_s: rr,
        });
    }
    beats
}

/// True with probability `p` (any `p`; never panics).
fn chance(rng: &mut Xoshiro256PlusPlus, p: f64) -> bool {
    rng.random::<f64>() < p
}
