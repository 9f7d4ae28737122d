//! Synthetic ECG: determinism, rhythm, morphology of each beat kind, labels, noise, validation.

use crate::common::{mean, std};
use ecg_anomaly::Error;
use ecg_anomaly::data::synthetic::{
    BeatKind, SyntheticBeat, SyntheticConfig, SyntheticEcg, SyntheticLength, generate,
};

fn config(seed: u64) -> SyntheticConfig {
    SyntheticConfig {
        seed,
        ..Default::default()
    }
}

/// A record where every anomaly is of `kind`, at a high rate so that there are many.
fn record_with(kind: BeatKind, seed: u64) -> SyntheticEcg {
    generate(&SyntheticConfig {
        length: SyntheticLength::Seconds(300.0),
        anomaly_rate: 0.2,
        anomaly_kinds: vec![kind],
        seed,
        ..Default::default()
    })
    .unwrap()
}

fn of_kind(record: &SyntheticEcg, kind: BeatKind) -> Vec<(usize, SyntheticBeat)> {
    // Skip the first and last beats so that windows around them lie in the record.
    let n = record.beats.len();
    (1..n - 1)
        .map(|i| (i, record.beats[i]))
        .filter(|(_, b)| b.kind == kind)
        .collect()
}

/// Mean of `signal` over `[r + from_s, r + to_s]`.
fn window_mean(signal: &[f32], fs: f64, r: usize, from_s: f64, to_s: f64) -> f64 {
    let a = (r as f64 + from_s * fs).round() as usize;
    let b = (r as f64 + to_s * fs).round() as usize;
    signal[a..=b].iter().map(|&x| f64::from(x)).sum::<f64>() / (b - a + 1) as f64
}

/// Width (s) of the part of the R wave above half its apex value.
fn half_max_width(signal: &[f32], fs: f64, r: usize) -> f64 {
    let half = signal[r] / 2.0;
    let mut lo = r;
    while lo > 0 && signal[lo - 1] > half {
        lo -= 1;
    }
    let mut hi = r;
    while hi + 1 < signal.len() && signal[hi + 1] > half {
        hi += 1;
    }
    (hi - lo + 1) as f64 / fs
}

#[test]
fn same_seed_same_record_and_different_seed_differs() {
    let a = generate(&config(11)).unwrap();
    let b = generate(&config(11)).unwrap();
    let c = generate(&config(12)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.ecg.leads[0], c.ecg.leads[0]);
    assert_ne!(a.beats, c.beats);
}

#[test]
fn default_record_is_one_lead_in_mv_at_360_hz() {
    let r = generate(&SyntheticConfig::default()).unwrap();
    assert_eq!(r.ecg.fs, 360.0);
    assert_eq!(r.ecg.lead_names, ["synthetic"]);
    assert_eq!(r.ecg.len(), 60 * 360);
    assert_eq!(r.clean.len(), r.ecg.len());
    assert!(r.beats.windows(2).all(|w| w[0].r_peak < w[1].r_peak));
    assert!(r.beats.iter().all(|b| b.r_peak < r.ecg.len()));
    // About 70 beats a minute.
    assert!((65..=75).contains(&r.beats.len()), "{}", r.beats.len());
}

#[test]
fn measured_heart_rate_and_rr_std_match_the_config() {
    for (bpm, rr_std) in [(45.0, 0.06), (70.0, 0.04), (120.0, 0.02)] {
        let r = generate(&SyntheticConfig {
            heart_rate_bpm: bpm,
            rr_std_s: rr_std,
            anomaly_rate: 0.0,
            length: SyntheticLength::Seconds(600.0),
            seed: 3,
            ..Default::default()
        })
        .unwrap();
        let rr: Vec<f64> = r
            .beats
            .windows(2)
            .map(|w| (w[1].r_peak - w[0].r_peak) as f64 / r.ecg.fs)
            .collect();
        let measured_bpm = 60.0 / mean(&rr);
        assert!(
            (measured_bpm / bpm - 1.0).abs() < 0.02,
            "{bpm} bpm: measured {measured_bpm}"
        );
        let measured_std = std(&rr);
        assert!(
            (measured_std / rr_std - 1.0).abs() < 0.15,
            "{rr_std} s: measured {measured_std}"
        );
    }
}

#[test]
fn heart_rate_stays_close_with_anomalies() {
    let r = generate(&SyntheticConfig {
        length: SyntheticLength::Seconds(600.0),
        ..Default::default()
    })
    .unwrap();
    let span_s = (r.beats.last().unwrap().r_peak - r.beats[0].r_peak) as f64 / r.ecg.fs;
    let bpm = 60.0 * (r.beats.len() - 1) as f64 / span_s;
    assert!((bpm / 70.0 - 1.0).abs() < 0.05, "measured {bpm} bpm");
}

