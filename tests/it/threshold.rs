//! Threshold rules against hand-computed answers (numpy's percentile definition, best-F1 cuts
//! with ties) and exact JSON round trips.

use crate::common::assert_near;
use ecg_anomaly::Error;
use ecg_anomaly::evaluate::{ConfusionMatrix, fit_labelled};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn percentile(scores: &[f64], q: f64) -> f64 {
    Threshold::fit(ThresholdMethod::Percentile { q }, scores)
        .unwrap()
        .value
}

/// numpy's linear percentile written from its definition on a fully sorted copy: index
/// h = (n - 1) q / 100, interpolate between sorted[floor h] and the next.
fn numpy_percentile_reference(scores: &[f64], q: f64) -> f64 {
    let mut x = scores.to_vec();
    x.sort_by(f64::total_cmp);
    let h = (x.len() - 1) as f64 * (q / 100.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(x.len() - 1);
    let t = h - lo as f64;
    let d = x[hi] - x[lo];
    if t >= 0.5 {
        x[hi] - d * (1.0 - t)
    } else {
        x[lo] + d * t
    }
}

#[test]
fn percentile_matches_numpy_known_values() {
    // np.percentile([1, 2, 3, 4], 95) == 3.85: h = 2.85, 3 + 0.85 * (4 - 3).
    assert_near(percentile(&[4.0, 1.0, 3.0, 2.0], 95.0), 3.85);
    // The numpy docs' example: np.percentile([[10, 7, 4], [3, 2, 1]], 50) == 3.5.
    assert_eq!(percentile(&[10.0, 7.0, 4.0, 3.0, 2.0, 1.0], 50.0), 3.5);
    // h = 4 * 0.4 = 1.6 between 20 and 35: 20 + 0.6 * 15 = 29.
    assert_near(percentile(&[15.0, 20.0, 35.0, 40.0, 50.0], 40.0), 29.0);
    // h = 0.5 between 1 and 2.
    assert_eq!(percentile(&[3.0, 1.0, 2.0], 25.0), 1.5);
    // Duplicates: sorted [1, 1, 5, 5], h = 1.5.
    assert_eq!(percentile(&[5.0, 1.0, 1.0, 5.0], 50.0), 3.0);
    // h = 0.99 between 0 and 10: 9.9.
    assert_near(percentile(&[30.0, 0.0, 20.0, 10.0], 33.0), 9.9);
    // Bit-exact, numpy's lerp from the upper side when t >= 0.5: h = 0.7 gives
    // 0.1 - 0.1 * 0.3 = 0.07, where 0 + 0.1 * 0.7 would give 0.06999999999999999.
    assert_eq!(percentile(&[0.1, 0.0], 70.0), 0.07);
    assert_eq!(percentile(&[0.3, 0.1, 0.2, 0.9], 95.0), 0.8099999999999998);
    // Ends and a single score are exact.
    assert_eq!(percentile(&[0.3, -2.5, 7.25], 0.0), -2.5);
    assert_eq!(percentile(&[0.3, -2.5, 7.25], 100.0), 7.25);
    assert_eq!(percentile(&[0.42], 61.0), 0.42);
}

#[test]
fn percentile_equals_the_sorted_definition_on_random_data() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    for n in [1, 2, 3, 10, 101, 1000] {
        let scores: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 10.0 - 2.0).collect();
        for q in [
            0.0,
            1.0,
            12.5,
            50.0,
            95.0,
            99.0,
            99.9,
            100.0,
            rng.random::<f64>() * 100.0,
        ] {
            assert_eq!(
                percentile(&scores, q),
                numpy_percentile_reference(&scores, q),
                "n {n} q {q}"
            );
        }
    }
}

#[test]
fn default_is_the_95th_percentile() {
    assert_eq!(
        ThresholdMethod::default(),
        ThresholdMethod::Percentile { q: 95.0 }
    );
    let scores: Vec<f64> = (0..=100).map(f64::from).collect();
    assert_eq!(
        Threshold::fit(ThresholdMethod::default(), &scores)
            .unwrap()
            .value,
        95.0
    );
}

