//! Runs `examples/csv_signal.rs` end to end on the shipped demo CSV (its default settings, as the
//! README reports them) and checks the CSV of beats it writes, its saved detector and its flags
//! against the generator's truth.
#![cfg(feature = "burn")]

#[path = "../../examples/csv_signal.rs"]
#[allow(dead_code)]
mod csv_signal;

use std::path::PathBuf;

use clap::Parser;
use ecg_anomaly::prelude::*;

fn manifest(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[test]
fn csv_signal_judges_every_beat_and_writes_them_all() {
    let dir = crate::common::temp_path("csv-signal", "out");
    let out = dir.join("flagged.csv");
    let signal = manifest("datasets/synthetic_ecg.csv");
    let args = csv_signal::Args::parse_from([
        "csv_signal",
        "--csv",
        &signal,
        "--truth",
        &manifest("datasets/synthetic_ecg_beats.csv"),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let summary = csv_signal::run(args).unwrap();
    let verdicts = &summary.verdicts;

    // The demo holds 210 beats; the pipeline finds them all (today), each within 0.1 s of one.
    assert!(
        (208..=210).contains(&verdicts.len()),
        "{} beats",
        verdicts.len()
    );
    let truth: Vec<usize> = csv::Reader::from_path(manifest("datasets/synthetic_ecg_beats.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    let mut last = None;
    for (i, v) in verdicts.iter().enumerate() {
        assert_eq!(v.index, i);
        let at = v.position.expect("detect_signal knows every beat's R-peak");
        assert!(
            last.is_none_or(|l| at > l),
            "beat {i} at {at} after {last:?}"
        );
        assert!(
            truth.iter().any(|&r| r.abs_diff(at) <= 25),
            "beat {i} at {at}: no true beat"
        );
        last = Some(at);
        assert!(
            v.score.is_finite() && v.model_score.is_finite() && v.model_score >= 0.0,
            "beat {i}: score {}, the model's {}",
            v.score,
            v.model_score
        );
        assert!(
            (0.0..=1.0).contains(&v.calibrated),
            "beat {i}: {}",
            v.calibrated
        );
        assert_eq!(
            v.anomaly,
            v.score > summary.threshold,
            "beat {i}: score {}",
            v.score
        );
    }
    let flagged = verdicts.iter().filter(|v| v.anomaly).count();
    // A 95th-percentile threshold flags some beats, not most of them.
    assert!(
        flagged > 0 && flagged < verdicts.len() / 4,
        "{flagged} flagged"
    );

    // One row per beat, in order, with the verdict's values (scores to 6 decimals).
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
            "beat",
            "sample",
            "time_s",
            "score",
            "calibrated",
            "anomaly",
            "usable"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), verdicts.len());
    for (row, v) in rows.iter().zip(verdicts) {
        let num = |c: usize| row[c].parse::<f64>().unwrap();
        let at = v.position.unwrap();
        assert_eq!(
            (row[0].parse::<usize>().unwrap(), num(1)),
            (v.index, at as f64)
        );
        assert!((num(2) - at as f64 / 250.0).abs() < 1e-3, "{row:?}");
        assert!((num(3) - v.score).abs() <= 1e-6 && (num(4) - v.calibrated).abs() <= 1e-4);
        assert_eq!(
            [&row[5], &row[6]],
            [v.anomaly.to_string(), v.usable.to_string()]
        );
    }

    // The saved detector loads and judges the signal exactly as the run did.
    let detector = Detector::load(&summary.detector, &default_device()).unwrap();
    assert_eq!(detector.threshold().value, summary.threshold);
    let lead = &read_csv(&signal, 250.0, &CsvOptions::default())
        .unwrap()
        .leads[0];
    assert_eq!(&detector.detect_signal(lead, 250.0).unwrap(), verdicts);

    // After the training part (sample 27,000): 4 abnormal beats and 80 normal ones. The scores
    // rank them well; the threshold, set on held-out beats of which 3 in 25 are abnormal, is
    // high, so few are flagged - but abnormal ones far more often than normal ones.
    let t = summary.truth.expect("--truth was given");
    assert_eq!(t.abnormal, 4, "{t:?}");
    assert!((78..=80).contains(&t.normal), "{t:?}");
    assert!(t.roc_auc.unwrap() > 0.95, "{t:?}");
    let recall = t.abnormal_flagged as f64 / t.abnormal as f64;
    let false_alarms = t.normal_flagged as f64 / t.normal as f64;
    assert!(
        t.abnormal_flagged >= 1 && recall >= false_alarms + 0.2,
        "{t:?}"
    );

    // --only-flagged writes the flagged rows only (a one-epoch run: its flags, whatever they are).
    let only = dir.join("only.csv");
    let out_only = [
        "--out",
        only.to_str().unwrap(),
        "--only-flagged",
        "--epochs",
        "1",
    ];
    let args = csv_signal::Args::parse_from(
        ["csv_signal", "--csv", &signal, "--quiet"]
            .into_iter()
            .chain(out_only),
    );
    let quick = csv_signal::run(args).unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&only)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let flagged: Vec<String> = quick
        .verdicts
        .iter()
        .filter(|v| v.anomaly)
        .map(|v| v.index.to_string())
        .collect();
    assert_eq!(
        rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(),
        flagged
    );
    assert!(rows.iter().all(|r| &r[5] == "true"));
    std::fs::remove_dir_all(&dir).unwrap();
}