#[test]
fn r_peaks_are_the_maxima_of_the_clean_signal_within_50_ms() {
    let r = generate(&SyntheticConfig {
        length: SyntheticLength::Seconds(300.0),
        anomaly_rate: 0.2,
        seed: 5,
        ..Default::default()
    })
    .unwrap();
    let half = (0.05 * r.ecg.fs) as usize;
    let mut kinds = std::collections::HashSet::new();
    for b in &r.beats[1..r.beats.len() - 1] {
        let window = &r.clean[b.r_peak - half..=b.r_peak + half];
        let max = window.iter().copied().fold(f32::MIN, f32::max);
        assert_eq!(r.clean[b.r_peak], max, "{b:?}");
        kinds.insert(b.kind);
    }
    assert_eq!(kinds.len(), 6, "every kind was checked: {kinds:?}");
}

#[test]
fn normal_r_waves_are_about_1_mv() {
    let r = generate(&config(8)).unwrap();
    let amps: Vec<f64> = of_kind(&r, BeatKind::Normal)
        .iter()
        .map(|(_, b)| f64::from(r.clean[b.r_peak]))
        .collect();
    let m = mean(&amps);
    assert!((0.9..1.1).contains(&m), "mean R amplitude {m} mV");
}

#[test]
fn pvcs_are_wide_tall_early_with_inverted_t_and_a_compensatory_pause() {
    let r = record_with(BeatKind::Pvc, 21);
    let fs = r.ecg.fs;
    let rr_mean = 60.0 / 70.0;
    let normal_width: Vec<f64> = of_kind(&r, BeatKind::Normal)
        .iter()
        .map(|(_, b)| half_max_width(&r.clean, fs, b.r_peak))
        .collect();
    let pvcs = of_kind(&r, BeatKind::Pvc);
    assert!(pvcs.len() > 20);
    let pvc_width: Vec<f64> = pvcs
        .iter()
        .map(|(_, b)| half_max_width(&r.clean, fs, b.r_peak))
        .collect();
    assert!(
        mean(&pvc_width) > 2.0 * mean(&normal_width),
        "PVC R width {} s, normal {} s",
        mean(&pvc_width),
        mean(&normal_width)
    );
    let mut pauses = Vec::new();
    for (i, b) in &pvcs {
        let (prev, next) = (r.beats[i - 1].r_peak, r.beats[i + 1].r_peak);
        let coupling = (b.r_peak - prev) as f64 / fs;
        assert!(coupling < 0.8 * rr_mean, "PVC not premature: {coupling} s");
        assert!(r.clean[b.r_peak] > 1.2, "PVC R {} mV", r.clean[b.r_peak]);
        // T wave (about 0.28 s after R) is negative.
        assert!(window_mean(&r.clean, fs, b.r_peak, 0.22, 0.34) < -0.15);
        pauses.push((next - prev) as f64 / fs);
    }
    let pause = mean(&pauses);
    assert!(
        (pause / (2.0 * rr_mean) - 1.0).abs() < 0.05,
        "pre + post RR {pause} s"
    );
}

#[test]
fn missing_p_beats_have_no_p_wave_and_apcs_an_inverted_one() {
    let fs = 360.0;
    let rr_mean = 60.0 / 70.0;
    // The P wave peaks about 0.15 s before R at 70 bpm.
    let p_wave =
        |r: &SyntheticEcg, b: &SyntheticBeat| window_mean(&r.clean, fs, b.r_peak, -0.16, -0.10);
    // (kind, P-wave mean range in mV, mean coupling as a fraction of the RR)
    for (kind, p_range, expected_coupling) in [
        (BeatKind::MissingP, (-0.02, 0.02), 0.885),
        (BeatKind::Apc, (-0.1, -0.03), 0.725),
    ] {
        let r = record_with(kind, 31);
        let normal: Vec<f64> = of_kind(&r, BeatKind::Normal)
            .iter()
            .map(|(_, b)| p_wave(&r, b))
            .collect();
        assert!(mean(&normal) > 0.1, "normal P {} mV", mean(&normal));
        let odd = of_kind(&r, kind);
        assert!(odd.len() > 20);
        let mut couplings = Vec::new();
        let mut spans = Vec::new();
        for (i, b) in &odd {
            let p = p_wave(&r, b);
            assert!(p > p_range.0 && p < p_range.1, "{kind:?} P {p} mV");
            let prev = r.beats[i - 1].r_peak;
            couplings.push((b.r_peak - prev) as f64 / fs);
            spans.push((r.beats[i + 1].r_peak - prev) as f64 / fs);
        }
        // Premature by the drawn coupling, and the sinus node is reset: no compensatory pause.
        let coupling = mean(&couplings) / rr_mean;
        assert!(
            (coupling - expected_coupling).abs() < 0.03,
            "{kind:?} coupling {coupling}"
        );
        let span = mean(&spans) / rr_mean;
        assert!(
            (span - 1.0 - expected_coupling).abs() < 0.05,
            "{kind:?} pre + post RR {span}"
        );
    }
}