#[test]
fn contamination_leaves_that_share_above() {
    let scores: Vec<f64> = (0..=100).rev().map(f64::from).collect();
    let t = Threshold::fit(ThresholdMethod::Contamination { fraction: 0.1 }, &scores).unwrap();
    assert_eq!(t.value, 90.0);
    assert_eq!(t.flag(&scores).iter().filter(|&&f| f).count(), 10);
    let none = Threshold::fit(ThresholdMethod::Contamination { fraction: 0.0 }, &scores).unwrap();
    assert_eq!(none.value, 100.0);
    assert!(none.flag(&scores).iter().all(|&f| !f));
}

#[test]
fn mean_std_uses_the_population_std() {
    let scores = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]; // mean 5, std 2
    let fit = |k| {
        Threshold::fit(ThresholdMethod::MeanStd { k }, &scores)
            .unwrap()
            .value
    };
    assert_eq!(fit(2.0), 9.0);
    assert_eq!(fit(0.0), 5.0);
    assert_eq!(fit(-1.0), 3.0);
}

#[test]
fn fixed_ignores_the_scores() {
    let t = Threshold::fit(ThresholdMethod::Fixed { value: 0.7 }, &[]).unwrap();
    assert_eq!(t.value, 0.7);
}

#[test]
fn apply_is_strictly_greater() {
    let t = Threshold::fit(ThresholdMethod::Fixed { value: 0.5 }, &[]).unwrap();
    assert!(!t.apply(0.5));
    assert!(t.apply(0.5000000000000001));
    assert!(!t.apply(f64::NAN));
    assert_eq!(t.flag(&[0.1, 0.5, 0.9]), vec![false, false, true]);
}

#[test]
fn bad_inputs_and_parameters_are_errors() {
    let ok = [0.1, 0.2];
    let invalid = |method, scores: &[f64]| match Threshold::fit(method, scores) {
        Err(Error::InvalidArgument { name, message }) => format!("{name}: {message}"),
        other => panic!("expected an invalid argument, got {other:?}"),
    };
    assert!(invalid(ThresholdMethod::default(), &[]).starts_with("scores"));
    let nan = invalid(ThresholdMethod::default(), &[0.1, 0.2, 0.3, f64::NAN]);
    assert!(nan.contains("index 3"), "{nan}");
    let inf = invalid(ThresholdMethod::MeanStd { k: 1.0 }, &[f64::INFINITY]);
    assert!(inf.contains("index 0"), "{inf}");
    assert!(invalid(ThresholdMethod::Percentile { q: 100.5 }, &ok).starts_with("q"));
    assert!(invalid(ThresholdMethod::Percentile { q: f64::NAN }, &ok).starts_with("q"));
    assert!(invalid(ThresholdMethod::MeanStd { k: f64::INFINITY }, &ok).starts_with("k"));
    let fraction = invalid(ThresholdMethod::Contamination { fraction: -0.1 }, &ok);
    assert!(fraction.starts_with("fraction"));
    assert!(invalid(ThresholdMethod::Fixed { value: f64::NAN }, &ok).starts_with("value"));
    let labelled = invalid(ThresholdMethod::LabelledBestF1, &ok);
    assert!(labelled.contains("fit_labelled"), "{labelled}");
}

#[test]
fn best_f1_picks_the_right_cut() {
    // Cuts from the top: F1 = 2/4, 4/5, 4/6, 6/7, 6/8, 6/9; the best flags the top four.
    let scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let labels = [false, false, true, false, true, true];
    let t = fit_labelled(&scores, &labels).unwrap();
    assert_eq!(t.method, ThresholdMethod::LabelledBestF1);
    assert_eq!(t.value, 0.2);
    let flags = t.flag(&scores);
    assert_eq!(flags, [false, false, true, true, true, true]);
    assert_eq!(
        ConfusionMatrix::from_flags(&flags, &labels).unwrap().f1(),
        6.0 / 7.0
    );
}

#[test]
fn best_f1_ties_keep_the_highest_threshold() {
    // Flagging the top one gives 2/3, the top four 4/6: equal, so the fewer alarms win.
    let t = fit_labelled(&[0.9, 0.7, 0.5, 0.3], &[true, false, false, true]).unwrap();
    assert_eq!(t.value, 0.7);
    // Tied scores are flagged together: the best cut flags both 0.5s (F1 2/3).
    let t = fit_labelled(&[0.5, 0.5, 0.2, 0.1], &[true, false, false, false]).unwrap();
    assert_eq!(t.value, 0.2);
}

