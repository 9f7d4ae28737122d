//! Renders every report picture from synthetic data and writes a sample report.
//!
//! `cargo run --example report_gallery [-- OUT_DIR]` (default `/tmp/report-look`): writes
//! `report.html`, `report.md` and `figures/*.svg|png`. The scores are simulated (a beat's
//! distance to the mean normal beat), not from a trained model: this shows the pictures.

use ecg_anomaly::Result;
use ecg_anomaly::data::synthetic::{BeatKind, SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::report::{
    ConfusionPlot, Figure, LatentPlot, Pca, PrPlot, ReconstructionExample, ReconstructionPlot,
    Report, RocPlot, ScoreHistogramPlot, Section, Table, TrainingCurvePlot,
};

const SIZE: (u32, u32) = (900, 600);

fn name(kind: BeatKind) -> &'static str {
    match kind {
        BeatKind::Normal => "normal",
        BeatKind::Pvc => "PVC",
        BeatKind::Apc => "APC",
        BeatKind::MissingP => "junctional",
        BeatKind::StElevation => "ST up",
        BeatKind::StDepression => "ST down",
    }
}

/// Points `(x, y)` of a curve.
type Points = Vec<(f64, f64)>;

/// `(fpr, tpr)` and `(recall, precision)` points and their AUC and AP, by sorting scores.
fn curves(scores: &[(f64, bool)]) -> (Points, f64, Points, f64) {
    let mut s = scores.to_vec();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = s.iter().filter(|x| x.1).count() as f64;
    let neg = s.len() as f64 - pos;
    let (mut tp, mut fp, mut auc, mut ap) = (0.0, 0.0, 0.0, 0.0);
    let (mut roc, mut pr) = (vec![(0.0, 0.0)], vec![(0.0, 1.0)]);
    for &(_, positive) in &s {
        if positive {
            tp += 1.0;
            ap += tp / (tp + fp) / pos;
        } else {
            fp += 1.0;
            auc += tp / pos / neg;
        }
        roc.push((fp / neg, tp / pos));
        pr.push((tp / pos, tp / (tp + fp)));
    }
    (roc, auc, pr, ap)
}

fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/report-look".into());
    let config = SyntheticConfig {
        length: SyntheticLength::Beats(1500),
        anomaly_rate: 0.12,
        seed: 3,
        ..SyntheticConfig::default()
    };
    let record = generate(&config)?;
    let lead = &record.ecg.leads[0];
    let (before, after) = (90, 162); // 250 ms before and 450 ms after the R peak at 360 Hz
    let beats: Vec<(BeatKind, Vec<f64>)> = record
        .beats
        .iter()
        .filter(|b| b.r_peak >= before && b.r_peak + after <= lead.len())
        .map(|b| {
            (
                b.kind,
                lead[b.r_peak - before..b.r_peak + after]
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect(),
            )
        })
        .collect();
    let normals: Vec<&Vec<f64>> = beats
        .iter()
        .filter(|b| b.0 == BeatKind::Normal)
        .map(|b| &b.1)
        .collect();
    let template: Vec<f64> = (0..before + after)
        .map(|i| normals.iter().map(|b| b[i]).sum::<f64>() / normals.len() as f64)
        .collect();
    let score = |b: &[f64]| {
        (b.iter()
            .zip(&template)
            .map(|(x, t)| (x - t).powi(2))
            .sum::<f64>()
            / b.len() as f64)
            .sqrt()
    };
    let scored: Vec<(BeatKind, f64)> = beats.iter().map(|(k, b)| (*k, score(b))).collect();
    let labelled: Vec<(f64, bool)> = scored.iter().map(|(k, s)| (*s, k.is_anomaly())).collect();
    let (roc, auc, pr, ap) = curves(&labelled);
    let noisy: Vec<(f64, bool)> = labelled
        .iter()
        .enumerate()
        .map(|(i, (s, a))| (s * (1.0 + (i as f64 * 0.37).sin()), *a))
        .collect();
    let (roc2, auc2, pr2, ap2) = curves(&noisy);
    let prevalence = labelled.iter().filter(|x| x.1).count() as f64 / labelled.len() as f64;
    let mut sorted: Vec<f64> = scored
        .iter()
        .filter(|s| s.0 == BeatKind::Normal)
        .map(|s| s.1)
        .collect();
    sorted.sort_by(f64::total_cmp);
    let threshold = sorted[sorted.len() * 98 / 100];

    let mut histogram = ScoreHistogramPlot::new("Anomaly scores by beat kind")
        .threshold(threshold)
        .log_y(true);
    for kind in [
        BeatKind::Normal,
        BeatKind::Pvc,
        BeatKind::Apc,
        BeatKind::MissingP,
        BeatKind::StElevation,
    ] {
        histogram = histogram.class(
            name(kind),
            scored.iter().filter(|s| s.0 == kind).map(|s| s.1).collect(),
        );
    }
    let (mut tn, mut fp, mut fn_, mut tp) = (0, 0, 0, 0);
    for &(s, a) in &labelled {
        match (a, s > threshold) {
            (false, false) => tn += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (true, true) => tp += 1,
        }
    }
    let train: Vec<f64> = (0..30)
        .map(|e| 0.02 + 0.5 * (-(e as f64) / 5.0).exp())
        .collect();
    let valid: Vec<f64> = (0..30)
        .map(|e| {
            0.03 + 0.5 * (-(e as f64) / 5.5).exp() + 0.0004 * (e as f64 - 18.0).max(0.0).powi(2)
        })
        .collect();
    let mut recon = ReconstructionPlot::new("Input vs reconstruction").sample_rate(360.0);
    for kind in [
        BeatKind::Normal,
        BeatKind::Pvc,
        BeatKind::Apc,
        BeatKind::StElevation,
    ] {
        if let Some((i, (_, b))) = beats.iter().enumerate().find(|(_, b)| b.0 == kind) {
            recon = recon.example(ReconstructionExample::new(
                name(kind),
                scored[i].1,
                b.clone(),
                template.clone(),
            ));
        }
    }
    let rows: Vec<Vec<f64>> = beats.iter().map(|b| b.1.clone()).collect();
    let pca = Pca::fit(&rows)?;
    let [r1, r2] = pca.explained_variance_ratio();
    let latent = LatentPlot::new(
        "Beats in the first two principal components",
        pca.transform_all(&rows)?,
        beats.iter().map(|b| name(b.0).to_string()).collect(),
    )
    .axes(
        format!("PC 1 ({:.0}% of variance)", 100.0 * r1),
        format!("PC 2 ({:.0}% of variance)", 100.0 * r2),
    );

    let roc_plot = RocPlot::new("ROC curve")
        .curve("template distance", roc, auc)
        .curve("noisy variant", roc2, auc2);
    let pr_plot = PrPlot::new("Precision–recall curve")
        .curve("template distance", pr, ap)
        .curve("noisy variant", pr2, ap2)
        .prevalence(prevalence);
    let confusion = ConfusionPlot::binary("Confusion matrix at the threshold", tn, fp, fn_, tp);
    let training = TrainingCurvePlot::new("Training curves", train, valid);
    let report = Report::new("ECG anomaly detection — sample report")
        .section(
            Section::new("Data")
                .paragraph(format!(
                    "{} synthetic beats at 360 Hz, {:.1}% abnormal.",
                    beats.len(),
                    100.0 * prevalence
                ))
                .table(
                    Table::new(["metric", "value"])
                        .row(["ROC AUC".to_string(), format!("{auc:.3}")])
                        .row(["average precision".to_string(), format!("{ap:.3}")])
                        .row(["threshold".to_string(), format!("{threshold:.4}")]),
                ),
        )
        .section(
            Section::new("Detection")
                .figure(Figure::render("roc", "ROC curves", &roc_plot, SIZE)?)
                .figure(Figure::render(
                    "pr",
                    "Precision–recall curves",
                    &pr_plot,
                    SIZE,
                )?)
                .figure(Figure::render(
                    "confusion",
                    "Confusion matrix",
                    &confusion,
                    (700, 600),
                )?)
                .figure(Figure::render(
                    "scores",
                    "Score histogram (log counts)",
                    &histogram,
                    SIZE,
                )?),
        )
        .section(
            Section::new("Model")
                .figure(Figure::render(
                    "training",
                    "Loss per epoch",
                    &training,
                    SIZE,
                )?)
                .figure(Figure::render(
                    "reconstruction",
                    "Example beats",
                    &recon,
                    (1000, 700),
                )?)
                .figure(Figure::render(
                    "latent",
                    "Latent space (PCA of beats)",
                    &latent,
                    SIZE,
                )?),
        );
    report.save(&out)?;
    println!("wrote {out}/report.html, report.md and figures/");
    Ok(())
}
