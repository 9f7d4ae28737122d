//! Known-answer tests for the filters against SciPy (see `scipy_ref`) and analytic responses.

use super::scipy_ref::*;
use super::*;
use crate::Error;
use std::f64::consts::PI;

const FS: f64 = 360.0;

fn sine(freq: f64, fs: f64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (2.0 * PI * freq * i as f64 / fs).sin() as f32)
        .collect()
}

fn assert_sections(got: &[Biquad], scipy: &[f64]) {
    assert_eq!(got.len() * 6, scipy.len());
    for (s, want) in got.iter().zip(scipy.chunks(6)) {
        for (g, w) in s.b.iter().chain(&s.a).zip(want) {
            assert!((g - w).abs() < 1e-12, "{:?} vs {:?}", s, want);
        }
    }
}

/// Amplitude of the `freq` component over the middle half (away from the edge transients),
/// by projection on sin/cos over a whole number of periods.
fn mid_amplitude(x: &[f32], freq: f64, fs: f64) -> f64 {
    let period = fs / freq;
    let periods = ((x.len() / 2) as f64 / period).floor().max(1.0);
    let (a, len) = (x.len() / 4, (periods * period).round() as usize);
    let (mut re, mut im) = (0.0, 0.0);
    for (i, v) in x[a..a + len].iter().enumerate() {
        let phase = 2.0 * PI * freq * (a + i) as f64 / fs;
        re += f64::from(*v) * phase.cos();
        im += f64::from(*v) * phase.sin();
    }
    2.0 * re.hypot(im) / len as f64
}

#[test]
fn butterworth_sections_equal_scipy() {
    let bp = BandPass::default();
    assert_sections(&bp.with_order(1).sections(FS).unwrap(), &BANDPASS_SOS_1);
    assert_sections(&bp.sections(FS).unwrap(), &BANDPASS_SOS_2);
    assert_sections(&bp.with_order(4).sections(FS).unwrap(), &BANDPASS_SOS_4);
    assert_sections(&HighPass::new(0.5).sections(FS).unwrap(), &HIGHPASS_SOS_2);
    assert_sections(
        &LowPass::new(40.0).with_order(3).sections(FS).unwrap(),
        &LOWPASS_SOS_3,
    );
    assert_sections(&[Notch::default().section(FS).unwrap()], &NOTCH_50_Q30);
}