#[test]
fn st_shifts_raise_or_lower_the_st_segment() {
    for (kind, sign) in [(BeatKind::StElevation, 1.0), (BeatKind::StDepression, -1.0)] {
        let r = record_with(kind, 41);
        let st = |b: &SyntheticBeat| window_mean(&r.clean, r.ecg.fs, b.r_peak, 0.09, 0.15);
        let normal = mean(
            &of_kind(&r, BeatKind::Normal)
                .iter()
                .map(|(_, b)| st(b))
                .collect::<Vec<_>>(),
        );
        let shifted = of_kind(&r, kind);
        assert!(shifted.len() > 20);
        let shift = mean(&shifted.iter().map(|(_, b)| st(b)).collect::<Vec<_>>()) - normal;
        assert!(sign * shift > 0.1, "{kind:?}: ST moved by {shift} mV");
    }
}

#[test]
fn anomaly_labels_match_the_rate() {
    let r = generate(&SyntheticConfig {
        length: SyntheticLength::Seconds(1800.0),
        anomaly_rate: 0.1,
        seed: 9,
        ..Default::default()
    })
    .unwrap();
    let n = r.beats.len() as f64;
    let anomalies = r.beats.iter().filter(|b| b.is_anomaly()).count() as f64;
    assert!((anomalies / n - 0.1).abs() < 0.02, "{anomalies} of {n}");
    for kind in BeatKind::ANOMALIES {
        let count = r.beats.iter().filter(|b| b.kind == kind).count() as f64;
        assert!((count / anomalies - 0.2).abs() < 0.06, "{kind:?}: {count}");
    }
    assert!(
        r.beats
            .windows(2)
            .all(|w| !(w[0].is_anomaly() && w[1].is_anomaly())),
        "two anomalies in a row"
    );
    let none = generate(&SyntheticConfig {
        anomaly_rate: 0.0,
        ..Default::default()
    })
    .unwrap();
    assert!(none.beats.iter().all(|b| b.kind == BeatKind::Normal));
}

