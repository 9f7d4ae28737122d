//! Runs `examples/csv_signal.rs` end to end on the shipped demo CSV (few epochs) and checks the
//! CSV of windows it writes, its detector folder and its flags against the generator's truth.

#[path = "../examples/csv_signal.rs"]
#[allow(dead_code)]
mod csv_signal;

use std::path::PathBuf;

use clap::Parser;
use ecg_anomaly::detector::Detector;
use ecg_anomaly::device::default_device;

fn manifest(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[test]
fn csv_signal_flags_windows_and_writes_them_all() {
    let dir = std::env::temp_dir().join(format!("ecg-csv-signal-{}", std::process::id()));
    let out = dir.join("flagged.csv");
    let args = csv_signal::Args::parse_from([
        "csv_signal",
        "--csv",
        &manifest("datasets/synthetic_ecg.csv"),
        "--truth",
        &manifest("datasets/synthetic_ecg_beats.csv"),
        "--epochs",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let summary = csv_signal::run(args).unwrap();

    // 45,000 samples, windows of 250 every 125: (45,000 - 250) / 125 + 1.
    assert_eq!((summary.window, summary.stride), (250, 125));
    assert_eq!(summary.windows, 359);
    // Training: windows inside the first 27,000 samples; validation: inside 27,000..33,750.
    assert_eq!(summary.train_windows, 215);
    assert_eq!(summary.valid_windows, 53);
    assert!((1..=3).contains(&summary.epochs));

    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "window",
            "start_sample",
            "end_sample",
            "start_s",
            "score",
            "calibrated",
            "anomaly"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), summary.windows);
    let mut flagged = 0;
    for (i, row) in rows.iter().enumerate() {
        let field = |c: usize| row.get(c).unwrap();
        let num = |c: usize| field(c).parse::<f64>().unwrap();
        assert_eq!(field(0), i.to_string());
        assert_eq!(num(1), (i * 125) as f64);
        assert_eq!(num(2), (i * 125 + 250) as f64);
        assert!((num(3) - i as f64 * 0.5).abs() < 1e-9);
        let (score, calibrated) = (num(4), num(5));
        assert!(score.is_finite() && score >= 0.0, "row {i}: score {score}");
        assert!((0.0..=1.0).contains(&calibrated), "row {i}: {calibrated}");
        let anomaly: bool = field(6).parse().unwrap();
        // Scores are written to 6 decimals: skip rows too close to the threshold to tell.
        if (score - summary.threshold).abs() > 1e-5 {
            assert_eq!(anomaly, score > summary.threshold, "row {i}: score {score}");
        }
        flagged += usize::from(anomaly);
    }
    assert_eq!(flagged, summary.flagged);
    // A 95th-percentile threshold flags some windows, not most of them.
    assert!(flagged > 0 && flagged < summary.windows / 2, "{flagged}");

    // The saved detector loads, with the threshold the flags were set by.
    let device = default_device();
    let detector = Detector::load(&summary.detector, &device).unwrap();
    assert_eq!(detector.threshold.value, summary.threshold);

    let truth = summary.truth.expect("--truth was given");
    assert_eq!(truth.abnormal_beats, 13);
    assert!(truth.caught > 0, "no abnormal beat flagged: {truth:?}");
    assert!(truth.flagged_with_abnormal <= flagged);
    std::fs::remove_dir_all(&dir).unwrap();
}
