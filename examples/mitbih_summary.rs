//! Per-protocol, per-class beat counts of MIT-BIH and the time each build takes.
//!
//! ```text
//! ECG_DATA_DIR=/path/holding/mitdb cargo run --release --example mitbih_summary
//! ```
//!
//! First all 48 records are read, band-passed (0.5–40 Hz), R-peak detected and cut into
//! 140 + 180-sample beats (MLII, V5 for 102 and 104, which have no MLII; nothing is dropped);
//! then each protocol is built from scratch: P1 (intra-patient, BeatGAN, fold 0) and P2
//! (inter-patient, de Chazal DS1 → DS2).

use std::process::ExitCode;
use std::time::Instant;

use ecg_anomaly::study::mitbih::{
    BeatConfig, LoadedBeats, Protocol, RPeakFilter, find_mitdb, load_all_records,
};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mitbih_summary: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> ecg_anomaly::Result<()> {
    let dir = find_mitdb()?;
    println!("MIT-BIH in {}", dir.display());

    // R-peaks detected and matched to annotations, but no class filtered.
    let detect_only = RPeakFilter {
        classes: Vec::new(),
        ..RPeakFilter::default()
    };
    let mlii = BeatConfig {
        r_peak_filter: Some(detect_only),
        ..BeatConfig::default()
    };
    let start = Instant::now();
    let all = load_all_records(&dir, &mlii)?;
    let took = start.elapsed();
    let matched = all.beats.beats().iter().filter(|b| b.r_peak.is_some());
    println!(
        "\nall 48 records (EC57 classes), loaded + band-passed + R-peaks + segmented in {took:.2?}, \
         {} of {} beats with a detected peak within 10 samples",
        matched.count(),
        all.beats.count()
    );
    println!("{}", all.counts);

    for protocol in [Protocol::intra_patient(0, 42), Protocol::inter_patient(42)] {
        let start = Instant::now();
        let loaded: LoadedBeats = protocol.load(&dir)?;
        let loaded_in = start.elapsed();
        let data = protocol.assemble(&loaded)?;
        println!(
            "\n{protocol}: loaded in {loaded_in:.2?}, split in {:.2?}",
            start.elapsed() - loaded_in
        );
        println!("{}", data.counts);
        println!("train:       {}", data.train.class_counts());
        println!("validation:  {}", data.validation.class_counts());
        println!("test:        {}", data.test.class_counts());
    }
    Ok(())
}
