//! Beat kinds and their shapes: each beat is a sum of Gaussian waves (P, Q, R, S, T), as in
//! ECGSYN (McSharry et al. 2003, Table 1), written in seconds for a 60 bpm beat.

use serde::{Deserialize, Serialize};

/// Ground-truth kind of a synthetic beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BeatKind {
    /// Sinus beat: P wave, narrow QRS (about 90 ms), upright T.
    Normal,
    /// Premature ventricular contraction: early (55–70 % of the RR), no P wave, wide tall QRS,
    /// inverted T, full compensatory pause.
    Pvc,
    /// Premature atrial contraction: early (65–80 % of the RR), small inverted P, normal QRS,
    /// sinus node reset (no compensatory pause).
    Apc,
    /// Junctional premature beat: slightly early (85–92 % of the RR), no P wave, normal QRS.
    MissingP,
    /// Normal beat with the ST segment raised by about 0.2 mV.
    StElevation,
    /// Normal beat with the ST segment lowered by about 0.2 mV.
    StDepression,
}

impl BeatKind {
    /// Every abnormal kind, the default mix of [`super::SyntheticConfig::anomaly_kinds`].
    pub const ANOMALIES: [BeatKind; 5] = [
        BeatKind::Pvc,
        BeatKind::Apc,
        BeatKind::MissingP,
        BeatKind::StElevation,
        BeatKind::StDepression,
    ];

    /// True for every kind but [`BeatKind::Normal`]: the label anomaly detectors are scored on.
    pub fn is_anomaly(self) -> bool {
        self != BeatKind::Normal
    }

    /// The MIT-BIH beat symbol of the rhythm this beat stands for: `N` normal, `V` PVC, `A`
    /// atrial premature, `J` junctional (nodal) premature. ST shifts are conducted normally and
    /// MIT-BIH has no beat symbol for them, so they map to `N` (AAMI class N) even though
    /// [`BeatKind::is_anomaly`] is true.
    pub fn aami_symbol(self) -> char {
        match self {
            BeatKind::Normal | BeatKind::StElevation | BeatKind::StDepression => 'N',
            BeatKind::Pvc => 'V',
            BeatKind::Apc => 'A',
            BeatKind::MissingP => 'J',
        }
    }

    /// Range of the coupling interval (fraction of the sinus RR) at which the beat comes.
    pub(super) fn coupling(self) -> (f64, f64) {
        match self {
            BeatKind::Pvc => (0.55, 0.70),
            BeatKind::Apc => (0.65, 0.80),
            BeatKind::MissingP => (0.85, 0.92),
            _ => (1.0, 1.0),
        }
    }

    /// Gaussian waves of the beat, at a 1 s RR interval.
    pub(super) fn waves(self) -> &'static [Wave] {
        match self {
            BeatKind::Normal => &NORMAL,
            BeatKind::Pvc => &PVC,
            BeatKind::Apc => &APC,
            BeatKind::MissingP => &NORMAL[1..],
            BeatKind::StElevation => &ST_ELEVATION,
            BeatKind::StDepression => &ST_DEPRESSION,
        }
    }
}

/// One Gaussian wave. At a sinus RR of `rr` seconds its centre is `center_s * rr^center_exp`
/// after the R peak and its width `width_s * sqrt(rr)`: ECGSYN's heart-rate scaling
/// (`sqrt(hr/60)` on widths and QRS angles, its square root on P and T angles).
#[derive(Debug, Clone, Copy)]
pub(super) struct Wave {
    /// Centre relative to the R peak, in seconds at RR = 1 s.
    pub center_s: f64,
    /// Standard deviation in seconds at RR = 1 s.
    pub width_s: f64,
    /// Peak amplitude in mV.
    pub amplitude_mv: f64,
    /// Exponent of RR in the centre's scaling: 0.5 for QRS waves, 0.75 for P, ST and T.
    pub center_exp: f64,
}

const fn wave(center_s: f64, width_s: f64, amplitude_mv: f64, center_exp: f64) -> Wave {
    Wave {
        center_s,
        width_s,
        amplitude_mv,
        center_exp,
    }
}

// ECGSYN angles θ (P -π/3, Q -π/12, R 0, S π/12, T π/2) and widths b (0.25, 0.1, 0.1, 0.1, 0.4)
// become seconds at 60 bpm by dividing by 2π; Q and S are brought closer to R (±28 ms) and
// narrowed so that the QRS lasts about 90 ms rather than ECGSYN's 140 ms. Amplitudes follow
// lead II: P 0.15, Q -0.12, R 1.0, S -0.25, T 0.35 mV.
const P: Wave = wave(-1.0 / 6.0, 0.040, 0.15, 0.75);
const Q: Wave = wave(-0.028, 0.010, -0.12, 0.5);
const R: Wave = wave(0.0, 0.011, 1.0, 0.5);
const S: Wave = wave(0.028, 0.010, -0.25, 0.5);
const T: Wave = wave(0.25, 0.064, 0.35, 0.75);
/// A broad wave between the J point and the T wave shifts the ST segment.
const ST_SHIFT_MV: f64 = 0.2;

const NORMAL: [Wave; 5] = [P, Q, R, S, T];
const APC: [Wave; 5] = [wave(-0.14, 0.030, -0.08, 0.75), Q, R, S, T];
const ST_ELEVATION: [Wave; 6] = [P, Q, R, S, wave(0.14, 0.045, ST_SHIFT_MV, 0.75), T];
const ST_DEPRESSION: [Wave; 6] = [P, Q, R, S, wave(0.14, 0.045, -ST_SHIFT_MV, 0.75), T];
/// Ventricular beat: wide tall R (σ 35 ms), deep broad S, discordant (inverted) T, no P.
const PVC: [Wave; 3] = [
    wave(0.0, 0.035, 1.5, 0.5),
    wave(0.07, 0.030, -0.45, 0.5),
    wave(0.25, 0.085, -0.4, 0.75),
];