#[test]
fn noise_std_matches_and_leaves_the_clean_signal_alone() {
    let quiet = generate(&SyntheticConfig {
        noise_std_mv: 0.0,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(quiet.ecg.leads[0], quiet.clean);
    for noise in [0.01, 0.05, 0.2] {
        let r = generate(&SyntheticConfig {
            noise_std_mv: noise,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.clean, quiet.clean);
        assert_eq!(r.beats, quiet.beats);
        let residual: Vec<f64> = r.ecg.leads[0]
            .iter()
            .zip(&r.clean)
            .map(|(&x, &c)| f64::from(x - c))
            .collect();
        let measured = std(&residual);
        assert!((measured / noise - 1.0).abs() < 0.05, "{noise}: {measured}");
        assert!(mean(&residual).abs() < 4.0 * noise / (residual.len() as f64).sqrt());
    }
}

#[test]
fn baseline_wander_adds_a_slow_sinusoid() {
    let flat = generate(&config(2)).unwrap();
    let wandering = generate(&SyntheticConfig {
        baseline_wander_mv: 0.1,
        ..config(2)
    })
    .unwrap();
    let diff: Vec<f64> = wandering
        .clean
        .iter()
        .zip(&flat.clean)
        .map(|(&a, &b)| f64::from(a - b))
        .collect();
    let amplitude = diff.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!((amplitude - 0.1).abs() < 0.002, "peak {amplitude}");
    // 0.25 Hz: 15 periods in 60 s, so 30 sign changes (±1).
    let crossings = diff
        .windows(2)
        .filter(|w| w[0].signum() != w[1].signum())
        .count();
    assert!((29..=31).contains(&crossings), "{crossings} zero crossings");
}

#[test]
fn beat_count_length_gives_exactly_that_many_beats() {
    let r = generate(&SyntheticConfig {
        length: SyntheticLength::Beats(100),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(r.beats.len(), 100);
    let last = r.beats[99].r_peak as f64 / r.ecg.fs;
    assert!(r.ecg.duration_s() > last + 0.4);
}

#[test]
fn symbols_and_anomaly_flags() {
    assert!(!BeatKind::Normal.is_anomaly());
    assert!(BeatKind::ANOMALIES.iter().all(|k| k.is_anomaly()));
    let symbols: String = [BeatKind::Normal]
        .iter()
        .chain(&BeatKind::ANOMALIES)
        .map(|k| k.aami_symbol())
        .collect();
    assert_eq!(symbols, "NVAJNN");
}

#[test]
fn bad_configs_are_rejected_with_the_setting_named() {
    let d = SyntheticConfig::default;
    let cases: Vec<(SyntheticConfig, &str)> = vec![
        (SyntheticConfig { fs: 0.0, ..d() }, "fs"),
        (
            SyntheticConfig {
                fs: f64::NAN,
                ..d()
            },
            "fs",
        ),
        (
            SyntheticConfig {
                heart_rate_bpm: 10.0,
                ..d()
            },
            "heart_rate_bpm",
        ),
        (
            SyntheticConfig {
                heart_rate_bpm: f64::INFINITY,
                ..d()
            },
            "heart_rate_bpm",
        ),
        (
            SyntheticConfig {
                rr_std_s: -0.01,
                ..d()
            },
            "rr_std_s",
        ),
        (
            SyntheticConfig {
                rr_std_s: 0.5,
                ..d()
            },
            "rr_std_s",
        ),
        (
            SyntheticConfig {
                lf_hf_ratio: 0.0,
                ..d()
            },
            "lf_hf_ratio",
        ),
        (
            SyntheticConfig {
                length: SyntheticLength::Seconds(0.1),
                ..d()
            },
            "length",
        ),
        (
            SyntheticConfig {
                length: SyntheticLength::Seconds(-5.0),
                ..d()
            },
            "length",
        ),
        (
            SyntheticConfig {
                length: SyntheticLength::Seconds(1e9),
                ..d()
            },
            "length",
        ),
        (
            SyntheticConfig {
                length: SyntheticLength::Beats(0),
                ..d()
            },
            "length",
        ),
        (
            SyntheticConfig {
                noise_std_mv: -1.0,
                ..d()
            },
            "noise_std_mv",
        ),
        (
            SyntheticConfig {
                baseline_wander_mv: f64::NAN,
                ..d()
            },
            "baseline_wander_mv",
        ),
        (
            SyntheticConfig {
                morphology_jitter: 0.9,
                ..d()
            },
            "morphology_jitter",
        ),
        (
            SyntheticConfig {
                anomaly_rate: 0.5,
                ..d()
            },
            "anomaly_rate",
        ),
        (
            SyntheticConfig {
                anomaly_rate: -0.1,
                ..d()
            },
            "anomaly_rate",
        ),
        (
            SyntheticConfig {
                anomaly_kinds: vec![],
                ..d()
            },
            "anomaly_kinds",
        ),
        (
            SyntheticConfig {
                anomaly_kinds: vec![BeatKind::Normal],
                ..d()
            },
            "anomaly_kinds",
        ),
    ];
    for (cfg, field) in cases {
        match generate(&cfg) {
            Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, field, "{cfg:?}"),
            other => panic!("{field}: expected InvalidArgument, got {other:?}"),
        }
    }
    // No anomaly kinds is fine when there are no anomalies to draw.
    let cfg = SyntheticConfig {
        anomaly_rate: 0.0,
        anomaly_kinds: vec![],
        ..d()
    };
    assert!(generate(&cfg).is_ok());
}

#[test]
fn lf_hf_ratio_moves_the_rr_power_between_0_1_and_0_25_hz() {
    // Power of the RR tachogram (beat k at time k * mean RR) in a band, by direct DFT.
    let band_power = |rr: &[f64], (lo, hi): (f64, f64)| -> f64 {
        let m = mean(rr);
        let t = 60.0 / 70.0;
        (0..40)
            .map(|i| {
                let f = lo + (hi - lo) * i as f64 / 39.0;
                let (re, im) = rr.iter().enumerate().fold((0.0, 0.0), |(re, im), (k, x)| {
                    let w = std::f64::consts::TAU * f * k as f64 * t;
                    (re + (x - m) * w.cos(), im - (x - m) * w.sin())
                });
                re * re + im * im
            })
            .sum()
    };
    for (ratio, lf_dominant) in [(20.0, true), (0.05, false)] {
        let r = generate(&SyntheticConfig {
            lf_hf_ratio: ratio,
            anomaly_rate: 0.0,
            length: SyntheticLength::Seconds(600.0),
            seed: 13,
            ..Default::default()
        })
        .unwrap();
        let rr: Vec<f64> = r
            .beats
            .windows(2)
            .map(|w| (w[1].r_peak - w[0].r_peak) as f64 / r.ecg.fs)
            .collect();
        let lf = band_power(&rr, (0.07, 0.13));
        let hf = band_power(&rr, (0.22, 0.28));
        assert_eq!(
            lf > 5.0 * hf,
            lf_dominant,
            "ratio {ratio}: LF {lf}, HF {hf}"
        );
        assert_eq!(
            hf > 5.0 * lf,
            !lf_dominant,
            "ratio {ratio}: LF {lf}, HF {hf}"
        );
    }
}
