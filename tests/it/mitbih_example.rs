//! The MIT-BIH example end to end in its `--quick` mode (6 records for P1, 3 + 3 for P2, one
//! epoch): both reports are written, hold every figure, the saved detectors load and cut a raw
//! record's beats as the study did, and every model ranks abnormal beats above normal ones
//! better than chance.
// The example writes HTML reports: it needs the `report` feature (Cargo.toml's [[example]]).
#![cfg(all(feature = "burn", feature = "report"))]

#[path = "../../examples/mitbih.rs"]
#[allow(dead_code)]
mod mitbih;

use clap::Parser;
use ecg_anomaly::data::wfdb::read_ecg;
use ecg_anomaly::detector::{Detector, DetectorConfig};
use ecg_anomaly::study::mitbih::{BeatConfig, find_mitdb, load_record_beats};
use ecg_anomaly::study::{CHOSEN_JSON, DESIGN_JSON, DesignConfig, StudyConfig};

#[test]
fn quick_run_writes_both_reports_with_auc_above_chance() {
    if crate::common::mitdb_dir("quick_run_writes_both_reports_with_auc_above_chance").is_none() {
        return;
    }
    let out = crate::common::temp_path("mitbih", "quick");
    let args = mitbih::Args::parse_from(["mitbih", "--quick", "--out", out.to_str().unwrap()]);
    let summary = mitbih::run(args).unwrap();

    assert_eq!(summary.reports.len(), 2);
    for report in &summary.reports {
        let html = std::fs::read_to_string(report).unwrap();
        assert!(html.contains("ROC-AUC") && html.contains("best F1 (test labels)"));
        assert_eq!(html.matches("<svg").count(), 13, "{}", report.display());
        assert!(
            !html.contains("src=\"http"),
            "the report must be self-contained"
        );
        let folder = report.parent().unwrap();
        assert!(folder.join("report.md").is_file());
        assert!(folder.join("figures/roc.png").is_file());
        assert!(folder.join("results.json").is_file());
        let study: StudyConfig =
            serde_json::from_str(&std::fs::read_to_string(folder.join("study.json")).unwrap())
                .unwrap();
        assert!(study.quick);
        ablation_has_every_score(folder);
        for model in ["lstm-ae", "convvae"] {
            let detector = folder.join(model).join("detector");
            assert!(detector.join("model.bpk").is_file());
            assert!(detector.join("history.json").is_file());
            let log = folder.join(model).join("training_log.csv");
            assert!(
                std::fs::read_to_string(&log).unwrap().lines().count() >= 2,
                "{log:?}"
            );
        }
    }
    same_beats_from_a_raw_record(&out.join("p2/lstm-ae/detector"));
    assert_eq!(summary.rows.len(), 6, "2 protocols x (2 models + ensemble)");
    for (protocol, model, auc, ap) in &summary.rows {
        println!("{protocol} {model}: AUC {auc:.3}, AP {ap:.3}");
        assert!(*auc > 0.6, "{protocol} {model}: AUC {auc}");
    }
    std::fs::remove_dir_all(out).unwrap();
}