#[test]
fn magnitude_matches_analytic_butterworth() {
    // Bilinear Butterworth: with W = tan(pi f / fs), |H|² = 1 / (1 + r^(2N)), where
    // r = W/Wc (low-pass), Wc/W (high-pass), (W² - W1 W2) / (W (W2 - W1)) (band-pass).
    let w = |f: f64| (PI * f / FS).tan();
    for order in [1, 2, 4] {
        let bp = BandPass::default().with_order(order).sections(FS).unwrap();
        let hp = HighPass::new(0.5).with_order(order).sections(FS).unwrap();
        let lp = LowPass::new(40.0).with_order(order).sections(FS).unwrap();
        let n2 = 2 * order as i32;
        for f in [0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 40.0, 60.0, 100.0, 170.0] {
            let r_bp = (w(f).powi(2) - w(0.5) * w(40.0)) / (w(f) * (w(40.0) - w(0.5)));
            let cases = [
                (&bp, 1.0 / (1.0 + r_bp.powi(n2))),
                (&hp, 1.0 / (1.0 + (w(0.5) / w(f)).powi(n2))),
                (&lp, 1.0 / (1.0 + (w(f) / w(40.0)).powi(n2))),
            ];
            for (sections, want) in cases {
                let got = cascade_magnitude(sections, f, FS).unwrap().powi(2);
                assert!(
                    (got - want).abs() < 1e-9 * want.max(1e-3),
                    "order {order} f {f}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn bandpass_keeps_10hz_sine_without_phase_shift() {
    let x = sine(10.0, FS, 36_000);
    let y = BandPass::default().apply(&x, FS).unwrap();
    let want = cascade_magnitude(&BandPass::default().sections(FS).unwrap(), 10.0, FS)
        .unwrap()
        .powi(2);
    let amp = mid_amplitude(&y, 10.0, FS);
    assert!(
        (amp - 1.0).abs() < 0.01 && (amp - want).abs() < 1e-3,
        "amplitude {amp}"
    );
    // Zero phase: the filtered sine equals the input (scaled) sample by sample, so every crest
    // stays on the same sample.
    for i in 9000..27_000 {
        assert!(
            (f64::from(y[i]) - want * f64::from(x[i])).abs() < 2e-4,
            "sample {i}"
        );
    }
}

#[test]
fn bandpass_attenuates_out_of_band_sines_by_h_squared() {
    let sections = BandPass::default().sections(FS).unwrap();
    for (freq, n) in [(0.1, 36_000 * 4), (100.0, 36_000)] {
        let y = BandPass::default().apply(&sine(freq, FS, n), FS).unwrap();
        let want = cascade_magnitude(&sections, freq, FS).unwrap().powi(2);
        let got = mid_amplitude(&y, freq, FS);
        assert!(
            (got / want - 1.0).abs() < 0.02,
            "{freq} Hz: {got} vs {want}"
        );
        assert!(want < 0.01);
    }
}

#[test]
fn notch_removes_50hz_keeps_10hz() {
    let x10 = sine(10.0, FS, 3600);
    let mixed: Vec<f32> = sine(50.0, FS, 3600)
        .iter()
        .zip(&x10)
        .map(|(a, b)| a + b)
        .collect();
    let y = Notch::default().apply(&mixed, FS).unwrap();
    for i in 900..2700 {
        assert!(
            (y[i] - x10[i]).abs() < 1e-2,
            "sample {i}: {} vs {}",
            y[i],
            x10[i]
        );
    }
    let y50 = Notch::default().apply(&sine(50.0, FS, 3600), FS).unwrap();
    assert!(mid_amplitude(&y50, 50.0, FS) < 1e-3);
    assert!((mid_amplitude(&y, 10.0, FS) - 1.0).abs() < 1e-3);
}

#[test]
fn filtfilt_equals_scipy_on_random_signal() {
    let got_bp = BandPass::default().apply(&RANDOM_64, FS).unwrap();
    let got_notch = Notch::default().apply(&RANDOM_64, FS).unwrap();
    for (got, want) in [(got_bp, RANDOM_64_BANDPASS), (got_notch, RANDOM_64_NOTCH)] {
        assert_eq!(got.len(), 64);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((f64::from(*g) - w).abs() < 1e-5, "sample {i}: {g} vs {w}");
        }
    }
}

#[test]
fn median_baseline_removes_slow_wander_from_spike_train() {
    let n = 10 * 360;
    // Respiration-like 0.15 Hz sway plus a linear drift of 0.1 mV/s.
    let wander = |i: usize| {
        let t = i as f64 / FS;
        (0.5 * (2.0 * PI * 0.15 * t).sin() + 0.1 * t) as f32
    };
    let spikes: Vec<f32> = (0..n)
        .map(|i| if i % 300 < 10 { 1.5 } else { 0.0 })
        .collect();
    let x: Vec<f32> = spikes
        .iter()
        .enumerate()
        .map(|(i, s)| s + wander(i))
        .collect();
    let y = MedianBaseline::default().apply(&x, FS).unwrap();
    let base = MedianBaseline::default().baseline(&x, FS).unwrap();
    // Away from the edges, where the truncated windows lag a sloped baseline.
    for i in 150..n - 150 {
        // The wander bends little over a 0.3 s half-window, and 10 spike samples shift the
        // rank of the median by a few samples of slope: the estimate stays within 0.02.
        assert!(
            (base[i] - wander(i)).abs() < 0.02,
            "sample {i}: {} vs {}",
            base[i],
            wander(i)
        );
        assert!((y[i] - spikes[i]).abs() < 0.02, "sample {i}");
    }
}

#[test]
fn moving_median_matches_brute_force_and_short_signals() {
    let x: Vec<f32> = (0..200)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.1)
        .collect();
    for window in [1, 2, 5, 8, 73, 401] {
        let got = moving_median(&x, window).unwrap();
        let half = window / 2;
        for i in 0..x.len() {
            let mut w = x[i.saturating_sub(half)..(i + half + 1).min(x.len())].to_vec();
            w.sort_by(f32::total_cmp);
            let m = w.len() / 2;
            let want = if w.len().is_multiple_of(2) {
                0.5 * (w[m - 1] + w[m])
            } else {
                w[m]
            };
            assert_eq!(got[i], want, "window {window} sample {i}");
        }
    }
    assert_eq!(moving_median(&[3.0], 217).unwrap(), vec![3.0]);
    assert_eq!(moving_median(&[1.0, 5.0, 2.0], 217).unwrap(), vec![2.0; 3]);
    assert!(MedianBaseline::default().apply(&[1.0, 2.0], FS).is_ok());
}

#[test]
fn invalid_arguments_are_errors() {
    let x = sine(10.0, FS, 1000);
    let invalid = |r: Result<Vec<f32>>, want: &str| match r {
        Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, want),
        other => panic!("expected invalid {want}, got {other:?}"),
    };
    invalid(BandPass::new(0.5, 180.0).apply(&x, FS), "high_hz");
    invalid(BandPass::new(40.0, 0.5).apply(&x, FS), "low_hz");
    invalid(BandPass::new(0.0, 40.0).apply(&x, FS), "low_hz");
    invalid(BandPass::default().with_order(0).apply(&x, FS), "order");
    invalid(BandPass::default().with_order(9).apply(&x, FS), "order");
    invalid(HighPass::new(200.0).apply(&x, FS), "cutoff_hz");
    invalid(LowPass::new(f64::NAN).apply(&x, FS), "cutoff_hz");
    invalid(LowPass::default().apply(&x, 0.0), "fs");
    invalid(LowPass::default().apply(&x, -360.0), "fs");
    invalid(Notch::new(60.0).apply(&x, 100.0), "freq_hz");
    invalid(Notch::default().with_quality(0.0).apply(&x, FS), "quality");
    invalid(
        MedianBaseline {
            first_ms: 0.0,
            second_ms: 600.0,
        }
        .apply(&x, FS),
        "first_ms",
    );
    invalid(BandPass::default().apply(&[], FS), "signal");
    // Two sections: SciPy pads 3 * (2 * 2 + 1) = 15 samples at each end.
    invalid(BandPass::default().apply(&x[..15], FS), "signal");
    assert!(BandPass::default().apply(&x[..16], FS).is_ok());
    let zero_a = Biquad {
        b: [1.0, 0.0, 0.0],
        a: [0.0; 3],
    };
    invalid(filtfilt(&[zero_a], &x), "sections");
    invalid(filtfilt(&[], &x), "sections");
    // Sections are normalised to a[0] = 1 first: scaling a whole section changes nothing.
    let notch = Notch::default().section(FS).unwrap();
    let scaled = Biquad {
        b: notch.b.map(|c| 4.0 * c),
        a: notch.a.map(|c| 4.0 * c),
    };
    assert_eq!(
        filtfilt(&[scaled], &x).unwrap(),
        filtfilt(&[notch], &x).unwrap()
    );
    let mut nan = x.clone();
    nan[123] = f32::NAN;
    for filter in [
        &BandPass::default() as &dyn SignalFilter,
        &Notch::default(),
        &MedianBaseline::default(),
    ] {
        assert!(matches!(
            filter.apply(&nan, FS),
            Err(Error::Signal { sample: 123, .. })
        ));
    }
}

#[test]
fn chain_applies_filters_in_order() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let chain = FilterChain::new()
        .then(Notch::default())
        .then(BandPass::default());
    assert_send_sync(&chain);
    assert_eq!(chain.len(), 2);
    let x: Vec<f32> = (0..3600)
        .map(|i| RANDOM_64[i % 64] + (i as f32 * 0.001))
        .collect();
    let by_hand = BandPass::default()
        .apply(&Notch::default().apply(&x, FS).unwrap(), FS)
        .unwrap();
    assert_eq!(chain.apply(&x, FS).unwrap(), by_hand);
    assert_eq!(FilterChain::new().apply(&x, FS).unwrap(), x);
}

#[test]
fn magnitude_rejects_bad_rates_and_never_returns_nan() {
    let sections = BandPass::default().sections(360.0).unwrap();
    assert!(cascade_magnitude(&sections, 10.0, 360.0).unwrap() > 0.9);
    for (freq, fs) in [
        (10.0, 0.0),
        (10.0, -360.0),
        (10.0, f64::NAN),
        (f64::NAN, 360.0),
    ] {
        let err = cascade_magnitude(&sections, freq, fs).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{freq} Hz at {fs} Hz: {err}"
        );
    }
    assert!(cascade_magnitude(&[], 10.0, 360.0).is_err());
    // A pole on the unit circle at DC: the response there is infinite, an error, not Ok(inf).
    let integrator = Biquad {
        b: [1.0, 0.0, 0.0],
        a: [1.0, -1.0, 0.0],
    };
    assert!(integrator.magnitude(0.0, 360.0).is_err());
    assert!(integrator.magnitude(10.0, 360.0).unwrap().is_finite());
}
