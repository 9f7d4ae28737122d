//! Detector tests on generated ECGs with known R-peaks, and on degenerate inputs.

use super::*;

/// Deterministic uniform numbers in [0, 1) (a 64-bit LCG), so the tests need no RNG crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn gauss(t: f32, centre: f32, sigma: f32) -> f32 {
    (-0.5 * ((t - centre) / sigma).powi(2)).exp()
}

/// A synthetic ECG in mV at `fs` Hz: P, Q, R, S and T waves as Gaussians around R-peaks at
/// irregular RR intervals (0.55–1.15 s), 0.3 mV of 0.3 Hz baseline wander and ±0.02 mV noise.
/// Returns the signal and the R-peak sample indices.
fn synthetic_ecg(fs: f64, seconds: f64, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let n = (fs * seconds) as usize;
    let fs32 = fs as f32;
    let mut rng = Lcg(seed);
    let mut r_times = Vec::new();
    let mut t = 0.4f32;
    while t < seconds as f32 - 0.5 {
        r_times.push(t);
        t += 0.55 + 0.6 * rng.next();
    }
    let waves = [
        // (offset s, amplitude mV, sigma s): P, Q, R, S, T
        (-0.18, 0.15, 0.025),
        (-0.03, -0.12, 0.008),
        (0.0, 1.0, 0.010),
        (0.03, -0.25, 0.009),
        (0.30, 0.30, 0.050),
    ];
    let mut x = vec![0.0f32; n];
    for (i, v) in x.iter_mut().enumerate() {
        let t = i as f32 / fs32;
        *v = 0.3 * (2.0 * std::f32::consts::PI * 0.3 * t).sin() + 0.04 * (rng.next() - 0.5);
    }
    for &r in &r_times {
        let lo = ((r - 0.4) * fs32).max(0.0) as usize;
        let hi = (((r + 0.6) * fs32) as usize).min(n);
        for (i, v) in x.iter_mut().enumerate().take(hi).skip(lo) {
            let t = i as f32 / fs32;
            *v += waves
                .iter()
                .map(|&(o, a, s)| a * gauss(t, r + o, s))
                .sum::<f32>();
        }
    }
    let peaks = r_times
        .iter()
        .map(|&r| (r * fs32).round() as usize)
        .collect();
    (x, peaks)
}

/// Asserts that every true peak has exactly one detection within `tol` samples and that there
/// is no other detection.
fn assert_exact(truth: &[usize], found: &[usize], tol: usize) {
    let counts = match_peaks(truth, found, tol);
    assert_eq!(
        counts,
        MatchCounts {
            tp: truth.len(),
            fn_: 0,
            fp: 0
        },
        "truth {truth:?}\nfound {found:?}"
    );
}

#[test]
fn synthetic_ecg_peaks_are_found_within_two_samples_at_several_rates() {
    for (fs, seed) in [(128.0, 1), (250.0, 2), (360.0, 3), (500.0, 4), (1000.0, 5)] {
        let (x, truth) = synthetic_ecg(fs, 60.0, seed);
        let found = detect_r_peaks(&x, fs, RPeakMethod::default()).unwrap();
        assert_exact(&truth, &found, 2);
    }
}

#[test]
fn inverted_ecg_is_detected_at_the_same_places() {
    let fs = 360.0;
    let (x, truth) = synthetic_ecg(fs, 60.0, 7);
    let inverted: Vec<f32> = x.iter().map(|v| -v).collect();
    let found = detect_r_peaks(&inverted, fs, RPeakMethod::default()).unwrap();
    assert_exact(&truth, &found, 2);
}

#[test]
fn mixed_upright_and_inverted_wide_complexes_are_all_found() {
    // Every third beat is a wide negative "PVC" (-1.5 mV, sigma 25 ms) without P wave.
    let fs = 360.0;
    let (mut x, truth) = synthetic_ecg(fs, 60.0, 11);
    for &r in truth.iter().skip(2).step_by(3) {
        for i in r.saturating_sub(100)..(r + 100).min(x.len()) {
            let t = i as f32;
            x[i] -= 1.0 * gauss(t, r as f32, 0.010 * 360.0) - 0.25 * gauss(t, r as f32 + 11.0, 3.2);
            x[i] -= 1.5 * gauss(t, r as f32, 0.025 * 360.0);
        }
    }
    let found = detect_r_peaks(&x, fs, RPeakMethod::default()).unwrap();
    assert_exact(&truth, &found, 3);
}