/// `--design --seeds 2` in quick mode: the design step reads and folds the training records
/// only, writes its table and a chosen configuration that validates, and the seeds' table
/// gives each model a mean, a spread and an interval.
#[test]
fn quick_design_chooses_on_training_records_and_seeds_give_intervals() {
    if crate::common::mitdb_dir("quick_design_chooses_on_training_records_and_seeds_give_intervals")
        .is_none()
    {
        return;
    }
    let out = crate::common::temp_path("mitbih", "design");
    let args = mitbih::Args::parse_from([
        "mitbih",
        "--quick",
        "--protocol",
        "p2",
        "--design",
        "--seeds",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--tables",
        out.join("tables").to_str().unwrap(),
    ]);
    let summary = mitbih::run(args).unwrap();
    assert_eq!(summary.rows.len(), 3, "2 models + ensemble");
    // The printed tables, as files the guide includes, each naming its run.
    for table in ["p2_design", "p2_seeds", "p2_results"] {
        let text = std::fs::read_to_string(out.join("tables").join(format!("{table}.md"))).unwrap();
        assert!(
            text.starts_with("*Printed by `cargo run --example mitbih -- "),
            "{text}"
        );
        assert!(
            text.contains(" cores, 20") && text.contains("\n| "),
            "{table}: {text}"
        );
    }

    let design = out.join("p2/design");
    let text = std::fs::read_to_string(design.join(DESIGN_JSON)).unwrap();
    let table: serde_json::Value = serde_json::from_str(&text).unwrap();
    let folds: Vec<Vec<String>> = serde_json::from_value(table["folds"].clone()).unwrap();
    let mut records: Vec<String> = folds.concat();
    records.sort();
    assert_eq!(
        records,
        ["101", "106", "119"],
        "the quick P2's training records only"
    );
    let rows = table["rows"].as_array().unwrap();
    let scorings = DesignConfig::default().scorings.len();
    assert_eq!(rows.len(), 2 * scorings, "every scoring of both models");
    for row in rows {
        assert_eq!(row["roc_auc"].as_array().unwrap().len(), 3, "{row}");
    }
    let chosen = table["chosen"].as_u64().unwrap() as usize;
    let frozen = DetectorConfig::load_json(design.join(CHOSEN_JSON)).unwrap();
    assert_eq!(
        frozen.context.rhythm,
        rows[chosen]["scoring"].as_str().unwrap().contains("rhythm")
    );
    assert_eq!(frozen.lead, None);
    for seed in [42, 43] {
        assert!(out.join(format!("p2/seed-{seed}/results.json")).is_file());
    }
    std::fs::remove_dir_all(out).unwrap();
}

/// The saved detector's pipeline, run on record 100's raw MLII at its annotations, gives the
/// beats the study trained and tested on.
fn same_beats_from_a_raw_record(folder: &std::path::Path) {
    let device = ecg_anomaly::device::default_device();
    let detector = Detector::load(folder, &device).unwrap();
    let pipeline = detector.pipeline();
    assert_eq!(pipeline.resample_to, Some(180.0));
    assert_eq!(detector.metadata().seq, 160);
    let dir = find_mitdb().unwrap();
    let study = BeatConfig::default().resampled(360.0, 180.0).unwrap();
    let beats = load_record_beats(&dir, "100", &study).unwrap().beats;
    let ecg = read_ecg(dir.join("100")).unwrap();
    let centres: Vec<usize> = beats.beats().iter().map(|b| b.sample).collect();
    let processed = pipeline
        .run_at(ecg.lead("MLII").unwrap(), ecg.fs, &centres)
        .unwrap();
    assert_eq!(processed.beats.data, beats.data());
    let verdicts = detector
        .detect_signal(ecg.lead("MLII").unwrap(), ecg.fs)
        .unwrap();
    assert!(
        verdicts.len() > 2_000,
        "{} beats found in record 100",
        verdicts.len()
    );
}

/// The ablation compares each model's own score with its other scores (latent Mahalanobis,
/// the ConvVae's KL, the 50 ms peak error), each alone and with the rhythm.
fn ablation_has_every_score(folder: &std::path::Path) {
    let text = std::fs::read_to_string(folder.join("ablation.json")).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let has = |model: &str, variant: &str| {
        rows.iter()
            .any(|r| r["model"] == model && r["variant"] == variant)
    };
    for model in ["LSTM-AE", "ConvVae"] {
        for score in ["latent Mahalanobis", "peak error (50 ms)"] {
            for suffix in ["", " + rhythm (mean)", " + rhythm (max)"] {
                assert!(
                    has(model, &format!("{score}{suffix}")),
                    "{model}: {score}{suffix}"
                );
            }
        }
    }
    assert!(has("ConvVae", "KL + rhythm (mean)"));
    assert!(!has("LSTM-AE", "KL"), "the LSTM-AE has no posterior");
    for r in &rows {
        let auc = r["roc_auc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&auc), "{r}");
    }
}
