//! Evaluation metrics against hand-computed answers (ties included), brute-force definitions
//! on random data, and the report's checks and JSON round trip.

use crate::common::assert_near;
use ecg_anomaly::data::beat::AamiClass;
use ecg_anomaly::evaluate::{
    ConfusionMatrix, EvaluationConfig, EvaluationReport, Ranking, class_recall, evaluate,
    evaluate_classes,
};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

const SCORES: [f64; 4] = [0.1, 0.4, 0.35, 0.8];
const LABELS: [bool; 4] = [false, false, true, true];

fn fixed(value: f64) -> Threshold {
    Threshold::fit(ThresholdMethod::Fixed { value }, &[]).unwrap()
}

/// Random scores rounded to 0.05 (many ties), anomalies shifted up by `shift`.
fn random_case(seed: u64, n: usize, shift: f64) -> (Vec<f64>, Vec<bool>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let labels: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.3).collect();
    let scores = labels
        .iter()
        .map(|&l| ((rng.random::<f64>() + if l { shift } else { 0.0 }) * 20.0).round() / 20.0)
        .collect();
    (scores, labels)
}

/// Mann-Whitney U / (P N) over all pairs, ties counted 1/2.
fn pairwise_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (&p, _) in scores.iter().zip(labels).filter(|(_, l)| **l) {
        for (&n, _) in scores.iter().zip(labels).filter(|(_, l)| !**l) {
            pairs += 1.0;
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / pairs
}

#[test]
fn confusion_metrics_by_hand() {
    let m = ConfusionMatrix {
        tp: 3,
        fp: 1,
        tn: 4,
        fn_: 2,
    };
    assert_eq!((m.total(), m.positives(), m.negatives()), (10, 5, 5));
    assert_near(m.accuracy(), 0.7);
    assert_near(m.precision(), 0.75);
    assert_near(m.recall(), 0.6);
    assert_near(m.specificity(), 0.8);
    assert_near(m.false_positive_rate(), 0.2);
    assert_near(m.f1(), 2.0 / 3.0); // 6 / (6 + 1 + 2)
    assert_near(m.f2(), 0.625); // 15 / (15 + 4 * 2 + 1)
    assert_near(m.f_beta(0.5).unwrap(), 3.75 / 5.25);
    assert_near(m.mcc(), 10.0 / 600f64.sqrt()); // (12 - 2) / sqrt(4 * 5 * 5 * 6)
    assert_near(m.balanced_accuracy(), 0.7);
    assert_eq!(m.metrics().f2, m.f2());
    let inverse = ConfusionMatrix {
        tp: 0,
        fp: 4,
        tn: 0,
        fn_: 4,
    };
    assert_near(inverse.mcc(), -1.0);
}

#[test]
fn zero_divisions_are_zero_not_nan() {
    let empty = ConfusionMatrix::default();
    let m = empty.metrics();
    for v in [
        m.accuracy,
        m.precision,
        m.recall,
        m.specificity,
        m.f1,
        m.f2,
        m.mcc,
    ] {
        assert_eq!(v, 0.0);
    }
    // Only normal samples, none flagged: perfect specificity, everything else 0.
    let normal = ConfusionMatrix {
        tp: 0,
        fp: 0,
        tn: 9,
        fn_: 0,
    };
    assert_eq!((normal.specificity(), normal.accuracy()), (1.0, 1.0));
    assert_eq!(
        (
            normal.precision(),
            normal.recall(),
            normal.f1(),
            normal.mcc()
        ),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(normal.balanced_accuracy(), 0.5);
    assert!(normal.f_beta(0.0).is_err() && normal.f_beta(f64::NAN).is_err());
}

#[test]
fn confusion_from_flags_counts_and_checks_lengths() {
    let flags = [true, false, true, false, true];
    let labels = [true, true, false, false, true];
    let m = ConfusionMatrix::from_flags(&flags, &labels).unwrap();
    assert_eq!(
        m,
        ConfusionMatrix {
            tp: 2,
            fp: 1,
            tn: 1,
            fn_: 1
        }
    );
    assert!(ConfusionMatrix::from_flags(&flags, &labels[..4]).is_err());
}

#[test]
fn hand_computed_auc_ap_and_curves() {
    let r = Ranking::new(&SCORES, &LABELS).unwrap();
    assert_eq!(r.roc_auc(), 0.75);
    // 0.5 * 1 (at 0.8) + 0.5 * 2/3 (at 0.35).
    assert_near(r.average_precision(), 0.8333333333333333);
    // Each threshold is the highest score left unflagged.
    let below_min = 0.1f64.next_down();
    let roc = [
        (0.0, 0.0, 0.8),
        (0.0, 0.5, 0.4),
        (0.5, 0.5, 0.35),
        (0.5, 1.0, 0.1),
        (1.0, 1.0, below_min),
    ];
    assert_eq!(r.roc_curve(), roc);
    let pr = [
        (0.5, 1.0, 0.4),
        (0.5, 0.5, 0.35),
        (1.0, 2.0 / 3.0, 0.1),
        (1.0, 0.5, below_min),
    ];
    assert_eq!(r.pr_curve(), pr);
    let best = r.best_f1();
    assert_eq!(
        (best.threshold, best.precision, best.recall),
        (0.1, 2.0 / 3.0, 1.0)
    );
    assert_near(best.f1, 0.8);
}

#[test]
fn tied_scores_are_split_half_and_half() {
    // Anomalies {0.5, 0.9, 0.2}, normals {0.5, 0.2}: pairs 1/2 + 1 + 1 + 1 + 0 + 1/2 over 6.
    let scores = [0.5, 0.5, 0.2, 0.9, 0.2];
    let labels = [true, false, false, true, true];
    let r = Ranking::new(&scores, &labels).unwrap();
    assert_near(r.roc_auc(), 4.0 / 6.0);
    // Groups 0.9 {+}: 1/3 * 1; 0.5 {+,-}: 1/3 * 2/3; 0.2 {+,-}: 1/3 * 3/5.
    assert_near(r.average_precision(), 34.0 / 45.0);
    assert_eq!(r.distinct_scores(), 3);
    // Ties make diagonal ROC steps: from (0, 1/3) to (1/2, 2/3).
    assert_eq!(r.roc_curve()[2], (0.5, 2.0 / 3.0, 0.2));
    // All scores equal: the ROC is the diagonal.
    let flat = Ranking::new(&[0.3; 6], &[true, false, true, false, false, false]).unwrap();
    assert_eq!(flat.roc_auc(), 0.5);
    assert_near(flat.average_precision(), 2.0 / 6.0);
}

#[test]
fn auc_equals_mann_whitney_on_random_data() {
    for seed in 0..10 {
        let (scores, labels) = random_case(seed, 300, 0.2);
        let r = Ranking::new(&scores, &labels).unwrap();
        assert_near(r.roc_auc(), pairwise_auc(&scores, &labels));
        // Reversing the scores mirrors the AUC.
        let reversed: Vec<f64> = scores.iter().map(|s| 1.0 - s).collect();
        let mirrored = Ranking::new(&reversed, &labels).unwrap().roc_auc();
        assert_near(mirrored, 1.0 - r.roc_auc());
    }
}

#[test]
fn average_precision_equals_its_definition_on_random_data() {
    for seed in 0..10 {
        let (scores, labels) = random_case(100 + seed, 300, 0.2);
        let r = Ranking::new(&scores, &labels).unwrap();
        // Σ over distinct thresholds t (high to low) of ΔRecall(t) × Precision(t), flag s >= t.
        let mut distinct = scores.clone();
        distinct.sort_by(|a, b| b.total_cmp(a));
        distinct.dedup();
        let (mut ap, mut last_recall) = (0.0, 0.0);
        for t in distinct {
            let flags: Vec<bool> = scores.iter().map(|&s| s >= t).collect();
            let m = ConfusionMatrix::from_flags(&flags, &labels).unwrap();
            ap += (m.recall() - last_recall) * m.precision();
            last_recall = m.recall();
        }
        assert_near(r.average_precision(), ap);
    }
}

#[test]
fn perfect_and_inverted_separation() {
    let (mut scores, labels) = random_case(7, 500, 0.0);
    for (s, &l) in scores.iter_mut().zip(&labels) {
        *s += if l { 2.0 } else { 0.0 };
    }
    let r = Ranking::new(&scores, &labels).unwrap();
    assert_eq!((r.roc_auc(), r.best_f1().f1), (1.0, 1.0));
    assert_near(r.average_precision(), 1.0);
    assert_eq!(r.recall_at_fpr(0.0).unwrap().recall, 1.0);
    let inverted: Vec<f64> = scores.iter().map(|s| -s).collect();
    assert_eq!(Ranking::new(&inverted, &labels).unwrap().roc_auc(), 0.0);
}

#[test]
fn recall_at_one_percent_false_alarms() {
    // 100 normal beats scored 0.00 .. 0.99 and four anomalies.
    let mut scores: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
    let mut labels = vec![false; 100];
    scores.extend([0.985, 0.995, 0.5, 2.0]);
    labels.extend([true; 4]);
    let r = Ranking::new(&scores, &labels).unwrap();
    // One false alarm (0.99) is allowed: 2.0, 0.995 and 0.985 are caught, 0.98 is not flagged.
    let p = r.recall_at_fpr(0.01).unwrap();
    assert_eq!(
        (p.recall, p.fpr, p.threshold, p.precision),
        (0.75, 0.01, 0.98, 0.75)
    );
    assert_eq!(
        r.recall_at_fpr(0.015).unwrap(),
        ecg_anomaly::evaluate::OperatingPoint {
            target_fpr: 0.015,
            ..p
        }
    );
    // No false alarm allowed: only the two above every normal beat.
    let p = r.recall_at_fpr(0.0).unwrap();
    assert_eq!((p.recall, p.fpr, p.threshold), (0.5, 0.0, 0.99));
    assert_eq!(r.recall_at_fpr(1.0).unwrap().recall, 1.0);
    assert!(r.recall_at_fpr(1.5).is_err() && r.recall_at_fpr(f64::NAN).is_err());
}

#[test]
fn recall_at_fpr_is_the_best_admissible_cut_on_random_data() {
    for seed in 0..10 {
        let (scores, labels) = random_case(200 + seed, 400, 0.3);
        let r = Ranking::new(&scores, &labels).unwrap();
        for target in [0.0, 0.01, 0.05, 0.2] {
            let best = scores
                .iter()
                .chain(&[f64::MIN])
                .map(|&t| r.confusion_at(t))
                .filter(|m| m.false_positive_rate() <= target)
                .map(|m| m.recall())
                .fold(0.0, f64::max);
            let point = r.recall_at_fpr(target).unwrap();
            assert_eq!(point.recall, best, "seed {seed} target {target}");
            let flags = fixed(point.threshold).flag(&scores);
            let m = ConfusionMatrix::from_flags(&flags, &labels).unwrap();
            assert_eq!(
                (m.recall(), m.false_positive_rate()),
                (point.recall, point.fpr)
            );
        }
    }
}

#[test]
fn ranking_rejects_bad_input() {
    let msg =
        |scores: &[f64], labels: &[bool]| Ranking::new(scores, labels).unwrap_err().to_string();
    assert!(msg(&[], &[]).contains("scores"));
    assert!(msg(&[0.1, 0.2], &[true]).contains("lengths differ"));
    assert!(msg(&[0.1, f64::NAN, 0.3], &[true, false, true]).contains("index 1"));
    assert!(msg(&[0.1, 0.2], &[false, false]).contains("both classes"));
    assert!(msg(&[0.1, 0.2], &[true, true]).contains("both classes"));
}

#[test]
fn class_recall_counts_each_class() {
    use AamiClass::*;
    let classes = [V, N, N, S, V, N, V, S];
    let flags = [true, false, true, false, true, false, false, true];
    let rows = class_recall(&flags, &classes).unwrap();
    let summary: Vec<_> = rows.iter().map(|r| (r.class, r.n, r.detected)).collect();
    assert_eq!(summary, [(N, 3, 1), (S, 2, 1), (V, 3, 2)]);
    assert_near(rows[0].recall, 1.0 / 3.0);
    assert!(class_recall(&flags, &classes[..3]).is_err());
}

#[test]
fn report_holds_the_metrics_and_round_trips() {
    let report = evaluate(&SCORES, &LABELS, &fixed(0.36), &EvaluationConfig::default()).unwrap();
    // 0.8 and 0.4 flagged.
    assert_eq!(
        report.confusion,
        ConfusionMatrix {
            tp: 1,
            fp: 1,
            tn: 1,
            fn_: 1
        }
    );
    assert_eq!((report.positives, report.negatives), (2, 2));
    assert_eq!(report.metrics.precision, 0.5);
    assert_eq!(report.roc_auc, 0.75);
    assert_eq!(report.oracle_best_f1.threshold, 0.1);
    assert_eq!(report.recall_at_fpr.recall, 0.5);
    assert_eq!(report.roc_curve.len(), 5);
    let json = serde_json::to_string(&report).unwrap();
    let back: EvaluationReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn report_curves_are_thinned_for_plotting() {
    let (scores, labels) = {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let labels: Vec<bool> = (0..20_000).map(|i| i % 10 == 0).collect();
        let scores: Vec<f64> = labels
            .iter()
            .map(|&l| rng.random::<f64>() + if l { 0.5 } else { 0.0 })
            .collect();
        (scores, labels)
    };
    let config = EvaluationConfig {
        curve_resolution: 0.01,
        ..EvaluationConfig::default()
    };
    let report = evaluate(&scores, &labels, &fixed(0.9), &config).unwrap();
    let full = Ranking::new(&scores, &labels).unwrap();
    assert_eq!(full.roc_curve().len(), 20_001);
    // Each kept point moves by >= 0.01 in fpr or tpr, and both coordinates end at 1.
    assert!(report.roc_curve.len() <= 202, "{}", report.roc_curve.len());
    assert_eq!(
        report.roc_curve.first().map(|p| (p.0, p.1)),
        Some((0.0, 0.0))
    );
    assert_eq!(
        report.roc_curve.last().map(|p| (p.0, p.1)),
        Some((1.0, 1.0))
    );
    // Precision wanders at the top of the ranking, so the PR curve keeps more, yet few.
    assert!(report.pr_curve.len() < 1000, "{}", report.pr_curve.len());
    assert_eq!(report.pr_curve.last().map(|p| (p.0, p.1)), Some((1.0, 0.1)));
    // AUC is still computed on every point.
    assert_eq!(report.roc_auc, full.roc_auc());
}

#[test]
fn evaluate_rejects_bad_input() {
    let t = fixed(0.5);
    let config = EvaluationConfig::default();
    assert!(evaluate(&[], &[], &t, &config).is_err());
    assert!(evaluate(&SCORES, &LABELS[..3], &t, &config).is_err());
    let err = evaluate(&[0.1, 0.2, f64::NAN, 0.4], &LABELS, &t, &config).unwrap_err();
    assert!(err.to_string().contains("index 2"), "{err}");
    assert!(evaluate(&SCORES, &[false; 4], &t, &config).is_err());
    let bad = EvaluationConfig {
        target_fpr: -0.1,
        ..config
    };
    assert!(evaluate(&SCORES, &LABELS, &t, &bad).is_err());
    let bad = EvaluationConfig {
        curve_resolution: 1.0,
        ..config
    };
    assert!(evaluate(&SCORES, &LABELS, &t, &bad).is_err());
    let classes = [AamiClass::N, AamiClass::N, AamiClass::V];
    assert!(evaluate_classes(&SCORES, &LABELS, &classes, &t, &config).is_err());
}

#[test]
fn evaluate_classes_reports_recall_per_aami_class() {
    use AamiClass::*;
    let classes = [N, N, N, N, V, V, S, S, F];
    let scores = [0.1, 0.2, 0.3, 0.9, 0.95, 0.8, 0.4, 0.85, 0.2];
    let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
    let t = fixed(0.5);
    let eval =
        evaluate_classes(&scores, &labels, &classes, &t, &EvaluationConfig::default()).unwrap();
    let summary: Vec<_> = eval
        .classes
        .iter()
        .map(|r| (r.class, r.n, r.detected))
        .collect();
    assert_eq!(summary, [(N, 4, 1), (S, 2, 1), (V, 2, 2), (F, 1, 0)]);
    assert_eq!(
        eval.report.confusion,
        ConfusionMatrix {
            tp: 3,
            fp: 1,
            tn: 3,
            fn_: 2
        }
    );
    let json = serde_json::to_string(&eval).unwrap();
    assert!(json.contains("\"class\":\"V\""), "{json}");
}
