//! Every threshold rule and evaluation metric on 100k scores (10% anomalies, many ties from
//! rounding), to keep evaluation negligible next to scoring.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ecg_anomaly::data::beat::AamiClass;
use ecg_anomaly::evaluate::{
    ConfusionMatrix, EvaluationConfig, Ranking, class_recall, evaluate, evaluate_classes,
    fit_labelled,
};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

const N: usize = 100_000;

/// Scores rounded to 1e-4 (ties), anomalies shifted up; classes N for normal, V/S otherwise.
fn data() -> (Vec<f64>, Vec<bool>, Vec<AamiClass>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let labels: Vec<bool> = (0..N).map(|i| i % 10 == 0).collect();
    let scores = labels
        .iter()
        .map(|&l| ((rng.random::<f64>() + if l { 0.4 } else { 0.0 }) * 1e4).round() / 1e4)
        .collect();
    let classes = (0..N)
        .map(|i| match (i % 10, i % 20) {
            (0, 0) => AamiClass::V,
            (0, _) => AamiClass::S,
            _ => AamiClass::N,
        })
        .collect();
    (scores, labels, classes)
}

fn metrics(c: &mut Criterion) {
    let (scores, labels, classes) = data();
    let config = EvaluationConfig::default();
    let normal: Vec<f64> = scores
        .iter()
        .zip(&labels)
        .filter(|(_, l)| !**l)
        .map(|(s, _)| *s)
        .collect();
    let threshold = Threshold::fit(ThresholdMethod::default(), &normal).unwrap();
    let ranking = Ranking::new(&scores, &labels).unwrap();
    let flags = threshold.flag(&scores);

    let mut group = c.benchmark_group("metrics_100k");
    group.bench_function("fit_percentile", |b| {
        b.iter(|| Threshold::fit(ThresholdMethod::default(), black_box(&normal)).unwrap())
    });
    group.bench_function("fit_mean_std", |b| {
        let method = ThresholdMethod::MeanStd { k: 3.0 };
        b.iter(|| Threshold::fit(method, black_box(&normal)).unwrap())
    });
    group.bench_function("fit_labelled_best_f1", |b| {
        b.iter(|| fit_labelled(black_box(&scores), &labels).unwrap())
    });
    group.bench_function("flag_and_confusion", |b| {
        b.iter(|| ConfusionMatrix::from_flags(&threshold.flag(black_box(&scores)), &labels))
    });
    group.bench_function("ranking_sort", |b| {
        b.iter(|| Ranking::new(black_box(&scores), &labels).unwrap())
    });
    group.bench_function("roc_auc", |b| b.iter(|| black_box(&ranking).roc_auc()));
    group.bench_function("average_precision", |b| {
        b.iter(|| black_box(&ranking).average_precision())
    });
    group.bench_function("roc_curve", |b| b.iter(|| black_box(&ranking).roc_curve()));
    group.bench_function("pr_curve", |b| b.iter(|| black_box(&ranking).pr_curve()));
    group.bench_function("best_f1", |b| b.iter(|| black_box(&ranking).best_f1()));
    group.bench_function("recall_at_fpr", |b| {
        b.iter(|| black_box(&ranking).recall_at_fpr(0.01).unwrap())
    });
    group.bench_function("class_recall", |b| {
        b.iter(|| class_recall(black_box(&flags), &classes).unwrap())
    });
    group.bench_function("evaluate", |b| {
        b.iter(|| evaluate(black_box(&scores), &labels, &threshold, &config).unwrap())
    });
    group.bench_function("evaluate_classes", |b| {
        b.iter(|| {
            evaluate_classes(black_box(&scores), &labels, &classes, &threshold, &config).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