#[test]
fn amplitude_scale_and_offset_do_not_matter() {
    let fs = 250.0;
    let (x, truth) = synthetic_ecg(fs, 30.0, 13);
    for (gain, offset) in [(1e-3f32, 0.0f32), (1e3, 0.0), (1.0, 500.0)] {
        let y: Vec<f32> = x.iter().map(|v| gain * v + offset).collect();
        let found = detect_r_peaks(&y, fs, RPeakMethod::default()).unwrap();
        assert_exact(&truth, &found, 2);
    }
}

#[test]
fn flat_zero_and_wander_only_signals_give_no_peak() {
    let fs = 360.0;
    let m = RPeakMethod::default();
    assert!(
        detect_r_peaks(&vec![0.0; 10_000], fs, m)
            .unwrap()
            .is_empty()
    );
    assert!(
        detect_r_peaks(&vec![-3.7; 10_000], fs, m)
            .unwrap()
            .is_empty()
    );
    let wander: Vec<f32> = (0..20_000)
        .map(|i| (2.0 * std::f32::consts::PI * 0.4 * i as f32 / 360.0).sin())
        .collect();
    assert_eq!(detect_r_peaks(&wander, fs, m).unwrap(), Vec::<usize>::new());
}

#[test]
fn short_signals_do_not_panic() {
    let m = RPeakMethod::default();
    for n in 0..50 {
        let x: Vec<f32> = (0..n).map(|i| if i == n / 2 { 1.0 } else { 0.0 }).collect();
        let found = detect_r_peaks(&x, 360.0, m).unwrap();
        assert!(found.iter().all(|&p| p < n), "n = {n}: {found:?}");
        assert!(found.windows(2).all(|w| w[0] < w[1]));
    }
    // A single beat (at 0.4 s) in 0.7 s is still found.
    let (x, truth) = synthetic_ecg(360.0, 2.0, 17);
    assert_eq!(truth.first(), Some(&144));
    let found = detect_r_peaks(&x[..252], 360.0, m).unwrap();
    assert_exact(&truth[..1], &found, 2);
}

#[test]
fn non_finite_samples_are_reported_with_their_index() {
    let mut x = vec![0.0f32; 1000];
    x[123] = f32::NAN;
    x[500] = f32::INFINITY;
    match detect_r_peaks(&x, 360.0, RPeakMethod::default()) {
        Err(Error::Signal { sample, .. }) => assert_eq!(sample, 123),
        other => panic!("expected Error::Signal, got {other:?}"),
    }
    x[123] = 0.0;
    assert!(matches!(
        detect_r_peaks(&x, 360.0, RPeakMethod::default()),
        Err(Error::Signal { sample: 500, .. })
    ));
}

#[test]
fn sampling_frequency_out_of_range_is_invalid() {
    let x = vec![0.0f32; 100];
    for fs in [0.0, -360.0, 49.9, 10_001.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                detect_r_peaks(&x, fs, RPeakMethod::default()),
                Err(Error::InvalidArgument { name: "fs", .. })
            ),
            "fs = {fs}"
        );
    }
}

#[test]
fn robust_range_ignores_the_extreme_percent() {
    let mut x: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
    x[0] = -1e6;
    x[999] = 1e6;
    let mut scratch = Vec::new();
    let r = robust_range(&x, &mut scratch);
    assert!((r - 0.98).abs() < 0.01, "{r}");
    assert_eq!(robust_range(&[], &mut scratch), 0.0);
}

proptest::proptest! {
    #[test]
    fn any_finite_signal_gives_sorted_in_bounds_peaks(
        x in proptest::collection::vec(-1e3f32..1e3, 0..3000),
        fs in 50.0f64..2000.0,
    ) {
        let found = detect_r_peaks(&x, fs, RPeakMethod::default()).unwrap();
        proptest::prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
        proptest::prop_assert!(found.iter().all(|&p| p < x.len()));
    }

    #[test]
    fn huge_values_do_not_panic(
        x in proptest::collection::vec(proptest::num::f32::NORMAL, 0..500),
    ) {
        let found = detect_r_peaks(&x, 10_000.0, RPeakMethod::default()).unwrap();
        proptest::prop_assert!(found.iter().all(|&p| p < x.len()));
    }
}
