//! The study report from a made-up result: every figure, self-contained HTML.

use super::*;
use crate::data::beat::ClassCounts;
use crate::detector::ModelKind;
use crate::evaluate::{EvaluationConfig, Ranking, evaluate_classes};
use crate::study::{
    AblationRow, BeatCounts, LatentSample, ReconstructionSample, StudyConfig, StudyProtocol, row,
};
use crate::threshold::{Threshold, ThresholdMethod};
use crate::train::{EpochLog, TrainingHistory};

fn classes() -> Vec<AamiClass> {
    (0..200)
        .map(|i| AamiClass::ALL[[0, 0, 0, 1, 2][i % 5]])
        .collect()
}

fn model(name: &str, trained: bool, noise: f64) -> ModelResult {
    let classes = classes();
    let labels: Vec<bool> = classes.iter().map(|c| c.is_abnormal()).collect();
    let scores: Vec<f64> = (0..200)
        .map(|i| f64::from(u8::from(labels[i])) + noise * ((i * 37 % 11) as f64))
        .collect();
    let threshold = Threshold::fit(ThresholdMethod::default(), &scores[..60]).unwrap();
    let config = EvaluationConfig::default();
    let history = TrainingHistory {
        epochs: (1..=3)
            .map(|epoch| EpochLog {
                epoch,
                train_loss: 1.0 / epoch as f64,
                valid_loss: 0.5,
                seconds: 1.0,
            })
            .collect(),
        best_epoch: 2,
        stopped_early: false,
    };
    ModelResult {
        name: name.into(),
        kind: trained.then_some(ModelKind::LstmAutoencoder),
        evaluation: evaluate_classes(&scores, &labels, &classes, &threshold, &config).unwrap(),
        recall_at_5_percent_fpr: Ranking::new(&scores, &labels)
            .unwrap()
            .recall_at_fpr(0.05)
            .unwrap(),
        test_scores: scores,
        history: trained.then_some(history),
        params: 1000,
        train_seconds: 2.0,
        seed: 42,
        detector: None,
    }
}

/// Two ablation rows: scores that rank the abnormal beats first, and the reverse.
fn ablation(classes: &[AamiClass]) -> Vec<AblationRow> {
    let good: Vec<f64> = (classes.iter().enumerate())
        .map(|(i, c)| f64::from(u8::from(c.is_abnormal())) + i as f64 * 1e-3)
        .collect();
    let bad: Vec<f64> = good.iter().map(|s| -s).collect();
    let threshold = Threshold::fit(ThresholdMethod::Percentile { q: 95.0 }, &good).unwrap();
    vec![
        row("LSTM-AE", "shape", &good, classes, &threshold).unwrap(),
        row("LSTM-AE", "reversed", &bad, classes, &threshold).unwrap(),
    ]
}

fn result() -> StudyResult {
    let wave = |phase: f32| {
        (0..160)
            .map(|i| (i as f32 / 10.0 + phase).sin())
            .collect::<Vec<_>>()
    };
    let classes = classes();
    StudyResult {
        config: StudyConfig {
            protocol: StudyProtocol::InterPatient,
            ..StudyConfig::default()
        },
        protocol: "inter-patient, made up".into(),
        beats: BeatCounts {
            train_pool: 1000,
            train: 500,
            validation_pool: 100,
            validation: 100,
            test: classes.iter().copied().collect::<ClassCounts>(),
            beat_len: 160,
            fs: 180.0,
        },
        models: vec![
            model("LSTM-AE", true, 0.2),
            model("ConvVae", true, 0.5),
            model("Ensemble (rank mean)", false, 0.3),
        ],
        reconstructions: [AamiClass::N, AamiClass::S, AamiClass::V]
            .map(|class| ReconstructionSample {
                class,
                score: 0.1,
                input: wave(0.0),
                output: wave(0.2),
            })
            .to_vec(),
        latents: Some(LatentSample {
            model: "ConvVae".into(),
            codes: (0..200)
                .map(|i| vec![i as f64, (i * 7 % 13) as f64, 1.0])
                .collect(),
            classes: classes.clone(),
        }),
        ablation: ablation(&classes),
        robustness: Vec::new(),
        test_records: classes
            .iter()
            .enumerate()
            .map(|(i, _)| format!("r{}", i % 7))
            .collect(),
        test_classes: classes,
        seconds: 60.0,
    }
}

#[test]
fn the_report_holds_every_table_and_figure_and_no_external_link() {
    let report = study_report(&result()).unwrap();
    assert_eq!(
        report.figures().count(),
        13,
        "ROC, PR, 3 x (confusion, histogram), 2 training, reconstructions, latent PCA and t-SNE"
    );
    let html = report.to_html().unwrap();
    assert_eq!(html.matches("<svg").count(), 13);
    let tsne = report.figures().find(|f| f.name == "latent_tsne").unwrap();
    assert!(tsne.caption.contains("perplexity 30") && tsne.caption.contains("seed"));
    assert!(tsne.svg.contains("t-SNE 1") && tsne.svg.contains("t-SNE 2"));
    assert!(html.contains("ROC-AUC") && html.contains("best F1 (test labels)"));
    assert!(html.contains("recall @ 5% FPR") && html.contains("resampled to 180 Hz"));
    assert!(html.contains("S / V / F % at 1 % N") && html.contains("reversed"));
    assert!(!html.contains("src=\"http"));
}

#[test]
fn the_printed_table_has_a_row_per_model_and_the_class_shares() {
    let text = result().to_string();
    assert!(text.starts_with("P2 (inter-patient, made up)"), "{text}");
    let (results, _ablation) = text.split_once("P2 ablation").unwrap();
    for model in ["LSTM-AE", "ConvVae", "Ensemble (rank mean)"] {
        assert_eq!(results.matches(model).count(), 2, "{text}");
    }
    assert!(text.contains("recall @ 5% FPR") && text.contains("flagged share per class: N "));
    assert!(text.contains("trained on 500 of 1000 normal"), "{text}");
    assert!(
        text.contains("P2 ablation") && text.contains("| LSTM-AE | reversed | 0.000 |"),
        "{text}"
    );
}
