//! The demo CSV shipped in `datasets/` is what the generator makes from the settings below, so
//! `examples/csv_signal.rs` runs on a fresh clone and its labels can be trusted.
//!
//! Regenerate both files after a deliberate change to the generator:
//! `ECG_BLESS_DEMO=1 cargo test --test demo_csv`.

use std::path::PathBuf;

use ecg_anomaly::data::csv::{CsvOptions, read_csv};
use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticEcg, SyntheticLength, generate};

/// Three minutes at 250 Hz (a common Holter rate), 8 % abnormal beats of every kind.
fn demo() -> SyntheticEcg {
    let mut record = generate(&SyntheticConfig {
        fs: 250.0,
        length: SyntheticLength::Seconds(180.0),
        anomaly_rate: 0.08,
        baseline_wander_mv: 0.05,
        seed: 7,
        ..Default::default()
    })
    .unwrap();
    // 0.1 µV resolution keeps the file small; far below the 10 µV noise.
    for v in &mut record.ecg.leads[0] {
        *v = (*v * 1e4).round() / 1e4;
    }
    record
}

fn datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets")
}

#[test]
fn the_shipped_demo_csv_is_the_generators_output() {
    let record = demo();
    let signal = datasets().join("synthetic_ecg.csv");
    let labels = datasets().join("synthetic_ecg_beats.csv");
    if std::env::var_os("ECG_BLESS_DEMO").is_some() {
        ecg_anomaly::data::csv::write_csv(&signal, &record.ecg).unwrap();
        let mut w = csv::Writer::from_path(&labels).unwrap();
        w.write_record(["sample", "kind", "symbol"]).unwrap();
        for b in &record.beats {
            let sample = b.r_peak.to_string();
            let kind = format!("{:?}", b.kind);
            let symbol = b.kind.aami_symbol().to_string();
            w.write_record([sample.as_str(), kind.as_str(), symbol.as_str()])
                .unwrap();
        }
        w.flush().unwrap();
    }

    let shipped = read_csv(&signal, 250.0, &CsvOptions::default()).unwrap();
    assert_eq!(shipped.leads.len(), 1);
    assert_eq!(shipped.leads[0].len(), 45_000);
    // Equal to the written precision (libm may differ across platforms in the last bits).
    let worst = shipped.leads[0]
        .iter()
        .zip(&record.ecg.leads[0])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst <= 2e-4, "max |shipped - generated| = {worst}");

    let mut rdr = csv::Reader::from_path(&labels).unwrap();
    let rows: Vec<(usize, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[1].to_string())
        })
        .collect();
    assert_eq!(rows.len(), record.beats.len());
    for (row, beat) in rows.iter().zip(&record.beats) {
        assert_eq!(row.0, beat.r_peak);
        assert_eq!(row.1, format!("{:?}", beat.kind));
    }
    let anomalies = record.beats.iter().filter(|b| b.is_anomaly()).count();
    assert!(
        (10..=30).contains(&anomalies),
        "{anomalies} abnormal beats of {}",
        record.beats.len()
    );
}