#[test]
fn best_f1_can_flag_everything() {
    // Cuts give F1 0, 2/4, 4/5: all flagged, so the threshold sits just below the minimum.
    let scores = [1.0, 2.0, 3.0];
    let t = fit_labelled(&scores, &[true, true, false]).unwrap();
    assert!(t.value < 1.0 && t.value.is_finite());
    assert_eq!(t.flag(&scores), [true, true, true]);
}

#[test]
fn best_f1_matches_brute_force_on_random_scores() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    for _ in 0..20 {
        let labels: Vec<bool> = (0..60).map(|i| i % 3 == 0).collect();
        // Rounded scores so that ties occur; anomalies score a little higher on average.
        let scores: Vec<f64> = labels
            .iter()
            .map(|&l| ((rng.random::<f64>() + if l { 0.3 } else { 0.0 }) * 20.0).round() / 20.0)
            .collect();
        let best = fit_labelled(&scores, &labels).unwrap();
        let f1_at = |t: f64| {
            let flags: Vec<bool> = scores.iter().map(|&s| s > t).collect();
            ConfusionMatrix::from_flags(&flags, &labels).unwrap().f1()
        };
        let brute = scores
            .iter()
            .map(|&s| f1_at(s))
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(f1_at(best.value), brute.max(f1_at(f64::MIN)));
    }
}

#[test]
fn fit_labelled_rejects_bad_labels() {
    assert!(fit_labelled(&[0.1, 0.2], &[true]).is_err());
    assert!(fit_labelled(&[0.1, 0.2], &[false, false]).is_err());
    let err = fit_labelled(&[0.1, f64::NAN], &[true, false]).unwrap_err();
    assert!(err.to_string().contains("index 1"), "{err}");
}

#[test]
fn json_round_trip_is_exact() {
    let path = crate::common::temp_path("threshold", "exact.json");
    for (value, method) in [
        (0.12345678901234568, ThresholdMethod::Percentile { q: 99.5 }),
        (1.0000000000000002, ThresholdMethod::MeanStd { k: 3.0 }),
        (
            2.2250738585072014e-308,
            ThresholdMethod::Fixed {
                value: 2.2250738585072014e-308,
            },
        ),
        (
            0.30000000000000004,
            ThresholdMethod::Contamination { fraction: 0.05 },
        ),
        (
            -std::f64::consts::FRAC_1_SQRT_2,
            ThresholdMethod::LabelledBestF1,
        ),
    ] {
        let t = Threshold { value, method };
        t.save_json(&path).unwrap();
        let back = Threshold::load_json(&path).unwrap();
        assert_eq!(back.value.to_bits(), value.to_bits());
        assert_eq!(back, t);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"labelled_best_f1\""), "{text}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn load_errors_name_the_file() {
    let missing = crate::common::temp_path("threshold", "missing.json");
    let err = Threshold::load_json(&missing).unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if *path == missing),
        "{err:?}"
    );
    let garbled = crate::common::temp_path("threshold", "garbled.json");
    std::fs::write(
        &garbled,
        "{\"value\": 1.0, \"method\": {\"kind\": \"median\"}}",
    )
    .unwrap();
    let err = Threshold::load_json(&garbled).unwrap_err();
    assert!(
        matches!(&err, Error::Json { path, .. } if *path == garbled),
        "{err:?}"
    );
    let bad_q = crate::common::temp_path("threshold", "bad-q.json");
    let q = "{\"value\": 1.0, \"method\": {\"kind\": \"percentile\", \"q\": 120.0}}";
    std::fs::write(&bad_q, q).unwrap();
    let err = Threshold::load_json(&bad_q).unwrap_err();
    assert!(
        matches!(&err, Error::Artifact { path, .. } if *path == bad_q),
        "{err:?}"
    );
    for path in [garbled, bad_q] {
        let _ = std::fs::remove_file(path);
    }
}
